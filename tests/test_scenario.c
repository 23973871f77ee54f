/* test_scenario.c - the loader: exact values of good scenarios, exact
 * diagnostics of bad ones (tests/bad/NAME.json vs NAME.err), limits,
 * the counterfactual and allocation failure. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/diag.h"
#include "doormat/scenario.h"

#define FULL "tests/scenarios/load_full.json"

/* ---- helpers ----------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
        got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The diagnostics as "LINE:COL: error: PATH: MESSAGE" lines (malloc'd). */
static char *format_diags(const dm_diag *d)
{
    size_t cap = 256, n = 0, i;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';
    for (i = 0; i < d->n; i++) {
        const dm_diag_entry *e = &d->entries[i];
        char line[2048];
        int k;
        const char *sev = e->severity == DM_SEV_ERROR     ? "error"
                          : e->severity == DM_SEV_WARNING ? "warning"
                                                          : "note";
        if (e->path != NULL && e->path[0] != '\0')
            k = snprintf(line, sizeof(line), "%u:%u: %s: %s: %s\n", (unsigned)e->line,
                         (unsigned)e->col, sev, e->path, e->message);
        else
            k = snprintf(line, sizeof(line), "%u:%u: %s: %s\n", (unsigned)e->line,
                         (unsigned)e->col, sev, e->message);
        ck_assert_int_gt(k, 0);
        while (n + (size_t)k + 1 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            ck_assert_ptr_nonnull(out);
        }
        memcpy(out + n, line, (size_t)k + 1);
        n += (size_t)k;
    }
    return out;
}

/* Load a string; the scenario or NULL, with the result in *err. */
static dm_scenario *load_str(const char *text, dm_err *err, dm_diag *d)
{
    dm_scenario *s = NULL;
    dm_diag_init(d, "test.json", text, strlen(text));
    *err = dm_scenario_load(text, strlen(text), "dir/test.json", &s, d);
    return s;
}

static dm_scenario *load_ok(const char *text)
{
    dm_diag d;
    dm_err err;
    dm_scenario *s = load_str(text, &err, &d);
    if (err != DM_OK) {
        char *t = format_diags(&d);
        ck_abort_msg("load failed (%d):\n%s", (int)err, t);
    }
    ck_assert_uint_eq(d.n_errors, 0);
    dm_diag_clear(&d);
    return s;
}

/* The diagnostics of a failing (or warning) load, as text. */
static char *load_diags(const char *text, dm_err want)
{
    dm_diag d;
    dm_err err;
    dm_scenario *s = load_str(text, &err, &d);
    char *t = format_diags(&d);
    ck_assert_msg(err == want, "got %d, want %d; diagnostics:\n%s", (int)err, (int)want, t);
    dm_scenario_free(s);
    dm_diag_clear(&d);
    return t;
}

static dm_scenario *load_full(void)
{
    dm_diag d;
    dm_scenario *s = NULL;
    char *text = NULL;
    size_t len = 0;
    dm_err err;

    dm_diag_init(&d, FULL, NULL, 0);
    err = dm_scenario_load_file(FULL, &s, &text, &len, &d);
    ck_assert_int_eq(err, DM_OK);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(d.n_errors, 0);
    ck_assert_uint_eq(d.n_warnings, 2);
    dm_diag_clear(&d);
    dm_free(text);
    return s;
}

#define P(kind_, idx_) ((dm_principal){(kind_), (idx_)})

static void assert_principal(dm_principal p, dm_actor_kind kind, dm_id idx)
{
    ck_assert_int_eq(p.kind, kind);
    ck_assert_uint_eq(p.idx, idx);
}

static void assert_keyref(dm_keyref r, dm_keyref_kind kind, dm_id idx, uint32_t sub)
{
    ck_assert_int_eq(r.kind, kind);
    ck_assert_uint_eq(r.idx, idx);
    ck_assert_uint_eq(r.sub, sub);
}

static void assert_store(dm_storeref r, dm_actor_kind kind, dm_id idx, uint32_t device)
{
    assert_principal(r.owner, kind, idx);
    ck_assert_uint_eq(r.device, device);
}

/* ---- the full scenario ------------------------------------------------- */

