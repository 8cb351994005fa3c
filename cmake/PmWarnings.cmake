# Warnings for libpowermanage's own targets. Generated and third-party code is compiled
# without them (see pm_generated_sources in libpowermanage/CMakeLists.txt).
function(pm_target_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
        -Wold-style-cast -Wimplicit-fallthrough -Wformat=2 -Wcast-qual)
    # GCC 12 at -O2 reports impossible -Wrestrict overlaps inside std::string's operator+
    # (GCC bug 105329); the warning has no true positives in our code to lose.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        target_compile_options(${target} PRIVATE -Wno-restrict)
    endif()
    if(PM_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
