/* crypto.c - seeded real keys, shares and ciphertexts of a world (libsodium, libgfshare). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libgfshare.h>
#include <sodium.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "crypto_priv.h"

/* KDF contexts: exactly crypto_kdf_CONTEXTBYTES (8) characters each. */
#define CTX_SYMKEY "dmsymkey"
#define CTX_KPSEED "dmkpseed"
#define CTX_NONCE  "dmnonce_"
#define CTX_EPHEM  "dmephem_"
#define CTX_SHARE  "dmshare_"
#define CTX_GFRAND "dmgfrand"
#define MASTER_CONTEXT "doormat seed to master key v1"

#define MAX_THREADS 64u
#define CHUNK 16u
#define PT_OWNERS_NAMED 4u

/* ---- one-time set-up ---------------------------------------------------- */

/* libgfshare draws its polynomial coefficients (and the bytes it wipes its
 * buffers with) from the process-global gfshare_fill_rand.  Rather than
 * swapping that pointer under a mutex around each split, one filler is
 * installed once; it is deterministic only on a thread that is splitting a
 * key (tl_fill_key set, from the seed), and random everywhere else.  Threads
 * never share filler state, so splits run in parallel and stay reproducible. */
static __thread const unsigned char *tl_fill_key;
static __thread uint64_t tl_fill_ctr;

static void fill_rand(unsigned char *buf, unsigned int n)
{
    unsigned char s[randombytes_SEEDBYTES];

    if (tl_fill_key == NULL) {
        randombytes_buf(buf, n);
        return;
    }
    crypto_kdf_derive_from_key(s, sizeof s, tl_fill_ctr++, CTX_GFRAND, tl_fill_key);
    randombytes_buf_deterministic(buf, n, s);
    sodium_memzero(s, sizeof s);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = -1;

static void init_all(void)
{
    if (sodium_init() < 0)
        return;
    gfshare_fill_rand = fill_rand;
    init_status = 0;
}

int dm_crypto_ensure_init_(void)
{
    pthread_once(&init_once, init_all);
    return init_status;
}

unsigned dm_crypto_threads_(unsigned threads)
{
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1u;
    }
    return threads > MAX_THREADS ? MAX_THREADS : threads;
}

dm_err dm_crypto_random_seed(uint64_t *seed)
{
    uint64_t s;

    if (seed == NULL)
        return DM_ERR_USAGE;
    if (dm_crypto_ensure_init_() != 0)
        return DM_ERR_CRYPTO;
    randombytes_buf(&s, sizeof s);
    *seed = s;
    return DM_OK;
}

/* ---- helpers shared with verification ----------------------------------- */

/* Associated data of a symmetric ciphertext: the item's name, or
 * "dm-wrap:<ct id>" for a wrap.  Returns a pointer to the bytes. */
const unsigned char *dm_crypto_ad_(const dm_world *w, uint32_t ct, char *buf, size_t cap,
                                   size_t *len)
{
    const dm_ct *x = &w->cts[ct];
    int n;

    if (!x->inner_is_key && x->inner < w->n_items && w->items[x->inner].name != NULL) {
        *len = strlen(w->items[x->inner].name);
        return (const unsigned char *)w->items[x->inner].name;
    }
    n = snprintf(buf, cap, "dm-wrap:%u", ct);
    *len = n > 0 ? (size_t)n : 0;
    return (const unsigned char *)buf;
}

int dm_crypto_open_ad_(const dm_crypto *c, uint32_t ct, const uint8_t *body, size_t len,
                       const unsigned char *ad, size_t adlen, const unsigned char *kbytes,
                       unsigned char *out, dm_crypto_clock *clk)
{
    const dm_world *w = c->w;
    uint32_t under = w->cts[ct].under;
    int rc;

    unsigned long long mlen;

    if (len < DM_MAC_BYTES)
        return -1;
    if (w->keys[under].type == DM_KEY_KEYPAIR) {
#define BOX_OPEN                                                                      \
    crypto_box_open_easy(out, body, len, c->nonce + (size_t)ct * DM_NONCE_BYTES,      \
                         c->epk + (size_t)ct * DM_KEY_BYTES, kbytes)
        if (clk == NULL)
            rc = BOX_OPEN;
        else
            DM_TIMED(clk, rc = BOX_OPEN);
#undef BOX_OPEN
    } else {
#define AEAD_OPEN                                                                    \
    crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, body, len, ad, adlen, \
                                               c->nonce + (size_t)ct * DM_NONCE_BYTES, kbytes)
        if (clk == NULL)
            rc = AEAD_OPEN;
        else
            DM_TIMED(clk, rc = AEAD_OPEN);
#undef AEAD_OPEN
    }
    return rc == 0 ? 0 : -1;
}

