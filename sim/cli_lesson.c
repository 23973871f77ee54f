/* cli_lesson.c - the lesson command: a scenario narrated step by step. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_diag.h"
#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/lesson.h"
#include "doormat/scenario.h"

static void usage(FILE *f)
{
    fputs("Usage: doormat lesson FILE [options]\n"
          "\n"
          "Narrate a scenario step by step: the start, then each time of its\n"
          "timeline, with the lesson's paragraph for that step, what happens, and\n"
          "what became reachable and by whom.  On a terminal it waits for Enter\n"
          "between steps.  At the end every reach is checked by real decryption.\n"
          "\n"
          "Options:\n"
          "      --no-pause        run straight through (the default when standard\n"
          "                        input or output is not a terminal)\n"
          "  -s, --seed N          seed for the keys of the final check\n"
          "                        (default: random, printed)\n"
          "  -h, --help            show this help and exit\n"
          "  -V, --version         show the version and exit\n"
          "\n"
          "Exit status: 0 done; 1 failed (I/O, memory, a verification mismatch);\n"
          "2 bad usage or an invalid scenario.\n",
          f);
}

enum { OPT_NO_PAUSE = 256 };

typedef struct lesson_args {
    const char *file;
    int no_pause;
    int has_seed;
    uint64_t seed;
} lesson_args;

static int parse(int argc, char **argv, lesson_args *a)
{
    static const struct option longopts[] = {
        {"no-pause", no_argument, NULL, OPT_NO_PAUSE},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, rc, seen_seed = 0, seen_pause = 0;

    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("doormat %s\n", DOORMAT_VERSION);
            return -1;
        case OPT_NO_PAUSE:
            if (seen_pause++)
                return dm_cli_usage_error("option '--no-pause' given twice");
            a->no_pause = 1;
            break;
        case 's':
            if (seen_seed++)
                return dm_cli_usage_error("option '--seed' given twice");
            if ((rc = dm_cli_parse_seed(optarg, &a->seed)) != 0)
                return rc;
            a->has_seed = 1;
            break;
        case ':':
            return dm_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return dm_cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if ((rc = dm_cli_one_file("lesson", argc, argv, &a->file)) != 0)
        return rc;
    return 0;
}

/* Wait for Enter.  Returns 1 to go on, 0 when the student typed q (or
 * standard input ended). */
static int wait_enter(int colour)
{
    char line[256];

    fputs(colour ? "\033[2m-- Enter: next step, q: quit --\033[0m " : "-- Enter: next step, q: quit -- ",
          stdout);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL)
        return 0;
    fputc('\n', stdout);
    return !(line[0] == 'q' || line[0] == 'Q');
}

int dm_cli_lesson(int argc, char **argv)
{
    lesson_args a;
    dm_scenario *sc = NULL;
    dm_lesson *l = NULL;
    dm_crypto *crypto = NULL;
    dm_verification *v = NULL;
    char *text = NULL;
    size_t n0, i, n;
    dm_diag d;
    dm_lesson_opts lo;
    int ecolour = dm_cli_diag_colour(stderr), rc, pause, diag_ready = 0, quit = 0;
    dm_err err = DM_OK, verr = DM_OK;

    rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DM_EXIT_OK : rc;

    err = dm_cli_load(a.file, &sc, &text, &d, ecolour);
    diag_ready = 1;
    if (err != DM_OK)
        goto out;
    n0 = d.n;
    err = dm_lesson_new(sc, &l, &d);
    for (i = n0; i < d.n; i++)
        dm_cli_diag_print_entry(stderr, &d, &d.entries[i], ecolour);
    if (err != DM_OK) {
        dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file, "%s", dm_err_str(err));
        goto out;
    }
    if (!a.has_seed && (err = dm_cli_seed(&a.seed, ecolour)) != DM_OK)
        goto out;

    memset(&lo, 0, sizeof lo);
    lo.color = dm_cli_diag_colour(stdout);
    pause = !a.no_pause && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (lo.color)
        fputs("\033[1m", stdout);
    fputs(sc->title ? sc->title : a.file, stdout);
    if (lo.color)
        fputs("\033[0m", stdout);
    fputs("\n\n", stdout);
    n = dm_lesson_n_steps(l);
    for (i = 0; i < n; i++) {
        err = dm_lesson_step(l, i, &lo, stdout);
        if (err != DM_OK)
            goto write_failed;
        if (pause && i + 1 < n && !wait_enter(lo.color)) {
            quit = 1;
            break;
        }
    }
    if (!quit) {
        err = dm_lesson_finish(l, &lo, stdout);
        if (err != DM_OK)
            goto write_failed;
        err = dm_crypto_instantiate(dm_lesson_final(l)->w, a.seed, 0, &crypto);
        if (err == DM_OK) {
            verr = dm_crypto_verify(crypto, dm_lesson_final(l), DM_VERIFY_ALL, 0, &v);
            if (verr != DM_OK && verr != DM_ERR_MISMATCH)
                err = verr;
        }
        if (err != DM_OK) {
            dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file, "verification: %s",
                               dm_err_str(err));
            goto out;
        }
        printf("Checked by real decryption: %" PRIu64 " reaches and %" PRIu64
               " non-reaches replayed; %" PRIu64 " mismatches.\n",
               v->reaches_proven, v->nonreaches_proven, v->mismatches);
        if (v->reaches_direct > 0)
            printf("  (%" PRIu64 " more reached without decryption: owners' items no key opens.)\n",
                   v->reaches_direct);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        err = DM_ERR_IO;
        goto write_failed;
    }
    if (verr == DM_ERR_MISMATCH) {
        dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file,
                           "verification MISMATCH: real decryption disagrees with the closure "
                           "(a bug in doormat)");
        err = verr;
    }
    goto out;
write_failed:
    dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, NULL, "writing the lesson: %s",
                       dm_err_str(err));
out:
    dm_verification_free(v);
    dm_crypto_free(crypto);
    dm_lesson_free(l);
    dm_scenario_free(sc);
    if (diag_ready)
        dm_diag_clear(&d);
    dm_free(text);
    return dm_cli_exit_code(err);
}
