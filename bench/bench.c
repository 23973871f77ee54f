/* bench.c - `make bench`: time and peak memory of each stage on generated scenarios. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doormat/alloc.h"
#include "doormat/diag.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"
#include "doormat/world.h"

/* The closure's private entry (sim/closure_int.h): the like-for-like run
 * against the BFS is the engine's own dm_closure_run. */
#include "closure_int.h"

#if defined(__has_include)
#if __has_include("doormat/report.h")
#include "doormat/report.h"
#define HAVE_REPORT 1
#endif
#if __has_include("doormat/crypto.h")
#include "doormat/crypto.h"
#define HAVE_CRYPTO 1
#endif
/* The loader's private JSON stage (sim/json.h): timed alone, it splits
 * dm_scenario_load into parse and validate. */
#if __has_include("json.h")
#include "json.h"
#define HAVE_JSON_PARSE 1
#endif
#endif

extern char **environ;

/* ---- targets (the figures) ---- */
#define TARGET_E2E_1M_S      15.0   /* 10^6 explicit users, end to end */
#define TARGET_PEAK_1M_MIB   4096.0 /* 10^6 explicit users, peak memory */
#define TARGET_COHORT_S      1.0    /* 10^9 people as cohorts, end to end */
#define TARGET_CLOSURE_RATIO 0.50   /* closure edges/s over plain BFS edges/s */
#define TARGET_CRYPTO_LIB    0.80   /* crypto stages: share of their time inside libsodium */
#define TARGET_CRYPTO_SPEEDUP 1.70  /* crypto stages: 1 -> 2 threads, by CPU time */

#define SEED 1u
#define MAX_SCENARIOS 8

typedef struct spec {
    char name[48];
    uint64_t users;          /* explicit users, or people when cohorts */
    int cohorts;
    char path[PATH_MAX];
} spec;

/* One crypto stage run with 1 and with 2 threads (seconds, shares 0..1). */
typedef struct crypto_fig {
    double wall[2], cpu[2], span[2], lib[2], work[2];
} crypto_fig;

/* What a child measured, sent to the parent through a pipe for the summary. */
typedef struct result {
    int ok;
    uint64_t users, people, groups;
    double t_read, t_parse, t_load, t_run, t_report, t_free, t_e2e, cpu_e2e;
    double t_expand, t_timeline, t_closure, t_exposure;
    double peak_mib;         /* peak RSS over the pipeline's stages */
    double maxrss_mib;       /* ru_maxrss: the child's peak, bench-only stages included */
    uint64_t closure_edges;
    double closure_rate;     /* edges / wall time of the closure (r->stats) */
    double closure_rate_cpu; /* the same, the closure's wall time scaled by the run's cpu/wall */
    uint64_t bfs_edges;
    double bfs_rate, bfs_rate_cpu;
    uint64_t same_edges;     /* the closure of the BFS's actor, alone, best of the BFS's runs */
    double same_rate, same_rate_cpu;
    uint64_t bfs_all_edges;  /* one BFS per party */
    double bfs_all_rate, bfs_all_rate_cpu;
    int crypto;              /* 1 when the crypto stage ran */
    crypto_fig c_inst, c_ver; /* instantiate, verify */
    double c_ver_first_share, c_ver_first_wall; /* the first verification of the process */
} result;

typedef struct config {
    char dir[PATH_MAX];
    char gen[PATH_MAX];
    int pin;                 /* pin the child to one CPU */
    int steps;               /* dm_run_opts.steps */
    int trim;                /* malloc_trim(0) after the load, timed with it */
    int crypto;              /* run the crypto stage */
    uint64_t crypto_max;     /* ... on scenarios of at most this many ciphertexts */
} config;

/* ---- clocks and memory ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int hwm_resettable = 1;

/* VmHWM and VmRSS of this process, in KiB. */
static void mem_read(long *hwm, long *rss)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    *hwm = *rss = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmHWM:", 6))
            *hwm = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmRSS:", 6))
            *rss = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

/* Reset the peak (VmHWM) to the current RSS, so the next reading is the
 * peak of one stage (Linux >= 4.0: "5" > /proc/self/clear_refs). */
static void mem_reset(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd < 0 || write(fd, "5", 1) != 1)
        hwm_resettable = 0;
    if (fd >= 0)
        close(fd);
}

/* One line of a stage table: figures the stage measured.  cpu is the
 * process's CPU time (every thread), so a busy machine shows as wall > cpu
 * for a one-thread stage. */
typedef struct stage {
    double t, cpu;
    long peak_kb, rss_kb;
    long heap_kb;            /* bytes malloc hands out after the stage (mallinfo2) */
} stage;

/* When a stage began, by both clocks. */
typedef struct mark {
    double wall, cpu;
} mark;

/* Peak RSS over the pipeline's stages (read, load, run, report, free): the
 * figure for the memory target.  Bench-only stages (the JSON parse timed
 * alone, the CSR baseline, crypto) are measured but not counted here. */
static long pipeline_peak_kb, process_peak_kb;

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void stage_begin(mark *m)
{
    mem_reset();
    m->cpu = cpu_now();
    m->wall = now();
}

static stage stage_end(mark m)
{
    stage s;
    s.t = now() - m.wall;
    s.cpu = cpu_now() - m.cpu;
    mem_read(&s.peak_kb, &s.rss_kb);
    s.heap_kb = (long)(mallinfo2().uordblks / 1024);
    if (s.peak_kb > process_peak_kb)
        process_peak_kb = s.peak_kb;
    return s;
}

static stage pipeline_end(mark m)
{
    stage s = stage_end(m);
    if (s.peak_kb > pipeline_peak_kb)
        pipeline_peak_kb = s.peak_kb;
    return s;
}

static double mib(long kb) { return (double)kb / 1024.0; }

/* Seconds with 3 decimals, or 6 below 10 ms (the cohort scenario). */
static void fmt_secs(char *buf, size_t len, double t)
{
    if (t < 0)
        buf[0] = '\0';
    else
        snprintf(buf, len, t < 0.01 ? "%.6f" : "%.3f", t);
}

static void row_head(void)
{
    printf("  %-22s %10s %10s %11s %11s %11s  %s\n", "stage", "wall (s)", "cpu (s)",
           "peak (MiB)", "RSS (MiB)", "heap (MiB)", "note");
}

/* A negative figure leaves its column empty. */
static void row_full(const char *name, double t, double cpu, long peak_kb, long rss_kb,
                     long heap_kb, const char *note)
{
    char ts[32], cs[32], ps[32] = "", rs[32] = "", hs[32] = "";
    fmt_secs(ts, sizeof ts, t);
    fmt_secs(cs, sizeof cs, cpu);
    if (peak_kb >= 0)
        snprintf(ps, sizeof ps, "%.1f", mib(peak_kb));
    if (rss_kb >= 0)
        snprintf(rs, sizeof rs, "%.1f", mib(rss_kb));
    if (heap_kb >= 0)
        snprintf(hs, sizeof hs, "%.1f", mib(heap_kb));
    printf("  %-22s %10s %10s %11s %11s %11s  %s\n", name, ts, cs, ps, rs, hs,
           note ? note : "");
}

