/* test_lessons.c - exact outcomes of the lessons in scenarios/lessons/ (the real cases). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"

/* A run in one canonical text: per actor that reaches something it does
 * not own, "actor: item=class ..." (the engine's item order); then
 * "with U/B R=u/b ..." and "without ..." (people exposed / beyond the law,
 * by region in the scenario's order). */
static char *summary(const dm_run *r)
{
    char *buf = NULL;
    size_t len = 0, i, k;
    FILE *f = open_memstream(&buf, &len);
    const dm_exposure *e[2] = {&r->with, &r->without};

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < r->n_actors; i++) {
        const dm_actor_result *a = &r->actors[i];
        if (a->n_reaches == 0)
            continue;
        fprintf(f, "%s:", dm_world_party_id(r->w, a->party));
        for (k = 0; k < a->n_reaches; k++)
            fprintf(f, " %s=%s", r->w->items[a->reaches[k].item].name,
                    dm_class_name((dm_class)a->reaches[k].cls));
        fputc('\n', f);
    }
    for (k = 0; k < 2; k++) {
        fprintf(f, "%s %llu/%llu", k ? "without" : "with", (unsigned long long)e[k]->users,
                (unsigned long long)e[k]->beyond_law);
        for (i = 0; i < r->sc->n_regions; i++)
            fprintf(f, " %s=%llu/%llu", r->sc->regions[i],
                    (unsigned long long)e[k]->by_region[i].users,
                    (unsigned long long)e[k]->by_region[i].beyond_law);
        fputc('\n', f);
    }
    fclose(f);
    return buf;
}

static void expect(const char *file, int has_at, long long at, const char *want)
{
    dm_scenario *s = NULL;
    dm_run *r = NULL;
    dm_run_opts o = {0};
    dm_diag d;
    char *got;

    dm_diag_init(&d, file, NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file(file, &s, NULL, NULL, &d), DM_OK);
    o.has_at = has_at;
    o.at = at;
    ck_assert_int_eq(dm_run_scenario(s, &o, &r, &d), DM_OK);
    got = summary(r);
    ck_assert_msg(strcmp(got, want) == 0, "%s (at %lld):\n--- got\n%s--- want\n%s", file, at, got,
                  want);
    free(got);
    dm_run_free(r);
    dm_scenario_free(s);
    dm_diag_clear(&d);
}

/* Blaze 1994: two escrow agents, one unit key in two shares. */
START_TEST(clipper)
{
    const char *f = "scenarios/lessons/clipper.json";

    expect(f, 1, 0, "with 0/0 US=0/0\nwithout 0/0 US=0/0\n");
    /* Both agents hand over their shares: the warrant's call is lawful, the
     * chip's other call collateral. */
    expect(f, 1, 1,
           "fbi: call-alice-bob=lawful call-alice-carol=collateral\n"
           "with 3/1 US=3/1\nwithout 3/1 US=3/1\n");
    /* One share stolen, then the recordings: still nothing for mallory. */
    expect(f, 1, 3,
           "fbi: call-alice-bob=lawful call-alice-carol=collateral\n"
           "with 3/1 US=3/1\nwithout 3/1 US=3/1\n");
    expect(f, 0, 0,
           "fbi: call-alice-bob=lawful call-alice-carol=collateral\n"
           "mallory: call-alice-bob=unlawful call-alice-carol=unlawful\n"
           "with 3/3 US=3/3\nwithout 3/3 US=3/3\n");
}
END_TEST

/* Checkoway et al. 2016: the intended holder keeps only the sessions made
 * before the replacement; the replacer gets those after. */
