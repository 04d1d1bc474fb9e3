#!/usr/bin/env bash
# The simulated school network (tests/netns/lib.sh) with plain forwarding:
# DNS answers, every site serves HTTPS with a certificate the test CA
# signed, byte counts arrive whole, and teardown leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
export SG_NS_PREFIX="sgs$$"
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh
trap netns_school_down EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

netns_school_up
run_dir="$SG_RUN_DIR"
pids=("${sg_bg_pids[@]}")

[[ "$(run_in staff dig +short @198.51.100.53 www.facebook.com)" == \
    198.51.100.11 ]] || fail "DNS answer for www.facebook.com"
[[ "$(run_in pupil dig +short @198.51.100.53 vpn.example.net)" == \
    198.51.100.20 ]] || fail "DNS answer for vpn.example.net"

n="$(run_in staff curl -sS --max-time 5 --cacert "$SG_CA" \
    --resolve www.facebook.com:443:198.51.100.11 \
    -o /dev/null -w '%{size_download}' https://www.facebook.com/1000)"
[[ "$n" == 1000 ]] || fail "want 1000 bytes over HTTPS, got $n"
page="$(run_in ipad curl -sS --max-time 5 --cacert "$SG_CA" \
    --resolve en.wikipedia.org:443:198.51.100.15 https://en.wikipedia.org/)"
grep -q 'en.wikipedia.org' <<<"$page" || fail "site page: $page"
# the certificate is chosen by SNI: a name we do not serve gets the
# default one, which must not verify
run_in staff curl -sS --max-time 5 --cacert "$SG_CA" \
    --resolve padlet.com:443:198.51.100.16 https://padlet.com/ >/dev/null ||
    fail "padlet.com certificate"
if run_in staff curl -s --max-time 5 --cacert "$SG_CA" \
    --resolve example.org:443:198.51.100.16 https://example.org/ >/dev/null; then
	fail "a name without a certificate verified"
fi
n="$(run_in pupil curl -sS --max-time 5 -o /dev/null -w '%{size_download}' \
    http://198.51.100.14/250000)"
[[ "$n" == 250000 ]] || fail "want 250000 bytes over HTTP, got $n"
# the UDP responders answer
reply="$(run_in staff timeout 3 bash -c \
    'exec 3<>/dev/udp/198.51.100.20/1194; printf ping >&3; head -c 4 <&3')"
[[ "$reply" == ping ]] || fail "UDP 1194 responder"
# the server sees the client's own address: no NAT
run_in gw ip route get 10.10.0.23 | grep -q lan-staff || fail "gw route"

# IPv6: AAAA answers over IPv6, HTTPS and HTTP forwarded by the gateway
[[ "$(run_in staff dig +short @"$SG_DNS_IP6" www.facebook.com AAAA)" == \
    fd00:100::11 ]] || fail "AAAA answer for www.facebook.com"
n="$(run_in staff curl -sS --max-time 5 --cacert "$SG_CA" \
    --resolve www.facebook.com:443:fd00:100::11 \
    -o /dev/null -w '%{size_download}' https://www.facebook.com/1000)"
[[ "$n" == 1000 ]] || fail "want 1000 bytes over HTTPS on IPv6, got $n"
n="$(run_in pupil curl -sS --max-time 5 -o /dev/null -w '%{size_download}' \
    'http://[fd00:100::14]/2500')"
[[ "$n" == 2500 ]] || fail "want 2500 bytes over HTTP on IPv6, got $n"
run_in gw ip -6 route get fd00:10::23 | grep -q lan-staff || fail "gw route 6"

netns_school_down
trap - EXIT
for ns in gw staff ipad pupil inet; do
	if ip netns list | grep -qw -- "^$SG_NS_PREFIX-$ns"; then
		fail "namespace $SG_NS_PREFIX-$ns left behind"
	fi
done
for pid in "${pids[@]}"; do
	kill -0 "$pid" 2>/dev/null && fail "process $pid left running"
done
[[ ! -e "$run_dir" ]] || fail "run directory $run_dir left behind"
echo "PASS"
