/* closure.c - one actor's knowledge closure with a witness for every fact. */
#include <string.h>

#include "closure_int.h"
#include "doormat/alloc.h"

/* Count-then-fill CSR helper: off has n+1 entries, counted in off[i+1]. */
static dm_err csr_alloc(uint32_t *off, size_t n, uint32_t **out)
{
    size_t i;
    for (i = 0; i < n; i++)
        off[i + 1] += off[i];
    *out = dm_malloc((off[n] ? off[n] : 1) * sizeof **out);
    return *out ? DM_OK : DM_ERR_NOMEM;
}

static dm_err build_tables(dm_closure *c)
{
    const dm_world *w = c->w;
    const dm_scenario *s = w->sc;
    size_t np = w->n_parties, i, j;
    uint32_t *fill = NULL, rank = 0;
    dm_err e = DM_ERR_NOMEM;

    c->held_off = dm_calloc(np + 1, sizeof(uint32_t));
    c->hshare_off = dm_calloc(np + 1, sizeof(uint32_t));
    c->ev_off = dm_calloc(np + 1, sizeof(uint32_t));
    c->own_off = dm_calloc(w->n_users + 1, sizeof(uint32_t));
    c->order_rank = dm_malloc((s->n_events ? s->n_events : 1) * sizeof(uint32_t));
    fill = dm_calloc(np + 1, sizeof(uint32_t));
    if (!c->held_off || !c->hshare_off || !c->ev_off || !c->own_off || !c->order_rank || !fill)
        goto out;
    /* Held keys: holders, a provider's hsm, a user's devices. */
    for (i = 0; i < s->n_keys; i++)
        for (j = 0; j < s->keys[i].n_holders; j++)
            c->held_off[dm_world_party(w, s->keys[i].holders[j]) + 1]++;
    for (i = 0; i < w->n_providers; i++)
        c->held_off[i + 1]++;
    for (i = 0; i < w->n_users; i++)
        if (w->user_first_dev[i] != UINT32_MAX)
            c->held_off[w->n_providers + w->n_actors + i + 1] += s->users[i].devices;
    if ((e = csr_alloc(c->held_off, np, &c->held)) != DM_OK)
        goto out;
    memset(fill, 0, (np + 1) * sizeof *fill);
    for (i = 0; i < s->n_keys; i++)
        for (j = 0; j < s->keys[i].n_holders; j++) {
            uint32_t p = dm_world_party(w, s->keys[i].holders[j]);
            c->held[c->held_off[p] + fill[p]++] = w->declared_key[i];
        }
    for (i = 0; i < w->n_providers; i++)
        c->held[c->held_off[i] + fill[i]++] = w->provider_hsm[i];
    for (i = 0; i < w->n_users; i++) {
        uint32_t p = (uint32_t)(w->n_providers + w->n_actors + i), d;
        if (w->user_first_dev[i] == UINT32_MAX)
            continue;
        for (d = 0; d < s->users[i].devices; d++)
            c->held[c->held_off[p] + fill[p]++] = w->user_first_dev[i] + d;
    }
    /* Held shares. */
    for (i = 0; i < w->n_shares; i++)
        c->hshare_off[w->shares[i].holder + 1]++;
    e = DM_ERR_NOMEM;
    if ((e = csr_alloc(c->hshare_off, np, &c->hshare)) != DM_OK)
        goto out;
    memset(fill, 0, (np + 1) * sizeof *fill);
    for (i = 0; i < w->n_shares; i++) {
        uint32_t p = w->shares[i].holder;
        c->hshare[c->hshare_off[p] + fill[p]++] = (uint32_t)i;
    }
    /* Events by each party, in timeline order; order/ghost ranks. */
    for (i = 0; i < s->n_events; i++) {
        const dm_event *ev = &s->events[i];
        c->order_rank[i] = UINT32_MAX;
        if (ev->kind == DM_EVENT_ORDER || ev->kind == DM_EVENT_GHOST)
            c->order_rank[i] = rank++;
        if (ev->kind == DM_EVENT_ORDER || ev->kind == DM_EVENT_GHOST || ev->kind == DM_EVENT_STEAL ||
            ev->kind == DM_EVENT_BREACH || ev->kind == DM_EVENT_COMPROMISE)
            c->ev_off[dm_world_party(w, ev->by) + 1]++;
    }
    if ((e = csr_alloc(c->ev_off, np, &c->ev)) != DM_OK)
        goto out;
    memset(fill, 0, (np + 1) * sizeof *fill);
    for (i = 0; i < s->n_events; i++) {
        const dm_event *ev = &s->events[i];
        if (ev->kind == DM_EVENT_ORDER || ev->kind == DM_EVENT_GHOST || ev->kind == DM_EVENT_STEAL ||
            ev->kind == DM_EVENT_BREACH || ev->kind == DM_EVENT_COMPROMISE) {
            uint32_t p = dm_world_party(w, ev->by);
            c->ev[c->ev_off[p] + fill[p]++] = (uint32_t)i;
        }
    }
    /* Items each user owns. */
    for (i = 0; i < w->n_items; i++)
        for (j = 0; j < w->items[i].n_owners; j++)
            c->own_off[w->items[i].owners[j] + 1]++;
    if ((e = csr_alloc(c->own_off, w->n_users, &c->own)) != DM_OK)
        goto out;
    memset(fill, 0, (np + 1) * sizeof *fill);
    for (i = 0; i < w->n_items; i++)
        for (j = 0; j < w->items[i].n_owners; j++) {
            uint32_t u = w->items[i].owners[j];
            c->own[c->own_off[u] + fill[u]++] = (uint32_t)i;
        }
    e = DM_OK;
out:
    dm_free(fill);
    return e;
}