START_TEST(full_entities)
{
    dm_scenario *s = load_full();

    ck_assert_str_eq(s->file, FULL);
    ck_assert_str_eq(s->title, "Every field");
    ck_assert_uint_eq(s->n_lesson, 2);
    ck_assert_str_eq(s->lesson[0], "First step.");
    ck_assert_str_eq(s->lesson[1], "Second step.");
    ck_assert_uint_eq(s->n_regions, 3);
    ck_assert_str_eq(s->regions[0], "UK");
    ck_assert_str_eq(s->regions[2], "FR");
    ck_assert_uint_eq(s->people, 30000004);

    ck_assert_uint_eq(s->n_providers, 2);
    ck_assert_str_eq(s->providers[1].id, "chatco");
    ck_assert_uint_eq(s->providers[0].n_regions, 3);
    ck_assert_uint_eq(s->providers[0].regions[1], 1);
    ck_assert_uint_eq(s->providers[1].n_regions, 1);
    ck_assert_uint_eq(s->providers[1].regions[0], 1);

    ck_assert_uint_eq(s->n_users, 5);
    ck_assert_str_eq(s->users[0].id, "alice");
    ck_assert_uint_eq(s->users[0].region, 0);
    ck_assert_uint_eq(s->users[0].provider, 0);
    ck_assert_int_eq(s->users[0].protection, DM_PROTECTION_E2EE);
    ck_assert_uint_eq(s->users[0].devices, 2);
    ck_assert_uint_eq(s->users[0].count, 1);
    ck_assert_uint_eq(s->users[0].n_items, 2);
    ck_assert_str_eq(s->users[0].items[0], "photos");
    ck_assert_str_eq(s->users[0].items[1], "health");
    ck_assert_uint_eq(s->users[0].n_groups, 2);
    ck_assert_uint_eq(s->users[0].groups[0], 0);
    ck_assert_uint_eq(s->users[0].groups[1], 1);
    ck_assert_int_eq(s->users[1].protection, DM_PROTECTION_PROVIDER);
    ck_assert_uint_eq(s->users[1].devices, 1);
    ck_assert_uint_eq(s->users[1].n_items, 0);
    ck_assert_ptr_null(s->users[1].items);
    ck_assert_uint_eq(s->users[1].n_groups, 1);
    ck_assert_uint_eq(s->users[1].groups[0], 0);
    ck_assert_uint_eq(s->users[2].count, 30000000);
    ck_assert_uint_eq(s->users[3].provider, 1);
    ck_assert_uint_eq(s->users[3].devices, 3);
    ck_assert_uint_eq(s->users[3].n_groups, 1);
    ck_assert_uint_eq(s->users[3].groups[0], 1);
    ck_assert_str_eq(s->users[4].id, "dave");
    ck_assert_uint_eq(s->users[4].provider, DM_NONE);
    ck_assert_int_eq(s->users[4].protection, DM_PROTECTION_NONE);
    ck_assert_uint_eq(s->users[4].devices, 0);
    ck_assert_uint_eq(s->users[4].n_groups, 0);
    ck_assert_uint_eq(s->users[4].region, 1);

    ck_assert_uint_eq(s->n_groups, 2);
    ck_assert_str_eq(s->groups[0].id, "chat");
    ck_assert_uint_eq(s->groups[0].n_members, 2);
    ck_assert_uint_eq(s->groups[0].members[0], 0);
    ck_assert_uint_eq(s->groups[0].members[1], 1);
    ck_assert_uint_eq(s->groups[0].provider, 1);
    ck_assert_uint_eq(s->groups[0].n_items, 1);
    ck_assert_str_eq(s->groups[0].items[0], "messages");
    ck_assert_uint_eq(s->groups[1].members[0], 3);
    ck_assert_uint_eq(s->groups[1].n_items, 0);

    ck_assert_uint_eq(s->n_actors, 4);
    ck_assert_int_eq(s->actors[0].kind, DM_ACTOR_GOVERNMENT);
    ck_assert_uint_eq(s->actors[0].region, 0);
    ck_assert_int_eq(s->actors[2].kind, DM_ACTOR_ATTACKER);
    ck_assert_uint_eq(s->actors[2].region, DM_NONE);
    ck_assert_int_eq(s->actors[3].kind, DM_ACTOR_AGENT);
    ck_assert_uint_eq(s->actors[3].region, 1);

    ck_assert_uint_eq(s->n_keys, 4);
    ck_assert_str_eq(s->keys[0].id, "escrow");
    ck_assert_int_eq(s->keys[0].type, DM_KEY_KEYPAIR);
    ck_assert_uint_eq(s->keys[0].n_holders, 1);
    assert_principal(s->keys[0].holders[0], DM_ACTOR_PROVIDER, 0);
    ck_assert_uint_eq(s->keys[0].share_k, 0);
    ck_assert_uint_eq(s->keys[0].n_shares, 0);
    ck_assert_int_eq(s->keys[1].type, DM_KEY_SYMMETRIC);
    ck_assert_uint_eq(s->keys[1].share_k, 2);
    ck_assert_uint_eq(s->keys[1].n_shares, 3);
    assert_principal(s->keys[1].share_holders[0], DM_ACTOR_AGENT, 3);
    assert_principal(s->keys[1].share_holders[1], DM_ACTOR_PROVIDER, 0);
    assert_principal(s->keys[1].share_holders[2], DM_ACTOR_AGENT, 3);
    ck_assert_uint_eq(s->keys[1].n_holders, 0);
    assert_principal(s->keys[2].holders[0], DM_ACTOR_GOVERNMENT, 0);
    assert_principal(s->keys[2].holders[1], DM_ACTOR_ATTACKER, 2);
    ck_assert_uint_eq(s->keys[3].n_holders, 0);
    ck_assert_ptr_null(s->keys[3].holders);
    dm_scenario_free(s);
}
END_TEST

