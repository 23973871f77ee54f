/* scenario.h - a loaded and validated scenario (format version 1). */
#ifndef DOORMAT_SCENARIO_H
#define DOORMAT_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/diag.h"

/* Indices into the scenario's tables; DM_NONE marks "absent". */
typedef uint32_t dm_id;
#define DM_NONE UINT32_MAX

/* Documented limits (README "Limits").  Each is a clear error. */
#define DM_LIMIT_FILE_BYTES    ((size_t)1 << 30)   /* 1 GiB scenario file */
#define DM_LIMIT_DEPTH         64                  /* JSON nesting depth */
#define DM_LIMIT_ID_BYTES      128                 /* one id */
#define DM_LIMIT_ENTITIES      20000000            /* users+groups+keys+items+wraps */
#define DM_LIMIT_EVENTS        100000
#define DM_LIMIT_DEVICES       64                  /* devices of one user */
#define DM_LIMIT_TIME          1000000000LL        /* |at| bound */
#define DM_LIMIT_COUNT         1000000000000ULL    /* people in one cohort (10^12) */
#define DM_LIMIT_ORDERS        64                  /* order + ghost events */

typedef enum dm_protection {
    DM_PROTECTION_NONE = 0,   /* explicit user: no preset keys */
    DM_PROTECTION_E2EE,
    DM_PROTECTION_PROVIDER
} dm_protection;

/* Kinds of principal.  Users, providers and declared actors are all
 * principals; see dm_scenario_principal(). */
typedef enum dm_actor_kind {
    DM_ACTOR_PROVIDER = 0,
    DM_ACTOR_GOVERNMENT,
    DM_ACTOR_ATTACKER,
    DM_ACTOR_AGENT,
    DM_ACTOR_USER
} dm_actor_kind;

typedef enum dm_key_type { DM_KEY_SYMMETRIC = 0, DM_KEY_KEYPAIR } dm_key_type;

/* Where a key reference points.  Preset keys are not declared in the file
 * but may be named by explicit wraps, items and events. */
typedef enum dm_keyref_kind {
    DM_KEYREF_DECLARED = 0, /* idx: keys[]                       */
    DM_KEYREF_DK,           /* idx: users[]     "<user>.dk"       */
    DM_KEYREF_DEV,          /* idx: users[], sub: device 1..n     */
    DM_KEYREF_GK,           /* idx: groups[]    "<group>.gk"      */
    DM_KEYREF_HSM,          /* idx: providers[] "<provider>.hsm"  */
    DM_KEYREF_GHOST         /* idx: actors[]    "<actor>.ghost"   */
} dm_keyref_kind;

typedef struct dm_keyref {
    dm_keyref_kind kind;
    dm_id idx;
    uint32_t sub;
} dm_keyref;

/* A principal: provider, declared actor or user (kind tells which table). */
typedef struct dm_principal {
    dm_actor_kind kind;   /* DM_ACTOR_PROVIDER: providers[]; DM_ACTOR_USER: users[]; else actors[] */
    dm_id idx;
} dm_principal;

/* A store: a principal's own store, or a user's device (sub = 1..devices). */
typedef struct dm_storeref {
    dm_principal owner;
    uint32_t device;      /* 0: the principal's own store */
} dm_storeref;

typedef struct dm_provider {
    char *id;
    dm_id *regions;       /* regions it operates in */
    size_t n_regions;
    size_t offset;        /* byte offset of the entry in the file */
} dm_provider;

typedef struct dm_user {
    char *id;
    dm_id region;
    dm_id provider;       /* DM_NONE: explicit user */
    dm_protection protection;
    uint32_t devices;     /* 0 when explicit */
    uint64_t count;       /* people this entry stands for (1 unless a cohort) */
    char **items;         /* preset item names (the part after "<user>/") */
    size_t n_items;
    dm_id *groups;        /* groups it belongs to (filled by validation) */
    size_t n_groups;
    size_t offset;
} dm_user;

typedef struct dm_group {
    char *id;
    dm_id *members;       /* users[] */
    size_t n_members;
    dm_id provider;
    char **items;
    size_t n_items;
    size_t offset;
} dm_group;

typedef struct dm_actor {
    char *id;
    dm_actor_kind kind;   /* government, attacker or agent */
    dm_id region;         /* DM_NONE when not given (attackers) */
    size_t offset;
} dm_actor;

typedef struct dm_key {
    char *id;
    dm_key_type type;
    dm_principal *holders;   /* hold the whole key from the start */
    size_t n_holders;
    uint32_t share_k;        /* 0: not split */
    dm_principal *share_holders; /* share i (1-based) is share_holders[i-1] */
    size_t n_shares;
    size_t offset;
} dm_key;

