# Build-speed settings measured in the project's build notes: ccache keyed on paths relative
# to the source tree (so a fresh clone elsewhere still hits), and a fast linker when present.
find_program(PM_CCACHE ccache)
if(PM_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=1
        CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime,time_macros ${PM_CCACHE})
endif()

include(CheckLinkerFlag)
foreach(linker mold lld)
    check_linker_flag(CXX "-fuse-ld=${linker}" PM_HAS_LD_${linker})
    if(PM_HAS_LD_${linker})
        add_link_options("-fuse-ld=${linker}")
        break()
    endif()
endforeach()
