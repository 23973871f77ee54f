/* report_text.c - the report for people: headline, per-actor tables, verdict. */
#include "doormat/report.h"

#include <string.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/world.h"
#include "report_util.h"

#define DEFAULT_ROWS 20
#define MAX_COLS 8
#define OWNERS_SHOWN 3

/* A small table of owned strings: filled row by row, then printed with
 * every column as wide as its widest cell. */
typedef struct table {
    size_t ncols;
    const char *head[MAX_COLS];
    int right[MAX_COLS];
    char **cells;            /* rows * ncols, owned */
    int *cls;                /* per row: class to colour (or -1) */
    size_t rows, cap;
    int cls_col;             /* column coloured by its row's class, or -1 */
    const char *group[MAX_COLS]; /* a title over columns c .. c+span-1, or NULL */
    size_t span[MAX_COLS];
} table;

static void table_init(table *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->cls_col = -1;
}

static void table_free(table *t)
{
    size_t i;

    for (i = 0; i < t->rows * t->ncols; i++)
        dm_free(t->cells[i]);
    dm_free(t->cells);
    dm_free(t->cls);
    t->cells = NULL;
    t->cls = NULL;
    t->rows = t->cap = 0;
}

/* Append a row of ncols strings (copied).  Returns DM_OK or DM_ERR_NOMEM. */
static dm_err table_add(table *t, const char *const *cols, int cls)
{
    size_t i;

    if (t->rows == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        char **c = dm_reallocarray(t->cells, ncap * t->ncols, sizeof *c);
        int *k;
        if (c == NULL)
            return DM_ERR_NOMEM;
        t->cells = c;
        k = dm_reallocarray(t->cls, ncap, sizeof *k);
        if (k == NULL)
            return DM_ERR_NOMEM;
        t->cls = k;
        t->cap = ncap;
    }
    for (i = 0; i < t->ncols; i++) {
        t->cells[t->rows * t->ncols + i] = dm_strdup(cols[i]);
        if (t->cells[t->rows * t->ncols + i] == NULL) {
            for (; i > 0; i--)
                dm_free(t->cells[t->rows * t->ncols + i - 1]);
            return DM_ERR_NOMEM;
        }
    }
    t->cls[t->rows] = cls;
    t->rows++;
    return DM_OK;
}

/* Print with `indent` spaces before each line; trailing spaces trimmed by
 * never padding the last column. */
