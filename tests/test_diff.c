/* test_diff.c - exact comparisons of two runs: text and JSON, gained, lost, changed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/diff.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"

static const char json_a[] =
    "{\"doormat\": 1, \"title\": \"A\", \"regions\": [\"UK\", \"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\"]}],\n"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\", \"protection\": \"provider\", \"items\": [\"backup\"]},\n"
    "           {\"id\": \"carl\", \"region\": \"US\", \"provider\": \"cloud\", \"protection\": \"provider\", \"items\": [\"backup\"]}],\n"
    " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"}, {\"id\": \"mallory\", \"kind\": \"attacker\"}],\n"
    " \"events\": [{\"at\": 1, \"do\": \"order\", \"id\": \"o\", \"by\": \"uk-gov\", \"provider\": \"cloud\", \"scope\": {\"users\": [\"alice\"]}}]}\n";

static const char json_b[] =
    "{\"doormat\": 1, \"title\": \"B\", \"regions\": [\"UK\", \"US\", \"DE\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\", \"DE\"]}],\n"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\", \"protection\": \"provider\", \"items\": [\"backup\"]},\n"
    "           {\"id\": \"dora\", \"region\": \"DE\", \"provider\": \"cloud\", \"protection\": \"provider\", \"count\": 5, \"items\": [\"backup\"]}],\n"
    " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"}, {\"id\": \"eve\", \"kind\": \"attacker\"}],\n"
    " \"events\": [{\"at\": 1, \"do\": \"travel\", \"user\": \"alice\", \"region\": \"US\"},\n"
    "            {\"at\": 2, \"do\": \"order\", \"id\": \"o\", \"by\": \"uk-gov\", \"provider\": \"cloud\", \"scope\": \"all\"}]}\n";

static const char expect_adp_standard[] =
    "doormat diff: what B changes compared with A\n"
    "  A  scenarios/adp.json (after t=2): Advanced Data Protection: a UK order finds only ciphertext\n"
    "  B  scenarios/standard.json (after t=1): Standard protection: the provider holds the keys\n"
    "\n"
    "EXPOSED PEOPLE, WITH THE BACKDOORS\n"
    "  region  A            B        change  beyond law A  beyond law B  change\n"
    "  UK      0   30,000,001   +30,000,001             0             0       0\n"
    "  US      0  100,000,001  +100,000,001             0             1      +1\n"
    "  FR      0            1            +1             0             0       0\n"
    "  all     0  130,000,003  +130,000,003             0             1      +1\n"
    "\n"
    "EXPOSED PEOPLE, WITHOUT THEM\n"
    "  region  A            B        change  beyond law A  beyond law B  change\n"
    "  UK      0   30,000,001   +30,000,001             0             0       0\n"
    "  US      0  100,000,001  +100,000,001             0             1      +1\n"
    "  FR      0            1            +1             0             0       0\n"
    "  all     0  130,000,003  +130,000,003             0             1      +1\n"
    "\n"
    "READS, BY ACTOR (+ only B reaches it, - only A, ~ class changed)\n"
    "  cloud (provider)\n"
    "    + alice/backup      custodian\n"
    "    + bob/backup        custodian\n"
    "    + chloe/backup      custodian\n"
    "    + uk-public/backup  custodian\n"
    "    + us-public/backup  custodian\n"
    "    + chat/messages     custodian\n"
    "  uk-gov (government)\n"
    "    + alice/backup      lawful\n"
    "    + uk-public/backup  lawful\n"
    "    + chat/messages     collateral\n"
    "  unchanged: mallory.\n";

static const char expect_ab_text[] =
    "doormat diff: what B changes compared with A\n"
    "  A  a.json (after t=1): A\n"
    "  B  b.json (after t=2): B\n"
    "\n"
    "EXPOSED PEOPLE, WITH THE BACKDOORS\n"
    "  region  A  B  change  beyond law A  beyond law B  change\n"
    "  UK      1  0      -1             0             0       0\n"
    "  US      1  1       0             0             1      +1\n"
    "  DE      0  5      +5             0             5      +5\n"
    "  all     2  6      +4             0             6      +6\n"
    "\n"
    "EXPOSED PEOPLE, WITHOUT THEM\n"
    "  region  A  B  change  beyond law A  beyond law B  change\n"
    "  UK      1  0      -1             0             0       0\n"
    "  US      1  1       0             0             1      +1\n"
    "  DE      0  5      +5             0             5      +5\n"
    "  all     2  6      +4             0             6      +6\n"
    "\n"
    "READS, BY ACTOR (+ only B reaches it, - only A, ~ class changed)\n"
    "  cloud (provider)\n"
    "    + dora/backup  custodian\n"
    "    - carl/backup  custodian\n"
    "  uk-gov (government)\n"
    "    + dora/backup   collateral\n"
    "    ~ alice/backup  lawful -> collateral\n"
    "  unchanged: mallory, eve.\n";

static const char expect_ab_json[] =
    "{\n"
    "  \"format\": \"doormat-diff\",\n"
    "  \"version\": 1,\n"
    "  \"a\": {\n"
    "    \"file\": \"a.json\",\n"
    "    \"scenario\": \"A\",\n"
    "    \"at\": 1,\n"
    "    \"people\": 2\n"
    "  },\n"
    "  \"b\": {\n"
    "    \"file\": \"b.json\",\n"
    "    \"scenario\": \"B\",\n"
    "    \"at\": 2,\n"
    "    \"people\": 6\n"
    "  },\n"
    "  \"exposure\": {\n"
    "    \"with\": {\n"
    "      \"a\": {\"users\": 2, \"beyond_law\": 0},\n"
    "      \"b\": {\"users\": 6, \"beyond_law\": 6},\n"
    "      \"delta\": {\"users\": 4, \"beyond_law\": 6},\n"
    "      \"by_region\": {\n"
    "        \"UK\": {\"a\": {\"users\": 1, \"beyond_law\": 0}, \"b\": {\"users\": 0, \"beyond_law\": 0}, \"delta\": {\"users\": -1, \"beyond_law\": 0}},\n"
    "        \"US\": {\"a\": {\"users\": 1, \"beyond_law\": 0}, \"b\": {\"users\": 1, \"beyond_law\": 1}, \"delta\": {\"users\": 0, \"beyond_law\": 1}},\n"
    "        \"DE\": {\"a\": null, \"b\": {\"users\": 5, \"beyond_law\": 5}, \"delta\": {\"users\": 5, \"beyond_law\": 5}}\n"
    "      }\n"
    "    },\n"
    "    \"without\": {\n"
    "      \"a\": {\"users\": 2, \"beyond_law\": 0},\n"
    "      \"b\": {\"users\": 6, \"beyond_law\": 6},\n"
    "      \"delta\": {\"users\": 4, \"beyond_law\": 6},\n"
    "      \"by_region\": {\n"
    "        \"UK\": {\"a\": {\"users\": 1, \"beyond_law\": 0}, \"b\": {\"users\": 0, \"beyond_law\": 0}, \"delta\": {\"users\": -1, \"beyond_law\": 0}},\n"
    "        \"US\": {\"a\": {\"users\": 1, \"beyond_law\": 0}, \"b\": {\"users\": 1, \"beyond_law\": 1}, \"delta\": {\"users\": 0, \"beyond_law\": 1}},\n"
    "        \"DE\": {\"a\": null, \"b\": {\"users\": 5, \"beyond_law\": 5}, \"delta\": {\"users\": 5, \"beyond_law\": 5}}\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"actors\": [\n"
    "    {\n"
    "      \"id\": \"cloud\",\n"
    "      \"kind\": \"provider\",\n"
    "      \"in\": \"both\",\n"
    "      \"gained\": [\n"
    "        {\"item\": \"dora/backup\", \"owners\": [\"dora\"], \"class\": \"custodian\"}\n"
    "      ],\n"
    "      \"changed\": [],\n"
    "      \"lost\": [\n"
    "        {\"item\": \"carl/backup\", \"owners\": [\"carl\"], \"class\": \"custodian\"}\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"uk-gov\",\n"
    "      \"kind\": \"government\",\n"
    "      \"in\": \"both\",\n"
    "      \"gained\": [\n"
    "        {\"item\": \"dora/backup\", \"owners\": [\"dora\"], \"class\": \"collateral\"}\n"
    "      ],\n"
    "      \"changed\": [\n"
    "        {\"item\": \"alice/backup\", \"owners\": [\"alice\"], \"from\": \"lawful\", \"to\": \"collateral\"}\n"
    "      ],\n"
    "      \"lost\": []\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"mallory\",\n"
    "      \"kind\": \"attacker\",\n"
    "      \"in\": \"a\",\n"
    "      \"gained\": [],\n"
    "      \"changed\": [],\n"
    "      \"lost\": []\n"
    "    },\n"
    "    {\n"
    "      \"id\": \"eve\",\n"
    "      \"kind\": \"attacker\",\n"
    "      \"in\": \"b\",\n"
    "      \"gained\": [],\n"
    "      \"changed\": [],\n"
    "      \"lost\": []\n"
    "    }\n"
    "  ]\n"
    "}\n";

typedef struct side {
    dm_scenario *s;
    dm_run *r;
} side;

static void side_text(side *x, const char *json, const char *file, int has_at, int64_t at)
{
    dm_run_opts o = {0};
    dm_diag d;

    dm_diag_init(&d, file, json, strlen(json));
    ck_assert_int_eq(dm_scenario_load(json, strlen(json), file, &x->s, &d), DM_OK);
    o.has_at = has_at;
    o.at = at;
    ck_assert_int_eq(dm_run_scenario(x->s, &o, &x->r, &d), DM_OK);
    dm_diag_clear(&d);
}

static void side_file(side *x, const char *path)
{
    dm_run_opts o = {0};
    dm_diag d;

    dm_diag_init(&d, path, NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file(path, &x->s, NULL, NULL, &d), DM_OK);
    ck_assert_int_eq(dm_run_scenario(x->s, &o, &x->r, &d), DM_OK);
    dm_diag_clear(&d);
}

static void side_free(side *x)
{
    dm_run_free(x->r);
    dm_scenario_free(x->s);
}

/* Write the diff of b against a; returns the text (free()). */
static char *render(const side *a, const side *b, int json, const char *fa, const char *fb)
{
    dm_diff *d = NULL;
    dm_diff_opts o = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(dm_diff_compute(a->r, b->r, &d), DM_OK);
    o.file_a = fa;
    o.file_b = fb;
    ck_assert_int_eq(json ? dm_diff_json(d, &o, f) : dm_diff_text(d, &o, f), DM_OK);
    fclose(f);
    dm_diff_free(d);
    return buf;
}

