#!/usr/bin/env bash
# Hostile and odd captures run clean (the test build has ASan and UBSan),
# every shared capture classifies, and bad files are reported by name
# without stopping the others.
set -euo pipefail
cd "$(dirname "$0")/.."
pcaps="$SHARED/pcaps"
conf=conf/schoolgate.conf
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

for f in badpackets.pcap ip_fragmented_garbage.pcap discord_mid_flow.pcap \
    6in4tunnel.pcap ultrasurf.pcap; do
	"$SCHOOLGATE" classify -c "$conf" --no-progress "$pcaps/$f" \
	    >"$tmp/out" 2>"$tmp/err" || fail "$f: exit $? $(cat "$tmp/err")"
	grep -q '^Summary: 1 file' "$tmp/out" || fail "$f: no summary"
	echo "ok $f"
done

# later fragments carry no ports and garbage headers are cut short: both
# are counted and reported, not silently lost
"$SCHOOLGATE" classify -c "$conf" --no-progress \
    "$pcaps/ip_fragmented_garbage.pcap" >"$tmp/out"
grep -q 'counted and skipped: 1252 (truncated: 4) (fragment: 1248)' "$tmp/out" ||
    fail "ip_fragmented_garbage: skipped packets not reported: $(tail -1 "$tmp/out")"

# discord_mid_flow is QinQ + PPPoE: its flows must decode, not be skipped
n=$("$SCHOOLGATE" classify -c "$conf" --json --no-progress \
    "$pcaps/discord_mid_flow.pcap" | wc -l)
[ "$n" -ge 1 ] || fail "discord_mid_flow: no flows decoded"

# every capture in one run: all classify, exit 0
"$SCHOOLGATE" classify -c "$conf" --json --no-progress "$pcaps"/*.pcap \
    "$pcaps"/*.pcapng >"$tmp/all" 2>"$tmp/err" || fail "all: $(cat "$tmp/err")"
echo "ok all captures: $(wc -l <"$tmp/all") flows"

# bad files: missing, not a capture, truncated; the good one still runs
head -c 20000 "$pcaps/facebook.pcap" >"$tmp/truncated.pcap"
echo "hello" >"$tmp/notpcap.pcap"
set +e
"$SCHOOLGATE" classify -c "$conf" --json --no-progress "$tmp/missing.pcap" \
    "$tmp/notpcap.pcap" "$tmp/truncated.pcap" "$pcaps/facebook.pcap" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "bad files: exit $rc, want 1"
grep -q "missing.pcap" "$tmp/err" || fail "missing file not named"
grep -q "notpcap.pcap" "$tmp/err" || fail "non-pcap file not named"
grep -q "truncated.pcap" "$tmp/err" || fail "truncated file not named"
grep -q '"source":"[^"]*facebook.pcap"' "$tmp/out" ||
    fail "the good file after the bad ones was not processed"
grep -q '"source":"[^"]*truncated.pcap"' "$tmp/out" ||
    fail "flows before the truncation were lost"
grep -q 'could not be read' "$tmp/err" || fail "summary hides the failures"
echo "ok bad files reported by name, the rest processed"
