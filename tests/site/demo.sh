#!/bin/bash
# The demo: a simulated job site (cameras, an NVR, a router, the internet) in network namespaces,
# and Sitelink run from the installer-laptop namespace on it. Until the browser wizard exists it
# runs the command-line flow (discover, then inspect every device) and prints what it found.
# Ctrl-C or exit tears the site down; every run uses its own namespace prefix, so two demos on one
# machine do not collide. Needs root and a build (packaging/run.sh demo does both).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "demo: needs root, to create network namespaces; try: sudo $0" >&2; exit 4; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${SITESIM_BUILD_DIR:-${BUILD_DIR:-$repo/build}}
sitelink=$build/agent/sitelink
[ -x "$sitelink" ] || { echo "demo: $sitelink is not built; run: sudo packaging/run.sh demo" >&2; exit 4; }
export SITESIM_PREFIX=${SITESIM_PREFIX:-sldemo$$} SITESIM_BUILD_DIR=$build
sitesim=$repo/tests/site/sitesim

# The output may be a closed pipe by now (demo | head): ignore SIGPIPE, and let the teardown
# itself write nowhere, so it always finishes.
teardown() {
  trap - EXIT INT TERM HUP
  trap "" PIPE
  { echo; echo "Tearing the demo site down..."; } 2>/dev/null || true
  "$sitesim" down >/dev/null 2>&1 || echo "demo: teardown failed; run: sudo SITESIM_PREFIX=$SITESIM_PREFIX $sitesim down" >&2
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP PIPE

echo "Building the simulated site ($SITESIM_PREFIX)..."
"$sitesim" up
eval "$("$sitesim" env)"

in_laptop() { "$sitesim" exec agent "$@"; }
echo
echo "== On the installer's laptop: sitelink discover --interface $SITESIM_AGENT_IF --sweep $SITESIM_FAR_SUBNET"
in_laptop "$sitelink" discover --interface "$SITESIM_AGENT_IF" --sweep "$SITESIM_FAR_SUBNET"

# The installer knows each device's credentials; the simulated site wrote them down for us.
python3 - "$SITESIM_DEVICES_JSON" <<'PY' | while IFS=$'\t' read -r address user password; do
import json, sys
for d in json.load(open(sys.argv[1])):
    print(f"{d['address']}\t{d['username']}\t{d['password']}")
PY
  echo
  echo "== sitelink inspect $address --user $user"
  SITELINK_PASSWORD=$password in_laptop "$sitelink" inspect "$address" --user "$user" || true
done

echo
if [ -t 0 ]; then
  echo "The demo site is up. Try it yourself from the laptop's namespace, e.g.:"
  echo "  sudo SITESIM_PREFIX=$SITESIM_PREFIX $sitesim exec agent $sitelink discover --interface eth0"
  echo "Press Ctrl-C to tear it down."
  while sleep 3600; do :; done
fi
