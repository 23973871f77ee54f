/* diff.h - what changes between two runs: reaches per actor, exposure per region. */
#ifndef DOORMAT_DIFF_H
#define DOORMAT_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/engine.h"

/* Actors are matched by id, items by name, regions by name: the two runs
 * may come from different scenarios.  A reach is (actor, item, class) as
 * the runs report it (owners' own reaches are not compared). */

typedef enum dm_diff_kind {
    DM_DIFF_GAINED = 0,      /* B reaches the item, A does not */
    DM_DIFF_CHANGED,         /* both reach it, with different classes */
    DM_DIFF_LOST             /* A reaches it, B does not */
} dm_diff_kind;

typedef struct dm_diff_change {
    dm_diff_kind kind;
    const char *item;        /* item name (borrowed from the run that reaches it, B first) */
    const dm_run *owners_run;/* the run whose item gives the owners */
    uint32_t owners_item;    /* that run's world item id */
    int cls_a, cls_b;        /* dm_class, or -1 when that run does not reach it */
} dm_diff_change;

/* One actor of either run, in A's order then B's actors not in A. */
typedef struct dm_diff_actor {
    const char *id;          /* borrowed from a run */
    const char *kind;        /* "provider", "government"... */
    int in_a, in_b;          /* whether the id names a principal of A's / B's scenario */
    dm_diff_change *changes; /* gained, then changed, then lost; each in item order */
    size_t n_changes;
} dm_diff_actor;

typedef struct dm_diff_region {
    const char *name;        /* borrowed from a scenario */
    int in_a, in_b;
    dm_region_exposure with_a, with_b, without_a, without_b;
} dm_diff_region;

/* The whole comparison.  Borrows both runs: they must outlive it. */
typedef struct dm_diff {
    const dm_run *a, *b;
    dm_diff_actor *actors;
    size_t n_actors;
    dm_diff_region *regions; /* A's regions, then B's not in A */
    size_t n_regions;
} dm_diff;

/* Compare run b with run a.  *out is new, owned by the caller
 * (dm_diff_free), untouched on failure.  Returns DM_OK or DM_ERR_NOMEM. */
dm_err dm_diff_compute(const dm_run *a, const dm_run *b, dm_diff **out);
void dm_diff_free(dm_diff *d);

typedef struct dm_diff_opts {
    const char *file_a, *file_b;  /* names to show (borrowed; NULL: the scenarios' files) */
    int color;                    /* ANSI colour (text only): the CLI decides */
} dm_diff_opts;

/* The comparison for people: exposure tables with and without the
 * backdoors, then each actor's gained, changed and lost reaches.
 * Returns DM_OK or DM_ERR_IO. */
dm_err dm_diff_text(const dm_diff *d, const dm_diff_opts *o, FILE *out);

/* The comparison as JSON ({"format": "doormat-diff", "version": 1, ...};
 * docs/diff-format.md).  Deterministic bytes.  Returns DM_OK or DM_ERR_IO. */
dm_err dm_diff_json(const dm_diff *d, const dm_diff_opts *o, FILE *out);

#endif