dm_err dm_closure_new(const dm_world *w, dm_closure **out)
{
    dm_closure *c = dm_calloc(1, sizeof *c);
    size_t nk = w->n_keys ? w->n_keys : 1, ni = w->n_items ? w->n_items : 1;
    size_t ns = w->n_shares ? w->n_shares : 1, np = w->n_parties ? w->n_parties : 1;
    if (!c)
        return DM_ERR_NOMEM;
    c->w = w;
    c->key_ep = dm_calloc(nk, sizeof(uint32_t));
    c->cnt_ep = dm_calloc(nk, sizeof(uint32_t));
    c->share_cnt = dm_calloc(nk, sizeof(uint32_t));
    c->key_why = dm_calloc(nk, sizeof(dm_why));
    c->stack = dm_calloc(nk, sizeof(uint32_t));
    c->item_ep = dm_calloc(ni, sizeof(uint32_t));
    c->item_why = dm_calloc(ni, sizeof(dm_why));
    c->learned = dm_calloc(ni, sizeof(uint32_t));
    c->share_ep = dm_calloc(ns, sizeof(uint32_t));
    c->share_why = dm_calloc(ns, sizeof(dm_why));
    c->party_ep = dm_calloc(np, sizeof(uint32_t));
    c->party_bound = dm_calloc(np, sizeof(uint32_t));
    if (!c->key_ep || !c->cnt_ep || !c->share_cnt || !c->key_why || !c->stack || !c->item_ep ||
        !c->item_why || !c->learned || !c->share_ep || !c->share_why || !c->party_ep ||
        !c->party_bound || build_tables(c) != DM_OK) {
        dm_closure_free(c);
        return DM_ERR_NOMEM;
    }
    *out = c;
    return DM_OK;
}

void dm_closure_free(dm_closure *c)
{
    if (!c)
        return;
    dm_free(c->key_ep);
    dm_free(c->ct_ep);
    dm_free(c->open_ep);
    dm_free(c->item_ep);
    dm_free(c->share_ep);
    dm_free(c->cnt_ep);
    dm_free(c->share_cnt);
    dm_free(c->key_why);
    dm_free(c->ct_why);
    dm_free(c->item_why);
    dm_free(c->share_why);
    dm_free(c->stack);
    dm_free(c->learned);
    dm_free(c->party_ep);
    dm_free(c->party_bound);
    dm_free(c->held_off);
    dm_free(c->held);
    dm_free(c->hshare_off);
    dm_free(c->hshare);
    dm_free(c->ev_off);
    dm_free(c->ev);
    dm_free(c->own_off);
    dm_free(c->own);
    dm_free(c->order_rank);
    dm_free(c);
}

