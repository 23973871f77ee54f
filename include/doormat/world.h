/* world.h - the expanded key graph: keys, ciphertexts, stores, items, parties. */
#ifndef DOORMAT_WORLD_H
#define DOORMAT_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/diag.h"
#include "doormat/scenario.h"

/* Dense ids.  A "party" is any principal: providers [0,P), declared actors
 * [P,P+A), users [P+A,P+A+U).  Keys, ciphertexts, items, stores and shares
 * each have their own dense space [0,n). */

/* Why a ciphertext exists (for explanations and the counterfactual). */
typedef enum dm_origin {
    DM_ORIGIN_PRESET = 0,   /* made by a protection preset */
    DM_ORIGIN_EXPLICIT,     /* written in wraps[] or items[] */
    DM_ORIGIN_BACKDOOR,     /* escrow wrap made by a backdoor event */
    DM_ORIGIN_DOWNGRADE,    /* hsm wrap made by a downgrade event */
    DM_ORIGIN_GHOST         /* group key wrapped to <authority>.ghost */
} dm_origin;

/* Tags of what lies in a store: how it got there. */
typedef enum dm_tag {
    DM_TAG_CLEAN = 0,       /* by the system's design */
    DM_TAG_ORDER,           /* handed over by an order or a ghost (tag_event says which) */
    DM_TAG_UNLAWFUL         /* handed over from stolen knowledge */
} dm_tag;

typedef enum dm_fact_kind {
    DM_FACT_KEY = 0,        /* id: key */
    DM_FACT_SHARE,          /* id: share */
    DM_FACT_CT,             /* id: ciphertext */
    DM_FACT_ITEM            /* id: item (its plaintext) */
} dm_fact_kind;

typedef struct dm_wkey {
    dm_keyref ref;          /* how the scenario names it */
    dm_key_type type;
    uint32_t share_k;       /* 0: not split */
    uint32_t n_shares;
    uint32_t first_share;   /* shares first_share .. first_share+n_shares-1 */
    uint32_t backdoor_only; /* declared key only a backdoor names (counterfactual drops it) */
} dm_wkey;

typedef struct dm_share {
    uint32_t key;
    uint32_t index;         /* 1-based */
    uint32_t holder;        /* party */
} dm_share;

/* A ciphertext: an item under a key (ct id == item id for items) or a key
 * wrapped under another key (ct ids n_items and up). */
typedef struct dm_ct {
    uint32_t under;         /* key that opens it */
    uint32_t inner;         /* item id or key id */
    uint8_t inner_is_key;
    uint8_t origin;         /* dm_origin */
    uint32_t event;         /* scenario event index for backdoor/downgrade/ghost, else UINT32_MAX */
    uint32_t seq;           /* made at this step (0: from the start) */
} dm_ct;

typedef struct dm_witem {
    char *name;             /* "<owner>/<item>" or the explicit id (owned) */
    uint32_t *owners;       /* user indices (scenario users[]) */
    uint32_t n_owners;
    uint32_t group;         /* scenario group index or UINT32_MAX */
} dm_witem;

/* Something lying in a store since step `seq`. */
typedef struct dm_deposit {
    uint32_t fact_id;
    uint8_t fact_kind;      /* dm_fact_kind */
    uint8_t tag;            /* dm_tag */
    uint32_t tag_event;     /* event index for DM_TAG_ORDER / delivering event, else UINT32_MAX */
    uint32_t seq;
} dm_deposit;

typedef struct dm_store {
    uint32_t owner;         /* party */
    uint32_t device;        /* 0: own store */
    uint32_t *deposits;     /* indices into world->deposits, in seq order */
    uint32_t n, cap;        /* cap 0: deposits points into world->static_deposits */
    uint32_t n_static;      /* deposits [0,n_static) were made by dm_world_build: clean
                             * ciphertexts from step 0, whose ids are
                             * world->static_facts[static_off + i], ascending (equal
                             * ids in deposit order) */
    uint32_t static_off;
} dm_store;

