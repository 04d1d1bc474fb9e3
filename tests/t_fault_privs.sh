#!/usr/bin/env bash
# Least privilege: the records database is 0640 and the control socket
# 0660, and the socket refuses a user outside its group while root gets
# an answer.  (CapEff and uid of the running daemon: t_gateway_e2e.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf8$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
gw_up --hours in
sock="$SG_RUN_DIR/control.sock"
check "control socket mode" "660" "$(stat -c %a "$sock")"
check "control socket group is the daemon user's" "$(id -gn nobody)" \
    "$(stat -c %G "$sock")"
sleep 1.5	# the start event is written
check "database mode" "640" "$(stat -c %a "$SG_RUN_DIR/records.db")"

grp="$(stat -c %G "$sock")"
check "the daemon user is outside the socket's group" "no" \
    "$(id -nG daemon | tr ' ' '\n' | grep -qx "$grp" && echo yes || echo no)"
set +e
out="$(setpriv --reuid=daemon --regid=daemon --clear-groups \
    "$SCHOOLGATE" status -s "$sock" 2>&1)"
rc=$?
set -e
check "outsider is refused" "1" "$([ "$rc" -ne 0 ] && echo 1 || echo 0)"
check "with permission denied" "yes" \
    "$(yesno grep -qi 'permission denied' <<<"$out")"
check "outsider got no status" "no" \
    "$(yesno grep -q '^schoolgate: running' <<<"$out")"
check "root gets the status" "yes" \
    "$(yesno grep -q '^schoolgate: running' <(gw_status))"
set +e
out="$(setpriv --reuid=daemon --regid=daemon --clear-groups \
    cat "$SG_RUN_DIR/records.db" 2>&1 >/dev/null)"
set -e
check "outsider cannot read the database" "yes" \
    "$(yesno grep -qi 'permission denied' <<<"$out")"
fault_finish
