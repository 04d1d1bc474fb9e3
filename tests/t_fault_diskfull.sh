#!/usr/bin/env bash
# Disk full: the records database on a small tmpfs that a filler file
# fills.  Filtering goes on, the daemon logs the failing store once (not
# once per record), status shows it, and once the filler is deleted the
# held rows are written and the log says "records: writing again".  A burst
# beyond records.memory_rows (1024 here) while full is dropped and counted:
# in status, and, once writing again, as a "gap" event that the report's
# data-quality section shows next to the late write.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf7$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh

db_dir=""
cleanup() {
	if [ -n "$db_dir" ] && mountpoint -q "$db_dir"; then
		# the daemon holds the database open: end it before unmounting
		[ -n "${SG_GW_PID:-}" ] && stop_bg "$SG_GW_PID"
		umount "$db_dir" || umount -l "$db_dir" || true
	fi
	netns_school_down
}
trap cleanup EXIT

records_lines() {
	grep -c 'records:' "$SG_RUN_DIR/daemon.log" || true
}
db_sql() {
	sqlite3 "$db_dir/records.db" "$1"
}
burst_n=1400
# burst N: N plain HTTP connections from the staff laptop to Wikipedia
# (allowed, one record each); prints how many got their answer.
burst() {
	run_in staff python3 - "$(gw_site_ip en.wikipedia.org)" "$1" <<'PY'
import socket, sys
ip, n, ok = sys.argv[1], int(sys.argv[2]), 0
for _ in range(n):
    try:
        with socket.create_connection((ip, 80), timeout=4) as s:
            s.sendall(b"GET /1 HTTP/1.1\r\nHost: en.wikipedia.org\r\n"
                      b"Connection: close\r\n\r\n")
            ok += s.recv(64).startswith(b"HTTP/1.")
    except OSError:
        pass
print(ok)
PY
}
# Flows are written when conntrack says they ended: end them now.
ct_flush() {
	run_in gw conntrack -F >/dev/null 2>&1 || true
}

netns_school_up
db_dir="$SG_RUN_DIR/db"
mkdir "$db_dir"
mount -t tmpfs -o size=1m,mode=0755 sg-diskfull "$db_dir"
chown nobody "$db_dir"
gw_up --hours in --db "$db_dir/records.db" --memory-rows 1024
check "before: facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"
check "before: wikipedia passes" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
ct_flush
sleep 1.5	# the writer's idle flush
check "the facebook row is written" "1" \
    "$(db_sql "SELECT count(*) FROM flows WHERE app LIKE '%Facebook%'")"
check "no records message yet" "0" "$(records_lines)"

echo "== fill the tmpfs"
rows_full="$(db_sql 'SELECT count(*) FROM flows')"
dd if=/dev/zero of="$db_dir/filler" bs=4k 2>/dev/null || true
check "the tmpfs is full" "0" \
    "$(df --output=avail "$db_dir" | tail -n 1 | tr -d ' ')"
for i in 1 2 3; do
	check "disk full: facebook blocked ($i)" "reset" \
	    "$(fetch staff www.facebook.com 100)"
	check "disk full: wikipedia passes ($i)" "ok 1000" \
	    "$(fetch staff en.wikipedia.org 1000)"
done
ct_flush
check "the daemon says the store is failing" "yes" \
    "$(yesno wait_log 'records: .*filtering continues' 8)"
st="$(gw_status | grep '^records:')"
echo "   $st"
check "status shows the store full" "yes" \
    "$(yesno grep -q 'store database or disk is full' <<<"$st")"
sleep 2.5	# several retries of the writer
check "logged once, not once per record or retry" "1" "$(records_lines)"
check "status shows the rows held" "yes" \
    "$(yesno grep -qE 'backlog [1-9]' <<<"$st")"

echo "== free the space"
rm -f "$db_dir/filler"
check "the daemon writes again" "yes" \
    "$(yesno wait_log 'records: writing again' 8)"
check "two records messages in all" "2" "$(records_lines)"
check "facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"
ct_flush
sleep 1.5
n="$(db_sql 'SELECT count(*) FROM flows')"
check "rows held while full are written" "yes" \
    "$(yesno test "$n" -ge $((rows_full + 7)))"
echo "   flows: $rows_full before full, $n after"
n2="$(db_sql 'SELECT count(*) FROM flows WHERE app LIKE "%Facebook%"')"
check "facebook rows from the full period are there" "yes" \
    "$(yesno test "$n2" -ge 5)"
st="$(gw_status | grep '^records:')"
echo "   $st"
check "status: store ok again" "yes" "$(yesno grep -q 'store ok' <<<"$st")"
check "status: nothing dropped" "yes" \
    "$(yesno grep -q 'dropped 0,' <<<"$st")"
check "a delay event says rows were written late" "yes" \
    "$(yesno grep -q 'written late' <(db_sql \
    "SELECT detail FROM events WHERE kind='delay'"))"

echo "== full again, and a burst of $burst_n connections (memory_rows 1024)"
dd if=/dev/zero of="$db_dir/filler" bs=4k 2>/dev/null || true
check "all of the burst passes" "$burst_n" "$(burst "$burst_n")"
ct_flush
sleep 2.5
st="$(gw_status | grep '^records:')"
echo "   $st"
dropped="$(sed -n 's/.*dropped \([0-9]*\).*/\1/p' <<<"$st")"
check "status counts the dropped rows" "yes" \
    "$(yesno test "${dropped:-0}" -gt 0)"
held="$(sed -n 's/.*backlog \([0-9]*\),.*/\1/p' <<<"$st")"
check "status: at most memory_rows held" "yes" \
    "$(yesno test "${held:-99999}" -le 1024)"
check "logged once more, not per record" "3" "$(records_lines)"
rm -f "$db_dir/filler"
check "writing again" "yes" \
    "$(yesno wait_log_n 'records: writing again' 2 8)"
sleep 1.5
gap="$(db_sql "SELECT detail FROM events WHERE kind='gap'")"
check "a gap event gives the dropped count" "$dropped records dropped" \
    "$(grep -o '^[0-9]* records dropped' <<<"$gap")"
# while it runs: a report made after a stop counts the time since as a gap
today="$(TZ=Europe/London date +%F)"
"$SCHOOLGATE" report -c "$SG_RUN_DIR/gateway.conf" --db "$db_dir/records.db" \
    --from "$today" --to "$today" --format json >"$SG_RUN_DIR/report.json"
stop_bg "$SG_GW_PID"
check "verify passes" "yes" \
    "$(yesno grep -q 'records verified' <(
    "$SCHOOLGATE" verify --db "$db_dir/records.db" 2>&1))"
check "the report's data quality: one gap, two late writes" "1 2" \
    "$(python3 -c 'import json, sys
q = json.load(open(sys.argv[1]))["data_quality"]
print(q["gaps"], q["late_writes"])' "$SG_RUN_DIR/report.json")"
fault_finish
