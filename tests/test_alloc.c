/* test_alloc.c - the allocation hook: overflow checks and failure injection. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"

/* cJSON_InitHooks takes malloc- and free-shaped functions: ours must fit. */
static void *(*const as_malloc)(size_t) = dm_malloc;
static void (*const as_free)(void *) = dm_free;

static void
reset(void)
{
    dm_alloc_fail_at(0, 0);
}

START_TEST(test_zero_sizes_are_not_null)
{
    void *a = dm_malloc(0), *b = dm_calloc(0, 8), *c = dm_calloc(8, 0);
    void *d = dm_realloc(NULL, 0);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(d);
    d = dm_realloc(d, 0); /* must not free d and return NULL */
    ck_assert_ptr_nonnull(d);
    dm_free(a);
    dm_free(b);
    dm_free(c);
    dm_free(d);
    dm_free(NULL);
}
END_TEST

START_TEST(test_calloc_zeroes)
{
    unsigned char *p = dm_calloc(100, 3);
    size_t i;

    ck_assert_ptr_nonnull(p);
    for (i = 0; i < 300; i++)
        ck_assert_uint_eq(p[i], 0);
    dm_free(p);
}
END_TEST

START_TEST(test_overflow_checked)
{
    size_t before = dm_alloc_count();
    char *p = dm_malloc(16), *q;

    ck_assert_ptr_null(dm_calloc(SIZE_MAX / 2 + 1, 2));
    ck_assert_ptr_null(dm_calloc(2, SIZE_MAX / 2 + 1));
    memcpy(p, "fifteen chars!!", 16);
    q = dm_reallocarray(p, SIZE_MAX / 4 + 1, 4);
    ck_assert_ptr_null(q);
    /* p is still ours and unchanged */
    ck_assert_str_eq(p, "fifteen chars!!");
    q = dm_reallocarray(p, 8, 4);
    ck_assert_ptr_nonnull(q);
    ck_assert_str_eq(q, "fifteen chars!!");
    /* overflowing requests are refused before they count as attempts */
    ck_assert_uint_eq(dm_alloc_count() - before, 2);
    dm_free(q);
}
END_TEST

START_TEST(test_strdup)
{
    char *a = dm_strdup("escrow"), *b = dm_strndup("escrow", 3);
    char *c = dm_strndup("ab", 10), *e = dm_strdup("");

    ck_assert_str_eq(a, "escrow");
    ck_assert_str_eq(b, "esc");
    ck_assert_str_eq(c, "ab");
    ck_assert_str_eq(e, "");
    dm_free(a);
    dm_free(b);
    dm_free(c);
    dm_free(e);
}
END_TEST

START_TEST(test_count_and_return_value)
{
    size_t before, made;
    void *p[5];
    int i;

    dm_alloc_fail_at(0, 0);
    before = dm_alloc_count();
    p[0] = dm_malloc(1);
    p[1] = dm_calloc(1, 1);
    p[2] = dm_realloc(NULL, 1);
    p[3] = dm_strdup("x");
    p[4] = dm_reallocarray(NULL, 2, 2);
    ck_assert_uint_eq(dm_alloc_count() - before, 5);
    made = dm_alloc_fail_at(0, 0);
    ck_assert_uint_eq(made, 5);
    ck_assert_uint_eq(dm_alloc_fail_at(0, 0), 0);
    for (i = 0; i < 5; i++) {
        ck_assert_ptr_nonnull(p[i]);
        dm_free(p[i]);
    }
    dm_free(NULL); /* frees are not allocations */
    ck_assert_uint_eq(dm_alloc_fail_at(0, 0), 0);
}
END_TEST

