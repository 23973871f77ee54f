#!/bin/sh
# schema.sh - check scenarios/schema.json: every bundled scenario and lesson
# must validate, and every schema-level bad file must be rejected.
#
# Usage: tests/schema.sh            (from anywhere; uses the repository root)
# Needs ajv-cli 5, run through npx (node and npm). Without npx the test is
# skipped (exit 0). Environment:
#   AJV                  command to run instead of "npx --yes ajv-cli@5"
#   SCHEMA_TEST_REQUIRED =1: fail (exit 1) instead of skipping when ajv
#                        cannot be run (CI sets it once npm is installed)
# Exit status: 0 all passed (or skipped), 1 a check failed.
set -u

cd "$(dirname "$0")/.." || exit 1
schema=scenarios/schema.json

# Files of tests/bad/ that break the schema itself (wrong types, unknown
# members, out-of-range numbers).  tests/bad/ also holds files that are only
# wrong for the loader (unknown ids, bad references...): those are valid JSON
# Schema instances and are not listed here.  A listed file that is missing
# is a failure, so a rename cannot silently drop a case.
bad_from_tests="
    tests/bad/actor_bad.json
    tests/bad/event_basic.json
    tests/bad/event_ids.json
    tests/bad/event_members.json
    tests/bad/event_missing_members.json
    tests/bad/event_scope.json
    tests/bad/event_steal_share.json
    tests/bad/fuzz_quote_escaped_control.json
    tests/bad/group_bad.json
    tests/bad/id_slash.json
    tests/bad/item_bad.json
    tests/bad/json_not_object.json
    tests/bad/json_number_too_long.json
    tests/bad/json_too_deep.json
    tests/bad/key_bad.json
    tests/bad/key_shares.json
    tests/bad/key_too_many_shares.json
    tests/bad/lesson_bad.json
    tests/bad/limit_orders.json
    tests/bad/member_escaped_key.json
    tests/bad/regions_bad_ids.json
    tests/bad/regions_big_duplicate.json
    tests/bad/regions_empty.json
    tests/bad/regions_missing_no_cascade.json
    tests/bad/store_refs.json
    tests/bad/top_bad_version.json
    tests/bad/top_missing_required.json
    tests/bad/top_unknown_member.json
    tests/bad/top_wrong_types.json
    tests/bad/user_bad_fields.json
    tests/bad/user_counts.json
"

skip() {
    if [ "${SCHEMA_TEST_REQUIRED:-0}" = 1 ]; then
        echo "schema.sh: $1" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "skipped: $1"
    exit 0
}

if [ -n "${AJV:-}" ]; then
    ajv=$AJV
else
    command -v npx >/dev/null 2>&1 || skip "npm not found"
    command -v node >/dev/null 2>&1 || skip "npm not found"
    ajv="npx --yes ajv-cli@5"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/doormat-schema.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# Valid samples that use every member of the format, so the schema is shown
# not to reject what DESIGN.md allows.
mkdir "$tmp/good"
cat >"$tmp/good/minimal.json" <<'EOF'
{"doormat": 1, "regions": ["UK"]}
EOF
cat >"$tmp/good/everything.json" <<'EOF'
{
  "$schema": "../scenarios/schema.json",
  "doormat": 1,
  "title": "every member of format version 1",
  "lesson": ["first step", "second step"],
  "regions": ["UK", "US", "FR"],
  "providers": [
    {"id": "cloud", "regions": ["UK", "US", "FR"]},
    {"id": "messenger", "regions": ["US"]},
    {"id": "escrow-agency", "regions": ["US"]}
  ],
  "users": [
    {"id": "alice", "region": "UK", "provider": "cloud", "protection": "e2ee", "devices": 64, "items": ["photos", "health"]},
    {"id": "bob", "region": "US", "provider": "messenger", "protection": "provider", "devices": 1, "count": 1000000000000},
    {"id": "carol", "region": "FR"}
  ],
  "groups": [
    {"id": "chat", "members": ["alice", "bob"], "provider": "messenger", "items": ["messages"]},
    {"id": "album", "members": ["alice"], "provider": "cloud"}
  ],
  "actors": [
    {"id": "uk-gov", "kind": "government", "region": "UK"},
    {"id": "us-gov", "kind": "government", "region": "US"},
    {"id": "mallory", "kind": "attacker"},
    {"id": "insider", "kind": "attacker", "region": "US"},
    {"id": "agent-1", "kind": "agent", "region": "US"}
  ],
  "keys": [
    {"id": "escrow", "type": "keypair", "holders": ["cloud"]},
    {"id": "unit", "type": "symmetric", "shares": {"k": 2, "holders": ["agent-1", "escrow-agency", "agent-1"]}},
    {"id": "family", "type": "symmetric", "holders": ["carol"], "shares": {"k": 1, "holders": ["cloud"]}}
  ],
  "wraps": [
    {"key": "unit", "under": "escrow", "at": ["cloud"]},
    {"key": "family", "under": "alice.dev1", "at": ["alice.dev1", "cloud"]}
  ],
  "items": [
    {"id": "carol-diary", "owners": ["carol"], "under": "family", "at": ["cloud", "carol"]},
    {"id": "shared-ledger", "owners": ["carol", "alice"], "under": "unit", "at": ["cloud"]}
  ],
  "events": [
    {"at": -1000000000, "do": "downgrade", "provider": "cloud", "region": "FR"},
    {"at": 0, "do": "backdoor", "id": "tcn", "provider": "cloud", "key": "escrow", "scope": "all", "p": 1},
    {"at": 1, "do": "backdoor", "provider": "cloud", "key": "escrow", "scope": {"regions": ["UK"], "users": ["bob"]}},
    {"at": 2, "do": "order", "by": "uk-gov", "provider": "cloud"},
    {"at": 2, "do": "order", "by": "us-gov", "provider": "escrow-agency", "scope": {"users": ["carol"]}, "demand": "keys"},
    {"at": 2, "do": "order", "by": "uk-gov", "provider": "cloud", "scope": "all", "demand": "data", "p": 0.5},
    {"at": 3, "do": "steal", "by": "mallory", "key": "escrow", "p": 0.02},
    {"at": 3, "do": "steal", "by": "mallory", "key": "unit", "share": 2, "id": "share-theft"},
    {"at": 4, "do": "breach", "by": "mallory", "store": "cloud"},
    {"at": 4, "do": "breach", "by": "mallory", "store": "alice.dev1", "p": 0},
    {"at": 5, "do": "compromise", "by": "insider", "actor": "uk-gov"},
    {"at": 6, "do": "ghost", "by": "uk-gov", "group": "chat"},
    {"at": 7, "do": "travel", "user": "bob", "region": "UK"},
    {"at": 1000000000, "do": "downgrade", "provider": "cloud", "region": "UK"}
  ]
}
EOF

