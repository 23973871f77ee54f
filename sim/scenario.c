/* scenario.c - load a scenario: JSON text -> validated dm_scenario. */
#include "doormat/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doormat/alloc.h"
#include "idmap.h"
#include "json.h"

/* libgfshare numbers shares with one byte. */
#define SHARES_MAX 255
#define PATH_BYTES 512
#define MSG_BYTES 1024

/* Tags of the shared principal namespace (the top bits of an idmap value). */
enum { TAG_PROVIDER = 0, TAG_ACTOR, TAG_USER, TAG_GROUP };
#define TAG_SHIFT 28
#define TAG_MASK ((1u << TAG_SHIFT) - 1)

/* The loader's state for one load. */
typedef struct ld {
    const char *text;
    size_t len;
    dm_diag *diag;
    dm_scenario *s;
    size_t n_errors;
    size_t n_warnings;
    size_t warnings_dropped;
    int no_regions;       /* "regions" is missing or bad: do not repeat it */
    int nomem;
    int limit;
    char path[PATH_BYTES];
    size_t plen;
    dm_idmap regions;     /* region -> index */
    dm_idmap principals;  /* provider/actor/user/group -> tag|index */
    dm_idmap keys;        /* declared key -> index */
    dm_idmap items;       /* explicit item -> index */
    dm_idmap event_ids;   /* event id -> file index */
    uint8_t *ghosted;     /* per actor: named as `by` of a ghost event */
    size_t *scope_off;    /* per event (file order): offset of its scope */
    size_t n_orders;
} ld;

/* ---- paths and messages ------------------------------------------------ */

/* Paths are built for every value, so no printf here. */
static size_t path_member(ld *L, const char *name)
{
    size_t old = L->plen, n = strlen(name), room = PATH_BYTES - 1 - L->plen;
    if (L->plen > 0 && room > 0) {
        L->path[L->plen++] = '.';
        room--;
    }
    if (n > room)
        n = room;
    memcpy(L->path + L->plen, name, n);
    L->plen += n;
    L->path[L->plen] = '\0';
    return old;
}

static size_t path_index(ld *L, size_t i)
{
    size_t old = L->plen, n = 0, k;
    char digits[24];
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i > 0);
    if (L->plen + n + 2 < PATH_BYTES) {
        L->path[L->plen++] = '[';
        for (k = 0; k < n; k++)
            L->path[L->plen++] = digits[n - 1 - k];
        L->path[L->plen++] = ']';
        L->path[L->plen] = '\0';
    }
    return old;
}

static void path_pop(ld *L, size_t old)
{
    L->plen = old;
    L->path[old] = '\0';
}

static void vdiag(ld *L, dm_severity sev, size_t off, const char *fmt, va_list ap)
{
    char msg[MSG_BYTES];
    if (sev == DM_SEV_WARNING && L->n_warnings++ >= DM_DIAG_MAX_ERRORS) {
        L->warnings_dropped++; /* a million cohorts may share one warning */
        return;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (sev == DM_SEV_ERROR)
        L->n_errors++;
    if (dm_diag_add(L->diag, sev, off, L->path, "%s", msg) != DM_OK)
        L->nomem = 1;
}

static void __attribute__((format(printf, 3, 4))) err(ld *L, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(L, DM_SEV_ERROR, off, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 3, 4))) warn(ld *L, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(L, DM_SEV_WARNING, off, fmt, ap);
    va_end(ap);
}

/* An error about member `name` of the current object (path gets ".name"). */
static void __attribute__((format(printf, 4, 5)))
err_in(ld *L, const char *name, size_t off, const char *fmt, ...)
{
    size_t old = path_member(L, name);
    va_list ap;
    va_start(ap, fmt);
    vdiag(L, DM_SEV_ERROR, off, fmt, ap);
    va_end(ap);
    path_pop(L, old);
}

/* Quote a user-supplied string for a message: escaped, at most 64 bytes.
 * Room for 64 bytes escaped as "\u007f", the rest of a UTF-8 sequence,
 * "...", the quotes and the NUL. */
typedef struct quoted {
    char b[64 * 6 + 16];
} quoted;

static const char *q(quoted *out, const char *s)
{
    size_t o = 0, i;
    out->b[o++] = '"';
    for (i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 64 && (c & 0xC0) != 0x80) {
            memcpy(out->b + o, "...", 3);
            o += 3;
            break;
        }
        if (c == '"' || c == '\\') {
            out->b[o++] = '\\';
            out->b[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out->b + o, 8, "\\u%04x", c);
        } else {
            out->b[o++] = (char)c;
        }
    }
    out->b[o++] = '"';
    out->b[o] = '\0';
    return out->b;
}

/* The source text of a number, for "got 2.5". */
static const char *lexeme(ld *L, const cJSON *v, char *buf, size_t cap)
{
    size_t off = dm_json_offset(v), n = 0;
    while (off + n < L->len && n + 1 < cap && n < 40 &&
           strchr("0123456789+-.eE", L->text[off + n]) != NULL && L->text[off + n] != '\0')
        n++;
    memcpy(buf, L->text + off, n);
    buf[n] = '\0';
    return buf;
}

static int nearly_full(ld *L)
{
    return L->diag->n_errors >= DM_DIAG_MAX_ERRORS;
}

/* ---- did you mean ------------------------------------------------------ */

/* Levenshtein distance if at most 2, else 3; rows stop early once every
 * cell exceeds 2. */
static int dist2(const char *a, size_t la, const char *b, size_t lb)
{
    int prev[DM_LIMIT_ID_BYTES * 2 + 2], cur[DM_LIMIT_ID_BYTES * 2 + 2];
    size_t i, j;

    if ((la > lb ? la - lb : lb - la) > 2 || la > DM_LIMIT_ID_BYTES * 2 || lb > DM_LIMIT_ID_BYTES * 2)
        return 3;
    for (j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (i = 1; i <= la; i++) {
        int best;
        cur[0] = (int)i;
        best = cur[0];
        for (j = 1; j <= lb; j++) {
            int v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > 2)
            return 3;
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb] > 3 ? 3 : prev[lb];
}

typedef struct sugg {
    const char *want;
    size_t wlen;
    int score;            /* 0: same but for case; 1..3: distance; 9: none */
    int limit;            /* largest distance offered: 2, or 3 for "any" */
    char best[DM_LIMIT_ID_BYTES * 2 + 16];
} sugg;

static void sugg_init(sugg *g, const char *want)
{
    g->want = want;
    g->wlen = strlen(want);
    g->score = 9;
    g->limit = 2;
    g->best[0] = '\0';
}

static void sugg_take(sugg *g, const char *a, const char *b, int score)
{
    g->score = score;
    snprintf(g->best, sizeof(g->best), "%s%s", a, b ? b : "");
}

/* Consider the candidate a+b (b may be NULL). */
static void sugg_try2(sugg *g, const char *a, const char *b)
{
    char buf[DM_LIMIT_ID_BYTES * 2 + 16];
    const char *c = a;
    int d;

    if (g->score == 0)
        return;
    if (b != NULL) {
        snprintf(buf, sizeof(buf), "%s%s", a, b);
        c = buf;
    }
    if (strcasecmp(c, g->want) == 0) {
        sugg_take(g, c, NULL, 0);
        return;
    }
    d = dist2(g->want, g->wlen, c, strlen(c));
    if (d <= g->limit && (d > 2 || (size_t)d < g->wlen) && d < g->score)
        sugg_take(g, c, NULL, d);
}

static void sugg_try(sugg *g, const char *c)
{
    sugg_try2(g, c, NULL);
}

/* " (did you mean "x"?)" or "". */
static const char *sugg_text(const sugg *g, char *buf, size_t cap)
{
    quoted qq;
    if (g->score > 3) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, cap, " (did you mean %s?)", q(&qq, g->best));
    return buf;
}

/* ---- member checks ----------------------------------------------------- */

static const char *const top_members[] = {"doormat", "title", "lesson", "regions", "providers",
                                          "users", "groups", "actors", "keys", "wraps",
                                          "items", "events", "$schema", NULL};
static const char *const provider_members[] = {"id", "regions", NULL};
static const char *const user_members[] = {"id", "region", "provider", "protection",
                                           "devices", "count", "items", NULL};
static const char *const group_members[] = {"id", "members", "provider", "items", NULL};
static const char *const actor_members[] = {"id", "kind", "region", NULL};
static const char *const key_members[] = {"id", "type", "holders", "shares", NULL};
static const char *const shares_members[] = {"k", "holders", NULL};
static const char *const wrap_members[] = {"key", "under", "at", NULL};
static const char *const item_members[] = {"id", "owners", "under", "at", NULL};
static const char *const scope_members[] = {"regions", "users", NULL};

static const char *const event_kinds[] = {"backdoor", "order", "steal", "breach",
                                          "compromise", "ghost", "travel", "downgrade", NULL};
/* Members of each event kind besides at/do/p/id; "?" marks optional ones. */
static const char *const event_members[][6] = {
    {"at", "do", "p", "id", NULL},
    {"provider", "key", "scope", NULL},
    {"by", "provider", "?scope", "?demand", NULL},
    {"by", "key", "?share", NULL},
    {"by", "store", NULL},
    {"by", "actor", NULL},
    {"by", "group", NULL},
    {"user", "region", NULL},
    {"provider", "region", NULL},
};

/* Member names are a few bytes: comparing them inline beats a call to
 * strcmp, made some twenty times an element. */
static inline int streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static int in_list(const char *const *list, const char *name)
{
    size_t i;
    for (i = 0; list[i] != NULL; i++) {
        const char *l = list[i][0] == '?' ? list[i] + 1 : list[i];
        if (l[0] == name[0] && streq(l, name))
            return (int)i;
    }
    return -1;
}

/* Report duplicate and unknown members of obj.  `allowed` and, for events,
 * `more` (NULL otherwise) list the names; `kind` names the event kind for
 * "does not apply" messages.  Duplicates are found through the allowed
 * names, so a huge object costs O(members * allowed). */
