/* report_dot.c - the key graph as Graphviz DOT, one actor's reach highlighted (dot.h). */
#include "doormat/dot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/report.h"
#include "doormat/world.h"
#include "report_util.h"

#define NONE UINT32_MAX
#define MULTI (UINT32_MAX - 1)
#define STORES_SHOWN 3

/* Palette: calm on a projector, classes told apart by hue and lightness. */
#define COL_TEXT "#333333"
#define COL_LINE "#777777"
#define COL_KEY "#ffffff"
#define COL_KEYPAIR "#eef3fb"
#define COL_STORE "#f4f4f4"
#define COL_CLUSTER "#fafafa"
#define COL_CLUSTER_LINE "#c8c8c8"
#define COL_KNOWN "#ffd98a"
#define COL_KNOWN_LINE "#b35c00"
#define COL_BACKDOOR "#c62828"
#define COL_DEPOSIT "#6a3d9a"

enum { NK_KEY, NK_ITEM, NK_STORE };

/* What an aggregate node stands for (collapsed graphs only). */
enum { AG_NONE, AG_DK, AG_DEV, AG_GK, AG_ITEMS, AG_STORES, AG_KEYS, AG_PSTORES, AG_COUNT };

/* How the highlighted actor came by something. */
enum {
    SRC_HELD = 1,
    SRC_STOLEN = 2,
    SRC_SHARES = 4,
    SRC_GHOST = 8,
    SRC_VICTIM = 16,
    SRC_BREACH = 32
};

enum { E_WRAP, E_SPECIAL, E_DEPOSIT };

typedef struct node {
    uint8_t kind;           /* NK_* */
    uint8_t agg;            /* AG_* */
    uint8_t keypair;
    uint8_t src;            /* SRC_* */
    uint32_t first;         /* key, item or store id of its first member */
    uint32_t members;
    uint32_t region;        /* aggregates: the region, or NONE */
    uint32_t cluster;       /* cluster id or NONE */
    uint32_t known;         /* members the actor knows, reaches or reads */
    int cls;                /* worst class among reached items, -1 */
    uint32_t src_event;     /* event behind the first stolen / ghost / breach source */
    uint32_t src_party;     /* victim a key came from */
} node;

typedef struct edge {
    uint32_t src, dst;
    uint32_t kind;          /* E_* */
    uint32_t event;         /* NONE or the event behind it */
    uint32_t share;         /* deposits of a share: its index, else 0 */
    uint32_t count;
    uint32_t ct;            /* a ciphertext it stands for (tie-break only) */
} edge;

typedef struct pair {
    uint32_t edge, store;
} pair;

typedef struct graph {
    const dm_run *r;
    const dm_world *w;
    const dm_scenario *sc;
    uint32_t actor;
    int collapsed;
    size_t full_nodes, max_nodes;
    const dm_id *region;    /* per user, at r->bound (the run's) */
    uint32_t *holder;       /* per key: the party holding it whole, NONE or MULTI */
    uint32_t *key_node, *item_node, *store_node;
    node *nodes;
    size_t n_nodes, cap_nodes;
    uint32_t *agg_node;     /* AG_COUNT x (n_regions + 1) */
    edge *edges;
    size_t n_edges, cap_edges;
    pair *pairs;
    size_t n_pairs, cap_pairs;
    uint32_t *ct_edge;      /* per ciphertext: its merged edge, or NONE */
} graph;

const char *dm_dot_class_color(dm_class c)
{
    static const char *const col[] = {"#d9d9d9", "#9ecae1", "#a1d99b", "#fdd49e", "#fc9272"};
    return (unsigned)c < DM_CLASS_COUNT ? col[c] : "#ffffff";
}

dm_err dm_dot_lookup(const dm_run *r, const char *id, uint32_t *party, char *err,
                     size_t err_len)
{
    size_t p;

    for (p = 0; p < r->w->n_parties; p++)
        if (strcmp(dm_world_party_id(r->w, (uint32_t)p), id) == 0) {
            *party = (uint32_t)p;
            return DM_OK;
        }
    snprintf(err, err_len, "unknown actor \"%s\" (an actor, provider or user id)", id);
    return DM_ERR_USAGE;
}

/* A DOT double-quoted string: backslashes and quotes escaped, newlines as \n. */
static void put_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
            fputc(*s, out);
        } else if (*s == '\n')
            fputs("\\n", out);
        else if ((unsigned char)*s < 0x20)
            fputc(' ', out);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static uint32_t user_party(const dm_world *w, uint32_t u)
{
    return (uint32_t)(w->n_providers + w->n_actors + u);
}

static int is_user_party(const dm_world *w, uint32_t p)
{
    return p != NONE && p != MULTI && p >= w->n_providers + w->n_actors;
}

