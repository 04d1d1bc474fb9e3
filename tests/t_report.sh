#!/usr/bin/env bash
# schoolgate report and export over a records database built from the
# shared captures (tests/report-db.sh): every figure in the JSON, CSV and
# HTML matches an SQL count on the same database; hostile names and config
# strings come out escaped in all three formats; --pseudonymise hides
# names behind a stable keyed pseudonym; files are 0640; ECS export.
# Tampering and purge are covered by tests/t_classify_records.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
ln -s "$PWD/conf/lists" "$tmp/lists"	# configs derived in $tmp keep the lists
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=tests/report-db.sh
. tests/report-db.sh

db="$tmp/records.db"
conf="$tmp/schoolgate.conf"
sed -e "s|/var/lib/schoolgate/pseudonym.key|$tmp/pseudonym.key|" \
    conf/schoolgate.conf >"$conf"
make_report_db "$conf" "$db"
rep() {
	"$SCHOOLGATE" report -c "$conf" --db "$db" --from 2026-11-23 \
	    --to 2026-12-06 "$@"
}
rep --format json >"$tmp/r.json"
rep --format csv >"$tmp/r.csv"
rep --format html --group pupils -o "$tmp/r.html"
[ "$(stat -c %a "$tmp/r.html")" = 640 ] || fail "report mode is not 0640"
echo "ok three formats written, HTML mode 0640"

# The same definitions as report/report.h, in SQL.
from=$(rdb_us '2026-11-23 00:00'); to=$(rdb_us '2026-12-07 00:00')
pfrom=$(rdb_us '2026-11-09 00:00')
kind="CASE WHEN rule = 'quic-fallback' THEN NULL
  WHEN rule LIKE 'account:%' THEN 'account-use'
  WHEN action = 'allow' AND (category != 'circumvention' OR app = 'DNS'
    OR app LIKE 'DNS.%') THEN NULL
  WHEN app = 'DNS' OR app LIKE 'DNS.%' THEN 'name-lookup'
  WHEN category = 'circumvention' THEN 'circumvention'
  WHEN action = 'block' THEN 'attempt' WHEN action = 'log' THEN 'breach' END"
sql() { sqlite3 "$db" "$1"; }
count() {	# count KIND [FROM TO [EXTRA]]
	sql "SELECT count(*) FROM (SELECT $kind AS k, * FROM flows WHERE
	    start_us >= ${2:-$from} AND start_us < ${3:-$to}) WHERE k = '$1'
	    ${4:-}"
}
python3 - "$tmp/r.json" "$tmp/r.csv" \
    "$(count attempt)" "$(count breach)" "$(count circumvention)" \
    "$(count name-lookup)" "$(count account-use)" \
    "$(count attempt "$pfrom" "$from")" "$(count breach "$pfrom" "$from")" \
    "$(count attempt "$from" "$to" "AND person = 'jsmith'")" \
    "$(count breach "$from" "$to" "AND person = 'jsmith'")" \
    "$(count attempt "$from" "$to" "AND person = 'jsmith' AND app LIKE '%Instagram'")" \
    "$(count attempt "$from" "$to" "AND app LIKE '%.Instagram'")" \
    "$(count circumvention "$from" "$to" "AND person = 'apatel'")" \
    "$(sql "SELECT count(*) FROM flows WHERE start_us >= $from AND start_us < $to")" \
    <<'PY' || fail "figures differ from SQL"
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
(att, bre, circ, look, acc, patt, pbre, js_att, js_bre, js_insta, insta,
 ap_circ, flows) = map(int, sys.argv[3:])
t, p = d["totals"], d["previous_totals"]
assert att > 0 and bre > 0 and circ > 0 and look > 0 and acc == 5, sys.argv
assert (t["attempts"], t["breaches"], t["circumvention"], t["name_lookups"],
        t["account_uses"], t["flows"]) == (att, bre, circ, look, acc, flows), t
assert (p["attempts"], p["breaches"]) == (patt, pbre) and patt > 0, p
def csvsum(kind, **kw):
    return sum(int(r["count"]) for r in rows if r["kind"] == kind and
               all(r[k] == v for k, v in kw.items()))
assert csvsum("attempt") == att and csvsum("breach") == bre
assert csvsum("circumvention") == circ and csvsum("name-lookup") == look
assert csvsum("attempt", person="jsmith") == js_att
people = {x["who"]["person"]: x for x in d["people"] if x["who"]["person"]}
js = people["jsmith"]
assert (js["attempts"], js["breaches"]) == (js_att, js_bre), js
assert js["who"]["name"] == "John Smith" and js["days_with_findings"] >= 4
ja = sum(a["blocked_in_hours"] + a["blocked_out_of_hours"] for a in js["apps"]
         if a["app"].endswith("Instagram"))
