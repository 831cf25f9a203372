#!/bin/bash
# selftest.sh - proves every part of the simulated job site (tests/site/sitesim) with real clients.
#
# Brings up six sites side by side with unique prefixes (main full site, secure mode, CGNAT, lan
# profile, hairpin, double NAT), runs the checks, tears everything down (also on failure or
# interrupt) and ends with the line "N passed, M failed"; exit status 1 on any failure. Needs root.
# ~20-30 s.
#
# Environment: SITESIM_BUILD_DIR (where sitesim-wan, sitelink-simcam and agent/sitelink were built; CTest sets it),
# SITELINK_SIMCAM / SITESIM_WAN_BIN / SITESIM_SITELINK to override the binaries, SELFTEST_PREFIX to choose
# the prefix base.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIM=$HERE/sitesim
PROBES=$HERE/probes.py
SITELINK=${SITESIM_SITELINK:-${SITESIM_BUILD_DIR:-$HERE/../../build}/agent/sitelink}
BASE=${SELFTEST_PREFIX:-st$(($$ % 100000))}
A=${BASE}a; B=${BASE}b; C=${BASE}c; D=${BASE}d; E=${BASE}e; F=${BASE}f
SITES="$A $B $C $D $E $F"
TMP=$(mktemp -d /tmp/sitesim-selftest.XXXXXX)
pass=0; fail=0

if [ "$(id -u)" != 0 ]; then echo "selftest: needs root (network namespaces)"; echo "0 passed, 1 failed"; exit 1; fi

teardown() {
    local p
    for p in $SITES; do SITESIM_PREFIX=$p "$SIM" down >/dev/null 2>&1; done
}
finish() {
    teardown
    rm -rf "$TMP"
}
trap finish EXIT
trap 'exit 130' INT TERM

check() { # check NAME CMD...   (CMD runs in a subshell; its output is shown on failure)
    local name=$1; shift
    local t0 out ms
    t0=$(date +%s%N)
    if out=$("$@" 2>&1); then
        pass=$((pass + 1)); ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        printf 'PASS %-58s %5d ms\n' "$name" "$ms"
    else
        fail=$((fail + 1)); ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        printf 'FAIL %-58s %5d ms\n' "$name" "$ms"
        printf '%s\n' "$out" | tail -n 8 | sed 's/^/       | /'
    fi
}

sx() { local p=$1; shift; SITESIM_PREFIX=$p "$SIM" exec "$@"; }     # sx SITE HOST CMD...
envof() { SITESIM_PREFIX=$1 "$SIM" env | sed -n "s/^$2=//p"; }         # envof SITE KEY
listen_once() { # listen_once SITE HOST PORT TEXT: a one-shot TCP server for ~6 s, in the background
    (SITESIM_PREFIX=$1 timeout 6 "$SIM" exec "$2" sh -c "echo $4 | nc -l $3" >/dev/null 2>&1 &)
    sleep 0.3
}
reach() { # reach SITE HOST IP PORT TEXT: connect and expect TEXT
    sx "$1" "$2" nc -w 2 "$3" "$4" </dev/null | grep -qx "$5"
}

# ------------------------------------------------------------------ bring up (in parallel)
t_up=$(date +%s%N)
SITESIM_PREFIX=$A "$SIM" up >"$TMP/up-$A.log" 2>&1 & pa=$!
SITESIM_PREFIX=$B SITESIM_SECURE_MODE=yes SITESIM_CAMERAS=1 "$SIM" up >"$TMP/up-$B.log" 2>&1 & pb=$!
SITESIM_PREFIX=$C SITESIM_NAT=cgnat SITESIM_CAMERAS=1 "$SIM" up >"$TMP/up-$C.log" 2>&1 & pc=$!
SITESIM_PREFIX=$D SITESIM_PROFILE=lan "$SIM" up >"$TMP/up-$D.log" 2>&1 & pd=$!
SITESIM_PREFIX=$E SITESIM_HAIRPIN=1 SITESIM_CAMERAS=1 "$SIM" up >"$TMP/up-$E.log" 2>&1 & pe=$!
SITESIM_PREFIX=$F SITESIM_NAT=double SITESIM_CAMERAS=1 "$SIM" up >"$TMP/up-$F.log" 2>&1 & pf=$!
for p in $pa $pb $pc $pd $pe $pf; do wait $p; echo $? >"$TMP/rc-$p"; done
up_ok() { local rc; rc=$(cat "$TMP/rc-$1"); [ "$rc" = 0 ] || cat "$2"; [ "$rc" = 0 ]; }
check "up: full site ($A)" up_ok $pa "$TMP/up-$A.log"
check "up: secure mode site ($B)" up_ok $pb "$TMP/up-$B.log"
check "up: cgnat site ($C)" up_ok $pc "$TMP/up-$C.log"
check "up: lan profile site ($D)" up_ok $pd "$TMP/up-$D.log"
check "up: hairpin (iptables miniupnpd) site ($E)" up_ok $pe "$TMP/up-$E.log"
check "up: double NAT site ($F)" up_ok $pf "$TMP/up-$F.log"
if [ "$(cat "$TMP/rc-$pa")" != 0 ]; then
    echo "selftest: the main site did not come up; skipping the remaining checks"
    echo "$pass passed, $fail failed"; exit 1
