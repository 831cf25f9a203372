#!/bin/bash
# The README's commands. On a fresh Debian 12 machine, as root:
#   packaging/run.sh demo    install what is needed, build, run Sitelink on the simulated demo site
#   packaging/run.sh test    install what is needed, build, run every test; then again built with
#                            AddressSanitizer + UndefinedBehaviorSanitizer (in $BUILD_DIR-sanitize)
#   packaging/run.sh bench [NAME [ARGS...]]   build, run the benchmarks under bench/ (numbers, not
#                            a test): all of them, or NAME (discovery, readdress) with its arguments
#   packaging/run.sh fuzz [SECONDS]   build the libFuzzer targets with clang (in $BUILD_DIR-fuzz) and
#                            fuzz each for SECONDS (default 600); `test` runs them for 30 s each
#   packaging/run.sh package  build the Debian package (in $BUILD_DIR-package) and check it: files,
#                            lintian, and unpacked: libraries, --version, demo --help, units, upgrade
# BUILD_DIR (default: build) chooses the build folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$repo/build}
jobs=$(nproc)

need_root() { [ "$(id -u)" = 0 ] || { echo "run.sh: $1 needs root (packages, network namespaces); try sudo" >&2; exit 4; }; }

build_all() { # build_all DIR [CMAKE ARGS...]
  local dir=$1; shift
  cmake -S "$repo" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

run_suite() { # run_suite DIR
  (cd "$1" && ctest --output-on-failure --timeout 600)
}

fuzz_suite() { # fuzz_suite SECONDS: tests/fuzz/ built with clang + libFuzzer + ASan/UBSan, each target
  # fuzzed for SECONDS from its seed corpus, then every saved regression input replayed
  local dir=$build-fuzz
  CC=clang CXX=clang++ build_all "$dir" -DSITELINK_FUZZ=ON -DSITELINK_TESTS=ON -DSITELINK_FUZZ_SECONDS="$1"
  (cd "$dir" && ctest -L fuzz --output-on-failure)
}

cmd_test() {
  need_root test
  "$repo/packaging/install-deps.sh"
  build_all "$build"
  run_suite "$build"
  # Everything Sitelink parses comes from devices it does not control: the whole suite again under
  # the sanitizers; any report fails the run (-fno-sanitize-recover, ASan's default exit code).
  build_all "$build-sanitize" -DSITELINK_SANITIZE=ON
  run_suite "$build-sanitize"
  fuzz_suite 30
}

cmd_fuzz() {
  need_root fuzz
  fuzz_suite "${1:-600}"
}

cmd_demo() {
  need_root demo
  "$repo/packaging/install-deps.sh"
  build_all "$build"
  exec "$build/agent/sitelink" demo
}

cmd_package() {
  need_root package
  "$repo/packaging/install-deps.sh"
  local deb
  deb=$("$repo/packaging/build-deb.sh" "$build-package")
  "$repo/packaging/check-deb.sh" "$deb"
  echo "run.sh: the package is $deb (install it with: apt install $deb)"
}

cmd_bench() {
  need_root bench
  build_all "$build"
  if [ $# -gt 0 ]; then
    local name=$1; shift
    "$build/bench/bench_$name" "$@"
  else
    "$build/bench/bench_discovery"
    "$build/bench/bench_readdress"
  fi
}

case "${1:-}" in
  test) cmd_test ;;
  demo) cmd_demo ;;
  bench) shift; cmd_bench "$@" ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  package) cmd_package ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
