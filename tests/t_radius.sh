#!/usr/bin/env bash
# 802.1X through FreeRADIUS, end to end.  FreeRADIUS runs in its own
# namespace with an accounting client for the staff Wi-Fi's access point,
# its detail module writing where the gateway reads (identity.radius_detail);
# radclient plays the access point.  A phone with a random MAC is John
# Smith while his session lasts; the comms iPad's MAC is exempt only with
# Sue Ward's session.  School hours are "always", so nothing depends on
# the clock.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgr$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh

SG_NS_RADIUS="$SG_NS_PREFIX-radius"	# made by sg_add_ns, so removed
SG_NS_PHONE="$SG_NS_PREFIX-phone"	# by netns_school_down
trap netns_school_down EXIT

command -v freeradius >/dev/null && command -v radclient >/dev/null || {
	echo "FAIL freeradius and radclient are needed (scripts/install-deps)"
	exit 1
}

netns_school_up
# John Smith's own phone: a locally administered (random) MAC, on the
# staff LAN, registered nowhere
phone_mac="06:$(od -An -N5 -tx1 /dev/urandom | tr -s ' ' ':' | sed 's/^://; s/:$//')"
phone_ip=10.10.0.77
sg_add_ns "$SG_NS_PHONE"
sg_client "$SG_NS_PHONE" sp-phone lan-staff "$phone_mac" "$phone_ip/16" \
    10.10.0.1 fd00:10::77/64 fd00:10::1

# FreeRADIUS: the shortest config that takes accounting from one client
# and writes it with the detail module (the recipe in README.md)
rad="$SG_RUN_DIR/raddb"
mkdir -p "$rad/run" "$rad/log" "$SG_RUN_DIR/radacct"
cat >"$rad/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
raddbdir = $rad
confdir = $rad
logdir = $rad/log
run_dir = $rad/run
radacctdir = $SG_RUN_DIR/radacct
libdir = /usr/lib/freeradius
pidfile = $rad/run/radiusd.pid
name = freeradius
hostname_lookups = no
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
log {
	destination = stdout
}
security {
	allow_core_dumps = no
	max_attributes = 200
}
# clients.conf: the access point
client staff-wifi-ap {
	ipaddr = 127.0.0.1
	secret = testing123
}
modules {
	detail {
		filename = \${radacctdir}/%{%{Packet-Src-IP-Address}:-%{Packet-Src-IPv6-Address}}/detail-%Y%m%d
		escape_filenames = no
		# schoolgate reads it as its own user
		permissions = 0644
		header = "%t"
	}
}
server default {
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = 1813
	}
	preacct {
	}
	accounting {
		detail
	}
}
EOF
sg_add_ns "$SG_NS_RADIUS"
start_bg "$SG_NS_RADIUS" "$SG_RUN_DIR/freeradius.log" freeradius -X -d "$rad"
acct() {	# acct STATUS USER MAC IP
	printf 'Acct-Status-Type = %s\nUser-Name = "%s"\nCalling-Station-Id = "%s"\nFramed-IP-Address = %s\nAcct-Session-Id = "%s"\nNAS-IP-Address = 127.0.0.1\n' \
	    "$1" "$2" "$3" "$4" "sess-$4" |
	    ip netns exec "$SG_NS_RADIUS" radclient -r 10 -t 1 -q \
	    127.0.0.1:1813 acct testing123
	sleep 1.5	# the daemon reads the detail files once a second
}

gw_up --hours in --radius-detail "$SG_RUN_DIR/radacct/*/detail-*"

echo "== before any session: the phone is only the staff subnet"
gw_check "https www.facebook.com" "reset" "$(fetch "$SG_NS_PHONE" www.facebook.com 100)"

echo "== Accounting-Start for jsmith@cliftonlodge.sch.uk"
acct Start jsmith@cliftonlodge.sch.uk "${phone_mac//:/-}" "$phone_ip"
gw_check "freeradius wrote the detail file" "yes" \
    "$(grep -qs 'jsmith@cliftonlodge.sch.uk' "$SG_RUN_DIR"/radacct/127.0.0.1/detail-* &&
    echo yes || echo no)"
gw_check "https www.facebook.com" "reset" "$(fetch "$SG_NS_PHONE" www.facebook.com 100)"
gw_check "https en.wikipedia.org" "ok 1000" "$(fetch "$SG_NS_PHONE" en.wikipedia.org 1000)"
out="$("$SCHOOLGATE" explain -c "$SG_RUN_DIR/gateway.conf" --device "$phone_ip" \
    --host www.facebook.com --at '2026-11-17 10:30' 2>&1)"
