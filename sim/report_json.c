/* report_json.c - the JSON report (docs/report-format.md), streamed without a tree. */
#include "doormat/report.h"

#include <string.h>

#include "doormat/crypto.h"
#include "doormat/world.h"
#include "json_write.h"
#include "report_util.h"

static void put_exposure(dm_jw *j, const dm_run *r, const dm_exposure *e)
{
    size_t i;

    dm_jw_open(j, '{', 0);
    dm_jw_key(j, "users");
    dm_jw_u64(j, e->users);
    dm_jw_key(j, "beyond_law");
    dm_jw_u64(j, e->beyond_law);
    dm_jw_key(j, "by_region");
    dm_jw_open(j, '{', 0);
    for (i = 0; i < r->sc->n_regions; i++) {
        dm_jw_key(j, r->sc->regions[i]);
        dm_jw_open(j, '{', 1);
        dm_jw_key(j, "users");
        dm_jw_u64(j, e->by_region ? e->by_region[i].users : 0);
        dm_jw_key(j, "beyond_law");
        dm_jw_u64(j, e->by_region ? e->by_region[i].beyond_law : 0);
        dm_jw_close(j, '}');
    }
    dm_jw_close(j, '}');
    dm_jw_close(j, '}');
}

/* Prefetch what the reaches a few ahead of i will read: an actor's
 * reaches run over millions of items, owners and keys, each in its own
 * table and each a cache miss when its turn comes.  In stages, each one
 * reading only what an earlier stage has brought in. */
static void ahead(const dm_run *r, const dm_actor_result *a, size_t i)
{
    const dm_world *w = r->w;
    const dm_witem *it;
    const dm_reach *re;

    if (i + 16 < a->n_reaches)
        __builtin_prefetch(&w->items[a->reaches[i + 16].item]);
    if (i + 8 < a->n_reaches) {
        re = &a->reaches[i + 8];
        it = &w->items[re->item];
        __builtin_prefetch(it->name);
        if (it->n_owners > 0)
            __builtin_prefetch(&r->sc->users[it->owners[0]]);
        if (re->via_len > 0)
            __builtin_prefetch(&a->via[re->via_off]);
    }
    if (i + 4 < a->n_reaches) {
        uint32_t k;
        re = &a->reaches[i + 4];
        it = &w->items[re->item];
        if (it->n_owners > 0)
            __builtin_prefetch(r->sc->users[it->owners[0]].id);
        for (k = 0; k < re->via_len && k < 4; k++) {
            uint32_t v = a->via[re->via_off + k];
            if (!(v & DM_VIA_EVENT) && v < w->n_keys)
                __builtin_prefetch(&w->keys[v]);
        }
    }
}

static void put_actor(dm_jw *j, const dm_run *r, const dm_actor_result *a, int owners)
{
    const dm_world *w = r->w;
    char sfx[DM_REPORT_SFX];
    size_t i, k;

    dm_jw_open(j, '{', 0);
    dm_jw_key(j, "id");
    dm_jw_str(j, dm_world_party_id(w, a->party));
    dm_jw_key(j, "kind");
    dm_jw_str(j, dm_actor_kind_name(dm_world_party_kind(w, a->party)));
    dm_jw_key(j, "reaches");
    dm_jw_open(j, '[', 0);
    for (i = 0; i < a->n_reaches; i++) {
        const dm_reach *re = &a->reaches[i];
        const dm_witem *it = &w->items[re->item];
        ahead(r, a, i);
        if (re->cls == DM_CLASS_OWNER && !owners)
            continue;
        dm_jw_open(j, '{', 1);
        dm_jw_key(j, "item");
        dm_jw_str(j, it->name);
        dm_jw_key(j, "owners");
        dm_jw_open(j, '[', 1);
        for (k = 0; k < it->n_owners; k++)
            dm_jw_str(j, r->sc->users[it->owners[k]].id);
        dm_jw_close(j, ']');
        dm_jw_key(j, "class");
        dm_jw_str(j, dm_class_name((dm_class)re->cls));
        dm_jw_key(j, "via");
        dm_jw_open(j, '[', 1);
        for (k = 0; k < re->via_len; k++) {
            const char *base = dm_report_via_parts(r, a->via[re->via_off + k], sfx);
            dm_jw_str2(j, base, sfx);
        }
        dm_jw_close(j, ']');
        dm_jw_close(j, '}');
    }
    dm_jw_close(j, ']');
    dm_jw_close(j, '}');
}

