/* json.c - a strict JSON checker with located errors, then cJSON (lazy elements: an arena) with offsets. */
#include "json.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/scenario.h"

/* cJSON does not tell an allocation failure from a syntax error: the hook
 * records it.  cJSON's hooks are process-wide, so this is too. */
static int json_oom;

static void *json_malloc(size_t n)
{
    void *p = dm_malloc(n);
    if (p == NULL)
        json_oom = 1;
    return p;
}

void dm_json_init_hooks(void)
{
    cJSON_Hooks h;
    h.malloc_fn = json_malloc;
    h.free_fn = dm_free;
    cJSON_InitHooks(&h);
}

/* The arrays that are members of the top-level object: where each starts
 * and ends and how many elements it has, so that the lazy parse need not
 * walk a million users twice more to learn it. */
#define TOP_ARRAYS 16

typedef struct top_array {
    size_t start, end, count;
} top_array;

/* The checker's state.  `depth` counts open containers. */
typedef struct scan {
    const unsigned char *t;
    size_t len;
    size_t pos;
    dm_diag *diag;
    dm_err err;      /* first failure */
    int root_object; /* the document is an object */
    top_array top[TOP_ARRAYS];
    size_t n_top;
} scan;

static int fail_at(scan *s, dm_err err, size_t off, const char *msg, const char *arg)
{
    dm_err e;
    if (arg != NULL)
        e = dm_diag_add(s->diag, DM_SEV_ERROR, off, NULL, msg, arg);
    else
        e = dm_diag_add(s->diag, DM_SEV_ERROR, off, NULL, "%s", msg);
    s->err = e != DM_OK ? e : err;
    return -1;
}

static int fail(scan *s, size_t off, const char *msg)
{
    return fail_at(s, DM_ERR_SCENARIO, off, msg, NULL);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t k, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < k)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < k; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return k;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(scan *s)
{
    while (s->pos < s->len && is_ws(s->t[s->pos]))
        s->pos++;
}

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == '+';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (n bytes left): the code unit, or -1. */
static long hex4(const unsigned char *p, size_t n)
{
    long v = 0;
    size_t i;
    if (n < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Why a character cannot start or continue something: the best message. */
static int bad_char(scan *s, size_t off, const char *what)
{
    unsigned char c = s->t[off];
    char buf[160];

    if (c == 0)
        return fail(s, off, "invalid JSON: NUL byte in the text (is this a binary file?)");
    if (c >= 0x80 && utf8_len(s->t + off, s->len - off) == 0)
        return fail(s, off, "invalid UTF-8 in the text");
    if (c == '\'')
        return fail(s, off, "invalid JSON: strings use double quotes, not single quotes");
    if (c == '/')
        return fail(s, off, "invalid JSON: comments are not allowed in JSON");
    if (c < 0x20 || c == 0x7f) {
        snprintf(buf, sizeof(buf), "invalid JSON: unexpected control character 0x%02x%s%s",
                 c, what ? ", " : "", what ? what : "");
        return fail(s, off, buf);
    }
    if (c >= 0x80) {
        snprintf(buf, sizeof(buf), "invalid JSON: unexpected non-ASCII character%s%s",
                 what ? ", " : "", what ? what : "");
        return fail(s, off, buf);
    }
    snprintf(buf, sizeof(buf), "invalid JSON: unexpected '%c'%s%s", c, what ? ", " : "",
             what ? what : "");
    return fail(s, off, buf);
}

static int eof_in(scan *s, size_t open, const char *what)
{
    char buf[128];
    uint32_t line, col;
    dm_diag_locate((const char *)s->t, s->len, open, &line, &col);
    snprintf(buf, sizeof(buf), "invalid JSON: unexpected end of file (the %s opened at %u:%u is not closed)",
             what, (unsigned)line, (unsigned)col);
    return fail(s, s->len, buf);
}

/* Bytes a string holds as they are (printable ASCII and DEL, but the
 * quote and the backslash): runs of them are skipped in a tight loop. */
static const unsigned char str_plain[256] = {
#define R8(v) v, v, v, v, v, v, v, v
    R8(0), R8(0), R8(0), R8(0),          /* 0x00-0x1f: control */
    1, 1, 0, 1, 1, 1, 1, 1,              /* 0x20-0x27: '"' at 0x22 */
    R8(1), R8(1), R8(1),                 /* 0x28-0x3f */
    R8(1), R8(1), R8(1),                 /* 0x40-0x57 */
    1, 1, 1, 1, 0, 1, 1, 1,              /* 0x58-0x5f: '\\' at 0x5c */
    R8(1), R8(1), R8(1), R8(1),          /* 0x60-0x7f */
    R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0),
    R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0),
#undef R8
};

