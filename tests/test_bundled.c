/* test_bundled.c - the exact outcome of every bundled scenario (scenarios/README.md). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"

/* One expected reach: actor, item, class.  A scenario's list is complete:
 * every actor reaches exactly the items listed for it. */
typedef struct want_reach {
    const char *actor, *item, *cls;
} want_reach;

/* Exposure by region: UK, US, FR (users, beyond_law). */
typedef struct want_exp {
    uint64_t users, beyond;
    uint64_t uk[2], us[2], fr[2];
} want_exp;

typedef struct bundled {
    const char *file;
    int has_at;
    int64_t at;
    const char *actors[6];     /* every actor listed in the report, in order */
    want_reach reaches[24];
    want_exp with, without;
    uint64_t owner_only;
} bundled;

static const bundled cases[] = {
    {"scenarios/adp.json", 0, 0,
     {"cloud", "uk-gov", "mallory"},
     {{NULL, NULL, NULL}},
     {0, 0, {0, 0}, {0, 0}, {0, 0}},
     {0, 0, {0, 0}, {0, 0}, {0, 0}},
     130000003},
    {"scenarios/standard.json", 0, 0,
     {"cloud", "uk-gov"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "bob/backup", "custodian"},
      {"cloud", "chloe/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "us-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {"uk-gov", "alice/backup", "lawful"},
      {"uk-gov", "uk-public/backup", "lawful"},
      {"uk-gov", "chat/messages", "collateral"},
      {NULL, NULL, NULL}},
     {130000003, 1, {30000001, 0}, {100000001, 1}, {1, 0}},
     {130000003, 1, {30000001, 0}, {100000001, 1}, {1, 0}},
     130000003},
    {"scenarios/adp-withdrawn-uk.json", 0, 0,
     {"cloud", "uk-gov"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {"uk-gov", "alice/backup", "lawful"},
      {"uk-gov", "uk-public/backup", "lawful"},
      {"uk-gov", "chat/messages", "collateral"},
      {NULL, NULL, NULL}},
     {30000002, 1, {30000001, 0}, {1, 1}, {0, 0}},
     {30000002, 1, {30000001, 0}, {1, 1}, {0, 0}},
     130000003},
    {"scenarios/adp-withdrawn-uk.json", 1, 1,
     {"cloud", "uk-gov"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {NULL, NULL, NULL}},
     {30000002, 0, {30000001, 0}, {1, 0}, {0, 0}},
     {30000002, 0, {30000001, 0}, {1, 0}, {0, 0}},
     130000003},
    {"scenarios/tcn-global.json", 0, 0,
     {"cloud", "uk-gov", "mallory"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "bob/backup", "custodian"},
      {"cloud", "chloe/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "us-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {"uk-gov", "alice/backup", "lawful"},
      {"uk-gov", "uk-public/backup", "lawful"},
      {"uk-gov", "bob/backup", "collateral"},
      {"uk-gov", "chloe/backup", "collateral"},
      {"uk-gov", "us-public/backup", "collateral"},
      {"uk-gov", "chat/messages", "collateral"},
      {"mallory", "alice/backup", "unlawful"},
      {"mallory", "bob/backup", "unlawful"},
      {"mallory", "chloe/backup", "unlawful"},
      {"mallory", "uk-public/backup", "unlawful"},
      {"mallory", "us-public/backup", "unlawful"},
      {"mallory", "chat/messages", "unlawful"},
      {NULL, NULL, NULL}},
     {130000003, 130000003, {30000001, 30000001}, {100000001, 100000001}, {1, 1}},
     {0, 0, {0, 0}, {0, 0}, {0, 0}},
     130000003},
    {"scenarios/tcn-global.json", 1, 3,
     {"cloud", "uk-gov", "mallory"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "bob/backup", "custodian"},
      {"cloud", "chloe/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "us-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {"uk-gov", "alice/backup", "lawful"},
      {"uk-gov", "uk-public/backup", "lawful"},
      {"uk-gov", "bob/backup", "collateral"},
      {"uk-gov", "chloe/backup", "collateral"},
      {"uk-gov", "us-public/backup", "collateral"},
      {"uk-gov", "chat/messages", "collateral"},
      {NULL, NULL, NULL}},
     {130000003, 100000002, {30000001, 0}, {100000001, 100000001}, {1, 1}},
     {0, 0, {0, 0}, {0, 0}, {0, 0}},
     130000003},
    {"scenarios/tcn-uk-only.json", 0, 0,
     {"cloud", "uk-gov", "mallory", "eve"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "dave/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {"uk-gov", "alice/backup", "lawful"},
      {"uk-gov", "uk-public/backup", "lawful"},
      {"uk-gov", "dave/backup", "collateral"},
      {"uk-gov", "chat/messages", "collateral"},
      {"mallory", "alice/backup", "unlawful"},
      {"mallory", "dave/backup", "unlawful"},
      {"mallory", "uk-public/backup", "unlawful"},
      {"mallory", "chat/messages", "unlawful"},
      {NULL, NULL, NULL}},
     {30000003, 30000003, {30000001, 30000001}, {2, 2}, {0, 0}},
     {0, 0, {0, 0}, {0, 0}, {0, 0}},
     130000004},
    {"scenarios/tcn-uk-only.json", 1, 5,
     {"cloud", "uk-gov", "mallory", "eve"},
     {{"cloud", "alice/backup", "custodian"},
      {"cloud", "dave/backup", "custodian"},
      {"cloud", "uk-public/backup", "custodian"},
      {"cloud", "chat/messages", "custodian"},
      {"uk-gov", "alice/backup", "lawful"},
      {"uk-gov", "uk-public/backup", "lawful"},
      {"uk-gov", "dave/backup", "collateral"},
      {"uk-gov", "chat/messages", "collateral"},
      {NULL, NULL, NULL}},
     {30000003, 2, {30000001, 0}, {2, 2}, {0, 0}},
     {0, 0, {0, 0}, {0, 0}, {0, 0}},
     130000004},
};

