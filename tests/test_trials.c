/* test_trials.c - Monte Carlo: the documented generator, exact draws, reproducibility. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"
#include "doormat/trials.h"

/* bd (p=1) escrows the UK user, bd-us (p=0.3) the US cohort of 100; theft
 * (p=0.5) gives mallory the key before her breach; eve's theft has p=0. */
static const char json_p[] =
    "{\"doormat\": 1, \"title\": \"P\", \"regions\": [\"UK\", \"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\"]}],\n"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\", \"protection\": \"e2ee\", \"items\": [\"backup\"]},\n"
    "           {\"id\": \"bobs\", \"region\": \"US\", \"provider\": \"cloud\", \"protection\": \"e2ee\", \"count\": 100, \"items\": [\"backup\"]}],\n"
    " \"actors\": [{\"id\": \"mallory\", \"kind\": \"attacker\"}, {\"id\": \"eve\", \"kind\": \"attacker\"}],\n"
    " \"keys\": [{\"id\": \"escrow\", \"type\": \"keypair\", \"holders\": [\"cloud\"]}],\n"
    " \"events\": [{\"at\": 1, \"do\": \"backdoor\", \"id\": \"bd\", \"provider\": \"cloud\", \"key\": \"escrow\", \"scope\": {\"regions\": [\"UK\"]}, \"p\": 1},\n"
    "            {\"at\": 1, \"do\": \"backdoor\", \"id\": \"bd-us\", \"provider\": \"cloud\", \"key\": \"escrow\", \"scope\": {\"regions\": [\"US\"]}, \"p\": 0.3},\n"
    "            {\"at\": 2, \"do\": \"steal\", \"id\": \"theft\", \"by\": \"mallory\", \"key\": \"escrow\", \"p\": 0.5},\n"
    "            {\"at\": 2, \"do\": \"steal\", \"id\": \"never\", \"by\": \"eve\", \"key\": \"escrow\", \"p\": 0},\n"
    "            {\"at\": 3, \"do\": \"breach\", \"id\": \"breach\", \"by\": \"mallory\", \"store\": \"cloud\"},\n"
    "            {\"at\": 3, \"do\": \"breach\", \"id\": \"breach-eve\", \"by\": \"eve\", \"store\": \"cloud\"}]}\n";

static dm_scenario *load_text(const char *json)
{
    dm_scenario *s = NULL;
    dm_diag d;

    dm_diag_init(&d, "p.json", json, strlen(json));
    ck_assert_int_eq(dm_scenario_load(json, strlen(json), "p.json", &s, &d), DM_OK);
    dm_diag_clear(&d);
    return s;
}

static dm_trials *run(const dm_scenario *s, uint64_t n, uint64_t seed)
{
    dm_trials_opts o = {0};
    dm_trials *t = NULL;

    o.n = n;
    o.seed = seed;
    ck_assert_int_eq(dm_trials_run(s, &o, &t), DM_OK);
    return t;
}

static char *json_of(const dm_trials *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(dm_trials_json(t, "p.json", f), DM_OK);
    fclose(f);
    return buf;
}

/* The reference outputs of splitmix64 from seed 1234567. */
START_TEST(splitmix64_vector)
{
    uint64_t s = 1234567;

    ck_assert_uint_eq(dm_trials_splitmix64(&s), 6457827717110365317ull);
    ck_assert_uint_eq(dm_trials_splitmix64(&s), 3203168211198807973ull);
    ck_assert_uint_eq(dm_trials_splitmix64(&s), 9817491932198370423ull);
}
END_TEST

/* Counts derived independently (the documented rule replayed in Python):
 * bd 1000, bd-us 304, theft 515, never 0; both bd-us and theft in 177. */
START_TEST(exact_draws)
{
    dm_scenario *s = load_text(json_p);
    dm_trials *t = run(s, 1000, 1);

    ck_assert_uint_eq(t->n_events, 4);
    ck_assert_uint_eq(t->events[0].happened, 1000); /* p = 1: always */
    ck_assert_uint_eq(t->events[1].happened, 304);
    ck_assert_uint_eq(t->events[2].happened, 515);
    ck_assert_uint_eq(t->events[3].happened, 0);    /* p = 0: never */
    ck_assert_uint_eq(t->outcomes, 4);
    /* all: 1 (alice, custodian) + 100 when the US is escrowed */
    ck_assert_double_eq_tol(t->with.users.mean, 31.4, 1e-9);
    ck_assert_uint_eq(t->with.users.p5, 1);
    ck_assert_uint_eq(t->with.users.p50, 1);
    ck_assert_uint_eq(t->with.users.p95, 101);
    ck_assert_uint_eq(t->with.users.min, 1);
    ck_assert_uint_eq(t->with.users.max, 101);
    /* beyond the law: alice when stolen (515), the cohort when escrowed and stolen (177) */
    ck_assert_double_eq_tol(t->with.beyond_law.mean, 18.215, 1e-9);
    ck_assert_uint_eq(t->with.beyond_law.p5, 0);
    ck_assert_uint_eq(t->with.beyond_law.p50, 1);
    ck_assert_uint_eq(t->with.beyond_law.p95, 101);
    ck_assert_double_eq_tol(t->with_region[0].beyond_law.mean, 0.515, 1e-9);
    ck_assert_double_eq_tol(t->with_region[1].users.mean, 30.4, 1e-9);
    ck_assert_double_eq_tol(t->with_region[1].beyond_law.mean, 17.7, 1e-9);
    ck_assert_uint_eq(t->with_region[1].users.p95, 100);
    /* without the backdoors nobody is exposed, whatever the draws */
    ck_assert_double_eq_tol(t->without.users.mean, 0.0, 1e-12);
    ck_assert_uint_eq(t->without.beyond_law.max, 0);
    ck_assert_uint_eq(t->without_region[1].users.max, 0);
    dm_trials_free(t);
    dm_scenario_free(s);
}
END_TEST

