/* lesson.c - the narrated mode: a scenario's timeline step by step, in plain words. */
#include "doormat/lesson.h"

#include <inttypes.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/report.h"
#include "doormat/world.h"
#include "report_util.h"

#define DEFAULT_WIDTH 72

struct dm_lesson {
    const dm_scenario *sc;   /* borrowed */
    int64_t *times;          /* distinct times, ascending */
    size_t n_times;
    int64_t start_at;        /* a time before every event: step 0 */
    size_t n_backdoors;      /* backdoor and ghost events: "without" is worth saying */
    dm_run *final;           /* the whole timeline */
    dm_run *prev;            /* the run of step prev_step, kept for the next diff */
    size_t prev_step;
};

/* One line of "what became reachable": a new reach or a class change. */
typedef struct change {
    const dm_reach *now;
    int was;                 /* previous class, or -1 when new */
} change;

static int64_t step_at(const dm_lesson *l, size_t i)
{
    return i == 0 ? l->start_at : l->times[i - 1];
}

static dm_err run_step(const dm_lesson *l, size_t i, dm_run **out)
{
    dm_run_opts o;
    dm_diag d;
    dm_err err;

    memset(&o, 0, sizeof o);
    o.has_at = 1;
    o.at = step_at(l, i);
    dm_diag_init(&d, l->sc->file, NULL, 0);
    err = dm_run_scenario(l->sc, &o, out, &d);
    dm_diag_clear(&d);
    return err;
}

dm_err dm_lesson_new(const dm_scenario *s, dm_lesson **out, dm_diag *diag)
{
    dm_lesson *l = NULL;
    dm_run_opts o;
    dm_diag scratch;
    size_t i;
    dm_err err = DM_OK;

    if (!(l = dm_calloc(1, sizeof *l))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    l->sc = s;
    l->prev_step = SIZE_MAX;
    if (s->n_events > 0 && !(l->times = dm_calloc(s->n_events, sizeof *l->times))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < s->n_events; i++) {
        if (l->n_times == 0 || l->times[l->n_times - 1] != s->events[i].at)
            l->times[l->n_times++] = s->events[i].at;
        if (s->events[i].kind == DM_EVENT_BACKDOOR || s->events[i].kind == DM_EVENT_GHOST)
            l->n_backdoors++;
    }
    l->start_at = s->n_events > 0 ? s->events[0].at - 1 : 0;
    memset(&o, 0, sizeof o);
    if (diag == NULL)
        dm_diag_init(&scratch, s->file, NULL, 0);
    err = dm_run_scenario(s, &o, &l->final, diag ? diag : &scratch);
    if (diag == NULL)
        dm_diag_clear(&scratch);
out:
    if (err != DM_OK) {
        dm_lesson_free(l);
        return err;
    }
    *out = l;
    return DM_OK;
}

void dm_lesson_free(dm_lesson *l)
{
    if (l == NULL)
        return;
    dm_run_free(l->final);
    dm_run_free(l->prev);
    dm_free(l->times);
    dm_free(l);
}

size_t dm_lesson_n_steps(const dm_lesson *l)
{
    return l->n_times + 1;
}

const dm_run *dm_lesson_final(const dm_lesson *l)
{
    return l->final;
}

static void put_pad(FILE *out, const char *s, size_t width)
{
    size_t w = dm_report_width(s);

    dm_report_put_safe(out, s);
    for (; w < width; w++)
        fputc(' ', out);
}

/* "A", "A and B", "A, B and C". */
static void cat_list(char *buf, size_t len, size_t *pos, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (i > 0)
            dm_report_cat(buf, len, pos, i + 1 == n ? " and " : ", ");
        dm_report_cat(buf, len, pos, names[i]);
    }
}

/* A scope in words: "every user", "users in UK and US", "alice", or
 * "users in UK, and dave". */
static void cat_scope(const dm_scenario *s, const dm_scope *sc, char *buf, size_t len,
                      size_t *pos)
{
    const char *names[16];
    size_t i, n;

    if (sc->all) {
        dm_report_cat(buf, len, pos, "every user");
        return;
    }
    if (sc->n_regions > 0) {
        dm_report_cat(buf, len, pos, "users in ");
        for (i = 0; i < sc->n_regions; i += n) {
            for (n = 0; n < 16 && i + n < sc->n_regions; n++)
                names[n] = s->regions[sc->regions[i + n]];
            if (i > 0)
                dm_report_cat(buf, len, pos, ", ");
            cat_list(buf, len, pos, names, n);
        }
        if (sc->n_users > 0)
            dm_report_cat(buf, len, pos, ", and ");
    }
    for (i = 0; i < sc->n_users; i += n) {
        for (n = 0; n < 16 && i + n < sc->n_users; n++)
            names[n] = s->users[sc->users[i + n]].id;
        if (i > 0)
            dm_report_cat(buf, len, pos, ", ");
        cat_list(buf, len, pos, names, n);
    }
    if (sc->n_regions == 0 && sc->n_users == 0)
        dm_report_cat(buf, len, pos, "nobody");
}