static const dm_actor_result *find_actor(const dm_run *r, const char *id)
{
    size_t i;
    for (i = 0; i < r->n_actors; i++)
        if (strcmp(dm_world_party_id(r->w, r->actors[i].party), id) == 0)
            return &r->actors[i];
    return NULL;
}

static void check_exp(const dm_run *r, const dm_exposure *x, const want_exp *w, const char *what)
{
    const uint64_t *by[3] = {w->uk, w->us, w->fr};
    const char *names[3] = {"UK", "US", "FR"};
    size_t i, j;
    ck_assert_msg(x->users == w->users, "%s users %llu", what, (unsigned long long)x->users);
    ck_assert_msg(x->beyond_law == w->beyond, "%s beyond %llu", what, (unsigned long long)x->beyond_law);
    for (j = 0; j < 3; j++)
        for (i = 0; i < r->sc->n_regions; i++)
            if (strcmp(r->sc->regions[i], names[j]) == 0) {
                ck_assert_msg(x->by_region[i].users == by[j][0], "%s %s users", what, names[j]);
                ck_assert_msg(x->by_region[i].beyond_law == by[j][1], "%s %s beyond", what, names[j]);
            }
}

/* The closure finds a static ciphertext's witness by binary search: every
 * store's static slice ascends by ciphertext id (world.h). */
static void check_slices(const dm_world *w, const char *file)
{
    size_t i;
    uint32_t j;
    for (i = 0; w && i < w->n_stores; i++) {
        const uint32_t *f = w->static_facts + w->stores[i].static_off;
        for (j = 1; j < w->stores[i].n_static; j++)
            ck_assert_msg(f[j - 1] <= f[j], "%s: store %zu: slice not ascending at %u", file, i, j);
    }
}

START_TEST(bundled_outcome)
{
    const bundled *b = &cases[_i];
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_run_opts o = {0};
    dm_diag d;
    size_t i, j, n_actors = 0;
    dm_diag_init(&d, b->file, NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file(b->file, &s, NULL, NULL, &d), DM_OK);
    o.has_at = b->has_at;
    o.at = b->at;
    ck_assert_int_eq(dm_run_scenario(s, &o, &r, &d), DM_OK);
    /* The listed actors, in order: providers, then declared actors. */
    while (n_actors < 6 && b->actors[n_actors])
        n_actors++;
    ck_assert_uint_eq(r->n_actors, n_actors);
    for (i = 0; i < n_actors; i++)
        ck_assert_str_eq(dm_world_party_id(r->w, r->actors[i].party), b->actors[i]);
    /* Every reach expected is there with its class, and nothing else. */
    for (i = 0; i < r->n_actors; i++) {
        const dm_actor_result *a = &r->actors[i];
        const char *id = dm_world_party_id(r->w, a->party);
        size_t want = 0;
        for (j = 0; b->reaches[j].actor; j++)
            if (strcmp(b->reaches[j].actor, id) == 0)
                want++;
        ck_assert_msg(a->n_reaches == want, "%s %s: %zu reaches, want %zu", b->file, id,
                      a->n_reaches, want);
    }
    for (j = 0; b->reaches[j].actor; j++) {
        const dm_actor_result *a = find_actor(r, b->reaches[j].actor);
        int found = 0;
        ck_assert_ptr_nonnull(a);
        for (i = 0; i < a->n_reaches; i++)
            if (strcmp(r->w->items[a->reaches[i].item].name, b->reaches[j].item) == 0) {
                found = 1;
                ck_assert_msg(strcmp(dm_class_name((dm_class)a->reaches[i].cls), b->reaches[j].cls) == 0,
                              "%s: %s reaches %s as %s, want %s", b->file, b->reaches[j].actor,
                              b->reaches[j].item, dm_class_name((dm_class)a->reaches[i].cls),
                              b->reaches[j].cls);
            }
        ck_assert_msg(found, "%s: %s does not reach %s", b->file, b->reaches[j].actor,
                      b->reaches[j].item);
    }
    check_slices(r->w, b->file);
    check_slices(r->cf_w, b->file);
    check_exp(r, &r->with, &b->with, "with");
    check_exp(r, &r->without, &b->without, "without");
    ck_assert_uint_eq(r->owner_only_users, b->owner_only);
    dm_run_free(r);
    dm_scenario_free(s);
    dm_diag_clear(&d);
}
END_TEST

Suite *bundled_suite(void)
{
    Suite *s = suite_create("bundled");
    TCase *t = tcase_create("outcomes");
    tcase_add_loop_test(t, bundled_outcome, 0, (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, t);
    return s;
}
