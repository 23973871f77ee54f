/* dot.h - the run's key graph as Graphviz DOT, one actor's reach highlighted. */
#ifndef DOORMAT_DOT_H
#define DOORMAT_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/engine.h"

/* Above this many nodes (keys + items + stores) the graph is collapsed:
 * users' keys, items and stores are drawn per region in aggregate (a node
 * "UK: data keys (1,000)" stands for a thousand), and the graph label says
 * so.  Providers', actors' and declared keys stay individual (at most
 * DM_DOT_MAX_LONE of them; the rest join one "other keys" node). */
#define DM_DOT_MAX_NODES 300
#define DM_DOT_MAX_LONE 100

/* No actor highlighted. */
#define DM_DOT_NO_ACTOR UINT32_MAX

typedef struct dm_dot_opts {
    uint32_t actor;          /* party whose reach is highlighted, or DM_DOT_NO_ACTOR */
    size_t max_nodes;        /* collapse above this many nodes (0: DM_DOT_MAX_NODES) */
} dm_dot_opts;

/* Resolve an actor, provider or user id to a world party.  On failure
 * returns DM_ERR_USAGE and writes a one-line message into err (always
 * NUL-terminated, e.g. `unknown actor "malory"`); *party is then untouched. */
dm_err dm_dot_lookup(const dm_run *r, const char *id, uint32_t *party, char *err,
                     size_t err_len);

/* Write the key graph of r->w after r->bound events as one DOT digraph:
 * stores as cylinders inside a cluster per party (keys a party alone holds
 * sit in its cluster), keys as ellipses (keypairs with a double outline),
 * items as notes, each ciphertext as an edge from the key that opens it to
 * what it holds, labelled with the stores it lies in; wraps made by a
 * backdoor, ghost or downgrade dashed red and labelled with the event id;
 * what orders and thefts deposit in a store as dotted edges from the store.
 * With opts->actor set, the keys that actor learns, the stores it reads and
 * the items it reaches (filled by reach class) are highlighted and its
 * sources named.  Deterministic bytes for a given run.  opts may be NULL.
 * Returns DM_OK, DM_ERR_NOMEM or DM_ERR_IO. */
dm_err dm_dot_write(const dm_run *r, const dm_dot_opts *opts, FILE *out);

/* Fill colour (#rrggbb) the DOT and HTML reports use for a reach class. */
const char *dm_dot_class_color(dm_class c);

#endif