static void check_members(ld *L, const cJSON *obj, const char *const *allowed,
                          const char *const *more, const char *kind)
{
    const cJSON *m;
    uint8_t seen[16] = {0};
    size_t na = 0;

    while (allowed[na] != NULL)
        na++;
    for (m = obj->child; m != NULL; m = m->next) {
        const char *name = m->string;
        int i = in_list(allowed, name);
        size_t koff;
        quoted qq;

        if (i < 0 && more != NULL && (i = in_list(more, name)) >= 0)
            i += (int)na;
        if (i >= 0) {
            if (seen[i])
                err(L, dm_json_key_offset(L->text, L->len, m), "duplicate member %s", q(&qq, name));
            seen[i] = 1;
            continue;
        }
        if (strcmp(name, "$schema") == 0 && allowed == top_members)
            continue;
        koff = dm_json_key_offset(L->text, L->len, m);
        if (kind != NULL && in_list((const char *const[]){"provider", "key", "scope", "by",
                                                          "demand", "share", "store", "actor",
                                                          "group", "user", "region", NULL},
                                    name) >= 0) {
            err(L, koff, "member %s does not apply to a %s event", q(&qq, name), kind);
        } else {
            sugg g;
            char sb[300];
            size_t j;
            sugg_init(&g, name);
            for (j = 0; allowed[j] != NULL; j++)
                sugg_try(&g, allowed[j][0] == '?' ? allowed[j] + 1 : allowed[j]);
            for (j = 0; more != NULL && more[j] != NULL; j++)
                sugg_try(&g, more[j][0] == '?' ? more[j] + 1 : more[j]);
            err(L, koff, "unknown member %s%s", q(&qq, name), sugg_text(&g, sb, sizeof(sb)));
        }
    }
}

/* ---- typed getters ----------------------------------------------------- */

/* cJSON_GetObjectItemCaseSensitive, with the first bytes compared before
 * strcmp: it runs ten times an element, a million elements a section. */
static const cJSON *member(const cJSON *obj, const char *name)
{
    const cJSON *c;
    if (obj == NULL)
        return NULL;
    for (c = obj->child; c != NULL && c->string != NULL; c = c->next)
        if (c->string[0] == name[0] && streq(c->string, name))
            return c;
    return NULL;
}

/* 1: present; 0: absent (an error if required). */
static int need(ld *L, const cJSON *obj, const char *name, int required, const cJSON **v)
{
    quoted qq;
    *v = member(obj, name);
    if (*v != NULL)
        return 1;
    if (required)
        err(L, dm_json_offset(obj), "missing required member %s", q(&qq, name));
    return 0;
}

/* An error at v: "expected X, got Y"; the path is the current one. */
static void expected(ld *L, const cJSON *v, const char *what)
{
    err(L, dm_json_offset(v), "expected %s, got %s", what, dm_json_type_name(v));
}

/* The string member `name`: 1 and *out, 0 absent, -1 error. */
static int get_string(ld *L, const cJSON *obj, const char *name, int required, const char **out)
{
    const cJSON *v;
    size_t old;
    if (!need(L, obj, name, required, &v))
        return 0;
    if (!cJSON_IsString(v)) {
        old = path_member(L, name);
        expected(L, v, "a string");
        path_pop(L, old);
        return -1;
    }
    *out = v->valuestring;
    return 1;
}