static void put_verification(dm_jw *j, const dm_run *r, const dm_verification *v)
{
    char buf[512];
    size_t i;

    dm_jw_open(j, '{', 0);
    dm_jw_key(j, "mode");
    dm_jw_str(j, dm_report_verify_mode(v));
    dm_jw_key(j, "reaches");
    dm_jw_u64(j, v ? v->reaches_proven : 0);
    dm_jw_key(j, "reaches_direct");
    dm_jw_u64(j, v ? v->reaches_direct : 0);
    dm_jw_key(j, "non_reaches");
    dm_jw_u64(j, v ? v->nonreaches_proven : 0);
    dm_jw_key(j, "mismatch_count");
    dm_jw_u64(j, v ? v->mismatches : 0);
    dm_jw_key(j, "mismatches");
    dm_jw_open(j, '[', 0);
    for (i = 0; v && i < v->n_list; i++) {
        const dm_mismatch *m = &v->list[i];
        dm_jw_open(j, '{', 1);
        dm_jw_key(j, "actor");
        dm_jw_str(j, dm_world_party_id(r->w, m->party));
        dm_jw_key(j, "item");
        if (m->item < r->w->n_items)
            dm_jw_str(j, r->w->items[m->item].name);
        else
            dm_jw_null(j);
        dm_jw_key(j, "problem");
        dm_jw_str(j, dm_report_mismatch_text(r, m, buf, sizeof buf));
        dm_jw_close(j, '}');
    }
    dm_jw_close(j, ']');
    dm_jw_close(j, '}');
}

dm_err dm_report_json(const dm_run *r, const struct dm_verification *v,
                      const dm_report_opts *opts, FILE *out)
{
    dm_jw j;
    size_t i;

    /* 64 KiB on the stack: the writer's buffer. */
    dm_jw_init(&j, out);
    j.short_escapes = 1;
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "format");
    dm_jw_str(&j, "doormat-report");
    dm_jw_key(&j, "version");
    dm_jw_u64(&j, 1);
    dm_jw_key(&j, "scenario");
    dm_jw_str(&j, r->sc->title ? r->sc->title : "");
    dm_jw_key(&j, "seed");
    dm_jw_u64(&j, opts->seed);
    dm_jw_key(&j, "at");
    dm_jw_i64(&j, r->at);
    dm_jw_key(&j, "worst_case");
    dm_jw_bool(&j, r->worst_case > 0);
    dm_jw_key(&j, "actors");
    dm_jw_open(&j, '[', 0);
    for (i = 0; i < r->n_actors; i++)
        put_actor(&j, r, &r->actors[i], opts->owners);
    dm_jw_close(&j, ']');
    dm_jw_key(&j, "owner_only_users");
    dm_jw_u64(&j, r->owner_only_users);
    dm_jw_key(&j, "exposure");
    dm_jw_open(&j, '{', 0);
    dm_jw_key(&j, "with");
    put_exposure(&j, r, &r->with);
    dm_jw_key(&j, "without");
    put_exposure(&j, r, &r->without);
    dm_jw_close(&j, '}');
    dm_jw_key(&j, "refused");
    dm_jw_open(&j, '[', 1);
    for (i = 0; r->refused && i < r->sc->n_events; i++)
        if (r->refused[i])
            dm_jw_str(&j, r->sc->events[i].id);
    dm_jw_close(&j, ']');
    if (r->n_steps > 0) {
        dm_jw_key(&j, "steps");
        dm_jw_open(&j, '[', 0);
        for (i = 0; i < r->n_steps; i++) {
            const dm_step *s = &r->steps[i];
            dm_jw_open(&j, '{', 1);
            dm_jw_key(&j, "at");
            dm_jw_i64(&j, s->at);
            dm_jw_key(&j, "exposed");
            dm_jw_u64(&j, s->exposed);
            dm_jw_key(&j, "beyond_law");
            dm_jw_u64(&j, s->beyond_law);
            dm_jw_key(&j, "exposed_without");
            dm_jw_u64(&j, s->exposed_without);
            dm_jw_close(&j, '}');
        }
        dm_jw_close(&j, ']');
    }
    dm_jw_key(&j, "verification");
    put_verification(&j, r, v);
    dm_jw_close(&j, '}'); /* the last close writes the final newline and flushes */
    if (ferror(out))
        return DM_ERR_IO;
    return DM_OK;
}
