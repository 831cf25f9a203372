#!/bin/bash
# The browser wizard end to end on a simulated job site (tests/wizard/e2e.mjs): brings the site up,
# runs `sitelink serve` and the browser test INSIDE the site's agent namespace (neither the browser,
# nor node, nor the server ever sends on the host's network), then tears everything down.
#
#   run_e2e.sh SOURCE_DIR BUILD_DIR OUT_DIR
#
# OUT_DIR gets the screenshots (one per step), the decoded QR image, the bundle, serve.log and the
# site database. Fails, saying what is missing, without root, chromium, zbarimg or node
# (packaging/install-deps.sh installs them). playwright-core comes
# from the lockfile (npm ci: from the npm cache, else from the registry) into BUILD_DIR/tests/wizard/node.
# SITESIM_PREFIX picks the namespace prefix (default: slw + a number from the PID).
set -uo pipefail

src=${1:?usage: run_e2e.sh SOURCE_DIR BUILD_DIR OUT_DIR}
build=${2:?usage: run_e2e.sh SOURCE_DIR BUILD_DIR OUT_DIR}
out=${3:?usage: run_e2e.sh SOURCE_DIR BUILD_DIR OUT_DIR}
src=$(realpath "$src")
build=$(realpath "$build")
mkdir -p "$out" && out=$(realpath "$out")

missing() { echo "FAIL: $* (packaging/install-deps.sh installs what the test needs)"; exit 1; }
[ "$(id -u)" = 0 ] || missing "needs root (network namespaces)"
chromium=${WIZARD_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || missing "no chromium at $chromium (apt install chromium)"
for tool in zbarimg node npm; do command -v "$tool" >/dev/null || missing "no $tool"; done
[ -x "$build/agent/sitelink" ] || { echo "FAIL: no $build/agent/sitelink"; exit 1; }

# playwright-core, exactly as locked; installed again only when the lockfile changes.
node_dir=$build/tests/wizard/node
mkdir -p "$node_dir"
if ! cmp -s "$src/tests/wizard/package-lock.json" "$node_dir/package-lock.json" || [ ! -d "$node_dir/node_modules/playwright-core" ]; then
    cp "$src/tests/wizard/package.json" "$src/tests/wizard/package-lock.json" "$node_dir/"
    (cd "$node_dir" && { npm ci --offline --ignore-scripts --no-audit --no-fund >npm.log 2>&1 ||
        npm ci --ignore-scripts --no-audit --no-fund >>npm.log 2>&1; }) || { cat "$node_dir/npm.log"; echo "FAIL: npm ci"; exit 1; }
fi

export SITESIM_PREFIX=${SITESIM_PREFIX:-slw$(($$ % 1000))}
export SITESIM_BUILD_DIR=${SITESIM_BUILD_DIR:-$build}
sitesim=$src/tests/site/sitesim
port=${WIZARD_PORT:-8080}
data=$out/data
rm -rf "$out"/*.png "$out"/bundle.zip "$data"
mkdir -p "$data"

server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM -- "-$server_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$server_pid" 2>/dev/null
    fi
    "$sitesim" down >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$sitesim" up >"$out/sitesim-up.log" 2>&1 || { tail -20 "$out/sitesim-up.log"; echo "FAIL: sitesim up"; exit 1; }
while IFS='=' read -r name value; do
    [[ $name == SITESIM_* ]] && export "$name=$value"
done < <("$sitesim" env)

# The server in the agent's namespace, in a process group of its own (stopped by that group's id).
setsid "$sitesim" exec agent env SITELINK_DATA_DIR="$data" SITELINK_PROBE_TOKEN="$SITESIM_PROBE_TOKEN" \
    "$build/agent/sitelink" serve --port "$port" --interface "$SITESIM_AGENT_IF" \
    --ip-echo "$SITESIM_WHATISMYIP_URL" --resolver "$SITESIM_RESOLVER" \
    --probe "$SITESIM_PROBE_URL" --probe-ca "$SITESIM_PROBE_CA" >"$out/serve.log" 2>&1 &
server_pid=$!
url=http://127.0.0.1:$port/
ready=
for _ in $(seq 100); do
    if "$sitesim" exec agent curl -sf -o /dev/null "${url}api/info" 2>/dev/null; then ready=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
[ -n "$ready" ] || { cat "$out/serve.log"; echo "FAIL: sitelink serve did not answer at $url"; exit 1; }

"$sitesim" exec agent env WIZARD_URL="$url" WIZARD_OUT="$out" WIZARD_NODE_DIR="$node_dir" WIZARD_CHROMIUM="$chromium" \
    SITESIM_DEVICES_JSON="$SITESIM_DEVICES_JSON" SITESIM_AGENT_IF="$SITESIM_AGENT_IF" SITESIM_FAR_SUBNET="$SITESIM_FAR_SUBNET" \
    SITESIM_WAN_HOST="$SITESIM_WAN_HOST" SITESIM_DYNDNS_USER="$SITESIM_DYNDNS_USER" \
    SITESIM_DYNDNS_PASSWORD="$SITESIM_DYNDNS_PASSWORD" HOME="$out/home" \
    node "$src/tests/wizard/e2e.mjs"
status=$?
[ $status = 0 ] || { echo "--- serve.log (last 40 lines)"; tail -40 "$out/serve.log"; }
exit $status