/* The timeline may have added ciphertexts since the workspace was made. */
static dm_err ensure_cts(dm_closure *c)
{
    size_t n = c->w->n_cts, old = c->cap_cts;
    void *a, *b, *d;
    if (n <= old && c->ct_ep)
        return DM_OK;
    if (n < 16)
        n = 16;
    if (n < old * 2)
        n = old * 2;
    a = dm_reallocarray(c->ct_ep, n, sizeof(uint32_t));
    if (a)
        c->ct_ep = a;
    b = dm_reallocarray(c->open_ep, n, sizeof(uint32_t));
    if (b)
        c->open_ep = b;
    d = dm_reallocarray(c->ct_why, n, sizeof(dm_why));
    if (d)
        c->ct_why = d;
    if (!a || !b || !d)
        return DM_ERR_NOMEM;
    memset(c->ct_ep + old, 0, (n - old) * sizeof(uint32_t));
    memset(c->open_ep + old, 0, (n - old) * sizeof(uint32_t));
    c->cap_cts = n;
    return DM_OK;
}

static int admit(dm_closure *c, dm_tag tag, uint32_t tag_event)
{
    switch (tag) {
    case DM_TAG_CLEAN:
        return 1;
    case DM_TAG_ORDER:
        if (c->filter == DM_FILTER_LEGAL || c->filter == DM_FILTER_ALL) {
            c->saw_order = 1;
            return 1;
        }
        if (c->filter == DM_FILTER_MASK && tag_event != UINT32_MAX &&
            c->order_rank[tag_event] < 64 && (c->mask >> c->order_rank[tag_event]) & 1)
            return 1;
        return 0;
    case DM_TAG_UNLAWFUL:
        if (c->filter == DM_FILTER_ALL) {
            c->saw_unlawful = 1;
            return 1;
        }
        return 0;
    }
    return 0;
}

static dm_why mkwhy(dm_why_kind kind, dm_tag tag, uint32_t a, uint32_t b, uint32_t via)
{
    dm_why y;
    y.kind = (uint8_t)kind;
    y.tag = (uint8_t)tag;
    y.a = a;
    y.b = b;
    y.via_event = via;
    return y;
}

static void learn_key(dm_closure *c, uint32_t k, dm_why why)
{
    if (c->key_ep[k] == c->ep)
        return;
    c->key_ep[k] = c->ep;
    c->key_why[k] = why;
    c->stack[c->n_stack++] = k;
    c->nodes++;
}

static void learn_item(dm_closure *c, uint32_t i, dm_why why)
{
    if (c->item_ep[i] == c->ep)
        return;
    c->item_ep[i] = c->ep;
    c->item_why[i] = why;
    c->learned[c->n_learned++] = i;
    c->nodes++;
}

static void open_ct(dm_closure *c, uint32_t ct)
{
    const dm_ct *x = &c->w->cts[ct];
    if (c->open_ep[ct] == c->ep)
        return;
    c->open_ep[ct] = c->ep;
    c->edges++;
    if (x->inner_is_key)
        learn_key(c, x->inner, mkwhy(DM_WHY_OPENED, c->key_why[x->under].tag, ct, 0, UINT32_MAX));
    else
        learn_item(c, x->inner, mkwhy(DM_WHY_OPENED, c->key_why[x->under].tag, ct, 0, UINT32_MAX));
}

static void learn_ct(dm_closure *c, uint32_t ct, dm_why why)
{
    const dm_ct *x = &c->w->cts[ct];
    if (x->seq > c->bound || c->ct_ep[ct] == c->ep)
        return;
    c->ct_ep[ct] = c->ep;
    c->ct_why[ct] = why;
    c->nodes++;
    if (c->key_ep[x->under] == c->ep)
        open_ct(c, ct);
}