/* An integer value in [lo, hi] at v (path current): 0 ok, -1 error. */
static int int_value(ld *L, const cJSON *v, double lo, double hi, int64_t *out)
{
    char lx[48];
    if (!cJSON_IsNumber(v)) {
        expected(L, v, "an integer");
        return -1;
    }
    if (isfinite(v->valuedouble) && v->valuedouble != floor(v->valuedouble)) {
        err(L, dm_json_offset(v), "expected an integer, got %s", lexeme(L, v, lx, sizeof(lx)));
        return -1;
    }
    if (!(v->valuedouble >= lo && v->valuedouble <= hi)) {
        err(L, dm_json_offset(v), "must be between %.0f and %.0f, got %s", lo, hi,
            lexeme(L, v, lx, sizeof(lx)));
        return -1;
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int get_int(ld *L, const cJSON *obj, const char *name, int required, double lo,
                   double hi, int64_t *out)
{
    const cJSON *v;
    size_t old;
    int r;
    if (!need(L, obj, name, required, &v))
        return 0;
    old = path_member(L, name);
    r = int_value(L, v, lo, hi, out);
    path_pop(L, old);
    return r < 0 ? -1 : 1;
}

/* The array member `name`: 1 and *arr, 0 absent, -1 error (wrong type, or
 * empty when nonempty is asked). */
static int get_array(ld *L, const cJSON *obj, const char *name, int required, int nonempty,
                     const cJSON **arr)
{
    const cJSON *v;
    size_t old;
    if (!need(L, obj, name, required, &v))
        return 0;
    old = path_member(L, name);
    if (!cJSON_IsArray(v)) {
        expected(L, v, "an array");
        path_pop(L, old);
        return -1;
    }
    if (nonempty && v->child == NULL) {
        err(L, dm_json_offset(v), "must not be empty");
        path_pop(L, old);
        return -1;
    }
    path_pop(L, old);
    *arr = v;
    return 1;
}

static size_t array_len(const cJSON *arr)
{
    size_t n = 0;
    const cJSON *c;
    if (arr == NULL)
        return 0;
    for (c = arr->child; c != NULL; c = c->next)
        n++;
    return n;
}

/* Check an id string at v (path current).  `principal` forbids "/". */
static int id_ok(ld *L, const cJSON *v, int principal)
{
    const char *s;
    size_t i, n;
    if (!cJSON_IsString(v)) {
        expected(L, v, "a string");
        return 0;
    }
    s = v->valuestring;
    n = strlen(s);
    if (n == 0) {
        err(L, dm_json_offset(v), "an id must not be empty");
        return 0;
    }
    if (n > DM_LIMIT_ID_BYTES) {
        err(L, dm_json_offset(v), "an id must be at most %d bytes, this one has %zu",
            DM_LIMIT_ID_BYTES, n);
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            err(L, dm_json_offset(v), "an id must not contain control characters");
            return 0;
        }
    }
    if (principal && strchr(s, '/') != NULL) {
        quoted qq;
        err(L, dm_json_offset(v), "\"/\" is not allowed in an id (%s): it separates item names",
            q(&qq, s));
        return 0;
    }
    return 1;
}

/* The id member: a copy in *out (NULL if bad). */
static int get_id(ld *L, const cJSON *obj, int principal, char **out)
{
    const cJSON *v;
    size_t old;
    int ok;
    *out = NULL;
    if (!need(L, obj, "id", 1, &v))
        return 0;
    old = path_member(L, "id");
    ok = id_ok(L, v, principal);
    path_pop(L, old);
    if (!ok)
        return 0;
    *out = dm_strdup(v->valuestring);
    if (*out == NULL) {
        L->nomem = 1;
        return 0;
    }
    return 1;
}

/* Check every element of a string array is unique (path current = the
 * array).  Small arrays pairwise, big ones through a map. */
static void check_unique(ld *L, const cJSON *arr)
{
    const cJSON *a, *b;
    size_t i, j, n = array_len(arr);
    quoted qq;

    if (n <= 16) {
        for (a = arr->child, i = 0; a != NULL; a = a->next, i++) {
            if (!cJSON_IsString(a))
                continue;
            for (b = arr->child, j = 0; b != a; b = b->next, j++) {
                if (cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0) {
                    size_t old = path_index(L, i);
                    err(L, dm_json_offset(a), "%s is listed twice (first at index %zu)",
                        q(&qq, a->valuestring), j);
                    path_pop(L, old);
                    break;
                }
            }
        }
    } else {
        dm_idmap m;
        dm_idmap_init(&m);
        for (a = arr->child, i = 0; a != NULL; a = a->next, i++) {
            int found;
            uint32_t first;
            if (!cJSON_IsString(a))
                continue;
            if (dm_idmap_put(&m, a->valuestring, (uint32_t)i, &found, &first) != DM_OK) {
                L->nomem = 1;
                break;
            }
            if (found) {
                size_t old = path_index(L, i);
                err(L, dm_json_offset(a), "%s is listed twice (first at index %u)",
                    q(&qq, a->valuestring), (unsigned)first);
                path_pop(L, old);
            }
        }
        dm_idmap_free(&m);
    }
}

/* ---- references -------------------------------------------------------- */

static const char *tag_table(unsigned tag)
{
    static const char *const t[] = {"providers", "actors", "users", "groups"};
    return t[tag];
}

static const char *principal_kind_article(const dm_scenario *s, unsigned tag, dm_id idx)
{
    if (tag == TAG_PROVIDER)
        return "a provider";
    if (tag == TAG_USER)
        return "a user";
    if (tag == TAG_GROUP)
        return "a group";
    switch (s->actors[idx].kind) {
    case DM_ACTOR_GOVERNMENT:
        return "a government";
    case DM_ACTOR_ATTACKER:
        return "an attacker";
    case DM_ACTOR_AGENT:
        return "an agent";
    default:
        return "an actor";
    }
}

/* Register a principal/group id; an error naming both places on a clash. */
static void register_principal(ld *L, const char *id, unsigned tag, size_t idx, size_t off)
{
    int found;
    uint32_t old;
    quoted qq;
    size_t old_path;
    if (id == NULL)
        return;
    old_path = path_member(L, "id");
    if (dm_idmap_put(&L->principals, id, ((uint32_t)tag << TAG_SHIFT) | (uint32_t)idx, &found,
                     &old) != DM_OK) {
        L->nomem = 1;
    } else if (found) {
        err(L, off, "id %s is already used by %s[%u]", q(&qq, id), tag_table(old >> TAG_SHIFT),
            (unsigned)(old & TAG_MASK));
    }
    path_pop(L, old_path);
}

static int lookup_principal(const ld *L, const char *name, unsigned *tag, dm_id *idx)
{
    uint32_t v;
    if (!dm_idmap_get(&L->principals, name, &v))
        return 0;
    *tag = v >> TAG_SHIFT;
    *idx = v & TAG_MASK;
    return 1;
}

static int resolve_region(ld *L, const cJSON *v, dm_id *out)
{
    uint32_t idx;
    quoted qq;
    sugg g;
    char sb[300];
    size_t i;
    if (!cJSON_IsString(v)) {
        expected(L, v, "a region id (a string)");
        return -1;
    }
    if (dm_idmap_get(&L->regions, v->valuestring, &idx)) {
        *out = idx;
        return 0;
    }
    if (L->no_regions)
        return -1;
    sugg_init(&g, v->valuestring);
    for (i = 0; i < L->s->n_regions && !nearly_full(L); i++)
        if (L->s->regions[i] != NULL)
            sugg_try(&g, L->s->regions[i]);
    err(L, dm_json_offset(v), "unknown region %s%s", q(&qq, v->valuestring),
        sugg_text(&g, sb, sizeof(sb)));
    return -1;
}

/* What a principal reference may name. */
enum {
    WANT_PROVIDER = 1,
    WANT_GOVERNMENT = 2,
    WANT_OTHER_ACTOR = 4,
    WANT_USER = 8,
    WANT_GROUP = 16,
    WANT_PRINCIPAL = WANT_PROVIDER | WANT_GOVERNMENT | WANT_OTHER_ACTOR | WANT_USER
};

static int wanted(const dm_scenario *s, unsigned tag, dm_id idx, int want)
{
    switch (tag) {
    case TAG_PROVIDER:
        return (want & WANT_PROVIDER) != 0;
    case TAG_USER:
        return (want & WANT_USER) != 0;
    case TAG_GROUP:
        return (want & WANT_GROUP) != 0;
    default:
        if (s->actors[idx].kind == DM_ACTOR_GOVERNMENT)
            return (want & (WANT_GOVERNMENT | WANT_OTHER_ACTOR)) != 0;
        return (want & WANT_OTHER_ACTOR) != 0;
    }
}

static const char *want_name(int want)
{
    switch (want) {
    case WANT_PROVIDER:
        return "provider";
    case WANT_GOVERNMENT:
        return "government";
    case WANT_USER:
        return "user";
    case WANT_GROUP:
        return "group";
    default:
        return "principal";
    }
}

/* Offer the nearest id among the principals `want` allows. */
static void suggest_principal(ld *L, sugg *g, int want)
{
    const dm_scenario *s = L->s;
    size_t i;
    if (nearly_full(L))
        return;
    if (want & WANT_PROVIDER)
        for (i = 0; i < s->n_providers; i++)
            if (s->providers[i].id)
                sugg_try(g, s->providers[i].id);
    if (want & (WANT_GOVERNMENT | WANT_OTHER_ACTOR))
        for (i = 0; i < s->n_actors; i++)
            if (s->actors[i].id && wanted(s, TAG_ACTOR, (dm_id)i, want))
                sugg_try(g, s->actors[i].id);
    if (want & WANT_USER)
        for (i = 0; i < s->n_users; i++)
            if (s->users[i].id)
                sugg_try(g, s->users[i].id);
    if (want & WANT_GROUP)
        for (i = 0; i < s->n_groups; i++)
            if (s->groups[i].id)
                sugg_try(g, s->groups[i].id);
}

/* Resolve v to a principal or group of the kinds in `want`. */
static int resolve_ref(ld *L, const cJSON *v, int want, unsigned *tag_out, dm_id *idx_out)
{
    unsigned t;
    dm_id i;
    unsigned *tag = &t;
    dm_id *idx = &i;
    quoted qq;
    sugg g;
    char sb[300];
    if (!cJSON_IsString(v)) {
        char what[64];
        snprintf(what, sizeof(what), "a %s id (a string)", want_name(want));
        expected(L, v, what);
        return -1;
    }
    if (lookup_principal(L, v->valuestring, tag, idx)) {
        if (wanted(L->s, *tag, *idx, want)) {
            *tag_out = t;
            *idx_out = i;
            return 0;
        }
        err(L, dm_json_offset(v), "%s is %s, not a %s", q(&qq, v->valuestring),
            principal_kind_article(L->s, *tag, *idx), want_name(want));
        return -1;
    }
    sugg_init(&g, v->valuestring);
    suggest_principal(L, &g, want);
    err(L, dm_json_offset(v), "unknown %s %s%s", want_name(want), q(&qq, v->valuestring),
        sugg_text(&g, sb, sizeof(sb)));
    return -1;
}

static int resolve_principal(ld *L, const cJSON *v, int want, dm_principal *out)
{
    unsigned tag;
    dm_id idx;
    if (resolve_ref(L, v, want, &tag, &idx) < 0)
        return -1;
    out->idx = idx;
    if (tag == TAG_PROVIDER)
        out->kind = DM_ACTOR_PROVIDER;
    else if (tag == TAG_USER)
        out->kind = DM_ACTOR_USER;
    else
        out->kind = L->s->actors[idx].kind;
    return 0;
}

static int resolve_one(ld *L, const cJSON *v, int want, dm_id *out)
{
    unsigned tag;
    return resolve_ref(L, v, want, &tag, out);
}

/* "dev<i>" with i a canonical decimal: i, else 0. */
static uint32_t dev_index(const char *suffix)
{
    uint32_t i = 0;
    const char *p;
    if (strncmp(suffix, "dev", 3) != 0 || suffix[3] < '1' || suffix[3] > '9')
        return 0;
    for (p = suffix + 3; *p; p++) {
        if (*p < '0' || *p > '9' || i > 100000)
            return 0;
        i = i * 10 + (uint32_t)(*p - '0');
    }
    return i;
}

/* Split "<owner>.<suffix>" at the last '.' with a known owner. */
static int split_owner(const ld *L, const char *name, unsigned *tag, dm_id *idx,
                       const char **suffix)
{
    const char *dot = strrchr(name, '.');
    char owner[DM_LIMIT_ID_BYTES + 1];
    size_t n;
    if (dot == NULL)
        return 0;
    n = (size_t)(dot - name);
    if (n == 0 || n > DM_LIMIT_ID_BYTES)
        return 0;
    memcpy(owner, name, n);
    owner[n] = '\0';
    *suffix = dot + 1;
    return lookup_principal(L, owner, tag, idx);
}

/* Resolve a preset key name.  1: found; 0: not a preset name; -1: the
 * owner exists but the key does not (why[] says why, may be empty). */
static int preset_key_(const ld *L, const char *name, dm_keyref *out, char *why, size_t cap);

static int preset_key(const ld *L, const char *name, dm_keyref *out_final, char *why, size_t cap)
{
    dm_keyref ref, *out = &ref;
    int r = preset_key_(L, name, out, why, cap);
    if (r > 0)
        *out_final = ref;
    return r;
}

static int preset_key_(const ld *L, const char *name, dm_keyref *out, char *why, size_t cap)
{
    const dm_scenario *s = L->s;
    unsigned tag;
    dm_id idx;
    const char *suf;
    uint32_t dev;
    quoted qa;

    why[0] = '\0';
    if (!split_owner(L, name, &tag, &idx, &suf))
        return 0;
    out->idx = idx;
    out->sub = 0;
    if (tag == TAG_USER) {
        const dm_user *u = &s->users[idx];
        dev = dev_index(suf);
        if (strcmp(suf, "dk") != 0 && dev == 0)
            return -1;
        if (u->devices == 0) {
            snprintf(why, cap, "%s is an explicit user (no provider) and has no preset keys",
                     q(&qa, u->id));
            return -1;
        }
        if (dev == 0) {
            out->kind = DM_KEYREF_DK;
            return 1;
        }
        if (dev > u->devices) {
            snprintf(why, cap, "%s has %u device%s", q(&qa, u->id), (unsigned)u->devices,
                     u->devices == 1 ? "" : "s");
            return -1;
        }
        out->kind = DM_KEYREF_DEV;
        out->sub = dev;
        return 1;
    }
    if (tag == TAG_GROUP) {
        if (strcmp(suf, "gk") != 0)
            return -1;
        out->kind = DM_KEYREF_GK;
        return 1;
    }
    if (tag == TAG_PROVIDER) {
        if (strcmp(suf, "hsm") != 0)
            return -1;
        out->kind = DM_KEYREF_HSM;
        return 1;
    }
    if (strcmp(suf, "ghost") != 0)
        return -1;
    if (!L->ghosted[idx]) {
        snprintf(why, cap, "no ghost event is by %s", q(&qa, s->actors[idx].id));
        return -1;
    }
    out->kind = DM_KEYREF_GHOST;
    return 1;
}

/* Offer the preset keys of a principal or group. */
static void suggest_presets_of(const ld *L, sugg *g, unsigned tag, dm_id idx)
{
    const dm_scenario *s = L->s;
    char dev[16];
    uint32_t d;
    if (tag == TAG_USER && s->users[idx].devices != 0) {
        sugg_try2(g, s->users[idx].id, ".dk");
        for (d = 1; d <= s->users[idx].devices; d++) {
            snprintf(dev, sizeof(dev), ".dev%u", (unsigned)d);
            sugg_try2(g, s->users[idx].id, dev);
        }
    } else if (tag == TAG_GROUP) {
        sugg_try2(g, s->groups[idx].id, ".gk");
    } else if (tag == TAG_PROVIDER) {
        sugg_try2(g, s->providers[idx].id, ".hsm");
    } else if (tag == TAG_ACTOR && L->ghosted[idx]) {
        sugg_try2(g, s->actors[idx].id, ".ghost");
    }
}

static int resolve_key(ld *L, const cJSON *v, dm_keyref *out)
{
    uint32_t idx;
    char why[400], sb[300];
    quoted qq;
    sugg g;
    const char *name;
    int r;
    unsigned tag;
    dm_id pidx;
    const char *suf;

    if (!cJSON_IsString(v)) {
        expected(L, v, "a key id (a string)");
        return -1;
    }
    name = v->valuestring;
    if (dm_idmap_get(&L->keys, name, &idx)) {
        out->kind = DM_KEYREF_DECLARED;
        out->idx = idx;
        out->sub = 0;
        return 0;
    }
    r = preset_key(L, name, out, why, sizeof(why));
    if (r > 0)
        return 0;
    if (why[0] != '\0') {
        err(L, dm_json_offset(v), "unknown key %s: %s", q(&qq, name), why);
        return -1;
    }
    sugg_init(&g, name);
    if (!nearly_full(L)) {
        size_t i;
        for (i = 0; i < L->s->n_keys; i++)
            if (L->s->keys[i].id)
                sugg_try(&g, L->s->keys[i].id);
        if (split_owner(L, name, &tag, &pidx, &suf)) {
            /* A known owner with a wrong suffix: its nearest preset key. */
            if (g.score > 2) {
                g.limit = 3;
                suggest_presets_of(L, &g, tag, pidx);
            }
        } else {
            const char *dot = strrchr(name, '.');
            if (dot != NULL && g.score > 2) {
                /* An unknown owner: the nearest owner with that suffix. */
                char owner[DM_LIMIT_ID_BYTES * 2 + 8];
                size_t n = (size_t)(dot - name);
                const dm_scenario *s = L->s;
                sugg h;
                if (n < sizeof(owner)) {
                    memcpy(owner, name, n);
                    owner[n] = '\0';
                    sugg_init(&h, owner);
                    if (strcmp(dot, ".dk") == 0 || dev_index(dot + 1) > 0) {
                        for (i = 0; i < s->n_users; i++)
                            if (s->users[i].id && s->users[i].devices != 0)
                                sugg_try(&h, s->users[i].id);
                    } else if (strcmp(dot, ".gk") == 0) {
                        for (i = 0; i < s->n_groups; i++)
                            if (s->groups[i].id)
                                sugg_try(&h, s->groups[i].id);
                    } else if (strcmp(dot, ".hsm") == 0) {
                        for (i = 0; i < s->n_providers; i++)
                            if (s->providers[i].id)
                                sugg_try(&h, s->providers[i].id);
                    } else if (strcmp(dot, ".ghost") == 0) {
                        for (i = 0; i < s->n_actors; i++)
                            if (s->actors[i].id && L->ghosted[i])
                                sugg_try(&h, s->actors[i].id);
                    }
                    if (h.score <= 2)
                        sugg_take(&g, h.best, dot, h.score);
                }
            }
        }
    }
    err(L, dm_json_offset(v), "unknown key %s%s", q(&qq, name), sugg_text(&g, sb, sizeof(sb)));
    return -1;
}

static int resolve_store(ld *L, const cJSON *v, dm_storeref *out)
{
    unsigned tag;
    dm_id idx;
    const char *suf;
    quoted qq, qb;
    sugg g;
    char sb[300];

    if (!cJSON_IsString(v)) {
        expected(L, v, "a store name (a string)");
        return -1;
    }
    if (lookup_principal(L, v->valuestring, &tag, &idx)) {
        if (tag == TAG_GROUP) {
            err(L, dm_json_offset(v), "%s is a group, not a store", q(&qq, v->valuestring));
            return -1;
        }
        out->owner.idx = idx;
        out->owner.kind = tag == TAG_PROVIDER ? DM_ACTOR_PROVIDER
                          : tag == TAG_USER   ? DM_ACTOR_USER
                                              : L->s->actors[idx].kind;
        out->device = 0;
        return 0;
    }
    if (split_owner(L, v->valuestring, &tag, &idx, &suf) && tag == TAG_USER) {
        uint32_t dev = dev_index(suf);
        const dm_user *u = &L->s->users[idx];
        if (dev > 0) {
            if (u->devices == 0) {
                err(L, dm_json_offset(v), "unknown store %s: %s is an explicit user (no provider) and has no devices",
                    q(&qq, v->valuestring), q(&qb, u->id));
                return -1;
            }
            if (dev > u->devices) {
                err(L, dm_json_offset(v), "unknown store %s: %s has %u device%s",
                    q(&qq, v->valuestring), q(&qb, u->id), (unsigned)u->devices,
                    u->devices == 1 ? "" : "s");
                return -1;
            }
            out->owner.kind = DM_ACTOR_USER;
            out->owner.idx = idx;
            out->device = dev;
            return 0;
        }
    }
    sugg_init(&g, v->valuestring);
    suggest_principal(L, &g, WANT_PRINCIPAL);
    if (g.score > 2 && split_owner(L, v->valuestring, &tag, &idx, &suf) && tag == TAG_USER &&
        L->s->users[idx].devices != 0) {
        /* A known user with a wrong device: its nearest device store. */
        char dev[16];
        uint32_t d;
        g.limit = 3;
        for (d = 1; d <= L->s->users[idx].devices; d++) {
            snprintf(dev, sizeof(dev), ".dev%u", (unsigned)d);
            sugg_try2(&g, L->s->users[idx].id, dev);
        }
    }
    err(L, dm_json_offset(v), "unknown store %s%s", q(&qq, v->valuestring),
        sugg_text(&g, sb, sizeof(sb)));
    return -1;
}

/* Resolve every element of a string array into out[] through `one`. */
typedef int (*resolve_fn)(ld *L, const cJSON *v, void *out, int want);

static int res_region(ld *L, const cJSON *v, void *out, int want)
{
    (void)want;
    return resolve_region(L, v, out);
}
static int res_one(ld *L, const cJSON *v, void *out, int want)
{
    return resolve_one(L, v, want, out);
}
static int res_principal(ld *L, const cJSON *v, void *out, int want)
{
    return resolve_principal(L, v, want, out);
}
static int res_store(ld *L, const cJSON *v, void *out, int want)
{
    (void)want;
    return resolve_store(L, v, out);
}

/* The array member `name` of obj resolved element by element into a new
 * array (*out, *n; owned by the caller).  0 ok or absent, -1 error. */
static int get_refs(ld *L, const cJSON *obj, const char *name, int required, int nonempty,
                    int unique, resolve_fn fn, int want, size_t elem, void **out, size_t *n)
{
    const cJSON *arr, *c;
    size_t old, i, cnt;
    int r, bad = 0;
    char *buf;

    *out = NULL;
    *n = 0;
    r = get_array(L, obj, name, required, nonempty, &arr);
    if (r <= 0)
        return r;
    cnt = array_len(arr);
    if (cnt == 0)
        return 0;
    buf = dm_calloc(cnt, elem);
    if (buf == NULL) {
        L->nomem = 1;
        return -1;
    }
    old = path_member(L, name);
    if (unique)
        check_unique(L, arr);
    for (c = arr->child, i = 0; c != NULL; c = c->next, i++) {
        size_t o2 = path_index(L, i);
        if (fn(L, c, buf + i * elem, want) < 0)
            bad = 1;
        path_pop(L, o2);
    }
    path_pop(L, old);
    *out = buf;
    *n = cnt;
    return bad ? -1 : 0;
}

/* An array of unique id strings copied into *out (item names, lesson). */
static int get_names(ld *L, const cJSON *obj, const char *name, int check_ids, char ***out,
                     size_t *n)
{
    const cJSON *arr, *c;
    size_t old, i, cnt;
    int r;

    r = get_array(L, obj, name, 0, 0, &arr);
    if (r <= 0)
        return r;
    cnt = array_len(arr);
    if (cnt == 0)
        return 0;
    *out = dm_calloc(cnt, sizeof(char *));
    if (*out == NULL) {
        L->nomem = 1;
        return -1;
    }
    *n = cnt;
    old = path_member(L, name);
    if (check_ids)
        check_unique(L, arr);
    for (c = arr->child, i = 0; c != NULL; c = c->next, i++) {
        size_t o2 = path_index(L, i);
        if (check_ids ? id_ok(L, c, 0) : cJSON_IsString(c)) {
            (*out)[i] = dm_strdup(c->valuestring);
            if ((*out)[i] == NULL)
                L->nomem = 1;
        } else if (!check_ids) {
            expected(L, c, "a string");
        }
        path_pop(L, o2);
    }
    path_pop(L, old);
    return 0;
}

/* ---- sections ---------------------------------------------------------- */

static void load_regions(ld *L, const cJSON *root)
{
    const cJSON *arr, *c;
    size_t i, n, old;
    if (get_array(L, root, "regions", 1, 1, &arr) <= 0) {
        L->no_regions = 1;
        return;
    }
    n = array_len(arr);
    L->s->regions = dm_calloc(n, sizeof(char *));
    if (L->s->regions == NULL) {
        L->nomem = 1;
        return;
    }
    L->s->n_regions = n;
    old = path_member(L, "regions");
    for (c = arr->child, i = 0; c != NULL; c = c->next, i++) {
        size_t o2 = path_index(L, i);
        if (id_ok(L, c, 0)) {
            int found;
            uint32_t first;
            L->s->regions[i] = dm_strdup(c->valuestring);
            if (L->s->regions[i] == NULL ||
                dm_idmap_put(&L->regions, L->s->regions[i], (uint32_t)i, &found, &first) != DM_OK) {
                L->nomem = 1;
            } else if (found) {
                quoted qq;
                err(L, dm_json_offset(c), "%s is listed twice (first at index %u)",
                    q(&qq, c->valuestring), (unsigned)first);
            }
        }
        path_pop(L, o2);
    }
    path_pop(L, old);
}

/* An entity array of the top level: its element count, 0 when absent or bad. */
static const cJSON *section(ld *L, const cJSON *root, const char *name, size_t *n)
{
    const cJSON *arr = NULL;
    *n = 0;
    if (get_array(L, root, name, 0, 0, &arr) <= 0)
        return NULL;
    *n = dm_json_count(arr);
    return arr;
}

static int entity_object(ld *L, const cJSON *o, const char *const *members)
{
    if (!cJSON_IsObject(o)) {
        expected(L, o, "an object");
        return 0;
    }
    check_members(L, o, members, NULL, NULL);
    return 1;
}

static void load_provider(ld *L, const cJSON *o, size_t i)
{
    dm_provider *p = &L->s->providers[i];
    void *regs;
    p->offset = dm_json_offset(o);
    if (!entity_object(L, o, provider_members))
        return;
    if (get_id(L, o, 1, &p->id))
        register_principal(L, p->id, TAG_PROVIDER, i,
                           dm_json_offset(member(o, "id")));
    get_refs(L, o, "regions", 1, 1, 1, res_region, 0, sizeof(dm_id), &regs, &p->n_regions);
    p->regions = regs;
}

static int operates_in(const dm_provider *p, dm_id region)
{
    size_t i;
    for (i = 0; i < p->n_regions; i++)
        if (p->regions[i] == region)
            return 1;
    return 0;
}

static void load_user(ld *L, const cJSON *o, size_t i)
{
    dm_user *u = &L->s->users[i];
    const cJSON *v, *prov;
    const char *str;
    int64_t n;
    size_t old;

    u->offset = dm_json_offset(o);
    u->region = DM_NONE;
    u->provider = DM_NONE;
    u->count = 1;
    if (!entity_object(L, o, user_members))
        return;
    if (get_id(L, o, 1, &u->id))
        register_principal(L, u->id, TAG_USER, i, dm_json_offset(member(o, "id")));
    if (need(L, o, "region", 1, &v)) {
        old = path_member(L, "region");
        resolve_region(L, v, &u->region);
        path_pop(L, old);
    }
    prov = member(o, "provider");
    if (prov != NULL) {
        old = path_member(L, "provider");
        resolve_one(L, prov, WANT_PROVIDER, &u->provider);
        path_pop(L, old);
        u->devices = 1;
    }
    if (need(L, o, "protection", prov != NULL, &v)) {
        if (prov == NULL) {
            err_in(L, "protection", dm_json_offset(v),
                   "only a user with a provider has a protection");
        } else if (get_string(L, o, "protection", 1, &str) > 0) {
            if (strcmp(str, "e2ee") == 0)
                u->protection = DM_PROTECTION_E2EE;
            else if (strcmp(str, "provider") == 0)
                u->protection = DM_PROTECTION_PROVIDER;
            else {
                quoted qq;
                err_in(L, "protection", dm_json_offset(v),
                       "unknown protection %s (expected \"e2ee\" or \"provider\")", q(&qq, str));
            }
        }
    }
    if ((v = member(o, "devices")) != NULL) {
        if (prov == NULL)
            err_in(L, "devices", dm_json_offset(v), "only a user with a provider has devices");
        else if (get_int(L, o, "devices", 1, 1, DM_LIMIT_DEVICES, &n) > 0)
            u->devices = (uint32_t)n;
    }
    if (get_int(L, o, "count", 0, 1, (double)DM_LIMIT_COUNT, &n) > 0) {
        u->count = (uint64_t)n;
    }
    if (L->s->people > UINT64_MAX - u->count) {
        err_in(L, "count", member(o, "count") ? dm_json_offset(member(o, "count")) : u->offset,
               "the total number of people exceeds %llu", (unsigned long long)UINT64_MAX);
        L->limit = 1;
    } else {
        L->s->people += u->count;
    }
    if ((v = member(o, "items")) != NULL) {
        if (prov == NULL)
            err_in(L, "items", dm_json_offset(v),
                   "only a user with a provider has preset items (declare an explicit user's items in items[])");
        else
            get_names(L, o, "items", 1, &u->items, &u->n_items);
    }
    if (u->provider != DM_NONE && u->region != DM_NONE &&
        !operates_in(&L->s->providers[u->provider], u->region)) {
        quoted qa, qb;
        old = path_member(L, "provider");
        warn(L, dm_json_offset(prov), "provider %s does not operate in region %s; the user is served normally",
             q(&qa, L->s->providers[u->provider].id), q(&qb, L->s->regions[u->region]));
        path_pop(L, old);
    }
}

static void load_group(ld *L, const cJSON *o, size_t i)
{
    dm_group *g = &L->s->groups[i];
    const cJSON *v, *arr, *c;
    size_t old, k;

    g->offset = dm_json_offset(o);
    g->provider = DM_NONE;
    if (!entity_object(L, o, group_members))
        return;
    if (get_id(L, o, 1, &g->id))
        register_principal(L, g->id, TAG_GROUP, i, dm_json_offset(member(o, "id")));
    if (get_array(L, o, "members", 1, 1, &arr) > 0) {
        g->n_members = array_len(arr);
        g->members = dm_calloc(g->n_members, sizeof(dm_id));
        if (g->members == NULL) {
            L->nomem = 1;
            g->n_members = 0;
        } else {
            old = path_member(L, "members");
            check_unique(L, arr);
            for (c = arr->child, k = 0; c != NULL; c = c->next, k++) {
                size_t o2 = path_index(L, k);
                g->members[k] = DM_NONE;
                if (resolve_one(L, c, WANT_USER, &g->members[k]) == 0 &&
                    L->s->users[g->members[k]].devices == 0) {
                    quoted qq;
                    err(L, dm_json_offset(c),
                        "%s is an explicit user (no provider) and cannot be a member of a preset group",
                        q(&qq, c->valuestring));
                    g->members[k] = DM_NONE;
                }
                path_pop(L, o2);
            }
            path_pop(L, old);
        }
    }
    if (need(L, o, "provider", 1, &v)) {
        old = path_member(L, "provider");
        resolve_one(L, v, WANT_PROVIDER, &g->provider);
        path_pop(L, old);
    }
    get_names(L, o, "items", 1, &g->items, &g->n_items);
}

static void load_actor(ld *L, const cJSON *o, size_t i)
{
    dm_actor *a = &L->s->actors[i];
    const char *kind;
    const cJSON *v;
    size_t old;
    int has_kind;

    a->offset = dm_json_offset(o);
    a->region = DM_NONE;
    a->kind = DM_ACTOR_ATTACKER;
    if (!entity_object(L, o, actor_members))
        return;
    if (get_id(L, o, 1, &a->id))
        register_principal(L, a->id, TAG_ACTOR, i, dm_json_offset(member(o, "id")));
    has_kind = get_string(L, o, "kind", 1, &kind) > 0;
    if (has_kind) {
        if (strcmp(kind, "government") == 0)
            a->kind = DM_ACTOR_GOVERNMENT;
        else if (strcmp(kind, "attacker") == 0)
            a->kind = DM_ACTOR_ATTACKER;
        else if (strcmp(kind, "agent") == 0)
            a->kind = DM_ACTOR_AGENT;
        else {
            quoted qq;
            err_in(L, "kind", dm_json_offset(member(o, "kind")),
                   "unknown actor kind %s (expected \"government\", \"attacker\" or \"agent\")",
                   q(&qq, kind));
            has_kind = 0;
        }
    }
    if (need(L, o, "region", has_kind && a->kind == DM_ACTOR_GOVERNMENT, &v)) {
        old = path_member(L, "region");
        resolve_region(L, v, &a->region);
        path_pop(L, old);
    }
}

static void load_key(ld *L, const cJSON *o, size_t i)
{
    dm_key *k = &L->s->keys[i];
    const char *type;
    const cJSON *sh;
    void *arr;
    size_t old;

    k->offset = dm_json_offset(o);
    if (!entity_object(L, o, key_members))
        return;
    if (get_id(L, o, 0, &k->id)) {
        dm_keyref ref;
        char why[400];
        quoted qq;
        size_t off = dm_json_offset(member(o, "id"));
        if (preset_key(L, k->id, &ref, why, sizeof(why)) > 0) {
            err_in(L, "id", off, "%s is the name of a preset key; choose another id",
                   q(&qq, k->id));
        } else {
            int found;
            uint32_t first;
            if (dm_idmap_put(&L->keys, k->id, (uint32_t)i, &found, &first) != DM_OK)
                L->nomem = 1;
            else if (found)
                err_in(L, "id", off, "key id %s is already used by keys[%u]", q(&qq, k->id),
                       (unsigned)first);
        }
    }
    if (get_string(L, o, "type", 1, &type) > 0) {
        if (strcmp(type, "symmetric") == 0)
            k->type = DM_KEY_SYMMETRIC;
        else if (strcmp(type, "keypair") == 0)
            k->type = DM_KEY_KEYPAIR;
        else {
            quoted qq;
            err_in(L, "type", dm_json_offset(member(o, "type")),
                   "unknown key type %s (expected \"symmetric\" or \"keypair\")", q(&qq, type));
        }
    }
    get_refs(L, o, "holders", 0, 0, 1, res_principal, WANT_PRINCIPAL, sizeof(dm_principal), &arr,
             &k->n_holders);
    k->holders = arr;
    if ((sh = member(o, "shares")) != NULL) {
        int64_t kk;
        old = path_member(L, "shares");
        if (!cJSON_IsObject(sh)) {
            expected(L, sh, "an object");
        } else {
            const cJSON *kv;
            check_members(L, sh, shares_members, NULL, NULL);
            get_refs(L, sh, "holders", 1, 1, 0, res_principal, WANT_PRINCIPAL,
                     sizeof(dm_principal), &arr, &k->n_shares);
            k->share_holders = arr;
            if (k->n_shares > SHARES_MAX)
                err_in(L, "holders", dm_json_offset(member(sh, "holders")),
                       "at most %d share holders, got %zu", SHARES_MAX, k->n_shares);
            if (get_int(L, sh, "k", 1, 1, SHARES_MAX, &kk) > 0) {
                kv = member(sh, "k");
                if (k->n_shares > 0 && (size_t)kk > k->n_shares)
                    err_in(L, "k", dm_json_offset(kv),
                           "k = %lld is more than the %zu share holder%s: the key could never be rebuilt",
                           (long long)kk, k->n_shares, k->n_shares == 1 ? "" : "s");
                else
                    k->share_k = (uint32_t)kk;
            }
        }
        path_pop(L, old);
    }
}

static void load_wrap(ld *L, const cJSON *o, size_t i)
{
    dm_wrap *w = &L->s->wraps[i];
    const cJSON *v;
    void *arr;
    size_t old;

    w->offset = dm_json_offset(o);
    if (!entity_object(L, o, wrap_members))
        return;
    if (need(L, o, "key", 1, &v)) {
        old = path_member(L, "key");
        resolve_key(L, v, &w->key);
        path_pop(L, old);
    }
    if (need(L, o, "under", 1, &v)) {
        old = path_member(L, "under");
        resolve_key(L, v, &w->under);
        path_pop(L, old);
    }
    get_refs(L, o, "at", 1, 1, 1, res_store, 0, sizeof(dm_storeref), &arr, &w->n_at);
    w->at = arr;
}

/* Is "<owner>/<item>" a preset item's name? */
static int preset_item(const ld *L, const char *name)
{
    const char *slash = strchr(name, '/');
    char owner[DM_LIMIT_ID_BYTES + 1];
    size_t n, i;
    unsigned tag;
    dm_id idx;
    char **items = NULL;
    size_t n_items = 0;

    if (slash == NULL || (n = (size_t)(slash - name)) == 0 || n > DM_LIMIT_ID_BYTES)
        return 0;
    memcpy(owner, name, n);
    owner[n] = '\0';
    if (!lookup_principal(L, owner, &tag, &idx))
        return 0;
    if (tag == TAG_USER) {
        items = L->s->users[idx].items;
        n_items = L->s->users[idx].n_items;
    } else if (tag == TAG_GROUP) {
        items = L->s->groups[idx].items;
        n_items = L->s->groups[idx].n_items;
    }
    for (i = 0; i < n_items; i++)
        if (items[i] != NULL && strcmp(items[i], slash + 1) == 0)
            return 1;
    return 0;
}

static void load_item(ld *L, const cJSON *o, size_t i)
{
    dm_item *it = &L->s->items[i];
    const cJSON *v;
    void *arr;
    size_t old;

    it->offset = dm_json_offset(o);
    if (!entity_object(L, o, item_members))
        return;
    if (get_id(L, o, 0, &it->id)) {
        quoted qq;
        size_t off = dm_json_offset(member(o, "id"));
        if (preset_item(L, it->id)) {
            err_in(L, "id", off, "%s is the name of a preset item; choose another id",
                   q(&qq, it->id));
        } else {
            int found;
            uint32_t first;
            if (dm_idmap_put(&L->items, it->id, (uint32_t)i, &found, &first) != DM_OK)
                L->nomem = 1;
            else if (found)
                err_in(L, "id", off, "item id %s is already used by items[%u]", q(&qq, it->id),
                       (unsigned)first);
        }
    }
    get_refs(L, o, "owners", 1, 1, 1, res_one, WANT_USER, sizeof(dm_id), &arr, &it->n_owners);
    it->owners = arr;
    if (need(L, o, "under", 1, &v)) {
        old = path_member(L, "under");
        resolve_key(L, v, &it->under);
        path_pop(L, old);
    }
    get_refs(L, o, "at", 1, 1, 1, res_store, 0, sizeof(dm_storeref), &arr, &it->n_at);
    it->at = arr;
}

/* ---- events ------------------------------------------------------------ */

static int load_scope(ld *L, const cJSON *v, dm_scope *sc)
{
    void *arr;
    int bad = 0;
    sc->given = 1;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "all") == 0) {
        sc->all = 1;
        return 0;
    }
    if (!cJSON_IsObject(v)) {
        if (cJSON_IsString(v)) {
            quoted qq;
            err(L, dm_json_offset(v), "unknown scope %s (expected \"all\" or an object with \"regions\" and/or \"users\")",
                q(&qq, v->valuestring));
        } else {
            expected(L, v, "\"all\" or an object");
        }
        return -1;
    }
    check_members(L, v, scope_members, NULL, NULL);
    if (member(v, "regions") == NULL && member(v, "users") == NULL) {
        err(L, dm_json_offset(v), "a scope needs \"regions\" or \"users\"");
        return -1;
    }
    if (get_refs(L, v, "regions", 0, 1, 1, res_region, 0, sizeof(dm_id), &arr, &sc->n_regions) < 0)
        bad = 1;
    sc->regions = arr;
    if (get_refs(L, v, "users", 0, 1, 1, res_one, WANT_USER, sizeof(dm_id), &arr, &sc->n_users) < 0)
        bad = 1;
    sc->users = arr;
    return bad ? -1 : 0;
}