static int check_string(scan *s)
{
    size_t start = s->pos;
    s->pos++;
    for (;;) {
        unsigned char c;
        while (s->pos < s->len && str_plain[s->t[s->pos]])
            s->pos++;
        if (s->pos >= s->len)
            return fail(s, start, "invalid JSON: unterminated string (missing closing '\"')");
        c = s->t[s->pos];
        if (c == '"') {
            s->pos++;
            return 0;
        }
        if (c == '\\') {
            unsigned char e;
            long u;
            if (s->pos + 1 >= s->len)
                return fail(s, start, "invalid JSON: unterminated string (missing closing '\"')");
            e = s->t[s->pos + 1];
            if (strchr("\"\\/bfnrt", e) != NULL && e != 0) {
                s->pos += 2;
                continue;
            }
            if (e != 'u') {
                if (e >= 0x21 && e < 0x7f) {
                    char ch[2] = {(char)e, 0};
                    return fail_at(s, DM_ERR_SCENARIO, s->pos,
                                   "invalid JSON: invalid escape '\\%s' in string", ch);
                }
                return fail(s, s->pos, "invalid JSON: invalid escape in string");
            }
            u = hex4(s->t + s->pos + 2, s->len - s->pos - 2);
            if (u < 0)
                return fail(s, s->pos, "invalid JSON: \\u must be followed by four hex digits");
            if (u == 0)
                return fail(s, s->pos, "invalid JSON: \\u0000 is not allowed in strings");
            if (u >= 0xDC00 && u <= 0xDFFF)
                return fail(s, s->pos, "invalid JSON: unpaired surrogate in \\u escape");
            if (u >= 0xD800 && u <= 0xDBFF) {
                long lo = -1;
                if (s->pos + 7 < s->len && s->t[s->pos + 6] == '\\' && s->t[s->pos + 7] == 'u')
                    lo = hex4(s->t + s->pos + 8, s->len - s->pos - 8);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(s, s->pos, "invalid JSON: unpaired surrogate in \\u escape");
                s->pos += 12;
                continue;
            }
            s->pos += 6;
            continue;
        }
        if (c == 0)
            return fail(s, s->pos, "invalid JSON: NUL byte in the text (is this a binary file?)");
        if (c == '\n')
            return fail(s, start, "invalid JSON: unterminated string (missing closing '\"')");
        if (c < 0x20)
            return fail(s, s->pos,
                        "invalid JSON: control character in string (write it as \\t, \\n or \\u00XX)");
        if (c >= 0x80) {
            size_t k = utf8_len(s->t + s->pos, s->len - s->pos);
            if (k == 0)
                return fail(s, s->pos, "invalid UTF-8 in a string");
            s->pos += k;
            continue;
        }
        s->pos++;
    }
}

/* A number token: the run of word characters, checked against the JSON
 * grammar as a whole so "01", "1.", "+1" and "1e" are one clear error. */