int dm_crypto_open_(const dm_crypto *c, uint32_t ct, const uint8_t *body, size_t len,
                    const unsigned char *kbytes, unsigned char *out, dm_crypto_clock *clk)
{
    char buf[DM_CRYPTO_AD_BUF];
    size_t adlen = 0;
    const unsigned char *ad = NULL;

    if (c->w->keys[c->w->cts[ct].under].type != DM_KEY_KEYPAIR)
        ad = dm_crypto_ad_(c->w, ct, buf, sizeof buf, &adlen);
    return dm_crypto_open_ad_(c, ct, body, len, ad, adlen, kbytes, out, clk);
}

int dm_crypto_combine_(const unsigned char *coords, const unsigned char *const *shares,
                       size_t n, unsigned char *out, dm_crypto_clock *clk)
{
    unsigned char nrs[DM_CRYPTO_MAX_SHARES];
    gfshare_ctx *g = NULL;
    size_t i;

    if (n == 0 || n > DM_CRYPTO_MAX_SHARES)
        return -1;
    memcpy(nrs, coords, n);
    DM_TIMED(clk, g = gfshare_ctx_init_dec(nrs, (unsigned)n, DM_KEY_BYTES));
    if (g == NULL)
        return -1;
    for (i = 0; i < n; i++)
        DM_TIMED(clk, gfshare_ctx_dec_giveshare(g, (unsigned char)i, (unsigned char *)shares[i]));
    DM_TIMED(clk, gfshare_ctx_dec_extract(g, out));
    DM_TIMED(clk, gfshare_ctx_free(g));
    return 0;
}

/* ---- plaintexts ---------------------------------------------------------- */

static const char *owner_name(const dm_world *w, uint32_t user, char *buf, size_t cap)
{
    if (w->sc != NULL && user < w->sc->n_users && w->sc->users[user].id != NULL)
        return w->sc->users[user].id;
    snprintf(buf, cap, "user%u", user);
    return buf;
}

/* Write item i's readable plaintext ("alice/photos: a sample plaintext owned
 * by alice") into buf (cap bytes, NUL-terminated when cap > 0); returns its
 * length, like snprintf. */
static size_t pt_write(const dm_world *w, uint32_t i, char *buf, size_t cap)
{
    const dm_witem *it = &w->items[i];
    char nb[32];
    size_t len = 0;
    uint32_t o;
    int n;

#define PT_PUT(...)                                                            \
    do {                                                                       \
        n = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,  \
                     __VA_ARGS__);                                             \
        len += n > 0 ? (size_t)n : 0;                                          \
    } while (0)
    if (it->name != NULL)
        PT_PUT("%s: a sample plaintext", it->name);
    else
        PT_PUT("item %u: a sample plaintext", i);
    for (o = 0; o < it->n_owners && o < PT_OWNERS_NAMED; o++)
        PT_PUT("%s%s", o == 0 ? " owned by " : ", ",
               owner_name(w, it->owners[o], nb, sizeof nb));
    if (it->n_owners > PT_OWNERS_NAMED)
        PT_PUT(" and %u more", it->n_owners - PT_OWNERS_NAMED);
#undef PT_PUT
    return len;
}

/* ---- parallel set-up ---------------------------------------------------- */

typedef struct job {
    dm_crypto *c;
    const unsigned char *master;
    int phase;                 /* 0: keys and plaintexts, 1: ciphertexts */
    size_t n;                  /* units of the phase */
    size_t next;               /* atomic */
    int err;                   /* atomic: first dm_err */
} job;

typedef struct worker {
    job *j;
    dm_crypto_clock clk;
    uint64_t busy_ns, cpu_ns; /* over every phase */
    uint64_t phase_cpu_ns;    /* in the last phase */
    pthread_t tid;
} worker;

