#!/usr/bin/env bash
# The inspector's sandbox (daemon/sandbox.c), entered by tests/tools/
# sbx_probe as the inspector will be: open, openat, socket, execve, kill
# and ptrace kill it with SIGSYS; inside, it has no capability, no_new_privs,
# seccomp mode 2, the user nobody, the empty directory as its root and only
# the descriptors it kept; the engine and nDPI classify every capture in
# there exactly as outside.  Also: libndpi is loaded by cls_module_new, not
# by starting schoolgate.
#
# Under ASan only LeakSanitizer's exit check cannot run sandboxed (it
# reads /proc/self/maps and ptrace-attaches), so sandboxed runs set
# detect_leaks=0; every other check stays on.  The baseline keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SG_TOOLS:?}" "${SCHOOLGATE:?}" "${SHARED:=../shared}"
probe="$SG_TOOLS/sbx_probe"
run="$(mktemp -d /tmp/sg-sbx-$$.XXXXXX)"
probe_pid=""
cleanup() {
	exec 3>&- 2>/dev/null || true
	[ -n "$probe_pid" ] && kill -KILL "$probe_pid" 2>/dev/null || true
	rm -rf "$run"
}
trap cleanup EXIT
failures=0
check() {	# check NAME WANT GOT
	if [ "$2" = "$3" ]; then
		echo "ok   $1: $3"
	else
		echo "FAIL $1: want $2, got $3"
		failures=$((failures + 1))
	fi
}
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
sandboxed_asan="${ASAN_OPTIONS:-}:detect_leaks=0"
empty="$run/run/empty"

# --- forbidden calls: SIGSYS (exit status 128 + 31), after "entered" ---
for call in open openat socket execve kill ptrace; do
	set +e
	out="$(ASAN_OPTIONS="$sandboxed_asan" "$probe" nobody "$empty" "$call" \
	    2>"$run/$call.err")"
	rc=$?
	set -e
	check "$call is killed with SIGSYS" "159 entered" "$rc $out"
done
check "the empty root was created, root-owned 0755" "0 755 directory" \
    "$(stat -c '%u %a %F' "$empty")"

# --- what a sandboxed process holds ---
# holds PREFIX...: the status probe, started through PREFIX (may be empty)
holds() {
	local who="$1" ready rc kinds fd t
	shift
	rm -f "$run/in" "$run/out"
	mkfifo "$run/in" "$run/out"
	ASAN_OPTIONS="$sandboxed_asan" "$@" "$probe" nobody "$empty" status \
	    <"$run/in" >"$run/out" &
	probe_pid=$!
	exec 3>"$run/in"
	read -r -t 20 ready <"$run/out" || ready="(nothing)"
	check "$who: probe entered the sandbox" "ready" "$ready"
	for f in CapEff CapPrm CapInh CapAmb CapBnd; do
		check "$who: $f" "0000000000000000" \
		    "$(status_field "$probe_pid" "$f")"
	done
	check "$who: NoNewPrivs" "1" "$(status_field "$probe_pid" NoNewPrivs)"
	check "$who: Seccomp" "2" "$(status_field "$probe_pid" Seccomp)"
	check "$who: uid is nobody's" "$(id -u nobody)" \
	    "$(status_field "$probe_pid" Uid)"
	check "$who: root directory is the empty one" "$empty" \
	    "$(readlink "/proc/$probe_pid/root")"
	kinds=""
	for fd in "/proc/$probe_pid/fd/"*; do
		t="$(stat -L -c %F "$fd")"
		[ "$t" = "character special file" ] && t="$(readlink "$fd")"
		kinds="$kinds ${fd##*/}:$t"
	done
	check "$who: descriptors: stdin, stdout kept, stderr on /dev/null" \
	    " 0:fifo 1:fifo 2:/dev/null" "$kinds"
	check "$who: libndpi not mapped" "no" \
	    "$(grep -q libndpi "/proc/$probe_pid/maps" && echo yes || echo no)"
	exec 3>&-
	set +e
	wait "$probe_pid"
	rc=$?
	set -e
	probe_pid=""
	check "$who: a sandboxed process exits cleanly" "0" "$rc"
}
holds root
# a monitor that dropped root but kept what restarting inspectors needs
# (the bounding set then stays as the service manager left it: here full)
chmod 755 "$run"
caps="+sys_chroot,+setuid,+setgid,+setpcap"
holds "as daemon with $caps" setpriv --reuid=daemon --regid=daemon \
    --clear-groups --inh-caps="$caps" --ambient-caps="$caps"

# --- a directory that is not empty is refused ---
mkdir -p "$run/full" && touch "$run/full/file"
set +e
err="$("$probe" nobody "$run/full" status </dev/null 2>&1 >/dev/null)"
set -e
check "a non-empty root is refused" "yes" \
    "$(grep -q 'not empty' <<<"$err" && echo yes || echo no)"

# --- nDPI's packet path inside the sandbox: as outside ---
mapfile -t pcaps < <(ls "$SHARED"/pcaps/*.pcap "$SHARED"/pcaps/*.pcapng)
base="$("$probe" - - classify conf/schoolgate.conf "${pcaps[@]}")"
set +e
boxed="$(ASAN_OPTIONS="$sandboxed_asan" "$probe" nobody "$empty" classify \
    conf/schoolgate.conf "${pcaps[@]}")"
rc=$?
set -e
check "classify in the sandbox exits 0" "0" "$rc"
check "and decides as outside (${#pcaps[@]} captures)" "$base" "$boxed"
check "over real traffic" "yes" \
    "$(awk '$4 > 100 && $10 > 0 { print "yes" }' <<<"$base")"

# --- libndpi is loaded by cls_module_new, never by starting schoolgate ---
check "schoolgate does not link libndpi" "no" \
    "$(readelf -d "$SCHOOLGATE" | grep -q 'libndpi' && echo yes || echo no)"
loads() {	# loads CMD...: how many times the loader brings in libndpi
	LD_DEBUG=files "$@" 2>&1 | grep -c 'calling init: .*libndpi' || true
}
check "schoolgate status, which builds no classifier, never loads it" "0" \
    "$(loads "$SCHOOLGATE" status -s "$run/none.sock")"
check "check-config loads it once, for the protocol names" "1" \
    "$(loads "$SCHOOLGATE" check-config -c conf/schoolgate.conf)"
check "a process maps libndpi only once it builds a module" \
    "before no after yes" "$("$probe" - - maps | tr '\n' ' ' | sed 's/ $//')"

[ "$failures" -eq 0 ]
