#!/usr/bin/env bash
# The record writer in a process of its own (issue 18, docs/PRIVSEP.md):
# with the daemon running as nobody, the records database is open only in
# the writer, which holds no capability, has no_new_privs and a seccomp
# filter, is not root and does not map libndpi; the monitor does not have
# the database open.  Records still arrive.  kill -SEGV of the writer: a
# new writer runs within 3 s, the monitor (same PID) goes on filtering
# and answering status, and a gap event names the signal.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgwp$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT


# field PID NAME: the value of NAME: in /proc/PID/status
field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

# confined PID: every check the issue asks of a process holding records
confined() {
	local pid="$1" t bad=""
	for t in /proc/"$pid"/task/*; do
		[[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "$t/status")" == \
		    0000000000000000 ]] || bad+=" CapEff(${t##*/})"
		[[ "$(sed -n 's/^CapPrm:[[:space:]]*//p' "$t/status")" == \
		    0000000000000000 ]] || bad+=" CapPrm(${t##*/})"
	done
	[[ "$(field "$pid" CapBnd)" == 0000000000000000 ]] || bad+=" CapBnd"
	[[ "$(field "$pid" NoNewPrivs)" == 1 ]] || bad+=" NoNewPrivs"
	[[ "$(field "$pid" Seccomp)" == 2 ]] || bad+=" Seccomp"
	# real, effective, saved and filesystem uid
	[[ "$(field "$pid" Uid)" =~ ^[1-9][0-9]*([[:space:]]+[1-9][0-9]*){3}$ ]] ||
	    bad+=" Uid($(field "$pid" Uid))"
	! grep -q libndpi "/proc/$pid/maps" || bad+=" libndpi"
	echo "${bad:-yes}"
}

# wait_sql SQL: until the count SQL returns is at least 1 (10 s)
wait_sql() {
	local n
	for n in $(seq 100); do
		[[ "$(gw_sql "$1")" -ge 1 ]] && return 0
		sleep 0.1
	done
	return 1
}

# A sanitizer build would catch the SIGSEGV and end otherwise; the
# daemon must see the signal a real nDPI-style crash gives.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"
netns_school_up
gw_up --hours in
db="$SG_RUN_DIR/records.db"
check "facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"

echo "== who holds the records"
writer="$(fd_holders "$db")"
check "exactly one process has the database open" "1" \
    "$(wc -w <<<"$writer")"
check "it is the daemon's child" "$SG_GW_PID" \
    "$(field "$writer" PPid)"
check "the monitor does not have it open" "no" \
    "$(yesno grep -qx "$SG_GW_PID" <<<"$writer")"
check "the writer is confined" "yes" "$(confined "$writer")"
check "the monitor keeps CAP_NET_ADMIN (the writer is not it)" "yes" \
    "$(yesno test "$(field "$SG_GW_PID" CapEff)" != 0000000000000000)"
check "a start event arrives" "yes" "$(yesno wait_sql \
    "SELECT count(*) FROM events WHERE kind='start'")"

echo "== kill -SEGV the writer"
kill -SEGV "$writer"
new=""
for i in $(seq 30); do
	new="$(fd_holders "$db")"
	[[ -n "$new" && "$new" != "$writer" ]] && break
	sleep 0.1
done
check "a new writer holds the database within 3 s" "yes" \
    "$(yesno test -n "$new" -a "$new" != "$writer")"
check "the old writer is gone" "yes" "$(yesno test ! -d "/proc/$writer")"
check "the monitor is the same process" "yes" \
    "$(yesno test -d "/proc/$SG_GW_PID")"
check "the new writer is confined" "yes" "$(confined "$new")"
check "status answers" "yes" "$(gw_status >/dev/null && echo yes || echo no)"
check "filtering goes on: facebook blocked" "reset" \
    "$(fetch staff www.facebook.com 100)"
check "wikipedia loads" "ok" "$(fetch staff en.wikipedia.org 1000)"
check "the daemon logs it" "yes" \
    "$(yesno wait_log 'record writer was killed by signal 11 \(SIGSEGV\)' 5)"
check "a gap event names the signal" "yes" "$(yesno wait_sql \
    "SELECT count(*) FROM events WHERE kind='gap' AND detail LIKE \
'%record writer was killed by signal 11 (SIGSEGV)%'")"

echo "== stop"
stop_bg "$SG_GW_PID"
check "no writer is left" "" "$(fd_holders "$db")"
check "a stop event" "1" \
    "$(gw_sql "SELECT count(*) FROM events WHERE kind='stop'")"
check "facebook flows recorded, before and after the crash" "yes" \
    "$(yesno test "$(gw_sql "SELECT count(*) FROM flows WHERE app LIKE \
'%Facebook%'")" -ge 2)"
check "wikipedia recorded" "yes" \
    "$(yesno test "$(gw_sql "SELECT count(*) FROM flows WHERE host = \
'en.wikipedia.org'")" -ge 1)"
check "the records verify" "yes" \
    "$(yesno grep -q 'records verified' <("$SCHOOLGATE" verify --db "$db" 2>&1))"
fault_finish
