# shellcheck shell=bash
# A three-namespace network for the benchmarks: a client on the staff LAN,
# the gateway, a server on the internet side.  No bridge, no DNS, no TLS
# sites: nothing runs that the benchmark did not start.  The addresses
# and interface names are the school network's (tests/netns/lib.sh), so
# the gateway config from tests/netns/mkconf.py applies as it is.
#
#   bn_up                  namespaces, links, forwarding
#   bn_in ROLE CMD...      run CMD in cli, gw or srv
#   bn_bg ROLE LOG CMD...  background; PID in BN_LAST_PID, ended by bn_down
#   bn_filter_on [--queues F:N] / bn_filter_off   the shipped ruleset
#   bn_ct_on / bn_ct_off   the "conntrack only" baseline's one rule
#   bn_nat_on / bn_nat_off the NAT gateway's masquerade on wan0
#   bn_daemon_start QUEUES [run options] / bn_daemon_stop
#   BN_TREE                the source tree whose scripts/gateway-rules and
#                          tests/netns/mkconf.py are used (default: this
#                          one; bench/baseline.sh points it at another
#                          commit's worktree), with $SCHOOLGATE its binary
#   bn_down                ends what bn_bg started (by PID), deletes the
#                          namespaces and the run directory

: "${BN_PREFIX:=bch$$}"
BN_CLI="$BN_PREFIX-cli"
BN_GW="$BN_PREFIX-gw"
BN_SRV="$BN_PREFIX-srv"
BN_CLI_IP=10.10.0.23
BN_SRV_IP=198.51.100.15
BN_DIR=""
BN_DAEMON_PID=""
bn_pids=()

# sg_add_ns (namespaces made, in sg_made_ns) and sg_end_pid
# shellcheck source=tests/netns/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/netns/lib.sh"

bn_ns() {
	case "$1" in
	cli) printf '%s' "$BN_CLI" ;;
	gw) printf '%s' "$BN_GW" ;;
	srv) printf '%s' "$BN_SRV" ;;
	*) return 1 ;;
	esac
}

bn_in() {
	local ns
	ns="$(bn_ns "$1")"
	shift
	ip netns exec "$ns" "$@"
}

bn_bg() {
	local ns log="$2"
	ns="$(bn_ns "$1")"
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	BN_LAST_PID=$!
	bn_pids+=("$BN_LAST_PID")
}

bn_up() {
	BN_DIR="$(mktemp -d /tmp/schoolgate-bench.XXXXXX)"
	sg_add_ns "$BN_CLI" && sg_add_ns "$BN_GW" && sg_add_ns "$BN_SRV" ||
	    return 1
	ip -n "$BN_GW" link add lan-staff type veth peer name eth0 \
	    netns "$BN_CLI"
	ip -n "$BN_GW" link add wan0 type veth peer name eth0 netns "$BN_SRV"
	ip -n "$BN_GW" addr add 10.10.0.1/16 dev lan-staff
	ip -n "$BN_GW" addr add 198.51.100.1/24 dev wan0
	ip -n "$BN_GW" link set lan-staff up
	ip -n "$BN_GW" link set wan0 up
	ip -n "$BN_CLI" link set eth0 address 02:00:00:00:10:03
	ip -n "$BN_CLI" addr add "$BN_CLI_IP/16" dev eth0
	ip -n "$BN_CLI" link set eth0 up
	ip -n "$BN_CLI" route add default via 10.10.0.1
	ip -n "$BN_SRV" addr add 198.51.100.2/24 dev eth0
	ip -n "$BN_SRV" addr add "$BN_SRV_IP/32" dev eth0
	ip -n "$BN_SRV" link set eth0 up
	ip -n "$BN_SRV" route add 10.0.0.0/8 via 198.51.100.1
	bn_in gw sysctl -qw net.ipv4.ip_forward=1
	# short connections: the client must not run out of ports
	bn_in cli sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
	bn_in srv sysctl -qw net.ipv4.tcp_max_syn_backlog=8192
	bn_in srv sysctl -qw net.core.somaxconn=8192
	chown nobody "$BN_DIR"
	chmod 0755 "$BN_DIR"
}

