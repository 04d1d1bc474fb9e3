#!/usr/bin/env bash
# SIGHUP (the signal, not the reload command) with a broken config: each
# of 52 malformed configs from tests/configs/bad is rejected with its
# "PATH:LINE:" in the log, and the old config keeps enforcing.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgf2$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
trap netns_school_down EXIT

netns_school_up
gw_up --hours out	# after hours: staff facebook is logged, and passes
conf="$SG_RUN_DIR/gateway.conf"
log="$SG_RUN_DIR/daemon.log"
check "before: staff facebook passes (after hours)" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"
check "before: pupil instagram is blocked" "reset" \
    "$(fetch pupil www.instagram.com 100)"

echo "== 52 malformed configs, each by SIGHUP"
n=0
bad=0
for f in $(ls tests/configs/bad/*.conf | head -n 52); do
	want="$(sed -n '1s/^# expect: \([0-9]*\):.*/\1/p' "$f")"
	[ -n "$want" ] || continue
	before="$(grep -c 'reload rejected: ' "$log" || true)"
	cp "$f" "$conf.new"
	mv "$conf.new" "$conf"
	kill -HUP "$SG_GW_PID"
	got=""
	for ((i = 0; i < 100; i++)); do
		if [ "$(grep -c 'reload rejected: ' "$log" || true)" -gt "$before" ]; then
			sleep 0.05	# every error of this reload is logged
			got="$(tail -n +"$((before + 1))" <(grep 'reload rejected: ' "$log"))"
			break
		fi
		sleep 0.05
	done
	n=$((n + 1))
	if ! grep -qF "reload rejected: $conf:$want: " <<<"$got"; then
		echo "FAIL $(basename "$f"): want $conf:$want:, got: ${got:-nothing}"
		bad=$((bad + 1))
	fi
done
check "configs tried" "52" "$n"
check "each rejected, naming file and expected line" "0" "$bad"
check "daemon still running" "yes" "$(yesno kill -0 "$SG_GW_PID")"

echo "== the old config still enforces"
check "staff facebook still passes (generation 1)" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"
check "pupil instagram still blocked" "reset" \
    "$(fetch pupil www.instagram.com 100)"
status="$(gw_status)"
check "status counts the rejections" "yes" \
    "$(yesno grep -q "generation 1 (reloads: 0 applied, $n rejected)" <<<"$status")"

echo "== a good config by SIGHUP is still taken"
gw_conf --hours in
kill -HUP "$SG_GW_PID"
wait_log 'configuration reloaded, generation 2' 5 || true
check "generation 2 applied" "yes" \
    "$(yesno grep -q 'generation 2 (reloads: 1 applied' <(gw_status))"
check "staff facebook now blocked (in hours)" "reset" \
    "$(fetch staff www.facebook.com 100)"
fault_finish