static int check_number(scan *s)
{
    size_t start = s->pos, end = s->pos, p;
    const unsigned char *t = s->t;
    char buf[128];

    while (end < s->len && is_word(t[end]))
        end++;
    p = start;
    if (p < end && t[p] == '-')
        p++;
    if (p < end && t[p] == '0')
        p++;
    else if (p < end && t[p] >= '1' && t[p] <= '9')
        while (p < end && t[p] >= '0' && t[p] <= '9')
            p++;
    else
        goto bad;
    if (p < end && t[p] == '.') {
        p++;
        if (!(p < end && t[p] >= '0' && t[p] <= '9'))
            goto bad;
        while (p < end && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    if (p < end && (t[p] == 'e' || t[p] == 'E')) {
        p++;
        if (p < end && (t[p] == '+' || t[p] == '-'))
            p++;
        if (!(p < end && t[p] >= '0' && t[p] <= '9'))
            goto bad;
        while (p < end && t[p] >= '0' && t[p] <= '9')
            p++;
    }
    if (p != end)
        goto bad;
    if (end - start > 63)
        return fail(s, start, "invalid JSON: number too long (at most 63 characters)");
    s->pos = end;
    return 0;
bad:
    snprintf(buf, sizeof(buf), "invalid JSON: malformed number \"%.*s\"",
             (int)(end - start > 40 ? 40 : end - start), (const char *)t + start);
    return fail(s, start, buf);
}

static int check_word(scan *s)
{
    size_t start = s->pos, end = s->pos;
    size_t n;
    const char *w = (const char *)s->t + start;
    char buf[160];

    while (end < s->len && is_word(s->t[end]))
        end++;
    n = end - start;
    if ((n == 4 && memcmp(w, "true", 4) == 0) || (n == 5 && memcmp(w, "false", 5) == 0) ||
        (n == 4 && memcmp(w, "null", 4) == 0)) {
        s->pos = end;
        return 0;
    }
    if ((n == 4 && (memcmp(w, "True", 4) == 0 || memcmp(w, "TRUE", 4) == 0 ||
                    memcmp(w, "None", 4) == 0 || memcmp(w, "NULL", 4) == 0 ||
                    memcmp(w, "Null", 4) == 0)) ||
        (n == 5 && (memcmp(w, "False", 5) == 0 || memcmp(w, "FALSE", 5) == 0)) ||
        (n == 3 && (memcmp(w, "NaN", 3) == 0 || memcmp(w, "nan", 3) == 0)) ||
        (n == 8 && memcmp(w, "Infinity", 8) == 0)) {
        snprintf(buf, sizeof(buf),
                 "invalid JSON: unknown literal \"%.*s\" (JSON has true, false and null)", (int)n, w);
        return fail(s, start, buf);
    }
    snprintf(buf, sizeof(buf), "invalid JSON: unexpected word \"%.*s\" (strings need double quotes)",
             (int)(n > 40 ? 40 : n), w);
    return fail(s, start, buf);
}

static int check_value(scan *s, int depth);

static int check_object(scan *s, int depth)
{
    size_t open = s->pos, comma = SIZE_MAX;
    s->pos++;
    skip_ws(s);
    if (s->pos < s->len && s->t[s->pos] == '}') {
        s->pos++;
        return 0;
    }
    for (;;) {
        unsigned char c;
        skip_ws(s);
        if (s->pos >= s->len)
            return eof_in(s, open, "object");
        c = s->t[s->pos];
        if (c != '"') {
            if (c == '}' && comma != SIZE_MAX)
                return fail(s, comma, "invalid JSON: trailing comma before '}'");
            if (c == '\'')
                return bad_char(s, s->pos, NULL);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
                return fail(s, s->pos, "invalid JSON: member names need double quotes");
            return bad_char(s, s->pos, "expected a member name in double quotes");
        }
        if (check_string(s) < 0)
            return -1;
        skip_ws(s);
        if (s->pos >= s->len)
            return eof_in(s, open, "object");
        if (s->t[s->pos] != ':')
            return bad_char(s, s->pos, "expected ':' after the member name");
        s->pos++;
        if (check_value(s, depth) < 0)
            return -1;
        skip_ws(s);
        if (s->pos >= s->len)
            return eof_in(s, open, "object");
        c = s->t[s->pos];
        if (c == ',') {
            comma = s->pos++;
            continue;
        }
        if (c == '}') {
            s->pos++;
            return 0;
        }
        if (c == '"')
            return fail(s, s->pos, "invalid JSON: missing ',' before this member");
        return bad_char(s, s->pos, "expected ',' or '}'");
    }
}

/* A member array of the top-level object (depth 2) is remembered. */
static void note_top(scan *s, int depth, size_t open, size_t count)
{
    if (depth == 2 && s->root_object && s->n_top < TOP_ARRAYS) {
        s->top[s->n_top].start = open;
        s->top[s->n_top].end = s->pos;
        s->top[s->n_top].count = count;
        s->n_top++;
    }
}

static int check_array(scan *s, int depth)
{
    size_t open = s->pos, comma = SIZE_MAX, count = 0;
    s->pos++;
    skip_ws(s);
    if (s->pos < s->len && s->t[s->pos] == ']') {
        s->pos++;
        note_top(s, depth, open, 0);
        return 0;
    }
    for (;;) {
        unsigned char c;
        skip_ws(s);
        if (s->pos >= s->len)
            return eof_in(s, open, "array");
        if (s->t[s->pos] == ']' && comma != SIZE_MAX)
            return fail(s, comma, "invalid JSON: trailing comma before ']'");
        if (check_value(s, depth) < 0)
            return -1;
        count++;
        skip_ws(s);
        if (s->pos >= s->len)
            return eof_in(s, open, "array");
        c = s->t[s->pos];
        if (c == ',') {
            comma = s->pos++;
            continue;
        }
        if (c == ']') {
            s->pos++;
            note_top(s, depth, open, count);
            return 0;
        }
        if (c == '"' || c == '{' || c == '[' || c == '-' || (c >= '0' && c <= '9'))
            return fail(s, s->pos, "invalid JSON: missing ',' before this element");
        return bad_char(s, s->pos, "expected ',' or ']'");
    }
}

static int check_value(scan *s, int depth)
{
    unsigned char c;
    skip_ws(s);
    if (s->pos >= s->len)
        return fail(s, s->len, "invalid JSON: unexpected end of file (expected a value)");
    c = s->t[s->pos];
    if (c == '{' || c == '[') {
        if (depth + 1 > DM_LIMIT_DEPTH) {
            char buf[80];
            snprintf(buf, sizeof(buf), "nesting deeper than %d levels", DM_LIMIT_DEPTH);
            return fail_at(s, DM_ERR_LIMIT, s->pos, "%s", buf);
        }
        return c == '{' ? check_object(s, depth + 1) : check_array(s, depth + 1);
    }
    if (c == '"')
        return check_string(s);
    if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))
        return check_number(s);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return check_word(s);
    if (c == ']' || c == '}' || c == ',' || c == ':')
        return bad_char(s, s->pos, "expected a value");
    return bad_char(s, s->pos, NULL);
}

