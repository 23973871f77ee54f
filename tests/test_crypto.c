/* test_crypto.c - real keys, ciphertexts and shares; verification of runs by real decryption. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"

/* ---- a tiny world built by hand ---------------------------------------- *
 * users: alice (0), bob (1)
 * keys:  0 alice.dk (sym), 1 alice.dev1 (keypair), 2 escrow (keypair, 2-of-3),
 *        3 bob.dk (sym)
 * items: 0 alice/photos (alice) under 0; 1 chat/messages (alice, bob) under 3
 * cts:   0 item 0 under 0; 1 item 1 under 3; 2 key 0 under 1; 3 key 0 under 2;
 *        4 key 2 under 3 */
static dm_user t_users[2];
static dm_scenario t_sc;
static dm_wkey t_keys[4];
static dm_share t_shares[3];
static uint32_t t_own0[] = {0}, t_own1[] = {0, 1};
static dm_witem t_items[2];
static dm_ct t_cts[5];
static dm_world t_w;

static const char *PT0 = "alice/photos: a sample plaintext owned by alice";
static const char *PT1 = "chat/messages: a sample plaintext owned by alice, bob";

static void
tiny_world(void)
{
    uint32_t i;

    memset(&t_sc, 0, sizeof t_sc);
    memset(t_users, 0, sizeof t_users);
    t_users[0].id = "alice";
    t_users[1].id = "bob";
    t_sc.users = t_users;
    t_sc.n_users = 2;

    memset(t_keys, 0, sizeof t_keys);
    t_keys[0].type = DM_KEY_SYMMETRIC;
    t_keys[1].type = DM_KEY_KEYPAIR;
    t_keys[2].type = DM_KEY_KEYPAIR;
    t_keys[2].share_k = 2;
    t_keys[2].n_shares = 3;
    t_keys[2].first_share = 0;
    t_keys[3].type = DM_KEY_SYMMETRIC;
    for (i = 0; i < 3; i++) {
        t_shares[i].key = 2;
        t_shares[i].index = i + 1;
        t_shares[i].holder = i;
    }
    t_items[0] = (dm_witem){"alice/photos", t_own0, 1, UINT32_MAX};
    t_items[1] = (dm_witem){"chat/messages", t_own1, 2, 0};
    memset(t_cts, 0, sizeof t_cts);
    t_cts[0] = (dm_ct){.under = 0, .inner = 0, .event = UINT32_MAX};
    t_cts[1] = (dm_ct){.under = 3, .inner = 1, .event = UINT32_MAX};
    t_cts[2] = (dm_ct){.under = 1, .inner = 0, .inner_is_key = 1, .event = UINT32_MAX};
    t_cts[3] = (dm_ct){.under = 2, .inner = 0, .inner_is_key = 1, .event = UINT32_MAX};
    t_cts[4] = (dm_ct){.under = 3, .inner = 2, .inner_is_key = 1, .event = UINT32_MAX};

    memset(&t_w, 0, sizeof t_w);
    t_w.sc = &t_sc;
    t_w.keys = t_keys;
    t_w.n_keys = 4;
    t_w.shares = t_shares;
    t_w.n_shares = 3;
    t_w.items = t_items;
    t_w.n_items = 2;
    t_w.cts = t_cts;
    t_w.n_cts = 5;
    t_w.cap_cts = 5;
}

static dm_crypto *
tiny_crypto(uint64_t seed, unsigned threads)
{
    dm_crypto *c = NULL;

    tiny_world();
    ck_assert_int_eq(dm_crypto_instantiate(&t_w, seed, threads, &c), DM_OK);
    ck_assert_ptr_nonnull(c);
    return c;
}

START_TEST(test_ct_sizes)
{
    dm_crypto *c = tiny_crypto(1, 1);
    size_t len = 0;

    ck_assert_ptr_nonnull(dm_crypto_ct_bytes(c, 0, &len));
    ck_assert_uint_eq(len, strlen(PT0) + DM_MAC_BYTES);
    ck_assert_ptr_nonnull(dm_crypto_ct_bytes(c, 1, &len));
    ck_assert_uint_eq(len, strlen(PT1) + DM_MAC_BYTES);
    ck_assert_ptr_nonnull(dm_crypto_ct_bytes(c, 2, &len));
    ck_assert_uint_eq(len, DM_KEY_BYTES + DM_MAC_BYTES);
    ck_assert_ptr_nonnull(dm_crypto_ct_bytes(c, 4, &len));
    ck_assert_uint_eq(len, DM_KEY_BYTES + DM_MAC_BYTES);
    ck_assert_ptr_null(dm_crypto_ct_bytes(c, 5, &len));
    ck_assert_uint_eq(dm_crypto_seed(c), 1);
    dm_crypto_free(c);
}
END_TEST