typedef struct dm_wrap {
    dm_keyref key;           /* the key inside */
    dm_keyref under;         /* the key that opens it */
    dm_storeref *at;
    size_t n_at;
    size_t offset;
} dm_wrap;

typedef struct dm_item {
    char *id;
    dm_id *owners;           /* users[] */
    size_t n_owners;
    dm_keyref under;
    dm_storeref *at;
    size_t n_at;
    size_t offset;
} dm_item;

typedef enum dm_event_kind {
    DM_EVENT_BACKDOOR = 0,
    DM_EVENT_ORDER,
    DM_EVENT_STEAL,
    DM_EVENT_BREACH,
    DM_EVENT_COMPROMISE,
    DM_EVENT_GHOST,
    DM_EVENT_TRAVEL,
    DM_EVENT_DOWNGRADE
} dm_event_kind;

typedef enum dm_demand { DM_DEMAND_DATA = 0, DM_DEMAND_KEYS } dm_demand;

/* A scope: all users, or the union of regions and named users.  An absent
 * scope on an order means the authority's own region (filled in by
 * validation, so `given` tells whether the file said it). */
typedef struct dm_scope {
    int all;
    int given;
    dm_id *regions;
    size_t n_regions;
    dm_id *users;
    size_t n_users;
} dm_scope;

typedef struct dm_event {
    char *id;                /* "id" from the file, else "<do>@<at>" (".2", ".3" on clashes) */
    dm_event_kind kind;
    int64_t at;
    double p;                /* probability, 1.0 when absent */
    int has_p;
    dm_principal by;         /* order/steal/breach/compromise/ghost */
    dm_id provider;          /* backdoor/order/downgrade */
    dm_keyref key;           /* backdoor/steal */
    uint32_t share;          /* steal: 1-based share index, 0 = whole key */
    dm_storeref store;       /* breach */
    dm_principal victim;     /* compromise: "actor" */
    dm_id group;             /* ghost */
    dm_id user;              /* travel */
    dm_id region;            /* travel/downgrade */
    dm_scope scope;          /* backdoor/order */
    dm_demand demand;        /* order */
    size_t file_index;       /* position in the file's events[] */
    size_t offset;
} dm_event;

/* The whole scenario.  Owns every string and array it points to. */
typedef struct dm_scenario {
    char *file;              /* file name as given to the loader */
    char *title;
    char **lesson;
    size_t n_lesson;
    char **regions;
    size_t n_regions;
    dm_provider *providers;
    size_t n_providers;
    dm_user *users;
    size_t n_users;
    dm_group *groups;
    size_t n_groups;
    dm_actor *actors;
    size_t n_actors;
    dm_key *keys;
    size_t n_keys;
    dm_wrap *wraps;
    size_t n_wraps;
    dm_item *items;
    size_t n_items;
    dm_event *events;        /* sorted by (at, file order) */
    size_t n_events;
    uint64_t people;         /* sum of users' counts */
} dm_scenario;

/* Parse and validate `len` bytes of JSON text from `file` (a name for
 * messages).  On success *out is a new scenario the caller frees with
 * dm_scenario_free; on failure *out is untouched and `diag` holds every error
 * found (capped).  Warnings may be added on success too.
 * Returns DM_OK, DM_ERR_SCENARIO, DM_ERR_LIMIT or DM_ERR_NOMEM. */
dm_err dm_scenario_load(const char *text, size_t len, const char *file,
                        dm_scenario **out, dm_diag *diag);

/* Read a whole file and load it.  Errors opening or reading give DM_ERR_IO
 * with a diagnostic.  *text_out (if not NULL) receives the file's text (the
 * caller frees it with dm_free) so diagnostics can quote it. */
dm_err dm_scenario_load_file(const char *path, dm_scenario **out,
                             char **text_out, size_t *len_out, dm_diag *diag);

/* Free a scenario; accepts NULL. */
void dm_scenario_free(dm_scenario *s);

/* A copy without backdoor and ghost events, without declared keys that only
 * a backdoor names (no wrap or item uses them), and without steals of those
 * keys or of ghost keys: the counterfactual of DESIGN.md. */
dm_err dm_scenario_counterfactual(const dm_scenario *s, dm_scenario **out);

/* Helpers over principals. */
const char *dm_scenario_principal_id(const dm_scenario *s, dm_principal p);
dm_id dm_scenario_principal_region(const dm_scenario *s, dm_principal p); /* DM_NONE if none */
const char *dm_actor_kind_name(dm_actor_kind k);
const char *dm_event_kind_name(dm_event_kind k);
/* Whether scope `sc` holds user `user` while it is in region `region`:
 * "all", the user's region listed, or the user named. */
int dm_scope_holds(const dm_scope *sc, dm_id user, dm_id region);

#endif
