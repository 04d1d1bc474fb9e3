# shellcheck shell=bash
# The simulated school network, for the demo, end-to-end tests and
# benchmarks.  Source this file, then:
#
#   trap netns_school_down EXIT
#   netns_school_up             # namespaces, links, DNS and the sites
#   run_in staff dig +short @198.51.100.53 www.facebook.com
#   start_bg gw "$SG_RUN_DIR/daemon.log" "$SCHOOLGATE" run -c ...
#   wait_for_port inet 198.51.100.11 443
#   netns_school_down           # ends what start_bg started, by PID
#
# Namespaces are "$SG_NS_PREFIX-gw" and so on (prefix default "sg"); run_in
# and friends take either the role (gw, staff, ipad, pupil, inet) or a full
# namespace name.  No NAT: the internet side routes 10.0.0.0/8 back through
# the gateway, so conntrack sees the clients' own addresses.
#
# After netns_school_up:
#   SG_RUN_DIR  the run's temporary directory (removed by netns_school_down
#               unless SG_KEEP_RUN_DIR=1)
#   SG_CA       the test CA certificate, for curl --cacert
#   SG_NS_GW, SG_NS_STAFF, SG_NS_IPAD, SG_NS_PUPIL, SG_NS_INET
#
# IPv6 too, with unique local addresses (the groups' subnets in
# conf/schoolgate.conf): staff LAN fd00:10::/64 (gateway ::1, laptop ::23,
# iPad ::50), pupils fd00:20::/64 (gateway ::1, tablet ::31), internet
# side fd00:100::/64 (gateway ::1, inet ::2).  Each site 198.51.100.N is
# also fd00:100::N (sg_site6) and DNS answers AAAA for it; the DNS server
# is $SG_DNS_IP6 as well.  Addresses skip duplicate address detection, so
# they work at once.

: "${SG_NS_PREFIX:=sg}"
SG_NETNS_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SG_NS_GW="$SG_NS_PREFIX-gw"
SG_NS_STAFF="$SG_NS_PREFIX-staff"
SG_NS_IPAD="$SG_NS_PREFIX-ipad"
SG_NS_PUPIL="$SG_NS_PREFIX-pupil"
SG_NS_INET="$SG_NS_PREFIX-inet"
SG_DNS_IP="198.51.100.53"
SG_DNS_IP6="fd00:100::53"
SG_RUN_DIR="${SG_RUN_DIR:-}"
SG_CA=""
sg_bg_pids=()
sg_made_ns=()
sg_made_run_dir=0

# "site-ip name..." for the DNS server, the certificates and the addresses.
sg_sites=(
	"198.51.100.11 facebook.com www.facebook.com"
	"198.51.100.12 instagram.com www.instagram.com"
	"198.51.100.13 web.whatsapp.com"
	"198.51.100.14 www.youtube.com"
	"198.51.100.15 en.wikipedia.org"
	"198.51.100.16 padlet.com"
	"198.51.100.17 bsky.app"
	"198.51.100.20 vpn.example.net"
)

# sg_site6 198.51.100.N: the site's IPv6 address, fd00:100::N
sg_site6() {
	printf 'fd00:100::%s' "${1##*.}"
}

sg_ns() {
	case "$1" in
	gw|staff|ipad|pupil|inet) printf '%s-%s' "$SG_NS_PREFIX" "$1" ;;
	*) printf '%s' "$1" ;;
	esac
}

run_in() {
	local ns
	ns="$(sg_ns "$1")"
	shift
	ip netns exec "$ns" "$@"
}

# start_bg NS LOGFILE CMD...: runs CMD in NS in the background; its PID
# (ip netns exec execs the command, so it is the command's) is ended by
# netns_school_down.  The PID is left in SG_LAST_PID.
start_bg() {
	local ns log
	ns="$(sg_ns "$1")"
	log="$2"
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	SG_LAST_PID=$!
	sg_bg_pids+=("$SG_LAST_PID")
}

# stop_bg PID: ends one process start_bg started, before teardown.
stop_bg() {
	local pid="$1" i
	sg_end_pid "$pid"
	for i in "${!sg_bg_pids[@]}"; do
		[[ "${sg_bg_pids[$i]}" == "$pid" ]] && unset 'sg_bg_pids[i]'
	done
	return 0
}

