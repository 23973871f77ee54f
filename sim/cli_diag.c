/* cli_diag.c - turn a dm_diag list into text on stderr: location, message, caret. */
#include "cli_diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOLD "\033[1m"
#define RESET "\033[0m"
#define RED "\033[1;31m"
#define MAGENTA "\033[1;35m"
#define CYAN "\033[1;36m"
#define GREEN "\033[1;32m"

/* A source line longer than this is shown as a window around the column
 * (minified JSON can be one line of megabytes). */
#define SHOW_MAX 120
#define SHOW_BEFORE 60

int
dm_cli_diag_colour(FILE *f)
{
    const char *nc = getenv("NO_COLOR");

    if (nc != NULL && nc[0] != '\0')
        return 0;
    return isatty(fileno(f));
}

static const char *
sev_name(dm_severity sev)
{
    switch (sev) {
    case DM_SEV_ERROR: return "error";
    case DM_SEV_WARNING: return "warning";
    case DM_SEV_NOTE: return "note";
    }
    return "error";
}

static const char *
sev_colour(dm_severity sev)
{
    switch (sev) {
    case DM_SEV_ERROR: return RED;
    case DM_SEV_WARNING: return MAGENTA;
    case DM_SEV_NOTE: return CYAN;
    }
    return RED;
}

/* Write n bytes, control bytes (but tab) as '?'. */
static void
put_safe(FILE *f, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, f);
    }
}

static void
put_safe_str(FILE *f, const char *s)
{
    put_safe(f, s, strlen(s));
}

/* "doormat: FILE:LINE:COL: error: " - the head every message shares. */
static void
put_head(FILE *f, int colour, dm_severity sev, const char *file, uint32_t line,
         uint32_t col)
{
    fputs("doormat: ", f);
    if (file != NULL) {
        if (colour)
            fputs(BOLD, f);
        put_safe_str(f, file);
        if (line > 0)
            fprintf(f, ":%u:%u", (unsigned)line, (unsigned)col);
        fputc(':', f);
        if (colour)
            fputs(RESET, f);
        fputc(' ', f);
    }
    if (colour)
        fputs(sev_colour(sev), f);
    fprintf(f, "%s:", sev_name(sev));
    if (colour)
        fputs(RESET, f);
    fputc(' ', f);
}

/* Find the bounds of the entry's line in d->text; 0 when not available. */
static int
find_line(const dm_diag *d, const dm_diag_entry *e, size_t *start, size_t *end)
{
    const char *text = d->text, *nl;
    size_t s, len = d->len;
    uint32_t l;

    if (text == NULL || e->line == 0)
        return 0;
    if (e->offset != SIZE_MAX && e->col > 0) {
        size_t off = e->offset > len ? len : e->offset;
        if ((size_t)e->col - 1 > off)
            return 0;
        s = off - ((size_t)e->col - 1);
    } else {
        /* Entries made by hand may carry only line/col. */
        s = 0;
        for (l = 1; l < e->line; l++) {
            nl = memchr(text + s, '\n', len - s);
            if (nl == NULL)
                return 0;
            s = (size_t)(nl - text) + 1;
        }
    }
    nl = memchr(text + s, '\n', len - s);
    *start = s;
    *end = nl ? (size_t)(nl - text) : len;
    if (*end > *start && text[*end - 1] == '\r')
        (*end)--;
    return 1;
}

/* The source line in a gutter with its number, then a caret under the
 * column.  The caret line copies tabs and skips UTF-8 continuation bytes,
 * so it lines up with what the terminal showed above it. */
static void
put_source(FILE *f, int colour, const dm_diag *d, const dm_diag_entry *e)
{
    size_t start, end, from, to, caret, i;
    int width;
    char num[16];

    if (!find_line(d, e, &start, &end))
        return;
    caret = start + (e->col > 0 ? (size_t)e->col - 1 : 0);
    from = start;
    to = end;
    if (end - start > SHOW_MAX) {
        from = caret > start + SHOW_BEFORE ? caret - SHOW_BEFORE : start;
        to = from + SHOW_MAX < end ? from + SHOW_MAX : end;
    }
    width = snprintf(num, sizeof num, "%u", (unsigned)e->line);
    if (width < 4)
        width = 4;

    fprintf(f, " %*u | ", width, (unsigned)e->line);
    if (from > start)
        fputs("...", f);
    put_safe(f, d->text + from, to - from);
    if (to < end)
        fputs("...", f);
    fputc('\n', f);

    fprintf(f, " %*s | ", width, "");
    if (from > start)
        fputs("   ", f);
    for (i = from; i < caret && i < to; i++) {
        unsigned char c = (unsigned char)d->text[i];
        if (c == '\t')
            fputc('\t', f);
        else if ((c & 0xc0) != 0x80)
            fputc(' ', f);
    }
    if (colour)
        fputs(GREEN, f);
    fputc('^', f);
    if (colour)
        fputs(RESET, f);
    fputc('\n', f);
}

void
dm_cli_diag_print_entry(FILE *f, const dm_diag *d, const dm_diag_entry *e,
                        int colour)
{
    put_head(f, colour, e->severity, d->file, e->line, e->col);
    if (e->path != NULL && e->path[0] != '\0') {
        put_safe_str(f, e->path);
        fputs(": ", f);
    }
    put_safe_str(f, e->message ? e->message : "");
    fputc('\n', f);
    put_source(f, colour, d, e);
}

void
dm_cli_diag_print(FILE *f, const dm_diag *d, int colour)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        dm_cli_diag_print_entry(f, d, &d->entries[i], colour);
    if (d->dropped == 1)
        fputs("doormat: 1 more error not shown\n", f);
    else if (d->dropped > 1)
        fprintf(f, "doormat: %zu more errors not shown\n", d->dropped);
    if (d->oom)
        fputs("doormat: some diagnostics were lost (out of memory)\n", f);
}

void
dm_cli_diag_printf(FILE *f, int colour, dm_severity sev, const char *file,
                   const char *fmt, ...)
{
    va_list ap;
    char buf[1024];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put_head(f, colour, sev, file, 0, 0);
    put_safe_str(f, buf);
    fputc('\n', f);
}
