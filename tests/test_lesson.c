/* test_lesson.c - the narrated mode: exact text of a bundled scenario, events in words. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/lesson.h"
#include "doormat/scenario.h"

/* Every step of scenarios/tcn-global.json then the finish, without colour. */
static const char expect_tcn_global[] =
    "== Step 1 of 5: the start ==\n"
    "\n"
    "Everybody uses end-to-end encrypted backups, like Apple's Advanced Data\n"
    "Protection. Without a backdoor, cloud stores everything and can read\n"
    "nothing (compare adp.json).\n"
    "\n"
    "Reachable from the start:\n"
    "  nothing: everyone reads only their own data.\n"
    "\n"
    "Exposed: 0 of 130,000,003 people, 0 beyond the law.\n"
    "Without the backdoors: 0, 0 beyond the law.\n"
    "\n"
    "== Step 2 of 5: time 1 ==\n"
    "\n"
    "In January 2025 the UK Home Office served Apple a Technical Capability\n"
    "Notice under the Investigatory Powers Act 2016. As reported, it demanded\n"
    "the ability to reach the encrypted iCloud data of users worldwide, not\n"
    "only in the UK. At time 1 cloud builds that capability: from now on it\n"
    "wraps every user's keys, in every country, under one escrow key that\n"
    "cloud itself holds. The key of Alice and Bob's chat is escrowed too.\n"
    "\n"
    "What happens at time 1:\n"
    "  - cloud starts escrowing the keys of every user under the key escrow (tcn).\n"
    "\n"
    "Newly reachable:\n"
    "  cloud (provider) now reads:\n"
    "    alice/backup      custodian  via escrow → tcn → alice.dk\n"
    "    bob/backup        custodian  via escrow → tcn → bob.dk\n"
    "    chloe/backup      custodian  via escrow → tcn → chloe.dk\n"
    "    uk-public/backup  custodian  via escrow → tcn → uk-public.dk\n"
    "    us-public/backup  custodian  via escrow → tcn → us-public.dk\n"
    "    chat/messages     custodian  via escrow → tcn → chat.gk\n"
    "\n"
    "Exposed: 130,000,003 of 130,000,003 people, 0 beyond the law.\n"
    "Without the backdoors: 0, 0 beyond the law.\n"
    "\n"
    "== Step 3 of 5: time 2 ==\n"
    "\n"
    "At time 2 the UK government uses it: an order with scope \"all\". Cloud\n"
    "can now decrypt everything and hands over plaintext. For Alice and the\n"
    "UK public the reach is lawful; for Bob, Chloe (FR) and the US public,\n"
    "who are outside the UK, it is collateral: an extraterritorial order,\n"
    "made possible by the escrow key, not by any law of their own country.\n"
    "\n"
    "What happens at time 2:\n"
    "  - uk-gov orders cloud to hand over the data of every user (uk-order).\n"
    "\n"
    "Newly reachable:\n"
    "  uk-gov (government) now reads:\n"
    "    alice/backup      lawful      via uk-order\n"
    "    bob/backup        collateral  via uk-order\n"
    "    chloe/backup      collateral  via uk-order\n"
    "    uk-public/backup  lawful      via uk-order\n"
    "    us-public/backup  collateral  via uk-order\n"
    "    chat/messages     collateral  via uk-order\n"
    "\n"
    "Exposed: 130,000,003 of 130,000,003 people, 100,000,002 beyond the law.\n"
    "Without the backdoors: 0, 0 beyond the law.\n"
    "\n"
    "== Step 4 of 5: time 3 ==\n"
    "\n"
    "At time 3 an attacker, mallory, steals the escrow key: an insider, a\n"
    "hack of the key store, or a leak, as happened to lawful-intercept\n"
    "systems in Athens (2004-05) and in the United States (2024). Holding the\n"
    "key is not yet enough: she has no ciphertexts.\n"
    "\n"
    "What happens at time 3:\n"
    "  - mallory steals the key escrow (key-theft).\n"
    "\n"
    "Newly reachable:\n"
    "  nothing new.\n"
    "\n"
    "Exposed: 130,000,003 of 130,000,003 people, 100,000,002 beyond the law.\n"
    "Without the backdoors: 0, 0 beyond the law.\n"
    "\n"
    "== Step 5 of 5: time 4 ==\n"
    "\n"
    "At time 4 mallory breaches cloud's storage and takes the ciphertexts and\n"
    "the escrow wraps. Now she reads every backup and the chat of every user\n"
    "in every country: 130,000,003 people exposed beyond the law. Without the\n"
    "backdoor, the same theft and breach would have yielded nothing. This is\n"
    "the warning of \"Keys Under Doormats\" (Abelson et al., 2015): an\n"
    "exceptional-access key is a single point of failure for everyone it\n"
    "covers.\n"
    "\n"
    "What happens at time 4:\n"
    "  - mallory breaks into the store cloud and copies what it holds (cloud-breach).\n"
    "\n"
    "Newly reachable:\n"
    "  mallory (attacker) now reads:\n"
    "    alice/backup      unlawful  via key-theft → escrow → tcn → cloud-breach → alice.dk\n"
    "    bob/backup        unlawful  via key-theft → escrow → tcn → cloud-breach → bob.dk\n"
    "    chloe/backup      unlawful  via key-theft → escrow → tcn → cloud-breach → chloe.dk\n"
    "    uk-public/backup  unlawful  via key-theft → escrow → tcn → cloud-breach → uk-public.dk\n"
    "    us-public/backup  unlawful  via key-theft → escrow → tcn → cloud-breach → us-public.dk\n"
    "    chat/messages     unlawful  via key-theft → escrow → tcn → cloud-breach → chat.gk\n"
    "\n"
    "Exposed: 130,000,003 of 130,000,003 people, 130,000,003 beyond the law.\n"
    "Without the backdoors: 0, 0 beyond the law.\n"
    "\n";

