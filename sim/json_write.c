/* json_write.c - a small streamed JSON writer for the run, diff and trials reports. */
#include "json_write.h"

#include <math.h>
#include <string.h>

void dm_jw_flush(dm_jw *j)
{
    if (j->n > 0)
        fwrite(j->buf, 1, j->n, j->out);
    j->n = 0;
}

/* Room for k more bytes (k <= DM_JW_BUF). */
static inline void room(dm_jw *j, size_t k)
{
    if (DM_JW_BUF - j->n < k)
        dm_jw_flush(j);
}

static inline void put_c(dm_jw *j, char c)
{
    room(j, 1);
    j->buf[j->n++] = c;
}

static void put_n(dm_jw *j, const char *s, size_t n)
{
    while (n > 0) {
        size_t k;
        room(j, 1);
        k = DM_JW_BUF - j->n;
        if (k > n)
            k = n;
        memcpy(j->buf + j->n, s, k);
        j->n += k;
        s += k;
        n -= k;
    }
}

/* Short literals ("\\n", ", "): their length is known at compile time. */
#define PUT_LIT(j, lit) put_n((j), (lit), sizeof(lit) - 1)

/* Bytes written as they are inside a string: printable ASCII but for the
 * quote and the backslash.  Runs of them are copied in one piece. */
static const unsigned char plain[256] = {
#define R8(v) v, v, v, v, v, v, v, v
    R8(0), R8(0), R8(0), R8(0),          /* 0x00-0x1f */
    1, 1, 0, 1, 1, 1, 1, 1,              /* 0x20-0x27: '"' at 0x22 */
    R8(1), R8(1), R8(1),                 /* 0x28-0x3f */
    R8(1), R8(1), R8(1),                 /* 0x40-0x57 */
    1, 1, 1, 1, 0, 1, 1, 1,              /* 0x58-0x5f: '\\' at 0x5c */
    R8(1), R8(1), R8(1),                 /* 0x60-0x77 */
    1, 1, 1, 1, 1, 1, 1, 0,              /* 0x78-0x7f: DEL */
    R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0),
    R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0),
#undef R8
};

/* The inside of a string: quotes, backslashes and control bytes escaped;
 * bytes that are not valid UTF-8 become U+FFFD. */
static void put_escaped(dm_jw *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    for (;;) {
        /* Copied byte by byte as they are scanned: the pieces are short
         * (ids, names), so one pass beats strlen and memcpy. */
        char *o = j->buf + j->n, *end = j->buf + DM_JW_BUF;
        unsigned char c;
        size_t need = 0, i;

        while (o < end && plain[*p])
            *o++ = (char)*p++;
        j->n = (size_t)(o - j->buf);
        c = *p;
        if (plain[c]) {
            dm_jw_flush(j); /* the buffer is full */
            continue;
        }
        if (c == 0)
            return;
        if (c == '"' || c == '\\') {
            room(j, 2);
            j->buf[j->n++] = '\\';
            j->buf[j->n++] = (char)c;
            p++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            room(j, 6);
            if (c == '\n')
                PUT_LIT(j, "\\n");
            else if (c == '\r')
                PUT_LIT(j, "\\r");
            else if (c == '\t')
                PUT_LIT(j, "\\t");
            else if (c == '\b' && j->short_escapes)
                PUT_LIT(j, "\\b");
            else if (c == '\f' && j->short_escapes)
                PUT_LIT(j, "\\f");
            else {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                put_n(j, u, sizeof u);
            }
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
            PUT_LIT(j, "\\ufffd");
            p++;
            continue;
        }
        put_n(j, (const char *)p, need + 1);
        p += need + 1;
    }
}

void dm_jw_init(dm_jw *j, FILE *out)
{
    int i;

    j->out = out;
    j->depth = 0;
    j->after_key = 0;
    j->short_escapes = 0;
    j->n = 0;
    for (i = 0; i < DM_JW_DEPTH; i++)
        j->first[i] = j->inl[i] = 0;
}

/* Newline and two spaces a level: the indentation of a block member. */
static void newline(dm_jw *j, int depth)
{
    int i;

    room(j, 1 + 2 * (size_t)DM_JW_DEPTH);
    j->buf[j->n++] = '\n';
    for (i = 0; i < depth; i++) {
        j->buf[j->n++] = ' ';
        j->buf[j->n++] = ' ';
    }
}

/* Separator and indentation before a value or a key. */
static void sep(dm_jw *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0)
        return;
    if (!j->first[j->depth]) {
        if (j->inl[j->depth])
            PUT_LIT(j, ", ");
        else
            put_c(j, ',');
    }
    j->first[j->depth] = 0;
    if (!j->inl[j->depth])
        newline(j, j->depth);
}

void dm_jw_open(dm_jw *j, char c, int inl)
{
    sep(j);
    put_c(j, c);
    if (j->depth + 1 < DM_JW_DEPTH)
        j->depth++;
    j->first[j->depth] = 1;
    j->inl[j->depth] = inl || (j->depth > 1 && j->inl[j->depth - 1]);
}

void dm_jw_close(dm_jw *j, char c)
{
    if (!j->first[j->depth] && !j->inl[j->depth])
        newline(j, j->depth - 1);
    put_c(j, c);
    if (j->depth > 0)
        j->depth--;
    if (j->depth == 0) {
        put_c(j, '\n');
        dm_jw_flush(j);
    }
}

void dm_jw_key(dm_jw *j, const char *k)
{
    sep(j);
    put_c(j, '"');
    put_escaped(j, k);
    PUT_LIT(j, "\": ");
    j->after_key = 1;
}

void dm_jw_str(dm_jw *j, const char *s)
{
    sep(j);
    put_c(j, '"');
    put_escaped(j, s);
    put_c(j, '"');
}

/* Escaping a then b equals escaping their concatenation when b begins with
 * an ASCII byte (a sequence cut at a's end is invalid either way). */
void dm_jw_str2(dm_jw *j, const char *a, const char *b)
{
    sep(j);
    put_c(j, '"');
    put_escaped(j, a);
    put_escaped(j, b);
    put_c(j, '"');
}

/* Decimal digits, as printf's %llu writes them. */
static void put_u64(dm_jw *j, uint64_t n)
{
    char d[20];
    size_t k = sizeof d;

    do {
        d[--k] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    put_n(j, d + k, sizeof d - k);
}

void dm_jw_u64(dm_jw *j, uint64_t n)
{
    sep(j);
    put_u64(j, n);
}

void dm_jw_i64(dm_jw *j, int64_t n)
{
    sep(j);
    if (n < 0) {
        put_c(j, '-');
        put_u64(j, (uint64_t)0 - (uint64_t)n);
    } else {
        put_u64(j, (uint64_t)n);
    }
}

void dm_jw_bool(dm_jw *j, int b)
{
    sep(j);
    if (b)
        PUT_LIT(j, "true");
    else
        PUT_LIT(j, "false");
}

void dm_jw_null(dm_jw *j)
{
    sep(j);
    PUT_LIT(j, "null");
}

void dm_jw_double(dm_jw *j, const char *fmt, double v)
{
    char b[512];
    int n;

    sep(j);
    if (!isfinite(v)) {
        PUT_LIT(j, "null");
        return;
    }
    /* Larger than any %f of a finite double the reports ask for; a longer
     * result goes straight to the stream, after what is gathered. */
    n = snprintf(b, sizeof b, fmt, v);
    if (n < 0)
        return;
    if ((size_t)n < sizeof b) {
        put_n(j, b, (size_t)n);
    } else {
        dm_jw_flush(j);
        fprintf(j->out, fmt, v);
    }
}
