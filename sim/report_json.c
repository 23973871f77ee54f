/* report_json.c - the JSON report (docs/report-format.md), streamed without a tree. */
#include "doormat/report.h"

#include <stdbool.h>
#include <string.h>

#include "doormat/crypto.h"
#include "doormat/world.h"
#include "report_util.h"

/* A minimal streaming writer: containers are either block (one member per
 * line, indented) or inline (members on one line); commas and indentation
 * are its business, so the report code reads like the document it writes. */
#define JW_DEPTH 16

typedef struct jw {
    FILE *out;
    int depth;
    bool first[JW_DEPTH];
    bool inl[JW_DEPTH];
    bool after_key;
} jw;

/* Write s as a JSON string: quotes, backslashes and control characters
 * escaped; bytes that are not valid UTF-8 become U+FFFD so the output is
 * always valid JSON. */
static void jw_raw_string(FILE *out, const char *s)
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
            case '\b': fputs("\\b", out); break;
            case '\f': fputs("\\f", out); break;
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

/* Separator and indentation before a value or a key in the current container. */
static void jw_sep(jw *j)
{
    int i;

    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0)
        return;
    if (!j->first[j->depth])
        fputs(j->inl[j->depth] ? ", " : ",", j->out);
    j->first[j->depth] = false;
    if (!j->inl[j->depth]) {
        fputc('\n', j->out);
        for (i = 0; i < j->depth; i++)
            fputs("  ", j->out);
    }
}

