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
    uint32_t *own_off, *own; /* per user: the items it owns */
    uint8_t *plain;          /* per party: a user that only holds its devices and reads its stores */
    int sample;
    int err;                 /* atomic: first dm_err */
} vshared;

/* One party's closure and the key bytes obtained along its witnesses.
 * View 0 is the party verified; view 1 is a provider at the time of an
 * order, to replay what the provider handed over. */
typedef struct view {
    dm_closure *cl;
    uint32_t party, bound;   /* of the last computation (view 1 memo) */
    int valid;
    uint32_t ep;             /* epoch of the marks below */
    uint32_t *kep;           /* per key */
    uint8_t *kstate;
    uint32_t *kslot;
    unsigned char *cache;    /* guarded: cache_cap key slots */
    size_t cache_cap, cache_used;
} view;

typedef struct vthread {
    vshared *s;
    pthread_t tid;
    view v[2];
    uint32_t ep;             /* per party epoch of iep/oep */
    unsigned char *buf;      /* guarded: one plaintext */
    uint32_t *iep, *oep;     /* per item: reported, owned */
    uint32_t *item_ep, *ct_ep, *key_ep; /* candidates of a local enumeration */
    uint32_t *item_l, *ct_l, *key_l;
    size_t n_item_l, n_ct_l, n_key_l;
    uint32_t *known_sym, *known_kp, *cand, *pick;
    size_t n_sym, n_kp;
    uint64_t reaches_proven, reaches_direct, nonreaches, decryptions, failed, rebuilds;
    uint64_t mismatches, parties_done;
    dm_mismatch *list;
    size_t n_list, cap_list;
    dm_crypto_clock clk;
    uint64_t busy_ns, cpu_ns, closure_ns;
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

/* Indices of an even sample of n things, at most cap of them, into t->pick;
 * returns how many. */
static size_t stride(size_t n, size_t cap, int sample, uint32_t *pick)
{
    size_t i, m = (!sample || n <= cap) ? n : cap;
    for (i = 0; i < m; i++)
        pick[i] = (uint32_t)(m == n ? i : (uint64_t)i * n / m);
    return m;
}

/* Start a new epoch of view v's marks (a new computation). */
static void view_reset(vthread *t, view *v)
{
    if (++v->ep == 0) {
        memset(v->kep, 0, t->s->c->n_keys * sizeof *v->kep);
        v->ep = 1;
    }
    v->cache_used = 0;
}

/* Compute view 1 as provider `prov` after `bound` events, unless it is so
 * already.  0 on success. */
static int view_provider(vthread *t, uint32_t prov, uint32_t bound)
{
    view *v = &t->v[1];
    uint64_t t0;
    dm_err e;

    if (v->valid && v->party == prov && v->bound == bound)
        return 0;
    v->valid = 0;
    view_reset(t, v);
    t0 = dm_crypto_now_ns();
    e = dm_closure_compute(v->cl, prov, bound);
    t->closure_ns += dm_crypto_now_ns() - t0;
    if (e != DM_OK) {
        set_err(t->s, e);
        return -1;
    }
    v->party = prov;
    v->bound = bound;
    v->valid = 1;
    return 0;
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
    return sodium_memcmp(out, dm_crypto_key_(c, k), DM_KEY_BYTES) == 0 ? 0 : -1;
}

/* The bytes of key k as view v's party obtains them along its witness:
 * decrypted from the wrap the closure opened (with the bytes of the
 * wrapping key, obtained the same way), rebuilt from shares, handed over by
 * an order (replayed as the provider's own derivation then: view 1), or
 * held, stolen, made by a ghost event (the real key).  0 on success. */
static int derive_key(vthread *t, view *v, uint32_t k, unsigned char *out)
{
    const dm_crypto *c = t->s->c;
    const dm_world *w = t->s->w;
    unsigned char ub[DM_KEY_BYTES];
    uint32_t prov, bound;
    dm_why why;
    int rc = -1;

    if (v->kep[k] == v->ep) {
        switch (v->kstate[k]) {
        case K_CACHED:
            memcpy(out, v->cache + (size_t)v->kslot[k] * DM_KEY_BYTES, DM_KEY_BYTES);
            return 0;
        case K_OK_UNCACHED:
            break;
        default: /* failed, or a cycle */
            return -1;
        }
    }
    if (t->depth >= DEPTH_MAX)
        return -1;
    t->depth++;
    v->kep[k] = v->ep;
    v->kstate[k] = K_BUSY;
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
        rc = sodium_memcmp(out, dm_crypto_key_(c, k), DM_KEY_BYTES) == 0 ? 0 : -1;
        break;
    }
    case DM_WHY_SHARES:
        rc = rebuild(t, v, k, out);
        break;
    default:
        if (v == &t->v[0] && handed_over(t, why, &prov, &bound) == 0) {
            /* the provider must have derived it when it handed it over */
            rc = view_provider(t, prov, bound) == 0 && derive_key(t, &t->v[1], k, out) == 0 ? 0 : -1;
            break;
        }
        memcpy(out, dm_crypto_key_(c, k), DM_KEY_BYTES);
        rc = 0;
        break;
    }
    sodium_memzero(ub, sizeof ub);
    t->depth--;
    if (rc != 0) {
        sodium_memzero(out, DM_KEY_BYTES);
        v->kstate[k] = K_FAILED;
    } else if (v->cache_used < v->cache_cap) {
        v->kslot[k] = (uint32_t)v->cache_used++;
        memcpy(v->cache + (size_t)v->kslot[k] * DM_KEY_BYTES, out, DM_KEY_BYTES);
        v->kstate[k] = K_CACHED;
    } else {
        v->kstate[k] = K_OK_UNCACHED;
    }
    return rc;
}

