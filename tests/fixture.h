/* fixture.h - a scenario loaded from a string and run, for the Check suites. */
#ifndef DOORMAT_TEST_FIXTURE_H
#define DOORMAT_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

#include "doormat/engine.h"
#include "doormat/scenario.h"

typedef struct fx {
    dm_scenario *s;
    dm_run *r;
    dm_diag d;
} fx;

/* Load `json` (named `name` in diagnostics) and run it with `o`; the test
 * fails, printing the diagnostics, if either step does. */
void fx_run_opts(fx *f, const char *name, const char *json, const dm_run_opts *o);
void fx_free(fx *f);

/* The party named `id` (the test fails if there is none). */
uint32_t party_of(const dm_run *r, const char *id);
/* The class name of `actor`'s reach of `item`, or "none". */
const char *cls(const dm_run *r, const char *actor, const char *item);

/* A writer into `out` failing its n-th allocation, for n = 1, 2, ... until
 * it succeeds (within `max` tries): every failure must be a clean
 * DM_ERR_NOMEM, never a crash, and a run must succeed. */
void fx_fails_cleanly(dm_err (*write)(void *ctx, FILE *out), void *ctx, size_t max);

#endif