START_TEST(juniper)
{
    const char *f = "scenarios/lessons/juniper.json";

    expect(f, 1, 1,
           "vpn: us-early/sessions=custodian eu-early/sessions=custodian\n"
           "with 700/0 US=400/0 EU=300/0\nwithout 0/0 US=0/0 EU=0/0\n");
    expect(f, 1, 2,
           "vpn: us-early/sessions=custodian eu-early/sessions=custodian\n"
           "with 700/0 US=400/0 EU=300/0\nwithout 0/0 US=0/0 EU=0/0\n");
    expect(f, 0, 0,
           "vpn: us-early/sessions=custodian eu-early/sessions=custodian\n"
           "intruder: us-late/sessions=unlawful eu-late/sessions=unlawful\n"
           "with 1400/700 US=900/500 EU=500/200\nwithout 0/0 US=0/0 EU=0/0\n");
}
END_TEST

/* Prevelakis & Spinellis 2007: the intercept function compromised. */
START_TEST(athens)
{
    const char *f = "scenarios/lessons/athens.json";
    const char *carrier = "vodafone-gr: prime-minister/calls=custodian ministers/calls=custodian "
                          "suspect/calls=custodian subscribers/calls=custodian\n";
    char want[1024];

    snprintf(want, sizeof want, "%s%s", carrier,
             "gr-gov: suspect/calls=lawful\n"
             "with 4000022/0 GR=4000022/0\nwithout 4000022/0 GR=4000022/0\n");
    expect(f, 1, 2, want);
    snprintf(want, sizeof want, "%s%s", carrier,
             "gr-gov: suspect/calls=lawful\n"
             "intruders: prime-minister/calls=unlawful ministers/calls=unlawful "
             "suspect/calls=unlawful subscribers/calls=unlawful\n"
             "with 4000022/4000022 GR=4000022/4000022\nwithout 4000022/0 GR=4000022/0\n");
    expect(f, 0, 0, want);
}
END_TEST

/* Salt Typhoon 2024: everything ordered so far leaks; e2ee stays closed. */
START_TEST(salt_typhoon)
{
    const char *f = "scenarios/lessons/salt-typhoon.json";
    const char *carrier = "carrier: suspect-1/calls=custodian suspect-2/calls=custodian "
                          "journalist/calls=custodian subscribers/calls=custodian "
                          "interview/conversation=custodian\n"
                          "us-le: suspect-1/calls=lawful suspect-2/calls=lawful "
                          "interview/conversation=collateral\n";
    char want[1024];

    snprintf(want, sizeof want, "%s%s", carrier,
             "with 1000003/1 US=1000003/1\nwithout 1000003/1 US=1000003/1\n");
    expect(f, 1, 3, want);
    snprintf(want, sizeof want, "%s%s", carrier,
             "salt-typhoon: suspect-1/calls=unlawful suspect-2/calls=unlawful "
             "interview/conversation=unlawful\n"
             "with 1000003/3 US=1000003/3\nwithout 1000003/3 US=1000003/3\n");
    expect(f, 0, 0, want);
}
END_TEST

/* Levy & Robinson 2018: lawful for the UK chat, collateral for the others. */
START_TEST(ghost)
{
    const char *f = "scenarios/lessons/ghost.json";

    expect(f, 1, 1,
           "gchq: local/messages=lawful\n"
           "with 2/0 UK=2/0 US=0/0 DE=0/0\nwithout 0/0 UK=0/0 US=0/0 DE=0/0\n");
    expect(f, 1, 2,
           "gchq: local/messages=lawful team/messages=collateral\n"
           "with 4/2 UK=2/0 US=1/1 DE=1/1\nwithout 0/0 UK=0/0 US=0/0 DE=0/0\n");
    expect(f, 1, 3,
           "gchq: local/messages=lawful team/messages=collateral\n"
           "with 4/2 UK=2/0 US=1/1 DE=1/1\nwithout 0/0 UK=0/0 US=0/0 DE=0/0\n");
    expect(f, 0, 0,
           "gchq: local/messages=lawful team/messages=collateral\n"
           "mallory: local/messages=unlawful team/messages=unlawful\n"
           "with 4/4 UK=2/2 US=1/1 DE=1/1\nwithout 0/0 UK=0/0 US=0/0 DE=0/0\n");
}
END_TEST