static void row(const char *name, double t, double cpu, long peak_kb, long rss_kb,
                const char *note)
{
    row_full(name, t, cpu, peak_kb, rss_kb, -1, note);
}

static void row_stage(const char *name, stage s, const char *note)
{
    row_full(name, s.t, s.cpu, s.peak_kb, s.rss_kb, s.heap_kb, note);
}

static const char *human(double v, char *buf, size_t len)
{
    if (v >= 1e9)
        snprintf(buf, len, "%.2f G", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, len, "%.2f M", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, len, "%.2f k", v / 1e3);
    else
        snprintf(buf, len, "%.0f ", v);
    return buf;
}

/* ---- the plain CSR breadth-first search: the machine's limit ---- */

/* Nodes: keys, shares, ciphertexts, items, stores.  Edges: store -> what
 * lies in it (every deposit), key -> each ciphertext it opens, ciphertext ->
 * its inner key or item, share -> its key.  A plain BFS follows every edge
 * (it does not wait for both a ciphertext and its key, as the closure must):
 * it is the cost of touching the same graph, with no semantics. */
typedef struct csr {
    uint32_t n;
    uint64_t m;
    uint64_t *off;           /* n + 1 */
    uint32_t *adj;
    uint32_t base_share, base_ct, base_item, base_store;
} csr;

static uint32_t csr_node(const csr *g, unsigned kind, uint32_t id)
{
    switch (kind) {
    case DM_FACT_KEY: return id;
    case DM_FACT_SHARE: return g->base_share + id;
    case DM_FACT_CT: return g->base_ct + id;
    default: return g->base_item + id;
    }
}

static void csr_free(csr *g)
{
    free(g->off);
    free(g->adj);
    memset(g, 0, sizeof *g);
}

static int csr_build(const dm_world *w, csr *g)
{
    uint64_t *fill = NULL;
    uint64_t n64 = (uint64_t)w->n_keys + w->n_shares + w->n_cts + w->n_items + w->n_stores;
    size_t i, j;
    memset(g, 0, sizeof *g);
    if (n64 >= UINT32_MAX)
        return -1;
    g->n = (uint32_t)n64;
    g->base_share = (uint32_t)w->n_keys;
    g->base_ct = g->base_share + (uint32_t)w->n_shares;
    g->base_item = g->base_ct + (uint32_t)w->n_cts;
    g->base_store = g->base_item + (uint32_t)w->n_items;
    if (!(g->off = calloc((size_t)g->n + 2, sizeof *g->off)))
        return -1;
    /* Degrees, shifted by one for the prefix sum. */
    for (i = 0; i < w->n_stores; i++)
        g->off[g->base_store + i + 1] += w->stores[i].n;
    for (i = 0; i < w->n_cts; i++) {
        g->off[w->cts[i].under + 1]++;
        g->off[g->base_ct + i + 1]++;
    }
    for (i = 0; i < w->n_shares; i++)
        g->off[g->base_share + i + 1]++;
    for (i = 0; i < g->n; i++)
        g->off[i + 1] += g->off[i];
    g->m = g->off[g->n];
    if (!(g->adj = malloc((g->m ? g->m : 1) * sizeof *g->adj)) ||
        !(fill = malloc(((size_t)g->n + 1) * sizeof *fill))) {
        free(fill);
        csr_free(g);
        return -1;
    }
    memcpy(fill, g->off, ((size_t)g->n + 1) * sizeof *fill);
    for (i = 0; i < w->n_stores; i++) {
        const dm_store *st = &w->stores[i];
        for (j = 0; j < st->n; j++) {
            const dm_deposit *d = &w->deposits[st->deposits[j]];
            g->adj[fill[g->base_store + i]++] = csr_node(g, d->fact_kind, d->fact_id);
        }
    }
    for (i = 0; i < w->n_cts; i++) {
        const dm_ct *c = &w->cts[i];
        g->adj[fill[c->under]++] = g->base_ct + (uint32_t)i;
        g->adj[fill[g->base_ct + i]++] =
            c->inner_is_key ? c->inner : csr_node(g, DM_FACT_ITEM, c->inner);
    }
    for (i = 0; i < w->n_shares; i++)
        g->adj[fill[g->base_share + i]++] = w->shares[i].key;
    free(fill);
    return 0;
}

/* BFS from `src`; returns the edges examined, and in *n_visited the nodes
 * reached (they are queue[0..n_visited)).  visited and queue have g->n
 * entries; visited must be zero on entry. */
static uint64_t csr_bfs(const csr *g, const uint32_t *src, size_t n_src, uint8_t *visited,
                        uint32_t *queue, size_t *n_visited)
{
    size_t head = 0, tail = 0, i;
    uint64_t edges = 0;
    for (i = 0; i < n_src; i++)
        if (!visited[src[i]]) {
            visited[src[i]] = 1;
            queue[tail++] = src[i];
        }
    while (head < tail) {
        uint32_t v = queue[head++];
        uint64_t e, end = g->off[v + 1];
        edges += end - g->off[v];
        for (e = g->off[v]; e < end; e++) {
            uint32_t u = g->adj[e];
            if (!visited[u]) {
                visited[u] = 1;
                queue[tail++] = u;
            }
        }
    }
    *n_visited = tail;
    return edges;
}

typedef struct srcs {
    uint32_t *v;
    size_t n, cap;
} srcs;

static void srcs_add(srcs *s, uint32_t node)
{
    if (node == UINT32_MAX)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        uint32_t *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = node;
}

/* What `party` starts with and gains by the events applied: its own store
 * (a user: its devices and device keys; a provider: its hsm), keys and
 * shares the scenario gives it, keys it steals, stores it breaches, and a
 * compromised victim's own store.  The same sources its closure starts from. */