good=""
# Files the loader accepts must pass the schema too: the bundled scenarios
# and lessons, the loader's valid test scenarios, and its warning-only cases.
for f in scenarios/*.json scenarios/lessons/*.json tests/scenarios/*.json \
        tests/bad/warn_*.json "$tmp"/good/*.json; do
    [ -f "$f" ] || continue
    [ "$f" = "$schema" ] && continue
    good="$good $f"
done
bad=""
for f in $bad_from_tests tests/schema-bad/*.json; do
    case $f in */\*.json) continue ;; esac
    bad="$bad $f"
done

passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# ajv-cli aborts a whole batch on a file that is not JSON, so parse each file
# with node first (a bad sample must be valid JSON: a parse error is not a
# schema test).
is_json() {
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1" \
        >/dev/null 2>&1
}

# Run ajv once over a list of files (one npx start-up, not one per file);
# its report (stdout and stderr) goes to $2.  Lines read "FILE valid" or
# "FILE invalid".
run_ajv() {
    files=$1 out=$2
    set --
    for f in $files; do set -- "$@" -d "$f"; done
    [ $# -gt 0 ] || { : >"$out"; return 0; }
    $ajv validate --spec=draft2020 --errors=text -s "$schema" "$@" >"$out" 2>&1
}

# Make sure ajv runs at all (npx may be present but offline).
printf '{"doormat": 1, "regions": ["UK"]}\n' >"$tmp/probe.json"
if ! run_ajv "$tmp/probe.json" "$tmp/probe.out" ||
        ! grep -qx "$tmp/probe.json valid" "$tmp/probe.out"; then
    sed 's/^/  /' "$tmp/probe.out" >&2
    skip "could not run ajv-cli ($ajv)"
fi

# The schema is valid JSON Schema under ajv's strict mode (no unknown
# keywords, no ignored ones).
if $ajv compile --spec=draft2020 --strict=true -s "$schema" >"$tmp/compile.out" 2>&1; then
    pass
else
    fail "$schema does not compile in strict mode:"
    sed 's/^/  /' "$tmp/compile.out"
fi

parsed=""
for f in $good; do
    if is_json "$f"; then parsed="$parsed $f"; else fail "$f: not valid JSON"; fi
done
run_ajv "$parsed" "$tmp/good.out"
for f in $parsed; do
    if grep -qxF "$f valid" "$tmp/good.out"; then
        pass
    else
        fail "$f: rejected by the schema, expected valid:"
        grep -A1 -F "$f " "$tmp/good.out" | sed 's/^/  /'
    fi
done

parsed=""
for f in $bad; do
    if [ ! -f "$f" ]; then
        fail "$f: listed but missing"
    elif is_json "$f"; then
        parsed="$parsed $f"
    else
        fail "$f: not valid JSON (a schema-level bad file must parse)"
    fi
done
run_ajv "$parsed" "$tmp/bad.out"
for f in $parsed; do
    if grep -qxF "$f invalid" "$tmp/bad.out"; then
        pass
    else
        fail "$f: accepted by the schema, expected invalid"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
