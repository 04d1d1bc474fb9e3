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
svc=""	# the alerts service this test starts, stopped by its PID
trap '[ -z "$svc" ] || kill "$svc" 2>/dev/null; rm -rf "$tmp"' EXIT
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
# the lists the shipped config names sit beside it
ln -s "$PWD/conf/lists" "$tmp/lists"
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

# a school name that is not ASCII: RFC 2047 in From and Subject
sed 's/name = "Clifton Lodge School";/name = "Ysgol Glan Môr";/' "$conf" \
    >"$tmp/cy.conf"
rep -c "$tmp/cy.conf" --mail-to lead@school.test || fail "report to lead@"
python3 - "$(mta_newest "$mta" lead)" <<'PY' || fail "non-ASCII headers"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\n\n", 1)[0]
assert all(b < 0x80 for b in head), "8-bit header"
assert b"=?UTF-8?B?" in head
m = email.message_from_bytes(raw, policy=email.policy.default)
assert m["Subject"].endswith(": Ysgol Glan Môr"), m["Subject"]
assert m["From"].addresses[0].display_name == "Ysgol Glan Môr", m["From"]
PY
echo "ok a non-ASCII school name is RFC 2047 encoded"

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

# ---- alerts: schoolgate alerts --once, as the service does every 15 s
state="$tmp/alerts.state"
alerts() {	# alerts [CONF]
	"$SCHOOLGATE" alerts -c "${1:-$conf}" --db "$db" --state "$state" \
	    --once
}
beat() { echo "$(( $(date +%s) - ${1:-0} ))" >"$db.alive"; }
now_us() { echo "$(( $(date +%s) * 1000000 ))"; }
circ() {	# circ DEVICE MAC PERSON GROUP HOST IN_HOURS
	"$SG_TOOLS/recgen" "$db" flow "$(now_us)" "$1" "$2" "$3" "$4" \
	    TLS.NordVPN circumvention "$5" log staff-circumvention-logged \
	    9.1 "$6"
}
newest_dsl() { mta_newest "$mta" dsl; }
beat
alerts || fail "alerts --once on a quiet database"
dsl0=$(mta_count "$mta" dsl)
[ "$dsl0" = 1 ] || fail "history was mailed as alerts"
# John Smith's laptop: three VPN connections in hours, the first with a
# name that tries to add a header; a guest device and an out-of-hours one
# are not alerted; a crash gap recorded at the next start is
circ jsmith-laptop 02:00:00:00:10:03 jsmith staff \
    $'vpn.example\r\nBcc: other@school.test' 1
circ jsmith-laptop 02:00:00:00:10:03 jsmith staff nord.example 1
circ jsmith-laptop 02:00:00:00:10:03 jsmith staff nord.example 1
circ '' 02:00:00:00:99:01 '' guests guest-vpn.example 1
circ office-pc 02:00:00:00:10:40 mjones office evening-vpn.example 0
"$SG_TOOLS/recgen" "$db" event "$(now_us)" gap \
    'the previous run ended without stopping cleanly; not monitored for 312 s'
alerts || fail "alerts --once did not send"
[ "$(mta_count "$mta" dsl)" = $((dsl0 + 2)) ] ||
    fail "expected 2 alerts, got $(( $(mta_count "$mta" dsl) - dsl0 ))"
[ "$(mta_count "$mta" other)" = 0 ] || fail "a header was injected (Bcc)"
"$SCHOOLGATE" alerts --status --state "$state" >"$tmp/status"
grep -qx 'sent 2' "$tmp/status" && grep -qx 'suppressed 2' "$tmp/status" ||
    fail "counters: $(cat "$tmp/status")"
python3 - "$mta/mail/dsl/new" <<'PY' || fail "the alerts as delivered"
import email, email.policy, os, sys
d = sys.argv[1]
msgs = [email.message_from_binary_file(open(os.path.join(d, f), "rb"),
        policy=email.policy.default) for f in os.listdir(d)]
circ = [m for m in msgs if "circumvention" in m["Subject"]]
gap = [m for m in msgs if "gap in monitoring" in m["Subject"]]
assert len(circ) == 1 and len(gap) == 1, [m["Subject"] for m in msgs]
m = circ[0]
assert m["Bcc"] is None, "injected header"
assert "\r" not in m["Subject"] and "\n" not in str(m["Subject"])
assert m["Subject"] == "schoolgate alert: circumvention by John Smith " \
    "(vpn.example\\x0d\\x0aBcc: other@school.test)", m["Subject"]