/* Does an order's scope reach beyond region r (its authority's), with
 * users in the regions `where` they are at the order's time? */
static int extraterritorial(const dm_scenario *s, const dm_scope *sc, dm_id r, const dm_id *where)
{
    size_t i;
    if (sc->all)
        return s->n_regions > 1;
    for (i = 0; i < sc->n_regions; i++)
        if (sc->regions[i] != r)
            return 1;
    for (i = 0; i < sc->n_users; i++)
        if (sc->users[i] != DM_NONE && where[sc->users[i]] != r)
            return 1;
    return 0;
}

/* Warn about orders reaching beyond their authority's region, replaying
 * travels so a named user is judged where it is at the order's time.
 * Runs on the sorted events. */
static void check_extraterritorial(ld *L)
{
    dm_scenario *s = L->s;
    dm_id *where = NULL;
    size_t i;

    where = dm_calloc(s->n_users ? s->n_users : 1, sizeof(dm_id));
    if (where == NULL) {
        L->nomem = 1;
        return;
    }
    for (i = 0; i < s->n_users; i++)
        where[i] = s->users[i].region;
    for (i = 0; i < s->n_events; i++) {
        const dm_event *e = &s->events[i];
        if (e->kind == DM_EVENT_TRAVEL && e->user != DM_NONE && e->region != DM_NONE)
            where[e->user] = e->region;
        if (e->kind == DM_EVENT_ORDER && e->scope.given && e->by.idx != DM_NONE &&
            s->actors[e->by.idx].region != DM_NONE &&
            extraterritorial(s, &e->scope, s->actors[e->by.idx].region, where)) {
            quoted qq;
            size_t o1 = path_member(L, "events"), o2 = path_index(L, e->file_index);
            path_member(L, "scope");
            warn(L, L->scope_off[e->file_index],
                 "the scope reaches beyond the authority's region %s (extraterritorial order)",
                 q(&qq, s->regions[s->actors[e->by.idx].region]));
            path_pop(L, o2);
            path_pop(L, o1);
        }
    }
    dm_free(where);
}

