#!/usr/bin/env bash
# DNS through the live gateway, with real dig and openssl, IPv4 and IPv6:
#   - a blocked name gets NXDOMAIN at once, with an Extended DNS Error
#     (15, Blocked) naming the rule and the clause, and is recorded;
#   - a retry on the same ports is answered the same way, not dropped;
#   - an allowed name resolves;
#   - the same for a resolver on the gateway itself (dnsmasq, INPUT and
#     OUTPUT);
#   - a TLS connection without SNI to an address the client has just
#     resolved (A or AAAA) is named from the DNS cache and reset.
# School hours are "always" by config, so nothing depends on the clock.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgd$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
trap netns_school_down EXIT

readonly gw_dns4=10.10.0.1
readonly gw_dns6=fd00:10::1
readonly inet_dns6=fd00:51::53
readonly fb6=fd00:51::11
readonly ede_text="schoolgate: blocked by rule staff-social-in-hours, policy clause 7.3"

# The test school has IPv6 on its LANs (tests/netns/lib.sh); this test's
# own resolver and facebook address sit on a second uplink prefix, so its
# dnsmasq answers only what this test asks it.
v6_up() {
	ip -n "$SG_NS_GW" addr add fd00:51::1/64 dev wan0 nodad
	ip -n "$SG_NS_INET" addr add fd00:51::2/64 dev eth0 nodad
	ip -n "$SG_NS_INET" addr add "$inet_dns6/128" dev eth0 nodad
	ip -n "$SG_NS_INET" addr add "$fb6/128" dev eth0 nodad
	ip -n "$SG_NS_INET" -6 route add fd00:10::/64 via fd00:51::1
}

# dnsmasq NS LISTEN... : a resolver knowing facebook (A and AAAA),
# instagram and wikipedia, as the internet's does.
dnsmasq_on() {
	local ns="$1" a args=()
	shift
	for a in "$@"; do
		args+=("--listen-address=$a")
	done
	start_bg "$ns" "$SG_RUN_DIR/dnsmasq-$ns-$1.log" dnsmasq \
	    --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	    --bind-interfaces --pid-file= --user=root --log-facility=- \
	    --host-record=www.facebook.com,198.51.100.11,"$fb6" \
	    --host-record=www.instagram.com,198.51.100.12 \
	    --host-record=en.wikipedia.org,198.51.100.15 "${args[@]}"
}

# A TCP listener, so a handshake completes and the ClientHello is sent.
listen6() {
	start_bg inet "$SG_RUN_DIR/listen6.log" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443)); s.listen(16)
while True:
    c, _ = s.accept(); c.settimeout(3)
    try: c.recv(4096)
    except OSError: pass
    c.close()' "$fb6"
}

# lookup SERVER NAME [dig options]: dig's whole answer and the time it
# took in ms on the last line.
lookup() {
	local server="$1" name="$2" t0 t1 out
	shift 2
	t0=$(date +%s%N)
	out="$(run_in staff dig +tries=1 +time=3 "$@" "@$server" "$name" 2>&1)" || true
	t1=$(date +%s%N)
	printf '%s\nms=%d\n' "$out" $(((t1 - t0) / 1000000))
}

ms_of() { sed -n 's/^ms=//p' <<<"$1"; }
fast() { (($(ms_of "$1") < 2000)) && echo fast || echo "slow $(ms_of "$1") ms"; }

# blocked_lookup DESCRIPTION SERVER NAME [dig options]
blocked_lookup() {
	local what="$1" server="$2" name="$3" out
	shift 3
	out="$(lookup "$server" "$name" "$@")"
	gw_check "$what: NXDOMAIN" "NXDOMAIN" "$(gw_dig_status "$out")"
	gw_check "$what: EDE 15 (Blocked)" "yes" \
	    "$(grep -q 'EDE: 15 (Blocked)' <<<"$out" && echo yes || echo no)"
	gw_check "$what: EDE names rule and clause" "yes" \
	    "$(grep -qF "$ede_text" <<<"$out" && echo yes || echo "no: $out")"
	gw_check "$what: answered in well under 2 s" "fast" "$(fast "$out")"
	gw_check "$what: no address in the answer" "" \
	    "$(grep -E 'IN[[:space:]]+(A|AAAA)[[:space:]]' <<<"$out" |
	    grep -v '^;' || true)"
}

# no_sni ADDR: openssl s_client without SNI; "reset" or what it saw
no_sni() {
	local out
	out="$(run_in staff timeout 5 openssl s_client -noservername \
	    -connect "$1" </dev/null 2>&1)" || true
	if grep -qiE 'errno=104|connection reset|reset by peer' <<<"$out"; then
		echo reset
	else
		echo "not reset: $(tr '\n' ' ' <<<"$out" | head -c 300)"
	fi
}