START_TEST(full_refs)
{
    dm_scenario *s = load_full();

    ck_assert_uint_eq(s->n_wraps, 3);
    assert_keyref(s->wraps[0].key, DM_KEYREF_DECLARED, 3, 0);
    assert_keyref(s->wraps[0].under, DM_KEYREF_DECLARED, 1, 0);
    ck_assert_uint_eq(s->wraps[0].n_at, 2);
    assert_store(s->wraps[0].at[0], DM_ACTOR_PROVIDER, 0, 0);
    assert_store(s->wraps[0].at[1], DM_ACTOR_USER, 0, 2);
    assert_keyref(s->wraps[1].key, DM_KEYREF_DK, 0, 0);
    assert_keyref(s->wraps[1].under, DM_KEYREF_GHOST, 1, 0);
    assert_store(s->wraps[1].at[0], DM_ACTOR_GOVERNMENT, 1, 0);
    assert_keyref(s->wraps[2].key, DM_KEYREF_GK, 0, 0);
    assert_keyref(s->wraps[2].under, DM_KEYREF_HSM, 0, 0);

    ck_assert_uint_eq(s->n_items, 2);
    ck_assert_str_eq(s->items[0].id, "ledger");
    ck_assert_uint_eq(s->items[0].n_owners, 2);
    ck_assert_uint_eq(s->items[0].owners[0], 4);
    ck_assert_uint_eq(s->items[0].owners[1], 1);
    assert_keyref(s->items[0].under, DM_KEYREF_DECLARED, 3, 0);
    assert_store(s->items[0].at[0], DM_ACTOR_USER, 4, 0);
    assert_store(s->items[0].at[1], DM_ACTOR_PROVIDER, 0, 0);
    assert_keyref(s->items[1].under, DM_KEYREF_DEV, 3, 3);
    assert_store(s->items[1].at[0], DM_ACTOR_USER, 3, 1);
    dm_scenario_free(s);
}
END_TEST

