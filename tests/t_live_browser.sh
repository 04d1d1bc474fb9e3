#!/usr/bin/env bash
# Issue 11's end-to-end test: a real headless Chromium, dig, openssl and
# evasion clients on the staff laptop (jsmith) behind gateway-rules and
# `schoolgate run`, over IPv4 and IPv6.  Each check prints one PASS or
# FAIL line; the records database is read once the daemon has stopped
# (rows are written when flows end).
#
#   1. control: no rules, no daemon.  Every probe gets through, so a FAIL
#      later is the gateway's, not the harness's.  Then (1b) the gateway's
#      kernel alone resets facebook's TLS: every probe that should see a
#      reset does, so each check can pass.
#   2. outside school hours: the laptop resolves www.facebook.com (logged)
#      and opens an HTTPS connection to it that it keeps open.
#   3. a reload moves "now" into school hours: the open connection is reset
#      within 2 s.
#   4. in school hours: Chromium gets an error page for www.facebook.com
#      within 2 s and loads Wikipedia; dig shows NXDOMAIN/REFUSED with an
#      Extended DNS Error naming rule and clause, through the internet's
#      resolver and the gateway's own; no-SNI TLS to the address resolved
#      in 2 is reset and named from the DNS cache; a ClientHello in 40- and
#      4-byte segments is reset; a decoy ClientHello is caught.
set -euo pipefail
shopt -s extglob
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgl$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/live.sh
cleanup() {
	live_down
	netns_school_down
}
trap cleanup EXIT

BLOCK_RULE="staff-social-in-hours"
BLOCK_CLAUSE="7.3"
failures=0
passes=0
rec_name=() rec_which=() rec_want=()
t0=0

# check NAME OK DETAIL: OK is 0 (pass) or anything else
check() {
	if [[ "$2" == 0 ]]; then
		echo "PASS $1: $3"
		passes=$((passes + 1))
	else
		echo "FAIL $1: $3"
		failures=$((failures + 1))
	fi
}

# expect NAME GLOB ACTUAL
expect() {
	local rc=0
	# shellcheck disable=SC2053 # GLOB is a pattern
	[[ "$3" == $2 ]] || rc=1
	check "$1" "$rc" "$3"
}

# dig_blocked NAME LIVE_DIG-OUTPUT: an answer within 2 s that names no
# address, with an Extended DNS Error naming the rule and the clause
dig_blocked() {
	local rc=0
	[[ "$2" == @(NXDOMAIN|REFUSED)" "* && "$2" == *" addr=none "* ]] || rc=1
	[[ "$2" =~ ms=([0-9]+) ]] && ((BASH_REMATCH[1] < 2000)) || rc=1
	[[ "$2" == *ede=*"$BLOCK_RULE"* && "$2" == *ede=*"$BLOCK_CLAUSE"* ]] ||
	    rc=1
	check "$1" "$rc" "$2"
}

