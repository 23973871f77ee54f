/* cli_run.c - the run and check commands: options, pipeline, exit codes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_graph.h"
#include "cli_progress.h"
#include "cli_diag.h"
#include "cli_out.h"
#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/dot.h"
#include "doormat/engine.h"
#include "doormat/explain.h"
#include "doormat/html.h"
#include "doormat/report.h"
#include "doormat/scenario.h"

#define MAX_THREADS 1024
/* The per-time summary re-evaluates the world at each distinct time: shown
 * for classroom-sized timelines only. */
#define MAX_STEPS 64

void dm_cli_usage(FILE *f)
{
    fputs("Usage: doormat run FILE [options]\n"
          "       doormat check FILE\n"
          "       doormat lesson FILE [--no-pause] [--seed N]\n"
          "       doormat diff A.json B.json [--format text|json] [--at T]\n"
          "       doormat trials FILE [-n N] [--seed N] [--format text|json]\n"
          "       doormat COMMAND --help | doormat --help | --version\n"
          "\n"
          "Run a threat-model scenario: who can read whose data, how, and whether\n"
          "the law allows it, with the backdoors and without them.\n"
          "\n"
          "Commands:\n"
          "  run FILE              run the scenario and write the report\n"
          "  check FILE            validate the scenario only\n"
          "  lesson FILE           narrate the scenario step by step (waits for Enter)\n"
          "  diff A.json B.json    what B lets each actor read that A does not, and back\n"
          "  trials FILE           Monte Carlo over the events' probabilities p\n"
          "\n"
          "Options for run:\n"
          "  -f, --format FORMAT   text, json, dot (Graphviz) or html (default: text)\n"
          "      --actor ID        dot and html: highlight what actor ID learns and reaches\n"
          "  -s, --seed N          seed for every key and draw (default: random, printed)\n"
          "      --at T            report the state after time T (default: after the last event)\n"
          "      --explain A:ITEM  explain how actor A reaches ITEM, or why it cannot\n"
          "      --owners          also list owners' own reaches and owner-only users\n"
          "      --verify MODE     all, sample, full or off (default: all, a sample when huge)\n"
          "      --threads N       threads for the cryptography (default: 0, one per CPU)\n"
          "  -o, --output FILE     write the report to FILE, replaced atomically\n"
          "                        (default: standard output)\n"
          "  -h, --help            show this help and exit\n"
          "  -V, --version         show the version and exit\n"
          "\n"
          "Exit status: 0 done; 1 failed (I/O, memory, a verification mismatch);\n"
          "2 bad usage or an invalid scenario.\n",
          f);
}

int dm_cli_usage_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, NULL, "%s", msg);
    fputs("Try 'doormat --help' for more information.\n", stderr);
    return DM_EXIT_USAGE;
}

int dm_cli_one_file(const char *cmd, int argc, char **argv, const char **file)
{
    if (optind >= argc)
        return dm_cli_usage_error("%s: no scenario FILE given", cmd);
    if (optind + 1 < argc)
        return dm_cli_usage_error("%s: unexpected argument '%s' (one FILE only)", cmd,
                                  argv[optind + 1]);
    *file = argv[optind];
    return 0;
}

int dm_cli_parse_seed(const char *arg, uint64_t *seed)
{
    if (dm_cli_parse_u64(arg, seed) != 0)
        return dm_cli_usage_error(
            "--seed: '%s' is not a whole number from 0 to 18446744073709551615", arg);
    return 0;
}

int dm_cli_parse_at(const char *arg, int64_t *at)
{
    if (dm_cli_parse_i64(arg, at) != 0 || *at > DM_LIMIT_TIME || *at < -DM_LIMIT_TIME)
        return dm_cli_usage_error("--at: '%s' is not a time from %lld to %lld", arg,
                                  -DM_LIMIT_TIME, DM_LIMIT_TIME);
    return 0;
}

int dm_cli_parse_text_json(const char *arg, int *json)
{
    if (strcmp(arg, "text") == 0)
        *json = 0;
    else if (strcmp(arg, "json") == 0)
        *json = 1;
    else
        return dm_cli_usage_error("--format: unknown format '%s' (text or json)", arg);
    return 0;
}

int dm_cli_exit_code(dm_err e)
{
    switch (e) {
    case DM_OK: return DM_EXIT_OK;
    case DM_ERR_SCENARIO:
    case DM_ERR_USAGE:
    case DM_ERR_LIMIT: /* a scenario beyond a documented limit is refused like a bad one */
        return DM_EXIT_USAGE;
    default: return DM_EXIT_FAIL;
    }
}

