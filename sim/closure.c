/* closure.c - one actor's knowledge closure with a witness for every fact. */
#include <string.h>
#include <time.h>

#include "doormat/closure.h"

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

/* The workspace is zeroed now, not page by page as the first closures
 * touch it: setting up is not graph work. */
static void *zalloc(size_t n, size_t size)
{
    void *p = dm_reallocarray(NULL, n, size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

dm_err dm_closure_new(const dm_world *w, dm_closure **out)
{
    dm_closure *c = dm_calloc(1, sizeof *c);
    size_t nk = w->n_keys ? w->n_keys : 1, ni = w->n_items ? w->n_items : 1;
    size_t ns = w->n_shares ? w->n_shares : 1, np = w->n_parties ? w->n_parties : 1;
    if (!c)
        return DM_ERR_NOMEM;
    c->w = w;
    c->kbit = zalloc((nk + 63) / 64, sizeof *c->kbit);
    c->ktag = zalloc(nk, sizeof *c->ktag);
    c->kwit = zalloc(nk, sizeof *c->kwit);
    c->cnt_ep = zalloc(nk, sizeof(uint32_t));
    c->share_cnt = zalloc(nk, sizeof(uint32_t));
    c->stack = zalloc(nk, sizeof(uint32_t));
    c->iwit = zalloc(ni, sizeof *c->iwit);
    c->learned = zalloc(ni, sizeof(uint32_t));
    c->sst = zalloc(ns, sizeof *c->sst);
    c->party_ep = dm_calloc(np, sizeof(uint32_t));
    c->party_bound = dm_calloc(np, sizeof(uint32_t));
    if (!c->kbit || !c->ktag || !c->kwit || !c->cnt_ep || !c->share_cnt || !c->stack || !c->iwit ||
        !c->learned || !c->sst || !c->party_ep || !c->party_bound || build_tables(c) != DM_OK) {
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
    dm_free(c->kbit);
    dm_free(c->ktag);
    dm_free(c->kwit);
    dm_free(c->cm);
    dm_free(c->cwit);
    dm_free(c->iwit);
    dm_free(c->sst);
    dm_free(c->cnt_ep);
    dm_free(c->share_cnt);
    dm_free(c->stack);
    dm_free(c->learned);
    dm_free(c->clist);
    dm_free(c->party_ep);
    dm_free(c->party_bound);
    dm_free(c->src);
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
    uint32_t *m;
    dm_wit *wt;
    uint32_t *l;
    if (n <= old && c->cm)
        return DM_OK;
    if (n < 16)
        n = 16;
    if (n < old * 2)
        n = old * 2;
    if (!(m = dm_reallocarray(c->cm, n, sizeof *m)))
        return DM_ERR_NOMEM;
    c->cm = m;
    if (!(wt = dm_reallocarray(c->cwit, n, sizeof *wt)))
        return DM_ERR_NOMEM;
    c->cwit = wt;
    if (!(l = dm_reallocarray(c->clist, n, sizeof *l)))
        return DM_ERR_NOMEM;
    c->clist = l;
    memset(c->cm + old, 0, (n - old) * sizeof *m);
    /* cwit is read only where a mark says so, but is zeroed too: its pages
     * are faulted in now, not one by one in the middle of a closure. */
    memset(c->cwit + old, 0, (n - old) * sizeof *wt);
    c->cap_cts = n;
    return DM_OK;
}

#define INFO(kind, tag, src) ((uint32_t)(kind) | ((uint32_t)(tag) << 4) | ((uint32_t)(src) << 6))
#define INFO_KIND(i) ((i) & 7u)
#define INFO_POS 8u /* with DM_WHY_STORE: b is a position in the store's static slice */
#define INFO_TAG(i) (((i) >> 4) & 3u)
#define INFO_SRC(i) ((i) >> 6)
#define SRC_MAX ((1u << 26) - 1)

/* A new source (store read through an event); index 0 is "none". */
static uint32_t new_src(dm_closure *c, uint32_t store, uint32_t via, dm_tag tag)
{
    if (c->n_src == c->cap_src) {
        size_t nc = c->cap_src ? c->cap_src * 2 : 64;
        dm_closure_src *ns;
        if (nc > SRC_MAX || !(ns = dm_reallocarray(c->src, nc, sizeof *ns))) {
            c->err = DM_ERR_NOMEM;
            return 0;
        }
        c->src = ns;
        c->cap_src = nc;
    }
    c->src[c->n_src].store = store;
    c->src[c->n_src].via_event = via;
    c->src[c->n_src].tag = tag;
    c->src[c->n_src].scanned = 0;
    return (uint32_t)c->n_src++;
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

static inline int key_known(const dm_closure *c, uint32_t k)
{
    return (c->kbit[k >> 6] >> (k & 63)) & 1;
}

static inline uint32_t key_tag(const dm_closure *c, uint32_t k)
{
    return c->ktag[k];
}

static inline void set_wit(dm_wit *f, uint32_t info, uint32_t a, uint32_t b)
{
    f->x = INFO_KIND(info) == DM_WHY_STORE ? b : a;
    f->info = info;
}

static inline void learn_key(dm_closure *c, uint32_t k, uint32_t info, uint32_t a, uint32_t b)
{
    if (key_known(c, k))
        return;
    c->kbit[k >> 6] |= (uint64_t)1 << (k & 63);
    c->ktag[k] = (uint8_t)INFO_TAG(info);
    set_wit(&c->kwit[k], info, a, b);
    c->stack[c->n_stack++] = k; /* counted as facts at the end of the run */
}

/* A ciphertext's mark in this epoch (an older one reads as clear). */
static inline uint32_t ct_mark(const dm_closure *c, uint32_t ct)
{
    uint32_t v = c->cm[ct];
    return (v & ~DM_MARK_FLAGS) == c->mark ? v : c->mark;
}

/* An item learned other than by opening its ciphertext (its witness is
 * kept; an opened item's is the ciphertext and its key). */
static inline void learn_item(dm_closure *c, uint32_t i, uint32_t info, uint32_t a, uint32_t b)
{
    uint32_t v = ct_mark(c, i);
    if (v & DM_MARK_OPEN)
        return;
    c->cm[i] = v | DM_MARK_OPEN | DM_MARK_IWIT;
    set_wit(&c->iwit[i], info, a, b);
    c->learned[c->n_learned++] = i; /* counted as facts at the end of the run */
}

/* Open a ciphertext known, not open, whose key is known: an item's
 * ciphertext yields the item (same id), a wrap its inner key, with the
 * opening key's tag.  The caller counts the edge (the hot loops count in
 * a register, not through c). */
static inline void open_ct(dm_closure *c, uint32_t ct, uint32_t tag)
{
    c->cm[ct] |= DM_MARK_OPEN; /* known already, in this epoch */
    if (ct < c->w->n_items) {
        c->learned[c->n_learned++] = ct;
        return;
    }
    learn_key(c, c->w->cts[ct].inner, INFO(DM_WHY_OPENED, tag, 0), ct, 0);
}

static inline void learn_ct(dm_closure *c, uint32_t ct, uint32_t info, uint32_t dep)
{
    uint32_t v = ct_mark(c, ct), under;
    /* A deposit is never older than its ciphertext: one taken within the
     * bound holds a ciphertext made within it. */
    if (v & DM_MARK_KNOWN)
        return;
    c->cm[ct] = v | DM_MARK_KNOWN | DM_MARK_CWIT;
    set_wit(&c->cwit[ct], info, 0, dep);
    if (c->lists)
        c->clist[c->n_clist++] = ct;
    c->nodes++;
    under = c->w->ct_under[ct];
    if (key_known(c, under) && !(v & DM_MARK_OPEN)) {
        open_ct(c, ct, key_tag(c, under));
        c->edges++;
    }
}

static void learn_share(dm_closure *c, uint32_t sh, uint32_t info, uint32_t a, uint32_t b)
{
    const dm_share *x = &c->w->shares[sh];
    const dm_wkey *k = &c->w->keys[x->key];
    dm_fstate *f = &c->sst[sh];
    if (f->ep == c->ep)
        return;
    f->ep = c->ep;
    f->a = a;
    f->b = b;
    f->info = info;
    c->nodes++;
    if (c->cnt_ep[x->key] != c->ep) {
        c->cnt_ep[x->key] = c->ep;
        c->share_cnt[x->key] = 0;
    }
    if (++c->share_cnt[x->key] == k->share_k)
        learn_key(c, x->key, INFO(DM_WHY_SHARES, INFO_TAG(info), 0), 0, 0);
}

/* Learn what a deposit holds; `forced` makes it unlawful (breach, compromise). */
static void take_deposit(dm_closure *c, uint32_t src, uint32_t di, int forced)
{
    const dm_deposit *d = &c->w->deposits[di];
    dm_tag tag = forced ? DM_TAG_UNLAWFUL : (dm_tag)d->tag;
    uint32_t info;
    if (!admit(c, tag, d->tag_event))
        return;
    info = INFO(DM_WHY_STORE, tag, src);
    switch ((dm_fact_kind)d->fact_kind) {
    case DM_FACT_KEY:
        learn_key(c, d->fact_id, info, 0, di);
        break;
    case DM_FACT_SHARE:
        learn_share(c, d->fact_id, info, 0, di);
        break;
    case DM_FACT_CT:
        learn_ct(c, d->fact_id, info, di);
        break;
    case DM_FACT_ITEM:
        learn_item(c, d->fact_id, info, 0, di);
        break;
    }
}

/* Read a store as it was after `bound` events.  Its first n_static deposits
 * are clean step-0 ciphertexts listed by id, in ascending order: one tight
 * loop that marks each known (its witness is found when asked: see
 * static_witness) and opens those whose key is known. */
static void read_store(dm_closure *c, uint32_t store, uint32_t bound, int forced, uint32_t via)
{
    const dm_world *w = c->w;
    const dm_store *st = &w->stores[store];
    dm_tag tag = forced ? DM_TAG_UNLAWFUL : DM_TAG_CLEAN;
    uint32_t src, i;
    if (st->n == 0)
        return;
    if (!(src = new_src(c, store, via, tag)))
        return; /* out of memory: c->err says so */
    if (st->n_static && admit(c, tag, UINT32_MAX)) {
        const uint32_t *facts = w->static_facts + st->static_off;
        const uint32_t *under = w->ct_under;
        const uint64_t *kbit = c->kbit;
        uint32_t *cm = c->cm;
        const uint32_t mark = c->mark;
        const dm_ct *cts = w->cts;
        const size_t n_items = w->n_items;
        uint32_t n = st->n_static, n_new = 0, n_open = 0;
        const int lists = c->lists;
        c->src[src].scanned = 1;
        c->last_scanned = src;
        for (i = 0; i < n; i++) {
            uint32_t ct = facts[i], v = cm[ct], k;
            /* The ciphertexts ascend, and so do their marks and keys; the
             * key bits stay in the cache.  What an opening reads next, a
             * wrap's inner key, is fetched ahead. */
            if (i + 8 < n && facts[i + 8] >= n_items)
                __builtin_prefetch(&cts[facts[i + 8]].inner, 0);
            if ((v & (~DM_MARK_FLAGS | DM_MARK_KNOWN)) == (mark | DM_MARK_KNOWN))
                continue; /* known */
            v = ((v & ~DM_MARK_FLAGS) == mark ? v : mark) | DM_MARK_KNOWN;
            cm[ct] = v;
            n_new++;
            if (lists)
                c->clist[c->n_clist++] = ct;
            k = under[ct];
            if (((kbit[k >> 6] >> (k & 63)) & 1) && !(v & DM_MARK_OPEN)) {
                open_ct(c, ct, c->ktag[k]);
                n_open++;
            }
        }
        c->edges += n + n_open;
        c->nodes += n_new;
    }
    for (i = st->n_static; i < st->n; i++) {
        uint32_t di = st->deposits[i];
        if (w->deposits[di].seq > bound)
            break;
        take_deposit(c, src, di, forced);
    }
    c->edges += i - st->n_static; /* deposits taken */
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
    uint32_t i, src;
    if (c->party_ep[party] == c->ep && c->party_bound[party] >= bound)
        return;
    c->party_ep[party] = c->ep;
    c->party_bound[party] = bound;
    if (kind == DM_ACTOR_ATTACKER)
        forced = 1;
    base = forced ? DM_TAG_UNLAWFUL : DM_TAG_CLEAN;
    if (!admit(c, base, UINT32_MAX))
        return;
    src = via == UINT32_MAX ? 0 : new_src(c, UINT32_MAX, via, base);
    for (i = c->held_off[party]; i < c->held_off[party + 1]; i++)
        learn_key(c, c->held[i], INFO(DM_WHY_HELD, base, src), party, 0);
    for (i = c->hshare_off[party]; i < c->hshare_off[party + 1]; i++)
        learn_share(c, c->hshare[i], INFO(DM_WHY_HELD, base, src), party, 0);
    if (kind == DM_ACTOR_USER) {
        uint32_t u = party - (uint32_t)(w->n_providers + w->n_actors), d;
        if (forced) /* compromising an owner yields its items */
            for (i = c->own_off[u]; i < c->own_off[u + 1]; i++)
                learn_item(c, c->own[i], INFO(DM_WHY_OWNER, base, src), party, 0);
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
                learn_key(c, w->actor_ghost[ev->by.idx], INFO(DM_WHY_GHOSTKEY, base, src), e, 0);
            break;
        case DM_EVENT_STEAL:
            if (!admit(c, DM_TAG_UNLAWFUL, UINT32_MAX))
                break;
            if (ev->share) {
                const dm_wkey *k = &w->keys[dm_world_key(w, ev->key)];
                learn_share(c, k->first_share + ev->share - 1,
                            INFO(DM_WHY_STEAL, DM_TAG_UNLAWFUL, src), e, 0);
            } else {
                learn_key(c, dm_world_key(w, ev->key), INFO(DM_WHY_STEAL, DM_TAG_UNLAWFUL, src), e, 0);
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
    const uint32_t *cm = c->cm;
    /* known and not open: the ciphertexts a new key opens */
    const uint32_t want = c->mark | DM_MARK_KNOWN;
    const uint32_t keep = ~DM_MARK_FLAGS | DM_MARK_KNOWN | DM_MARK_OPEN;
    size_t head = 0;
    uint64_t edges = 0;
    /* First in, first out: keys are taken in the order they were learned,
     * which follows the stores' order, so the lists they open are walked
     * in ascending memory order (and the stack keeps every key learned). */
    while (head < c->n_stack) {
        uint32_t k = c->stack[head++], i, ct, tag = key_tag(c, k);
        uint32_t lo = w->opens_off[k], hi = w->opens_off[k + 1];
        if (head + 4 < c->n_stack) /* the next keys' lists, while this one is walked */
            __builtin_prefetch(&w->opens_off[c->stack[head + 4]], 0);
        for (i = lo; i < hi; i++) {
            ct = w->opens[i];
            if (i + 8 < hi)
                __builtin_prefetch(&cm[w->opens[i + 8]], 0);
            if ((cm[ct] & keep) == want) {
                open_ct(c, ct, tag);
                edges++;
            }
        }
        edges += hi - lo;
        for (ct = w->dyn_head[k]; ct != UINT32_MAX; ct = w->dyn_next[ct]) {
            edges++;
            if ((cm[ct] & keep) == want) { /* known: made within the bound */
                open_ct(c, ct, tag);
                edges++;
            }
        }
    }
    c->edges += edges;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

dm_err dm_closure_run(dm_closure *c, uint32_t party, uint32_t bound, dm_filter filter, uint64_t mask)
{
    dm_err e;
    double t0;
    size_t i;
    if ((e = ensure_cts(c)) != DM_OK) /* growing the workspace is not graph work */
        return e;
    t0 = mono();
    if (++c->ep == DM_EPOCH_MAX) { /* epochs ran out: clear every mark once */
        memset(c->cm, 0, c->cap_cts * sizeof *c->cm);
        for (i = 0; i < c->w->n_shares; i++)
            c->sst[i].ep = 0;
        memset(c->cnt_ep, 0, c->w->n_keys * sizeof(uint32_t));
        memset(c->party_ep, 0, c->w->n_parties * sizeof(uint32_t));
        c->ep = 1;
    }
    c->mark = c->ep << DM_MARK_BITS;
    /* The known keys' bits are not epoch-stamped: clear the last run's,
     * which are all on its stack (every key learned is pushed). */
    for (i = 0; i < c->n_stack; i++)
        c->kbit[c->stack[i] >> 6] = 0;
    c->party = party;
    c->bound = bound;
    c->filter = filter;
    c->mask = mask;
    c->saw_order = c->saw_unlawful = 0;
    c->n_stack = 0;
    c->n_learned = 0;
    c->n_clist = 0;
    c->err = DM_OK;
    c->n_src = 0;
    c->last_scanned = 0;
    new_src(c, UINT32_MAX, UINT32_MAX, DM_TAG_CLEAN); /* source 0: none */
    add_sources(c, party, bound, 0, UINT32_MAX);
    drain(c);
    c->nodes += c->n_stack + c->n_learned; /* keys and items learned */
    c->t_run += mono() - t0;
    return c->err;
}

dm_err dm_closure_compute(dm_closure *c, uint32_t party, uint32_t bound)
{
    dm_err e;
    if (party >= c->w->n_parties)
        return DM_ERR_USAGE;
    c->lists = 1; /* the engine's own runs skip the list of ciphertexts */
    e = dm_closure_run(c, party, bound, DM_FILTER_ALL, 0);
    c->lists = 0;
    return e;
}

size_t dm_closure_keys(const dm_closure *c, const uint32_t **ids)
{
    *ids = c->stack; /* first in, first out: it keeps every key learned, in order */
    return c->n_stack;
}

size_t dm_closure_cts(const dm_closure *c, const uint32_t **ids)
{
    *ids = c->clist; /* recorded by dm_closure_compute only */
    return c->n_clist;
}

size_t dm_closure_items(const dm_closure *c, const uint32_t **ids)
{
    *ids = c->learned;
    return c->n_learned;
}

int dm_closure_knows(const dm_closure *c, dm_fact_kind kind, uint32_t id)
{
    switch (kind) {
    case DM_FACT_KEY:
        return id < c->w->n_keys && key_known(c, id);
    case DM_FACT_SHARE:
        return id < c->w->n_shares && c->sst[id].ep == c->ep;
    case DM_FACT_CT:
        return id < c->cap_cts && id < c->w->n_cts && (ct_mark(c, id) & DM_MARK_KNOWN);
    case DM_FACT_ITEM:
        return id < c->w->n_items && id < c->cap_cts && (ct_mark(c, id) & DM_MARK_OPEN);
    }
    return 0;
}

static dm_why unpack(const dm_closure *c, uint32_t info, uint32_t a, uint32_t b)
{
    dm_why y;
    const dm_closure_src *s = &c->src[INFO_SRC(info) < c->n_src ? INFO_SRC(info) : 0];
    y.kind = (uint8_t)INFO_KIND(info);
    y.tag = (uint8_t)INFO_TAG(info);
    y.a = a;
    y.b = b;
    y.via_event = s->via_event;
    if (y.kind == DM_WHY_STORE) {
        y.a = s->store;
        if (info & INFO_POS)
            y.b = c->w->stores[s->store].deposits[b];
    }
    return y;
}

static dm_why unwit(const dm_closure *c, const dm_wit *f)
{
    if (INFO_KIND(f->info) == DM_WHY_STORE)
        return unpack(c, f->info, 0, f->x);
    return unpack(c, f->info, f->x, 0);
}

static int slice_find(const dm_world *w, uint32_t store, uint32_t ct, uint32_t *pos)
{
    const dm_store *st = &w->stores[store];
    const uint32_t *f = w->static_facts + st->static_off;
    uint32_t lo = 0, hi = st->n_static;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f[mid] < ct)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return lo < st->n_static && f[lo] == ct;
}

/* The witness of a ciphertext marked by a static scan: the first source
 * whose static slice holds it (slices ascend by id: a binary search each).
 * If no earlier one holds it, the last source scanned does, unsearched
 * (the usual case: one scanned source).  *pos, if asked for, receives its
 * position in that slice. */
static uint32_t static_witness(const dm_closure *c, uint32_t ct, uint32_t *pos)
{
    uint32_t s, at;
    for (s = 1; s < c->last_scanned; s++)
        if (c->src[s].scanned && slice_find(c->w, c->src[s].store, ct, &at)) {
            if (pos)
                *pos = at;
            return s;
        }
    s = c->last_scanned;
    if (s && pos && !slice_find(c->w, c->src[s].store, ct, pos))
        return 0; /* not reached: a ciphertext marked but in no slice */
    return s;
}

/* A known ciphertext's witness.  One read in a static slice has its source
 * found by static_witness, and its deposit (which never names an event:
 * clean, from the start) only when `deposit` asks: else b is UINT32_MAX, and
 * a via list, which needs only the source, costs no search. */
static dm_why why_ct(const dm_closure *c, uint32_t ct, int deposit)
{
    dm_why none = {0, 0, 0, 0, UINT32_MAX};
    uint32_t s, pos = UINT32_MAX;
    if (c->cm[ct] & DM_MARK_CWIT)
        return unwit(c, &c->cwit[ct]);
    if (!(s = static_witness(c, ct, deposit ? &pos : NULL)))
        return none; /* not reached: every mark has one or the other */
    if (!deposit)
        return unpack(c, INFO(DM_WHY_STORE, c->src[s].tag, s), 0, UINT32_MAX);
    return unpack(c, INFO(DM_WHY_STORE | INFO_POS, c->src[s].tag, s), 0, pos);
}

dm_why dm_closure_why(const dm_closure *c, dm_fact_kind kind, uint32_t id)
{
    dm_why none = {0, 0, 0, 0, UINT32_MAX};
    const dm_fstate *f;
    if (!dm_closure_knows(c, kind, id))
        return none;
    switch (kind) {
    case DM_FACT_KEY:
        return unwit(c, &c->kwit[id]);
    case DM_FACT_SHARE:
        f = &c->sst[id];
        return unpack(c, f->info, f->a, f->b);
    case DM_FACT_CT:
        return why_ct(c, id, 1);
    case DM_FACT_ITEM:
        if (c->cm[id] & DM_MARK_IWIT)
            return unwit(c, &c->iwit[id]);
        /* opened: the ciphertext (same id), with its key's tag */
        return unpack(c, INFO(DM_WHY_OPENED, key_tag(c, c->w->cts[id].under), 0), id, 0);
    }
    return none;
}

/* ---- Witness -> via list ---- */

/* The walk's buffer: on the stack for the usual short chains, on the heap
 * for long ones. */
typedef struct vbuf {
    uint32_t *v;
    size_t n, cap;
    uint32_t local[64];
    int oom;
} vbuf;

static void vpush(vbuf *b, uint32_t x)
{
    if (b->n == b->cap) {
        size_t nc = b->cap * 2;
        uint32_t *nv = b->v == b->local ? dm_malloc(nc * sizeof *nv)
                                        : dm_reallocarray(b->v, nc, sizeof *nv);
        if (!nv) {
            b->oom = 1;
            return;
        }
        if (b->v == b->local)
            memcpy(nv, b->local, sizeof b->local);
        b->v = nv;
        b->cap = nc;
    }
    b->v[b->n++] = x;
}

/* Events a fact's arrival names: the order that delivered it, the breach or
 * compromise it came through, the theft.  Pushed item-side first. */
static void push_arrival(const dm_closure *c, vbuf *b, dm_why y)
{
    if (y.kind == DM_WHY_STORE && y.b != UINT32_MAX) {
        const dm_deposit *d = &c->w->deposits[y.b];
        /* The order (or ghost) that handed it over: also when what it
         * handed over came from stolen knowledge (tagged unlawful). */
        if (d->tag_event != UINT32_MAX)
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
    vbuf b;
    size_t i, j, start = *n_via;
    uint64_t mask = 0;
    uint32_t guard = 0;
    dm_err e = DM_OK;
    dm_why y = dm_closure_why(c, DM_FACT_ITEM, item);
    b.v = b.local;
    b.n = 0;
    b.cap = sizeof b.local / sizeof b.local[0];
    b.oom = 0;
    /* Walk back: item <- ciphertext <- key <- wrap <- key ... <- source. */
    for (;;) {
        uint32_t ct, k;
        if (y.kind != DM_WHY_OPENED) {
            push_arrival(c, &b, y);
            break;
        }
        ct = y.a;
        push_arrival(c, &b, why_ct(c, ct, 0));
        if (w->cts[ct].event != UINT32_MAX)
            vpush(&b, w->cts[ct].event | DM_VIA_EVENT);
        k = w->cts[ct].under;
        vpush(&b, k);
        y = dm_closure_why(c, DM_FACT_KEY, k);
        if (y.kind == DM_WHY_SHARES) {
            const dm_wkey *wk = &w->keys[k];
            for (i = 0; i < wk->n_shares; i++)
                if (c->sst[wk->first_share + i].ep == c->ep)
                    push_arrival(c, &b, dm_closure_why(c, DM_FACT_SHARE, wk->first_share + i));
            break;
        }
        if (++guard > w->n_keys + 1) /* witnesses are acyclic; never loop */
            break;
    }
    if (b.oom) {
        e = DM_ERR_NOMEM;
        goto out;
    }
    if (*n_via + b.n > *cap_via) {
        size_t nc = *cap_via ? *cap_via : 64;
        uint32_t *nv;
        while (nc < *n_via + b.n)
            nc *= 2;
        if (!(nv = dm_reallocarray(*via, nc, sizeof *nv))) {
            e = DM_ERR_NOMEM;
            goto out;
        }
        *via = nv;
        *cap_via = nc;
    }
    /* Reverse into the output (source first), dropping repeats. */
    for (i = b.n; i-- > 0;) {
        uint32_t x = b.v[i];
        int dup = 0;
        for (j = start; j < *n_via && !dup; j++)
            dup = (*via)[j] == x;
        if (dup)
            continue;
        (*via)[(*n_via)++] = x;
        if ((x & DM_VIA_EVENT) && c->order_rank[x & ~DM_VIA_EVENT] < 64)
            mask |= (uint64_t)1 << c->order_rank[x & ~DM_VIA_EVENT];
    }
    if (order_mask)
        *order_mask = mask;
out:
    if (b.v != b.local)
        dm_free(b.v);
    return e;
}
