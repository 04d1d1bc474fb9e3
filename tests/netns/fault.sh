# shellcheck shell=bash
# Helpers for the fault tests (tests/t_fault_*.sh).  Source after lib.sh
# and gateway.sh.
#   check DESCRIPTION EXPECTED ACTUAL   prefix match (EXPECTED "": ACTUAL
#                                       must be empty), counts failures
#   fd_holders FILE                     PIDs that have FILE open
#   fd_unexpected PID                   its descriptors other than sockets,
#                                       pipes, anonymous inodes, /dev/null
#   wait_log PATTERN [SECONDS]          until the daemon log matches (ERE)
#   wait_log_n PATTERN N [SECONDS]      until it matches on N lines
#   forget_bg PID                       drop a PID start_bg started that
#                                       has already been reaped
#   fault_finish                        exit status and summary

fault_failures=0

check() {
	# "" would prefix anything: an empty expectation wants nothing at all
	if [[ -z "$2" && -z "$3" ]] || [[ -n "$2" && "$3" == "$2"* ]]; then
		echo "ok   $1: $3"
	else
		echo "FAIL $1: want $2, got $3"
		fault_failures=$((fault_failures + 1))
	fi
}

yesno() {	# yesno CMD...: "yes" if CMD succeeds
	if "$@"; then echo yes; else echo no; fi
}

wait_log() {
	wait_log_n "$1" 1 "${2:-5}"
}

wait_log_n() {
	local pattern="$1" want="$2" secs="${3:-5}" n
	for ((n = 0; n < secs * 20; n++)); do
		(($(grep -cE -- "$pattern" "$SG_RUN_DIR/daemon.log") >= want)) &&
		    return 0
		sleep 0.05
	done
	return 1
}

forget_bg() {
	local i
	for i in "${!sg_bg_pids[@]}"; do
		[[ "${sg_bg_pids[$i]}" == "$1" ]] && unset 'sg_bg_pids[i]'
	done
	return 0
}

fault_finish() {
	echo
	if [ "$fault_failures" -ne 0 ]; then
		echo "$fault_failures check(s) failed; daemon log:"
		tail -n 40 "$SG_RUN_DIR/daemon.log" 2>/dev/null || true
		exit 1
	fi
	echo "all checks passed"
}

# A descriptor's file by device and inode, not by its link's text: under
# "ip netns exec" inside a chroot (scripts/check-fresh) the links read
# from the host's root, /var/cache/.../dev/null for /dev/null.
fd_holders() {
	local fd p want
	want="$(stat -c %d:%i "$1")" || return 0
	for fd in /proc/[0-9]*/fd/*; do
		[[ "$(readlink "$fd" 2>/dev/null)" == */"${1##*/}" ]] || continue
		[[ "$(stat -L -c %d:%i "$fd" 2>/dev/null)" == "$want" ]] || continue
		p="${fd#/proc/}"
		echo "${p%%/*}"
	done | sort -u
}

fd_unexpected() {
	local fd target null
	null="$(stat -L -c '%F %t:%T' /dev/null)"
	for fd in /proc/"$1"/fd/*; do
		target="$(readlink "$fd")" || continue
		case "$target" in
		socket:*|pipe:*|anon_inode:*) continue ;;
		esac
		[[ "$(stat -L -c '%F %t:%T' "$fd" 2>/dev/null)" == "$null" ]] &&
		    continue
		echo "fd ${fd##*/} -> $target"
	done
}
