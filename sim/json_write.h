/* json_write.h - a small streamed JSON writer for reports (private to sim/). */
#ifndef DOORMAT_JSON_WRITE_H
#define DOORMAT_JSON_WRITE_H

#include <stdint.h>
#include <stdio.h>

#define DM_JW_DEPTH 32

/* Writes pretty JSON (two-space indent) to `out` as it goes: no tree is
 * built.  Containers opened with `inl` set stay on one line, and so do all
 * containers inside them.  Write errors show in ferror(out). */
typedef struct dm_jw {
    FILE *out;
    int depth;
    int first[DM_JW_DEPTH];
    int inl[DM_JW_DEPTH];
    int after_key;
} dm_jw;

void dm_jw_init(dm_jw *j, FILE *out);
void dm_jw_open(dm_jw *j, char c, int inl);   /* c: '{' or '[' */
void dm_jw_close(dm_jw *j, char c);           /* c: '}' or ']' */
void dm_jw_key(dm_jw *j, const char *k);
/* Strings: quotes, backslashes and control bytes escaped; invalid UTF-8
 * becomes U+FFFD, so the output is always valid JSON. */
void dm_jw_str(dm_jw *j, const char *s);
void dm_jw_u64(dm_jw *j, uint64_t n);
void dm_jw_i64(dm_jw *j, int64_t n);
void dm_jw_null(dm_jw *j);
/* A number written with printf's format `fmt` (e.g. "%.3f"): finite only. */
void dm_jw_double(dm_jw *j, const char *fmt, double v);

#endif