bn_down() {
	local i ns
	for ((i = ${#bn_pids[@]} - 1; i >= 0; i--)); do
		sg_end_pid "${bn_pids[i]}"
	done
	bn_pids=()
	for ns in "${sg_made_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	sg_made_ns=()
	if [[ -n "$BN_DIR" && "${BN_KEEP_DIR:-0}" != 1 ]]; then
		rm -rf -- "$BN_DIR"
	fi
	BN_DIR=""
}

# Connections end in TIME_WAIT by the thousand: every side that tracks
# them forgets them after a second, so none runs out of tuples first.
bn_ct_short_timewait() {
	bn_in gw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
}

# The shipped ruleset, as an install would set it up.
bn_filter_on() {
	bn_in gw bash "${BN_TREE:-.}/scripts/gateway-rules" install \
	    --lan lan-staff "$@" >/dev/null
	bn_ct_short_timewait
}

bn_filter_off() {
	bn_in gw bash "${BN_TREE:-.}/scripts/gateway-rules" remove >/dev/null
}

# The "conntrack only" baseline: plain forwarding plus one conntrack match
# in FORWARD, so the kernel tracks connections as it must for CONNMARK.
bn_ct_rule=(FORWARD -m comment --comment schoolgate-bench-ct
    -m conntrack --ctstate INVALID -j DROP)
bn_ct_on() {
	bn_in gw iptables -w -I "${bn_ct_rule[@]}"
	bn_ct_short_timewait
}

bn_ct_off() {
	bn_in gw iptables -w -D "${bn_ct_rule[@]}"
}

# The NAT baseline: what a school's gateway runs without schoolgate, the
# LAN masqueraded behind the WAN address and no filter.  Conntrack runs
# for it as for the filter.
bn_nat_rule=(POSTROUTING -o wan0 -m comment --comment schoolgate-bench-nat
    -j MASQUERADE)
bn_nat_on() {
	bn_in gw iptables -w -t nat -A "${bn_nat_rule[@]}"
	bn_ct_short_timewait
}

bn_nat_off() {
	bn_in gw iptables -w -t nat -D "${bn_nat_rule[@]}"
}

# bn_daemon_start QUEUES [run options]: the gateway config of the netns
# tests (school hours "in"), then schoolgate run in the gateway.
bn_daemon_start() {
	local queues="$1" i
	shift
	(cd "${BN_TREE:-.}" && python3 tests/netns/mkconf.py \
	    --rundir "$BN_DIR" --hours in --queues "$queues") \
	    >"$BN_DIR/gateway.conf"
	rm -f "$BN_DIR/control.sock"
	: >"$BN_DIR/daemon.log"
	bn_bg gw "$BN_DIR/daemon.log" "$SCHOOLGATE" run -f \
	    -c "$BN_DIR/gateway.conf" "$@"
	BN_DAEMON_PID="$BN_LAST_PID"
	for i in $(seq 100); do
		[[ -S "$BN_DIR/control.sock" ]] &&
		    grep -q 'started:' "$BN_DIR/daemon.log" && return 0
		sleep 0.1
	done
	echo "bench: the daemon did not start:" >&2
	cat "$BN_DIR/daemon.log" >&2
	return 1
}

bn_daemon_stop() {
	local i
	[[ -n "$BN_DAEMON_PID" ]] || return 0
	sg_end_pid "$BN_DAEMON_PID"
	for i in "${!bn_pids[@]}"; do
		[[ "${bn_pids[$i]}" == "$BN_DAEMON_PID" ]] && unset 'bn_pids[i]'
	done
	bn_pids=("${bn_pids[@]}")
	BN_DAEMON_PID=""
}

# The daemon's CPU time so far (user+sys, clock ticks), for P1/P2 notes.
bn_daemon_ticks() {
	awk '{ print $14 + $15 }' "/proc/$BN_DAEMON_PID/stat"
}