START_TEST(test_right_key_opens)
{
    dm_crypto *c = tiny_crypto(7, 2);

    ck_assert_int_eq(dm_crypto_try_open(c, 0, 0, NULL, 0), DM_OK);  /* AEAD item */
    ck_assert_int_eq(dm_crypto_try_open(c, 1, 3, NULL, 0), DM_OK);  /* group item */
    ck_assert_int_eq(dm_crypto_try_open(c, 2, 1, NULL, 0), DM_OK);  /* box wrap */
    ck_assert_int_eq(dm_crypto_try_open(c, 3, 2, NULL, 0), DM_OK);  /* escrow wrap */
    ck_assert_int_eq(dm_crypto_try_open(c, 4, 3, NULL, 0), DM_OK);  /* keypair under sym */
    dm_crypto_free(c);
}
END_TEST

START_TEST(test_wrong_key_fails)
{
    dm_crypto *c = tiny_crypto(7, 2);
    uint32_t ct, k;
    unsigned opened = 0;

    /* Every (ciphertext, key) pair: exactly the 5 right ones open. */
    for (ct = 0; ct < 5; ct++)
        for (k = 0; k < 4; k++) {
            dm_err e = dm_crypto_try_open(c, ct, k, NULL, 0);
            if (k == t_cts[ct].under) {
                ck_assert_int_eq(e, DM_OK);
                opened++;
            } else {
                ck_assert_int_eq(e, DM_ERR_CRYPTO);
            }
        }
    ck_assert_uint_eq(opened, 5);
    ck_assert_int_eq(dm_crypto_try_open(c, 5, 0, NULL, 0), DM_ERR_USAGE);
    ck_assert_int_eq(dm_crypto_try_open(c, 0, 4, NULL, 0), DM_ERR_USAGE);
    dm_crypto_free(c);
}
END_TEST

START_TEST(test_tampered_fails)
{
    dm_crypto *c = tiny_crypto(7, 1);
    uint32_t ct;

    for (ct = 0; ct < 5; ct++) {
        size_t len = 0, i;
        const uint8_t *b = dm_crypto_ct_bytes(c, ct, &len);
        uint8_t *copy = malloc(len);
        ck_assert_ptr_nonnull(copy);
        for (i = 0; i < len; i++) { /* every byte, body and tag */
            memcpy(copy, b, len);
            copy[i] ^= 0x01;
            ck_assert_int_eq(dm_crypto_try_open(c, ct, t_cts[ct].under, copy, len),
                             DM_ERR_CRYPTO);
        }
        memcpy(copy, b, len); /* the untouched copy opens */
        ck_assert_int_eq(dm_crypto_try_open(c, ct, t_cts[ct].under, copy, len), DM_OK);
        ck_assert_int_eq(dm_crypto_try_open(c, ct, t_cts[ct].under, copy, len - 1),
                         DM_ERR_CRYPTO); /* truncated */
        free(copy);
    }
    dm_crypto_free(c);
}
END_TEST

START_TEST(test_same_seed_same_bytes)
{
    dm_crypto *a = tiny_crypto(42, 1);
    dm_crypto *b = tiny_crypto(42, 2);
    dm_crypto *d = tiny_crypto(43, 2);
    uint32_t ct;

    for (ct = 0; ct < 5; ct++) {
        size_t la = 0, lb = 0, ld = 0;
        const uint8_t *xa = dm_crypto_ct_bytes(a, ct, &la);
        const uint8_t *xb = dm_crypto_ct_bytes(b, ct, &lb);
        const uint8_t *xd = dm_crypto_ct_bytes(d, ct, &ld);
        ck_assert_uint_eq(la, lb);
        ck_assert_uint_eq(la, ld);
        ck_assert_int_eq(memcmp(xa, xb, la), 0);
        ck_assert_int_ne(memcmp(xa, xd, la), 0);
    }
    /* A key of seed 43 does not open the ciphertexts of seed 42. */
    {
        size_t len = 0;
        const uint8_t *x = dm_crypto_ct_bytes(a, 0, &len);
        ck_assert_int_eq(dm_crypto_try_open(d, 0, 0, x, len), DM_ERR_CRYPTO);
        ck_assert_int_eq(dm_crypto_try_open(b, 0, 0, x, len), DM_OK);
    }
    dm_crypto_free(a);
    dm_crypto_free(b);
    dm_crypto_free(d);
}
END_TEST

START_TEST(test_shares_k_of_n)
{
    dm_crypto *c = tiny_crypto(5, 2);
    static const uint32_t one[][1] = {{0}, {1}, {2}};
    static const uint32_t two[][2] = {{0, 1}, {0, 2}, {1, 2}, {2, 0}};
    static const uint32_t all3[] = {2, 1, 0};
    static const uint32_t dup[] = {1, 1};
    static const uint32_t foreign[] = {0, 3};
    size_t i;
    int eq;

    for (i = 0; i < 3; i++) { /* k-1 = 1 share: other bytes */
        eq = -1;
        ck_assert_int_eq(dm_crypto_rebuild(c, 2, one[i], 1, &eq), DM_OK);
        ck_assert_int_eq(eq, 0);
    }
    for (i = 0; i < 4; i++) { /* any k = 2 distinct shares: the key */
        eq = -1;
        ck_assert_int_eq(dm_crypto_rebuild(c, 2, two[i], 2, &eq), DM_OK);
        ck_assert_int_eq(eq, 1);
    }
    eq = -1;
    ck_assert_int_eq(dm_crypto_rebuild(c, 2, all3, 3, &eq), DM_OK);
    ck_assert_int_eq(eq, 1);
    ck_assert_int_eq(dm_crypto_rebuild(c, 2, dup, 2, &eq), DM_ERR_USAGE);
    ck_assert_int_eq(dm_crypto_rebuild(c, 2, foreign, 2, &eq), DM_ERR_USAGE);
    ck_assert_int_eq(dm_crypto_rebuild(c, 0, one[0], 1, &eq), DM_ERR_USAGE);
    dm_crypto_free(c);
}
END_TEST

