#!/bin/bash
# The demo: a simulated job site (cameras, an NVR, a router, the internet) in network namespaces,
# and Sitelink's browser wizard on it. `sitelink serve` runs on the installer's laptop (the site's
# "agent" namespace); socat carries 127.0.0.1:PORT of this machine into it, so a browser here opens
# the wizard, and the wizard's traffic stays inside the site. Ctrl-C or exit tears it all down;
# every run uses its own namespace prefix, so two demos on one machine do not collide.
# Needs root, socat and a build (packaging/run.sh demo does all three).
#   SITELINK_DEMO_PORT=8080   the port on 127.0.0.1 (and inside the laptop's namespace)
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "demo: needs root, to create network namespaces; try: sudo $0" >&2; exit 4; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${SITESIM_BUILD_DIR:-${BUILD_DIR:-$repo/build}}
sitelink=$build/agent/sitelink
port=${SITELINK_DEMO_PORT:-8080}
[ -x "$sitelink" ] || { echo "demo: $sitelink is not built; run: sudo packaging/run.sh demo" >&2; exit 4; }
command -v socat >/dev/null || { echo "demo: needs socat (packaging/install-deps.sh installs it)" >&2; exit 4; }
export SITESIM_PREFIX=${SITESIM_PREFIX:-sldemo$$} SITESIM_BUILD_DIR=$build
sitesim=$repo/tests/site/sitesim

pids=()
# The output may be a closed pipe by now (demo | head): ignore SIGPIPE, and let the teardown
# itself write nowhere, so it always finishes.
teardown() {
  trap - EXIT INT TERM HUP
  trap "" PIPE
  { echo; echo "Tearing the demo site down..."; } 2>/dev/null || true
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  "$sitesim" down >/dev/null 2>&1 || echo "demo: teardown failed; run: sudo SITESIM_PREFIX=$SITESIM_PREFIX $sitesim down" >&2
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP PIPE

echo "Building the simulated site ($SITESIM_PREFIX)..."
"$sitesim" up
eval "$("$sitesim" env)"

# The wizard on the laptop, told how the simulated internet answers "what is my IP", which
# resolver is public there, and where the probe server is; its sites live with the demo.
data=$SITESIM_STATE/sitelink-data
log=$SITESIM_STATE/serve.log
SITELINK_DATA_DIR=$data SITELINK_PROBE_TOKEN=$SITESIM_PROBE_TOKEN "$sitesim" exec agent "$sitelink" serve \
  --listen 127.0.0.1 --port "$port" --interface "$SITESIM_AGENT_IF" --ip-echo "$SITESIM_WHATISMYIP_URL" \
  --resolver "$SITESIM_RESOLVER" --probe "$SITESIM_PROBE_URL" --probe-ca "$SITESIM_PROBE_CA" >"$log" 2>&1 &
pids+=($!)
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
  "EXEC:ip netns exec $SITESIM_PREFIX-agent socat STDIO TCP\:127.0.0.1\:$port" 2>>"$log" &
pids+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/api/info" && break
  sleep 0.1
done
curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/api/info" ||
  { echo "demo: the wizard did not start; its log:" >&2; cat "$log" >&2; exit 1; }

cat <<INFO

The wizard is up: open http://127.0.0.1:$port/ in a browser on this machine.

What the installer would read off the devices' stickers and the customer's accounts:
INFO
python3 - "$SITESIM_DEVICES_JSON" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1])):
    print(f"  {d['address']:<16} {d['manufacturer']:<14} user {d['username']:<8} password {d['password']}")
PY
cat <<INFO
  DDNS: provider "Any dyndns2-compatible service", name shop.site.example.test, user $SITESIM_DYNDNS_USER,
        password $SITESIM_DYNDNS_PASSWORD, server (advanced) http://$SITESIM_WAN_HOST
  The far camera's subnet, for Discover's sweep: $SITESIM_FAR_SUBNET
INFO
if [ -t 0 ]; then
  echo "Press Ctrl-C to tear it down."
  wait "${pids[0]}"
fi