int dm_cli_parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int dm_cli_parse_i64(const char *s, int64_t *out)
{
    long long v;
    char *end;

    if (!((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && s[1] >= '0' &&
                                            s[1] <= '9')))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* The name an option was given by, for messages: "--seed" or "-s". */
static const char *opt_name(const struct option *longopts, int c, char *buf, size_t len)
{
    size_t i;

    for (i = 0; longopts[i].name; i++)
        if (longopts[i].val == c) {
            snprintf(buf, len, "--%s", longopts[i].name);
            return buf;
        }
    snprintf(buf, len, "-%c", c);
    return buf;
}

/* getopt's own failures, named: unknown option, missing value. */
static int getopt_failure(char **argv, const struct option *longopts, const char *shorts,
                          int c)
{
    char name[64];
    const char *arg = argv[optind - 1];

    if (c == ':') {
        if (optopt)
            return dm_cli_usage_error("option '%s' needs a value",
                                      opt_name(longopts, optopt, name, sizeof name));
        return dm_cli_usage_error("option '%s' needs a value", arg);
    }
    if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 256 &&
        strchr(shorts, optopt) == NULL)
        return dm_cli_usage_error("unknown option '-%c'", optopt);
    if (strncmp(arg, "--", 2) == 0) {
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        size_t i;
        for (i = 0; longopts[i].name; i++)
            if (strlen(longopts[i].name) == n - 2 && strncmp(longopts[i].name, arg + 2, n - 2) == 0)
                return dm_cli_usage_error("option '--%s' takes no value", longopts[i].name);
        return dm_cli_usage_error("unknown option '%.*s'", (int)n, arg);
    }
    return dm_cli_usage_error("unknown option '%s'", arg);
}

enum {
    OPT_AT = 256,
    OPT_EXPLAIN,
    OPT_OWNERS,
    OPT_VERIFY,
    OPT_THREADS,
    OPT_ACTOR,
    OPT_COUNT
};

typedef enum { FMT_TEXT, FMT_JSON, FMT_DOT, FMT_HTML } out_format;

typedef struct run_args {
    const char *file;
    out_format format;
    int has_seed;
    uint64_t seed;
    int has_at;
    int64_t at;
    const char *explain;
    int owners;
    dm_verify_mode verify;
    unsigned threads;
    const char *output;
    const char *actor;
} run_args;

static int parse_run(int argc, char **argv, run_args *a)
{
    static const char shorts[] = ":f:s:o:hV";
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"at", required_argument, NULL, OPT_AT},
        {"explain", required_argument, NULL, OPT_EXPLAIN},
        {"owners", no_argument, NULL, OPT_OWNERS},
        {"verify", required_argument, NULL, OPT_VERIFY},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"actor", required_argument, NULL, OPT_ACTOR},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    unsigned char seen[OPT_COUNT] = {0};
    char name[64];
    int c, rc;

    memset(a, 0, sizeof *a);
    a->verify = DM_VERIFY_ALL;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        if (c == '?' || c == ':')
            return getopt_failure(argv, longopts, shorts, c);
        if (c == 'h') {
            dm_cli_usage(stdout);
            return -1;
        }
        if (c == 'V') {
            printf("doormat %s\n", DOORMAT_VERSION);
            return -1;
        }
        if (c >= 0 && c < OPT_COUNT) {
            if (seen[c])
                return dm_cli_usage_error("option '%s' given twice",
                                          opt_name(longopts, c, name, sizeof name));
            seen[c] = 1;
        }
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                a->format = FMT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                a->format = FMT_JSON;
            else if (strcmp(optarg, "dot") == 0)
                a->format = FMT_DOT;
            else if (strcmp(optarg, "html") == 0)
                a->format = FMT_HTML;
            else
                return dm_cli_usage_error(
                    "--format: unknown format '%s' (text, json, dot or html)", optarg);
            break;
        case 's':
            if ((rc = dm_cli_parse_seed(optarg, &a->seed)) != 0)
                return rc;
            a->has_seed = 1;
            break;
        case OPT_AT:
            if ((rc = dm_cli_parse_at(optarg, &a->at)) != 0)
                return rc;
            a->has_at = 1;
            break;
        case OPT_EXPLAIN:
            if (strchr(optarg, ':') == NULL)
                return dm_cli_usage_error("--explain: '%s' is not ACTOR:ITEM "
                                          "(e.g. mallory:alice/photos)", optarg);
            a->explain = optarg;
            break;
        case OPT_OWNERS:
            a->owners = 1;
            break;
        case OPT_VERIFY:
            if (strcmp(optarg, "all") == 0)
                a->verify = DM_VERIFY_ALL;
            else if (strcmp(optarg, "sample") == 0)
                a->verify = DM_VERIFY_SAMPLE;
            else if (strcmp(optarg, "full") == 0)
                a->verify = DM_VERIFY_FULL;
            else if (strcmp(optarg, "off") == 0)
                a->verify = DM_VERIFY_OFF;
            else
                return dm_cli_usage_error("--verify: unknown mode '%s' (all, sample, full or off)",
                                          optarg);
            break;
        case OPT_THREADS: {
            uint64_t n;
            if (dm_cli_parse_u64(optarg, &n) != 0 || n > MAX_THREADS)
                return dm_cli_usage_error("--threads: '%s' is not a number from 0 to %d",
                                          optarg, MAX_THREADS);
            a->threads = (unsigned)n;
            break;
        }
        case OPT_ACTOR:
            a->actor = optarg;
            break;
        case 'o':
            if (optarg[0] == '\0')
                return dm_cli_usage_error("--output: empty file name");
            a->output = optarg;
            break;
        default:
            return dm_cli_usage_error("unexpected option");
        }
    }
    if ((rc = dm_cli_one_file("run", argc, argv, &a->file)) != 0)
        return rc;
    if (a->explain && a->format != FMT_TEXT)
        return dm_cli_usage_error("--explain writes text: it cannot be used with --format %s",
                                  a->format == FMT_JSON ? "json" : a->format == FMT_DOT ? "dot"
                                                                                      : "html");
    if (a->actor && a->format != FMT_DOT && a->format != FMT_HTML)
        return dm_cli_usage_error("--actor is for --format dot or html");
    return 0;
}