START_TEST(test_shares_deterministic)
{
    /* Same seed: the same split, whatever the thread count (the shares of
     * seed 9 rebuild the key of another instance of seed 9); checked
     * through the escrow wrap that both open identically. */
    dm_crypto *a = tiny_crypto(9, 1);
    dm_crypto *b = tiny_crypto(9, 2);
    size_t la = 0, lb = 0;
    const uint8_t *xa = dm_crypto_ct_bytes(a, 4, &la);
    const uint8_t *xb = dm_crypto_ct_bytes(b, 4, &lb);

    ck_assert_uint_eq(la, lb);
    ck_assert_int_eq(memcmp(xa, xb, la), 0);
    dm_crypto_free(a);
    dm_crypto_free(b);
}
END_TEST

START_TEST(test_limits)
{
    dm_crypto *c = NULL;

    tiny_world();
    t_keys[2].share_k = 4; /* k > n */
    ck_assert_int_eq(dm_crypto_instantiate(&t_w, 1, 1, &c), DM_ERR_LIMIT);
    ck_assert_ptr_null(c);
    tiny_world();
    t_cts[2].under = 9; /* out of range */
    ck_assert_int_eq(dm_crypto_instantiate(&t_w, 1, 1, &c), DM_ERR_USAGE);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(dm_crypto_instantiate(NULL, 1, 1, &c), DM_ERR_USAGE);
    dm_crypto_free(NULL);
}
END_TEST

START_TEST(test_alloc_failure)
{
    /* Fail each allocation of an instantiation in turn: a clean error, *out
     * untouched, no leak (checked under the san variant). */
    size_t n, total;
    dm_crypto *c = NULL;

    tiny_world();
    dm_alloc_fail_at(0, 0);
    ck_assert_int_eq(dm_crypto_instantiate(&t_w, 3, 1, &c), DM_OK);
    dm_crypto_free(c);
    total = dm_alloc_fail_at(0, 0);
    ck_assert_uint_gt(total, 0);
    for (n = 1; n <= total; n++) {
        dm_crypto *x = NULL;
        dm_alloc_fail_at(n, 1);
        ck_assert_int_eq(dm_crypto_instantiate(&t_w, 3, 1, &x), DM_ERR_NOMEM);
        ck_assert_ptr_null(x);
        dm_alloc_fail_at(0, 0);
    }
}
END_TEST

START_TEST(test_random_seed)
{
    uint64_t a = 0, b = 0;

    ck_assert_int_eq(dm_crypto_random_seed(&a), DM_OK);
    ck_assert_int_eq(dm_crypto_random_seed(&b), DM_OK);
    ck_assert(a != b); /* two 64-bit draws agree with probability 2^-64 */
    ck_assert_int_eq(dm_crypto_random_seed(NULL), DM_ERR_USAGE);
}
END_TEST

START_TEST(test_stats)
{
    dm_crypto *c = tiny_crypto(11, 2);
    const dm_crypto_stats *s = dm_crypto_stats_get(c);

    ck_assert_uint_eq(s->threads, 2);
    ck_assert_uint_gt(s->wall_ns, 0);
    ck_assert_uint_gt(s->lib_ns, 0);
    ck_assert_uint_le(s->lib_ns, s->busy_ns);
    ck_assert_uint_gt(s->cpu_ns, 0);
    ck_assert_uint_le(s->span_ns, s->cpu_ns);
    ck_assert_uint_le(s->serial_ns, s->wall_ns);
    ck_assert_uint_le(s->busy_ns, 2 * s->wall_ns);
    /* 4 keys: 2 kdf + 2 (kdf, seed_keypair); 3 shares: kdf, init, setsecret,
     * 3 getshare, free; 5 cts: nonce kdf each, 2 box (kdf, keypair, easy) +
     * 3 AEAD. */
    ck_assert_uint_eq(s->lib_calls, 2 + 4 + 7 + 5 + 6 + 3);
    dm_crypto_free(c);
}
END_TEST


/* ---- verification of real runs ----------------------------------------- *
 * An escrow key split 2-of-3 among agents; mallory steals shares 1 and 2
 * (k: she rebuilds the key), eve share 3 (k-1: nothing); both breach the
 * cloud.  Only alice (UK) is escrowed, with the chat she shares with carol. */
