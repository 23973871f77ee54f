/* test_limits.c - the documented limit the loader's own tests leave out: entities per scenario. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/scenario.h"

/* The other limits of scenario.h are tested where they are checked:
 * DM_LIMIT_FILE_BYTES, _DEPTH, _EVENTS and _ORDERS in test_scenario.c
 * (limit_*), _ID_BYTES, _DEVICES, _COUNT and _TIME by tests/bad/
 * (regions_bad_ids, user_counts, event_basic). */

/* Append "name": [0,0,...] with n elements (the loader counts a section's
 * elements before it reads one, so they need not be valid entries). */
static size_t section(char *t, size_t o, const char *name, size_t n)
{
    size_t i;
    o += (size_t)sprintf(t + o, ", \"%s\": [", name);
    for (i = 0; i < n; i++) {
        t[o++] = '0';
        t[o++] = ',';
    }
    if (n > 0)
        o--;
    t[o++] = ']';
    return o;
}

/* users + groups + keys + wraps + items: one over DM_LIMIT_ENTITIES, spread
 * over the sections, is DM_ERR_LIMIT with one located error; the sections
 * are counted, not parsed, so this costs a 40 MB text and no tree. */
START_TEST(entities)
{
    const size_t per = DM_LIMIT_ENTITIES / 5;
    size_t cap = (size_t)DM_LIMIT_ENTITIES * 2 + 4096, o = 0;
    char *t = malloc(cap);
    dm_scenario *s = NULL;
    dm_diag d;

    ck_assert_ptr_nonnull(t);
    o += (size_t)sprintf(t, "{\"doormat\": 1, \"regions\": [\"UK\"]");
    o = section(t, o, "users", per);
    o = section(t, o, "groups", per);
    o = section(t, o, "keys", per);
    o = section(t, o, "wraps", per);
    o = section(t, o, "items", DM_LIMIT_ENTITIES - 4 * per + 1);
    t[o++] = '}';
    t[o] = '\0';
    ck_assert_uint_lt(o, cap);

    dm_diag_init(&d, "entities.json", t, o);
    ck_assert_int_eq(dm_scenario_load(t, o, "entities.json", &s, &d), DM_ERR_LIMIT);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(d.n_errors, 1);
    ck_assert_str_eq(d.entries[0].message, "more than 20000000 users, groups, keys, wraps and items");
    ck_assert_uint_eq(d.entries[0].line, 1);
    ck_assert_uint_eq(d.entries[0].col, 1);
    dm_diag_clear(&d);
    free(t);
}
END_TEST

Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, entities);
    suite_add_tcase(s, tc);
    return s;
}
