/* test_report.c - exact text and JSON reports, explanations and lookups. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/engine.h"
#include "doormat/explain.h"
#include "doormat/report.h"
#include "doormat/scenario.h"
#include "fixture.h"

/* A provider-protected UK user with three items, an e2ee US user, a UK order
 * (lawful), and a title full of characters JSON must escape. */
static const char small_json[] =
    "{\"doormat\": 1, \"title\": \"T \\\"q\\\" \\\\ \\u00e9\\n\\t\\u0001\",\n"
    " \"regions\": [\"UK\", \"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\"]}],\n"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\",\n"
    "             \"protection\": \"provider\", \"items\": [\"a\", \"b\", \"c\"]},\n"
    "            {\"id\": \"bob\", \"region\": \"US\", \"provider\": \"cloud\",\n"
    "             \"protection\": \"e2ee\", \"items\": [\"x\"]}],\n"
    " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"},\n"
    "            {\"id\": \"mallory\", \"kind\": \"attacker\"}],\n"
    " \"events\": [{\"at\": 1, \"do\": \"order\", \"by\": \"uk-gov\", \"provider\": \"cloud\"}]}\n";

static void fx_load(fx *f, const char *json)
{
    dm_run_opts o = {0};

    fx_run_opts(f, "t.json", json, &o);
}

/* Render into a string (free()). */
typedef dm_err (*render_fn)(const dm_run *, const struct dm_verification *,
                            const dm_report_opts *, FILE *);

static char *render(render_fn fn, const dm_run *r, const dm_verification *v,
                    const dm_report_opts *o, dm_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    *err = fn(r, v, o, f);
    fclose(f);
    return buf;
}

static char *explain(const dm_run *r, const char *spec, dm_err *err)
{
    char *buf = NULL, msg[256];
    size_t len = 0;
    uint32_t party, item;
    FILE *f;

    ck_assert_int_eq(dm_explain_lookup(r, spec, &party, &item, msg, sizeof msg), DM_OK);
    f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    *err = dm_explain(r, party, item, f);
    fclose(f);
    return buf;
}

START_TEST(thousands)
{
    static const struct {
        uint64_t n;
        const char *s;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {999, "999"},
        {1000, "1,000"},
        {30000000, "30,000,000"},
        {1234567, "1,234,567"},
        {UINT64_MAX, "18,446,744,073,709,551,615"},
    };
    char buf[40];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(dm_report_thousands(cases[i].n, buf, sizeof buf), cases[i].s);
    /* Truncated, never overflowing. */
    ck_assert_str_eq(dm_report_thousands(1234567, buf, 4), "1,2");
}
END_TEST

static const char small_report_json[] =
    "{\n"
    "  \"format\": \"doormat-report\",\n"
    "  \"version\": 1,\n"
    "  \"scenario\": \"T \\\"q\\\" \\\\ \xc3\xa9\\n\\t\\u0001\",\n"
    "  \"seed\": 7,\n"
    "  \"at\": 1,\n"
    "  \"worst_case\": false,\n"
    "  \"actors\": [\n"
    "    {\n"
    "      \"id\": \"cloud\",\n"
    "      \"kind\": \"provider\",\n"
    "      \"reaches\": [\n"
    "        {\"item\": \"alice/a\", \"owners\": [\"alice\"], \"class\": \"custodian\", \"via\": [\"cloud.hsm\", \"alice.dk\"]},\n"
    "        {\"item\": \"alice/b\", \"owners\": [\"alice\"], \"class\": \"custodian\", \"via\": [\"cloud.hsm\", \"alice.dk\"]},\n"
    "        {\"item\": \"alice/c\", \"owners\": [\"alice\"], \"class\": \"custodian\", \"via\": [\"cloud.hsm\", \"alice.dk\"]}\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"uk-gov\",\n"
    "      \"kind\": \"government\",\n"
    "      \"reaches\": [\n"
    "        {\"item\": \"alice/a\", \"owners\": [\"alice\"], \"class\": \"lawful\", \"via\": [\"order@1\"]},\n"
    "        {\"item\": \"alice/b\", \"owners\": [\"alice\"], \"class\": \"lawful\", \"via\": [\"order@1\"]},\n"
    "        {\"item\": \"alice/c\", \"owners\": [\"alice\"], \"class\": \"lawful\", \"via\": [\"order@1\"]}\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"mallory\",\n"
    "      \"kind\": \"attacker\",\n"
    "      \"reaches\": []\n"
    "    }\n"
    "  ],\n"
    "  \"owner_only_users\": 2,\n"
    "  \"exposure\": {\n"
    "    \"with\": {\n"
    "      \"users\": 1,\n"
    "      \"beyond_law\": 0,\n"
    "      \"by_region\": {\n"
    "        \"UK\": {\"users\": 1, \"beyond_law\": 0},\n"
    "        \"US\": {\"users\": 0, \"beyond_law\": 0}\n"
    "      }\n"
    "    },\n"
    "    \"without\": {\n"
    "      \"users\": 1,\n"
    "      \"beyond_law\": 0,\n"
    "      \"by_region\": {\n"
    "        \"UK\": {\"users\": 1, \"beyond_law\": 0},\n"
    "        \"US\": {\"users\": 0, \"beyond_law\": 0}\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"refused\": [],\n"
    "  \"verification\": {\n"
    "    \"mode\": \"off\",\n"
    "    \"reaches\": 0,\n"
    "    \"reaches_direct\": 0,\n"
    "    \"non_reaches\": 0,\n"
    "    \"mismatch_count\": 0,\n"
    "    \"mismatches\": []\n"
    "  }\n"
    "}\n";

