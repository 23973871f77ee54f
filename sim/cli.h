/* cli.h - the command-line program's commands and shared helpers (CLI only). */
#ifndef DOORMAT_CLI_H
#define DOORMAT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/scenario.h"

#ifndef DOORMAT_VERSION
#define DOORMAT_VERSION "0.1.0"
#endif

/* Exit codes (minisign's): success, runtime failure, bad usage or scenario. */
#define DM_EXIT_OK 0
#define DM_EXIT_FAIL 1
#define DM_EXIT_USAGE 2

/* A subcommand: argv[0] is its name; returns an exit code. */
typedef int (*dm_cli_fn)(int argc, char **argv);

typedef struct dm_cli_command {
    const char *name;
    dm_cli_fn fn;
    const char *summary;
} dm_cli_command;

int dm_cli_run(int argc, char **argv);
int dm_cli_check(int argc, char **argv);
int dm_cli_lesson(int argc, char **argv);
int dm_cli_diff(int argc, char **argv);
int dm_cli_trials(int argc, char **argv);

/* The full usage text (to stdout for --help). */
void dm_cli_usage(FILE *f);

/* Print "doormat: error: MESSAGE" and a hint to stderr; returns DM_EXIT_USAGE. */
int dm_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Load FILE into *sc and print its diagnostics (warnings too) to stderr
 * with the source line; a failure that left no diagnostic is printed as one.
 * d is initialised here (the caller clears it); *text receives the source
 * (dm_free).  Returns the loader's error. */
dm_err dm_cli_load(const char *file, dm_scenario **sc, char **text, dm_diag *d, int colour);

/* Draw a seed for a run given none, and print it to stderr so the run can
 * be repeated ("doormat: seed N (pass --seed N to reproduce)"); on failure
 * print the error.  Returns DM_OK or the error. */
dm_err dm_cli_seed(uint64_t *seed, int colour);

/* After getopt: exactly one FILE operand left for command `cmd`.  Sets
 * *file and returns 0, or prints the usage error and returns its exit code. */
int dm_cli_one_file(const char *cmd, int argc, char **argv, const char **file);

/* --seed's value: a whole number from 0 to 2^64-1.  Sets *seed and returns
 * 0, or prints the usage error and returns its exit code. */
int dm_cli_parse_seed(const char *arg, uint64_t *seed);
/* --at's value: a time from -DM_LIMIT_TIME to DM_LIMIT_TIME.  The same
 * contract. */
int dm_cli_parse_at(const char *arg, int64_t *at);
/* --format's value for the commands that write text or JSON: sets *json
 * (0 or 1) and returns 0, or prints the usage error and returns its code. */
int dm_cli_parse_text_json(const char *arg, int *json);

/* Map a library error to an exit code (DESIGN: 0, 1 runtime, 2 usage/scenario). */
int dm_cli_exit_code(dm_err e);

/* Parse a decimal unsigned/signed integer, whole string, no overflow.
 * Returns 0 on success, -1 otherwise. */
int dm_cli_parse_u64(const char *s, uint64_t *out);
int dm_cli_parse_i64(const char *s, int64_t *out);

#endif
