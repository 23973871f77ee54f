/* world.c - expand a scenario's presets into the explicit key graph. */
#include "doormat/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"

#define POOL_CHUNK ((size_t)1 << 20)

/* Copy a string into the world's chunked pool, so millions of item names
 * cost no allocation each. */
static char *pool_strdup(dm_world *w, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) + 1 : 0, need = la + lb + 1;
    char *dst;
    if (w->n_pool == 0 || w->pool_used + need > POOL_CHUNK) {
        size_t sz = need > POOL_CHUNK ? need : POOL_CHUNK;
        char **np = dm_reallocarray(w->pool, w->n_pool + 1, sizeof *np);
        if (!np)
            return NULL;
        w->pool = np;
        if (!(w->pool[w->n_pool] = dm_malloc(sz)))
            return NULL;
        w->n_pool++;
        w->pool_used = 0;
        if (need > POOL_CHUNK)
            w->pool_used = POOL_CHUNK; /* a chunk of its own: full */
    }
    dst = w->pool[w->n_pool - 1] + (need > POOL_CHUNK ? 0 : w->pool_used);
    memcpy(dst, a, la);
    if (b) {
        dst[la] = '/';
        memcpy(dst + la + 1, b, lb - 1);
    }
    dst[la + lb] = '\0';
    if (need <= POOL_CHUNK)
        w->pool_used += need;
    return dst;
}

uint32_t dm_world_party(const dm_world *w, dm_principal p)
{
    switch (p.kind) {
    case DM_ACTOR_PROVIDER:
        return p.idx;
    case DM_ACTOR_USER:
        return (uint32_t)(w->n_providers + w->n_actors) + p.idx;
    default:
        return (uint32_t)w->n_providers + p.idx;
    }
}

dm_principal dm_world_principal(const dm_world *w, uint32_t party)
{
    dm_principal p;
    if (party < w->n_providers) {
        p.kind = DM_ACTOR_PROVIDER;
        p.idx = party;
    } else if (party < w->n_providers + w->n_actors) {
        p.idx = party - (uint32_t)w->n_providers;
        p.kind = w->sc->actors[p.idx].kind;
    } else {
        p.kind = DM_ACTOR_USER;
        p.idx = party - (uint32_t)(w->n_providers + w->n_actors);
    }
    return p;
}

uint32_t dm_world_party_store(const dm_world *w, uint32_t party)
{
    (void)w;
    return party;
}

uint32_t dm_world_store(const dm_world *w, dm_storeref r)
{
    uint32_t party = dm_world_party(w, r.owner);
    if (r.device == 0)
        return party;
    return w->user_first_devstore[r.owner.idx] + r.device - 1;
}

const char *dm_world_party_id(const dm_world *w, uint32_t party)
{
    return dm_scenario_principal_id(w->sc, dm_world_principal(w, party));
}

dm_actor_kind dm_world_party_kind(const dm_world *w, uint32_t party)
{
    return dm_world_principal(w, party).kind;
}

uint32_t dm_world_key(const dm_world *w, dm_keyref r)
{
    switch (r.kind) {
    case DM_KEYREF_DECLARED:
        return w->declared_key[r.idx];
    case DM_KEYREF_DK:
        return w->user_dk[r.idx];
    case DM_KEYREF_DEV:
        return w->user_first_dev[r.idx] + r.sub - 1;
    case DM_KEYREF_GK:
        return w->group_gk[r.idx];
    case DM_KEYREF_HSM:
        return w->provider_hsm[r.idx];
    case DM_KEYREF_GHOST:
        return w->actor_ghost[r.idx];
    }
    return UINT32_MAX;
}

