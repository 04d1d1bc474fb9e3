#!/usr/bin/env bash
# classify runs the daemon's inspector in the daemon's sandbox (issue 18
# item 3): while it reads a capture, the process that maps libndpi has
# seccomp mode 2, no_new_privs, no capability, a root other than /, and
# no descriptor to the --records database, which only classify (which
# maps no libndpi) holds.  The flows are the same as with --no-sandbox.
# A SIGSEGV of the inspector is reported by signal and classify exits 1
# with the flows it had.  As a user who is not root, classify says the
# inspector has no chroot, and still gives the same flows.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SCHOOLGATE:?}" "${SHARED:=../shared}"
pcaps="$SHARED/pcaps"
tmp="$(mktemp -d /tmp/sg-clsbox-$$.XXXXXX)"
cls_pid=""
cleanup() {
	[ -n "$cls_pid" ] && kill -KILL "$cls_pid" 2>/dev/null || true
	rm -rf "$tmp"
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
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
maps_ndpi() { grep -q libndpi "/proc/$1/maps" 2>/dev/null; }
# the inspector cannot end LeakSanitizer's way (see t_sandbox.sh), and
# AddressSanitizer's SEGV report reads /proc, which the sandbox kills with
# SIGSYS: let the signal be the SEGV (as t_privsep.sh does)
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0:handle_segv=0"
conf=conf/schoolgate.conf
db="$tmp/records.db"
big="$pcaps/1kxun.pcap"

# --- the same flows in and out of the sandbox ---
set -- "$pcaps/facebook.pcap" "$pcaps/dns_doh.pcap" "$pcaps/badpackets.pcap" \
    "$pcaps/whatsapp_login_chat.pcap"
"$SCHOOLGATE" classify -c "$conf" --as-group staff --json --no-progress \
    "$@" >"$tmp/box" 2>"$tmp/box.err"
"$SCHOOLGATE" classify -c "$conf" --as-group staff --json --no-progress \
    --no-sandbox "$@" >"$tmp/in" 2>"$tmp/in.err"
check "flows in the sandbox as in process" "same" \
    "$(cmp -s "$tmp/box" "$tmp/in" && echo same || echo differ)"
check "summary in the sandbox as in process" "same" \
    "$(cmp -s "$tmp/box.err" "$tmp/in.err" && echo same || echo differ)"
check "flows were printed" "yes" "$([ -s "$tmp/box" ] && echo yes || echo no)"

# --- what the inspector holds while classify reads a capture ---
"$SCHOOLGATE" classify -c "$conf" --as-group staff --no-progress \
    --records "$db" --loop 100000 "$big" >"$tmp/long" 2>"$tmp/long.err" &
cls_pid=$!
# seccomp is the sandbox's last step: until then it is still entering it
insp=""
for _ in $(seq 1 400); do
	for p in $(pgrep -P "$cls_pid" || true); do
		maps_ndpi "$p" && insp=$p
	done
	[ -n "$insp" ] && [ "$(field "$insp" Seccomp)" = 2 ] && break
	sleep 0.05
done
check "an inspector maps libndpi" "yes" "$([ -n "$insp" ] && echo yes || echo no)"
if [ -n "$insp" ]; then
	check "inspector Seccomp" 2 "$(field "$insp" Seccomp)"
	check "inspector NoNewPrivs" 1 "$(field "$insp" NoNewPrivs)"
	check "inspector CapEff" 0000000000000000 "$(field "$insp" CapEff)"
	check "inspector CapPrm" 0000000000000000 "$(field "$insp" CapPrm)"
	check "inspector uid is not root" yes \
	    "$([ "$(field "$insp" Uid)" != 0 ] && echo yes || echo no)"
	check "inspector root is not /" yes \
	    "$([ "$(readlink "/proc/$insp/root")" != / ] && echo yes || echo no)"
	files=$(for fd in /proc/"$insp"/fd/*; do readlink "$fd"; done |
	    grep -Ev '^(socket|pipe|anon_inode):|^/dev/null$' || true)
	check "inspector holds no file" "" "$files"
	check "classify maps no libndpi" no \
	    "$(maps_ndpi "$cls_pid" && echo yes || echo no)"
	held=$(for fd in /proc/"$cls_pid"/fd/*; do readlink "$fd"; done)
	check "classify holds the records" yes \
	    "$(grep -qxF "$db" <<<"$held" && echo yes || echo no)"

	# --- a crash of the inspector: reported by signal, exit 1 ---
	kill -SEGV "$insp"
	set +e
	wait "$cls_pid"
	rc=$?
	set -e
	cls_pid=""
	check "classify exits 1 when the inspector dies" 1 "$rc"
	check "the crash is named" yes \
	    "$(grep -q 'killed by SIGSEGV' "$tmp/long.err" && echo yes || echo no)"
	check "the flows so far were printed" yes \
	    "$([ "$(wc -l <"$tmp/long")" -gt 1 ] && echo yes || echo no)"
fi

# --- not root: seccomp and no_new_privs only, said so, same flows ---
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	cp "$SCHOOLGATE" "$tmp/schoolgate"	# reachable by nobody
	chmod 755 "$tmp" "$tmp/schoolgate"
	set +e
	setpriv --reuid nobody --regid nogroup --clear-groups \
	    "$tmp/schoolgate" classify -c "$conf" --as-group staff --json \
	    --no-progress "$@" >"$tmp/user" 2>"$tmp/user.err"
	rc=$?
	set -e
	check "classify as nobody" 0 "$rc"
	check "classify as nobody says the inspector has no chroot" yes \
	    "$(grep -q 'not root: .*without a chroot' "$tmp/user.err" &&
	    echo yes || echo no)"
	check "flows as nobody as in process" same \
	    "$(cmp -s "$tmp/user" "$tmp/in" && echo same || echo differ)"
fi

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all ok"
