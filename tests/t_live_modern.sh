#!/usr/bin/env bash
# Modern clients through the live gateway (issue 12), real dig and a real
# dnsmasq as the school's resolver, for a staff laptop in school hours:
#   - an HTTPS record whose answer carries ech= comes back without it
#     (the other SvcParams kept), while the resolver itself still has it;
#   - the canary domains use-application-dns.net and mask.icloud.com get
#     NXDOMAIN with EDE 17 (Filtered) although the resolver has an
#     address for them, and each lookup is recorded as dns-canary in the
#     circumvention category;
#   - a QUIC v2 Initial to UDP port 4443 is dropped and recorded as
#     quic-fallback, while other UDP to the same port gets through.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgm$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
trap netns_school_down EXIT

readonly dns=198.51.100.53
readonly udp_ip=198.51.100.20		# vpn.example.net
# HTTPS RDATA: priority 1, target ".", alpn=h2, ipv4hint=198.51.100.21,
# ech=(8 bytes; dig prints them as base64 "AAb+DQACQUI=")
readonly https_rr="0001000001000302683200040004c633641500050008""0006fe0d00024142"
SG_DNS_EXTRA=(
	"--dns-rr=ech.crypto.example,65,$https_rr"
	"--host-record=use-application-dns.net,198.51.100.30"
	"--host-record=mask.icloud.com,198.51.100.31"
)

# The datagrams a UDP listener on 4443 got, one line each: "quic" or "other".
udp_listen() {
	start_bg inet "$SG_RUN_DIR/udp4443.log" python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 4443))
while True:
    d, _ = s.recvfrom(4096)
    print("quic" if d[:1] == b"\xd3" else "other", flush=True)' "$udp_ip"
}

# udp_send KIND: from the staff laptop, one datagram to udp_ip:4443, its
# source port fresh: "quic" is a QUIC v2 Initial (long header, type 1,
# version 0x6b3343cf, an 8-byte DCID, padded to 1200 bytes).
udp_send() {
	run_in staff python3 -c '
import socket, struct, sys
if sys.argv[2] == "quic":
    rest = 1200 - 18
    d = bytes([0xd3]) + struct.pack("!I", 0x6b3343cf) + bytes([8]) + \
        b"\xab" * 8 + b"\x00\x00" + struct.pack("!H", 0x4000 | rest)
    d += b"\x00" * rest
else:
    d = b"hello, this is not QUIC" * 4
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(d, (sys.argv[1], 4443))' "$udp_ip" "$1"
}

heard() { grep -c "^$1\$" "$SG_RUN_DIR/udp4443.log" || true; }

yes_if() { if eval "$1"; then echo yes; else echo "no: $2"; fi; }

netns_school_up
udp_listen
gw_up --hours in
wait_for_port inet "$dns" 53

echo "== ECH stripped from an HTTPS answer"
direct="$(run_in inet dig +short +tries=1 +time=2 @"$dns" ech.crypto.example HTTPS)"
gw_check "the resolver itself answers with ech=" "yes" \
    "$(yes_if 'grep -q "ech=" <<<"$direct"' "$direct")"
got="$(run_in staff dig +short +tries=1 +time=3 @"$dns" ech.crypto.example HTTPS)"
gw_check "through the gateway: an HTTPS answer" "yes" \
    "$(yes_if 'grep -q "alpn=\"h2\"" <<<"$got"' "$got")"
gw_check "through the gateway: ipv4hint kept" "yes" \
    "$(yes_if 'grep -q "ipv4hint=198.51.100.21" <<<"$got"' "$got")"
gw_check "through the gateway: no ech=" "yes" \
    "$(yes_if '! grep -q "ech=" <<<"$got"' "$got")"
got="$(run_in staff dig +short +tries=1 +time=3 +noedns @"$dns" ech.crypto.example HTTPS)"
gw_check "without EDNS too: no ech=" "yes" \
    "$(yes_if 'grep -q "alpn" <<<"$got" && ! grep -q "ech=" <<<"$got"' "$got")"

echo "== canary domains"
for name in use-application-dns.net mask.icloud.com; do
	direct="$(run_in inet dig +short +tries=1 +time=2 @"$dns" "$name")"
	gw_check "$name: the resolver has an address" "198.51.100.3" "$direct"
	out="$(run_in staff dig +tries=1 +time=3 @"$dns" "$name" 2>&1)" || true
	gw_check "$name: NXDOMAIN through the gateway" "NXDOMAIN" \
	    "$(gw_dig_status "$out")"
	gw_check "$name: EDE 17 (Filtered) saying why" "yes" \
	    "$(yes_if 'grep -q "EDE: 17 (Filtered).*canary domain" <<<"$out"' \
	    "$out")"
	gw_check "$name: recorded as dns-canary, circumvention" "yes" \
	    "$(gw_wait_row "host='$name' AND dst_port=53 AND action='block' AND
	    rule='dns-canary' AND category='circumvention' AND
	    person='jsmith'")"
done
gw_check "an ordinary name still resolves" "198.51.100.15" \
    "$(run_in staff dig +short +tries=1 +time=2 @"$dns" en.wikipedia.org)"

echo "== QUIC v2 on UDP port 4443"
udp_send other
sleep 0.5
gw_check "other UDP to 4443 gets through" "1" "$(heard other)"
udp_send quic
sleep 1
gw_check "a QUIC v2 Initial to 4443 is dropped" "0" "$(heard quic)"
gw_check "recorded as quic-fallback" "yes" "$(gw_wait_row \
    "dst_ip='$udp_ip' AND dst_port=4443 AND transport='udp' AND
    action='block' AND rule='quic-fallback' AND person='jsmith'")"

st="$(gw_status)"
gw_check "status counts stripped answers and canaries" "yes" \
    "$(yes_if 'grep -qE "[1-9][0-9]* answers stripped of ECH, [1-9][0-9]* canary" <<<"$st"' \
    "$(grep '^dns' <<<"$st")")"

gw_finish
