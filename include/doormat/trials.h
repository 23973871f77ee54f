/* trials.h - Monte Carlo runs: draw each event with its probability, count exposure. */
#ifndef DOORMAT_TRIALS_H
#define DOORMAT_TRIALS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/scenario.h"

/* Each trial draws every event that has a `p` (in timeline order); an event
 * without `p` always happens.  The draws come from splitmix64 (Steele, Lea
 * and Flood 2014) seeded with the seed: one 64-bit output per drawn event
 * per trial, and the event happens when (output >> 11) / 2^53 < p, so p = 0
 * never happens and p = 1 always does.  These are draws, not secrets: no
 * key or nonce comes from this generator.  Each trial then runs the
 * scenario with the events drawn (a copy without the others) and records
 * the people exposed, with and without the backdoors, in all and by region.
 * Trials that draw the same events share one run.
 *
 * Percentiles are nearest-rank: the p-th percentile is the smallest value v
 * such that at least ceil(p/100 * n) trials gave a value <= v. */

#define DM_TRIALS_MAX 100000000ull   /* trials in one call */

/* Called now and then with the trials done so far (for a progress bar). */
typedef void (*dm_trials_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct dm_trials_opts {
    uint64_t n;                  /* trials, 1 .. DM_TRIALS_MAX */
    uint64_t seed;
    dm_trials_progress_fn progress;  /* may be NULL */
    void *ctx;
} dm_trials_opts;

/* Distribution of one count over the trials. */
typedef struct dm_trials_stat {
    double mean;
    uint64_t p5, p50, p95;
    uint64_t min, max;
} dm_trials_stat;

typedef struct dm_trials_measure {
    dm_trials_stat users;        /* people exposed */
    dm_trials_stat beyond_law;   /* people exposed beyond the law */
} dm_trials_measure;

typedef struct dm_trials_event {
    uint32_t event;              /* index into the scenario's (sorted) events */
    uint64_t happened;           /* trials in which it happened */
} dm_trials_event;

/* The result.  Borrows the scenario (it must outlive the result). */
typedef struct dm_trials {
    const dm_scenario *sc;
    uint64_t n, seed;
    uint64_t outcomes;           /* distinct draws, each run once */
    dm_trials_measure with, without;
    dm_trials_measure *with_region, *without_region;  /* sc->n_regions each */
    dm_trials_event *events;     /* the events with a `p`, in timeline order */
    size_t n_events;
} dm_trials;

/* One splitmix64 step: advances *state and returns the next output. */
uint64_t dm_trials_splitmix64(uint64_t *state);

/* Run o->n trials of s.  *out is new, owned by the caller (dm_trials_free),
 * untouched on failure.  Returns DM_OK, DM_ERR_USAGE (n out of range),
 * DM_ERR_NOMEM or what dm_run_scenario returns. */
dm_err dm_trials_run(const dm_scenario *s, const dm_trials_opts *o, dm_trials **out);
void dm_trials_free(dm_trials *t);

/* The distribution for people: events drawn and how often they happened,
 * then mean and percentiles of people exposed.  `file` names the scenario
 * (may be NULL).  Returns DM_OK or DM_ERR_IO. */
dm_err dm_trials_text(const dm_trials *t, const char *file, int color, FILE *out);

/* The same as JSON: {"format": "doormat-trials", "version": 1, ...}.
 * Deterministic bytes for a given scenario, n and seed.  Returns DM_OK or
 * DM_ERR_IO. */
dm_err dm_trials_json(const dm_trials *t, const char *file, FILE *out);

#endif