fi
echo "     (6 sites up side by side in $(( ($(date +%s%N) - t_up) / 1000000 )) ms)"

IGD=$(envof $A SITESIM_IGD_DESC); PUB=$(envof $A SITESIM_PUBLIC_IP); WANH=$(envof $A SITESIM_WAN_HOST); GW=$(envof $A SITESIM_LAN_GW)
ZONE=$(envof $A SITESIM_ZONE); KEY=$(envof $A SITESIM_TSIG_KEYFILE); DEVS=$(envof $A SITESIM_DEVICES_JSON)
DDNS=$(envof $A SITESIM_DYNDNS_URL); DCTL=$(envof $A SITESIM_DYNDNS_CONTROL_URL)
DUSER=$(envof $A SITESIM_DYNDNS_USER):$(envof $A SITESIM_DYNDNS_PASSWORD)
AGENT_IP=$(envof $A SITESIM_AGENT_IP); PHONE=$(envof $A SITESIM_PHONE_IP)
devfield() { /usr/bin/python3 -c "import json,sys; print([d[sys.argv[3]] for d in json.load(open(sys.argv[1])) if d['host']==sys.argv[2]][0])" "$1" "$2" "$3"; }
devip() { devfield "$1" "$2" address; }
CAM1=$(devip "$DEVS" cam1 2>/dev/null); FAR1=$(devip "$DEVS" far1 2>/dev/null)

# ------------------------------------------------------------------ env contract
check "env: agent ns, subnet, devices.json, IGD, TSIG key" sh -c "
    [ '$(envof $A SITESIM_NS_AGENT)' = '$A-agent' ] && [ -n '$PUB' ] && [ -f '$DEVS' ] && [ -f '$KEY' ] &&
    [ '$(envof $A SITESIM_IGD_DESC)' = 'http://$GW:5000/rootDesc.xml' ] && [ '$(envof $A SITESIM_AGENT_IF)' = eth0 ]"
check "devices.json: 6 devices, NVR 8 channels, only cam4 DHCP" /usr/bin/python3 -c "
import json,sys; d=json.load(open('$DEVS')); n=[x for x in d if x['host']=='nvr1'][0]
assert len(d)==6 and n['profiles']==16 and len({x['mac'] for x in d})==6, d
assert [x['host'] for x in d if x['dhcp'] is True] == ['cam4'] and all(x['dhcp'] is False for x in d if x['host'] != 'cam4'), d"

