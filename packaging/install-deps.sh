#!/bin/bash
# Installs every Debian 12 package Sitelink needs to build, test, package and run its demo site.
# Used by both README commands. Safe to repeat. Needs root.
#
#   packaging/install-deps.sh            build + demo + test + package dependencies
#
# Daemons shipped by these packages (avahi, bind9, miniupnpd, dnsmasq) must never start in the
# host's own network namespace: while installing, a policy-rc.d that refuses every start is in place.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root (apt-get needs it)" >&2; exit 4; }

build_pkgs=(
  build-essential cmake pkg-config git
  libcpp-httplib-dev nlohmann-json3-dev gsoap libgsoap-dev libssl-dev zlib1g-dev
  libavahi-compat-libdnssd-dev libminiupnpc-dev libnatpmp-dev libqrencode-dev
  libsqlite3-dev libsodium-dev libldns-dev libpng-dev libjpeg62-turbo-dev libarchive-dev libgtest-dev libgmock-dev libcli11-dev libspdlog-dev libfmt-dev
  clang libclang-rt-14-dev
)
site_pkgs=(
  iproute2 nftables iptables miniupnpd miniupnpd-nftables miniupnpc natpmpc
  avahi-daemon avahi-utils dbus bind9 bind9-utils bind9-dnsutils dnsmasq-base
  curl netcat-openbsd iputils-ping procps python3 util-linux udhcpc openssl zbar-tools socat
)
# The wizard's browser test: Debian's chromium, driven by playwright-core (tests/wizard, from npm).
# A Node.js that ships its own npm (NodeSource's) conflicts with Debian's npm package: npm only when missing.
browser_pkgs=(chromium nodejs)
command -v npm >/dev/null || browser_pkgs+=(npm)

# `run.sh package` and the packaging test: CPack's dpkg-shlibdeps and dpkg-architecture, `file` for
# CPack, lintian, man for the man page check, systemd-analyze for the units.
package_pkgs=(dpkg-dev file binutils lintian man-db systemd)

# The simulated router's hairpin-NAT variant needs the iptables flavour of miniupnpd, whose package
# conflicts with miniupnpd-nftables: only its files are unpacked, into the site simulator's cache.
hairpin_cache=${SITESIM_CACHE:-/var/cache/sitesim}/miniupnpd-iptables

need=()
for p in "${build_pkgs[@]}" "${site_pkgs[@]}" "${package_pkgs[@]}" "${browser_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ] && [ -x "$hairpin_cache/usr/sbin/miniupnpd" ]; then
  echo "install-deps: all packages present"; exit 0
fi

created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
[ ${#need[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${need[@]}"

if [ ! -x "$hairpin_cache/usr/sbin/miniupnpd" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q miniupnpd-iptables && dpkg -x miniupnpd-iptables_*.deb x)
  mkdir -p "$(dirname "$hairpin_cache")"; rm -rf "$hairpin_cache"; mv "$tmp/x" "$hairpin_cache"; rm -rf "$tmp"
fi
