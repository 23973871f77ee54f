/* test_json.c - the lazy element parser against cJSON, and the buffered JSON writer. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/diag.h"
#include "json.h"
#include "json_write.h"

static void
reset(void)
{
    dm_alloc_fail_at(0, 0);
}

/* ---- lazy elements: the arena tree is the tree cJSON builds ---- */

/* Elements of a "users" array, each a case the arena parser must decode as
 * cJSON does: escapes (surrogate pairs too), numbers, literals, nesting,
 * empty containers, duplicate members, other types at the top. */
static const char *const elements[] = {
    "{\"id\": \"alice\", \"region\": \"UK\", \"devices\": 2, \"items\": [\"photos\", \"notes\"]}",
    "{\"id\": \"a\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001z\", \"x\": \"\\u20ac\"}",
    "{\"n\": -1.5e3, \"m\": 0, \"k\": 1E+2, \"j\": 0.000001, \"i\": 12345678901234567890}",
    "{\"t\": true, \"f\": false, \"z\": null}",
    "{\"o\": {}, \"a\": [], \"d\": [1, {\"x\": [2, \"y\", [[]]]}]}",
    "{\"id\": \"x\", \"id\": \"y\"}",
    "\"just a string\"",
    "42",
    "[ 1 , 2 ,\n\t3 ]",
    "{}",
    "{ \"spaced\" :\r\n  \"out\" }",
    "{\"utf8\": \"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}",
};

#define N_ELEMENTS (sizeof elements / sizeof elements[0])

/* The same tree: types, names, strings, numbers, offsets, links. */
static void
same_tree(const cJSON *a, const cJSON *b, const char *where)
{
    const cJSON *x, *y;

    ck_assert_msg(a != NULL && b != NULL, "%s: a missing node", where);
    ck_assert_msg((a->type & 0xFF) == (b->type & 0xFF), "%s: type %d vs %d", where,
                  a->type & 0xFF, b->type & 0xFF);
    ck_assert_msg((a->string == NULL) == (b->string == NULL), "%s: member name", where);
    if (a->string != NULL)
        ck_assert_str_eq(a->string, b->string);
    ck_assert_msg((a->valuestring == NULL) == (b->valuestring == NULL), "%s: string", where);
    if (a->valuestring != NULL)
        ck_assert_str_eq(a->valuestring, b->valuestring);
    ck_assert_msg(memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0,
                  "%s: number %.17g vs %.17g", where, a->valuedouble, b->valuedouble);
    ck_assert_msg(dm_json_offset(a) == dm_json_offset(b), "%s: offset %zu vs %zu", where,
                  dm_json_offset(a), dm_json_offset(b));
    if (a->child != NULL) {
        ck_assert_msg(b->child != NULL, "%s: children", where);
        /* cJSON points the first child's prev at the last. */
        for (x = a->child; x->next != NULL; x = x->next)
            ;
        for (y = b->child; y->next != NULL; y = y->next)
            ;
        ck_assert_msg(a->child->prev != NULL && b->child->prev != NULL, "%s: prev", where);
        same_tree(a->child->prev, x, where);
        same_tree(b->child->prev, y, where);
    }
    for (x = a->child, y = b->child; x != NULL || y != NULL; x = x->next, y = y->next) {
        ck_assert_msg(x != NULL && y != NULL, "%s: member count", where);
        same_tree(x, y, where);
    }
}

/* {"users": [e0, e1, ...]} for the elements [from, to), repeated `times`. */
static char *
document(size_t from, size_t to, size_t times, size_t *len)
{
    size_t cap = 64, n = 0, i, k;
    char *t;

    for (k = 0; k < times; k++)
        for (i = from; i < to; i++)
            cap += strlen(elements[i]) + 4;
    t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    n += (size_t)sprintf(t + n, "{\"title\": \"t\", \"users\": [");
    for (k = 0; k < times; k++)
        for (i = from; i < to; i++)
            n += (size_t)sprintf(t + n, "%s%s", k + i == from ? "" : ",\n  ", elements[i]);
    n += (size_t)sprintf(t + n, "]}");
    *len = n;
    return t;
}

static const char *const lazy_users[] = {"users", NULL};

/* Every element read lazily equals the same element in cJSON's full tree,
 * and the previous element stays valid while the next is read. */
