#!/usr/bin/env bash
# The daemon starts under the shipped unit's own CapabilityBoundingSet
# (root without CAP_DAC_OVERRIDE or CAP_CHOWN) with its runtime folder
# owned by the daemon user and 0750, as the unit makes /run/schoolgate:
# the control socket works, only CAP_NET_ADMIN is left, and it enforces.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgu1$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
source tests/netns/unit.sh
trap netns_school_down EXIT

unit_wrap
echo "== daemon under: $SG_GW_WRAP"
netns_school_up
gw_up --hours in
chmod 0750 "$SG_RUN_DIR"	# /run/schoolgate's mode: root cannot write it
gw_stop_start() { stop_bg "$SG_GW_PID"; gw_start; }
gw_stop_start
sock="$SG_RUN_DIR/control.sock"
bnd="$(capsh --decode="$(sed -n 's/^CapBnd:[[:space:]]*//p' \
    "/proc/$SG_GW_PID/status")" | sed 's/.*=//' | tr ',' '\n' | sort | xargs)"
check "bounding set is the unit's" \
    "$(unit_value CapabilityBoundingSet | tr ' ' '\n' | tr 'A-Z' 'a-z' | sort | xargs)" \
    "$bnd"
check "no permission error at start-up" "no" \
    "$(yesno grep -qi 'permission denied' "$SG_RUN_DIR/daemon.log")"
check "control socket is the daemon user's" "nobody 660" \
    "$(stat -c '%U %a' "$sock")"
check "only CAP_NET_ADMIN is left" "0000000000001000" \
    "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$SG_GW_PID/status")"
check "runs as nobody" "$(id -u nobody)" \
    "$(awk '/^Uid:/ { print $2 }' "/proc/$SG_GW_PID/status")"
check "status answers" "yes" \
    "$(yesno grep -q '^schoolgate: running' <(gw_status))"
check "facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"
check "wikipedia is allowed" "ok 1000" "$(fetch staff en.wikipedia.org 1000)"
stop_bg "$SG_GW_PID"
check "the socket is removed at stop" "no" "$(yesno test -e "$sock")"
check "a clean stop" "yes" "$(yesno grep -q 'stopping' "$SG_RUN_DIR/daemon.log")"
fault_finish
