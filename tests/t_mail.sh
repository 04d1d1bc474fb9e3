#!/usr/bin/env bash
# Reports and alerts by mail through a real MTA: a private exim4 delivers
# into a Maildir here (tests/mail-lib.sh).  The weekly report arrives as
# multipart/mixed (text and phone-sized HTML summary, the full report
# attached byte for byte as written to --out-dir) and the attachment
# renders in headless Chromium; a bad address is named and nothing is
# sent; a failing sendmail fails the command.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: exim4 -C needs root"; exit 0; }
[ -x /usr/sbin/exim4 ] || fail "exim4 is not installed (scripts/install-deps --test)"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps)"
# shellcheck source=tests/report-db.sh
. tests/report-db.sh
# shellcheck source=tests/mail-lib.sh
. tests/mail-lib.sh

mta="$tmp/mta"
mta_setup "$mta"
db="$tmp/records.db"
conf="$tmp/schoolgate.conf"
# mail settings (reports, alerts) on top of the shipped config
mail_conf() {	# mail_conf SENDMAIL > FILE
	cat conf/schoolgate.conf - <<CONF
reports = {
  mail_to = [ "head@school.test", "dsl@school.test" ];
  mail_from = "filter@school.test";
  sendmail = "$1";
};
alerts = {
  mail_to = [ "dsl@school.test" ];
  rate_limit = 3600;
};
CONF
}
mail_conf "$mta/sendmail" >"$conf"
"$SCHOOLGATE" check-config -c "$conf" >/dev/null || fail "config with mail"
make_report_db "$conf" "$db"
rep() {
	"$SCHOOLGATE" report -c "$conf" --db "$db" --from 2026-11-23 \
	    --to 2026-12-06 "$@"
}

# the weekly timer's command, with a fixed period
mkdir "$tmp/reports"
rep --format html --out-dir "$tmp/reports" --mail >/dev/null ||
    fail "report --mail"
[ "$(mta_count "$mta" head)" = 1 ] && [ "$(mta_count "$mta" dsl)" = 1 ] ||
    fail "not delivered to both: $(cat "$mta/log/mainlog")"
rep --format json -o "$tmp/r.json"
msg="$(mta_newest "$mta" head)"
python3 - "$msg" "$tmp/reports/2026-11-23_2026-12-06.html" "$tmp/r.json" \
    "$tmp" <<'PY' || fail "the delivered MIME"
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
direct = open(sys.argv[2], "rb").read()
r = json.load(open(sys.argv[3]))
assert m["From"].addresses[0].addr_spec == "filter@school.test", m["From"]
assert m["From"].addresses[0].display_name == "Clifton Lodge School", m["From"]
assert sorted(a.addr_spec for a in m["To"].addresses) == \
    ["dsl@school.test", "head@school.test"], m["To"]
assert m["Subject"] == "Monitoring report 2026-11-23 to 2026-12-06: " \
    "Clifton Lodge School", m["Subject"]
for h in ("Date", "Message-ID", "MIME-Version"):
    assert m[h], h
assert m.get_content_type() == "multipart/mixed"
body, att = m.get_payload()
assert body.get_content_type() == "multipart/alternative"
text, html = body.get_payload()
assert text.get_content_type() == "text/plain"
assert html.get_content_type() == "text/html"
assert att.get_content_type() == "text/html"
assert att.get_content_charset() == "utf-8"
assert att.get_filename() == "schoolgate-report-2026-11-23_2026-12-06.html"
assert att["Content-Transfer-Encoding"] == "base64"
assert att.get_payload(decode=True) == direct, "attachment differs"
t = text.get_content()
tot = r["totals"] if "totals" in r else r["summary"]
for n, label in ((tot["attempts"], "blocked attempts"),
                 (tot["breaches"], "logged breaches"),
                 (tot["circumvention"], "circumvention attempts")):
    assert "%8d  %s" % (n, label) in t, (label, n, t)
h = html.get_content()
assert "width=device-width" in h and "<table" not in h
assert ">%d</span>blocked attempts" % tot["attempts"] in h, h
open(sys.argv[4] + "/att.html", "wb").write(att.get_payload(decode=True))
open(sys.argv[4] + "/phone.html", "w").write(h)
PY
echo "ok the weekly report arrives: summary in the body, report attached intact"

chrome() {	# chrome FILE ARGS...: its DOM after rendering
	local f="$1"
	shift
	timeout 40 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$(mktemp -d -p "$tmp")" "$@" --dump-dom \
	    "file://$f" 2>/dev/null
}
chrome "$tmp/att.html" >"$tmp/dom"
grep -q '<h2>Summary</h2>' "$tmp/dom" || fail "attachment: no summary in the DOM"
grep -q '<svg' "$tmp/dom" || fail "attachment: no charts in the DOM"
chrome "$tmp/phone.html" --window-size=390,844 >"$tmp/pdom"
grep -q 'blocked attempts' "$tmp/pdom" || fail "phone summary does not render"
echo "ok the attachment and the phone summary render in Chromium"

# a bad address is named, and nothing is sent
before=$(mta_count "$mta")
if rep --mail-to 'head@school.test,evil@x.test>
Bcc: all@school.test' >/dev/null 2>"$tmp/err"; then
	fail "a bad address was accepted"
fi
grep -q 'invalid mail address "evil@x.test>' "$tmp/err" ||
    fail "the bad address is not named: $(cat "$tmp/err")"
[ "$(mta_count "$mta")" = "$before" ] || fail "mail sent to a bad address"
sed 's/"dsl@school.test"/"dsl@@school.test"/' "$conf" >"$tmp/bad.conf"
"$SCHOOLGATE" check-config -c "$tmp/bad.conf" >/dev/null 2>"$tmp/err" &&
    fail "check-config took a bad mail_to"
grep -Eq 'bad.conf:[0-9]+: reports: invalid mail_to entry "dsl@@school.test"' \
    "$tmp/err" || fail "bad mail_to not named with FILE:LINE: $(cat "$tmp/err")"
echo "ok bad addresses are named (command line, and config FILE:LINE)"

# a failing sendmail fails the command
mail_conf /bin/false >"$tmp/false.conf"
if rep -c "$tmp/false.conf" --mail-to head@school.test >/dev/null \
    2>"$tmp/err"; then
	fail "a failing sendmail went unnoticed"
fi
grep -q '/bin/false: sendmail failed (exit status 1)' "$tmp/err" ||
    fail "no clear error: $(cat "$tmp/err")"
echo "ok a failing sendmail is an error"