/* Ozzie's CLEAR: the vault key opens any phone in anyone's hands. */
START_TEST(clear)
{
    const char *f = "scenarios/lessons/clear.json";

    expect(f, 1, 2,
           "vendor: suspect/phone=custodian\nfbi: suspect/phone=lawful\n"
           "with 1/0 US=1/0 UK=0/0\nwithout 1/0 US=1/0 UK=0/0\n");
    expect(f, 0, 0,
           "vendor: suspect/phone=custodian\nfbi: suspect/phone=lawful\n"
           "thief: alice/phone=unlawful bob/phone=unlawful\n"
           "with 3/2 US=2/1 UK=1/1\nwithout 3/2 US=2/1 UK=1/1\n");
}
END_TEST

/* Several governments, one escrow key. */
START_TEST(many_governments)
{
    const char *f = "scenarios/lessons/many-governments.json";
    const char *escrowed[] = {"alice/backup", "uk-public/backup", "dan/backup",
                              "au-public/backup", "bob/backup", "us-public/backup",
                              "chat/messages"};
    char cloud[512], mallory[512], want[2048];
    size_t i, p = 0, q = 0;

    p += (size_t)snprintf(cloud + p, sizeof cloud - p, "cloud:");
    q += (size_t)snprintf(mallory + q, sizeof mallory - q, "mallory:");
    for (i = 0; i < sizeof escrowed / sizeof escrowed[0]; i++) {
        p += (size_t)snprintf(cloud + p, sizeof cloud - p, " %s=custodian", escrowed[i]);
        q += (size_t)snprintf(mallory + q, sizeof mallory - q, " %s=unlawful", escrowed[i]);
    }
    snprintf(want, sizeof want,
             "%s\nuk-gov: alice/backup=lawful uk-public/backup=lawful\n"
             "au-gov: dan/backup=lawful au-public/backup=lawful\n"
             "us-gov: bob/backup=lawful us-public/backup=lawful chat/messages=collateral\n"
             "with 4504/1 UK=1001/0 AU=501/0 US=3001/0 FR=1/1\n"
             "without 0/0 UK=0/0 AU=0/0 US=0/0 FR=0/0\n",
             cloud);
    expect(f, 1, 4, want);
    snprintf(want, sizeof want,
             "%s\nuk-gov: alice/backup=lawful uk-public/backup=lawful\n"
             "au-gov: dan/backup=lawful au-public/backup=lawful\n"
             "us-gov: bob/backup=lawful us-public/backup=lawful chat/messages=collateral\n"
             "%s\n"
             "with 4504/4504 UK=1001/1001 AU=501/501 US=3001/3001 FR=1/1\n"
             "without 0/0 UK=0/0 AU=0/0 US=0/0 FR=0/0\n",
             cloud, mallory);
    expect(f, 0, 0, want);
    /* Before the US demand: only the UK and Australia are escrowed. */
    expect(f, 1, 2,
           "cloud: alice/backup=custodian uk-public/backup=custodian dan/backup=custodian "
           "au-public/backup=custodian\n"
           "with 1502/0 UK=1001/0 AU=501/0 US=0/0 FR=0/0\n"
           "without 0/0 UK=0/0 AU=0/0 US=0/0 FR=0/0\n");
}
END_TEST

Suite *lessons_suite(void)
{
    Suite *s = suite_create("lessons");
    TCase *tc = tcase_create("cases");

    tcase_add_test(tc, clipper);
    tcase_add_test(tc, juniper);
    tcase_add_test(tc, athens);
    tcase_add_test(tc, salt_typhoon);
    tcase_add_test(tc, ghost);
    tcase_add_test(tc, clear);
    tcase_add_test(tc, many_governments);
    suite_add_tcase(s, tc);
    return s;
}