static const char SPLIT[] =
    "{\"doormat\": 1, \"title\": \"split escrow\",\n"
    " \"regions\": [\"UK\", \"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\"]}],\n"
    " \"users\": [\n"
    "  {\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\", \"protection\": \"e2ee\", \"items\": [\"photos\"]},\n"
    "  {\"id\": \"bob\", \"region\": \"US\", \"provider\": \"cloud\", \"protection\": \"provider\", \"items\": [\"notes\"]},\n"
    "  {\"id\": \"carol\", \"region\": \"US\", \"provider\": \"cloud\", \"protection\": \"e2ee\", \"devices\": 2, \"items\": [\"diary\"]}],\n"
    " \"groups\": [{\"id\": \"chat\", \"members\": [\"alice\", \"carol\"], \"provider\": \"cloud\", \"items\": [\"messages\"]}],\n"
    " \"actors\": [{\"id\": \"agent1\", \"kind\": \"agent\"}, {\"id\": \"agent2\", \"kind\": \"agent\"},\n"
    "            {\"id\": \"agent3\", \"kind\": \"agent\"}, {\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"},\n"
    "            {\"id\": \"mallory\", \"kind\": \"attacker\"}, {\"id\": \"eve\", \"kind\": \"attacker\"}],\n"
    " \"keys\": [{\"id\": \"escrow\", \"type\": \"keypair\", \"shares\": {\"k\": 2, \"holders\": [\"agent1\", \"agent2\", \"agent3\"]}}],\n"
    " \"events\": [\n"
    "  {\"at\": 1, \"do\": \"backdoor\", \"provider\": \"cloud\", \"key\": \"escrow\", \"scope\": {\"regions\": [\"UK\"]}},\n"
    "  {\"at\": 2, \"do\": \"steal\", \"by\": \"mallory\", \"key\": \"escrow\", \"share\": 1},\n"
    "  {\"at\": 2, \"do\": \"steal\", \"by\": \"mallory\", \"key\": \"escrow\", \"share\": 2},\n"
    "  {\"at\": 2, \"do\": \"steal\", \"by\": \"eve\", \"key\": \"escrow\", \"share\": 3},\n"
    "  {\"at\": 3, \"do\": \"breach\", \"by\": \"mallory\", \"store\": \"cloud\"},\n"
    "  {\"at\": 3, \"do\": \"breach\", \"by\": \"eve\", \"store\": \"cloud\"},\n"
    "  {\"at\": 4, \"do\": \"order\", \"by\": \"uk-gov\", \"provider\": \"cloud\", \"scope\": {\"regions\": [\"UK\"]}}\n"
    " ]}\n";

typedef struct fixture {
    dm_scenario *s;
    dm_run *r;
    dm_crypto *c;
    dm_diag d;
} fixture;

static void
fx_open(fixture *f, const char *text, size_t len, unsigned threads)
{
    dm_run_opts o;

    memset(f, 0, sizeof *f);
    memset(&o, 0, sizeof o);
    dm_diag_init(&f->d, "split.json", text, len);
    ck_assert_int_eq(dm_scenario_load(text, len, "split.json", &f->s, &f->d), DM_OK);
    ck_assert_int_eq(dm_run_scenario(f->s, &o, &f->r, &f->d), DM_OK);
    ck_assert_int_eq(dm_crypto_instantiate(f->r->w, 2025, threads, &f->c), DM_OK);
}

static void
fx_close(fixture *f)
{
    dm_crypto_free(f->c);
    dm_run_free(f->r);
    dm_scenario_free(f->s);
    dm_diag_clear(&f->d);
}

static uint32_t
party_of(const dm_world *w, const char *id)
{
    uint32_t p;
    for (p = 0; p < w->n_parties; p++)
        if (strcmp(dm_world_party_id(w, p), id) == 0)
            return p;
    ck_abort_msg("no party %s", id);
    return UINT32_MAX;
}

static uint32_t
item_of(const dm_world *w, const char *name)
{
    uint32_t i;
    for (i = 0; i < w->n_items; i++)
        if (strcmp(w->items[i].name, name) == 0)
            return i;
    ck_abort_msg("no item %s", name);
    return UINT32_MAX;
}

static size_t
actor_index(const dm_run *r, uint32_t party)
{
    size_t i;
    for (i = 0; i < r->n_actors; i++)
        if (r->actors[i].party == party)
            return i;
    ck_abort_msg("party %u not reported", party);
    return SIZE_MAX;
}

/* How party p's closure learned item i (to show a test exercises a path). */
static int
why_kind_of(const dm_run *r, uint32_t p, uint32_t i)
{
    dm_closure *cl = NULL;
    int kind;

    ck_assert_int_eq(dm_closure_new(r->w, &cl), DM_OK);
    ck_assert_int_eq(dm_closure_compute(cl, p, r->bound), DM_OK);
    kind = dm_closure_why(cl, DM_FACT_ITEM, i).kind;
    dm_closure_free(cl);
    return kind;
}

