/* explain.c - one reach told as numbered sentences, or why it is out of reach. */
#include "doormat/explain.h"

#include <stdarg.h>
#include <string.h>

#include "closure_int.h"
#include "doormat/alloc.h"
#include "doormat/world.h"
#include "report_util.h"

#define NAME_BYTES 256
#define NAME_RING 8
#define MAX_DEPTH 4096
#define MAX_LISTED 10
#define T_START INT64_MIN    /* known from the start */
#define T_UNSAID INT64_MAX   /* not told yet */

/* One sentence of the chain and the time it becomes true. */
struct step {
    int64_t t;
    char *text;
};

/* The state of one explanation: the closure whose witness is told, what was
 * already said (each fact and event once), and a ring of name buffers. */
typedef struct ctx {
    const dm_run *r;
    const dm_world *w;
    const dm_scenario *sc;
    dm_closure *c;
    uint32_t party;
    FILE *out;
    int64_t *t_key, *t_ct, *t_share, *t_item, *t_event; /* T_UNSAID until told */
    int64_t now;             /* time of the step being told */
    struct step *steps;      /* told so far, in dependency order */
    size_t n_steps, cap_steps;
    int oom;
    char names[NAME_RING][NAME_BYTES];
    unsigned ring;
    int deep;
} ctx;

static char *nbuf(ctx *x)
{
    return x->names[x->ring++ % NAME_RING];
}

static const char *kname(ctx *x, uint32_t k)
{
    return dm_world_key_name(x->w, k, nbuf(x), NAME_BYTES);
}

static const char *sname(ctx *x, uint32_t s)
{
    return dm_world_store_name(x->w, s, nbuf(x), NAME_BYTES);
}

static const char *pname(ctx *x, uint32_t p)
{
    return dm_world_party_id(x->w, p);
}

static const char *principal(ctx *x, dm_principal p)
{
    return dm_scenario_principal_id(x->sc, p);
}

static const char *region_name(ctx *x, dm_id r)
{
    return r < x->sc->n_regions ? x->sc->regions[r] : "no region";
}

/* "the wrap of alice.dk under escrow" / "the ciphertext of alice/photos (under alice.dk)". */
static const char *ctname(ctx *x, uint32_t ct)
{
    const dm_ct *c = &x->w->cts[ct];
    char *b = nbuf(x);
    char k1[NAME_BYTES], k2[NAME_BYTES];

    if (c->inner_is_key)
        snprintf(b, NAME_BYTES, "the wrap of %s under %s",
                 dm_world_key_name(x->w, c->inner, k1, sizeof k1),
                 dm_world_key_name(x->w, c->under, k2, sizeof k2));
    else
        snprintf(b, NAME_BYTES, "the ciphertext of %s (under %s)", x->w->items[c->inner].name,
                 dm_world_key_name(x->w, c->under, k2, sizeof k2));
    return b;
}

static void scope_text(ctx *x, const dm_event *ev, char *buf, size_t len)
{
    const dm_scope *s = &ev->scope;
    size_t pos = 0, i;

    buf[0] = '\0';
    if (s->all) {
        snprintf(buf, len, "all users");
        return;
    }
    if (s->n_regions > 0) {
        pos += (size_t)snprintf(buf + pos, len - pos, "users in ");
        for (i = 0; i < s->n_regions && pos < len; i++)
            pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "",
                                    region_name(x, s->regions[i]));
    }
    if (s->n_users > 0 && pos < len) {
        pos += (size_t)snprintf(buf + pos, len - pos, "%s", s->n_regions ? " and " : "");
        for (i = 0; i < s->n_users && pos < len; i++)
            pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "",
                                    x->sc->users[s->users[i]].id);
    }
    if (pos == 0)
        snprintf(buf, len, "no one");
}

