#!/usr/bin/env bash
# Records that hold up as evidence (issue 14): keys init prints the
# verification key once (text and QR code) and leaves it nowhere on the
# gateway; classify --records seals on close and sends each seal to syslog;
# verify --verification-key names every attack someone with write access
# to the database can make without that key, and --anchors (the seals
# syslog received) catches a rollback.  A purge keeps the records verifiable.
set -euo pipefail
cd "$(dirname "$0")/.."
pcaps="$SHARED/pcaps"
tmp="$(mktemp -d)"
logpid=
cleanup() {
	[ -n "$logpid" ] && kill "$logpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$tmp/records.db"
anchors="$tmp/syslog.log"

# the gateway's config, its state and syslog socket in the scratch dir
mkconf() {
	sed -e "s|^  seal_state = .*|  seal_state = \"$2\";|" \
	    -e "s|^  syslog_socket = .*|  syslog_socket = \"$tmp/log.sock\";|" \
	    conf/schoolgate.conf >"$1"
}
# the lists the config names sit beside it
ln -s "$PWD/conf/lists" "$tmp/lists"
mkconf "$tmp/gw.conf" "$tmp/seal.state"
mkconf "$tmp/nostate.conf" "$tmp/absent.state"

# a syslog daemon's socket: each datagram becomes one line of the file
/usr/bin/python3 -u -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(8192).decode(errors="replace") + "\n")
        out.flush()' "$tmp/log.sock" "$anchors" &
logpid=$!
for _ in $(seq 50); do [ -S "$tmp/log.sock" ] && break; sleep 0.1; done
[ -S "$tmp/log.sock" ] || fail "syslog receiver did not start"

# --- keys init ------------------------------------------------------------
"$SCHOOLGATE" keys init -c "$tmp/gw.conf" --verification-key "$tmp/vk" \
    >"$tmp/keys.out" || fail "keys init"
key=$(tr -d '\n' <"$tmp/vk")
grep -qF "$key" "$tmp/keys.out" || fail "the printed key is not the file's"
[ "$(grep -c '█' "$tmp/keys.out")" -ge 20 ] || fail "no QR code printed"
[ "$(stat -c %a "$tmp/seal.state")" = 600 ] || fail "state not mode 0600"
hex=$(echo "$key" | sed 's/^sgv1-//; s/-//g' | cut -c1-64)
if grep -rqiF "$hex" --exclude=vk --exclude=keys.out "$tmp"; then
	fail "the verification key is stored on the gateway"
fi
echo "ok keys init: key printed as text and QR code, not kept on the gateway"
if "$SCHOOLGATE" keys init -c "$tmp/gw.conf" >"$tmp/out" 2>&1; then
	fail "keys init overwrote an existing state"
fi
grep -q -- "--force" "$tmp/out" || fail "refusal does not mention --force"
mkconf "$tmp/other.conf" "$tmp/other.state"
before=$(find "$tmp" -type f | wc -l)
"$SCHOOLGATE" keys init -c "$tmp/other.conf" >"$tmp/other.out"
[ "$(find "$tmp" -type f | wc -l)" -eq $((before + 2)) ] ||
    fail "keys init without --verification-key wrote more than the state"
grep -q "sgv1-" "$tmp/other.out" || fail "no key printed"
echo "ok keys init refuses to overwrite; writes the key only if asked"

# --- sealed records -------------------------------------------------------
classify() {
	"$SCHOOLGATE" classify -c "$1" --as-group staff \
	    --at '2026-11-17 10:30' --records "$db" --no-progress \
	    "${@:2}" >/dev/null 2>"$tmp/classify.err" ||
	    fail "classify: $(cat "$tmp/classify.err")"
}
classify "$tmp/gw.conf" "$pcaps/instagram.pcap" "$pcaps/facebook.pcap"
classify "$tmp/gw.conf" "$pcaps/whatsapp_login_chat.pcap"
cp "$db" "$tmp/seal2.db"
classify "$tmp/gw.conf" "$pcaps/dns_doh.pcap" "$pcaps/instagram.pcap"
[ "$(grep -c 'sealed: seq=' "$anchors")" -eq 3 ] ||
    fail "syslog did not receive 3 seals: $(cat "$anchors")"
classify "$tmp/nostate.conf" "$pcaps/snapchat.pcap"
grep -q "records are not sealed: run schoolgate keys init" \
    "$tmp/classify.err" || fail "no warning without a sealing state"
echo "ok classify --records seals on close, anchors reach syslog"

verify() {	# verify EXPECTED_STATUS DB ARGS...; output in $tmp/v
	local rc=0
	"$SCHOOLGATE" verify --db "$2" "${@:3}" >"$tmp/v" 2>&1 || rc=$?
	[ "$rc" -eq "$1" ] || fail "verify ${*:2}: exit $rc, want $1: $(cat "$tmp/v")"
}
expect() { grep -q "$1" "$tmp/v" || fail "verify said: $(cat "$tmp/v")"; }

