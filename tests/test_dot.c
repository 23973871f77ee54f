/* test_dot.c - the DOT key graph: exact nodes and edges, highlight, collapse, escaping. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/dot.h"
#include "doormat/engine.h"
#include "doormat/scenario.h"
#include "fixture.h"

/* A UK user escrowed by a UK-only backdoor, a US cohort that is not, and an
 * attacker who steals the escrow key and breaches the cloud. */
static const char tiny_json[] =
    "{\"doormat\": 1, \"title\": \"tiny \\\"q\\\" \\\\ <b>\",\n"
    " \"regions\": [\"UK\", \"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\"]}],\n"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\",\n"
    "             \"protection\": \"e2ee\", \"items\": [\"p\"]},\n"
    "            {\"id\": \"bob\", \"region\": \"US\", \"provider\": \"cloud\",\n"
    "             \"protection\": \"e2ee\", \"count\": 5, \"items\": [\"p\"]}],\n"
    " \"actors\": [{\"id\": \"mallory\", \"kind\": \"attacker\"}],\n"
    " \"keys\": [{\"id\": \"escrow\", \"type\": \"keypair\", \"holders\": [\"cloud\"]}],\n"
    " \"events\": [{\"at\": 1, \"do\": \"backdoor\", \"id\": \"tcn\", \"provider\": \"cloud\",\n"
    "              \"key\": \"escrow\", \"scope\": {\"regions\": [\"UK\"]}},\n"
    "             {\"at\": 2, \"do\": \"steal\", \"id\": \"theft\", \"by\": \"mallory\",\n"
    "              \"key\": \"escrow\"},\n"
    "             {\"at\": 3, \"do\": \"breach\", \"id\": \"hack\", \"by\": \"mallory\",\n"
    "              \"store\": \"cloud\"}]}\n";

static void fx_load(fx *f, const char *json, int has_at, int64_t at)
{
    dm_run_opts o = {0};

    o.has_at = has_at;
    o.at = at;
    fx_run_opts(f, "t.json", json, &o);
}

/* The DOT text (free()). */
static char *render(const dm_run *r, const char *actor, size_t max_nodes)
{
    dm_dot_opts o;
    char *buf = NULL, msg[128];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    o.actor = DM_DOT_NO_ACTOR;
    o.max_nodes = max_nodes;
    if (actor)
        ck_assert_int_eq(dm_dot_lookup(r, actor, &o.actor, msg, sizeof msg), DM_OK);
    ck_assert_int_eq(dm_dot_write(r, &o, f), DM_OK);
    fclose(f);
    return buf;
}

/* The lines of text that contain `needle`, joined (free()). */
static char *lines_with(const char *text, const char *needle)
{
    char *out = calloc(1, strlen(text) + 1);
    const char *p = text;

    ck_assert_ptr_nonnull(out);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        char *line = strndup(p, n);
        if (strstr(line, needle))
            strcat(out, line);
        free(line);
        p += n;
    }
    return out;
}

START_TEST(edges_exact)
{
    fx f;
    char *dot, *edges;

    fx_load(&f, tiny_json, 0, 0);
    dot = render(f.r, NULL, 0);
    edges = lines_with(dot, " -> ");
    ck_assert_str_eq(edges,
                     "  n4 -> n6 [label=\"tcn: in cloud\", color=\"#c62828\", "
                     "fontcolor=\"#c62828\", style=dashed, penwidth=1.6];\n"
                     "  n6 -> n10 [label=\"in cloud, alice.dev1\"];\n"
                     "  n7 -> n6 [label=\"in cloud, alice.dev1\"];\n"
                     "  n8 -> n11 [label=\"in cloud, bob.dev1\"];\n"
                     "  n9 -> n8 [label=\"in cloud, bob.dev1\"];\n");
    free(edges);
    free(dot);
    fx_free(&f);
}
END_TEST

START_TEST(nodes_exact)
{
    fx f;
    char *dot, *nodes;

    fx_load(&f, tiny_json, 0, 0);
    dot = render(f.r, NULL, 0);
    nodes = lines_with(dot, "shape=");
    ck_assert_str_eq(nodes,
                     "    n0 [label=\"cloud\\nstore\", shape=cylinder, fillcolor=\"#f4f4f4\"];\n"
                     "    n4 [label=\"escrow\", shape=ellipse, peripheries=2, "
                     "fillcolor=\"#eef3fb\"];\n"
                     "    n5 [label=\"cloud.hsm\", shape=ellipse, peripheries=2, "
                     "fillcolor=\"#eef3fb\"];\n"
                     "    n1 [label=\"mallory\\nstore\", shape=cylinder, fillcolor=\"#f4f4f4\"];\n"
                     "    n2 [label=\"alice.dev1\\ndevice\", shape=cylinder, "
                     "fillcolor=\"#f4f4f4\"];\n"
                     "    n7 [label=\"alice.dev1\", shape=ellipse, peripheries=2, "
                     "fillcolor=\"#eef3fb\"];\n"
                     "    n3 [label=\"bob.dev1\\ndevice\", shape=cylinder, fillcolor=\"#f4f4f4\"];\n"
                     "    n9 [label=\"bob.dev1\", shape=ellipse, peripheries=2, "
                     "fillcolor=\"#eef3fb\"];\n"
                     "  n6 [label=\"alice.dk\", shape=ellipse, fillcolor=\"#ffffff\"];\n"
                     "  n8 [label=\"bob.dk\", shape=ellipse, fillcolor=\"#ffffff\"];\n"
                     "  n10 [label=\"alice/p\", shape=note, fillcolor=\"#ffffff\"];\n"
                     "  n11 [label=\"bob/p\", shape=note, fillcolor=\"#ffffff\"];\n");
    ck_assert_ptr_nonnull(strstr(dot, "  subgraph cluster_3 {\n    label=\"bob (users, US, 5 "
                                      "people)\";"));
    ck_assert_ptr_nonnull(strstr(dot, "digraph doormat {\n  graph [label=\"tiny \\\"q\\\" "
                                      "\\\\ <b>\\nkey graph after t=3 (3 of 3 events applied)\\n"));
    ck_assert_int_eq(dot[strlen(dot) - 2], '}');
    free(nodes);
    free(dot);
    fx_free(&f);
}
END_TEST

