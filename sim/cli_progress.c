/* cli_progress.c - a progress bar on standard error for long runs. */
#include "cli_progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void dm_cli_progress_init(dm_cli_progress *p, FILE *out)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->enabled = isatty(fileno(out));
    p->start = seconds();
}

void dm_cli_progress_update(void *ctx, const char *stage, double done)
{
    dm_cli_progress *p = ctx;
    char bar[BAR_WIDTH + 1];
    double now;
    int i, filled;

    if (!p || !p->enabled)
        return;
    now = seconds();
    /* Quiet for short runs; then at most ten redraws a second. */
    if (now - p->start < 0.5 || (p->shown && now - p->last < 0.1))
        return;
    if (done < 0)
        done = 0;
    if (done > 1)
        done = 1;
    filled = (int)(done * BAR_WIDTH);
    for (i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(p->out, "\r\033[Kdoormat: [%s] %3d%% %s", bar, (int)(done * 100), stage);
    fflush(p->out);
    p->shown = 1;
    p->last = now;
}

void dm_cli_progress_end(dm_cli_progress *p)
{
    if (p && p->shown) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->shown = 0;
    }
}