/* What an event does, in a sentence without its label. */
static void event_text(ctx *x, uint32_t e, char *buf, size_t len)
{
    const dm_event *ev = &x->sc->events[e];
    const dm_scenario *sc = x->sc;
    char scope[512], k[NAME_BYTES];

    switch (ev->kind) {
    case DM_EVENT_BACKDOOR:
        scope_text(x, ev, scope, sizeof scope);
        snprintf(buf, len, "%s starts a backdoor: it wraps the keys of %s under %s",
                 sc->providers[ev->provider].id, scope,
                 dm_world_key_name(x->w, dm_world_key(x->w, ev->key), k, sizeof k));
        break;
    case DM_EVENT_ORDER:
        scope_text(x, ev, scope, sizeof scope);
        snprintf(buf, len, "%s orders %s to hand over the %s of %s", principal(x, ev->by),
                 sc->providers[ev->provider].id, ev->demand == DM_DEMAND_KEYS ? "keys" : "data",
                 scope);
        break;
    case DM_EVENT_STEAL: {
        uint32_t key = dm_world_key(x->w, ev->key);
        if (ev->share) {
            const dm_wkey *wk = &x->w->keys[key];
            uint32_t holder = x->w->shares[wk->first_share + ev->share - 1].holder;
            snprintf(buf, len, "%s steals share %u of %s (held by %s)", principal(x, ev->by),
                     ev->share, dm_world_key_name(x->w, key, k, sizeof k), pname(x, holder));
        } else {
            snprintf(buf, len, "%s steals the key %s", principal(x, ev->by),
                     dm_world_key_name(x->w, key, k, sizeof k));
        }
        break;
    }
    case DM_EVENT_BREACH:
        snprintf(buf, len, "%s breaks into the store %s and copies what lies there",
                 principal(x, ev->by),
                 dm_world_store_name(x->w, dm_world_store(x->w, ev->store), k, sizeof k));
        break;
    case DM_EVENT_COMPROMISE:
        snprintf(buf, len, "%s compromises %s and gains all %s knows", principal(x, ev->by),
                 principal(x, ev->victim), principal(x, ev->victim));
        break;
    case DM_EVENT_GHOST:
        snprintf(buf, len, "%s has %s add a ghost key (%s.ghost) to the group %s",
                 principal(x, ev->by), sc->providers[sc->groups[ev->group].provider].id,
                 principal(x, ev->by), sc->groups[ev->group].id);
        break;
    case DM_EVENT_TRAVEL:
        snprintf(buf, len, "%s travels to %s", sc->users[ev->user].id, region_name(x, ev->region));
        break;
    case DM_EVENT_DOWNGRADE:
        snprintf(buf, len, "%s withdraws e2ee in %s: keys there get wrapped under %s.hsm",
                 sc->providers[ev->provider].id, region_name(x, ev->region),
                 sc->providers[ev->provider].id);
        break;
    }
}

