/* test_report_util.c - via names written piece by piece agree with the world's names. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"
#include "doormat/world.h"
#include "report_util.h"

/* Between them every kind of key: declared (with shares), data keys,
 * devices, group keys, HSMs and a ghost key. */
static const char *const files[] = {
    "tests/scenarios/load_full.json",
    "scenarios/lessons/ghost.json",
};

/* dm_report_via_parts (what the JSON report writes) and dm_report_via_name
 * name every key of a file's world as dm_world_key_name does, and every
 * event by its id; kinds_seen[kind] is set for each kind of key met. */
static void check_file(const char *file, int *kinds_seen)
{
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_run_opts o;
    dm_diag d;
    char want[512], got[512], sfx[DM_REPORT_SFX];
    const char *base;
    size_t k;

    memset(&o, 0, sizeof o);
    dm_diag_init(&d, file, NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file(file, &s, NULL, NULL, &d), DM_OK);
    ck_assert_int_eq(dm_run_scenario(s, &o, &r, &d), DM_OK);
    for (k = 0; k < r->w->n_keys; k++) {
        dm_world_key_name(r->w, (uint32_t)k, want, sizeof want);
        base = dm_report_via_parts(r, (uint32_t)k, sfx);
        snprintf(got, sizeof got, "%s%s", base, sfx);
        ck_assert_str_eq(got, want);
        ck_assert_str_eq(dm_report_via_name(r, (uint32_t)k, got, sizeof got), want);
        kinds_seen[r->w->keys[k].ref.kind] = 1;
    }
    for (k = 0; k < s->n_events; k++) {
        base = dm_report_via_parts(r, (uint32_t)k | DM_VIA_EVENT, sfx);
        ck_assert_str_eq(base, s->events[k].id);
        ck_assert_str_eq(sfx, "");
    }
    snprintf(want, sizeof want, "event#%zu", s->n_events + 7);
    ck_assert_str_eq(dm_report_via_name(r, (uint32_t)(s->n_events + 7) | DM_VIA_EVENT, got,
                                        sizeof got),
                     want);
    dm_run_free(r);
    dm_scenario_free(s);
    dm_diag_clear(&d);
}

START_TEST(test_via_names)
{
    int kinds_seen[DM_KEYREF_GHOST + 1] = {0};
    size_t i;
    int kind;

    for (i = 0; i < sizeof files / sizeof files[0]; i++)
        check_file(files[i], kinds_seen);
    /* The files did cover every kind of key. */
    for (kind = DM_KEYREF_DECLARED; kind <= DM_KEYREF_GHOST; kind++)
        ck_assert_msg(kinds_seen[kind], "no key of kind %d in the test files", kind);
}
END_TEST

Suite *report_util_suite(void)
{
    Suite *s = suite_create("report_util");
    TCase *tc = tcase_create("via");

    tcase_add_test(tc, test_via_names);
    suite_add_tcase(s, tc);
    return s;
}