# begin: a probe starts; record: its flows rows (WHICH, and started since
# begin) must include one that matches WANT.  Checked at the end; a FAIL
# shows the rows WHICH found.
begin() { t0="$(now_us)"; }
record() {
	rec_name+=("$1")
	rec_which+=("person = 'jsmith' AND $2 AND
	    start_us BETWEEN $t0 AND $(now_us)")
	rec_want+=("$3")
}

# site 4|6 NAME: the site's address in that family
site() {
	local ip
	ip="$(gw_site_ip "$2")"
	if [[ "$1" == 6 ]]; then sg_site6 "$ip"; else echo "$ip"; fi
}

qtype() { if [[ "$1" == 6 ]]; then echo AAAA; else echo A; fi; }

# outcome_of URL BROWSER-OUTPUT: "loaded MS ip=.. text=..",
# "error MS net::ERR_..." or "timeout MS" (tests/netns/browser.py)
outcome_of() {
	local line
	line="$(awk -v u="$1" '$1 == u {$1 = ""; sub(/^ /, ""); print; exit}' \
	    <<<"$2")"
	echo "${line:-none: $(tail -n 1 <<<"$2")}"
}

# browse_sites 4|6: Chromium opens www.facebook.com, en.wikipedia.org and
# a name no DNS server knows, and facebook.com pinned to its address
browse_sites() {
	live_browse "$1" --pin "facebook.com=$(site "$1" facebook.com)" \
	    https://www.facebook.com/ https://en.wikipedia.org/ \
	    https://unknown.example/ https://facebook.com/
}

# reset_within_2s NAME FD SINCE-US: the held connection on FD says it was
# reset less than 2 s after SINCE
reset_within_2s() {
	local line took
	line="$(live_line "$2" 10)"
	if [[ "$line" == reset* ]]; then
		took="$(awk -v t="${line#reset }" -v r="$3" \
		    'BEGIN {printf "%d", (t * 1e6 - r) / 1000}')"
		expect "$1" "yes *" \
		    "$( ((took < 2000)) && echo yes || echo no) (${took} ms)"
	else
		check "$1" 1 "got '$line' within 10 s"
	fi
}

# fast OUTCOME: "fast" if it took less than 2 s
fast() {
	local ms
	ms="$(awk '{print $2}' <<<"$1")"
	[[ "$ms" =~ ^[0-9]+$ ]] && ((ms < 2000)) && echo fast || echo slow
}

for tool in chromium certutil dig openssl nft /usr/bin/python3; do
	command -v "$tool" >/dev/null ||
	    { echo "FAIL: $tool missing (scripts/install-deps)"; exit 1; }
done
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
    { echo "FAIL: python3-scapy missing (scripts/install-deps)"; exit 1; }

netns_school_up
live_up
fd=""

echo "== 1. control: no gateway rules, no daemon"
for fam in 4 6; do
	fb="$(site "$fam" www.facebook.com)"
	wp="$(site "$fam" en.wikipedia.org)"
	out="$(browse_sites "$fam")"
	expect "control v$fam: chromium loads www.facebook.com by name" \
	    "loaded * ip=$fb text=www.facebook.com" \
	    "$(outcome_of https://www.facebook.com/ "$out")"
	expect "control v$fam: chromium loads en.wikipedia.org" \
	    "loaded * ip=$wp text=en.wikipedia.org" \
	    "$(outcome_of https://en.wikipedia.org/ "$out")"
	expect "control v$fam: chromium loads facebook.com pinned to $fb" \
	    "loaded * text=facebook.com" \
	    "$(outcome_of https://facebook.com/ "$out")"
	line="$(outcome_of https://unknown.example/ "$out")"
	expect "control v$fam: chromium shows its error page for a name DNS refuses within 2 s" \
	    "error * net::ERR_NAME_NOT_RESOLVED (fast)" "$line ($(fast "$line"))"
	type="$(qtype "$fam")"
	expect "control v$fam: dig www.facebook.com $type @$(live_dns "$fam")" \
	    "NOERROR * addr=$fb ttl=[1-9]*" "$(live_dig "$(live_dns "$fam")" www.facebook.com "$type")"
	expect "control v$fam: dig www.facebook.com $type @$(live_gw_dns "$fam") (the gateway's resolver)" \
	    "NOERROR * addr=$fb ttl=[1-9]*" "$(live_dig "$(live_gw_dns "$fam")" www.facebook.com "$type")"
	expect "control v$fam: no-SNI TLS to $fb is answered" "answered" \
	    "$(live_nosni "$fb")"
	for seg in 40 4; do
		out="$(live_split "$seg" "$fb")"
		expect "control v$fam: ClientHello in $seg-byte segments is answered" \
		    "answered *" "$out"
		[[ "$out" =~ segs=([0-9]+)/([0-9]+) ]] &&
		    ((BASH_REMATCH[1] >= BASH_REMATCH[2])) && rc=0 || rc=1
		check "control v$fam: ... really in $seg-byte segments (sent/pieces)" \
		    "$rc" "${out##* }"
	done
	expect "control v$fam: decoy ClientHello then the real one is answered" \
	    "answered *" "$(live_decoy "$fb")"
	live_hold "$fb" fd 3
	expect "control v$fam: an HTTPS connection opens" "ready" \
	    "$(live_line "$fd" 20)"
	expect "control v$fam: ... and stays open for 3 s" "open" \
	    "$(live_line "$fd" 20)"
done
# the decoys died at the router past the gateway: the server never saw them
# (scapy may send a decoy more than once; each must die there)
expect "control: the router past the gateway dropped both decoys (v4 v6)" \
    "[1-9]* [1-9]*" "$(run_in inet nft list chain inet pasthop pre |
    awk '/ttl 1|hoplimit 1/ {for (i = 1; i < NF; i++)
    if ($i == "packets") printf "%s%s", s, $(i + 1); s = " "}')"


