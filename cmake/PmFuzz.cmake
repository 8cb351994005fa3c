# -DPM_FUZZ=ON builds the libFuzzer targets of tests/fuzz (clang only) and adds a short run of
# each to ctest (tests fuzz.<target>, label `fuzz`); scripts/fuzz runs them for longer.
#
# The fuzz targets are built with -fsanitize=fuzzer,address,undefined; the powermanage library
# they test gets -fsanitize=fuzzer-no-link (coverage feedback without libFuzzer's main) on top
# of PM_SANITIZE (tests/fuzz/CMakeLists.txt adds it to that one target, so the other tests and
# programs of the tree are compiled as before). Included before PmSanitize, because PM_FUZZ
# needs PM_SANITIZE to hold address and undefined.
option(PM_FUZZ "Build the libFuzzer targets of tests/fuzz and their short ctest runs (clang)" OFF)

if(PM_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "PM_FUZZ needs clang for libFuzzer: -DCMAKE_CXX_COMPILER=clang++")
    endif()
    if(NOT PM_BUILD_TESTS)
        message(FATAL_ERROR "PM_FUZZ needs PM_BUILD_TESTS (the targets live in tests/fuzz)")
    endif()
    if(NOT PM_SANITIZE)
        message(STATUS "PM_FUZZ: building with PM_SANITIZE=address,undefined")
        set(PM_SANITIZE "address,undefined" CACHE STRING
            "Sanitizers to build with, e.g. address,undefined" FORCE)
    elseif(NOT PM_SANITIZE MATCHES "address" OR NOT PM_SANITIZE MATCHES "undefined")
        message(FATAL_ERROR "PM_FUZZ needs PM_SANITIZE to include address and undefined "
                            "(it is '${PM_SANITIZE}')")
    endif()
endif()
