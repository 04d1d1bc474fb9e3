#!/usr/bin/env bash
# ClientHello reassembly and evasion (issue 11, items 3 and 4) through
# classify: captures made by tests/pcap/tlssplit.py (scapy) of a hello cut
# into 40- and 4-byte segments, reordered, overlapping with the same and
# with different bytes, a decoy for padlet ahead of the real one, and a
# second hello.  Each must get the app, host, action and rule below, as a
# staff laptop in school hours; evasion is recorded as circumvention and
# the report counts it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
ln -s "$PWD/conf/lists" "$tmp/lists"	# configs derived in $tmp keep the lists
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

/usr/bin/python3 tests/pcap/tlssplit.py "$tmp/pcaps" 2>"$tmp/err" ||
	fail "tlssplit.py: $(cat "$tmp/err")"

# capture, app, host, action, rule, packets inspected when decided
cases=(
	"whole TLS.Facebook www.facebook.com block staff-social-in-hours 1"
	"split40 TLS.Facebook www.facebook.com block staff-social-in-hours 8"
	"reversed TLS.Facebook www.facebook.com block staff-social-in-hours 8"
	"shuffled TLS.Facebook www.facebook.com block staff-social-in-hours 8"
	"overlap-same TLS.Facebook www.facebook.com block staff-social-in-hours 7"
	"padlet TLS a.padlet.com allow education-allowed 2"
	"split40-517 TLS - block evasion 12"
	"split4 TLS - block evasion 12"
	"held-back TLS - block evasion 12"
	"overlap-diff * - block evasion 4"
	"decoy * * block evasion 2"
	"second * * block evasion 2"
	"nosni TLS - block evasion 12"
)

got() {
	python3 - "$tmp/out.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
if len(rows) != 1:
    sys.exit("%d flows, want 1" % len(rows))
f = rows[0]
print(f["app"], f["host"] or "-", f["action"], f["rule"], f["category"] or "-",
      f["clause"] or "-", f["decided_after_packets"])
PY
}

for c in "${cases[@]}"; do
	read -r name app host action rule after <<<"$c"
	"$SCHOOLGATE" classify -c conf/schoolgate.conf --as-group staff \
	    --at '2026-11-17 10:30' --json --no-progress \
	    "$tmp/pcaps/$name.pcap" >"$tmp/out.json" 2>"$tmp/err" ||
		fail "$name: classify: $(cat "$tmp/err")"
	read -r gapp ghost gaction grule gcat gclause gafter <<<"$(got)"
	[[ "$app" == "*" || "$gapp" == "$app" ]] || fail "$name: app $gapp, want $app"
	[[ "$host" == "*" || "$ghost" == "$host" ]] ||
		fail "$name: host $ghost, want $host"
	[[ "$gaction $grule" == "$action $rule" ]] ||
		fail "$name: $gaction $grule, want $action $rule"
	[[ "$gafter" == "$after" ]] ||
		fail "$name: decided after $gafter packets, want $after"
	if [[ "$rule" == evasion ]]; then
		[[ "$gcat $gclause" == "circumvention 9.1" ]] ||
			fail "$name: evasion recorded as $gcat $gclause"
	fi
	echo "ok $name: $gapp $ghost $gaction $grule (after $gafter)"
done

# classification.evasion_action = "log": the same flows are logged
sed 's/evasion_action = "auto";/evasion_action = "log";/' conf/schoolgate.conf \
    >"$tmp/log.conf"
grep -q 'evasion_action = "log"' "$tmp/log.conf" || fail "could not edit config"
for name in decoy split4; do
	"$SCHOOLGATE" classify -c "$tmp/log.conf" --as-group staff \
	    --at '2026-11-17 10:30' --json --no-progress \
	    "$tmp/pcaps/$name.pcap" >"$tmp/out.json" 2>"$tmp/err" ||
		fail "$name: classify: $(cat "$tmp/err")"
	read -r _ _ gaction grule _ <<<"$(got)"
	[[ "$gaction $grule" == "log evasion" ]] ||
		fail "$name with evasion_action log: $gaction $grule"
done
echo "ok evasion_action = \"log\" logs them instead"

# jsmith's laptop (staff by its owner): the records and the report count
# the evasions as circumvention.
db="$tmp/records.db"
"$SCHOOLGATE" classify -c conf/schoolgate.conf --as-device jsmith-laptop \
    --at '2026-11-17 10:30' --records "$db" --json --no-progress \
    "$tmp/pcaps/decoy.pcap" "$tmp/pcaps/split4.pcap" "$tmp/pcaps/padlet.pcap" \
    >/dev/null 2>"$tmp/err" || fail "classify --records: $(cat "$tmp/err")"
"$SCHOOLGATE" report -c conf/schoolgate.conf --db "$db" \
    --from 2026-11-17 --to 2026-11-17 --format json >"$tmp/report.json" \
    2>"$tmp/err" || fail "report: $(cat "$tmp/err")"
python3 - "$tmp/report.json" <<'PY' || fail "report does not count the evasions"
import json, sys
r = json.load(open(sys.argv[1]))
circ = [c for c in r["circumvention"] if c["who"]["person"] == "jsmith"]
n = sum(c["count"] for c in circ)
if n != 2 or r["totals"]["circumvention"] != 2:
    sys.exit("report: %d jsmith circumvention entries, totals %r" %
             (n, r["totals"]))
if any(c["action"] != "block" for c in circ):
    sys.exit("report: %r" % circ)
PY
echo "ok the report counts 2 evasions by jsmith as circumvention"
