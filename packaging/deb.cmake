# The Debian package. `packaging/build-deb.sh BUILD_DIR` configures a build for it and runs CPack
# (`cmake --build BUILD_DIR --target package`); ordinary builds never make one. The binary's
# install() rule is beside its target in agent/; everything else the package holds is installed here.
# Sanitizer and fuzzing builds are never packaged, and do not run their binary to write a man page.
if(SITELINK_SANITIZE OR SITELINK_FUZZ)
  return()
endif()
include(GNUInstallDirs)

set(SITELINK_PACKAGE_MAINTAINER "Sitelink maintainers <maintainers@users.noreply.r-seed-68f7df7b.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(SITELINK_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (left out when empty)")
set(SITELINK_PACKAGE_RELEASE 1 CACHE STRING "Debian revision: the package's version is PROJECT_VERSION-SITELINK_PACKAGE_RELEASE")

set(sitelink_deb_dir ${PROJECT_SOURCE_DIR}/packaging/debian)
set(sitelink_deb_build_dir ${PROJECT_BINARY_DIR}/packaging)
set(sitelink_installed_profiles_dir ${CMAKE_INSTALL_FULL_DATADIR}/sitelink/profiles)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/profiles/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sitelink/profiles)

# The man page, from the built binary's own help (run through the emulator when cross-building).
set(sitelink_man_page ${sitelink_deb_build_dir}/sitelink.1.gz)
add_custom_command(OUTPUT ${sitelink_man_page}
  COMMAND ${PROJECT_SOURCE_DIR}/packaging/manpage.sh ${sitelink_man_page} ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:sitelink>
  DEPENDS sitelink ${PROJECT_SOURCE_DIR}/packaging/manpage.sh
  COMMENT "Writing the man page from sitelink's help"
  VERBATIM)
add_custom_target(sitelink_man_page ALL DEPENDS ${sitelink_man_page})
install(FILES ${sitelink_man_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# Absolute paths, whatever the prefix: the units name them. /lib, not /usr/lib: Debian 12 keeps
# systemd units there until its /usr merge is finished.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/sitelink-keeper@.service
              ${PROJECT_SOURCE_DIR}/packaging/systemd/sitelink-probe-server.service
        DESTINATION /lib/systemd/system)
# packaging/etc/* go to /etc/sitelink as conffiles: dpkg keeps the administrator's edits on upgrade.
file(GLOB sitelink_config_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/etc/*)
install(FILES ${sitelink_config_files} DESTINATION /etc/sitelink)
set(sitelink_conffiles "")
foreach(config_file IN LISTS sitelink_config_files)
  cmake_path(GET config_file FILENAME config_name)
  string(APPEND sitelink_conffiles "/etc/sitelink/${config_name}\n")
endforeach()
file(WRITE ${sitelink_deb_build_dir}/conffiles "${sitelink_conffiles}")
# Site databases and secret.key (/var/lib/sitelink) are not in the package, so neither an upgrade
# nor a purge can touch them; the keeper's unit creates the folder.

set(sitelink_doc_dir ${CMAKE_INSTALL_DATADIR}/doc/sitelink)
string(TIMESTAMP sitelink_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)  # SOURCE_DATE_EPOCH if set
configure_file(${sitelink_deb_dir}/changelog.in ${sitelink_deb_build_dir}/changelog.Debian @ONLY)
# -n: no name or time stamp in the gzip header (lintian checks)
execute_process(COMMAND gzip -9n -c ${sitelink_deb_build_dir}/changelog.Debian
                OUTPUT_FILE ${sitelink_deb_build_dir}/changelog.Debian.gz COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${sitelink_deb_dir}/copyright ${sitelink_deb_build_dir}/changelog.Debian.gz ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${sitelink_doc_dir})
install(FILES ${sitelink_deb_dir}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME sitelink)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sitelink)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${SITELINK_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SITELINK_PACKAGE_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(SITELINK_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${SITELINK_PACKAGE_HOMEPAGE})
endif()
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "set up IP cameras and recorders for remote viewing, safely")
set(CPACK_PACKAGE_DESCRIPTION [=[
Sitelink is the tool a security installer runs at a job site to make IP
cameras and recorders (NVRs) viewable from the customer's phone: it discovers
and inspects ONVIF devices, gives them fixed addresses outside the DHCP pool,
configures the router's port forwarding over UPnP (or prints the steps to do
it by hand), keeps a DDNS name fresh and verifies the site from outside.

This package holds the sitelink command, its vendor, router and DDNS
profiles, and two systemd services, neither of them enabled: the on-site
keeper (sitelink-keeper@SITE) and the probe server that checks sites from the
internet (sitelink-probe-server).]=])
# Runtime dependencies from the libraries the binary links, as dpkg-shlibdeps finds them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# mDNS discovery needs a running avahi-daemon; without it Sitelink says so and carries on.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS avahi-daemon)
set(CPACK_STRIP_FILES ON)
# Install into the staging folder with DESTDIR, so the absolute paths above (/etc, /lib) land there.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${sitelink_deb_build_dir}/conffiles ${sitelink_deb_dir}/postinst
    ${sitelink_deb_dir}/prerm ${sitelink_deb_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The architecture the compiler builds for (arm64 with packaging/toolchain-arm64.cmake), not the
# build machine's.
execute_process(COMMAND dpkg-architecture -t ${CMAKE_LIBRARY_ARCHITECTURE} -qDEB_HOST_ARCH
                OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)

# Checked when CPack runs (packaging/cpack-checks.cmake): a package made from a development build
# would look for its profiles in the source tree.
set(CPACK_SITELINK_UNFIT_FOR_PACKAGE "")
if(NOT SITELINK_PROFILES_DIR STREQUAL sitelink_installed_profiles_dir)
  string(APPEND CPACK_SITELINK_UNFIT_FOR_PACKAGE " sitelink looks for profiles in ${SITELINK_PROFILES_DIR}, not ${sitelink_installed_profiles_dir};")
endif()
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  string(APPEND CPACK_SITELINK_UNFIT_FOR_PACKAGE " the install prefix is ${CMAKE_INSTALL_PREFIX}, not /usr;")
endif()
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/packaging/cpack-checks.cmake)
include(CPack)