/* Resolve member `name` of event o with `fn`; 0 ok, -1 error or absent. */
static int ev_ref(ld *L, const cJSON *o, const char *name, int required, resolve_fn fn, int want,
                  void *out)
{
    const cJSON *v;
    size_t old;
    int r;
    if (!need(L, o, name, required, &v))
        return -1;
    old = path_member(L, name);
    r = fn(L, v, out, want);
    path_pop(L, old);
    return r;
}

static int res_key(ld *L, const cJSON *v, void *out, int want)
{
    (void)want;
    return resolve_key(L, v, out);
}

static void load_event(ld *L, const cJSON *o, size_t i)
{
    dm_scenario *s = L->s;
    dm_event *e = &s->events[i];
    const char *str;
    const cJSON *v;
    int64_t n;
    int kind = -1;
    size_t old;

    e->offset = dm_json_offset(o);
    e->file_index = i;
    e->p = 1.0;
    e->provider = e->group = e->user = e->region = DM_NONE;
    e->by.idx = e->victim.idx = DM_NONE;
    e->key.idx = DM_NONE;
    e->store.owner.idx = DM_NONE;
    if (!cJSON_IsObject(o)) {
        expected(L, o, "an object");
        return;
    }
    if (get_string(L, o, "do", 1, &str) > 0) {
        for (kind = 0; event_kinds[kind] != NULL; kind++)
            if (strcmp(event_kinds[kind], str) == 0)
                break;
        if (event_kinds[kind] == NULL) {
            quoted qq;
            sugg g;
            char sb[300];
            size_t j;
            sugg_init(&g, str);
            for (j = 0; event_kinds[j] != NULL; j++)
                sugg_try(&g, event_kinds[j]);
            err_in(L, "do", dm_json_offset(member(o, "do")), "unknown event kind %s%s",
                   q(&qq, str), sugg_text(&g, sb, sizeof(sb)));
            kind = -1;
        }
    }
    if (kind >= 0) {
        e->kind = (dm_event_kind)kind;
        check_members(L, o, event_members[0], event_members[kind + 1], event_kinds[kind]);
    }
    if (get_int(L, o, "at", 1, -(double)DM_LIMIT_TIME, (double)DM_LIMIT_TIME, &n) > 0)
        e->at = n;
    if ((v = member(o, "p")) != NULL) {
        char lx[48];
        old = path_member(L, "p");
        if (!cJSON_IsNumber(v))
            expected(L, v, "a number");
        else if (!(v->valuedouble >= 0.0 && v->valuedouble <= 1.0))
            err(L, dm_json_offset(v), "a probability must be between 0 and 1, got %s",
                lexeme(L, v, lx, sizeof(lx)));
        else {
            e->p = v->valuedouble;
            e->has_p = 1;
        }
        path_pop(L, old);
    }
    if ((v = member(o, "id")) != NULL) {
        old = path_member(L, "id");
        if (id_ok(L, v, 0)) {
            int found;
            uint32_t first;
            e->id = dm_strdup(v->valuestring);
            if (e->id == NULL ||
                dm_idmap_put(&L->event_ids, e->id, (uint32_t)i, &found, &first) != DM_OK) {
                L->nomem = 1;
            } else if (found) {
                quoted qq;
                err(L, dm_json_offset(v), "event id %s is already used by events[%u]",
                    q(&qq, e->id), (unsigned)first);
            }
        }
        path_pop(L, old);
    }
    if (kind < 0)
        return;

    switch (e->kind) {
    case DM_EVENT_BACKDOOR:
        ev_ref(L, o, "provider", 1, res_one, WANT_PROVIDER, &e->provider);
        ev_ref(L, o, "key", 1, res_key, 0, &e->key);
        if (need(L, o, "scope", 1, &v)) {
            old = path_member(L, "scope");
            load_scope(L, v, &e->scope);
            path_pop(L, old);
        }
        break;
    case DM_EVENT_ORDER:
    case DM_EVENT_GHOST:
        if (++L->n_orders == DM_LIMIT_ORDERS + 1) {
            err(L, e->offset, "more than %d order and ghost events", DM_LIMIT_ORDERS);
            L->limit = 1;
        }
        ev_ref(L, o, "by", 1, res_principal, WANT_GOVERNMENT, &e->by);
        if (e->kind == DM_EVENT_GHOST) {
            ev_ref(L, o, "group", 1, res_one, WANT_GROUP, &e->group);
            break;
        }
        ev_ref(L, o, "provider", 1, res_one, WANT_PROVIDER, &e->provider);
        if (get_string(L, o, "demand", 0, &str) > 0) {
            if (strcmp(str, "keys") == 0)
                e->demand = DM_DEMAND_KEYS;
            else if (strcmp(str, "data") != 0) {
                quoted qq;
                err_in(L, "demand", dm_json_offset(member(o, "demand")),
                       "unknown demand %s (expected \"data\" or \"keys\")", q(&qq, str));
            }
        }
        if ((v = member(o, "scope")) != NULL) {
            old = path_member(L, "scope");
            if (load_scope(L, v, &e->scope) < 0)
                e->scope.given = 0; /* judged no further */
            L->scope_off[i] = dm_json_offset(v);
            path_pop(L, old);
        } else if (e->by.idx != DM_NONE && s->actors[e->by.idx].region != DM_NONE) {
            e->scope.regions = dm_malloc(sizeof(dm_id));
            if (e->scope.regions == NULL) {
                L->nomem = 1;
            } else {
                e->scope.regions[0] = s->actors[e->by.idx].region;
                e->scope.n_regions = 1;
            }
        }
        break;
    case DM_EVENT_STEAL:
        ev_ref(L, o, "by", 1, res_principal, WANT_PRINCIPAL, &e->by);
        ev_ref(L, o, "key", 1, res_key, 0, &e->key);
        if ((v = member(o, "share")) != NULL) {
            old = path_member(L, "share");
            if (e->key.idx != DM_NONE) {
                const dm_key *k = e->key.kind == DM_KEYREF_DECLARED ? &s->keys[e->key.idx] : NULL;
                if (k == NULL || k->n_shares == 0) {
                    quoted qq;
                    err(L, dm_json_offset(v), "key %s is not split into shares",
                        q(&qq, member(o, "key")->valuestring));
                } else if (int_value(L, v, 1, (double)k->n_shares, &n) == 0) {
                    e->share = (uint32_t)n;
                }
            } else {
                int_value(L, v, 1, SHARES_MAX, &n);
            }
            path_pop(L, old);
        }
        break;
    case DM_EVENT_BREACH:
        ev_ref(L, o, "by", 1, res_principal, WANT_PRINCIPAL, &e->by);
        ev_ref(L, o, "store", 1, res_store, 0, &e->store);
        break;
    case DM_EVENT_COMPROMISE:
        ev_ref(L, o, "by", 1, res_principal, WANT_PRINCIPAL, &e->by);
        ev_ref(L, o, "actor", 1, res_principal, WANT_PRINCIPAL, &e->victim);
        break;
    case DM_EVENT_TRAVEL:
        ev_ref(L, o, "user", 1, res_one, WANT_USER, &e->user);
        ev_ref(L, o, "region", 1, res_region, 0, &e->region);
        break;
    case DM_EVENT_DOWNGRADE:
        ev_ref(L, o, "provider", 1, res_one, WANT_PROVIDER, &e->provider);
        ev_ref(L, o, "region", 1, res_region, 0, &e->region);
        break;
    }
}