static dm_scenario *load_file(const char *path)
{
    dm_scenario *s = NULL;
    dm_diag d;

    dm_diag_init(&d, path, NULL, 0);
    ck_assert_int_eq(dm_scenario_load_file(path, &s, NULL, NULL, &d), DM_OK);
    dm_diag_clear(&d);
    return s;
}

static dm_scenario *load_text(const char *json)
{
    dm_scenario *s = NULL;
    dm_diag d;

    dm_diag_init(&d, "test.json", json, strlen(json));
    ck_assert_int_eq(dm_scenario_load(json, strlen(json), "test.json", &s, &d), DM_OK);
    dm_diag_clear(&d);
    return s;
}

/* Write steps in the given order (NULL: 0..n-1) then the finish; returns
 * the text (free()). */
static char *narrate(dm_lesson *l, const size_t *order, size_t n_order)
{
    dm_lesson_opts o = {0};
    char *buf = NULL;
    size_t len = 0, i, n = dm_lesson_n_steps(l);
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    if (order == NULL)
        for (i = 0; i < n; i++)
            ck_assert_int_eq(dm_lesson_step(l, i, &o, f), DM_OK);
    else
        for (i = 0; i < n_order; i++)
            ck_assert_int_eq(dm_lesson_step(l, order[i], &o, f), DM_OK);
    ck_assert_int_eq(dm_lesson_finish(l, &o, f), DM_OK);
    fclose(f);
    return buf;
}

START_TEST(exact_text)
{
    dm_scenario *s = load_file("scenarios/tcn-global.json");
    dm_lesson *l = NULL;
    dm_diag d;
    char *text;

    dm_diag_init(&d, "tcn-global.json", NULL, 0);
    ck_assert_int_eq(dm_lesson_new(s, &l, &d), DM_OK);
    ck_assert_uint_eq(dm_lesson_n_steps(l), 5);
    text = narrate(l, NULL, 0);
    ck_assert_str_eq(text, expect_tcn_global);
    free(text);
    dm_lesson_free(l);
    dm_diag_clear(&d);
    dm_scenario_free(s);
}
END_TEST

/* Steps written out of order recompute the previous step: step 2 alone
 * shows the same "newly reachable" as in the full narration. */
