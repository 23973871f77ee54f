/* test_oom.c - fail the N-th allocation of a real load, run, report and verification, for every N. */
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
#include "json.h"

/* Bundled scenarios, between them every event kind, shares, cohorts and
 * groups.  Phase one fails every allocation of load, run (with the per-step
 * summary), both reports and an explanation; the reports show the
 * verification of an unfailed reference run.  Phase two fails every
 * allocation of instantiate and verify on a reference run: real
 * cryptography costs milliseconds a pass under valgrind, so it runs on the
 * scenario with split keys only (libgfshare too). */
static const char *const scenarios[] = {
    "scenarios/tcn-uk-only.json",
    "scenarios/lessons/ghost.json",
    "scenarios/lessons/clipper.json",
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])
#define CRYPTO_SCENARIO "scenarios/lessons/clipper.json"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A scenario loaded, run and verified without failures: the reference. */
typedef struct ref {
    const char *file;
    char *text;
    size_t len;
    dm_scenario *s;
    dm_run *r;
    dm_crypto *c;
    dm_verification *v;
    dm_diag d;
} ref;

static void ref_make(ref *x, const char *file)
{
    dm_run_opts ro = {0};

    memset(x, 0, sizeof *x);
    x->file = file;
    x->text = read_all(file, &x->len);
    ck_assert_msg(x->text != NULL, "cannot read %s", file);
    dm_alloc_fail_at(0, 0);
    dm_diag_init(&x->d, file, x->text, x->len);
    ck_assert_int_eq(dm_scenario_load(x->text, x->len, file, &x->s, &x->d), DM_OK);
    ro.steps = 1;
    ck_assert_int_eq(dm_run_scenario(x->s, &ro, &x->r, &x->d), DM_OK);
    ck_assert_int_eq(dm_crypto_instantiate(x->r->w, 3, 1, &x->c), DM_OK);
    ck_assert_int_eq(dm_crypto_verify(x->c, x->r, DM_VERIFY_ALL, 1, &x->v), DM_OK);
}

static void ref_free(ref *x)
{
    dm_verification_free(x->v);
    dm_crypto_free(x->c);
    dm_run_free(x->r);
    dm_scenario_free(x->s);
    dm_diag_clear(&x->d);
    free(x->text);
}

/* What one pass gave. */
typedef struct outcome {
    dm_err err;          /* first error, DM_OK when every stage succeeded */
    const char *stage;   /* the stage that failed */
    int diag_oom;        /* a diagnostic could not be stored */
    char *out;           /* what the pass wrote (reports, counts) (malloc) */
    size_t out_len;
} outcome;