/* Mark the actors named as `by` of ghost events: "<actor>.ghost" exists. */
static void mark_ghost(ld *L, const cJSON *e, size_t i)
{
    const cJSON *d = member(e, "do"), *by = member(e, "by");
    unsigned tag;
    dm_id idx;
    (void)i;
    if (cJSON_IsObject(e) && cJSON_IsString(d) && strcmp(d->valuestring, "ghost") == 0 &&
        cJSON_IsString(by) && lookup_principal(L, by->valuestring, &tag, &idx) &&
        tag == TAG_ACTOR && L->s->actors[idx].kind == DM_ACTOR_GOVERNMENT)
        L->ghosted[idx] = 1;
}

/* Default ids "<do>@<at>", then ".2", ".3"... on clashes, in file order.
 * `last` maps each base to how far it has been numbered, so many events
 * at one time cost no quadratic probing. */
static void default_event_ids(ld *L)
{
    dm_scenario *s = L->s;
    dm_idmap last;
    char **bases = NULL;
    uint32_t *upto = NULL;
    size_t i, nb = 0;

    dm_idmap_init(&last);
    bases = dm_calloc(s->n_events ? s->n_events : 1, sizeof(char *));
    upto = dm_calloc(s->n_events ? s->n_events : 1, sizeof(uint32_t));
    if (bases == NULL || upto == NULL) {
        L->nomem = 1;
        goto out;
    }
    for (i = 0; i < s->n_events; i++) {
        dm_event *e = &s->events[i];
        char base[64], cand[80];
        uint32_t b, k, dummy;
        int found;
        if (e->id != NULL)
            continue;
        snprintf(base, sizeof(base), "%s@%lld", event_kinds[e->kind], (long long)e->at);
        if (!dm_idmap_get(&last, base, &b)) {
            b = (uint32_t)nb;
            bases[nb] = dm_strdup(base);
            if (bases[nb] == NULL)
                goto nomem;
            if (dm_idmap_put(&last, bases[nb], b, &found, NULL) != DM_OK) {
                nb++;
                goto nomem;
            }
            nb++;
        }
        for (k = upto[b] + 1;; k++) {
            if (k == 1)
                snprintf(cand, sizeof(cand), "%s", base);
            else
                snprintf(cand, sizeof(cand), "%s.%u", base, (unsigned)k);
            if (!dm_idmap_get(&L->event_ids, cand, &dummy))
                break;
        }
        upto[b] = k;
        e->id = dm_strdup(cand);
        if (e->id == NULL || dm_idmap_put(&L->event_ids, e->id, (uint32_t)i, &found, NULL) != DM_OK)
            goto nomem;
    }
    goto out;
nomem:
    L->nomem = 1;
out:
    dm_idmap_free(&last);
    for (i = 0; i < nb; i++)
        dm_free(bases[i]);
    dm_free(bases);
    dm_free(upto);
}