const char *dm_lesson_event_text(const dm_run *r, uint32_t event, char *buf, size_t len)
{
    const dm_scenario *s = r->sc;
    const dm_event *e;
    char name[256], num[64];
    size_t pos = 0;

    buf[0] = '\0';
    if (event >= s->n_events)
        return buf;
    e = &s->events[event];
    switch (e->kind) {
    case DM_EVENT_BACKDOOR:
        dm_report_cat(buf, len, &pos, s->providers[e->provider].id);
        dm_report_cat(buf, len, &pos, " starts escrowing the keys of ");
        cat_scope(s, &e->scope, buf, len, &pos);
        dm_report_cat(buf, len, &pos, " under the key ");
        dm_report_cat(buf, len, &pos,
                      dm_world_key_name(r->w, dm_world_key(r->w, e->key), name, sizeof name));
        break;
    case DM_EVENT_ORDER:
        dm_report_cat(buf, len, &pos, dm_scenario_principal_id(s, e->by));
        dm_report_cat(buf, len, &pos, " orders ");
        dm_report_cat(buf, len, &pos, s->providers[e->provider].id);
        dm_report_cat(buf, len, &pos,
                      e->demand == DM_DEMAND_KEYS ? " to hand over the keys to the data of "
                                                  : " to hand over the data of ");
        cat_scope(s, &e->scope, buf, len, &pos);
        break;
    case DM_EVENT_STEAL:
        dm_report_cat(buf, len, &pos, dm_scenario_principal_id(s, e->by));
        if (e->share > 0) {
            snprintf(num, sizeof num, " steals share %" PRIu32 " of the key ", e->share);
            dm_report_cat(buf, len, &pos, num);
        } else {
            dm_report_cat(buf, len, &pos, " steals the key ");
        }
        dm_report_cat(buf, len, &pos,
                      dm_world_key_name(r->w, dm_world_key(r->w, e->key), name, sizeof name));
        if (e->share > 0 && e->key.kind == DM_KEYREF_DECLARED &&
            e->share <= s->keys[e->key.idx].n_shares) {
            dm_report_cat(buf, len, &pos, ", held by ");
            dm_report_cat(buf, len, &pos,
                dm_scenario_principal_id(s, s->keys[e->key.idx].share_holders[e->share - 1]));
        }
        break;
    case DM_EVENT_BREACH:
        dm_report_cat(buf, len, &pos, dm_scenario_principal_id(s, e->by));
        dm_report_cat(buf, len, &pos, " breaks into the store ");
        dm_report_cat(buf, len, &pos,
            dm_world_store_name(r->w, dm_world_store(r->w, e->store), name, sizeof name));
        dm_report_cat(buf, len, &pos, " and copies what it holds");
        break;
    case DM_EVENT_COMPROMISE:
        dm_report_cat(buf, len, &pos, dm_scenario_principal_id(s, e->by));
        dm_report_cat(buf, len, &pos, " compromises ");
        dm_report_cat(buf, len, &pos, dm_scenario_principal_id(s, e->victim));
        dm_report_cat(buf, len, &pos, " and gains all it knows");
        break;
    case DM_EVENT_GHOST:
        dm_report_cat(buf, len, &pos, dm_scenario_principal_id(s, e->by));
        dm_report_cat(buf, len, &pos, " has ");
        dm_report_cat(buf, len, &pos, s->providers[s->groups[e->group].provider].id);
        dm_report_cat(buf, len, &pos, " add a ghost participant to the group ");
        dm_report_cat(buf, len, &pos, s->groups[e->group].id);
        break;
    case DM_EVENT_TRAVEL:
        dm_report_cat(buf, len, &pos, s->users[e->user].id);
        dm_report_cat(buf, len, &pos, " travels to ");
        dm_report_cat(buf, len, &pos, s->regions[e->region]);
        break;
    case DM_EVENT_DOWNGRADE:
        dm_report_cat(buf, len, &pos, s->providers[e->provider].id);
        dm_report_cat(buf, len, &pos, " withdraws end-to-end encryption in ");
        dm_report_cat(buf, len, &pos, s->regions[e->region]);
        break;
    }
    dm_report_cat(buf, len, &pos, " (");
    dm_report_cat(buf, len, &pos, e->id);
    dm_report_cat(buf, len, &pos, ").");
    if ((e->kind == DM_EVENT_ORDER || e->kind == DM_EVENT_GHOST) && r->refused &&
        r->refused[event]) {
        dm_report_cat(buf, len, &pos, " Refused: ");
        dm_report_cat(buf, len, &pos, e->kind == DM_EVENT_ORDER ? s->providers[e->provider].id
                                                      : s->providers[s->groups[e->group].provider].id);
        dm_report_cat(buf, len, &pos, " does not operate in ");
        {
            dm_id reg = dm_scenario_principal_region(s, e->by);
            dm_report_cat(buf, len, &pos, reg == DM_NONE ? "its region" : s->regions[reg]);
        }
        dm_report_cat(buf, len, &pos, ".");
    }
    if (e->has_p && e->p < 1.0) {
        snprintf(num, sizeof num, " [probability %g; taken as happening]", e->p);
        dm_report_cat(buf, len, &pos, num);
    }
    return buf;
}

