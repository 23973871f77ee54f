/* diff.c - compare two runs: reaches per actor, exposure per region, text and JSON. */
#include "doormat/diff.h"

#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/report.h"
#include "doormat/world.h"
#include "json_write.h"
#include "report_util.h"

#define CELL 48
#define COLS 7

typedef struct named {
    const char *name;
    size_t idx;
} named;

static int named_cmp(const void *x, const void *y)
{
    const named *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c != 0)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static const named *named_find(const named *v, size_t n, const char *name)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(v[lo].name, name) == 0 ? &v[lo] : NULL;
}

/* The actors of a run, sorted by id.  NULL on OOM (or when there are none:
 * *ok tells). */
static named *index_actors(const dm_run *r, int *ok)
{
    named *v;
    size_t i;

    *ok = 1;
    if (r->n_actors == 0)
        return NULL;
    if (!(v = dm_calloc(r->n_actors, sizeof *v))) {
        *ok = 0;
        return NULL;
    }
    for (i = 0; i < r->n_actors; i++) {
        v[i].name = dm_world_party_id(r->w, r->actors[i].party);
        v[i].idx = i;
    }
    qsort(v, r->n_actors, sizeof *v, named_cmp);
    return v;
}

static named *index_reaches(const dm_run *r, const dm_actor_result *a, int *ok)
{
    named *v;
    size_t i;

    *ok = 1;
    if (a == NULL || a->n_reaches == 0)
        return NULL;
    if (!(v = dm_calloc(a->n_reaches, sizeof *v))) {
        *ok = 0;
        return NULL;
    }
    for (i = 0; i < a->n_reaches; i++) {
        v[i].name = r->w->items[a->reaches[i].item].name;
        v[i].idx = i;
    }
    qsort(v, a->n_reaches, sizeof *v, named_cmp);
    return v;
}

static int has_principal(const dm_scenario *s, const char *id)
{
    size_t i;

    for (i = 0; i < s->n_providers; i++)
        if (strcmp(s->providers[i].id, id) == 0)
            return 1;
    for (i = 0; i < s->n_actors; i++)
        if (strcmp(s->actors[i].id, id) == 0)
            return 1;
    for (i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].id, id) == 0)
            return 1;
    return 0;
}

/* Fill one actor's changes from its results in a (ra) and b (rb), either
 * possibly NULL. */
static dm_err actor_changes(const dm_run *a, const dm_actor_result *ra, const dm_run *b,
                            const dm_actor_result *rb, dm_diff_actor *out)
{
    named *ia = NULL, *ib = NULL;
    size_t na = ra ? ra->n_reaches : 0, nb = rb ? rb->n_reaches : 0, i, n = 0, pass;
    int ok1, ok2;
    dm_err err = DM_OK;

    ia = index_reaches(a, ra, &ok1);
    ib = index_reaches(b, rb, &ok2);
    if (!ok1 || !ok2) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    if (na + nb > 0 && !(out->changes = dm_calloc(na + nb, sizeof *out->changes))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    /* Gained then changed, in B's item order. */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < nb; i++) {
            const dm_reach *re = &rb->reaches[i];
            const char *name = b->w->items[re->item].name;
            const named *f = named_find(ia, na, name);
            dm_diff_change *c = &out->changes[n];
            if (pass == 0 && f != NULL)
                continue;
            if (pass == 1 && (f == NULL || ra->reaches[f->idx].cls == re->cls))
                continue;
            c->kind = pass == 0 ? DM_DIFF_GAINED : DM_DIFF_CHANGED;
            c->item = name;
            c->owners_run = b;
            c->owners_item = re->item;
            c->cls_a = f ? ra->reaches[f->idx].cls : -1;
            c->cls_b = re->cls;
            n++;
        }
    }
    for (i = 0; i < na; i++) {
        const dm_reach *re = &ra->reaches[i];
        const char *name = a->w->items[re->item].name;
        dm_diff_change *c = &out->changes[n];
        if (named_find(ib, nb, name) != NULL)
            continue;
        c->kind = DM_DIFF_LOST;
        c->item = name;
        c->owners_run = a;
        c->owners_item = re->item;
        c->cls_a = re->cls;
        c->cls_b = -1;
        n++;
    }
    out->n_changes = n;