echo "== 1b. control: the gateway's kernel alone (nft, no daemon) resets data to facebook"
declare -A resolved hold_fd
for fam in 4 6; do
	live_hold "$(site "$fam" www.facebook.com)" "hold_fd[$fam]"
	expect "control v$fam: an HTTPS connection to www.facebook.com opens" \
	    "ready" "$(live_line "${hold_fd[$fam]}" 20)"
done
t_block="$(now_us)"
live_mock_block "$(site 4 www.facebook.com)" "$(site 6 www.facebook.com)"
for fam in 4 6; do
	reset_within_2s "control v$fam: the open connection is reset within 2 s of the block" \
	    "${hold_fd[$fam]}" "$t_block"
	fb="$(site "$fam" www.facebook.com)"
	expect "control v$fam: no-SNI TLS to $fb is reset" "reset" \
	    "$(live_nosni "$fb")"
	for seg in 40 4; do
		expect "control v$fam: a ClientHello in $seg-byte segments is reset" \
		    "reset *" "$(live_split "$seg" "$fb")"
	done
	expect "control v$fam: a decoy ClientHello is reset" "reset" \
	    "$(live_decoy "$fb")"
done
live_mock_unblock

echo "== 2. the gateway, outside school hours"
gw_up --hours out
for fam in 4 6; do
	type="$(qtype "$fam")"
	out="$(live_dig "$(live_dns "$fam")" www.facebook.com "$type")"
	expect "v$fam: out of hours, www.facebook.com resolves (logged)" \
	    "NOERROR * addr=$(site "$fam" www.facebook.com) ttl=[1-9]*" "$out"
	resolved[$fam]="$(sed -n 's/.* addr=\([^ ]*\) .*/\1/p' <<<"$out")"
	live_hold "$(site "$fam" www.facebook.com)" "hold_fd[$fam]"
	expect "v$fam: out of hours, an HTTPS connection to www.facebook.com opens" \
	    "ready" "$(live_line "${hold_fd[$fam]}" 20)"
done

echo "== 3. a reload moves now into school hours"
gw_conf --hours in
t_reload="$(now_us)"
gw_reload >/dev/null
for fam in 4 6; do
	reset_within_2s "v$fam: the open connection is reset within 2 s of the reload" \
	    "${hold_fd[$fam]}" "$t_reload"
done
t_after="$(now_us)"

