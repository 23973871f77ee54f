/* cli_diff.c - the diff command: what scenario B changes compared with A. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_diag.h"
#include "doormat/alloc.h"
#include "doormat/diff.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"

static void usage(FILE *f)
{
    fputs("Usage: doormat diff A.json B.json [options]\n"
          "\n"
          "Compare two scenarios (or two designs of one): per actor, matched by id,\n"
          "what B reaches that A does not, what A reaches that B does not, and\n"
          "which reaches changed class; per region, people exposed with and\n"
          "without the backdoors in A and in B.\n"
          "\n"
          "Options:\n"
          "  -f, --format FORMAT   text or json (default: text)\n"
          "      --at T            compare the states after time T (default: after\n"
          "                        each scenario's last event)\n"
          "  -h, --help            show this help and exit\n"
          "  -V, --version         show the version and exit\n"
          "\n"
          "Exit status: 0 done; 1 failed (I/O, memory); 2 bad usage or an invalid\n"
          "scenario.\n",
          f);
}

enum { OPT_AT = 256 };

typedef struct diff_args {
    const char *file[2];
    int json;
    int has_at;
    int64_t at;
} diff_args;

static int parse(int argc, char **argv, diff_args *a)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"at", required_argument, NULL, OPT_AT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, rc, seen_f = 0, seen_at = 0;

    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("doormat %s\n", DOORMAT_VERSION);
            return -1;
        case 'f':
            if (seen_f++)
                return dm_cli_usage_error("option '--format' given twice");
            if ((rc = dm_cli_parse_text_json(optarg, &a->json)) != 0)
                return rc;
            break;
        case OPT_AT:
            if (seen_at++)
                return dm_cli_usage_error("option '--at' given twice");
            if ((rc = dm_cli_parse_at(optarg, &a->at)) != 0)
                return rc;
            a->has_at = 1;
            break;
        case ':':
            return dm_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return dm_cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2)
        return dm_cli_usage_error("diff: two scenario files needed (A.json B.json)");
    if (argc - optind > 2)
        return dm_cli_usage_error("diff: unexpected argument '%s' (two files only)",
                                  argv[optind + 2]);
    a->file[0] = argv[optind];
    a->file[1] = argv[optind + 1];
    return 0;
}

typedef struct side {
    dm_scenario *sc;
    dm_run *run;
    char *text;
    dm_diag d;
    int ready;
} side;

/* Load and run one side, printing its diagnostics. */
static dm_err load_run(side *s, const char *file, const diff_args *a, int colour)
{
    dm_run_opts o;
    size_t n0, i;
    dm_err err;

    err = dm_cli_load(file, &s->sc, &s->text, &s->d, colour);
    s->ready = 1;
    if (err != DM_OK)
        return err;
    memset(&o, 0, sizeof o);
    o.has_at = a->has_at;
    o.at = a->at;
    n0 = s->d.n;
    err = dm_run_scenario(s->sc, &o, &s->run, &s->d);
    for (i = n0; i < s->d.n; i++)
        dm_cli_diag_print_entry(stderr, &s->d, &s->d.entries[i], colour);
    if (err != DM_OK && s->d.n == n0)
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, file, "%s", dm_err_str(err));
    return err;
}

int dm_cli_diff(int argc, char **argv)
{
    diff_args a;
    side s[2];
    dm_diff *d = NULL;
    dm_diff_opts o;
    int colour = dm_cli_diag_colour(stderr), rc, k;
    dm_err err = DM_OK;

    rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DM_EXIT_OK : rc;
    memset(s, 0, sizeof s);
    for (k = 0; k < 2; k++)
        if ((err = load_run(&s[k], a.file[k], &a, colour)) != DM_OK)
            goto out;
    if ((err = dm_diff_compute(s[0].run, s[1].run, &d)) != DM_OK) {
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, NULL, "diff: %s", dm_err_str(err));
        goto out;
    }
    memset(&o, 0, sizeof o);
    o.file_a = a.file[0];
    o.file_b = a.file[1];
    o.color = !a.json && dm_cli_diag_colour(stdout);
    err = a.json ? dm_diff_json(d, &o, stdout) : dm_diff_text(d, &o, stdout);
    if (err == DM_OK && (fflush(stdout) != 0 || ferror(stdout)))
        err = DM_ERR_IO;
    if (err != DM_OK)
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, NULL, "writing the diff: %s",
                           dm_err_str(err));
out:
    dm_diff_free(d);
    for (k = 0; k < 2; k++) {
        dm_run_free(s[k].run);
        dm_scenario_free(s[k].sc);
        if (s[k].ready)
            dm_diag_clear(&s[k].d);
        dm_free(s[k].text);
    }
    return dm_cli_exit_code(err);
}