out:
    dm_free(ia);
    dm_free(ib);
    return err;
}

static const char *party_kind(const dm_run *r, uint32_t party)
{
    return dm_actor_kind_name(dm_world_party_kind(r->w, party));
}

dm_err dm_diff_compute(const dm_run *a, const dm_run *b, dm_diff **out)
{
    dm_diff *d = NULL;
    named *xa = NULL, *xb = NULL;
    size_t i, j;
    int ok1, ok2;
    dm_err err = DM_OK;

    if (!(d = dm_calloc(1, sizeof *d))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    d->a = a;
    d->b = b;
    xa = index_actors(a, &ok1);
    xb = index_actors(b, &ok2);
    if (!ok1 || !ok2) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    if (a->n_actors + b->n_actors > 0 &&
        !(d->actors = dm_calloc(a->n_actors + b->n_actors, sizeof *d->actors))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < a->n_actors; i++) {
        const dm_actor_result *ra = &a->actors[i];
        const char *id = dm_world_party_id(a->w, ra->party);
        const named *f = named_find(xb, b->n_actors, id);
        dm_diff_actor *da = &d->actors[d->n_actors++];
        da->id = id;
        da->kind = party_kind(a, ra->party);
        da->in_a = 1;
        da->in_b = f != NULL || has_principal(b->sc, id);
        err = actor_changes(a, ra, b, f ? &b->actors[f->idx] : NULL, da);
        if (err != DM_OK)
            goto out;
    }
    for (i = 0; i < b->n_actors; i++) {
        const dm_actor_result *rb = &b->actors[i];
        const char *id = dm_world_party_id(b->w, rb->party);
        dm_diff_actor *da;
        if (named_find(xa, a->n_actors, id) != NULL)
            continue;
        da = &d->actors[d->n_actors++];
        da->id = id;
        da->kind = party_kind(b, rb->party);
        da->in_a = has_principal(a->sc, id);
        da->in_b = 1;
        err = actor_changes(a, NULL, b, rb, da);
        if (err != DM_OK)
            goto out;
    }

    if (a->sc->n_regions + b->sc->n_regions > 0 &&
        !(d->regions = dm_calloc(a->sc->n_regions + b->sc->n_regions, sizeof *d->regions))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < a->sc->n_regions; i++) {
        dm_diff_region *g = &d->regions[d->n_regions++];
        g->name = a->sc->regions[i];
        g->in_a = 1;
        g->with_a = a->with.by_region[i];
        g->without_a = a->without.by_region[i];
        for (j = 0; j < b->sc->n_regions; j++)
            if (strcmp(b->sc->regions[j], g->name) == 0) {
                g->in_b = 1;
                g->with_b = b->with.by_region[j];
                g->without_b = b->without.by_region[j];
                break;
            }
    }
    for (j = 0; j < b->sc->n_regions; j++) {
        dm_diff_region *g;
        for (i = 0; i < a->sc->n_regions; i++)
            if (strcmp(a->sc->regions[i], b->sc->regions[j]) == 0)
                break;
        if (i < a->sc->n_regions)
            continue;
        g = &d->regions[d->n_regions++];
        g->name = b->sc->regions[j];
        g->in_b = 1;
        g->with_b = b->with.by_region[j];
        g->without_b = b->without.by_region[j];
    }
out:
    dm_free(xa);
    dm_free(xb);
    if (err != DM_OK) {
        dm_diff_free(d);
        return err;
    }
    *out = d;
    return DM_OK;
}

void dm_diff_free(dm_diff *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; d->actors != NULL && i < d->n_actors; i++)
        dm_free(d->actors[i].changes);
    dm_free(d->actors);
    dm_free(d->regions);
    dm_free(d);
}

/* ---- text ---- */

static const char *signed_thousands(uint64_t a, uint64_t b, char *buf, size_t len)
{
    char n[32];

    if (a == b) {
        snprintf(buf, len, "0");
    } else if (b > a) {
        snprintf(buf, len, "+%s", dm_report_thousands(b - a, n, sizeof n));
    } else {
        snprintf(buf, len, "-%s", dm_report_thousands(a - b, n, sizeof n));
    }
    return buf;
}

typedef struct row {
    char cell[COLS][CELL];
} row;

/* One exposure table (with, or without, the backdoors): a row per region
 * and a total. */
