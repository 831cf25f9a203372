#!/bin/bash
# Checks a built Sitelink .deb: its files, control fields and maintainer scripts, lintian; the
# package unpacked into a throw-away folder (dpkg -x): every library found, the binary runs, the
# profiles load, the man page renders, the units verify and are sandboxed; and dpkg installing,
# upgrading, removing and purging it in a throw-away root, keeping settings and site data. Used by
# `packaging/run.sh package` and the `packaging` test. Run it as root on a machine of the
# package's architecture.
#   packaging/check-deb.sh sitelink_VERSION-REV_ARCH.deb
# Prints `ok:` or `FAIL:` for each rule and exits 1 if any failed.
set -uo pipefail
[ $# -eq 1 ] && [ -f "$1" ] || { sed -n '8p' "$0" >&2; exit 2; }
deb=$(realpath "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^project(sitelink VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
sitelink=$root/usr/bin/sitelink

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION CODE: passes when the shell code succeeds
  if eval "$2"; then pass "$1"; else fail "$1"; fi
}

# --- contents: exactly these files, nothing from /var (site data is never shipped) or the build tree
expected_files() {
  printf '%s\n' ./usr/bin/sitelink ./usr/share/man/man1/sitelink.1.gz \
    ./lib/systemd/system/sitelink-keeper@.service ./lib/systemd/system/sitelink-probe-server.service \
    ./etc/sitelink/probe-server.conf \
    ./usr/share/doc/sitelink/copyright ./usr/share/doc/sitelink/changelog.Debian.gz ./usr/share/doc/sitelink/README.md \
    ./usr/share/lintian/overrides/sitelink
  (cd "$repo/profiles" && find . -type f | sed 's|^\.|./usr/share/sitelink/profiles|')
}
dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sort >"$work/files"
expected_files | sort >"$work/expected"
if diff -u "$work/expected" "$work/files" >"$work/files.diff"; then
  pass "the package holds exactly the binary, man page, units, config, docs and every profile"
else
  fail "package contents differ from what is expected (- missing, + unexpected):"; sed -n '3,$p' "$work/files.diff"
fi

# --- control fields
field() { dpkg-deb --field "$deb" "$1"; }
check "Package is sitelink" '[ "$(field Package)" = sitelink ]'
check "Version $(field Version) is the project's $version with a Debian revision" \
  '[[ $(field Version) =~ ^${version//./\\.}-[0-9]+$ ]]'
check "Architecture is $arch" '[ "$(field Architecture)" = "$arch" ]'
check "Section is net" '[ "$(field Section)" = net ]'
check "Maintainer is set" '[ -n "$(field Maintainer)" ]'
check "Description has a summary and a long description" '[ "$(field Description | wc -l)" -gt 2 ]'

dpkg-deb --control "$deb" "$work/control"
conffiles=$(cat "$work/control/conffiles" 2>/dev/null)
etc_files=$(sed -n 's|^\./etc/|/etc/|p' "$work/files")
check "every file under /etc is a conffile (kept on upgrade): $(echo $conffiles)" \
  '[ -n "$etc_files" ] && [ "$(sort <<<"$conffiles")" = "$(sort <<<"$etc_files")" ]'
# Only the administrator enables or starts a service; the scripts may reload systemd, restart what
# already runs, and stop services on removal.
scripts=$(cat "$work"/control/{preinst,postinst,prerm,postrm} 2>/dev/null | grep -v '^[[:space:]]*#')
check "no maintainer script enables or starts a service" '! grep -Ew "enable|start|deb-systemd-helper" <<<"$scripts"'


# --- lintian: no errors (warnings are printed, not failed)
lintian_out=$(lintian --tag-display-limit 0 "$deb" 2>&1)
[ -z "$lintian_out" ] || sed 's/^/  lintian: /' <<<"$lintian_out"
check "lintian reports no errors" '! grep -q "^E: " <<<"$lintian_out"'


# --- the throw-away root
dpkg -x "$deb" "$root"
ldd "$sitelink" >"$work/ldd" 2>&1
check "ldd finds every library the binary needs" '! grep "not found" "$work/ldd" && grep -q "=> /" "$work/ldd"'
check "the binary is stripped" '! readelf -S "$sitelink" | grep -Eq "\.(symtab|debug_info)"'

# Every library the binary links comes from a package listed in Depends: the package that holds
# it in this architecture's library folder (/lib or /usr/lib), as dpkg records it.
depends=$(field Depends)
depends_names=$(tr ',|' '\n\n' <<<"$depends" | awk '{ print $1 }')
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for library in $(readelf -d "$sitelink" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  owner=$(dpkg -S "*/$library" 2>/dev/null |
    awk -F': ' -v a="/lib/$multiarch/$library" -v b="/usr/lib/$multiarch/$library" '$2 == a || $2 == b { sub(/:.*/, "", $1); print $1; exit }')
  if [ -z "$owner" ]; then
    fail "$library: no installed package holds it"
  elif grep -qxF "$owner" <<<"$depends_names"; then
    pass "$library: its package $owner is in Depends"
  else
    fail "$library: its package $owner is not in Depends ($depends)"
  fi
done

# HOME and the data folder in the throw-away folder: nothing here may touch the machine's own sites.
# run PROFILES ARGS...: the unpacked binary, with SITELINK_PROFILES=PROFILES, or unset if empty
run() {
  local profiles=(-u SITELINK_PROFILES)
  [ -z "$1" ] || profiles=(SITELINK_PROFILES="$1")
  env "${profiles[@]}" HOME="$work/home" SITELINK_DATA_DIR="$work/data" "$sitelink" "${@:2}" 2>&1
}
check "sitelink --version prints 'sitelink $version'" '[ "$(run "" --version)" = "sitelink $version" ]'
check "sitelink demo --help works" 'out=$(run "" demo --help) && grep -q "^Usage: sitelink demo" <<<"$out"'
check "the packaged profiles load (sitelink ddns providers)" \
  'out=$(run "$root/usr/share/sitelink/profiles" ddns providers) && grep -q "^duckdns " <<<"$out"'
# The binary's own default is where the package puts the profiles: it finds them there (the package
# is installed on this machine) or, exiting 4, names that folder.
if [ -d /usr/share/sitelink/profiles ]; then
  check "without SITELINK_PROFILES the installed profiles load" 'run "" ddns providers >/dev/null'
else
  check "without SITELINK_PROFILES it looks in /usr/share/sitelink/profiles" \
    'out=$(run "" ddns providers); [ $? = 4 ] && grep -q " /usr/share/sitelink/profiles/" <<<"$out"'
fi

man_page=$root/usr/share/man/man1/sitelink.1.gz
man_warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$man_page" 2>&1 >/dev/null)
check "man renders the man page without warnings" '[ -z "$man_warnings" ]'
[ -z "$man_warnings" ] || echo "$man_warnings"
for command in $(run "" --help | awk '/^Subcommands:$/ { on = 1; next } on && /^  [^ ]/ { print $1 }'); do
  check "the man page describes sitelink $command" 'zgrep -qF ".SS \"sitelink ${command//-/\\-} " "$man_page"'
done

# --- the units: systemd's own parser, and its exposure score for the sandboxing
units=$root/lib/systemd/system
if command -v systemd-analyze >/dev/null; then
  # ExecStart must exist to verify, so the copies point at the unpacked binary; the template is
  # verified as an instance. systemd-analyze exits 0 on keys it ignores, so any output fails.
  mkdir "$work/units"
  sed "s|/usr/bin/sitelink|$sitelink|g" "$units/sitelink-keeper@.service" >"$work/units/sitelink-keeper@check.service"
  sed "s|/usr/bin/sitelink|$sitelink|g" "$units/sitelink-probe-server.service" >"$work/units/sitelink-probe-server.service"
  for unit in "$work"/units/*.service; do
    out=$(systemd-analyze verify --man=no "$unit" 2>&1)
    check "systemd-analyze verify $(basename "$unit")" '[ -z "$out" ]'
    [ -z "$out" ] || echo "$out"
  done
  # The sandbox, scored by systemd (0 safest, 10 unconfined): the keeper runs as root without
  # capabilities, the probe server as a throw-away user.
  for limit in "sitelink-keeper@check.service 2.0" "sitelink-probe-server.service 1.5"; do
    read -r unit most <<<"$limit"
    score=$(systemd-analyze security --offline=yes --no-pager "$work/units/$unit" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    check "$unit exposure ${score:-unknown} is at most $most (systemd-analyze security)" \
      '[ -n "$score" ] && awk -v s="$score" -v m="$most" "BEGIN { exit !(s <= m) }"'
  done
else
  echo "SKIPPED: systemd-analyze is not installed here: the units were not verified (install systemd)"
fi
# --- install, upgrade, remove and purge with dpkg, into a throw-away root with its own database.
# The maintainer scripts run outside it with DPKG_ROOT set, so they leave this machine's systemd
# alone; the libraries are this machine's, hence --force-depends.
target=$work/target
mkdir -p "$target/var/lib/dpkg/info" "$target/var/lib/dpkg/updates"
touch "$target/var/lib/dpkg/status" "$target/var/lib/dpkg/available"
dpkg_into_target() { dpkg --root="$target" --force-script-chrootless --force-depends --log=/dev/null "$@" >>"$work/dpkg.log" 2>&1; }
# The next release: the same files under a higher Debian revision.
dpkg-deb --raw-extract "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $(field Version)+1/" "$work/next/DEBIAN/control"
dpkg-deb --build --root-owner-group "$work/next" "$work/next.deb" >/dev/null
conf=$target/etc/sitelink/probe-server.conf
site=$target/var/lib/sitelink/sites/smith.db
secret_key=$target/var/lib/sitelink/secret.key
failures_before=$failures
check "dpkg installs it" 'dpkg_into_target --install "$deb" && [ -x "$target/usr/bin/sitelink" ] && [ -f "$conf" ]'
echo 'PROBE_SERVER_ARGS="--port 9443"' >>"$conf"  # the administrator's edit
mkdir -p "$(dirname "$site")" && echo "journal of site smith" >"$site" && echo "a key" >"$secret_key"
check "an upgrade keeps the edited /etc/sitelink/probe-server.conf" \
  'dpkg_into_target --install "$work/next.deb" && grep -q -- "--port 9443" "$conf"'
check "an upgrade leaves site databases and secret.key alone" \
  '[ "$(cat "$site")" = "journal of site smith" ] && [ "$(cat "$secret_key")" = "a key" ]'
check "removing it keeps the settings and site databases" \
  'dpkg_into_target --remove sitelink && [ ! -e "$target/usr/bin/sitelink" ] && [ -f "$conf" ] && [ -f "$site" ]'
check "purging it deletes the settings, not site databases or secret.key" \
  'dpkg_into_target --purge sitelink && [ ! -e "$conf" ] && [ -f "$site" ] && [ -f "$secret_key" ]'
[ "$failures" = "$failures_before" ] || sed 's/^/  dpkg: /' "$work/dpkg.log"

if [ "$failures" -gt 0 ]; then
  echo "check-deb: $failures check(s) failed for $deb"
  exit 1
fi
echo "check-deb: every check passed for $deb"
