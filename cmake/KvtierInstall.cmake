install(TARGETS ${kvtier_export_targets} EXPORT kvtierTargets FILE_SET HEADERS)
install(EXPORT kvtierTargets NAMESPACE kvtier:: DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/kvtier")
configure_package_config_file(cmake/kvtierConfig.cmake.in "${PROJECT_BINARY_DIR}/kvtierConfig.cmake"
                              INSTALL_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/kvtier")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/kvtierConfigVersion.cmake" COMPATIBILITY SameMinorVersion
                                 ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/kvtierConfig.cmake" "${PROJECT_BINARY_DIR}/kvtierConfigVersion.cmake"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/kvtier")