verify 0 "$db" --verification-key "$tmp/vk" --anchors "$anchors"
expect "^[0-9]* records verified, sealed up to seal 3 at 20[-0-9]* [0-9:]* UTC; [0-9]* rows after the last seal (unsealed)$"
expect "3 seals received by syslog are all in the database"
verify 0 "$db"
expect "the seals were not checked"
echo "ok untouched records verify, unsealed rows counted"

# every report pins the records: the latest seal's number and head
head3=$(sqlite3 "$db" 'SELECT flow_head FROM seals WHERE seq = 3')
for fmt in json html; do
	"$SCHOOLGATE" report -c "$tmp/gw.conf" --db "$db" --from 2026-11-17 \
	    --to 2026-11-17 --format "$fmt" -o "$tmp/report.$fmt" ||
	    fail "report --format $fmt"
	grep -q "seal 3 at 20[0-9-]* [0-9:]* UTC, flows head $head3" \
	    "$tmp/report.$fmt" || fail "the $fmt report does not name seal 3"
done
grep -q "Latest seal" "$tmp/report.html" || fail "no Latest seal in HTML"
echo "ok reports print the latest seal and its head"

attack() {	# attack NAME PHRASE SETUP...
	cp "$db" "$tmp/a.db"
	"${@:3}"
	verify 1 "$tmp/a.db" --verification-key "$tmp/vk"
	expect "$2"
	echo "ok $1: $(cat "$tmp/v")"
}
sealed=$(sqlite3 "$db" 'SELECT flow_id FROM seals WHERE seq = 3')
attack "delete the newest rows" "the newest rows were deleted" \
    sqlite3 "$tmp/a.db" "DELETE FROM flows WHERE id > $sealed - 3"
attack "delete the oldest rows, forge a checkpoint" "checkpoint forged" \
    /usr/bin/python3 tests/evidence/attack.py "$tmp/a.db" forge-checkpoint 10
attack "delete the oldest rows, old-style meta checkpoint" \
    "previous row missing" sqlite3 "$tmp/a.db" "DELETE FROM flows WHERE id <= 10;
    INSERT INTO meta VALUES ('flows_checkpoint', (SELECT lower(hex(prev_hash))
    FROM flows WHERE id = 11)), ('flows_checkpoint_id', 10)"
attack "rewrite rows, recompute the chain" \
    "rows were rewritten and the chain recomputed" \
    /usr/bin/python3 tests/evidence/attack.py "$tmp/a.db" rewrite
attack "rewrite rows, recompute chain and seals" \
    "does not match the verification key" \
    /usr/bin/python3 tests/evidence/attack.py "$tmp/a.db" rewrite-reseal
verify 0 "$tmp/a.db"	# without the key, the re-sealed copy looks fine
attack "delete a seal" "seal 2 is missing: the records were truncated" \
    /usr/bin/python3 tests/evidence/attack.py "$tmp/a.db" drop-seal 2

verify 0 "$tmp/seal2.db" --verification-key "$tmp/vk"
verify 1 "$tmp/seal2.db" --verification-key "$tmp/vk" --anchors "$anchors"
expect "seal 3, which syslog received, is missing: the database was rolled back"
echo "ok roll back to an older copy: $(cat "$tmp/v")"

# --- a purge keeps it verifiable ------------------------------------------
cp "$db" "$tmp/p.db"
"$SCHOOLGATE" purge --db "$tmp/p.db" --days 1 >"$tmp/purge.out"
[ "$(sqlite3 "$tmp/p.db" "SELECT min(id) - 1 FROM flows")" -eq "$sealed" ] ||
    fail "purge did not cut at the last seal"
verify 0 "$tmp/p.db" --verification-key "$tmp/vk" --anchors "$anchors"
expect "sealed up to seal 3"
echo "ok purge: $(cat "$tmp/purge.out"); still verifies"

# --- a fresh sealing key (the last: it replaces the gateway's state) -------
"$SCHOOLGATE" keys init -c "$tmp/gw.conf" --force >/dev/null
classify "$tmp/gw.conf" "$pcaps/discord.pcap"
verify 1 "$db" --verification-key "$tmp/vk"
expect "seal 4 does not match the verification key: the sealing key was replaced"
echo "ok replace the sealing state: $(cat "$tmp/v")"

# usage and unreadable key are told apart from tampering
verify 2 "$db" --bogus
echo "not a key" >"$tmp/badkey"
verify 3 "$db" --verification-key "$tmp/badkey"
expect "not a verification key"
c=${key:5:1}; [ "$c" = 0 ] && d=1 || d=0
echo "sgv1-$d${key:6}" >"$tmp/typo"
verify 3 "$db" --verification-key "$tmp/typo"
expect "typing mistake"
echo "ok exit codes: 0 verified, 1 tampered, 2 usage, 3 unreadable"
