/* cli_diag.h - the CLI's printing of diagnostics (jq/gcc style, with a caret). */
#ifndef DOORMAT_CLI_DIAG_H
#define DOORMAT_CLI_DIAG_H

#include <stdio.h>

#include "doormat/diag.h"

/* 1 when `f` is a terminal and NO_COLOR is unset or empty, else 0.  This is
 * CLI code: it reads the environment, which the library never does. */
int dm_cli_diag_colour(FILE *f);

/* Print one entry of `d` (borrowed) as
 *   doormat: FILE:LINE:COL: error: PATH: MESSAGE
 * followed, when the line is known and d->text is set, by the source line
 * and a caret under the column.  ":LINE:COL" is left out when line is 0,
 * "FILE:" when d->file is NULL, "PATH: " when the path is empty.  Control
 * bytes from the scenario are printed as '?' so a file cannot drive the
 * terminal.  ANSI colour only when `colour` is nonzero. */
void dm_cli_diag_print_entry(FILE *f, const dm_diag *d, const dm_diag_entry *e,
                             int colour);

/* Print every entry in order, then "doormat: N more errors not shown" when
 * the list dropped some, and a note when some were lost to lack of memory. */
void dm_cli_diag_print(FILE *f, const dm_diag *d, int colour);

/* A one-off message without a source position:
 *   doormat: [FILE: ]error: MESSAGE
 * (file may be NULL).  For the CLI's own errors (cannot open, bad option). */
void dm_cli_diag_printf(FILE *f, int colour, dm_severity sev, const char *file,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
