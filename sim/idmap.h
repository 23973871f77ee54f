/* idmap.h - a small open-addressing map from borrowed id strings to uint32. */
#ifndef DOORMAT_SIM_IDMAP_H
#define DOORMAT_SIM_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "doormat/diag.h"

/* Keys are borrowed: the caller keeps every key string alive and unchanged
 * while the map is in use.  Values are opaque 32-bit numbers. */
typedef struct dm_idmap_slot {
    const char *key;   /* NULL: empty slot */
    uint32_t hash;
    uint32_t val;
} dm_idmap_slot;

typedef struct dm_idmap {
    dm_idmap_slot *slots; /* owned */
    size_t cap;           /* 0 or a power of two */
    size_t n;
} dm_idmap;

void dm_idmap_init(dm_idmap *m);
/* Free the slot table (not the keys).  Accepts NULL. */
void dm_idmap_free(dm_idmap *m);
/* Make room for `n` entries in total without rehashing. */
dm_err dm_idmap_reserve(dm_idmap *m, size_t n);
/* Insert key -> val.  If the key is already present nothing changes, *found
 * is set to 1 and *old (if not NULL) to its value; otherwise *found is 0. */
dm_err dm_idmap_put(dm_idmap *m, const char *key, uint32_t val, int *found,
                    uint32_t *old);
/* Look a key up: 1 and *val when present, else 0. */
int dm_idmap_get(const dm_idmap *m, const char *key, uint32_t *val);
/* Start loading the slot where `key` would be, for a put or get soon
 * after: in a table of millions that slot is a cache (and TLB) miss, and
 * the loader knows the next id one element ahead. */
void dm_idmap_prefetch(const dm_idmap *m, const char *key);

#endif
