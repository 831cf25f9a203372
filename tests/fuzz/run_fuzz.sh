#!/bin/sh
# run_fuzz.sh FUZZER SEED_DIR WORK_DIR SECONDS [LIBFUZZER FLAGS...]
# Fuzzes for SECONDS from the seeds in SEED_DIR (read only), on a corpus copy in WORK_DIR, which
# also receives crash-*, leak-*, timeout-* inputs. A finding fails the run (libFuzzer's exit code);
# copy the input into tests/fuzz/regressions/<target>/ once it is fixed.
set -eu
fuzzer=$1 seeds=$2 work=$3 seconds=$4
shift 4
mkdir -p "$work/corpus"
cp -R "$seeds/." "$work/corpus/"
# libFuzzer ends a timed run without running atexit handlers, so whatever a target puts in a
# temporary folder stays: keep that in the build tree, emptied at each start, not in /tmp.
rm -rf "$work/tmp"
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
exec "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@" "$work/corpus"