static void party_sources(const dm_run *r, const csr *g, uint32_t party, srcs *out)
{
    const dm_world *w = r->w;
    const dm_scenario *sc = w->sc;
    dm_principal p = dm_world_principal(w, party);
    size_t i, j;
    srcs_add(out, g->base_store + dm_world_party_store(w, party));
    if (p.kind == DM_ACTOR_PROVIDER && w->provider_hsm)
        srcs_add(out, w->provider_hsm[p.idx]);
    if (p.kind == DM_ACTOR_USER && w->user_first_dev) {
        for (j = 0; j < sc->users[p.idx].devices; j++) {
            if (w->user_first_dev[p.idx] != UINT32_MAX)
                srcs_add(out, w->user_first_dev[p.idx] + (uint32_t)j);
            if (w->user_first_devstore[p.idx] != UINT32_MAX)
                srcs_add(out, g->base_store + w->user_first_devstore[p.idx] + (uint32_t)j);
        }
    }
    for (i = 0; i < sc->n_keys; i++) {
        const dm_key *k = &sc->keys[i];
        uint32_t wk = w->declared_key ? w->declared_key[i] : UINT32_MAX;
        if (wk == UINT32_MAX)
            continue;
        for (j = 0; j < k->n_holders; j++)
            if (dm_world_party(w, k->holders[j]) == party)
                srcs_add(out, wk);
        for (j = 0; j < k->n_shares && j < w->keys[wk].n_shares; j++)
            if (dm_world_party(w, k->share_holders[j]) == party)
                srcs_add(out, g->base_share + w->keys[wk].first_share + (uint32_t)j);
    }
    for (i = 0; i < r->bound && i < sc->n_events; i++) {
        const dm_event *ev = &sc->events[i];
        if (dm_world_party(w, ev->by) != party)
            continue;
        switch (ev->kind) {
        case DM_EVENT_STEAL: {
            uint32_t k = dm_world_key(w, ev->key);
            if (k == UINT32_MAX)
                break;
            if (ev->share == 0)
                srcs_add(out, k);
            else
                srcs_add(out, g->base_share + w->keys[k].first_share + ev->share - 1);
            break;
        }
        case DM_EVENT_BREACH:
            srcs_add(out, g->base_store + dm_world_store(w, ev->store));
            break;
        case DM_EVENT_COMPROMISE:
            srcs_add(out, g->base_store +
                              dm_world_party_store(w, dm_world_party(w, ev->victim)));
            break;
        default:
            break;
        }
    }
}

/* The actor the closure works hardest on: the listed actor with the most
 * reaches (the attacker after the breach, in the generated scenarios). */
static uint32_t biggest_actor(const dm_run *r)
{
    uint32_t best = 0;
    size_t most = 0, i;
    for (i = 0; i < r->n_actors; i++)
        if (r->actors[i].n_reaches > most) {
            most = r->actors[i].n_reaches;
            best = r->actors[i].party;
        }
    return best;
}

/* The closure's own work profile: one BFS per party of the world (every
 * provider, declared actor and user), each from its own sources, clearing
 * only the nodes it visited.  Many small searches: the per-search overhead
 * the closure pays too.  visited must be zero on entry and is on exit. */
static void all_parties_bfs(const dm_run *r, const csr *g, uint8_t *visited, uint32_t *queue,
                            result *res)
{
    srcs s = {NULL, 0, 0};
    uint64_t edges = 0;
    double t = now(), c = thread_cpu_now();
    size_t p, i, n = r->w->n_parties;
    for (p = 0; p < n; p++) {
        size_t reached;
        s.n = 0;
        party_sources(r, g, (uint32_t)p, &s);
        edges += csr_bfs(g, s.v, s.n, visited, queue, &reached);
        for (i = 0; i < reached; i++)
            visited[queue[i]] = 0;
    }
    t = now() - t;
    c = thread_cpu_now() - c;
    free(s.v);
    res->bfs_all_edges = edges;
    res->bfs_all_rate = t > 0 ? (double)edges / t : 0;
    res->bfs_all_rate_cpu = c > 0 ? (double)edges / c : 0;
}

/* The closure of the BFS's actor (`party`, after the run's events, every
 * fact admitted: DM_FILTER_ALL), from the same sources, on the same world,
 * in a workspace of its own, run as often as the BFS and timed the same way
 * (best run, by wall and by the thread's CPU clock): the like-for-like
 * figure.  Its edges are the closure's own count (r->stats explains). */
static void same_actor_closure(const dm_run *r, uint32_t party, int reps, result *res)
{
    dm_closure *c = NULL;
    double best = 0, best_cpu = 0;
    int i;
    if (dm_closure_new(r->w, &c) != DM_OK)
        return;
    for (i = 0; i < reps; i++) {
        uint64_t e0 = c->edges;
        double t = now(), cpu = thread_cpu_now();
        if (dm_closure_run(c, party, r->bound, DM_FILTER_ALL, 0) != DM_OK)
            goto out;
        cpu = thread_cpu_now() - cpu;
        t = now() - t;
        res->same_edges = c->edges - e0;
        if (i == 0 || t < best)
            best = t;
        if (i == 0 || cpu < best_cpu)
            best_cpu = cpu;
    }
    res->same_rate = best > 0 ? (double)res->same_edges / best : 0;
    res->same_rate_cpu = best_cpu > 0 ? (double)res->same_edges / best_cpu : 0;
out:
    dm_closure_free(c);
}

/* Build the CSR of r->w, BFS from the biggest actor's sources, repeated
 * until 0.3 s or 20 runs; the best run gives the rate. */
static void bench_bfs(const dm_run *r, result *res)
{
    csr g;
    srcs s = {NULL, 0, 0};
    uint8_t *visited = NULL;
    uint32_t *queue = NULL;
    uint32_t party = biggest_actor(r);
    mark t0;
    double best = 0, best_cpu = 0, total = 0, t_build;
    uint64_t edges = 0;
    int reps = 0;
    char b1[32], b2[32], note[160];
    stage st;

    stage_begin(&t0);
    if (csr_build(r->w, &g)) {
        printf("  csr: could not build (too large or out of memory)\n");
        return;
    }
    t_build = now() - t0.wall;
    party_sources(r, &g, party, &s);
    visited = malloc(g.n ? g.n : 1);
    queue = malloc((g.n ? g.n : 1) * sizeof *queue);
    if (!visited || !queue || !s.n)
        goto out;
    while (reps < 20 && (reps < 3 || total < 0.3)) {
        double t, c;
        size_t reached;
        memset(visited, 0, g.n);
        t = now();
        c = thread_cpu_now();
        edges = csr_bfs(&g, s.v, s.n, visited, queue, &reached);
        c = thread_cpu_now() - c;
        t = now() - t;
        total += t;
        if (reps == 0 || t < best)
            best = t;
        if (reps == 0 || c < best_cpu)
            best_cpu = c;
        reps++;
    }
    memset(visited, 0, g.n);
    all_parties_bfs(r, &g, visited, queue, res);
    same_actor_closure(r, party, reps, res);
    st = stage_end(t0);
    res->bfs_edges = edges;
    res->bfs_rate = best > 0 ? (double)edges / best : 0;
    res->bfs_rate_cpu = best_cpu > 0 ? (double)edges / best_cpu : 0;
    snprintf(note, sizeof note, "build %.3f s; %u nodes, %s edges; from %s (%zu sources)",
             t_build, g.n, human((double)g.m, b1, sizeof b1),
             dm_world_party_id(r->w, party), s.n);
    row_stage("csr build+bfs", st, note);
    snprintf(note, sizeof note, "%sedges, best of %d: %sedges/s",
             human((double)edges, b1, sizeof b1), reps, human(res->bfs_rate, b2, sizeof b2));
    row("  bfs", best, best_cpu, -1, -1, note);
    snprintf(note, sizeof note, "%sedges: %sedges/s (one BFS per party, %zu parties)",
             human((double)res->bfs_all_edges, b1, sizeof b1),
             human(res->bfs_all_rate, b2, sizeof b2), r->w->n_parties);
    row("  bfs, every party",
        res->bfs_all_rate > 0 ? (double)res->bfs_all_edges / res->bfs_all_rate : 0,
        res->bfs_all_rate_cpu > 0 ? (double)res->bfs_all_edges / res->bfs_all_rate_cpu : 0, -1,
        -1, note);
    if (res->same_rate > 0) {
        snprintf(note, sizeof note, "%sedges, best of %d: %sedges/s (dm_closure_run, %s, every fact)",
                 human((double)res->same_edges, b1, sizeof b1), reps,
                 human(res->same_rate, b2, sizeof b2), dm_world_party_id(r->w, party));
        row("  closure, same actor", (double)res->same_edges / res->same_rate,
            res->same_rate_cpu > 0 ? (double)res->same_edges / res->same_rate_cpu : -1, -1, -1,
            note);
    }
out:
    free(visited);
    free(queue);
    free(s.v);
    csr_free(&g);
}

