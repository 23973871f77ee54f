/* json_write.c - a small streamed JSON writer for the diff and trials reports. */
#include "json_write.h"

#include <math.h>

static void raw_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', out);
    while (*p) {
        unsigned char c = *p;
        size_t need = 0, i;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            p++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", out); break;
            case '\r': fputs("\\r", out); break;
            case '\t': fputs("\\t", out); break;
            default: fprintf(out, "\\u%04x", c); break;
            }
            p++;
            continue;
        }
        if (c < 0x80) {
            fputc(c, out);
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3;
        for (i = 1; need && i <= need; i++)
            if ((p[i] & 0xC0) != 0x80)
                need = 0;
        /* Reject overlongs, surrogates and code points past U+10FFFF. */
        if (need == 2 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
            need = 0;
        if (need == 3 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
            need = 0;
        if (need == 0) {
            fputs("\\ufffd", out);
            p++;
            continue;
        }
        fwrite(p, 1, need + 1, out);
        p += need + 1;
    }
    fputc('"', out);
}

void dm_jw_init(dm_jw *j, FILE *out)
{
    int i;

    j->out = out;
    j->depth = 0;
    j->after_key = 0;
    for (i = 0; i < DM_JW_DEPTH; i++)
        j->first[i] = j->inl[i] = 0;
}

/* Separator and indentation before a value or a key. */
static void sep(dm_jw *j)
{
    int i;

    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0)
        return;
    if (!j->first[j->depth])
        fputs(j->inl[j->depth] ? ", " : ",", j->out);
    j->first[j->depth] = 0;
    if (!j->inl[j->depth]) {
        fputc('\n', j->out);
        for (i = 0; i < j->depth; i++)
            fputs("  ", j->out);
    }
}

void dm_jw_open(dm_jw *j, char c, int inl)
{
    sep(j);
    fputc(c, j->out);
    if (j->depth + 1 < DM_JW_DEPTH)
        j->depth++;
    j->first[j->depth] = 1;
    j->inl[j->depth] = inl || (j->depth > 1 && j->inl[j->depth - 1]);
}

void dm_jw_close(dm_jw *j, char c)
{
    int i;

    if (!j->first[j->depth] && !j->inl[j->depth]) {
        fputc('\n', j->out);
        for (i = 0; i < j->depth - 1; i++)
            fputs("  ", j->out);
    }
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
    if (j->depth == 0)
        fputc('\n', j->out);
}

void dm_jw_key(dm_jw *j, const char *k)
{
    sep(j);
    raw_string(j->out, k);
    fputs(": ", j->out);
    j->after_key = 1;
}

void dm_jw_str(dm_jw *j, const char *s)
{
    sep(j);
    raw_string(j->out, s);
}

void dm_jw_u64(dm_jw *j, uint64_t n)
{
    sep(j);
    fprintf(j->out, "%llu", (unsigned long long)n);
}

void dm_jw_i64(dm_jw *j, int64_t n)
{
    sep(j);
    fprintf(j->out, "%lld", (long long)n);
}

void dm_jw_null(dm_jw *j)
{
    sep(j);
    fputs("null", j->out);
}

void dm_jw_double(dm_jw *j, const char *fmt, double v)
{
    sep(j);
    if (!isfinite(v)) {
        fputs("null", j->out);
        return;
    }
    fprintf(j->out, fmt, v);
}
