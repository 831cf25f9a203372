#!/bin/bash
# Builds the Debian package in BUILD_DIR and prints its path. Used by `packaging/run.sh package` and
# the `packaging` test, so the package is always configured the same way:
#   packaging/build-deb.sh BUILD_DIR [CMAKE ARGS...]
# Extra arguments go to CMake, e.g. -DCMAKE_TOOLCHAIN_FILE=packaging/toolchain-arm64.cmake (see there).
#
# The package's binary is built on its own, not taken from a development build: it must look for
# profiles where the package puts them, not in a source tree, and carry Debian's hardening flags.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,5p' "$0" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift

# Debian's own compiler and linker flags (stack protector, fortify, full RELRO, bind now), as
# dpkg-buildpackage would pass them; run from the source tree so -ffile-prefix-map hides its path.
flags() { (cd "$repo" && DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"); }
cmake -S "$repo" -B "$dir" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_FLAGS="$(flags CPPFLAGS) $(flags CFLAGS)" \
  -DCMAKE_CXX_FLAGS="$(flags CPPFLAGS) $(flags CXXFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(flags LDFLAGS)" \
  -DCMAKE_INSTALL_PREFIX=/usr -DSITELINK_PROFILES_DIR=/usr/share/sitelink/profiles \
  -DSITELINK_TESTS=OFF -DSITELINK_SANITIZE=OFF -DSITELINK_FUZZ=OFF "$@" >&2
cmake --build "$dir" -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" --target package >&2
realpath "$(ls -t "$dir"/sitelink_*.deb | head -n 1)"
