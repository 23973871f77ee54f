/* crypto_verify.c - replay a run's reaches and non-reaches with real decryption. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "crypto_priv.h"

#define MAX_THREADS 64u
#define CACHE_MAX 65536u   /* key bytes remembered per thread and party */
#define DEPTH_MAX 4096u    /* longest witness chain replayed */
#define AUX_MAX 2u         /* provider views a thread keeps across parties */
#define SHARED_MAX 4u      /* providers served an order: closures computed once, shared */

enum { S_FREE = 0, S_BUSY, S_READY, S_FAILED };

enum { K_BUSY = 1, K_CACHED, K_FAILED, K_OK_UNCACHED };
enum { R_PROVEN, R_DIRECT, R_FAIL };

const char *dm_mismatch_kind_name(dm_mismatch_kind k)
{
    switch (k) {
    case DM_MISMATCH_REACH_FAILS:
        return "reach-fails";
    case DM_MISMATCH_UNREPORTED:
        return "unreported";
    case DM_MISMATCH_OPENS:
        return "opens";
    case DM_MISMATCH_KEY_FAILS:
        return "key-fails";
    }
    return "unknown";
}

typedef struct vshared {
    const dm_crypto *c;
    const dm_run *r;
    const dm_world *w;
    uint32_t *parties;       /* to verify */
    size_t n_parties;
    size_t next;             /* atomic */
    int32_t *actor_of;       /* per party: index into r->actors, or -1 */
    uint32_t *split;         /* the keys split into shares */
    size_t n_split;
    int sample;
    int err;                 /* atomic: first dm_err */
    /* Providers served an order: each one's closure at r->bound, computed
     * once by whichever thread needs it first and then read by all (its own
     * verification, and the replays of what it handed over). */
    struct {
        uint32_t party;
        dm_closure *cl;
        int state;           /* S_*, under mu */
    } shv[SHARED_MAX];
    unsigned n_shv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} vshared;

/* What a view knows of one key's bytes this epoch. */
typedef struct kent {
    uint32_t key, ep, slot;  /* ep != the view's: an empty entry */
    uint32_t state;          /* K_* */
} kent;

#define TAB_MIN 1024u

/* A closure and the key bytes obtained along its witnesses.  The thread's
 * main view is the party verified; its aux views are providers at the time
 * of an order, to replay what a provider handed over.  Aux closures stay
 * computed across parties (memo by party and bound); their key bytes are
 * forgotten at each party, so that counts do not depend on scheduling. */
typedef struct view {
    dm_closure *cl;          /* the thread's workspace, or a shared closure (not owned) */
    int own;                 /* cl is this view's to free */
    uint32_t limit;          /* replay only facts there after `limit` events (UINT32_MAX: all) */
    uint32_t party, bound;   /* of the last computation (aux memo) */
    int valid;
    uint64_t serial;         /* aux: the verified party whose key bytes it holds */
    uint64_t used;           /* aux: last use, for eviction */
    uint32_t ep;             /* epoch of the marks below */
    kent *tab;               /* the keys met this epoch: open addressing by key id, dense
                              * (a party's replays touch few pages, not one per key) */
    size_t tab_cap, tab_n;   /* tab_cap a power of two */
    unsigned char *cache;    /* guarded: cache_cap key slots */
    size_t cache_cap, cache_used;
} view;

typedef struct vthread {
    vshared *s;
    pthread_t tid;
    int ready;               /* vthread_init ran (resources to free) */
    view main;
    view aux[AUX_MAX];
    view shaux[SHARED_MAX];  /* onto s->shv[i], limited to an order's time */
    uint64_t serial, tick;
    uint32_t ep;             /* per party epoch of iep */
    uint32_t *iep;           /* per item: reported for the party */
    uint32_t *cand;          /* ciphertexts known, not opened */
    uint32_t *known_sym, *known_kp;
    const unsigned char **bytes_sym, **bytes_kp; /* their bytes in main's cache, or NULL */
    size_t n_sym, n_kp;
    uint64_t *bits;          /* zero between uses: sorts ids */
    size_t n_bits;           /* words */
    unsigned char *buf;      /* guarded: one plaintext */
    uint64_t reaches_proven, reaches_direct, nonreaches, decryptions, failed, rebuilds;
    uint64_t mismatches, parties_done;
    dm_mismatch *list;
    size_t n_list, cap_list;
    dm_crypto_clock clk;
    uint64_t busy_ns, cpu_ns, closure_ns, closures;
    unsigned depth;
} vthread;