/* The user a key belongs to (its data key, devices, or a group's first
 * member), or NONE for providers', actors' and declared keys. */
static uint32_t key_user(const dm_world *w, uint32_t k)
{
    dm_keyref ref = w->keys[k].ref;

    switch (ref.kind) {
    case DM_KEYREF_DK:
    case DM_KEYREF_DEV:
        return ref.idx;
    case DM_KEYREF_GK:
        return w->sc->groups[ref.idx].n_members ? w->sc->groups[ref.idx].members[0] : NONE;
    default:
        return NONE;
    }
}

static dm_err add_node(graph *g, uint8_t kind, uint8_t agg, uint32_t first, uint32_t region,
                       uint32_t cluster, uint32_t *out)
{
    node *n;

    if (g->n_nodes == g->cap_nodes) {
        size_t nc = g->cap_nodes ? g->cap_nodes * 2 : 64;
        node *p = dm_reallocarray(g->nodes, nc, sizeof *p);
        if (p == NULL)
            return DM_ERR_NOMEM;
        g->nodes = p;
        g->cap_nodes = nc;
    }
    n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->agg = agg;
    n->first = first;
    n->members = 0;
    n->region = region;
    n->cluster = cluster;
    n->cls = -1;
    n->src_event = NONE;
    n->src_party = NONE;
    *out = (uint32_t)g->n_nodes++;
    return DM_OK;
}

/* The aggregate node of category ag in region reg (NONE: no region), made
 * on first use. */
static dm_err agg_get(graph *g, uint8_t kind, uint8_t ag, uint32_t reg, uint32_t first,
                      uint32_t cluster, uint32_t *out)
{
    size_t slot = (size_t)ag * (g->sc->n_regions + 1) + (reg == NONE ? g->sc->n_regions : reg);
    dm_err e;

    if (g->agg_node[slot] == NONE) {
        if ((e = add_node(g, kind, ag, first, reg, cluster, &g->agg_node[slot])) != DM_OK)
            return e;
    }
    *out = g->agg_node[slot];
    return DM_OK;
}

/* Cluster ids: parties [0, n_parties), user regions from n_parties on. */
static uint32_t region_cluster(const graph *g, uint32_t reg)
{
    return (uint32_t)(g->w->n_parties + (reg == NONE ? g->sc->n_regions : reg));
}

/* Who holds each key whole from the start: keys[].holders, a provider's
 * hsm, a user's devices (the same rule as the closure's). */
static dm_err find_holders(graph *g)
{
    const dm_world *w = g->w;
    const dm_scenario *s = g->sc;
    size_t i, j;
    uint32_t d;

    g->holder = dm_calloc(w->n_keys ? w->n_keys : 1, sizeof *g->holder);
    if (g->holder == NULL)
        return DM_ERR_NOMEM;
    for (i = 0; i < w->n_keys; i++)
        g->holder[i] = NONE;
    for (i = 0; i < s->n_keys; i++)
        for (j = 0; j < s->keys[i].n_holders; j++) {
            uint32_t k = w->declared_key[i], p = dm_world_party(w, s->keys[i].holders[j]);
            g->holder[k] = g->holder[k] == NONE || g->holder[k] == p ? p : MULTI;
        }
    for (i = 0; i < w->n_providers; i++)
        g->holder[w->provider_hsm[i]] = (uint32_t)i;
    /* A ghost key is its authority's (made by the ghost event). */
    for (i = 0; i < w->n_actors; i++)
        if (w->actor_ghost[i] != NONE)
            g->holder[w->actor_ghost[i]] = (uint32_t)(w->n_providers + i);
    for (i = 0; i < s->n_users; i++)
        for (d = 0; d < s->users[i].devices && w->user_first_dev[i] != NONE; d++)
            g->holder[w->user_first_dev[i] + d] = user_party(w, (uint32_t)i);
    return DM_OK;
}

/* Map every key, item and store to a node: itself, or (collapsed) an
 * aggregate per region. */