# ------------------------------------------------------------------ routing, NAT, DHCP, DNS
check "ping agent -> internet through NAT" sx $A agent ping -c1 -W2 "$WANH"
check "whatismyip from agent = router public IP" sh -c "[ \"\$(SITESIM_PREFIX=$A $SIM exec agent curl -sS -m3 $(envof $A SITESIM_WHATISMYIP_URL))\" = '$PUB' ]"
check "whatismyip from phone = phone IP" sh -c "[ \"\$(SITESIM_PREFIX=$A $SIM exec phone curl -sS -m3 http://$WANH/ip)\" = '$PHONE' ]"
check "DHCP offer from the router in the pool" sh -c "SITESIM_PREFIX=$A $SIM exec agent $PROBES dhcp eth0 3 | grep -E '^offer 192\.168\.77\.1[0-9][0-9] server $GW\$'"
CAM4=$(devip "$DEVS" cam4 2>/dev/null); CAM4MAC=$(devfield "$DEVS" cam4 mac 2>/dev/null)
check "DHCP cam4: pool address, in dnsmasq's leases with its MAC" sh -c "
    echo 'cam4 $CAM4 $CAM4MAC'; echo '$CAM4' | grep -Eq '^192\.168\.77\.1[0-9][0-9]\$' &&
    grep -E '^[0-9]+ $CAM4MAC $CAM4 ' '$(envof $A SITESIM_DHCP_LEASES)' &&
    SITESIM_PREFIX=$A $SIM exec cam4 ip -br link show eth0 | grep -q ' $CAM4MAC ' &&
    SITESIM_PREFIX=$A $SIM exec cam4 ip -4 -o addr show dev eth0 | grep -q ' $CAM4/24 '"
inspect_cam4() {
    local user pass
    user=$(devfield "$DEVS" cam4 username) && pass=$(devfield "$DEVS" cam4 password) || return 1
    [ -x "$SITELINK" ] || { echo "no $SITELINK (build target sitelink)"; return 1; }
    SITESIM_PREFIX=$A SITELINK_PASSWORD=$pass "$SIM" exec agent "$SITELINK" inspect "$CAM4" --user "$user" --json \
        >"$TMP/cam4.json" || return 1
    /usr/bin/python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['network']; print(n)
assert n['dhcp'] is True and n['address'] == sys.argv[2], n" "$TMP/cam4.json" "$CAM4"
}
check "sitelink inspect cam4: dhcp true, the leased address" inspect_cam4
check "agent resolves dyndns.$ZONE via the router's DNS" sh -c "SITESIM_PREFIX=$A $SIM exec agent getent hosts dyndns.$ZONE | grep -q '^$WANH '"

# ------------------------------------------------------------------ UPnP IGD + NAT-PMP
check "upnpc -s: valid IGD, ExternalIPAddress = public IP" sh -c "SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -s | grep -x 'ExternalIPAddress = $PUB'"
check "upnpc -a cam1:8555 -> 18080 (secure_mode=no)" sh -c "SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -e sitesim-test -a $CAM1 8555 18080 TCP | grep 'is redirected to internal $CAM1:8555'"
listen_once $A cam1 8555 hello-cam1
check "phone -> public:18080 reaches cam1" reach $A phone "$PUB" 18080 hello-cam1
listen_once $A cam1 8555 hello-cam1
check "no hairpin (nft): agent -> public:18080 fails" sh -c "! SITESIM_PREFIX=$A $SIM exec agent nc -z -w 1 $PUB 18080"
check "upnpc -l lists the mapping" sh -c "SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -l | grep -E '18080->$CAM1:8555'"
check "upnpc -d removes it; phone can no longer connect" sh -c "
    SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -d 18080 TCP >/dev/null; ! SITESIM_PREFIX=$A $SIM exec phone nc -z -w 1 $PUB 18080"
check "natpmpc: public address" sh -c "SITESIM_PREFIX=$A $SIM exec agent natpmpc -g $GW | grep 'Public IP address : $PUB'"
check "natpmpc: map 18081 -> agent:8081" sh -c "SITESIM_PREFIX=$A $SIM exec agent natpmpc -g $GW -a 18081 8081 tcp 60 | grep 'Mapped public port 18081'"
listen_once $A agent 8081 hello-agent
check "phone -> public:18081 reaches the agent (NAT-PMP)" reach $A phone "$PUB" 18081 hello-agent
check "router-restart loses mappings" sh -c "
    SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -e keep -a $CAM1 8556 18082 TCP >/dev/null &&
    SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -l | grep -q '18082->' &&
    SITESIM_PREFIX=$A $SIM router-restart &&
    SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -l >$TMP/l.txt && grep -q 'ExternalIPAddress = $PUB' $TMP/l.txt &&
    ! grep -E '1808[12]->' $TMP/l.txt"

# ------------------------------------------------------------------ DNS: RFC 2136 + dyndns2
check "nsupdate -k TSIG from agent (through NAT)" sh -c "
    printf 'server $WANH\nzone $ZONE\nupdate delete t1.$ZONE. A\nupdate add t1.$ZONE. 60 A 172.32.77.99\nsend\n' |
    SITESIM_PREFIX=$A $SIM exec agent nsupdate -t 3 -k $KEY"
