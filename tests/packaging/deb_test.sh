#!/bin/bash
# The `packaging` test: builds the .deb in PACKAGE_BUILD_DIR and checks it.
#   tests/packaging/deb_test.sh PACKAGE_BUILD_DIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
deb=$("$repo/packaging/build-deb.sh" "$1")
"$repo/packaging/check-deb.sh" "$deb"