echo "== 4. in school hours"
for fam in 4 6; do
	fb="$(site "$fam" www.facebook.com)"
	wp="$(site "$fam" en.wikipedia.org)"
	begin
	out="$(browse_sites "$fam")"
	line="$(outcome_of https://www.facebook.com/ "$out")"
	expect "v$fam: chromium shows its error page for www.facebook.com by name within 2 s" \
	    "error * net::ERR_NAME_NOT_RESOLVED (fast)" "$line ($(fast "$line"))"
	expect "v$fam: chromium loads en.wikipedia.org" \
	    "loaded * ip=$wp text=en.wikipedia.org" \
	    "$(outcome_of https://en.wikipedia.org/ "$out")"
	expect "v$fam: chromium: facebook.com pinned to $fb is reset" \
	    "error * net::ERR_CONNECTION_RESET" \
	    "$(outcome_of https://facebook.com/ "$out")"
	record "v$fam: wikipedia in chromium is recorded as allowed" \
	    "dst_ip = '$wp'" "host = 'en.wikipedia.org' AND action = 'allow'"

	type="$(qtype "$fam")"
	for server in "$(live_dns "$fam")" "$(live_gw_dns "$fam")"; do
		begin
		dig_blocked "v$fam: dig www.facebook.com $type @$server: NXDOMAIN or REFUSED with EDE naming rule and clause" \
		    "$(live_dig "$server" www.facebook.com "$type")"
		record "v$fam: the lookup @$server is recorded as blocked" \
		    "dst_ip = '$server'" "host = 'www.facebook.com' AND
		    action = 'block' AND rule = '$BLOCK_RULE' AND
		    clause = '$BLOCK_CLAUSE'"
	done

	begin
	expect "v$fam: no-SNI TLS to ${resolved[$fam]}, resolved out of hours, is reset" \
	    "reset" "$(live_nosni "${resolved[$fam]}")"
	record "v$fam: the no-SNI flow is named from the DNS cache and blocked" \
	    "dst_ip = '${resolved[$fam]}'" "host = 'www.facebook.com' AND
	    host_source = 'dns-cache' AND action = 'block'"

	for seg in 40 4; do
		begin
		expect "v$fam: a ClientHello in $seg-byte segments is reset" \
		    "reset *" "$(live_split "$seg" "$fb")"
		record "v$fam: the $seg-byte split ClientHello is recorded as blocked" \
		    "dst_ip = '$fb'" "action = 'block' AND
		    (host = 'www.facebook.com' OR rule = 'evasion')"
	done

	begin
	expect "v$fam: a decoy ClientHello (a.padlet.com, TTL 2) is caught" \
	    "reset" "$(live_decoy "$fb")"
	record "v$fam: the decoy flow is recorded as evasion or facebook block" \
	    "dst_ip = '$fb'" "rule = 'evasion' OR
	    (host = 'www.facebook.com' AND action = 'block')"
done

echo "== records (the daemon stopped, so every flow has its row)"
stop_bg "$SG_GW_PID"
for i in "${!rec_name[@]}"; do
	n="$(gw_sql "SELECT count(*) FROM flows WHERE (${rec_which[i]}) AND
	    (${rec_want[i]})")"
	rows="$(gw_sql "SELECT app, host, host_source, action, rule FROM flows
	    WHERE ${rec_which[i]} LIMIT 3" | tr '\n' ';')"
	expect "${rec_name[i]}" "[1-9]*" "$n row(s) of: ${rows:-none}"
done
# The change shows as a block row for a flow to facebook that began before
# section 4 (only the held connections did: a row per period), or as an
# event of a kind the daemon did not write before, between the reload and
# the resets.
events="$(gw_sql "SELECT count(*) FROM events WHERE ts_us BETWEEN $t_reload
    AND $t_after AND kind NOT IN ('reload', 'config', 'start', 'stop', 'gap')")"
for fam in 4 6; do
	rows="$(gw_sql "SELECT action FROM flows WHERE person = 'jsmith' AND
	    dst_ip = '$(site "$fam" www.facebook.com)' AND dst_port = 443 AND
	    start_us < $t_after" | sort | uniq -c | tr -s '\n ' '  ')"
	expect "v$fam: the record shows the held connection's change to block" \
	    "yes *" "$([[ "$rows" == *block* ]] || ((events > 0)) && echo yes ||
	    echo no) (rows before section 4 by action:$rows; new events: $events)"
done
expect "the records verify" "*records verified*" \
    "$("$SCHOOLGATE" verify --db "$SG_RUN_DIR/records.db" 2>&1 | tail -n 1)"

echo
echo "$passes passed, $failures failed"
if ((failures > 0)); then
	echo "--- daemon log (tail)"
	tail -n 40 "$SG_RUN_DIR/daemon.log"
	exit 1
fi