/* Write a paragraph word-wrapped at `width` columns. */
static void put_paragraph(FILE *out, const char *p, size_t width)
{
    size_t col = 0;

    while (*p) {
        const char *w = p;
        size_t n, wcols;
        char word[1024];

        while (*w == ' ' || *w == '\n' || *w == '\t')
            w++;
        if (*w == '\0')
            break;
        p = w;
        while (*p && *p != ' ' && *p != '\n' && *p != '\t')
            p++;
        n = (size_t)(p - w);
        if (n >= sizeof word)
            n = sizeof word - 1;
        memcpy(word, w, n);
        word[n] = '\0';
        wcols = dm_report_width(word);
        if (col > 0 && col + 1 + wcols > width) {
            fputc('\n', out);
            col = 0;
        } else if (col > 0) {
            fputc(' ', out);
            col++;
        }
        dm_report_put_safe(out, word);
        col += wcols;
    }
    if (col > 0)
        fputc('\n', out);
}

/* The report's class colours, and custodian reads in cyan: a lesson shows
 * every class a step adds. */
static const char *class_colour(int cls)
{
    return cls == DM_CLASS_CUSTODIAN ? DM_C_CYAN : dm_report_class_colour(cls);
}

/* Write one actor's changes since `prev` (NULL: everything it reaches).
 * Returns 1 when something was written. */
static int put_actor_changes(const dm_run *cur, const dm_run *prev, const dm_actor_result *a,
                             const dm_lesson_opts *o, FILE *out, change *buf)
{
    const dm_actor_result *pa = prev ? dm_run_actor(prev, a->party) : NULL;
    size_t i, n = 0, wi = 0, wc = 0;
    char cls[64], via[1024];

    for (i = 0; i < a->n_reaches; i++) {
        const dm_reach *re = &a->reaches[i], *old = dm_run_reach(pa, re->item);
        if (old && old->cls == re->cls)
            continue;
        buf[n].now = re;
        buf[n].was = old ? old->cls : -1;
        n++;
    }
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        size_t w = dm_report_width(cur->w->items[buf[i].now->item].name);
        if (w > wi)
            wi = w;
        if (buf[i].was >= 0)
            snprintf(cls, sizeof cls, "%s (was %s)", dm_class_name((dm_class)buf[i].now->cls),
                     dm_class_name((dm_class)buf[i].was));
        else
            snprintf(cls, sizeof cls, "%s", dm_class_name((dm_class)buf[i].now->cls));
        if (strlen(cls) > wc)
            wc = strlen(cls);
    }
    fputs("  ", out);
    dm_report_put_safe(out, dm_world_party_id(cur->w, a->party));
    fprintf(out, " (%s) now reads:\n", dm_actor_kind_name(dm_world_party_kind(cur->w, a->party)));
    for (i = 0; i < n; i++) {
        const char *col = o->color ? class_colour(buf[i].now->cls) : NULL;
        fputs("    ", out);
        put_pad(out, cur->w->items[buf[i].now->item].name, wi);
        fputs("  ", out);
        if (buf[i].was >= 0)
            snprintf(cls, sizeof cls, "%s (was %s)", dm_class_name((dm_class)buf[i].now->cls),
                     dm_class_name((dm_class)buf[i].was));
        else
            snprintf(cls, sizeof cls, "%s", dm_class_name((dm_class)buf[i].now->cls));
        dm_report_via_text(cur, a, buf[i].now, via, sizeof via);
        if (col)
            fputs(col, out);
        if (via[0] == '\0') {
            fputs(cls, out);
            if (col)
                fputs(DM_C_RESET, out);
            fputc('\n', out);
            continue;
        }
        put_pad(out, cls, wc);
        if (col)
            fputs(DM_C_RESET, out);
        fputs("  via ", out);
        dm_report_put_safe(out, via);
        fputc('\n', out);
    }
    return 1;
}

