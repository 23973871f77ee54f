#!/bin/sh
# trials.sh - the trials command: same seed same bytes, p=0 never and p=1
# always, progress only on a terminal (through tmux, skipped without it),
# usage errors.
#
# Usage: tests/trials.sh DOORMAT   (DOORMAT may also come from the environment)
# Exit status: 0 all passed, 1 a check failed.
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
sock="doormat-trials-$$"
cleanup() {
    if command -v tmux >/dev/null 2>&1; then
        tmux -L "$sock" kill-server >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() {
    d=$1
    shift
    if "$@"; then ok; else ko "$d"; fi
}

cat >"$tmp/p.json" <<'END'
{"doormat": 1, "title": "P", "regions": ["UK", "US"],
 "providers": [{"id": "cloud", "regions": ["UK", "US"]}],
 "users": [{"id": "alice", "region": "UK", "provider": "cloud", "protection": "e2ee", "items": ["backup"]},
           {"id": "bobs", "region": "US", "provider": "cloud", "protection": "e2ee", "count": 100, "items": ["backup"]}],
 "actors": [{"id": "mallory", "kind": "attacker"}, {"id": "eve", "kind": "attacker"}],
 "keys": [{"id": "escrow", "type": "keypair", "holders": ["cloud"]}],
 "events": [{"at": 1, "do": "backdoor", "id": "bd", "provider": "cloud", "key": "escrow", "scope": {"regions": ["UK"]}, "p": 1},
            {"at": 1, "do": "backdoor", "id": "bd-us", "provider": "cloud", "key": "escrow", "scope": {"regions": ["US"]}, "p": 0.3},
            {"at": 2, "do": "steal", "id": "theft", "by": "mallory", "key": "escrow", "p": 0.5},
            {"at": 2, "do": "steal", "id": "never", "by": "eve", "key": "escrow", "p": 0},
            {"at": 3, "do": "breach", "id": "breach", "by": "mallory", "store": "cloud"},
            {"at": 3, "do": "breach", "id": "breach-eve", "by": "eve", "store": "cloud"}]}
END

"$DOORMAT" trials "$tmp/p.json" -n 1000 --seed 1 --format json >"$tmp/a.json" 2>"$tmp/err"
check "json: exit 0" test $? -eq 0
check "json: quiet stderr off a terminal" test ! -s "$tmp/err"
"$DOORMAT" trials "$tmp/p.json" -n 1000 --seed 1 --format json >"$tmp/b.json" 2>/dev/null
check "same seed, same bytes" cmp -s "$tmp/a.json" "$tmp/b.json"
"$DOORMAT" trials "$tmp/p.json" -n 1000 --seed 2 --format json >"$tmp/c.json" 2>/dev/null
check "another seed, other draws" sh -c "! cmp -s '$tmp/a.json' '$tmp/c.json'"
check "p=1 always" grep -q '{"id": "bd", "p": 1, "happened": 1000}' "$tmp/a.json"
check "p=0 never" grep -q '{"id": "never", "p": 0, "happened": 0}' "$tmp/a.json"
check "p=0.5 drawn (515 of 1000 at seed 1)" grep -q '{"id": "theft", "p": 0.5, "happened": 515}' "$tmp/a.json"
check "format" grep -q '^  "format": "doormat-trials",$' "$tmp/a.json"
check "beyond the law, all" grep -q '"beyond_law": {"mean": 18.215, "p5": 0, "p50": 1, "p95": 101, "min": 0, "max": 101}' "$tmp/a.json"
if command -v python3 >/dev/null 2>&1; then
    check "json parses" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/a.json"
fi

"$DOORMAT" trials "$tmp/p.json" -n 1000 --seed 1 >"$tmp/t.txt" 2>/dev/null
check "text: exit 0" test $? -eq 0
check "text: header" grep -qx 'doormat trials: 1,000 trials, seed 1' "$tmp/t.txt"
check "text: theft line" grep -qx '  theft  p=0.5    happened in 515 of 1,000 trials (51.5%)' "$tmp/t.txt"
check "text: all exposed" grep -qx '  all     exposed     31.4   1    1  101' "$tmp/t.txt"

"$DOORMAT" trials scenarios/tcn-global.json -n 5 >"$tmp/s.txt" 2>"$tmp/s.err"
check "no --seed: a seed is printed" grep -q '^doormat: seed [0-9]* (pass --seed [0-9]* to reproduce)$' "$tmp/s.err"
check "no p: one run" grep -qx '  runs      1 distinct draws, each run once' "$tmp/s.txt"

# Usage.
"$DOORMAT" trials "$tmp/p.json" -n 0 >/dev/null 2>"$tmp/e"
check "-n 0: exit 2" test $? -eq 2
"$DOORMAT" trials "$tmp/p.json" -n x >/dev/null 2>"$tmp/e"
check "-n x: exit 2" test $? -eq 2
"$DOORMAT" trials "$tmp/p.json" -n 5 -n 6 >/dev/null 2>"$tmp/e"
check "-n twice: exit 2" test $? -eq 2
"$DOORMAT" trials "$tmp/p.json" --format xml >/dev/null 2>"$tmp/e"
check "bad format: exit 2" test $? -eq 2
"$DOORMAT" trials >/dev/null 2>"$tmp/e"
check "no FILE: exit 2" test $? -eq 2
"$DOORMAT" trials "$tmp/missing.json" >/dev/null 2>"$tmp/e"
check "missing file: exit 1" test $? -eq 1
"$DOORMAT" trials --help >"$tmp/h" 2>&1
check "--help: exit 0" test $? -eq 0
check "--help: usage" grep -q '^Usage: doormat trials FILE' "$tmp/h"

# Progress bar: on a terminal only.
if ! command -v tmux >/dev/null 2>&1; then
    echo "trials.sh: tmux not found: progress-bar check skipped (apt-get install tmux)"
else
    tmux -L "$sock" -f /dev/null new-session -d -s t -x 132 -y 40 \
        "'$DOORMAT' trials '$tmp/p.json' -n 200 --seed 1 >'$tmp/tty.txt'; echo EXITED:\$?; sleep 60"
    i=0
    while [ $i -lt 100 ] && ! tmux -L "$sock" capture-pane -p -t t | grep -q 'EXITED:'; do
        sleep 0.1
        i=$((i + 1))
    done
    check "tty: exit 0" sh -c "tmux -L '$sock' capture-pane -p -t t | grep -q 'EXITED:0'"
    check "tty: stdout has no progress" sh -c "! grep -q 'trials \[' '$tmp/tty.txt'"
    "$DOORMAT" trials "$tmp/p.json" -n 200 --seed 1 >"$tmp/t200.txt" 2>/dev/null
    check "tty: same report as off a terminal" cmp -s "$tmp/tty.txt" "$tmp/t200.txt"
    tmux -L "$sock" kill-session -t t >/dev/null 2>&1
    # stderr to a file: no bar; stderr to a terminal (script): the bar.
    tmux -L "$sock" -f /dev/null new-session -d -s t -x 132 -y 40 \
        "'$DOORMAT' trials '$tmp/p.json' -n 200 --seed 1 2>'$tmp/bar.txt' >/dev/null; \
         script -qc \"'$DOORMAT' trials '$tmp/p.json' -n 200 --seed 1 >/dev/null\" /dev/null >'$tmp/bar2.txt'; echo EXITED:\$?; sleep 60"
    i=0
    while [ $i -lt 100 ] && ! tmux -L "$sock" capture-pane -p -t t | grep -q 'EXITED:'; do
        sleep 0.1
        i=$((i + 1))
    done
    check "file: no progress bar" test ! -s "$tmp/bar.txt"
    if command -v script >/dev/null 2>&1; then
        check "terminal: progress bar drawn" grep -a -q 'doormat: trials \[#' "$tmp/bar2.txt"
    fi
    tmux -L "$sock" kill-session -t t >/dev/null 2>&1
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
