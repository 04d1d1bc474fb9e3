#!/usr/bin/env bash
# The unit's ExecStartPre/ExecStopPost (scripts/schoolgate-rules) take the
# mode from the config: with fail_open = false the ruleset stays after a
# clean stop and after a kill -9, so new LAN connections stay refused;
# with fail_open = true a stop removes it and traffic passes.  The LAN
# interfaces come from the config's groups plus $SCHOOLGATE_RULES_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgu2$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
source tests/netns/unit.sh
trap netns_school_down EXIT

rules() {	# rules start|stop: as the unit runs them
	run_in gw env SCHOOLGATE="$SCHOOLGATE" SCHOOLGATE_RUN_DIR="$SG_RUN_DIR" \
	    SCHOOLGATE_RULES_OPTS="--lan lan-pupils --lan lan-staff" \
	    bash scripts/schoolgate-rules "$1" "$SG_RUN_DIR/gateway.conf"
}
installed() {
	run_in gw bash scripts/gateway-rules status >/dev/null 2>&1 &&
	    echo yes || echo no
}

unit_wrap
netns_school_up
chown nobody "$SG_RUN_DIR"
chmod 0750 "$SG_RUN_DIR"

echo "== fail-closed"
gw_conf --hours in --fail-closed
check "the config's options" "--queues 0:1 --mark-mask 0x0000ff00 --fail-closed --lan lan-staff" \
    "$("$SCHOOLGATE" check-config --print-rules-opts -c "$SG_RUN_DIR/gateway.conf")"
rules start
run_in gw bash scripts/gateway-rules status >"$SG_RUN_DIR/rules.txt" 2>&1 || true
check "both LANs are queued" "yes yes" \
    "$(yesno grep -q lan-pupils "$SG_RUN_DIR/rules.txt") $(yesno grep -q lan-staff "$SG_RUN_DIR/rules.txt")"
check "without bypass" "no" "$(yesno grep -q bypass "$SG_RUN_DIR/rules.txt")"
gw_start
check "running: facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"
check "running: wikipedia is allowed" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
stop_bg "$SG_GW_PID"
rules stop 2>"$SG_RUN_DIR/stop.err"
check "after a clean stop the ruleset stays" "yes" "$(installed)"
check "the stop says why" "yes" \
    "$(yesno grep -q 'fail-closed: the ruleset stays' "$SG_RUN_DIR/stop.err")"
check "stopped: a new connection is refused" "timeout" \
    "$(fetch staff en.wikipedia.org 1000)"
check "stopped: pupils too" "timeout" "$(fetch pupil en.wikipedia.org 1000)"
gw_start
check "restarted: wikipedia is allowed" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
kill -KILL "$SG_GW_PID"
wait "$SG_GW_PID" 2>/dev/null || true
forget_bg "$SG_GW_PID"
rules stop 2>/dev/null
check "after kill -9 the ruleset stays" "yes" "$(installed)"
check "crashed: a new connection is refused" "timeout" \
    "$(fetch staff en.wikipedia.org 1000)"

echo "== fail-open"
gw_conf --hours in
rules start
check "ruleset installed with bypass" "yes" \
    "$(yesno grep -q bypass <(run_in gw bash scripts/gateway-rules status 2>/dev/null))"
gw_start
check "running: facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"
kill -KILL "$SG_GW_PID"
wait "$SG_GW_PID" 2>/dev/null || true
forget_bg "$SG_GW_PID"
rules stop
check "a stop removes the ruleset" "no" "$(installed)"
check "stopped: traffic passes uninspected" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"

echo "== an invalid config changes nothing"
echo 'daemon = { queue_count = 99; };' >"$SG_RUN_DIR/gateway.conf"
check "start refuses" "no" "$(yesno rules start 2>/dev/null)"
check "no ruleset was installed" "no" "$(installed)"
fault_finish
