#!/bin/sh
# html.sh - the HTML report in a real browser: for every bundled scenario,
# headless Chromium loads the page from disk and the headline numbers in its
# DOM match the JSON report's exposure; the key graph is inline SVG when
# Graphviz is installed, a note and the DOT source when it is not; the page
# renders to a screenshot.
#
# Usage: tests/html.sh [DOORMAT]   (the binary: $1, else $DOORMAT); run from
# the repository root.  Skipped (said so, exit 0) when chromium is missing,
# unless HTML_TEST_REQUIRED=1.  HTML_SHOT=FILE keeps the screenshot of
# scenarios/tcn-uk-only.json.  Ends with "N passed, M failed".
set -u

D=${1:-${DOORMAT:-build/release/doormat}}
case $D in /*) ;; *) D=$(pwd)/$D ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/doormat-html.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

B=
for c in chromium chromium-browser google-chrome; do
    if command -v $c >/dev/null 2>&1; then B=$c; break; fi
done
if [ -z "$B" ]; then
    if [ "${HTML_TEST_REQUIRED:-0}" = 1 ]; then
        echo "html.sh: chromium not found" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "skipped: chromium not found (apt-get install chromium)"
    echo "0 passed, 0 failed"
    exit 0
fi

# browse MODE FILE OUT: headless Chromium, no network, a fresh profile.
browse() {
    prof=$(mktemp -d "$T/profile.XXXXXX")
    timeout 120 "$B" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --user-data-dir="$prof" --window-size=1280,2000 \
        "$@" 2>>"$T/browser.log"
}

# The JSON report's exposure number: json_num FILE with|without users|beyond_law.
json_num() {
    awk -v sect="\"$2\": {" -v key="\"$3\":" '
        index($0, sect) { on = 1; next }
        on && index($0, key) { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}

# The DOM's number: dom_num FILE ID -> "DATA-VALUE TEXT-WITHOUT-COMMAS".
dom_num() {
    sed -n "s/.*id=\"$2\" data-value=\"\([0-9]*\)\">\([0-9,]*\)<.*/\1 \2/p" "$1" | head -n 1 |
        tr -d ','
}

for f in scenarios/*.json scenarios/lessons/*.json; do
    case $f in */schema.json) continue ;; esac
    [ -f "$f" ] || continue
    if ! "$D" run "$f" --seed 1 -f json -o "$T/r.json" 2>"$T/err" ||
        ! "$D" run "$f" --seed 1 -f html -o "$T/r.html" 2>"$T/err"; then
        bad "$f: doormat failed: $(head -c 300 "$T/err")"
        continue
    fi
    browse --dump-dom "file://$T/r.html" >"$T/dom.html"
    if grep -q '<h1 id="title">' "$T/dom.html"; then ok; else
        bad "$f: chromium did not load the page: $(tail -c 300 "$T/browser.log")"; continue; fi
    for pair in "exposed-with with users" "exposed-without without users" \
                "beyond-with with beyond_law" "beyond-without without beyond_law"; do
        set -- $pair
        want=$(json_num "$T/r.json" "$2" "$3")
        got=$(dom_num "$T/dom.html" "$1")
        if [ -n "$want" ] && [ "$got" = "$want $want" ]; then ok; else
            bad "$f: #$1 in the DOM is '$got', the JSON report says $2.$3 = '$want'"; fi
    done
    if command -v dot >/dev/null 2>&1; then
        if grep -q '<g id="graph0" class="graph"' "$T/dom.html"; then ok; else
            bad "$f: no inline SVG key graph"; fi
    fi
done

# Without Graphviz on the PATH: a note and the DOT source instead of the graph.
S=scenarios/tcn-uk-only.json
PATH=/nonexistent "$D" run $S --seed 1 -f html -o "$T/nodot.html" 2>"$T/err"
browse --dump-dom "file://$T/nodot.html" >"$T/dom.html"
if grep -q 'id="graph-missing">Install graphviz to see the key graph' "$T/dom.html" &&
    grep -q '<details><summary>The key graph in DOT (Graphviz) source' "$T/dom.html" &&
    ! grep -q '<g id="graph0"' "$T/dom.html"; then ok; else bad "no-graphviz fallback missing"; fi

# Deterministic bytes for a given seed (the SVG too).
"$D" run $S --seed 1 -f html --actor mallory -o "$T/a.html" 2>/dev/null
"$D" run $S --seed 1 -f html --actor mallory -o "$T/b.html" 2>/dev/null
if cmp -s "$T/a.html" "$T/b.html"; then ok; else bad "html not deterministic"; fi

# A screenshot: the page renders (a PNG of a sensible size).
browse --screenshot="$T/shot.png" "file://$T/a.html" >/dev/null
if [ -s "$T/shot.png" ] && [ "$(wc -c <"$T/shot.png")" -gt 20000 ] &&
    [ "$(head -c 4 "$T/shot.png" | od -An -c | tr -d ' ')" = "211PNG" ]; then ok; else
    bad "no screenshot: $(tail -c 300 "$T/browser.log")"; fi
[ -n "${HTML_SHOT:-}" ] && cp "$T/shot.png" "$HTML_SHOT"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