static dm_err make_nodes(graph *g)
{
    const dm_world *w = g->w;
    size_t i, lone = 0;
    dm_err e;

    g->key_node = dm_calloc(w->n_keys ? w->n_keys : 1, sizeof(uint32_t));
    g->item_node = dm_calloc(w->n_items ? w->n_items : 1, sizeof(uint32_t));
    g->store_node = dm_calloc(w->n_stores ? w->n_stores : 1, sizeof(uint32_t));
    g->agg_node = dm_calloc((size_t)AG_COUNT * (g->sc->n_regions + 1), sizeof(uint32_t));
    if (!g->key_node || !g->item_node || !g->store_node || !g->agg_node)
        return DM_ERR_NOMEM;
    for (i = 0; i < (size_t)AG_COUNT * (g->sc->n_regions + 1); i++)
        g->agg_node[i] = NONE;

    /* Stores first, so clusters open with them.  A user's store that holds
     * nothing yet is left out (every user has one). */
    for (i = 0; i < w->n_stores; i++) {
        const dm_store *st = &w->stores[i];
        uint32_t owner = st->owner, nd;
        g->store_node[i] = NONE;
        if (is_user_party(w, owner) &&
            (st->n == 0 || w->deposits[st->deposits[0]].seq > g->r->bound))
            continue;
        if (!g->collapsed)
            e = add_node(g, NK_STORE, AG_NONE, (uint32_t)i, NONE, owner, &nd);
        else if (is_user_party(w, owner)) {
            uint32_t reg = g->region[owner - w->n_providers - w->n_actors];
            e = agg_get(g, NK_STORE, AG_STORES, reg, (uint32_t)i, region_cluster(g, reg), &nd);
        } else if (owner < DM_DOT_MAX_LONE)
            e = add_node(g, NK_STORE, AG_NONE, (uint32_t)i, NONE, owner, &nd);
        else
            e = agg_get(g, NK_STORE, AG_PSTORES, NONE, (uint32_t)i, NONE, &nd);
        if (e != DM_OK)
            return e;
        g->store_node[i] = nd;
        g->nodes[nd].members++;
    }
    for (i = 0; i < w->n_keys; i++) {
        uint32_t h = g->holder[i], u = key_user(w, (uint32_t)i), nd, cl;
        if (h == MULTI || w->keys[i].n_shares > 0)
            h = NONE;
        if (!g->collapsed) {
            e = add_node(g, NK_KEY, AG_NONE, (uint32_t)i, NONE, h, &nd);
        } else if (u != NONE) {
            uint32_t reg = g->region[u];
            dm_keyref_kind kk = w->keys[i].ref.kind;
            uint8_t ag = kk == DM_KEYREF_DEV ? AG_DEV : kk == DM_KEYREF_GK ? AG_GK : AG_DK;
            cl = ag == AG_DEV ? region_cluster(g, reg) : NONE;
            e = agg_get(g, NK_KEY, ag, reg, (uint32_t)i, cl, &nd);
        } else if (lone < DM_DOT_MAX_LONE) {
            lone++;
            cl = h;
            if (is_user_party(w, h))
                cl = region_cluster(g, g->region[h - w->n_providers - w->n_actors]);
            e = add_node(g, NK_KEY, AG_NONE, (uint32_t)i, NONE, cl, &nd);
        } else
            e = agg_get(g, NK_KEY, AG_KEYS, NONE, (uint32_t)i, NONE, &nd);
        if (e != DM_OK)
            return e;
        g->key_node[i] = nd;
        g->nodes[nd].members++;
        if (w->keys[i].type == DM_KEY_KEYPAIR)
            g->nodes[nd].keypair = 1;
    }
    for (i = 0; i < w->n_items; i++) {
        uint32_t nd;
        if (!g->collapsed)
            e = add_node(g, NK_ITEM, AG_NONE, (uint32_t)i, NONE, NONE, &nd);
        else {
            const dm_witem *it = &w->items[i];
            uint32_t reg = it->n_owners ? g->region[it->owners[0]] : NONE;
            e = agg_get(g, NK_ITEM, AG_ITEMS, reg, (uint32_t)i, NONE, &nd);
        }
        if (e != DM_OK)
            return e;
        g->item_node[i] = nd;
        g->nodes[nd].members++;
    }
    return DM_OK;
}

static dm_err add_edge(graph *g, uint32_t src, uint32_t dst, uint32_t kind, uint32_t event,
                       uint32_t share, uint32_t ct)
{
    edge *e;

    if (g->n_edges == g->cap_edges) {
        size_t nc = g->cap_edges ? g->cap_edges * 2 : 64;
        edge *p = dm_reallocarray(g->edges, nc, sizeof *p);
        if (p == NULL)
            return DM_ERR_NOMEM;
        g->edges = p;
        g->cap_edges = nc;
    }
    e = &g->edges[g->n_edges++];
    e->src = src;
    e->dst = dst;
    e->kind = kind;
    e->event = event;
    e->share = share;
    e->count = 1;
    e->ct = ct;
    return DM_OK;
}

static int cmp_u32(uint32_t a, uint32_t b)
{
    return a < b ? -1 : a > b;
}

static int edge_cmp(const void *pa, const void *pb)
{
    const edge *a = pa, *b = pb;
    int c;

    if ((c = cmp_u32(a->src, b->src)) || (c = cmp_u32(a->dst, b->dst)) ||
        (c = cmp_u32(a->kind, b->kind)) || (c = cmp_u32(a->event, b->event)) ||
        (c = cmp_u32(a->share, b->share)))
        return c;
    return cmp_u32(a->ct, b->ct);
}

