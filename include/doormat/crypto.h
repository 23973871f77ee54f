/* crypto.h - real keys and ciphertexts of a world, and a run verified by real decryption. */
#ifndef DOORMAT_CRYPTO_H
#define DOORMAT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/diag.h"
#include "doormat/engine.h"
#include "doormat/world.h"

/* Sizes, in bytes.  A symmetric key and a keypair's secret key are both
 * DM_KEY_BYTES; a share is as long as its key. */
#define DM_KEY_BYTES      32u
#define DM_NONCE_BYTES    24u   /* XChaCha20-Poly1305 and crypto_box nonces */
#define DM_MAC_BYTES      16u   /* Poly1305 tag added to every ciphertext */
#define DM_CRYPTO_MAX_SHARES 255u /* shares of one key (libgfshare: x in 1..255) */

/* Figures for the bench: how long a stage took and how much of it was spent
 * inside libsodium and libgfshare calls, measured in the same run.
 *  - The stage's time summed over its threads is work_ns = busy_ns + serial_ns;
 *    lib_ns / work_ns is the share of it spent in cryptography.
 *  - Speed-up: cpu_ns of a 1-thread run over span_ns of a 2-thread run (CPU
 *    time, which survives a busy machine: what a quiet one would give), and
 *    wall_ns over wall_ns beside it. */
typedef struct dm_crypto_stats {
    unsigned threads;        /* worker threads used */
    uint64_t wall_ns;        /* the whole stage, start to end (monotonic clock) */
    uint64_t busy_ns;        /* sum over workers of their time inside the stage's parallel part */
    uint64_t serial_ns;      /* the calling thread's time outside the workers (set-up, merging) */
    uint64_t lib_ns;         /* sum over workers of time inside libsodium/libgfshare calls */
    uint64_t lib_calls;      /* number of such calls timed */
    uint64_t closure_ns;     /* verify: sum over workers of time in dm_closure_compute */
    uint64_t closures;       /* verify: closures computed */
    uint64_t cpu_ns;         /* CPU time of the stage, every thread (thread clocks) */
    uint64_t span_ns;        /* CPU time of its critical path: the serial part plus, per
                                parallel phase, the largest worker's CPU time */
} dm_crypto_stats;

/* Real keys and ciphertexts of one world.  Secret bytes (master key, keys,
 * shares, plaintexts) live in one guarded arena (sodium_allocarray), read-only
 * after set-up and wiped at dm_crypto_free; nothing here ever exposes them. */
typedef struct dm_crypto dm_crypto;

/* Derive every key of `w` from `seed`, split keys with share_k > 0 into
 * their shares (libgfshare), write every item's plaintext and encrypt every
 * ciphertext of `w` (all of them, whatever their step).  Same seed, same
 * bytes, whatever `threads` (0: one per online CPU, at most 64).
 * `w` is borrowed: it must outlive the result and not gain ciphertexts.
 * *out is new and owned by the caller (dm_crypto_free); untouched on failure.
 * Returns DM_OK, DM_ERR_NOMEM, DM_ERR_CRYPTO or DM_ERR_LIMIT (a key split
 * into more than DM_CRYPTO_MAX_SHARES shares, or k > n). */
dm_err dm_crypto_instantiate(const dm_world *w, uint64_t seed, unsigned threads,
                             dm_crypto **out);
/* Wipe and free; accepts NULL. */
void dm_crypto_free(dm_crypto *c);

/* A fresh seed for a run given none, from libsodium's randombytes (the
 * system's random source).  The seed is no secret: a run prints it so that
 * it can be repeated.  DM_OK, or DM_ERR_CRYPTO when libsodium cannot start;
 * *seed is untouched on failure. */
dm_err dm_crypto_random_seed(uint64_t *seed);

/* Figures of the instantiation. */
const dm_crypto_stats *dm_crypto_stats_get(const dm_crypto *c);
uint64_t dm_crypto_seed(const dm_crypto *c);

/* Public bytes of ciphertext `ct` (body then MAC), or NULL when out of range.
 * Borrowed from c.  Item ciphertexts are XChaCha20-Poly1305 with the item's
 * name as associated data when under a symmetric key; everything under a
 * keypair is crypto_box from a per-ciphertext ephemeral keypair. */
const uint8_t *dm_crypto_ct_bytes(const dm_crypto *c, uint32_t ct, size_t *len);

/* Try to open ciphertext `ct` with the real bytes of key `key`.  `body`
 * (len bytes) replaces the stored ciphertext when not NULL (to test a
 * tampered copy).  DM_OK when it authenticates and the result equals the
 * original inner plaintext or key (compared with sodium_memcmp);
 * DM_ERR_CRYPTO when it does not; DM_ERR_USAGE for ids out of range. */
dm_err dm_crypto_try_open(const dm_crypto *c, uint32_t ct, uint32_t key,
                          const uint8_t *body, size_t len);

/* Rebuild key `key` from the shares `shares` (world share ids, n of them,
 * all of that key) with libgfshare and compare with the real key: *equal is
 * 1 when the rebuilt bytes are the key's.  k-1 shares give other bytes.
 * DM_ERR_USAGE when a share is not one of the key's or is repeated. */
dm_err dm_crypto_rebuild(const dm_crypto *c, uint32_t key, const uint32_t *shares,
                         size_t n, int *equal);

/* ---- Verification of a run ---- */