static void put_step(ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record a sentence, true from time x->now on. */
static void put_step(ctx *x, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (x->n_steps == x->cap_steps) {
        size_t nc = x->cap_steps ? x->cap_steps * 2 : 32;
        struct step *ns = dm_reallocarray(x->steps, nc, sizeof *ns);
        if (ns == NULL) {
            x->oom = 1;
            return;
        }
        x->steps = ns;
        x->cap_steps = nc;
    }
    x->steps[x->n_steps].t = x->now;
    x->steps[x->n_steps].text = dm_strdup(text);
    if (x->steps[x->n_steps].text == NULL) {
        x->oom = 1;
        return;
    }
    x->n_steps++;
}

static int64_t tmax(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t ev_time(ctx *x, uint32_t e)
{
    return e < x->sc->n_events ? x->sc->events[e].at : T_START;
}

/* Tell an event once, as its own step: "[t=3, steal@3] mallory steals ...". */
static int64_t say_event(ctx *x, uint32_t e)
{
    char text[1024];

    if (e == UINT32_MAX || e >= x->sc->n_events)
        return T_START;
    if (x->t_event[e] != T_UNSAID)
        return x->t_event[e];
    x->t_event[e] = x->sc->events[e].at;
    event_text(x, e, text, sizeof text);
    x->now = x->sc->events[e].at;
    put_step(x, "[t=%lld, %s] %s.", (long long)x->sc->events[e].at, x->sc->events[e].id, text);
    return x->t_event[e];
}

/* Print the steps in time order (stable: ties keep dependency order, and a
 * step is never earlier than what it rests on), numbered. */
static void print_steps(ctx *x)
{
    size_t i, j;

    for (i = 1; i < x->n_steps; i++) {
        struct step s = x->steps[i];
        for (j = i; j > 0 && x->steps[j - 1].t > s.t; j--)
            x->steps[j] = x->steps[j - 1];
        x->steps[j] = s;
    }
    for (i = 0; i < x->n_steps; i++)
        fprintf(x->out, "  %2zu. %s\n", i + 1, x->steps[i].text);
}

static void free_steps(ctx *x)
{
    size_t i;

    for (i = 0; i < x->n_steps; i++)
        dm_free(x->steps[i].text);
    dm_free(x->steps);
    x->steps = NULL;
    x->n_steps = x->cap_steps = 0;
}

static int64_t say_fact(ctx *x, dm_fact_kind kind, uint32_t id);

/* Where a stored fact came from and how the actor reads that store. */
static void store_clause(ctx *x, dm_why y, char *buf, size_t len)
{
    const dm_deposit *d = &x->w->deposits[y.b];
    const dm_store *st = &x->w->stores[y.a];
    const char *me = pname(x, x->party);
    char origin[256] = "";

    if (d->tag == DM_TAG_ORDER && d->tag_event != UINT32_MAX)
        snprintf(origin, sizeof origin, ", handed over under %s", x->sc->events[d->tag_event].id);
    else if (d->tag == DM_TAG_UNLAWFUL && d->tag_event != UINT32_MAX)
        snprintf(origin, sizeof origin, ", handed over under %s from stolen knowledge",
                 x->sc->events[d->tag_event].id);
    if (y.via_event != UINT32_MAX)
        snprintf(buf, len, "lies in the store %s%s, which %s reads through %s", sname(x, y.a),
                 origin, me, x->sc->events[y.via_event].id);
    else if (st->owner == x->party && st->device == 0)
        snprintf(buf, len, "lies in %s's own store%s", me, origin);
    else if (st->owner == x->party)
        snprintf(buf, len, "lies on %s's device %s%s", me, sname(x, y.a), origin);
    else
        snprintf(buf, len, "lies in the store %s%s, which %s reads", sname(x, y.a), origin, me);
}

/* Tell the events a stored fact rests on; returns when it became readable. */
static int64_t say_store_sources(ctx *x, dm_why y)
{
    const dm_deposit *d = &x->w->deposits[y.b];
    int64_t t = d->seq == 0 ? T_START : ev_time(x, d->seq - 1);

    if (d->tag_event != UINT32_MAX)
        t = tmax(t, say_event(x, d->tag_event));
    return tmax(t, say_event(x, y.via_event));
}

/* The step of opening ciphertext ct, told after its key's chain and the
 * ciphertext's own (sequenced: argument evaluation order is unspecified),
 * and naming what it holds: a wrap's key ("it now has ...") or an item
 * ("it reads ...").  Returns the step's time. */
static int64_t say_opened(ctx *x, uint32_t ct)
{
    const dm_ct *c = &x->w->cts[ct];
    int64_t t = say_fact(x, DM_FACT_KEY, c->under);
    t = tmax(t, say_fact(x, DM_FACT_CT, ct));
    x->now = t;
    put_step(x, "%s opens %s with %s: it %s %s.", pname(x, x->party), ctname(x, ct),
             kname(x, c->under), c->inner_is_key ? "now has" : "reads",
             c->inner_is_key ? kname(x, c->inner) : x->w->items[c->inner].name);
    return t;
}

static const char *held_reason(ctx *x, uint32_t k)
{
    switch (x->w->keys[k].ref.kind) {
    case DM_KEYREF_DEV: return " (a device key)";
    case DM_KEYREF_HSM: return " (its service key, in its HSMs)";
    case DM_KEYREF_DECLARED: return " (given by the scenario's keys[].holders)";
    default: return "";
    }
}

static int64_t say_key(ctx *x, uint32_t k)
{
    dm_why y = dm_closure_why(x->c, DM_FACT_KEY, k);
    const char *me = pname(x, x->party);
    char clause[768];
    int64_t t = T_START;

    switch ((dm_why_kind)y.kind) {
    case DM_WHY_HELD:
        t = say_event(x, y.via_event);
        x->now = t;
        if (y.a == x->party)
            put_step(x, "%s holds %s from the start%s.", me, kname(x, k), held_reason(x, k));
        else
            put_step(x, "%s held %s from the start%s; through %s, %s has it too.", pname(x, y.a),
                     kname(x, k), held_reason(x, k),
                     y.via_event != UINT32_MAX ? x->sc->events[y.via_event].id : "a compromise", me);
        break;
    case DM_WHY_STEAL:
        t = say_event(x, y.a);
        t = tmax(t, say_event(x, y.via_event));
        break;
    case DM_WHY_GHOSTKEY:
        t = say_event(x, y.a);
        x->now = t;
        put_step(x, "%s holds the ghost key %s.", me, kname(x, k));
        break;
    case DM_WHY_SHARES: {
        const dm_wkey *wk = &x->w->keys[k];
        char list[512];
        size_t pos = 0;
        uint32_t i, n = 0;
        list[0] = '\0';
        for (i = 0; i < wk->n_shares; i++)
            if (dm_closure_knows(x->c, DM_FACT_SHARE, wk->first_share + i)) {
                t = tmax(t, say_fact(x, DM_FACT_SHARE, wk->first_share + i));
                n++;
                if (pos < sizeof list)
                    pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%u",
                                            n > 1 ? ", " : "", i + 1);
            }
        x->now = t;
        put_step(x, "With %u of the %u shares of %s (shares %s; %u needed), %s rebuilds %s.", n,
                 wk->n_shares, kname(x, k), list, wk->share_k, me, kname(x, k));
        break;
    }
    case DM_WHY_OPENED:
        t = say_opened(x, y.a);
        break;
    case DM_WHY_STORE:
        t = say_store_sources(x, y);
        store_clause(x, y, clause, sizeof clause);
        x->now = t;
        put_step(x, "The key %s %s.", kname(x, k), clause);
        break;
    default:
        x->now = t;
        put_step(x, "%s has %s.", me, kname(x, k));
        break;
    }
    return t;
}

static int64_t say_share(ctx *x, uint32_t sh)
{
    dm_why y = dm_closure_why(x->c, DM_FACT_SHARE, sh);
    const dm_share *s = &x->w->shares[sh];
    char clause[768];
    char k[NAME_BYTES];
    int64_t t = T_START;

    dm_world_key_name(x->w, s->key, k, sizeof k);
    switch ((dm_why_kind)y.kind) {
    case DM_WHY_HELD:
        t = say_event(x, y.via_event);
        x->now = t;
        if (y.a == x->party)
            put_step(x, "%s holds share %u of %s from the start.", pname(x, x->party), s->index, k);
        else
            put_step(x, "%s held share %u of %s from the start; through %s, %s has it too.",
                     pname(x, y.a), s->index, k,
                     y.via_event != UINT32_MAX ? x->sc->events[y.via_event].id : "a compromise",
                     pname(x, x->party));
        break;
    case DM_WHY_STEAL:
        t = say_event(x, y.a);
        t = tmax(t, say_event(x, y.via_event));
        break;
    case DM_WHY_STORE:
        t = say_store_sources(x, y);
        store_clause(x, y, clause, sizeof clause);
        x->now = t;
        put_step(x, "Share %u of %s %s.", s->index, k, clause);
        break;
    default:
        x->now = t;
        put_step(x, "%s has share %u of %s.", pname(x, x->party), s->index, k);
        break;
    }
    return t;
}

static int64_t say_ct(ctx *x, uint32_t ct)
{
    dm_why y = dm_closure_why(x->c, DM_FACT_CT, ct);
    char clause[768], name[NAME_BYTES];
    int64_t t = say_event(x, x->w->cts[ct].event);

    snprintf(name, sizeof name, "%s", ctname(x, ct));
    name[0] = (char)(name[0] == 't' ? 'T' : name[0]);
    if (y.kind == DM_WHY_STORE) {
        t = tmax(t, say_store_sources(x, y));
        store_clause(x, y, clause, sizeof clause);
        x->now = t;
        put_step(x, "%s %s.", name, clause);
    } else {
        x->now = t;
        put_step(x, "%s has %s.", pname(x, x->party), ctname(x, ct));
    }
    return t;
}

static int64_t say_item(ctx *x, uint32_t it)
{
    dm_why y = dm_closure_why(x->c, DM_FACT_ITEM, it);
    const char *me = pname(x, x->party);
    const char *name = x->w->items[it].name;
    char clause[768];
    int64_t t = T_START;

    switch ((dm_why_kind)y.kind) {
    case DM_WHY_OWNER:
        t = say_event(x, y.via_event);
        x->now = t;
        if (y.a == x->party)
            put_step(x, "%s owns %s: owners always read their own items.", me, name);
        else
            put_step(x, "%s owns %s; through %s, %s has it too.", pname(x, y.a), name,
                     y.via_event != UINT32_MAX ? x->sc->events[y.via_event].id : "a compromise",
                     me);
        break;
    case DM_WHY_OPENED:
        t = say_opened(x, y.a);
        break;
    case DM_WHY_STORE:
        t = say_store_sources(x, y);
        store_clause(x, y, clause, sizeof clause);
        x->now = t;
        put_step(x, "The plaintext of %s %s.", name, clause);
        break;
    default:
        x->now = t;
        put_step(x, "%s reads %s.", me, name);
        break;
    }
    return t;
}

/* Tell a fact after everything it rests on; each fact once.  Returns the
 * time from which the actor knows it.  Depth is capped so a pathological
 * chain cannot exhaust the stack. */
static int64_t say_fact(ctx *x, dm_fact_kind kind, uint32_t id)
{
    int64_t *memo = kind == DM_FACT_KEY     ? x->t_key
                    : kind == DM_FACT_SHARE ? x->t_share
                    : kind == DM_FACT_CT    ? x->t_ct
                                            : x->t_item;
    int64_t t = T_START;

    if (memo[id] != T_UNSAID)
        return memo[id];
    memo[id] = T_START; /* a witness is acyclic; this only guards */
    if (x->deep >= MAX_DEPTH) {
        put_step(x, "(the chain goes on: too long to show)");
        return T_START;
    }
    x->deep++;
    switch (kind) {
    case DM_FACT_KEY: t = say_key(x, id); break;
    case DM_FACT_SHARE: t = say_share(x, id); break;
    case DM_FACT_CT: t = say_ct(x, id); break;
    case DM_FACT_ITEM: t = say_item(x, id); break;
    }
    x->deep--;
    memo[id] = t;
    return t;
}

/* ---- the class, with its reason ---- */

/* Whether an owner lies inside an order's or ghost's reach, and if not why. */
static int order_holds(ctx *x, uint32_t e, uint32_t owner, char *why, size_t len)
{
    const dm_event *ev = &x->sc->events[e];
    dm_id reg = dm_report_region_of(x->sc, owner, e);
    dm_id auth = dm_scenario_principal_region(x->sc, ev->by);
    const char *uid = x->sc->users[owner].id;

    if (!dm_report_scope_holds(x->sc, ev, owner, reg)) {
        snprintf(why, len, "%s's scope did not hold %s (%s)", ev->id, uid, region_name(x, reg));
        return 0;
    }
    if (reg == DM_NONE || reg != auth) {
        snprintf(why, len, "%s (%s) is outside %s's region (%s)", uid, region_name(x, reg),
                 principal(x, ev->by), region_name(x, auth));
        return 0;
    }
    return 1;
}

static void say_class(ctx *x, const dm_actor_result *a, const dm_reach *re)
{
    const dm_witem *it = &x->w->items[re->item];
    const char *me = pname(x, x->party);
    char why[512];
    uint32_t k, o;

    fprintf(x->out, "\nClass: %s", dm_class_name((dm_class)re->cls));
    switch ((dm_class)re->cls) {
    case DM_CLASS_OWNER:
        fprintf(x->out, ": %s owns %s.\n", me, it->name);
        return;
    case DM_CLASS_CUSTODIAN:
        fprintf(x->out, ": by the system's design, through keys %s held from the start and "
                        "its own stores, with no order, theft or breach.\n", me);
        return;
    case DM_CLASS_LAWFUL:
    case DM_CLASS_COLLATERAL:
        for (k = 0; k < re->via_len; k++) {
            uint32_t v = a->via[re->via_off + k];
            const dm_event *ev;
            if (!(v & DM_VIA_EVENT))
                continue;
            ev = &x->sc->events[v & ~DM_VIA_EVENT];
            if (ev->kind != DM_EVENT_ORDER && ev->kind != DM_EVENT_GHOST)
                continue;
            for (o = 0; o < it->n_owners; o++)
                if (!order_holds(x, v & ~DM_VIA_EVENT, it->owners[o], why, sizeof why)) {
                    fprintf(x->out, ": %s.\n", why);
                    return;
                }
            if (re->cls == DM_CLASS_LAWFUL) {
                fprintf(x->out, ": through %s, whose scope held every owner, each in %s's "
                                "region.\n", ev->id, principal(x, ev->by));
                return;
            }
        }
        fputs(re->cls == DM_CLASS_LAWFUL ? ": through orders within their scope.\n"
                                         : ": through an order or ghost beyond its scope.\n",
              x->out);
        return;
    case DM_CLASS_UNLAWFUL:
        for (k = 0; k < re->via_len; k++) {
            uint32_t v = a->via[re->via_off + k];
            const dm_event *ev;
            if (!(v & DM_VIA_EVENT))
                continue;
            ev = &x->sc->events[v & ~DM_VIA_EVENT];
            if (ev->kind == DM_EVENT_STEAL || ev->kind == DM_EVENT_BREACH ||
                ev->kind == DM_EVENT_COMPROMISE) {
                fprintf(x->out, ": the path runs through %s (%s).\n", ev->id,
                        ev->kind == DM_EVENT_STEAL    ? "theft"
                        : ev->kind == DM_EVENT_BREACH ? "a breach"
                                                      : "a compromise");
                return;
            }
        }
        if (dm_world_party_kind(x->w, x->party) == DM_ACTOR_ATTACKER)
            fprintf(x->out, ": %s is an attacker; whatever it holds is stolen.\n", me);
        else
            fputs(": the path runs through stolen knowledge.\n", x->out);
        return;
    default:
        fputc('\n', x->out);
        return;
    }
}

/* ---- out of reach ---- */

/* Stores where ciphertext `ct` lies at the reported time, as "a, b, c". */
static size_t ct_stores(ctx *x, uint32_t ct, char *buf, size_t len)
{
    size_t s, i, n = 0, pos = 0;

    buf[0] = '\0';
    for (s = 0; s < x->w->n_stores; s++) {
        const dm_store *st = &x->w->stores[s];
        for (i = 0; i < st->n; i++) {
            const dm_deposit *d = &x->w->deposits[st->deposits[i]];
            if (d->seq > x->r->bound)
                break;
            if (d->fact_kind == DM_FACT_CT && d->fact_id == ct) {
                if (n < MAX_LISTED && pos < len)
                    pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", n ? ", " : "",
                                            sname(x, (uint32_t)s));
                else if (n == MAX_LISTED && pos < len)
                    pos += (size_t)snprintf(buf + pos, len - pos, ", …");
                n++;
                break;
            }
        }
    }
    return n;
}

