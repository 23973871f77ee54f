/* scenario_cf.c - scenario lifetime, principal helpers and the counterfactual. */
#include "doormat/scenario.h"

#include <string.h>

#include "doormat/alloc.h"

static void free_strs(char **v, size_t n)
{
    size_t i;
    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        dm_free(v[i]);
    dm_free(v);
}

static void free_scope(dm_scope *sc)
{
    dm_free(sc->regions);
    dm_free(sc->users);
}

void dm_scenario_free(dm_scenario *s)
{
    size_t i;
    if (s == NULL)
        return;
    dm_free(s->file);
    dm_free(s->title);
    free_strs(s->lesson, s->n_lesson);
    free_strs(s->regions, s->n_regions);
    for (i = 0; s->providers != NULL && i < s->n_providers; i++) {
        dm_free(s->providers[i].id);
        dm_free(s->providers[i].regions);
    }
    dm_free(s->providers);
    for (i = 0; s->users != NULL && i < s->n_users; i++) {
        dm_free(s->users[i].id);
        free_strs(s->users[i].items, s->users[i].n_items);
        dm_free(s->users[i].groups);
    }
    dm_free(s->users);
    for (i = 0; s->groups != NULL && i < s->n_groups; i++) {
        dm_free(s->groups[i].id);
        dm_free(s->groups[i].members);
        free_strs(s->groups[i].items, s->groups[i].n_items);
    }
    dm_free(s->groups);
    for (i = 0; s->actors != NULL && i < s->n_actors; i++)
        dm_free(s->actors[i].id);
    dm_free(s->actors);
    for (i = 0; s->keys != NULL && i < s->n_keys; i++) {
        dm_free(s->keys[i].id);
        dm_free(s->keys[i].holders);
        dm_free(s->keys[i].share_holders);
    }
    dm_free(s->keys);
    for (i = 0; s->wraps != NULL && i < s->n_wraps; i++)
        dm_free(s->wraps[i].at);
    dm_free(s->wraps);
    for (i = 0; s->items != NULL && i < s->n_items; i++) {
        dm_free(s->items[i].id);
        dm_free(s->items[i].owners);
        dm_free(s->items[i].at);
    }
    dm_free(s->items);
    for (i = 0; s->events != NULL && i < s->n_events; i++) {
        dm_free(s->events[i].id);
        free_scope(&s->events[i].scope);
    }
    dm_free(s->events);
    dm_free(s);
}

const char *dm_scenario_principal_id(const dm_scenario *s, dm_principal p)
{
    if (p.idx == DM_NONE)
        return NULL;
    switch (p.kind) {
    case DM_ACTOR_PROVIDER:
        return p.idx < s->n_providers ? s->providers[p.idx].id : NULL;
    case DM_ACTOR_USER:
        return p.idx < s->n_users ? s->users[p.idx].id : NULL;
    default:
        return p.idx < s->n_actors ? s->actors[p.idx].id : NULL;
    }
}

/* A provider operates in several regions: it has no one region. */
dm_id dm_scenario_principal_region(const dm_scenario *s, dm_principal p)
{
    if (p.idx == DM_NONE)
        return DM_NONE;
    switch (p.kind) {
    case DM_ACTOR_PROVIDER:
        return DM_NONE;
    case DM_ACTOR_USER:
        return p.idx < s->n_users ? s->users[p.idx].region : DM_NONE;
    default:
        return p.idx < s->n_actors ? s->actors[p.idx].region : DM_NONE;
    }
}

const char *dm_actor_kind_name(dm_actor_kind k)
{
    switch (k) {
    case DM_ACTOR_PROVIDER:
        return "provider";
    case DM_ACTOR_GOVERNMENT:
        return "government";
    case DM_ACTOR_ATTACKER:
        return "attacker";
    case DM_ACTOR_AGENT:
        return "agent";
    case DM_ACTOR_USER:
        return "user";
    }
    return "unknown";
}

int dm_scope_holds(const dm_scope *sc, dm_id user, dm_id region)
{
    size_t i;
    if (sc->all)
        return 1;
    for (i = 0; i < sc->n_regions; i++)
        if (sc->regions[i] == region)
            return 1;
    for (i = 0; i < sc->n_users; i++)
        if (sc->users[i] == user)
            return 1;
    return 0;
}

const char *dm_event_kind_name(dm_event_kind k)
{
    switch (k) {
    case DM_EVENT_BACKDOOR:
        return "backdoor";
    case DM_EVENT_ORDER:
        return "order";
    case DM_EVENT_STEAL:
        return "steal";
    case DM_EVENT_BREACH:
        return "breach";
    case DM_EVENT_COMPROMISE:
        return "compromise";
    case DM_EVENT_GHOST:
        return "ghost";
    case DM_EVENT_TRAVEL:
        return "travel";
    case DM_EVENT_DOWNGRADE:
        return "downgrade";
    }
    return "unknown";
}

/* ---- deep copy --------------------------------------------------------- */

