/* test_diag.c - locating offsets, appending, capping and running out of memory. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/diag.h"

static void
reset(void)
{
    dm_alloc_fail_at(0, 0);
}

/* "ab\ncd\n\nx": 8 bytes, lines "ab", "cd", "", "x". */
static const char text8[] = "ab\ncd\n\nx";

static const struct {
    size_t offset;
    uint32_t line, col;
} locate_cases[] = {
    {0, 1, 1},          /* first byte */
    {1, 1, 2},
    {2, 1, 3},          /* the newline itself ends line 1 */
    {3, 2, 1},          /* just after \n: start of line 2 */
    {5, 2, 3},
    {6, 3, 1},          /* empty line */
    {7, 4, 1},          /* last byte */
    {8, 4, 2},          /* the end (offset == len) */
    {9, 4, 2},          /* past the end: clamped */
    {1000, 4, 2},
    {SIZE_MAX, 0, 0},   /* unknown */
};

START_TEST(test_locate_table)
{
    uint32_t line = 99, col = 99;

    dm_diag_locate(text8, 8, locate_cases[_i].offset, &line, &col);
    ck_assert_msg(line == locate_cases[_i].line && col == locate_cases[_i].col,
                  "offset %zu: got %u:%u, want %u:%u", locate_cases[_i].offset,
                  line, col, locate_cases[_i].line, locate_cases[_i].col);
}
END_TEST

START_TEST(test_locate_edges)
{
    uint32_t line = 99, col = 99;

    dm_diag_locate(NULL, 0, 0, &line, &col);
    ck_assert_uint_eq(line, 0);
    ck_assert_uint_eq(col, 0);
    dm_diag_locate("", 0, 0, &line, &col);
    ck_assert_uint_eq(line, 1);
    ck_assert_uint_eq(col, 1);
    /* CRLF: the \r belongs to the line before */
    dm_diag_locate("a\r\nb", 4, 3, &line, &col);
    ck_assert_uint_eq(line, 2);
    ck_assert_uint_eq(col, 1);
    dm_diag_locate("a\r\nb", 4, 1, &line, &col);
    ck_assert_uint_eq(line, 1);
    ck_assert_uint_eq(col, 2);
    /* len bounds the scan: a newline past len is not seen */
    dm_diag_locate("ab\ncd", 2, 4, &line, &col);
    ck_assert_uint_eq(line, 1);
    ck_assert_uint_eq(col, 3);
    /* columns count bytes, not characters: "é" is two */
    dm_diag_locate("\xc3\xa9x", 3, 2, &line, &col);
    ck_assert_uint_eq(line, 1);
    ck_assert_uint_eq(col, 3);
}
END_TEST

