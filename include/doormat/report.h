/* report.h - a run's findings as text for people or JSON for programs. */
#ifndef DOORMAT_REPORT_H
#define DOORMAT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/engine.h"

/* The verification verdict (crypto.h) is optional in every report. */
struct dm_verification;

/* What the caller decides for the report; the library reads no environment.
 * All pointers are borrowed for the call. */
typedef struct dm_report_opts {
    uint64_t seed;            /* the seed the run was instantiated with */
    int color;                /* ANSI colour (text only): the CLI sets it on a terminal without NO_COLOR */
    int owners;               /* --owners: list owner reaches too */
    size_t max_rows;          /* text: items listed per actor before "... and N more" (0: 20) */
    const dm_diag *warnings;  /* warnings to repeat in the text report (may be NULL) */
} dm_report_opts;

/* Write the report for people (aligned tables, thousands separators).
 * Returns DM_OK or DM_ERR_IO when writing to `out` failed. */
dm_err dm_report_text(const dm_run *r, const struct dm_verification *v,
                      const dm_report_opts *opts, FILE *out);

/* Write the JSON report (docs/report-format.md), streamed: no tree is built,
 * so millions of reaches cost no memory.  Deterministic bytes for a given
 * run and seed.  Returns DM_OK or DM_ERR_IO. */
dm_err dm_report_json(const dm_run *r, const struct dm_verification *v,
                      const dm_report_opts *opts, FILE *out);

/* Write `n` with thousands separators ("30,000,000") into buf; returns buf. */
const char *dm_report_thousands(uint64_t n, char *buf, size_t len);

#endif
