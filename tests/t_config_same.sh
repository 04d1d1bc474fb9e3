#!/usr/bin/env bash
# One validator: "run" refuses every config "check-config" refuses, with
# the same FILE:LINE lines (the 100-odd broken configs of tests/configs/bad
# plus nDPI protocol names nDPI 4.2 lacks and bad protocols-file lines),
# and a reload (SIGHUP or the control socket) refuses them too while the
# old config keeps enforcing.  A reload whose protocols file changed,
# same path or not, rebuilds the workers' nDPI modules.
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${SCHOOLGATE:?SCHOOLGATE must name the schoolgate binary}"
export SG_NS_PREFIX="sgcs$$"
source tests/netns/lib.sh
source tests/netns/gateway.sh
source tests/netns/fault.sh
tmp="$(mktemp -d /tmp/sg-config-same.XXXXXX)"
ln -s "$PWD/conf/lists" "$tmp/lists"	# configs derived in $tmp keep the lists
cleanup() {
	netns_school_down
	rm -rf -- "$tmp"
}
trap cleanup EXIT

# "FILE:LINE: message" lines only: run also logs other things
errlines() {
	grep -E '^[^ :]+:[0-9]+: ' || true
}

# ---- the broken configs this test adds to tests/configs/bad ----
ex=conf/schoolgate.conf
sed 's/"Facebook", "Instagram"/"Facebok", "Instagram"/' "$ex" >"$tmp/facebok.conf"
sed 's/platform = "Twitter"/platform = "Twiter"/' "$ex" >"$tmp/platform.conf"
with_protos() {	# with_protos PROTOSFILE OUT: the example naming it
	sed "s|^classification = {|classification = {\n  protocols_file = \"$1\";|;
	    s|^rules = (|rules = (\n  { name = \"sg-test-block\"; clause = \"9.1\"; action = \"block\"; apps = [ \"SgTestSite\" ]; },|" \
	    "$ex" >"$2"
}
printf '# test\nhost:"padlet.com"@SgTestSite\ntcp:8o@Typo\nhost:"x.example" @Spaced\nip:2001:db8::1@V6\n' \
    >"$tmp/protos-bad.txt"
with_protos "$tmp/protos-bad.txt" "$tmp/protos-bad.conf"
printf 'host:"padlet.com"@SgTestSite' >"$tmp/protos-nonl.txt"
with_protos "$tmp/protos-nonl.txt" "$tmp/protos-nonl.conf"
with_protos "$tmp/missing.txt" "$tmp/protos-missing.conf"
printf 'host:"padlet.com"@SgTestSite\n' >"$tmp/protos-good.txt"
with_protos "$tmp/protos-good.txt" "$tmp/protos-good.conf"
sed 's/apps = \[ "SgTestSite" \]/apps = [ "SgTestSit" ]/' \
    "$tmp/protos-good.conf" >"$tmp/protos-typo.conf"

echo "== check-config names each new error"
expect() {	# expect CONF WANT-LINE-PREFIX SUBSTRING
	local out
	out="$("$sg" check-config -c "$1" 2>&1 || true)"
	check "$(basename "$1"): $2" "yes" \
	    "$(yesno grep -qF -- "$2" <<<"$(grep -F -- "$3" <<<"$out")")"
}
cat_line() {	# the line of the category or account entry naming $2
	grep -n -- "$2" "$1" | head -n 1 | cut -d: -f1
}
expect "$tmp/facebok.conf" \
    "$tmp/facebok.conf:$(cat_line "$tmp/facebok.conf" 'name = "personal-social"'):" \
    'nDPI 4.2 has no protocol "Facebok"'
expect "$tmp/platform.conf" \
    "$tmp/platform.conf:$(cat_line "$tmp/platform.conf" 'platform = "Twiter"'):" \
    'nDPI 4.2 has no protocol "Twiter"'
expect "$tmp/protos-bad.conf" "$tmp/protos-bad.txt:3:" 'invalid port "tcp:8o"'
expect "$tmp/protos-bad.conf" "$tmp/protos-bad.txt:4:" 'unbalanced quotes'
expect "$tmp/protos-bad.conf" "$tmp/protos-bad.txt:5:" 'IPv4 addresses only'
expect "$tmp/protos-nonl.conf" "$tmp/protos-nonl.txt:1:" 'no newline'
expect "$tmp/protos-missing.conf" \
    "$tmp/protos-missing.conf:$(cat_line "$tmp/protos-missing.conf" protocols_file):" \
    'cannot open'
expect "$tmp/protos-typo.conf" "$tmp/protos-typo.conf:" \
    'nDPI 4.2 has no protocol "SgTestSit"'
# names a bad file defines on its good lines are not reported again
check "a bad file's own names are not unknown" "0" \
    "$("$sg" check-config -c "$tmp/protos-bad.conf" 2>&1 | grep -c SgTestSite || true)"
check "the good protocols file is accepted" "configuration OK" \
    "$("$sg" check-config -c "$tmp/protos-good.conf" 2>&1)"

echo "== run refuses what check-config refuses, with the same lines"
# inside a namespace of our own: were a config wrongly accepted, run
# would bind its queues there and not on this machine
runns="$SG_NS_PREFIX-run"
sg_add_ns "$runns"
n=0
same=0
for f in tests/configs/bad/*.conf "$tmp"/facebok.conf "$tmp"/platform.conf \
    "$tmp"/protos-bad.conf "$tmp"/protos-nonl.conf \
    "$tmp"/protos-missing.conf "$tmp"/protos-typo.conf; do
	n=$((n + 1))
	set +e
	cc="$("$sg" check-config -c "$f" 2>&1)"
	cc_rc=$?
	rr="$(ip netns exec "$runns" timeout 20 "$sg" run -f -c "$f" 2>&1)"
	rr_rc=$?
	set -e
	cc="$(errlines <<<"$cc")"
	rr="$(errlines <<<"$rr")"
	if [ "$cc_rc" -ne 1 ] || [ "$rr_rc" -ne 1 ] || [ -z "$cc" ] ||
	    [ "$cc" != "$rr" ]; then
		echo "FAIL $f: check-config exit $cc_rc, run exit $rr_rc"
		diff <(echo "$cc") <(echo "$rr") || true
	else
		same=$((same + 1))
	fi
done
check "configs where run and check-config agree" "$n" "$same"

echo "== reload refuses them too; the old config keeps enforcing"
netns_school_up
gw_up --hours out	# after hours: staff facebook is logged, and passes
conf="$SG_RUN_DIR/gateway.conf"
log="$SG_RUN_DIR/daemon.log"
base="$SG_RUN_DIR/base.conf"
cp "$conf" "$base"
check "before: staff facebook passes" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"
check "before: pupil instagram is blocked" "reset" \
    "$(fetch pupil www.instagram.com 100)"
check "before: pupil padlet passes" "ok 1000" "$(fetch pupil padlet.com 1000)"

# install CONF as the daemon's config, reload it by SIGHUP or the socket,
# wait for the verdict in the log and leave its rejection lines, if any,
# in $rejected
verdicts='reload rejected: |configuration reloaded'
reload_with() {	# reload_with CONF hup|socket
	local mark before
	mark="$(wc -l <"$log")"
	before="$(grep -cE "$verdicts" "$log" || true)"
	cp "$1" "$conf.new"
	mv "$conf.new" "$conf"
	if [ "$2" = hup ]; then
		kill -HUP "$SG_GW_PID"
	else
		gw_reload >"$SG_RUN_DIR/reload.out" 2>&1 || true
	fi
	wait_log_n "$verdicts" "$((before + 1))" 10 || true
	sleep 0.1	# every error of this reload is logged
	rejected="$(tail -n +"$((mark + 1))" "$log" | grep 'reload rejected: ' |
	    sed 's/.*reload rejected: //' || true)"
}

sed 's/"Facebook", "Instagram"/"Facebok", "Instagram"/' "$base" >"$tmp/gw-facebok.conf"
want="$({ "$sg" check-config -c "$tmp/gw-facebok.conf" 2>&1 || true; } |
    errlines | sed "s|^$tmp/gw-facebok.conf:|$conf:|")"
for how in hup socket; do
	reload_with "$tmp/gw-facebok.conf" "$how"
	check "\"Facebok\" by $how: rejected with check-config's line" "$want" \
	    "$rejected"
done
check "the control socket says so" "yes" \
    "$(yesno grep -q 'reload rejected' "$SG_RUN_DIR/reload.out")"
check "after: staff facebook still passes" "ok 1000" \
    "$(fetch staff www.facebook.com 1000)"
check "after: pupil instagram still blocked" "reset" \
    "$(fetch pupil www.instagram.com 100)"

echo "== a protocols file is loaded by a reload, and rebuilt when it changes"
protos="$SG_RUN_DIR/protos.txt"
printf 'host:"padlet.com"@SgTestSite\n' >"$protos"
chmod 0644 "$protos"
with_protos "$protos" "$tmp/gw-protos.conf.in"
# the example's paths replaced by the run's, as mkconf did for $base
python3 tests/netns/mkconf.py --rundir "$SG_RUN_DIR" --hours out \
    --conf "$tmp/gw-protos.conf.in" >"$tmp/gw-protos.conf"
reload_with "$tmp/gw-protos.conf" hup
check "generation 2, modules rebuilt" "yes" \
    "$(yesno grep -q 'generation 2 (nDPI protocols rebuilt)' "$log")"
check "pupil padlet now blocked (SgTestSite)" "reset" \
    "$(fetch pupil padlet.com 100)"
check "staff padlet now blocked (SgTestSite)" "reset" \
    "$(fetch staff padlet.com 100)"

printf 'host:"padlet.com" @SgTestSite\n' >"$protos"
reload_with "$tmp/gw-protos.conf" socket
check "a bad line in the same file: rejected naming it" \
    "$protos:1: unbalanced quotes" "$rejected"
# its one rule was bad, so the config names a protocol nothing defines
check "and the name it no longer defines" "yes" \
    "$(yesno grep -qF "$conf:$(cat_line "$conf" sg-test-block): nDPI 4.2 has no protocol \"SgTestSite\"" <<<"$rejected")"
check "padlet still blocked by generation 2's module" "reset" \
    "$(fetch pupil padlet.com 100)"

printf 'host:"nothing.invalid"@SgTestSite\n' >"$protos"
reload_with "$tmp/gw-protos.conf" hup
check "the same path with new rules: generation 3, rebuilt" "yes" \
    "$(yesno grep -q 'generation 3 (nDPI protocols rebuilt)' "$log")"
check "pupil padlet passes again" "ok 1000" "$(fetch pupil padlet.com 1000)"
check "pupil instagram still blocked" "reset" \
    "$(fetch pupil www.instagram.com 100)"
check "status counts them" "yes" \
    "$(yesno grep -q "generation 3 (reloads: 2 applied, 3 rejected)" <(gw_status))"
check "daemon still running" "yes" "$(yesno kill -0 "$SG_GW_PID")"
fault_finish
