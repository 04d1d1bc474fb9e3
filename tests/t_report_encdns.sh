#!/usr/bin/env bash
# The report's encrypted DNS table (issue 12, item 3): how often each
# device tried DNS over HTTPS, TLS or QUIC, from real captures classified
# as staff devices in school hours (blocked by dns.enforce_school_resolver),
# with a hostile resolver name escaped in HTML and JSON.  Other
# circumvention (a VPN) stays out of the table.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=tests/report-db.sh
. tests/report-db.sh

db="$tmp/records.db"
conf=conf/schoolgate.conf
# apatel's phone: DoH twice and DoT once; jsmith's laptop: DoQ and a VPN
rdb_classify "$conf" "$db" '2026-12-01 10:15' apatel-phone dns_doh.pcap
rdb_classify "$conf" "$db" '2026-12-02 11:40' apatel-phone dns_doh.pcap \
    dns_dot.pcap
rdb_classify "$conf" "$db" '2026-12-02 14:05' jsmith-laptop doq.pcapng \
    wireguard.pcap
# a resolver name off the wire that carries markup
evil='<img src=x onerror=alert(1)>.dns.example'
"$SG_TOOLS/recgen" "$db" flow "$(rdb_us '2026-12-03 09:30')" jsmith-laptop \
    02:00:00:00:10:03 jsmith staff TLS circumvention "$evil" block \
    enforce-school-resolver 9.1 1 2

rep() {
	"$SCHOOLGATE" report -c "$conf" --db "$db" --from 2026-11-30 \
	    --to 2026-12-04 "$@"
}
rep --format json >"$tmp/r.json" || fail "report --format json"
rep --format html -o "$tmp/r.html" || fail "report --format html"

python3 - "$tmp/r.json" "$evil" <<'PY' || fail "JSON encrypted_dns"
import json, sys
r = json.load(open(sys.argv[1]))
evil = sys.argv[2]
rows = r["encrypted_dns"]
by = {}
for e in rows:
    assert e["action"] == "block", e
    dev = e["who"]["device"]
    by[dev] = by.get(dev, 0) + e["count"]
# 2 DoH + 1 DoT; 1 DoQ + 2 hostile rows; WireGuard is not encrypted DNS
assert by == {"apatel-phone": 3, "jsmith-laptop": 3}, by
assert any(e["host"] == evil for e in rows), rows
assert all("WireGuard" not in e["app"] for e in rows), rows
# every one of them is circumvention too
circ = sum(c["count"] for c in r["circumvention"])
assert circ >= 6 + 2, circ
print("ok JSON: encrypted DNS per device (apatel-phone 3, jsmith-laptop 3)")
PY

python3 - "$tmp/r.html" <<'PY' || fail "HTML encrypted DNS table"
import re, sys
h = open(sys.argv[1]).read()
m = re.search(r"<h2>Encrypted DNS.*?</section>", h, re.S)
assert m, "no Encrypted DNS section"
sec = m.group(0)
assert "apatel-phone" in sec and "jsmith-laptop" in sec, sec
assert "<img" not in sec, "resolver name not escaped"
assert "&lt;img src=x onerror=alert(1)&gt;.dns.example" in sec, sec
assert "WireGuard" not in sec, sec
print("ok HTML: Encrypted DNS table, names escaped")
PY
echo "PASS t_report_encdns"