/* Who holds key k from the start, as "alice, bob" (empty when no one). */
static void key_holders(ctx *x, uint32_t k, char *buf, size_t len)
{
    const dm_wkey *wk = &x->w->keys[k];
    const dm_scenario *sc = x->sc;
    size_t i, pos = 0;

    buf[0] = '\0';
    switch (wk->ref.kind) {
    case DM_KEYREF_DECLARED:
        for (i = 0; i < sc->keys[wk->ref.idx].n_holders && pos < len; i++)
            pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "",
                                    principal(x, sc->keys[wk->ref.idx].holders[i]));
        break;
    case DM_KEYREF_DEV:
        snprintf(buf, len, "%s", sc->users[wk->ref.idx].id);
        break;
    case DM_KEYREF_HSM:
        snprintf(buf, len, "%s", sc->providers[wk->ref.idx].id);
        break;
    case DM_KEYREF_GHOST:
        snprintf(buf, len, "%s", sc->actors[wk->ref.idx].id);
        break;
    default:
        break;
    }
}

/* Why the actor lacks key k, in a clause ("held by alice", "1 of 2 shares"). */
static void lack_clause(ctx *x, uint32_t k, char *buf, size_t len)
{
    const dm_wkey *wk = &x->w->keys[k];
    char holders[256];

    key_holders(x, k, holders, sizeof holders);
    if (wk->share_k > 0) {
        uint32_t i, n = 0;
        for (i = 0; i < wk->n_shares; i++)
            n += dm_closure_knows(x->c, DM_FACT_SHARE, wk->first_share + i) != 0;
        snprintf(buf, len, "%s lacks %s: it has %u of the %u shares needed%s%s%s",
                 pname(x, x->party), kname(x, k), n, wk->share_k,
                 holders[0] ? " (whole key held by " : "", holders, holders[0] ? ")" : "");
    } else if (holders[0]) {
        snprintf(buf, len, "%s lacks %s (held by %s)", pname(x, x->party), kname(x, k), holders);
    } else {
        snprintf(buf, len, "%s lacks %s", pname(x, x->party), kname(x, k));
    }
}

