#!/bin/sh
# cli.sh - the command line: exit codes 0/1/2, help and version, usage errors
# that name the option, located scenario errors, -o that never leaves a
# partial file, the drawn seed, --explain.
#
# Usage: tests/cli.sh [DOORMAT]   (the binary: $1, else $DOORMAT); run from
# the repository root.  Prints one line per failure and "N passed, M failed".
set -u

D=${1:-${DOORMAT:-build/release/doormat}}
T=$(mktemp -d "${TMPDIR:-/tmp}/doormat-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
S=scenarios/tcn-uk-only.json
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# run CMD...: stdout to $T/out, stderr to $T/err, status in $rc.
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

# expect NAME RC: the status of the last run.
expect_rc() {
    if [ "$rc" -eq "$2" ]; then ok; else bad "$1: exit $rc, wanted $2 (stderr: $(head -c 300 "$T/err"))"; fi
}
# expect_err NAME TEXT: stderr contains TEXT (a fixed string).
expect_err() {
    if grep -qF -- "$2" "$T/err"; then ok; else bad "$1: stderr lacks '$2': $(head -c 300 "$T/err")"; fi
}
expect_out() {
    if grep -qF -- "$2" "$T/out"; then ok; else bad "$1: stdout lacks '$2': $(head -c 300 "$T/out")"; fi
}
expect_empty() {
    if [ ! -s "$T/$2" ]; then ok; else bad "$1: $2 not empty: $(head -c 300 "$T/$2")"; fi
}
# expect_file NAME FILE EXPECTED-TEXT: FILE holds exactly the text (plus \n).
expect_exact() {
    printf '%s\n' "$3" >"$T/want"
    if cmp -s "$T/want" "$2"; then ok; else
        bad "$1: $2 differs:"; diff "$T/want" "$2" | head -20; fi
}

# --- help and version: stdout, exit 0 --------------------------------------
for h in --help -h help; do
    run "$D" $h
    expect_rc "$h" 0
    expect_out "$h" "Usage: doormat run FILE [options]"
    expect_empty "$h" err
done
run "$D" run --help
expect_rc "run --help" 0
expect_out "run --help" "--seed N"
run "$D" check -h
expect_rc "check -h" 0
for v in --version -V; do
    run "$D" $v
    expect_rc "$v" 0
    expect_exact "$v" "$T/out" "doormat 0.1.0"
done
run "$D" --help
expect_out "usage states defaults" "(default: text)"

# --- usage errors name the option, exit 2 -------------------------------------
usage() { # NAME WANT-IN-STDERR ARGS...
    name=$1 want=$2
    shift 2
    run "$D" "$@"
    expect_rc "$name" 2
    expect_err "$name" "$want"
    expect_empty "$name (stdout)" out
}
usage "no command" "no command given" 
usage "unknown command" "unknown command 'frob'" frob
usage "option before command" "unknown option '--frob'" --frob
usage "run without FILE" "run: no scenario FILE given" run
usage "two FILEs" "unexpected argument 'extra'" run $S extra
usage "unknown option" "unknown option '--bogus'" run $S --bogus
usage "unknown short option" "unknown option '-q'" run $S -q
usage "missing value" "option '--seed' needs a value" run $S --seed
usage "missing value short" "option '--output' needs a value" run $S -o
usage "flag given a value" "option '--owners' takes no value" run $S --owners=yes
usage "bad format" "--format: unknown format 'xml'" run $S --format xml
usage "bad seed" "--seed: 'abc' is not a whole number" run $S --seed abc
usage "negative seed" "--seed: '-1' is not a whole number" run $S --seed -1
usage "seed overflow" "--seed: '18446744073709551616'" run $S --seed 18446744073709551616
usage "duplicate seed" "option '--seed' given twice" run $S --seed 1 --seed 2
usage "duplicate format" "option '--format' given twice" run $S -f json --format text
usage "bad at" "--at: 'soon' is not a time" run $S --at soon
usage "at out of range" "--at: '2000000000' is not a time" run $S --at 2000000000
usage "bad verify" "--verify: unknown mode 'most'" run $S --verify most
usage "bad threads" "--threads: '-2' is not a number" run $S --threads -2
usage "explain without colon" "--explain: 'mallory' is not ACTOR:ITEM" run $S --explain mallory
usage "explain with json" "--explain writes text" run $S --explain mallory:alice/backup -f json
usage "check two FILEs" "check: unexpected argument" check $S $S
usage "check unknown option" "unknown option '--seed'" check $S --seed 1
run "$D" run $S --bogus
expect_err "usage hint" "Try 'doormat --help' for more information."

# --- dot and html: exit 0; --actor only with them, and a known id ----------
for f in dot html; do
    run "$D" run $S --format $f --seed 1 --actor mallory
    expect_rc "format $f" 0
done
usage "actor with text" "--actor is for --format dot or html" run $S --actor mallory
usage "unknown actor" "--actor: unknown actor \"malory\"" run $S -f dot --actor malory --seed 1

# --- bad scenarios: located error on stderr, exit 2 -------------------------
printf '{\n  "doormat": 1,\n  "regions": ["UK"],\n  "providers": [{"id": "cloud", "regions": ["UK"]}],\n  "users": [{"id": "alice", "region": "UK", "provider": "clud", "protection": "e2ee"}]\n}\n' >"$T/bad.json"
run "$D" run "$T/bad.json" --seed 1
expect_rc "bad scenario (run)" 2
expect_err "bad scenario located" "bad.json:5:"
expect_err "bad scenario names the id" '"clud"'
expect_err "bad scenario caret" "^"
expect_empty "bad scenario (stdout)" out
run "$D" check "$T/bad.json"
expect_rc "bad scenario (check)" 2
expect_err "bad scenario (check) located" "bad.json:5:"
expect_empty "bad scenario (check stdout)" out
printf '{"doormat": 1, "regions": ["UK"],}\n' >"$T/syntax.json"
run "$D" check "$T/syntax.json"
expect_rc "syntax error" 2
expect_err "syntax error located" "syntax.json:1:"
run "$D" check "$T/missing.json"
expect_rc "missing file" 1
expect_err "missing file" "missing.json"

# --- check ---------------------------------------------------------------
run "$D" check scenarios/adp.json
expect_rc "check ok" 0
expect_exact "check ok line" "$T/out" "scenarios/adp.json: ok (5 users, 130000003 people, 2 events)"
expect_empty "check ok stderr" err
run "$D" check scenarios/tcn-global.json
expect_rc "check with warning" 0
expect_err "check prints warnings" "warning:"

# --- run, seeds --------------------------------------------------------------
run "$D" run $S --seed 1
expect_rc "run" 0
expect_out "run headline" "HEADLINE"
# With --seed no seed is drawn: stderr holds only the demo's one warning.
if grep -q "seed" "$T/err"; then bad "run with --seed: a seed line on stderr"; else ok; fi
expect_err "run with --seed: the extraterritorial warning" "extraterritorial order"
cp "$T/out" "$T/seed1.txt"
run "$D" run $S
expect_rc "run without seed" 0
seed=$(sed -n 's/^doormat: seed \([0-9][0-9]*\) (pass --seed \1 to reproduce)$/\1/p' "$T/err")
if [ -n "$seed" ]; then ok; else bad "drawn seed not printed: $(cat "$T/err")"; fi
cp "$T/out" "$T/drawn.txt"
run "$D" run $S --seed "${seed:-0}"
if cmp -s "$T/out" "$T/drawn.txt"; then ok; else bad "--seed N does not reproduce the drawn run"; fi
expect_out "report names the seed" "seed      ${seed:-0}"
run "$D" run $S --seed 1 --format json
expect_rc "json" 0
expect_out "json format" '"format": "doormat-report"'
expect_out "json seed" '"seed": 1,'
run "$D" run $S --seed 1 --verify off
expect_rc "verify off" 0
expect_out "verify off said" "Not verified by decryption (--verify off)."
run "$D" run $S --seed 1 --at 3 --threads 2
expect_rc "at 3" 0
expect_out "at 3" "after t=3 (3 of 8 events applied)"

# --- explain ---------------------------------------------------------------
run "$D" run $S --explain mallory:alice/backup
expect_rc "explain" 0
expect_out "explain header" "How mallory reads alice/backup after t=7:"
expect_out "explain class" "Class: unlawful: the path runs through key-theft (theft)."
run "$D" run $S --explain eve:alice/backup
expect_rc "explain out of reach" 0
expect_out "explain out of reach" "eve cannot read alice/backup after t=7."
usage "explain unknown actor" 'unknown actor "malory" (did you mean "mallory"?)' run $S --explain malory:alice/backup
usage "explain unknown item" 'unknown item "backup" (did you mean "alice/backup"?)' run $S --explain mallory:backup

# --- -o: atomic, never a partial file ----------------------------------------
mkdir "$T/o"
run "$D" run $S --seed 1 -o "$T/o/report.txt"
expect_rc "-o" 0
expect_empty "-o: nothing on stdout" out
if cmp -s "$T/o/report.txt" "$T/seed1.txt"; then ok; else bad "-o file differs from stdout"; fi
if [ "$(ls -A "$T/o")" = "report.txt" ]; then ok; else bad "-o left other files: $(ls -A "$T/o")"; fi
run "$D" run $S --seed 1 -o -
if cmp -s "$T/out" "$T/seed1.txt"; then ok; else bad "-o - is not stdout"; fi
printf 'old\n' >"$T/o/keep.txt"
run "$D" run "$T/bad.json" --seed 1 -o "$T/o/keep.txt"
expect_rc "-o bad scenario" 2
expect_exact "-o bad scenario: target untouched" "$T/o/keep.txt" "old"
run "$D" run $S --explain malory:alice/backup -o "$T/o/keep.txt"
expect_rc "-o bad explain" 2
expect_exact "-o bad explain: target untouched" "$T/o/keep.txt" "old"
run "$D" run $S --seed 1 -o "$T/o/keep.txt" --format dot --actor malory
expect_rc "-o unknown actor" 2
expect_exact "-o unknown actor: target untouched" "$T/o/keep.txt" "old"
run "$D" run $S --seed 1 -o "$T/nodir/report.txt"
expect_rc "-o into a missing directory" 1
expect_err "-o into a missing directory" "nodir/report.txt"
if [ ! -e "$T/nodir" ]; then ok; else bad "-o created a directory"; fi
if [ "$(ls -A "$T/o" | tr '\n' ' ')" = "keep.txt report.txt " ]; then ok; else
    bad "-o left temporary files: $(ls -A "$T/o")"; fi
if [ -w /dev/full ]; then
    run "$D" run $S --seed 1 -o /dev/full
    expect_rc "-o /dev/full: written in place, error seen" 1
    "$D" run $S --seed 1 >/dev/full 2>"$T/err"
    rc=$?
    expect_rc "stdout full" 1
    expect_err "stdout full" "writing to standard output"
fi
# A read-only directory: the report cannot be created beside the target.
if [ "$(id -u)" != 0 ]; then
    mkdir "$T/ro" && chmod 555 "$T/ro"
    run "$D" run $S --seed 1 -o "$T/ro/r.txt"
    expect_rc "-o read-only directory" 1
    chmod 755 "$T/ro"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
