#!/usr/bin/env bash
# Encrypted DNS through the live gateway (issue 12, item 3), for a staff
# laptop in school hours, with dns.enforce_school_resolver as shipped:
#   - a public resolver stand-in (tests/netns/encdns.py, in the
#     "internet" namespace) answers DNS over TLS on 853 and DNS over HTTPS
#     as dns.google (on 8443: sites.py holds 443), both passing the queries to the school's dnsmasq; it
#     answers the internet namespace itself;
#   - from the staff laptop, real "dig +tls" (DoT, no SNI: named by port
#     853) and real curl POSTing a DNS query (DoH, SNI dns.google, a name
#     on the encrypted-dns list) get no answer, and each is recorded as a
#     block under rule enforce-school-resolver, clause 9.1;
#   - plain DNS to the school's resolver still works;
#   - with enforce_school_resolver = false (a reload), staff DoT passes
#     and is logged under staff-circumvention-logged.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sge$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
trap netns_school_down EXIT

readonly resolver=198.51.100.54		# stands in for 8.8.8.8
readonly wiki=198.51.100.15		# en.wikipedia.org's address

# dot NS: what "dig +tls" to the resolver answers for en.wikipedia.org
dot() {
	run_in "$1" dig +tls +short +tries=1 +time=3 @"$resolver" -p 853 \
	    en.wikipedia.org 2>&1 | head -n 1 || true
}

# doh NS: "ok ADDRESS" if a DoH POST to dns.google answers, else curl's code
doh() {
	local rc=0
	run_in "$1" curl -sS --http1.1 --max-time 4 --cacert "$SG_CA" \
	    --resolve "dns.google:8443:$resolver" \
	    -H 'content-type: application/dns-message' \
	    --data-binary @"$SG_RUN_DIR/query.bin" -o "$SG_RUN_DIR/answer.bin" \
	    https://dns.google:8443/dns-query 2>/dev/null || rc=$?
	if ((rc != 0)); then echo "curl $rc"; return 0; fi
	python3 -c '
import socket, sys
d = open(sys.argv[1], "rb").read()
print("ok", socket.inet_ntoa(d[-4:]) if len(d) > 16 else "short")' \
	    "$SG_RUN_DIR/answer.bin"
}

netns_school_up
ip -n "$SG_NS_INET" addr add "$resolver/32" dev eth0
sg_make_cert "$SG_RUN_DIR/certs" dns.google "DNS:dns.google"
start_bg inet "$SG_RUN_DIR/encdns.log" python3 -u tests/netns/encdns.py \
    "$resolver" "$SG_RUN_DIR/certs/dns.google.crt" \
    "$SG_RUN_DIR/certs/dns.google.key" "$SG_DNS_IP"
wait_for_port inet "$resolver" 853
wait_for_port inet "$resolver" 8443
# a DNS query for en.wikipedia.org A, as a DoH client POSTs it
python3 -c '
import struct, sys
q = struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p for p in (b"en", b"wikipedia", b"org"))
q += b"\0" + struct.pack("!HH", 1, 1)
open(sys.argv[1], "wb").write(q)' "$SG_RUN_DIR/query.bin"
gw_up --hours in

echo "== the resolver works without the gateway"
gw_check "DoT from the internet side answers" "$wiki" "$(dot inet)"
gw_check "DoH from the internet side answers" "ok $wiki" "$(doh inet)"

echo "== staff laptop, school hours, enforce_school_resolver = true"
gw_check "DoT (TCP/853) gets no answer" "no" \
    "$(got="$(dot staff)"; [ "$got" = "$wiki" ] && echo "yes" || echo "no: $got")"
gw_check "DoT recorded: block, enforce-school-resolver, 9.1" "yes" \
    "$(gw_wait_row "dst_ip='$resolver' AND dst_port=853 AND action='block'
    AND rule='enforce-school-resolver' AND clause='9.1' AND
    category='circumvention' AND person='jsmith' AND in_school_hours=1")"
gw_check "DoH (dns.google) gets no answer" "curl" "$(doh staff)"
gw_check "DoH recorded: block, enforce-school-resolver, 9.1" "yes" \
    "$(gw_wait_row "dst_ip='$resolver' AND dst_port=8443 AND
    host='dns.google' AND action='block' AND
    rule='enforce-school-resolver' AND clause='9.1' AND person='jsmith'")"
gw_check "plain DNS to the school's resolver still answers" "$wiki" \
    "$(run_in staff dig +short +tries=1 +time=2 @"$SG_DNS_IP" en.wikipedia.org)"

echo "== enforce_school_resolver = false: staff encrypted DNS only logged"
sed -i 's/enforce_school_resolver = true;/enforce_school_resolver = false;/' \
    "$SG_RUN_DIR/gateway.conf"
grep -q 'enforce_school_resolver = false;' "$SG_RUN_DIR/gateway.conf" ||
	gw_check "the test config names enforce_school_resolver" "yes" "no"
gw_reload >/dev/null
gw_check "DoT answers" "$wiki" "$(dot staff)"
# an allowed flow's record waits for conntrack to end the connection,
# which dig's DoT may leave half-closed for a while
for _ in 1 2 3; do
	logged="$(gw_wait_row "dst_ip='$resolver' AND dst_port=853 AND
	    action='log' AND rule='staff-circumvention-logged' AND
	    person='jsmith'")"
	[ "$logged" = yes ] && break
done
gw_check "DoT recorded: log, staff-circumvention-logged" "yes" "$logged"
gw_finish
