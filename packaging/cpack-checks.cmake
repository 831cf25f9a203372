# Read by CPack before it makes the package (CPACK_PROJECT_CONFIG_FILE in packaging/deb.cmake).
if(CPACK_SITELINK_UNFIT_FOR_PACKAGE)
  message(FATAL_ERROR "This build cannot be packaged:${CPACK_SITELINK_UNFIT_FOR_PACKAGE} "
                      "build the package with packaging/build-deb.sh BUILD_DIR")
endif()
# dpkg-shlibdeps looks for the libraries of the architecture it is told, not the build machine's.
set(ENV{DEB_HOST_ARCH} "${CPACK_DEBIAN_PACKAGE_ARCHITECTURE}")
