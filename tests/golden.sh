#!/bin/sh
# golden.sh - the reports of the bundled scenarios at --seed 1, compared byte
# for byte with tests/golden/ (text, JSON, and a few explanations).
#
# Usage: tests/golden.sh [--regen] [DOORMAT]   (binary: DOORMAT arg, else
# $DOORMAT); run from the repository root.  --regen rewrites the golden files
# on purpose (`make golden`); review the diff before committing it.
set -u

regen=0
if [ "${1:-}" = --regen ]; then
    regen=1
    shift
fi
D=${1:-${DOORMAT:-build/release/doormat}}
G=tests/golden
T=$(mktemp -d "${TMPDIR:-/tmp}/doormat-golden.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0

# one NAME ARGS...: run doormat ARGS, stdout into $G/NAME.
one() {
    name=$1
    shift
    if ! "$D" "$@" >"$T/out" 2>"$T/err"; then
        fail=$((fail + 1))
        echo "FAIL: $name: doormat $* exited non-zero: $(head -c 300 "$T/err")"
        return
    fi
    if [ $regen = 1 ]; then
        cp "$T/out" "$G/$name"
        pass=$((pass + 1))
    elif [ ! -f "$G/$name" ]; then
        fail=$((fail + 1))
        echo "FAIL: $name: no golden file $G/$name (run tests/golden.sh --regen)"
    elif cmp -s "$T/out" "$G/$name"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name differs from $G/$name:"
        diff "$G/$name" "$T/out" | head -20
    fi
}

mkdir -p "$G"
for f in scenarios/*.json; do
    n=$(basename "$f" .json)
    [ "$n" = schema ] && continue
    one "$n.txt" run "$f" --seed 1
    one "$n.json" run "$f" --seed 1 --format json
done
# A scenario with every event kind (shares, ghost, refused orders, p<1).
E=$G/input/everything.json
one everything.txt run $E --seed 1
one everything.json run $E --seed 1 --format json
one everything.at2.txt run $E --seed 1 --at 2
one explain-shares.txt run $E --explain mallory:us-public/backup
one explain-ghost.txt run $E --explain uk-gov:chat/messages
one explain-compromise.txt run $E --explain mallory:chat/messages
one explain-devices.txt run $E --explain insider:bob/notes
one tcn-uk-only.owners.json run scenarios/tcn-uk-only.json --seed 1 --format json --owners
one tcn-uk-only.at5.txt run scenarios/tcn-uk-only.json --seed 1 --at 5
one explain-mallory.txt run scenarios/tcn-uk-only.json --explain mallory:dave/backup
one explain-uk-gov.txt run scenarios/tcn-uk-only.json --explain uk-gov:chat/messages
one explain-eve.txt run scenarios/tcn-uk-only.json --explain eve:alice/backup
one explain-cloud.txt run scenarios/tcn-uk-only.json --explain cloud:bob/backup

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
