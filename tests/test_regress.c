/* test_regress.c - regressions found by fuzzing and by the property tests, one test each. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/engine.h"
#include "doormat/report.h"
#include "doormat/scenario.h"
#include "fixture.h"

static void fx_run(fx *f, const char *json, int owners)
{
    dm_run_opts o = {0};
    o.owners = owners;
    o.steps = 1;
    fx_run_opts(f, "regress.json", json, &o);
}

/* Instantiate and verify a run: no mismatch. */
static void verify_clean(const dm_run *r)
{
    dm_crypto *c = NULL;
    dm_verification *v = NULL;
    ck_assert_int_eq(dm_crypto_instantiate(r->w, 1, 1, &c), DM_OK);
    ck_assert_int_eq(dm_crypto_verify(c, r, DM_VERIFY_ALL, 1, &v), DM_OK);
    ck_assert_uint_eq(v->mismatches, 0);
    dm_verification_free(v);
    dm_crypto_free(c);
}

/* Fuzzing (tests/scenarios/load_full.json as a seed): an explicit wrap under
 * "<actor>.ghost" made the counterfactual world (no ghost events, so no
 * ghost key) index key UINT32_MAX and write out of bounds.  The ghost key
 * now exists in both worlds; without the ghost event nobody holds it. */
START_TEST(explicit_wrap_under_ghost_key)
{
    fx f;
    fx_run(&f,
           "{\"doormat\": 1, \"regions\": [\"UK\"],"
           " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\"]}],"
           " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\","
           "   \"protection\": \"e2ee\", \"items\": [\"photos\"]}],"
           " \"groups\": [{\"id\": \"chat\", \"members\": [\"alice\"], \"provider\": \"cloud\"}],"
           " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"}],"
           " \"wraps\": [{\"key\": \"alice.dk\", \"under\": \"uk-gov.ghost\", \"at\": [\"uk-gov\"]}],"
           " \"events\": [{\"at\": 1, \"do\": \"ghost\", \"by\": \"uk-gov\", \"group\": \"chat\"},"
           "   {\"at\": 2, \"do\": \"breach\", \"by\": \"uk-gov\", \"store\": \"cloud\"}]}",
           0);
    ck_assert_str_eq(cls(f.r, "uk-gov", "alice/photos"), "unlawful");
    ck_assert_uint_eq(f.r->with.users, 1);
    ck_assert_uint_eq(f.r->without.users, 0);
    /* Both worlds have the ghost key. */
    ck_assert_uint_eq(f.r->w->n_keys, f.r->cf_w->n_keys);
    verify_clean(f.r);
    fx_free(&f);
}
END_TEST

/* Fuzzing: the same, with the ghost key inside a wrap and under an item. */
START_TEST(explicit_item_under_ghost_key)
{
    fx f;
    fx_run(&f,
           "{\"doormat\": 1, \"regions\": [\"UK\"],"
           " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\"]}],"
           " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\","
           "   \"protection\": \"e2ee\"}, {\"id\": \"x\", \"region\": \"UK\"}],"
           " \"groups\": [{\"id\": \"chat\", \"members\": [\"alice\"], \"provider\": \"cloud\"}],"
           " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"},"
           "   {\"id\": \"mallory\", \"kind\": \"attacker\"}],"
           " \"keys\": [{\"id\": \"k\", \"type\": \"symmetric\", \"holders\": [\"mallory\"]}],"
           " \"wraps\": [{\"key\": \"uk-gov.ghost\", \"under\": \"k\", \"at\": [\"mallory\"]}],"
           " \"items\": [{\"id\": \"memo\", \"owners\": [\"x\"], \"under\": \"uk-gov.ghost\","
           "   \"at\": [\"mallory\"]}],"
           " \"events\": [{\"at\": 1, \"do\": \"ghost\", \"by\": \"uk-gov\", \"group\": \"chat\"}]}",
           0);
    ck_assert_str_eq(cls(f.r, "mallory", "memo"), "unlawful");
    ck_assert_uint_eq(f.r->with.users, 1);
    ck_assert_uint_eq(f.r->without.users, 1);
    verify_clean(f.r);
    fx_free(&f);
}
END_TEST

/* Fuzzing (UBSan): an actor listed with no reaches sorted a NULL array
 * (qsort(NULL, 0, ...) is undefined).  A provider that reaches nothing. */
START_TEST(listed_actor_without_reaches)
{
    fx f;
    fx_run(&f,
           "{\"doormat\": 1, \"regions\": [\"UK\"],"
           " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\"]}],"
           " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\","
           "   \"protection\": \"e2ee\", \"items\": [\"photos\"]}]}",
           0);
    ck_assert_ptr_nonnull(dm_run_actor(f.r, party_of(f.r, "cloud")));
    ck_assert_uint_eq(dm_run_actor(f.r, party_of(f.r, "cloud"))->n_reaches, 0);
    ck_assert_uint_eq(f.r->with.users, 0);
    fx_free(&f);
}
END_TEST

/* Fuzzing (ASan): quoting a member name of 64 control characters in a
 * message ("\u0001" each, 6 bytes) overflowed a 200-byte buffer. */
START_TEST(long_escaped_member_name)
{
    char text[1024], want[1024];
    size_t o = 0, w = 0, i;
    dm_scenario *s = NULL;
    dm_diag d;

    o += (size_t)snprintf(text, sizeof text,
                          "{\"doormat\": 1, \"regions\": [\"UK\"], \"actors\": [{\"id\": \"a\","
                          " \"kind\": \"agent\", \"");
    for (i = 0; i < 70; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "\\u0001");
    snprintf(text + o, sizeof text - o, "\": 1}]}");
    w += (size_t)snprintf(want, sizeof want, "unknown member \"");
    for (i = 0; i < 64; i++)
        w += (size_t)snprintf(want + w, sizeof want - w, "\\u0001");
    snprintf(want + w, sizeof want - w, "...\"");

    dm_diag_init(&d, "regress.json", text, strlen(text));
    ck_assert_int_eq(dm_scenario_load(text, strlen(text), "regress.json", &s, &d),
                     DM_ERR_SCENARIO);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(d.n_errors, 1);
    ck_assert_str_eq(d.entries[0].path, "actors[0]");
    ck_assert_str_eq(d.entries[0].message, want);
    dm_diag_clear(&d);
}
END_TEST

Suite *regress_suite(void)
{
    Suite *s = suite_create("regress");
    TCase *tc = tcase_create("fuzz");
    tcase_add_test(tc, explicit_wrap_under_ghost_key);
    tcase_add_test(tc, explicit_item_under_ghost_key);
    tcase_add_test(tc, listed_actor_without_reaches);
    tcase_add_test(tc, long_escaped_member_name);
    suite_add_tcase(s, tc);
    return s;
}