/* Lock-step with cJSON's pre-order tree: store each value's offset. */
static void skip_str(const char *t, size_t len, size_t *pos)
{
    size_t p = *pos + 1;
    for (;;) {
        const char *q = p < len ? memchr(t + p, '"', len - p) : NULL;
        size_t bs = 0;
        if (q == NULL) {
            *pos = len;
            return;
        }
        p = (size_t)(q - t);
        while (p - bs > *pos + 1 && t[p - bs - 1] == '\\')
            bs++;
        p++;
        if (bs % 2 == 0)
            break;
    }
    *pos = p;
}

static void skip_sp(const char *t, size_t len, size_t *pos)
{
    while (*pos < len && is_ws((unsigned char)t[*pos]))
        (*pos)++;
}

static void annotate(const char *t, size_t len, size_t *pos, cJSON *n)
{
    cJSON *c;
    skip_sp(t, len, pos);
    if (*pos >= len)
        return;
    n->valueint = (int)*pos;
    switch (t[*pos]) {
    case '{':
        (*pos)++;
        for (c = n->child; c != NULL; c = c->next) {
            skip_sp(t, len, pos);
            skip_str(t, len, pos);
            skip_sp(t, len, pos);
            (*pos)++; /* ':' */
            annotate(t, len, pos, c);
            skip_sp(t, len, pos);
            (*pos)++; /* ',' or '}' */
        }
        if (n->child == NULL) {
            skip_sp(t, len, pos);
            (*pos)++;
        }
        break;
    case '[':
        (*pos)++;
        for (c = n->child; c != NULL; c = c->next) {
            annotate(t, len, pos, c);
            skip_sp(t, len, pos);
            (*pos)++;
        }
        if (n->child == NULL) {
            skip_sp(t, len, pos);
            (*pos)++;
        }
        break;
    case '"':
        skip_str(t, len, pos);
        break;
    default:
        while (*pos < len && is_word((unsigned char)t[*pos]))
            (*pos)++;
        break;
    }
}