static void say_missing(ctx *x, uint32_t item)
{
    const char *me = pname(x, x->party);
    uint32_t key = x->w->cts[item].under, ct;
    char stores[1024], clause[512];
    size_t n, shown = 0, total = 0;

    n = ct_stores(x, item, stores, sizeof stores);
    if (n == 0) {
        put_step(x, "The ciphertext of %s lies in no store at this time.", x->w->items[item].name);
        return;
    }
    put_step(x, "The ciphertext of %s (under %s) lies in %s %s.", x->w->items[item].name,
             kname(x, key), n == 1 ? "the store" : "the stores", stores);
    if (!dm_closure_knows(x->c, DM_FACT_CT, item)) {
        put_step(x, "%s reads none of %s: it never gets the ciphertext.", me,
                 n == 1 ? "it" : "them");
        if (!dm_closure_knows(x->c, DM_FACT_KEY, key)) {
            lack_clause(x, key, clause, sizeof clause);
            put_step(x, "Nor the key: %s.", clause);
        } else {
            put_step(x, "It does have the key %s, but no ciphertext to open with it.",
                     kname(x, key));
        }
        return;
    }
    {
        char where[768], holders[256];
        const dm_wkey *wk = &x->w->keys[key];
        dm_why y = dm_closure_why(x->c, DM_FACT_CT, item);
        if (y.kind == DM_WHY_STORE)
            store_clause(x, y, where, sizeof where);
        else
            snprintf(where, sizeof where, "is known to it");
        put_step(x, "%s has that ciphertext (it %s), but not the key %s that opens it.", me, where,
                 kname(x, key));
        key_holders(x, key, holders, sizeof holders);
        if (wk->share_k > 0) {
            lack_clause(x, key, clause, sizeof clause);
            put_step(x, "%s is split into %u shares, %u of them needed: %s.", kname(x, key),
                     wk->n_shares, wk->share_k, clause);
        } else if (holders[0]) {
            put_step(x, "%s is held from the start by %s only.", kname(x, key), holders);
        }
    }
    for (ct = (uint32_t)x->w->n_items; ct < x->w->n_cts; ct++) {
        const dm_ct *c = &x->w->cts[ct];
        char where[1024];
        size_t m;
        if (!c->inner_is_key || c->inner != key || c->seq > x->r->bound)
            continue;
        total++;
        if (shown >= MAX_LISTED)
            continue;
        shown++;
        m = ct_stores(x, ct, where, sizeof where);
        if (m == 0) {
            put_step(x, "%s lies wrapped under %s, in no store.", kname(x, key), kname(x, c->under));
        } else if (!dm_closure_knows(x->c, DM_FACT_CT, ct)) {
            put_step(x, "%s lies wrapped under %s in %s %s, which %s does not read.",
                     kname(x, key), kname(x, c->under), m == 1 ? "the store" : "the stores", where,
                     me);
        } else {
            char holders[256];
            const dm_wkey *uk = &x->w->keys[c->under];
            key_holders(x, c->under, holders, sizeof holders);
            if (uk->share_k > 0) {
                uint32_t i, got = 0;
                for (i = 0; i < uk->n_shares; i++)
                    got += dm_closure_knows(x->c, DM_FACT_SHARE, uk->first_share + i) != 0;
                snprintf(clause, sizeof clause, "only %u of the %u shares of %s needed", got,
                         uk->share_k, kname(x, c->under));
            } else {
                snprintf(clause, sizeof clause, "not %s%s%s%s", kname(x, c->under),
                         holders[0] ? " (held by " : "", holders, holders[0] ? ")" : "");
            }
            put_step(x, "%s lies wrapped under %s in %s %s: %s has that wrap, but %s.",
                     kname(x, key), kname(x, c->under), m == 1 ? "the store" : "the stores", where,
                     me, clause);
        }
    }
    if (total == 0)
        put_step(x, "No wrap of %s exists at this time.", kname(x, key));
    else if (total > shown)
        put_step(x, "… and %zu more wraps of %s.", total - shown, kname(x, key));
}