static void
check_split_counts(const dm_verification *v)
{
    /* Reaches: cloud opens bob/notes (provider protection); mallory
     * rebuilds escrow from 2 shares and opens alice/photos and
     * chat/messages.  Every ciphertext a party sees and cannot open is
     * tried with all its keys. */
    ck_assert_uint_eq(v->parties, 10);
    ck_assert_uint_eq(v->sample_size, 10);
    ck_assert_uint_eq(v->reaches_proven, 3);
    ck_assert_uint_eq(v->reaches_direct, 0);
    ck_assert_uint_eq(v->nonreaches_proven, 39);
    ck_assert_uint_eq(v->rebuilds, 1);
    ck_assert_uint_eq(v->mismatches, 0);
    ck_assert_uint_eq(v->n_list, 0);
}

START_TEST(test_verify_split_escrow)
{
    fixture f;
    dm_verification *v = NULL;
    uint32_t mallory, eve;

    fx_open(&f, SPLIT, sizeof SPLIT - 1, 2);
    mallory = party_of(f.r->w, "mallory");
    eve = party_of(f.r->w, "eve");
    ck_assert_uint_eq(f.r->actors[actor_index(f.r, mallory)].n_reaches, 2);
    ck_assert_uint_eq(f.r->actors[actor_index(f.r, eve)].n_reaches, 0);
    ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_ALL, 2, &v), DM_OK);
    ck_assert_int_eq(v->sampled, 0);
    ck_assert_uint_eq(v->planned, 10 * 14);
    check_split_counts(v);
    ck_assert_uint_eq(v->stats.threads, 2);
    ck_assert_uint_le(v->stats.lib_ns, v->stats.busy_ns);
    ck_assert_uint_ge(v->stats.closures, 10); /* one per party at least */
    ck_assert_uint_le(v->stats.span_ns, v->stats.cpu_ns);
    ck_assert_uint_le(v->stats.serial_ns, v->stats.wall_ns);
    dm_verification_free(v);
    fx_close(&f);
}
END_TEST

START_TEST(test_verify_threads_and_modes_agree)
{
    fixture f;
    dm_verification *v = NULL;

    fx_open(&f, SPLIT, sizeof SPLIT - 1, 1);
    ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_FULL, 1, &v), DM_OK);
    check_split_counts(v);
    dm_verification_free(v);
    v = NULL;
    /* A sample of a small world is the whole of it. */
    ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_SAMPLE, 2, &v), DM_OK);
    ck_assert_int_eq(v->sampled, 1);
    check_split_counts(v);
    dm_verification_free(v);
    v = NULL;
    ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_OFF, 2, &v), DM_OK);
    ck_assert_int_eq(v->mode, DM_VERIFY_OFF);
    ck_assert_uint_eq(v->sample_size, 0);
    ck_assert_uint_eq(v->reaches_proven + v->nonreaches_proven + v->mismatches, 0);
    dm_verification_free(v);
    fx_close(&f);
}
END_TEST

START_TEST(test_verify_catches_dropped_reach)
{
    fixture f;
    dm_verification *v = NULL;
    dm_run copy;
    dm_actor_result *acts;
    uint32_t mallory;
    size_t m;

    fx_open(&f, SPLIT, sizeof SPLIT - 1, 2);
    mallory = party_of(f.r->w, "mallory");
    m = actor_index(f.r, mallory);
    acts = malloc(f.r->n_actors * sizeof *acts);
    ck_assert_ptr_nonnull(acts);
    memcpy(acts, f.r->actors, f.r->n_actors * sizeof *acts);
    copy = *f.r;
    copy.actors = acts;
    acts[m].n_reaches = 1; /* the report forgets mallory's second reach */
    ck_assert_int_eq(dm_crypto_verify(f.c, &copy, DM_VERIFY_ALL, 2, &v), DM_ERR_MISMATCH);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(v->mismatches, 1);
    ck_assert_uint_eq(v->n_list, 1);
    ck_assert_uint_eq(v->list[0].party, mallory);
    ck_assert_int_eq(v->list[0].kind, DM_MISMATCH_UNREPORTED);
    ck_assert_uint_eq(v->list[0].item, f.r->actors[m].reaches[1].item);
    ck_assert_uint_eq(v->reaches_proven, 2);
    dm_verification_free(v);
    v = NULL;

    /* Mallory dropped from the report altogether: both reaches surface. */
    acts[m] = acts[f.r->n_actors - 1];
    copy.n_actors = f.r->n_actors - 1;
    ck_assert_int_eq(dm_crypto_verify(f.c, &copy, DM_VERIFY_ALL, 1, &v), DM_ERR_MISMATCH);
    ck_assert_uint_eq(v->mismatches, 2);
    ck_assert_uint_eq(v->n_list, 2);
    ck_assert_int_eq(v->list[0].kind, DM_MISMATCH_UNREPORTED);
    ck_assert_int_eq(v->list[1].kind, DM_MISMATCH_UNREPORTED);
    ck_assert_uint_eq(v->list[0].party, mallory);
    ck_assert_uint_eq(v->list[0].item, item_of(f.r->w, "alice/photos"));
    ck_assert_uint_eq(v->list[1].item, item_of(f.r->w, "chat/messages"));
    dm_verification_free(v);
    free(acts);
    fx_close(&f);
}
END_TEST

