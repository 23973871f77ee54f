/* explain.h - the chain of keys, wraps, stores and events behind one reach. */
#ifndef DOORMAT_EXPLAIN_H
#define DOORMAT_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doormat/diag.h"
#include "doormat/engine.h"

/* Resolve "ACTOR:ITEM" (an actor, provider or user id; an item name such as
 * "alice/photos") to a world party and item.  The split is at the first ':'
 * whose left side names a party, so ids containing ':' still work.  On
 * failure returns DM_ERR_USAGE and writes a one-line message into err
 * (always NUL-terminated), e.g. `unknown actor "malory" (did you mean
 * "mallory"?)`.  *party and *item are untouched on failure. */
dm_err dm_explain_lookup(const dm_run *r, const char *spec, uint32_t *party,
                         uint32_t *item, char *err, size_t err_len);

/* Explain, in numbered plain sentences, how `party` reaches `item` at the
 * run's reported time (events, stores read, wraps opened, keys held, shares
 * gathered) and the class with its reason; or, when out of reach, which
 * ciphertext or key is missing.  Returns DM_OK, DM_ERR_NOMEM or DM_ERR_IO. */
dm_err dm_explain(const dm_run *r, uint32_t party, uint32_t item, FILE *out);

#endif
