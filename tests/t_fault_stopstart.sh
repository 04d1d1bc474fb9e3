#!/usr/bin/env bash
# Every stop, crash and start is an event, and the report counts stopped
# time in school hours as a monitoring gap with its start and end: a
# clean stop (SIGTERM) and start, then a kill -9 and start, with school
# hours "always" (mkconf --hours in).
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf9$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
gw_up --hours in
check "facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"

echo "== a clean stop for 3 s"
stop_bg "$SG_GW_PID"
sleep 3
gw_start
echo "== kill -9, down for 2 s"
sleep 1.5	# the start event is written
kill -KILL "$SG_GW_PID"
wait "$SG_GW_PID" 2>/dev/null || true
forget_bg "$SG_GW_PID"
sleep 2
gw_start
sleep 1.5	# the start event is written

report() {	# report FORMAT [-o FILE]: today's, from the run's records
	local today
	today="$(TZ=Europe/London date +%F)"
	"$SCHOOLGATE" report -c "$SG_RUN_DIR/gateway.conf" --from "$today" \
	    --to "$today" --format "$@"
}
check "events in order" "start stop start gap start" \
    "$(gw_sql "SELECT kind FROM events WHERE kind IN ('start','stop','gap') ORDER BY id" | xargs)"
report json >"$SG_RUN_DIR/r.json"
report html -o "$SG_RUN_DIR/r.html"
out="$(python3 - "$SG_RUN_DIR/r.json" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))["data_quality"]
d = q["not_monitored"]
print(q["gaps"], len(d), d[0]["why"], 3 <= d[0]["school_hours_seconds"] <= 5,
      d[1]["why"], 1 <= d[1]["school_hours_seconds"] <= 5,
      q["school_hours_not_monitored_seconds"] ==
      d[0]["school_hours_seconds"] + d[1]["school_hours_seconds"])
PY
)"
check "report: two gaps, the stop then the crash, each with its time" \
    "2 2 stopped True crashed True True" "$out"
check "the HTML lists them" "yes yes" \
    "$(yesno grep -q '<td>stopped</td>' "$SG_RUN_DIR/r.html") $(
    yesno grep -q '<td>crashed or killed</td>' "$SG_RUN_DIR/r.html")"

echo "== stopped now: the time since the stop is a gap too"
stop_bg "$SG_GW_PID"
sleep 2.5
report json >"$SG_RUN_DIR/r2.json"
check "a third, still open" "3 stopped True" "$(python3 -c '
import json, sys
q = json.load(open(sys.argv[1]))["data_quality"]
d = q["not_monitored"]
print(q["gaps"], d[-1]["why"], d[-1]["school_hours_seconds"] >= 2)' \
    "$SG_RUN_DIR/r2.json")"
fault_finish