START_TEST(test_add_basic)
{
    static const char src[] = "{\n  \"key\": \"escrw\"\n}\n";
    dm_diag d;

    dm_diag_init(&d, "uk.json", src, sizeof src - 1);
    ck_assert_str_eq(d.file, "uk.json");
    ck_assert_uint_eq(d.n, 0);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 11, "events[2].key",
                                 "unknown key \"%s\" (did you mean \"%s\"?)",
                                 "escrw", "escrow"),
                     DM_OK);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_WARNING, SIZE_MAX, NULL,
                                 "%d users", 3), DM_OK);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_NOTE, 0, "", "n"), DM_OK);

    ck_assert_uint_eq(d.n, 3);
    ck_assert_uint_eq(d.n_errors, 1);
    ck_assert_uint_eq(d.n_warnings, 1);
    ck_assert_uint_eq(d.dropped, 0);
    ck_assert_int_eq(d.oom, 0);

    ck_assert_int_eq(d.entries[0].severity, DM_SEV_ERROR);
    ck_assert_uint_eq(d.entries[0].offset, 11);
    ck_assert_uint_eq(d.entries[0].line, 2);
    ck_assert_uint_eq(d.entries[0].col, 10);
    ck_assert_str_eq(d.entries[0].path, "events[2].key");
    ck_assert_str_eq(d.entries[0].message,
                     "unknown key \"escrw\" (did you mean \"escrow\"?)");

    ck_assert_int_eq(d.entries[1].severity, DM_SEV_WARNING);
    ck_assert_uint_eq(d.entries[1].line, 0);
    ck_assert_uint_eq(d.entries[1].col, 0);
    ck_assert_uint_eq(d.entries[1].offset, SIZE_MAX);
    ck_assert_str_eq(d.entries[1].path, "");
    ck_assert_str_eq(d.entries[1].message, "3 users");

    ck_assert_uint_eq(d.entries[2].line, 1);
    ck_assert_uint_eq(d.entries[2].col, 1);
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_add_without_text)
{
    dm_diag d;

    dm_diag_init(&d, NULL, NULL, 123);
    ck_assert_uint_eq(d.len, 0);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 5, "x", "m"), DM_OK);
    ck_assert_uint_eq(d.entries[0].line, 0);
    ck_assert_uint_eq(d.entries[0].col, 0);
    ck_assert_uint_eq(d.entries[0].offset, 5);
    dm_diag_clear(&d);
    /* a NULL list swallows everything */
    ck_assert_int_eq(dm_diag_add(NULL, DM_SEV_ERROR, 0, "x", "m"), DM_OK);
    dm_diag_clear(NULL);
}
END_TEST

START_TEST(test_long_message)
{
    char big[5000];
    dm_diag d;

    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dm_diag_init(&d, "f", "", 0);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 0, NULL, "<%s>", big), DM_OK);
    ck_assert_uint_eq(strlen(d.entries[0].message), sizeof big + 1);
    ck_assert_int_eq(d.entries[0].message[0], '<');
    ck_assert_int_eq(d.entries[0].message[sizeof big], '>');
    dm_diag_clear(&d);
}
END_TEST

START_TEST(test_cap)
{
    dm_diag d;
    size_t i;

    dm_diag_init(&d, "f", "x", 1);
    for (i = 0; i < DM_DIAG_MAX_ERRORS + 7; i++)
        ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 0, NULL, "e%zu", i), DM_OK);
    ck_assert_uint_eq(d.n, DM_DIAG_MAX_ERRORS);
    ck_assert_uint_eq(d.n_errors, DM_DIAG_MAX_ERRORS + 7);
    ck_assert_uint_eq(d.dropped, 7);
    ck_assert_str_eq(d.entries[0].message, "e0");
    ck_assert_str_eq(d.entries[DM_DIAG_MAX_ERRORS - 1].message, "e49");
    /* warnings are not capped by errors */
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_WARNING, 0, NULL, "w"), DM_OK);
    ck_assert_uint_eq(d.n, DM_DIAG_MAX_ERRORS + 1);
    ck_assert_uint_eq(d.n_warnings, 1);
    ck_assert_str_eq(d.entries[DM_DIAG_MAX_ERRORS].message, "w");
    ck_assert_int_eq(d.oom, 0);

    /* clear resets the counts and the list can be used again */
    dm_diag_clear(&d);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_uint_eq(d.cap, 0);
    ck_assert_ptr_null(d.entries);
    ck_assert_uint_eq(d.n_errors, 0);
    ck_assert_uint_eq(d.dropped, 0);
    ck_assert_str_eq(d.file, "f");
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 1, NULL, "again"), DM_OK);
    ck_assert_uint_eq(d.entries[0].col, 2);
    dm_diag_clear(&d);
}
END_TEST

/* The first add makes three allocations (array, path, message); failing any
 * of them must leave the list consistent, flagged and leak-free. */
