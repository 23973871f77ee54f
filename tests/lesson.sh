#!/bin/sh
# lesson.sh - the lesson command: straight through when not on a terminal,
# step by step (Enter) on one, driven through tmux; usage errors.
#
# Usage: tests/lesson.sh DOORMAT   (DOORMAT may also come from the environment)
# The interactive part needs tmux; without it that part is skipped with a
# message.  Exit status: 0 all passed, 1 a check failed.
set -u

DOORMAT=${1:-${DOORMAT:-build/release/doormat}}
cd "$(dirname "$0")/.." || exit 1
case $DOORMAT in
/*) ;;
*) DOORMAT=$(pwd)/$DOORMAT ;;
esac

pass=0
fail=0
tmp=$(mktemp -d) || exit 1
sock="doormat-lesson-$$"
cleanup() {
    if command -v tmux >/dev/null 2>&1; then
        tmux -L "$sock" kill-server >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then ok; else ko "$d"; fi
}

sc=scenarios/tcn-global.json

# --- straight through: stdout is a file, stdin is /dev/null -----------------
"$DOORMAT" lesson "$sc" --seed 1 </dev/null >"$tmp/out" 2>"$tmp/err"
check "non-interactive run exits 0" test $? -eq 0
check "five steps" test "$(grep -c '^== Step [1-5] of 5' "$tmp/out")" -eq 5
check "steps in order" sh -c "grep '^== Step' '$tmp/out' | cut -c9 | tr -d '\n' | grep -qx 12345"
check "no prompt without a terminal" sh -c "! grep -q 'Enter: next step' '$tmp/out'"
check "no colour without a terminal" sh -c "! grep -q \"$(printf '\033')\" '$tmp/out'"
check "title first" test "$(head -n 1 "$tmp/out")" = "A global escrow key (the January 2025 notice)"
check "mallory's reaches at time 4" sh -c "sed -n '/Step 5 of 5/,\$p' '$tmp/out' | grep -c '^    .*unlawful  via key-theft' | grep -qx 6"
check "uk-gov's collateral at time 2" grep -q '^    bob/backup        collateral  via uk-order$' "$tmp/out"
check "final check line" test "$(tail -n 1 "$tmp/out")" = \
    "Checked by real decryption: 18 reaches and 14 non-reaches replayed; 0 mismatches."
check "warning on stderr" grep -q 'extraterritorial' "$tmp/err"
check "no seed message with --seed" sh -c "! grep -q 'pass --seed' '$tmp/err'"

"$DOORMAT" lesson "$sc" --no-pause --seed 1 </dev/null >"$tmp/out2" 2>/dev/null
check "--no-pause gives the same bytes" cmp -s "$tmp/out" "$tmp/out2"

"$DOORMAT" lesson "$sc" </dev/null >"$tmp/out3" 2>"$tmp/err3"
check "no --seed: a seed is printed" grep -q '^doormat: seed [0-9]* (pass --seed [0-9]* to reproduce)$' "$tmp/err3"

"$DOORMAT" lesson scenarios/lessons/clipper.json --seed 1 </dev/null >"$tmp/clip" 2>&1
check "clipper: extra paragraph in the end" grep -q '^== In the end ==$' "$tmp/clip"
check "clipper: share theft in words" grep -q \
    '^  - mallory steals share 2 of the key alice-unit-key, held by treasury (share-theft-1).$' "$tmp/clip"

# --- usage ------------------------------------------------------------------
"$DOORMAT" lesson >/dev/null 2>"$tmp/e"
check "no FILE: exit 2" test $? -eq 2
check "no FILE: message" grep -q 'lesson: no scenario FILE given' "$tmp/e"
"$DOORMAT" lesson "$sc" --seed 1 --seed 2 >/dev/null 2>"$tmp/e"
check "--seed twice: exit 2" test $? -eq 2
"$DOORMAT" lesson "$sc" --seed x >/dev/null 2>"$tmp/e"
check "--seed x: exit 2" test $? -eq 2
"$DOORMAT" lesson "$sc" --bogus >/dev/null 2>"$tmp/e"
check "unknown option: exit 2" test $? -eq 2
check "unknown option: named" grep -q "unknown option '--bogus'" "$tmp/e"
"$DOORMAT" lesson --help >"$tmp/h" 2>&1
check "--help: exit 0" test $? -eq 0
check "--help: usage on stdout" grep -q '^Usage: doormat lesson FILE' "$tmp/h"
"$DOORMAT" lesson "$tmp/missing.json" >/dev/null 2>"$tmp/e"
check "missing file: exit 1" test $? -eq 1
"$DOORMAT" lesson tests/bad/json_trailing_comma_array.json >/dev/null 2>"$tmp/e"
check "invalid scenario: exit 2" test $? -eq 2

# --- interactive, through tmux ----------------------------------------------
# wait_for PATTERN [ESCAPES]: poll the pane (whole history) for PATTERN.
capture() { tmux -L "$sock" capture-pane -p $1 -S - -t lesson 2>/dev/null; }
wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        if capture "${2:--J}" | grep -q -- "$1"; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

if ! command -v tmux >/dev/null 2>&1; then
    echo "lesson.sh: tmux not found: interactive checks skipped (apt-get install tmux)"
else
    tmux -L "$sock" -f /dev/null new-session -d -s lesson -x 132 -y 60 \
        "cd '$(pwd)' && NO_COLOR=1 '$DOORMAT' lesson $sc --seed 1 2>/dev/null; echo EXITED:\$?; sleep 60"
    check "tty: step 1 shown" wait_for '== Step 1 of 5: the start =='
    check "tty: prompt shown" wait_for '-- Enter: next step, q: quit --'
    sleep 0.3
    check "tty: waits before step 2" sh -c "! tmux -L '$sock' capture-pane -p -J -S - -t lesson | grep -q 'Step 2 of 5'"
    check "tty: NO_COLOR honoured" sh -c "! tmux -L '$sock' capture-pane -p -e -J -S - -t lesson | grep -q \"$(printf '\033')\[1m\""
    tmux -L "$sock" send-keys -t lesson Enter
    check "tty: step 2 after Enter" wait_for '== Step 2 of 5: time 1 =='
    sleep 0.3
    check "tty: waits before step 3" sh -c "! tmux -L '$sock' capture-pane -p -J -S - -t lesson | grep -q 'Step 3 of 5'"
    tmux -L "$sock" send-keys -t lesson Enter
    check "tty: step 3 after Enter" wait_for '== Step 3 of 5: time 2 =='
    tmux -L "$sock" send-keys -t lesson q Enter
    check "tty: q quits with 0" wait_for 'EXITED:0'
    check "tty: nothing after q" sh -c "! tmux -L '$sock' capture-pane -p -J -S - -t lesson | grep -q 'Step 4 of 5'"
    tmux -L "$sock" kill-session -t lesson >/dev/null 2>&1

    # Colour on a terminal without NO_COLOR; --no-pause runs through.
    tmux -L "$sock" -f /dev/null new-session -d -s lesson -x 132 -y 60 \
        "cd '$(pwd)' && env -u NO_COLOR TERM=xterm '$DOORMAT' lesson $sc --seed 1 --no-pause 2>/dev/null; echo EXITED:\$?; sleep 60"
    check "tty --no-pause: runs to the end" wait_for 'EXITED:0'
    check "tty --no-pause: no prompt" sh -c "! tmux -L '$sock' capture-pane -p -J -S - -t lesson | grep -q 'Enter: next step'"
    check "tty: colour on a terminal" sh -c "tmux -L '$sock' capture-pane -p -e -J -S - -t lesson | grep -q \"$(printf '\033')\[1m== Step 2 of 5\""
    tmux -L "$sock" kill-session -t lesson >/dev/null 2>&1
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
