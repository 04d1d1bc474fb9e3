#!/usr/bin/env bash
# P8: the HTML report over 1M records.  Not a test: "make bench" (bench/run)
# calls it, or run it alone after building:
#   bash bench/p8-report.sh [BUILD_DIR]     (default build/release)
# It writes 1M synthetic records (one in ten a finding) through the real
# store with tests/tools/recgen, so the hash chain is valid, then times
# "schoolgate report --format html" over them, chain check included.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
rows="${P8_ROWS:-1000000}"
make -s BUILD="$build" "$build/schoolgate" "$build/tools/recgen" >/dev/null
# tmpfs: the store fsyncs each batch, which would time the disk instead
tmp="$(mktemp -d -p /dev/shm)"
[ -n "${P8_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

first=$(( $(TZ=Europe/London date -d '2026-11-02 00:00' +%s) * 1000000 ))
t0=$(date +%s.%N)
"$build/tools/recgen" "$tmp/records.db" synth "$rows" "$first" 28
t1=$(date +%s.%N)
echo "P8 generated $rows records in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s"

run() {
	"$build/schoolgate" report -c conf/schoolgate.conf --db "$tmp/records.db" \
	    --from 2026-11-02 --to 2026-11-29 --format html "$@" \
	    -o "$tmp/report.html"
}
best=""
for _ in 1 2 3; do
	a=$(date +%s.%N); run; b=$(date +%s.%N)
	s=$(python3 -c "print(f'{$b - $a:.2f}')")
	if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $s < $best)"; then
		best=$s
	fi
done
grep -q "$rows records verified" "$tmp/report.html" ||
    { echo "P8: report did not verify the chain" >&2; exit 1; }
a=$(date +%s.%N); run --no-verify; b=$(date +%s.%N)
nv=$(python3 -c "print(f'{$b - $a:.2f}')")
echo "P8 html report over 1M records: $best s (best of 3; $nv s without the chain check)"