START_TEST(adp_vs_standard)
{
    side a, b;
    char *t;

    side_file(&a, "scenarios/adp.json");
    side_file(&b, "scenarios/standard.json");
    t = render(&a, &b, 0, NULL, NULL);
    ck_assert_str_eq(t, expect_adp_standard);
    free(t);
    side_free(&a);
    side_free(&b);
}
END_TEST

START_TEST(pair_text_and_json)
{
    side a, b;
    char *t;

    side_text(&a, json_a, "a.json", 0, 0);
    side_text(&b, json_b, "b.json", 0, 0);
    t = render(&a, &b, 0, NULL, NULL);
    ck_assert_str_eq(t, expect_ab_text);
    free(t);
    t = render(&a, &b, 1, NULL, NULL);
    ck_assert_str_eq(t, expect_ab_json);
    free(t);
    side_free(&a);
    side_free(&b);
}
END_TEST

/* The structure itself: kinds, classes, sides, regions. */
START_TEST(pair_structure)
{
    side a, b;
    dm_diff *d = NULL;
    const dm_diff_actor *cloud, *gov;

    side_text(&a, json_a, "a.json", 0, 0);
    side_text(&b, json_b, "b.json", 0, 0);
    ck_assert_int_eq(dm_diff_compute(a.r, b.r, &d), DM_OK);
    ck_assert_uint_eq(d->n_actors, 4);
    cloud = &d->actors[0];
    gov = &d->actors[1];
    ck_assert_str_eq(cloud->id, "cloud");
    ck_assert_uint_eq(cloud->n_changes, 2);
    ck_assert_int_eq(cloud->changes[0].kind, DM_DIFF_GAINED);
    ck_assert_str_eq(cloud->changes[0].item, "dora/backup");
    ck_assert_int_eq(cloud->changes[0].cls_a, -1);
    ck_assert_int_eq(cloud->changes[0].cls_b, DM_CLASS_CUSTODIAN);
    ck_assert_int_eq(cloud->changes[1].kind, DM_DIFF_LOST);
    ck_assert_str_eq(cloud->changes[1].item, "carl/backup");
    ck_assert_int_eq(cloud->changes[1].cls_b, -1);
    ck_assert_str_eq(gov->id, "uk-gov");
    ck_assert_uint_eq(gov->n_changes, 2);
    ck_assert_int_eq(gov->changes[1].kind, DM_DIFF_CHANGED);
    ck_assert_int_eq(gov->changes[1].cls_a, DM_CLASS_LAWFUL);
    ck_assert_int_eq(gov->changes[1].cls_b, DM_CLASS_COLLATERAL);
    ck_assert_str_eq(d->actors[2].id, "mallory");
    ck_assert(d->actors[2].in_a && !d->actors[2].in_b);
    ck_assert_str_eq(d->actors[3].id, "eve");
    ck_assert(!d->actors[3].in_a && d->actors[3].in_b);
    ck_assert_uint_eq(d->n_regions, 3);
    ck_assert_str_eq(d->regions[2].name, "DE");
    ck_assert(!d->regions[2].in_a && d->regions[2].in_b);
    ck_assert_uint_eq(d->regions[2].with_b.users, 5);
    ck_assert_uint_eq(d->regions[2].with_b.beyond_law, 5);
    dm_diff_free(d);
    side_free(&a);
    side_free(&b);
}
END_TEST