/* Before the backdoor: no escrow wrap, no dashed edge. */
START_TEST(at_time)
{
    fx f;
    char *dot;

    fx_load(&f, tiny_json, 1, 0);
    dot = render(f.r, NULL, 0);
    ck_assert_ptr_null(strstr(dot, "style=dashed"));
    ck_assert_ptr_nonnull(strstr(dot, "key graph after t=0 (0 of 3 events applied)"));
    free(dot);
    fx_free(&f);
}
END_TEST

START_TEST(highlight)
{
    fx f;
    char *dot;

    fx_load(&f, tiny_json, 0, 0);
    dot = render(f.r, "mallory", 0);
    ck_assert_ptr_nonnull(strstr(dot, "    n0 [label=\"cloud\\nstore\\nread through hack\", "
                                      "shape=cylinder, fillcolor=\"#ffd98a\", "
                                      "color=\"#b35c00\", penwidth=2];\n"));
    ck_assert_ptr_nonnull(strstr(dot, "    n4 [label=\"escrow\\nsource: stolen (theft)\", "
                                      "shape=ellipse, peripheries=2, fillcolor=\"#ffd98a\", "
                                      "color=\"#b35c00\", penwidth=2];\n"));
    ck_assert_ptr_nonnull(strstr(dot, "  n6 [label=\"alice.dk\", shape=ellipse, "
                                      "fillcolor=\"#ffd98a\", color=\"#b35c00\", penwidth=2];\n"));
    ck_assert_ptr_nonnull(strstr(dot, "  n10 [label=\"alice/p\\nunlawful\", shape=note, "
                                      "fillcolor=\"#fc9272\", color=\"#333333\", penwidth=2];\n"));
    ck_assert_ptr_nonnull(strstr(dot, "  n11 [label=\"bob/p\", shape=note, fillcolor=\"#ffffff\"];\n"));
    ck_assert_ptr_nonnull(strstr(dot, "label=\"mallory (attacker)\"; color=\"#b35c00\"; "
                                      "penwidth=2;"));
    ck_assert_ptr_nonnull(strstr(dot, "\\nhighlighted: mallory (attacker): "));
    free(dot);
    fx_free(&f);
}
END_TEST

START_TEST(collapse)
{
    fx f;
    char *dot, *edges, *again;

    fx_load(&f, tiny_json, 0, 0);
    dot = render(f.r, "mallory", 5);
    ck_assert_ptr_nonnull(strstr(dot, "\\ncollapsed: 14 nodes is more than 5, so users' keys, "
                                      "items and stores are drawn per region\\n"));
    ck_assert_ptr_nonnull(strstr(dot, "label=\"users in UK (1 entry, 1 people)\""));
    ck_assert_ptr_nonnull(strstr(dot, "[label=\"UK: data keys\\n(1)\", shape=ellipse, fillcolor=\"#ffd98a\""));
    ck_assert_ptr_nonnull(strstr(dot, "[label=\"US: items\\n(1)\", shape=note"));
    edges = lines_with(dot, " -> ");
    ck_assert_ptr_nonnull(strstr(edges, "[label=\"tcn: in cloud\", color=\"#c62828\""));
    ck_assert_ptr_nonnull(strstr(edges, "[label=\"in cloud, UK users\"]"));
    again = render(f.r, "mallory", 5);
    ck_assert_str_eq(dot, again);
    free(again);
    free(edges);
    free(dot);
    fx_free(&f);
}
END_TEST

START_TEST(lookup)
{
    fx f;
    uint32_t p = 77;
    char msg[128];

    fx_load(&f, tiny_json, 0, 0);
    ck_assert_int_eq(dm_dot_lookup(f.r, "bob", &p, msg, sizeof msg), DM_OK);
    ck_assert_uint_eq(p, 3);
    p = 77;
    ck_assert_int_eq(dm_dot_lookup(f.r, "malory", &p, msg, sizeof msg), DM_ERR_USAGE);
    ck_assert_uint_eq(p, 77);
    ck_assert_str_eq(msg, "unknown actor \"malory\" (an actor, provider or user id)");
    ck_assert_str_eq(dm_dot_class_color(DM_CLASS_UNLAWFUL), "#fc9272");
    fx_free(&f);
}
END_TEST

static dm_err write_dot(void *r, FILE *out)
{
    dm_dot_opts o = {3, 5};
    return dm_dot_write(r, &o, out);
}

/* Every allocation failing in turn: a clean DM_ERR_NOMEM, never a crash. */
START_TEST(alloc_failure)
{
    fx f;

    fx_load(&f, tiny_json, 0, 0);
    fx_fails_cleanly(write_dot, f.r, 200);
    fx_free(&f);
}
END_TEST

Suite *dot_suite(void)
{
    Suite *s = suite_create("dot");
    TCase *tc = tcase_create("graph");

    tcase_add_test(tc, edges_exact);
    tcase_add_test(tc, nodes_exact);
    tcase_add_test(tc, at_time);
    tcase_add_test(tc, highlight);
    tcase_add_test(tc, collapse);
    tcase_add_test(tc, lookup);
    tcase_add_test(tc, alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}