START_TEST(test_verify_catches_false_reach)
{
    fixture f;
    dm_verification *v = NULL;
    dm_run copy;
    dm_actor_result *acts;
    dm_reach fake;
    uint32_t eve, notes;
    size_t e;

    fx_open(&f, SPLIT, sizeof SPLIT - 1, 2);
    eve = party_of(f.r->w, "eve");
    notes = item_of(f.r->w, "bob/notes");
    e = actor_index(f.r, eve);
    acts = malloc(f.r->n_actors * sizeof *acts);
    ck_assert_ptr_nonnull(acts);
    memcpy(acts, f.r->actors, f.r->n_actors * sizeof *acts);
    copy = *f.r;
    copy.actors = acts;
    /* The report claims eve (one share, k-1) reads bob's notes, whose
     * ciphertext she does hold from the breach. */
    memset(&fake, 0, sizeof fake);
    fake.item = notes;
    fake.cls = DM_CLASS_UNLAWFUL;
    acts[e].reaches = &fake;
    acts[e].n_reaches = 1;
    ck_assert_int_eq(dm_crypto_verify(f.c, &copy, DM_VERIFY_ALL, 2, &v), DM_ERR_MISMATCH);
    ck_assert_uint_eq(v->mismatches, 1);
    ck_assert_uint_eq(v->n_list, 1);
    ck_assert_uint_eq(v->list[0].party, eve);
    ck_assert_int_eq(v->list[0].kind, DM_MISMATCH_REACH_FAILS);
    ck_assert_uint_eq(v->list[0].item, notes);
    ck_assert_uint_eq(v->list[0].ct, notes);
    ck_assert_uint_eq(v->reaches_proven, 3);
    ck_assert_uint_eq(v->nonreaches_proven, 39); /* the claim changes no fact */
    dm_verification_free(v);
    free(acts);
    fx_close(&f);
}
END_TEST

START_TEST(test_verify_catches_graph_lie)
{
    /* After instantiation, the world claims carol's diary lies under
     * bob.dk (which cloud derives) while its bytes are under carol.dk, and
     * the report agrees with the lie.  Only real decryption can tell:
     * cloud's replay fails, and carol's own key opens a ciphertext her
     * closure says she cannot open. */
    fixture f;
    dm_verification *v = NULL;
    dm_run copy;
    dm_actor_result *acts;
    dm_reach *rs;
    uint32_t cloud, carol, diary, bob_dk, carol_dk;
    size_t a;

    fx_open(&f, SPLIT, sizeof SPLIT - 1, 2);
    cloud = party_of(f.r->w, "cloud");
    carol = party_of(f.r->w, "carol");
    diary = item_of(f.r->w, "carol/diary");
    bob_dk = f.r->w->user_dk[1];
    carol_dk = f.r->w->user_dk[2];
    ck_assert_uint_eq(f.r->w->cts[diary].under, carol_dk);
    f.r->w->cts[diary].under = bob_dk;
    ck_assert_int_eq(dm_world_index(f.r->w), DM_OK);

    a = actor_index(f.r, cloud);
    acts = malloc(f.r->n_actors * sizeof *acts);
    rs = malloc((f.r->actors[a].n_reaches + 1) * sizeof *rs);
    ck_assert_ptr_nonnull(acts);
    ck_assert_ptr_nonnull(rs);
    memcpy(acts, f.r->actors, f.r->n_actors * sizeof *acts);
    memcpy(rs, acts[a].reaches, acts[a].n_reaches * sizeof *rs);
    memset(&rs[acts[a].n_reaches], 0, sizeof *rs);
    rs[acts[a].n_reaches].item = diary;
    acts[a].reaches = rs;
    acts[a].n_reaches++;
    copy = *f.r;
    copy.actors = acts;

    ck_assert_int_eq(dm_crypto_verify(f.c, &copy, DM_VERIFY_ALL, 2, &v), DM_ERR_MISMATCH);
    ck_assert_uint_eq(v->mismatches, 2);
    ck_assert_uint_eq(v->n_list, 2);
    ck_assert_uint_eq(v->list[0].party, cloud);
    ck_assert_int_eq(v->list[0].kind, DM_MISMATCH_REACH_FAILS);
    ck_assert_uint_eq(v->list[0].item, diary);
    ck_assert_uint_eq(v->list[0].ct, diary);
    ck_assert_uint_eq(v->list[1].party, carol);
    ck_assert_int_eq(v->list[1].kind, DM_MISMATCH_OPENS);
    ck_assert_uint_eq(v->list[1].item, diary);
    ck_assert_uint_eq(v->list[1].ct, diary);
    ck_assert_uint_eq(v->list[1].key, carol_dk);
    dm_verification_free(v);
    free(rs);
    free(acts);
    fx_close(&f);
}
END_TEST

