/* crypto_priv.h - layout of dm_crypto shared by crypto.c and crypto_verify.c (both include sodium). */
#ifndef DOORMAT_CRYPTO_PRIV_H
#define DOORMAT_CRYPTO_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "doormat/crypto.h"

/* Secret arena layout (one sodium_allocarray region, read-only after
 * set-up): master key, then n_keys keys, then n_shares shares, then the
 * plaintexts (pt_off/pt_len).  Everything else here is public. */
struct dm_crypto {
    const dm_world *w;        /* borrowed */
    uint64_t seed;
    size_t n_keys, n_shares, n_items, n_cts;

    unsigned char *arena;     /* guarded, secret */
    size_t arena_len;
    size_t off_keys, off_shares, off_pt;
    size_t *pt_off;           /* per item, into the arena (relative to off_pt) */
    uint32_t *pt_len;         /* per item */
    uint32_t max_pt_len;

    uint8_t *pk;              /* n_keys * DM_KEY_BYTES: public keys of keypairs */
    uint8_t *nonce;           /* n_cts * DM_NONCE_BYTES */
    uint8_t *epk;             /* n_cts * DM_KEY_BYTES: ephemeral public key (box cts) */
    size_t *ct_off;           /* n_cts + 1, into ct */
    uint8_t *ct;              /* ciphertext bodies with MAC */

    dm_crypto_stats stats;
};

/* Secret accessors (crypto module only). */
static inline const unsigned char *dm_crypto_key_(const dm_crypto *c, uint32_t k)
{
    return c->arena + c->off_keys + (size_t)k * DM_KEY_BYTES;
}
static inline const unsigned char *dm_crypto_share_(const dm_crypto *c, uint32_t s)
{
    return c->arena + c->off_shares + (size_t)s * DM_KEY_BYTES;
}
static inline const unsigned char *dm_crypto_pt_(const dm_crypto *c, uint32_t item)
{
    return c->arena + c->off_pt + c->pt_off[item];
}

/* Per-thread timing of library calls. */
typedef struct dm_crypto_clock {
    uint64_t lib_ns;
    uint64_t lib_calls;
} dm_crypto_clock;

static inline uint64_t dm_crypto_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t dm_crypto_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Run `stmt` (a libsodium or libgfshare call) and add its time to clk. */
#define DM_TIMED(clk, stmt)                                   \
    do {                                                      \
        uint64_t dm_t0_ = dm_crypto_now_ns();                 \
        stmt;                                                 \
        (clk)->lib_ns += dm_crypto_now_ns() - dm_t0_;         \
        (clk)->lib_calls++;                                   \
    } while (0)

/* Shared helpers (crypto.c). */
int dm_crypto_ensure_init_(void);   /* sodium_init and the gfshare filler, once; 0 on success */
unsigned dm_crypto_threads_(unsigned threads);
/* Open ciphertext ct (body/len) with candidate key bytes kbytes (used as
 * the scheme of ct's own key asks: AEAD key or X25519 secret key) into out
 * (len - DM_MAC_BYTES bytes).  0 on success. */
int dm_crypto_open_(const dm_crypto *c, uint32_t ct, const uint8_t *body, size_t len,
                    const unsigned char *kbytes, unsigned char *out, dm_crypto_clock *clk);
/* The same with ct's associated data given (dm_crypto_ad_), for trying many
 * keys on one ciphertext; clk NULL: untimed (the caller times the batch). */
int dm_crypto_open_ad_(const dm_crypto *c, uint32_t ct, const uint8_t *body, size_t len,
                       const unsigned char *ad, size_t adlen, const unsigned char *kbytes,
                       unsigned char *out, dm_crypto_clock *clk);
/* Associated data of a symmetric ciphertext: the item's name, or
 * "dm-wrap:<ct id>" written into buf (DM_CRYPTO_AD_BUF bytes) for a wrap. */
#define DM_CRYPTO_AD_BUF 32u
const unsigned char *dm_crypto_ad_(const dm_world *w, uint32_t ct, char *buf, size_t cap,
                                   size_t *len);
/* Rebuild a key from n shares (coords 1..255, bytes) into out. 0 on success. */
int dm_crypto_combine_(const unsigned char *coords, const unsigned char *const *shares,
                       size_t n, unsigned char *out, dm_crypto_clock *clk);

#endif
