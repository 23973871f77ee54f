/* json.h - strict JSON parsing into a cJSON tree annotated with byte offsets. */
#ifndef DOORMAT_SIM_JSON_H
#define DOORMAT_SIM_JSON_H

#include <stddef.h>

#include <cJSON.h>

#include "doormat/diag.h"

/* Install dm_malloc/dm_free as cJSON's allocator.  Idempotent; every JSON
 * module calls it before using cJSON. */
void dm_json_init_hooks(void);

/* Check that `text` is strict JSON (RFC 8259: UTF-8, no NUL, no trailing
 * commas, nesting at most DM_LIMIT_DEPTH, at most DM_LIMIT_FILE_BYTES) and
 * parse it.  A leading UTF-8 BOM is skipped.  On success *out is a new tree
 * the caller frees with cJSON_Delete; each node's `valueint` holds the byte
 * offset of its value in `text` (read it with dm_json_offset, never as a
 * number: use valuedouble).  On failure *out is untouched, one located
 * diagnostic is in diag, and the result is DM_ERR_SCENARIO, DM_ERR_LIMIT or
 * DM_ERR_NOMEM. */
dm_err dm_json_parse(const char *text, size_t len, cJSON **out, dm_diag *diag);

/* The same, but when the document is an object, the array values of the
 * top-level members named in `lazy` (NULL-terminated) are not parsed: they
 * appear as empty array nodes (with their offset) whose elements are read
 * one at a time with dm_json_iter_*.  A million users then never exist as
 * one tree. */
dm_err dm_json_parse_lazy(const char *text, size_t len, const char *const *lazy, cJSON **out,
                          dm_diag *diag);

/* Number of elements of an array node, lazy or not. */
size_t dm_json_count(const cJSON *arr);
/* Whether an array node's elements must be read with dm_json_iter_*. */
int dm_json_is_lazy(const cJSON *arr);

/* Walks a lazy array of a text checked by dm_json_parse_lazy.  Each
 * element's tree lives in blocks the iterator owns and reuses. */
struct dm_json_block;

typedef struct dm_json_iter {
    const char *text;
    size_t len;
    size_t pos;
    struct dm_json_block *blocks[2]; /* owned: two sides, used in turn */
    struct dm_json_block *cur;       /* the block being filled */
    cJSON *owned[2];                 /* an element cJSON parsed (rare), owned */
    int side;
} dm_json_iter;

void dm_json_iter_init(dm_json_iter *it, const char *text, size_t len, const cJSON *arr);
/* Parse the next element into *out, a tree with offsets that stays valid
 * until the call after next or dm_json_iter_free (never cJSON_Delete it):
 * a caller may look one element ahead.  *out is NULL after the last one.
 * Returns DM_OK or DM_ERR_NOMEM. */
dm_err dm_json_iter_next(dm_json_iter *it, cJSON **out);
/* Free what the iterator holds (the last element's tree too). */
void dm_json_iter_free(dm_json_iter *it);

/* Byte offset of a node's value (the '{', '[', '"' or first character). */
size_t dm_json_offset(const cJSON *n);
/* Byte offset of an object member's key (its opening quote); the value's
 * offset for array elements and the root. */
size_t dm_json_key_offset(const char *text, size_t len, const cJSON *n);
/* "a string", "an object", ... for "expected X, got Y" messages. */
const char *dm_json_type_name(const cJSON *n);

#endif