START_TEST(test_verify_other_world)
{
    fixture a, b;
    dm_verification *v = NULL;

    fx_open(&a, SPLIT, sizeof SPLIT - 1, 1);
    fx_open(&b, SPLIT, sizeof SPLIT - 1, 1);
    ck_assert_int_eq(dm_crypto_verify(a.c, b.r, DM_VERIFY_ALL, 1, &v), DM_ERR_USAGE);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(dm_crypto_verify(NULL, b.r, DM_VERIFY_ALL, 1, &v), DM_ERR_USAGE);
    ck_assert_ptr_null(v);
    fx_close(&a);
    fx_close(&b);
}
END_TEST

START_TEST(test_verify_alloc_failure)
{
    /* Fail each allocation of a verification in turn: DM_ERR_NOMEM, *out
     * untouched, nothing leaked (the san variant checks). */
    fixture f;
    dm_verification *v = NULL;
    size_t n, total;

    fx_open(&f, SPLIT, sizeof SPLIT - 1, 1);
    dm_alloc_fail_at(0, 0);
    ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_ALL, 1, &v), DM_OK);
    total = dm_alloc_fail_at(0, 0);
    dm_verification_free(v);
    ck_assert_uint_gt(total, 0);
    for (n = 1; n <= total; n++) {
        dm_verification *x = NULL;
        dm_alloc_fail_at(n, 1);
        ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_ALL, 1, &x), DM_ERR_NOMEM);
        ck_assert_ptr_null(x);
        dm_alloc_fail_at(0, 0);
    }
    fx_close(&f);
}
END_TEST

/* What an order hands over is replayed as the provider's own derivation at
 * the order's time: uk-gov gets bob.dk (demand keys) and the ciphertext (a
 * breach); met gets bob's plaintext.  Carol (e2ee) stays out of reach. */
static const char ORDERS[] =
    "{\"doormat\": 1, \"title\": \"orders\", \"regions\": [\"UK\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\"]}],\n"
    " \"users\": [\n"
    "  {\"id\": \"bob\", \"region\": \"UK\", \"provider\": \"cloud\", \"protection\": \"provider\", \"items\": [\"notes\"]},\n"
    "  {\"id\": \"carol\", \"region\": \"UK\", \"provider\": \"cloud\", \"protection\": \"e2ee\", \"items\": [\"diary\"]}],\n"
    " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"},\n"
    "            {\"id\": \"met\", \"kind\": \"government\", \"region\": \"UK\"}],\n"
    " \"events\": [\n"
    "  {\"at\": 1, \"do\": \"order\", \"by\": \"uk-gov\", \"provider\": \"cloud\", \"demand\": \"keys\"},\n"
    "  {\"at\": 2, \"do\": \"breach\", \"by\": \"uk-gov\", \"store\": \"cloud\"},\n"
    "  {\"at\": 3, \"do\": \"order\", \"by\": \"met\", \"provider\": \"cloud\"}\n"
    " ]}\n";

START_TEST(test_verify_orders_replayed)
{
    fixture f;
    dm_verification *v = NULL;
    unsigned threads;

    for (threads = 1; threads <= 2; threads++) {
        fx_open(&f, ORDERS, sizeof ORDERS - 1, threads);
        ck_assert_uint_eq(f.r->actors[actor_index(f.r, party_of(f.r->w, "uk-gov"))].n_reaches, 1);
        ck_assert_uint_eq(f.r->actors[actor_index(f.r, party_of(f.r->w, "met"))].n_reaches, 1);
        ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_ALL, threads, &v), DM_OK);
        /* cloud, uk-gov and met each reach bob/notes by real decryption:
         * bob.dk from the hsm wrap (for the governments: cloud's own
         * derivation at the order's time), then the item: 2 decryptions
         * each; bob and carol each obtain their data key from their
         * device's wrap when their keys are checked: 1 each. */
        ck_assert_uint_eq(v->reaches_proven, 3);
        ck_assert_uint_eq(v->reaches_direct, 0);
        ck_assert_uint_eq(v->nonreaches_proven, 8);
        ck_assert_uint_eq(v->decryptions, 8);
        ck_assert_uint_eq(v->mismatches, 0);
        dm_verification_free(v);
        v = NULL;
        fx_close(&f);
    }
}
END_TEST

/* Mallory compromises alice (e2ee: her device key opens her data key's
 * wrap, which opens her photos) and bob (an explicit owner whose diary lies
 * under a key nobody holds).  Both items are owner facts of the victims:
 * alice's is replayed through its ciphertext with the keys the compromise
 * gave (the victim's knowledge is part of the thief's), bob's needs none. */
static const char COMPROMISE[] =
    "{\"doormat\": 1, \"title\": \"compromise\", \"regions\": [\"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"US\"]}],\n"
    " \"users\": [\n"
    "  {\"id\": \"alice\", \"region\": \"US\", \"provider\": \"cloud\", \"protection\": \"e2ee\", \"items\": [\"photos\"]},\n"
    "  {\"id\": \"bob\", \"region\": \"US\"}],\n"
    " \"actors\": [{\"id\": \"mallory\", \"kind\": \"attacker\"}],\n"
    " \"keys\": [{\"id\": \"vault\", \"type\": \"symmetric\"}],\n"
    " \"items\": [{\"id\": \"diary\", \"owners\": [\"bob\"], \"under\": \"vault\", \"at\": [\"bob\"]}],\n"
    " \"events\": [\n"
    "  {\"at\": 1, \"do\": \"compromise\", \"by\": \"mallory\", \"actor\": \"alice\"},\n"
    "  {\"at\": 2, \"do\": \"compromise\", \"by\": \"mallory\", \"actor\": \"bob\"}\n"
    " ]}\n";

