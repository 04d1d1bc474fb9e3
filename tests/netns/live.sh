# shellcheck shell=bash
# Real clients on the staff laptop, for tests/t_live_*.sh: headless
# Chromium, dig, openssl and the evasion clients.  Source after
# tests/netns/lib.sh and tests/netns/gateway.sh, once netns_school_up ran:
#
#   live_up / live_down     the resolver on the gateway (dnsmasq in gw on
#                           the staff-side addresses), a router past the
#                           gateway (inet drops what arrives with TTL 1),
#                           /etc/netns/NS/resolv.conf for the staff laptop
#   live_browse 4|6 URL...  Chromium through the system resolver of one
#                           family: one line per URL (tests/netns/browser.py)
#   live_dig SERVER NAME TYPE   -> "STATUS ms=N ede=TEXT addr=ADDR ttl=N"
#   live_nosni ADDR         openssl s_client -noservername: "reset",
#                           "answered" or "other: TEXT"
#   live_split SEG ADDR     a ClientHello for www.facebook.com in SEG-byte
#                           segments (tlsclient.py split)
#   live_decoy ADDR         a decoy ClientHello that dies past the gateway,
#                           then the real one (decoy.py)
#   live_hold ADDR VAR [MAX]  an HTTPS connection kept open (MAX seconds,
#                           default 120); VAR gets the fd its lines arrive
#                           on (tlsclient.py hold)
#   live_line FD SECONDS    the next line on FD, or "none"
#   live_mock_block ADDR... / live_mock_unblock   the gateway's kernel
#                           alone (no daemon) resets every TCP segment that
#                           carries data to ADDR:443, for the control run
#   now_us                  wall clock, microseconds (as records' start_us)
#
# The families: IPv4 uses $SG_DNS_IP and 198.51.100.N, IPv6 $SG_DNS_IP6
# and fd00:100::N; the resolver on the gateway is 10.10.0.1 / fd00:10::1.

LIVE_GW_DNS4=10.10.0.1
LIVE_GW_DNS6=fd00:10::1
LIVE_NETNS_ETC=""
live_made_etc_netns=0

# Debian's python3 for scapy (a python3 earlier on PATH may lack it).
LIVE_PY_SCAPY=/usr/bin/python3

now_us() {
	local t
	t="$(date +%s%N)"
	echo "${t:0:-3}"
}

live_dns() {	# live_dns 4|6: the internet resolver of that family
	if [[ "$1" == 6 ]]; then echo "$SG_DNS_IP6"; else echo "$SG_DNS_IP"; fi
}

live_gw_dns() {	# live_gw_dns 4|6: the gateway's own resolver
	if [[ "$1" == 6 ]]; then echo "$LIVE_GW_DNS6"; else echo "$LIVE_GW_DNS4"; fi
}

live_up() {
	# `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over
	# /etc/resolv.conf: the staff laptop's system resolver
	LIVE_NETNS_ETC="/etc/netns/$SG_NS_STAFF"
	[[ -d /etc/netns ]] || live_made_etc_netns=1
	mkdir -p "$LIVE_NETNS_ETC"
	printf 'nameserver %s\n' "$SG_DNS_IP" >"$LIVE_NETNS_ETC/resolv.conf"
	# A router one hop past the gateway: what reaches the internet side
	# with TTL (hop limit) 1 would have died there.  The gateway itself
	# forwards a TTL-2 packet, so it sees what the server never does.
	run_in inet nft -f - <<-EOF
	table inet pasthop {
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			ip ttl 1 counter drop
			ip6 hoplimit 1 counter drop
		}
	}
	EOF
	# The school's own DNS on the gateway, forwarding to the internet's.
	start_bg gw "$SG_RUN_DIR/gw-dnsmasq.log" dnsmasq --keep-in-foreground \
	    --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
	    --listen-address="$LIVE_GW_DNS4" --listen-address="$LIVE_GW_DNS6" \
	    --server="$SG_DNS_IP" --pid-file= --user=root --log-facility=-
	wait_for_port gw "$LIVE_GW_DNS4" 53 && wait_for_port gw "$LIVE_GW_DNS6" 53
}

live_down() {
	if [[ -n "$LIVE_NETNS_ETC" ]]; then
		rm -rf -- "$LIVE_NETNS_ETC"
		LIVE_NETNS_ETC=""
	fi
	# only if empty: another run may have its own directory there
	if ((live_made_etc_netns)); then
		rmdir /etc/netns 2>/dev/null || true
		live_made_etc_netns=0
	fi
}

# A fresh Chromium profile whose NSS db trusts the test CA.
live_profile() {
	local dir
	dir="$(mktemp -d "$SG_RUN_DIR/browser.XXXXXX")" || return 1
	mkdir -p "$dir/home/.pki/nssdb"
	certutil -d "sql:$dir/home/.pki/nssdb" -N --empty-password &&
	    certutil -d "sql:$dir/home/.pki/nssdb" -A -t C,, -n sgtest \
	    -i "$SG_CA" || return 1
	echo "$dir"
}