static dm_err put_exposure(const dm_diff *d, int without, FILE *out)
{
    static const char *const head[COLS] = {"region", "A", "B", "change",
                                           "beyond law A", "beyond law B", "change"};
    row *rows = NULL;
    size_t n = d->n_regions + 2, i, c, w[COLS] = {0};
    const dm_exposure *ea = without ? &d->a->without : &d->a->with;
    const dm_exposure *eb = without ? &d->b->without : &d->b->with;

    if (!(rows = dm_calloc(n, sizeof *rows)))
        return DM_ERR_NOMEM;
    for (c = 0; c < COLS; c++)
        snprintf(rows[0].cell[c], CELL, "%s", head[c]);
    for (i = 0; i <= d->n_regions; i++) {
        row *r = &rows[i + 1];
        dm_region_exposure xa, xb;
        if (i < d->n_regions) {
            const dm_diff_region *g = &d->regions[i];
            xa = without ? g->without_a : g->with_a;
            xb = without ? g->without_b : g->with_b;
            snprintf(r->cell[0], CELL, "%s", g->name);
        } else {
            xa.users = ea->users;
            xa.beyond_law = ea->beyond_law;
            xb.users = eb->users;
            xb.beyond_law = eb->beyond_law;
            snprintf(r->cell[0], CELL, "all");
        }
        dm_report_thousands(xa.users, r->cell[1], CELL);
        dm_report_thousands(xb.users, r->cell[2], CELL);
        signed_thousands(xa.users, xb.users, r->cell[3], CELL);
        dm_report_thousands(xa.beyond_law, r->cell[4], CELL);
        dm_report_thousands(xb.beyond_law, r->cell[5], CELL);
        signed_thousands(xa.beyond_law, xb.beyond_law, r->cell[6], CELL);
    }
    for (i = 0; i < n; i++)
        for (c = 0; c < COLS; c++)
            if (dm_report_width(rows[i].cell[c]) > w[c])
                w[c] = dm_report_width(rows[i].cell[c]);
    for (i = 0; i < n; i++) {
        fputs("  ", out);
        for (c = 0; c < COLS; c++) {
            size_t k, cw = dm_report_width(rows[i].cell[c]);
            if (c == 0) {
                dm_report_put_safe(out, rows[i].cell[c]);
                for (k = cw; k < w[c]; k++)
                    fputc(' ', out);
                continue;
            }
            fputs("  ", out);
            for (k = cw; k < w[c]; k++)
                fputc(' ', out);
            fputs(rows[i].cell[c], out);
        }
        fputc('\n', out);
    }
    dm_free(rows);
    return DM_OK;
}

static void put_class(FILE *out, int cls, int color)
{
    const char *col = color ? dm_report_class_colour(cls) : NULL;

    if (col)
        fputs(col, out);
    fputs(cls < 0 ? "none" : dm_class_name((dm_class)cls), out);
    if (col)
        fputs(DM_C_RESET, out);
}

static void put_actor(const dm_diff_actor *da, const dm_diff_opts *o, FILE *out)
{
    size_t i, k, wi = 0;

    fputs("  ", out);
    dm_report_put_safe(out, da->id);
    fprintf(out, " (%s)", da->kind);
    if (!da->in_a)
        fputs(", only in B", out);
    else if (!da->in_b)
        fputs(", only in A", out);
    fputc('\n', out);
    for (i = 0; i < da->n_changes; i++)
        if (dm_report_width(da->changes[i].item) > wi)
            wi = dm_report_width(da->changes[i].item);
    for (i = 0; i < da->n_changes; i++) {
        const dm_diff_change *c = &da->changes[i];
        fputs(c->kind == DM_DIFF_GAINED ? "    + " : c->kind == DM_DIFF_LOST ? "    - " : "    ~ ",
              out);
        dm_report_put_safe(out, c->item);
        for (k = dm_report_width(c->item); k < wi; k++)
            fputc(' ', out);
        fputs("  ", out);
        if (c->kind == DM_DIFF_CHANGED) {
            put_class(out, c->cls_a, o->color);
            fputs(" -> ", out);
            put_class(out, c->cls_b, o->color);
        } else {
            put_class(out, c->kind == DM_DIFF_GAINED ? c->cls_b : c->cls_a, o->color);
        }
        fputc('\n', out);
    }
}

