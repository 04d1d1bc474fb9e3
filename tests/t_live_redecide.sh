#!/usr/bin/env bash
# Decisions that follow the clock and the config, on the live gateway.
#
#  1. Boundary: school hours start a minute or two from now (the config
#     is built from the current time in Europe/London).  A staff TLS
#     connection to www.facebook.com opened before is logged and passes;
#     at the boundary, with no reload, it is reset.
#  2. Reload, block -> allow: in school hours a new facebook connection is
#     reset; after a reload to "out of hours" a new one passes.
#  3. Reload, allow -> block: a connection kept open (a write every
#     200 ms) is reset within 2 s of a reload into school hours; its
#     conntrack mark changed in place with the other bits (a "QoS" mark
#     in 0x00ff0000) kept; a redecide event is recorded, and the flow's
#     record is split into a logged row and a blocked one.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgrd$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

FB_IP="$(gw_site_ip www.facebook.com)"
QOS=0x00ab0000	# someone else's bits, in 0x00ff0000

# keep_open NAME: a kept-open connection from the staff laptop; its output
# file is in KEEP_OUT, its PID in KEEP_PID.
keep_open() {
	KEEP_OUT="$SG_RUN_DIR/keep-$1.out"
	start_bg staff "$KEEP_OUT" python3 -u tests/netns/keepopen.py \
	    --ca "$SG_CA" --ip "$FB_IP" --name www.facebook.com
	KEEP_PID="$SG_LAST_PID"
	for ((i = 0; i < 50; i++)); do
		grep -q '^ok 1$' "$KEEP_OUT" && return 0
		grep -q '^\(failed\|closed\)' "$KEEP_OUT" && break
		sleep 0.1
	done
	return 1
}

# closed_at: the client's "closed" time, or "" while it is open
closed_at() {
	sed -n 's/^closed \([0-9.]*\) .*/\1/p' "$KEEP_OUT"
}

wait_closed() {	# wait_closed SECONDS
	for ((i = 0; i < $1 * 10; i++)); do
		[ -n "$(closed_at)" ] && return 0
		sleep 0.1
	done
	return 1
}

# ct_mark SPORT: the decimal conntrack mark of the staff flow from SPORT
ct_mark() {
	run_in gw conntrack -L -p tcp --orig-src 10.10.0.23 --sport "$1" \
	    2>/dev/null | sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -n 1
}

events() {	# events SQL-LIKE: how many redecide events match
	gw_sql "SELECT count(*) FROM events WHERE kind = 'redecide' AND
	    detail LIKE '$1'"
}

netns_school_up
chown nobody "$SG_RUN_DIR"
chmod 0755 "$SG_RUN_DIR"
run_in gw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
run_in gw bash scripts/gateway-rules install --lan lan-staff \
    --lan lan-pupils --queues 0:1 >/dev/null
# the other bits of every forwarded connection's mark are the "QoS" ones
run_in gw iptables -t mangle -A FORWARD -j CONNMARK \
    --set-xmark "$QOS/0x00ff0000"
run_in gw iptables -t mangle -A FORWARD -j MARK --set-xmark "$QOS/0x00ff0000"

splits="1 1"	# redecide events, counted and listed
echo "== 1. a schedule boundary, no reload"
read -r h m s <<<"$(TZ=Europe/London date '+%-H %-M %-S')"
start=$((h * 60 + m + (s < 35 ? 1 : 2)))
if ((start >= 24 * 60)); then
	echo "skip: too close to midnight for a boundary today"