static int cmp_event(const void *a, const void *b)
{
    const dm_event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->file_index < y->file_index ? -1 : x->file_index > y->file_index;
}

/* Each user's groups, in file order of the groups. */
static void fill_user_groups(ld *L)
{
    dm_scenario *s = L->s;
    size_t g, m, u;
    for (g = 0; g < s->n_groups; g++)
        for (m = 0; m < s->groups[g].n_members; m++)
            if (s->groups[g].members[m] != DM_NONE)
                s->users[s->groups[g].members[m]].n_groups++;
    for (u = 0; u < s->n_users; u++) {
        if (s->users[u].n_groups == 0)
            continue;
        s->users[u].groups = dm_calloc(s->users[u].n_groups, sizeof(dm_id));
        if (s->users[u].groups == NULL) {
            L->nomem = 1;
            return;
        }
        s->users[u].n_groups = 0;
    }
    for (g = 0; g < s->n_groups; g++)
        for (m = 0; m < s->groups[g].n_members; m++)
            if (s->groups[g].members[m] != DM_NONE) {
                dm_user *us = &s->users[s->groups[g].members[m]];
                us->groups[us->n_groups++] = (dm_id)g;
            }
}

/* ---- the top level ----------------------------------------------------- */

static const char *base_name(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? slash + 1 : file;
}

/* Allocate a table of n entities of `size` bytes (NULL when n == 0). */
static void *table(ld *L, size_t n, size_t size)
{
    void *p;
    if (n == 0)
        return NULL;
    p = dm_calloc(n, size);
    if (p == NULL)
        L->nomem = 1;
    return p;
}

typedef void (*load_fn)(ld *L, const cJSON *o, size_t i);

/* Look-ahead hints: start loading the principal map's slots that the next
 * element will touch.  A million users make the map tens of MB, so each
 * insertion or lookup is a cache and TLB miss; issued one element early
 * (a microsecond or two of checking), the miss is over by then. */
static void hint_principal(ld *L, const cJSON *o)
{
    const cJSON *v = member(o, "id");
    if (v != NULL && cJSON_IsString(v))
        dm_idmap_prefetch(&L->principals, v->valuestring);
}

static void hint_group(ld *L, const cJSON *o)
{
    const cJSON *arr = member(o, "members"), *c;
    hint_principal(L, o);
    if (arr != NULL && cJSON_IsArray(arr))
        for (c = arr->child; c != NULL; c = c->next)
            if (cJSON_IsString(c))
                dm_idmap_prefetch(&L->principals, c->valuestring);
}

/* Run fn over every element of a section, lazy (parsed one element at a
 * time, one ahead for `hint`, NULL or a hint_*, and freed at once) or not. */
static void load_all(ld *L, const cJSON *arr, const char *name, load_fn fn,
                     void (*hint)(ld *L, const cJSON *o))
{
    const cJSON *c;
    size_t i, old;
    if (arr == NULL)
        return;
    old = path_member(L, name);
    if (dm_json_is_lazy(arr)) {
        dm_json_iter it;
        cJSON *e = NULL, *next = NULL;
        dm_json_iter_init(&it, L->text, L->len, arr);
        if (dm_json_iter_next(&it, &next) != DM_OK)
            L->nomem = 1;
        for (i = 0; !L->nomem && next != NULL; i++) {
            size_t o2;
            e = next;
            if (dm_json_iter_next(&it, &next) != DM_OK) {
                L->nomem = 1;
                break;
            }
            if (next != NULL && hint != NULL)
                hint(L, next);
            o2 = path_index(L, i);
            fn(L, e, i);
            path_pop(L, o2);
        }
        dm_json_iter_free(&it);
    } else {
        for (c = arr->child, i = 0; c != NULL && !L->nomem; c = c->next, i++) {
            size_t o2 = path_index(L, i);
            fn(L, c, i);
            path_pop(L, o2);
        }
    }
    path_pop(L, old);
}

