/* cli_progress.h - a progress bar on standard error for long runs (CLI only). */
#ifndef DOORMAT_CLI_PROGRESS_H
#define DOORMAT_CLI_PROGRESS_H

#include <stdio.h>

/* State of one bar.  Nothing is drawn unless `out` is a terminal, and
 * nothing before half a second: short runs stay quiet. */
typedef struct dm_cli_progress {
    FILE *out;
    int enabled;
    int shown;
    double start;
    double last;
} dm_cli_progress;

void dm_cli_progress_init(dm_cli_progress *p, FILE *out);
/* Matches dm_run_opts.progress: ctx is a dm_cli_progress. */
void dm_cli_progress_update(void *ctx, const char *stage, double done);
/* Erase the bar if one was drawn. */
void dm_cli_progress_end(dm_cli_progress *p);

#endif
