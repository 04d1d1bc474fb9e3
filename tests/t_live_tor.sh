#!/usr/bin/env bash
# Tor by address through the live gateway (issue 12, item 6): Tor's TLS
# carries a made-up www.<random>.com SNI that names nothing, so nDPI 4.2
# often calls it plain TLS; a relay on conf/lists/tor-relays.cidr places
# it in circumvention.  The test runs on a copy of conf/lists whose
# tor-relays.cidr also lists a test address (nDPI 4.2's own Tor list
# knows the real exits, so they would not show the list at work), where
# a test server stands in the "internet" namespace.  A real openssl
# s_client with such an SNI, to that relay:
#   - from a pupil: reset, recorded as a block under
#     pupils-no-circumvention with host_source ip-list;
#   - from a staff laptop: through, logged under staff-circumvention-logged;
#   - the same SNI to an address on no list is an ordinary allowed flow.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgt$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
trap netns_school_down EXIT

readonly relay=198.51.100.66		# added to the copy of tor-relays.cidr
readonly other=198.51.100.2		# on no list
# a name from tor_part-dev.pcap that nDPI 4.2 does not take for Tor
readonly sni=www.ct7ctrgb6cr7.com


# hello NS ADDR: "ok" if a TLS handshake with the made-up SNI completes
hello() {
	if run_in "$1" timeout 5 openssl s_client -connect "$2:443" \
	    -servername "$sni" -brief </dev/null >/dev/null 2>&1; then
		echo ok
	else
		echo failed
	fi
}

netns_school_up
# sites.py listens on :443 of every address of the internet namespace
ip -n "$SG_NS_INET" addr add "$relay/32" dev eth0
cp -r conf/lists "$SG_RUN_DIR/lists"
echo "$relay    # a test relay" >>"$SG_RUN_DIR/lists/tor-relays.cidr"
chmod -R a+rX "$SG_RUN_DIR/lists"
gw_up --hours in --lists-dir "$SG_RUN_DIR/lists"
wait_for_port inet "$relay" 443

gw_check "the relay stand-in answers TLS from the internet side" "ok" \
    "$(hello inet "$relay")"
gw_check "pupil: TLS to a listed Tor relay is refused" "failed" \
    "$(hello pupil "$relay")"
gw_check "pupil: recorded as circumvention by address, blocked" "yes" \
    "$(gw_wait_row "dst_ip='$relay' AND grp='pupils' AND
    category='circumvention' AND host_source='ip-list' AND
    action='block' AND rule='pupils-no-circumvention' AND clause='8.1'")"
gw_check "staff: TLS to the relay goes through" "ok" \
    "$(hello staff "$relay")"
for _ in 1 2 3; do
	logged="$(gw_wait_row "dst_ip='$relay' AND person='jsmith' AND
	    category='circumvention' AND host_source='ip-list' AND
	    action='log' AND rule='staff-circumvention-logged'")"
	[ "$logged" = yes ] && break
done
gw_check "staff: logged as circumvention (9.1)" "yes" "$logged"
gw_check "pupil: the same SNI to an unlisted address goes through" "ok" \
    "$(hello pupil "$other")"
gw_finish
