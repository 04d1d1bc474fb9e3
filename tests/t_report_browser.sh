#!/usr/bin/env bash
# The HTML report in headless Chromium: it renders (a non-blank PNG of the
# A4-shaped window), the three SVG charts are in the DOM, the console has
# no errors, and printed to A4 it takes a sane number of pages.
# SG_REPORT_PNG=FILE keeps the screenshot (docs/report-example.png).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps)"
# shellcheck source=tests/report-db.sh
. tests/report-db.sh

make_report_db conf/schoolgate.conf "$tmp/records.db"
"$SCHOOLGATE" report -c conf/schoolgate.conf --db "$tmp/records.db" \
    --from 2026-11-23 --to 2026-12-06 -o "$tmp/report.html"

chrome() {
	timeout 40 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --hide-scrollbars \
	    --user-data-dir="$(mktemp -d -p "$tmp")" "$@" \
	    "file://$tmp/report.html"
}
chrome --enable-logging=stderr --v=0 --window-size=1240,1754 \
    --screenshot="$tmp/shot.png" >/dev/null 2>"$tmp/log"
chrome --dump-dom >"$tmp/dom" 2>/dev/null
chrome --print-to-pdf="$tmp/report.pdf" --no-pdf-header-footer \
    >/dev/null 2>&1

if grep -E 'Uncaught|ERROR:CONSOLE|CONSOLE\([0-9]+\)' "$tmp/log"; then
	fail "console errors"
fi
echo "ok no console errors"
python3 - "$tmp/shot.png" <<'PY' || fail "screenshot"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1240, 1754), (w, h)
# inflate the image data and count distinct bytes: a blank page has ~1
pos, idat = 8, b""
while pos < len(data):
    n, = struct.unpack(">I", data[pos:pos + 4])
    if data[pos + 4:pos + 8] == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
assert len(set(raw[: len(raw) // 2])) > 20, "screenshot looks blank"
print("ok screenshot %dx%d rendered (%d bytes)" % (w, h, len(data)))
PY
n=$(grep -o '<svg' "$tmp/dom" | wc -l)
[ "$n" -eq 3 ] || fail "$n SVG charts in the DOM, want 3"
grep -q 'Attempts and breaches per day' "$tmp/dom" || fail "line chart"
grep -q 'polyline' "$tmp/dom" || fail "no line in the chart"
echo "ok three SVG charts in the DOM"
pages=$(pdfinfo "$tmp/report.pdf" | awk '/^Pages:/ { print $2 }')
[ "$pages" -ge 1 ] && [ "$pages" -le 8 ] || fail "$pages A4 pages"
pdfinfo "$tmp/report.pdf" | grep -q 'Page size:.*(A4)' ||
    fail "not A4: $(pdfinfo "$tmp/report.pdf" | grep 'Page size')"
echo "ok prints on $pages A4 pages"
if [ -n "${SG_REPORT_PNG:-}" ]; then
	cp "$tmp/shot.png" "$SG_REPORT_PNG"
fi
echo "PASS t_report_browser"