/* ---- the crypto stage ---- */

#ifdef HAVE_CRYPTO
static void set_cpus(int all)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (all) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (long i = 0; i < n && i < CPU_SETSIZE; i++)
            CPU_SET((int)i, &set);
    } else {
        CPU_SET(0, &set);
    }
    sched_setaffinity(0, sizeof set, &set);
}

static void crypto_take(crypto_fig *f, int i, const dm_crypto_stats *st)
{
    f->wall[i] = (double)st->wall_ns * 1e-9;
    f->cpu[i] = (double)st->cpu_ns * 1e-9;
    f->span[i] = (double)st->span_ns * 1e-9;
    f->lib[i] = (double)st->lib_ns * 1e-9;
    f->work[i] = (double)(st->busy_ns + st->serial_ns) * 1e-9;
}

static double crypto_share(const crypto_fig *f, int i)
{
    return f->work[i] > 0 ? f->lib[i] / f->work[i] : 0.0;
}

/* Speed-up from 1 to 2 threads: by CPU time (the 1-thread run's CPU time
 * over the 2-thread run's critical path: what an idle machine gives), and
 * by wall time. */
static double crypto_speedup_cpu(const crypto_fig *f)
{
    return f->span[1] > 0 ? f->cpu[0] / f->span[1] : 0.0;
}

static double crypto_speedup_wall(const crypto_fig *f)
{
    return f->wall[1] > 0 ? f->wall[0] / f->wall[1] : 0.0;
}

/* The note of a crypto row: the stage's time next to the time of the
 * libsodium (and libgfshare) calls it made, in the same run. */
static void crypto_note(char *note, size_t cap, const crypto_fig *f, int i, uint64_t calls,
                        const char *extra)
{
    int n = snprintf(note, cap, "%d thread%s: libsodium %.3f s of %.3f s (%.0f%%, %" PRIu64
                     " calls)", i + 1, i ? "s" : "", f->lib[i], f->work[i],
                     100.0 * crypto_share(f, i), calls);
    if (i == 1 && n > 0 && (size_t)n < cap)
        n += snprintf(note + n, cap - (size_t)n,
                      "; speed-up %.2fx by cpu (%.3f s / span %.3f s), %.2fx by wall",
                      crypto_speedup_cpu(f), f->cpu[0], f->span[1], crypto_speedup_wall(f));
    if (extra != NULL && n > 0 && (size_t)n < cap)
        snprintf(note + n, cap - (size_t)n, "; %s", extra);
}

/* Instantiate r->w with 1 and 2 threads, verify with 1 and 2 threads, and
 * say how much of each stage's time libsodium (and libgfshare) took. */
static void bench_crypto(const dm_run *r, const config *cfg, result *res)
{
    dm_crypto *c1 = NULL, *c2 = NULL;
    dm_verification *v1 = NULL, *v2 = NULL;
    mark t0;
    stage st;
    dm_err e;
    char note[400], extra[200];
    const dm_crypto_stats *cs;

    /* Both runs may use every CPU: the 1-thread run uses one anyway. */
    set_cpus(1);
    stage_begin(&t0);
    e = dm_crypto_instantiate(r->w, SEED, 1, &c1);
    st = stage_end(t0);
    if (e != DM_OK) {
        printf("  crypto instantiate: %s\n", dm_err_str(e));
        goto out;
    }
    cs = dm_crypto_stats_get(c1);
    crypto_take(&res->c_inst, 0, cs);
    crypto_note(note, sizeof note, &res->c_inst, 0, cs->lib_calls, NULL);
    row_stage("crypto instantiate", st, note);

    stage_begin(&t0);
    e = dm_crypto_instantiate(r->w, SEED, 2, &c2);
    st = stage_end(t0);
    if (e != DM_OK) {
        printf("  crypto instantiate (2 threads): %s\n", dm_err_str(e));
        goto out;
    }
    cs = dm_crypto_stats_get(c2);
    crypto_take(&res->c_inst, 1, cs);
    crypto_note(note, sizeof note, &res->c_inst, 1, cs->lib_calls, NULL);
    row_stage("crypto instantiate x2", st, note);
    dm_crypto_free(c2);
    c2 = NULL;

    /* The first verification in a process runs markedly slower than the
     * next ones, 1 or 2 threads alike (not page faults: as many each time);
     * it is shown, then 1 and 2 threads are compared on later runs. */
    stage_begin(&t0);
    e = dm_crypto_verify(c1, r, DM_VERIFY_ALL, 1, &v1);
    st = stage_end(t0);
    if (e != DM_OK && e != DM_ERR_MISMATCH) {
        printf("  crypto verify: %s\n", dm_err_str(e));
        goto out;
    }
    {
        crypto_fig first;
        memset(&first, 0, sizeof first);
        crypto_take(&first, 0, &v1->stats);
        crypto_note(note, sizeof note, &first, 0, v1->stats.lib_calls, "first call in the process");
        row_stage("crypto verify (first)", st, note);
        res->c_ver_first_share = crypto_share(&first, 0);
        res->c_ver_first_wall = first.wall[0];
    }
    dm_verification_free(v1);
    v1 = NULL;

    stage_begin(&t0);
    e = dm_crypto_verify(c1, r, DM_VERIFY_ALL, 1, &v1);
    st = stage_end(t0);
    if (e != DM_OK && e != DM_ERR_MISMATCH) {
        printf("  crypto verify: %s\n", dm_err_str(e));
        goto out;
    }
    crypto_take(&res->c_ver, 0, &v1->stats);
    snprintf(extra, sizeof extra, "%s%zu parties, %" PRIu64 " closures (%.3f s); %" PRIu64
             " decryptions, %" PRIu64 " failed as expected, %" PRIu64 " mismatches",
             v1->sampled ? "sample of " : "", v1->sample_size, v1->stats.closures,
             (double)v1->stats.closure_ns * 1e-9, v1->decryptions, v1->failed_attempts,
             v1->mismatches);
    crypto_note(note, sizeof note, &res->c_ver, 0, v1->stats.lib_calls, extra);
    row_stage("crypto verify", st, note);

    stage_begin(&t0);
    e = dm_crypto_verify(c1, r, DM_VERIFY_ALL, 2, &v2);
    st = stage_end(t0);
    if (e != DM_OK && e != DM_ERR_MISMATCH) {
        printf("  crypto verify (2 threads): %s\n", dm_err_str(e));
        goto out;
    }
    crypto_take(&res->c_ver, 1, &v2->stats);
    snprintf(extra, sizeof extra, "%s", v2->decryptions == v1->decryptions &&
             v2->failed_attempts == v1->failed_attempts && v2->mismatches == v1->mismatches
             ? "same counts as 1 thread" : "COUNTS DIFFER from 1 thread");
    crypto_note(note, sizeof note, &res->c_ver, 1, v2->stats.lib_calls, extra);
    row_stage("crypto verify x2", st, note);
    res->crypto = 1;
out:
    if (cfg->pin)
        set_cpus(0);
    dm_verification_free(v1);
    dm_verification_free(v2);
    dm_crypto_free(c1);
    dm_crypto_free(c2);
}
#endif