check "dig from phone sees the TSIG update" sh -c "[ \"\$(SITESIM_PREFIX=$A $SIM exec phone dig +short @$WANH t1.$ZONE A)\" = 172.32.77.99 ]"
check "unsigned nsupdate is refused" sh -c "
    ! printf 'server $WANH\nzone $ZONE\nupdate add t2.$ZONE. 60 A 1.2.3.4\nsend\n' | SITESIM_PREFIX=$A $SIM exec agent nsupdate -t 3"
ddns() { sx $A agent curl -sS -m 5 -u "${2:-$DUSER}" "$DDNS?hostname=$1${3:+&myip=$3}"; }   # HOSTS [CRED] [MYIP]
ddns_is() { # ddns_is EXPECTED(comma-joined lines) HOSTS [CRED] [MYIP]
    local got; got=$(ddns "$2" "${3:-}" "${4:-}" | paste -sd,); echo "got: $got"; [ "$got" = "$1" ]; }
dctl() { sx $A agent curl -sS -m 3 -d '' "$DCTL/$1"; }   # POST with an empty body
check "dyndns2 good (myip from source address)" ddns_is "good $PUB" site1.$ZONE
check "dyndns2 nochg" ddns_is "nochg $PUB" site1.$ZONE
check "dyndns2 update visible to dig from the phone" sh -c "[ \"\$(SITESIM_PREFIX=$A $SIM exec phone dig +short site1.$ZONE A)\" = '$PUB' ]"
check "dyndns2 good with explicit myip, two hosts" ddns_is "good 172.32.77.77,good 172.32.77.77" site2.$ZONE,site3.$ZONE "" 172.32.77.77
check "dyndns2 badauth (HTTP 401)" sh -c "SITESIM_PREFIX=$A $SIM exec agent curl -sS -m3 -u installer:wrong -o $TMP/ba.txt -w '%{http_code}' '$DDNS?hostname=site1.$ZONE' | grep -x 401 && grep -x badauth $TMP/ba.txt"
check "dyndns2 nohost (outside the zone)" ddns_is nohost other.example.org
check "dyndns2 notfqdn" ddns_is notfqdn localhost
check "dyndns2 forced per host: force-abuse, force-911, force-dnserr" ddns_is abuse,911,dnserr force-abuse.$ZONE,force-911.$ZONE,force-dnserr.$ZONE
forced_once() {
    dctl 'force?code=911&count=1' | grep -q forcing && ddns_is 911 site1.$ZONE && ddns_is "nochg $PUB" site1.$ZONE
}
check "dyndns2 forced by control endpoint: 911 once, then normal" forced_once
nochg_abuse() {
    dctl reset >/dev/null && dctl 'config?nochg_abuse=2' >/dev/null &&
    ddns_is "nochg $PUB" site1.$ZONE && ddns_is abuse site1.$ZONE &&
    dctl reset >/dev/null && dctl 'config?nochg_abuse=0' >/dev/null && ddns_is "nochg $PUB" site1.$ZONE
}
check "dyndns2 repeated nochg -> abuse (nochg_abuse=2), reset clears" nochg_abuse
check "dyndns2 request log (/control/requests)" sh -c "SITESIM_PREFIX=$A $SIM exec agent curl -sS -m3 '$DCTL/requests' | grep -q '\"count\":1,'"

# ------------------------------------------------------------------ DuckDNS + Cloudflare API (into bind9)
DUCK=$(envof $A SITESIM_DUCKDNS_URL); DTOK=$(envof $A SITESIM_DUCKDNS_TOKEN); DZONE=$(envof $A SITESIM_DUCKDNS_ZONE)
phone_dig() { sx $A phone dig +short "$1" "${2:-A}" | paste -sd,; }   # NAME [TYPE]: the answers, comma-joined
dig_is() { local got; got=$(phone_dig "$2" "${3:-A}"); echo "dig $2: '$got'"; [ "$got" = "$1" ]; }   # EXPECTED NAME [TYPE]
duck_is() { # duck_is EXPECTED(comma-joined lines) QUERY
    local got; got=$(sx $A agent curl -sS -m 5 "$DUCK/update?$2" | paste -sd,); echo "got: $got"; [ "$got" = "$1" ]; }
