#!/usr/bin/env bash
# Proves filter/nfq.c and filter/ct.c against the real kernel in three
# network namespaces (client -- gw -- server):
#   1. an allowed flow is handed to the kernel after a handful of packets
#   2. a blocked flow is reset at once (block mark + CONNMARK + REJECT)
#   3. a DESTROY event carries the flow's mark and the kernel's byte count
#   4. killing the queue program mid-transfer stops nothing (fail-open)
#   5. a dump lists a running flow
#   6. the queue can be bound again, a taken queue is refused, and both
#      probes leave cleanly on SIGTERM (ASan checks for leaks)
# Needs root, iptables-nft, curl and python3.  Env: SG_TOOLS (nfq_probe,
# ct_probe).
set -u

tools="${SG_TOOLS:?SG_TOOLS must name the directory of nfq_probe and ct_probe}"
for t in nfq_probe ct_probe; do
	[ -x "$tools/$t" ] || { echo "FAIL: $tools/$t not built"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL: needs root for network namespaces"
	exit 1
fi
for c in ip iptables-nft conntrack curl python3 ss; do
	command -v "$c" >/dev/null || { echo "FAIL: $c not installed"; exit 1; }
done

pfx="sgt$$"
C="${pfx}c"; G="${pfx}g"; S="${pfx}s"
work="$(mktemp -d "/tmp/t_nfq_ct.XXXXXX")"
pids=()
failed=0

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$C" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	[ -n "${SG_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

check() {
	local what="$1"; shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		failed=1
	fi
}

die() {
	echo "FAIL: $*"
	exit 1
}

in_c() { ip netns exec "$C" "$@"; }
in_g() { ip netns exec "$G" "$@"; }
in_s() { ip netns exec "$S" "$@"; }

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

### network: client 10.10.0.23 -- gw -- server 198.51.100.2
ip netns add "$C" && ip netns add "$G" && ip netns add "$S" ||
    die "cannot create namespaces"
ip -n "$C" link add c0 type veth peer name gc netns "$G" &&
ip -n "$S" link add s0 type veth peer name gs netns "$G" ||
    die "cannot create veth pairs"
ip -n "$C" addr add 10.10.0.23/24 dev c0
ip -n "$G" addr add 10.10.0.1/24 dev gc
ip -n "$G" addr add 198.51.100.1/24 dev gs
ip -n "$S" addr add 198.51.100.2/24 dev s0
for ns in "$C" "$G" "$S"; do
	ip -n "$ns" link set lo up
done
ip -n "$C" link set c0 up
ip -n "$S" link set s0 up
ip -n "$G" link set gc up
ip -n "$G" link set gs up
ip -n "$C" route add default via 10.10.0.1
# Small socket buffers, so that curl --limit-rate paces the server and a
# transfer is still crossing the gateway when the probe is killed.
in_c sysctl -qw net.ipv4.tcp_rmem="4096 65536 262144" || die "tcp_rmem"
ip -n "$S" route add default via 198.51.100.1

in_g sysctl -qw net.ipv4.ip_forward=1 || die "ip_forward"
# The ruleset below loads conntrack; the sysctls exist only after that.
ipt() { in_g iptables-nft "$@" || die "iptables-nft $*"; }
ipt -A FORWARD -m mark ! --mark 0 -j CONNMARK --save-mark
ipt -A FORWARD -m connmark --mark 0x300 -p tcp -j REJECT --reject-with tcp-reset
ipt -A FORWARD -m connmark --mark 0x300 -j DROP
ipt -A FORWARD -m connmark --mark 0x100 -j ACCEPT
ipt -A FORWARD -m connmark --mark 0x200 -j ACCEPT
ipt -A FORWARD -i gc -m connmark --mark 0 -j NFQUEUE --queue-num 0 --queue-bypass
# Closed flows must be destroyed in seconds, not after TIME_WAIT's 120.
in_g sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1 ||
    die "tcp_timeout_time_wait"

### server: the same directory on an allowed and a blocked port
mkdir -p "$work/www"
head -c 1048576 /dev/urandom >"$work/www/1m"
head -c 20971520 /dev/zero >"$work/www/20m"
for port in 8080 8443; do
	ip netns exec "$S" python3 -m http.server "$port" \
	    --bind 198.51.100.2 --directory "$work/www" \
	    >"$work/http$port.log" 2>&1 &
	pids+=($!)
done

### probes in the gateway
# Started with ip netns exec itself (no shell function, so no subshell):
# ip execs the program, and $! is the probe's own pid for kill -9.
ip netns exec "$G" "$tools/ct_probe" watch >"$work/ct.out" 2>"$work/ct.err" &
pids+=($!)
ct_pid=$!
ip netns exec "$G" "$tools/nfq_probe" 0 8443 >"$work/nfq.out" 2>"$work/nfq.err" &
pids+=($!)
nfq_pid=$!
wait_for "$work/ct.out" '^watching' 5 || die "ct_probe did not start: $(cat "$work/ct.err")"
wait_for "$work/nfq.out" '^bound 0' 5 || die "nfq_probe did not bind: $(cat "$work/nfq.err")"
for port in 8080 8443; do
	for ((i = 0; i < 50; i++)); do
		in_s ss -Hltn "sport = :$port" | grep -q LISTEN && break
		sleep 0.1
	done
done

check "ct_enable_accounting turned on nf_conntrack_acct" \
    test "$(in_g sysctl -n net.netfilter.nf_conntrack_acct)" = 1
check "ct_enable_accounting turned on nf_conntrack_timestamp" \
    test "$(in_g sysctl -n net.netfilter.nf_conntrack_timestamp)" = 1

### 1. allowed flow: full download, only its first packets queued
echo "1. allowed flow on :8080"
size=$(in_c curl -s -o /dev/null -w '%{size_download}' --max-time 10 \
    http://198.51.100.2:8080/1m)
check "curl :8080 downloaded 1048576 bytes (got $size)" test "$size" = 1048576
n8080=$(grep -c '^pkt 8080 ' "$work/nfq.out")
check "probe saw $n8080 packets of the 8080 flow (want 1..9)" \
    test "$n8080" -ge 1 -a "$n8080" -lt 10

### 2. blocked flow: reset as soon as the request is judged
echo "2. blocked flow on :8443"
start=$(date +%s%N)
in_c curl -s -o /dev/null --max-time 5 http://198.51.100.2:8443/1m \
    2>"$work/curl8443.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "curl :8443 failed with a reset (exit $rc, want 56)" test "$rc" = 56
check "curl :8443 failed fast (${ms} ms < 2000)" test "$ms" -lt 2000
check "probe judged a payload packet of the 8443 flow" \
    grep -q '^pkt 8443 ' "$work/nfq.out"

### 3. DESTROY event with the mark and the kernel's byte counts
echo "3. conntrack DESTROY event for the 8080 flow"
# fields: DESTROY proto src sport dst dport mark pkts_o bytes_o pkts_r bytes_r
destroyed() {
	awk '$1 == "DESTROY" && $2 == 6 && $3 == "10.10.0.23" &&
	    $5 == "198.51.100.2" && $6 == 8080 { print; f = 1 }
	    END { exit !f }' "$work/ct.out"
}
# TIME_WAIT lasts 1 s here, but the kernel's conntrack garbage collector
# may wait up to 60 s before reaping it.  Deleting the closed entry gives
# the same DESTROY event at once.
for ((i = 0; i < 30; i++)); do
	destroyed >/dev/null && break
	sleep 0.1
done
if ! destroyed >/dev/null; then
	echo "   (not yet reaped by the kernel; deleting it with conntrack -D)"
	in_g conntrack -D -p tcp -s 10.10.0.23 -d 198.51.100.2 --dport 8080 \
	    >/dev/null 2>&1
	for ((i = 0; i < 30; i++)); do
		destroyed >/dev/null && break
		sleep 0.1
	done
fi
line=$(destroyed | head -n 1)
check "ct_probe printed a DESTROY line for 8080 ($line)" test -n "$line"
set -- $line
check "its mark is 0x100 (256, got ${7:-none})" test "${7:-0}" = 256
check "its reply bytes >= 1048576 (got ${11:-none})" \
    test "${11:-0}" -ge 1048576
check "its original packets > those the probe saw" \
    test "${8:-0}" -gt "$n8080"

### 5. dump during a running transfer; 4. kill -9 mid-transfer
echo "5. dump during a transfer, 4. fail-open after kill -9"
ip netns exec "$C" curl -s -o /dev/null -w '%{size_download}' \
    --limit-rate 10M --max-time 15 http://198.51.100.2:8080/20m >"$work/big.size" 2>&1 &
big_pid=$!
pids+=($big_pid)
sleep 0.7
in_g "$tools/ct_probe" dump >"$work/dump.out" 2>"$work/dump.err"
check "ct_probe dump succeeded" test $? = 0
check "dump lists the running 8080 flow with mark 256, still short of 20 MB" \
    awk '$1 == "DUMP" && $2 == 6 && $3 == "10.10.0.23" && $6 == 8080 &&
	$7 == 256 && $11 > 0 && $11 < 20971520 { f = 1 }
	END { exit !f }' "$work/dump.out"
kill -9 "$nfq_pid"
wait "$nfq_pid" 2>/dev/null
check "nfq_probe is gone after kill -9" sh -c "! kill -0 $nfq_pid 2>/dev/null"
wait "$big_pid"
big=$(cat "$work/big.size")
check "20 MB transfer completed after kill -9 (got $big)" \
    test "$big" = 20971520
size=$(in_c curl -s -o /dev/null -w '%{size_download}' --max-time 5 \
    http://198.51.100.2:8080/1m)
check "new connection after kill -9 passes (fail-open, got $size)" \
    test "$size" = 1048576

### the queue is bound again after the crash, and busy errors surface
echo "6. rebind after the crash, a taken queue refused, clean SIGTERM exit"
ip netns exec "$G" "$tools/nfq_probe" 0 8443 >"$work/nfq2.out" 2>"$work/nfq2.err" &
nfq2_pid=$!
pids+=($nfq2_pid)
wait_for "$work/nfq2.out" '^bound 0' 5
check "a new nfq_probe binds queue 0 again" grep -q '^bound 0' "$work/nfq2.out"
in_g "$tools/nfq_probe" 0 8443 >"$work/nfq3.out" 2>"$work/nfq3.err"
rc=$?
# The kernel answers EPERM (not EBUSY) when another socket owns the queue.
check "a second program on queue 0 is refused with EPERM (exit $rc)" \
    grep -q 'queue 0: Operation not permitted' "$work/nfq3.err"
size=$(in_c curl -s -o /dev/null -w '%{size_download}' --max-time 5 \
    http://198.51.100.2:8080/1m)
check "a flow through the new probe passes (got $size)" test "$size" = 1048576
check "the new probe judged that flow" grep -q '^pkt 8080 ' "$work/nfq2.out"
kill -TERM "$nfq2_pid"
wait "$nfq2_pid"
check "nfq_probe exited cleanly on SIGTERM (no leak under ASan)" test $? = 0
check "nfq_probe printed its stats" \
    grep -q '^stats received [1-9][0-9]* enobufs 0 verdict_errors 0' \
    "$work/nfq2.out"

kill -TERM "$ct_pid"
wait "$ct_pid"
check "ct_probe exited cleanly on SIGTERM (no leak under ASan)" test $? = 0

if [ "$failed" -ne 0 ]; then
	echo "--- nfq_probe stdout (tail)"; tail -n 20 "$work/nfq.out"
	echo "--- nfq_probe stderr"; cat "$work/nfq.err"
	echo "--- ct_probe"; cat "$work/ct.out" "$work/ct.err"
	exit 1
fi
echo "all nfq/ct checks passed"
