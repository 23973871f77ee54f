/* diag.h - error codes and located diagnostics shared by every stage. */
#ifndef DOORMAT_DIAG_H
#define DOORMAT_DIAG_H

#include <stddef.h>
#include <stdint.h>

/* Every library function returns a dm_err.  Only the CLI maps it to an exit
 * code: DM_OK -> 0, DM_ERR_SCENARIO / DM_ERR_USAGE / DM_ERR_LIMIT -> 2 (the
 * input must change), the rest -> 1. */
typedef enum dm_err {
    DM_OK = 0,
    DM_ERR_SCENARIO,   /* the scenario is malformed or invalid (diagnostics say where) */
    DM_ERR_USAGE,      /* a caller passed a bad argument (unknown actor, bad --at...) */
    DM_ERR_NOMEM,      /* an allocation failed */
    DM_ERR_IO,         /* reading or writing a file failed */
    DM_ERR_CRYPTO,     /* libsodium or libgfshare failed */
    DM_ERR_LIMIT,      /* a documented limit was exceeded */
    DM_ERR_MISMATCH    /* verification disagreed with the closure: a bug */
} dm_err;

typedef enum dm_severity {
    DM_SEV_ERROR = 0,
    DM_SEV_WARNING,
    DM_SEV_NOTE
} dm_severity;

/* One located message.  line/col are 1-based; 0 means unknown.  offset is
 * the byte offset in the source text (SIZE_MAX when unknown).  path is a JSON
 * path such as "events[2].key" (may be empty).  All strings are owned by the
 * dm_diag list that holds the entry. */
typedef struct dm_diag_entry {
    dm_severity severity;
    uint32_t line;
    uint32_t col;
    size_t offset;
    char *path;
    char *message;
} dm_diag_entry;

/* A list of diagnostics for one source text.  The caller owns it; the
 * library appends to it.  file names the source ("uk.json"); text/len point
 * at the source so the CLI can show the line with a caret (borrowed: the
 * caller keeps them alive while printing).  At most DM_DIAG_MAX_ERRORS errors
 * are kept; `dropped` counts the rest. */
#define DM_DIAG_MAX_ERRORS 50

typedef struct dm_diag {
    const char *file;
    const char *text;
    size_t len;
    dm_diag_entry *entries;
    size_t n;
    size_t cap;
    size_t n_errors;
    size_t n_warnings;
    size_t dropped;
    int oom; /* set when an entry could not be stored */
} dm_diag;

/* Initialise an empty list for `file` (borrowed). */
void dm_diag_init(dm_diag *d, const char *file, const char *text, size_t len);
/* Free every entry (the dm_diag itself is the caller's). Accepts NULL. */
void dm_diag_clear(dm_diag *d);
/* Append a diagnostic at byte `offset` of the text (SIZE_MAX: unknown);
 * line and column are computed from the text.  path may be NULL.  Returns
 * DM_OK, or DM_ERR_NOMEM (then d->oom is set).  printf-style message. */
dm_err dm_diag_add(dm_diag *d, dm_severity sev, size_t offset, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Compute 1-based line and column (in bytes) of `offset` in text. */
void dm_diag_locate(const char *text, size_t len, size_t offset, uint32_t *line,
                    uint32_t *col);
/* Human-readable name of an error code ("out of memory"). */
const char *dm_err_str(dm_err e);

#endif