static const char *file_of(const dm_run *r, const char *given)
{
    if (given)
        return given;
    return r->sc->file ? r->sc->file : "-";
}

dm_err dm_diff_text(const dm_diff *d, const dm_diff_opts *o, FILE *out)
{
    size_t i, unchanged = 0, shown = 0;
    dm_err err;

    if (o->color)
        fputs(DM_C_BOLD, out);
    fputs("doormat diff: what B changes compared with A", out);
    if (o->color)
        fputs(DM_C_RESET, out);
    fputc('\n', out);
    fputs("  A  ", out);
    dm_report_put_safe(out, file_of(d->a, o->file_a));
    fprintf(out, " (after t=%lld)", (long long)d->a->at);
    if (d->a->sc->title) {
        fputs(": ", out);
        dm_report_put_safe(out, d->a->sc->title);
    }
    fputs("\n  B  ", out);
    dm_report_put_safe(out, file_of(d->b, o->file_b));
    fprintf(out, " (after t=%lld)", (long long)d->b->at);
    if (d->b->sc->title) {
        fputs(": ", out);
        dm_report_put_safe(out, d->b->sc->title);
    }
    fputc('\n', out);

    dm_report_heading(out, o->color, "EXPOSED PEOPLE, WITH THE BACKDOORS");
    if ((err = put_exposure(d, 0, out)) != DM_OK)
        return err;
    dm_report_heading(out, o->color, "EXPOSED PEOPLE, WITHOUT THEM");
    if ((err = put_exposure(d, 1, out)) != DM_OK)
        return err;

    dm_report_heading(out, o->color,
                      "READS, BY ACTOR (+ only B reaches it, - only A, ~ class changed)");
    for (i = 0; i < d->n_actors; i++) {
        if (d->actors[i].n_changes == 0) {
            unchanged++;
            continue;
        }
        put_actor(&d->actors[i], o, out);
        shown++;
    }
    if (shown == 0)
        fputs("  no actor reads anything differently.\n", out);
    if (unchanged > 0) {
        size_t k = 0;
        fputs("  unchanged: ", out);
        for (i = 0; i < d->n_actors; i++) {
            if (d->actors[i].n_changes != 0)
                continue;
            if (k++ > 0)
                fputs(", ", out);
            dm_report_put_safe(out, d->actors[i].id);
        }
        fputs(".\n", out);
    }
    return ferror(out) ? DM_ERR_IO : DM_OK;
}

/* ---- JSON ---- */

static void json_side(dm_jw *j, const dm_run *r, const char *file)
{
    dm_jw_open(j, '{', 0);
    dm_jw_key(j, "file");
    dm_jw_str(j, file);
    dm_jw_key(j, "scenario");
    if (r->sc->title)
        dm_jw_str(j, r->sc->title);
    else
        dm_jw_null(j);
    dm_jw_key(j, "at");
    dm_jw_i64(j, r->at);
    dm_jw_key(j, "people");
    dm_jw_u64(j, r->sc->people);
    dm_jw_close(j, '}');
}

static void json_pair(dm_jw *j, const char *key, uint64_t users, uint64_t beyond)
{
    dm_jw_key(j, key);
    dm_jw_open(j, '{', 1);
    dm_jw_key(j, "users");
    dm_jw_u64(j, users);
    dm_jw_key(j, "beyond_law");
    dm_jw_u64(j, beyond);
    dm_jw_close(j, '}');
}

static void json_delta(dm_jw *j, uint64_t ua, uint64_t ba, uint64_t ub, uint64_t bb)
{
    dm_jw_key(j, "delta");
    dm_jw_open(j, '{', 1);
    dm_jw_key(j, "users");
    dm_jw_i64(j, (int64_t)ub - (int64_t)ua);
    dm_jw_key(j, "beyond_law");
    dm_jw_i64(j, (int64_t)bb - (int64_t)ba);
    dm_jw_close(j, '}');
}