static void learn_share(dm_closure *c, uint32_t sh, dm_why why)
{
    const dm_share *x = &c->w->shares[sh];
    const dm_wkey *k = &c->w->keys[x->key];
    if (c->share_ep[sh] == c->ep)
        return;
    c->share_ep[sh] = c->ep;
    c->share_why[sh] = why;
    c->nodes++;
    if (c->cnt_ep[x->key] != c->ep) {
        c->cnt_ep[x->key] = c->ep;
        c->share_cnt[x->key] = 0;
    }
    if (++c->share_cnt[x->key] == k->share_k)
        learn_key(c, x->key, mkwhy(DM_WHY_SHARES, why.tag, 0, 0, UINT32_MAX));
}

/* Learn what a deposit holds; `forced` makes it unlawful (breach, compromise). */
static void take_deposit(dm_closure *c, uint32_t store, uint32_t di, int forced, uint32_t via)
{
    const dm_deposit *d = &c->w->deposits[di];
    dm_tag tag = forced ? DM_TAG_UNLAWFUL : (dm_tag)d->tag;
    dm_why why;
    c->edges++;
    if (!admit(c, tag, d->tag_event))
        return;
    why = mkwhy(DM_WHY_STORE, tag, store, di, via);
    switch ((dm_fact_kind)d->fact_kind) {
    case DM_FACT_KEY:
        learn_key(c, d->fact_id, why);
        break;
    case DM_FACT_SHARE:
        learn_share(c, d->fact_id, why);
        break;
    case DM_FACT_CT:
        learn_ct(c, d->fact_id, why);
        break;
    case DM_FACT_ITEM:
        learn_item(c, d->fact_id, why);
        break;
    }
}

static void read_store(dm_closure *c, uint32_t store, uint32_t bound, int forced, uint32_t via)
{
    const dm_store *st = &c->w->stores[store];
    uint32_t i;
    for (i = 0; i < st->n; i++) {
        uint32_t di = st->deposits[i];
        if (c->w->deposits[di].seq > bound)
            break;
        take_deposit(c, store, di, forced, via);
    }
}

/* Everything `party` starts from after `bound` events; a compromise adds its
 * victim's starting points (knowledge is the closure of them) as unlawful.
 * Recursion depth is bounded by the compromise chain, which strictly goes
 * back in time. */
static void add_sources(dm_closure *c, uint32_t party, uint32_t bound, int forced, uint32_t via)
{
    const dm_world *w = c->w;
    const dm_scenario *s = w->sc;
    dm_actor_kind kind = dm_world_party_kind(w, party);
    dm_tag base;
    uint32_t i;
    if (c->party_ep[party] == c->ep && c->party_bound[party] >= bound)
        return;
    c->party_ep[party] = c->ep;
    c->party_bound[party] = bound;
    if (kind == DM_ACTOR_ATTACKER)
        forced = 1;
    base = forced ? DM_TAG_UNLAWFUL : DM_TAG_CLEAN;
    if (!admit(c, base, UINT32_MAX))
        return;
    for (i = c->held_off[party]; i < c->held_off[party + 1]; i++)
        learn_key(c, c->held[i], mkwhy(DM_WHY_HELD, base, party, 0, via));
    for (i = c->hshare_off[party]; i < c->hshare_off[party + 1]; i++)
        learn_share(c, c->hshare[i], mkwhy(DM_WHY_HELD, base, party, 0, via));
    if (kind == DM_ACTOR_USER) {
        uint32_t u = party - (uint32_t)(w->n_providers + w->n_actors), d;
        if (forced) /* compromising an owner yields its items */
            for (i = c->own_off[u]; i < c->own_off[u + 1]; i++)
                learn_item(c, c->own[i], mkwhy(DM_WHY_OWNER, base, party, 0, via));
        for (d = 0; d < s->users[u].devices; d++)
            read_store(c, w->user_first_devstore[u] + d, bound, forced, via);
    }
    read_store(c, dm_world_party_store(w, party), bound, forced, via);
    for (i = c->ev_off[party]; i < c->ev_off[party + 1]; i++) {
        uint32_t e = c->ev[i];
        const dm_event *ev = &s->events[e];
        if (e >= bound)
            break;
        switch (ev->kind) {
        case DM_EVENT_GHOST:
            if (!w->event_refused[e])
                learn_key(c, w->actor_ghost[ev->by.idx], mkwhy(DM_WHY_GHOSTKEY, base, e, 0, via));
            break;
        case DM_EVENT_STEAL:
            if (!admit(c, DM_TAG_UNLAWFUL, UINT32_MAX))
                break;
            if (ev->share) {
                const dm_wkey *k = &w->keys[dm_world_key(w, ev->key)];
                learn_share(c, k->first_share + ev->share - 1,
                            mkwhy(DM_WHY_STEAL, DM_TAG_UNLAWFUL, e, 0, via));
            } else {
                learn_key(c, dm_world_key(w, ev->key), mkwhy(DM_WHY_STEAL, DM_TAG_UNLAWFUL, e, 0, via));
            }
            break;
        case DM_EVENT_BREACH:
            if (admit(c, DM_TAG_UNLAWFUL, UINT32_MAX))
                read_store(c, dm_world_store(w, ev->store), e, 1, e);
            break;
        case DM_EVENT_COMPROMISE:
            if (admit(c, DM_TAG_UNLAWFUL, UINT32_MAX))
                add_sources(c, dm_world_party(w, ev->victim), e, 1, e);
            break;
        default:
            break;
        }
    }
}

