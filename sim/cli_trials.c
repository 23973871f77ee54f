/* cli_trials.c - the trials command: Monte Carlo over the events' probabilities. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_diag.h"
#include "doormat/alloc.h"
#include "doormat/scenario.h"
#include "doormat/trials.h"

#define DEFAULT_TRIALS 1000

static void usage(FILE *f)
{
    fputs("Usage: doormat trials FILE [options]\n"
          "\n"
          "Monte Carlo: in each trial every event with a probability p happens\n"
          "with that probability (events without p always happen); report the\n"
          "distribution of people exposed (mean, 5th, 50th and 95th percentiles),\n"
          "in all and by region, beyond the law too, with and without the\n"
          "backdoors.  The draws come from splitmix64 seeded with --seed: the\n"
          "same seed gives the same bytes.\n"
          "\n"
          "Options:\n"
          "  -n, --trials N        number of trials, 1 to 100000000 (default: 1000)\n"
          "  -s, --seed N          seed of the draws (default: random, printed)\n"
          "  -f, --format FORMAT   text or json (default: text)\n"
          "  -h, --help            show this help and exit\n"
          "  -V, --version         show the version and exit\n"
          "\n"
          "A progress bar goes to standard error when it is a terminal.\n"
          "Exit status: 0 done; 1 failed (I/O, memory); 2 bad usage or an invalid\n"
          "scenario.\n",
          f);
}

typedef struct trials_args {
    const char *file;
    uint64_t n;
    int has_seed;
    uint64_t seed;
    int json;
} trials_args;

static int parse(int argc, char **argv, trials_args *a)
{
    static const struct option longopts[] = {
        {"trials", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, rc, seen_n = 0, seen_s = 0, seen_f = 0;

    memset(a, 0, sizeof *a);
    a->n = DEFAULT_TRIALS;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:s:f:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("doormat %s\n", DOORMAT_VERSION);
            return -1;
        case 'n':
            if (seen_n++)
                return dm_cli_usage_error("option '--trials' given twice");
            if (dm_cli_parse_u64(optarg, &a->n) != 0 || a->n == 0 || a->n > DM_TRIALS_MAX)
                return dm_cli_usage_error("--trials: '%s' is not a number from 1 to %llu",
                                          optarg, (unsigned long long)DM_TRIALS_MAX);
            break;
        case 's':
            if (seen_s++)
                return dm_cli_usage_error("option '--seed' given twice");
            if ((rc = dm_cli_parse_seed(optarg, &a->seed)) != 0)
                return rc;
            a->has_seed = 1;
            break;
        case 'f':
            if (seen_f++)
                return dm_cli_usage_error("option '--format' given twice");
            if ((rc = dm_cli_parse_text_json(optarg, &a->json)) != 0)
                return rc;
            break;
        case ':':
            return dm_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return dm_cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if ((rc = dm_cli_one_file("trials", argc, argv, &a->file)) != 0)
        return rc;
    return 0;
}

/* A progress bar on standard error (only when it is a terminal). */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
    char bar[41];
    unsigned filled = (unsigned)(done * 40 / total), i;

    (void)ctx;
    for (i = 0; i < 40; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[40] = '\0';
    fprintf(stderr, "\rdoormat: trials [%s] %3u%% %" PRIu64 "/%" PRIu64, bar,
            (unsigned)(done * 100 / total), done, total);
    if (done == total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

int dm_cli_trials(int argc, char **argv)
{
    trials_args a;
    dm_scenario *sc = NULL;
    dm_trials *t = NULL;
    dm_trials_opts to;
    char *text = NULL;
    dm_diag d;
    int colour = dm_cli_diag_colour(stderr), rc, diag_ready = 0;
    dm_err err = DM_OK;

    rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DM_EXIT_OK : rc;
    err = dm_cli_load(a.file, &sc, &text, &d, colour);
    diag_ready = 1;
    if (err != DM_OK)
        goto out;
    if (!a.has_seed && (err = dm_cli_seed(&a.seed, colour)) != DM_OK)
        goto out;
    memset(&to, 0, sizeof to);
    to.n = a.n;
    to.seed = a.seed;
    to.progress = isatty(STDERR_FILENO) ? progress : NULL;
    err = dm_trials_run(sc, &to, &t);
    if (err != DM_OK) {
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, a.file, "trials: %s", dm_err_str(err));
        goto out;
    }
    err = a.json ? dm_trials_json(t, a.file, stdout)
                 : dm_trials_text(t, a.file, dm_cli_diag_colour(stdout), stdout);
    if (err == DM_OK && (fflush(stdout) != 0 || ferror(stdout)))
        err = DM_ERR_IO;
    if (err != DM_OK)
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, NULL, "writing the trials: %s",
                           dm_err_str(err));
out:
    dm_trials_free(t);
    dm_scenario_free(sc);
    if (diag_ready)
        dm_diag_clear(&d);
    dm_free(text);
    return dm_cli_exit_code(err);
}
