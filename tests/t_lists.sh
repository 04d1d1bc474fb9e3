#!/usr/bin/env bash
# The category lists (conf/lists, README "Lists"): "lists check" and
# check-config name a bad line as FILE:LINE; "lists import" merges plain
# hosts, ranges and nDPI host:/ip: rules, and on any bad line changes
# nothing and exits 1; a reload of the live daemon picks a new entry up,
# and an address list places only a flow nothing else names.
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${SCHOOLGATE:?SCHOOLGATE must name the schoolgate binary}"
export SG_NS_PREFIX="sgls$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
tmp="$(mktemp -d /tmp/sg-lists.XXXXXX)"
cleanup() {
	netns_school_down
	rm -rf -- "$tmp"
}
trap cleanup EXIT

echo "== lists check"
out="$("$sg" lists check -c conf/schoolgate.conf)"
check "the shipped lists are valid" "LIST" "$out"
check "circumvention.hosts counted" "yes" \
    "$(yesno grep -qE '^circumvention.hosts +circumvention +12 ' <<<"$out")"

# a copy of the shipped config and lists to break and import into; the
# daemon (nobody) reads them on reload
chmod 0755 "$tmp"
cp conf/schoolgate.conf "$tmp/sg.conf"
cp -r conf/lists "$tmp/lists"
sed -i 's|lists = \[ "circumvention.hosts",|lists = [ "circumvention.hosts", "circumvention.cidr",|' \
    "$tmp/sg.conf"
grep -q '"circumvention.cidr"' "$tmp/sg.conf" ||
	{ echo "FAIL: the test config names no circumvention.cidr"; exit 1; }
printf '# source: test\n# date: 2020-01-02\n# licence: CC0\n\n203.0.113.0/24\n' \
    >"$tmp/lists/circumvention.cidr"
check "the copy is valid" "configuration OK" \
    "$("$sg" check-config -c "$tmp/sg.conf" 2>&1)"
check "an old list is flagged" "yes" "$(yesno grep -qE \
    '^circumvention.cidr .* 2020-01-02 \(old\)' \
    <<<"$("$sg" lists check -c "$tmp/sg.conf")")"

echo "== a bad line: FILE:LINE from check-config and lists check alike"
cp -r "$tmp/lists" "$tmp/good-lists"
printf '192.0.2.1/24\n' >>"$tmp/lists/circumvention.cidr"
printf 'ok.example\nbad name.example\n' >>"$tmp/lists/messaging.hosts"
want="$tmp/lists/messaging.hosts:$(wc -l <"$tmp/lists/messaging.hosts"): \"bad name.example\": more than one entry on the line
$tmp/lists/circumvention.cidr:6: \"192.0.2.1/24\": host bits set after the prefix length"
set +e
cc="$("$sg" check-config -c "$tmp/sg.conf" 2>&1)"; cc_rc=$?
lc="$("$sg" lists check -c "$tmp/sg.conf" 2>&1)"; lc_rc=$?
set -e
check "check-config exits 1" "1" "$cc_rc"
check "check-config names both lines" "$want" "$cc"
check "lists check exits 1" "1" "$lc_rc"
check "lists check says the same" "$cc" "$lc"
rm -rf "$tmp/lists"
cp -r "$tmp/good-lists" "$tmp/lists"

echo "== lists import"
snap() { (cd "$tmp/lists" && for f in *; do printf '%s ' "$f"; sha256sum <"$f"; done); }
printf '# a download\nnew-vpn.example\n*.new-vpn.example\n192.0.2.0/25\n2001:db8:77::/48\nnordvpn.com\n' \
    >"$tmp/plain.txt"
printf '# nDPI protos.txt lines\nhost:"vpn.example.net",host:"sec-tunnel.com"@OperaVPN\nip:198.51.100.64/26:443@Tor\n' \
    >"$tmp/ndpi.txt"
out="$("$sg" lists import -c "$tmp/sg.conf" circumvention "$tmp/plain.txt")"
check "plain: hosts counted" "$tmp/lists/circumvention.hosts: 2 new, 1 already listed" \
    "$(grep hosts: <<<"$out")"
check "plain: ranges counted" "$tmp/lists/circumvention.cidr: 2 new, 0 already listed" \
    "$(grep cidr: <<<"$out")"
check "the header's date is today's" "# date: $(date +%F)" \
    "$(grep '^# date:' "$tmp/lists/circumvention.cidr")"
check "comments and old entries kept" "yes" "$(yesno grep -q \
    '^psiphon.ca  *# Psiphon' "$tmp/lists/circumvention.hosts")"
check "entries appended" "yes" "$(yesno grep -qx '2001:db8:77::/48' \
    "$tmp/lists/circumvention.cidr")"
out="$("$sg" lists import -c "$tmp/sg.conf" circumvention "$tmp/ndpi.txt")"
check "nDPI: a host: rule is the name and below" "yes" "$(yesno grep -qx \
    '\*.sec-tunnel.com' "$tmp/lists/circumvention.hosts")"
