/* json_write.h - a small streamed JSON writer for reports (private to sim/). */
#ifndef DOORMAT_JSON_WRITE_H
#define DOORMAT_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DM_JW_DEPTH 32
/* Bytes gathered before one fwrite: a report of 10^6 users is some 600 MB
 * in millions of short pieces, and stdio's per-call cost (a lock, a
 * bounds check, a format parse) was most of the time spent writing it. */
#define DM_JW_BUF 65536

/* Writes pretty JSON (two-space indent) to `out` as it goes: no tree is
 * built.  Containers opened with `inl` set stay on one line, and so do all
 * containers inside them.  Bytes reach `out` in chunks of DM_JW_BUF, and
 * all of them when the outermost container closes (or at dm_jw_flush):
 * write nothing else to `out` in between.  Write errors show in
 * ferror(out). */
typedef struct dm_jw {
    FILE *out;
    int depth;
    int first[DM_JW_DEPTH];
    int inl[DM_JW_DEPTH];
    int after_key;
    /* Escape backspace and form feed as \b and \f (the run report always
     * has) rather than \u0008 and \u000c (the diff and trials reports):
     * both are JSON, and each report keeps its bytes. */
    int short_escapes;
    size_t n;                   /* bytes in buf */
    char buf[DM_JW_BUF];
} dm_jw;

void dm_jw_init(dm_jw *j, FILE *out);
/* Hand what is gathered to `out` (fwrite). */
void dm_jw_flush(dm_jw *j);
void dm_jw_open(dm_jw *j, char c, int inl);   /* c: '{' or '[' */
void dm_jw_close(dm_jw *j, char c);           /* c: '}' or ']' */
void dm_jw_key(dm_jw *j, const char *k);
/* Strings: quotes, backslashes and control bytes escaped; invalid UTF-8
 * becomes U+FFFD, so the output is always valid JSON. */
void dm_jw_str(dm_jw *j, const char *s);
/* One string value written from two pieces, `a` then `b` ("alice" ".dk"),
 * as dm_jw_str of their concatenation would write it. */
void dm_jw_str2(dm_jw *j, const char *a, const char *b);
void dm_jw_u64(dm_jw *j, uint64_t n);
void dm_jw_i64(dm_jw *j, int64_t n);
void dm_jw_bool(dm_jw *j, int b);
void dm_jw_null(dm_jw *j);
/* A number written with printf's format `fmt` (e.g. "%.3f"): finite only. */
void dm_jw_double(dm_jw *j, const char *fmt, double v);

#endif