static void drain(dm_closure *c)
{
    const dm_world *w = c->w;
    while (c->n_stack) {
        uint32_t k = c->stack[--c->n_stack], i, ct;
        for (i = w->opens_off[k]; i < w->opens_off[k + 1]; i++) {
            ct = w->opens[i];
            c->edges++;
            if (c->ct_ep[ct] == c->ep && c->open_ep[ct] != c->ep)
                open_ct(c, ct);
        }
        for (ct = w->dyn_head[k]; ct != UINT32_MAX; ct = w->dyn_next[ct]) {
            c->edges++;
            if (c->ct_ep[ct] == c->ep && c->open_ep[ct] != c->ep && w->cts[ct].seq <= c->bound)
                open_ct(c, ct);
        }
    }
}

dm_err dm_closure_run(dm_closure *c, uint32_t party, uint32_t bound, dm_filter filter, uint64_t mask)
{
    dm_err e;
    if ((e = ensure_cts(c)) != DM_OK)
        return e;
    if (++c->ep == 0) { /* epoch wrapped: clear every mark once */
        memset(c->key_ep, 0, c->w->n_keys * sizeof(uint32_t));
        memset(c->cnt_ep, 0, c->w->n_keys * sizeof(uint32_t));
        memset(c->item_ep, 0, c->w->n_items * sizeof(uint32_t));
        memset(c->share_ep, 0, c->w->n_shares * sizeof(uint32_t));
        memset(c->party_ep, 0, c->w->n_parties * sizeof(uint32_t));
        memset(c->ct_ep, 0, c->cap_cts * sizeof(uint32_t));
        memset(c->open_ep, 0, c->cap_cts * sizeof(uint32_t));
        c->ep = 1;
    }
    c->party = party;
    c->bound = bound;
    c->filter = filter;
    c->mask = mask;
    c->saw_order = c->saw_unlawful = 0;
    c->n_stack = 0;
    c->n_learned = 0;
    add_sources(c, party, bound, 0, UINT32_MAX);
    drain(c);
    return DM_OK;
}

dm_err dm_closure_compute(dm_closure *c, uint32_t party, uint32_t bound)
{
    if (party >= c->w->n_parties)
        return DM_ERR_USAGE;
    return dm_closure_run(c, party, bound, DM_FILTER_ALL, 0);
}

int dm_closure_knows(const dm_closure *c, dm_fact_kind kind, uint32_t id)
{
    switch (kind) {
    case DM_FACT_KEY:
        return id < c->w->n_keys && c->key_ep[id] == c->ep;
    case DM_FACT_SHARE:
        return id < c->w->n_shares && c->share_ep[id] == c->ep;
    case DM_FACT_CT:
        return id < c->cap_cts && c->ct_ep[id] == c->ep;
    case DM_FACT_ITEM:
        return id < c->w->n_items && c->item_ep[id] == c->ep;
    }
    return 0;
}

