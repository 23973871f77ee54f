#!/bin/sh
# output.sh - `doormat run ... -o FILE` never leaves a partial file: on every
# kind of failure FILE keeps its old bytes and no temporary file is left
# beside it; on success FILE holds exactly the report.
#
# Usage: tests/output.sh [DOORMAT]   (the binary: $1, else $DOORMAT); run from
# the repository root.  Prints one line per failure and "N passed, M failed".
set -u

D=${1:-${DOORMAT:-build/release/doormat}}
# Absolute: some checks run it from another directory.
case $D in /*) ;; *) D=$(pwd)/$D ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/doormat-output.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
S=scenarios/tcn-uk-only.json
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# A directory with one precious file in it.
fresh() {
    rm -rf "$T/d"
    mkdir "$T/d"
    printf 'precious\nbytes\n' >"$T/d/report"
    printf 'precious\nbytes\n' >"$T/precious"
}

# untouched NAME WANT-RC ARGS...: run doormat with ARGS (which write to
# $T/d/report); the exit status is WANT-RC, the report keeps its bytes and
# nothing else appeared in its directory.
untouched() {
    name=$1 want=$2
    shift 2
    fresh
    "$D" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else
        bad "$name: exit $rc, wanted $want (stderr: $(head -c 300 "$T/err"))"; fi
    if cmp -s "$T/precious" "$T/d/report"; then ok; else bad "$name: the target changed"; fi
    if [ "$(ls -A "$T/d")" = "report" ]; then ok; else
        bad "$name: files left beside the target: $(ls -A "$T/d" | tr '\n' ' ')"; fi
    if [ ! -s "$T/out" ]; then ok; else bad "$name: stdout not empty: $(head -c 200 "$T/out")"; fi
    if [ -s "$T/err" ]; then ok; else bad "$name: no diagnostic on stderr"; fi
}

R="$T/d/report"

# --- the scenario fails: invalid, unreadable, too big ------------------------
untouched "invalid scenario" 2 run tests/bad/ref_unknown_region.json --seed 1 -o "$R"
untouched "JSON syntax error" 2 run tests/bad/json_truncated.json --seed 1 -o "$R"
untouched "not UTF-8" 2 run tests/bad/json_invalid_utf8.json --format json --seed 1 -o "$R"
untouched "a limit exceeded" 2 run tests/bad/json_too_deep.json --seed 1 -o "$R"
untouched "too many orders" 2 run tests/bad/limit_orders.json --seed 1 -o "$R"
untouched "missing scenario" 1 run "$T/no-such.json" --seed 1 -o "$R"
untouched "scenario is a directory" 1 run "$T" --seed 1 -o "$R"
printf '' >"$T/empty.json"
untouched "empty scenario" 2 run "$T/empty.json" --seed 1 -o "$R"

# --- the command line is wrong: nothing is opened -----------------------------
untouched "unknown format" 2 run $S --format xml -o "$R"
untouched "bad seed" 2 run $S --seed x -o "$R"
untouched "bad --at" 2 run $S --at soon -o "$R"
untouched "unknown actor to explain" 2 run $S --explain malory:alice/backup -o "$R"
untouched "unknown item to explain" 2 run $S --explain mallory:alice/bakup -o "$R"
untouched "explain with json" 2 run $S --explain mallory:alice/backup --format json -o "$R"
untouched "-o given twice" 2 run $S -o "$R" -o "$R"
untouched "two files" 2 run $S $S -o "$R"

# --- the target cannot be written ---------------------------------------------
# The target is a directory: it stays a directory, with its contents.
fresh
mkdir "$T/d/sub"
printf 'inside\n' >"$T/d/sub/f"
"$D" run $S --seed 1 -o "$T/d/sub" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 1 ]; then ok; else bad "-o DIR: exit $rc, wanted 1"; fi
if [ -d "$T/d/sub" ] && [ "$(cat "$T/d/sub/f")" = inside ] && [ "$(ls -A "$T/d/sub")" = f ]; then
    ok; else bad "-o DIR: the directory changed"; fi
if [ "$(ls -A "$T/d" | tr '\n' ' ')" = "report sub " ]; then ok; else
    bad "-o DIR: files left: $(ls -A "$T/d" | tr '\n' ' ')"; fi

# The target's parent is a regular file.
untouched "parent is a file" 1 run $S --seed 1 -o "$R/x"
# The target's directory does not exist.
untouched "missing directory" 1 run $S --seed 1 -o "$T/d/none/report"

# A symbolic link to the target, on failure: the link and the file stay.
fresh
ln -s report "$T/d/link"
"$D" run tests/bad/ref_unknown_region.json --seed 1 -o "$T/d/link" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ]; then ok; else bad "-o LINK, bad scenario: exit $rc, wanted 2"; fi
if [ -L "$T/d/link" ] && cmp -s "$T/precious" "$T/d/report"; then ok; else
    bad "-o LINK, bad scenario: the link or its target changed"; fi
if [ "$(ls -A "$T/d" | tr '\n' ' ')" = "link report " ]; then ok; else
    bad "-o LINK: files left: $(ls -A "$T/d" | tr '\n' ' ')"; fi

# Killed while running: nothing is written before the report is complete.
# (A scenario of 3,000 users takes long enough to be caught running.)
{
    printf '{"doormat": 1, "regions": ["UK"], "providers": [{"id": "c", "regions": ["UK"]}],\n'
    printf ' "actors": [{"id": "gov", "kind": "government", "region": "UK"}],\n "users": [\n'
    i=1
    while [ $i -le 3000 ]; do
        sep=,; [ $i -eq 3000 ] && sep=
        printf '  {"id": "u%d", "region": "UK", "provider": "c", "protection": "provider", "items": ["a", "b"]}%s\n' $i $sep
        i=$((i + 1))
    done
    printf ' ],\n "events": [{"at": 1, "do": "order", "by": "gov", "provider": "c"}]}\n'
} >"$T/big.json"
fresh
"$D" run "$T/big.json" --seed 1 --verify full -o "$R" >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.3
if kill -TERM "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then ok; else bad "killed run: exit 0"; fi
    if cmp -s "$T/precious" "$R" && [ "$(ls -A "$T/d")" = "report" ]; then ok; else
        bad "killed run: target changed or files left: $(ls -A "$T/d" | tr '\n' ' ')"; fi
else
    wait "$pid"
    echo "note: the big run ended within 0.3 s; the kill case was skipped"
fi

# --- success: the target holds exactly the report -----------------------------
"$D" run $S --seed 1 >"$T/want.txt" 2>/dev/null
"$D" run $S --seed 1 --format json >"$T/want.json" 2>/dev/null
fresh
"$D" run $S --seed 1 -o "$R" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "-o text: exit $rc"; fi
if cmp -s "$T/want.txt" "$R"; then ok; else bad "-o text: the file is not the report"; fi
if [ "$(ls -A "$T/d")" = "report" ]; then ok; else bad "-o text: files left: $(ls -A "$T/d")"; fi
if [ ! -s "$T/out" ]; then ok; else bad "-o text: stdout not empty"; fi
"$D" run $S --seed 1 --format json -o "$R" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$T/want.json" "$R"; then ok; else bad "-o json over a report"; fi
# The new file gets the mode any new file gets (umask), not mkstemp's 0600.
(umask 027 && "$D" run $S --seed 1 -o "$T/d/masked" >/dev/null 2>&1)
case $(ls -l "$T/d/masked" | cut -c1-10) in
-rw-r-----) ok ;;
*) bad "-o mode under umask 027: $(ls -l "$T/d/masked" | cut -c1-10)" ;;
esac
# A relative target in the current directory.
cp $S "$T/s.json"
(cd "$T" && "$D" run s.json --seed 1 >want-rel.txt 2>/dev/null)
(cd "$T/d" && "$D" run ../s.json --seed 1 -o report >/dev/null 2>&1)
sed 's|\.\./s\.json|s.json|g' "$R" >"$T/got-rel.txt"
if cmp -s "$T/want-rel.txt" "$T/got-rel.txt" && [ "$(ls -A "$T/d" | tr '\n' ' ')" = "masked report " ]; then ok; else
    bad "-o relative: $(ls -A "$T/d" | tr '\n' ' ')"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