static void json_exposure(dm_jw *j, const dm_diff *d, int without)
{
    const dm_exposure *ea = without ? &d->a->without : &d->a->with;
    const dm_exposure *eb = without ? &d->b->without : &d->b->with;
    size_t i;

    dm_jw_open(j, '{', 0);
    json_pair(j, "a", ea->users, ea->beyond_law);
    json_pair(j, "b", eb->users, eb->beyond_law);
    json_delta(j, ea->users, ea->beyond_law, eb->users, eb->beyond_law);
    dm_jw_key(j, "by_region");
    dm_jw_open(j, '{', 0);
    for (i = 0; i < d->n_regions; i++) {
        const dm_diff_region *g = &d->regions[i];
        dm_region_exposure xa = without ? g->without_a : g->with_a;
        dm_region_exposure xb = without ? g->without_b : g->with_b;
        dm_jw_key(j, g->name);
        dm_jw_open(j, '{', 1);
        if (g->in_a)
            json_pair(j, "a", xa.users, xa.beyond_law);
        else {
            dm_jw_key(j, "a");
            dm_jw_null(j);
        }
        if (g->in_b)
            json_pair(j, "b", xb.users, xb.beyond_law);
        else {
            dm_jw_key(j, "b");
            dm_jw_null(j);
        }
        json_delta(j, xa.users, xa.beyond_law, xb.users, xb.beyond_law);
        dm_jw_close(j, '}');
    }
    dm_jw_close(j, '}');
    dm_jw_close(j, '}');
}

static void json_change(dm_jw *j, const dm_diff_change *c)
{
    const dm_run *r = c->owners_run;
    const dm_witem *it = &r->w->items[c->owners_item];
    uint32_t k;

    dm_jw_open(j, '{', 1);
    dm_jw_key(j, "item");
    dm_jw_str(j, c->item);
    dm_jw_key(j, "owners");
    dm_jw_open(j, '[', 1);
    for (k = 0; k < it->n_owners; k++)
        dm_jw_str(j, r->sc->users[it->owners[k]].id);
    dm_jw_close(j, ']');
    if (c->kind == DM_DIFF_CHANGED) {
        dm_jw_key(j, "from");
        dm_jw_str(j, dm_class_name((dm_class)c->cls_a));
        dm_jw_key(j, "to");
        dm_jw_str(j, dm_class_name((dm_class)c->cls_b));
    } else {
        dm_jw_key(j, "class");
        dm_jw_str(j, dm_class_name((dm_class)(c->kind == DM_DIFF_GAINED ? c->cls_b : c->cls_a)));
    }
    dm_jw_close(j, '}');
}

dm_err dm_diff_json(const dm_diff *d, const dm_diff_opts *o, FILE *out)
{
    static const char *const groups[] = {"gained", "changed", "lost"};
    dm_jw j;
    size_t i, k, g;

    dm_jw_init(&j, out);
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "format");
    dm_jw_str(&j, "doormat-diff");
    dm_jw_key(&j, "version");
    dm_jw_u64(&j, 1);
    dm_jw_key(&j, "a");
    json_side(&j, d->a, file_of(d->a, o->file_a));
    dm_jw_key(&j, "b");
    json_side(&j, d->b, file_of(d->b, o->file_b));
    dm_jw_key(&j, "exposure");
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "with");
    json_exposure(&j, d, 0);
    dm_jw_key(&j, "without");
    json_exposure(&j, d, 1);
    dm_jw_close(&j, '}');
    dm_jw_key(&j, "actors");
    dm_jw_open(&j, '[', 0);
    for (i = 0; i < d->n_actors; i++) {
        const dm_diff_actor *da = &d->actors[i];
        dm_jw_open(&j, '{', 0);
        dm_jw_key(&j, "id");
        dm_jw_str(&j, da->id);
        dm_jw_key(&j, "kind");
        dm_jw_str(&j, da->kind);
        dm_jw_key(&j, "in");
        dm_jw_str(&j, da->in_a && da->in_b ? "both" : da->in_a ? "a" : "b");
        for (g = 0; g < 3; g++) {
            dm_jw_key(&j, groups[g]);
            dm_jw_open(&j, '[', 0);
            for (k = 0; k < da->n_changes; k++)
                if (da->changes[k].kind == (dm_diff_kind)g)
                    json_change(&j, &da->changes[k]);
            dm_jw_close(&j, ']');
        }
        dm_jw_close(&j, '}');
    }
    dm_jw_close(&j, ']');
    dm_jw_close(&j, '}');
    return ferror(out) ? DM_ERR_IO : DM_OK;
}