/* ---- entry points ---- */

/* Compute the closure the reach's class was found in, so the chain told is
 * a best path (a lawful reach is not told through a theft).  Falls back to
 * the unrestricted closure. */
static dm_err compute_for_class(ctx *x, const dm_actor_result *a, const dm_reach *re,
                                uint32_t item)
{
    dm_filter f = DM_FILTER_ALL;
    uint64_t mask = 0;
    uint32_t k;
    dm_err err;

    if (re != NULL) {
        switch ((dm_class)re->cls) {
        case DM_CLASS_CUSTODIAN: f = DM_FILTER_CLEAN; break;
        case DM_CLASS_LAWFUL: f = DM_FILTER_MASK; break;
        case DM_CLASS_COLLATERAL: f = DM_FILTER_LEGAL; break;
        default: break;
        }
        for (k = 0; k < re->via_len; k++) {
            uint32_t v = a->via[re->via_off + k];
            if ((v & DM_VIA_EVENT) && x->c->order_rank[v & ~DM_VIA_EVENT] < 64)
                mask |= (uint64_t)1 << x->c->order_rank[v & ~DM_VIA_EVENT];
        }
        if (f != DM_FILTER_ALL) {
            err = dm_closure_run(x->c, x->party, x->r->bound, f, mask);
            if (err != DM_OK)
                return err;
            if (dm_closure_knows(x->c, DM_FACT_ITEM, item))
                return DM_OK;
        }
    }
    return dm_closure_compute(x->c, x->party, x->r->bound);
}