check "duckdns OK (ip from the source address), dig sees it" eval '
    duck_is OK "domains=shop-cams&token=$DTOK" && dig_is "$PUB" shop-cams.$DZONE'
check "duckdns two domains, explicit ip and ipv6, verbose" eval '
    duck_is OK,172.32.77.78,2001:db8::7,UPDATED "domains=duck-a,duck-b&token=$DTOK&ip=172.32.77.78&ipv6=2001:db8::7&verbose=true" &&
    dig_is 172.32.77.78 duck-b.$DZONE && dig_is 2001:db8::7 duck-a.$DZONE AAAA &&
    duck_is OK,172.32.77.78,,NOCHANGE "domains=duck-a&token=$DTOK&ip=172.32.77.78&verbose=true"'
check "duckdns KO: wrong token (zone untouched), force-ko, two-label domain" eval '
    duck_is KO "domains=shop-cams&token=wrong&ip=172.32.77.79" && dig_is "$PUB" shop-cams.$DZONE &&
    duck_is KO "domains=force-ko&token=$DTOK" && duck_is KO "domains=a.b&token=$DTOK"'
check "duckdns KO forced once by control endpoint; clear=true empties" eval '
    dctl "force?provider=duckdns&code=KO" | grep -q forcing &&
    duck_is KO "domains=duck-b&token=$DTOK&clear=true" && duck_is OK "domains=duck-b&token=$DTOK&clear=true" &&
    dig_is "" duck-b.$DZONE'

CF=$(envof $A SITESIM_CLOUDFLARE_URL); CFTOK=$(envof $A SITESIM_CLOUDFLARE_TOKEN); CFZONE=$(envof $A SITESIM_CLOUDFLARE_ZONE)
cf() { # cf METHOD PATH [JSON_BODY] [TOKEN] -> the answer's body in $TMP/cf.json; prints the HTTP status
    sx $A agent curl -sS -m 5 -X "$1" -H "Authorization: Bearer ${4:-$CFTOK}" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} -o "$TMP/cf.json" -w '%{http_code}' "$CF$2"
}
cfj() { # cfj EXPR: EXPR of the last answer (as r); a tuple prints space-separated
    /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); v=eval(sys.argv[2])
