#!/usr/bin/env bash
# The DHCP leases file turned to garbage, or cut mid-line, while the daemon
# runs: the last good mapping is kept and one warning is logged per change
# of the file (not one per poll).  The pupil tablet's frame MAC belongs to
# no configured device, so the daemon falls back to the lease for its IP;
# the lease maps 10.20.0.31 to apatel-phone's MAC, so its flows are
# apatel's.  A later valid file is taken.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf9$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

warnings() {
	grep -c 'leases: .*keeping the last good mapping' \
	    "$SG_RUN_DIR/daemon.log" || true
}
# put_leases TEXT: replaced in one step, so the daemon never reads half
put_leases() {
	printf '%b' "$1" >"$leases.new"
	chmod 0644 "$leases.new"
	mv "$leases.new" "$leases"
}
pupil_people() {	# who the pupil tablet's facebook flows were, in order
	gw_sql "SELECT group_concat(person, ',') FROM (SELECT person FROM
	    flows WHERE ip='10.20.0.31' AND app LIKE '%Facebook%'
	    ORDER BY start_us)"
}

apatel="1999999999 02:00:00:00:10:04 10.20.0.31 apatel-phone *\n"
other="1999999999 02:00:00:00:10:01 10.20.0.99 tthamia-laptop *\n"
jsmith="1999999999 02:00:00:00:10:03 10.20.0.31 jsmith-laptop *\n"

netns_school_up
leases="$SG_RUN_DIR/dnsmasq.leases"
put_leases "$other$apatel"
gw_up --hours in --leases "$leases"
check "good leases: pupil tablet's facebook blocked" "reset" \
    "$(fetch pupil www.facebook.com 100)"
check "no leases warning yet" "0" "$(warnings)"

echo "== garbage"
put_leases 'this is not\001 a leases file\n\377\376 at all\n'
check "the daemon warns" "yes" \
    "$(yesno wait_log 'leases: .*keeping the last good mapping' 3)"
grep 'leases:' "$SG_RUN_DIR/daemon.log" | sed 's/^/   /'
check "garbage: facebook blocked" "reset" "$(fetch pupil www.facebook.com 100)"
sleep 3	# three polls of an unchanged bad file
check "warned once, not every poll" "1" "$(warnings)"

echo "== a good file, then cut in the middle of a line"
put_leases "$other$apatel"
sleep 1.5	# taken on the next poll
size="$(stat -c %s "$leases")"
truncate -s $((size - 30)) "$leases"
echo "   now: $(tail -n 1 "$leases")"
check "the daemon warns again" "yes" \
    "$(yesno wait_log 'leases: .*:2: .*keeping the last good mapping' 3)"
check "truncated: facebook blocked" "reset" \
    "$(fetch pupil www.facebook.com 100)"
sleep 2.5
check "one warning per change of the file" "2" "$(warnings)"

echo "== a valid file mapping the IP elsewhere"
put_leases "$jsmith"
sleep 1.5
check "remapped: facebook blocked" "reset" "$(fetch pupil www.facebook.com 100)"
check "a valid file warns of nothing" "2" "$(warnings)"
stop_bg "$SG_GW_PID"	# flushes the flows awaiting conntrack totals
check "flows kept apatel through the bad files, then jsmith" \
    "apatel,apatel,apatel,jsmith" "$(pupil_people)"
check "their devices" "apatel-phone apatel-phone apatel-phone jsmith-laptop" \
    "$(gw_sql "SELECT device FROM flows WHERE ip='10.20.0.31' AND
    app LIKE '%Facebook%' ORDER BY start_us" | tr '\n' ' ')"
fault_finish
