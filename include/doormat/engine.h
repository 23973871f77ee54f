/* engine.h - play the timeline, close each actor's knowledge, classify reaches. */
#ifndef DOORMAT_ENGINE_H
#define DOORMAT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/diag.h"
#include "doormat/scenario.h"
#include "doormat/world.h"
#include "doormat/closure.h" /* the closure of one actor, used by explain and verify */

/* Class of a reach, best first (DESIGN.md "Class of a reach"). */
typedef enum dm_class {
    DM_CLASS_OWNER = 0,
    DM_CLASS_CUSTODIAN,
    DM_CLASS_LAWFUL,
    DM_CLASS_COLLATERAL,
    DM_CLASS_UNLAWFUL,
    DM_CLASS_COUNT
} dm_class;

const char *dm_class_name(dm_class c);

/* A via entry: a key id, or an event index with DM_VIA_EVENT set. */
#define DM_VIA_EVENT 0x80000000u

typedef struct dm_reach {
    uint32_t item;          /* world item id */
    uint8_t cls;            /* dm_class */
    uint8_t beyond_law;     /* some owner of the item is exposed beyond the law by this reach */
    uint32_t via_off;       /* into dm_actor_result.via */
    uint32_t via_len;
} dm_reach;

/* One actor's reaches at the reported step, sorted by item id. */
typedef struct dm_actor_result {
    uint32_t party;
    dm_reach *reaches;
    size_t n_reaches;
    uint32_t *via;          /* source first, item last */
    size_t n_via;
    uint64_t n_by_class[DM_CLASS_COUNT];
} dm_actor_result;

typedef struct dm_region_exposure {
    uint64_t users;
    uint64_t beyond_law;
} dm_region_exposure;

typedef struct dm_exposure {
    uint64_t users;          /* people exposed (cohorts count as their count) */
    uint64_t beyond_law;
    dm_region_exposure *by_region; /* n_regions entries, by each user's region at the step */
} dm_exposure;

/* One step of the timeline (a distinct `at`), for the per-step report. */
typedef struct dm_step {
    int64_t at;
    uint32_t bound;          /* events applied: seq */
    uint64_t exposed;        /* people exposed after this step (with backdoors) */
    uint64_t beyond_law;
    uint64_t exposed_without;
} dm_step;

typedef struct dm_run_opts {
    int has_at;              /* report the state after time `at` (else after the last event) */
    int64_t at;
    int owners;              /* also list owner reaches and owner-only users */
    int steps;               /* compute the per-step summary */
    /* Called now and then with the stage ("expand", "timeline", "closures",
     * "counterfactual", "steps") and how far the whole run is (0..1); NULL:
     * never.  The library prints nothing: a CLI may draw a bar. */
    void (*progress)(void *ctx, const char *stage, double done);
    void *progress_ctx;
} dm_run_opts;

/* Where the time of a run went (seconds, CLOCK_MONOTONIC) and how much work
 * the closure did, for `make bench`. */
typedef struct dm_run_stats {
    double t_expand;         /* dm_world_build, both worlds */
    double t_timeline;       /* playing events: wraps, deliveries */
    double t_closure;        /* every actor's closure and classes */
    double t_exposure;       /* exposure counts */
    double t_traverse;       /* of t_closure: inside the closures proper (graph work, no
                              * classification or witness extraction) */
    uint64_t closure_edges;  /* edges (key->ciphertext, ciphertext->inner, store->deposit) visited */
    uint64_t closure_nodes;  /* facts learned */
} dm_run_stats;

/* Everything a run found.  Owns its world(s) and results. */
typedef struct dm_run {
    const dm_scenario *sc;   /* borrowed */
    dm_scenario *cf_sc;      /* the counterfactual scenario (owned); NULL, like cf_w, when the
                              * scenario has no backdoor or ghost: then it is the run itself */
    dm_world *w;             /* with backdoors (owned) */
    dm_world *cf_w;          /* without (owned) */
    int64_t at;              /* reported time */
    uint32_t bound;          /* number of events applied */
    dm_actor_result *actors; /* providers, declared actors, users reaching non-owned items (with --owners: all users) */
    size_t n_actors;
    uint64_t owner_only_users;   /* people whose user reaches only its own items */
    dm_exposure with, without;
    dm_id *region;           /* per user: its region after the reported step (travel applied) */
    uint64_t *people;        /* per region: people there after the reported step */
    uint8_t *refused;        /* per scenario event: 1 if an order/ghost was refused for want of jurisdiction */
    dm_step *steps;
    size_t n_steps;
    uint64_t worst_case;     /* number of events with p < 1 taken as happening */
    dm_run_stats stats;
} dm_run;

/* Run a scenario: build the world, play the timeline up to the reported
 * time, close every actor's knowledge, classify, count exposure with and
 * without backdoors.  Warnings (refused orders, extraterritorial scopes,
 * providers serving users outside their regions) go to diag. */
dm_err dm_run_scenario(const dm_scenario *s, const dm_run_opts *opts, dm_run **out,
                       dm_diag *diag);
void dm_run_free(dm_run *r);

/* Look up an actor's result by party; NULL when it reaches nothing it does not own. */
const dm_actor_result *dm_run_actor(const dm_run *r, uint32_t party);
/* The actor's reach of `item` (its reaches are sorted by item), or NULL;
 * a may be NULL. */
const dm_reach *dm_run_reach(const dm_actor_result *a, uint32_t item);

#endif