check "nDPI: ip: without its port" "yes" "$(yesno grep -qx \
    '198.51.100.64/26' "$tmp/lists/circumvention.cidr")"
check "again: nothing new" "$tmp/lists/circumvention.hosts: 0 new, 4 already listed" \
    "$("$sg" lists import -c "$tmp/sg.conf" circumvention "$tmp/ndpi.txt" | head -1)"
check "still valid" "configuration OK" \
    "$("$sg" check-config -c "$tmp/sg.conf" 2>&1)"

before="$(snap)"
printf 'fine.example\nip:198.51.100.1/24@X\ntcp:1194@OpenVPN\nb\xc3\xbcro.example\n' \
    >"$tmp/bad.txt"
set +e
out="$("$sg" lists import -c "$tmp/sg.conf" circumvention "$tmp/bad.txt" 2>&1)"
rc=$?
set -e
check "a bad download exits 1" "1" "$rc"
check "each bad line named" "$tmp/bad.txt:2: \"ip:198.51.100.1/24@X\": host bits set after the prefix length
$tmp/bad.txt:3: \"tcp:1194@OpenVPN\": an nDPI rule other than host: or ip: (ports say nothing about a site)
$tmp/bad.txt:4: \"b"$'\xc3\xbc'"ro.example\": not ASCII (write an international name in its xn-- form)" "$out"
check "nothing changed, no temporary files" "$before" "$(snap)"
set +e
"$sg" lists import -c "$tmp/sg.conf" video "$tmp/plain.txt" >/dev/null 2>&1
rc=$?
set -e
check "a new file without -l: exit 1" "1" "$rc"
check "and no file" "no" "$(yesno test -e "$tmp/lists/video.hosts")"
check "an unknown category: exit 1" "1" "$(set +e; "$sg" lists import \
    -c "$tmp/sg.conf" nosuch "$tmp/plain.txt" >/dev/null 2>&1; echo $?)"

echo "== the report's data quality: each list's date, an old one flagged"
# the lists as before the imports: circumvention.cidr dated 2020-01-02
rm -rf "$tmp/lists"
cp -r "$tmp/good-lists" "$tmp/lists"
SCHOOLGATE="$sg" SHARED="${SHARED:-/work/shared}"
# shellcheck source=tests/report-db.sh
. tests/report-db.sh
rdb_classify "$tmp/sg.conf" "$tmp/r.db" '2026-11-24 10:30' jsmith-laptop \
    facebook.pcap
rep() {
	"$sg" report -c "$tmp/sg.conf" --db "$tmp/r.db" --from 2026-11-23 \
	    --to 2026-12-06 "$@"
}
check "JSON: each list, its date, old or not" "circumvention.hosts 2026-12-07 False
circumvention.cidr 2020-01-02 True" "$(rep --format json | python3 -c '
import json, sys
for l in json.load(sys.stdin)["data_quality"]["lists"]:
    if l["category"] == "circumvention":
        print(l["name"], l["date"], l["out_of_date"])')"
rep --format html -o "$tmp/r.html"
check "HTML: the old list flagged in words" "yes" "$(yesno grep -qE \
    'circumvention.cidr</td><td>circumvention</td><td>[0-9]+</td><td>2020-01-02</td><td>test</td><td><span class="badge bad"[^>]*>out of date: over 90 days old' \
    "$tmp/r.html")"

echo "== live: a reload picks a new entry up; addresses come last"
netns_school_up
# fetch by address: a "site" whose name is its address (Host: 198.51.100.20)
sg_sites+=("198.51.100.20 198.51.100.20")
gw_up --hours out --conf "$tmp/sg.conf" --lists-dir "$tmp/lists"
check "before: pupil vpn.example.net passes" "ok 1000" \
    "$(fetch pupil vpn.example.net 1000)"
check "before: pupil http to 198.51.100.20 passes" "ok 1000" \
    "$(fetch pupil 198.51.100.20 1000 http)"
printf 'host:"vpn.example.net"@SomeVPN\n198.51.100.20\n198.51.100.15\n' >"$tmp/add.txt"
"$sg" lists import -c "$tmp/sg.conf" circumvention "$tmp/add.txt" >/dev/null
gw_reload >/dev/null
wait_log 'configuration reloaded' 10 || true
check "after: pupil vpn.example.net blocked" "reset" \
    "$(fetch pupil vpn.example.net 100)"
check "after: http by address blocked by the address list" "reset" \
    "$(fetch pupil 198.51.100.20 100 http)"
check "its record says ip-list and the list" "yes" "$(gw_wait_row \
    "dst_ip = '198.51.100.20' AND host_source = 'ip-list' AND category = 'circumvention' AND action = 'block'")"
# en.wikipedia.org's address is listed too: its name places it first
check "a named site keeps its category" "ok 1000" \
    "$(fetch pupil en.wikipedia.org 1000)"
check "its record says education, by sni" "yes" "$(gw_wait_row \
    "host = 'en.wikipedia.org' AND category = 'education' AND host_source = 'sni'")"
fault_finish
