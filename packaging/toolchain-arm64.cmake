# Cross-building the arm64 package on an amd64 Debian 12 machine with Debian's multiarch packages
# (not exercised by the tests, which build and check the native package):
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install crossbuild-essential-arm64 qemu-user \
#     libssl-dev:arm64 libsqlite3-dev:arm64 libsodium-dev:arm64 libldns-dev:arm64 libgsoap-dev:arm64 \
#     libavahi-compat-libdnssd-dev:arm64 libminiupnpc-dev:arm64 libnatpmp-dev:arm64 libcpp-httplib-dev:arm64 \
#     libqrencode-dev:arm64 libpng-dev:arm64 libarchive-dev:arm64 zlib1g-dev:arm64
#   packaging/build-deb.sh build-arm64 -DCMAKE_TOOLCHAIN_FILE=packaging/toolchain-arm64.cmake
#
# The header-only libraries (nlohmann-json3-dev, libcli11-dev, libspdlog-dev) and gsoap's soapcpp2
# are the build machine's own. The man page is written by running the arm64 binary's --help, which
# qemu-user does; dpkg-shlibdeps takes the package's dependencies from the arm64 libraries
# (packaging/cpack-checks.cmake tells it the architecture). Check the package on an arm64 machine:
#   packaging/check-deb.sh sitelink_VERSION-1_arm64.deb
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# No sysroot: with multiarch the arm64 libraries sit in /usr/lib/aarch64-linux-gnu, which CMake
# searches for this compiler. pkg-config must read their .pc files, not the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