static void set_err(vshared *s, dm_err e)
{
    int zero = 0;
    __atomic_compare_exchange_n(&s->err, &zero, (int)e, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void mismatch(vthread *t, uint32_t party, dm_mismatch_kind kind, uint32_t item,
                     uint32_t ct, uint32_t key)
{
    t->mismatches++;
    if (t->n_list >= DM_VERIFY_MAX_LISTED)
        return;
    if (t->n_list == t->cap_list) {
        size_t nc = t->cap_list ? t->cap_list * 2 : 16;
        dm_mismatch *nl = dm_reallocarray(t->list, nc, sizeof *nl);
        if (nl == NULL) {
            set_err(t->s, DM_ERR_NOMEM);
            return;
        }
        t->list = nl;
        t->cap_list = nc;
    }
    t->list[t->n_list].party = party;
    t->list[t->n_list].item = item;
    t->list[t->n_list].ct = ct;
    t->list[t->n_list].key = key;
    t->list[t->n_list].kind = (uint8_t)kind;
    t->n_list++;
}

/* How many of n things a party's check takes: all of them, or in a sample
 * at most cap, and with `share` at least one in DM_VERIFY_SAMPLE_SHARE. */
static size_t sample_size(size_t n, size_t cap, int sample, int share)
{
    size_t part = (n + DM_VERIFY_SAMPLE_SHARE - 1) / DM_VERIFY_SAMPLE_SHARE;
    if (!sample)
        return n;
    if (share && cap < part)
        cap = part;
    return n < cap ? n : cap;
}

/* Compare real bytes (libsodium's constant-time comparison, timed as the
 * library call it is). */
static int same_bytes(vthread *t, const unsigned char *a, const unsigned char *b, size_t n)
{
    int rc;

    DM_TIMED(&t->clk, rc = sodium_memcmp(a, b, n));
    return rc == 0;
}

/* The j-th of m evenly spaced picks among n. */
static size_t nth_pick(size_t j, size_t n, size_t m)
{
    return m == n ? j : (size_t)((uint64_t)j * n / m);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort n distinct ids below `universe` ascending, so that an evenly spaced
 * sample does not depend on the order the closure learned them in: through
 * the thread's bitmap when they are many (one pass over universe/64 words),
 * with qsort when they are few. */
static void sort_ids(vthread *t, uint32_t *ids, size_t n, size_t universe)
{
    size_t i, wd, m = 0, words = (universe + 63) / 64;

    if (n < 2)
        return;
    if (n < 256 || n < universe / 64 || words > t->n_bits) {
        qsort(ids, n, sizeof *ids, cmp_u32);
        return;
    }
    for (i = 0; i < n; i++)
        t->bits[ids[i] >> 6] |= 1ull << (ids[i] & 63);
    for (wd = 0; wd < words; wd++) {
        uint64_t b = t->bits[wd];
        if (b == 0)
            continue;
        t->bits[wd] = 0;
        while (b) {
            ids[m++] = (uint32_t)(wd * 64 + (unsigned)__builtin_ctzll(b));
            b &= b - 1;
        }
    }
}

/* Start a new epoch of view v's key marks: its key bytes are forgotten. */
static void view_reset(vthread *t, view *v)
{
    (void)t;
    if (++v->ep == 0) {
        memset(v->tab, 0, v->tab_cap * sizeof *v->tab);
        v->ep = 1;
    }
    v->tab_n = 0;
    v->cache_used = 0;
}

static size_t kent_home(const view *v, uint32_t k)
{
    return (size_t)((k * 2654435761u) & (uint32_t)(v->tab_cap - 1));
}

/* The entry of key k this epoch, or NULL. */
static kent *kent_find(view *v, uint32_t k)
{
    size_t h = kent_home(v, k);

    while (v->tab[h].ep == v->ep) {
        if (v->tab[h].key == k)
            return &v->tab[h];
        h = (h + 1) & (v->tab_cap - 1);
    }
    return NULL;
}

/* A new entry for key k (not in the table), growing it at half full; NULL
 * when memory runs out.  Pointers to entries do not survive the next add. */
static kent *kent_add(vthread *t, view *v, uint32_t k)
{
    size_t h;

    if ((v->tab_n + 1) * 2 > v->tab_cap) {
        size_t nc = v->tab_cap * 2, i;
        kent *old = v->tab, *nt = dm_calloc(nc, sizeof *nt);
        if (nt == NULL) {
            set_err(t->s, DM_ERR_NOMEM);
            return NULL;
        }
        v->tab = nt;
        v->tab_cap = nc;
        for (i = 0; i < nc / 2; i++)
            if (old[i].ep == v->ep) {
                h = kent_home(v, old[i].key);
                while (nt[h].ep == v->ep)
                    h = (h + 1) & (nc - 1);
                nt[h] = old[i];
            }
        dm_free(old);
    }
    h = kent_home(v, k);
    while (v->tab[h].ep == v->ep)
        h = (h + 1) & (v->tab_cap - 1);
    v->tab[h].key = k;
    v->tab[h].ep = v->ep;
    v->tab[h].state = 0;
    v->tab_n++;
    return &v->tab[h];
}

/* Set up view v's key marks and cache; with `closure`, its own workspace. */
static dm_err view_init(vthread *t, view *v, int closure)
{
    const dm_crypto *c = t->s->c;

    v->limit = UINT32_MAX;
    if (closure) {
        if (dm_closure_new(t->s->w, &v->cl) != DM_OK)
            return DM_ERR_NOMEM;
        v->own = 1;
    }
    v->ep = 1;
    v->tab_cap = TAB_MIN;
    v->tab = dm_calloc(v->tab_cap, sizeof *v->tab);
    if (v->tab == NULL)
        return DM_ERR_NOMEM;
    v->cache_cap = c->n_keys < CACHE_MAX ? c->n_keys : CACHE_MAX;
    v->cache = sodium_allocarray(v->cache_cap + 1, DM_KEY_BYTES);
    return v->cache != NULL ? DM_OK : DM_ERR_NOMEM;
}

static void view_fini(view *v)
{
    if (v->own)
        dm_closure_free(v->cl);
    dm_free(v->tab);
    if (v->cache != NULL)
        sodium_free(v->cache);
}

/* Compute everything `party` knows after `bound` events into view v. */
static int view_compute(vthread *t, view *v, uint32_t party, uint32_t bound)
{
    uint64_t t0 = dm_crypto_now_ns();
    dm_err e = dm_closure_compute(v->cl, party, bound);

    t->closure_ns += dm_crypto_now_ns() - t0;
    t->closures++;
    if (e != DM_OK) {
        set_err(t->s, e);
        v->valid = 0;
        return -1;
    }
    v->party = party;
    v->bound = bound;
    v->valid = 1;
    return 0;
}

static int shared_index(const vshared *s, uint32_t p);
static dm_closure *shared_closure(vthread *t, unsigned i);
static int chain_in_time(const dm_world *w, const dm_closure *cl, int is_key, uint32_t id,
                         uint32_t limit, unsigned depth);

/* A view of provider `prov` after `bound` events, to replay fact (is_key,
 * id) it handed over then.  A shared provider's closure at r->bound serves
 * when the fact's whole witness there was in place by then (the provider's
 * knowledge then is a subset of its knowledge at the end: no closure is
 * recomputed); else a private closure at `bound`, kept from an earlier
 * party when this thread computed it already, or computed into the least
 * recently used slot.  The choice depends on the witness only, never on the
 * thread: counts stay the same whatever the scheduling.  NULL on failure. */
static view *view_provider(vthread *t, uint32_t prov, uint32_t bound, int is_key, uint32_t id)
{
    view *v = NULL;
    unsigned i;
    int si = shared_index(t->s, prov);

    if (si >= 0) {
        dm_closure *cl = shared_closure(t, (unsigned)si);
        if (cl == NULL)
            return NULL;
        if (chain_in_time(t->s->w, cl, is_key, id, bound, 0)) {
            v = &t->shaux[si];
            if (v->tab == NULL && view_init(t, v, 0) != DM_OK) {
                set_err(t->s, DM_ERR_NOMEM);
                return NULL;
            }
            v->cl = cl;
            if (v->serial != t->serial || v->limit != bound) {
                view_reset(t, v);
                v->serial = t->serial;
                v->limit = bound;
            }
            return v;
        }
    }

    for (i = 0; i < AUX_MAX; i++)
        if (t->aux[i].valid && t->aux[i].party == prov && t->aux[i].bound == bound) {
            v = &t->aux[i];
            break;
        }
    if (v == NULL) {
        for (i = 0; i < AUX_MAX; i++)
            if (v == NULL || t->aux[i].used < v->used)
                v = &t->aux[i];
        if (v->tab == NULL && view_init(t, v, 1) != DM_OK) {
            set_err(t->s, DM_ERR_NOMEM);
            return NULL;
        }
        v->serial = 0;
        if (view_compute(t, v, prov, bound) != 0)
            return NULL;
    }
    if (v->serial != t->serial) { /* key bytes of another party's replays */
        view_reset(t, v);
        v->serial = t->serial;
    }
    v->used = ++t->tick;
    return v;
}

/* Index of party p among the shared providers, or -1. */
static int shared_index(const vshared *s, uint32_t p)
{
    unsigned i;

    for (i = 0; i < s->n_shv; i++)
        if (s->shv[i].party == p)
            return (int)i;
    return -1;
}

/* Shared provider i's closure at r->bound: computed here if no thread has
 * begun it, else waited for (its computation waits on nothing, so this
 * cannot deadlock).  NULL on failure. */
static dm_closure *shared_closure(vthread *t, unsigned i)
{
    vshared *s = t->s;
    dm_closure *cl = NULL;
    uint64_t t0;
    dm_err e;
    int state;

    pthread_mutex_lock(&s->mu);
    while (s->shv[i].state == S_BUSY)
        pthread_cond_wait(&s->cv, &s->mu);
    state = s->shv[i].state;
    if (state == S_FREE)
        s->shv[i].state = S_BUSY;
    pthread_mutex_unlock(&s->mu);
    if (state == S_READY)
        return s->shv[i].cl;
    if (state == S_FAILED)
        return NULL;
    t0 = dm_crypto_now_ns();
    e = dm_closure_new(s->w, &cl);
    if (e == DM_OK)
        e = dm_closure_compute(cl, s->shv[i].party, s->r->bound);
    t->closure_ns += dm_crypto_now_ns() - t0;
    t->closures++;
    if (e != DM_OK)
        set_err(s, e);
    pthread_mutex_lock(&s->mu);
    s->shv[i].cl = cl; /* freed at the end either way */
    s->shv[i].state = e == DM_OK ? S_READY : S_FAILED;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return e == DM_OK ? cl : NULL;
}

static int why_in_time(const dm_world *w, dm_why y, uint32_t limit);

/* Whether the facts a ciphertext's presence rests on were there after
 * `limit` events. */
static int ct_in_time(const dm_world *w, const dm_closure *cl, uint32_t ct, uint32_t limit)
{
    return w->cts[ct].seq <= limit && why_in_time(w, dm_closure_why(cl, DM_FACT_CT, ct), limit);
}

/* Whether one step of a witness was there after `limit` events: the store
 * read or event it came through happened before, the deposit was made by
 * then. */
static int why_in_time(const dm_world *w, dm_why y, uint32_t limit)
{
    if (y.via_event != UINT32_MAX && y.via_event >= limit)
        return 0;
    switch ((dm_why_kind)y.kind) {
    case DM_WHY_STORE:
        return y.b < w->n_deposits && w->deposits[y.b].seq <= limit;
    case DM_WHY_STEAL:
    case DM_WHY_GHOSTKEY:
        return y.a < limit;
    default:
        return 1;
    }
}

/* Whether the shares rebuild() would take for key k were all there in time. */
static int shares_in_time(const dm_world *w, const dm_closure *cl, uint32_t k, uint32_t limit)
{
    const dm_wkey *wk = &w->keys[k];
    unsigned char coords[DM_CRYPTO_MAX_SHARES];
    size_t n = 0, i, j;

    for (i = 0; i < wk->n_shares && n < wk->share_k; i++) {
        uint32_t sh = wk->first_share + (uint32_t)i;
        unsigned char x = (unsigned char)w->shares[sh].index;
        if (!dm_closure_knows(cl, DM_FACT_SHARE, sh))
            continue;
        for (j = 0; j < n && coords[j] != x; j++)
            ;
        if (j < n)
            continue;
        if (!why_in_time(w, dm_closure_why(cl, DM_FACT_SHARE, sh), limit))
            return 0;
        coords[n++] = x;
    }
    return n >= wk->share_k && wk->share_k > 0;
}

/* Whether the whole witness of a key (is_key) or item in closure cl was
 * there after `limit` events: then the closure at a later time proves what
 * its party could derive at that one (its knowledge then is a subset). */
static int chain_in_time(const dm_world *w, const dm_closure *cl, int is_key, uint32_t id,
                         uint32_t limit, unsigned depth)
{
    dm_why y = dm_closure_why(cl, is_key ? DM_FACT_KEY : DM_FACT_ITEM, id);
    const dm_ct *x;

    if (depth >= DEPTH_MAX)
        return 0;
    switch ((dm_why_kind)y.kind) {
    case DM_WHY_NONE:
        return is_key && shares_in_time(w, cl, id, limit);
    case DM_WHY_SHARES:
        return shares_in_time(w, cl, id, limit);
    case DM_WHY_OPENED:
        if (y.a >= w->n_cts)
            return 0;
        x = &w->cts[y.a];
        return why_in_time(w, y, limit) && ct_in_time(w, cl, y.a, limit) &&
               chain_in_time(w, cl, 1, x->under, limit, depth + 1);
    default:
        return why_in_time(w, y, limit);
    }
}

/* When fact (kind, id) was handed over by an order (a deposit tagged with
 * an order event), the provider served and the order's event index (the
 * provider's knowledge then is its closure after that many events, as the
 * engine computes it); else -1. */
static int handed_over(vthread *t, dm_why why, uint32_t *prov, uint32_t *bound)
{
    const dm_world *w = t->s->w;
    const dm_deposit *d;
    const dm_event *ev;
    dm_principal pr;

    if (why.kind != DM_WHY_STORE || why.b >= w->n_deposits || w->sc == NULL)
        return -1;
    d = &w->deposits[why.b];
    if (d->tag_event == UINT32_MAX || d->tag_event >= w->sc->n_events)
        return -1;
    ev = &w->sc->events[d->tag_event];
    if (ev->kind != DM_EVENT_ORDER || ev->provider == DM_NONE)
        return -1;
    pr.kind = DM_ACTOR_PROVIDER;
    pr.idx = ev->provider;
    *prov = dm_world_party(w, pr);
    *bound = d->tag_event;
    return *prov < w->n_parties ? 0 : -1;
}

/* Rebuild key k from the shares view v's party knows (the first share_k
 * distinct ones) into out and compare with the real key.  0 on success. */
static int rebuild(vthread *t, view *v, uint32_t k, unsigned char *out)
{
    const dm_crypto *c = t->s->c;
    const dm_world *w = t->s->w;
    const dm_wkey *wk = &w->keys[k];
    unsigned char coords[DM_CRYPTO_MAX_SHARES];
    const unsigned char *ptrs[DM_CRYPTO_MAX_SHARES];
    size_t n = 0, i, j;

    if (wk->share_k == 0)
        return -1;
    for (i = 0; i < wk->n_shares && n < wk->share_k; i++) {
        uint32_t s = wk->first_share + (uint32_t)i;
        unsigned char x = (unsigned char)w->shares[s].index;
        if (!dm_closure_knows(v->cl, DM_FACT_SHARE, s))
            continue;
        for (j = 0; j < n && coords[j] != x; j++)
            ;
        if (j < n)
            continue;
        coords[n] = x;
        ptrs[n++] = dm_crypto_share_(c, s); /* shares are only ever held, stolen or handed over */
    }
    if (n < wk->share_k)
        return -1;
    if (dm_crypto_combine_(coords, ptrs, n, out, &t->clk) != 0) {
        set_err(t->s, DM_ERR_NOMEM);
        return -1;
    }
    t->rebuilds++;
    return same_bytes(t, out, dm_crypto_key_(c, k), DM_KEY_BYTES) ? 0 : -1;
}

/* The bytes of key k as view v's party obtains them along its witness:
 * decrypted from the wrap the closure opened (with the bytes of the
 * wrapping key, obtained the same way), rebuilt from shares, handed over by
 * an order (replayed as the provider's own derivation then: an aux view), or
 * held, stolen, made by a ghost event (the real key).  0 on success. */
static int derive_key(vthread *t, view *v, uint32_t k, unsigned char *out)
{
    const dm_crypto *c = t->s->c;
    const dm_world *w = t->s->w;
    unsigned char ub[DM_KEY_BYTES];
    uint32_t prov, bound;
    view *pv;
    dm_why why;
    kent *e = kent_find(v, k);
    int rc = -1;

    if (e != NULL) {
        switch (e->state) {
        case K_CACHED:
            memcpy(out, v->cache + (size_t)e->slot * DM_KEY_BYTES, DM_KEY_BYTES);
            return 0;
        case K_OK_UNCACHED:
            break;
        default: /* failed, or a cycle */
            return -1;
        }
    } else if ((e = kent_add(t, v, k)) == NULL) {
        return -1;
    }
    if (t->depth >= DEPTH_MAX)
        return -1;
    t->depth++;
    e->state = K_BUSY;
    why = dm_closure_why(v->cl, DM_FACT_KEY, k);
    switch ((dm_why_kind)why.kind) {
    case DM_WHY_NONE:
        rc = rebuild(t, v, k, out); /* k shares give the key, known or not */
        break;
    case DM_WHY_OPENED: {
        uint32_t ct = why.a;
        if (ct >= c->n_cts || !w->cts[ct].inner_is_key || w->cts[ct].inner != k)
            break;
        if (derive_key(t, v, w->cts[ct].under, ub) != 0)
            break;
        if (dm_crypto_open_(c, ct, c->ct + c->ct_off[ct], c->ct_off[ct + 1] - c->ct_off[ct], ub,
                            out, &t->clk) != 0)
            break;
        t->decryptions++;
        rc = same_bytes(t, out, dm_crypto_key_(c, k), DM_KEY_BYTES) ? 0 : -1;
        break;
    }
    case DM_WHY_SHARES:
        rc = rebuild(t, v, k, out);
        break;
    default:
        if (v == &t->main && handed_over(t, why, &prov, &bound) == 0) {
            /* the provider must have derived it when it handed it over */
            pv = view_provider(t, prov, bound, 1, k);
            rc = pv != NULL && derive_key(t, pv, k, out) == 0 ? 0 : -1;
            break;
        }
        memcpy(out, dm_crypto_key_(c, k), DM_KEY_BYTES);
        rc = 0;
        break;
    }
    sodium_memzero(ub, sizeof ub);
    t->depth--;
    e = kent_find(v, k); /* the recursion may have moved it */
    if (rc != 0) {
        sodium_memzero(out, DM_KEY_BYTES);
        e->state = K_FAILED;
    } else if (v->cache_used < v->cache_cap) {
        e->slot = (uint32_t)v->cache_used++;
        memcpy(v->cache + (size_t)e->slot * DM_KEY_BYTES, out, DM_KEY_BYTES);
        e->state = K_CACHED;
    } else {
        e->state = K_OK_UNCACHED;
    }
    return rc;
}

/* Open item i's ciphertext ct with the bytes of its key as view v's party
 * obtains them, and compare with the plaintext. */
static int open_item(vthread *t, view *v, uint32_t i, uint32_t ct)
{
    const dm_crypto *c = t->s->c;
    const dm_world *w = t->s->w;
    unsigned char kb[DM_KEY_BYTES];
    size_t len;
    int res = R_FAIL;

    if (ct >= c->n_cts || w->cts[ct].inner_is_key || w->cts[ct].inner != i)
        return R_FAIL;
    if (derive_key(t, v, w->cts[ct].under, kb) != 0)
        goto out;
    len = c->ct_off[ct + 1] - c->ct_off[ct];
    if (len != (size_t)c->pt_len[i] + DM_MAC_BYTES)
        goto out;
    if (dm_crypto_open_(c, ct, c->ct + c->ct_off[ct], len, kb, t->buf, &t->clk) != 0)
        goto out;
    t->decryptions++;
    if (same_bytes(t, t->buf, dm_crypto_pt_(c, i), c->pt_len[i]))
        res = R_PROVEN;
    sodium_memzero(t->buf, c->pt_len[i]);
out:
    sodium_memzero(kb, sizeof kb);
    return res;
}

/* Replay view v's party's reach of item i; *ct_out names the ciphertext
 * opened.  Plaintext handed over by an order is replayed as the provider's
 * derivation at the order's time.  An item reached otherwise without
 * opening it (a compromised owner's, DM_WHY_OWNER) is replayed through its
 * ciphertext when the party also knows that and its key: the victim's
 * knowledge is part of the thief's, so its closure needs no computing.
 * Only what no key opens counts as direct. */
static int replay_item(vthread *t, view *v, uint32_t i, int owned, uint32_t *ct_out)
{
    const dm_world *w = t->s->w;
    dm_why why = dm_closure_why(v->cl, DM_FACT_ITEM, i);
    uint32_t prov, bound;
    view *pv;

    *ct_out = i; /* an item's own ciphertext has its id */
    if (why.kind == DM_WHY_NONE)
        return owned ? R_DIRECT : R_FAIL; /* owners wrote their items */
    if (why.kind == DM_WHY_OPENED) {
        *ct_out = why.a;
        return open_item(t, v, i, why.a);
    }
    if (v == &t->main && handed_over(t, why, &prov, &bound) == 0) {
        pv = view_provider(t, prov, bound, 0, i);
        return pv != NULL ? replay_item(t, pv, i, 0, ct_out) : R_FAIL;
    }
    if (i < w->n_cts && !w->cts[i].inner_is_key && w->cts[i].inner == i &&
        dm_closure_knows(v->cl, DM_FACT_CT, i) &&
        dm_closure_knows(v->cl, DM_FACT_KEY, w->cts[i].under))
        return open_item(t, v, i, i);
    return R_DIRECT; /* owned, or handed over by other means: nothing to open */
}

/* Whether user party p owns item i. */
static int owns(const dm_world *w, uint32_t p, uint32_t i)
{
    size_t first_user = w->n_providers + w->n_actors;
    const dm_witem *it = &w->items[i];
    uint32_t o;

    if (p < first_user)
        return 0;
    for (o = 0; o < it->n_owners; o++)
        if (it->owners[o] == p - first_user)
            return 1;
    return 0;
}

/* Verify one party against what its closure knows (dm_closure_keys, _cts,
 * _items): the cost follows the party's knowledge, not the world's size. */
static void verify_with(vthread *t, uint32_t p);

static void verify_party(vthread *t, uint32_t p)
{
    view *v0 = &t->main;
    dm_closure *own = v0->cl;
    int si = shared_index(t->s, p);

    if (++t->ep == 0) {
        memset(t->iep, 0, t->s->c->n_items * sizeof *t->iep);
        t->ep = 1;
    }
    t->serial++;
    view_reset(t, v0);
    if (si >= 0) { /* a provider served an order: its closure is shared */
        v0->cl = shared_closure(t, (unsigned)si);
        if (v0->cl != NULL)
            verify_with(t, p);
        v0->cl = own;
        return;
    }
    if (view_compute(t, v0, p, t->s->r->bound) == 0)
        verify_with(t, p);
}

/* Verify party p against its closure in t->main. */
static void verify_with(vthread *t, uint32_t p)
{
    vshared *s = t->s;
    const dm_crypto *c = s->c;
    const dm_world *w = s->w;
    const dm_actor_result *ar = s->actor_of[p] >= 0 ? &s->r->actors[s->actor_of[p]] : NULL;
    view *v0 = &t->main;
    const dm_closure *cl = v0->cl;
    const uint32_t *ids;
    unsigned char kb[DM_KEY_BYTES];
    size_t i, j, n, m, n_cand = 0;
    int all_bytes[2];        /* [sym, kp]: every sampled key's bytes stay in main's cache */

    t->parties_done++;

    /* Reported reaches, replayed. */
    if (ar != NULL) {
        for (i = 0; i < ar->n_reaches; i++)
            if (ar->reaches[i].item < c->n_items)
                t->iep[ar->reaches[i].item] = t->ep;
        n = ar->n_reaches; /* sorted by item id */
        m = sample_size(n, DM_VERIFY_SAMPLE_REACHES, s->sample, 0);
        for (j = 0; j < m; j++) {
            uint32_t item = ar->reaches[nth_pick(j, n, m)].item, ct;
            if (item >= c->n_items) {
                mismatch(t, p, DM_MISMATCH_REACH_FAILS, item, UINT32_MAX, UINT32_MAX);
                continue;
            }
            switch (replay_item(t, v0, item, owns(w, p, item), &ct)) {
            case R_PROVEN:
                t->reaches_proven++;
                break;
            case R_DIRECT:
                t->reaches_direct++;
                break;
            default:
                mismatch(t, p, DM_MISMATCH_REACH_FAILS, item, ct, UINT32_MAX);
                break;
            }
        }
    }
    /* Reaches the closure finds and the report omits. */
    n = dm_closure_items(cl, &ids);
    for (j = 0; j < n; j++) {
        uint32_t it = ids[j];
        if (t->iep[it] != t->ep && !owns(w, p, it)) {
            dm_why y = dm_closure_why(cl, DM_FACT_ITEM, it);
            mismatch(t, p, DM_MISMATCH_UNREPORTED, it, y.kind == DM_WHY_OPENED ? y.a : UINT32_MAX,
                     UINT32_MAX);
        }
    }

    /* Ciphertexts the party knows but did not open. */
    n = dm_closure_cts(cl, &ids);
    for (j = 0; j < n; j++) {
        uint32_t id = ids[j];
        const dm_ct *x = &w->cts[id];
        if (dm_closure_knows(cl, DM_FACT_KEY, x->under)) {
            int inner = x->inner_is_key ? dm_closure_knows(cl, DM_FACT_KEY, x->inner)
                                        : dm_closure_knows(cl, DM_FACT_ITEM, x->inner);
            if (!inner) /* the closure has the key and the ciphertext, not what is inside */
                mismatch(t, p, DM_MISMATCH_OPENS, x->inner_is_key ? UINT32_MAX : x->inner, id,
                         x->under);
            continue;
        }
        t->cand[n_cand++] = id;
    }
    m = sample_size(n_cand, DM_VERIFY_SAMPLE_CTS, s->sample, 1);
    if (m < n_cand) /* an evenly spaced sample by id, whatever the closure's order */
        sort_ids(t, t->cand, n_cand, c->n_cts);

    /* The keys the party has: known to the closure, or rebuilt from shares.
     * A sample skips them for a party with nothing left to try them on. */
    t->n_sym = t->n_kp = 0;
    if (!s->sample || n_cand > 0) {
        n = dm_closure_keys(cl, &ids);
        for (j = 0; j < n; j++) {
            if (w->keys[ids[j]].type == DM_KEY_KEYPAIR)
                t->known_kp[t->n_kp++] = ids[j];
            else
                t->known_sym[t->n_sym++] = ids[j];
        }
        for (j = 0; j < s->n_split; j++) {
            const dm_wkey *wk = &w->keys[s->split[j]];
            size_t got = 0, q;
            if (dm_closure_knows(cl, DM_FACT_KEY, s->split[j]))
                continue;
            for (q = 0; q < wk->n_shares; q++)
                got += dm_closure_knows(cl, DM_FACT_SHARE, wk->first_share + (uint32_t)q) != 0;
            if (got < wk->share_k)
                continue;
            if (wk->type == DM_KEY_KEYPAIR)
                t->known_kp[t->n_kp++] = s->split[j];
            else
                t->known_sym[t->n_sym++] = s->split[j];
        }
    }
    /* Sample them (evenly, by id), then obtain each one's bytes along its witness. */
    all_bytes[0] = all_bytes[1] = 1;
    {
        uint32_t *lists[2] = {t->known_sym, t->known_kp};
        const unsigned char **bytes[2] = {t->bytes_sym, t->bytes_kp};
        size_t *lens[2] = {&t->n_sym, &t->n_kp}, l, k;
        for (l = 0; l < 2; l++) {
            size_t nl = *lens[l];
            size_t ml = s->sample && nl > DM_VERIFY_SAMPLE_KEYS ? DM_VERIFY_SAMPLE_KEYS : nl;
            if (ml < nl)
                sort_ids(t, lists[l], nl, c->n_keys);
            for (j = 0, k = 0; j < ml; j++) {
                uint32_t key = lists[l][nth_pick(j, nl, ml)];
                if (derive_key(t, v0, key, kb) != 0) {
                    mismatch(t, p, DM_MISMATCH_KEY_FAILS, UINT32_MAX, UINT32_MAX, key);
                    continue;
                }
                /* where the bytes stay for the attempts below (NULL: derive again) */
                {
                    const kent *ke = kent_find(v0, key);
                    bytes[l][k] = ke != NULL && ke->state == K_CACHED
                                      ? v0->cache + (size_t)ke->slot * DM_KEY_BYTES
                                      : NULL;
                    if (bytes[l][k] == NULL)
                        all_bytes[l] = 0;
                }
                lists[l][k++] = key; /* k <= the pick's index: reads stay ahead */
            }
            *lens[l] = k;
        }
    }

    for (j = 0; j < m; j++) {
        uint32_t ct = t->cand[nth_pick(j, n_cand, m)];
        const dm_ct *x = &w->cts[ct];
        int kp = w->keys[x->under].type == DM_KEY_KEYPAIR;
        const uint32_t *keys = kp ? t->known_kp : t->known_sym;
        const unsigned char *const *bytes = kp ? t->bytes_kp : t->bytes_sym;
        size_t nk = kp ? t->n_kp : t->n_sym, q;
        const uint8_t *body = c->ct + c->ct_off[ct];
        size_t len = c->ct_off[ct + 1] - c->ct_off[ct], adlen = 0;
        char adbuf[DM_CRYPTO_AD_BUF];
        const unsigned char *ad = kp ? NULL : dm_crypto_ad_(w, ct, adbuf, sizeof adbuf, &adlen);
        int opened = 0;

        if (all_bytes[kp]) {
            /* Every key's bytes at hand: the loop does nothing between two
             * libsodium calls but take the next key, so it is timed whole
             * (two clock reads a call would cost more than a third of a
             * failing AEAD call, and measure mostly themselves). */
            uint64_t t0 = dm_crypto_now_ns();
            for (q = 0; q < nk; q++)
                if (dm_crypto_open_ad_(c, ct, body, len, ad, adlen, bytes[q], t->buf, NULL) == 0)
                    break;
            t->clk.lib_ns += dm_crypto_now_ns() - t0;
            t->clk.lib_calls += q < nk ? q + 1 : q;
            t->failed += q;
            if (q < nk) {
                sodium_memzero(t->buf, len - DM_MAC_BYTES);
                mismatch(t, p, DM_MISMATCH_OPENS, x->inner_is_key ? UINT32_MAX : x->inner, ct,
                         keys[q]);
            } else {
                t->nonreaches++;
            }
            continue;
        }
        for (q = 0; q < nk; q++) {
            const unsigned char *key = bytes[q];
            if (key == NULL) {
                if (derive_key(t, v0, keys[q], kb) != 0)
                    continue; /* reported above */
                key = kb;
            }
            if (dm_crypto_open_ad_(c, ct, body, len, ad, adlen, key, t->buf, &t->clk) == 0) {
                sodium_memzero(t->buf, len - DM_MAC_BYTES);
                mismatch(t, p, DM_MISMATCH_OPENS, x->inner_is_key ? UINT32_MAX : x->inner, ct,
                         keys[q]);
                opened = 1;
                break;
            }
            t->failed++;
        }
        if (!opened)
            t->nonreaches++;
    }
    sodium_memzero(kb, sizeof kb);
}

static dm_err vthread_init(vthread *t)
{
    const dm_crypto *c = t->s->c;
    size_t nk = c->n_keys + 1, ni = c->n_items + 1;
    dm_err e;

    if ((e = view_init(t, &t->main, 1)) != DM_OK)
        return e;
    t->iep = dm_calloc(ni, sizeof *t->iep);
    /* written before they are read: not zeroed, so that only the pages a
     * party's lists reach are ever touched */
    t->known_sym = dm_reallocarray(NULL, nk, sizeof *t->known_sym);
    t->known_kp = dm_reallocarray(NULL, nk, sizeof *t->known_kp);
    t->bytes_sym = dm_reallocarray(NULL, nk, sizeof *t->bytes_sym);
    t->bytes_kp = dm_reallocarray(NULL, nk, sizeof *t->bytes_kp);
    if (!t->bytes_sym || !t->bytes_kp)
        return DM_ERR_NOMEM;
    t->cand = dm_reallocarray(NULL, c->n_cts + 1, sizeof *t->cand);
    t->n_bits = ((c->n_cts > c->n_keys ? c->n_cts : c->n_keys) + 63) / 64;
    t->bits = dm_calloc(t->n_bits + 1, sizeof *t->bits);
    if (!t->iep || !t->known_sym || !t->known_kp || !t->cand || !t->bits)
        return DM_ERR_NOMEM;
    t->buf = sodium_malloc((size_t)c->max_pt_len + DM_KEY_BYTES + DM_MAC_BYTES);
    if (t->buf == NULL)
        return DM_ERR_NOMEM;
    return DM_OK;
}

static void vthread_fini(vthread *t)
{
    unsigned i;

    view_fini(&t->main);
    for (i = 0; i < AUX_MAX; i++)
        view_fini(&t->aux[i]);
    for (i = 0; i < SHARED_MAX; i++)
        view_fini(&t->shaux[i]);
    dm_free(t->iep);
    dm_free(t->known_sym);
    dm_free(t->known_kp);
    dm_free(t->bytes_sym);
    dm_free(t->bytes_kp);
    dm_free(t->cand);
    dm_free(t->bits);
    dm_free(t->list);
    if (t->buf != NULL)
        sodium_free(t->buf);
}

/* A worker: set up its own workspace (in parallel with the others), then
 * take parties one at a time. */
static void *vwork(void *arg)
{
    vthread *t = arg;
    vshared *s = t->s;
    uint64_t t0 = dm_crypto_now_ns(), c0 = dm_crypto_cpu_ns();
    dm_err e = vthread_init(t);

    if (e != DM_OK)
        set_err(s, e);
    for (;;) {
        size_t i;
        if (__atomic_load_n(&s->err, __ATOMIC_RELAXED) != 0)
            break;
        i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
        if (i >= s->n_parties)
            break;
        verify_party(t, s->parties[i]);
    }
    t->busy_ns += dm_crypto_now_ns() - t0;
    t->cpu_ns += dm_crypto_cpu_ns() - c0;
    return NULL;
}

static int cmp_mismatch(const void *a, const void *b)
{
    const dm_mismatch *x = a, *y = b;
#define CMP(f)                     \
    if (x->f != y->f)              \
        return x->f < y->f ? -1 : 1;
    CMP(party)
    CMP(kind)
    CMP(item)
    CMP(ct)
    CMP(key)
#undef CMP
    return 0;
}

/* The keys split into shares: a party that gathers k shares has the key
 * even if its closure (wrongly) says it does not. */
static dm_err find_split(vshared *s)
{
    const dm_world *w = s->w;
    size_t k, n = 0;

    for (k = 0; k < w->n_keys; k++)
        n += w->keys[k].share_k > 0;
    s->split = dm_calloc(n + 1, sizeof *s->split);
    if (s->split == NULL)
        return DM_ERR_NOMEM;
    for (k = 0; k < w->n_keys; k++)
        if (w->keys[k].share_k > 0)
            s->split[s->n_split++] = (uint32_t)k;
    return DM_OK;
}

/* Whether party p is the authority of an order that was served: it then
 * replays what a provider handed over, reading that provider's shared
 * closure. */
static int serves_order(const vshared *s, uint32_t p)
{
    const dm_world *w = s->w;
    size_t e;

    if (w->sc == NULL)
        return 0;
    for (e = 0; e < w->sc->n_events; e++) {
        const dm_event *ev = &w->sc->events[e];
        if (ev->kind == DM_EVENT_ORDER &&
            (w->event_refused == NULL || !w->event_refused[e]) && dm_world_party(w, ev->by) == p)
            return 1;
    }
    return 0;
}

/* The providers whose closures are shared: those served an order that was
 * not refused (the first SHARED_MAX of them, in event order). */
static void find_shared(vshared *s)
{
    const dm_world *w = s->w;
    size_t e;

    if (w->sc == NULL)
        return;
    for (e = 0; e < w->sc->n_events && s->n_shv < SHARED_MAX; e++) {
        const dm_event *ev = &w->sc->events[e];
        dm_principal pr;
        uint32_t p;
        if (ev->kind != DM_EVENT_ORDER || ev->provider == DM_NONE ||
            (w->event_refused != NULL && w->event_refused[e]))
            continue;
        pr.kind = DM_ACTOR_PROVIDER;
        pr.idx = ev->provider;
        p = dm_world_party(w, pr);
        if (p < w->n_parties && shared_index(s, p) < 0)
            s->shv[s->n_shv++].party = p;
    }
}

/* The parties to verify: all of them, or the sample (every provider and
 * declared actor, and an even sample of listed and of unlisted users), in
 * the order workers take them: providers and actors first (the largest
 * closures, so that two threads share the work evenly), then users, then
 * the authorities of orders (by then the providers' shared closures they
 * read are computed, and no thread waits for one). */
static dm_err choose_parties(vshared *s)
{
    const dm_world *w = s->w;
    size_t first_user = w->n_providers + w->n_actors, p, pass;

    s->parties = dm_calloc(w->n_parties + 1, sizeof *s->parties);
    if (s->parties == NULL)
        return DM_ERR_NOMEM;
    for (p = 0; p < first_user; p++)
        if (!serves_order(s, (uint32_t)p))
            s->parties[s->n_parties++] = (uint32_t)p;
    if (!s->sample) {
        for (p = first_user; p < w->n_parties; p++)
            s->parties[s->n_parties++] = (uint32_t)p;
    } else {
        for (pass = 0; pass < 2; pass++) { /* 0: listed users, 1: the others */
            uint64_t n = 0, i = 0, m = DM_VERIFY_SAMPLE_USERS;
            for (p = first_user; p < w->n_parties; p++)
                n += (s->actor_of[p] >= 0) == (pass == 0);
            for (p = first_user; p < w->n_parties; p++) {
                if ((s->actor_of[p] >= 0) != (pass == 0))
                    continue;
                /* i of n is taken when floor(i*m/n) steps: m evenly spaced picks */
                if (n <= m || (i + 1) * m / n != i * m / n)
                    s->parties[s->n_parties++] = (uint32_t)p;
                i++;
            }
        }
    }
    for (p = 0; p < first_user; p++)
        if (serves_order(s, (uint32_t)p))
            s->parties[s->n_parties++] = (uint32_t)p;
    return DM_OK;
}

dm_err dm_crypto_verify(const dm_crypto *c, const dm_run *r, dm_verify_mode mode,
                        unsigned threads, dm_verification **out)
{
    dm_verification *v = NULL;
    vthread ts[MAX_THREADS];
    vshared s;
    unsigned nt = dm_crypto_threads_(threads), t, started = 1;
    uint64_t t0 = dm_crypto_now_ns(), c0 = dm_crypto_cpu_ns(), p0 = 0, par_wall = 0, max = 0;
    size_t i, total_list = 0;
    dm_err err = DM_OK;

    if (c == NULL || r == NULL || out == NULL || r->w == NULL)
        return DM_ERR_USAGE;
    if (c->w != r->w || c->n_cts != r->w->n_cts || c->n_keys != r->w->n_keys ||
        c->n_items != r->w->n_items || c->n_shares != r->w->n_shares)
        return DM_ERR_USAGE;
    if (dm_crypto_ensure_init_() != 0)
        return DM_ERR_CRYPTO;
    memset(&s, 0, sizeof s);
    memset(ts, 0, sizeof ts);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    v = dm_calloc(1, sizeof *v);
    if (v == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    v->mode = mode;
    v->parties = r->w->n_parties;
    v->planned = r->w->n_cts != 0 && r->w->n_parties > UINT64_MAX / r->w->n_cts
                     ? UINT64_MAX
                     : (uint64_t)r->w->n_parties * r->w->n_cts;
    if (mode == DM_VERIFY_OFF)
        goto done;
    s.c = c;
    s.r = r;
    s.w = r->w;
    s.sample = mode == DM_VERIFY_SAMPLE || (mode == DM_VERIFY_ALL && v->planned > DM_VERIFY_ALL_MAX);
    v->sampled = s.sample;
    s.actor_of = dm_calloc(r->w->n_parties + 1, sizeof *s.actor_of);
    if (s.actor_of == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < r->w->n_parties; i++)
        s.actor_of[i] = -1;
    for (i = 0; i < r->n_actors; i++)
        if (r->actors[i].party < r->w->n_parties)
            s.actor_of[r->actors[i].party] = (int32_t)i;
    find_shared(&s);
    if ((err = find_split(&s)) != DM_OK || (err = choose_parties(&s)) != DM_OK)
        goto out;
    if (nt > s.n_parties)
        nt = s.n_parties > 0 ? (unsigned)s.n_parties : 1u;
    for (t = 0; t < nt; t++)
        ts[t].s = &s;
    p0 = dm_crypto_now_ns();
    for (t = 1; t < nt; t++) {
        if (pthread_create(&ts[t].tid, NULL, vwork, &ts[t]) != 0)
            break;
        started++;
    }
    vwork(&ts[0]);
    for (t = 1; t < started; t++)
        pthread_join(ts[t].tid, NULL);
    par_wall = dm_crypto_now_ns() - p0;
    if ((err = (dm_err)s.err) != DM_OK)
        goto out;

    v->stats.threads = nt;
    for (t = 0; t < nt; t++) {
        v->reaches_proven += ts[t].reaches_proven;
        v->reaches_direct += ts[t].reaches_direct;
        v->nonreaches_proven += ts[t].nonreaches;
        v->decryptions += ts[t].decryptions;
        v->failed_attempts += ts[t].failed;
        v->rebuilds += ts[t].rebuilds;
        v->mismatches += ts[t].mismatches;
        v->sample_size += ts[t].parties_done;
        v->stats.busy_ns += ts[t].busy_ns;
        v->stats.lib_ns += ts[t].clk.lib_ns;
        v->stats.lib_calls += ts[t].clk.lib_calls;
        v->stats.closure_ns += ts[t].closure_ns;
        v->stats.closures += ts[t].closures;
        if (t > 0) /* the calling thread's CPU time is taken whole below */
            v->stats.cpu_ns += ts[t].cpu_ns;
        if (ts[t].cpu_ns > max)
            max = ts[t].cpu_ns;
        total_list += ts[t].n_list;
    }
    if (total_list > 0) {
        v->list = dm_calloc(total_list, sizeof *v->list);
        if (v->list == NULL) {
            err = DM_ERR_NOMEM;
            goto out;
        }
        for (t = 0; t < nt; t++) {
            if (ts[t].n_list == 0)
                continue;
            memcpy(v->list + v->n_list, ts[t].list, ts[t].n_list * sizeof *v->list);
            v->n_list += ts[t].n_list;
        }
        qsort(v->list, v->n_list, sizeof *v->list, cmp_mismatch);
        if (v->n_list > DM_VERIFY_MAX_LISTED)
            v->n_list = DM_VERIFY_MAX_LISTED;
    }
done:
    {
        uint64_t self = dm_crypto_cpu_ns() - c0;
        v->stats.wall_ns = dm_crypto_now_ns() - t0;
        v->stats.cpu_ns += self;
        v->stats.span_ns = max + (self > ts[0].cpu_ns ? self - ts[0].cpu_ns : 0);
        v->stats.serial_ns = v->stats.wall_ns > par_wall ? v->stats.wall_ns - par_wall : 0;
    }
    err = v->mismatches > 0 ? DM_ERR_MISMATCH : DM_OK;
    *out = v;
    v = NULL;
out:
    for (t = 0; t < MAX_THREADS; t++)
        if (ts[t].s != NULL)
            vthread_fini(&ts[t]);
    for (i = 0; i < s.n_shv; i++)
        dm_closure_free(s.shv[i].cl);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
    dm_free(s.actor_of);
    dm_free(s.split);
    dm_free(s.parties);
    dm_verification_free(v);
    return err;
}

void dm_verification_free(dm_verification *v)
{
    if (v == NULL)
        return;
    dm_free(v->list);
    dm_free(v);
}