t = m.get_content()
for want in ("Who:     John Smith", "Group:   staff", "TLS.NordVPN",
             "Outcome: log (rule staff-circumvention-logged)"):
    assert want in t, (want, t)
assert "not monitored for 312 s" in gap[0].get_content()
PY
echo "ok alerts: circumvention in hours and a recorded gap mailed; guests, out-of-hours and repeats not; no header injection"

# the window passes: the next alert says how many were not mailed
python3 - "$state" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for l in s["limits"]:
    l["last"] -= 7200
json.dump(s, open(sys.argv[1], "w"))
PY
circ jsmith-laptop 02:00:00:00:10:03 jsmith staff nord.example 1
alerts || fail "alerts after the window"
[ "$(mta_count "$mta" dsl)" = $((dsl0 + 3)) ] || fail "no alert after the window"
python3 - "$(newest_dsl)" <<'PY' || fail "the suppressed count is not in the next alert"
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
assert "Also 2 more of this kind for jsmith-laptop" in m.get_content(), m.get_content()
PY
echo "ok rate limit: one per device and kind per window, the count in the next"

# a failing sendmail: retried, counted, not lost
mail_conf /bin/false >"$tmp/false.conf"
circ sward-laptop 02:00:00:00:10:05 sward staff tor.example 1
if alerts "$tmp/false.conf"; then fail "a failed send was not reported"; fi
"$SCHOOLGATE" alerts --status --state "$state" >"$tmp/status"
grep -qx 'failed 1' "$tmp/status" && grep -qx 'retrying 1' "$tmp/status" ||
    fail "failure not counted: $(cat "$tmp/status")"
n=$(mta_count "$mta" dsl)
alerts || true	# not due yet: it waits before trying again
[ "$(mta_count "$mta" dsl)" = "$n" ] || fail "retried before its time"
python3 - "$state" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for q in s["queue"]:
    q["next"] = 0
json.dump(s, open(sys.argv[1], "w"))
PY
alerts || fail "the retry did not send"
[ "$(mta_count "$mta" dsl)" = $((n + 1)) ] || fail "the failed alert was lost"
grep -q 'tor.example' <(python3 -c 'import email,email.policy,sys;print(email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default)["Subject"])' "$(newest_dsl)") ||
    fail "the retried alert is not the failed one"
"$SCHOOLGATE" alerts --status --state "$state" >"$tmp/status"
grep -qx 'retrying 0' "$tmp/status" || fail "still queued: $(cat "$tmp/status")"
echo "ok a failed send is counted, retried later and delivered"

# the daemon stops writing its heartbeat: one alert per outage
beat 600
n=$(mta_count "$mta" dsl)
alerts || fail "alerts with a stale heartbeat"
alerts || fail "alerts with a stale heartbeat, again"
[ "$(mta_count "$mta" dsl)" = $((n + 1)) ] || fail "not one alert for the outage"
python3 -c 'import email,email.policy,sys;m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default);assert "not running" in m["Subject"], m["Subject"]' "$(newest_dsl)" ||
    fail "the outage alert"
echo "ok a stale heartbeat (the filter not running) is alerted once"

# the service itself: a new VPN connection is mailed within its interval,
# a second instance is refused, SIGTERM stops it
beat
"$SCHOOLGATE" alerts -c "$conf" --db "$db" --state "$state" --interval 2 \
    2>"$tmp/svc.log" &
svc=$!
sleep 1
n=$(mta_count "$mta" dsl)
circ "" 02:00:00:00:30:01 "" pupils psiphon.example 1	# a pupil's own phone
for _ in $(seq 30); do
	[ "$(mta_count "$mta" dsl)" -gt "$n" ] && break
	sleep 1
done
[ "$(mta_count "$mta" dsl)" = $((n + 1)) ] || { kill "$svc"; fail "the service did not mail within 30 s"; }
if alerts 2>"$tmp/err"; then kill "$svc"; fail "a second instance ran"; fi
grep -q 'another schoolgate alerts is running' "$tmp/err" ||
    { kill "$svc"; fail "no clear refusal: $(cat "$tmp/err")"; }
kill -TERM "$svc"
st=0
wait "$svc" || st=$?
svc=""
[ "$st" = 0 ] || fail "the service did not stop cleanly on SIGTERM ($st)"
echo "ok the alerts service mails a new event within seconds and stops on SIGTERM"