/* A run compared with itself: no change anywhere. */
START_TEST(self)
{
    side a, b;
    dm_diff *d = NULL;
    size_t i;
    char *t;

    side_file(&a, "scenarios/tcn-global.json");
    side_file(&b, "scenarios/tcn-global.json");
    ck_assert_int_eq(dm_diff_compute(a.r, b.r, &d), DM_OK);
    for (i = 0; i < d->n_actors; i++)
        ck_assert_uint_eq(d->actors[i].n_changes, 0);
    dm_diff_free(d);
    t = render(&a, &b, 0, "x", "y");
    ck_assert_ptr_nonnull(strstr(t, "  no actor reads anything differently.\n"
                                    "  unchanged: cloud, uk-gov, mallory.\n"));
    free(t);
    side_free(&a);
    side_free(&b);
}
END_TEST

START_TEST(oom)
{
    side a, b;
    size_t n, total;

    side_text(&a, json_a, "a.json", 0, 0);
    side_text(&b, json_b, "b.json", 0, 0);
    dm_alloc_fail_at(0, 0);
    {
        dm_diff *d = NULL;
        ck_assert_int_eq(dm_diff_compute(a.r, b.r, &d), DM_OK);
        dm_diff_free(d);
    }
    total = dm_alloc_fail_at(0, 0);
    for (n = 1; n <= total; n++) {
        dm_diff *d = NULL;
        dm_err e;
        dm_alloc_fail_at(n, 1);
        e = dm_diff_compute(a.r, b.r, &d);
        dm_alloc_fail_at(0, 0);
        ck_assert_int_eq(e, DM_ERR_NOMEM);
        ck_assert_ptr_null(d);
    }
    side_free(&a);
    side_free(&b);
}
END_TEST

Suite *diff_suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc;

    tc = tcase_create("exact");
    tcase_add_test(tc, adp_vs_standard);
    tcase_add_test(tc, pair_text_and_json);
    suite_add_tcase(s, tc);
    tc = tcase_create("structure");
    tcase_add_test(tc, pair_structure);
    tcase_add_test(tc, self);
    suite_add_tcase(s, tc);
    tc = tcase_create("oom");
    tcase_add_test(tc, oom);
    suite_add_tcase(s, tc);
    return s;
}