/* Per-step state of users that the timeline changes. */
typedef struct dm_world {
    const dm_scenario *sc;  /* borrowed: must outlive the world */
    size_t n_parties;
    size_t n_providers, n_actors, n_users;

    dm_wkey *keys;
    size_t n_keys;
    dm_share *shares;
    size_t n_shares;
    dm_witem *items;
    size_t n_items;
    dm_ct *cts;             /* [0,n_items): items; then wraps */
    uint32_t *ct_under;     /* cts[i].under again, packed: the closure's hot loop reads it */
    size_t n_cts, cap_cts;
    dm_store *stores;
    size_t n_stores;
    dm_deposit *deposits;
    size_t n_deposits, cap_deposits;

    /* Index helpers. */
    uint32_t *user_dk;        /* per user: key id of <user>.dk, UINT32_MAX if none */
    uint32_t *user_first_dev; /* per user: key id of <user>.dev1 */
    uint32_t *user_first_devstore; /* per user: store id of <user>.dev1 */
    uint32_t *group_gk;       /* per group */
    uint32_t *provider_hsm;   /* per provider */
    uint32_t *actor_ghost;    /* per declared actor: key id or UINT32_MAX */
    uint32_t *declared_key;   /* per scenario key: key id */

    /* For each key, the ciphertexts under it: a CSR over the ciphertexts
     * that existed when dm_world_index ran, then a list of those added since
     * (dyn_head per key, dyn_next per ciphertext, UINT32_MAX ends). */
    uint32_t *opens_off;      /* n_keys + 1 */
    uint32_t *opens;
    size_t n_indexed;         /* ciphertexts covered by the CSR */
    uint32_t *dyn_head;       /* n_keys */
    uint32_t *dyn_next;       /* cap_cts */

    /* While dm_world_build runs, the store of each deposit (then sorted
     * into static_deposits, one slice per store, so millions of stores cost
     * no allocation each). */
    uint32_t *deposit_store;
    uint32_t *static_deposits;
    uint32_t *static_facts;   /* the ciphertext of each static deposit, same slices */
    int building;

    /* Per scenario event: set by the engine when an order or ghost is
     * refused for want of jurisdiction (it then has no effect). */
    uint8_t *event_refused;

    /* Strings (item names) live in chunks owned by the world. */
    char **pool;
    size_t n_pool;
    size_t pool_used;         /* bytes used in the last chunk */
    uint32_t *self_owner;     /* self_owner[u] == u: owners array of a user's own items */
} dm_world;

/* Expand presets into the explicit key graph at step 0 (the timeline adds
 * the rest: see engine.h).  The scenario is borrowed for the world's life.
 * *out is new and owned by the caller (dm_world_free). */
dm_err dm_world_build(const dm_scenario *s, dm_world **out);
void dm_world_free(dm_world *w);

/* Append a ciphertext (a wrap) made at step seq, and deposit it in the given
 * stores.  Returns its id in *ct_out. */
dm_err dm_world_add_wrap(dm_world *w, uint32_t key, uint32_t under, dm_origin origin,
                         uint32_t event, uint32_t seq, const uint32_t *stores,
                         size_t n_stores, uint32_t *ct_out);
/* Put a fact into a store at step seq. */
dm_err dm_world_deposit(dm_world *w, uint32_t store, dm_fact_kind kind, uint32_t id,
                        dm_tag tag, uint32_t tag_event, uint32_t seq);
/* Build the key -> ciphertexts CSR over the ciphertexts made so far; later
 * wraps are linked in by dm_world_add_wrap. */
dm_err dm_world_index(dm_world *w);

/* Party and store lookups. */
uint32_t dm_world_party(const dm_world *w, dm_principal p);
dm_principal dm_world_principal(const dm_world *w, uint32_t party);
uint32_t dm_world_party_store(const dm_world *w, uint32_t party);
uint32_t dm_world_store(const dm_world *w, dm_storeref r);
const char *dm_world_party_id(const dm_world *w, uint32_t party);
dm_actor_kind dm_world_party_kind(const dm_world *w, uint32_t party);
uint32_t dm_world_key(const dm_world *w, dm_keyref r);

/* A key's name in two pieces, without formatting: returns the id it is
 * built on (borrowed from the scenario) and writes the suffix (".dk",
 * ".dev2", "" for a declared key) into sfx.  dm_world_key_name joins them. */
#define DM_WORLD_KEY_SFX 24
const char *dm_world_key_parts(const dm_world *w, uint32_t key, char sfx[DM_WORLD_KEY_SFX]);

/* Names as DESIGN.md spells them ("alice.dev1", "cloud", "alice/photos").
 * Written into buf (always NUL-terminated); returns buf. */
const char *dm_world_key_name(const dm_world *w, uint32_t key, char *buf, size_t len);
const char *dm_world_store_name(const dm_world *w, uint32_t store, char *buf, size_t len);

#endif