START_TEST(test_fail_nth_once)
{
    void *p[5];
    int i;

    dm_alloc_fail_at(3, 0);
    for (i = 0; i < 5; i++)
        p[i] = dm_malloc(8);
    ck_assert_ptr_nonnull(p[0]);
    ck_assert_ptr_nonnull(p[1]);
    ck_assert_ptr_null(p[2]);
    ck_assert_ptr_nonnull(p[3]);
    ck_assert_ptr_nonnull(p[4]);
    ck_assert_uint_eq(dm_alloc_fail_at(0, 0), 5);
    for (i = 0; i < 5; i++)
        dm_free(p[i]);
}
END_TEST

START_TEST(test_fail_first)
{
    char *s;
    void *r;

    dm_alloc_fail_at(1, 0);
    s = dm_strdup("x");
    ck_assert_ptr_null(s);
    s = dm_strdup("x");
    ck_assert_str_eq(s, "x");
    /* a failed realloc keeps the block */
    dm_alloc_fail_at(1, 0);
    r = dm_realloc(s, 4096);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(s, "x");
    dm_alloc_fail_at(1, 0);
    ck_assert_ptr_null(dm_calloc(2, 2));
    dm_alloc_fail_at(1, 0);
    ck_assert_ptr_null(dm_reallocarray(NULL, 2, 2));
    dm_free(s);
}
END_TEST

START_TEST(test_fail_sticky)
{
    void *p[4];
    int i;

    dm_alloc_fail_at(2, 1);
    for (i = 0; i < 4; i++)
        p[i] = dm_malloc(8);
    ck_assert_ptr_nonnull(p[0]);
    ck_assert_ptr_null(p[1]);
    ck_assert_ptr_null(p[2]);
    ck_assert_ptr_null(p[3]);
    ck_assert_uint_eq(dm_alloc_fail_at(0, 0), 4);
    p[1] = dm_malloc(8); /* disabled again */
    ck_assert_ptr_nonnull(p[1]);
    dm_free(p[0]);
    dm_free(p[1]);
}
END_TEST

/* The loop the other suites use: learn how many allocations an operation
 * makes, then fail each one in turn and expect a clean failure. */
static int
three_allocs(char **out)
{
    char *a = NULL, *b = NULL, *c = NULL;
    int ok = 0;

    a = dm_strdup("a");
    if (a == NULL)
        goto out;
    b = dm_malloc(2);
    if (b == NULL)
        goto out;
    c = dm_calloc(1, 3);
    if (c == NULL)
        goto out;
    memcpy(c, "c", 2);
    *out = c;
    c = NULL;
    ok = 1;
out:
    dm_free(a);
    dm_free(b);
    dm_free(c);
    return ok;
}

START_TEST(test_failure_loop)
{
    char *out = NULL;
    size_t count, n;

    dm_alloc_fail_at(0, 0);
    ck_assert_int_eq(three_allocs(&out), 1);
    dm_free(out);
    count = dm_alloc_fail_at(0, 0);
    ck_assert_uint_eq(count, 3);
    for (n = 1; n <= count; n++) {
        out = NULL;
        dm_alloc_fail_at(n, 1);
        ck_assert_int_eq(three_allocs(&out), 0);
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(dm_alloc_fail_at(0, 0), n);
    }
}
END_TEST

START_TEST(test_hook_shapes)
{
    void *p = as_malloc(4);

    ck_assert_ptr_nonnull(p);
    as_free(p);
}
END_TEST

Suite *
alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc;

    tc = tcase_create("basics");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_zero_sizes_are_not_null);
    tcase_add_test(tc, test_calloc_zeroes);
    tcase_add_test(tc, test_strdup);
    tcase_add_test(tc, test_hook_shapes);
    suite_add_tcase(s, tc);

    tc = tcase_create("overflow");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_overflow_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("injection");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_count_and_return_value);
    tcase_add_test(tc, test_fail_nth_once);
    tcase_add_test(tc, test_fail_first);
    tcase_add_test(tc, test_fail_sticky);
    tcase_add_test(tc, test_failure_loop);
    suite_add_tcase(s, tc);
    return s;
}