START_TEST(reproducible)
{
    dm_scenario *s = load_text(json_p);
    dm_trials *a = run(s, 500, 42), *b = run(s, 500, 42), *c = run(s, 500, 43);
    char *ja = json_of(a), *jb = json_of(b), *jc = json_of(c);

    ck_assert_str_eq(ja, jb);
    ck_assert_str_ne(ja, jc);
    ck_assert_ptr_nonnull(strstr(ja, "\"format\": \"doormat-trials\",\n  \"version\": 1,\n"));
    ck_assert_ptr_nonnull(strstr(ja, "{\"id\": \"never\", \"p\": 0, \"happened\": 0}"));
    ck_assert_ptr_nonnull(strstr(ja, "{\"id\": \"bd\", \"p\": 1, \"happened\": 500}"));
    free(ja);
    free(jb);
    free(jc);
    dm_trials_free(a);
    dm_trials_free(b);
    dm_trials_free(c);
    dm_scenario_free(s);
}
END_TEST

/* Without any p every trial is the plain run. */
START_TEST(no_probabilities)
{
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_run_opts ro = {0};
    dm_trials *t;
    dm_diag d;

    dm_diag_init(&d, "tcn-global.json", NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file("scenarios/tcn-global.json", &s, NULL, NULL, &d),
                     DM_OK);
    ck_assert_int_eq(dm_run_scenario(s, &ro, &r, &d), DM_OK);
    t = run(s, 10, 7);
    ck_assert_uint_eq(t->n_events, 0);
    ck_assert_uint_eq(t->outcomes, 1);
    ck_assert_uint_eq(t->with.users.p50, r->with.users);
    ck_assert_uint_eq(t->with.beyond_law.min, r->with.beyond_law);
    ck_assert_uint_eq(t->with.beyond_law.max, r->with.beyond_law);
    ck_assert_uint_eq(t->with_region[1].users.p5, r->with.by_region[1].users);
    ck_assert_uint_eq(t->without.users.p95, r->without.users);
    dm_trials_free(t);
    dm_run_free(r);
    dm_diag_clear(&d);
    dm_scenario_free(s);
}
END_TEST

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
    uint64_t *last = ctx;

    ck_assert_uint_ge(done, *last);
    ck_assert_uint_le(done, total);
    *last = done;
}

START_TEST(progress_and_limits)
{
    dm_scenario *s = load_text(json_p);
    dm_trials_opts o = {0};
    dm_trials *t = NULL;
    uint64_t last = 0;

    o.n = 0;
    ck_assert_int_eq(dm_trials_run(s, &o, &t), DM_ERR_USAGE);
    o.n = DM_TRIALS_MAX + 1;
    ck_assert_int_eq(dm_trials_run(s, &o, &t), DM_ERR_USAGE);
    ck_assert_ptr_null(t);
    o.n = 250;
    o.progress = count_progress;
    o.ctx = &last;
    ck_assert_int_eq(dm_trials_run(s, &o, &t), DM_OK);
    ck_assert_uint_eq(last, 250);
    dm_trials_free(t);
    dm_scenario_free(s);
}
END_TEST

START_TEST(oom)
{
    dm_scenario *s = load_text(json_p);
    dm_trials_opts o = {0};
    size_t n, total;

    o.n = 20;
    o.seed = 3;
    dm_alloc_fail_at(0, 0);
    {
        dm_trials *t = NULL;
        ck_assert_int_eq(dm_trials_run(s, &o, &t), DM_OK);
        dm_trials_free(t);
    }
    total = dm_alloc_fail_at(0, 0);
    for (n = 1; n <= total; n += 1 + total / 300) {
        dm_trials *t = NULL;
        dm_err e;
        dm_alloc_fail_at(n, 1);
        e = dm_trials_run(s, &o, &t);
        dm_alloc_fail_at(0, 0);
        ck_assert_int_eq(e, DM_ERR_NOMEM);
        ck_assert_ptr_null(t);
    }
    dm_scenario_free(s);
}
END_TEST

Suite *trials_suite(void)
{
    Suite *s = suite_create("trials");
    TCase *tc;

    tc = tcase_create("draws");
    tcase_add_test(tc, splitmix64_vector);
    tcase_add_test(tc, exact_draws);
    tcase_add_test(tc, reproducible);
    tcase_add_test(tc, no_probabilities);
    tcase_add_test(tc, progress_and_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("oom");
    tcase_add_test(tc, oom);
    suite_add_tcase(s, tc);
    return s;
}