static void table_print(const table *t, FILE *out, const char *indent, int color)
{
    size_t w[MAX_COLS];
    size_t r, c;

    for (c = 0; c < t->ncols; c++)
        w[c] = dm_report_width(t->head[c]);
    for (r = 0; r < t->rows; r++)
        for (c = 0; c < t->ncols; c++) {
            size_t cw = dm_report_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (c = 0; c < t->ncols && t->group[0] == NULL; c++)
        if (t->group[c] != NULL)
            break;
    if (c < t->ncols) {
        /* A title line over groups of columns, centred on its span. */
        size_t done = 0, col = 0;
        char line[512];
        memset(line, ' ', sizeof line);
        for (c = 0; c < t->ncols; c++) {
            size_t width = w[c], k, tw, at;
            if (t->group[c] != NULL) {
                for (k = 1; k < t->span[c] && c + k < t->ncols; k++)
                    width += 2 + w[c + k];
                tw = strlen(t->group[c]);
                at = col + (width > tw ? (width - tw + 1) / 2 : 0);
                if (at + tw < sizeof line) {
                    memcpy(line + at, t->group[c], tw);
                    if (at + tw > done)
                        done = at + tw;
                }
            }
            col += w[c] + 2;
        }
        line[done < sizeof line ? done : sizeof line - 1] = '\0';
        fprintf(out, "%s%s%s%s\n", indent, color ? DM_C_DIM : "", line, color ? DM_C_RESET : "");
    }
    fputs(indent, out);
    if (color)
        fputs(DM_C_DIM, out);
    for (c = 0; c < t->ncols; c++) {
        if (c > 0)
            fputs("  ", out);
        dm_report_pad(out, t->head[c], c + 1 == t->ncols && !t->right[c] ? 0 : w[c],
                      t->right[c]);
    }
    if (color)
        fputs(DM_C_RESET, out);
    fputc('\n', out);
    for (r = 0; r < t->rows; r++) {
        fputs(indent, out);
        for (c = 0; c < t->ncols; c++) {
            const char *col = NULL;
            if (c > 0)
                fputs("  ", out);
            if (color && (int)c == t->cls_col)
                col = dm_report_class_colour(t->cls[r]);
            if (col)
                fputs(col, out);
            dm_report_pad(out, t->cells[r * t->ncols + c],
                          c + 1 == t->ncols && !t->right[c] ? 0 : w[c], t->right[c]);
            if (col)
                fputs(DM_C_RESET, out);
        }
        fputc('\n', out);
    }
}

static size_t count_backdoors(const dm_scenario *sc);

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void owners_text(const dm_run *r, const dm_witem *it, char *buf, size_t len)
{
    size_t pos = 0, k;
    char more[48];

    buf[0] = '\0';
    for (k = 0; k < it->n_owners && k < OWNERS_SHOWN; k++) {
        if (k > 0)
            dm_report_cat(buf, len, &pos, ", ");
        dm_report_cat(buf, len, &pos, r->sc->users[it->owners[k]].id);
    }
    if (it->n_owners > OWNERS_SHOWN) {
        snprintf(more, sizeof more, " +%u more", it->n_owners - OWNERS_SHOWN);
        dm_report_cat(buf, len, &pos, more);
    }
}

static void put_header(const dm_run *r, const dm_report_opts *o, FILE *out)
{
    const dm_scenario *sc = r->sc;
    size_t i, shown = 0;

    if (o->color)
        fputs(DM_C_BOLD, out);
    dm_report_put_safe(out, sc->title && sc->title[0] ? sc->title : "(untitled)");
    if (o->color)
        fputs(DM_C_RESET, out);
    fputs("\n  scenario  ", out);
    dm_report_put_safe(out, sc->file ? sc->file : "-");
    fputc('\n', out);
    fprintf(out, "  seed      %llu\n", (unsigned long long)o->seed);
    if (sc->n_events == 0)
        fprintf(out, "  time      the start (no events)\n");
    else
        fprintf(out, "  time      after t=%lld (%u of %zu %s applied)\n", (long long)r->at,
                r->bound, sc->n_events, plural(sc->n_events, "event", "events"));
    if (r->worst_case > 0) {
        fprintf(out, "  worst case: %llu %s with p<1 taken as happening (",
                (unsigned long long)r->worst_case,
                plural(r->worst_case, "event", "events"));
        for (i = 0; i < r->bound && i < sc->n_events; i++) {
            const dm_event *ev = &sc->events[i];
            if (!ev->has_p || ev->p >= 1.0)
                continue;
            if (shown == 5) {
                fputs(", …", out);
                break;
            }
            fprintf(out, "%s%s p=%g", shown ? ", " : "", ev->id, ev->p);
            shown++;
        }
        fputs(")\n", out);
    }
}

static dm_err put_headline(const dm_run *r, const dm_report_opts *o, FILE *out)
{
    const dm_scenario *sc = r->sc;
    const uint64_t *people = r->people;
    char b[5][32];
    table t;
    size_t i, n_backdoors = 0;
    dm_err err = DM_OK;

    table_init(&t, 6);

    n_backdoors = count_backdoors(sc);
    dm_report_heading(out, o->color, "HEADLINE");
    fprintf(out, "  %s%s of %s %s exposed, %s beyond the law.\n",
            n_backdoors ? "With the backdoors, " : "",
            dm_report_thousands(r->with.users, b[0], sizeof b[0]),
            dm_report_thousands(sc->people, b[1], sizeof b[1]),
            plural(sc->people, "person is", "people are"),
            dm_report_thousands(r->with.beyond_law, b[2], sizeof b[2]));
    if (n_backdoors == 0)
        fputs("  This scenario has no backdoor or ghost: without them nothing changes.\n", out);
    else
        fprintf(out, "  Without them, %s exposed, %s beyond the law.\n",
                dm_report_thousands(r->without.users, b[0], sizeof b[0]),
                dm_report_thousands(r->without.beyond_law, b[1], sizeof b[1]));
    if (r->with.users > r->without.users)
        fprintf(out, "  The backdoors add %s exposed %s.\n",
                dm_report_thousands(r->with.users - r->without.users, b[0], sizeof b[0]),
                plural(r->with.users - r->without.users, "person", "people"));
    else if (r->with.beyond_law > r->without.beyond_law)
        fprintf(out, "  The backdoors add %s %s exposed beyond the law.\n",
                dm_report_thousands(r->with.beyond_law - r->without.beyond_law, b[0], sizeof b[0]),
                plural(r->with.beyond_law - r->without.beyond_law, "person", "people"));
    fputc('\n', out);

    t.head[0] = "region";
    t.head[1] = "people";
    t.head[2] = "exposed";
    t.head[3] = "beyond law";
    t.head[4] = "exposed";
    t.head[5] = "beyond law";
    if (n_backdoors > 0) {
        t.group[2] = "with the backdoors";
        t.span[2] = 2;
        t.group[4] = "without them";
        t.span[4] = 2;
    } else {
        t.ncols = 4; /* nothing to compare with */
    }
    for (i = 1; i < t.ncols; i++)
        t.right[i] = 1;
    for (i = 0; i <= sc->n_regions; i++) {
        const char *cols[6];
        int total = i == sc->n_regions;
        const dm_region_exposure *we = r->with.by_region && !total ? &r->with.by_region[i] : NULL;
        const dm_region_exposure *wo = r->without.by_region && !total ? &r->without.by_region[i] : NULL;
        cols[0] = total ? "all" : sc->regions[i];
        cols[1] = dm_report_thousands(total ? sc->people : people[i], b[0], sizeof b[0]);
        cols[2] = dm_report_thousands(total ? r->with.users : we ? we->users : 0, b[1], sizeof b[1]);
        cols[3] = dm_report_thousands(total ? r->with.beyond_law : we ? we->beyond_law : 0,
                                      b[2], sizeof b[2]);
        cols[4] = dm_report_thousands(total ? r->without.users : wo ? wo->users : 0,
                                      b[3], sizeof b[3]);
        cols[5] = dm_report_thousands(total ? r->without.beyond_law : wo ? wo->beyond_law : 0,
                                      b[4], sizeof b[4]);
        err = table_add(&t, cols, -1);
        if (err != DM_OK)
            goto out;
    }
    table_print(&t, out, "  ", o->color);
out:
    table_free(&t);
    return err;
}

/* The rows an actor shows: non-owner reaches, and owner ones with --owners. */
static uint64_t shown_reaches(const dm_actor_result *a, int owners)
{
    uint64_t n = 0;
    int c;

    for (c = owners ? 0 : 1; c < DM_CLASS_COUNT; c++)
        n += a->n_by_class[c];
    return n;
}

static dm_err put_actor_summary(const dm_run *r, const dm_report_opts *o, FILE *out,
                                size_t max_rows)
{
    char b[DM_CLASS_COUNT + 1][32];
    table t;
    size_t i, users_shown = 0, users_hidden = 0;
    dm_err err = DM_OK;
    int c;

    table_init(&t, 3 + DM_CLASS_COUNT);
    dm_report_heading(out, o->color, "ACTORS (items each can read)");
    if (r->n_actors == 0) {
        fputs("  No actors.\n", out);
        goto out;
    }
    t.head[0] = "actor";
    t.head[1] = "kind";
    t.head[2] = "items";
    for (c = 0; c < DM_CLASS_COUNT; c++) {
        t.head[3 + c] = dm_class_name((dm_class)c);
        t.right[3 + c] = 1;
    }
    t.right[2] = 1;
    for (i = 0; i < r->n_actors; i++) {
        const dm_actor_result *a = &r->actors[i];
        dm_actor_kind k = dm_world_party_kind(r->w, a->party);
        const char *cols[3 + DM_CLASS_COUNT];
        uint64_t total = 0;
        if (k == DM_ACTOR_USER) {
            if (users_shown >= max_rows) {
                users_hidden++;
                continue;
            }
            users_shown++;
        }
        for (c = 0; c < DM_CLASS_COUNT; c++)
            total += a->n_by_class[c];
        cols[0] = dm_world_party_id(r->w, a->party);
        cols[1] = dm_actor_kind_name(k);
        cols[2] = dm_report_thousands(total, b[DM_CLASS_COUNT], sizeof b[0]);
        for (c = 0; c < DM_CLASS_COUNT; c++)
            cols[3 + c] = dm_report_thousands(a->n_by_class[c], b[c], sizeof b[c]);
        err = table_add(&t, cols, -1);
        if (err != DM_OK)
            goto out;
    }
    table_print(&t, out, "  ", o->color);
    if (users_hidden > 0)
        fprintf(out, "  … and %s more %s (use --format json for all)\n",
                dm_report_thousands(users_hidden, b[0], sizeof b[0]),
                plural(users_hidden, "user", "users"));
    if (r->owner_only_users > 0)
        fprintf(out, "  Users not listed: %s %s only their own data.\n",
                dm_report_thousands(r->owner_only_users, b[0], sizeof b[0]),
                plural(r->owner_only_users, "person reads", "people read"));
out:
    table_free(&t);
    return err;
}

/* Per region, who reads its people's data: for each actor, the people of
 * the region (by their region at the reported time) with at least one item
 * it reaches, and the classes of those reaches.  The other view of the
 * actor tables: what a student in one country asks first. */
static dm_err put_by_region(const dm_run *r, const dm_report_opts *o, FILE *out)
{
    const dm_scenario *sc = r->sc;
    size_t nr = sc->n_regions, i, j, k;
    uint64_t *people = NULL;
    uint8_t *classes = NULL, *seen = NULL;
    uint32_t *touched = NULL;
    char b[32], cls[96];
    table t;
    dm_err err = DM_ERR_NOMEM;

    table_init(&t, 4);
    t.head[0] = "region";
    t.head[1] = "read by";
    t.head[2] = "people";
    t.head[3] = "how";
    t.right[2] = 1;
    people = dm_calloc(nr * (r->n_actors ? r->n_actors : 1), sizeof *people);
    classes = dm_calloc(nr * (r->n_actors ? r->n_actors : 1), 1);
    seen = dm_calloc(sc->n_users ? sc->n_users : 1, 1);
    touched = dm_malloc((sc->n_users ? sc->n_users : 1) * sizeof *touched);
    if (!people || !classes || !seen || !touched)
        goto out;
    for (i = 0; i < r->n_actors; i++) {
        const dm_actor_result *a = &r->actors[i];
        size_t n_touched = 0;
        for (j = 0; j < a->n_reaches; j++) {
            const dm_reach *re = &a->reaches[j];
            const dm_witem *it = &r->w->items[re->item];
            if (re->cls == DM_CLASS_OWNER)
                continue;
            for (k = 0; k < it->n_owners; k++) {
                uint32_t u = it->owners[k];
                size_t cell = (size_t)r->region[u] * r->n_actors + i;
                classes[cell] |= (uint8_t)(1u << re->cls);
                if (!seen[u]) {
                    seen[u] = 1;
                    touched[n_touched++] = u;
                    people[cell] += sc->users[u].count;
                }
            }
        }
        for (j = 0; j < n_touched; j++)
            seen[touched[j]] = 0;
    }
    dm_report_heading(out, o->color, "BY REGION (who reads whose data)");
    for (i = 0; i < nr; i++) {
        int row = 0;
        for (j = 0; j < r->n_actors; j++) {
            size_t cell = i * r->n_actors + j, pos = 0;
            const char *cols[4];
            int c;
            if (!people[cell])
                continue;
            cls[0] = '\0';
            for (c = 0; c < DM_CLASS_COUNT; c++)
                if (classes[cell] & (1u << c)) {
                    dm_report_cat(cls, sizeof cls, &pos, pos ? ", " : "");
                    dm_report_cat(cls, sizeof cls, &pos, dm_class_name((dm_class)c));
                }
            cols[0] = row ? "" : sc->regions[i];
            cols[1] = dm_world_party_id(r->w, r->actors[j].party);
            cols[2] = dm_report_thousands(people[cell], b, sizeof b);
            cols[3] = cls;
            if ((err = table_add(&t, cols, -1)) != DM_OK)
                goto out;
            row = 1;
        }
        if (!row) {
            const char *cols[4] = {sc->regions[i], "no one but the owners", "0", "-"};
            if ((err = table_add(&t, cols, -1)) != DM_OK)
                goto out;
        }
    }
    table_print(&t, out, "  ", o->color);
    err = DM_OK;
out:
    table_free(&t);
    dm_free(people);
    dm_free(classes);
    dm_free(seen);
    dm_free(touched);
    return err;
}

static dm_err put_actor_detail(const dm_run *r, const dm_report_opts *o, FILE *out,
                               const dm_actor_result *a, size_t max_rows)
{
    char owners[512], via[1024], b[32];
    table t;
    size_t i, shown = 0;
    uint64_t total = shown_reaches(a, o->owners);
    dm_err err = DM_OK;

    table_init(&t, 4);
    t.head[0] = "item";
    t.head[1] = "owners";
    t.head[2] = "class";
    t.head[3] = "via";
    t.cls_col = 2;
    fputc('\n', out);
    if (o->color)
        fputs(DM_C_BOLD, out);
    fprintf(out, "  %s (%s)", dm_world_party_id(r->w, a->party),
            dm_actor_kind_name(dm_world_party_kind(r->w, a->party)));
    if (o->color)
        fputs(DM_C_RESET, out);
    if (total == 0) {
        fprintf(out, " reads no one else's data.\n");
        goto out;
    }
    fprintf(out, " reads %s %s:\n", dm_report_thousands(total, b, sizeof b),
            plural(total, "item", "items"));
    for (i = 0; i < a->n_reaches && shown < max_rows; i++) {
        const dm_reach *re = &a->reaches[i];
        const dm_witem *it = &r->w->items[re->item];
        const char *cols[4];
        if (re->cls == DM_CLASS_OWNER && !o->owners)
            continue;
        owners_text(r, it, owners, sizeof owners);
        dm_report_via_text(r, a, re, via, sizeof via);
        if (re->via_len == 0)
            snprintf(via, sizeof via, "-");
        cols[0] = it->name;
        cols[1] = owners;
        cols[2] = dm_class_name((dm_class)re->cls);
        cols[3] = via;
        err = table_add(&t, cols, re->cls);
        if (err != DM_OK)
            goto out;
        shown++;
    }
    table_print(&t, out, "    ", o->color);
    if (total > shown)
        fprintf(out, "    … and %s more (use --format json for all)\n",
                dm_report_thousands(total - shown, b, sizeof b));
out:
    table_free(&t);
    return err;
}

static void put_refused(const dm_run *r, const dm_report_opts *o, FILE *out)
{
    const dm_scenario *sc = r->sc;
    size_t i, n = 0;

    for (i = 0; r->refused && i < sc->n_events; i++)
        n += r->refused[i] != 0;
    if (n == 0)
        return;
    dm_report_heading(out, o->color, "REFUSED (no jurisdiction)");
    for (i = 0; i < sc->n_events; i++) {
        const dm_event *ev = &sc->events[i];
        dm_id prov = ev->provider, reg;
        const char *by = dm_scenario_principal_id(sc, ev->by);
        if (!r->refused[i])
            continue;
        if (ev->kind == DM_EVENT_GHOST && ev->group < sc->n_groups)
            prov = sc->groups[ev->group].provider;
        reg = dm_scenario_principal_region(sc, ev->by);
        fprintf(out, "  %s: %s's %s has no force: %s does not operate in %s.\n", ev->id, by,
                ev->kind == DM_EVENT_GHOST ? "ghost" : "order",
                prov < sc->n_providers ? sc->providers[prov].id : "the provider",
                reg < sc->n_regions ? sc->regions[reg] : "its region");
    }
}

static void put_warnings(const dm_report_opts *o, FILE *out)
{
    const dm_diag *d = o->warnings;
    size_t i;

    if (d == NULL || d->n_warnings == 0)
        return;
    dm_report_heading(out, o->color, "WARNINGS");
    for (i = 0; i < d->n; i++) {
        const dm_diag_entry *e = &d->entries[i];
        if (e->severity != DM_SEV_WARNING)
            continue;
        fputs("  ", out);
        if (e->path && e->path[0]) {
            dm_report_put_safe(out, e->path);
            fputs(": ", out);
        }
        dm_report_put_safe(out, e->message);
        fputc('\n', out);
    }
}

static size_t count_backdoors(const dm_scenario *sc)
{
    size_t i, n = 0;

    for (i = 0; i < sc->n_events; i++)
        n += sc->events[i].kind == DM_EVENT_BACKDOOR || sc->events[i].kind == DM_EVENT_GHOST;
    return n;
}

static dm_err put_steps(const dm_run *r, const dm_report_opts *o, FILE *out)
{
    char b[4][32];
    table t;
    size_t i;
    dm_err err = DM_OK;

    if (r->n_steps == 0)
        return DM_OK;
    table_init(&t, 4);
    dm_report_heading(out, o->color, "TIMELINE (people exposed after each time)");
    t.head[0] = "at";
    t.head[1] = "exposed";
    t.head[2] = "beyond law";
    t.head[3] = "without backdoors";
    if (count_backdoors(r->sc) == 0)
        t.ncols = 3;
    for (i = 0; i < 4; i++)
        t.right[i] = 1;
    for (i = 0; i < r->n_steps; i++) {
        const dm_step *s = &r->steps[i];
        const char *cols[4];
        snprintf(b[0], sizeof b[0], "%lld", (long long)s->at);
        cols[0] = b[0];
        cols[1] = dm_report_thousands(s->exposed, b[1], sizeof b[1]);
        cols[2] = dm_report_thousands(s->beyond_law, b[2], sizeof b[2]);
        cols[3] = dm_report_thousands(s->exposed_without, b[3], sizeof b[3]);
        if ((err = table_add(&t, cols, -1)) != DM_OK)
            break;
    }
    if (err == DM_OK)
        table_print(&t, out, "  ", o->color);
    table_free(&t);
    return err;
}

static void put_verification(const dm_run *r, const dm_verification *v,
                             const dm_report_opts *o, FILE *out)
{
    char b[3][32], problem[768];
    size_t i;

    fputc('\n', out);
    if (v == NULL || v->mode == DM_VERIFY_OFF) {
        fputs("Not verified by decryption (--verify off).\n", out);
        return;
    }
    if (v->mismatches == 0) {
        fprintf(out, "Verified by decryption: %s %s and %s %s; 0 mismatches.\n",
                dm_report_thousands(v->reaches_proven, b[0], sizeof b[0]),
                plural(v->reaches_proven, "reach", "reaches"),
                dm_report_thousands(v->nonreaches_proven, b[1], sizeof b[1]),
                plural(v->nonreaches_proven, "non-reach", "non-reaches"));
        if (v->reaches_direct > 0)
            fprintf(out, "  (%s more %s no decryption: an owner's own item, or a compromised"
                         " owner's, that no key opens.)\n",
                    dm_report_thousands(v->reaches_direct, b[0], sizeof b[0]),
                    plural(v->reaches_direct, "reach needed", "reaches needed"));
        if (v->sampled)
            fprintf(out, "  (a sample: %s of %s parties, as the run is large; --verify full checks every one.)\n",
                    dm_report_thousands(v->sample_size, b[0], sizeof b[0]),
                    dm_report_thousands(v->parties, b[1], sizeof b[1]));
        return;
    }
    if (o->color)
        fputs(DM_C_RED, out);
    fprintf(out, "MISMATCH: real decryption disagrees with the closure in %s %s (a bug in doormat):\n",
            dm_report_thousands(v->mismatches, b[0], sizeof b[0]),
            plural(v->mismatches, "case", "cases"));
    for (i = 0; i < v->n_list; i++) {
        const dm_mismatch *m = &v->list[i];
        fprintf(out, "  MISMATCH %s, %s: %s\n", dm_world_party_id(r->w, m->party),
                m->item < r->w->n_items ? r->w->items[m->item].name : "-",
                dm_report_mismatch_text(r, m, problem, sizeof problem));
    }
    if (v->mismatches > v->n_list)
        fprintf(out, "  … and %s more\n",
                dm_report_thousands(v->mismatches - v->n_list, b[2], sizeof b[2]));
    if (o->color)
        fputs(DM_C_RESET, out);
}

dm_err dm_report_text(const dm_run *r, const struct dm_verification *v,
                      const dm_report_opts *o, FILE *out)
{
    size_t max_rows = o->max_rows ? o->max_rows : DEFAULT_ROWS;
    size_t i;
    dm_err err;

    put_header(r, o, out);
    err = put_headline(r, o, out);
    if (err != DM_OK)
        return err;
    err = put_actor_summary(r, o, out, max_rows);
    if (err != DM_OK)
        return err;
    {
        size_t users_shown = 0;
        for (i = 0; i < r->n_actors; i++) {
            const dm_actor_result *a = &r->actors[i];
            if (dm_world_party_kind(r->w, a->party) == DM_ACTOR_USER &&
                users_shown++ >= max_rows)
                continue;
            err = put_actor_detail(r, o, out, a, max_rows);
            if (err != DM_OK)
                return err;
        }
    }
    err = put_by_region(r, o, out);
    if (err != DM_OK)
        return err;
    err = put_steps(r, o, out);
    if (err != DM_OK)
        return err;
    put_refused(r, o, out);
    put_warnings(o, out);
    put_verification(r, v, o, out);
    if (ferror(out))
        return DM_ERR_IO;
    return DM_OK;
}