START_TEST(json_exact)
{
    fx f;
    dm_report_opts o = {0};
    dm_err err;
    char *s;

    fx_load(&f, small_json);
    o.seed = 7;
    s = render(dm_report_json, f.r, NULL, &o, &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_str_eq(s, small_report_json);
    free(s);
    fx_free(&f);
}
END_TEST

/* The JSON report with a fabricated verdict: counts and mismatches named. */
START_TEST(json_mismatch)
{
    fx f;
    dm_report_opts o = {0};
    dm_verification v;
    dm_mismatch m[2];
    dm_err err;
    char *s;

    fx_load(&f, small_json);
    memset(&v, 0, sizeof v);
    memset(m, 0, sizeof m);
    v.mode = DM_VERIFY_ALL;
    v.reaches_proven = 5;
    v.nonreaches_proven = 9;
    v.mismatches = 2;
    m[0].party = 0;
    m[0].item = 1;
    m[0].ct = UINT32_MAX;
    m[0].key = UINT32_MAX;
    m[0].kind = DM_MISMATCH_REACH_FAILS;
    m[1].party = 2;
    m[1].item = UINT32_MAX;
    m[1].ct = UINT32_MAX;
    m[1].key = UINT32_MAX;
    m[1].kind = DM_MISMATCH_OPENS;
    v.list = m;
    v.n_list = 2;
    s = render(dm_report_json, f.r, &v, &o, &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_ptr_nonnull(strstr(s, "    \"mode\": \"all\",\n    \"reaches\": 5,\n"));
    ck_assert_ptr_nonnull(strstr(s, "\"non_reaches\": 9,\n    \"mismatch_count\": 2,\n"));
    ck_assert_ptr_nonnull(strstr(s, "{\"actor\": \"cloud\", \"item\": \"alice/b\", \"problem\": \""));
    ck_assert_ptr_nonnull(strstr(s, "{\"actor\": \"mallory\", \"item\": null, \"problem\": \""));
    free(s);
    s = render(dm_report_text, f.r, &v, &o, &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_ptr_nonnull(strstr(s, "\nMISMATCH: real decryption disagrees with the closure in 2 cases (a bug in doormat):\n"
                                    "  MISMATCH cloud, alice/b: "));
    ck_assert_ptr_null(strstr(s, "Verified by decryption"));
    free(s);
    v.mismatches = 0;
    v.n_list = 0;
    s = render(dm_report_text, f.r, &v, &o, &err);
    ck_assert_ptr_nonnull(strstr(s, "\nVerified by decryption: 5 reaches and 9 non-reaches; 0 mismatches.\n"));
    free(s);
    fx_free(&f);
}
END_TEST

static const char small_report_text[] =
    "T \"q\" \\ \xc3\xa9???\n"
    "  scenario  t.json\n"
    "  seed      7\n"
    "  time      after t=1 (1 of 1 event applied)\n"
    "\n"
    "HEADLINE\n"
    "  1 of 2 people are exposed, 0 beyond the law.\n"
    "  This scenario has no backdoor or ghost: without them nothing changes.\n"
    "\n"
    "  region  people  exposed  beyond law\n"
    "  UK           1        1           0\n"
    "  US           1        0           0\n"
    "  all          2        1           0\n"
    "\n"
    "ACTORS (items each can read)\n"
    "  actor    kind        items  owner  custodian  lawful  collateral  unlawful\n"
    "  cloud    provider        3      0          3       0           0         0\n"
    "  uk-gov   government      3      0          0       3           0         0\n"
    "  mallory  attacker        0      0          0       0           0         0\n"
    "  Users not listed: 2 people read only their own data.\n"
    "\n"
    "  cloud (provider) reads 3 items:\n"
    "    item     owners  class      via\n"
    "    alice/a  alice   custodian  cloud.hsm \xe2\x86\x92 alice.dk\n"
    "    alice/b  alice   custodian  cloud.hsm \xe2\x86\x92 alice.dk\n"
    "    \xe2\x80\xa6 and 1 more (use --format json for all)\n"
    "\n"
    "  uk-gov (government) reads 3 items:\n"
    "    item     owners  class   via\n"
    "    alice/a  alice   lawful  order@1\n"
    "    alice/b  alice   lawful  order@1\n"
    "    \xe2\x80\xa6 and 1 more (use --format json for all)\n"
    "\n"
    "  mallory (attacker) reads no one else's data.\n"
    "\n"
    "BY REGION (who reads whose data)\n"
    "  region  read by                people  how\n"
    "  UK      cloud                       1  custodian\n"
    "          uk-gov                      1  lawful\n"
    "  US      no one but the owners       0  -\n"
    "\n"
    "Not verified by decryption (--verify off).\n";

START_TEST(text_exact_capped)
{
    fx f;
    dm_report_opts o = {0};
    dm_err err;
    char *s;

    fx_load(&f, small_json);
    o.seed = 7;
    o.max_rows = 2;
    s = render(dm_report_text, f.r, NULL, &o, &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_str_eq(s, small_report_text);
    free(s);
    fx_free(&f);
}
END_TEST

START_TEST(text_colour_only_when_asked)
{
    fx f;
    dm_report_opts o = {0};
    dm_err err;
    char *s;

    fx_load(&f, small_json);
    s = render(dm_report_text, f.r, NULL, &o, &err);
    ck_assert_ptr_null(strchr(s, '\033'));
    free(s);
    o.color = 1;
    s = render(dm_report_text, f.r, NULL, &o, &err);
    ck_assert_ptr_nonnull(strstr(s, "\033[1mHEADLINE\033[0m"));
    ck_assert_ptr_nonnull(strstr(s, "\033[32mlawful\033[0m"));
    free(s);
    fx_free(&f);
}
END_TEST

/* Writing to a stream that fails is an I/O error, not a silent success. */
START_TEST(write_error)
{
    fx f;
    dm_report_opts o = {0};
    FILE *ro;

    fx_load(&f, small_json);
    ro = fopen("/dev/null", "r");
    ck_assert_ptr_nonnull(ro);
    ck_assert_int_eq(dm_report_text(f.r, NULL, &o, ro), DM_ERR_IO);
    ck_assert_int_eq(dm_report_json(f.r, NULL, &o, ro), DM_ERR_IO);
    fclose(ro);
    fx_free(&f);
}
END_TEST

START_TEST(lookup)
{
    static const struct {
        const char *spec;
        const char *msg;
    } bad[] = {
        {"malory:alice/a", "unknown actor \"malory\" (did you mean \"mallory\"?)"},
        {"uk_gov:alice/a", "unknown actor \"uk_gov\" (did you mean \"uk-gov\"?)"},
        {"zzzzzzzz:alice/a", "unknown actor \"zzzzzzzz\""},
        {"mallory:a", "unknown item \"a\" (did you mean \"alice/a\"?)"},
        {"mallory:alice/d", "unknown item \"alice/d\" (did you mean \"alice/a\"?)"},
        {"mallory:qqqqqqqqqq", "unknown item \"qqqqqqqqqq\""},
        {"mallory", "'mallory' is not ACTOR:ITEM"},
    };
    fx f;
    char msg[256];
    uint32_t party = 99, item = 99;
    size_t i;

    fx_load(&f, small_json);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(dm_explain_lookup(f.r, bad[i].spec, &party, &item, msg, sizeof msg),
                         DM_ERR_USAGE);
        ck_assert_str_eq(msg, bad[i].msg);
        ck_assert_uint_eq(party, 99);
        ck_assert_uint_eq(item, 99);
    }
    ck_assert_int_eq(dm_explain_lookup(f.r, "uk-gov:alice/c", &party, &item, msg, sizeof msg),
                     DM_OK);
    ck_assert_str_eq(dm_world_party_id(f.r->w, party), "uk-gov");
    ck_assert_str_eq(f.r->w->items[item].name, "alice/c");
    fx_free(&f);
}
END_TEST

START_TEST(explain_chains)
{
    fx f;
    dm_err err;
    char *s;

    fx_load(&f, small_json);
    s = explain(f.r, "uk-gov:alice/b", &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_str_eq(s, "How uk-gov reads alice/b after t=1:\n"
                        "\n"
                        "   1. [t=1, order@1] uk-gov orders cloud to hand over the data of users in UK.\n"
                        "   2. The plaintext of alice/b lies in uk-gov's own store, handed over under order@1.\n"
                        "\n"
                        "Class: lawful: through order@1, whose scope held every owner, each in uk-gov's region.\n");
    free(s);
    s = explain(f.r, "cloud:alice/a", &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_str_eq(s, "How cloud reads alice/a after t=1:\n"
                        "\n"
                        "   1. cloud holds cloud.hsm from the start (its service key, in its HSMs).\n"
                        "   2. The wrap of alice.dk under cloud.hsm lies in cloud's own store.\n"
                        "   3. cloud opens the wrap of alice.dk under cloud.hsm with cloud.hsm: it now has alice.dk.\n"
                        "   4. The ciphertext of alice/a (under alice.dk) lies in cloud's own store.\n"
                        "   5. cloud opens the ciphertext of alice/a (under alice.dk) with alice.dk: it reads alice/a.\n"
                        "\n"
                        "Class: custodian: by the system's design, through keys cloud held from the start and its own stores, with no order, theft or breach.\n");
    free(s);
    s = explain(f.r, "mallory:bob/x", &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_str_eq(s, "mallory cannot read bob/x after t=1.\n"
                        "\n"
                        "   1. The ciphertext of bob/x (under bob.dk) lies in the stores cloud, bob.dev1.\n"
                        "   2. mallory reads none of them: it never gets the ciphertext.\n"
                        "   3. Nor the key: mallory lacks bob.dk.\n");
    free(s);
    s = explain(f.r, "alice:alice/a", &err);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_str_eq(s, "How alice reads alice/a after t=1:\n"
                        "\n"
                        "   1. alice owns alice/a: owners always read their own items.\n"
                        "\n"
                        "Class: owner.\n");
    free(s);
    fx_free(&f);
}
END_TEST

/* Every allocation of a report or an explanation may fail: a clean error,
 * no crash (leaks are caught by the sanitizer and valgrind runs). */
START_TEST(alloc_failures)
{
    fx f;
    dm_report_opts o = {0};
    size_t n;
    uint32_t party, item;
    char msg[128];

    fx_load(&f, small_json);
    o.max_rows = 2;
    ck_assert_int_eq(dm_explain_lookup(f.r, "cloud:alice/a", &party, &item, msg, sizeof msg),
                     DM_OK);
    for (n = 1; n < 200; n++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        dm_err e1, e2;
        ck_assert_ptr_nonnull(out);
        dm_alloc_fail_at(n, 0);
        e1 = dm_report_text(f.r, NULL, &o, out);
        dm_alloc_fail_at(n, 0);
        e2 = dm_explain(f.r, party, item, out);
        dm_alloc_fail_at(0, 0);
        fclose(out);
        free(buf);
        ck_assert(e1 == DM_OK || e1 == DM_ERR_NOMEM);
        ck_assert(e2 == DM_OK || e2 == DM_ERR_NOMEM);
    }
    fx_free(&f);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc;

    tc = tcase_create("thousands");
    tcase_add_test(tc, thousands);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, json_exact);
    tcase_add_test(tc, json_mismatch);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, text_exact_capped);
    tcase_add_test(tc, text_colour_only_when_asked);
    tcase_add_test(tc, write_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("explain");
    tcase_add_test(tc, lookup);
    tcase_add_test(tc, explain_chains);
    suite_add_tcase(s, tc);
    tc = tcase_create("alloc");
    tcase_add_test(tc, alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}