static int same_edge(const edge *a, const edge *b)
{
    return a->src == b->src && a->dst == b->dst && a->kind == b->kind && a->event == b->event &&
           a->share == b->share;
}

static int pair_cmp(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    int c = cmp_u32(a->edge, b->edge);
    return c ? c : cmp_u32(a->store, b->store);
}

static dm_err add_pair(graph *g, uint32_t e, uint32_t store)
{
    if (g->n_pairs == g->cap_pairs) {
        size_t nc = g->cap_pairs ? g->cap_pairs * 2 : 64;
        pair *p = dm_reallocarray(g->pairs, nc, sizeof *p);
        if (p == NULL)
            return DM_ERR_NOMEM;
        g->pairs = p;
        g->cap_pairs = nc;
    }
    g->pairs[g->n_pairs].edge = e;
    g->pairs[g->n_pairs].store = store;
    g->n_pairs++;
    return DM_OK;
}

/* Ciphertexts made by the reported time become edges (merged when they
 * join the same nodes the same way); what else lies in stores (plaintexts,
 * keys, shares handed over) becomes dotted edges from the store. */
static dm_err make_edges(graph *g)
{
    const dm_world *w = g->w;
    size_t i, j, n;
    dm_err e;

    for (i = 0; i < w->n_cts; i++) {
        const dm_ct *ct = &w->cts[i];
        uint32_t src, dst, kind, ev = NONE;
        if (ct->seq > g->r->bound)
            continue;
        src = g->key_node[ct->under];
        dst = ct->inner_is_key ? g->key_node[ct->inner] : g->item_node[ct->inner];
        kind = E_WRAP;
        if (ct->origin == DM_ORIGIN_BACKDOOR || ct->origin == DM_ORIGIN_GHOST ||
            ct->origin == DM_ORIGIN_DOWNGRADE) {
            kind = E_SPECIAL;
            ev = ct->event;
        }
        if ((e = add_edge(g, src, dst, kind, ev, 0, (uint32_t)i)) != DM_OK)
            return e;
    }
    for (i = 0; i < w->n_stores; i++) {
        const dm_store *st = &w->stores[i];
        for (j = 0; j < st->n; j++) {
            const dm_deposit *d = &w->deposits[st->deposits[j]];
            uint32_t dst, share = 0;
            if (d->seq > g->r->bound || d->fact_kind == DM_FACT_CT)
                continue;
            if (d->fact_kind == DM_FACT_ITEM)
                dst = g->item_node[d->fact_id];
            else if (d->fact_kind == DM_FACT_KEY)
                dst = g->key_node[d->fact_id];
            else {
                dst = g->key_node[w->shares[d->fact_id].key];
                share = w->shares[d->fact_id].index;
            }
            if ((e = add_edge(g, g->store_node[i], dst, E_DEPOSIT, d->tag_event, share,
                              (uint32_t)(w->n_cts + st->deposits[j]))) != DM_OK)
                return e;
        }
    }
    /* Merge: sorted, then equal edges summed into the first. */
    if (g->n_edges > 1)
        qsort(g->edges, g->n_edges, sizeof *g->edges, edge_cmp);
    g->ct_edge = dm_calloc(w->n_cts ? w->n_cts : 1, sizeof *g->ct_edge);
    if (g->ct_edge == NULL)
        return DM_ERR_NOMEM;
    for (i = 0; i < w->n_cts; i++)
        g->ct_edge[i] = NONE;
    for (i = 0, n = 0; i < g->n_edges; i++) {
        if (n > 0 && same_edge(&g->edges[n - 1], &g->edges[i]))
            g->edges[n - 1].count++;
        else
            g->edges[n++] = g->edges[i];
        if (g->edges[i].kind != E_DEPOSIT)
            g->ct_edge[g->edges[i].ct] = (uint32_t)(n - 1);
    }
    g->n_edges = n;
    /* The stores each merged ciphertext edge lies in. */
    for (i = 0; i < w->n_stores; i++) {
        const dm_store *st = &w->stores[i];
        for (j = 0; j < st->n; j++) {
            const dm_deposit *d = &w->deposits[st->deposits[j]];
            if (d->seq > g->r->bound || d->fact_kind != DM_FACT_CT ||
                g->ct_edge[d->fact_id] == NONE)
                continue;
            if ((e = add_pair(g, g->ct_edge[d->fact_id], g->store_node[i])) != DM_OK)
                return e;
        }
    }
    if (g->n_pairs > 1)
        qsort(g->pairs, g->n_pairs, sizeof *g->pairs, pair_cmp);
    for (i = 0, n = 0; i < g->n_pairs; i++)
        if (n == 0 || g->pairs[n - 1].edge != g->pairs[i].edge ||
            g->pairs[n - 1].store != g->pairs[i].store)
            g->pairs[n++] = g->pairs[i];
    g->n_pairs = n;
    return DM_OK;
}