START_TEST(test_oom_each_allocation)
{
    dm_diag d;
    size_t count, n;

    dm_diag_init(&d, "f", "ab", 2);
    dm_alloc_fail_at(0, 0);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 1, "p", "m"), DM_OK);
    count = dm_alloc_fail_at(0, 0);
    ck_assert_uint_eq(count, 3);
    dm_diag_clear(&d);

    for (n = 1; n <= count; n++) {
        dm_diag_init(&d, "f", "ab", 2);
        dm_alloc_fail_at(n, 0);
        ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 1, "p", "m"), DM_ERR_NOMEM);
        ck_assert_int_eq(d.oom, 1);
        ck_assert_uint_eq(d.n, 0);
        /* the error still counts: the input failed even if unreported */
        ck_assert_uint_eq(d.n_errors, 1);
        /* and the next add works */
        ck_assert_int_eq(dm_diag_add(&d, DM_SEV_ERROR, 1, "q", "m2"), DM_OK);
        ck_assert_uint_eq(d.n, 1);
        ck_assert_str_eq(d.entries[0].path, "q");
        dm_diag_clear(&d);
    }
}
END_TEST

START_TEST(test_growth_keeps_entries)
{
    dm_diag d;
    size_t i;
    char want[32];

    dm_diag_init(&d, "f", NULL, 0);
    for (i = 0; i < 300; i++)
        ck_assert_int_eq(dm_diag_add(&d, DM_SEV_NOTE, i, "p", "n%zu", i), DM_OK);
    ck_assert_uint_eq(d.n, 300);
    ck_assert_uint_ge(d.cap, 300);
    for (i = 0; i < 300; i++) {
        snprintf(want, sizeof want, "n%zu", i);
        ck_assert_str_eq(d.entries[i].message, want);
        ck_assert_uint_eq(d.entries[i].offset, i);
    }
    /* an allocation failure while growing keeps what was there */
    while (d.n < d.cap)
        ck_assert_int_eq(dm_diag_add(&d, DM_SEV_NOTE, 0, NULL, "fill"), DM_OK);
    dm_alloc_fail_at(1, 0);
    ck_assert_int_eq(dm_diag_add(&d, DM_SEV_NOTE, 0, NULL, "x"), DM_ERR_NOMEM);
    ck_assert_str_eq(d.entries[299].message, "n299");
    dm_diag_clear(&d);
}
END_TEST

static const struct {
    dm_err e;
    const char *s;
} err_cases[] = {
    {DM_OK, "success"},
    {DM_ERR_SCENARIO, "invalid scenario"},
    {DM_ERR_USAGE, "invalid argument"},
    {DM_ERR_NOMEM, "out of memory"},
    {DM_ERR_IO, "input/output error"},
    {DM_ERR_CRYPTO, "cryptographic operation failed"},
    {DM_ERR_LIMIT, "limit exceeded"},
    {DM_ERR_MISMATCH, "verification mismatch (a bug in doormat)"},
    {(dm_err)99, "unknown error"},
};

START_TEST(test_err_str)
{
    ck_assert_str_eq(dm_err_str(err_cases[_i].e), err_cases[_i].s);
}
END_TEST

Suite *
diag_suite(void)
{
    Suite *s = suite_create("diag");
    TCase *tc;

    tc = tcase_create("locate");
    tcase_add_loop_test(tc, test_locate_table, 0,
                        sizeof locate_cases / sizeof locate_cases[0]);
    tcase_add_test(tc, test_locate_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("add");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_add_basic);
    tcase_add_test(tc, test_add_without_text);
    tcase_add_test(tc, test_long_message);
    tcase_add_test(tc, test_growth_keeps_entries);
    suite_add_tcase(s, tc);

    tc = tcase_create("cap");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_cap);
    suite_add_tcase(s, tc);

    tc = tcase_create("oom");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_oom_each_allocation);
    suite_add_tcase(s, tc);

    tc = tcase_create("err_str");
    tcase_add_loop_test(tc, test_err_str, 0, sizeof err_cases / sizeof err_cases[0]);
    suite_add_tcase(s, tc);
    return s;
}