print(' '.join(map(str, v)) if isinstance(v, tuple) else v)" "$TMP/cf.json" "$1"
}
cf_err() { # cf_err STATUS CODE METHOD PATH [BODY] [TOKEN]: a Cloudflare error answer
    local want=$1 code=$2 got; shift 2
    got=$(cf "$@"); cat "$TMP/cf.json"; echo
    [ "$got" = "$want" ] && [ "$(cfj "r['success'], r['errors'][0]['code']")" = "False $code" ]
}
CFZID=$(cf GET "/zones?name=$CFZONE" >/dev/null && cfj "r['result'][0]['id']" 2>/dev/null)
cf_zone() {
    echo "zone id '$CFZID'"; [ "$CFZONE" = "$ZONE" ] && [ "$(cf GET "/zones?name=$CFZONE")" = 200 ] &&
    [ "$(cfj "r['success'], [(z['id'], z['name']) for z in r['result']]")" = "True [('$CFZID', '$ZONE')]" ] &&
    [ ${#CFZID} = 32 ] && [ "$(cf GET /zones?name=other.example.org)" = 200 ] && [ "$(cfj "r['result']")" = "[]" ]
}
check "cloudflare: zone lookup by name (unknown name: empty list)" cf_zone
cf_create() {
    [ "$(cf POST "/zones/$CFZID/dns_records" '{"type":"A","name":"cf1.'"$ZONE"'","content":"172.32.77.81","ttl":60,"proxied":false}')" = 200 ] &&
    cfj "r['result']['id']" >"$TMP/cf-rid" && dig_is 172.32.77.81 "cf1.$ZONE" &&
    [ "$(cf GET "/zones/$CFZID/dns_records?type=A&name=cf1.$ZONE")" = 200 ] &&
    [ "$(cfj "[(x['id'], x['name'], x['content'], x['ttl'], x['proxied']) for x in r['result']]")" = \
      "[('$(cat "$TMP/cf-rid")', 'cf1.$ZONE', '172.32.77.81', 60, False)]" ]
}
check "cloudflare: create an A record, dig sees it, list finds it" cf_create
cf_update() {
    local rid; rid=$(cat "$TMP/cf-rid") || return 1
    [ "$(cf PUT "/zones/$CFZID/dns_records/$rid" '{"type":"A","name":"cf1.'"$ZONE"'","content":"172.32.77.82","ttl":60,"proxied":false}')" = 200 ] &&
    [ "$(cfj "r['result']['id'], r['result']['content']")" = "$rid 172.32.77.82" ] && dig_is 172.32.77.82 "cf1.$ZONE" &&
    [ "$(cf PATCH "/zones/$CFZID/dns_records/$rid" '{"content":"172.32.77.83"}')" = 200 ] && dig_is 172.32.77.83 "cf1.$ZONE"
}
check "cloudflare: PUT and PATCH update the record, dig follows" cf_update
check "cloudflare: bad token -> 403, code 10000" cf_err 403 10000 GET "/zones?name=$CFZONE" "" wrong-token
cf_bad_input() {
    local rid; rid=$(cat "$TMP/cf-rid") || return 1
    cf_err 400 9005 PATCH "/zones/$CFZID/dns_records/$rid" '{"content":"not-an-ip"}' &&
    cf_err 400 6007 POST "/zones/$CFZID/dns_records" '{"type":"A",' &&
    cf_err 400 81057 POST "/zones/$CFZID/dns_records" '{"type":"A","name":"cf1","content":"172.32.77.83"}' &&
    cf_err 404 7003 GET "/zones/0123456789abcdef0123456789abcdef/dns_records" &&
    cf_err 404 81044 GET "/zones/$CFZID/dns_records/0123456789abcdef0123456789abcdef" && dig_is 172.32.77.83 "cf1.$ZONE"
}
check "cloudflare: bad content 9005, malformed JSON 6007, duplicate 81057, unknown ids" cf_bad_input
cf_forced() {
    dctl 'force?provider=cloudflare&code=429' | grep -q forcing && cf_err 429 971 GET /user/tokens/verify &&
    [ "$(cf GET /user/tokens/verify)" = 200 ]
}
check "cloudflare: 429 forced once by control endpoint" cf_forced
cf_sync() { # a dyndns2 update of a name shows in the Cloudflare API (memory follows bind9)
    ddns_is "good 172.32.77.84" cf2.$ZONE "" 172.32.77.84 &&
    [ "$(cf GET "/zones/$CFZID/dns_records?type=A&name=cf2.$ZONE")" = 200 ] && [ "$(cfj "[x['content'] for x in r['result']]")" = "['172.32.77.84']" ]
}
check "cloudflare: a record changed via dyndns2 is listed" cf_sync

# ------------------------------------------------------------------ the reachability probe service
probe_health() {
    [ -x "$SITELINK" ] || { echo "no $SITELINK (build target sitelink)"; return 1; }
    local url ca; url=$(envof $A SITESIM_PROBE_URL); ca=$(envof $A SITESIM_PROBE_CA)
    echo "url '$url' ca '$ca'"
    [ "$url" = "https://$WANH:8443" ] && [ -f "$ca" ] && [ ${#PROBETOK} = 32 ] || return 1
    sx $A phone curl -sS -m 3 --cacert "$ca" "$url/v1/health" | grep '"ok": *true' &&
    sx $A agent curl -sS -m 3 --cacert "$ca" "$url/v1/health" | grep '"ok": *true' &&
    ! sx $A phone curl -sS -m 3 "$url/v1/health"   # the certificate is self-signed: no trust without the CA
}
PROBETOK=$(envof $A SITESIM_PROBE_TOKEN)
check "probe server: /v1/health over HTTPS with the CA (phone and agent)" probe_health

# ------------------------------------------------------------------ mDNS + WS-Discovery
check "avahi-browse (agent): Axis _axis-video._tcp with macaddress TXT" sh -c "
    SITESIM_PREFIX=$A $SIM exec agent timeout 8 avahi-browse -rtp _axis-video._tcp | grep -E '^=;eth0;IPv4;.*;axis-accc8e[0-9a-f]+\.local;$CAM1;80;\"macaddress=ACCC8E'"
check "avahi-browse (agent): _http._tcp from cam1 and cam3, not cam2" sh -c "
    SITESIM_PREFIX=$A $SIM exec agent timeout 8 avahi-browse -rtp _http._tcp >$TMP/http.txt;
    grep -q ';$CAM1;80;' $TMP/http.txt && grep -q ';$(devip "$DEVS" cam3 2>/dev/null);80;' $TMP/http.txt &&
    ! grep -q ';$(devip "$DEVS" cam2 2>/dev/null);' $TMP/http.txt"
check "WS-Discovery multicast from agent: 5 answers (LAN only)" sh -c "
    SITESIM_PREFIX=$A $SIM exec agent $PROBES wsd $AGENT_IP - 2 >$TMP/wsd.txt; cat $TMP/wsd.txt;
    grep -qx 'matches=5' $TMP/wsd.txt && ! grep -q ' $FAR1 ' $TMP/wsd.txt && grep -q '^match $CAM4 ' $TMP/wsd.txt"
check "WS-Discovery unicast to far1 through the router" sh -c "
    SITESIM_PREFIX=$A $SIM exec agent $PROBES wsd $AGENT_IP $FAR1 2 | grep -q '^match $FAR1 '"

# ------------------------------------------------------------------ the other sites
BCAM=$(devip "$(envof $B SITESIM_DEVICES_JSON)" cam1 2>/dev/null)
check "secure mode: mapping to another host refused (718/606)" sh -c "
    SITESIM_PREFIX=$B $SIM exec agent upnpc -u $IGD -a $BCAM 80 18090 TCP | grep -E 'failed with code (718|606)'"
check "secure mode: mapping to the agent itself works" sh -c "
    SITESIM_PREFIX=$B $SIM exec agent upnpc -u $IGD -a $(envof $B SITESIM_AGENT_IP) 8091 18091 TCP | grep 'is redirected'"
CWAN=$(envof $C SITESIM_ROUTER_WAN_IP)
check "cgnat: router's WAN address is in 100.64.0.0/10" sh -c "
    echo '$CWAN' | grep -E '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.' &&
    SITESIM_PREFIX=$C $SIM exec router ip -4 -o addr show dev wan0 | grep -q ' $CWAN/'"
# miniupnpd 2.3.1 hides a reserved WAN address: GetExternalIPAddress answers an empty string
check "cgnat: IGD reports no usable external address" sh -c "
    SITESIM_PREFIX=$C $SIM exec agent upnpc -u $IGD -s 2>&1 | grep -E '^GetExternalIPAddress failed|^ExternalIPAddress = \$'"
check "cgnat: the internet sees the ISP's address" sh -c "
    [ \"\$(SITESIM_PREFIX=$C $SIM exec agent curl -sS -m3 http://$WANH/ip)\" = '$(envof $C SITESIM_PUBLIC_IP)' ]"
check "cgnat: port mapping refused by miniupnpd" sh -c "
    SITESIM_PREFIX=$C $SIM exec agent upnpc -u $IGD -a $(envof $C SITESIM_AGENT_IP) 8092 18092 TCP | grep 'failed with code 501'"
FWAN=$(envof $F SITESIM_ROUTER_WAN_IP); FPUB=$(envof $F SITESIM_PUBLIC_IP)
check "double: router WAN 192.168.1.2, gateway the modem (isp)" sh -c "
    [ '$FWAN' = 192.168.1.2 ] && [ '$(envof $F SITESIM_NS_ISP)' = '$F-isp' ] && [ '$(envof $F SITESIM_NAT)' = double ] &&
    SITESIM_PREFIX=$F $SIM exec router ip -4 -o addr show dev wan0 | grep -q ' $FWAN/24 ' &&
    SITESIM_PREFIX=$F $SIM exec router ip route show default | grep -q '^default via 192.168.1.1 dev wan0' &&
    SITESIM_PREFIX=$F $SIM exec isp ip -4 -o addr show dev eth0 | grep -q ' $FPUB/24 '"
check "double: IGD reports no usable external address" sh -c "
    SITESIM_PREFIX=$F $SIM exec agent upnpc -u $IGD -s 2>&1 | grep -E '^GetExternalIPAddress failed|^ExternalIPAddress = \$'"
check "double: the internet sees the modem's address" sh -c "
    [ \"\$(SITESIM_PREFIX=$F $SIM exec agent curl -sS -m3 http://$WANH/ip)\" = '$FPUB' ]"
check "double: port mapping refused by miniupnpd" sh -c "
    SITESIM_PREFIX=$F $SIM exec agent upnpc -u $IGD -a $(envof $F SITESIM_AGENT_IP) 8092 18092 TCP | grep 'failed with code 501'"
check "double: wan-ip changes the modem's public address" sh -c "
    SITESIM_PREFIX=$F $SIM wan-ip 172.32.77.9 &&
    [ \"\$(SITESIM_PREFIX=$F $SIM exec agent curl -sS -m3 http://$WANH/ip)\" = 172.32.77.9 ] &&
    SITESIM_PREFIX=$F $SIM env | grep -qx SITESIM_PUBLIC_IP=172.32.77.9 &&
    SITESIM_PREFIX=$F $SIM env | grep -qx SITESIM_ROUTER_WAN_IP=192.168.1.2"
check "lan profile: no WAN namespace, WS-Discovery finds 5" sh -c "
    ! ip netns list | grep -q '^$D-wan ' && [ -z \"\$(SITESIM_PREFIX=$D $SIM env | grep SITESIM_WAN_HOST)\" ] &&
    SITESIM_PREFIX=$D $SIM exec agent $PROBES wsd $(envof $D SITESIM_AGENT_IP) - 2 | grep -qx matches=5"
check "lan profile (no DHCP server): cam4 static .24" /usr/bin/python3 -c "
import json; c=[x for x in json.load(open('$(envof $D SITESIM_DEVICES_JSON)')) if x['host']=='cam4'][0]
assert c['address']=='192.168.77.24' and c['dhcp'] is False, c"
ECAM=$(devip "$(envof $E SITESIM_DEVICES_JSON)" cam1 2>/dev/null); EPUB=$(envof $E SITESIM_PUBLIC_IP)
check "hairpin: upnpc mapping on the iptables miniupnpd" sh -c "
    SITESIM_PREFIX=$E $SIM exec agent upnpc -u $IGD -a $ECAM 8557 18093 TCP | grep 'is redirected'"
listen_once $E cam1 8557 hello-hairpin
check "hairpin: agent -> public:18093 reaches cam1 from inside" reach $E agent "$EPUB" 18093 hello-hairpin
listen_once $E cam1 8557 hello-outside
check "hairpin: phone -> public:18093 reaches cam1" reach $E phone "$EPUB" 18093 hello-outside

# ------------------------------------------------------------------ ISP changes the address
check "wan-ip: public address changes; whatismyip, IGD, env follow" sh -c "
    SITESIM_PREFIX=$A $SIM wan-ip 172.32.77.9 &&
    [ \"\$(SITESIM_PREFIX=$A $SIM exec agent curl -sS -m3 http://$WANH/ip)\" = 172.32.77.9 ] &&
    SITESIM_PREFIX=$A $SIM exec agent upnpc -u $IGD -s | grep -qx 'ExternalIPAddress = 172.32.77.9' &&
    SITESIM_PREFIX=$A $SIM env | grep -qx SITESIM_PUBLIC_IP=172.32.77.9"
check "wan-ip outside the WAN /24 (45.77.10.7)" sh -c "
    SITESIM_PREFIX=$A $SIM wan-ip 45.77.10.7 &&
    [ \"\$(SITESIM_PREFIX=$A $SIM exec agent curl -sS -m3 http://$WANH/ip)\" = 45.77.10.7 ]"
check "dyndns2 after the change: good with the new address" ddns_is "good 45.77.10.7" site1.$ZONE

# ------------------------------------------------------------------ teardown
check "status lists the running site" sh -c "SITESIM_PREFIX=$A $SIM status | grep -q '^$A-agent'"
teardown
check "down removes every namespace and /etc/netns dir of all 6 sites" sh -c "
    ! ip netns list | grep -Eq '^($A|$B|$C|$D|$E|$F)-' && ! ls -d /etc/netns/$BASE* 2>/dev/null | grep -q ."
check "down is idempotent" sh -c "SITESIM_PREFIX=$A $SIM down && SITESIM_PREFIX=$A $SIM down"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