netns_school_up
v6_up
dnsmasq_on gw "$gw_dns4" "$gw_dns6"
dnsmasq_on inet "$inet_dns6"
listen6
gw_up --hours in
wait_for_port gw "$gw_dns4" 53
wait_for_port inet 198.51.100.11 443

echo "== a resolver on the internet, IPv4"
blocked_lookup "forwarded www.facebook.com" 198.51.100.53 www.facebook.com
gw_check "forwarded www.facebook.com recorded" "yes" "$(gw_wait_row \
    "host='www.facebook.com' AND dst_ip='198.51.100.53' AND dst_port=53 AND
    action='block' AND rule='staff-social-in-hours' AND clause='7.3' AND
    person='jsmith'")"
out="$(lookup 198.51.100.53 www.facebook.com +noedns)"
gw_check "without EDNS: NXDOMAIN" "NXDOMAIN" "$(gw_dig_status "$out")"
gw_check "without EDNS: no OPT, so no EDE" "no" \
    "$(grep -q 'EDE' <<<"$out" && echo yes || echo no)"
for try in 1 2; do
	blocked_lookup "same ports, try $try" 198.51.100.53 www.instagram.com \
	    -b '10.10.0.23#40053'
done
gw_check "en.wikipedia.org resolves" "198.51.100.15" \
    "$(run_in staff dig +short +tries=1 +time=2 @198.51.100.53 en.wikipedia.org)"
set +e
out="$(lookup 198.51.100.53 www.facebook.com +tcp)"
set -e
gw_check "over TCP: no answer, at once" "fast" "$(fast "$out")"
gw_check "over TCP: no address" "" \
    "$(grep -E '^www\.facebook\.com\..*IN[[:space:]]+A' <<<"$out" || true)"

echo "== no-SNI TLS to the address just resolved for www.facebook.com"
run_in staff dig +tries=1 +time=2 @198.51.100.53 www.facebook.com >/dev/null || true
gw_check "no-SNI TLS to 198.51.100.11" "reset" "$(no_sni 198.51.100.11:443)"
gw_check "its record says dns-cache" "yes" "$(gw_wait_row \
    "dst_ip='198.51.100.11' AND dst_port=443 AND host='www.facebook.com' AND
    host_source='dns-cache' AND action='block' AND person='jsmith'")"

echo "== the gateway's own resolver (dnsmasq on the gateway), IPv4"
blocked_lookup "gateway www.instagram.com" "$gw_dns4" www.instagram.com
gw_check "gateway www.instagram.com recorded" "yes" "$(gw_wait_row \
    "host='www.instagram.com' AND dst_ip='$gw_dns4' AND dst_port=53 AND
    action='block' AND rule='staff-social-in-hours' AND clause='7.3'")"
gw_check "gateway: en.wikipedia.org resolves" "198.51.100.15" \
    "$(run_in staff dig +short +tries=1 +time=2 @"$gw_dns4" en.wikipedia.org)"
gw_check "no-SNI TLS to 198.51.100.12 after the gateway's answer" "reset" \
    "$(no_sni 198.51.100.12:443)"
gw_check "its record says dns-cache" "yes" "$(gw_wait_row \
    "dst_ip='198.51.100.12' AND dst_port=443 AND host='www.instagram.com' AND
    host_source='dns-cache' AND action='block'")"

echo "== IPv6: AAAA through a forwarded and the gateway's own resolver"
blocked_lookup "forwarded AAAA over IPv6" "$inet_dns6" www.facebook.com AAAA
blocked_lookup "gateway AAAA over IPv6" "$gw_dns6" www.facebook.com AAAA
gw_check "gateway AAAA over IPv6 recorded" "yes" "$(gw_wait_row \
    "host='www.facebook.com' AND dst_ip='$gw_dns6' AND dst_port=53 AND
    action='block'")"
gw_check "no-SNI TLS to [$fb6]" "reset" "$(no_sni "[$fb6]:443")"
gw_check "its record says dns-cache" "yes" "$(gw_wait_row \
    "dst_ip='$fb6' AND dst_port=443 AND host='www.facebook.com' AND
    host_source='dns-cache' AND action='block'")"

st="$(gw_status)"
gw_check "status counts rewritten lookups" "yes" \
    "$(grep -qE '^dns: [1-9][0-9]* answers learnt, [1-9][0-9]* blocked' \
    <<<"$st" && echo yes || echo "no: $(grep '^dns' <<<"$st")")"

gw_finish