static void load_tree(ld *L, const cJSON *root, const char *file)
{
    dm_scenario *s = L->s;
    const cJSON *v, *providers, *users, *groups, *actors, *keys, *wraps, *items, *events;
    size_t np, nu, ng, na, nk, nw, ni, ne;
    const char *str;

    if (!cJSON_IsObject(root)) {
        err(L, dm_json_offset(root), "a scenario must be a JSON object, got %s",
            dm_json_type_name(root));
        return;
    }
    check_members(L, root, top_members, NULL, NULL);
    if ((v = member(root, "doormat")) == NULL) {
        err(L, dm_json_offset(root), "missing required member \"doormat\" (the format version, 1)");
    } else if (cJSON_IsNumber(v) && v->valuedouble != 1.0) {
        char lx[48];
        err_in(L, "doormat", dm_json_offset(v), "unsupported format version %s (this is version 1)",
               lexeme(L, v, lx, sizeof(lx)));
    } else if (!cJSON_IsNumber(v)) {
        size_t old = path_member(L, "doormat");
        expected(L, v, "an integer");
        path_pop(L, old);
    }
    if (get_string(L, root, "title", 0, &str) > 0)
        s->title = dm_strdup(str);
    else
        s->title = dm_strdup(base_name(file));
    if (s->title == NULL)
        L->nomem = 1;
    if ((v = member(root, "lesson")) != NULL) {
        if (cJSON_IsString(v)) {
            s->lesson = dm_calloc(1, sizeof(char *));
            if (s->lesson == NULL || (s->lesson[0] = dm_strdup(v->valuestring)) == NULL)
                L->nomem = 1;
            else
                s->n_lesson = 1;
        } else if (cJSON_IsArray(v)) {
            get_names(L, root, "lesson", 0, &s->lesson, &s->n_lesson);
        } else {
            size_t old = path_member(L, "lesson");
            expected(L, v, "an array of strings or a string");
            path_pop(L, old);
        }
    }
    load_regions(L, root);

    providers = section(L, root, "providers", &np);
    users = section(L, root, "users", &nu);
    groups = section(L, root, "groups", &ng);
    actors = section(L, root, "actors", &na);
    keys = section(L, root, "keys", &nk);
    wraps = section(L, root, "wraps", &nw);
    items = section(L, root, "items", &ni);
    events = section(L, root, "events", &ne);
    if (nu + ng + nk + nw + ni > DM_LIMIT_ENTITIES || np + na > DM_LIMIT_ENTITIES) {
        err(L, dm_json_offset(root), "more than %d users, groups, keys, wraps and items",
            DM_LIMIT_ENTITIES);
        L->limit = 1;
        return;
    }
    if (ne > DM_LIMIT_EVENTS) {
        size_t old = path_member(L, "events");
        err(L, dm_json_offset(events), "more than %d events", DM_LIMIT_EVENTS);
        path_pop(L, old);
        L->limit = 1;
        return;
    }
    s->providers = table(L, np, sizeof(dm_provider));
    s->users = table(L, nu, sizeof(dm_user));
    s->groups = table(L, ng, sizeof(dm_group));
    s->actors = table(L, na, sizeof(dm_actor));
    s->keys = table(L, nk, sizeof(dm_key));
    s->wraps = table(L, nw, sizeof(dm_wrap));
    s->items = table(L, ni, sizeof(dm_item));
    s->events = table(L, ne, sizeof(dm_event));
    L->ghosted = dm_calloc(na ? na : 1, 1);
    L->scope_off = dm_calloc(ne ? ne : 1, sizeof(size_t));
    if (L->nomem || L->ghosted == NULL || L->scope_off == NULL ||
        dm_idmap_reserve(&L->principals, np + nu + ng + na) != DM_OK) {
        L->nomem = 1;
        return;
    }
    s->n_providers = np;
    s->n_users = nu;
    s->n_groups = ng;
    s->n_actors = na;
    s->n_keys = nk;
    s->n_wraps = nw;
    s->n_items = ni;
    s->n_events = ne;

    load_all(L, providers, "providers", load_provider, hint_principal);
    load_all(L, users, "users", load_user, hint_principal);
    load_all(L, groups, "groups", load_group, hint_group);
    load_all(L, actors, "actors", load_actor, hint_principal);
    load_all(L, events, "events", mark_ghost, NULL);
    load_all(L, keys, "keys", load_key, NULL);
    load_all(L, wraps, "wraps", load_wrap, NULL);
    load_all(L, items, "items", load_item, NULL);
    load_all(L, events, "events", load_event, NULL);
    if (L->nomem)
        return;
    fill_user_groups(L);
    if (L->n_errors == 0 && !L->nomem)
        default_event_ids(L);
    if (s->n_events > 1)
        qsort(s->events, s->n_events, sizeof(dm_event), cmp_event);
    if (!L->nomem)
        check_extraterritorial(L);
}

/* Diagnostics in document order: stable sort of the entries we added. */
static void sort_diags(dm_diag *d, size_t from)
{
    size_t i, j;
    for (i = from + 1; i < d->n; i++) {
        dm_diag_entry e = d->entries[i];
        for (j = i; j > from && d->entries[j - 1].offset != SIZE_MAX &&
                    (e.offset == SIZE_MAX ? 0 : d->entries[j - 1].offset > e.offset);
             j--)
            d->entries[j] = d->entries[j - 1];
        d->entries[j] = e;
    }
}

/* The sections that may hold millions of entries: read one at a time. */
static const char *const lazy_sections[] = {"providers", "users", "groups", "actors", "keys",
                                            "wraps", "items", "events", NULL};

dm_err dm_scenario_load(const char *text, size_t len, const char *file, dm_scenario **out,
                        dm_diag *diag)
{
    ld L;
    cJSON *root = NULL;
    dm_err err;
    size_t first = diag->n;

    memset(&L, 0, sizeof(L));
    L.text = text;
    L.len = len;
    L.diag = diag;
    dm_idmap_init(&L.regions);
    dm_idmap_init(&L.principals);
    dm_idmap_init(&L.keys);
    dm_idmap_init(&L.items);
    dm_idmap_init(&L.event_ids);
    if (file == NULL)
        file = "<input>";
    if (diag->text == NULL) {
        diag->text = text;
        diag->len = len;
    }

    err = dm_json_parse_lazy(text, len, lazy_sections, &root, diag);
    if (err != DM_OK)
        goto out;
    L.s = dm_calloc(1, sizeof(dm_scenario));
    if (L.s == NULL || (L.s->file = dm_strdup(file)) == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    load_tree(&L, root, file);
    if (L.warnings_dropped > 0 &&
        dm_diag_add(diag, DM_SEV_NOTE, SIZE_MAX, NULL, "%zu more warnings not shown",
                    L.warnings_dropped) != DM_OK)
        L.nomem = 1;
    sort_diags(diag, first);
    if (L.nomem)
        err = DM_ERR_NOMEM;
    else if (L.limit)
        err = DM_ERR_LIMIT;
    else if (L.n_errors > 0)
        err = DM_ERR_SCENARIO;
    if (err == DM_OK) {
        *out = L.s;
        L.s = NULL;
    }
out:
    cJSON_Delete(root);
    dm_scenario_free(L.s);
    dm_free(L.ghosted);
    dm_free(L.scope_off);
    dm_idmap_free(&L.regions);
    dm_idmap_free(&L.principals);
    dm_idmap_free(&L.keys);
    dm_idmap_free(&L.items);
    dm_idmap_free(&L.event_ids);
    return err;
}

dm_err dm_scenario_load_file(const char *path, dm_scenario **out, char **text_out,
                             size_t *len_out, dm_diag *diag)
{
    FILE *f = NULL;
    char *buf = NULL, *nb;
    size_t len = 0, cap = 0, got;
    dm_err err = DM_OK;
    int borrowed = 0;

    f = fopen(path, "rb");
    if (f == NULL) {
        err = dm_diag_add(diag, DM_SEV_ERROR, SIZE_MAX, NULL, "cannot open %s: %s", path,
                          strerror(errno));
        err = err == DM_OK ? DM_ERR_IO : err;
        goto out;
    }
    for (;;) {
        if (len == cap) {
            /* Grow to at most one byte past the limit: enough to know. */
            size_t ncap = cap ? cap * 2 : 65536;
            if (cap > DM_LIMIT_FILE_BYTES) {
                err = dm_diag_add(diag, DM_SEV_ERROR, SIZE_MAX, NULL,
                                  "%s is larger than the limit of 1 GiB", path);
                err = err == DM_OK ? DM_ERR_LIMIT : err;
                goto out;
            }
            if (ncap > DM_LIMIT_FILE_BYTES + 1)
                ncap = DM_LIMIT_FILE_BYTES + 1;
            nb = dm_realloc(buf, ncap + 1);
            if (nb == NULL) {
                err = DM_ERR_NOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                err = dm_diag_add(diag, DM_SEV_ERROR, SIZE_MAX, NULL, "cannot read %s: %s", path,
                                  strerror(errno));
                err = err == DM_OK ? DM_ERR_IO : err;
                goto out;
            }
            break;
        }
    }
    if (buf == NULL && (buf = dm_malloc(1)) == NULL) {
        err = DM_ERR_NOMEM;
        goto out;
    }
    buf[len] = '\0';
    if (diag->text == NULL) {
        diag->text = buf;
        diag->len = len;
        borrowed = 1;
    }
    err = dm_scenario_load(buf, len, path, out, diag);
    if (text_out != NULL) {
        *text_out = buf;
        if (len_out != NULL)
            *len_out = len;
        buf = NULL;
    } else if (borrowed) {
        diag->text = NULL;
        diag->len = 0;
    }
out:
    if (f != NULL)
        fclose(f);
    dm_free(buf);
    return err;
}
