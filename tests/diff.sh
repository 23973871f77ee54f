#!/bin/sh
# diff.sh - the diff command: exact output for two bundled scenarios, JSON,
# --at, usage errors and exit codes.
#
# Usage: tests/diff.sh DOORMAT   (DOORMAT may also come from the environment)
# Exit status: 0 all passed, 1 a check failed.
set -u

DOORMAT=${1:-${DOORMAT:-build/release/doormat}}
cd "$(dirname "$0")/.." || exit 1

pass=0
fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() {
    d=$1
    shift
    if "$@"; then ok; else ko "$d"; fi
}

cat >"$tmp/expect" <<'END'
READS, BY ACTOR (+ only B reaches it, - only A, ~ class changed)
  cloud (provider)
    + alice/backup      custodian
    + bob/backup        custodian
    + chloe/backup      custodian
    + uk-public/backup  custodian
    + us-public/backup  custodian
    + chat/messages     custodian
  uk-gov (government)
    + alice/backup      lawful
    + uk-public/backup  lawful
    + chat/messages     collateral
  unchanged: mallory.
END
"$DOORMAT" diff scenarios/adp.json scenarios/standard.json >"$tmp/out" 2>"$tmp/err"
check "adp vs standard: exit 0" test $? -eq 0
check "adp vs standard: quiet stderr" test ! -s "$tmp/err"
sed -n '/^READS/,$p' "$tmp/out" >"$tmp/reads"
check "adp vs standard: reads" cmp -s "$tmp/expect" "$tmp/reads"
check "adp vs standard: all row" grep -qx '  all     0  130,000,003  +130,000,003             0             1      +1' "$tmp/out"

"$DOORMAT" diff scenarios/standard.json scenarios/adp.json >"$tmp/rev" 2>/dev/null
check "reverse: lost reaches" test "$(grep -c '^    - ' "$tmp/rev")" -eq 9
check "reverse: no gained" test "$(grep -c '^    + ' "$tmp/rev")" -eq 0

"$DOORMAT" diff scenarios/adp.json scenarios/standard.json --format json >"$tmp/json" 2>/dev/null
check "json: exit 0" test $? -eq 0
check "json: format" grep -q '^  "format": "doormat-diff",$' "$tmp/json"
check "json: version" grep -q '^  "version": 1,$' "$tmp/json"
if command -v python3 >/dev/null 2>&1; then
    check "json: parses, 9 gained" sh -c "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sum(len(a[\"gained\"]) for a in d[\"actors\"]) == 9; assert d[\"exposure\"][\"with\"][\"delta\"] == {\"users\": 130000003, \"beyond_law\": 1}' '$tmp/json'"
fi

# --at: both at time 1 (tcn-global: the escrow exists, no order yet).
"$DOORMAT" diff scenarios/adp.json scenarios/tcn-global.json --at 1 >"$tmp/at" 2>/dev/null
check "--at 1: times" grep -q '^  B  scenarios/tcn-global.json (after t=1): ' "$tmp/at"
check "--at 1: cloud gains 6" test "$(grep -c '^    + .*custodian$' "$tmp/at")" -eq 6

# Usage and errors.
"$DOORMAT" diff scenarios/adp.json >/dev/null 2>"$tmp/e"
check "one file: exit 2" test $? -eq 2
check "one file: message" grep -q 'two scenario files needed' "$tmp/e"
"$DOORMAT" diff a b c >/dev/null 2>"$tmp/e"
check "three files: exit 2" test $? -eq 2
"$DOORMAT" diff scenarios/adp.json scenarios/adp.json --format xml >/dev/null 2>"$tmp/e"
check "bad format: exit 2" test $? -eq 2
"$DOORMAT" diff scenarios/adp.json scenarios/adp.json --at x >/dev/null 2>"$tmp/e"
check "bad --at: exit 2" test $? -eq 2
"$DOORMAT" diff scenarios/adp.json "$tmp/missing.json" >/dev/null 2>"$tmp/e"
check "missing B: exit 1" test $? -eq 1
"$DOORMAT" diff tests/bad/json_trailing_comma_array.json scenarios/adp.json >/dev/null 2>"$tmp/e"
check "invalid A: exit 2" test $? -eq 2
"$DOORMAT" diff --help >"$tmp/h" 2>&1
check "--help: exit 0" test $? -eq 0
check "--help: usage" grep -q '^Usage: doormat diff A.json B.json' "$tmp/h"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
