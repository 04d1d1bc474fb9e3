#!/usr/bin/env bash
# Issue 18: nDPI behind a wall.  The real daemon, as nobody with its paths
# in a scratch folder, two queues, real clients:
#   - every process that maps libndpi (the inspectors) holds nothing: no
#     capability in any thread, no_new_privs, seccomp mode 2, not root, an
#     empty root, only sockets, pipes, anonymous inodes and /dev/null;
#   - the monitor never maps libndpi, and no process that maps it has the
#     records database open;
#   - kill -SEGV every inspector: new ones run within 3 s, the monitor's
#     PID is the same, status answers and shows the restarts, facebook is
#     still blocked for a staff laptop in school hours and wikipedia still
#     loads, the flows decided before the crash are in the records, and
#     the records hold a crash event naming SIGSEGV and a gap.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgp$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT
# Under AddressSanitizer a SEGV is caught and reported, and the report's
# reading of /proc is what the sandbox then kills (SIGSYS): let the signal
# end the inspector as it does in a release build.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0"

# inspectors PID: the monitor's children that map libndpi
inspectors() {
	local p
	for p in $(pgrep -P "$1" || true); do
		grep -q libndpi "/proc/$p/maps" 2>/dev/null && echo "$p"
	done
	return 0
}
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# caps_held PID: one line per thread and capability set that is not empty
caps_held() {
	local p="$1" t f
	for t in /proc/"$p"/task/*; do
		for f in CapEff CapPrm CapInh CapAmb; do
			[ "$(awk -v f="$f:" '$1 == f { print $2 }' "$t/status")" = \
			    0000000000000000 ] || echo "thread ${t##*/} $f"
		done
	done
}

# holds_nothing PID: one line per property that is not as it must be
holds_nothing() {
	local p="$1"
	caps_held "$p"
	[ "$(status_field "$p" NoNewPrivs)" = 1 ] || echo "NoNewPrivs"
	[ "$(status_field "$p" Seccomp)" = 2 ] || echo "Seccomp"
	awk '/^Uid:/ && !($2 && $3 && $4 && $5) { print "a uid is root" }' \
	    "/proc/$p/status"
	[ "$(readlink "/proc/$p/root")" != / ] || echo "root is /"
	fd_unexpected "$p"
}

netns_school_up
gw_up --hours in --queues 2
monitor="$SG_GW_PID"

echo "== before the crash"
check "facebook blocked (staff, school hours)" "reset" \
    "$(fetch staff www.facebook.com 100)"
check "wikipedia loads" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
mapfile -t before < <(inspectors "$monitor")
check "one inspector per queue maps libndpi" 2 "${#before[@]}"
check "the monitor does not map libndpi" "no" \
    "$(yesno grep -q libndpi "/proc/$monitor/maps")"
check "the monitor keeps CAP_NET_ADMIN effective" "0000000000001000" \
    "$(status_field "$monitor" CapEff)"
for p in "${before[@]}"; do
	check "inspector $p holds nothing" "" "$(holds_nothing "$p" | xargs)"
done
# The records database is open only in the record writer: no process that
# maps libndpi, and none with a capability in any thread, has it open.
holders="$(fd_holders "$SG_RUN_DIR/records.db" | xargs)"
check "the records database is open somewhere" "yes" \
    "$([ -n "$holders" ] && echo yes || echo no)"
check "the monitor does not have the database open" "no" \
    "$(for p in $holders; do [ "$p" = "$monitor" ] && echo yes; done |
    grep -q yes && echo yes || echo no)"
for p in $holders; do
	check "db holder $p does not map libndpi" "no" \
	    "$(yesno grep -q libndpi "/proc/$p/maps")"
	check "db holder $p has no capability in any thread" "" \
	    "$(caps_held "$p" | xargs)"
done
check "the flows before the crash are decided" "yes yes" \
    "$(gw_wait_row "host = 'www.facebook.com' AND action = 'block'") \
$(gw_wait_row "host = 'en.wikipedia.org' AND action = 'allow'")"

echo "== kill -SEGV every inspector"
for p in "${before[@]}"; do kill -SEGV "$p"; done
after=()
for _ in $(seq 30); do
	mapfile -t after < <(inspectors "$monitor")
	[ "${#after[@]}" = 2 ] && ! grep -qxF -f <(printf '%s\n' "${before[@]}") \
	    <(printf '%s\n' "${after[@]}") && break
	sleep 0.1
done
check "two new inspectors within 3 s" "2 new" \
    "${#after[@]} $(grep -qxF -f <(printf '%s\n' "${before[@]}") \
    <(printf '%s\n' "${after[@]}") && echo old || echo new)"
check "the monitor's PID is unchanged" "yes" \
    "$(yesno kill -0 "$monitor")"
for p in "${after[@]}"; do
	check "new inspector $p holds nothing" "" "$(holds_nothing "$p" | xargs)"
done
status="$(gw_status)"
check "status answers" "yes" "$(yesno grep -q "pid $monitor" <<<"$status")"
check "status shows the crashes" "2" \
    "$(grep -c 'inspector for queue .*1 crashes (last: killed by SIGSEGV)' \
    <<<"$status")"
check "facebook still blocked after the crash" "reset" \
    "$(fetch staff www.facebook.com 100)"
check "wikipedia still loads after the crash" "ok 1000" \
    "$(fetch staff en.wikipedia.org 1000)"
check "the crash is an event naming the signal" "2" \
    "$(gw_sql "SELECT count(*) FROM events WHERE kind = 'crash' AND
    detail LIKE 'inspector for queue % killed by SIGSEGV%'")"
check "the uninspected time is a gap" "yes" \
    "$([ "$(gw_sql "SELECT count(*) FROM events WHERE kind = 'gap' AND
    detail LIKE 'queue % was not inspected%'")" -ge 2 ] && echo yes || echo no)"

stop_bg "$monitor"
check "every inspector ended with the monitor" "" \
    "$(for p in "${after[@]}"; do kill -0 "$p" 2>/dev/null && echo "$p"; done)"
check "flows decided before the crash kept their records" "2 2" \
    "$(gw_sql "SELECT count(*) FROM flows WHERE host = 'www.facebook.com'
    AND action = 'block'") $(gw_sql "SELECT count(*) FROM flows WHERE
    host = 'en.wikipedia.org' AND action = 'allow'")"
fault_finish
