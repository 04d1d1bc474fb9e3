#!/usr/bin/env bash
# explain shows, step by step, who, what, when and which rule decides.
set -euo pipefail
cd "$(dirname "$0")/.."
conf=conf/schoolgate.conf
fail() { echo "FAIL: $*"; exit 1; }
ex() { "$SCHOOLGATE" explain -c "$conf" "$@"; }

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

# the comms iPad is exempt for Facebook, not for WhatsApp
out=$(ex --device 02:00:00:00:10:32 --host www.facebook.com \
    --at '2026-11-17 10:30')
grep -q 'exempt: registered professional account' <<<"$out" ||
    fail "exemption not explained"
grep -q 'Decision: ALLOW' <<<"$out" || fail "exemption not applied"
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