START_TEST(out_of_order)
{
    dm_scenario *s = load_file("scenarios/tcn-global.json");
    dm_lesson *l = NULL;
    dm_lesson_opts o = {0};
    static const size_t order[] = {4, 2};
    char *text, *full;
    const char *step3, *step4, *step5;

    ck_assert_int_eq(dm_lesson_new(s, &l, NULL), DM_OK);
    text = narrate(l, order, 2);
    full = strdup(expect_tcn_global);
    step3 = strstr(full, "== Step 3 of 5");
    step5 = strstr(full, "== Step 5 of 5");
    ck_assert_ptr_nonnull(step3);
    ck_assert_ptr_nonnull(step5);
    /* text = step 5, step 3 (no finish: all paragraphs are used) */
    ck_assert_int_eq(strncmp(text, step5, strlen(step5)), 0);
    step4 = strstr(full, "== Step 4 of 5");
    ck_assert_ptr_nonnull(step4);
    ck_assert_uint_eq(strlen(text), strlen(step5) + (size_t)(step4 - step3));
    ck_assert_int_eq(strncmp(text + strlen(step5), step3, (size_t)(step4 - step3)), 0);
    ck_assert_int_eq(dm_lesson_step(l, 5, &o, stdout), DM_ERR_USAGE);
    free(text);
    free(full);
    dm_lesson_free(l);
    dm_scenario_free(s);
}
END_TEST

static const char events_json[] =
    "{\"doormat\": 1, \"regions\": [\"UK\", \"US\"],"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"US\"]},"
    "                 {\"id\": \"agent\", \"regions\": [\"US\"]}],"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\","
    "              \"protection\": \"e2ee\", \"items\": [\"photos\"]},"
    "             {\"id\": \"bob\", \"region\": \"US\", \"provider\": \"cloud\","
    "              \"protection\": \"provider\", \"items\": [\"photos\"]}],"
    " \"groups\": [{\"id\": \"chat\", \"members\": [\"alice\", \"bob\"], \"provider\": \"cloud\"}],"
    " \"actors\": [{\"id\": \"uk-gov\", \"kind\": \"government\", \"region\": \"UK\"},"
    "              {\"id\": \"us-gov\", \"kind\": \"government\", \"region\": \"US\"},"
    "              {\"id\": \"mallory\", \"kind\": \"attacker\"}],"
    " \"keys\": [{\"id\": \"split\", \"type\": \"symmetric\","
    "             \"shares\": {\"k\": 2, \"holders\": [\"cloud\", \"agent\"]}}],"
    " \"events\": ["
    "  {\"at\": 1, \"do\": \"order\", \"by\": \"uk-gov\", \"provider\": \"cloud\"},"
    "  {\"at\": 1, \"do\": \"order\", \"id\": \"keys\", \"by\": \"us-gov\", \"provider\": \"agent\","
    "   \"scope\": {\"regions\": [\"UK\", \"US\"], \"users\": [\"alice\"]}, \"demand\": \"keys\"},"
    "  {\"at\": 2, \"do\": \"steal\", \"by\": \"mallory\", \"key\": \"split\", \"share\": 2, \"p\": 0.25},"
    "  {\"at\": 2, \"do\": \"steal\", \"by\": \"mallory\", \"key\": \"bob.dk\"},"
    "  {\"at\": 3, \"do\": \"breach\", \"by\": \"mallory\", \"store\": \"alice.dev1\"},"
    "  {\"at\": 3, \"do\": \"compromise\", \"by\": \"mallory\", \"actor\": \"uk-gov\"},"
    "  {\"at\": 4, \"do\": \"ghost\", \"by\": \"us-gov\", \"group\": \"chat\"},"
    "  {\"at\": 5, \"do\": \"travel\", \"user\": \"bob\", \"region\": \"UK\"},"
    "  {\"at\": 6, \"do\": \"downgrade\", \"provider\": \"cloud\", \"region\": \"UK\"},"
    "  {\"at\": 7, \"do\": \"backdoor\", \"provider\": \"cloud\", \"key\": \"split\", \"scope\": \"all\"}"
    " ]}";