/* ---- one scenario, in a child process ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
        goto out;
    if (!(buf = malloc((size_t)n + 1)))
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    *len = (size_t)n;
out:
    fclose(f);
    return buf;
}

static void print_diags(const dm_diag *d)
{
    for (size_t i = 0; i < d->n && i < 10; i++)
        fprintf(stderr, "bench: %s:%u:%u: %s: %s%s%s\n", d->file, d->entries[i].line,
                d->entries[i].col,
                d->entries[i].severity == DM_SEV_ERROR ? "error" : "warning",
                d->entries[i].path && *d->entries[i].path ? d->entries[i].path : "",
                d->entries[i].path && *d->entries[i].path ? ": " : "", d->entries[i].message);
}

static void run_one(const spec *sp, const config *cfg, result *res)
{
    char *text = NULL;
    size_t len = 0;
    dm_scenario *sc = NULL;
    dm_run *r = NULL;
    dm_diag diag;
    dm_run_opts ro;
    mark t0;
    stage s_read, s_load, s_run, s_free;
    char note[200], b1[32], b2[32], b3[32];
    dm_err e;
    int diag_init = 0;

    memset(res, 0, sizeof *res);
    if (cfg->pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    row_head();

    stage_begin(&t0);
    text = read_file(sp->path, &len);
    s_read = pipeline_end(t0);
    if (!text) {
        fprintf(stderr, "bench: %s: %s\n", sp->path, strerror(errno));
        goto out;
    }
    if (len >= 1048576)
        snprintf(note, sizeof note, "%.1f MiB", (double)len / 1048576.0);
    else
        snprintf(note, sizeof note, "%.1f KiB", (double)len / 1024.0);
    row_stage("read file", s_read, note);
    res->t_read = s_read.t;
    res->cpu_e2e += s_read.cpu;

#ifdef HAVE_JSON_PARSE
    {
        /* The JSON syntax alone, as one cJSON tree, in a child process: the
         * loader parses element by element while it validates (one pass),
         * so this row is a reference, and a tree of millions of nodes must
         * not leave its freed pages in the measured process. */
        int fd[2];
        pid_t pid;
        if (pipe(fd) == 0 && (pid = fork()) >= 0) {
            if (pid == 0) {
                cJSON *tree = NULL;
                dm_diag pd;
                stage s_parse;
                close(fd[0]);
                dm_diag_init(&pd, sp->path, text, len);
                stage_begin(&t0);
                e = dm_json_parse(text, len, &tree, &pd);
                s_parse = stage_end(t0);
                if (e == DM_OK && write(fd[1], &s_parse, sizeof s_parse) != (ssize_t)sizeof s_parse)
                    _exit(1);
                _exit(0);
            }
            close(fd[1]);
            {
                stage s_parse;
                int st;
                if (read(fd[0], &s_parse, sizeof s_parse) == (ssize_t)sizeof s_parse) {
                    res->t_parse = s_parse.t;
                    row_stage("  JSON syntax alone", s_parse,
                              "cJSON tree of the whole file, in a child process (reference)");
                }
                close(fd[0]);
                waitpid(pid, &st, 0);
            }
        }
    }