const char *dm_world_key_parts(const dm_world *w, uint32_t key, char sfx[DM_WORLD_KEY_SFX])
{
    const dm_scenario *s = w->sc;
    dm_keyref r = w->keys[key].ref;
    sfx[0] = '\0';
    switch (r.kind) {
    case DM_KEYREF_DECLARED:
        return s->keys[r.idx].id;
    case DM_KEYREF_DK:
        memcpy(sfx, ".dk", 4);
        return s->users[r.idx].id;
    case DM_KEYREF_DEV: {
        /* ".dev" and the device number, without printf: reports name
         * millions of keys. */
        char d[12];
        size_t nd = 0, k = 4;
        uint32_t n = r.sub;
        memcpy(sfx, ".dev", 4);
        do {
            d[nd++] = (char)('0' + n % 10);
            n /= 10;
        } while (n > 0);
        while (nd > 0)
            sfx[k++] = d[--nd];
        sfx[k] = '\0';
        return s->users[r.idx].id;
    }
    case DM_KEYREF_GK:
        memcpy(sfx, ".gk", 4);
        return s->groups[r.idx].id;
    case DM_KEYREF_HSM:
        memcpy(sfx, ".hsm", 5);
        return s->providers[r.idx].id;
    case DM_KEYREF_GHOST:
        memcpy(sfx, ".ghost", 7);
        return s->actors[r.idx].id;
    }
    return "";
}

const char *dm_world_key_name(const dm_world *w, uint32_t key, char *buf, size_t len)
{
    char sfx[DM_WORLD_KEY_SFX];
    const char *base = dm_world_key_parts(w, key, sfx);
    snprintf(buf, len, "%s%s", base, sfx);
    return buf;
}

const char *dm_world_store_name(const dm_world *w, uint32_t store, char *buf, size_t len)
{
    const dm_store *st = &w->stores[store];
    if (st->device == 0)
        snprintf(buf, len, "%s", dm_world_party_id(w, st->owner));
    else
        snprintf(buf, len, "%s.dev%u", dm_world_party_id(w, st->owner), st->device);
    return buf;
}

dm_err dm_world_deposit(dm_world *w, uint32_t store, dm_fact_kind kind, uint32_t id,
                        dm_tag tag, uint32_t tag_event, uint32_t seq)
{
    dm_store *st = &w->stores[store];
    dm_deposit *d;
    if (w->n_deposits == w->cap_deposits) {
        size_t nc = w->cap_deposits ? w->cap_deposits * 2 : 1024;
        dm_deposit *nd = dm_reallocarray(w->deposits, nc, sizeof *nd);
        if (!nd)
            return DM_ERR_NOMEM;
        w->deposits = nd;
        if (w->building) {
            uint32_t *ns = dm_reallocarray(w->deposit_store, nc, sizeof *ns);
            if (!ns)
                return DM_ERR_NOMEM;
            w->deposit_store = ns;
        }
        w->cap_deposits = nc;
    }
    if (w->building) { /* sorted into per-store slices at the end of the build */
        w->deposit_store[w->n_deposits] = store;
    } else if (st->cap == 0) { /* leave the static slice (maybe empty): own copy */
        uint32_t nc = st->n ? st->n * 2 : 4, *nd = dm_malloc(nc * sizeof *nd);
        if (!nd)
            return DM_ERR_NOMEM;
        if (st->n)
            memcpy(nd, st->deposits, st->n * sizeof *nd);
        st->deposits = nd;
        st->cap = nc;
    }
    if (!w->building && st->n == st->cap) {
        uint32_t nc = st->cap ? st->cap * 2 : 4;
        uint32_t *nd = dm_reallocarray(st->deposits, nc, sizeof *nd);
        if (!nd)
            return DM_ERR_NOMEM;
        st->deposits = nd;
        st->cap = nc;
    }
    d = &w->deposits[w->n_deposits];
    d->fact_id = id;
    d->fact_kind = (uint8_t)kind;
    d->tag = (uint8_t)tag;
    d->tag_event = tag_event;
    d->seq = seq;
    if (!w->building)
        st->deposits[st->n++] = (uint32_t)w->n_deposits;
    w->n_deposits++;
    return DM_OK;
}

