/* diag.c - located diagnostics: an append-only, capped list per source text. */
#include "doormat/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doormat/alloc.h"

void
dm_diag_init(dm_diag *d, const char *file, const char *text, size_t len)
{
    memset(d, 0, sizeof *d);
    d->file = file;
    d->text = text;
    d->len = text ? len : 0;
}

/* Frees the entries and resets the counts; file/text stay, so the list can
 * be reused for the same source. */
void
dm_diag_clear(dm_diag *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->n; i++) {
        dm_free(d->entries[i].path);
        dm_free(d->entries[i].message);
    }
    dm_free(d->entries);
    d->entries = NULL;
    d->n = d->cap = 0;
    d->n_errors = d->n_warnings = d->dropped = 0;
    d->oom = 0;
}

/* Line = 1 + newlines before offset; column = bytes since the last newline,
 * from 1.  An offset past the end is clamped to the end (a parser reporting
 * "unexpected end of input" points just after the last byte). */
void
dm_diag_locate(const char *text, size_t len, size_t offset, uint32_t *line,
               uint32_t *col)
{
    const char *p, *end, *nl, *line_start;
    size_t lines = 1;

    if (text == NULL || offset == SIZE_MAX) {
        *line = 0;
        *col = 0;
        return;
    }
    if (offset > len)
        offset = len;
    p = line_start = text;
    end = text + offset;
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p = line_start = nl + 1;
    }
    *line = lines > UINT32_MAX ? UINT32_MAX : (uint32_t)lines;
    *col = (size_t)(end - line_start) + 1 > UINT32_MAX
               ? UINT32_MAX
               : (uint32_t)((size_t)(end - line_start) + 1);
}

/* Format into a fresh heap string (caller frees), NULL on failure. */
static char *
vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    char *s = NULL;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        goto out;
    s = dm_malloc((size_t)n + 1);
    if (s == NULL)
        goto out;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
out:
    return s;
}

/* n_errors counts every error reported, kept or not, so `n_errors > 0`
 * always means the input failed; errors beyond DM_DIAG_MAX_ERRORS are only
 * counted in `dropped`.  Warnings and notes are not capped.  A NULL list
 * accepts and discards everything (for callers that want no messages). */
dm_err
dm_diag_add(dm_diag *d, dm_severity sev, size_t offset, const char *path,
            const char *fmt, ...)
{
    dm_diag_entry *e;
    char *p = NULL, *msg = NULL;
    va_list ap;
    dm_err err = DM_OK;

    if (d == NULL)
        goto out;
    if (sev == DM_SEV_ERROR) {
        if (d->n_errors++ >= DM_DIAG_MAX_ERRORS) {
            d->dropped++;
            goto out;
        }
    } else if (sev == DM_SEV_WARNING) {
        d->n_warnings++;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        dm_diag_entry *grown = dm_reallocarray(d->entries, cap, sizeof *grown);
        if (grown == NULL) {
            err = DM_ERR_NOMEM;
            goto out;
        }
        d->entries = grown;
        d->cap = cap;
    }
    p = dm_strdup(path ? path : "");
    va_start(ap, fmt);
    msg = vformat(fmt, ap);
    va_end(ap);
    if (p == NULL || msg == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    e = &d->entries[d->n++];
    e->severity = sev;
    e->offset = offset;
    dm_diag_locate(d->text, d->len, offset, &e->line, &e->col);
    e->path = p;
    e->message = msg;
    p = msg = NULL;
out:
    if (err != DM_OK)
        d->oom = 1;
    dm_free(p);
    dm_free(msg);
    return err;
}

const char *
dm_err_str(dm_err e)
{
    switch (e) {
    case DM_OK: return "success";
    case DM_ERR_SCENARIO: return "invalid scenario";
    case DM_ERR_USAGE: return "invalid argument";
    case DM_ERR_NOMEM: return "out of memory";
    case DM_ERR_IO: return "input/output error";
    case DM_ERR_CRYPTO: return "cryptographic operation failed";
    case DM_ERR_LIMIT: return "limit exceeded";
    case DM_ERR_MISMATCH: return "verification mismatch (a bug in doormat)";
    }
    return "unknown error";
}
