/* closure.h - one actor's knowledge closure, with a witness for every fact. */
#ifndef DOORMAT_CLOSURE_H
#define DOORMAT_CLOSURE_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/diag.h"
#include "doormat/world.h"

/* Why an actor knows a fact. */
typedef enum dm_why_kind {
    DM_WHY_NONE = 0,        /* not known */
    DM_WHY_HELD,            /* held from the start (keys[].holders, presets; a: party that held it) */
    DM_WHY_OWNER,           /* the actor (or victim a) owns the item */
    DM_WHY_STORE,           /* read in store a (deposit b) */
    DM_WHY_OPENED,          /* opened ciphertext a with its key */
    DM_WHY_SHARES,          /* k shares gathered */
    DM_WHY_STEAL,           /* event a */
    DM_WHY_GHOSTKEY         /* event a made <authority>.ghost */
} dm_why_kind;

typedef struct dm_why {
    uint8_t kind;           /* dm_why_kind */
    uint8_t tag;            /* dm_tag of the fact for this actor */
    uint32_t a, b;
    uint32_t via_event;     /* breach/compromise event the fact came through, or UINT32_MAX */
} dm_why;

typedef struct dm_closure dm_closure;

/* A reusable workspace over a world (a run's r->w or r->cf_w), which must
 * outlive it.  *out is new, freed with dm_closure_free (accepts NULL). */
dm_err dm_closure_new(const dm_world *w, dm_closure **out);
void dm_closure_free(dm_closure *c);
/* Compute everything `party` knows after `bound` events, by any path
 * (lawful or not).  Previous results in c are discarded. */
dm_err dm_closure_compute(dm_closure *c, uint32_t party, uint32_t bound);
/* Queries on the last computation. */
dm_why dm_closure_why(const dm_closure *c, dm_fact_kind kind, uint32_t id);
int dm_closure_knows(const dm_closure *c, dm_fact_kind kind, uint32_t id);
/* What the last dm_closure_compute learned, in the order learned: keys,
 * ciphertexts known (read in a store, opened or not), items.  *ids is borrowed from c
 * until its next computation; the count is returned.  Lets a caller visit
 * one party's knowledge without scanning the whole world. */
size_t dm_closure_keys(const dm_closure *c, const uint32_t **ids);
size_t dm_closure_cts(const dm_closure *c, const uint32_t **ids);
size_t dm_closure_items(const dm_closure *c, const uint32_t **ids);

#endif
