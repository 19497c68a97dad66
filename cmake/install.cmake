# Installs the C++ library as a CMake package: headers, the static library, and
# densennConfig.cmake + densennConfigVersion.cmake exporting densenn::densenn.
# pip installs it inside the Python package (densenn/include, densenn/lib, densenn/share/cmake),
# where `python -m densenn --cmakedir` finds it; `cmake --install` uses the usual GNU layout.
include(CMakePackageConfigHelpers)

install(TARGETS densenn EXPORT densennTargets
  ARCHIVE DESTINATION "${DENSENN_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${DENSENN_INSTALL_LIBDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/cpp/include/densenn" DESTINATION "${DENSENN_INSTALL_INCLUDEDIR}" FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/cpp/include/densenn/version.hpp"
  DESTINATION "${DENSENN_INSTALL_INCLUDEDIR}/densenn")
install(EXPORT densennTargets NAMESPACE densenn:: DESTINATION "${DENSENN_INSTALL_CMAKEDIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/densennConfig.cmake.in" "${PROJECT_BINARY_DIR}/densennConfig.cmake"
  INSTALL_DESTINATION "${DENSENN_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/densennConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/densennConfig.cmake" "${PROJECT_BINARY_DIR}/densennConfigVersion.cmake"
  DESTINATION "${DENSENN_INSTALL_CMAKEDIR}")