/* Whether the actor owns item i. */
static int owns(const graph *g, uint32_t item)
{
    const dm_witem *it = &g->w->items[item];
    uint32_t k;

    if (!is_user_party(g->w, g->actor))
        return 0;
    for (k = 0; k < it->n_owners; k++)
        if (user_party(g->w, it->owners[k]) == g->actor)
            return 1;
    return 0;
}

static void note_store(graph *g, dm_why why, uint8_t *read, uint32_t *read_ev)
{
    if (why.kind != DM_WHY_STORE || why.a >= g->w->n_stores)
        return;
    if (!read[why.a]) {
        read[why.a] = 1;
        read_ev[why.a] = why.via_event;
    }
}

/* The highlighted actor's closure at the reported time, folded into nodes. */
static dm_err highlight(graph *g)
{
    const dm_world *w = g->w;
    const dm_actor_result *ar;
    dm_closure *c = NULL;
    uint8_t *read = NULL;
    uint32_t *read_ev = NULL;
    size_t i;
    dm_err e;

    if ((e = dm_closure_new(w, &c)) != DM_OK)
        goto out;
    if ((e = dm_closure_compute(c, g->actor, g->r->bound)) != DM_OK)
        goto out;
    read = dm_calloc(w->n_stores ? w->n_stores : 1, 1);
    read_ev = dm_calloc(w->n_stores ? w->n_stores : 1, sizeof *read_ev);
    if (read == NULL || read_ev == NULL) {
        e = DM_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < w->n_keys; i++) {
        node *n = &g->nodes[g->key_node[i]];
        dm_why why;
        if (!dm_closure_knows(c, DM_FACT_KEY, (uint32_t)i))
            continue;
        why = dm_closure_why(c, DM_FACT_KEY, (uint32_t)i);
        n->known++;
        note_store(g, why, read, read_ev);
        switch (why.kind) {
        case DM_WHY_HELD:
            if (why.a == g->actor)
                n->src |= SRC_HELD;
            else {
                n->src |= SRC_VICTIM;
                if (n->src_party == NONE)
                    n->src_party = why.a;
            }
            break;
        case DM_WHY_STEAL:
            n->src |= SRC_STOLEN;
            if (n->src_event == NONE)
                n->src_event = why.a;
            break;
        case DM_WHY_SHARES:
            n->src |= SRC_SHARES;
            break;
        case DM_WHY_GHOSTKEY:
            n->src |= SRC_GHOST;
            if (n->src_event == NONE)
                n->src_event = why.a;
            break;
        default:
            break;
        }
    }
    for (i = 0; i < w->n_cts; i++)
        if (dm_closure_knows(c, DM_FACT_CT, (uint32_t)i))
            note_store(g, dm_closure_why(c, DM_FACT_CT, (uint32_t)i), read, read_ev);
    for (i = 0; i < w->n_shares; i++)
        if (dm_closure_knows(c, DM_FACT_SHARE, (uint32_t)i))
            note_store(g, dm_closure_why(c, DM_FACT_SHARE, (uint32_t)i), read, read_ev);
    ar = dm_run_actor(g->r, g->actor);
    for (i = 0; i < w->n_items; i++) {
        node *n = &g->nodes[g->item_node[i]];
        int cls = -1;
        if (!dm_closure_knows(c, DM_FACT_ITEM, (uint32_t)i))
            continue;
        note_store(g, dm_closure_why(c, DM_FACT_ITEM, (uint32_t)i), read, read_ev);
        if (owns(g, (uint32_t)i))
            cls = DM_CLASS_OWNER;
        {
            const dm_reach *re = dm_run_reach(ar, (uint32_t)i);
            if (re != NULL)
                cls = re->cls;
        }
        n->known++;
        if (cls > n->cls)
            n->cls = cls;
    }
    for (i = 0; i < w->n_stores; i++) {
        node *n;
        if (!read[i] || g->store_node[i] == NONE)
            continue;
        n = &g->nodes[g->store_node[i]];
        n->known++;
        if (read_ev[i] != NONE) {
            n->src |= SRC_BREACH;
            if (n->src_event == NONE)
                n->src_event = read_ev[i];
        }
    }
out:
    dm_free(read);
    dm_free(read_ev);
    dm_closure_free(c);
    return e;
}

static const char *event_id(const graph *g, uint32_t ev)
{
    return ev < g->sc->n_events ? g->sc->events[ev].id : "?";
}

static const char *region_name(const graph *g, uint32_t reg)
{
    return reg < g->sc->n_regions ? g->sc->regions[reg] : "no region";
}