/* A stage's error: allocation failure is the only one allowed here. */
#define STAGE(name, call)                                                                          \
    do {                                                                                           \
        dm_err e_ = (call);                                                                        \
        if (e_ != DM_OK) {                                                                         \
            o->err = e_;                                                                           \
            o->stage = name;                                                                       \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* Phase one: load, run, both reports and one explanation, then free
 * everything.  Output goes to a memory stream (plain malloc, not counted by
 * the hook). */
static void pass_symbolic(const ref *x, outcome *o)
{
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_run_opts ro;
    dm_report_opts po;
    dm_diag d;
    FILE *mem;
    uint32_t party = 0, item = 0;
    char msg[256], spec[600];

    memset(o, 0, sizeof *o);
    memset(&ro, 0, sizeof ro);
    memset(&po, 0, sizeof po);
    ro.steps = 1;
    po.seed = 3;
    po.warnings = &d;
    mem = open_memstream(&o->out, &o->out_len);
    ck_assert_ptr_nonnull(mem);
    dm_diag_init(&d, x->file, x->text, x->len);

    STAGE("load", dm_scenario_load(x->text, x->len, x->file, &s, &d));
    STAGE("run", dm_run_scenario(s, &ro, &r, &d));
    STAGE("report_json", dm_report_json(r, x->v, &po, mem));
    STAGE("report_text", dm_report_text(r, x->v, &po, mem));
    /* Explain the last reach of the last listed actor, looked up by name
     * as the CLI does. */
    ck_assert_uint_gt(r->n_actors, 0);
    {
        const dm_actor_result *a = &r->actors[r->n_actors - 1];
        snprintf(spec, sizeof spec, "%s:%s", dm_world_party_id(r->w, a->party),
                 a->n_reaches ? r->w->items[a->reaches[a->n_reaches - 1].item].name
                              : r->w->items[0].name);
    }
    STAGE("explain_lookup", dm_explain_lookup(r, spec, &party, &item, msg, sizeof msg));
    STAGE("explain", dm_explain(r, party, item, mem));
out:
    o->diag_oom = d.oom;
    ck_assert_int_eq(fclose(mem), 0);
    /* On failure each stage left its *out untouched (NULL here). */
    dm_run_free(r);
    dm_scenario_free(s);
    dm_diag_clear(&d);
}

/* Phase two: instantiate and verify the reference run; write what the
 * verification counted. */
static void pass_crypto(const ref *x, outcome *o)
{
    dm_crypto *c = NULL;
    dm_verification *v = NULL;
    FILE *mem;

    memset(o, 0, sizeof *o);
    mem = open_memstream(&o->out, &o->out_len);
    ck_assert_ptr_nonnull(mem);
    STAGE("instantiate", dm_crypto_instantiate(x->r->w, 3, 1, &c));
    STAGE("verify", dm_crypto_verify(c, x->r, DM_VERIFY_ALL, 1, &v));
    fprintf(mem, "%llu %llu %llu %llu %llu %llu\n", (unsigned long long)v->reaches_proven,
            (unsigned long long)v->reaches_direct, (unsigned long long)v->nonreaches_proven,
            (unsigned long long)v->decryptions, (unsigned long long)v->failed_attempts,
            (unsigned long long)v->mismatches);
out:
    ck_assert_int_eq(fclose(mem), 0);
    dm_verification_free(v);
    dm_crypto_free(c);
}

typedef void (*pass_fn)(const ref *x, outcome *o);

/* Fail the N-th allocation of a pass (and, when sticky, every later one)
 * for N = 1, 2, ... until a pass makes fewer than N allocations.  Each
 * failing pass must end in DM_ERR_NOMEM (or succeed having dropped a
 * diagnostic); a pass that succeeds must write what the reference pass
 * wrote, byte for byte.  ASan and valgrind (make check-san, make valgrind)
 * see any leak or bad access. */
static void fail_every(const char *file, pass_fn pass, int sticky)
{
    size_t total, n;
    ref x;
    outcome want, o;

    ref_make(&x, file);
    dm_alloc_fail_at(0, 0);
    pass(&x, &want);
    total = dm_alloc_fail_at(0, 0);
    ck_assert_msg(want.err == DM_OK, "%s: %s failed without injection: %s", file, want.stage,
                  dm_err_str(want.err));
    ck_assert_uint_gt(total, 10);
    ck_assert_uint_gt(want.out_len, 0);

    for (n = 1;; n++) {
        size_t made;
        dm_alloc_fail_at(n, sticky);
        pass(&x, &o);
        made = dm_alloc_fail_at(0, 0);
        if (made < n) {
            /* No allocation failed: the end of the loop. */
            ck_assert_int_eq(o.err, DM_OK);
            ck_assert_uint_eq(n, total + 1);
            free(o.out);
            break;
        }
        if (o.err == DM_OK) {
            /* Survived a failure: only an optional diagnostic may be lost,
             * and then the findings must be the same. */
            ck_assert_msg(o.diag_oom || !sticky,
                          "%s: allocation %zu failed, yet the pass succeeded", file, n);
            ck_assert_msg(o.out_len == want.out_len && memcmp(o.out, want.out, want.out_len) == 0,
                          "%s: allocation %zu failed and the output changed", file, n);
        } else {
            ck_assert_msg(o.err == DM_ERR_NOMEM, "%s: allocation %zu: %s gave \"%s\"", file, n,
                          o.stage, dm_err_str(o.err));
        }
        free(o.out);
        ck_assert_uint_le(n, total);
    }
    free(want.out);
    ref_free(&x);
}

START_TEST(symbolic_sticky)
{
    fail_every(scenarios[_i], pass_symbolic, 1);
}
END_TEST

START_TEST(symbolic_once)
{
    fail_every(scenarios[_i], pass_symbolic, 0);
}
END_TEST

START_TEST(crypto_sticky)
{
    fail_every(CRYPTO_SCENARIO, pass_crypto, 1);
}
END_TEST

START_TEST(crypto_once)
{
    fail_every(CRYPTO_SCENARIO, pass_crypto, 0);
}
END_TEST

/* cJSON allocates through the hook (cJSON_InitHooks in the JSON module):
 * a document of 40 numbers costs at least 41 counted allocations, and
 * failing any one of them fails the parse cleanly. */
START_TEST(cjson_through_the_hook)
{
    char text[512];
    size_t o = 0, i, total, n;
    cJSON *tree = NULL;
    dm_diag d;

    o += (size_t)snprintf(text + o, sizeof text - o, "[");
    for (i = 0; i < 40; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s%zu", i ? "," : "", i);
    snprintf(text + o, sizeof text - o, "]");

    dm_alloc_fail_at(0, 0);
    dm_diag_init(&d, "t.json", text, strlen(text));
    ck_assert_int_eq(dm_json_parse(text, strlen(text), &tree, &d), DM_OK);
    total = dm_alloc_fail_at(0, 0);
    ck_assert_ptr_nonnull(tree);
    ck_assert_int_eq(cJSON_GetArraySize(tree), 40);
    cJSON_Delete(tree);
    dm_diag_clear(&d);
    ck_assert_uint_ge(total, 41);

    for (n = 1; n <= total; n++) {
        cJSON *t = NULL;
        dm_diag_init(&d, "t.json", text, strlen(text));
        dm_alloc_fail_at(n, 1);
        ck_assert_int_eq(dm_json_parse(text, strlen(text), &t, &d), DM_ERR_NOMEM);
        dm_alloc_fail_at(0, 0);
        ck_assert_ptr_null(t);
        dm_diag_clear(&d);
    }
}
END_TEST

Suite *oom_suite(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("pipeline");
    TCase *tj = tcase_create("cjson");

    /* Under valgrind a pass costs milliseconds: allow minutes. */
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, symbolic_sticky, 0, N_SCENARIOS);
    tcase_add_loop_test(tc, symbolic_once, 0, N_SCENARIOS);
    tcase_add_test(tc, crypto_sticky);
    tcase_add_test(tc, crypto_once);
    tcase_add_test(tj, cjson_through_the_hook);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tj);
    return s;
}
