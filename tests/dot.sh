#!/bin/sh
# dot.sh - the DOT key graph of every bundled scenario, with no actor and with
# each reported actor highlighted, is valid for Graphviz (`dot -Tsvg`) and
# deterministic; a big world is collapsed and still valid.
#
# Usage: tests/dot.sh [DOORMAT]   (the binary: $1, else $DOORMAT); run from
# the repository root.  Skipped (said so, exit 0) when Graphviz's `dot` is
# missing, unless DOT_TEST_REQUIRED=1.  Ends with "N passed, M failed".
set -u

D=${1:-${DOORMAT:-build/release/doormat}}
T=$(mktemp -d "${TMPDIR:-/tmp}/doormat-dot.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

if ! command -v dot >/dev/null 2>&1; then
    if [ "${DOT_TEST_REQUIRED:-0}" = 1 ]; then
        echo "dot.sh: Graphviz's dot not found" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "skipped: Graphviz's dot not found (apt-get install graphviz)"
    echo "0 passed, 0 failed"
    exit 0
fi

# graph NAME FILE ARGS...: doormat writes DOT, dot renders it, twice the same.
graph() {
    name=$1 file=$2
    shift 2
    if ! "$D" run "$file" --seed 1 --verify off -f dot "$@" >"$T/g.dot" 2>"$T/err"; then
        bad "$name: doormat failed: $(head -c 300 "$T/err")"
        return
    fi
    if dot -Tsvg "$T/g.dot" >"$T/g.svg" 2>"$T/dot.err" && grep -q '</svg>' "$T/g.svg" &&
        [ ! -s "$T/dot.err" ]; then ok; else
        bad "$name: dot -Tsvg rejects it: $(head -c 300 "$T/dot.err")"
    fi
    "$D" run "$file" --seed 1 --verify off -f dot "$@" >"$T/g2.dot" 2>/dev/null
    if cmp -s "$T/g.dot" "$T/g2.dot"; then ok; else bad "$name: not deterministic"; fi
}

for f in scenarios/*.json scenarios/lessons/*.json; do
    case $f in */schema.json) continue ;; esac
    [ -f "$f" ] || continue
    graph "$f" "$f"
    # Every actor the JSON report lists, highlighted in turn.
    "$D" run "$f" --seed 1 --verify off -f json 2>/dev/null |
        sed -n 's/^      "id": "\([^"]*\)",$/\1/p' >"$T/actors"
    if [ -s "$T/actors" ]; then ok; else bad "$f: no actors found in the JSON report"; fi
    while read -r a; do
        graph "$f --actor $a" "$f" --actor "$a"
    done <"$T/actors"
done

# A world above the collapse threshold (300 nodes): 150 users in 3 regions.
{
    printf '{"doormat": 1, "title": "big", "regions": ["UK", "US", "FR"],\n'
    printf ' "providers": [{"id": "cloud", "regions": ["UK", "US", "FR"]}],\n'
    printf ' "actors": [{"id": "mallory", "kind": "attacker"}],\n'
    printf ' "keys": [{"id": "escrow", "type": "keypair", "holders": ["cloud"]}],\n'
    printf ' "users": [\n'
    i=0
    while [ $i -lt 150 ]; do
        case $((i % 3)) in 0) r=UK ;; 1) r=US ;; *) r=FR ;; esac
        [ $i -gt 0 ] && printf ',\n'
        printf '  {"id": "u%d", "region": "%s", "provider": "cloud", "protection": "e2ee", "items": ["a"]}' $i $r
        i=$((i + 1))
    done
    printf '],\n "events": [{"at": 1, "do": "backdoor", "provider": "cloud", "key": "escrow", "scope": {"regions": ["UK"]}},\n'
    printf '  {"at": 2, "do": "steal", "by": "mallory", "key": "escrow"},\n'
    printf '  {"at": 3, "do": "breach", "by": "mallory", "store": "cloud"}]}\n'
} >"$T/big.json"
graph "big world" "$T/big.json" --actor mallory
if grep -qF 'collapsed: 754 nodes is more than 300' "$T/g.dot"; then ok; else
    bad "big world: no collapse label: $(grep -o 'collapsed[^\\]*' "$T/g.dot")"; fi
if grep -qF 'label="UK: data keys\n(50)\nmallory: 50 of 50"' "$T/g.dot"; then ok; else
    bad "big world: no UK data keys aggregate"; fi
if grep -qF 'label="50 × backdoor@1: in cloud"' "$T/g.dot"; then ok; else
    bad "big world: no aggregated escrow edge"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
