/* fixture.c - a scenario loaded from a string and run, for the Check suites. */
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"

void fx_run_opts(fx *f, const char *name, const char *json, const dm_run_opts *o)
{
    dm_err e;
    size_t i;

    dm_diag_init(&f->d, name, json, strlen(json));
    e = dm_scenario_load(json, strlen(json), name, &f->s, &f->d);
    if (e != DM_OK)
        for (i = 0; i < f->d.n; i++)
            fprintf(stderr, "%u:%u: %s: %s\n", f->d.entries[i].line, f->d.entries[i].col,
                    f->d.entries[i].path ? f->d.entries[i].path : "", f->d.entries[i].message);
    ck_assert_int_eq(e, DM_OK);
    ck_assert_int_eq(dm_run_scenario(f->s, o, &f->r, &f->d), DM_OK);
}

void fx_free(fx *f)
{
    dm_run_free(f->r);
    dm_scenario_free(f->s);
    dm_diag_clear(&f->d);
}

uint32_t party_of(const dm_run *r, const char *id)
{
    uint32_t p;

    for (p = 0; p < r->w->n_parties; p++)
        if (strcmp(dm_world_party_id(r->w, p), id) == 0)
            return p;
    ck_abort_msg("no party %s", id);
    return 0;
}

const char *cls(const dm_run *r, const char *actor, const char *item)
{
    const dm_actor_result *a = dm_run_actor(r, party_of(r, actor));
    size_t i;

    for (i = 0; a && i < a->n_reaches; i++)
        if (strcmp(r->w->items[a->reaches[i].item].name, item) == 0)
            return dm_class_name((dm_class)a->reaches[i].cls);
    return "none";
}

void fx_fails_cleanly(dm_err (*write)(void *ctx, FILE *out), void *ctx, size_t max)
{
    size_t n;
    int ok = 0;

    for (n = 1; n < max && !ok; n++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        dm_err e;
        ck_assert_ptr_nonnull(out);
        dm_alloc_fail_at(n, 0);
        e = write(ctx, out);
        dm_alloc_fail_at(0, 0);
        fclose(out);
        free(buf);
        ck_assert(e == DM_OK || e == DM_ERR_NOMEM);
        ok = e == DM_OK;
    }
    ck_assert(ok);
}
