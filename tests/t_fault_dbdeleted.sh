#!/usr/bin/env bash
# The records database deleted underneath the running daemon: it notices
# (the file at the path is gone), logs it, starts a fresh database whose
# first event says why its chain starts there, and filtering never stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf6$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
gw_up --hours in
check "facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"
sleep 1.5
rm -f "$SG_RUN_DIR/records.db" "$SG_RUN_DIR/records.db-wal" \
    "$SG_RUN_DIR/records.db-shm"
check "filtering goes on: facebook blocked" "reset" \
    "$(fetch staff www.facebook.com 100)"
check "the daemon says so" "yes" \
    "$(yesno wait_log 'database .* was deleted or replaced; reopening' 5)"
check "a new database exists" "yes" "$(yesno test -f "$SG_RUN_DIR/records.db")"
check "new database mode" "640" "$(stat -c %a "$SG_RUN_DIR/records.db")"
check "instagram blocked" "reset" "$(fetch staff www.instagram.com 100)"
sleep 2
check "its first event explains the new chain" "gap|the records database was deleted" \
    "$(gw_sql "SELECT kind || '|' || detail FROM events ORDER BY id LIMIT 1")"
stop_bg "$SG_GW_PID"	# flushes the flows awaiting conntrack totals
check "rows after the deletion are recorded" "yes" \
    "$(yesno test "$(gw_sql "SELECT count(*) FROM flows WHERE app LIKE '%Instagram%'")" -ge 1)"
check "the new database verifies" "yes" \
    "$(yesno grep -q 'records verified' <("$SCHOOLGATE" verify --db "$SG_RUN_DIR/records.db" 2>&1))"
fault_finish