#endif

    dm_diag_init(&diag, sp->path, text, len);
    diag_init = 1;
    stage_begin(&t0);
    e = dm_scenario_load(text, len, sp->path, &sc, &diag);
    if (cfg->trim)
        malloc_trim(0);
    s_load = pipeline_end(t0);
    if (e != DM_OK) {
        fprintf(stderr, "bench: %s: load failed: %s\n", sp->path, dm_err_str(e));
        print_diags(&diag);
        goto out;
    }
    res->t_load = s_load.t;
    res->cpu_e2e += s_load.cpu;
    res->users = sc->n_users;
    res->people = sc->people;
    res->groups = sc->n_groups;
    snprintf(note, sizeof note,
             "dm_scenario_load: parse and validate in one pass, element by element; %zu warnings",
             diag.n_warnings);
    row_stage("load (parse+validate)", s_load, note);

    memset(&ro, 0, sizeof ro);
    ro.steps = cfg->steps;
    dm_diag_clear(&diag);
    dm_diag_init(&diag, sp->path, text, len);
    stage_begin(&t0);
    e = dm_run_scenario(sc, &ro, &r, &diag);
    s_run = pipeline_end(t0);
    if (e != DM_OK) {
        fprintf(stderr, "bench: %s: run failed: %s\n", sp->path, dm_err_str(e));
        print_diags(&diag);
        goto out;
    }
    res->t_run = s_run.t;
    res->cpu_e2e += s_run.cpu;
    res->t_expand = r->stats.t_expand;
    res->t_timeline = r->stats.t_timeline;
    res->t_closure = r->stats.t_closure;
    res->t_exposure = r->stats.t_exposure;
    res->closure_edges = r->stats.closure_edges;
    /* The edge rate of the closures proper: graph work only, without the
     * classification and witness extraction that t_closure also holds. */
    res->closure_rate =
        r->stats.t_traverse > 0 ? (double)r->stats.closure_edges / r->stats.t_traverse : 0;
    {
        /* r->stats are wall times: on a busy machine, scale them by the
         * share of the run's wall time it had a CPU (the run is one thread). */
        double share = s_run.t > 0 ? s_run.cpu / s_run.t : 1;
        if (share > 1)
            share = 1;
        res->closure_rate_cpu = share > 0 ? res->closure_rate / share : 0;
    }
    snprintf(note, sizeof note,
             "dm_run_scenario; %zu ciphertexts, %zu deposits, %zu actors listed; %zu warnings",
             r->w->n_cts, r->w->n_deposits, r->n_actors, diag.n_warnings);
    row_stage("run", s_run, note);
    row("  expand", r->stats.t_expand, -1, -1, -1, "both worlds (peak: see run)");
    row("  timeline", r->stats.t_timeline, -1, -1, -1, NULL);
    snprintf(note, sizeof note, "%sedges, %sfacts: %sedges/s",
             human((double)r->stats.closure_edges, b1, sizeof b1),
             human((double)r->stats.closure_nodes, b2, sizeof b2),
             human(res->closure_rate, b3, sizeof b3));
    row("  closure", r->stats.t_closure, -1, -1, -1,
        "every actor's closures, classes and witnesses");
    row("    traversal", r->stats.t_traverse,
        res->closure_rate_cpu > 0 ? (double)r->stats.closure_edges / res->closure_rate_cpu : -1,
        -1, -1, note);
    row("  exposure", r->stats.t_exposure, -1, -1, -1, NULL);
    row("  other", s_run.t - r->stats.t_expand - r->stats.t_timeline - r->stats.t_closure -
                       r->stats.t_exposure, -1, -1, -1, "counterfactual, steps, bookkeeping");

#ifdef HAVE_REPORT
    {
        FILE *devnull = fopen("/dev/null", "w");
        dm_report_opts rop;
        stage s_rep;
        memset(&rop, 0, sizeof rop);
        rop.seed = SEED;
        if (devnull) {
            stage_begin(&t0);
            e = dm_report_json(r, NULL, &rop, devnull);
            fflush(devnull);
            s_rep = pipeline_end(t0);
            fclose(devnull);
            res->t_report = s_rep.t;
            res->cpu_e2e += s_rep.cpu;
            row_stage("report (json)", s_rep,
                      e == DM_OK ? "dm_report_json to /dev/null" : dm_err_str(e));
        }
    }
#else
    row("report", -1, -1, -1, -1, "no include/doormat/report.h yet");
#endif

    res->t_e2e = res->t_read + res->t_load + res->t_run + res->t_report;
    bench_bfs(r, res);
    /* Per CPU second: neither side is then charged for other processes. */
    if (res->bfs_rate_cpu > 0 && res->same_rate_cpu > 0) {
        snprintf(note, sizeof note,
                 "same actor, sources and runs; per cpu second: closure %sedges/s, bfs %sedges/s",
                 human(res->same_rate_cpu, b1, sizeof b1),
                 human(res->bfs_rate_cpu, b2, sizeof b2));
        printf("  %-22s %10.0f%% %10.0f%%  %s\n", "closure / bfs",
               100.0 * res->same_rate / res->bfs_rate,
               100.0 * res->same_rate_cpu / res->bfs_rate_cpu, note);
    }
    if (res->bfs_rate_cpu > 0 && res->closure_rate_cpu > 0) {
        snprintf(note, sizeof note, "every closure of the run (%sedges/s) against that bfs; "
                 "against every-party bfs (%sedges/s): %.0f%%",
                 human(res->closure_rate_cpu, b1, sizeof b1),
                 human(res->bfs_all_rate_cpu, b3, sizeof b3),
                 res->bfs_all_rate_cpu > 0 ? 100.0 * res->closure_rate_cpu / res->bfs_all_rate_cpu
                                           : 0.0);
        printf("  %-22s %10.0f%% %10.0f%%  %s\n", "  the run's closures",
               100.0 * res->closure_rate / res->bfs_rate,
               100.0 * res->closure_rate_cpu / res->bfs_rate_cpu, note);
    }

#ifdef HAVE_CRYPTO
    if (cfg->crypto && r->w->n_cts <= cfg->crypto_max)
        bench_crypto(r, cfg, res);
    else if (cfg->crypto)
        printf("  %-22s %10s  skipped: %zu ciphertexts > --crypto-max %" PRIu64 "\n",
               "crypto", "", r->w->n_cts, cfg->crypto_max);
#endif

    stage_begin(&t0);
    dm_run_free(r);
    r = NULL;
    dm_scenario_free(sc);
    sc = NULL;
    free(text);
    text = NULL;
    s_free = pipeline_end(t0);
    res->t_free = s_free.t;
    res->t_e2e += s_free.t;
    res->cpu_e2e += s_free.cpu;
    /* Heap still in use here is a leak (or the bench's own few bytes). */
    row_stage("free", s_free, "run, scenario, text");
    res->peak_mib = mib(pipeline_peak_kb);
    {
        /* ru_maxrss forgets peaks that a VmHWM reset cleared: take the
         * larger of it and the stages' own peaks. */
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        res->maxrss_mib = mib(ru.ru_maxrss > process_peak_kb ? ru.ru_maxrss : process_peak_kb);
    }
    snprintf(note, sizeof note,
             "read+load+run+report+free; pipeline peak %.1f MiB (process, with bench-only "
             "stages: %.1f)%s",
             res->peak_mib, res->maxrss_mib,
             hwm_resettable ? "" : "; VmHWM not resettable: per-stage peaks are cumulative");
    row("end to end", res->t_e2e, res->cpu_e2e, -1, -1, note);
    res->ok = 1;
out:
    if (diag_init)
        dm_diag_clear(&diag);
    dm_run_free(r);
    dm_scenario_free(sc);
    free(text);
}

/* ---- the parent: generate, fork per scenario, summarise ---- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) && errno != EEXIST)
                return -1;
            buf[i] = c;
        }
    return 0;
}

/* Generate the scenario file with bench_gen unless it is already there. */
static int ensure_scenario(const spec *sp, const config *cfg)
{
    char users[32];
    char *argv[8];
    int argc = 0, status;
    pid_t pid;
    double t0;
    if (file_exists(sp->path))
        return 0;
    snprintf(users, sizeof users, "%" PRIu64, sp->users);
    argv[argc++] = (char *)cfg->gen;
    argv[argc++] = "--users";
    argv[argc++] = users;
    if (sp->cohorts)
        argv[argc++] = "--cohorts";
    argv[argc++] = "-o";
    argv[argc++] = (char *)sp->path;
    argv[argc] = NULL;
    t0 = now();
    if ((errno = posix_spawn(&pid, cfg->gen, NULL, NULL, argv, environ)) != 0) {
        fprintf(stderr, "bench: %s: %s (build it with make bench-bins)\n", cfg->gen,
                strerror(errno));
        return -1;
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: %s failed for %s\n", cfg->gen, sp->path);
        return -1;
    }
    printf("generated %s in %.2f s\n", sp->path, now() - t0);
    return 0;
}

