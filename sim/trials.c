/* trials.c - Monte Carlo: draw events with their probabilities, distribution of exposure. */
#include "doormat/trials.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/engine.h"
#include "doormat/report.h"
#include "json_write.h"
#include "report_util.h"

uint64_t dm_trials_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Distinct draws: a hash table from the bitset of events that happened to
 * an outcome, which holds how many trials drew it and what its run counted.
 * Values per outcome: with users, with beyond, without users, without
 * beyond, then the same four per region. */
typedef struct outcomes {
    size_t mb;               /* bytes of one bitset */
    size_t nv;               /* values per outcome */
    uint8_t *masks;          /* n * mb */
    uint64_t *counts;        /* n */
    uint64_t *values;        /* n * nv */
    size_t n, cap;
    uint32_t *slots;         /* hash slots: outcome + 1, 0 empty */
    size_t n_slots;
} outcomes;

static uint64_t hash_mask(const uint8_t *m, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= m[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static dm_err grow_slots(outcomes *o)
{
    size_t ns = o->n_slots ? o->n_slots * 2 : 64, i;
    uint32_t *s = dm_calloc(ns, sizeof *s);

    if (!s)
        return DM_ERR_NOMEM;
    for (i = 0; i < o->n; i++) {
        size_t h = (size_t)hash_mask(o->masks + i * o->mb, o->mb) & (ns - 1);
        while (s[h])
            h = (h + 1) & (ns - 1);
        s[h] = (uint32_t)(i + 1);
    }
    dm_free(o->slots);
    o->slots = s;
    o->n_slots = ns;
    return DM_OK;
}

/* The outcome of `mask`, or SIZE_MAX when it is new. */
static size_t find_outcome(const outcomes *o, const uint8_t *mask)
{
    size_t h = (size_t)hash_mask(mask, o->mb) & (o->n_slots - 1);

    while (o->slots[h]) {
        size_t i = o->slots[h] - 1;
        if (memcmp(o->masks + i * o->mb, mask, o->mb) == 0)
            return i;
        h = (h + 1) & (o->n_slots - 1);
    }
    return SIZE_MAX;
}

static dm_err add_outcome(outcomes *o, const uint8_t *mask, const uint64_t *vals)
{
    size_t h;

    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 16;
        uint8_t *m = dm_reallocarray(o->masks, nc, o->mb);
        if (!m)
            return DM_ERR_NOMEM;
        o->masks = m;
        {
            uint64_t *c = dm_reallocarray(o->counts, nc, sizeof *c);
            if (!c)
                return DM_ERR_NOMEM;
            o->counts = c;
        }
        {
            uint64_t *v = dm_reallocarray(o->values, nc, o->nv * sizeof *v);
            if (!v)
                return DM_ERR_NOMEM;
            o->values = v;
        }
        o->cap = nc;
    }
    if ((o->n + 1) * 2 > o->n_slots && grow_slots(o) != DM_OK)
        return DM_ERR_NOMEM;
    memcpy(o->masks + o->n * o->mb, mask, o->mb);
    o->counts[o->n] = 0;
    memcpy(o->values + o->n * o->nv, vals, o->nv * sizeof *vals);
    h = (size_t)hash_mask(mask, o->mb) & (o->n_slots - 1);
    while (o->slots[h])
        h = (h + 1) & (o->n_slots - 1);
    o->slots[h] = (uint32_t)(o->n + 1);
    o->n++;
    return DM_OK;
}

static void outcomes_free(outcomes *o)
{
    dm_free(o->masks);
    dm_free(o->counts);
    dm_free(o->values);
    dm_free(o->slots);
}

/* Run the scenario with only the drawn events (a shallow copy: the events
 * array is new, everything else is borrowed from s) and record its counts. */
static dm_err run_drawn(const dm_scenario *s, const uint32_t *prob, size_t n_prob,
                        const uint8_t *mask, dm_event *evbuf, uint64_t *vals)
{
    dm_scenario copy = *s;
    dm_run *r = NULL;
    dm_run_opts ro;
    dm_diag d;
    size_t i, j = 0, k = 0, nr = s->n_regions;
    dm_err err;

    for (i = 0; i < s->n_events; i++) {
        if (k < n_prob && prob[k] == i) {
            int on = (mask[k / 8] >> (k % 8)) & 1;
            k++;
            if (!on)
                continue;
        }
        evbuf[j++] = s->events[i];
    }
    copy.events = evbuf;
    copy.n_events = j;
    memset(&ro, 0, sizeof ro);
    dm_diag_init(&d, s->file, NULL, 0);
    err = dm_run_scenario(&copy, &ro, &r, &d);
    dm_diag_clear(&d);
    if (err != DM_OK)
        return err;
    vals[0] = r->with.users;
    vals[1] = r->with.beyond_law;
    vals[2] = r->without.users;
    vals[3] = r->without.beyond_law;
    for (i = 0; i < nr; i++) {
        vals[4 + 4 * i] = r->with.by_region[i].users;
        vals[5 + 4 * i] = r->with.by_region[i].beyond_law;
        vals[6 + 4 * i] = r->without.by_region[i].users;
        vals[7 + 4 * i] = r->without.by_region[i].beyond_law;
    }
    dm_run_free(r);
    return DM_OK;
}

typedef struct vc {
    uint64_t v, c;
} vc;

static int vc_cmp(const void *x, const void *y)
{
    const vc *a = x, *b = y;
    return a->v < b->v ? -1 : a->v > b->v;
}

/* Nearest-rank percentile q (in hundredths) of the sorted weighted values. */
static uint64_t percentile(const vc *v, size_t n, uint64_t total, unsigned q)
{
    uint64_t rank = (total * q + 99) / 100, cum = 0;
    size_t i;

    if (rank == 0)
        rank = 1;
    for (i = 0; i < n; i++) {
        cum += v[i].c;
        if (cum >= rank)
            return v[i].v;
    }
    return n ? v[n - 1].v : 0;
}

static void stat_of(const outcomes *o, size_t col, uint64_t total, vc *buf, dm_trials_stat *st)
{
    long double sum = 0;
    size_t i;

    for (i = 0; i < o->n; i++) {
        buf[i].v = o->values[i * o->nv + col];
        buf[i].c = o->counts[i];
        sum += (long double)buf[i].v * (long double)buf[i].c;
    }
    qsort(buf, o->n, sizeof *buf, vc_cmp);
    st->mean = total ? (double)(sum / (long double)total) : 0.0;
    st->p5 = percentile(buf, o->n, total, 5);
    st->p50 = percentile(buf, o->n, total, 50);
    st->p95 = percentile(buf, o->n, total, 95);
    st->min = o->n ? buf[0].v : 0;
    st->max = o->n ? buf[o->n - 1].v : 0;
}

dm_err dm_trials_run(const dm_scenario *s, const dm_trials_opts *o, dm_trials **out)
{
    dm_trials *t = NULL;
    outcomes oc;
    uint32_t *prob = NULL;
    uint8_t *mask = NULL;
    uint64_t *vals = NULL, state, i, step;
    dm_event *evbuf = NULL;
    vc *buf = NULL;
    size_t n_prob = 0, k, nr = s->n_regions;
    dm_err err = DM_OK;

    memset(&oc, 0, sizeof oc);
    if (o->n == 0 || o->n > DM_TRIALS_MAX)
        return DM_ERR_USAGE;
    if (!(t = dm_calloc(1, sizeof *t))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    t->sc = s;
    t->n = o->n;
    t->seed = o->seed;
    for (k = 0; k < s->n_events; k++)
        n_prob += s->events[k].has_p != 0;
    oc.mb = n_prob / 8 + 1;
    oc.nv = 4 + 4 * nr;
    if (!(prob = dm_calloc(n_prob + 1, sizeof *prob)) || !(mask = dm_calloc(oc.mb, 1)) ||
        !(vals = dm_calloc(oc.nv, sizeof *vals)) ||
        !(evbuf = dm_calloc(s->n_events + 1, sizeof *evbuf)) ||
        !(t->events = dm_calloc(n_prob + 1, sizeof *t->events)) ||
        !(t->with_region = dm_calloc(nr + 1, sizeof *t->with_region)) ||
        !(t->without_region = dm_calloc(nr + 1, sizeof *t->without_region))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    for (k = 0, n_prob = 0; k < s->n_events; k++)
        if (s->events[k].has_p) {
            t->events[n_prob].event = (uint32_t)k;
            prob[n_prob++] = (uint32_t)k;
        }
    t->n_events = n_prob;
    if ((err = grow_slots(&oc)) != DM_OK)
        goto out;

    state = o->seed;
    step = o->n / 100 ? o->n / 100 : 1;
    for (i = 0; i < o->n; i++) {
        size_t at;
        memset(mask, 0, oc.mb);
        for (k = 0; k < n_prob; k++) {
            double x = (double)(dm_trials_splitmix64(&state) >> 11) * 0x1.0p-53;
            if (x < s->events[prob[k]].p)
                mask[k / 8] |= (uint8_t)(1u << (k % 8));
        }
        at = find_outcome(&oc, mask);
        if (at == SIZE_MAX) {
            if ((err = run_drawn(s, prob, n_prob, mask, evbuf, vals)) != DM_OK)
                goto out;
            if ((err = add_outcome(&oc, mask, vals)) != DM_OK)
                goto out;
            at = oc.n - 1;
        }
        oc.counts[at]++;
        if (o->progress && ((i + 1) % step == 0 || i + 1 == o->n))
            o->progress(o->ctx, i + 1, o->n);
    }

    t->outcomes = oc.n;
    for (k = 0; k < n_prob; k++) {
        size_t j;
        for (j = 0; j < oc.n; j++)
            if ((oc.masks[j * oc.mb + k / 8] >> (k % 8)) & 1)
                t->events[k].happened += oc.counts[j];
    }
    if (!(buf = dm_calloc(oc.n, sizeof *buf))) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    stat_of(&oc, 0, o->n, buf, &t->with.users);
    stat_of(&oc, 1, o->n, buf, &t->with.beyond_law);
    stat_of(&oc, 2, o->n, buf, &t->without.users);
    stat_of(&oc, 3, o->n, buf, &t->without.beyond_law);
    for (k = 0; k < nr; k++) {
        stat_of(&oc, 4 + 4 * k, o->n, buf, &t->with_region[k].users);
        stat_of(&oc, 5 + 4 * k, o->n, buf, &t->with_region[k].beyond_law);
        stat_of(&oc, 6 + 4 * k, o->n, buf, &t->without_region[k].users);
        stat_of(&oc, 7 + 4 * k, o->n, buf, &t->without_region[k].beyond_law);
    }
out:
    outcomes_free(&oc);
    dm_free(prob);
    dm_free(mask);
    dm_free(vals);
    dm_free(evbuf);
    dm_free(buf);
    if (err != DM_OK) {
        dm_trials_free(t);
        return err;
    }
    *out = t;
    return DM_OK;
}

void dm_trials_free(dm_trials *t)
{
    if (t == NULL)
        return;
    dm_free(t->events);
    dm_free(t->with_region);
    dm_free(t->without_region);
    dm_free(t);
}

/* A mean with thousands separators and one decimal: "2,600,000.5". */
static const char *mean_text(double m, char *buf, size_t len)
{
    char ip[32];
    double r = floor(m * 10.0 + 0.5) / 10.0;
    uint64_t whole = (uint64_t)r;
    unsigned tenth = (unsigned)((r - (double)whole) * 10.0 + 0.5) % 10;

    snprintf(buf, len, "%s.%u", dm_report_thousands(whole, ip, sizeof ip), tenth);
    return buf;
}

#define TCOLS 6
#define TCELL 40

typedef struct trow {
    char c[TCOLS][TCELL];
} trow;

static void fill_row(trow *r, const char *a, const char *b, const dm_trials_stat *st)
{
    snprintf(r->c[0], TCELL, "%s", a);
    snprintf(r->c[1], TCELL, "%s", b);
    mean_text(st->mean, r->c[2], TCELL);
    dm_report_thousands(st->p5, r->c[3], TCELL);
    dm_report_thousands(st->p50, r->c[4], TCELL);
    dm_report_thousands(st->p95, r->c[5], TCELL);
}

static void put_rows(const trow *rows, size_t n, FILE *out)
{
    size_t w[TCOLS] = {0}, i, c, k;

    for (i = 0; i < n; i++)
        for (c = 0; c < TCOLS; c++)
            if (strlen(rows[i].c[c]) > w[c])
                w[c] = strlen(rows[i].c[c]);
    for (i = 0; i < n; i++) {
        fputs("  ", out);
        for (c = 0; c < TCOLS; c++) {
            size_t cw = strlen(rows[i].c[c]);
            if (c < 2) {
                if (c == 1)
                    fputs("  ", out);
                dm_report_put_safe(out, rows[i].c[c]);
                if (c == 1 || i == 0 || rows[i].c[1][0])
                    for (k = cw; k < w[c]; k++)
                        fputc(' ', out);
                continue;
            }
            fputs("  ", out);
            for (k = cw; k < w[c]; k++)
                fputc(' ', out);
            fputs(rows[i].c[c], out);
        }
        fputc('\n', out);
    }
}

static dm_err put_table(const dm_trials *t, int without, FILE *out)
{
    const dm_scenario *s = t->sc;
    const dm_trials_measure *all = without ? &t->without : &t->with;
    const dm_trials_measure *reg = without ? t->without_region : t->with_region;
    size_t n = 1 + 2 * (s->n_regions + 1), i, r = 0;
    trow *rows = dm_calloc(n, sizeof *rows);

    if (!rows)
        return DM_ERR_NOMEM;
    snprintf(rows[0].c[0], TCELL, "region");
    snprintf(rows[0].c[1], TCELL, "people");
    snprintf(rows[0].c[2], TCELL, "mean");
    snprintf(rows[0].c[3], TCELL, "p5");
    snprintf(rows[0].c[4], TCELL, "p50");
    snprintf(rows[0].c[5], TCELL, "p95");
    r = 1;
    for (i = 0; i < s->n_regions; i++) {
        fill_row(&rows[r++], s->regions[i], "exposed", &reg[i].users);
        fill_row(&rows[r++], "", "beyond law", &reg[i].beyond_law);
    }
    fill_row(&rows[r++], "all", "exposed", &all->users);
    fill_row(&rows[r++], "", "beyond law", &all->beyond_law);
    put_rows(rows, r, out);
    dm_free(rows);
    return DM_OK;
}

dm_err dm_trials_text(const dm_trials *t, const char *file, int color, FILE *out)
{
    const dm_scenario *s = t->sc;
    char a[32], b[32];
    size_t i, wid = 5;
    dm_err err;

    if (color)
        fputs(DM_C_BOLD, out);
    fprintf(out, "doormat trials: %s trials, seed %llu\n",
            dm_report_thousands(t->n, a, sizeof a), (unsigned long long)t->seed);
    if (color)
        fputs(DM_C_RESET, out);
    fputs("  scenario  ", out);
    dm_report_put_safe(out, file ? file : (s->file ? s->file : "-"));
    if (s->title) {
        fputs(": ", out);
        dm_report_put_safe(out, s->title);
    }
    fprintf(out, "\n  runs      %s distinct draws, each run once\n",
            dm_report_thousands(t->outcomes, a, sizeof a));

    dm_report_heading(out, color, "EVENTS DRAWN (events without p always happen)");
    if (t->n_events == 0)
        fputs("  none: every event has no p, so every trial is the same run.\n", out);
    for (i = 0; i < t->n_events; i++)
        if (strlen(s->events[t->events[i].event].id) > wid)
            wid = strlen(s->events[t->events[i].event].id);
    for (i = 0; i < t->n_events; i++) {
        const dm_event *e = &s->events[t->events[i].event];
        size_t k;
        fputs("  ", out);
        dm_report_put_safe(out, e->id);
        for (k = strlen(e->id); k < wid; k++)
            fputc(' ', out);
        fprintf(out, "  p=%-6g happened in %s of %s trials (%.1f%%)\n", e->p,
                dm_report_thousands(t->events[i].happened, a, sizeof a),
                dm_report_thousands(t->n, b, sizeof b),
                100.0 * (double)t->events[i].happened / (double)t->n);
    }

    dm_report_heading(out, color,
                      "PEOPLE EXPOSED WITH THE BACKDOORS (mean and percentiles over the trials)");
    if ((err = put_table(t, 0, out)) != DM_OK)
        return err;
    dm_report_heading(out, color, "PEOPLE EXPOSED WITHOUT THEM");
    if ((err = put_table(t, 1, out)) != DM_OK)
        return err;
    return ferror(out) ? DM_ERR_IO : DM_OK;
}

/* ---- JSON ---- */

static void json_stat(dm_jw *j, const char *key, const dm_trials_stat *st)
{
    dm_jw_key(j, key);
    dm_jw_open(j, '{', 1);
    dm_jw_key(j, "mean");
    dm_jw_double(j, "%.3f", st->mean);
    dm_jw_key(j, "p5");
    dm_jw_u64(j, st->p5);
    dm_jw_key(j, "p50");
    dm_jw_u64(j, st->p50);
    dm_jw_key(j, "p95");
    dm_jw_u64(j, st->p95);
    dm_jw_key(j, "min");
    dm_jw_u64(j, st->min);
    dm_jw_key(j, "max");
    dm_jw_u64(j, st->max);
    dm_jw_close(j, '}');
}

static void json_measure(dm_jw *j, const dm_trials *t, int without)
{
    const dm_trials_measure *all = without ? &t->without : &t->with;
    const dm_trials_measure *reg = without ? t->without_region : t->with_region;
    size_t i;

    dm_jw_open(j, '{', 0);
    json_stat(j, "users", &all->users);
    json_stat(j, "beyond_law", &all->beyond_law);
    dm_jw_key(j, "by_region");
    dm_jw_open(j, '{', 0);
    for (i = 0; i < t->sc->n_regions; i++) {
        dm_jw_key(j, t->sc->regions[i]);
        dm_jw_open(j, '{', 0);
        json_stat(j, "users", &reg[i].users);
        json_stat(j, "beyond_law", &reg[i].beyond_law);
        dm_jw_close(j, '}');
    }
    dm_jw_close(j, '}');
    dm_jw_close(j, '}');
}

dm_err dm_trials_json(const dm_trials *t, const char *file, FILE *out)
{
    const dm_scenario *s = t->sc;
    dm_jw j;
    size_t i;

    dm_jw_init(&j, out);
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "format");
    dm_jw_str(&j, "doormat-trials");
    dm_jw_key(&j, "version");
    dm_jw_u64(&j, 1);
    dm_jw_key(&j, "file");
    dm_jw_str(&j, file ? file : (s->file ? s->file : "-"));
    dm_jw_key(&j, "scenario");
    if (s->title)
        dm_jw_str(&j, s->title);
    else
        dm_jw_null(&j);
    dm_jw_key(&j, "prng");
    dm_jw_str(&j, "splitmix64");
    dm_jw_key(&j, "seed");
    dm_jw_u64(&j, t->seed);
    dm_jw_key(&j, "trials");
    dm_jw_u64(&j, t->n);
    dm_jw_key(&j, "distinct_draws");
    dm_jw_u64(&j, t->outcomes);
    dm_jw_key(&j, "people");
    dm_jw_u64(&j, s->people);
    dm_jw_key(&j, "events");
    dm_jw_open(&j, '[', 0);
    for (i = 0; i < t->n_events; i++) {
        const dm_event *e = &s->events[t->events[i].event];
        dm_jw_open(&j, '{', 1);
        dm_jw_key(&j, "id");
        dm_jw_str(&j, e->id);
        dm_jw_key(&j, "p");
        dm_jw_double(&j, "%.15g", e->p);
        dm_jw_key(&j, "happened");
        dm_jw_u64(&j, t->events[i].happened);
        dm_jw_close(&j, '}');
    }
    dm_jw_close(&j, ']');
    dm_jw_key(&j, "exposure");
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "with");
    json_measure(&j, t, 0);
    dm_jw_key(&j, "without");
    json_measure(&j, t, 1);
    dm_jw_close(&j, '}');
    dm_jw_close(&j, '}');
    return ferror(out) ? DM_ERR_IO : DM_OK;
}
