#!/usr/bin/env bash
# The daemon seals its records (issue 14): without a sealing state it
# says so and goes on chaining; with one (keys init) it seals every
# records.seal_interval and at a clean stop, sends each seal to syslog
# (MSGID "seal"), and verify --verification-key --anchors accepts the
# result, also after the record writer was killed and restarted.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgsl$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
log="$SG_RUN_DIR/syslog.log"
# a syslog daemon's socket the daemon (running as nobody) can send to
start_bg gw "$SG_RUN_DIR/syslogd.err" /usr/bin/python3 -u -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(8192).decode(errors="replace") + "\n")
        out.flush()' "$SG_RUN_DIR/log.sock" "$log"

echo "== no sealing state"
gw_up --hours in --seal-interval 10
check "it says the records are not sealed" "yes" \
    "$(yesno wait_log 'records are not sealed: run schoolgate keys init')"
check "facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"
stop_bg "$SG_GW_PID"

echo "== keys init, then sealed"
"$SCHOOLGATE" keys init -c "$SG_RUN_DIR/gateway.conf" \
    --verification-key "$SG_RUN_DIR/vk" >/dev/null
check "the state belongs to the daemon's user, mode 0600" "nobody 600" \
    "$(stat -c '%U %a' "$SG_RUN_DIR/seal.state")"
gw_start
check "facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"
for _ in $(seq 150); do
	grep -q 'sealed: seq=' "$log" 2>/dev/null && break
	sleep 0.1
done
check "a seal within the interval, sent to syslog" "yes" \
    "$(yesno grep -q ' seal \[schoolgate@32473 seq="1"' "$log")"

echo "== kill -9 the record writer: the next one reloads the key"
writer=""
for p in $(pgrep -P "$SG_GW_PID"); do
	if grep -qa record-writer "/proc/$p/cmdline"; then writer="$p"; fi
done
check "the record writer runs" "yes" "$(yesno test -n "$writer")"
kill -KILL "$writer"
check "the monitor restarts it" "yes" \
    "$(yesno wait_log 'record writer was killed by signal 9' 5)"
check "facebook is blocked" "reset" "$(fetch staff www.facebook.com 100)"
stop_bg "$SG_GW_PID"
seals=$(grep -c 'sealed: seq=' "$log")
check "another seal at the stop" "yes" "$(yesno test "$seals" -ge 2)"
out=$("$SCHOOLGATE" verify --db "$SG_RUN_DIR/records.db" \
    --verification-key "$SG_RUN_DIR/vk" --anchors "$log" 2>&1) || true
check "verify with the key and the anchors" "yes" \
    "$(yesno grep -q "records verified, sealed up to seal $seals at" <<<"$out")"
check "nothing after the stop's seal" "no" \
    "$(yesno grep -q "unsealed" <<<"$out")"
echo "$out"
fault_finish
