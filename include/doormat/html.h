/* html.h - a run as one self-contained HTML page for a classroom. */
#ifndef DOORMAT_HTML_H
#define DOORMAT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/engine.h"

struct dm_verification;

/* Defaults for the caps below. */
#define DM_HTML_ROWS 12
#define DM_HTML_EXPLAIN 6

/* What the caller decides for the page.  The library never spawns a
 * process: the caller renders the key graph (e.g. `dot -Tsvg` on the
 * output of dm_dot_write) and passes the SVG, or only the DOT source.
 * All pointers are borrowed for the call. */
typedef struct dm_html_opts {
    uint64_t seed;           /* the seed the run was instantiated with */
    const char *svg;         /* the key graph as SVG, or NULL */
    size_t svg_len;
    const char *dot;         /* the DOT source, shown when svg is NULL (may be NULL) */
    size_t dot_len;
    uint32_t actor;          /* the party highlighted in the graph, or UINT32_MAX */
    size_t max_rows;         /* reaches listed per actor before "and N more" (0: DM_HTML_ROWS) */
    size_t max_explain;      /* collateral and unlawful reaches explained (0: DM_HTML_EXPLAIN) */
} dm_html_opts;

/* Write one HTML5 page with inline CSS and SVG, needing no network and no
 * script: the headline (people exposed with vs without the backdoors, in
 * elements with ids "exposed-with", "exposed-without", "beyond-with",
 * "beyond-without", "exposed-added", each with a data-value attribute
 * holding the plain number), exposure by region as an SVG bar chart, a
 * table per actor with reach classes colour-coded, the key graph, the
 * scenario's lesson, and the explanation of the first collateral and
 * unlawful reaches.  Every scenario string is escaped.  Deterministic
 * bytes for a given run, seed and options.  v and opts may be NULL.
 * Returns DM_OK, DM_ERR_NOMEM or DM_ERR_IO. */
dm_err dm_html_write(const dm_run *r, const struct dm_verification *v,
                     const dm_html_opts *opts, FILE *out);

#endif
