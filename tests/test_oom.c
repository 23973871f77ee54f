/* test_oom.c - fail the N-th allocation of a real load, run, verification and report, for every N. */
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

/* Bundled scenarios small enough to run a few hundred times under valgrind,
 * between them every event kind, shares, cohorts and groups. */
static const char *const scenarios[] = {
    "scenarios/tcn-uk-only.json",
    "scenarios/lessons/ghost.json",
    "scenarios/lessons/clipper.json",
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

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

/* What one pass of the pipeline gave. */
typedef struct outcome {
    dm_err err;          /* first error, DM_OK when every stage succeeded */
    const char *stage;   /* the stage that failed */
    int diag_oom;        /* a diagnostic could not be stored */
    char *report;        /* JSON report then text report then explanation (malloc) */
    size_t report_len;
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

/* Load, run, instantiate, verify, write both reports and one explanation,
 * then free everything.  Reports go to a memory stream (plain malloc, not
 * counted by the hook). */
static void pipeline(const char *file, const char *text, size_t len, outcome *o)
{
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_crypto *c = NULL;
    dm_verification *v = NULL;
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
    mem = open_memstream(&o->report, &o->report_len);
    ck_assert_ptr_nonnull(mem);
    dm_diag_init(&d, file, text, len);

    STAGE("load", dm_scenario_load(text, len, file, &s, &d));
    STAGE("run", dm_run_scenario(s, &ro, &r, &d));
    STAGE("instantiate", dm_crypto_instantiate(r->w, 3, 1, &c));
    STAGE("verify", dm_crypto_verify(c, r, DM_VERIFY_ALL, 1, &v));
    STAGE("report_json", dm_report_json(r, v, &po, mem));
    STAGE("report_text", dm_report_text(r, v, &po, mem));
    /* Explain the last reach of the last listed actor (an attacker's, in
     * the bundled scenarios), looked up by name as the CLI does. */
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
    dm_verification_free(v);
    dm_crypto_free(c);
    dm_run_free(r);
    dm_scenario_free(s);
    dm_diag_clear(&d);
}

/* Fail the N-th allocation (and, when sticky, every later one) for N = 1, 2,
 * ... until a pass makes fewer than N allocations.  Each failing pass must
 * end in DM_ERR_NOMEM (or succeed with a dropped diagnostic); a non-sticky
 * pass that succeeds must give the reference report byte for byte.  ASan and
 * valgrind (make check-san, make valgrind) see any leak or bad access. */
static void fail_every(const char *file, int sticky)
{
    size_t len, total, n;
    char *text = read_all(file, &len);
    outcome ref, o;

    ck_assert_msg(text != NULL, "cannot read %s", file);
    dm_alloc_fail_at(0, 0);
    pipeline(file, text, len, &ref);
    total = dm_alloc_fail_at(0, 0);
    ck_assert_msg(ref.err == DM_OK, "%s: %s failed without injection: %s", file, ref.stage,
                  dm_err_str(ref.err));
    ck_assert_uint_gt(total, 100);
    ck_assert_uint_gt(ref.report_len, 1000);

    for (n = 1;; n++) {
        size_t made;
        dm_alloc_fail_at(n, sticky);
        pipeline(file, text, len, &o);
        made = dm_alloc_fail_at(0, 0);
        if (made < n) {
            /* No allocation failed: the end of the loop. */
            ck_assert_int_eq(o.err, DM_OK);
            ck_assert_uint_eq(n, total + 1);
            free(o.report);
            break;
        }
        if (o.err == DM_OK) {
            /* Survived a failure: only an optional diagnostic may be lost,
             * and then the findings must be the same. */
            ck_assert_msg(o.diag_oom || !sticky,
                          "%s: allocation %zu failed, yet the pipeline succeeded", file, n);
            ck_assert_msg(o.report_len == ref.report_len &&
                              memcmp(o.report, ref.report, ref.report_len) == 0,
                          "%s: allocation %zu failed and the report changed", file, n);
        } else {
            ck_assert_msg(o.err == DM_ERR_NOMEM, "%s: allocation %zu: %s gave \"%s\"", file, n,
                          o.stage, dm_err_str(o.err));
        }
        free(o.report);
        ck_assert_uint_le(n, total);
    }
    free(ref.report);
    free(text);
}

START_TEST(pipeline_sticky)
{
    fail_every(scenarios[_i], 1);
}
END_TEST

START_TEST(pipeline_once)
{
    fail_every(scenarios[_i], 0);
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
    tcase_add_loop_test(tc, pipeline_sticky, 0, N_SCENARIOS);
    tcase_add_loop_test(tc, pipeline_once, 0, N_SCENARIOS);
    tcase_add_test(tj, cjson_through_the_hook);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tj);
    return s;
}