/* A node's label, with the actor's findings appended. */
static void node_label(const graph *g, const node *n, char *buf, size_t len)
{
    static const char *const agg_name[AG_COUNT] = {
        "", "data keys", "device keys", "group keys", "items", "users' stores", "other keys",
        "other stores"};
    char name[256], num[32], num2[32];
    size_t o = 0;

#define APPEND(...)                                                                  \
    do {                                                                             \
        int k_ = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__);              \
        if (k_ > 0)                                                                  \
            o += (size_t)k_;                                                         \
    } while (0)

    buf[0] = '\0';
    if (n->agg != AG_NONE) {
        if (n->agg == AG_KEYS || n->agg == AG_PSTORES)
            APPEND("%s\n(%s)", agg_name[n->agg], dm_report_thousands(n->members, num, sizeof num));
        else
            APPEND("%s: %s\n(%s)", region_name(g, n->region), agg_name[n->agg],
                   dm_report_thousands(n->members, num, sizeof num));
    } else if (n->kind == NK_KEY) {
        const dm_wkey *k = &g->w->keys[n->first];
        APPEND("%s", dm_world_key_name(g->w, n->first, name, sizeof name));
        if (k->n_shares > 0)
            APPEND("\n%u of %u shares", k->share_k, k->n_shares);
        if (g->holder[n->first] == MULTI) {
            const dm_scenario *s = g->sc;
            const dm_key *dk = &s->keys[k->ref.idx];
            size_t h;
            APPEND("\nheld by ");
            for (h = 0; h < dk->n_holders && h < STORES_SHOWN; h++)
                APPEND("%s%s", h ? ", " : "", dm_scenario_principal_id(s, dk->holders[h]));
            if (dk->n_holders > STORES_SHOWN)
                APPEND(" +%zu", dk->n_holders - STORES_SHOWN);
        }
    } else if (n->kind == NK_ITEM) {
        APPEND("%s", g->w->items[n->first].name);
    } else {
        const dm_store *st = &g->w->stores[n->first];
        APPEND("%s\n%s", dm_world_store_name(g->w, n->first, name, sizeof name),
               st->device ? "device" : "store");
    }
    if (g->actor == DM_DOT_NO_ACTOR || n->known == 0)
        return;
    if (n->members > 1)
        APPEND("\n%s: %s of %s", dm_world_party_id(g->w, g->actor),
               dm_report_thousands(n->known, num, sizeof num),
               dm_report_thousands(n->members, num2, sizeof num2));
    if (n->kind == NK_ITEM && n->cls >= 0)
        APPEND("\n%s", dm_class_name((dm_class)n->cls));
    if (n->src & SRC_HELD)
        APPEND("\nsource: holds it");
    if (n->src & SRC_STOLEN)
        APPEND("\nsource: stolen (%s)", event_id(g, n->src_event));
    if (n->src & SRC_SHARES)
        APPEND("\nsource: rebuilt from shares");
    if (n->src & SRC_GHOST)
        APPEND("\nsource: ghost (%s)", event_id(g, n->src_event));
    if (n->src & SRC_VICTIM)
        APPEND("\nsource: taken from %s", dm_world_party_id(g->w, n->src_party));
    if (n->src & SRC_BREACH)
        APPEND("\nread through %s", event_id(g, n->src_event));
#undef APPEND
}