sg_end_pid() {
	local pid="$1" n
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((n = 0; n < 50; n++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_for_port NS IP PORT [SECONDS]: until a TCP connect succeeds.
wait_for_port() {
	local ns ip="$2" port="$3" secs="${4:-10}" n
	ns="$(sg_ns "$1")"
	for ((n = 0; n < secs * 10; n++)); do
		# shellcheck disable=SC2016 # expanded by the inner bash
		if ip netns exec "$ns" timeout 1 bash -c \
		    'exec 3<>"/dev/tcp/$0/$1"' "$ip" "$port" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "wait_for_port: nothing on $ip:$port in $ns after ${secs}s" >&2
	return 1
}

sg_add_ns() {
	if ip netns list | grep -qw -- "^$1"; then
		echo "$0: namespace $1 exists (another run?)" >&2
		return 1
	fi
	ip netns add "$1"
	sg_made_ns+=("$1")
	ip -n "$1" link set lo up
}

# sg_client NS GW-PORT BRIDGE-OR-"" MAC IP/LEN GATEWAY IP6/LEN GATEWAY6
sg_client() {
	local ns="$1" port="$2" bridge="$3" mac="$4" addr="$5" gw="$6"
	local addr6="$7" gw6="$8"
	ip -n "$SG_NS_GW" link add "$port" type veth peer name eth0 netns "$ns"
	if [[ -n "$bridge" ]]; then
		ip -n "$SG_NS_GW" link set "$port" master "$bridge"
	fi
	ip -n "$SG_NS_GW" link set "$port" up
	ip -n "$ns" link set eth0 address "$mac"
	ip -n "$ns" addr add "$addr" dev eth0
	ip -n "$ns" addr add "$addr6" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$gw"
	ip -n "$ns" -6 route add default via "$gw6"
}

sg_build_links() {
	local gw="$SG_NS_GW" inet="$SG_NS_INET" site
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$gw" link add lan-staff type bridge
	ip -n "$gw" addr add 10.10.0.1/16 dev lan-staff
	ip -n "$gw" addr add fd00:10::1/64 dev lan-staff nodad
	ip -n "$gw" link set lan-staff up
	sg_client "$SG_NS_STAFF" sp-staff lan-staff 02:00:00:00:10:03 \
	    10.10.0.23/16 10.10.0.1 fd00:10::23/64 fd00:10::1
	sg_client "$SG_NS_IPAD" sp-ipad lan-staff 02:00:00:00:10:32 \
	    10.10.0.50/16 10.10.0.1 fd00:10::50/64 fd00:10::1
	sg_client "$SG_NS_PUPIL" lan-pupils "" 02:00:00:00:20:31 \
	    10.20.0.31/16 10.20.0.1 fd00:20::31/64 fd00:20::1
	ip -n "$gw" addr add 10.20.0.1/16 dev lan-pupils
	ip -n "$gw" addr add fd00:20::1/64 dev lan-pupils nodad
	ip -n "$gw" link add wan0 type veth peer name eth0 netns "$inet"
	ip -n "$gw" addr add 198.51.100.1/24 dev wan0
	ip -n "$gw" addr add fd00:100::1/64 dev wan0 nodad
	ip -n "$gw" link set wan0 up
	ip -n "$inet" addr add 198.51.100.2/24 dev eth0
	ip -n "$inet" addr add fd00:100::2/64 dev eth0 nodad
	for site in "${sg_sites[@]}"; do
		ip -n "$inet" addr add "${site%% *}/32" dev eth0
		ip -n "$inet" addr add "$(sg_site6 "${site%% *}")/128" dev eth0 nodad
	done
	ip -n "$inet" addr add "$SG_DNS_IP/32" dev eth0
	ip -n "$inet" addr add "$SG_DNS_IP6/128" dev eth0 nodad
	ip -n "$inet" link set eth0 up
	ip -n "$inet" route add 10.0.0.0/8 via 198.51.100.1
	ip -n "$inet" -6 route add fd00::/16 via fd00:100::1
}

# One certificate per site address, naming all of its names, plus a
# default for clients that send no SNI; sites.py picks by SNI.
sg_make_certs() {
	local dir="$SG_RUN_DIR/certs" site names name san
	mkdir -p "$dir"
	SG_CA="$SG_RUN_DIR/ca.pem"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj "/CN=schoolgate test CA" \
	    -keyout "$SG_RUN_DIR/ca.key" -out "$SG_CA" 2>/dev/null || return 1
	for site in "${sg_sites[@]}" "198.51.100.2 default"; do
		read -r -a names <<<"${site#* }"
		san=""
		for name in "${names[@]}"; do
			san="${san:+$san,}DNS:$name"
		done
		sg_make_cert "$dir" "${names[0]}" "$san" || return 1
		for name in "${names[@]:1}"; do
			cp "$dir/${names[0]}.crt" "$dir/$name.crt"
			cp "$dir/${names[0]}.key" "$dir/$name.key"
		done
	done
}

sg_make_cert() {
	local dir="$1" name="$2" san="$3"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -subj "/CN=$name" -keyout "$dir/$name.key" \
	    -out "$dir/$name.csr" 2>/dev/null
	openssl x509 -req -in "$dir/$name.csr" -CA "$SG_CA" \
	    -CAkey "$SG_RUN_DIR/ca.key" -CAcreateserial \
	    -CAserial "$SG_RUN_DIR/ca.srl" -days 2 \
	    -extfile <(printf 'subjectAltName=%s\n' "$san") \
	    -out "$dir/$name.crt" 2>/dev/null
	rm -f "$dir/$name.csr"
}

# Answers carry a TTL of 300 s, as real ones do (dnsmasq's default for its
# own records is 0, which a DNS cache would not keep).
# A test may set SG_DNS_EXTRA to more dnsmasq options (records of its own).
sg_start_dns() {
	local args=() site ip names
	for site in "${sg_sites[@]}"; do
		ip="${site%% *}"
		read -r -a names <<<"${site#* }"
		args+=("--host-record=$(IFS=,; echo "${names[*]}"),$ip,$(sg_site6 "$ip")")
	done
	start_bg inet "$SG_RUN_DIR/dnsmasq.log" dnsmasq --keep-in-foreground \
	    --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
	    --listen-address="$SG_DNS_IP" --listen-address="$SG_DNS_IP6" \
	    --pid-file= --user=root --local-ttl=300 \
	    --log-facility=- "${args[@]}" ${SG_DNS_EXTRA[@]+"${SG_DNS_EXTRA[@]}"}
}

sg_start_sites() {
	start_bg inet "$SG_RUN_DIR/sites.log" python3 -u \
	    "$SG_NETNS_LIB_DIR/sites.py" --certs "$SG_RUN_DIR/certs"
}

netns_school_up() {
	if [[ -z "$SG_RUN_DIR" ]]; then
		SG_RUN_DIR="$(mktemp -d "/tmp/schoolgate-$SG_NS_PREFIX.XXXXXX")"
		sg_made_run_dir=1
	fi
	local ns
	for ns in "$SG_NS_GW" "$SG_NS_STAFF" "$SG_NS_IPAD" "$SG_NS_PUPIL" \
	    "$SG_NS_INET"; do
		sg_add_ns "$ns" || return 1
	done
	sg_build_links || return 1
	sg_make_certs || return 1
	sg_start_dns
	sg_start_sites
	wait_for_port inet "$SG_DNS_IP" 53 || return 1
	wait_for_port inet "$SG_DNS_IP6" 53 || return 1
	wait_for_port inet 198.51.100.11 443 || return 1
	wait_for_port inet 198.51.100.11 80 || return 1
	wait_for_port inet "$(sg_site6 198.51.100.11)" 443 || return 1
	wait_for_port inet "$(sg_site6 198.51.100.11)" 80 || return 1
}

netns_school_down() {
	local idx i ns
	idx=("${!sg_bg_pids[@]}")
	for ((i = ${#idx[@]} - 1; i >= 0; i--)); do
		sg_end_pid "${sg_bg_pids[${idx[i]}]}"
	done
	sg_bg_pids=()
	for ns in "${sg_made_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	sg_made_ns=()
	if ((sg_made_run_dir)) && [[ "${SG_KEEP_RUN_DIR:-0}" != 1 ]]; then
		rm -rf -- "$SG_RUN_DIR"
		SG_RUN_DIR=""
		sg_made_run_dir=0
	fi
	return 0
}