static int run_child(const spec *sp, const config *cfg, result *res)
{
    int fds[2], status;
    pid_t pid;
    ssize_t got;
    memset(res, 0, sizeof *res);
    if (pipe(fds))
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        result r;
        close(fds[0]);
        run_one(sp, cfg, &r);
        fflush(stdout);
        if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        _exit(r.ok ? 0 : 1);
    }
    close(fds[1]);
    got = read(fds[0], res, sizeof *res);
    close(fds[0]);
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    if (got != (ssize_t)sizeof *res || !WIFEXITED(status)) {
        if (WIFSIGNALED(status))
            fprintf(stderr, "bench: %s: child killed by signal %d\n", sp->name, WTERMSIG(status));
        res->ok = 0;
    }
    return res->ok ? 0 : -1;
}

/* Name a scenario and its file: DIR/users-N.json or DIR/cohorts-N.json. */
static int spec_set(spec *sp, const char *dir, uint64_t users, int cohorts)
{
    char name[48];
    int n = snprintf(name, sizeof name, "%s-%" PRIu64, cohorts ? "cohorts" : "users", users);
    if (n < 0 || (size_t)n >= sizeof name)
        return -1;
    memcpy(sp->name, name, (size_t)n + 1);
    sp->users = users;
    sp->cohorts = cohorts;
    n = snprintf(sp->path, sizeof sp->path, "%s/%s.json", dir, name);
    if (n < 0 || (size_t)n >= sizeof sp->path) {
        fprintf(stderr, "bench_doormat: --dir: path too long\n");
        return -1;
    }
    return 0;
}

static void verdict(const char *what, int measured, int pass, const char *figure)
{
    printf("  %-4s  %-52s %s\n", !measured ? "----" : pass ? "PASS" : "MISS", what, figure);
}

static void usage(FILE *f)
{
    fputs("usage: bench_doormat [options]\n"
          "  -q, --quick           skip the 10^6-user scenario\n"
          "  -u, --users N[,N...]  explicit-user scenarios to run [10000,100000,1000000]\n"
          "      --no-cohorts      skip the 10^9-person cohort scenario\n"
          "  -d, --dir DIR         where generated scenarios are kept\n"
          "                        [BUILD/bench, BUILD/release/ holding this program]\n"
          "      --gen PATH        the generator            [bench_gen beside this program]\n"
          "      --pin             pin the measured process to CPU 0 (a one-core run;\n"
          "                        on a busy machine it may wait for that CPU)\n"
          "      --steps           also compute the per-step summary (dm_run_opts.steps)\n"
          "      --trim            malloc_trim(0) after the load (returns the freed JSON\n"
          "                        tree's pages: what a CLI could do)\n"
          "      --no-crypto       skip the crypto stage\n"
          "      --crypto-max N    crypto stage only up to N ciphertexts    [1000000]\n"
          "  -h, --help            this text\n",
          f);
}

