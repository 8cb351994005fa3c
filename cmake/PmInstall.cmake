# `cmake --install` gives the headers, one static library per module, the generated contract
# headers, a CMake package with one component per module and a pkg-config file.
#
#   find_package(powermanage CONFIG COMPONENTS ca)   -> powermanage::ca, needs only OpenSSL
#   find_package(powermanage CONFIG)                 -> every module and powermanage::powermanage
#
# Each module is exported in its own file (powermanage-<module>-targets.cmake); the package
# file loads a requested component with the modules it links, and looks only for the packages
# those need (the table below is computed from the targets, so it cannot drift from them).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/powermanage)
get_property(pm_modules GLOBAL PROPERTY PM_MODULES)

# The find_dependency() call each imported target we link needs, by target name.
set(pm_package_Threads::Threads "find_dependency(Threads)")
set(pm_package_OpenSSL::Crypto "find_dependency(OpenSSL 3)")
set(pm_package_OpenSSL::SSL "find_dependency(OpenSSL 3)")
set(pm_package_fmt::fmt "find_dependency(fmt 9 CONFIG)")
set(pm_package_Boost::json "find_dependency(Boost 1.81.0 CONFIG COMPONENTS json)")
set(pm_package_Boost::headers "find_dependency(Boost 1.81.0 CONFIG)")
set(pm_package_protobuf::libprotobuf "find_dependency(Protobuf 3.21)")
set(pm_package_PostgreSQL::PostgreSQL "find_dependency(PostgreSQL 15)")
set(pm_package_ZLIB::ZLIB "find_dependency(ZLIB)")
set(pm_package_PkgConfig::NGHTTP2
    "find_dependency(PkgConfig)\npkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)")
set(pm_package_PkgConfig::ARGON2
    "find_dependency(PkgConfig)\npkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)")

set(PM_MODULE_TABLE "")
foreach(module IN LISTS pm_modules)
    get_target_property(links powermanage_${module} LINK_LIBRARIES)
    set(module_deps "")
    set(package_calls "")
    foreach(link IN LISTS links)
        if(link MATCHES "^powermanage::(.+)$")
            list(APPEND module_deps ${CMAKE_MATCH_1})
        elseif(DEFINED pm_package_${link})
            string(APPEND package_calls "${pm_package_${link}}\n")
        elseif(link)
            message(FATAL_ERROR "PmInstall.cmake: module ${module} links ${link}, which has no "
                                "find_dependency() entry: add one to the table")
        endif()
    endforeach()
    string(APPEND PM_MODULE_TABLE
           "set(_pm_links_${module} \"${module_deps}\")\n"
           "macro(_pm_find_packages_${module})\n${package_calls}endmacro()\n")

    install(TARGETS powermanage_${module} EXPORT powermanage-${module}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    install(EXPORT powermanage-${module} NAMESPACE powermanage::
        FILE powermanage-${module}-targets.cmake DESTINATION ${PM_CMAKE_DIR})
endforeach()
set(PM_MODULES "${pm_modules}")
# Components with no dependencies of ours to load (the C ABI: one shared library with the
# modules inside), each exported by its own folder in powermanage-<name>-targets.cmake.
get_property(PM_STANDALONE_COMPONENTS GLOBAL PROPERTY PM_STANDALONE_COMPONENTS)

install(TARGETS powermanage EXPORT powermanage-umbrella)
install(EXPORT powermanage-umbrella NAMESPACE powermanage::
    FILE powermanage-umbrella-targets.cmake DESTINATION ${PM_CMAKE_DIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/powermanage
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PM_PROTO_GEN}/pm
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/powermanage/proto
    FILES_MATCHING PATTERN "*.pb.h")
install(DIRECTORY ${PM_PROTO_ROOT}/pm
    DESTINATION ${CMAKE_INSTALL_DATADIR}/powermanage/proto)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/powermanageConfig.cmake.in
    ${PROJECT_BINARY_DIR}/powermanageConfig.cmake INSTALL_DESTINATION ${PM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/powermanageConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/powermanageConfig.cmake
              ${PROJECT_BINARY_DIR}/powermanageConfigVersion.cmake
    DESTINATION ${PM_CMAKE_DIR})

# The .pc file finds its prefix relative to itself, so `cmake --install --prefix` anywhere works.
# Static archives in link order: each module before the modules it uses.
file(RELATIVE_PATH PM_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" PM_PC_TO_PREFIX "${PM_PC_TO_PREFIX}")
set(PM_PC_LIBS "")
set(reversed ${pm_modules})
list(REVERSE reversed)
foreach(module IN LISTS reversed)
    string(APPEND PM_PC_LIBS " -lpowermanage_${module}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/powermanage.pc.in
    ${PROJECT_BINARY_DIR}/powermanage.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/powermanage.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
