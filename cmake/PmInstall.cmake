# `cmake --install` gives the headers, the library, the generated contract headers, a CMake
# package (find_package(powermanage CONFIG) -> powermanage::powermanage) and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS powermanage EXPORT powermanageTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/powermanage
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PM_PROTO_GEN}/pm
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/powermanage/proto
    FILES_MATCHING PATTERN "*.pb.h")
install(DIRECTORY ${PM_PROTO_ROOT}/pm
    DESTINATION ${CMAKE_INSTALL_DATADIR}/powermanage/proto)

set(PM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/powermanage)
install(EXPORT powermanageTargets NAMESPACE powermanage:: DESTINATION ${PM_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/powermanageConfig.cmake.in
    ${PROJECT_BINARY_DIR}/powermanageConfig.cmake INSTALL_DESTINATION ${PM_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/powermanageConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/powermanageConfig.cmake
              ${PROJECT_BINARY_DIR}/powermanageConfigVersion.cmake
    DESTINATION ${PM_CMAKE_DIR})

# The .pc file finds its prefix relative to itself, so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH PM_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" PM_PC_TO_PREFIX "${PM_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/powermanage.pc.in
    ${PROJECT_BINARY_DIR}/powermanage.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/powermanage.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
