#!/usr/bin/env bash
# classify --records writes one row per flow, mode 0640, whose hash chain
# verifies; an edited or deleted row is found by verify.
set -euo pipefail
cd "$(dirname "$0")/.."
pcaps="$SHARED/pcaps"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
db="$tmp/records.db"
fail() { echo "FAIL: $*"; exit 1; }

"$SCHOOLGATE" classify -c conf/schoolgate.conf --as-group staff \
    --at '2026-11-17 10:30' --records "$db" --json --no-progress \
    "$pcaps/facebook.pcap" "$pcaps/whatsapp_login_chat.pcap" \
    "$pcaps/dns_doh.pcap" >"$tmp/flows" 2>"$tmp/err"

printed=$(wc -l <"$tmp/flows")
rows=$(sqlite3 "$db" 'SELECT count(*) FROM flows')
[ "$rows" -eq "$printed" ] || fail "$rows rows for $printed flows printed"
echo "ok $rows rows, one per flow"

mode=$(stat -c %a "$db")
[ "$mode" = 640 ] || fail "database mode $mode, want 640"
echo "ok mode 0640"

# what was printed is what was recorded
blocked=$(grep -c '"action":"block"' "$tmp/flows")
[ "$(sqlite3 "$db" "SELECT count(*) FROM flows WHERE action='block'")" \
    -eq "$blocked" ] || fail "blocked counts differ"
[ "$(sqlite3 "$db" "SELECT count(*) FROM flows WHERE app='TLS.Facebook' AND
    action='block' AND rule='staff-social-in-hours' AND clause='7.3' AND
    grp='staff' AND in_school_hours=1 AND host_source='sni'")" -eq 2 ] ||
    fail "Facebook rows are not as printed"
# --at pins the recorded time: 2026-11-17 10:30 GMT
[ "$(sqlite3 "$db" "SELECT count(*) FROM flows WHERE
    start_us != 1794911400000000")" -eq 0 ] || fail "--at not recorded"
[ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE kind='import'")" -eq 3 ] ||
    fail "no import event per file"
echo "ok rows match the printed flows"

"$SCHOOLGATE" verify --db "$db" | grep -q "records verified" ||
    fail "verify of an untouched database"
cp "$db" "$tmp/edited.db"
sqlite3 "$tmp/edited.db" "UPDATE flows SET action='allow' WHERE id=2"
if "$SCHOOLGATE" verify --db "$tmp/edited.db" >"$tmp/v" 2>&1; then
	fail "verify passed an edited row"
fi
grep -q "row 2" "$tmp/v" || fail "verify did not name row 2: $(cat "$tmp/v")"
cp "$db" "$tmp/deleted.db"
sqlite3 "$tmp/deleted.db" "DELETE FROM flows WHERE id=3"
if "$SCHOOLGATE" verify --db "$tmp/deleted.db" >"$tmp/v" 2>&1; then
	fail "verify passed a deleted row"
fi
grep -q "row 4" "$tmp/v" || fail "verify did not point after the gap: $(cat "$tmp/v")"
echo "ok verify finds edited and deleted rows"

# purge everything older than a day (the rows are dated 2026-11-17)
"$SCHOOLGATE" purge --db "$db" --days 1 | grep -q "records older" ||
    fail "purge"
"$SCHOOLGATE" verify --db "$db" | grep -q "records verified" ||
    fail "verify after purge"
echo "ok verify passes after a purge"