assert ja == js_insta, (ja, js_insta)
assert people["apatel"]["circumvention"] == ap_circ > 0
apps = {a["app"]: a for a in d["top_apps"]}
assert apps["Instagram"]["attempts"] == insta, apps
acct = d["accounts"][0]
assert acct["uses"] == 5 and acct["unregistered_device_uses"] > 0, acct
assert acct["review_overdue"] and "sward-laptop" in acct["unregistered_devices"]
assert d["accounts"][1]["ended"]
q = d["data_quality"]
# a crash (gap event) and a clean stop in school hours; the Saturday
# stop is listed but is no gap
assert q["verify_ok"] and q["gaps"] == 2 and q["config_changes"] == 2, q
down = [(x["from"], x["to"], x["why"], x["school_hours_seconds"])
        for x in q["not_monitored"]]
assert down == [("2026-11-27 06:10", "2026-11-27 07:02", "crashed", 0),
                ("2026-12-03 12:00", "2026-12-03 13:30", "stopped", 5400),
                ("2026-12-05 10:00", "2026-12-05 11:00", "stopped", 0)], down
assert q["school_hours_not_monitored_seconds"] == 5400, q
assert q["late_writes"] == 1, q
days = {x["date"]: x for x in d["days"]}
assert days["2026-11-30"]["closure"] == "INSET day"
assert not days["2026-11-28"]["school_day"] and days["2026-11-23"]["school_day"]
assert sum(x["attempts"] for x in d["days"]) == att
assert sum(map(sum, d["heat_weekday_hour"])) == att + bre
print("ok JSON and CSV figures match SQL: %d attempts, %d breaches, "
      "%d circumvention, %d lookups" % (att, bre, circ, look))
PY
python3 - "$tmp/r.html" "$(count attempt)" "$(count breach)" <<'PY' ||
import sys, re
h = open(sys.argv[1]).read()
cards = re.findall(r'<div class="n">(\d+)</div>', h)
assert cards[:2] == sys.argv[2:4], (cards, sys.argv)
for s in ["How to read this report", "Summary", "Per person",
          "Professional accounts register", "Circumvention",
          "Data quality", "John Smith", "Anita Patel", "review overdue",
          "used from unregistered device", "INSET day", "7.3", "6.9", "9.1",
          "records verified", "<svg"]:
    assert s in h, s
assert "<dt>Records written late</dt><dd>1 " in h, "late writes"
assert "<dt>Monitoring gaps</dt><dd>2 " in h, "gaps"
assert "90 min of school hours not monitored" in h, "stopped time"
assert re.search(r"Thu  3 Dec 12:00</td><td>Thu  3 Dec 13:30</td>"
                 r"<td>stopped</td><td>90 min", h), "the stop's row"
assert h.count("<svg") == 3, "want three charts"
assert not re.search(r'<(script|link|img|iframe)\b|src=|href=', h, re.I)
print("ok HTML figures, sections and no external resources")
PY
    fail "HTML"

# Hostile strings: in the config (school name) and off the wire (hosts).
evil_conf="$tmp/evil.conf"
python3 - "$conf" "$evil_conf" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace('name = "Clifton Lodge School";',
              'name = "<script>alert(1)</script> \\"Q\\" & \'A\'";')
open(sys.argv[2], "w").write(s)
PY
grep -q '<script>alert(1)' "$evil_conf" || fail "could not make evil.conf"
t0=$(rdb_us '2026-12-03 11:00')
while IFS= read -r host; do
	"$SG_TOOLS/recgen" "$db" flow "$t0" jsmith-laptop 02:00:00:00:10:03 \
	    jsmith staff 'TLS.<img src=x onerror=alert(2)>' personal-social \
	    "$host" block staff-social-in-hours 7.3 1