# live_browse 4|6 [--pin NAME=ADDR]... URL...: the laptop resolves through
# the DNS server of that family and has a default route of that family
# only, so Chromium (which prefers IPv6 here) uses the one asked for.
live_browse() {
	local fam="$1" other profile rc=0
	shift
	other=$((fam == 4 ? 6 : 4))
	profile="$(live_profile)" || { echo "no browser profile"; return 0; }
	printf 'nameserver %s\n' "$(live_dns "$fam")" \
	    >"$LIVE_NETNS_ETC/resolv.conf"
	run_in staff ip "-$other" route del default
	run_in staff python3 "$SG_NETNS_LIB_DIR/browser.py" --profile "$profile" \
	    "$@" 2>&1 || rc=$?
	run_in staff ip "-$other" route add default via \
	    "$( ((other == 4)) && echo 10.10.0.1 || echo fd00:10::1)"
	((rc == 0)) || echo "browser: failed ($rc)"
}

# live_dig SERVER NAME TYPE: one try, 3 s at most.
live_dig() {
	local out status ede addr ms ttl
	out="$(run_in staff dig +tries=1 +time=3 @"$1" "$2" "$3" 2>&1)"
	status="$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")"
	ede="$(sed -n 's/^; EDE: //p' <<<"$out" | head -n 1)"
	addr="$(awk -v t="$3" '$4 == t {print $5; exit}' <<<"$out")"
	ttl="$(awk -v t="$3" '$4 == t {print $2; exit}' <<<"$out")"
	ms="$(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$out")"
	[[ -n "$status" ]] || status="none($(grep -m1 ';;' <<<"$out"))"
	echo "$status ms=${ms:-?} ede=${ede:-none} addr=${addr:-none} ttl=${ttl:-none}"
}

live_nosni() {
	local target="$1" out
	[[ "$target" == *:* ]] && target="[$target]"
	out="$(run_in staff timeout 8 openssl s_client -noservername \
	    -connect "$target:443" </dev/null 2>&1)" || true
	if grep -qE 'errno=104|Connection reset' <<<"$out"; then
		echo reset
	elif grep -q 'BEGIN CERTIFICATE' <<<"$out"; then
		echo answered
	else
		echo "other: $(grep -v '^depth\|^verify' <<<"$out" | head -n 2 |
		    tr '\n' ' ')"
	fi
}

# live_split SEG ADDR: the ClientHello for www.facebook.com in SEG-byte
# segments.
live_split() {
	run_in staff python3 "$SG_NETNS_LIB_DIR/tlsclient.py" split \
	    --seg "$1" --sni www.facebook.com "$2" 2>&1 || echo "failed ($?)"
}

# live_decoy ADDR: a.padlet.com with a TTL that dies past the gateway,
# then www.facebook.com at the same sequence number.  (-B: it imports
# tlsclient.py, and must leave no __pycache__ in the tree.)
live_decoy() {
	run_in staff "$LIVE_PY_SCAPY" -B "$SG_NETNS_LIB_DIR/decoy.py" \
	    --decoy a.padlet.com --sni www.facebook.com --ttl 2 "$1" 2>&1 ||
	    echo "failed ($?)"
}

# live_hold ADDR VAR [MAX]: starts the client (ended with the run, by PID); its
# lines come through a FIFO so the test waits on them, not on a clock.
live_hold() {
	local _addr="$1" _fifo="$SG_RUN_DIR/hold.$RANDOM" _fd
	mkfifo "$_fifo"
	start_bg staff "$_fifo" python3 "$SG_NETNS_LIB_DIR/tlsclient.py" hold \
	    --sni www.facebook.com --ca "$SG_CA" --max "${3:-120}" "$_addr"
	exec {_fd}<"$_fifo"
	printf -v "$2" '%s' "$_fd"
}

live_line() {
	local line
	if read -r -t "$2" -u "$1" line; then
		echo "$line"
	else
		echo none
	fi
}

# Data segments end a send() and carry PSH; the handshake's do not, so the
# connection opens and its first data gets a reset, as a block would.
live_mock_block() {
	local a rules=""
	for a in "$@"; do
		rules+="$( [[ "$a" == *:* ]] && echo ip6 || echo ip) daddr $a"
		rules+=" tcp dport 443 tcp flags & psh == psh reject with tcp reset"
		rules+=$'\n'
	done
	run_in gw nft -f - <<-EOF
	table inet mockblock {
		chain mock {
			type filter hook forward priority 0; policy accept;
			$rules
		}
	}
	EOF
}

live_mock_unblock() {
	run_in gw nft delete table inet mockblock
}