START_TEST(test_lazy_matches_cjson)
{
    size_t len, n = 0;
    char *text = document(0, N_ELEMENTS, 3, &len);
    cJSON *full = NULL, *lazy = NULL, *e = NULL, *prev = NULL;
    const cJSON *users, *ref, *ref_prev = NULL;
    dm_json_iter it;
    dm_diag d;

    dm_diag_init(&d, "t.json", text, len);
    ck_assert_int_eq(dm_json_parse(text, len, &full, &d), DM_OK);
    ck_assert_int_eq(dm_json_parse_lazy(text, len, lazy_users, &lazy, &d), DM_OK);
    users = cJSON_GetObjectItemCaseSensitive(lazy, "users");
    ck_assert(dm_json_is_lazy(users));
    ck_assert_uint_eq(dm_json_count(users), 3 * N_ELEMENTS);
    ref = cJSON_GetObjectItemCaseSensitive(full, "users")->child;
    dm_json_iter_init(&it, text, len, users);
    for (;;) {
        ck_assert_int_eq(dm_json_iter_next(&it, &e), DM_OK);
        if (prev != NULL)
            same_tree(prev, ref_prev, "previous element");
        if (e == NULL)
            break;
        ck_assert_ptr_nonnull(ref);
        same_tree(e, ref, elements[n % N_ELEMENTS]);
        prev = e;
        ref_prev = ref;
        ref = ref->next;
        n++;
    }
    ck_assert_ptr_null(ref);
    ck_assert_uint_eq(n, 3 * N_ELEMENTS);
    dm_json_iter_free(&it);
    cJSON_Delete(full);
    cJSON_Delete(lazy);
    dm_diag_clear(&d);
    free(text);
}
END_TEST

/* Elements bigger than an arena block, and many small ones after them:
 * blocks are added and reused. */
START_TEST(test_lazy_big_elements)
{
    size_t big = 200000, len, i, n = 0;
    char *text = malloc(2 * big + 100000);
    cJSON *lazy = NULL, *e = NULL;
    const cJSON *users;
    dm_json_iter it;
    dm_diag d;

    ck_assert_ptr_nonnull(text);
    len = (size_t)sprintf(text, "{\"users\": [\"");
    memset(text + len, 'a', big);
    len += big;
    len += (size_t)sprintf(text + len, "\", [");
    for (i = 0; i < 5000; i++)
        len += (size_t)sprintf(text + len, "%s{\"k\": %zu}", i ? "," : "", i);
    len += (size_t)sprintf(text + len, "], {\"s\": \"b\\u00e9\"}]}");
    dm_diag_init(&d, "t.json", text, len);
    ck_assert_int_eq(dm_json_parse_lazy(text, len, lazy_users, &lazy, &d), DM_OK);
    users = cJSON_GetObjectItemCaseSensitive(lazy, "users");
    ck_assert_uint_eq(dm_json_count(users), 3);
    dm_json_iter_init(&it, text, len, users);
    for (;;) {
        ck_assert_int_eq(dm_json_iter_next(&it, &e), DM_OK);
        if (e == NULL)
            break;
        if (n == 0) {
            ck_assert(cJSON_IsString(e));
            ck_assert_uint_eq(strlen(e->valuestring), big);
        } else if (n == 1) {
            const cJSON *c = e->child;
            for (i = 0; c != NULL; c = c->next, i++)
                ck_assert_double_eq(c->child->valuedouble, (double)i);
            ck_assert_uint_eq(i, 5000);
        } else {
            ck_assert_str_eq(e->child->valuestring, "b\xc3\xa9");
        }
        n++;
    }
    ck_assert_uint_eq(n, 3);
    dm_json_iter_free(&it);
    cJSON_Delete(lazy);
    dm_diag_clear(&d);
    free(text);
}
END_TEST

/* Failing any allocation of the walk is DM_ERR_NOMEM; nothing leaks
 * (make valgrind, make check-san). */
START_TEST(test_lazy_oom)
{
    size_t len, n, total;
    char *text = document(0, N_ELEMENTS, 2, &len);
    cJSON *lazy = NULL, *e = NULL;
    const cJSON *users;
    dm_json_iter it;
    dm_diag d;
    dm_err err;

    dm_diag_init(&d, "t.json", text, len);
    ck_assert_int_eq(dm_json_parse_lazy(text, len, lazy_users, &lazy, &d), DM_OK);
    users = cJSON_GetObjectItemCaseSensitive(lazy, "users");
    dm_alloc_fail_at(0, 0);
    dm_json_iter_init(&it, text, len, users);
    while ((err = dm_json_iter_next(&it, &e)) == DM_OK && e != NULL)
        ;
    ck_assert_int_eq(err, DM_OK);
    dm_json_iter_free(&it);
    total = dm_alloc_fail_at(0, 0);
    ck_assert_uint_ge(total, 1);
    for (n = 1; n <= total; n++) {
        dm_json_iter_init(&it, text, len, users);
        dm_alloc_fail_at(n, 1);
        while ((err = dm_json_iter_next(&it, &e)) == DM_OK && e != NULL)
            ;
        dm_alloc_fail_at(0, 0);
        ck_assert_int_eq(err, DM_ERR_NOMEM);
        dm_json_iter_free(&it);
    }
    cJSON_Delete(lazy);
    dm_diag_clear(&d);
    free(text);
}
END_TEST

/* ---- the writer ---- */

/* What a writer put into a memory stream, NUL-terminated (free it). */
typedef struct mem {
    FILE *f;
    char *buf;
    size_t len;
} mem;

static void
mem_open(mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    ck_assert_ptr_nonnull(m->f);
}