/* Copy n elements of `size` bytes (NULL stays NULL); sets *bad on failure. */
static void *dup_mem(const void *p, size_t n, size_t size, int *bad)
{
    void *c;
    if (p == NULL || n == 0)
        return NULL;
    c = dm_calloc(n, size);
    if (c == NULL) {
        *bad = 1;
        return NULL;
    }
    memcpy(c, p, n * size);
    return c;
}

static char *dup_str(const char *p, int *bad)
{
    char *c;
    if (p == NULL)
        return NULL;
    c = dm_strdup(p);
    if (c == NULL)
        *bad = 1;
    return c;
}

/* A copy of a string vector; on failure the partial copy keeps its length
 * (entries NULL) so dm_scenario_free can free it. */
static char **dup_strs(char **v, size_t n, int *bad)
{
    char **c;
    size_t i;
    if (v == NULL || n == 0)
        return NULL;
    c = dm_calloc(n, sizeof(char *));
    if (c == NULL) {
        *bad = 1;
        return NULL;
    }
    for (i = 0; i < n; i++)
        c[i] = dup_str(v[i], bad);
    return c;
}

/* Declared keys the counterfactual drops: named by a backdoor, and used by
 * no wrap (inside or under) and no item.  Fills drop[] (n_keys entries). */
static void backdoor_only_keys(const dm_scenario *s, uint8_t *drop)
{
    size_t i;
    for (i = 0; i < s->n_events; i++)
        if (s->events[i].kind == DM_EVENT_BACKDOOR && s->events[i].key.kind == DM_KEYREF_DECLARED &&
            s->events[i].key.idx != DM_NONE)
            drop[s->events[i].key.idx] = 1;
    for (i = 0; i < s->n_wraps; i++) {
        if (s->wraps[i].key.kind == DM_KEYREF_DECLARED)
            drop[s->wraps[i].key.idx] = 0;
        if (s->wraps[i].under.kind == DM_KEYREF_DECLARED)
            drop[s->wraps[i].under.idx] = 0;
    }
    for (i = 0; i < s->n_items; i++)
        if (s->items[i].under.kind == DM_KEYREF_DECLARED)
            drop[s->items[i].under.idx] = 0;
}

static void remap(dm_keyref *r, const uint32_t *newidx)
{
    if (r->kind == DM_KEYREF_DECLARED && r->idx != DM_NONE)
        r->idx = newidx[r->idx];
}

/* Is event e kept in the counterfactual? */
static int keep_event(const dm_event *e, const uint8_t *drop)
{
    if (e->kind == DM_EVENT_BACKDOOR || e->kind == DM_EVENT_GHOST)
        return 0;
    if (e->kind == DM_EVENT_STEAL) {
        if (e->key.kind == DM_KEYREF_GHOST)
            return 0;
        if (e->key.kind == DM_KEYREF_DECLARED && e->key.idx != DM_NONE && drop[e->key.idx])
            return 0;
    }
    return 1;
}

