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

/* What the workspace keeps per fact: the epoch it was learned in and its
 * witness, packed in 16 bytes so one cache line serves both.  info packs
 * the dm_why kind (4 bits), the tag (2 bits) and a source index (26 bits:
 * which store was read through which event, see dm_closure_src). */
typedef struct dm_fstate {
    uint32_t ep;
    uint32_t a;      /* kind-specific: party, ciphertext, event */
    uint32_t b;      /* deposit for DM_WHY_STORE */
    uint32_t info;
} dm_fstate;

typedef struct dm_cstate {
    uint32_t ep;     /* known (read in a store) */
    uint32_t open;   /* opened */
    uint32_t dep;    /* the deposit it was read from */
    uint32_t info;
} dm_cstate;

typedef struct dm_closure_src {
    uint32_t store;      /* store read, or UINT32_MAX */
    uint32_t via_event;  /* breach/compromise it came through, or UINT32_MAX */
} dm_closure_src;

struct dm_closure {
    const dm_world *w;
    uint32_t ep;                 /* epoch: a state whose ep equals it is set */
    size_t cap_cts;
    dm_fstate *kst, *ist, *sst;  /* keys, items, shares */
    dm_cstate *cst;              /* ciphertexts */
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
