/* engine.c - play the timeline, classify every reach, count exposure. */
#include "doormat/engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "closure_int.h"
#include "doormat/alloc.h"

const char *dm_class_name(dm_class c)
{
    static const char *const names[] = {"owner", "custodian", "lawful", "collateral", "unlawful"};
    return (unsigned)c < DM_CLASS_COUNT ? names[c] : "?";
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- A set of (key, under) pairs, so a wrap is made once. ---- */

typedef struct pairset {
    uint64_t *slot; /* 0 = empty; entries stored +1 */
    size_t cap, n;
} pairset;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Insert; returns 1 if new, 0 if present, -1 on allocation failure. */
static int pairset_add(pairset *s, uint32_t a, uint32_t b)
{
    uint64_t v = (((uint64_t)a << 32) | b) + 1, h;
    size_t i;
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024, j;
        uint64_t *ns = dm_calloc(nc, sizeof *ns);
        if (!ns)
            return -1;
        for (j = 0; j < s->cap; j++)
            if (s->slot[j]) {
                size_t k = mix(s->slot[j]) & (nc - 1);
                while (ns[k])
                    k = (k + 1) & (nc - 1);
                ns[k] = s->slot[j];
            }
        dm_free(s->slot);
        s->slot = ns;
        s->cap = nc;
    }
    h = mix(v);
    for (i = h & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
        if (s->slot[i] == v)
            return 0;
    s->slot[i] = v;
    s->n++;
    return 1;
}

/* ---- The timeline state of one world. ---- */

typedef struct sim {
    const dm_scenario *s;
    dm_world *w;
    dm_closure *c, *c2;
    uint32_t *region;         /* per user: region now */
    uint8_t *prot;            /* per user: protection now */
    uint64_t *scope_mask;     /* per user: orders/ghosts whose scope held it */
    uint64_t *lawful_mask;    /* ... and whose authority's region was its region */
    uint8_t *simple;          /* per user: provably reaches only its own items */
    uint32_t *active;         /* backdoor and downgrade events in force */
    size_t n_active;
    pairset wrapped;
    dm_diag *diag;
    double t_timeline;
} sim;

static void sim_free(sim *m)
{
    dm_closure_free(m->c);
    dm_closure_free(m->c2);
    dm_free(m->region);
    dm_free(m->prot);
    dm_free(m->scope_mask);
    dm_free(m->lawful_mask);
    dm_free(m->active);
    dm_free(m->simple);
    dm_free(m->wrapped.slot);
}

/* Wrap `key` under `under` in `store`, once. */
static dm_err wrap_once(sim *m, uint32_t key, uint32_t under, dm_origin origin, uint32_t ev,
                        uint32_t seq, uint32_t store)
{
    int r = pairset_add(&m->wrapped, key, under);
    if (r < 0)
        return DM_ERR_NOMEM;
    if (r == 0)
        return DM_OK;
    return dm_world_add_wrap(m->w, key, under, origin, ev, seq, &store, 1, NULL);
}

/* A user's keys (its data key and its groups' keys) wrapped under `under`
 * at its own provider: what a backdoor or a downgrade does. */
static dm_err wrap_user_keys(sim *m, uint32_t u, uint32_t under, dm_origin origin, uint32_t ev,
                             uint32_t seq)
{
    const dm_user *us = &m->s->users[u];
    size_t g;
    dm_err e;
    if (us->provider == DM_NONE)
        return DM_OK;
    if ((e = wrap_once(m, m->w->user_dk[u], under, origin, ev, seq, us->provider)) != DM_OK)
        return e;
    for (g = 0; g < us->n_groups; g++)
        if ((e = wrap_once(m, m->w->group_gk[us->groups[g]], under, origin, ev, seq,
                           us->provider)) != DM_OK)
            return e;
    return DM_OK;
}

/* Apply every backdoor and downgrade in force to user u (now in scope). */
static dm_err apply_active(sim *m, uint32_t u, uint32_t seq)
{
    const dm_scenario *s = m->s;
    const dm_user *us = &s->users[u];
    size_t i;
    dm_err e;
    for (i = 0; i < m->n_active; i++) {
        const dm_event *ev = &s->events[m->active[i]];
        if (ev->provider != us->provider)
            continue;
        if (ev->kind == DM_EVENT_BACKDOOR && dm_scope_holds(&ev->scope, u, m->region[u])) {
            if ((e = wrap_user_keys(m, u, dm_world_key(m->w, ev->key), DM_ORIGIN_BACKDOOR,
                                    m->active[i], seq)) != DM_OK)
                return e;
        } else if (ev->kind == DM_EVENT_DOWNGRADE && ev->region == m->region[u] &&
                   m->prot[u] == DM_PROTECTION_E2EE) {
            m->prot[u] = DM_PROTECTION_PROVIDER;
            if ((e = wrap_user_keys(m, u, m->w->provider_hsm[us->provider], DM_ORIGIN_DOWNGRADE,
                                    m->active[i], seq)) != DM_OK)
                return e;
        }
    }
    return DM_OK;
}

static int operates_in(const dm_scenario *s, dm_id provider, dm_id region)
{
    size_t i;
    for (i = 0; i < s->providers[provider].n_regions; i++)
        if (s->providers[provider].regions[i] == region)
            return 1;
    return 0;
}

/* Keys that lead, through the wraps made so far, to an item in `want`. */
static dm_err leading_keys(const dm_world *w, const uint8_t *want, uint8_t *lead)
{
    uint32_t *off = dm_calloc(w->n_keys + 1, sizeof *off), *adj = NULL, *fill = NULL;
    uint32_t *stack = NULL, n = 0;
    size_t c, k;
    dm_err e = DM_ERR_NOMEM;
    if (!off)
        goto out;
    for (c = 0; c < w->n_cts; c++)
        if (w->cts[c].inner_is_key)
            off[w->cts[c].inner + 1]++;
    for (k = 0; k < w->n_keys; k++)
        off[k + 1] += off[k];
    adj = dm_malloc((off[w->n_keys] ? off[w->n_keys] : 1) * sizeof *adj);
    fill = dm_calloc(w->n_keys + 1, sizeof *fill);
    stack = dm_malloc((w->n_keys ? w->n_keys : 1) * sizeof *stack);
    if (!adj || !fill || !stack)
        goto out;
    for (c = 0; c < w->n_cts; c++)
        if (w->cts[c].inner_is_key) {
            uint32_t in = w->cts[c].inner;
            adj[off[in] + fill[in]++] = w->cts[c].under;
        }
    for (c = 0; c < w->n_items; c++)
        if (want[c] && !lead[w->cts[c].under]) {
            lead[w->cts[c].under] = 1;
            stack[n++] = w->cts[c].under;
        }
    while (n) {
        uint32_t x = stack[--n], i;
        for (i = off[x]; i < off[x + 1]; i++)
            if (!lead[adj[i]]) {
                lead[adj[i]] = 1;
                stack[n++] = adj[i];
            }
    }
    e = DM_OK;
out:
    dm_free(off);
    dm_free(adj);
    dm_free(fill);
    dm_free(stack);
    return e;
}

/* An order: the provider hands the authority, into its store, what it can
 * derive now for the items in scope (DESIGN.md "order"). */
static dm_err play_order(sim *m, uint32_t ei)
{
    const dm_scenario *s = m->s;
    dm_world *w = m->w;
    const dm_event *ev = &s->events[ei];
    uint32_t auth = dm_world_party(w, ev->by), prov = ev->provider, seq = ei + 1, store;
    uint32_t rank = m->c->order_rank[ei];
    uint8_t *want = NULL, *lead = NULL;
    dm_id aregion = s->actors[ev->by.idx].region;
    dm_closure *legal;
    size_t i, j;
    dm_err e = DM_ERR_NOMEM;
    store = dm_world_party_store(w, auth);
    for (i = 0; i < s->n_users; i++)
        if (dm_scope_holds(&ev->scope, (uint32_t)i, m->region[i])) {
            m->scope_mask[i] |= (uint64_t)1 << rank;
            if (m->region[i] == aregion)
                m->lawful_mask[i] |= (uint64_t)1 << rank;
        }
    if (!(want = dm_calloc(w->n_items ? w->n_items : 1, 1)))
        goto out;
    for (i = 0; i < w->n_items; i++)
        for (j = 0; j < w->items[i].n_owners; j++)
            if ((m->scope_mask[w->items[i].owners[j]] >> rank) & 1)
                want[i] = 1;
    /* c: everything the provider derives; legal: the same without stolen
     * knowledge (c itself when the provider has none). */
    if ((e = dm_closure_run(m->c, prov, ei, DM_FILTER_ALL, 0)) != DM_OK)
        goto out;
    legal = m->c;
    if (m->c->saw_unlawful) {
        if (!m->c2 && (e = dm_closure_new(w, &m->c2)) != DM_OK)
            goto out;
        if ((e = dm_closure_run(m->c2, prov, ei, DM_FILTER_LEGAL, 0)) != DM_OK)
            goto out;
        legal = m->c2;
    }
    if (ev->demand == DM_DEMAND_DATA) {
        for (i = 0; i < w->n_items; i++) {
            dm_fact_kind kind = DM_FACT_ITEM;
            dm_tag tag = DM_TAG_ORDER;
            if (!want[i])
                continue;
            if (dm_closure_knows(legal, DM_FACT_ITEM, (uint32_t)i))
                ;
            else if (dm_closure_knows(m->c, DM_FACT_ITEM, (uint32_t)i))
                tag = DM_TAG_UNLAWFUL;
            else if (dm_closure_knows(legal, DM_FACT_CT, (uint32_t)i))
                kind = DM_FACT_CT;
            else if (dm_closure_knows(m->c, DM_FACT_CT, (uint32_t)i)) {
                kind = DM_FACT_CT;
                tag = DM_TAG_UNLAWFUL;
            } else
                continue;
            if ((e = dm_world_deposit(w, store, kind, (uint32_t)i, tag, ei, seq)) != DM_OK)
                goto out;
        }
    } else {
        e = DM_ERR_NOMEM;
        if (!(lead = dm_calloc(w->n_keys ? w->n_keys : 1, 1)))
            goto out;
        if ((e = leading_keys(w, want, lead)) != DM_OK)
            goto out;
        for (i = 0; i < w->n_keys; i++) {
            dm_tag tag = DM_TAG_ORDER;
            if (!lead[i])
                continue;
            if (dm_closure_knows(legal, DM_FACT_KEY, (uint32_t)i))
                ;
            else if (dm_closure_knows(m->c, DM_FACT_KEY, (uint32_t)i))
                tag = DM_TAG_UNLAWFUL;
            else
                continue;
            if ((e = dm_world_deposit(w, store, DM_FACT_KEY, (uint32_t)i, tag, ei, seq)) != DM_OK)
                goto out;
        }
        for (i = 0; i < w->n_shares; i++) {
            dm_tag tag = DM_TAG_ORDER;
            if (!lead[w->shares[i].key] || dm_closure_knows(legal, DM_FACT_KEY, w->shares[i].key) ||
                dm_closure_knows(m->c, DM_FACT_KEY, w->shares[i].key))
                continue; /* the whole key is handed over already */
            if (dm_closure_knows(legal, DM_FACT_SHARE, (uint32_t)i))
                ;
            else if (dm_closure_knows(m->c, DM_FACT_SHARE, (uint32_t)i))
                tag = DM_TAG_UNLAWFUL;
            else
                continue;
            if ((e = dm_world_deposit(w, store, DM_FACT_SHARE, (uint32_t)i, tag, ei, seq)) != DM_OK)
                goto out;
        }
    }
    e = DM_OK;
out:
    dm_free(want);
    dm_free(lead);
    return e;
}

/* A ghost: the provider wraps the group key to <authority>.ghost and
 * delivers the group's ciphertexts and that wrap to the authority. */
static dm_err play_ghost(sim *m, uint32_t ei)
{
    const dm_scenario *s = m->s;
    dm_world *w = m->w;
    const dm_event *ev = &s->events[ei];
    const dm_group *g = &s->groups[ev->group];
    uint32_t auth = dm_world_party(w, ev->by), seq = ei + 1, rank = m->c->order_rank[ei], ct;
    uint32_t gk = w->group_gk[ev->group], store = dm_world_party_store(w, auth);
    dm_id aregion = s->actors[ev->by.idx].region;
    size_t i;
    dm_err e;
    for (i = 0; i < g->n_members; i++) {
        uint32_t u = g->members[i];
        if (m->region[u] == aregion) {
            m->scope_mask[u] |= (uint64_t)1 << rank;
            m->lawful_mask[u] |= (uint64_t)1 << rank;
        }
    }
    if ((e = dm_world_add_wrap(w, gk, w->actor_ghost[ev->by.idx], DM_ORIGIN_GHOST, ei, seq,
                               &g->provider, 1, &ct)) != DM_OK)
        return e;
    if ((e = dm_world_deposit(w, store, DM_FACT_CT, ct, DM_TAG_ORDER, ei, seq)) != DM_OK)
        return e;
    for (i = 0; i < w->n_items; i++)
        if (w->items[i].group == ev->group &&
            (e = dm_world_deposit(w, store, DM_FACT_CT, (uint32_t)i, DM_TAG_ORDER, ei, seq)) != DM_OK)
            return e;
    return DM_OK;
}

static dm_err sim_init(sim *m, const dm_scenario *s, dm_diag *diag, double *t_expand)
{
    size_t i, nu = s->n_users ? s->n_users : 1;
    uint8_t *dyn;
    double t0 = now();
    dm_err e;
    memset(m, 0, sizeof *m);
    m->s = s;
    m->diag = diag;
    if ((e = dm_world_build(s, &m->w)) != DM_OK)
        return e;
    *t_expand += now() - t0;
    m->region = dm_malloc(nu * sizeof *m->region);
    m->prot = dm_malloc(nu);
    m->scope_mask = dm_calloc(nu, sizeof *m->scope_mask);
    m->lawful_mask = dm_calloc(nu, sizeof *m->lawful_mask);
    m->active = dm_malloc((s->n_events ? s->n_events : 1) * sizeof *m->active);
    if (!m->region || !m->prot || !m->scope_mask || !m->lawful_mask || !m->active)
        return DM_ERR_NOMEM;
    for (i = 0; i < s->n_users; i++) {
        m->region[i] = s->users[i].region;
        m->prot[i] = (uint8_t)s->users[i].protection;
    }
    /* Remember the wraps the timeline could make again: those under a key
     * a backdoor names or under the hsm of a provider that downgrades. */
    if (!(dyn = dm_calloc(m->w->n_keys ? m->w->n_keys : 1, 1)))
        return DM_ERR_NOMEM;
    for (i = 0; i < s->n_events; i++) {
        if (s->events[i].kind == DM_EVENT_BACKDOOR)
            dyn[dm_world_key(m->w, s->events[i].key)] = 1;
        if (s->events[i].kind == DM_EVENT_DOWNGRADE)
            dyn[m->w->provider_hsm[s->events[i].provider]] = 1;
    }
    for (i = m->w->n_items; i < m->w->n_cts; i++)
        if (dyn[m->w->cts[i].under] &&
            pairset_add(&m->wrapped, m->w->cts[i].inner, m->w->cts[i].under) < 0) {
            dm_free(dyn);
            return DM_ERR_NOMEM;
        }
    dm_free(dyn);
    if ((e = dm_closure_new(m->w, &m->c)) != DM_OK)
        return e;
    return DM_OK;
}

/* Play events [0, bound). */
static dm_err sim_play(sim *m, uint32_t bound)
{
    const dm_scenario *s = m->s;
    double t0 = now();
    uint32_t ei;
    size_t i;
    dm_err e = DM_OK;
    for (ei = 0; ei < bound && e == DM_OK; ei++) {
        const dm_event *ev = &s->events[ei];
        uint32_t seq = ei + 1;
        switch (ev->kind) {
        case DM_EVENT_BACKDOOR:
        case DM_EVENT_DOWNGRADE:
            m->active[m->n_active++] = ei;
            for (i = 0; i < s->n_users && e == DM_OK; i++) {
                if (s->users[i].provider != ev->provider)
                    continue;
                if (ev->kind == DM_EVENT_BACKDOOR) {
                    if (dm_scope_holds(&ev->scope, (uint32_t)i, m->region[i]))
                        e = wrap_user_keys(m, (uint32_t)i, dm_world_key(m->w, ev->key),
                                           DM_ORIGIN_BACKDOOR, ei, seq);
                } else if (m->region[i] == ev->region && m->prot[i] == DM_PROTECTION_E2EE) {
                    m->prot[i] = DM_PROTECTION_PROVIDER;
                    e = wrap_user_keys(m, (uint32_t)i, m->w->provider_hsm[ev->provider],
                                       DM_ORIGIN_DOWNGRADE, ei, seq);
                }
            }
            break;
        case DM_EVENT_TRAVEL:
            m->region[ev->user] = ev->region;
            e = apply_active(m, ev->user, seq);
            break;
        case DM_EVENT_ORDER:
            if (!operates_in(s, ev->provider, s->actors[ev->by.idx].region)) {
                m->w->event_refused[ei] = 1;
                if (m->diag)
                    dm_diag_add(m->diag, DM_SEV_WARNING, ev->offset, NULL,
                                "%s: refused: %s does not operate in %s, the region of %s",
                                ev->id, s->providers[ev->provider].id,
                                s->regions[s->actors[ev->by.idx].region], s->actors[ev->by.idx].id);
                break;
            }
            e = play_order(m, ei);
            break;
        case DM_EVENT_GHOST: {
            dm_id prov = s->groups[ev->group].provider;
            if (!operates_in(s, prov, s->actors[ev->by.idx].region)) {
                m->w->event_refused[ei] = 1;
                if (m->diag)
                    dm_diag_add(m->diag, DM_SEV_WARNING, ev->offset, NULL,
                                "%s: refused: %s does not operate in %s, the region of %s",
                                ev->id, s->providers[prov].id,
                                s->regions[s->actors[ev->by.idx].region], s->actors[ev->by.idx].id);
                break;
            }
            e = play_ghost(m, ei);
            break;
        }
        default: /* steal, breach, compromise: read by the closure at its step */
            break;
        }
    }
    m->t_timeline += now() - t0;
    return e;
}

/* A user that holds only its device keys, does nothing, has an empty own
 * store and no explicit item or wrap on its devices reaches exactly its own
 * items: presets put on a device only the owner's items and wraps of the
 * owner's keys, and the timeline deposits nothing there.  Such users need no
 * closure (a million users cost none each).  Deposits only grow, so this
 * holds at every earlier step too. */
static dm_err find_simple_users(sim *m)
{
    const dm_world *w = m->w;
    const dm_scenario *s = m->s;
    const dm_closure *c = m->c;
    size_t u, i, j;
    if (!(m->simple = dm_calloc(w->n_users ? w->n_users : 1, 1)))
        return DM_ERR_NOMEM;
    for (u = 0; u < w->n_users; u++) {
        uint32_t p = (uint32_t)(w->n_providers + w->n_actors + u);
        m->simple[u] = c->held_off[p + 1] - c->held_off[p] == s->users[u].devices &&
                       c->hshare_off[p + 1] == c->hshare_off[p] && c->ev_off[p + 1] == c->ev_off[p] &&
                       w->stores[p].n == 0;
    }
    for (i = 0; i < s->n_items; i++)
        for (j = 0; j < s->items[i].n_at; j++)
            if (s->items[i].at[j].device)
                m->simple[s->items[i].at[j].owner.idx] = 0;
    for (i = 0; i < s->n_wraps; i++)
        for (j = 0; j < s->wraps[i].n_at; j++)
            if (s->wraps[i].at[j].device)
                m->simple[s->wraps[i].at[j].owner.idx] = 0;
    return DM_OK;
}

/* ---- Classification of one actor's reaches ---- */

typedef struct outbuf {
    dm_reach *r;
    size_t n, cap;
    uint32_t *via;
    size_t n_via, cap_via;
} outbuf;

/* Per-item scratch for one actor: its class so far (0xff: unreached). */
typedef struct scratch {
    uint8_t *cls;        /* per item */
    uint32_t *list;      /* non-owned items reached */
    size_t n_list;
    uint64_t *masks;     /* distinct lawful masks */
} scratch;

/* A new entry at the end of ob's reaches (NULL when out of memory). */
static dm_reach *new_reach(outbuf *ob)
{
    if (ob->n == ob->cap) {
        size_t nc = ob->cap ? ob->cap * 2 : 16;
        dm_reach *nr = dm_reallocarray(ob->r, nc, sizeof *nr);
        if (!nr)
            return NULL;
        ob->r = nr;
        ob->cap = nc;
    }
    return &ob->r[ob->n++];
}

/* An owner's reach of its own item: listed with --owners, no via. */
static int owner_reach(outbuf *ob, uint32_t item)
{
    dm_reach *r = new_reach(ob);
    if (!r)
        return 0;
    memset(r, 0, sizeof *r);
    r->item = item;
    r->cls = DM_CLASS_OWNER;
    r->via_off = (uint32_t)ob->n_via;
    return 1;
}

static int owns(const dm_world *w, uint32_t party, uint32_t item)
{
    uint32_t u, j;
    if (party < w->n_providers + w->n_actors)
        return 0;
    u = party - (uint32_t)(w->n_providers + w->n_actors);
    for (j = 0; j < w->items[item].n_owners; j++)
        if (w->items[item].owners[j] == u)
            return 1;
    return 0;
}

static uint64_t item_lawful(const sim *m, uint32_t item)
{
    const dm_witem *it = &m->w->items[item];
    uint64_t x = ~(uint64_t)0;
    uint32_t j;
    for (j = 0; j < it->n_owners; j++)
        x &= m->lawful_mask[it->owners[j]];
    return x;
}

/* Record the not-yet-classified items the last closure reached as class
 * `cls`, with their via; a lawful one must be lawful for every order in
 * `need` (the stage's mask). */
static dm_err record(sim *m, scratch *sc, outbuf *ob, dm_class cls, uint64_t need)
{
    dm_closure *c = m->c;
    size_t i;
    dm_err e;
    for (i = 0; i < sc->n_list; i++) {
        uint32_t it = sc->list[i];
        dm_reach *r;
        uint64_t om = 0;
        if (sc->cls[it] != 0xff || !dm_closure_knows(c, DM_FACT_ITEM, it))
            continue;
        if (cls == DM_CLASS_LAWFUL && (need & ~item_lawful(m, it)) != 0)
            continue;
        sc->cls[it] = (uint8_t)cls;
        if (!(r = new_reach(ob)))
            return DM_ERR_NOMEM;
        r->item = it;
        r->cls = (uint8_t)cls;
        r->via_off = (uint32_t)ob->n_via;
        if ((e = dm_closure_via(c, it, &ob->via, &ob->n_via, &ob->cap_via, &om)) != DM_OK)
            return e;
        r->via_len = (uint32_t)(ob->n_via - r->via_off);
        r->beyond_law = 0;
        if (cls == DM_CLASS_UNLAWFUL)
            r->beyond_law = 1;
        else if (cls == DM_CLASS_COLLATERAL) {
            const dm_witem *wi = &m->w->items[it];
            uint32_t j;
            for (j = 0; j < wi->n_owners; j++)
                if (om & ~m->lawful_mask[wi->owners[j]])
                    r->beyond_law = 1;
        }
    }
    return DM_OK;
}

static int cmp_reach(const void *a, const void *b)
{
    const dm_reach *x = a, *y = b;
    return (x->item > y->item) - (x->item < y->item);
}

/* Classify everything `party` reaches after `bound` events.  Owner reaches
 * are listed only with `owners`.  Returns the number of non-owned items
 * reached in *n_foreign. */
static dm_err classify(sim *m, scratch *sc, uint32_t party, uint32_t bound, int owners,
                       outbuf *ob, size_t *n_foreign)
{
    dm_closure *c = m->c;
    const dm_world *w = m->w;
    int saw_order, saw_unlawful;
    size_t i, j, n_masks = 0;
    uint64_t used = 0;
    dm_err e;
    sc->n_list = 0;
    *n_foreign = 0;
    if (!owners && party >= w->n_providers + w->n_actors && m->simple &&
        m->simple[party - w->n_providers - w->n_actors])
        return DM_OK;
    if ((e = dm_closure_run(c, party, bound, DM_FILTER_ALL, 0)) != DM_OK)
        return e;
    saw_order = c->saw_order;
    saw_unlawful = c->saw_unlawful;
    for (i = 0; i < c->n_learned; i++) {
        uint32_t it = c->learned[i];
        if (owns(w, party, it)) {
            if (owners) { /* owner reaches: listed, class owner, no via */
                if (!owner_reach(ob, it))
                    return DM_ERR_NOMEM;
            }
            continue;
        }
        sc->list[sc->n_list++] = it;
        sc->cls[it] = 0xff;
    }
    /* An owner reaches its own items even without a key (explicit form). */
    if (owners && party >= w->n_providers + w->n_actors) {
        uint32_t u = party - (uint32_t)(w->n_providers + w->n_actors);
        for (i = c->own_off[u]; i < c->own_off[u + 1]; i++) {
            uint32_t it = c->own[i];
            if (!dm_closure_knows(c, DM_FACT_ITEM, it)) {
                if (!owner_reach(ob, it))
                    return DM_ERR_NOMEM;
            }
        }
    }
    *n_foreign = sc->n_list;
    if (sc->n_list == 0)
        goto done;
    if (!saw_order && !saw_unlawful) {
        e = record(m, sc, ob, DM_CLASS_CUSTODIAN, 0);
        goto done;
    }
    if (!saw_order && dm_world_party_kind(w, party) == DM_ACTOR_ATTACKER) {
        e = record(m, sc, ob, DM_CLASS_UNLAWFUL, 0);
        goto done;
    }
    if ((e = dm_closure_run(c, party, bound, DM_FILTER_CLEAN, 0)) != DM_OK ||
        (e = record(m, sc, ob, DM_CLASS_CUSTODIAN, 0)) != DM_OK)
        goto done;
    if (saw_order) {
        /* Orders and ghosts delivering to this actor. */
        for (i = c->ev_off[party]; i < c->ev_off[party + 1]; i++) {
            uint32_t ev = c->ev[i];
            if (ev < bound && c->order_rank[ev] < 64 && !w->event_refused[ev])
                used |= (uint64_t)1 << c->order_rank[ev];
        }
        for (i = 0; i < sc->n_list; i++) {
            uint64_t mk;
            if (sc->cls[sc->list[i]] != 0xff)
                continue;
            mk = item_lawful(m, sc->list[i]) & used;
            if (!mk)
                continue;
            for (j = 0; j < n_masks && sc->masks[j] != mk; j++)
                ;
            if (j == n_masks) {
                if (n_masks == 64)
                    break; /* more lawful sets than we try: the rest are collateral */
                sc->masks[n_masks++] = mk;
            }
        }
        for (j = 0; j < n_masks; j++)
            if ((e = dm_closure_run(c, party, bound, DM_FILTER_MASK, sc->masks[j])) != DM_OK ||
                (e = record(m, sc, ob, DM_CLASS_LAWFUL, sc->masks[j])) != DM_OK)
                goto done;
        if ((e = dm_closure_run(c, party, bound, DM_FILTER_LEGAL, 0)) != DM_OK ||
            (e = record(m, sc, ob, DM_CLASS_COLLATERAL, 0)) != DM_OK)
            goto done;
    }
    if (saw_unlawful)
        if ((e = dm_closure_run(c, party, bound, DM_FILTER_ALL, 0)) != DM_OK ||
            (e = record(m, sc, ob, DM_CLASS_UNLAWFUL, 0)) != DM_OK)
            goto done;
done:
    return e;
}

/* Per user: exposed / beyond the law (bits 0 and 1). */
static void mark_exposure(const sim *m, const outbuf *ob, uint8_t *flags)
{
    size_t i;
    for (i = 0; i < ob->n; i++) {
        const dm_reach *r = &ob->r[i];
        const dm_witem *wi = &m->w->items[r->item];
        uint64_t om = 0;
        uint32_t j;
        if (r->cls == DM_CLASS_OWNER)
            continue;
        if (r->cls == DM_CLASS_COLLATERAL)
            for (j = 0; j < r->via_len; j++) {
                uint32_t x = ob->via[r->via_off + j];
                if ((x & DM_VIA_EVENT) && m->c->order_rank[x & ~DM_VIA_EVENT] < 64)
                    om |= (uint64_t)1 << m->c->order_rank[x & ~DM_VIA_EVENT];
            }
        for (j = 0; j < wi->n_owners; j++) {
            uint32_t u = wi->owners[j];
            flags[u] |= 1;
            if (r->cls == DM_CLASS_UNLAWFUL ||
                (r->cls == DM_CLASS_COLLATERAL && (om & ~m->lawful_mask[u])))
                flags[u] |= 2;
        }
    }
}

/* Close and classify every actor; fill results (when `res` is set) and the
 * exposure. */
/* Progress: a stage and a span [lo, hi) of the whole run it stands for. */
typedef struct prog {
    const dm_run_opts *o;
    const char *stage;
    double lo, hi;
} prog;

static void tell(const prog *p, double frac)
{
    if (p && p->o && p->o->progress)
        p->o->progress(p->o->progress_ctx, p->stage, p->lo + (p->hi - p->lo) * frac);
}

static dm_err evaluate(sim *m, uint32_t bound, int owners, dm_run *res, dm_exposure *exp,
                       dm_run_stats *st, const prog *pg)
{
    const dm_world *w = m->w;
    const dm_scenario *s = m->s;
    scratch sc = {0};
    outbuf ob = {0};
    uint8_t *flags = NULL;
    size_t p, cap_actors = 0, i;
    dm_err e = DM_ERR_NOMEM;
    double t0 = now();
    sc.cls = dm_malloc(w->n_items ? w->n_items : 1);
    sc.list = dm_malloc((w->n_items ? w->n_items : 1) * sizeof *sc.list);
    sc.masks = dm_malloc(64 * sizeof *sc.masks);
    flags = dm_calloc(s->n_users ? s->n_users : 1, 1);
    exp->by_region = dm_calloc(s->n_regions ? s->n_regions : 1, sizeof *exp->by_region);
    if (!sc.cls || !sc.list || !sc.masks || !flags || !exp->by_region)
        goto out;
    m->c->edges = m->c->nodes = 0;
    m->c->t_run = 0;
    tell(pg, 0);
    for (p = 0; p < w->n_parties; p++) {
        size_t n_foreign = 0;
        int is_user = p >= w->n_providers + w->n_actors;
        if ((p & 0xffff) == 0xffff)
            tell(pg, (double)p / (double)w->n_parties);
        ob.n = ob.n_via = 0;
        if ((e = classify(m, &sc, (uint32_t)p, bound, owners, &ob, &n_foreign)) != DM_OK)
            goto out;
        mark_exposure(m, &ob, flags);
        if (!res)
            continue;
        if (is_user && n_foreign == 0) {
            res->owner_only_users += s->users[p - w->n_providers - w->n_actors].count;
            if (!owners) /* listed only with --owners */
                continue;
        }
        if (res->n_actors == cap_actors) {
            size_t nc = cap_actors ? cap_actors * 2 : 16;
            dm_actor_result *na = dm_reallocarray(res->actors, nc, sizeof *na);
            if (!na) {
                e = DM_ERR_NOMEM;
                goto out;
            }
            res->actors = na;
            cap_actors = nc;
        }
        {
            dm_actor_result *ar = &res->actors[res->n_actors++];
            memset(ar, 0, sizeof *ar);
            ar->party = (uint32_t)p;
            if (ob.n > 0)
                qsort(ob.r, ob.n, sizeof *ob.r, cmp_reach);
            for (i = 0; i < ob.n; i++)
                ar->n_by_class[ob.r[i].cls]++;
            /* Hand the buffers over, trimmed. */
            ar->reaches = ob.r;
            ar->n_reaches = ob.n;
            ar->via = ob.via;
            ar->n_via = ob.n_via;
            ob.r = NULL;
            ob.via = NULL;
            ob.cap = ob.cap_via = 0;
        }
    }
    if (st) {
        st->closure_edges += m->c->edges;
        st->closure_nodes += m->c->nodes;
        st->t_traverse += m->c->t_run;
        st->t_closure += now() - t0;
    }
    t0 = now();
    for (i = 0; i < s->n_users; i++) {
        uint64_t n = s->users[i].count;
        if (flags[i] & 1) {
            exp->users += n;
            exp->by_region[m->region[i]].users += n;
        }
        if (flags[i] & 2) {
            exp->beyond_law += n;
            exp->by_region[m->region[i]].beyond_law += n;
        }
    }
    if (st)
        st->t_exposure += now() - t0;
    e = DM_OK;
out:
    dm_free(sc.cls);
    dm_free(sc.list);
    dm_free(sc.masks);
    dm_free(flags);
    dm_free(ob.r);
    dm_free(ob.via);
    return e;
}

static uint32_t bound_at(const dm_scenario *s, int has_at, int64_t at)
{
    uint32_t b = 0;
    if (!has_at)
        return (uint32_t)s->n_events;
    while (b < s->n_events && s->events[b].at <= at)
        b++;
    return b;
}

dm_err dm_run_scenario(const dm_scenario *s, const dm_run_opts *opts, dm_run **out, dm_diag *diag)
{
    dm_run *r = NULL;
    sim m, cf;
    dm_run_opts def = {0};
    uint32_t bound, cf_bound = 0;
    size_t i;
    int has_cf = 0;
    prog pg = {NULL, NULL, 0, 0};
    dm_err e = DM_ERR_NOMEM;
    memset(&m, 0, sizeof m);
    memset(&cf, 0, sizeof cf);
    if (!opts)
        opts = &def;
    if (!(r = dm_calloc(1, sizeof *r)))
        goto out;
    r->sc = s;
    bound = bound_at(s, opts->has_at, opts->at);
    r->bound = bound;
    r->at = opts->has_at ? opts->at : (s->n_events ? s->events[s->n_events - 1].at : 0);
    pg.o = opts;
    pg.stage = "expand";
    pg.lo = pg.hi = 0;
    tell(&pg, 0);
    if ((e = sim_init(&m, s, diag, &r->stats.t_expand)) != DM_OK)
        goto out;
    pg.stage = "timeline";
    pg.lo = pg.hi = 0.15;
    tell(&pg, 0);
    if ((e = sim_play(&m, bound)) != DM_OK || (e = find_simple_users(&m)) != DM_OK)
        goto out;
    dm_closure_free(m.c2); /* only orders need it */
    m.c2 = NULL;
    for (i = 0; i < s->n_events; i++)
        has_cf |= s->events[i].kind == DM_EVENT_BACKDOOR || s->events[i].kind == DM_EVENT_GHOST;
    if (has_cf) {
        pg.stage = "counterfactual";
        pg.lo = pg.hi = 0.2;
        tell(&pg, 0);
        if ((e = dm_scenario_counterfactual(s, &r->cf_sc)) != DM_OK)
            goto out;
        cf_bound = bound_at(r->cf_sc, opts->has_at, opts->at);
        if ((e = sim_init(&cf, r->cf_sc, NULL, &r->stats.t_expand)) != DM_OK ||
            (e = sim_play(&cf, cf_bound)) != DM_OK || (e = find_simple_users(&cf)) != DM_OK)
            goto out;
        dm_closure_free(cf.c2);
        cf.c2 = NULL;
    }
    pg.stage = "closures";
    pg.lo = 0.3;
    pg.hi = has_cf ? 0.6 : 0.9;
    if ((e = evaluate(&m, bound, opts->owners, r, &r->with, &r->stats, &pg)) != DM_OK)
        goto out;
    if (has_cf) {
        pg.stage = "counterfactual";
        pg.lo = 0.6;
        pg.hi = 0.9;
        if ((e = evaluate(&cf, cf_bound, 0, NULL, &r->without, &r->stats, &pg)) != DM_OK)
            goto out;
    } else { /* no backdoor, no ghost: the counterfactual is the run itself */
        e = DM_ERR_NOMEM;
        r->without = r->with;
        if (!(r->without.by_region = dm_malloc((s->n_regions ? s->n_regions : 1) *
                                               sizeof *r->without.by_region)))
            goto out;
        memcpy(r->without.by_region, r->with.by_region, s->n_regions * sizeof *r->with.by_region);
    }
    for (i = 0; i < bound; i++)
        if (s->events[i].has_p && s->events[i].p < 1.0)
            r->worst_case++;
    e = DM_ERR_NOMEM;
    if (!(r->refused = dm_calloc(s->n_events ? s->n_events : 1, 1)))
        goto out;
    memcpy(r->refused, m.w->event_refused, s->n_events);
    if (opts->steps) {
        /* One summary per distinct time, up to the reported one. */
        for (i = 0; i < bound; i++)
            if (i + 1 == bound || s->events[i + 1].at != s->events[i].at)
                r->n_steps++;
        if (!(r->steps = dm_calloc(r->n_steps ? r->n_steps : 1, sizeof *r->steps)))
            goto out;
        r->n_steps = 0;
        for (i = 0; i < bound; i++) {
            dm_step *stp;
            dm_exposure a = {0}, b = {0};
            uint32_t cb;
            if (!(i + 1 == bound || s->events[i + 1].at != s->events[i].at))
                continue;
            stp = &r->steps[r->n_steps++];
            stp->at = s->events[i].at;
            stp->bound = (uint32_t)i + 1;
            pg.stage = "steps";
            pg.lo = pg.hi = 0.9 + 0.1 * (double)i / (double)(bound ? bound : 1);
            tell(&pg, 0);
            e = evaluate(&m, stp->bound, 0, NULL, &a, NULL, NULL);
            if (e == DM_OK && has_cf) {
                cb = bound_at(r->cf_sc, 1, stp->at);
                e = evaluate(&cf, cb, 0, NULL, &b, NULL, NULL);
            } else
                b.users = a.users;
            stp->exposed = a.users;
            stp->beyond_law = a.beyond_law;
            stp->exposed_without = b.users;
            dm_free(a.by_region);
            dm_free(b.by_region);
            if (e != DM_OK)
                goto out;
        }
    }
    pg.stage = "done";
    pg.lo = pg.hi = 1;
    tell(&pg, 0);
    r->stats.t_timeline = m.t_timeline + cf.t_timeline;
    e = DM_ERR_NOMEM;
    if (!(r->people = dm_calloc(s->n_regions ? s->n_regions : 1, sizeof *r->people)))
        goto out;
    for (i = 0; i < s->n_users; i++)
        r->people[m.region[i]] += s->users[i].count;
    r->region = m.region; /* the timeline's regions, after the reported step */
    m.region = NULL;
    r->w = m.w;
    m.w = NULL;
    r->cf_w = cf.w;
    cf.w = NULL;
    e = DM_OK;
out:
    sim_free(&m);
    sim_free(&cf);
    dm_world_free(m.w);
    dm_world_free(cf.w);
    if (e != DM_OK) {
        dm_run_free(r);
        return e;
    }
    *out = r;
    return DM_OK;
}

void dm_run_free(dm_run *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->n_actors; i++) {
        dm_free(r->actors[i].reaches);
        dm_free(r->actors[i].via);
    }
    dm_free(r->actors);
    dm_free(r->with.by_region);
    dm_free(r->without.by_region);
    dm_free(r->refused);
    dm_free(r->steps);
    dm_free(r->region);
    dm_free(r->people);
    dm_world_free(r->w);
    dm_world_free(r->cf_w);
    dm_scenario_free(r->cf_sc);
    dm_free(r);
}

const dm_actor_result *dm_run_actor(const dm_run *r, uint32_t party)
{
    size_t i;
    for (i = 0; i < r->n_actors; i++)
        if (r->actors[i].party == party)
            return &r->actors[i];
    return NULL;
}

const dm_reach *dm_run_reach(const dm_actor_result *a, uint32_t item)
{
    size_t lo = 0, hi;

    if (a == NULL)
        return NULL;
    hi = a->n_reaches;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->reaches[mid].item < item)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < a->n_reaches && a->reaches[lo].item == item ? &a->reaches[lo] : NULL;
}
