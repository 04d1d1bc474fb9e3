#!/usr/bin/env bash
# One source of truth for the ruleset: check-config --print-rules-opts
# queues every interface the groups name plus daemon.lan_interfaces, and
# check-config warns (FILE:LINE) about a group subnet that sits on an
# interface of the gateway the ruleset would not queue.  Run in a network
# namespace this test makes, with a veth as the LAN interface.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SCHOOLGATE:?}"
ns="sglc$$"
dir="$(mktemp -d)"
ln -s "$PWD/conf/lists" "$dir/lists"	# configs derived in $dir keep the lists
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$ns"
ip -n "$ns" link add lan-side type veth peer name lan-peer
ip -n "$ns" addr add 10.30.0.1/16 dev lan-side
ip -n "$ns" link set lan-side up

# guests matched by subnet only, on lan-side
sed -e '/name = "guests"/,/block_quic/{/interfaces = /d}' \
    conf/schoolgate.conf >"$dir/a.conf"
cc() { ip netns exec "$ns" "$SCHOOLGATE" check-config -c "$1" "${@:2}"; }

out="$(cc "$dir/a.conf" 2>&1)" || fail "check-config failed: $out"
line="$(grep -n 'name = "guests"' "$dir/a.conf" | cut -d: -f1)"
grep -qx "$dir/a.conf:$line: warning: group \"guests\": subnet 10.30.0.0/16 is on interface lan-side, which no group's interfaces and no daemon.lan_interfaces name: its traffic is not inspected" <<<"$out" ||
    fail "no warning for the unqueued subnet: $out"
grep -q 'configuration OK' <<<"$out" || fail "a warning failed the check: $out"
echo "ok a subnet on an unqueued interface is flagged, with its line"

opts="$(cc "$dir/a.conf" --print-rules-opts 2>/dev/null)"
[[ "$opts" == "--queues 0:1 --mark-mask 0x0000ff00 --lan lan-staff --lan lan-office --lan lan-pupils" ]] ||
    fail "rules options: $opts"

sed -e 's|^  fail_open = true;|&\n  lan_interfaces = [ "lan-side", "lan-staff" ];|' \
    "$dir/a.conf" >"$dir/b.conf"
out="$(cc "$dir/b.conf" 2>&1)" || fail "check-config failed: $out"
grep -q warning:.*lan-side <<<"$out" && fail "still flagged: $out"
opts="$(cc "$dir/b.conf" --print-rules-opts 2>/dev/null)"
[[ "$opts" == "--queues 0:1 --mark-mask 0x0000ff00 --lan lan-staff --lan lan-office --lan lan-pupils --lan lan-side" ]] ||
    fail "rules options with lan_interfaces: $opts"
echo "ok daemon.lan_interfaces is queued (each interface once) and covers it"

sed -e 's|^  fail_open = true;|&\n  lan_interfaces = [ "no/slash" ];|' \
    "$dir/a.conf" >"$dir/c.conf"
out="$(cc "$dir/c.conf" 2>&1)" && fail "a bad interface name passed: $out"
grep -q "^$dir/c.conf:[0-9]*: " <<<"$out" || fail "no FILE:LINE: $out"
echo "ok a bad interface name is an error with its line"
echo PASS
