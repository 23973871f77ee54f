/* cli_graph.h - the key graph for the CLI: DOT into a buffer, SVG through Graphviz (CLI only). */
#ifndef DOORMAT_CLI_GRAPH_H
#define DOORMAT_CLI_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/dot.h"
#include "doormat/engine.h"

/* Write the run's key graph as DOT (dm_dot_write with opts) to a temporary
 * file, read it back into *dot, and when Graphviz's `dot` program can be
 * run, render it with `dot -Tsvg` into *svg.  *svg is NULL when `dot` is
 * missing or fails (the HTML report then shows a note and the DOT source).
 * Both buffers are NUL-terminated and freed by the caller with dm_free.
 * Returns DM_OK, DM_ERR_NOMEM or DM_ERR_IO (temporary file). */
dm_err dm_cli_graph_render(const dm_run *r, const dm_dot_opts *opts, char **dot,
                           size_t *dot_len, char **svg, size_t *svg_len);

struct dm_verification;

/* Write the DOT report (html == 0) or the HTML report (html != 0, with the
 * graph rendered by dm_cli_graph_render) to out, highlighting `actor`
 * (DM_DOT_NO_ACTOR: none).  Returns DM_OK, DM_ERR_NOMEM or DM_ERR_IO. */
dm_err dm_cli_graph_report(const dm_run *r, const struct dm_verification *v, uint64_t seed,
                           uint32_t actor, int html, FILE *out);

#endif