static int cmp_pair(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* A static slice ascends by ciphertext id (the closure finds a witness in
 * it by binary search).  The build deposits each ciphertext as it makes it,
 * in id order, so slices come sorted and this only checks; a slice that
 * did not (a build step depositing an older ciphertext) would be sorted
 * here, equal ids keeping their deposit order. */
static dm_err sort_slice(dm_world *w, dm_store *st)
{
    uint32_t *f = w->static_facts + st->static_off, *pair, i;
    for (i = 1; i < st->n_static && f[i - 1] <= f[i]; i++)
        ;
    if (i >= st->n_static)
        return DM_OK;
    if (!(pair = dm_reallocarray(NULL, st->n_static, 2 * sizeof *pair)))
        return DM_ERR_NOMEM;
    for (i = 0; i < st->n_static; i++) {
        pair[2 * i] = f[i];
        pair[2 * i + 1] = st->deposits[i];
    }
    qsort(pair, st->n_static, 2 * sizeof *pair, cmp_pair);
    for (i = 0; i < st->n_static; i++) {
        f[i] = pair[2 * i];
        st->deposits[i] = pair[2 * i + 1];
    }
    dm_free(pair);
    return DM_OK;
}

/* End of the build: one counting sort puts every store's deposits, in
 * order, into one array (stores borrow their slice: cap 0). */
static dm_err seal_stores(dm_world *w)
{
    size_t i, total = 0;
    dm_err e;
    w->building = 0;
    for (i = 0; i < w->n_stores; i++)
        w->stores[i].n = 0;
    for (i = 0; i < w->n_deposits; i++)
        w->stores[w->deposit_store[i]].n++;
    if (!(w->static_deposits = dm_malloc((w->n_deposits ? w->n_deposits : 1) * sizeof(uint32_t))) ||
        !(w->static_facts = dm_malloc((w->n_deposits ? w->n_deposits : 1) * sizeof(uint32_t))))
        return DM_ERR_NOMEM;
    for (i = 0; i < w->n_stores; i++) {
        w->stores[i].deposits = w->static_deposits + total;
        w->stores[i].static_off = (uint32_t)total;
        w->stores[i].cap = 0;
        total += w->stores[i].n;
        w->stores[i].n = 0;
    }
    for (i = 0; i < w->n_deposits; i++) {
        dm_store *st = &w->stores[w->deposit_store[i]];
        w->static_facts[st->static_off + st->n] = w->deposits[i].fact_id;
        st->deposits[st->n++] = (uint32_t)i;
    }
    for (i = 0; i < w->n_stores; i++) {
        w->stores[i].n_static = w->stores[i].n;
        if ((e = sort_slice(w, &w->stores[i])) != DM_OK)
            return e;
    }
    dm_free(w->deposit_store);
    w->deposit_store = NULL;
    return DM_OK;
}

static dm_err grow_cts(dm_world *w)
{
    size_t nc;
    dm_ct *ncts;
    uint32_t *nn;
    if (w->n_cts < w->cap_cts)
        return DM_OK;
    nc = w->cap_cts ? w->cap_cts * 2 : 1024;
    if (!(ncts = dm_reallocarray(w->cts, nc, sizeof *ncts)))
        return DM_ERR_NOMEM;
    w->cts = ncts;
    if (!(nn = dm_reallocarray(w->dyn_next, nc, sizeof *nn)))
        return DM_ERR_NOMEM;
    w->dyn_next = nn;
    if (!(nn = dm_reallocarray(w->ct_under, nc, sizeof *nn)))
        return DM_ERR_NOMEM;
    w->ct_under = nn;
    w->cap_cts = nc;
    return DM_OK;
}

dm_err dm_world_add_wrap(dm_world *w, uint32_t key, uint32_t under, dm_origin origin,
                         uint32_t event, uint32_t seq, const uint32_t *stores,
                         size_t n_stores, uint32_t *ct_out)
{
    dm_err e;
    dm_ct *c;
    uint32_t id;
    size_t i;
    if ((e = grow_cts(w)) != DM_OK)
        return e;
    id = (uint32_t)w->n_cts++;
    c = &w->cts[id];
    c->under = under;
    w->ct_under[id] = under;
    c->inner = key;
    c->inner_is_key = 1;
    c->origin = (uint8_t)origin;
    c->event = event;
    c->seq = seq;
    w->dyn_next[id] = UINT32_MAX;
    if (w->dyn_head) { /* indexed already: link it in front of the key's list */
        w->dyn_next[id] = w->dyn_head[under];
        w->dyn_head[under] = id;
    }
    for (i = 0; i < n_stores; i++)
        if ((e = dm_world_deposit(w, stores[i], DM_FACT_CT, id, DM_TAG_CLEAN, UINT32_MAX, seq)) != DM_OK)
            return e;
    if (ct_out)
        *ct_out = id;
    return DM_OK;
}

dm_err dm_world_index(dm_world *w)
{
    size_t k, c;
    uint32_t *fill = NULL;
    dm_free(w->opens_off);
    dm_free(w->opens);
    dm_free(w->dyn_head);
    w->opens = NULL;
    w->dyn_head = NULL;
    if (!(w->opens_off = dm_calloc(w->n_keys + 1, sizeof *w->opens_off)))
        return DM_ERR_NOMEM;
    if (!(w->opens = dm_calloc(w->n_cts ? w->n_cts : 1, sizeof *w->opens)))
        return DM_ERR_NOMEM;
    if (!(w->dyn_head = dm_malloc((w->n_keys ? w->n_keys : 1) * sizeof *w->dyn_head)))
        return DM_ERR_NOMEM;
    if (!(fill = dm_calloc(w->n_keys + 1, sizeof *fill)))
        return DM_ERR_NOMEM;
    for (c = 0; c < w->n_cts; c++)
        w->opens_off[w->cts[c].under + 1]++;
    for (k = 0; k < w->n_keys; k++) {
        w->opens_off[k + 1] += w->opens_off[k];
        w->dyn_head[k] = UINT32_MAX;
    }
    for (c = 0; c < w->n_cts; c++) {
        uint32_t u = w->cts[c].under;
        w->opens[w->opens_off[u] + fill[u]++] = (uint32_t)c;
    }
    w->n_indexed = w->n_cts;
    dm_free(fill);
    return DM_OK;
}

/* Add an item and its ciphertext (ct id == item id). */
static dm_err add_item(dm_world *w, char *name, const uint32_t *owners, uint32_t n_owners,
                       uint32_t group, uint32_t under)
{
    dm_err e;
    uint32_t id = (uint32_t)w->n_items++;
    dm_ct *c;
    if (!name)
        return DM_ERR_NOMEM;
    w->items[id].name = name;
    w->items[id].owners = (uint32_t *)owners;
    w->items[id].n_owners = n_owners;
    w->items[id].group = group;
    if ((e = grow_cts(w)) != DM_OK)
        return e;
    w->ct_under[w->n_cts] = under;
    c = &w->cts[w->n_cts++];
    c->under = under;
    c->inner = id;
    c->inner_is_key = 0;
    c->origin = DM_ORIGIN_PRESET;
    c->event = UINT32_MAX;
    c->seq = 0;
    w->dyn_next[id] = UINT32_MAX;
    return DM_OK;
}

static dm_err deposit_many(dm_world *w, const uint32_t *stores, size_t n, uint32_t ct)
{
    size_t i;
    dm_err e;
    for (i = 0; i < n; i++)
        if ((e = dm_world_deposit(w, stores[i], DM_FACT_CT, ct, DM_TAG_CLEAN, UINT32_MAX, 0)) != DM_OK)
            return e;
    return DM_OK;
}

/* Stores where a user's own ciphertexts lie: its provider's store and its
 * devices.  buf must hold 1 + DM_LIMIT_DEVICES entries. */
static size_t user_stores(const dm_world *w, uint32_t u, uint32_t *buf)
{
    const dm_user *us = &w->sc->users[u];
    size_t n = 0;
    uint32_t d;
    buf[n++] = us->provider; /* provider party == its store */
    for (d = 0; d < us->devices; d++)
        buf[n++] = w->user_first_devstore[u] + d;
    return n;
}

/* Group ciphertext stores: the group's provider, every member's devices, and
 * the store of each member's own provider when it differs (its backup). */
static dm_err group_stores(const dm_world *w, uint32_t g, uint32_t **out, size_t *n_out)
{
    const dm_group *gr = &w->sc->groups[g];
    size_t cap = 1, n = 0, m, j;
    uint32_t *buf, d;
    for (m = 0; m < gr->n_members; m++)
        cap += 1 + w->sc->users[gr->members[m]].devices;
    if (!(buf = dm_malloc(cap * sizeof *buf)))
        return DM_ERR_NOMEM;
    buf[n++] = gr->provider;
    for (m = 0; m < gr->n_members; m++) {
        const dm_user *us = &w->sc->users[gr->members[m]];
        int seen = 0;
        for (j = 0; j < n; j++)
            seen |= buf[j] == us->provider;
        if (!seen)
            buf[n++] = us->provider;
    }
    for (m = 0; m < gr->n_members; m++) {
        const dm_user *us = &w->sc->users[gr->members[m]];
        for (d = 0; d < us->devices; d++)
            buf[n++] = w->user_first_devstore[gr->members[m]] + d;
    }
    *out = buf;
    *n_out = n;
    return DM_OK;
}

static dm_err build_keys(dm_world *w)
{
    const dm_scenario *s = w->sc;
    size_t n = s->n_keys + s->n_providers, i, e;
    uint32_t k = 0, sh = 0;
    uint8_t *ghost;
    for (i = 0; i < s->n_users; i++)
        if (s->users[i].provider != DM_NONE)
            n += 1 + s->users[i].devices;
    n += s->n_groups;
    if (!(ghost = dm_calloc(s->n_actors ? s->n_actors : 1, 1)))
        return DM_ERR_NOMEM;
    for (e = 0; e < s->n_events; e++)
        if (s->events[e].kind == DM_EVENT_GHOST)
            ghost[s->events[e].by.idx] = 1;
    /* A ghost key named by an explicit wrap, item or event exists even when
     * no ghost event makes it (the counterfactual drops ghost events but
     * keeps explicit wraps and items): nobody holds it then. */
    for (i = 0; i < s->n_wraps; i++) {
        if (s->wraps[i].key.kind == DM_KEYREF_GHOST)
            ghost[s->wraps[i].key.idx] = 1;
        if (s->wraps[i].under.kind == DM_KEYREF_GHOST)
            ghost[s->wraps[i].under.idx] = 1;
    }
    for (i = 0; i < s->n_items; i++)
        if (s->items[i].under.kind == DM_KEYREF_GHOST)
            ghost[s->items[i].under.idx] = 1;
    for (e = 0; e < s->n_events; e++)
        if ((s->events[e].kind == DM_EVENT_STEAL || s->events[e].kind == DM_EVENT_BACKDOOR) &&
            s->events[e].key.kind == DM_KEYREF_GHOST)
            ghost[s->events[e].key.idx] = 1;
    for (i = 0; i < s->n_actors; i++)
        n += ghost[i];
    w->keys = dm_calloc(n ? n : 1, sizeof *w->keys);
    w->declared_key = dm_calloc(s->n_keys ? s->n_keys : 1, sizeof *w->declared_key);
    w->provider_hsm = dm_calloc(s->n_providers ? s->n_providers : 1, sizeof(uint32_t));
    w->user_dk = dm_calloc(s->n_users ? s->n_users : 1, sizeof(uint32_t));
    w->user_first_dev = dm_calloc(s->n_users ? s->n_users : 1, sizeof(uint32_t));
    w->group_gk = dm_calloc(s->n_groups ? s->n_groups : 1, sizeof(uint32_t));
    w->actor_ghost = dm_calloc(s->n_actors ? s->n_actors : 1, sizeof(uint32_t));
    if (!w->keys || !w->declared_key || !w->provider_hsm || !w->user_dk || !w->user_first_dev ||
        !w->group_gk || !w->actor_ghost) {
        dm_free(ghost);
        return DM_ERR_NOMEM;
    }
    for (i = 0; i < s->n_keys; i++) {
        dm_wkey *wk = &w->keys[k];
        w->declared_key[i] = k++;
        wk->ref.kind = DM_KEYREF_DECLARED;
        wk->ref.idx = (dm_id)i;
        wk->type = s->keys[i].type;
        wk->share_k = s->keys[i].share_k;
        wk->n_shares = s->keys[i].share_k ? (uint32_t)s->keys[i].n_shares : 0;
        wk->first_share = sh;
        sh += wk->n_shares;
    }
    for (i = 0; i < s->n_providers; i++) {
        w->provider_hsm[i] = k;
        w->keys[k].ref.kind = DM_KEYREF_HSM;
        w->keys[k].ref.idx = (dm_id)i;
        w->keys[k++].type = DM_KEY_KEYPAIR;
    }
    for (i = 0; i < s->n_users; i++) {
        uint32_t d;
        w->user_dk[i] = UINT32_MAX;
        w->user_first_dev[i] = UINT32_MAX;
        if (s->users[i].provider == DM_NONE)
            continue;
        w->user_dk[i] = k;
        w->keys[k].ref.kind = DM_KEYREF_DK;
        w->keys[k].ref.idx = (dm_id)i;
        w->keys[k++].type = DM_KEY_SYMMETRIC;
        w->user_first_dev[i] = k;
        for (d = 1; d <= s->users[i].devices; d++) {
            w->keys[k].ref.kind = DM_KEYREF_DEV;
            w->keys[k].ref.idx = (dm_id)i;
            w->keys[k].ref.sub = d;
            w->keys[k++].type = DM_KEY_KEYPAIR;
        }
    }
    for (i = 0; i < s->n_groups; i++) {
        w->group_gk[i] = k;
        w->keys[k].ref.kind = DM_KEYREF_GK;
        w->keys[k].ref.idx = (dm_id)i;
        w->keys[k++].type = DM_KEY_SYMMETRIC;
    }
    for (i = 0; i < s->n_actors; i++) {
        w->actor_ghost[i] = UINT32_MAX;
        if (!ghost[i])
            continue;
        w->actor_ghost[i] = k;
        w->keys[k].ref.kind = DM_KEYREF_GHOST;
        w->keys[k].ref.idx = (dm_id)i;
        w->keys[k++].type = DM_KEY_KEYPAIR;
    }
    dm_free(ghost);
    w->n_keys = k;
    /* Shares. */
    w->n_shares = sh;
    if (!(w->shares = dm_calloc(sh ? sh : 1, sizeof *w->shares)))
        return DM_ERR_NOMEM;
    for (i = 0; i < s->n_keys; i++) {
        const dm_wkey *wk = &w->keys[w->declared_key[i]];
        uint32_t j;
        for (j = 0; j < wk->n_shares; j++) {
            dm_share *x = &w->shares[wk->first_share + j];
            x->key = w->declared_key[i];
            x->index = j + 1;
            x->holder = dm_world_party(w, s->keys[i].share_holders[j]);
        }
    }
    /* A declared key only a backdoor names: dropped by the counterfactual. */
    for (e = 0; e < s->n_events; e++)
        if (s->events[e].kind == DM_EVENT_BACKDOOR && s->events[e].key.kind == DM_KEYREF_DECLARED)
            w->keys[w->declared_key[s->events[e].key.idx]].backdoor_only = 1;
    for (i = 0; i < s->n_wraps; i++) {
        w->keys[dm_world_key(w, s->wraps[i].key)].backdoor_only = 0;
        w->keys[dm_world_key(w, s->wraps[i].under)].backdoor_only = 0;
    }
    for (i = 0; i < s->n_items; i++)
        w->keys[dm_world_key(w, s->items[i].under)].backdoor_only = 0;
    return DM_OK;
}

static dm_err build_stores(dm_world *w)
{
    const dm_scenario *s = w->sc;
    size_t n = w->n_parties, i;
    uint32_t st;
    if (!(w->user_first_devstore = dm_calloc(s->n_users ? s->n_users : 1, sizeof(uint32_t))))
        return DM_ERR_NOMEM;
    for (i = 0; i < s->n_users; i++)
        n += s->users[i].devices;
    if (!(w->stores = dm_calloc(n ? n : 1, sizeof *w->stores)))
        return DM_ERR_NOMEM;
    for (i = 0; i < w->n_parties; i++)
        w->stores[i].owner = (uint32_t)i;
    st = (uint32_t)w->n_parties;
    for (i = 0; i < s->n_users; i++) {
        uint32_t d;
        w->user_first_devstore[i] = st;
        for (d = 1; d <= s->users[i].devices; d++) {
            w->stores[st].owner = (uint32_t)(w->n_providers + w->n_actors + i);
            w->stores[st++].device = d;
        }
    }
    w->n_stores = st;
    return DM_OK;
}

/* Every item first (user, group, explicit), so item ids equal their
 * ciphertext ids; wraps come after. */
static dm_err build_items(dm_world *w)
{
    const dm_scenario *s = w->sc;
    uint32_t buf[1 + DM_LIMIT_DEVICES], *stores = NULL;
    size_t u, g, i, j, n;
    dm_err e = DM_OK;
    for (u = 0; u < s->n_users; u++) {
        const dm_user *us = &s->users[u];
        if (us->provider == DM_NONE)
            continue;
        n = user_stores(w, (uint32_t)u, buf);
        for (i = 0; i < us->n_items; i++) {
            if ((e = add_item(w, pool_strdup(w, us->id, us->items[i]), &w->self_owner[u], 1,
                              UINT32_MAX, w->user_dk[u])) != DM_OK)
                return e;
            if ((e = deposit_many(w, buf, n, (uint32_t)w->n_items - 1)) != DM_OK)
                return e;
        }
    }
    for (g = 0; g < s->n_groups && e == DM_OK; g++) {
        const dm_group *gr = &s->groups[g];
        if ((e = group_stores(w, (uint32_t)g, &stores, &n)) != DM_OK)
            return e;
        for (i = 0; i < gr->n_items && e == DM_OK; i++) {
            e = add_item(w, pool_strdup(w, gr->id, gr->items[i]), gr->members,
                         (uint32_t)gr->n_members, (uint32_t)g, w->group_gk[g]);
            if (e == DM_OK)
                e = deposit_many(w, stores, n, (uint32_t)w->n_items - 1);
        }
        dm_free(stores);
    }
    for (i = 0; i < s->n_items && e == DM_OK; i++) {
        const dm_item *it = &s->items[i];
        e = add_item(w, pool_strdup(w, it->id, NULL), it->owners, (uint32_t)it->n_owners,
                     UINT32_MAX, dm_world_key(w, it->under));
        for (j = 0; j < it->n_at && e == DM_OK; j++)
            e = dm_world_deposit(w, dm_world_store(w, it->at[j]), DM_FACT_CT,
                                 (uint32_t)w->n_items - 1, DM_TAG_CLEAN, UINT32_MAX, 0);
    }
    return e;
}

/* Preset users: the data key wrapped to each device (and to the provider's
 * service key under the `provider` preset). */
static dm_err build_users(dm_world *w)
{
    const dm_scenario *s = w->sc;
    uint32_t buf[1 + DM_LIMIT_DEVICES];
    size_t u, n;
    dm_err e;
    for (u = 0; u < s->n_users; u++) {
        const dm_user *us = &s->users[u];
        uint32_t dk = w->user_dk[u], d, ct;
        if (us->provider == DM_NONE)
            continue;
        n = user_stores(w, (uint32_t)u, buf);
        for (d = 0; d < us->devices; d++)
            if ((e = dm_world_add_wrap(w, dk, w->user_first_dev[u] + d, DM_ORIGIN_PRESET, UINT32_MAX,
                                       0, buf, n, &ct)) != DM_OK)
                return e;
        if (us->protection == DM_PROTECTION_PROVIDER &&
            (e = dm_world_add_wrap(w, dk, w->provider_hsm[us->provider], DM_ORIGIN_PRESET,
                                   UINT32_MAX, 0, buf, n, &ct)) != DM_OK)
            return e;
    }
    return DM_OK;
}

/* Preset groups: the group key wrapped to each member's devices (and to a
 * provider-protected member's <provider>.hsm, in its backup), its items. */
static dm_err build_groups(dm_world *w)
{
    const dm_scenario *s = w->sc;
    size_t g, m, j;
    dm_err e = DM_OK;
    for (g = 0; g < s->n_groups; g++) {
        const dm_group *gr = &s->groups[g];
        uint32_t gk = w->group_gk[g], ct, d;
        for (m = 0; m < gr->n_members && e == DM_OK; m++) {
            uint32_t u = gr->members[m], own[2 + DM_LIMIT_DEVICES], no = 0;
            const dm_user *us = &s->users[u];
            own[no++] = gr->provider;
            if (us->provider != gr->provider)
                own[no++] = us->provider;
            for (d = 0; d < us->devices; d++)
                own[no++] = w->user_first_devstore[u] + d;
            for (d = 0; d < us->devices && e == DM_OK; d++)
                e = dm_world_add_wrap(w, gk, w->user_first_dev[u] + d, DM_ORIGIN_PRESET, UINT32_MAX,
                                      0, own, no, &ct);
            if (e == DM_OK && us->protection == DM_PROTECTION_PROVIDER) {
                int dup = 0;
                for (j = 0; j < m; j++) {
                    const dm_user *o = &s->users[gr->members[j]];
                    dup |= o->protection == DM_PROTECTION_PROVIDER && o->provider == us->provider;
                }
                /* In the member's backup: its provider's store and its devices. */
                if (!dup)
                    e = dm_world_add_wrap(w, gk, w->provider_hsm[us->provider], DM_ORIGIN_PRESET,
                                          UINT32_MAX, 0, own + (no - us->devices) - 1,
                                          us->devices + 1, &ct);
            }
        }
        if (e != DM_OK)
            return e;
    }
    return DM_OK;
}

static dm_err build_explicit(dm_world *w)
{
    const dm_scenario *s = w->sc;
    uint32_t *stores = NULL;
    size_t cap = 0, i, j;
    dm_err e = DM_OK;
    for (i = 0; i < s->n_wraps && e == DM_OK; i++) {
        const dm_wrap *wr = &s->wraps[i];
        uint32_t ct;
        if (wr->n_at > cap) {
            uint32_t *ns = dm_reallocarray(stores, wr->n_at, sizeof *ns);
            if (!ns) {
                e = DM_ERR_NOMEM;
                break;
            }
            stores = ns;
            cap = wr->n_at;
        }
        for (j = 0; j < wr->n_at; j++)
            stores[j] = dm_world_store(w, wr->at[j]);
        e = dm_world_add_wrap(w, dm_world_key(w, wr->key), dm_world_key(w, wr->under),
                              DM_ORIGIN_EXPLICIT, UINT32_MAX, 0, stores, wr->n_at, &ct);
    }
    dm_free(stores);
    return e;
}

dm_err dm_world_build(const dm_scenario *s, dm_world **out)
{
    dm_world *w;
    dm_err e = DM_ERR_NOMEM;
    size_t n_items = s->n_items, i;
    if (!(w = dm_calloc(1, sizeof *w)))
        return DM_ERR_NOMEM;
    w->sc = s;
    w->n_providers = s->n_providers;
    w->n_actors = s->n_actors;
    w->n_users = s->n_users;
    w->n_parties = s->n_providers + s->n_actors + s->n_users;
    for (i = 0; i < s->n_users; i++)
        if (s->users[i].provider != DM_NONE)
            n_items += s->users[i].n_items;
    for (i = 0; i < s->n_groups; i++)
        n_items += s->groups[i].n_items;
    if (!(w->items = dm_calloc(n_items ? n_items : 1, sizeof *w->items)))
        goto out;
    if (!(w->self_owner = dm_malloc((s->n_users ? s->n_users : 1) * sizeof(uint32_t))))
        goto out;
    for (i = 0; i < s->n_users; i++)
        w->self_owner[i] = (uint32_t)i;
    if (!(w->event_refused = dm_calloc(s->n_events ? s->n_events : 1, 1)))
        goto out;
    w->building = 1;
    if ((e = build_keys(w)) != DM_OK || (e = build_stores(w)) != DM_OK ||
        (e = build_items(w)) != DM_OK || (e = build_users(w)) != DM_OK ||
        (e = build_groups(w)) != DM_OK || (e = build_explicit(w)) != DM_OK ||
        (e = seal_stores(w)) != DM_OK)
        goto out;
    e = dm_world_index(w);
out:
    if (e != DM_OK) {
        dm_world_free(w);
        return e;
    }
    *out = w;
    return DM_OK;
}

void dm_world_free(dm_world *w)
{
    size_t i;
    if (!w)
        return;
    for (i = 0; i < w->n_stores; i++)
        if (w->stores[i].cap)
            dm_free(w->stores[i].deposits);
    dm_free(w->static_deposits);
    dm_free(w->static_facts);
    dm_free(w->deposit_store);
    for (i = 0; i < w->n_pool; i++)
        dm_free(w->pool[i]);
    dm_free(w->pool);
    dm_free(w->stores);
    dm_free(w->keys);
    dm_free(w->shares);
    dm_free(w->items);
    dm_free(w->cts);
    dm_free(w->deposits);
    dm_free(w->user_dk);
    dm_free(w->user_first_dev);
    dm_free(w->user_first_devstore);
    dm_free(w->group_gk);
    dm_free(w->provider_hsm);
    dm_free(w->actor_ghost);
    dm_free(w->declared_key);
    dm_free(w->opens_off);
    dm_free(w->opens);
    dm_free(w->dyn_head);
    dm_free(w->dyn_next);
    dm_free(w->ct_under);
    dm_free(w->self_owner);
    dm_free(w->event_refused);
    dm_free(w);
}