static int64_t *memo_new(size_t n)
{
    int64_t *m = dm_reallocarray(NULL, n + 1, sizeof *m);
    size_t i;

    if (m != NULL)
        for (i = 0; i <= n; i++)
            m[i] = T_UNSAID;
    return m;
}

static int owns(const dm_run *r, uint32_t party, uint32_t item)
{
    const dm_witem *it = &r->w->items[item];
    uint32_t base = (uint32_t)(r->w->n_providers + r->w->n_actors), i;

    if (party < base)
        return 0;
    for (i = 0; i < it->n_owners; i++)
        if (it->owners[i] == party - base)
            return 1;
    return 0;
}

dm_err dm_explain(const dm_run *r, uint32_t party, uint32_t item, FILE *out)
{
    const dm_world *w = r->w;
    const dm_actor_result *a = dm_run_actor(r, party);
    const dm_reach *re = dm_run_reach(a, item);
    ctx x;
    char when[64];
    dm_err err;

    memset(&x, 0, sizeof x);
    x.now = T_START;
    x.r = r;
    x.w = w;
    x.sc = r->sc;
    x.party = party;
    x.out = out;
    if (party >= w->n_parties || item >= w->n_items)
        return DM_ERR_USAGE;
    err = dm_closure_new(w, &x.c);
    if (err != DM_OK)
        goto out;
    x.t_key = memo_new(w->n_keys);
    x.t_ct = memo_new(w->n_cts);
    x.t_share = memo_new(w->n_shares);
    x.t_item = memo_new(w->n_items);
    x.t_event = memo_new(r->sc->n_events);
    if (!x.t_key || !x.t_ct || !x.t_share || !x.t_item || !x.t_event) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    if (r->sc->n_events == 0)
        snprintf(when, sizeof when, "at the start");
    else
        snprintf(when, sizeof when, "after t=%lld", (long long)r->at);

    if (re == NULL && owns(r, party, item)) {
        fprintf(out, "How %s reads %s %s:\n\n", pname(&x, party), w->items[item].name, when);
        put_step(&x, "%s owns %s: owners always read their own items.", pname(&x, party),
                 w->items[item].name);
        print_steps(&x);
        fprintf(out, "\nClass: owner.\n");
        goto out;
    }
    err = compute_for_class(&x, a, re, item);
    if (err != DM_OK)
        goto out;
    if (dm_closure_knows(x.c, DM_FACT_ITEM, item)) {
        fprintf(out, "How %s reads %s %s:\n\n", pname(&x, party), w->items[item].name, when);
        say_fact(&x, DM_FACT_ITEM, item);
        print_steps(&x);
        if (re != NULL)
            say_class(&x, a, re);
        else if (owns(r, party, item))
            fprintf(out, "\nClass: owner.\n");
        else
            fprintf(out, "\n(The run's report lists no such reach: this is a bug in doormat.)\n");
    } else {
        fprintf(out, "%s cannot read %s %s.\n\n", pname(&x, party), w->items[item].name, when);
        say_missing(&x, item);
        print_steps(&x);
    }
out:
    if (err == DM_OK && x.oom)
        err = DM_ERR_NOMEM;
    free_steps(&x);
    dm_free(x.t_key);
    dm_free(x.t_ct);
    dm_free(x.t_share);
    dm_free(x.t_item);
    dm_free(x.t_event);
    dm_closure_free(x.c);
    if (err == DM_OK && ferror(out))
        err = DM_ERR_IO;
    return err;
}

