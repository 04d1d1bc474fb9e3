#!/usr/bin/env bash
# The inspector names a packet's interface from a table the monitor sends
# (naming one takes a socket, which the inspector's sandbox forbids).  An
# interface made again after the daemon started (ifdown/ifup of a VLAN, a
# bridge restarted) has a new index: the monitor notices within a second
# and sends the new table, so the pupils' network is still identified by
# its interface, not only by its subnet.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgi$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

# the id_source of the newest flow to HOST
id_source() {
	gw_sql "SELECT id_source FROM flows WHERE host = '$1'
	    ORDER BY id DESC LIMIT 1"
}

ifindex() { ip -n "$SG_NS_GW" -o link show dev lan-pupils | cut -d: -f1; }

netns_school_up
gw_up --hours in

echo "== the pupils' interface as the daemon found it"
check "pupil: instagram blocked" "reset" "$(fetch pupil www.instagram.com 100)"
check "its record" "yes" "$(gw_wait_row "host = 'www.instagram.com'")"
check "identified by the interface" "interface" \
    "$(id_source www.instagram.com)"

echo "== lan-pupils made again: a new index"
before="$(ifindex)"
ip -n "$SG_NS_GW" link del lan-pupils
sg_client "$SG_NS_PUPIL" lan-pupils "" 02:00:00:00:20:31 \
    10.20.0.31/16 10.20.0.1 fd00:20::31/64 fd00:20::1
ip -n "$SG_NS_GW" addr add 10.20.0.1/16 dev lan-pupils
ip -n "$SG_NS_GW" addr add fd00:20::1/64 dev lan-pupils nodad
after="$(ifindex)"
check "the index changed" "yes" "$(yesno test "$before" != "$after")"
sleep 2		# the monitor's once-a-second look at the interfaces

check "pupil: facebook blocked" "reset" "$(fetch pupil www.facebook.com 100)"
check "its record" "yes" "$(gw_wait_row "host = 'www.facebook.com'")"
check "still identified by the interface" "interface" \
    "$(id_source www.facebook.com)"
check "daemon alive" "yes" "$(yesno kill -0 "$SG_GW_PID")"
fault_finish
