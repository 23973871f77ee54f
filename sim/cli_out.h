/* cli_out.h - the CLI's output file: stdout, or a temporary file renamed into place. */
#ifndef DOORMAT_CLI_OUT_H
#define DOORMAT_CLI_OUT_H

#include <stdio.h>

#include "doormat/diag.h"

/* An output being written.  With a path, the report goes to a temporary file
 * in the target's directory (mkstemp), which dm_cli_out_commit flushes,
 * fsyncs and renames over the target: on any error, or if the program is
 * interrupted, the target is untouched and the temporary file removed.
 * An existing target that is not a regular file (/dev/null, a FIFO) is
 * written in place instead. */
typedef struct dm_cli_out {
    FILE *f;        /* where to write (stdout, or the temporary file) */
    char *path;     /* the target (owned), NULL for stdout */
    char *tmp;      /* the temporary file (owned), NULL for stdout */
    int direct;     /* the target is not a regular file: f writes to it in place */
} dm_cli_out;

/* Open `path` for writing (NULL or "-": stdout).  On failure prints the
 * reason to stderr and returns DM_ERR_IO (o is left closed). */
dm_err dm_cli_out_open(dm_cli_out *o, const char *path);

/* Finish: flush, check for write errors, fsync and rename into place (for
 * stdout: flush and check).  On failure prints why, removes the temporary
 * file and returns DM_ERR_IO.  o is closed either way. */
dm_err dm_cli_out_commit(dm_cli_out *o);

/* Give up: close and remove the temporary file; the target is untouched.
 * Accepts a closed or zeroed o. */
void dm_cli_out_abort(dm_cli_out *o);

#endif
