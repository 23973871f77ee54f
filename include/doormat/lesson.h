/* lesson.h - a scenario's timeline narrated step by step, for the classroom. */
#ifndef DOORMAT_LESSON_H
#define DOORMAT_LESSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"

/* Steps: step 0 is the start (before the first event), then one step per
 * distinct `at` of the timeline, in order.  Paragraph i of the scenario's
 * `lesson` goes with step i; paragraphs beyond the last step are written by
 * dm_lesson_finish.  Each step says, in plain words, what happens at its
 * time and what became reachable, and by whom, since the previous step (a
 * new reach, or a reach whose class changed), then how many people are
 * exposed. */

/* What the caller decides; the library reads no environment. */
typedef struct dm_lesson_opts {
    int color;               /* ANSI colour: the CLI sets it on a terminal without NO_COLOR */
    size_t width;            /* wrap paragraphs at this many columns (0: 72) */
} dm_lesson_opts;

typedef struct dm_lesson dm_lesson;

/* Prepare a narration of `s` (borrowed: it must outlive the lesson).  Runs
 * the whole scenario once; its warnings (refused orders, extraterritorial
 * scopes) go to `diag` (may be NULL).  *out is new, owned by the caller
 * (dm_lesson_free), untouched on failure.  Returns DM_OK, DM_ERR_NOMEM or
 * what dm_run_scenario returns. */
dm_err dm_lesson_new(const dm_scenario *s, dm_lesson **out, dm_diag *diag);

/* Free a lesson; accepts NULL. */
void dm_lesson_free(dm_lesson *l);

/* Number of steps (1 + the number of distinct times). */
size_t dm_lesson_n_steps(const dm_lesson *l);

/* The run at the end of the timeline (borrowed from l). */
const dm_run *dm_lesson_final(const dm_lesson *l);

/* Write step i (0-based).  Steps are meant to be written in order; any
 * order works (the previous step is recomputed when needed).  Returns
 * DM_OK, DM_ERR_USAGE (i out of range), DM_ERR_NOMEM, DM_ERR_IO or what
 * dm_run_scenario returns. */
dm_err dm_lesson_step(dm_lesson *l, size_t i, const dm_lesson_opts *o, FILE *out);

/* Write the paragraphs left after the last step (nothing when none are).
 * Returns DM_OK or DM_ERR_IO. */
dm_err dm_lesson_finish(const dm_lesson *l, const dm_lesson_opts *o, FILE *out);

/* One event in plain words, e.g. "uk-gov orders cloud to hand over the data
 * of users in UK (uk-order)." into buf (always NUL-terminated); `r` gives
 * key and store names and whether the event was refused.  Returns buf. */
const char *dm_lesson_event_text(const dm_run *r, uint32_t event, char *buf, size_t len);

#endif
