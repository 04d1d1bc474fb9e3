#!/usr/bin/env bash
# Runs inside the check-vm guest (Debian 12's own kernel, systemd as PID 1)
# as root, from sg-vmtest.service, with the .deb and a copy of tests/ and
# conf/ in /root/sg.  The guest itself is the gateway: the school network
# of tests/netns/lib.sh is built around its root namespace (the "gw"
# namespace name is bound to it), and schoolgate runs as the installed
# systemd service.  Prints "ok"/"FAIL" lines and "VMTEST PASS|FAIL".
set -uo pipefail
cd /root/sg
export SG_NS_PREFIX=vm
export SCHOOLGATE=/usr/sbin/schoolgate
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh

# the gateway is this machine: "vm-gw" names the root namespace
sg_add_ns() {
	if [ "$1" = "$SG_NS_GW" ]; then
		mkdir -p /run/netns && touch "/run/netns/$1"
		mount --bind /proc/1/ns/net "/run/netns/$1"
	else
		ip netns add "$1" && ip -n "$1" link set lo up
	fi
	sg_made_ns+=("$1")
}
SG_RUN_DIR=/var/lib/schoolgate
conf=/etc/schoolgate/schoolgate.conf
db=/var/lib/schoolgate/records.db
sock=/run/schoolgate/control.sock
sql() { sqlite3 "$db" "$1"; }
mainpid() { systemctl show -p MainPID --value schoolgate; }
active() {	# active: the unit's state, with its journal when it is not
	local s
	s="$(systemctl is-active schoolgate)"
	[ "$s" = active ] || journalctl -u schoolgate -n 40 --no-pager >&2
	echo "$s"
}
wait_active() {	# after a kill: Restart= takes a while under emulation
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(systemctl is-active schoolgate)" = active ] &&
		    [ -S "$sock" ] && break
		sleep 1
	done
	sleep 2	# the start and gap events are written
}
count() { local n; n="$(sql "$1")"; echo "${n:-0}"; }
write_conf() {	# write_conf [mkconf options]: as the admin would
	python3 tests/netns/mkconf.py --rundir /var/lib/schoolgate \
	    --lists-dir /etc/schoolgate/lists \
	    --user schoolgate --hours in "$@" |
	    sed "s|control_socket = \"[^\"]*\";|control_socket = \"$sock\";|" \
	    >"$conf.new" && cat "$conf.new" >"$conf" && rm -f "$conf.new"
}

echo "== kernel $(uname -r), $(systemctl --version | head -n 1)"
echo "== install the package with apt"
# the guest has no network: the package's Recommends (an MTA for the
# mailed reports) is what a real gateway fetches from its mirror
apt-get install -y --no-install-recommends ./schoolgate_*.deb \
    >/tmp/apt.log 2>&1 ||
    { cat /tmp/apt.log; echo "VMTEST FAIL"; exit 1; }
check "the schoolgate user" "yes" \
    "$(getent passwd schoolgate >/dev/null && echo yes || echo no)"
check "state folder" "750 schoolgate:schoolgate" \
    "$(stat -c '%a %U:%G' /var/lib/schoolgate)"
check "config is 0640 root:schoolgate" "640 root:schoolgate" \
    "$(stat -c '%a %U:%G' "$conf")"
check "unit enabled" "enabled" "$(systemctl is-enabled schoolgate)"
check "unit not started" "inactive" "$(systemctl is-active schoolgate)"
check "held until configured" "yes" "$(yesno test -e /etc/schoolgate/unconfigured)"

echo "== the school network, the config, and start"
netns_school_up || { echo "VMTEST FAIL"; exit 1; }
write_conf
check "check-config" "configuration OK" "$(schoolgate check-config 2>&1)"
echo 'SCHOOLGATE_RULES_OPTS="--lan lan-pupils"' >/etc/default/schoolgate
rm /etc/schoolgate/unconfigured
systemctl start schoolgate
sleep 3
check "service active" "active" "$(active)"
check "CapEff is CAP_NET_ADMIN alone" "0000000000001000" \
    "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$(mainpid)/status")"
