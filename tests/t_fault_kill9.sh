#!/usr/bin/env bash
# kill -9 of the daemon mid-transfer: the established transfer completes
# (its flow is decided, so the kernel carries it), new connections still
# pass (--queue-bypass, fail-open), and the restarted daemon records the
# gap; the records database opens cleanly and its chain verifies.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf1$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
gw_up --hours in
check "before: facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"

echo "== a 3 s download, and kill -9 in the middle of it"
ip="$(gw_site_ip en.wikipedia.org)"
start_bg staff "$SG_RUN_DIR/curl.out" curl -sS -o /dev/null \
    -w '%{size_download}' --max-time 15 --limit-rate 400k --cacert "$SG_CA" \
    --resolve "en.wikipedia.org:443:$ip" https://en.wikipedia.org/1200000
curl_pid="$SG_LAST_PID"
sleep 1
kill -KILL "$SG_GW_PID"
wait "$SG_GW_PID" 2>/dev/null || true
forget_bg "$SG_GW_PID"
check "daemon is gone" "yes" "$(yesno test ! -d "/proc/$SG_GW_PID")"

echo "== while it is down"
check "new connection passes (fail-open)" "ok 1000" "$(fetch staff padlet.com 1000)"
check "new facebook connection passes uninspected" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"
rc=0
wait "$curl_pid" || rc=$?
check "established transfer completed" "0 1200000" \
    "$rc $(cat "$SG_RUN_DIR/curl.out")"

echo "== restart"
gw_start
check "enforcing again: facebook is blocked" "reset" \
    "$(fetch staff www.facebook.com 100)"
wait_log 'previous run ended without stopping cleanly' 2 || true
sleep 1.5	# the writer's idle flush
gap="$(gw_sql "SELECT detail FROM events WHERE kind='gap' ORDER BY id DESC LIMIT 1")"
check "a gap event says why" "the previous run ended without stopping cleanly" "$gap"
check "the gap says traffic passed uninspected" "yes" \
    "$(yesno grep -q 'passed uninspected (fail-open)' <<<"$gap")"
check "two start events, one stop" "2 0" \
    "$(gw_sql "SELECT count(*) FROM events WHERE kind='start'") \
$(gw_sql "SELECT count(*) FROM events WHERE kind='stop'")"
stop_bg "$SG_GW_PID"
check "verify passes after the kill" "yes" \
    "$(yesno grep -q 'records verified' <(
    "$SCHOOLGATE" verify --db "$SG_RUN_DIR/records.db" 2>&1))"
check "integrity_check" "ok" "$(gw_sql 'PRAGMA integrity_check')"
fault_finish