gw_check "explain shows the session" "yes" \
    "$(grep -q "802.1X:   signed in: session of \"jsmith@cliftonlodge.sch.uk\", $phone_ip, MAC $phone_mac" \
    <<<"$out" && echo yes || echo "no: $out")"

echo "== Accounting-Stop"
acct Stop jsmith@cliftonlodge.sch.uk "${phone_mac//:/-}" "$phone_ip"
gw_check "https www.facebook.com (still staff subnet)" "reset" \
    "$(fetch "$SG_NS_PHONE" www.facebook.com 100)"

echo "== the comms iPad's MAC without Sue Ward's session"
gw_check "https www.facebook.com" "reset" "$(fetch ipad www.facebook.com 100)"
echo "== the comms iPad signed in as Sue Ward"
acct Start sward@cliftonlodge.sch.uk 02-00-00-00-10-32 10.10.0.50
gw_check "https www.facebook.com" "ok 1000" "$(fetch ipad www.facebook.com 1000)"
echo "== another device at the iPad's address, with its own MAC"
acct Stop sward@cliftonlodge.sch.uk 02-00-00-00-10-32 10.10.0.50
acct Start sward@cliftonlodge.sch.uk 02-00-00-00-10-99 10.10.0.50
gw_check "https www.facebook.com" "reset" "$(fetch ipad www.facebook.com 100)"

echo "== records"
sleep 2	# TIME_WAIT is 1 s here: DESTROY events carry the totals
stop_bg "$SG_GW_PID"
q() { gw_sql "SELECT count(*) FROM flows WHERE $1"; }
gw_check "phone facebook blocked as John Smith, identity 8021x" "yes" \
    "$([ "$(q "ip='$phone_ip' AND person='jsmith' AND id_source='8021x' AND
    app='TLS.Facebook' AND action='block' AND rule='staff-social-in-hours'")" -ge 1 ] &&
    echo yes || echo no)"
gw_check "phone wikipedia as John Smith" "yes" \
    "$([ "$(q "ip='$phone_ip' AND person='jsmith' AND host='en.wikipedia.org'")" -ge 1 ] &&
    echo yes || echo no)"
gw_check "phone not John Smith before the Start and after the Stop" "2" \
    "$(q "ip='$phone_ip' AND person='' AND id_source IN ('interface', 'subnet')
    AND app='TLS.Facebook'")"
gw_check "iPad MAC alone: blocked, registered device, no exemption" "yes" \
    "$([ "$(q "device='comms-ipad' AND id_source='registered' AND
    app='TLS.Facebook' AND action='block'")" -ge 1 ] && echo yes || echo no)"
gw_check "iPad with Sue's session: the account" "yes" \
    "$([ "$(q "device='comms-ipad' AND person='sward' AND id_source='8021x' AND
    action='allow' AND rule LIKE 'account:%'")" -ge 1 ] && echo yes || echo no)"
gw_check "a session on another MAC does not name the iPad's user" "0" \
    "$(q "ip='10.10.0.50' AND id_source='8021x' AND action='block'")"
gw_check "verify" "ok" "$("$SCHOOLGATE" verify --db "$SG_RUN_DIR/records.db" |
    grep -q 'records verified' && echo ok || echo broken)"

echo "== the report says where each identity came from"
today="$(date +%F)"
"$SCHOOLGATE" report -c "$SG_RUN_DIR/gateway.conf" --db "$SG_RUN_DIR/records.db" \
    --from "$today" --to "$today" --format json >"$SG_RUN_DIR/r.json"
"$SCHOOLGATE" report -c "$SG_RUN_DIR/gateway.conf" --db "$SG_RUN_DIR/records.db" \
    --from "$today" --to "$today" --format html -o "$SG_RUN_DIR/r.html"
gw_check "John Smith identified by 802.1X (json)" "8021x" \
    "$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(",".join(sorted({p["who"]["identified_by"] for p in r["people"]
    if p["who"]["person"] == "jsmith"})))' "$SG_RUN_DIR/r.json")"
gw_check "the phone without a session: one unregistered device" "yes" \
    "$(grep -q 'unregistered devices (random MACs)' "$SG_RUN_DIR/r.html" &&
    echo yes || echo no)"
gw_check "html says 802.1X sign-in" "yes" \
    "$(grep -q 'identified by 802.1X sign-in' "$SG_RUN_DIR/r.html" &&
    echo yes || echo no)"

echo
[ "$gw_failures" -eq 0 ] || {
	echo "$gw_failures check(s) failed"
	cat "$SG_RUN_DIR/daemon.log"
	tail -50 "$SG_RUN_DIR/freeradius.log"
	exit 1
}
echo "all checks passed"