START_TEST(event_words)
{
    static const char *const want[] = {
        "uk-gov orders cloud to hand over the data of users in UK (order@1). "
        "Refused: cloud does not operate in UK.",
        "us-gov orders agent to hand over the keys to the data of users in UK and US, "
        "and alice (keys).",
        "mallory steals share 2 of the key split, held by agent (steal@2). "
        "[probability 0.25; taken as happening]",
        "mallory steals the key bob.dk (steal@2.2).",
        "mallory breaks into the store alice.dev1 and copies what it holds (breach@3).",
        "mallory compromises uk-gov and gains all it knows (compromise@3).",
        "us-gov has cloud add a ghost participant to the group chat (ghost@4).",
        "bob travels to UK (travel@5).",
        "cloud withdraws end-to-end encryption in UK (downgrade@6).",
        "cloud starts escrowing the keys of every user under the key split (backdoor@7).",
    };
    dm_scenario *s = load_text(events_json);
    dm_lesson *l = NULL;
    char buf[512];
    size_t i;

    ck_assert_int_eq(dm_lesson_new(s, &l, NULL), DM_OK);
    ck_assert_uint_eq(dm_lesson_n_steps(l), 8);
    for (i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_str_eq(dm_lesson_event_text(dm_lesson_final(l), (uint32_t)i, buf, sizeof buf),
                         want[i]);
    dm_lesson_free(l);
    dm_scenario_free(s);
}
END_TEST

/* A paragraph is wrapped at the given width; control bytes become '?';
 * colour only when asked. */
START_TEST(wrap_and_colour)
{
    static const char json[] =
        "{\"doormat\": 1, \"title\": \"t\", \"regions\": [\"UK\"],"
        " \"lesson\": [\"one two three four five six\\u001b[31m\", \"end\"]}";
    dm_scenario *s = load_text(json);
    dm_lesson *l = NULL;
    dm_lesson_opts o = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    ck_assert_int_eq(dm_lesson_new(s, &l, NULL), DM_OK);
    ck_assert_uint_eq(dm_lesson_n_steps(l), 1);
    o.width = 10;
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(dm_lesson_step(l, 0, &o, f), DM_OK);
    ck_assert_int_eq(dm_lesson_finish(l, &o, f), DM_OK);
    fclose(f);
    ck_assert_str_eq(buf, "== Step 1 of 1: the start ==\n\n"
                          "one two\nthree four\nfive\nsix?[31m\n\n"
                          "Reachable from the start:\n"
                          "  nothing: everyone reads only their own data.\n\n"
                          "Exposed: 0 of 0 people, 0 beyond the law.\n\n"
                          "== In the end ==\n\nend\n\n");
    free(buf);
    buf = NULL;
    o.color = 1;
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(dm_lesson_step(l, 0, &o, f), DM_OK);
    fclose(f);
    ck_assert_int_eq(strncmp(buf, "\033[1m== Step 1 of 1: the start ==\033[0m\n", 36), 0);
    free(buf);
    dm_lesson_free(l);
    dm_scenario_free(s);
}
END_TEST

START_TEST(oom)
{
    dm_scenario *s = load_file("scenarios/tcn-uk-only.json");
    dm_lesson *l = NULL;
    dm_lesson_opts o = {0};
    size_t n, total;
    FILE *f = fopen("/dev/null", "w");

    ck_assert_ptr_nonnull(f);
    dm_alloc_fail_at(0, 0);
    ck_assert_int_eq(dm_lesson_new(s, &l, NULL), DM_OK);
    ck_assert_int_eq(dm_lesson_step(l, 3, &o, f), DM_OK);
    dm_lesson_free(l);
    l = NULL;
    total = dm_alloc_fail_at(0, 0);
    for (n = 1; n <= total; n += 1 + total / 200) {
        dm_err e;
        dm_alloc_fail_at(n, 1);
        e = dm_lesson_new(s, &l, NULL);
        if (e == DM_OK)
            e = dm_lesson_step(l, 3, &o, f);
        dm_alloc_fail_at(0, 0);
        ck_assert(e == DM_OK || e == DM_ERR_NOMEM);
        dm_lesson_free(l);
        l = NULL;
    }
    fclose(f);
    dm_scenario_free(s);
}
END_TEST

Suite *lesson_suite(void)
{
    Suite *s = suite_create("lesson");
    TCase *tc;

    tc = tcase_create("exact_text");
    tcase_add_test(tc, exact_text);
    tcase_add_test(tc, out_of_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("event_words");
    tcase_add_test(tc, event_words);
    suite_add_tcase(s, tc);
    tc = tcase_create("wrap_and_colour");
    tcase_add_test(tc, wrap_and_colour);
    suite_add_tcase(s, tc);
    tc = tcase_create("oom");
    tcase_add_test(tc, oom);
    suite_add_tcase(s, tc);
    return s;
}