else
	hhmm="$(printf '%02d:%02d' $((start / 60)) $((start % 60)))"
	gw_conf --hours in
	sed -i "s/times = \[ \"00:00-24:00\" \];/times = [ \"$hhmm-24:00\" ];/" \
	    "$SG_RUN_DIR/gateway.conf"
	check "school hours start at $hhmm" "yes" \
	    "$(yesno grep -q "$hhmm-24:00" "$SG_RUN_DIR/gateway.conf")"
	gw_start
	opened=no
	keep_open boundary && opened=yes
	check "before $hhmm: kept-open facebook connection passes" "yes" \
	    "$opened"
	boundary="$(TZ=Europe/London date -d "today $hhmm" +%s)"
	wait_closed $((boundary - $(date +%s) + 5)) || true
	at="$(closed_at)"
	check "reset at the boundary, within 2 s ($at vs $boundary)" "yes" \
	    "$(yesno awk -v a="${at:-0}" -v b="$boundary" \
	    'BEGIN { exit !(a >= b && a - b <= 2) }')"
	check "no reload happened" "0" \
	    "$(grep -c 'configuration reloaded' "$SG_RUN_DIR/daemon.log" || true)"
	check "a redecide event for the boundary" "1" \
	    "$(events '%log staff-social-out-of-hours (7.3) -> block staff-social-in-hours (7.3), schedule boundary')"
	stop_bg "$KEEP_PID"
	stop_bg "$SG_GW_PID"
	splits="2 2"
fi

echo "== 2. reload, block -> allow"
gw_conf --hours in
gw_start
check "in hours: a new facebook connection is reset" "reset" \
    "$(fetch staff www.facebook.com 100)"
gw_conf --hours out
check "reload" "reloaded" "$(gw_reload)"
check "out of hours: a new facebook connection passes" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"

echo "== 3. reload, allow -> block, on a connection kept open"
opened=no
keep_open reload && opened=yes
check "kept-open facebook connection passes (logged)" "yes" "$opened"
sport="$(sed -n 's/^open //p' "$KEEP_OUT")"
check "its conntrack mark: log (0x200) with the QoS bits" \
    "$((QOS | 0x200))" "$(ct_mark "$sport")"
sleep 1
gw_conf --hours in
t0="$(date +%s.%N)"
check "reload" "reloaded" "$(gw_reload)"
wait_closed 5 || true
at="$(closed_at)"
check "reset within 2 s of the reload (${at:-never} vs $t0)" "yes" \
    "$(yesno awk -v a="${at:-0}" -v b="$t0" \
    'BEGIN { exit !(a >= b && a - b <= 2) }')"
check "its conntrack mark: block (0x300), the QoS bits kept" \
    "$((QOS | 0x300))" "$(ct_mark "$sport")"
sleep 1.5	# the writer commits in batches
check "a redecide event for the reload" "1" \
    "$(events "%:$sport -> $FB_IP:443 TLS.Facebook www.facebook.com, person jsmith, device jsmith-laptop: log staff-social-out-of-hours (7.3) -> block staff-social-in-hours (7.3), reload")"
stop_bg "$KEEP_PID"
stop_bg "$SG_GW_PID"
# both rows: logged until the reload, blocked from it
t0us="$(awk -v t="$t0" 'BEGIN { printf "%.0f", t * 1000000 }')"
check "its record is split at the reload" "1" "$(gw_sql "SELECT count(*)
    FROM flows a JOIN flows b ON b.start_us = a.end_us AND b.ip = a.ip
    AND b.dst_ip = a.dst_ip WHERE a.host = 'www.facebook.com'
    AND b.start_us >= $t0us
    AND a.action = 'log' AND a.rule = 'staff-social-out-of-hours'
    AND a.bytes_out > 0 AND a.in_school_hours = 0
    AND b.action = 'block' AND b.rule = 'staff-social-in-hours'
    AND b.in_school_hours = 1 AND b.person = 'jsmith'")"
check "the chain still verifies" "verified" \
    "$("$SCHOOLGATE" verify -c "$SG_RUN_DIR/gateway.conf" 2>&1 |
    sed -n 's/^[0-9]* records \(verified\)$/\1/p')"
today="$(TZ=Europe/London date +%F)"
"$SCHOOLGATE" report -c "$SG_RUN_DIR/gateway.conf" --from "$today" \
    --to "$today" --format json -o "$SG_RUN_DIR/report.json" --no-verify
check "the report counts the changed decisions" "$splits" \
    "$(python3 -c 'import json, sys
q = json.load(open(sys.argv[1]))["data_quality"]
print(q["redecisions"], sum(e["kind"] == "redecide" for e in q["events"]))' \
    "$SG_RUN_DIR/report.json")"
fault_finish