static void set_err(job *j, dm_err e)
{
    int zero = 0;
    __atomic_compare_exchange_n(&j->err, &zero, (int)e, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Derive key k (and its shares); the arena is writable during set-up. */
static dm_err make_key(dm_crypto *c, const unsigned char *master, uint32_t k,
                       dm_crypto_clock *clk)
{
    const dm_world *w = c->w;
    const dm_wkey *wk = &w->keys[k];
    unsigned char *kb = c->arena + c->off_keys + (size_t)k * DM_KEY_BYTES;
    unsigned char seed[crypto_box_SEEDBYTES];
    unsigned char sk[crypto_box_SECRETKEYBYTES];
    unsigned char nrs[DM_CRYPTO_MAX_SHARES];
    unsigned char fill_key[crypto_kdf_KEYBYTES];
    gfshare_ctx *g = NULL;
    dm_err err = DM_OK;
    uint32_t i;
    int rc;

    if (wk->type == DM_KEY_KEYPAIR) {
        DM_TIMED(clk, rc = crypto_kdf_derive_from_key(seed, sizeof seed, k, CTX_KPSEED, master));
        if (rc == 0)
            DM_TIMED(clk, rc = crypto_box_seed_keypair(c->pk + (size_t)k * DM_KEY_BYTES, sk, seed));
        if (rc != 0) {
            err = DM_ERR_CRYPTO;
            goto out;
        }
        memcpy(kb, sk, DM_KEY_BYTES);
    } else {
        DM_TIMED(clk, rc = crypto_kdf_derive_from_key(kb, DM_KEY_BYTES, k, CTX_SYMKEY, master));
        if (rc != 0) {
            err = DM_ERR_CRYPTO;
            goto out;
        }
    }
    if (wk->share_k == 0 || wk->n_shares == 0)
        goto out;
    for (i = 0; i < wk->n_shares; i++) {
        uint32_t idx = w->shares[wk->first_share + i].index;
        if (idx == 0 || idx > DM_CRYPTO_MAX_SHARES) {
            err = DM_ERR_LIMIT;
            goto out;
        }
        nrs[i] = (unsigned char)idx;
    }
    DM_TIMED(clk, rc = crypto_kdf_derive_from_key(fill_key, sizeof fill_key, k, CTX_SHARE, master));
    if (rc != 0) {
        err = DM_ERR_CRYPTO;
        goto out;
    }
    DM_TIMED(clk, g = gfshare_ctx_init_enc(nrs, wk->n_shares, (unsigned char)wk->share_k,
                                           DM_KEY_BYTES));
    if (g == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    tl_fill_key = fill_key;
    tl_fill_ctr = 0;
    DM_TIMED(clk, gfshare_ctx_enc_setsecret(g, kb));
    tl_fill_key = NULL;
    for (i = 0; i < wk->n_shares; i++)
        DM_TIMED(clk, gfshare_ctx_enc_getshare(g, (unsigned char)i,
                                               c->arena + c->off_shares +
                                                   (size_t)(wk->first_share + i) * DM_KEY_BYTES));
out:
    tl_fill_key = NULL;
    if (g != NULL)
        DM_TIMED(clk, gfshare_ctx_free(g));
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(fill_key, sizeof fill_key);
    return err;
}

/* Encrypt ciphertext i: an item's plaintext or a key's bytes under a key. */
static dm_err make_ct(dm_crypto *c, const unsigned char *master, uint32_t i,
                      dm_crypto_clock *clk)
{
    const dm_world *w = c->w;
    const dm_ct *x = &w->cts[i];
    const unsigned char *msg;
    size_t mlen;
    unsigned char *nonce = c->nonce + (size_t)i * DM_NONCE_BYTES;
    unsigned char *body = c->ct + c->ct_off[i];
    unsigned char seed[crypto_box_SEEDBYTES];
    unsigned char esk[crypto_box_SECRETKEYBYTES];
    dm_err err = DM_OK;
    int rc;

    if (x->inner_is_key) {
        msg = dm_crypto_key_(c, x->inner);
        mlen = DM_KEY_BYTES;
    } else {
        msg = dm_crypto_pt_(c, x->inner);
        mlen = c->pt_len[x->inner];
    }
    DM_TIMED(clk, rc = crypto_kdf_derive_from_key(nonce, DM_NONCE_BYTES, i, CTX_NONCE, master));
    if (rc != 0) {
        err = DM_ERR_CRYPTO;
        goto out;
    }
    if (w->keys[x->under].type == DM_KEY_KEYPAIR) {
        unsigned char *epk = c->epk + (size_t)i * DM_KEY_BYTES;
        DM_TIMED(clk, rc = crypto_kdf_derive_from_key(seed, sizeof seed, i, CTX_EPHEM, master));
        if (rc == 0)
            DM_TIMED(clk, rc = crypto_box_seed_keypair(epk, esk, seed));
        if (rc == 0)
            DM_TIMED(clk, rc = crypto_box_easy(body, msg, mlen, nonce,
                                               c->pk + (size_t)x->under * DM_KEY_BYTES, esk));
    } else {
        char buf[DM_CRYPTO_AD_BUF];
        size_t adlen;
        const unsigned char *ad = dm_crypto_ad_(w, i, buf, sizeof buf, &adlen);
        DM_TIMED(clk, rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
                          body, NULL, msg, mlen, ad, adlen, NULL, nonce,
                          dm_crypto_key_(c, x->under)));
    }
    if (rc != 0)
        err = DM_ERR_CRYPTO;
out:
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(esk, sizeof esk);
    return err;
}

static void *work(void *arg)
{
    worker *wk = arg;
    job *j = wk->j;
    uint64_t t0 = dm_crypto_now_ns(), c0 = dm_crypto_cpu_ns();

    for (;;) {
        size_t b = __atomic_fetch_add(&j->next, CHUNK, __ATOMIC_RELAXED), e, u;
        if (b >= j->n || __atomic_load_n(&j->err, __ATOMIC_RELAXED) != 0)
            break;
        e = b + CHUNK < j->n ? b + CHUNK : j->n;
        for (u = b; u < e; u++) {
            dm_err err = DM_OK;
            if (j->phase == 0) {
                if (u < j->c->n_keys)
                    err = make_key(j->c, j->master, (uint32_t)u, &wk->clk);
                else {
                    uint32_t it = (uint32_t)(u - j->c->n_keys);
                    pt_write(j->c->w, it,
                             (char *)(j->c->arena + j->c->off_pt + j->c->pt_off[it]),
                             (size_t)j->c->pt_len[it] + 1);
                }
            } else {
                err = make_ct(j->c, j->master, (uint32_t)u, &wk->clk);
            }
            if (err != DM_OK) {
                set_err(j, err);
                break;
            }
        }
    }
    wk->busy_ns += dm_crypto_now_ns() - t0;
    wk->phase_cpu_ns = dm_crypto_cpu_ns() - c0;
    wk->cpu_ns += wk->phase_cpu_ns;
    return NULL;
}

/* Run one phase on `nt` workers (the calling thread is the first); add the
 * phase's wall time to *wall and its largest worker's CPU time to *span. */
static dm_err run_phase(job *j, worker *ws, unsigned nt, uint64_t *wall, uint64_t *span)
{
    unsigned t, started = 1;
    uint64_t w0 = dm_crypto_now_ns(), max = 0;

    j->next = 0;
    for (t = 0; t < nt; t++)
        ws[t].phase_cpu_ns = 0;
    for (t = 1; t < nt; t++) {
        if (pthread_create(&ws[t].tid, NULL, work, &ws[t]) != 0)
            break;
        started++;
    }
    work(&ws[0]);
    for (t = 1; t < started; t++)
        pthread_join(ws[t].tid, NULL);
    for (t = 0; t < nt; t++)
        if (ws[t].phase_cpu_ns > max)
            max = ws[t].phase_cpu_ns;
    *wall += dm_crypto_now_ns() - w0;
    *span += max;
    return (dm_err)j->err;
}

static dm_err check_world(const dm_world *w)
{
    size_t i;

    for (i = 0; i < w->n_keys; i++) {
        const dm_wkey *k = &w->keys[i];
        if (k->share_k > 0 && (k->n_shares > DM_CRYPTO_MAX_SHARES || k->share_k > k->n_shares ||
                               (size_t)k->first_share + k->n_shares > w->n_shares))
            return DM_ERR_LIMIT;
    }
    for (i = 0; i < w->n_cts; i++) {
        const dm_ct *x = &w->cts[i];
        if (x->under >= w->n_keys || (x->inner_is_key ? x->inner >= w->n_keys
                                                       : x->inner >= w->n_items))
            return DM_ERR_USAGE;
    }
    if (w->n_keys > UINT32_MAX || w->n_cts > UINT32_MAX)
        return DM_ERR_LIMIT;
    return DM_OK;
}

dm_err dm_crypto_instantiate(const dm_world *w, uint64_t seed, unsigned threads,
                             dm_crypto **out)
{
    dm_crypto *c = NULL;
    worker ws[MAX_THREADS];
    job j;
    unsigned char le[8];
    unsigned char *master;
    size_t i, total, pt_total = 0, ct_total = 0;
    uint64_t t0 = dm_crypto_now_ns(), c0 = dm_crypto_cpu_ns(), par_wall = 0, span = 0;
    unsigned nt = dm_crypto_threads_(threads), t;
    dm_err err = DM_OK;
    int rc;

    if (w == NULL || out == NULL)
        return DM_ERR_USAGE;
    if (dm_crypto_ensure_init_() != 0)
        return DM_ERR_CRYPTO;
    if ((err = check_world(w)) != DM_OK)
        return err;
    c = dm_calloc(1, sizeof *c);
    if (c == NULL)
        return DM_ERR_NOMEM;
    c->w = w;
    c->seed = seed;
    c->n_keys = w->n_keys;
    c->n_shares = w->n_shares;
    c->n_items = w->n_items;
    c->n_cts = w->n_cts;
    c->pt_off = dm_calloc(w->n_items + 1, sizeof *c->pt_off);
    c->pt_len = dm_calloc(w->n_items + 1, sizeof *c->pt_len);
    c->pk = dm_calloc(w->n_keys + 1, DM_KEY_BYTES);
    c->nonce = dm_calloc(w->n_cts + 1, DM_NONCE_BYTES);
    c->epk = dm_calloc(w->n_cts + 1, DM_KEY_BYTES);
    c->ct_off = dm_calloc(w->n_cts + 1, sizeof *c->ct_off);
    if (!c->pt_off || !c->pt_len || !c->pk || !c->nonce || !c->epk || !c->ct_off) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < w->n_items; i++) {
        size_t n = pt_write(w, (uint32_t)i, NULL, 0);
        if (n > UINT32_MAX - DM_MAC_BYTES - 1) {
            err = DM_ERR_LIMIT;
            goto out;
        }
        c->pt_off[i] = pt_total;
        c->pt_len[i] = (uint32_t)n;
        if (n > c->max_pt_len)
            c->max_pt_len = (uint32_t)n;
        pt_total += n + 1;
    }
    for (i = 0; i < w->n_cts; i++) {
        const dm_ct *x = &w->cts[i];
        c->ct_off[i] = ct_total;
        ct_total += (x->inner_is_key ? DM_KEY_BYTES : c->pt_len[x->inner]) + DM_MAC_BYTES;
    }
    c->ct_off[w->n_cts] = ct_total;
    c->ct = dm_malloc(ct_total + 1);
    if (c->ct == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }

    c->off_keys = crypto_kdf_KEYBYTES;
    c->off_shares = c->off_keys + w->n_keys * DM_KEY_BYTES;
    c->off_pt = c->off_shares + w->n_shares * DM_KEY_BYTES;
    total = c->off_pt + pt_total;
    c->arena = sodium_allocarray(total, 1);
    if (c->arena == NULL) {
        err = errno == ENOMEM ? DM_ERR_NOMEM : DM_ERR_CRYPTO;
        goto out;
    }
    c->arena_len = total;
    master = c->arena;
    for (i = 0; i < 8; i++)
        le[i] = (unsigned char)(seed >> (8 * i));
    memset(ws, 0, sizeof ws);
    rc = crypto_generichash(master, crypto_kdf_KEYBYTES, le, sizeof le,
                            (const unsigned char *)MASTER_CONTEXT, strlen(MASTER_CONTEXT));
    if (rc != 0) {
        err = DM_ERR_CRYPTO;
        goto out;
    }

    memset(&j, 0, sizeof j);
    j.c = c;
    j.master = master;
    for (t = 0; t < nt; t++)
        ws[t].j = &j;
    j.phase = 0;
    j.n = w->n_keys + w->n_items;
    if ((err = run_phase(&j, ws, nt, &par_wall, &span)) != DM_OK)
        goto out;
    j.phase = 1;
    j.n = w->n_cts;
    if ((err = run_phase(&j, ws, nt, &par_wall, &span)) != DM_OK)
        goto out;
    if (sodium_mprotect_readonly(c->arena) != 0) {
        err = DM_ERR_CRYPTO;
        goto out;
    }
    c->stats.threads = nt;
    for (t = 0; t < nt; t++) {
        c->stats.busy_ns += ws[t].busy_ns;
        c->stats.lib_ns += ws[t].clk.lib_ns;
        c->stats.lib_calls += ws[t].clk.lib_calls;
        if (t > 0) /* the calling thread's CPU time is taken whole below */
            c->stats.cpu_ns += ws[t].cpu_ns;
    }
    {
        uint64_t self = dm_crypto_cpu_ns() - c0;
        c->stats.wall_ns = dm_crypto_now_ns() - t0;
        c->stats.cpu_ns += self;
        c->stats.span_ns = span + (self > ws[0].cpu_ns ? self - ws[0].cpu_ns : 0);
        c->stats.serial_ns = c->stats.wall_ns > par_wall ? c->stats.wall_ns - par_wall : 0;
    }
    *out = c;
    c = NULL;
out:
    dm_crypto_free(c);
    return err;
}

void dm_crypto_free(dm_crypto *c)
{
    if (c == NULL)
        return;
    if (c->arena != NULL)
        sodium_free(c->arena); /* makes it writable, wipes, unmaps */
    dm_free(c->pt_off);
    dm_free(c->pt_len);
    dm_free(c->pk);
    dm_free(c->nonce);
    dm_free(c->epk);
    dm_free(c->ct_off);
    dm_free(c->ct);
    dm_free(c);
}

const dm_crypto_stats *dm_crypto_stats_get(const dm_crypto *c)
{
    return &c->stats;
}

uint64_t dm_crypto_seed(const dm_crypto *c)
{
    return c->seed;
}

const uint8_t *dm_crypto_ct_bytes(const dm_crypto *c, uint32_t ct, size_t *len)
{
    if (c == NULL || ct >= c->n_cts)
        return NULL;
    if (len != NULL)
        *len = c->ct_off[ct + 1] - c->ct_off[ct];
    return c->ct + c->ct_off[ct];
}

dm_err dm_crypto_try_open(const dm_crypto *c, uint32_t ct, uint32_t key,
                          const uint8_t *body, size_t len)
{
    dm_crypto_clock clk = {0, 0};
    const dm_ct *x;
    const unsigned char *orig;
    unsigned char *m = NULL;
    size_t olen;
    dm_err err = DM_ERR_CRYPTO;

    if (c == NULL || ct >= c->n_cts || key >= c->n_keys)
        return DM_ERR_USAGE;
    x = &c->w->cts[ct];
    if (body == NULL)
        body = dm_crypto_ct_bytes(c, ct, &len);
    if (x->inner_is_key) {
        orig = dm_crypto_key_(c, x->inner);
        olen = DM_KEY_BYTES;
    } else {
        orig = dm_crypto_pt_(c, x->inner);
        olen = c->pt_len[x->inner];
    }
    if (len != olen + DM_MAC_BYTES)
        return DM_ERR_CRYPTO;
    m = sodium_malloc(olen + 1);
    if (m == NULL)
        return DM_ERR_NOMEM;
    if (dm_crypto_open_(c, ct, body, len, dm_crypto_key_(c, key), m, &clk) == 0 &&
        sodium_memcmp(m, orig, olen) == 0)
        err = DM_OK;
    sodium_free(m);
    return err;
}

dm_err dm_crypto_rebuild(const dm_crypto *c, uint32_t key, const uint32_t *shares,
                         size_t n, int *equal)
{
    dm_crypto_clock clk = {0, 0};
    unsigned char coords[DM_CRYPTO_MAX_SHARES];
    const unsigned char *ptrs[DM_CRYPTO_MAX_SHARES];
    unsigned char *out = NULL;
    const dm_wkey *wk;
    size_t i, j;
    dm_err err = DM_OK;

    if (c == NULL || key >= c->n_keys || equal == NULL || n == 0 || n > DM_CRYPTO_MAX_SHARES)
        return DM_ERR_USAGE;
    wk = &c->w->keys[key];
    for (i = 0; i < n; i++) {
        const dm_share *s;
        if (shares[i] < wk->first_share || shares[i] >= wk->first_share + wk->n_shares)
            return DM_ERR_USAGE;
        s = &c->w->shares[shares[i]];
        coords[i] = (unsigned char)s->index;
        for (j = 0; j < i; j++)
            if (coords[j] == coords[i])
                return DM_ERR_USAGE;
        ptrs[i] = dm_crypto_share_(c, shares[i]);
    }
    out = sodium_malloc(DM_KEY_BYTES);
    if (out == NULL)
        return DM_ERR_NOMEM;
    if (dm_crypto_combine_(coords, ptrs, n, out, &clk) != 0) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    *equal = sodium_memcmp(out, dm_crypto_key_(c, key), DM_KEY_BYTES) == 0;
out:
    sodium_free(out);
    return err;
}
