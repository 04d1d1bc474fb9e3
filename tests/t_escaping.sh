#!/usr/bin/env bash
# Names off the wire (Host, SNI) carrying markup, quotes, formulas,
# terminal escapes and 500 bytes come out escaped: valid JSON that keeps
# them exactly, and a table with no raw control bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 tests/pcap/evil.py "$tmp/evil.pcap"
"$SCHOOLGATE" classify -c conf/schoolgate.conf --json --no-progress \
    "$tmp/evil.pcap" >"$tmp/json" 2>/dev/null
python3 - "$tmp/json" <<'PY' || fail "JSON"
import json, sys
hosts = [json.loads(l)["host"] for l in open(sys.argv[1])]
assert len(hosts) == 10, hosts
want = ['<script>alert("x")</script>.example', "=cmd|' /c calc'!a0.example",
        "quote\"and'apos.example"]
for w in want:
    assert hosts.count(w) == 2, (w, hosts)
assert any("\x1b" in h for h in hosts), "escape byte lost in JSON"
print("ok JSON: hostile names parse and round-trip")
PY
"$SCHOOLGATE" classify -c conf/schoolgate.conf --no-progress \
    "$tmp/evil.pcap" >"$tmp/table"
if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$tmp/table"; then
	fail "raw control bytes reached the terminal table"
fi
grep -qF 'esc\x1b[31mred\x07bell.example' "$tmp/table" ||
    fail "control bytes not shown as \\x escapes"
echo "ok table: control bytes escaped"