dm_why dm_closure_why(const dm_closure *c, dm_fact_kind kind, uint32_t id)
{
    dm_why none = {0, 0, 0, 0, UINT32_MAX};
    if (!dm_closure_knows(c, kind, id))
        return none;
    switch (kind) {
    case DM_FACT_KEY:
        return c->key_why[id];
    case DM_FACT_SHARE:
        return c->share_why[id];
    case DM_FACT_CT:
        return c->ct_why[id];
    case DM_FACT_ITEM:
        return c->item_why[id];
    }
    return none;
}

/* ---- Witness -> via list ---- */

typedef struct vbuf {
    uint32_t *v;
    size_t n, cap;
    int oom;
} vbuf;

static void vpush(vbuf *b, uint32_t x)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        uint32_t *nv = dm_reallocarray(b->v, nc, sizeof *nv);
        if (!nv) {
            b->oom = 1;
            return;
        }
        b->v = nv;
        b->cap = nc;
    }
    b->v[b->n++] = x;
}

/* Events a fact's arrival names: the order that delivered it, the breach or
 * compromise it came through. Pushed item-side first (reversed later). */
static void push_arrival(const dm_closure *c, vbuf *b, dm_why y)
{
    if (y.kind == DM_WHY_STORE) {
        const dm_deposit *d = &c->w->deposits[y.b];
        if (d->tag == DM_TAG_ORDER && d->tag_event != UINT32_MAX)
            vpush(b, d->tag_event | DM_VIA_EVENT);
    }
    if (y.kind == DM_WHY_STEAL || y.kind == DM_WHY_GHOSTKEY)
        vpush(b, y.a | DM_VIA_EVENT);
    if (y.via_event != UINT32_MAX)
        vpush(b, y.via_event | DM_VIA_EVENT);
}

dm_err dm_closure_via(const dm_closure *c, uint32_t item, uint32_t **via, size_t *n_via,
                      size_t *cap_via, uint64_t *order_mask)
{
    const dm_world *w = c->w;
    vbuf b = {NULL, 0, 0, 0};
    dm_why y = c->item_why[item];
    size_t i, j, start = *n_via;
    uint64_t mask = 0;
    uint32_t guard = 0;
    /* Walk back: item <- ciphertext <- key <- wrap <- key ... <- source. */
    for (;;) {
        uint32_t ct, k;
        if (y.kind != DM_WHY_OPENED) {
            push_arrival(c, &b, y);
            break;
        }
        ct = y.a;
        push_arrival(c, &b, c->ct_why[ct]);
        if (w->cts[ct].event != UINT32_MAX)
            vpush(&b, w->cts[ct].event | DM_VIA_EVENT);
        k = w->cts[ct].under;
        vpush(&b, k);
        y = c->key_why[k];
        if (y.kind == DM_WHY_SHARES) {
            const dm_wkey *wk = &w->keys[k];
            for (i = 0; i < wk->n_shares; i++)
                if (c->share_ep[wk->first_share + i] == c->ep)
                    push_arrival(c, &b, c->share_why[wk->first_share + i]);
            break;
        }
        if (++guard > w->n_keys + 1) /* witnesses are acyclic; never loop */
            break;
    }
    /* Reverse into the output (source first), dropping repeats. */
    for (i = b.n; i-- > 0 && !b.oom;) {
        uint32_t x = b.v[i];
        int dup = 0;
        for (j = start; j < *n_via; j++)
            dup |= (*via)[j] == x;
        if (dup)
            continue;
        if (*n_via == *cap_via) {
            size_t nc = *cap_via ? *cap_via * 2 : 64;
            uint32_t *nv = dm_reallocarray(*via, nc, sizeof *nv);
            if (!nv) {
                b.oom = 1;
                break;
            }
            *via = nv;
            *cap_via = nc;
        }
        (*via)[(*n_via)++] = x;
        if ((x & DM_VIA_EVENT) && c->order_rank[x & ~DM_VIA_EVENT] < 64)
            mask |= (uint64_t)1 << c->order_rank[x & ~DM_VIA_EVENT];
    }
    dm_free(b.v);
    if (order_mask)
        *order_mask = mask;
    return b.oom ? DM_ERR_NOMEM : DM_OK;
}
