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
 * "known?" and "opened?", so those marks live in arrays of their own (an
 * epoch per fact: a mark equal to the workspace's epoch is set), and the
 * witnesses apart, written once when a fact is learned.
 *
 * info packs the dm_why kind (4 bits), the tag (2 bits) and a source index
 * (26 bits: which store was read through which event, see dm_closure_src). */
typedef struct dm_fstate {
    uint32_t ep;     /* shares: known; items: learned directly (not by opening) */
    uint32_t a;      /* kind-specific: party, ciphertext, event */
    uint32_t b;      /* deposit for DM_WHY_STORE */
    uint32_t info;
} dm_fstate;

typedef struct dm_kwit {
    uint32_t a, b, info; /* as in dm_fstate: valid while kep[key] is the epoch */
} dm_kwit;

/* The marks (kep, cm) hold the epoch they were set in shifted left by 2
 * (`mark` below) and two low bits: a mark from an older epoch reads as
 * clear.  A key's low bits are its tag; a ciphertext's are DM_MARK_KNOWN
 * (read in a store) and DM_MARK_OPEN (opened; for an item's ciphertext,
 * same id as the item: the item is known, however it was learned). */
#define DM_MARK_KNOWN 1u
#define DM_MARK_OPEN 2u
#define DM_EPOCH_MAX (1u << 30)

/* The witness of a ciphertext learned from a deposit one at a time
 * (ep: valid in that epoch).  A ciphertext read in a store's static slice
 * has none: its witness is the first source read whose slice holds it,
 * found when asked (dm_closure_why), so the scan writes one mark, not a
 * witness, per ciphertext. */
typedef struct dm_cwit {
    uint32_t ep, dep, info;
} dm_cwit;

typedef struct dm_closure_src {
    uint32_t store;      /* store read, or UINT32_MAX */
    uint32_t via_event;  /* breach/compromise it came through, or UINT32_MAX */
    uint32_t tag;        /* dm_tag of what the read yields */
    uint32_t scanned;    /* its static slice was read */
} dm_closure_src;

struct dm_closure {
    const dm_world *w;
    uint32_t ep;                 /* epoch: a state whose ep equals it is set */
    uint32_t mark;               /* ep << 2: the marks of this epoch */
    size_t cap_cts;
    uint32_t *kep;               /* keys known: mark | tag */
    dm_kwit *kwit;               /* their witnesses */
    uint32_t *cm;                /* ciphertexts known and opened (items known): mark | flags */
    dm_cwit *cwit;               /* witnesses of ciphertexts not read in a static slice */
    dm_fstate *iwit, *sst;       /* items learned directly; shares */
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
