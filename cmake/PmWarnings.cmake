# Warnings for libpowermanage's own targets. Generated and third-party code is compiled
# without them (see pm_generated_sources in libpowermanage/CMakeLists.txt).
function(pm_target_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
        -Wold-style-cast -Wimplicit-fallthrough -Wformat=2 -Wcast-qual)
    # GCC 12 at -O2 reports impossible -Wrestrict overlaps inside std::string's operator+
    # (GCC bug 105329); the warning has no true positives in our code to lose.
    # It also reports Asio's awaitable frames (allocated by their own aligned operator new,
    # freed by the matching operator delete) as mismatched once its inliner sees through a
    # coroutine's frame, depending on unrelated code nearby (seen in rpc/listener.cpp); the
    # sanitizer build (clang, ASan's alloc-dealloc-mismatch check) still catches real ones.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        target_compile_options(${target} PRIVATE -Wno-restrict -Wno-mismatched-new-delete)
    endif()
    if(PM_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