done < <(python3 -c '
print("<script>alert(\"x\")</script>.example")
print("=cmd|'"'"' /C calc'"'"'!A0")
print("quote\"and'"'"'apos.example")
print("esc\x1b[31mred\x07bell.example")
print("a" * 500 + ".example")')
"$SCHOOLGATE" report -c "$evil_conf" --db "$db" --from 2026-11-23 \
    --to 2026-12-06 -o "$tmp/e.html"
"$SCHOOLGATE" report -c "$evil_conf" --db "$db" --from 2026-11-23 \
    --to 2026-12-06 --format csv -o "$tmp/e.csv"
"$SCHOOLGATE" report -c "$evil_conf" --db "$db" --from 2026-11-23 \
    --to 2026-12-06 --format json -o "$tmp/e.json"
python3 - "$tmp/e.html" "$tmp/e.csv" "$tmp/e.json" <<'PY' || fail "escaping"
import csv, json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = []; self.text = []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            assert not k.startswith("on"), (tag, k)
    def handle_data(self, data):
        self.text.append(data)
p = P(); p.feed(open(sys.argv[1]).read())
assert "script" not in p.tags and "img" not in p.tags, set(p.tags)
text = "".join(p.text)
assert '<script>alert(1)</script> "Q" & \'A\'' in text, "school name"
assert "TLS.<img src=x onerror=alert(2)>" in text
assert "\x1b" not in open(sys.argv[1]).read(), "raw control byte in HTML"
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
hosts = [r["host"] for r in rows]
assert "'=cmd|' /c calc'!a0" in hosts or "'=cmd|' /C calc'!A0" in hosts, hosts
for r in rows:
    for v in r.values():
        assert not v or v[0] not in "=+-@\t\r", ("formula cell", v)
assert any(h.startswith("<script>") for h in hosts)
assert any("\x1b" in h for h in hosts) and any(len(h) > 200 for h in hosts)
d = json.load(open(sys.argv[3]))
assert d["school"] == '<script>alert(1)</script> "Q" & \'A\''
jh = [f["host"] for f in d["findings"]]
assert '<script>alert("x")</script>.example' in jh and "=cmd|' /C calc'!A0" in jh
assert any("\x1b" in h for h in jh)
print("ok hostile names escaped in HTML, CSV (formula cells quoted) and JSON")
PY

# Pseudonyms: no names, stable across runs, keyed (0600 key file made).
rep --pseudonymise --format json -o "$tmp/p1.json"
rep --pseudonymise --format csv -o "$tmp/p1.csv"
rep --pseudonymise --format json -o "$tmp/p2.json"
[ "$(stat -c %a "$tmp/pseudonym.key")" = 600 ] || fail "key mode"
[ "$(stat -c %s "$tmp/pseudonym.key")" = 32 ] || fail "key size"
for n in jsmith "John Smith" apatel "Anita Patel" jsmith-laptop \
    02:00:00:00:10:03; do
	if grep -qF "$n" "$tmp/p1.json" "$tmp/p1.csv"; then
		fail "pseudonymised report names $n"
	fi
done
cmp -s "$tmp/p1.json" "$tmp/p2.json" || {
	python3 - "$tmp/p1.json" "$tmp/p2.json" <<'PY' || fail "pseudonyms not stable"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
pa = [x["who"]["person"] for x in a["people"]]
assert pa == [x["who"]["person"] for x in b["people"]] and pa[0].startswith("P-"), pa
PY
}
mv "$tmp/pseudonym.key" "$tmp/old.key"
rep --pseudonymise --format json -o "$tmp/p3.json"
python3 - "$tmp/p1.json" "$tmp/p3.json" <<'PY' || fail "pseudonyms not keyed"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert [x["who"]["person"] for x in a["people"]] != \
       [x["who"]["person"] for x in b["people"]]
PY
echo "ok pseudonyms: no names, stable, change with the key (0600)"

# Periods and file names for the timers.
mkdir "$tmp/out"
"$SCHOOLGATE" report -c "$conf" --db "$db" --period last-week \
    --out-dir "$tmp/out" >"$tmp/made"
grep -Eq '/[0-9]{4}-W[0-9]{2}\.html$' "$tmp/made" || fail "weekly name: $(cat "$tmp/made")"
"$SCHOOLGATE" report -c "$conf" --db "$db" --if-term-ended \
    --out-dir "$tmp/out" >/dev/null || fail "--if-term-ended"
if "$SCHOOLGATE" report -c "$conf" --db "$db" --period next-year \
    >/dev/null 2>&1; then
	fail "an unknown period was accepted"
fi
echo "ok --period, --if-term-ended and --out-dir"

# ECS export: one JSON line per flow of the period, ECS field names.
"$SCHOOLGATE" export -c "$conf" --db "$db" --format ecs --from 2026-11-23 \
    --to 2026-12-06 >"$tmp/ecs"
python3 - "$tmp/ecs" "$(sqlite3 "$db" "SELECT count(*) FROM flows WHERE
    start_us >= $from AND start_us < $to")" <<'PY' || fail "ECS export"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[2]) > 0, (len(lines), sys.argv[2])
blk = [l for l in lines if l["event"]["action"] == "block"]
x = next(l for l in blk if l.get("tls"))
for k in ("@timestamp",):
    assert k in x
assert x["source"]["ip"] and x["destination"]["port"] and x["rule"]["name"]
assert x["network"]["transport"] and x["network"]["protocol"] == "tls"
assert x["tls"]["client"]["server_name"] and x["url"]["domain"]
assert x["source"]["mac"].count("-") == 5 and x["event"]["type"] == ["denied"]
assert any(l.get("user", {}).get("name") == "jsmith" for l in lines)
assert any("<script>" in l.get("url", {}).get("domain", "") for l in lines)
print("ok ECS export: %d lines" % len(lines))
PY
echo "PASS t_report"