static char *
mem_close(mem *m)
{
    ck_assert_int_eq(fclose(m->f), 0);
    return m->buf;
}

static const struct {
    const char *in;
    const char *out_short; /* short_escapes set: the run report */
    const char *out_long;  /* not set: diff and trials */
} escape_cases[] = {
    {"plain", "\"plain\"", "\"plain\""},
    {"", "\"\"", "\"\""},
    {"q\"b\\s/", "\"q\\\"b\\\\s/\"", "\"q\\\"b\\\\s/\""},
    {"\n\r\t", "\"\\n\\r\\t\"", "\"\\n\\r\\t\""},
    {"\b\f", "\"\\b\\f\"", "\"\\u0008\\u000c\""},
    {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "\"\\u0001\\u001f\\u007f\""},
    {"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
     "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
    {"\xff" "a\xc3", "\"\\ufffda\\ufffd\"", "\"\\ufffda\\ufffd\""},
    {"\xe0\x80\x80\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"",
     "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""},
};

START_TEST(test_write_escapes)
{
    int mode;

    for (mode = 0; mode < 2; mode++) {
        mem m;
        dm_jw j;
        char *got;
        char want[256];

        mem_open(&m);
        dm_jw_init(&j, m.f);
        j.short_escapes = mode;
        dm_jw_open(&j, '[', 1);
        dm_jw_str(&j, escape_cases[_i].in);
        /* Two pieces write what their concatenation writes. */
        dm_jw_str2(&j, escape_cases[_i].in, ".dk");
        dm_jw_close(&j, ']');
        got = mem_close(&m);
        snprintf(want, sizeof want, "[%s, %.*s.dk\"]\n",
                 mode ? escape_cases[_i].out_short : escape_cases[_i].out_long,
                 (int)strlen(mode ? escape_cases[_i].out_short : escape_cases[_i].out_long) - 1,
                 mode ? escape_cases[_i].out_short : escape_cases[_i].out_long);
        ck_assert_str_eq(got, want);
        free(got);
    }
}
END_TEST

/* A document far larger than the buffer, with pieces that straddle its
 * end, arrives whole and in order when the outermost container closes. */
START_TEST(test_write_large)
{
    size_t i, n = 30000, o = 0;
    char *want = malloc(n * 64 + DM_JW_BUF + 256), *got;
    char *longs = malloc(DM_JW_BUF + 10);
    mem m;
    dm_jw j;

    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(longs);
    memset(longs, 'x', DM_JW_BUF + 9);
    longs[DM_JW_BUF + 9] = '\0';
    mem_open(&m);
    dm_jw_init(&j, m.f);
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "long");
    dm_jw_str(&j, longs);
    dm_jw_key(&j, "list");
    dm_jw_open(&j, '[', 0);
    for (i = 0; i < n; i++) {
        dm_jw_open(&j, '{', 1);
        dm_jw_key(&j, "i");
        dm_jw_u64(&j, (uint64_t)i * 1000003u);
        dm_jw_key(&j, "d");
        dm_jw_i64(&j, -(int64_t)i);
        dm_jw_key(&j, "b");
        dm_jw_bool(&j, (int)(i & 1));
        dm_jw_close(&j, '}');
    }
    dm_jw_close(&j, ']');
    dm_jw_key(&j, "p");
    dm_jw_double(&j, "%.3f", 2.5);
    dm_jw_key(&j, "z");
    dm_jw_null(&j);
    dm_jw_close(&j, '}');
    got = mem_close(&m);

    ck_assert_uint_eq(strlen(got), m.len);
    ck_assert(strncmp(got, "{\n  \"long\": \"xxx", 16) == 0);
    o = 0;
    o += (size_t)sprintf(want + o, "{\n  \"long\": \"%s\",\n  \"list\": [", longs);
    for (i = 0; i < n; i++)
        o += (size_t)sprintf(want + o, "%s\n    {\"i\": %llu, \"d\": %lld, \"b\": %s}",
                             i ? "," : "", (unsigned long long)i * 1000003u, -(long long)i,
                             (i & 1) ? "true" : "false");
    o += (size_t)sprintf(want + o, "\n  ],\n  \"p\": 2.500,\n  \"z\": null\n}\n");
    ck_assert_uint_eq(strlen(got), o);
    ck_assert(memcmp(got, want, o) == 0);
    free(got);
    free(want);
    free(longs);
}
END_TEST

Suite *
json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc;

    tc = tcase_create("lazy");
    tcase_add_checked_fixture(tc, reset, reset);
    tcase_add_test(tc, test_lazy_matches_cjson);
    tcase_add_test(tc, test_lazy_big_elements);
    tcase_add_test(tc, test_lazy_oom);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_loop_test(tc, test_write_escapes, 0,
                        sizeof escape_cases / sizeof escape_cases[0]);
    tcase_add_test(tc, test_write_large);
    suite_add_tcase(s, tc);
    return s;
}