/* ---- ACTOR:ITEM lookup with did-you-mean ---- */

/* Levenshtein distance, capped: returns cap+1 when larger. */
static size_t distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t row[DM_LIMIT_ID_BYTES * 2 + 2];

    if (la > DM_LIMIT_ID_BYTES * 2 || lb > DM_LIMIT_ID_BYTES * 2)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t prev = row[0], best;
        row[0] = i;
        best = row[0];
        for (j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t v = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            prev = cur;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

static size_t suggest_cap(const char *s)
{
    size_t n = strlen(s) / 3;
    return n < 2 ? 2 : n;
}

static const char *suggest_party(const dm_world *w, const char *name)
{
    size_t cap = suggest_cap(name), best = cap + 1, p;
    const char *out = NULL;

    for (p = 0; p < w->n_parties; p++) {
        const char *id = dm_world_party_id(w, (uint32_t)p);
        size_t d = distance(name, id, cap);
        if (d < best) {
            best = d;
            out = id;
        }
    }
    return out;
}

static const char *suggest_item(const dm_world *w, const char *name)
{
    size_t cap = suggest_cap(name), best = cap + 1, i, n = strlen(name);
    const char *out = NULL;

    /* "photos" for "alice/photos": the owner prefix was left out. */
    if (strchr(name, '/') == NULL)
        for (i = 0; i < w->n_items; i++) {
            const char *id = w->items[i].name;
            size_t l = strlen(id);
            if (l > n + 1 && id[l - n - 1] == '/' && strcmp(id + l - n, name) == 0)
                return id;
        }
    for (i = 0; i < w->n_items; i++) {
        size_t d = distance(name, w->items[i].name, cap);
        if (d < best) {
            best = d;
            out = w->items[i].name;
        }
    }
    return out;
}

static int find_party(const dm_world *w, const char *name, size_t len, uint32_t *out)
{
    size_t p;

    for (p = 0; p < w->n_parties; p++) {
        const char *id = dm_world_party_id(w, (uint32_t)p);
        if (strlen(id) == len && memcmp(id, name, len) == 0) {
            *out = (uint32_t)p;
            return 1;
        }
    }
    return 0;
}

dm_err dm_explain_lookup(const dm_run *r, const char *spec, uint32_t *party,
                         uint32_t *item, char *err, size_t err_len)
{
    const dm_world *w = r->w;
    const char *colon, *iname = NULL, *hint;
    uint32_t p = 0;
    size_t i;
    char actor[DM_LIMIT_ID_BYTES + 1];

    for (colon = strchr(spec, ':'); colon; colon = strchr(colon + 1, ':'))
        if (find_party(w, spec, (size_t)(colon - spec), &p)) {
            iname = colon + 1;
            break;
        }
    if (iname == NULL) {
        colon = strchr(spec, ':');
        if (colon == NULL) {
            snprintf(err, err_len, "'%s' is not ACTOR:ITEM", spec);
            return DM_ERR_USAGE;
        }
        snprintf(actor, sizeof actor, "%.*s", (int)(colon - spec), spec);
        hint = suggest_party(w, actor);
        if (hint)
            snprintf(err, err_len, "unknown actor \"%s\" (did you mean \"%s\"?)", actor, hint);
        else
            snprintf(err, err_len, "unknown actor \"%s\"", actor);
        return DM_ERR_USAGE;
    }
    for (i = 0; i < w->n_items; i++)
        if (strcmp(w->items[i].name, iname) == 0) {
            *party = p;
            *item = (uint32_t)i;
            return DM_OK;
        }
    hint = suggest_item(w, iname);
    if (hint)
        snprintf(err, err_len, "unknown item \"%s\" (did you mean \"%s\"?)", iname, hint);
    else
        snprintf(err, err_len, "unknown item \"%s\"", iname);
    return DM_ERR_USAGE;
}
