#!/usr/bin/env bash
# Every malformed config in tests/configs/bad must be rejected with its
# "# expect: LINE: SUBSTRING" error, reported as "FILE:LINE: ..." for the
# exact path given; the shipped example must load cleanly.
set -u
top="$(cd "$(dirname "$0")/.." && pwd)"
sg="${SCHOOLGATE:?SCHOOLGATE must name the schoolgate binary}"
failed=0
count=0

fail() {
	printf 'FAIL %s: %s\n' "$1" "$2"
	failed=$((failed + 1))
}

check_bad() {
	local f="$1" want line substr out rc
	want="$(sed -n '1s/^# expect: //p' "$f")"
	line="${want%%:*}"
	substr="${want#*: }"
	if [ -z "$want" ] || [ "$line" = "$want" ]; then
		fail "$f" "no '# expect: LINE: SUBSTRING' first line"
		return
	fi
	out="$("$sg" check-config -c "$f" 2>&1)"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$f" "accepted (exit 0)"
	elif ! grep -qF -- "$f:$line:" <<<"$out"; then
		fail "$f" "no error at $f:$line: in: $out"
	elif ! grep -F -- "$f:$line:" <<<"$out" | grep -qF -- "$substr"; then
		fail "$f" "line $line error lacks \"$substr\" in: $out"
	else
		printf 'ok   %s\n' "$(basename "$f")"
	fi
}

for f in "$top"/tests/configs/bad/*.conf; do
	[ -f "$f" ] || continue
	count=$((count + 1))
	check_bad "$f"
done
if [ "$count" -lt 55 ]; then
	fail "tests/configs/bad" "only $count bad configs"
fi

good="$top/conf/schoolgate.conf"
out="$("$sg" check-config -c "$good" 2>&1)"
rc=$?
if [ "$rc" -ne 0 ] || ! grep -qx 'configuration OK' <<<"$out"; then
	fail "$good" "not accepted (exit $rc): $out"
else
	printf 'ok   %s\n' "conf/schoolgate.conf"
fi

printf '%d bad configs, %d failures\n' "$count" "$failed"
[ "$failed" -eq 0 ]
