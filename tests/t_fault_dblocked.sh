#!/usr/bin/env bash
# The records database locked underneath the running daemon: another
# process holds an exclusive SQLite lock for some seconds (until the test
# has checked what it needs, at most 15 s).  Filtering goes on, the
# daemon logs the busy store once, holds the rows and retries, and once
# the lock is released the rows from during the lock are written and the
# chain verifies.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf8$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

records_lines() {
	grep -c 'records:' "$SG_RUN_DIR/daemon.log" || true
}
# Flows are written when conntrack says they ended: end them now.
ct_flush() {
	run_in gw conntrack -F >/dev/null 2>&1 || true
}
rows() {
	gw_sql "SELECT count(*) FROM flows WHERE person='jsmith' AND
	    action='block' AND app LIKE '%$1%'"
}

netns_school_up
gw_up --hours in
check "before: facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"
ct_flush
sleep 1.5	# the writer's idle flush
check "before: the facebook row is written" "1" "$(rows Facebook)"

echo "== another process holds an exclusive lock"
# shellcheck disable=SC2016 # python, not shell
start_bg gw "$SG_RUN_DIR/locker.out" python3 -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
end = time.monotonic() + 15
while time.monotonic() < end and not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
c.execute("COMMIT")
print("released", flush=True)
' "$SG_RUN_DIR/records.db" "$SG_RUN_DIR/release"
locker_pid="$SG_LAST_PID"
for _ in $(seq 40); do
	grep -q locked "$SG_RUN_DIR/locker.out" && break
	sleep 0.05
done
check "the lock is held" "locked" "$(cat "$SG_RUN_DIR/locker.out")"
check "locked: facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"
check "locked: instagram blocked" "reset" "$(fetch staff www.instagram.com 100)"
check "locked: facebook blocked again" "reset" \
    "$(fetch staff www.facebook.com 100)"
check "locked: wikipedia passes" "ok 1000" \
    "$(fetch staff en.wikipedia.org 1000)"
ct_flush
check "the daemon says the store is locked" "yes" \
    "$(yesno wait_log 'records: database is locked.*filtering continues' 6)"
st="$(gw_status | grep '^records:')"
echo "   $st"
check "status: the rows are held, the store busy" "yes" \
    "$(yesno grep -qE 'backlog [1-9].*store database is locked' <<<"$st")"
check "still locked when checked" "yes" \
    "$(yesno test "$(cat "$SG_RUN_DIR/locker.out")" = locked)"
touch "$SG_RUN_DIR/release"
wait "$locker_pid" || true
forget_bg "$locker_pid"
check "the lock was released" "yes" \
    "$(yesno grep -q released "$SG_RUN_DIR/locker.out")"

echo "== after the lock"
check "the daemon writes again" "yes" \
    "$(yesno wait_log 'records: writing again' 5)"
check "logged once each way" "2" "$(records_lines)"
check "facebook still blocked" "reset" "$(fetch staff www.facebook.com 100)"
stop_bg "$SG_GW_PID"	# flushes the flows awaiting conntrack totals
check "facebook rows from during the lock are recorded" "yes" \
    "$(yesno test "$(rows Facebook)" -ge 4)"
check "the instagram row from during the lock is recorded" "1" \
    "$(rows Instagram)"
check "verify passes" "yes" \
    "$(yesno grep -q 'records verified' <(
    "$SCHOOLGATE" verify --db "$SG_RUN_DIR/records.db" 2>&1))"
check "integrity_check" "ok" "$(gw_sql 'PRAGMA integrity_check')"
fault_finish
