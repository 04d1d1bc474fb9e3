#!/usr/bin/env bash
# ClientHello reassembly and evasion on the live gateway (issue 11, items
# 3 and 4): from John Smith's laptop in school hours, a ClientHello for
# www.facebook.com in 40-byte segments and in 4-byte segments, and a decoy
# ClientHello for a.padlet.com that expires past the gateway followed by
# the real one at the same sequence number, are all reset; an ordinary
# padlet.com fetch still loads, and the records say why.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgt$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
trap netns_school_down EXIT

failures=0
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [[ "$3" == "$2" ]]; then
		echo "ok   $1: $3"
	else
		echo "FAIL $1: want $2, got $3"
		failures=$((failures + 1))
	fi
}
client() { run_in staff /usr/bin/python3 tests/netns/evadeclient.py "$@" 2>&1 |
    grep -v -i warning | tail -n 1; }

netns_school_up
gw_up --hours in

check "control: https padlet.com" "ok 1000" "$(fetch staff padlet.com 1000)"
check "control: whole ClientHello for facebook" "reset" \
    "$(client split 2000 www.facebook.com)"
check "ClientHello in 40-byte segments (8 of them)" "reset" \
    "$(client split 40 www.facebook.com 300)"
check "517-byte ClientHello in 40-byte segments (13)" "reset" \
    "$(client split 40 www.facebook.com)"
check "ClientHello in 4-byte segments (130)" "reset" \
    "$(client split 4 www.facebook.com)"
check "ClientHello for padlet in 40-byte segments is answered" "answered" \
    "$(client split 40 a.padlet.com 300 198.51.100.16)"

# The decoy leaves with TTL 2: the gateway forwards it with TTL 1, and the
# internet side drops it as the next router would.  The client's kernel
# knows nothing of scapy's connection: its RSTs are dropped.
run_in inet iptables -A INPUT -p tcp --dport 443 -m ttl --ttl-eq 1 -j DROP
run_in staff iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
check "decoy for a.padlet.com, then the real ClientHello" "reset" \
    "$(client decoy 10.10.0.23 198.51.100.11 a.padlet.com www.facebook.com)"
run_in staff iptables -D OUTPUT -p tcp --tcp-flags RST RST -j DROP

# workers publish their counters once a tick (about a second)
for _ in 1 2 3 4 5; do
	st="$(gw_status | grep -o '^evasion: [0-9]* flows')"
	[[ "$st" == "evasion: 3 flows" ]] && break
	sleep 1
done
check "status counts the evasions" "evasion: 3 flows" "$st"
stop_bg "$SG_GW_PID"
rows="$(gw_sql "SELECT count(*) FROM flows WHERE rule = 'evasion' AND
    category = 'circumvention' AND action = 'block' AND person = 'jsmith'")"
check "evasion rows recorded for jsmith (13 and 130 segments, decoy)" 3 "$rows"
rows="$(gw_sql "SELECT count(*) FROM flows WHERE host = 'www.facebook.com'
    AND host_source = 'sni' AND rule = 'staff-social-in-hours'")"
check "facebook named from its reassembled SNI (whole, 8 segments)" 2 "$rows"
rows="$(gw_sql "SELECT count(*) FROM flows WHERE host LIKE '%padlet.com'
    AND action = 'allow' AND rule = 'education-allowed'")"
check "padlet flows allowed and recorded" 2 "$rows"

if ((failures > 0)); then
	echo "$failures check(s) failed; daemon log:"
	tail -n 30 "$SG_RUN_DIR/daemon.log"
	exit 1
fi
echo "PASS"