typedef enum dm_verify_mode {
    DM_VERIFY_ALL = 0,   /* every party; becomes SAMPLE above DM_VERIFY_ALL_MAX */
    DM_VERIFY_SAMPLE,    /* the sample described below */
    DM_VERIFY_OFF,       /* nothing (the result says so) */
    DM_VERIFY_FULL       /* every party, whatever the size (can take long) */
} dm_verify_mode;

/* `all` verifies every party of the world (providers, declared actors, every
 * user: reported or owner-only; a cohort is one representative) against
 * every ciphertext it knows.  Its size is measured as parties x ciphertexts;
 * above DM_VERIFY_ALL_MAX, `all` becomes `sample`:
 *  - every provider and declared actor is verified, with
 *    DM_VERIFY_SAMPLE_USERS of the users listed in r->actors and as many of
 *    the other users (each evenly spaced by party id);
 *  - per party, at most DM_VERIFY_SAMPLE_REACHES of its reported reaches
 *    are replayed, and DM_VERIFY_SAMPLE_CTS of the ciphertexts it knows and
 *    did not open are tried, or 1 in DM_VERIFY_SAMPLE_SHARE of them when
 *    that is more (computing a party's closure costs what the party knows:
 *    so do its checks, and the time goes to decryption, not bookkeeping),
 *    each with at most DM_VERIFY_SAMPLE_KEYS of the party's keys of each
 *    type (evenly spaced by id: the same run samples the same checks,
 *    whatever the threads). */
#define DM_VERIFY_ALL_MAX        10000000ull
#define DM_VERIFY_SAMPLE_USERS   256u
#define DM_VERIFY_SAMPLE_REACHES 256u
#define DM_VERIFY_SAMPLE_CTS     256u
#define DM_VERIFY_SAMPLE_KEYS    256u
#define DM_VERIFY_SAMPLE_SHARE   64u
#define DM_VERIFY_MAX_LISTED     1000u   /* mismatches kept in the list */

typedef enum dm_mismatch_kind {
    DM_MISMATCH_REACH_FAILS = 0, /* a reported reach: no real decryption gives the plaintext */
    DM_MISMATCH_UNREPORTED,      /* the closure reaches a non-owned item the report omits */
    DM_MISMATCH_OPENS,           /* a key the party has opens a ciphertext the closure did not open */
    DM_MISMATCH_KEY_FAILS        /* a key the closure gives the party: its chain does not yield it */
} dm_mismatch_kind;

const char *dm_mismatch_kind_name(dm_mismatch_kind k);

typedef struct dm_mismatch {
    uint32_t party;
    uint32_t item;           /* item id, or UINT32_MAX */
    uint32_t ct;             /* ciphertext involved, or UINT32_MAX */
    uint32_t key;            /* key involved, or UINT32_MAX */
    uint8_t kind;            /* dm_mismatch_kind */
} dm_mismatch;

typedef struct dm_verification {
    dm_verify_mode mode;        /* the mode asked for */
    int sampled;                /* 1 when a sample was verified */
    uint64_t planned;           /* parties x ciphertexts, compared with DM_VERIFY_ALL_MAX */
    size_t parties;             /* parties in the world */
    size_t sample_size;         /* parties verified */
    uint64_t reaches_proven;    /* reported reaches replayed by real decryption, plaintext equal */
    uint64_t reaches_direct;    /* reported reaches no key the party has opens: items it
                                   owns, or a compromised owner's (owners wrote them) */
    uint64_t nonreaches_proven; /* (party, ciphertext) known, not opened: every key it has failed */
    uint64_t decryptions;       /* real decryptions that succeeded */
    uint64_t failed_attempts;   /* decryptions that failed, as the closure said they would */
    uint64_t rebuilds;          /* keys rebuilt from shares */
    uint64_t mismatches;        /* disagreements (each a bug) */
    dm_mismatch *list;          /* the first DM_VERIFY_MAX_LISTED, sorted (party, kind, item, ct, key) */
    size_t n_list;
    dm_crypto_stats stats;
} dm_verification;

/* Replay run r with the real keys and ciphertexts of c (instantiated from
 * r->w): for every verified party, compute its closure on r->w at r->bound;
 * replay each reported reach (r->actors; none for unlisted parties) along
 * the closure's witness with real decryptions, using only key bytes the
 * party holds or obtains along the chain (decrypted wraps, rebuilt shares),
 * and compare the plaintext with the original (a plaintext or key handed
 * over by an order is replayed as the provider's own derivation at the
 * order's time; an item reached as a compromised owner's is replayed through
 * its ciphertext when the party knows that and its key; only reaches that no
 * key opens count in reaches_direct); check that the closure
 * reaches no non-owned item the report omits; and for every ciphertext the
 * party knows but did not open, try every key it has (and any key its shares
 * rebuild) of the matching type and confirm each fails.
 * *out is new and owned by the caller (dm_verification_free), filled even
 * when mismatches were found: then DM_ERR_MISMATCH is returned.  Other errors
 * (DM_ERR_NOMEM, DM_ERR_CRYPTO, DM_ERR_USAGE when c was not made from r->w)
 * leave *out untouched. */
dm_err dm_crypto_verify(const dm_crypto *c, const dm_run *r, dm_verify_mode mode,
                        unsigned threads, dm_verification **out);
void dm_verification_free(dm_verification *v);

#endif