static void jw_open(jw *j, char c, bool inl)
{
    jw_sep(j);
    fputc(c, j->out);
    if (j->depth + 1 < JW_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
    j->inl[j->depth] = inl || (j->depth > 1 && j->inl[j->depth - 1]);
}

static void jw_close(jw *j, char c)
{
    int i;
    bool empty = j->first[j->depth];

    if (!empty && !j->inl[j->depth]) {
        fputc('\n', j->out);
        for (i = 0; i < j->depth - 1; i++)
            fputs("  ", j->out);
    }
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

static void jw_key(jw *j, const char *k)
{
    jw_sep(j);
    jw_raw_string(j->out, k);
    fputs(": ", j->out);
    j->after_key = true;
}

static void jw_str(jw *j, const char *s)
{
    jw_sep(j);
    jw_raw_string(j->out, s);
}

static void jw_u64(jw *j, uint64_t n)
{
    jw_sep(j);
    fprintf(j->out, "%llu", (unsigned long long)n);
}

static void jw_i64(jw *j, int64_t n)
{
    jw_sep(j);
    fprintf(j->out, "%lld", (long long)n);
}

static void jw_bool(jw *j, bool b)
{
    jw_sep(j);
    fputs(b ? "true" : "false", j->out);
}

static void put_exposure(jw *j, const dm_run *r, const dm_exposure *e)
{
    size_t i;

    jw_open(j, '{', false);
    jw_key(j, "users");
    jw_u64(j, e->users);
    jw_key(j, "beyond_law");
    jw_u64(j, e->beyond_law);
    jw_key(j, "by_region");
    jw_open(j, '{', false);
    for (i = 0; i < r->sc->n_regions; i++) {
        jw_key(j, r->sc->regions[i]);
        jw_open(j, '{', true);
        jw_key(j, "users");
        jw_u64(j, e->by_region ? e->by_region[i].users : 0);
        jw_key(j, "beyond_law");
        jw_u64(j, e->by_region ? e->by_region[i].beyond_law : 0);
        jw_close(j, '}');
    }
    jw_close(j, '}');
    jw_close(j, '}');
}

static void put_actor(jw *j, const dm_run *r, const dm_actor_result *a, int owners)
{
    const dm_world *w = r->w;
    char buf[512];
    size_t i, k;

    jw_open(j, '{', false);
    jw_key(j, "id");
    jw_str(j, dm_world_party_id(w, a->party));
    jw_key(j, "kind");
    jw_str(j, dm_actor_kind_name(dm_world_party_kind(w, a->party)));
    jw_key(j, "reaches");
    jw_open(j, '[', false);
    for (i = 0; i < a->n_reaches; i++) {
        const dm_reach *re = &a->reaches[i];
        const dm_witem *it = &w->items[re->item];
        if (re->cls == DM_CLASS_OWNER && !owners)
            continue;
        jw_open(j, '{', true);
        jw_key(j, "item");
        jw_str(j, it->name);
        jw_key(j, "owners");
        jw_open(j, '[', true);
        for (k = 0; k < it->n_owners; k++)
            jw_str(j, r->sc->users[it->owners[k]].id);
        jw_close(j, ']');
        jw_key(j, "class");
        jw_str(j, dm_class_name((dm_class)re->cls));
        jw_key(j, "via");
        jw_open(j, '[', true);
        for (k = 0; k < re->via_len; k++)
            jw_str(j, dm_report_via_name(r, a->via[re->via_off + k], buf, sizeof buf));
        jw_close(j, ']');
        jw_close(j, '}');
    }
    jw_close(j, ']');
    jw_close(j, '}');
}

static void jw_null(jw *j)
{
    jw_sep(j);
    fputs("null", j->out);
}

static void put_verification(jw *j, const dm_run *r, const dm_verification *v)
{
    char buf[512];
    size_t i;

    jw_open(j, '{', false);
    jw_key(j, "mode");
    jw_str(j, dm_report_verify_mode(v));
    jw_key(j, "reaches");
    jw_u64(j, v ? v->reaches_proven : 0);
    jw_key(j, "reaches_direct");
    jw_u64(j, v ? v->reaches_direct : 0);
    jw_key(j, "non_reaches");
    jw_u64(j, v ? v->nonreaches_proven : 0);
    jw_key(j, "mismatch_count");
    jw_u64(j, v ? v->mismatches : 0);
    jw_key(j, "mismatches");
    jw_open(j, '[', false);
    for (i = 0; v && i < v->n_list; i++) {
        const dm_mismatch *m = &v->list[i];
        jw_open(j, '{', true);
        jw_key(j, "actor");
        jw_str(j, dm_world_party_id(r->w, m->party));
        jw_key(j, "item");
        if (m->item < r->w->n_items)
            jw_str(j, r->w->items[m->item].name);
        else
            jw_null(j);
        jw_key(j, "problem");
        jw_str(j, dm_report_mismatch_text(r, m, buf, sizeof buf));
        jw_close(j, '}');
    }
    jw_close(j, ']');
    jw_close(j, '}');
}

dm_err dm_report_json(const dm_run *r, const struct dm_verification *v,
                      const dm_report_opts *opts, FILE *out)
{
    jw j;
    size_t i;

    memset(&j, 0, sizeof j);
    j.out = out;
    jw_open(&j, '{', false);
    jw_key(&j, "format");
    jw_str(&j, "doormat-report");
    jw_key(&j, "version");
    jw_u64(&j, 1);
    jw_key(&j, "scenario");
    jw_str(&j, r->sc->title ? r->sc->title : "");
    jw_key(&j, "seed");
    jw_u64(&j, opts->seed);
    jw_key(&j, "at");
    jw_i64(&j, r->at);
    jw_key(&j, "worst_case");
    jw_bool(&j, r->worst_case > 0);
    jw_key(&j, "actors");
    jw_open(&j, '[', false);
    for (i = 0; i < r->n_actors; i++)
        put_actor(&j, r, &r->actors[i], opts->owners);
    jw_close(&j, ']');
    jw_key(&j, "owner_only_users");
    jw_u64(&j, r->owner_only_users);
    jw_key(&j, "exposure");
    jw_open(&j, '{', false);
    jw_key(&j, "with");
    put_exposure(&j, r, &r->with);
    jw_key(&j, "without");
    put_exposure(&j, r, &r->without);
    jw_close(&j, '}');
    jw_key(&j, "refused");
    jw_open(&j, '[', true);
    for (i = 0; r->refused && i < r->sc->n_events; i++)
        if (r->refused[i])
            jw_str(&j, r->sc->events[i].id);
    jw_close(&j, ']');
    if (r->n_steps > 0) {
        jw_key(&j, "steps");
        jw_open(&j, '[', false);
        for (i = 0; i < r->n_steps; i++) {
            const dm_step *s = &r->steps[i];
            jw_open(&j, '{', true);
            jw_key(&j, "at");
            jw_i64(&j, s->at);
            jw_key(&j, "exposed");
            jw_u64(&j, s->exposed);
            jw_key(&j, "beyond_law");
            jw_u64(&j, s->beyond_law);
            jw_key(&j, "exposed_without");
            jw_u64(&j, s->exposed_without);
            jw_close(&j, '}');
        }
        jw_close(&j, ']');
    }
    jw_key(&j, "verification");
    put_verification(&j, r, v);
    jw_close(&j, '}');
    fputc('\n', out);
    if (ferror(out))
        return DM_ERR_IO;
    return DM_OK;
}