/* A seed for a run given none: from the system's random source, through
 * libsodium (the crypto module owns randomness).  It is no secret (it is
 * printed so the run can be repeated). */
dm_err dm_cli_seed(uint64_t *seed, int colour)
{
    dm_err err = dm_crypto_random_seed(seed);

    if (err != DM_OK) {
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, NULL, "cannot draw a random seed: %s",
                           dm_err_str(err));
        return err;
    }
    fprintf(stderr, "doormat: seed %" PRIu64 " (pass --seed %" PRIu64 " to reproduce)\n", *seed,
            *seed);
    return DM_OK;
}

static size_t distinct_times(const dm_scenario *sc)
{
    size_t i, n = 0;

    for (i = 0; i < sc->n_events; i++)
        n += i == 0 || sc->events[i].at != sc->events[i - 1].at;
    return n;
}

dm_err dm_cli_load(const char *file, dm_scenario **sc, char **text, dm_diag *d, int colour)
{
    size_t len = 0;
    dm_err err;

    dm_diag_init(d, file, NULL, 0);
    err = dm_scenario_load_file(file, sc, text, &len, d);
    if (*text != NULL && d->text == NULL) {
        d->text = *text;
        d->len = len;
    }
    dm_cli_diag_print(stderr, d, colour);
    if (err != DM_OK && d->n_errors == 0)
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, file, "%s", dm_err_str(err));
    return err;
}