START_TEST(test_verify_compromise_replayed)
{
    fixture f;
    dm_verification *v = NULL;
    const dm_actor_result *m;
    unsigned threads;

    for (threads = 1; threads <= 2; threads++) {
        fx_open(&f, COMPROMISE, sizeof COMPROMISE - 1, threads);
        m = &f.r->actors[actor_index(f.r, party_of(f.r->w, "mallory"))];
        ck_assert_uint_eq(m->n_reaches, 2);
        ck_assert_int_eq(why_kind_of(f.r, m->party, item_of(f.r->w, "alice/photos")),
                         DM_WHY_OWNER);
        ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_ALL, threads, &v), DM_OK);
        ck_assert_uint_eq(v->reaches_proven, 1); /* alice/photos, by decryption */
        ck_assert_uint_eq(v->reaches_direct, 1); /* diary: no key anyone has opens it */
        ck_assert_uint_eq(v->mismatches, 0);
        dm_verification_free(v);
        v = NULL;
        fx_close(&f);
    }
}
END_TEST

/* n e2ee users of one provider, one item each, no events. */
static char *
many_users(size_t n, size_t *len)
{
    size_t cap = 256 + n * 128, off = 0, i;
    char *t = malloc(cap);

    ck_assert_ptr_nonnull(t);
    off += (size_t)snprintf(t + off, cap - off,
                            "{\"doormat\": 1, \"title\": \"many\", \"regions\": [\"UK\"],"
                            " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\"]}],"
                            " \"users\": [");
    for (i = 0; i < n; i++)
        off += (size_t)snprintf(t + off, cap - off,
                                "%s{\"id\": \"u%zu\", \"region\": \"UK\", \"provider\": \"cloud\","
                                " \"protection\": \"e2ee\", \"items\": [\"backup\"]}",
                                i ? ", " : "", i);
    off += (size_t)snprintf(t + off, cap - off, "]}");
    *len = off;
    return t;
}

START_TEST(test_verify_all_becomes_sample)
{
    /* 4500 users, 1 provider: 4501 parties x 9000 ciphertexts > 1e7. */
    fixture f;
    dm_verification *v = NULL;
    size_t len;
    char *text = many_users(4500, &len);

    fx_open(&f, text, len, 2);
    ck_assert_uint_eq(f.r->w->n_cts, 9000);
    ck_assert_int_eq(dm_crypto_verify(f.c, f.r, DM_VERIFY_ALL, 2, &v), DM_OK);
    ck_assert_uint_eq(v->planned, 4501ull * 9000ull);
    ck_assert_int_eq(v->sampled, 1);
    ck_assert_uint_eq(v->parties, 4501);
    ck_assert_uint_eq(v->sample_size, 1 + DM_VERIFY_SAMPLE_USERS);
    /* cloud sees every ciphertext and opens none: a sample of 256 is
     * tried; each sampled user sees its own two and opens both. */
    ck_assert_uint_eq(v->nonreaches_proven, DM_VERIFY_SAMPLE_CTS);
    ck_assert_uint_eq(v->reaches_proven, 0);
    ck_assert_uint_eq(v->mismatches, 0);
    dm_verification_free(v);
    fx_close(&f);
    free(text);
}
END_TEST

Suite *
crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc;

    tc = tcase_create("instantiate");
    tcase_add_test(tc, test_ct_sizes);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_alloc_failure);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_random_seed);
    suite_add_tcase(s, tc);

    tc = tcase_create("open");
    tcase_add_test(tc, test_right_key_opens);
    tcase_add_test(tc, test_wrong_key_fails);
    tcase_add_test(tc, test_tampered_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("determinism");
    tcase_add_test(tc, test_same_seed_same_bytes);
    tcase_add_test(tc, test_shares_deterministic);
    suite_add_tcase(s, tc);

    tc = tcase_create("shares");
    tcase_add_test(tc, test_shares_k_of_n);
    suite_add_tcase(s, tc);

    tc = tcase_create("verify");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_verify_split_escrow);
    tcase_add_test(tc, test_verify_threads_and_modes_agree);
    tcase_add_test(tc, test_verify_other_world);
    tcase_add_test(tc, test_verify_orders_replayed);
    tcase_add_test(tc, test_verify_compromise_replayed);
    tcase_add_test(tc, test_verify_alloc_failure);
    tcase_add_test(tc, test_verify_all_becomes_sample);
    suite_add_tcase(s, tc);

    tc = tcase_create("corrupted");
    tcase_add_test(tc, test_verify_catches_dropped_reach);
    tcase_add_test(tc, test_verify_catches_false_reach);
    tcase_add_test(tc, test_verify_catches_graph_lie);
    suite_add_tcase(s, tc);

    return s;
}