static void write_node(const graph *g, FILE *out, uint32_t id, const char *indent)
{
    const node *n = &g->nodes[id];
    char label[1024];
    int hl = g->actor != DM_DOT_NO_ACTOR && n->known > 0;
    const char *fill;

    node_label(g, n, label, sizeof label);
    fprintf(out, "%sn%" PRIu32 " [label=", indent, id);
    put_str(out, label);
    if (n->kind == NK_KEY) {
        fill = hl ? COL_KNOWN : n->keypair ? COL_KEYPAIR : COL_KEY;
        fprintf(out, ", shape=ellipse%s", n->keypair ? ", peripheries=2" : "");
    } else if (n->kind == NK_ITEM) {
        fill = hl && n->cls >= 0 ? dm_dot_class_color((dm_class)n->cls) : COL_KEY;
        fputs(", shape=note", out);
    } else {
        fill = hl ? COL_KNOWN : COL_STORE;
        fputs(", shape=cylinder", out);
    }
    fprintf(out, ", fillcolor=\"%s\"", fill);
    if (hl)
        fprintf(out, ", color=\"%s\", penwidth=2", n->kind == NK_ITEM ? COL_TEXT : COL_KNOWN_LINE);
    if (n->agg != AG_NONE)
        fputs(", style=\"filled,bold\"", out);
    fputs("];\n", out);
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

static void cluster_label(const graph *g, uint32_t cl, char *buf, size_t len)
{
    const dm_world *w = g->w;
    char num[32];

    if (cl < w->n_parties) {
        dm_actor_kind k = dm_world_party_kind(w, cl);
        if (k == DM_ACTOR_USER) {
            uint32_t u = (uint32_t)(cl - w->n_providers - w->n_actors);
            uint64_t cnt = g->sc->users[u].count;
            if (cnt > 1)
                snprintf(buf, len, "%s (users, %s, %s people)", dm_world_party_id(w, cl),
                         region_name(g, g->region[u]), dm_report_thousands(cnt, num, sizeof num));
            else
                snprintf(buf, len, "%s (user, %s)", dm_world_party_id(w, cl),
                         region_name(g, g->region[u]));
        } else
            snprintf(buf, len, "%s (%s)", dm_world_party_id(w, cl), dm_actor_kind_name(k));
    } else {
        uint32_t reg = (uint32_t)(cl - w->n_parties), u, n = 0;
        uint64_t people = 0;
        for (u = 0; u < g->sc->n_users; u++)
            if ((reg == g->sc->n_regions ? NONE : reg) == g->region[u]) {
                n++;
                people += g->sc->users[u].count;
            }
        snprintf(buf, len, "users in %s (%" PRIu32 " %s, %s people)",
                 region_name(g, reg == g->sc->n_regions ? NONE : reg), n,
                 n == 1 ? "entry" : "entries", dm_report_thousands(people, num, sizeof num));
    }
}

/* Nodes grouped by cluster (clusters in id order, then the unclustered),
 * each group in node order. */
static void write_nodes(const graph *g, FILE *out, uint64_t *order)
{
    size_t i = 0, j;
    char label[512];

    for (j = 0; j < g->n_nodes; j++)
        order[j] = (uint64_t)g->nodes[j].cluster << 32 | j;
    if (g->n_nodes > 1)
        qsort(order, g->n_nodes, sizeof *order, cmp_u64);
    while (i < g->n_nodes) {
        uint32_t cl = g->nodes[(uint32_t)order[i]].cluster;
        if (cl == NONE) {
            write_node(g, out, (uint32_t)order[i++], "  ");
            continue;
        }
        cluster_label(g, cl, label, sizeof label);
        fprintf(out, "  subgraph cluster_%" PRIu32 " {\n    label=", cl);
        put_str(out, label);
        if (cl == g->actor)
            fprintf(out, "; color=\"%s\"; penwidth=2; fontcolor=\"%s\"", COL_KNOWN_LINE,
                    COL_KNOWN_LINE);
        else
            fprintf(out, "; color=\"%s\"", COL_CLUSTER_LINE);
        fprintf(out, "; style=\"rounded,filled\"; fillcolor=\"%s\";\n", COL_CLUSTER);
        while (i < g->n_nodes && g->nodes[(uint32_t)order[i]].cluster == cl)
            write_node(g, out, (uint32_t)order[i++], "    ");
        fputs("  }\n", out);
    }
}

static void write_edges(const graph *g, FILE *out)
{
    size_t i, p = 0;
    char label[512], name[256], num[32];

    for (i = 0; i < g->n_edges; i++) {
        const edge *e = &g->edges[i];
        size_t o = 0, shown = 0, more = 0;
        label[0] = '\0';
#define APPEND(...)                                                                  \
    do {                                                                             \
        int k_ = snprintf(label + o, o < sizeof label ? sizeof label - o : 0, __VA_ARGS__); \
        if (k_ > 0)                                                                  \
            o += (size_t)k_;                                                         \
    } while (0)
        if (e->count > 1)
            APPEND("%s × ", dm_report_thousands(e->count, num, sizeof num));
        if (e->kind == E_DEPOSIT) {
            if (e->share)
                APPEND("share %" PRIu32 ", ", e->share);
            if (e->event != NONE)
                APPEND("handed over: %s", event_id(g, e->event));
            else
                APPEND("lies here");
        } else {
            if (e->event != NONE)
                APPEND("%s: ", event_id(g, e->event));
            APPEND("in ");
            while (p < g->n_pairs && g->pairs[p].edge < i)
                p++;
            for (; p < g->n_pairs && g->pairs[p].edge == i; p++) {
                const node *sn = &g->nodes[g->pairs[p].store];
                if (shown == STORES_SHOWN) {
                    more++;
                    continue;
                }
                if (sn->agg == AG_STORES)
                    APPEND("%s%s users", shown ? ", " : "", region_name(g, sn->region));
                else if (sn->agg == AG_PSTORES)
                    APPEND("%sother stores", shown ? ", " : "");
                else
                    APPEND("%s%s", shown ? ", " : "",
                           dm_world_store_name(g->w, sn->first, name, sizeof name));
                shown++;
            }
            if (shown == 0)
                APPEND("no store");
            if (more)
                APPEND(" +%zu", more);
        }
#undef APPEND
        fprintf(out, "  n%" PRIu32 " -> n%" PRIu32 " [label=", e->src, e->dst);
        put_str(out, label);
        if (e->kind == E_SPECIAL)
            fprintf(out, ", color=\"%s\", fontcolor=\"%s\", style=dashed, penwidth=1.6",
                    COL_BACKDOOR, COL_BACKDOOR);
        else if (e->kind == E_DEPOSIT)
            fprintf(out, ", color=\"%s\", fontcolor=\"%s\", style=dotted, penwidth=1.4",
                    COL_DEPOSIT, COL_DEPOSIT);
        if (e->count > 1)
            fprintf(out, ", penwidth=%.1f", e->count >= 1000 ? 3.0 : e->count >= 10 ? 2.2 : 1.6);
        fputs("];\n", out);
    }
}

static void write_graph(const graph *g, FILE *out, uint64_t *order)
{
    char lab[2048], num[32], num2[32];
    size_t o = 0;
    const dm_scenario *s = g->sc;

#define APPEND(...)                                                                  \
    do {                                                                             \
        int k_ = snprintf(lab + o, o < sizeof lab ? sizeof lab - o : 0, __VA_ARGS__); \
        if (k_ > 0)                                                                  \
            o += (size_t)k_;                                                         \
    } while (0)
    APPEND("%s\nkey graph after t=%" PRId64 " (%" PRIu32 " of %zu events applied)",
           s->title ? s->title : "doormat", g->r->at, g->r->bound, s->n_events);
    if (g->actor != DM_DOT_NO_ACTOR)
        APPEND("\nhighlighted: %s (%s): orange = keys it learns and stores it reads; "
               "items it reaches filled by class",
               dm_world_party_id(g->w, g->actor),
               dm_actor_kind_name(dm_world_party_kind(g->w, g->actor)));
    if (g->collapsed)
        APPEND("\ncollapsed: %s nodes is more than %s, so users' keys, items and stores are "
               "drawn per region",
               dm_report_thousands(g->full_nodes, num, sizeof num),
               dm_report_thousands(g->max_nodes, num2, sizeof num2));
    APPEND("\nellipse: key (double outline: keypair) · note: item · cylinder: store · "
           "arrow: a ciphertext, from the key that opens it to what it holds\n"
           "dashed red: made by a backdoor, ghost or downgrade · dotted: handed over into a "
           "store");
#undef APPEND
    fputs("digraph doormat {\n  graph [label=", out);
    put_str(out, lab);
    fputs(", labelloc=t, labeljust=l, rankdir=LR, fontname=\"Helvetica\", fontsize=13, "
          "fontcolor=\"" COL_TEXT "\", nodesep=0.25, ranksep=0.55, newrank=true];\n"
          "  node [fontname=\"Helvetica\", fontsize=11, style=filled, color=\"#555555\", "
          "fontcolor=\"" COL_TEXT "\"];\n"
          "  edge [fontname=\"Helvetica\", fontsize=9, color=\"" COL_LINE "\", "
          "fontcolor=\"#555555\", arrowsize=0.7];\n",
          out);
    write_nodes(g, out, order);
    write_edges(g, out);
    fputs("}\n", out);
}

dm_err dm_dot_write(const dm_run *r, const dm_dot_opts *opts, FILE *out)
{
    graph g;
    uint64_t *order = NULL;
    dm_err e;

    memset(&g, 0, sizeof g);
    g.r = r;
    g.w = r->w;
    g.sc = r->w->sc;
    g.actor = opts ? opts->actor : DM_DOT_NO_ACTOR;
    if (g.actor != DM_DOT_NO_ACTOR && g.actor >= g.w->n_parties)
        g.actor = DM_DOT_NO_ACTOR;
    g.max_nodes = opts && opts->max_nodes ? opts->max_nodes : DM_DOT_MAX_NODES;
    g.full_nodes = g.w->n_keys + g.w->n_items + g.w->n_stores;
    g.collapsed = g.full_nodes > g.max_nodes;
    g.region = r->region;
    if ((e = find_holders(&g)) != DM_OK || (e = make_nodes(&g)) != DM_OK ||
        (e = make_edges(&g)) != DM_OK)
        goto out;
    if (g.actor != DM_DOT_NO_ACTOR && (e = highlight(&g)) != DM_OK)
        goto out;
    order = dm_calloc(g.n_nodes ? g.n_nodes : 1, sizeof *order);
    if (order == NULL) {
        e = DM_ERR_NOMEM;
        goto out;
    }
    write_graph(&g, out, order);
    e = ferror(out) ? DM_ERR_IO : DM_OK;
out:
    dm_free(order);
    dm_free(g.holder);
    dm_free(g.key_node);
    dm_free(g.item_node);
    dm_free(g.store_node);
    dm_free(g.agg_node);
    dm_free(g.nodes);
    dm_free(g.edges);
    dm_free(g.pairs);
    dm_free(g.ct_edge);
    return e;
}