static void heading(FILE *out, const dm_lesson_opts *o, const char *text)
{
    if (o->color)
        fputs(DM_C_BOLD, out);
    fputs("== ", out);
    dm_report_put_safe(out, text);
    fputs(" ==", out);
    if (o->color)
        fputs(DM_C_RESET, out);
    fputc('\n', out);
}

dm_err dm_lesson_step(dm_lesson *l, size_t i, const dm_lesson_opts *o, FILE *out)
{
    const dm_scenario *s = l->sc;
    dm_run *cur = NULL;
    change *buf = NULL;
    char title[128], line[2048], a[32], b[32], c[32], d[32];
    size_t width = o->width ? o->width : DEFAULT_WIDTH, k, max = 1;
    int any = 0;
    dm_err err = DM_OK;

    if (i >= dm_lesson_n_steps(l))
        return DM_ERR_USAGE;
    if (i > 0 && l->prev_step != i - 1) {
        dm_run_free(l->prev);
        l->prev = NULL;
        l->prev_step = SIZE_MAX;
        if ((err = run_step(l, i - 1, &l->prev)) != DM_OK)
            goto out;
        l->prev_step = i - 1;
    }
    if ((err = run_step(l, i, &cur)) != DM_OK)
        goto out;
    for (k = 0; k < cur->n_actors; k++)
        if (cur->actors[k].n_reaches > max)
            max = cur->actors[k].n_reaches;
    if (!(buf = dm_calloc(max, sizeof *buf))) {
        err = DM_ERR_NOMEM;
        goto out;
    }

    if (i == 0)
        snprintf(title, sizeof title, "Step 1 of %zu: the start", dm_lesson_n_steps(l));
    else
        snprintf(title, sizeof title, "Step %zu of %zu: time %" PRId64, i + 1,
                 dm_lesson_n_steps(l), step_at(l, i));
    heading(out, o, title);
    fputc('\n', out);
    if (i < s->n_lesson) {
        put_paragraph(out, s->lesson[i], width);
        fputc('\n', out);
    }
    if (i > 0) {
        fprintf(out, "What happens at time %" PRId64 ":\n", step_at(l, i));
        for (k = 0; k < s->n_events; k++) {
            if (s->events[k].at != step_at(l, i))
                continue;
            fputs("  - ", out);
            dm_report_put_safe(out, dm_lesson_event_text(cur, (uint32_t)k, line, sizeof line));
            fputc('\n', out);
        }
        fputc('\n', out);
    }
    fputs(i == 0 ? "Reachable from the start:\n" : "Newly reachable:\n", out);
    for (k = 0; k < cur->n_actors; k++)
        any |= put_actor_changes(cur, i == 0 ? NULL : l->prev, &cur->actors[k], o, out, buf);
    if (!any)
        fputs(i == 0 ? "  nothing: everyone reads only their own data.\n"
                     : "  nothing new.\n",
              out);
    fputc('\n', out);
    fprintf(out, "Exposed: %s of %s people, %s beyond the law.",
            dm_report_thousands(cur->with.users, a, sizeof a),
            dm_report_thousands(s->people, b, sizeof b),
            dm_report_thousands(cur->with.beyond_law, c, sizeof c));
    if (l->n_backdoors > 0)
        fprintf(out, "\nWithout the backdoors: %s, %s beyond the law.",
                dm_report_thousands(cur->without.users, a, sizeof a),
                dm_report_thousands(cur->without.beyond_law, d, sizeof d));
    fputs("\n\n", out);
    if (ferror(out))
        err = DM_ERR_IO;
out:
    dm_free(buf);
    if (err == DM_OK) {
        dm_run_free(l->prev);
        l->prev = cur;
        l->prev_step = i;
    } else {
        dm_run_free(cur);
    }
    return err;
}

dm_err dm_lesson_finish(const dm_lesson *l, const dm_lesson_opts *o, FILE *out)
{
    size_t width = o->width ? o->width : DEFAULT_WIDTH, i;

    if (l->sc->n_lesson <= dm_lesson_n_steps(l))
        return DM_OK;
    heading(out, o, "In the end");
    fputc('\n', out);
    for (i = dm_lesson_n_steps(l); i < l->sc->n_lesson; i++) {
        put_paragraph(out, l->sc->lesson[i], width);
        fputc('\n', out);
    }
    return ferror(out) ? DM_ERR_IO : DM_OK;
}
