#!/usr/bin/env bash
# explain shows, step by step, who, what, when and which rule decides.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d /tmp/sg-explain.XXXXXX)"
ln -s "$PWD/conf/lists" "$tmp/lists"	# configs derived in $tmp keep the lists
trap 'rm -rf -- "$tmp"' EXIT
# the shipped config, with its 802.1X sessions read from $tmp
conf="$tmp/schoolgate.conf"
sed "s|radius_detail = \[[^]]*\];|radius_detail = [ \"$tmp/detail-*\" ];|" \
    conf/schoolgate.conf >"$conf"
grep -q "$tmp/detail-\*" "$conf"
fail() { echo "FAIL: $*"; exit 1; }
ex() { "$SCHOOLGATE" explain -c "$conf" "$@"; }
session() {	# session STATUS USER MAC IP: as FreeRADIUS's detail module
	printf 'Mon Nov 16 09:00:00 2026\n\tAcct-Status-Type = %s\n\tUser-Name = "%s"\n\tCalling-Station-Id = "%s"\n\tFramed-IP-Address = %s\n\tAcct-Session-Id = "s-%s"\n\tTimestamp = 1794819600\n\n' \
	    "$1" "$2" "$3" "$4" "$4" >>"$tmp/detail-20261116"
}

out=$(ex --device 02:00:00:00:10:03 --host www.facebook.com \
    --at '2026-11-17 10:30')
echo "$out"
grep -q 'Device:   jsmith-laptop' <<<"$out" || fail "device not named"
grep -q 'Person:   John Smith' <<<"$out" || fail "person not named"
grep -q 'App:      Facebook' <<<"$out" || fail "nDPI host list not asked"
grep -q 'Category: personal-social' <<<"$out" || fail "category"
grep -q 'within school hours' <<<"$out" || fail "school hours"
grep -q 'Decision: BLOCK' <<<"$out" || fail "decision"
grep -q 'staff-social-in-hours' <<<"$out" || fail "rule"
grep -q 'policy clause 7.3' <<<"$out" || fail "clause"

# the same at 19:00 is logged, not blocked
ex --device 02:00:00:00:10:03 --host www.facebook.com \
    --at '2026-11-17 19:00' | grep -q 'Decision: LOG' || fail "after hours"
# on the INSET day the school is closed
ex --device 02:00:00:00:10:03 --host www.facebook.com \
    --at '2026-11-30 10:30' | grep -q 'INSET day' || fail "closure not shown"

# the comms iPad's MAC alone is not enough: the account wants 802.1X
out=$(ex --device 02:00:00:00:10:32 --host www.facebook.com \
    --at '2026-11-17 10:30')
grep -q 'needs an 802.1X session signed in as an owner; there is none' \
    <<<"$out" || fail "auth 8021x not explained"
grep -q 'Decision: BLOCK' <<<"$out" || fail "copied MAC exempted"
grep -q 'Identity: from registered' <<<"$out" || fail "identity source"
# signed in as Sue Ward, the comms iPad is exempt for Facebook
session Start sward@cliftonlodge.sch.uk 02-00-00-00-10-32 10.10.0.50
out=$(ex --device 10.10.0.50 --host www.facebook.com --at '2026-11-17 10:30')
echo "$out"
grep -q '802.1X:   signed in: session of "sward@cliftonlodge.sch.uk", 10.10.0.50, MAC 02:00:00:00:10:32' \
    <<<"$out" || fail "session not shown"
grep -q 'Person:   Sue Ward' <<<"$out" || fail "session person"
grep -q 'Identity: from 8021x' <<<"$out" || fail "identity source 8021x"
grep -q 'exempt: registered professional account' <<<"$out" ||
    fail "exemption not explained"
grep -q 'Decision: ALLOW' <<<"$out" || fail "exemption not applied"
# John Smith's phone, a random MAC, named by his session
session Start JSmith@cliftonlodge.sch.uk 06-1a-2b-3c-4d-5e 10.10.0.77
out=$(ex --device 10.10.0.77 --host www.facebook.com --at '2026-11-17 10:30')
grep -q 'Person:   John Smith' <<<"$out" || fail "jsmith by 802.1X"
grep -q 'Decision: BLOCK' <<<"$out" || fail "jsmith not blocked"
session Stop JSmith@cliftonlodge.sch.uk 06-1a-2b-3c-4d-5e 10.10.0.77
out=$(ex --device 10.10.0.77 --host www.facebook.com --at '2026-11-17 10:30')
grep -q 'Person:   unknown' <<<"$out" || fail "session kept after Stop"
grep -q '802.1X:   no session' <<<"$out" || fail "no session not shown"
ex --device 02:00:00:00:10:32 --host web.whatsapp.com --app WhatsApp \
    --at '2026-11-17 10:30' | grep -q 'Decision: BLOCK' ||
    fail "messaging exempted (6.9)"

# a pupil's tablet by subnet; padlet is allowed for everyone
ex --device 10.20.0.31 --host www.instagram.com --at '2026-11-17 19:00' |
    grep -q 'pupils-no-social' || fail "pupil rule"
ex --device 10.20.0.31 --host padlet.com --at '2026-11-17 10:30' |
    grep -q 'Decision: ALLOW' || fail "padlet"

# bad input is refused clearly
if ex --device nonsense --host x.com --at '2026-11-17 10:30' 2>/dev/null; then
	fail "bad device accepted"
fi
if ex --device 10.0.0.1 --host x.com --at 'tomorrow' 2>/dev/null; then
	fail "bad time accepted"
fi
echo "ok explain"