/* End (exclusive) of the value starting at p of a checked text. */
static size_t skip_value(const char *t, size_t len, size_t p)
{
    int depth = 0;
    char c = t[p];
    if (c == '"') {
        skip_str(t, len, &p);
        return p;
    }
    if (c != '{' && c != '[') {
        while (p < len && is_word((unsigned char)t[p]))
            p++;
        return p;
    }
    while (p < len) {
        c = t[p];
        if (c == '"') {
            skip_str(t, len, &p);
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return len;
}

/* Where cJSON stopped on its last failure (return_parse_end). */
static size_t cjson_stop;

/* Parse the value spanning [start, end) of a checked text, with offsets. */
static dm_err parse_span(const char *text, size_t len, size_t start, size_t end, cJSON **out)
{
    const char *stop = NULL;
    size_t pos = start;
    cJSON *n;

    json_oom = 0;
    n = cJSON_ParseWithLengthOpts(text + start, end - start, &stop, 0);
    if (n == NULL) {
        cjson_stop = stop != NULL && stop >= text + start && stop <= text + end
                         ? (size_t)(stop - text)
                         : start;
        return json_oom ? DM_ERR_NOMEM : DM_ERR_SCENARIO;
    }
    annotate(text, len, &pos, n);
    *out = n;
    return DM_OK;
}

/* The checker's verdict on a text, its start (after a BOM) in *start, and
 * in s the member arrays of the top-level object. */
static dm_err check_text(scan *s, const char *text, size_t len, dm_diag *diag, size_t *start)
{
    s->t = (const unsigned char *)text;
    s->len = len;
    s->pos = 0;
    s->diag = diag;
    s->err = DM_OK;
    s->root_object = 0;
    s->n_top = 0;
    if (len > DM_LIMIT_FILE_BYTES) {
        fail_at(s, DM_ERR_LIMIT, SIZE_MAX, "the file is larger than %s", "1 GiB");
        return s->err;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        s->pos = 3;
    skip_ws(s);
    *start = s->pos;
    if (s->pos >= len) {
        fail(s, s->pos, "invalid JSON: the file is empty (expected an object)");
        return s->err;
    }
    s->root_object = s->t[s->pos] == '{';
    if (check_value(s, 0) < 0)
        return s->err;
    skip_ws(s);
    if (s->pos < len) {
        if (s->t[s->pos] == 0)
            bad_char(s, s->pos, NULL);
        else
            fail(s, s->pos, "invalid JSON: unexpected text after the end of the document");
        return s->err;
    }
    return DM_OK;
}

static int in_names(const char *const *names, const char *s)
{
    for (; names != NULL && *names != NULL; names++)
        if (strcmp(*names, s) == 0)
            return 1;
    return 0;
}

/* Elements of the checked array at p. */
static size_t count_elements(const char *t, size_t len, size_t p)
{
    size_t n = 0;
    p++;
    for (;;) {
        skip_sp(t, len, &p);
        if (p >= len || t[p] == ']')
            return n;
        p = skip_value(t, len, p);
        n++;
        skip_sp(t, len, &p);
        if (p < len && t[p] == ',')
            p++;
    }
}

/* Build the top-level object member by member from the checked text. */
static const top_array *noted(const scan *s, size_t start)
{
    size_t i;
    for (i = 0; i < s->n_top; i++)
        if (s->top[i].start == start)
            return &s->top[i];
    return NULL;
}

static dm_err parse_top(const scan *s, const char *text, size_t len, size_t p,
                        const char *const *lazy, cJSON **out)
{
    cJSON *root, *key = NULL, *val = NULL;
    dm_err err = DM_ERR_NOMEM;

    root = cJSON_CreateObject();
    if (root == NULL)
        goto out;
    root->valueint = (int)p;
    p++;
    for (;;) {
        size_t ks, ke, vs, ve;
        const top_array *top;
        skip_sp(text, len, &p);
        if (p >= len || text[p] == '}')
            break;
        ks = p;
        skip_str(text, len, &p);
        ke = p;
        skip_sp(text, len, &p);
        p++; /* ':' */
        skip_sp(text, len, &p);
        vs = p;
        top = text[vs] == '[' ? noted(s, vs) : NULL;
        ve = top != NULL ? top->end : skip_value(text, len, vs);
        if ((err = parse_span(text, len, ks, ke, &key)) != DM_OK)
            goto out;
        if (text[vs] == '[' && in_names(lazy, key->valuestring)) {
            val = cJSON_CreateArray();
            if (val == NULL) {
                err = DM_ERR_NOMEM;
                goto out;
            }
            val->valueint = (int)vs;
            val->valuedouble =
                (double)(top != NULL ? top->count : count_elements(text, len, vs)) + 1.0;
        } else if ((err = parse_span(text, len, vs, ve, &val)) != DM_OK) {
            goto out;
        }
        if (!cJSON_AddItemToObject(root, key->valuestring, val)) {
            err = DM_ERR_NOMEM;
            goto out;
        }
        val = NULL;
        cJSON_Delete(key);
        key = NULL;
        p = ve;
        skip_sp(text, len, &p);
        if (p < len && text[p] == ',')
            p++;
    }
    *out = root;
    root = NULL;
    err = DM_OK;
out:
    cJSON_Delete(key);
    cJSON_Delete(val);
    cJSON_Delete(root);
    return err;
}

static dm_err parse(const char *text, size_t len, const char *const *lazy, cJSON **out,
                    dm_diag *diag)
{
    cJSON *root = NULL;
    size_t start = 0;
    dm_err err;
    scan s;

    err = check_text(&s, text, len, diag, &start);
    if (err != DM_OK)
        return err;
    dm_json_init_hooks();
    if (lazy != NULL && text[start] == '{')
        err = parse_top(&s, text, len, start, lazy, &root);
    else
        err = parse_span(text, len, start, len, &root);
    if (err == DM_ERR_SCENARIO) {
        /* The checker accepted what cJSON refused: a bug, but say where. */
        err = dm_diag_add(diag, DM_SEV_ERROR, cjson_stop, NULL, "invalid JSON");
        if (err == DM_OK)
            err = DM_ERR_SCENARIO;
    }
    if (err == DM_OK)
        *out = root;
    return err;
}

dm_err dm_json_parse(const char *text, size_t len, cJSON **out, dm_diag *diag)
{
    return parse(text, len, NULL, out, diag);
}

dm_err dm_json_parse_lazy(const char *text, size_t len, const char *const *lazy, cJSON **out,
                          dm_diag *diag)
{
    return parse(text, len, lazy, out, diag);
}

int dm_json_is_lazy(const cJSON *arr)
{
    return cJSON_IsArray(arr) && arr->child == NULL && arr->valuedouble >= 1.0;
}

size_t dm_json_count(const cJSON *arr)
{
    size_t n = 0;
    const cJSON *c;
    if (dm_json_is_lazy(arr))
        return (size_t)(arr->valuedouble - 1.0);
    for (c = arr->child; c != NULL; c = c->next)
        n++;
    return n;
}

/* ---- lazy elements: parsed straight into an arena ----
 *
 * An element of a checked text cannot be malformed, so it is built here
 * in one pass, nodes and strings bump-allocated from blocks the iterator
 * reuses element after element: a million users cost no malloc and free
 * per node, no second walk to find the element's end and no third to
 * note offsets.  The tree is what cJSON would build (types, members in
 * order, first child's prev at the last, decoded strings, strtod numbers,
 * valueint the offset); a number cJSON would read otherwise (more than 63
 * characters, which the checker refuses today) sends the element to cJSON
 * itself. */

#define ARENA_BLOCK 65536

typedef struct dm_json_block {
    struct dm_json_block *next;
    size_t cap, used;
    /* data follows the header rounded up to 16 bytes */
} dm_json_block;

static void *arena_alloc(dm_json_iter *it, size_t n)
{
    dm_json_block *b = it->cur;
    size_t hdr = (sizeof(dm_json_block) + 15) & ~(size_t)15;

    n = (n + 15) & ~(size_t)15;
    /* The next free block, else a new one after the current. */
    while (b != NULL && b->cap - b->used < n) {
        b = b->next;
        if (b != NULL)
            b->used = 0;
    }
    if (b == NULL) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = dm_malloc(hdr + cap);
        if (b == NULL)
            return NULL;
        b->cap = cap;
        b->used = 0;
        if (it->cur == NULL) {
            b->next = it->blocks[it->side];
            it->blocks[it->side] = b;
        } else {
            b->next = it->cur->next;
            it->cur->next = b;
        }
    }
    it->cur = b;
    b->used += n;
    return (char *)b + hdr + b->used - n;
}

static cJSON *new_node(dm_json_iter *it, int type, size_t off)
{
    cJSON *n = arena_alloc(it, sizeof(cJSON));
    if (n == NULL)
        return NULL;
    memset(n, 0, sizeof *n);
    n->type = type;
    n->valueint = (int)off;
    return n;
}

static unsigned long hex4u(const char *p)
{
    unsigned long v = 0;
    int i;
    for (i = 0; i < 4; i++)
        v = v * 16 + (unsigned long)hexval((unsigned char)p[i]);
    return v;
}

/* The string at it->pos (its opening quote), decoded as cJSON decodes it. */
static char *a_string(dm_json_iter *it)
{
    const char *t = it->text, *p = t + it->pos + 1, *q = p;
    char *out, *o;

    /* Most strings hold no escape: find the closing quote, copy. */
    while (*q != '"' && *q != '\\')
        q++;
    if (*q == '"') {
        out = arena_alloc(it, (size_t)(q - p) + 1);
        if (out == NULL)
            return NULL;
        memcpy(out, p, (size_t)(q - p));
        out[q - p] = '\0';
        it->pos = (size_t)(q + 1 - t);
        return out;
    }
    while (*q != '"') /* the decoded string is never longer */
        q += *q == '\\' ? 2 : 1;
    out = o = arena_alloc(it, (size_t)(q - p) + 1);
    if (out == NULL)
        return NULL;
    while (p < q) {
        unsigned long cp;
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        switch (p[1]) {
        case 'b': *o++ = '\b'; p += 2; continue;
        case 'f': *o++ = '\f'; p += 2; continue;
        case 'n': *o++ = '\n'; p += 2; continue;
        case 'r': *o++ = '\r'; p += 2; continue;
        case 't': *o++ = '\t'; p += 2; continue;
        case 'u': break;
        default: *o++ = p[1]; p += 2; continue; /* '"', '\\', '/' */
        }
        cp = hex4u(p + 2);
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* the checker paired it */
            cp = 0x10000 + (((cp & 0x3FF) << 10) | (hex4u(p + 2) & 0x3FF));
            p += 6;
        }
        if (cp < 0x80) {
            *o++ = (char)cp;
        } else if (cp < 0x800) {
            *o++ = (char)(0xC0 | (cp >> 6));
            *o++ = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *o++ = (char)(0xE0 | (cp >> 12));
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char)(0x80 | (cp & 0x3F));
        } else {
            *o++ = (char)(0xF0 | (cp >> 18));
            *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    *o = '\0';
    it->pos = (size_t)(q + 1 - t);
    return out;
}

static void a_ws(dm_json_iter *it)
{
    while (it->pos < it->len && is_ws((unsigned char)it->text[it->pos]))
        it->pos++;
}

/* 1: built; 0: out of memory; -1: a number only cJSON reads as it does. */
static int a_value(dm_json_iter *it, cJSON **out)
{
    const char *t = it->text;
    size_t off;
    cJSON *n, *c, *tail = NULL;
    int r;

    a_ws(it);
    off = it->pos;
    switch (t[off]) {
    case '{':
    case '[': {
        int obj = t[off] == '{';
        if ((n = new_node(it, obj ? cJSON_Object : cJSON_Array, off)) == NULL)
            return 0;
        it->pos++;
        for (;;) {
            char *key = NULL;
            a_ws(it);
            if (t[it->pos] == (obj ? '}' : ']'))
                break;
            if (obj) {
                if ((key = a_string(it)) == NULL)
                    return 0;
                a_ws(it);
                it->pos++; /* ':' */
            }
            if ((r = a_value(it, &c)) <= 0)
                return r;
            c->string = key;
            if (tail == NULL) {
                n->child = c;
            } else {
                tail->next = c;
                c->prev = tail;
            }
            tail = c;
            a_ws(it);
            if (t[it->pos] == ',')
                it->pos++;
        }
        it->pos++;
        if (n->child != NULL)
            n->child->prev = tail;
        break;
    }
    case '"':
        if ((n = new_node(it, cJSON_String, off)) == NULL ||
            (n->valuestring = a_string(it)) == NULL)
            return 0;
        break;
    case 't':
    case 'f':
    case 'n':
        if ((n = new_node(it, t[off] == 't' ? cJSON_True : t[off] == 'f' ? cJSON_False
                                                                         : cJSON_NULL,
                          off)) == NULL)
            return 0;
        it->pos += t[off] == 'f' ? 5 : 4;
        break;
    default: {
        /* cJSON's parse_number: the token with the locale's decimal point,
         * then strtod. */
        char num[64];
        size_t k = 0;
        char dp = localeconv()->decimal_point[0];
        while (off + k < it->len && strchr("0123456789+-eE.", t[off + k]) != NULL &&
               t[off + k] != '\0') {
            if (k == sizeof num - 1)
                return -1;
            num[k] = t[off + k] == '.' ? dp : t[off + k];
            k++;
        }
        num[k] = '\0';
        if ((n = new_node(it, cJSON_Number, off)) == NULL)
            return 0;
        n->valuedouble = strtod(num, NULL);
        it->pos += k;
        break;
    }
    }
    *out = n;
    return 1;
}

void dm_json_iter_init(dm_json_iter *it, const char *text, size_t len, const cJSON *arr)
{
    it->text = text;
    it->len = len;
    it->pos = dm_json_offset(arr) + 1;
    it->blocks[0] = it->blocks[1] = NULL;
    it->cur = NULL;
    it->owned[0] = it->owned[1] = NULL;
    it->side = 0;
}

void dm_json_iter_free(dm_json_iter *it)
{
    dm_json_block *b, *next;
    int k;

    for (k = 0; k < 2; k++) {
        for (b = it->blocks[k]; b != NULL; b = next) {
            next = b->next;
            dm_free(b);
        }
        it->blocks[k] = NULL;
        cJSON_Delete(it->owned[k]);
        it->owned[k] = NULL;
    }
    it->cur = NULL;
}

dm_err dm_json_iter_next(dm_json_iter *it, cJSON **out)
{
    size_t start, end;
    dm_err err = DM_OK;
    int r;

    *out = NULL;
    /* Two sides, used in turn: the previous element stays valid. */
    it->side ^= 1;
    cJSON_Delete(it->owned[it->side]);
    it->owned[it->side] = NULL;
    it->cur = it->blocks[it->side];
    if (it->cur != NULL)
        it->cur->used = 0;
    skip_sp(it->text, it->len, &it->pos);
    if (it->pos >= it->len || it->text[it->pos] == ']')
        return DM_OK;
    start = it->pos;
    r = a_value(it, out);
    if (r == 0) {
        *out = NULL;
        return DM_ERR_NOMEM;
    }
    if (r < 0) {
        end = skip_value(it->text, it->len, start);
        err = parse_span(it->text, it->len, start, end, &it->owned[it->side]);
        if (err == DM_ERR_SCENARIO)
            err = DM_ERR_NOMEM; /* as before: cJSON refused a checked text */
        *out = it->owned[it->side];
        it->pos = end;
    }
    skip_sp(it->text, it->len, &it->pos);
    if (it->pos < it->len && it->text[it->pos] == ',')
        it->pos++;
    return err;
}

size_t dm_json_offset(const cJSON *n)
{
    return n->valueint < 0 ? SIZE_MAX : (size_t)n->valueint;
}

/* Back from the value over ':' and the key's closing quote to the first
 * quote not escaped (preceded by an even run of backslashes). */
size_t dm_json_key_offset(const char *text, size_t len, const cJSON *n)
{
    size_t p = dm_json_offset(n);
    if (n->string == NULL || p == SIZE_MAX || p > len)
        return p;
    while (p > 0 && text[p - 1] != ':')
        p--;
    if (p == 0)
        return dm_json_offset(n);
    p--;
    while (p > 0 && text[p - 1] != '"')
        p--;
    if (p == 0)
        return dm_json_offset(n);
    p--; /* the closing quote */
    while (p > 0) {
        size_t q = p - 1, bs = 0;
        if (text[q] == '"') {
            size_t r = q;
            while (r > 0 && text[r - 1] == '\\') {
                bs++;
                r--;
            }
            if (bs % 2 == 0)
                return q;
        }
        p--;
    }
    return dm_json_offset(n);
}

const char *dm_json_type_name(const cJSON *n)
{
    if (n == NULL)
        return "nothing";
    if (cJSON_IsString(n))
        return "a string";
    if (cJSON_IsNumber(n))
        return "a number";
    if (cJSON_IsObject(n))
        return "an object";
    if (cJSON_IsArray(n))
        return "an array";
    if (cJSON_IsBool(n))
        return "a boolean";
    if (cJSON_IsNull(n))
        return "null";
    return "an unknown value";
}