/* Replay view v's party's reach of item i; *ct_out names the ciphertext
 * opened.  Plaintext handed over by an order is replayed as the provider's
 * derivation at the order's time. */
static int replay_item(vthread *t, view *v, uint32_t i, int owned, uint32_t *ct_out)
{
    const dm_crypto *c = t->s->c;
    const dm_world *w = t->s->w;
    dm_why why = dm_closure_why(v->cl, DM_FACT_ITEM, i);
    unsigned char kb[DM_KEY_BYTES];
    uint32_t ct, prov, bound;
    size_t len;
    int res = R_FAIL;

    *ct_out = i; /* an item's own ciphertext has its id */
    if (why.kind == DM_WHY_NONE)
        return owned ? R_DIRECT : R_FAIL; /* owners wrote their items */
    if (why.kind != DM_WHY_OPENED) {
        if (v == &t->v[0] && handed_over(t, why, &prov, &bound) == 0) {
            if (view_provider(t, prov, bound) != 0)
                return R_FAIL;
            return replay_item(t, &t->v[1], i, 0, ct_out);
        }
        return R_DIRECT; /* owned, or handed over by other means */
    }
    ct = why.a;
    *ct_out = ct;
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
    if (sodium_memcmp(t->buf, dm_crypto_pt_(c, i), c->pt_len[i]) == 0)
        res = R_PROVEN;
    sodium_memzero(t->buf, c->pt_len[i]);
out:
    sodium_memzero(kb, sizeof kb);
    return res;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

#define ADD(kind, id)                                   \
    do {                                                \
        uint32_t id_ = (id);                            \
        if (t->kind##_ep[id_] != t->ep) {               \
            t->kind##_ep[id_] = t->ep;                  \
            t->kind##_l[t->n_##kind##_l++] = id_;       \
        }                                               \
    } while (0)

static void add_store(vthread *t, uint32_t st)
{
    const dm_world *w = t->s->w;
    const dm_store *x;
    uint32_t i;

    if (st >= w->n_stores)
        return;
    x = &w->stores[st];
    for (i = 0; i < x->n; i++) {
        const dm_deposit *d = &w->deposits[x->deposits[i]];
        switch ((dm_fact_kind)d->fact_kind) {
        case DM_FACT_CT: {
            const dm_ct *ct = &w->cts[d->fact_id];
            ADD(ct, d->fact_id);
            if (ct->inner_is_key)
                ADD(key, ct->inner);
            else
                ADD(item, ct->inner);
            break;
        }
        case DM_FACT_ITEM:
            ADD(item, d->fact_id);
            break;
        case DM_FACT_KEY:
            ADD(key, d->fact_id);
            break;
        case DM_FACT_SHARE:
            ADD(key, w->shares[d->fact_id].key);
            break;
        }
    }
}

/* The facts a plain user can know at all (DESIGN.md "Who starts with
 * what"): its device keys, its own items, and what lies in its own store
 * and on its devices, with what those ciphertexts hold.  A superset of its
 * closure, found without scanning the world. */
static void enumerate_local(vthread *t, uint32_t p)
{
    const dm_world *w = t->s->w;
    const dm_user *us;
    uint32_t u = p - (uint32_t)(w->n_providers + w->n_actors), d, i;

    t->n_item_l = t->n_ct_l = t->n_key_l = 0;
    us = &w->sc->users[u];
    for (i = t->s->own_off[u]; i < t->s->own_off[u + 1]; i++)
        ADD(item, t->s->own[i]);
    for (d = 0; d < us->devices; d++) {
        ADD(key, w->user_first_dev[u] + d);
        add_store(t, w->user_first_devstore[u] + d);
    }
    if (w->user_dk[u] != UINT32_MAX)
        ADD(key, w->user_dk[u]);
    for (i = 0; i < us->n_groups; i++)
        if (w->group_gk[us->groups[i]] != UINT32_MAX)
            ADD(key, w->group_gk[us->groups[i]]);
    add_store(t, dm_world_party_store(w, p));
}
#undef ADD

static void verify_party(vthread *t, uint32_t p)
{
    vshared *s = t->s;
    const dm_crypto *c = s->c;
    const dm_world *w = s->w;
    const dm_actor_result *ar = s->actor_of[p] >= 0 ? &s->r->actors[s->actor_of[p]] : NULL;
    size_t first_user = w->n_providers + w->n_actors;
    view *v0 = &t->v[0];
    unsigned char kb[DM_KEY_BYTES];
    size_t i, j, n, n_cand = 0, n_items, n_cts, n_keys;
    int local = s->sample && s->plain[p];
    uint64_t t0;
    dm_err e;

    if (++t->ep == 0) {
        memset(t->iep, 0, c->n_items * sizeof *t->iep);
        memset(t->oep, 0, c->n_items * sizeof *t->oep);
        memset(t->item_ep, 0, c->n_items * sizeof *t->item_ep);
        memset(t->ct_ep, 0, c->n_cts * sizeof *t->ct_ep);
        memset(t->key_ep, 0, c->n_keys * sizeof *t->key_ep);
        t->ep = 1;
    }
    view_reset(t, v0);
    t->v[1].valid = 0; /* per party, so that counts do not depend on scheduling */
    t0 = dm_crypto_now_ns();
    e = dm_closure_compute(v0->cl, p, s->r->bound);
    t->closure_ns += dm_crypto_now_ns() - t0;
    if (e != DM_OK) {
        set_err(s, e);
        return;
    }
    t->parties_done++;
    if (p >= first_user && p - first_user < w->n_users) {
        size_t u = p - first_user;
        for (i = s->own_off[u]; i < s->own_off[u + 1]; i++)
            t->oep[s->own[i]] = t->ep;
    }
    /* What to scan: everything, or (a plain user in a sample) only what it
     * can know at all. */
    if (local)
        enumerate_local(t, p);
    n_items = local ? t->n_item_l : c->n_items;
    n_cts = local ? t->n_ct_l : c->n_cts;
    n_keys = local ? t->n_key_l : c->n_keys;
#define NTH(kind, q) (local ? t->kind##_l[q] : (uint32_t)(q))

    /* Reported reaches, replayed. */
    if (ar != NULL) {
        for (i = 0; i < ar->n_reaches; i++)
            if (ar->reaches[i].item < c->n_items)
                t->iep[ar->reaches[i].item] = t->ep;
        n = stride(ar->n_reaches, DM_VERIFY_SAMPLE_REACHES, s->sample, t->pick);
        for (j = 0; j < n; j++) {
            uint32_t item = ar->reaches[t->pick[j]].item, ct;
            if (item >= c->n_items) {
                mismatch(t, p, DM_MISMATCH_REACH_FAILS, item, UINT32_MAX, UINT32_MAX);
                continue;
            }
            switch (replay_item(t, v0, item, t->oep[item] == t->ep, &ct)) {
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
    for (j = 0; j < n_items; j++) {
        uint32_t it = NTH(item, j);
        if (t->iep[it] != t->ep && t->oep[it] != t->ep &&
            dm_closure_knows(v0->cl, DM_FACT_ITEM, it)) {
            dm_why y = dm_closure_why(v0->cl, DM_FACT_ITEM, it);
            mismatch(t, p, DM_MISMATCH_UNREPORTED, it, y.kind == DM_WHY_OPENED ? y.a : UINT32_MAX,
                     UINT32_MAX);
        }
    }

    /* Ciphertexts the party knows but did not open. */
    for (j = 0; j < n_cts; j++) {
        uint32_t id = NTH(ct, j);
        const dm_ct *x = &w->cts[id];
        if (!dm_closure_knows(v0->cl, DM_FACT_CT, id))
            continue;
        if (dm_closure_knows(v0->cl, DM_FACT_KEY, x->under)) {
            int inner = x->inner_is_key ? dm_closure_knows(v0->cl, DM_FACT_KEY, x->inner)
                                        : dm_closure_knows(v0->cl, DM_FACT_ITEM, x->inner);
            if (!inner) /* the closure has the key and the ciphertext, not what is inside */
                mismatch(t, p, DM_MISMATCH_OPENS, x->inner_is_key ? UINT32_MAX : x->inner, id,
                         x->under);
            continue;
        }
        t->cand[n_cand++] = id;
    }
    if (local) /* keep the evenly spaced sample independent of discovery order */
        qsort(t->cand, n_cand, sizeof *t->cand, cmp_u32);

    /* The keys the party has: known to the closure, or rebuilt from shares.
     * A sample skips them for a party with nothing left to try them on. */
    t->n_sym = t->n_kp = 0;
    for (i = 0; i < n_keys && (!s->sample || n_cand > 0); i++) {
        uint32_t k = NTH(key, i);
        const dm_wkey *wk = &w->keys[k];
        int has = dm_closure_knows(v0->cl, DM_FACT_KEY, k);
        if (!has && wk->share_k > 0) {
            size_t got = 0;
            for (j = 0; j < wk->n_shares; j++)
                got += dm_closure_knows(v0->cl, DM_FACT_SHARE, wk->first_share + (uint32_t)j) != 0;
            has = got >= wk->share_k;
        }
        if (!has)
            continue;
        if (wk->type == DM_KEY_KEYPAIR)
            t->known_kp[t->n_kp++] = k;
        else
            t->known_sym[t->n_sym++] = k;
    }
    if (local) {
        qsort(t->known_kp, t->n_kp, sizeof *t->known_kp, cmp_u32);
        qsort(t->known_sym, t->n_sym, sizeof *t->known_sym, cmp_u32);
    }
    /* Sample them (evenly), then obtain each one's bytes along its witness. */
    {
        uint32_t *lists[2] = {t->known_sym, t->known_kp};
        size_t *lens[2] = {&t->n_sym, &t->n_kp}, l, m;
        for (l = 0; l < 2; l++) {
            n = stride(*lens[l], DM_VERIFY_SAMPLE_KEYS, s->sample, t->pick);
            for (j = 0, m = 0; j < n; j++) {
                uint32_t k = lists[l][t->pick[j]];
                if (derive_key(t, v0, k, kb) != 0) {
                    mismatch(t, p, DM_MISMATCH_KEY_FAILS, UINT32_MAX, UINT32_MAX, k);
                    continue;
                }
                lists[l][m++] = k;
            }
            *lens[l] = m;
        }
    }

    n = stride(n_cand, DM_VERIFY_SAMPLE_CTS, s->sample, t->pick);
    for (j = 0; j < n; j++) {
        uint32_t ct = t->cand[t->pick[j]];
        const dm_ct *x = &w->cts[ct];
        const uint32_t *keys = w->keys[x->under].type == DM_KEY_KEYPAIR ? t->known_kp : t->known_sym;
        size_t nk = w->keys[x->under].type == DM_KEY_KEYPAIR ? t->n_kp : t->n_sym, q;
        const uint8_t *body = c->ct + c->ct_off[ct];
        size_t len = c->ct_off[ct + 1] - c->ct_off[ct];
        int opened = 0;

        for (q = 0; q < nk; q++) {
            if (derive_key(t, v0, keys[q], kb) != 0)
                continue; /* reported above */
            if (dm_crypto_open_(c, ct, body, len, kb, t->buf, &t->clk) == 0) {
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
#undef NTH
}

static void *vwork(void *arg)
{
    vthread *t = arg;
    vshared *s = t->s;
    uint64_t t0 = dm_crypto_now_ns(), c0 = dm_crypto_cpu_ns();

    for (;;) {
        size_t i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
        if (i >= s->n_parties || __atomic_load_n(&s->err, __ATOMIC_RELAXED) != 0)
            break;
        verify_party(t, s->parties[i]);
    }
    t->busy_ns += dm_crypto_now_ns() - t0;
    t->cpu_ns += dm_crypto_cpu_ns() - c0;
    return NULL;
}

static dm_err vthread_init(vthread *t, vshared *s)
{
    const dm_crypto *c = s->c;
    size_t nk = c->n_keys + 1, ni = c->n_items + 1;

    int i;

    t->s = s;
    for (i = 0; i < 2; i++) {
        view *v = &t->v[i];
        if (dm_closure_new(s->w, &v->cl) != DM_OK)
            return DM_ERR_NOMEM;
        v->kep = dm_calloc(nk, sizeof *v->kep);
        v->kstate = dm_calloc(nk, 1);
        v->kslot = dm_calloc(nk, sizeof *v->kslot);
        if (!v->kep || !v->kstate || !v->kslot)
            return DM_ERR_NOMEM;
        v->cache_cap = c->n_keys < CACHE_MAX ? c->n_keys : CACHE_MAX;
        v->cache = sodium_allocarray(v->cache_cap + 1, DM_KEY_BYTES);
        if (v->cache == NULL)
            return DM_ERR_NOMEM;
    }
    t->iep = dm_calloc(ni, sizeof *t->iep);
    t->oep = dm_calloc(ni, sizeof *t->oep);
    t->item_ep = dm_calloc(ni, sizeof *t->item_ep);
    t->ct_ep = dm_calloc(c->n_cts + 1, sizeof *t->ct_ep);
    t->key_ep = dm_calloc(nk, sizeof *t->key_ep);
    t->item_l = dm_calloc(ni, sizeof *t->item_l);
    t->ct_l = dm_calloc(c->n_cts + 1, sizeof *t->ct_l);
    t->key_l = dm_calloc(nk, sizeof *t->key_l);
    if (!t->item_ep || !t->ct_ep || !t->key_ep || !t->item_l || !t->ct_l || !t->key_l)
        return DM_ERR_NOMEM;
    t->known_sym = dm_calloc(nk, sizeof *t->known_sym);
    t->known_kp = dm_calloc(nk, sizeof *t->known_kp);
    t->cand = dm_calloc(c->n_cts + 1, sizeof *t->cand);
    t->pick = dm_calloc((nk > ni ? nk : ni) + c->n_cts + 1, sizeof *t->pick);
    if (!t->iep || !t->oep || !t->known_sym || !t->known_kp || !t->cand || !t->pick)
        return DM_ERR_NOMEM;
    t->buf = sodium_malloc((size_t)c->max_pt_len + DM_KEY_BYTES + DM_MAC_BYTES);
    if (t->buf == NULL)
        return DM_ERR_NOMEM;
    return DM_OK;
}

static void vthread_fini(vthread *t)
{
    int i;

    for (i = 0; i < 2; i++) {
        dm_closure_free(t->v[i].cl);
        dm_free(t->v[i].kep);
        dm_free(t->v[i].kstate);
        dm_free(t->v[i].kslot);
        if (t->v[i].cache != NULL)
            sodium_free(t->v[i].cache);
    }
    dm_free(t->iep);
    dm_free(t->oep);
    dm_free(t->item_ep);
    dm_free(t->ct_ep);
    dm_free(t->key_ep);
    dm_free(t->item_l);
    dm_free(t->ct_l);
    dm_free(t->key_l);
    dm_free(t->known_sym);
    dm_free(t->known_kp);
    dm_free(t->cand);
    dm_free(t->pick);
    dm_free(t->list);
    if (t->buf != NULL)
        sodium_free(t->buf);
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

/* Per user, the items it owns (CSR). */
static dm_err build_owners(vshared *s)
{
    const dm_world *w = s->w;
    size_t i, total = 0;
    uint32_t o;

    s->own_off = dm_calloc(w->n_users + 2, sizeof *s->own_off);
    if (s->own_off == NULL)
        return DM_ERR_NOMEM;
    for (i = 0; i < w->n_items; i++)
        for (o = 0; o < w->items[i].n_owners; o++)
            if (w->items[i].owners[o] < w->n_users) {
                s->own_off[w->items[i].owners[o] + 2]++;
                total++;
            }
    for (i = 2; i < w->n_users + 2; i++)
        s->own_off[i] += s->own_off[i - 1];
    s->own = dm_calloc(total + 1, sizeof *s->own);
    if (s->own == NULL)
        return DM_ERR_NOMEM;
    for (i = 0; i < w->n_items; i++)
        for (o = 0; o < w->items[i].n_owners; o++)
            if (w->items[i].owners[o] < w->n_users)
                s->own[s->own_off[w->items[i].owners[o] + 1]++] = (uint32_t)i;
    return DM_OK;
}

/* Plain users: not the `by` of any event and holding no declared key or
 * share, so that they know only what their devices and stores give them
 * (DESIGN.md "Who starts with what"). */
static dm_err find_plain(vshared *s)
{
    const dm_world *w = s->w;
    const dm_scenario *sc = w->sc;
    size_t p, i, j;

    s->plain = dm_calloc(w->n_parties + 1, 1);
    if (s->plain == NULL)
        return DM_ERR_NOMEM;
    if (sc == NULL || w->user_first_dev == NULL || w->user_first_devstore == NULL ||
        w->user_dk == NULL || w->group_gk == NULL)
        return DM_OK;
    for (p = w->n_providers + w->n_actors; p < w->n_parties; p++)
        s->plain[p] = 1;
    for (i = 0; i < sc->n_events; i++) {
        const dm_event *ev = &sc->events[i];
        uint32_t by;
        switch (ev->kind) {
        case DM_EVENT_ORDER:
        case DM_EVENT_STEAL:
        case DM_EVENT_BREACH:
        case DM_EVENT_COMPROMISE:
        case DM_EVENT_GHOST:
            by = dm_world_party(w, ev->by);
            if (by < w->n_parties)
                s->plain[by] = 0;
            break;
        default:
            break;
        }
    }
    for (i = 0; i < sc->n_keys; i++) {
        for (j = 0; j < sc->keys[i].n_holders; j++) {
            uint32_t h = dm_world_party(w, sc->keys[i].holders[j]);
            if (h < w->n_parties)
                s->plain[h] = 0;
        }
        for (j = 0; j < sc->keys[i].n_shares; j++) {
            uint32_t h = dm_world_party(w, sc->keys[i].share_holders[j]);
            if (h < w->n_parties)
                s->plain[h] = 0;
        }
    }
    return DM_OK;
}

/* The parties to verify: all of them, or the sample (every provider and
 * declared actor, and an even sample of listed and of unlisted users). */
static dm_err choose_parties(vshared *s)
{
    const dm_world *w = s->w;
    size_t first_user = w->n_providers + w->n_actors, p, pass;

    s->parties = dm_calloc(w->n_parties + 1, sizeof *s->parties);
    if (s->parties == NULL)
        return DM_ERR_NOMEM;
    for (p = 0; p < w->n_parties; p++)
        if (!s->sample || p < first_user)
            s->parties[s->n_parties++] = (uint32_t)p;
    if (!s->sample)
        return DM_OK;
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
    return DM_OK;
}

dm_err dm_crypto_verify(const dm_crypto *c, const dm_run *r, dm_verify_mode mode,
                        unsigned threads, dm_verification **out)
{
    dm_verification *v = NULL;
    vthread ts[MAX_THREADS];
    vshared s;
    unsigned nt = dm_crypto_threads_(threads), t, started = 1;
    uint64_t t0 = dm_crypto_now_ns();
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
    v = dm_calloc(1, sizeof *v);
    if (v == NULL)
        return DM_ERR_NOMEM;
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
    if ((err = build_owners(&s)) != DM_OK || (err = find_plain(&s)) != DM_OK ||
        (err = choose_parties(&s)) != DM_OK)
        goto out;
    if (nt > s.n_parties)
        nt = s.n_parties > 0 ? (unsigned)s.n_parties : 1u;
    for (t = 0; t < nt; t++)
        if ((err = vthread_init(&ts[t], &s)) != DM_OK)
            goto out;
    for (t = 1; t < nt; t++) {
        if (pthread_create(&ts[t].tid, NULL, vwork, &ts[t]) != 0)
            break;
        started++;
    }
    vwork(&ts[0]);
    for (t = 1; t < started; t++)
        pthread_join(ts[t].tid, NULL);
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
        v->stats.cpu_ns += ts[t].cpu_ns;
        if (ts[t].cpu_ns > v->stats.span_ns)
            v->stats.span_ns = ts[t].cpu_ns;
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
    v->stats.wall_ns = dm_crypto_now_ns() - t0;
    err = v->mismatches > 0 ? DM_ERR_MISMATCH : DM_OK;
    *out = v;
    v = NULL;
out:
    for (t = 0; t < MAX_THREADS; t++)
        if (ts[t].s != NULL)
            vthread_fini(&ts[t]);
    dm_free(s.actor_of);
    dm_free(s.own_off);
    dm_free(s.own);
    dm_free(s.plain);
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
