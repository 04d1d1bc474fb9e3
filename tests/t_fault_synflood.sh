#!/usr/bin/env bash
# A SYN flood through the gateway does not stop `schoolgate status` from
# answering; the daemon stays up and a normal fetch still works.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf3$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
gw_up --hours in

echo "== up to 200000 SYNs (new flows) from the staff laptop, for 6 s"
start_bg staff "$SG_RUN_DIR/flood.out" python3 tests/netns/synflood.py \
    --src 10.10.0.23 --dst "$(gw_site_ip en.wikipedia.org)" --port 80 \
    --count 200000 --seconds 6
flood_pid="$SG_LAST_PID"
sleep 0.5
slow=0
for i in 1 2 3 4; do
	t0="$(date +%s%N)"
	if ! out="$(timeout 2 "$SCHOOLGATE" status -s "$SG_RUN_DIR/control.sock")" ||
	    ! grep -q '^schoolgate: running' <<<"$out"; then
		slow=$((slow + 1))
	fi
	echo "   status $i answered in $((($(date +%s%N) - t0) / 1000000)) ms"
	sleep 0.2
done
check "status answered within 2 s, 4 times during the flood" "0" "$slow"
wait "$flood_pid" || true
forget_bg "$flood_pid"
sent="$(sed -n 's/^sent //p' "$SG_RUN_DIR/flood.out")"
check "the flood sent SYNs" "yes" "$(yesno test "${sent:-0}" -gt 10000)"

echo "== after the flood"
check "daemon alive" "yes" "$(yesno kill -0 "$SG_GW_PID")"
status="$(gw_status)"
flows="$(sed -n 's/^flows: \([0-9]*\);.*/\1/p' <<<"$status")"
check "the daemon saw the flood's flows" "yes" \
    "$(yesno test "${flows:-0}" -gt 1000)"
check "wikipedia still fetches" "ok 100000" "$(fetch staff en.wikipedia.org 100000)"
check "facebook still blocked" "reset" "$(fetch staff www.facebook.com 100)"
fault_finish
