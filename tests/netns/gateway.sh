# shellcheck shell=bash
# The gateway on the simulated school network, for tests and the demo.
# Source after tests/netns/lib.sh; needs $SCHOOLGATE.
#   gw_up [mkconf options]   config, ruleset, daemon (PID in SG_GW_PID)
#   gw_conf [mkconf options] rewrite the config (then gw_reload)
#   fetch NS NAME URLPATH [http|https] -> prints "ok BYTES", "reset" or
#                                        "timeout", and never fails
#   gw_sql SQL               query the records database
#   gw_wait_row SQL-WHERE    "yes" once a record matches, else "no" (10 s)
#   gw_dig_status DIG-OUTPUT the status dig printed
#   gw_check WHAT WANT GOT   "ok"/"FAIL" line (GOT starts with WANT),
#                            failures counted in gw_failures
#   gw_finish                PASS, or the failures and the daemon's log
#                            and exit 1
#   gw_8021x STATUS USER MAC IP  append an accounting record to
#                            DIR/radacct/ap/detail, as FreeRADIUS's detail
#                            module writes it (STATUS Start or Stop)

SG_SITE_IP_facebook=198.51.100.11
gw_site_ip() {
	local name="$1" entry ip n
	for entry in "${sg_sites[@]}"; do
		ip="${entry%% *}"
		for n in ${entry#* }; do
			[ "$n" = "$name" ] && { echo "$ip"; return 0; }
		done
	done
	return 1
}

gw_conf() {
	python3 tests/netns/mkconf.py --rundir "$SG_RUN_DIR" "$@" \
	    >"$SG_RUN_DIR/gateway.conf.new"
	mv "$SG_RUN_DIR/gateway.conf.new" "$SG_RUN_DIR/gateway.conf"
}

gw_up() {
	# the daemon runs as nobody: its state directory must be its own
	chown nobody "$SG_RUN_DIR"
	chmod 0755 "$SG_RUN_DIR"
	gw_conf "$@"
	run_in gw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
	run_in gw bash scripts/gateway-rules install --lan lan-staff \
	    --lan lan-pupils --queues 0:1 >/dev/null
	gw_start
}

gw_start() {
	# SG_GW_WRAP: a command to run it under, e.g. setpriv with the
	# unit's capability bounding set (tests/t_unit_caps.sh)
	start_bg gw "$SG_RUN_DIR/daemon.log" ${SG_GW_WRAP:-} "$SCHOOLGATE" run -f \
	    ${SG_GW_VERBOSE:+-v} -c "$SG_RUN_DIR/gateway.conf"
	SG_GW_PID="$SG_LAST_PID"
	local i
	for i in $(seq 50); do
		[ -S "$SG_RUN_DIR/control.sock" ] &&
		    grep -q 'started:' "$SG_RUN_DIR/daemon.log" && return 0
		sleep 0.1
	done
	echo "gateway did not start:" >&2
	cat "$SG_RUN_DIR/daemon.log" >&2
	return 1
}

gw_status() {
	"$SCHOOLGATE" status -s "$SG_RUN_DIR/control.sock"
}

gw_reload() {
	"$SCHOOLGATE" reload -s "$SG_RUN_DIR/control.sock"
}

fetch() {
	local ns="$1" name="$2" path="$3" scheme="${4:-https}" ip out rc
	ip="$(gw_site_ip "$name")" || { echo "unknown-site"; return 0; }
	set +e
	out="$(run_in "$ns" curl -sS -o /dev/null -w '%{size_download}' \
	    --max-time 4 --cacert "$SG_CA" \
	    --resolve "$name:443:$ip" --resolve "$name:80:$ip" \
	    "$scheme://$name/$path" 2>&1)"
	rc=$?
	set -e
	case "$rc" in
	0) echo "ok ${out##*[^0-9]}" ;;
	28) echo "timeout" ;;
	*) if grep -qiE 'reset|refused|35|56' <<<"$out"; then echo "reset"
	   else echo "error $rc"; fi ;;
	esac
}

gw_sql() {
	sqlite3 "$SG_RUN_DIR/records.db" "$1"
}

# gw_wait_row SQL-WHERE: "yes" once a record matches (the writer batches),
# "no" after 10 s
gw_wait_row() {
	local n
	# 30 s: an allowed flow's row waits for conntrack's end of it, which a
	# loaded machine reports late
	for n in $(seq 300); do
		[[ "$(gw_sql "SELECT count(*) FROM flows WHERE $1")" -ge 1 ]] &&
		    { echo yes; return 0; }
		sleep 0.1
	done
	echo no
}

# gw_dig_status DIG-OUTPUT: its status (NOERROR, NXDOMAIN, ...)
gw_dig_status() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n 1; }

gw_failures=0
gw_check() {
	# "" would prefix anything: an empty expectation wants nothing
	if [[ -z "$2" && -z "$3" ]] || [[ -n "$2" && "$3" == "$2"* ]]; then
		echo "ok   $1: $3"
	else
		echo "FAIL $1: want $2, got $3"
		gw_failures=$((gw_failures + 1))
	fi
}

gw_finish() {
	echo
	if ((gw_failures > 0)); then
		echo "$gw_failures check(s) failed"
		cat "$SG_RUN_DIR/daemon.log"
		exit 1
	fi
	echo PASS
}

gw_8021x() {
	local status="$1" user="$2" mac="$3" ip="$4"
	mkdir -p "$SG_RUN_DIR/radacct/ap"
	printf '%s\n\tAcct-Status-Type = %s\n\tUser-Name = "%s"\n\tCalling-Station-Id = "%s"\n\tFramed-IP-Address = %s\n\tAcct-Session-Id = "%s"\n\tTimestamp = %s\n\n' \
	    "$(date '+%a %b %e %T %Y')" "$status" "$user" "$mac" "$ip" \
	    "sess-$ip" "$(date +%s)" >>"$SG_RUN_DIR/radacct/ap/detail"
	chmod -R a+rX "$SG_RUN_DIR/radacct"
}