dm_err dm_scenario_counterfactual(const dm_scenario *s, dm_scenario **out)
{
    dm_scenario *c = NULL;
    uint8_t *drop = NULL;
    uint32_t *newidx = NULL;
    size_t i, j, n;
    int bad = 0;
    dm_err err = DM_ERR_NOMEM;

    c = dm_calloc(1, sizeof(*c));
    drop = dm_calloc(s->n_keys ? s->n_keys : 1, 1);
    newidx = dm_calloc(s->n_keys ? s->n_keys : 1, sizeof(uint32_t));
    if (c == NULL || drop == NULL || newidx == NULL)
        goto out;
    backdoor_only_keys(s, drop);

    c->file = dup_str(s->file, &bad);
    c->title = dup_str(s->title, &bad);
    c->lesson = dup_strs(s->lesson, s->n_lesson, &bad);
    c->n_lesson = c->lesson ? s->n_lesson : 0;
    c->regions = dup_strs(s->regions, s->n_regions, &bad);
    c->n_regions = c->regions ? s->n_regions : 0;
    c->people = s->people;
    if (bad)
        goto out;

    c->providers = dup_mem(s->providers, s->n_providers, sizeof(dm_provider), &bad);
    if (bad)
        goto out;
    for (i = 0; c->providers != NULL && i < s->n_providers; i++) {
        c->providers[i].id = NULL;
        c->providers[i].regions = NULL;
    }
    c->n_providers = c->providers ? s->n_providers : 0;
    for (i = 0; i < c->n_providers; i++) {
        c->providers[i].id = dup_str(s->providers[i].id, &bad);
        c->providers[i].regions = dup_mem(s->providers[i].regions, s->providers[i].n_regions,
                                          sizeof(dm_id), &bad);
    }
    if (bad)
        goto out;

    c->users = dup_mem(s->users, s->n_users, sizeof(dm_user), &bad);
    if (bad)
        goto out;
    c->n_users = c->users ? s->n_users : 0;
    for (i = 0; i < c->n_users; i++) {
        c->users[i].id = NULL;
        c->users[i].items = NULL;
        c->users[i].groups = NULL;
    }
    for (i = 0; i < c->n_users; i++) {
        c->users[i].id = dup_str(s->users[i].id, &bad);
        c->users[i].items = dup_strs(s->users[i].items, s->users[i].n_items, &bad);
        if (c->users[i].items == NULL)
            c->users[i].n_items = 0;
        c->users[i].groups = dup_mem(s->users[i].groups, s->users[i].n_groups, sizeof(dm_id), &bad);
    }
    if (bad)
        goto out;

    c->groups = dup_mem(s->groups, s->n_groups, sizeof(dm_group), &bad);
    if (bad)
        goto out;
    c->n_groups = c->groups ? s->n_groups : 0;
    for (i = 0; i < c->n_groups; i++) {
        c->groups[i].id = NULL;
        c->groups[i].members = NULL;
        c->groups[i].items = NULL;
    }
    for (i = 0; i < c->n_groups; i++) {
        c->groups[i].id = dup_str(s->groups[i].id, &bad);
        c->groups[i].members = dup_mem(s->groups[i].members, s->groups[i].n_members,
                                       sizeof(dm_id), &bad);
        c->groups[i].items = dup_strs(s->groups[i].items, s->groups[i].n_items, &bad);
        if (c->groups[i].items == NULL)
            c->groups[i].n_items = 0;
    }
    if (bad)
        goto out;

    c->actors = dup_mem(s->actors, s->n_actors, sizeof(dm_actor), &bad);
    if (bad)
        goto out;
    c->n_actors = c->actors ? s->n_actors : 0;
    for (i = 0; i < c->n_actors; i++)
        c->actors[i].id = NULL;
    for (i = 0; i < c->n_actors; i++)
        c->actors[i].id = dup_str(s->actors[i].id, &bad);
    if (bad)
        goto out;

    /* Keys: the kept ones, renumbered. */
    for (i = 0, n = 0; i < s->n_keys; i++)
        newidx[i] = drop[i] ? DM_NONE : (uint32_t)n++;
    if (n > 0) {
        c->keys = dm_calloc(n, sizeof(dm_key));
        if (c->keys == NULL)
            goto out;
        c->n_keys = n;
        for (i = 0, j = 0; i < s->n_keys; i++) {
            if (drop[i])
                continue;
            c->keys[j] = s->keys[i];
            c->keys[j].id = dup_str(s->keys[i].id, &bad);
            c->keys[j].holders = dup_mem(s->keys[i].holders, s->keys[i].n_holders,
                                         sizeof(dm_principal), &bad);
            c->keys[j].share_holders = dup_mem(s->keys[i].share_holders, s->keys[i].n_shares,
                                               sizeof(dm_principal), &bad);
            j++;
        }
        if (bad)
            goto out;
    }

    c->wraps = dup_mem(s->wraps, s->n_wraps, sizeof(dm_wrap), &bad);
    if (bad)
        goto out;
    c->n_wraps = c->wraps ? s->n_wraps : 0;
    for (i = 0; i < c->n_wraps; i++)
        c->wraps[i].at = NULL;
    for (i = 0; i < c->n_wraps; i++) {
        c->wraps[i].at = dup_mem(s->wraps[i].at, s->wraps[i].n_at, sizeof(dm_storeref), &bad);
        remap(&c->wraps[i].key, newidx);
        remap(&c->wraps[i].under, newidx);
    }
    if (bad)
        goto out;

    c->items = dup_mem(s->items, s->n_items, sizeof(dm_item), &bad);
    if (bad)
        goto out;
    c->n_items = c->items ? s->n_items : 0;
    for (i = 0; i < c->n_items; i++) {
        c->items[i].id = NULL;
        c->items[i].owners = NULL;
        c->items[i].at = NULL;
    }
    for (i = 0; i < c->n_items; i++) {
        c->items[i].id = dup_str(s->items[i].id, &bad);
        c->items[i].owners = dup_mem(s->items[i].owners, s->items[i].n_owners, sizeof(dm_id), &bad);
        c->items[i].at = dup_mem(s->items[i].at, s->items[i].n_at, sizeof(dm_storeref), &bad);
        remap(&c->items[i].under, newidx);
    }
    if (bad)
        goto out;

    /* Events: the kept ones, still sorted, with their file_index. */
    for (i = 0, n = 0; i < s->n_events; i++)
        n += keep_event(&s->events[i], drop);
    if (n > 0) {
        c->events = dm_calloc(n, sizeof(dm_event));
        if (c->events == NULL)
            goto out;
        c->n_events = n;
        for (i = 0, j = 0; i < s->n_events; i++) {
            dm_event *e;
            if (!keep_event(&s->events[i], drop))
                continue;
            e = &c->events[j++];
            *e = s->events[i];
            e->id = dup_str(s->events[i].id, &bad);
            e->scope.regions = dup_mem(s->events[i].scope.regions, s->events[i].scope.n_regions,
                                       sizeof(dm_id), &bad);
            e->scope.users = dup_mem(s->events[i].scope.users, s->events[i].scope.n_users,
                                     sizeof(dm_id), &bad);
            remap(&e->key, newidx);
        }
        if (bad)
            goto out;
    }

    *out = c;
    c = NULL;
    err = DM_OK;
out:
    dm_scenario_free(c);
    dm_free(drop);
    dm_free(newidx);
    return err;
}