START_TEST(full_events)
{
    static const char *const ids[] = {"ghost@-5", "backdoor@1", "backdoor@1.2", "order@2",
                                      "tcn", "steal@3", "steal@3.2", "steal@3.3", "steal@3.4",
                                      "breach@4", "compromise@4", "travel@5", "downgrade@6",
                                      "breach@7", "breach@7.2"};
    static const size_t file_index[] = {5, 1, 4, 2, 3, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    dm_scenario *s = load_full();
    const dm_event *e = s->events;
    size_t i;

    ck_assert_uint_eq(s->n_events, 15);
    for (i = 0; i < 15; i++) {
        ck_assert_str_eq(e[i].id, ids[i]);
        ck_assert_uint_eq(e[i].file_index, file_index[i]);
    }
    /* ghost@-5 */
    ck_assert_int_eq(e[0].kind, DM_EVENT_GHOST);
    ck_assert_int_eq(e[0].at, -5);
    assert_principal(e[0].by, DM_ACTOR_GOVERNMENT, 1);
    ck_assert_uint_eq(e[0].group, 0);
    ck_assert_int_eq(e[0].has_p, 0);
    ck_assert(e[0].p == 1.0);
    /* backdoor@1: regions scope */
    ck_assert_int_eq(e[1].kind, DM_EVENT_BACKDOOR);
    ck_assert_uint_eq(e[1].provider, 0);
    assert_keyref(e[1].key, DM_KEYREF_DECLARED, 0, 0);
    ck_assert_int_eq(e[1].scope.given, 1);
    ck_assert_int_eq(e[1].scope.all, 0);
    ck_assert_uint_eq(e[1].scope.n_regions, 1);
    ck_assert_uint_eq(e[1].scope.regions[0], 0);
    ck_assert_uint_eq(e[1].scope.n_users, 0);
    /* backdoor@1.2: union scope */
    ck_assert_uint_eq(e[2].provider, 1);
    assert_keyref(e[2].key, DM_KEYREF_DECLARED, 2, 0);
    ck_assert_uint_eq(e[2].scope.n_regions, 2);
    ck_assert_uint_eq(e[2].scope.regions[0], 2);
    ck_assert_uint_eq(e[2].scope.regions[1], 1);
    ck_assert_uint_eq(e[2].scope.n_users, 1);
    ck_assert_uint_eq(e[2].scope.users[0], 3);
    /* order@2: the authority's region, not given; demand data */
    ck_assert_int_eq(e[3].kind, DM_EVENT_ORDER);
    assert_principal(e[3].by, DM_ACTOR_GOVERNMENT, 0);
    ck_assert_uint_eq(e[3].provider, 0);
    ck_assert_int_eq(e[3].scope.given, 0);
    ck_assert_int_eq(e[3].scope.all, 0);
    ck_assert_uint_eq(e[3].scope.n_regions, 1);
    ck_assert_uint_eq(e[3].scope.regions[0], 0);
    ck_assert_int_eq(e[3].demand, DM_DEMAND_DATA);
    /* tcn: all, keys */
    ck_assert_int_eq(e[4].scope.given, 1);
    ck_assert_int_eq(e[4].scope.all, 1);
    ck_assert_uint_eq(e[4].scope.n_regions, 0);
    ck_assert_int_eq(e[4].demand, DM_DEMAND_KEYS);
    /* steals */
    ck_assert_int_eq(e[5].kind, DM_EVENT_STEAL);
    assert_principal(e[5].by, DM_ACTOR_ATTACKER, 2);
    ck_assert_int_eq(e[5].has_p, 1);
    ck_assert(e[5].p == 0.02);
    ck_assert_uint_eq(e[5].share, 0);
    assert_principal(e[6].by, DM_ACTOR_USER, 1);
    assert_keyref(e[6].key, DM_KEYREF_DECLARED, 1, 0);
    ck_assert_uint_eq(e[6].share, 3);
    assert_keyref(e[8].key, DM_KEYREF_GHOST, 1, 0);
    /* breach, compromise, travel, downgrade */
    ck_assert_int_eq(e[9].kind, DM_EVENT_BREACH);
    assert_store(e[9].store, DM_ACTOR_USER, 0, 1);
    ck_assert_int_eq(e[10].kind, DM_EVENT_COMPROMISE);
    assert_principal(e[10].victim, DM_ACTOR_AGENT, 3);
    ck_assert_int_eq(e[11].kind, DM_EVENT_TRAVEL);
    ck_assert_uint_eq(e[11].user, 1);
    ck_assert_uint_eq(e[11].region, 0);
    ck_assert_int_eq(e[12].kind, DM_EVENT_DOWNGRADE);
    ck_assert_uint_eq(e[12].provider, 0);
    ck_assert_uint_eq(e[12].region, 0);
    ck_assert_int_eq(e[13].has_p, 1);
    ck_assert(e[13].p == 0.0);
    assert_store(e[14].store, DM_ACTOR_GOVERNMENT, 0, 0);
    dm_scenario_free(s);
}
END_TEST

START_TEST(full_counterfactual)
{
    static const char *const ids[] = {"order@2", "tcn", "steal@3.2", "breach@4", "compromise@4",
                                      "travel@5", "downgrade@6", "breach@7", "breach@7.2"};
    dm_scenario *s = load_full(), *c = NULL;
    size_t i;

    ck_assert_int_eq(dm_scenario_counterfactual(s, &c), DM_OK);
    ck_assert_uint_eq(c->n_events, 9);
    for (i = 0; i < 9; i++)
        ck_assert_str_eq(c->events[i].id, ids[i]);
    ck_assert_uint_eq(c->events[2].file_index, 6);
    /* escrow and unused-bd go; split and team are renumbered 0 and 1 */
    ck_assert_uint_eq(c->n_keys, 2);
    ck_assert_str_eq(c->keys[0].id, "split");
    ck_assert_str_eq(c->keys[1].id, "team");
    ck_assert_uint_eq(c->keys[0].n_shares, 3);
    assert_principal(c->keys[0].share_holders[1], DM_ACTOR_PROVIDER, 0);
    assert_keyref(c->events[2].key, DM_KEYREF_DECLARED, 0, 0);
    assert_keyref(c->wraps[0].key, DM_KEYREF_DECLARED, 1, 0);
    assert_keyref(c->wraps[0].under, DM_KEYREF_DECLARED, 0, 0);
    assert_keyref(c->wraps[1].under, DM_KEYREF_GHOST, 1, 0);
    assert_keyref(c->items[0].under, DM_KEYREF_DECLARED, 1, 0);
    /* the rest is an equal, independent copy */
    ck_assert_uint_eq(c->n_users, 5);
    ck_assert_ptr_ne(c->users, s->users);
    ck_assert_str_eq(c->users[0].items[1], "health");
    ck_assert_uint_eq(c->users[0].groups[1], 1);
    ck_assert_uint_eq(c->groups[0].members[1], 1);
    ck_assert_str_eq(c->title, "Every field");
    ck_assert_uint_eq(c->n_lesson, 2);
    ck_assert_uint_eq(c->people, 30000004);
    ck_assert_uint_eq(c->n_items, 2);
    ck_assert_str_eq(c->items[1].id, "diary");
    ck_assert_uint_eq(c->events[0].scope.regions[0], 0);
    ck_assert_int_eq(c->events[1].scope.all, 1);
    dm_scenario_free(s);
    /* the copy outlives its source */
    ck_assert_str_eq(c->providers[1].id, "chatco");
    dm_scenario_free(c);
}
END_TEST

/* A backdoor key that a wrap or item also uses stays, and so do its steals. */
START_TEST(counterfactual_keeps_used_keys)
{
    dm_scenario *s = load_ok(
        "{\"doormat\": 1, \"regions\": [\"UK\"],"
        " \"providers\": [{\"id\": \"p\", \"regions\": [\"UK\"]}],"
        " \"users\": [{\"id\": \"u\", \"region\": \"UK\"}],"
        " \"actors\": [{\"id\": \"m\", \"kind\": \"attacker\"}],"
        " \"keys\": [{\"id\": \"a\", \"type\": \"symmetric\"}, {\"id\": \"b\", \"type\": \"symmetric\"},"
        "   {\"id\": \"c\", \"type\": \"keypair\"}, {\"id\": \"d\", \"type\": \"keypair\"}],"
        " \"wraps\": [{\"key\": \"b\", \"under\": \"c\", \"at\": [\"p\"]}],"
        " \"items\": [{\"id\": \"x\", \"owners\": [\"u\"], \"under\": \"d\", \"at\": [\"p\"]}],"
        " \"events\": ["
        "   {\"at\": 1, \"do\": \"backdoor\", \"provider\": \"p\", \"key\": \"a\", \"scope\": \"all\"},"
        "   {\"at\": 1, \"do\": \"backdoor\", \"provider\": \"p\", \"key\": \"c\", \"scope\": \"all\"},"
        "   {\"at\": 1, \"do\": \"backdoor\", \"provider\": \"p\", \"key\": \"d\", \"scope\": \"all\"},"
        "   {\"at\": 2, \"do\": \"steal\", \"by\": \"m\", \"key\": \"a\"},"
        "   {\"at\": 2, \"do\": \"steal\", \"by\": \"m\", \"key\": \"c\"},"
        "   {\"at\": 2, \"do\": \"steal\", \"by\": \"m\", \"key\": \"d\"},"
        "   {\"at\": 2, \"do\": \"steal\", \"by\": \"m\", \"key\": \"b\"}]}");
    dm_scenario *c = NULL;

    ck_assert_int_eq(dm_scenario_counterfactual(s, &c), DM_OK);
    ck_assert_uint_eq(c->n_keys, 3);
    ck_assert_str_eq(c->keys[0].id, "b");
    ck_assert_str_eq(c->keys[1].id, "c");
    ck_assert_str_eq(c->keys[2].id, "d");
    assert_keyref(c->wraps[0].key, DM_KEYREF_DECLARED, 0, 0);
    assert_keyref(c->wraps[0].under, DM_KEYREF_DECLARED, 1, 0);
    assert_keyref(c->items[0].under, DM_KEYREF_DECLARED, 2, 0);
    ck_assert_uint_eq(c->n_events, 3);
    ck_assert_str_eq(c->events[0].id, "steal@2.2");
    assert_keyref(c->events[0].key, DM_KEYREF_DECLARED, 1, 0);
    ck_assert_str_eq(c->events[1].id, "steal@2.3");
    assert_keyref(c->events[1].key, DM_KEYREF_DECLARED, 2, 0);
    ck_assert_str_eq(c->events[2].id, "steal@2.4");
    assert_keyref(c->events[2].key, DM_KEYREF_DECLARED, 0, 0);
    dm_scenario_free(c);
    dm_scenario_free(s);
}
END_TEST

/* ---- defaults ---------------------------------------------------------- */

START_TEST(defaults)
{
    dm_scenario *s = load_ok("{\"doormat\": 1, \"regions\": [\"UK\"], \"lesson\": \"One.\"}");
    ck_assert_str_eq(s->title, "test.json");
    ck_assert_str_eq(s->file, "dir/test.json");
    ck_assert_uint_eq(s->n_lesson, 1);
    ck_assert_str_eq(s->lesson[0], "One.");
    ck_assert_uint_eq(s->n_users + s->n_providers + s->n_groups + s->n_actors, 0);
    ck_assert_uint_eq(s->n_keys + s->n_wraps + s->n_items + s->n_events, 0);
    ck_assert_uint_eq(s->people, 0);
    dm_scenario_free(s);

    s = load_ok("\xEF\xBB\xBF{\"doormat\": 1.0, \"regions\": [\"UK\"], \"lesson\": [],"
                " \"users\": [{\"id\": \"u\", \"region\": \"UK\", \"provider\": \"p\","
                " \"protection\": \"provider\"}],"
                " \"providers\": [{\"id\": \"p\", \"regions\": [\"UK\"]}]}");
    ck_assert_uint_eq(s->n_lesson, 0);
    ck_assert_uint_eq(s->users[0].devices, 1);
    ck_assert_uint_eq(s->users[0].count, 1);
    ck_assert_uint_eq(s->people, 1);
    dm_scenario_free(s);
}
END_TEST

/* Big cohorts sum exactly. */
START_TEST(counts_sum)
{
    dm_scenario *s = load_ok(
        "{\"doormat\": 1, \"regions\": [\"UK\"], \"users\": ["
        "{\"id\": \"a\", \"region\": \"UK\", \"count\": 1000000000000},"
        "{\"id\": \"b\", \"region\": \"UK\", \"count\": 1e12},"
        "{\"id\": \"c\", \"region\": \"UK\", \"count\": 999999999999},"
        "{\"id\": \"d\", \"region\": \"UK\"}]}");
    ck_assert_uint_eq(s->people, 3000000000000ULL);
    ck_assert_uint_eq(s->users[1].count, 1000000000000ULL);
    dm_scenario_free(s);
}
END_TEST

/* Default ids skip explicit ones; ties keep file order. */
START_TEST(event_ids)
{
    dm_scenario *s = load_ok(
        "{\"doormat\": 1, \"regions\": [\"UK\"],"
        " \"providers\": [{\"id\": \"p\", \"regions\": [\"UK\"]}],"
        " \"events\": ["
        "  {\"at\": 1, \"do\": \"downgrade\", \"provider\": \"p\", \"region\": \"UK\"},"
        "  {\"at\": 0, \"do\": \"downgrade\", \"provider\": \"p\", \"region\": \"UK\", \"id\": \"downgrade@1\"},"
        "  {\"at\": 1, \"do\": \"downgrade\", \"provider\": \"p\", \"region\": \"UK\", \"id\": \"downgrade@1.3\"},"
        "  {\"at\": 1, \"do\": \"downgrade\", \"provider\": \"p\", \"region\": \"UK\"},"
        "  {\"at\": 1, \"do\": \"downgrade\", \"provider\": \"p\", \"region\": \"UK\"}]}");
    ck_assert_uint_eq(s->n_events, 5);
    ck_assert_str_eq(s->events[0].id, "downgrade@1");
    ck_assert_uint_eq(s->events[0].file_index, 1);
    ck_assert_str_eq(s->events[1].id, "downgrade@1.2");
    ck_assert_str_eq(s->events[2].id, "downgrade@1.3");
    ck_assert_str_eq(s->events[3].id, "downgrade@1.4");
    ck_assert_str_eq(s->events[4].id, "downgrade@1.5");
    ck_assert_uint_eq(s->events[4].file_index, 4);
    dm_scenario_free(s);
}
END_TEST

START_TEST(helpers)
{
    dm_scenario *s = load_full();
    ck_assert_str_eq(dm_scenario_principal_id(s, P(DM_ACTOR_PROVIDER, 1)), "chatco");
    ck_assert_str_eq(dm_scenario_principal_id(s, P(DM_ACTOR_USER, 4)), "dave");
    ck_assert_str_eq(dm_scenario_principal_id(s, P(DM_ACTOR_ATTACKER, 2)), "mallory");
    ck_assert_ptr_null(dm_scenario_principal_id(s, P(DM_ACTOR_USER, DM_NONE)));
    ck_assert_uint_eq(dm_scenario_principal_region(s, P(DM_ACTOR_USER, 3)), 2);
    ck_assert_uint_eq(dm_scenario_principal_region(s, P(DM_ACTOR_GOVERNMENT, 1)), 1);
    ck_assert_uint_eq(dm_scenario_principal_region(s, P(DM_ACTOR_ATTACKER, 2)), DM_NONE);
    ck_assert_uint_eq(dm_scenario_principal_region(s, P(DM_ACTOR_PROVIDER, 0)), DM_NONE);
    ck_assert_str_eq(dm_actor_kind_name(DM_ACTOR_AGENT), "agent");
    ck_assert_str_eq(dm_actor_kind_name(DM_ACTOR_USER), "user");
    ck_assert_str_eq(dm_event_kind_name(DM_EVENT_COMPROMISE), "compromise");
    ck_assert_str_eq(dm_event_kind_name(DM_EVENT_DOWNGRADE), "downgrade");
    dm_scenario_free(s);
    dm_scenario_free(NULL);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

static char *nested(int depth)
{
    size_t n = (size_t)depth;
    char *t = malloc(2 * n + 64);
    size_t o = 0, i;
    ck_assert_ptr_nonnull(t);
    o += (size_t)sprintf(t, "{\"doormat\": 1, \"regions\": [\"UK\"], \"$schema\": ");
    for (i = 1; i < n; i++)
        t[o++] = '[';
    for (i = 1; i < n; i++)
        t[o++] = ']';
    t[o++] = '}';
    t[o] = '\0';
    return t;
}

START_TEST(limit_depth)
{
    char *t = nested(DM_LIMIT_DEPTH), *d;
    dm_scenario *s = load_ok(t);
    dm_scenario_free(s);
    free(t);
    t = nested(DM_LIMIT_DEPTH + 1);
    d = load_diags(t, DM_ERR_LIMIT);
    ck_assert_str_eq(d, "1:109: error: nesting deeper than 64 levels\n");
    free(d);
    free(t);
}
END_TEST

START_TEST(limit_events)
{
    size_t n = DM_LIMIT_EVENTS + 1, i, o = 0;
    const char *ev = "{\"at\": 0, \"do\": \"travel\", \"user\": \"u\", \"region\": \"UK\"},";
    size_t el = strlen(ev);
    char *t = malloc(n * el + 256), *d;
    ck_assert_ptr_nonnull(t);
    o += (size_t)sprintf(t, "{\"doormat\": 1, \"regions\": [\"UK\"],"
                            " \"users\": [{\"id\": \"u\", \"region\": \"UK\"}], \"events\": [");
    for (i = 0; i < n; i++) {
        memcpy(t + o, ev, el);
        o += el;
    }
    t[o - 1] = ']';
    t[o++] = '}';
    t[o] = '\0';
    d = load_diags(t, DM_ERR_LIMIT);
    ck_assert_str_eq(d, "1:85: error: events: more than 100000 events\n");
    free(d);
    /* exactly the limit loads */
    memcpy(t + o - 2 - el, "]}", 3);
    {
        dm_scenario *s = load_ok(t);
        ck_assert_uint_eq(s->n_events, DM_LIMIT_EVENTS);
        ck_assert_str_eq(s->events[DM_LIMIT_EVENTS - 1].id, "travel@0.100000");
        dm_scenario_free(s);
    }
    free(t);
}
END_TEST

START_TEST(limit_orders)
{
    dm_diag d;
    dm_scenario *s = NULL;
    char *text = NULL;
    dm_diag_init(&d, "limit_orders.json", NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file("tests/bad/limit_orders.json", &s, &text, NULL, &d),
                     DM_ERR_LIMIT);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(d.n_errors, 1);
    ck_assert_str_eq(d.entries[0].path, "events[64]");
    dm_diag_clear(&d);
    dm_free(text);
}
END_TEST

START_TEST(limit_file_size)
{
    static const char text[] = "{}";
    dm_diag d;
    dm_scenario *s = NULL;
    dm_diag_init(&d, "huge.json", NULL, 0);
    /* The size is checked before a byte is read. */
    ck_assert_int_eq(dm_scenario_load(text, DM_LIMIT_FILE_BYTES + 1, "huge.json", &s, &d),
                     DM_ERR_LIMIT);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(d.n_errors, 1);
    ck_assert_str_eq(d.entries[0].message, "the file is larger than 1 GiB");
    dm_diag_clear(&d);
}
END_TEST

START_TEST(missing_file)
{
    dm_diag d;
    dm_scenario *s = NULL;
    char *text = (char *)"untouched";
    dm_diag_init(&d, "nope.json", NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file("tests/scenarios/no-such-file.json", &s, &text, NULL, &d),
                     DM_ERR_IO);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(text, "untouched");
    ck_assert_uint_eq(d.n_errors, 1);
    ck_assert_str_eq(d.entries[0].message,
                     "cannot open tests/scenarios/no-such-file.json: No such file or directory");
    dm_diag_clear(&d);
}
END_TEST

/* ---- bad scenarios: every tests/bad/NAME.json against NAME.err --------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(bad_files)
{
    DIR *dir = opendir("tests/bad");
    struct dirent *de;
    char *names[512];
    size_t n = 0, i, failures = 0;

    ck_assert_ptr_nonnull(dir);
    while ((de = readdir(dir)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
            ck_assert_uint_lt(n, 512);
            names[n] = strdup(de->d_name);
            ck_assert_ptr_nonnull(names[n]);
            n++;
        }
    }
    closedir(dir);
    qsort(names, n, sizeof(char *), cmp_names);
    ck_assert_uint_ge(n, 60);
    for (i = 0; i < n; i++) {
        char path[600], epath[600];
        char *text, *want, *got;
        size_t len, wlen;
        dm_diag d;
        dm_scenario *s = NULL;
        dm_err err;

        snprintf(path, sizeof(path), "tests/bad/%s", names[i]);
        snprintf(epath, sizeof(epath), "tests/bad/%.*s.err", (int)(strlen(names[i]) - 5), names[i]);
        text = read_all(path, &len);
        ck_assert_ptr_nonnull(text);
        want = read_all(epath, &wlen);
        ck_assert_msg(want != NULL, "%s is missing", epath);
        dm_diag_init(&d, names[i], text, len);
        err = dm_scenario_load(text, len, names[i], &s, &d);
        got = format_diags(&d);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "%s: diagnostics differ\n--- want\n%s--- got\n%s", path, want, got);
            failures++;
        }
        /* A file with an error fails and yields nothing; else it loads. */
        if (strstr(want, ": error: ") != NULL) {
            ck_assert_msg(err != DM_OK && s == NULL, "%s loaded", path);
        } else {
            ck_assert_msg(err == DM_OK && s != NULL, "%s failed", path);
        }
        dm_scenario_free(s);
        dm_diag_clear(&d);
        free(text);
        free(want);
        free(got);
        free(names[i]);
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* ---- allocation failure ------------------------------------------------ */

/* Fail the N-th allocation of a load plus counterfactual, for every N:
 * DM_ERR_NOMEM, nothing returned, nothing leaked (ASan/valgrind watch). */
static void fail_every(int sticky)
{
    size_t len, total, n;
    char *text = read_all(FULL, &len);
    dm_diag d;
    dm_scenario *s = NULL, *c = NULL;

    ck_assert_ptr_nonnull(text);
    dm_alloc_fail_at(0, 0);
    dm_diag_init(&d, FULL, text, len);
    ck_assert_int_eq(dm_scenario_load(text, len, FULL, &s, &d), DM_OK);
    ck_assert_int_eq(dm_scenario_counterfactual(s, &c), DM_OK);
    dm_scenario_free(c);
    dm_scenario_free(s);
    dm_diag_clear(&d);
    total = dm_alloc_fail_at(0, 0);
    ck_assert_uint_gt(total, 100);

    for (n = 1; n <= total; n++) {
        dm_err err;
        s = c = NULL;
        dm_diag_init(&d, FULL, text, len);
        dm_alloc_fail_at(n, sticky);
        err = dm_scenario_load(text, len, FULL, &s, &d);
        if (err == DM_OK)
            err = dm_scenario_counterfactual(s, &c);
        dm_alloc_fail_at(0, 0);
        ck_assert_msg(err == DM_ERR_NOMEM, "allocation %zu: got %d", n, (int)err);
        ck_assert_ptr_null(c);
        dm_scenario_free(s);
        dm_diag_clear(&d);
    }
    free(text);
}

START_TEST(alloc_fail_once)
{
    fail_every(0);
}
END_TEST

START_TEST(alloc_fail_sticky)
{
    fail_every(1);
}
END_TEST

Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc;

    tc = tcase_create("full");
    tcase_add_test(tc, full_entities);
    tcase_add_test(tc, full_refs);
    tcase_add_test(tc, full_events);
    tcase_add_test(tc, helpers);
    suite_add_tcase(s, tc);

    tc = tcase_create("counterfactual");
    tcase_add_test(tc, full_counterfactual);
    tcase_add_test(tc, counterfactual_keeps_used_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("defaults");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, counts_sum);
    tcase_add_test(tc, event_ids);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, limit_depth);
    tcase_add_test(tc, limit_events);
    tcase_add_test(tc, limit_orders);
    tcase_add_test(tc, limit_file_size);
    tcase_add_test(tc, missing_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bad_files);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, alloc_fail_once);
    tcase_add_test(tc, alloc_fail_sticky);
    suite_add_tcase(s, tc);
    return s;
}