int dm_cli_run(int argc, char **argv)
{
    run_args a;
    dm_scenario *sc = NULL;
    dm_run *run = NULL;
    dm_crypto *crypto = NULL;
    dm_verification *verif = NULL;
    char *text = NULL;
    dm_diag d;
    dm_run_opts ropts;
    dm_cli_progress bar;
    dm_report_opts popts;
    dm_cli_out out = {0};
    int ecolour = dm_cli_diag_colour(stderr);
    int rc, diag_ready = 0;
    size_t n0, i;
    uint32_t party = 0, item = 0, highlight = DM_DOT_NO_ACTOR;
    dm_err err = DM_OK, verr = DM_OK;

    rc = parse_run(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? DM_EXIT_OK : rc;

    err = dm_cli_load(a.file, &sc, &text, &d, ecolour);
    diag_ready = 1;
    if (err != DM_OK)
        goto out;

    memset(&ropts, 0, sizeof ropts);
    ropts.has_at = a.has_at;
    ropts.at = a.at;
    ropts.owners = a.owners;
    ropts.steps = a.explain == NULL && distinct_times(sc) <= MAX_STEPS;
    n0 = d.n;
    dm_cli_progress_init(&bar, stderr);
    ropts.progress = dm_cli_progress_update;
    ropts.progress_ctx = &bar;
    err = dm_run_scenario(sc, &ropts, &run, &d);
    dm_cli_progress_end(&bar);
    for (i = n0; i < d.n; i++)
        dm_cli_diag_print_entry(stderr, &d, &d.entries[i], ecolour);
    if (err != DM_OK) {
        if (d.n == n0)
            dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file, "%s", dm_err_str(err));
        goto out;
    }

    if (a.explain) {
        char msg[512];
        err = dm_explain_lookup(run, a.explain, &party, &item, msg, sizeof msg);
        if (err != DM_OK) {
            rc = dm_cli_usage_error("--explain: %s", msg);
            goto out;
        }
    } else {
        if (a.actor) {
            char msg[512];
            err = dm_dot_lookup(run, a.actor, &highlight, msg, sizeof msg);
            if (err != DM_OK) {
                rc = dm_cli_usage_error("--actor: %s", msg);
                goto out;
            }
        }
        if (!a.has_seed && (err = dm_cli_seed(&a.seed, ecolour)) != DM_OK)
            goto out;
    }
    if (!a.explain && a.verify != DM_VERIFY_OFF) {
        err = dm_crypto_instantiate(run->w, a.seed, a.threads, &crypto);
        if (err != DM_OK) {
            dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file,
                               "instantiating keys and ciphertexts: %s", dm_err_str(err));
            goto out;
        }
        verr = dm_crypto_verify(crypto, run, a.verify, a.threads, &verif);
        if (verr != DM_OK && verr != DM_ERR_MISMATCH) {
            err = verr;
            dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file, "verification: %s",
                               dm_err_str(err));
            goto out;
        }
    }

    err = dm_cli_out_open(&out, a.output);
    if (err != DM_OK)
        goto out;
    memset(&popts, 0, sizeof popts);
    popts.seed = a.seed;
    popts.color = a.output == NULL && dm_cli_diag_colour(stdout);
    popts.owners = a.owners;
    popts.warnings = &d;
    if (a.explain)
        err = dm_explain(run, party, item, out.f);
    else if (a.format == FMT_JSON)
        err = dm_report_json(run, verif, &popts, out.f);
    else if (a.format == FMT_DOT || a.format == FMT_HTML)
        err = dm_cli_graph_report(run, verif, a.seed, highlight, a.format == FMT_HTML, out.f);
    else
        err = dm_report_text(run, verif, &popts, out.f);
    if (err != DM_OK) {
        dm_cli_out_abort(&out);
        dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.output ? a.output : NULL,
                           "writing the report: %s", dm_err_str(err));
        goto out;
    }
    err = dm_cli_out_commit(&out);
    if (err != DM_OK)
        goto out;
    if (verr == DM_ERR_MISMATCH) {
        dm_cli_diag_printf(stderr, ecolour, DM_SEV_ERROR, a.file,
                           "verification MISMATCH: real decryption disagrees with the closure "
                           "(a bug in doormat; see the report)");
        err = verr;
    }
out:
    if (rc == 0)
        rc = dm_cli_exit_code(err);
    dm_verification_free(verif);
    dm_crypto_free(crypto);
    dm_run_free(run);
    dm_scenario_free(sc);
    if (diag_ready)
        dm_diag_clear(&d);
    dm_free(text);
    return rc;
}

static int parse_check(int argc, char **argv, const char **file)
{
    static const char shorts[] = ":hV";
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        if (c == '?' || c == ':')
            return getopt_failure(argv, longopts, shorts, c);
        if (c == 'h') {
            dm_cli_usage(stdout);
            return -1;
        }
        printf("doormat %s\n", DOORMAT_VERSION);
        return -1;
    }
    if ((rc = dm_cli_one_file("check", argc, argv, file)) != 0)
        return rc;
    return 0;
}

int dm_cli_check(int argc, char **argv)
{
    const char *file = NULL;
    dm_scenario *sc = NULL;
    char *text = NULL;
    dm_diag d;
    int rc;
    dm_err err;

    rc = parse_check(argc, argv, &file);
    if (rc != 0)
        return rc < 0 ? DM_EXIT_OK : rc;
    err = dm_cli_load(file, &sc, &text, &d, dm_cli_diag_colour(stderr));
    if (err == DM_OK) {
        printf("%s: ok (%zu %s, %" PRIu64 " %s, %zu %s)\n", file, sc->n_users,
               sc->n_users == 1 ? "user" : "users", sc->people,
               sc->people == 1 ? "person" : "people", sc->n_events,
               sc->n_events == 1 ? "event" : "events");
        if (fflush(stdout) != 0 || ferror(stdout)) {
            dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, NULL,
                               "writing to standard output: %s", strerror(errno));
            err = DM_ERR_IO;
        }
    }
    dm_scenario_free(sc);
    dm_diag_clear(&d);
    dm_free(text);
    return dm_cli_exit_code(err);
}
