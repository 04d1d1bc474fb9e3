#!/usr/bin/env bash
# Offline equals live: shared captures replayed through the live gateway
# (gateway-rules and `schoolgate run`), each packet in its own direction,
# are decided as `schoolgate classify` decides the same captures with the
# same config and time: the same app, host, host source, action and rule
# for every flow; and the daemon is handed as many packets as classify
# inspects (the same packet budget).
#
# tests/netns/replay.py does the replay: the capture's client becomes the
# staff laptop (jsmith-laptop by its MAC, so classify runs --as-device
# jsmith-laptop), its packets are sent on the laptop's link and the
# servers' packets on the internet link, in capture order, each waited
# for on the far side.  Server addresses are kept (nDPI knows some
# networks by address) and routed to the internet namespace, which does
# not forward, so nothing answers them; the laptop's own stack drops what
# reaches it, so it sends no resets of its own.  A server inside the test
# network's addresses (wireguard.pcap's 10.9.0.2) is moved to 203.0.113.N
# live, and mapped back for the comparison.  The records do not keep the
# client's port, so flows to one server address and port are compared as
# a set; nor the decided-after count, so the packet budget is checked on
# the daemon's own count of packets handed to it (`schoolgate status`).
#
# Left out, by the test and not the engine (replay.py says which flows):
#   - TCP flows whose capture lacks the client's SYN: offline takes the
#     first packet's sender as the client, while the gateway's rules
#     queue only connections opened from the LAN side;
#   - broadcast and multicast flows, which a router never forwards;
#   - IPv6 flows (the captures' are link-local multicast only).
#
# The daemon drops QUIC at once for groups with block_quic (rule
# quic-fallback, so that browsers retry over TLS where the SNI shows);
# classify does not, so that it can name QUIC flows.  The config here
# sets block_quic = false (mkconf.py --allow-quic), so both sides run the
# engine on QUIC.  School hours are "always" by config, so the clock plays
# no part.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgo$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
trap netns_school_down EXIT

: "${SHARED:=../shared}"
readonly py=/usr/bin/python3	# Debian's, with scapy
readonly at="2026-12-07 10:00"
readonly laptop_ip=10.10.0.23
readonly captures=(facebook google_ssl dns_doh wireguard youtube_quic
    whatsapp_login_chat instagram telegram)

mac_of() { run_in "$1" cat "/sys/class/net/$2/address"; }

netns_school_up
gw_up --hours in --allow-quic
out="$SG_RUN_DIR/offline-live"
mkdir -p "$out"

# The laptop's stack sees none of the replayed packets: no resets, no
# port unreachables of its own.
run_in staff nft -f - <<-EOF2
table inet replay {
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr != 10.0.0.0/8 drop
	}
}
EOF2

for c in "${captures[@]}"; do
	"$py" tests/netns/replay.py plan --pcap "$SHARED/pcaps/$c.pcap" \
	    --out "$out/$c.flows" 2>"$out/$c.plan"
	sed "s/^/$c: /" "$out/$c.plan"
	awk '{print $6}' "$out/$c.flows" | sort -u | while read -r ip; do
		run_in gw ip route replace "$ip/32" via 198.51.100.2
	done
done

# inspected: the daemon's count of packets it was handed so far; each
# queue's worker publishes its counts once a second, so read until two
# readings 1.3 s apart agree
inspected() {
	local n last=-1 now
	for n in 1 2 3 4 5; do
		sleep 1.3
		now="$(gw_status | sed -n 's/^packets: \([0-9]*\) inspected.*/\1/p')"
		[[ "$now" == "$last" ]] && break
		last="$now"
	done
	echo "$now"
}

t0=$SECONDS
before="$(inspected)"
for c in "${captures[@]}"; do
	echo "$c: $("$py" tests/netns/replay.py replay \
	    --pcap "$SHARED/pcaps/$c.pcap" --flows "$out/$c.flows" \
	    --client-ns "$SG_NS_STAFF" --inet-ns "$SG_NS_INET" \
	    --client-ip "$laptop_ip" --client-mac "$(mac_of staff eth0)" \
	    --lan-mac "$(mac_of gw lan-staff)" --wan-mac "$(mac_of gw wan0)" \
	    --wan-mac-inet "$(mac_of inet eth0)")"
	now="$(inspected)"
	echo $((now - before)) >"$out/$c.inspected"
	before="$now"
done
echo "replay took $((SECONDS - t0)) s"

# Stopping the daemon writes the flows still open.
stop_bg "$SG_GW_PID"
gw_sql "SELECT transport, dst_ip, dst_port, app, host, host_source, action,
    rule FROM flows WHERE ip = '$laptop_ip'" | tr '|' '\t' >"$out/live.tsv"

failed=0
for c in "${captures[@]}"; do
	"$SCHOOLGATE" classify -c "$SG_RUN_DIR/gateway.conf" --no-progress \
	    --json --as-device jsmith-laptop --at "$at" \
	    "$SHARED/pcaps/$c.pcap" >"$out/$c.json" 2>"$out/$c.summary"
	echo "== $c"
	"$py" tests/netns/replay.py compare --flows "$out/$c.flows" \
	    --offline "$out/$c.json" --live "$out/live.tsv" \
	    --live-packets "$(cat "$out/$c.inspected")" || failed=1
done
exit "$failed"
