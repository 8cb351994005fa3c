# -DPM_SANITIZE=address,undefined builds everything with those sanitizers. clang is the
# faster compiler for it; clang 14 needs -fno-sanitize=function with coroutines.
if(PM_SANITIZE)
    add_compile_options(-fsanitize=${PM_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${PM_SANITIZE})
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND PM_SANITIZE MATCHES "undefined")
        add_compile_options(-fno-sanitize=function)
    endif()
endif()