int main(int argc, char **argv)
{
    enum { OPT_NO_COHORTS = 256, OPT_GEN, OPT_PIN, OPT_STEPS, OPT_TRIM, OPT_NO_CRYPTO, OPT_CRYPTO_MAX };
    static const struct option longopts[] = {
        {"quick", no_argument, NULL, 'q'},
        {"users", required_argument, NULL, 'u'},
        {"no-cohorts", no_argument, NULL, OPT_NO_COHORTS},
        {"dir", required_argument, NULL, 'd'},
        {"gen", required_argument, NULL, OPT_GEN},
        {"pin", no_argument, NULL, OPT_PIN},
        {"steps", no_argument, NULL, OPT_STEPS},
        {"trim", no_argument, NULL, OPT_TRIM},
        {"no-crypto", no_argument, NULL, OPT_NO_CRYPTO},
        {"crypto-max", required_argument, NULL, OPT_CRYPTO_MAX},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    config cfg;
    spec specs[MAX_SCENARIOS];
    result res[MAX_SCENARIOS];
    uint64_t user_sizes[MAX_SCENARIOS] = {10000, 100000, 1000000};
    size_t n_sizes = 3, n_specs = 0, i;
    int c, cohorts = 1, failed = 0;
    char exe[PATH_MAX], *slash;
    ssize_t n;
    double t_start = now();

    memset(&cfg, 0, sizeof cfg);
    cfg.pin = 0;
    cfg.crypto = 1;
    cfg.crypto_max = 1000000;
    /* Defaults beside this program: BUILD/release/bench_doormat uses
     * BUILD/release/bench_gen and keeps scenarios in BUILD/bench/. */
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(cfg.gen, sizeof cfg.gen, "bench_gen");
    snprintf(cfg.dir, sizeof cfg.dir, "build/bench");
    if ((slash = strrchr(exe, '/'))) {
        *slash = '\0';
        snprintf(cfg.gen, sizeof cfg.gen, "%.*s/bench_gen", (int)(sizeof cfg.gen - 16), exe);
        if ((slash = strrchr(exe, '/'))) {
            *slash = '\0';
            snprintf(cfg.dir, sizeof cfg.dir, "%.*s/bench", (int)(sizeof cfg.dir - 16), exe);
        }
    }

    while ((c = getopt_long(argc, argv, "qu:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'q':
            n_sizes = 2;
            break;
        case 'u': {
            char *p = optarg, *end;
            n_sizes = 0;
            while (*p && n_sizes < MAX_SCENARIOS - 1) {
                errno = 0;
                unsigned long long v = strtoull(p, &end, 10);
                if (errno || end == p || v == 0 || (*end && *end != ',')) {
                    fprintf(stderr, "bench_doormat: --users: bad list \"%s\"\n", optarg);
                    return 2;
                }
                user_sizes[n_sizes++] = v;
                p = *end ? end + 1 : end;
            }
            break;
        }
        case OPT_NO_COHORTS: cohorts = 0; break;
        case 'd': snprintf(cfg.dir, sizeof cfg.dir, "%s", optarg); break;
        case OPT_GEN: snprintf(cfg.gen, sizeof cfg.gen, "%s", optarg); break;
        case OPT_PIN: cfg.pin = 1; break;
        case OPT_STEPS: cfg.steps = 1; break;
        case OPT_TRIM: cfg.trim = 1; break;
        case OPT_NO_CRYPTO: cfg.crypto = 0; break;
        case OPT_CRYPTO_MAX: cfg.crypto_max = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (mkdir_p(cfg.dir)) {
        fprintf(stderr, "bench: %s: %s\n", cfg.dir, strerror(errno));
        return 1;
    }

    for (i = 0; i < n_sizes; i++)
        if (spec_set(&specs[n_specs++], cfg.dir, user_sizes[i], 0))
            return 2;
    if (cohorts && spec_set(&specs[n_specs++], cfg.dir, 1000000000ULL, 1))
        return 2;

    printf("doormat bench: %zu scenarios, %s, %ld CPUs online%s\n", n_specs,
#ifdef HAVE_CRYPTO
           cfg.crypto ? "crypto stage on" : "crypto stage off",
#else
           "no crypto.h: crypto stage absent",
#endif
           sysconf(_SC_NPROCESSORS_ONLN), cfg.pin ? "; measured process pinned to CPU 0" : "");
    for (i = 0; i < n_specs; i++) {
        if (ensure_scenario(&specs[i], &cfg)) {
            res[i].ok = 0;
            failed = 1;
            continue;
        }
        printf("\n== %s (%s)\n", specs[i].name, specs[i].path);
        if (run_child(&specs[i], &cfg, &res[i]))
            failed = 1;
        else
            printf("  %" PRIu64 " user entries, %" PRIu64 " people, %" PRIu64 " groups\n",
                   res[i].users, res[i].people, res[i].groups);
    }

    /* ---- summary: one line per target ---- */
    printf("\n== targets\n");
    {
        const result *r1m = NULL, *rco = NULL, *rbig = NULL;
        char fig[160];
        for (i = 0; i < n_specs; i++) {
            if (!res[i].ok)
                continue;
            if (!specs[i].cohorts && specs[i].users == 1000000)
                r1m = &res[i];
            if (specs[i].cohorts)
                rco = &res[i];
            if (!specs[i].cohorts && res[i].bfs_rate_cpu > 0 && res[i].same_rate_cpu > 0 &&
                (!rbig || specs[i].users > rbig->users))
                rbig = &res[i];
        }
        /* Times are judged on CPU seconds: the pipeline is one thread, so
         * they equal wall time on an idle machine and are not inflated by
         * other processes on a busy one.  Wall time is printed beside. */
        if (r1m)
            snprintf(fig, sizeof fig, "%.2f s cpu (%.2f s wall)", r1m->cpu_e2e, r1m->t_e2e);
        else
            snprintf(fig, sizeof fig, "not run");
        verdict("10^6 explicit users end to end <= 15 s (one core)", r1m != NULL,
                r1m && r1m->cpu_e2e <= TARGET_E2E_1M_S, fig);
        snprintf(fig, sizeof fig, r1m ? "%.0f MiB peak RSS" : "not run",
                 r1m ? r1m->peak_mib : 0.0);
        verdict("10^6 explicit users peak memory <= 4 GB", r1m != NULL,
                r1m && r1m->peak_mib <= TARGET_PEAK_1M_MIB, fig);
        if (rco)
            snprintf(fig, sizeof fig, "%.3f ms cpu (%.3f ms wall)", rco->cpu_e2e * 1e3,
                     rco->t_e2e * 1e3);
        else
            snprintf(fig, sizeof fig, "not run");
        verdict("10^9 people as cohorts end to end <= 1 s", rco != NULL,
                rco && rco->cpu_e2e <= TARGET_COHORT_S, fig);
        if (rbig) {
            char b1[32], b2[32];
            snprintf(fig, sizeof fig,
                     "%.0f%% (%sedges vs %sedges per cpu second, %" PRIu64
                     " users); the run's closures: %.0f%%",
                     100.0 * rbig->same_rate_cpu / rbig->bfs_rate_cpu,
                     human(rbig->same_rate_cpu, b1, sizeof b1),
                     human(rbig->bfs_rate_cpu, b2, sizeof b2), rbig->users,
                     100.0 * rbig->closure_rate_cpu / rbig->bfs_rate_cpu);
        } else {
            snprintf(fig, sizeof fig, "not measured");
        }
        verdict("closure >= 50% of plain CSR BFS edges/s", rbig != NULL,
                rbig && rbig->same_rate_cpu >= TARGET_CLOSURE_RATIO * rbig->bfs_rate_cpu, fig);
    }
#ifdef HAVE_CRYPTO
    for (i = 0; i < n_specs; i++) {
        const crypto_fig *f[2] = {&res[i].c_inst, &res[i].c_ver};
        const char *what[2] = {"instantiate", "verify"};
        int k;
        if (!res[i].ok || !res[i].crypto)
            continue;
        for (k = 0; k < 2; k++) {
            char w[96], fig[160];
            double s1 = crypto_share(f[k], 0), s2 = crypto_share(f[k], 1);
            /* The 2-thread share of a stage of milliseconds measures the
             * threads' start, not the work: judged from 0.1 s, as the
             * speed-up below. */
            int short_stage = f[k]->cpu[0] < 0.1;
            double lo = short_stage || s1 < s2 ? s1 : s2;
            snprintf(w, sizeof w, "crypto %s >= 80%% in libsodium (%s)", what[k], specs[i].name);
            snprintf(fig, sizeof fig, "%.0f%% (1 thread), %.0f%% (2 threads%s); stage %.2f s, %.2f s wall",
                     100.0 * s1, 100.0 * s2, short_stage ? ", under 0.1 s: not judged" : "",
                     f[k]->wall[0], f[k]->wall[1]);
            verdict(w, 1, lo >= TARGET_CRYPTO_LIB, fig);
            snprintf(w, sizeof w, "crypto %s >= 1.7x on 2 threads (%s)", what[k], specs[i].name);
            snprintf(fig, sizeof fig, "%.2fx by cpu (%.2f s / %.2f s), %.2fx by wall%s",
                     crypto_speedup_cpu(f[k]), f[k]->cpu[0], f[k]->span[1],
                     crypto_speedup_wall(f[k]),
                     f[k]->cpu[0] < 0.1 ? "; under 0.1 s: too short to judge threads" : "");
            /* Milliseconds of work are dominated by starting the threads:
             * the speed-up is judged only on stages worth a thread. */
            verdict(w, f[k]->cpu[0] >= 0.1, crypto_speedup_cpu(f[k]) >= TARGET_CRYPTO_SPEEDUP, fig);
        }
        printf("  info  crypto verify, first call in the process (%s): %.0f%% in libsodium, "
               "%.2f s\n", specs[i].name, 100.0 * res[i].c_ver_first_share,
               res[i].c_ver_first_wall);
    }
#endif
    printf("bench: done in %.1f s\n", now() - t_start);
    return failed ? 1 : 0;
}