check "runs as schoolgate" "$(id -u schoolgate)" \
    "$(awk '/^Uid:/ { print $2 }' "/proc/$(mainpid)/status")"
check "control socket" "660 schoolgate" "$(stat -c '%a %U' "$sock")"
check "status answers" "yes" \
    "$(yesno grep -q '^schoolgate: running' <(schoolgate status -s "$sock"))"
table() {
	nft list tables inet | grep -qx 'table inet schoolgate' && echo yes ||
	    echo no
}
bypass() {	# "nft list" itself must work: an admin's tools use it
	nft list table inet schoolgate >/tmp/table.nft || { echo broken; return; }
	grep -q 'queue flags bypass' /tmp/table.nft && echo yes || echo no
}
check "nft backend's table" "yes" "$(table)"
check "it lists, with bypass (fail-open)" "yes" "$(bypass)"

echo "== traffic from the LAN namespaces"
check "staff: facebook blocked" "reset" "$(fetch staff www.facebook.com 100)"
check "staff: wikipedia allowed, 300 kB" "ok 300000" \
    "$(fetch staff en.wikipedia.org 300000)"
check "pupil: instagram blocked" "reset" "$(fetch pupil www.instagram.com 100)"
systemctl restart schoolgate	# flushes the records; a stop and a start
sleep 3
check "active after restart" "active" "$(active)"
check "a block record" "yes" "$( (($(count "SELECT count(*) FROM flows
    WHERE action = 'block' AND host = 'www.facebook.com'") > 0)) && echo yes)"
check "conntrack bytes on the allowed flow" "yes" "$( (($(count "SELECT
    max(bytes_in + bytes_out) FROM flows WHERE host = 'en.wikipedia.org'") >
    300000)) &&
    echo yes)"
check "events: start, stop, start" "start stop start" \
    "$(sql "SELECT kind FROM events WHERE kind IN ('start','stop','gap')
    ORDER BY id" | xargs)"
schoolgate report --from "$(date +%F)" --to "$(date +%F)" --format json \
    >/tmp/r.json
check "the report shows the stop" "stopped" "$(python3 -c '
import json; d = json.load(open("/tmp/r.json"))["data_quality"]
print(" ".join(x["why"] for x in d["not_monitored"]))')"

echo "== a crash: systemd restarts it and the gap is recorded"
kill -KILL "$(mainpid)"
sleep 1
wait_active
check "restarted after kill -9" "active" "$(active)"
check "gap event" "the previous run ended without stopping cleanly" \
    "$(sql "SELECT detail FROM events WHERE kind = 'gap' ORDER BY id DESC LIMIT 1")"

echo "== fail-closed stays closed"
write_conf --fail-closed
systemctl restart schoolgate
sleep 3
check "fail-closed ruleset: no bypass" "no" "$(bypass)"
check "running: wikipedia allowed" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
systemctl stop schoolgate
check "stopped: the table stays" "yes" "$(table)"
check "stopped: new connections refused" "timeout" \
    "$(fetch staff en.wikipedia.org 1000)"
systemctl start schoolgate
sleep 3
check "started again: allowed" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
kill -KILL "$(mainpid)"
sleep 0.5
check "crashed: the table stays" "yes" "$(table)"
wait_active
check "and it is back" "active" "$(active)"

echo "== fail-open: a stop removes the ruleset"
write_conf
systemctl restart schoolgate
sleep 3
systemctl stop schoolgate
check "stopped: no table" "no" "$(table)"
check "stopped: traffic passes" "ok 1000" "$(fetch staff www.facebook.com 1000)"
netns_school_down
if ((fault_failures == 0)); then echo "VMTEST PASS"; else
	echo "VMTEST FAIL ($fault_failures)"; fi
