/* closure_int.h - the closure workspace, shared by engine.c and closure.c. */
#ifndef DOORMAT_CLOSURE_INT_H
#define DOORMAT_CLOSURE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/engine.h"

/* Which facts a closure admits, by their tag (DESIGN.md "Class of a reach"):
 * the classes are computed as closures over growing sets of facts. */
typedef enum dm_filter {
    DM_FILTER_CLEAN = 0,    /* by design only: custodian */
    DM_FILTER_MASK,         /* + deliveries of the orders/ghosts in mask: lawful */
    DM_FILTER_LEGAL,        /* + every order/ghost delivery: collateral */
    DM_FILTER_ALL           /* + theft, breach, compromise: unlawful */
} dm_filter;

/* What the workspace keeps per fact.  The closure's hot loops only ask
 * "known?" and "opened?", so those marks live in arrays of their own, and
 * the witnesses apart, written once when a fact is learned.
 *
 * A key known is a bit (kbit: a few hundred kilobytes for millions of
 * keys, so the test every ciphertext read makes stays in the cache) and
 * its tag a byte (ktag).  The bits are cleared at the start of the next
 * computation from its list of keys learned (the worklist keeps them all).
 *
 * A ciphertext's mark (cm) holds the epoch it was set in, shifted left by
 * DM_MARK_BITS (`mark` in dm_closure), and flags in the low bits: a mark
 * from an older epoch reads as clear, so a new computation clears nothing.
 * The flags:
 *   DM_MARK_KNOWN  read in a store;
 *   DM_MARK_OPEN   opened; for an item's ciphertext (same id as the item):
 *                  the item is known, however it was learned;
 *   DM_MARK_IWIT   the item was learned directly: its witness is in iwit
 *                  (an opened item's is its ciphertext and that one's key);
 *   DM_MARK_CWIT   the ciphertext came from a deposit taken one at a time:
 *                  its witness is in cwit.  One read in a store's static
 *                  slice has none: its witness is the first source read
 *                  whose slice holds it, found when asked (dm_closure_why),
 *                  so the scan writes a mark, not a witness, per ciphertext.
 *
 * info packs the dm_why kind (4 bits), the tag (2 bits) and a source index
 * (26 bits: which store was read through which event, see dm_closure_src). */
#define DM_MARK_KNOWN 1u
#define DM_MARK_OPEN 2u
#define DM_MARK_IWIT 4u
#define DM_MARK_CWIT 8u
#define DM_MARK_BITS 4
#define DM_MARK_FLAGS 15u
#define DM_EPOCH_MAX (1u << (32 - DM_MARK_BITS))

typedef struct dm_fstate {   /* a share's */
    uint32_t ep;             /* known in this epoch */
    uint32_t a;              /* kind-specific: party, event (as dm_why.a) */
    uint32_t b;              /* deposit for DM_WHY_STORE */
    uint32_t info;
} dm_fstate;

/* A key's, an item's learned directly, a ciphertext's from one deposit:
 * x is the deposit for DM_WHY_STORE, else the kind's own (dm_why.a: the
 * party, the ciphertext opened, the event); no kind needs both. */
typedef struct dm_wit {
    uint32_t x;
    uint32_t info;
} dm_wit;

typedef struct dm_closure_src {
    uint32_t store;      /* store read, or UINT32_MAX */
    uint32_t via_event;  /* breach/compromise it came through, or UINT32_MAX */
    uint32_t tag;        /* dm_tag of what the read yields */
    uint32_t scanned;    /* its static slice was read */
} dm_closure_src;

struct dm_closure {
    const dm_world *w;
    uint32_t ep;                 /* epoch: a state whose ep equals it is set */
    uint32_t mark;               /* ep << DM_MARK_BITS: the marks of this epoch */
    size_t cap_cts;
    uint64_t *kbit;              /* keys known: a bit each (a few hundred KB: cache-resident) */
    uint8_t *ktag;               /* their tags */
    dm_wit *kwit;                /* their witnesses */
    uint32_t *cm;                /* ciphertexts known and opened (items known): mark | flags */
    dm_wit *cwit;                /* their witnesses, with DM_MARK_CWIT */
    dm_wit *iwit;                /* items learned directly, with DM_MARK_IWIT */
    dm_fstate *sst;              /* shares */
    uint32_t *cnt_ep, *share_cnt;
    uint32_t *stack;             /* keys learned, in order: the worklist, first in first out */
    size_t n_stack;
    uint32_t *learned;           /* items learned, in order */
    size_t n_learned;
    uint32_t *clist;             /* ciphertexts known, in order (dm_closure_compute only) */
    size_t n_clist;
    int lists;                   /* record clist */
    uint32_t *party_ep, *party_bound;
    dm_closure_src *src;         /* sources of the current computation */
    size_t n_src, cap_src;
    uint32_t last_scanned;       /* the last source whose static slice was read, or 0 */

    /* Per-party tables built once from the world. */
    uint32_t *held_off, *held;       /* keys held from the start */
    uint32_t *hshare_off, *hshare;   /* shares held from the start */
    uint32_t *ev_off, *ev;           /* events the party performs (by) */
    uint32_t *own_off, *own;         /* per user: items it owns */
    uint32_t *order_rank;            /* per event: bit of an order/ghost, else UINT32_MAX */

    /* The current computation. */
    uint32_t party, bound;
    dm_filter filter;
    uint64_t mask;
    int saw_order, saw_unlawful;
    uint64_t edges, nodes;
    double t_run;                    /* seconds inside dm_closure_run (graph work only) */
    dm_err err;
};

/* Compute what `party` knows after `bound` events, admitting facts by
 * `filter` (mask: for DM_FILTER_MASK, the order ranks admitted). */
dm_err dm_closure_run(dm_closure *c, uint32_t party, uint32_t bound, dm_filter filter,
                      uint64_t mask);

/* The witness of a learned item as a via list (keys and events, source
 * first), appended to *via (grown with dm_realloc).  *order_mask receives
 * the ranks of the orders and ghosts on the path. */
dm_err dm_closure_via(const dm_closure *c, uint32_t item, uint32_t **via, size_t *n_via,
                      size_t *cap_via, uint64_t *order_mask);

#endif
