/* report_util.c - helpers shared by the report, explain and CLI modules. */
#include "report_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/report.h"
#include "doormat/world.h"

const char *dm_report_thousands(uint64_t n, char *buf, size_t len)
{
    char digits[32];
    char tmp[40];
    size_t nd, i, o = 0;

    if (len == 0)
        return buf;
    nd = (size_t)snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    for (i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            tmp[o++] = ',';
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    snprintf(buf, len, "%s", tmp);
    return buf;
}

dm_id dm_report_region_of(const dm_scenario *sc, uint32_t user, uint32_t bound)
{
    dm_id region;
    size_t i;

    if (user >= sc->n_users)
        return DM_NONE;
    region = sc->users[user].region;
    for (i = 0; i < bound && i < sc->n_events; i++) {
        const dm_event *ev = &sc->events[i];
        if (ev->kind == DM_EVENT_TRAVEL && ev->user == user)
            region = ev->region;
    }
    return region;
}

int dm_report_scope_holds(const dm_scenario *sc, const dm_event *ev, uint32_t user,
                          dm_id region)
{
    if (ev->kind == DM_EVENT_GHOST)
        return region != DM_NONE && region == dm_scenario_principal_region(sc, ev->by);
    return dm_scope_holds(&ev->scope, user, region);
}

size_t dm_report_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

void dm_report_pad(FILE *out, const char *s, size_t width, int right)
{
    size_t w = dm_report_width(s);

    if (!right)
        fputs(s, out);
    for (; w < width; w++)
        fputc(' ', out);
    if (right)
        fputs(s, out);
}

void dm_report_put_safe(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
    }
}

const char *dm_report_via_parts(const dm_run *r, uint32_t via, char sfx[DM_REPORT_SFX])
{
    uint32_t e;

    if (!(via & DM_VIA_EVENT))
        return dm_world_key_parts(r->w, via, sfx);
    e = via & ~DM_VIA_EVENT;
    if (e < r->sc->n_events) {
        sfx[0] = '\0';
        return r->sc->events[e].id;
    }
    snprintf(sfx, DM_REPORT_SFX, "%" PRIu32, e); /* never for a run's own via */
    return "event#";
}

const char *dm_report_via_name(const dm_run *r, uint32_t via, char *buf, size_t len)
{
    char sfx[DM_REPORT_SFX];
    const char *base = dm_report_via_parts(r, via, sfx);

    snprintf(buf, len, "%s%s", base, sfx);
    return buf;
}

const char *dm_report_verify_mode(const struct dm_verification *v)
{
    if (v == NULL || v->mode == DM_VERIFY_OFF)
        return "off";
    if (v->sampled || v->mode == DM_VERIFY_SAMPLE)
        return "sample";
    return "all";
}

const char *dm_report_mismatch_text(const dm_run *r, const struct dm_mismatch *m,
                                    char *buf, size_t len)
{
    char kname[256], ctname[256];
    size_t pos;

    snprintf(buf, len, "%s", dm_mismatch_kind_name((dm_mismatch_kind)m->kind));
    pos = strlen(buf);
    if (m->ct != UINT32_MAX && m->ct < r->w->n_cts && pos < len) {
        const dm_ct *ct = &r->w->cts[m->ct];
        if (ct->inner_is_key)
            snprintf(ctname, sizeof ctname, "wrap of %s",
                     dm_world_key_name(r->w, ct->inner, kname, sizeof kname));
        else
            snprintf(ctname, sizeof ctname, "ciphertext of %s", r->w->items[ct->inner].name);
        snprintf(buf + pos, len - pos, ": %s under %s", ctname,
                 dm_world_key_name(r->w, ct->under, kname, sizeof kname));
        pos = strlen(buf);
    }
    if (m->key != UINT32_MAX && m->key < r->w->n_keys && pos < len)
        snprintf(buf + pos, len - pos, "%skey %s", m->ct != UINT32_MAX ? ", " : ": ",
                 dm_world_key_name(r->w, m->key, kname, sizeof kname));
    return buf;
}

const char *dm_report_class_colour(int cls)
{
    switch (cls) {
    case DM_CLASS_LAWFUL: return DM_C_GREEN;
    case DM_CLASS_COLLATERAL: return DM_C_YELLOW;
    case DM_CLASS_UNLAWFUL: return DM_C_RED;
    default: return NULL;
    }
}

void dm_report_heading(FILE *out, int color, const char *title)
{
    fputc('\n', out);
    if (color)
        fprintf(out, DM_C_BOLD "%s" DM_C_RESET "\n", title);
    else
        fprintf(out, "%s\n", title);
}

void dm_report_cat(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + 1 >= len)
        return;
    if (n > len - 1 - *pos)
        n = len - 1 - *pos;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
}

void dm_report_via_text(const dm_run *r, const dm_actor_result *a, const dm_reach *re,
                        char *buf, size_t len)
{
    size_t pos = 0, k;
    char name[256];

    buf[0] = '\0';
    for (k = 0; k < re->via_len; k++) {
        if (k > 0)
            dm_report_cat(buf, len, &pos, " → ");
        dm_report_cat(buf, len, &pos,
                      dm_report_via_name(r, a->via[re->via_off + k], name, sizeof name));
    }
}
