#!/bin/bash
# Installs every Debian 12 package Sitelink needs to build, test and run its demo site.
# Used by both README commands. Safe to repeat. Needs root.
#
#   packaging/install-deps.sh            build + demo + test dependencies
#
# Daemons shipped by these packages (avahi, bind9, miniupnpd, dnsmasq) must never start in the
# host's own network namespace: while installing, a policy-rc.d that refuses every start is in place.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root (apt-get needs it)" >&2; exit 4; }

build_pkgs=(
  build-essential cmake pkg-config git
  libcpp-httplib-dev nlohmann-json3-dev gsoap libgsoap-dev libssl-dev zlib1g-dev
  libavahi-compat-libdnssd-dev libminiupnpc-dev libnatpmp-dev libqrencode-dev
  libsqlite3-dev libsodium-dev libgtest-dev libgmock-dev libcli11-dev libspdlog-dev libfmt-dev
  clang libclang-rt-14-dev
)
site_pkgs=(
  iproute2 nftables iptables miniupnpd miniupnpd-nftables miniupnpc natpmpc
  avahi-daemon avahi-utils dbus bind9 bind9-utils bind9-dnsutils dnsmasq-base
  curl netcat-openbsd iputils-ping procps python3 util-linux
)

need=()
for p in "${build_pkgs[@]}" "${site_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then echo "install-deps: all packages present"; exit 0; fi

created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
