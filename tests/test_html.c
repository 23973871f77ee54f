/* test_html.c - the HTML page: escaping, headline numbers, graph or fallback, caps. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/dot.h"
#include "doormat/engine.h"
#include "doormat/html.h"
#include "doormat/scenario.h"
#include "fixture.h"

/* alice (UK) escrowed by a UK-only backdoor, a US cohort of 5 that is not,
 * an attacker who steals the key and breaches the cloud; a title and a
 * lesson that try to inject markup. */
static const char tiny_json[] =
    "{\"doormat\": 1, \"title\": \"tiny <script>alert(1)</script> & \\\"q\\\" 'x'\",\n"
    " \"lesson\": [\"First <b>paragraph</b>.\", \"Second & last.\"],\n"
    " \"regions\": [\"UK\", \"US\"],\n"
    " \"providers\": [{\"id\": \"cloud\", \"regions\": [\"UK\", \"US\"]}],\n"
    " \"users\": [{\"id\": \"alice\", \"region\": \"UK\", \"provider\": \"cloud\",\n"
    "             \"protection\": \"e2ee\", \"items\": [\"p\", \"q\", \"r\"]},\n"
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

static void fx_load(fx *f, const char *json)
{
    dm_run_opts o = {0};

    fx_run_opts(f, "t.json", json, &o);
}

/* The page (free()). */
static char *render(const dm_run *r, const dm_html_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(dm_html_write(r, NULL, o, f), DM_OK);
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    const char *p = hay;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

START_TEST(escaping)
{
    fx f;
    char *page;

    fx_load(&f, tiny_json);
    page = render(f.r, NULL);
    ck_assert_ptr_null(strstr(page, "<script"));
    ck_assert_ptr_null(strstr(page, "<b>"));
    ck_assert_ptr_nonnull(strstr(page, "<title>doormat: tiny &lt;script&gt;alert(1)&lt;/script&gt; "
                                       "&amp; &quot;q&quot; &#39;x&#39;</title>"));
    ck_assert_ptr_nonnull(strstr(page, "<h1 id=\"title\">tiny &lt;script&gt;alert(1)&lt;/script&gt; "
                                       "&amp; &quot;q&quot; &#39;x&#39;</h1>"));
    ck_assert_ptr_nonnull(strstr(page, "<section id=\"lesson\">\n<h2>The lesson</h2>\n"
                                       "<p>First &lt;b&gt;paragraph&lt;/b&gt;.</p>\n"
                                       "<p>Second &amp; last.</p>\n</section>\n"));
    ck_assert(strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">\n", 33) == 0);
    ck_assert_ptr_nonnull(strstr(page, "</main>\n</body>\n</html>\n"));
    /* Self-contained: nothing fetched. */
    ck_assert_ptr_null(strstr(page, "http://www.w3.org/1999"));
    ck_assert_ptr_null(strstr(page, "src="));
    ck_assert_ptr_null(strstr(page, "<link"));
    free(page);
    fx_free(&f);
}
END_TEST

START_TEST(headline)
{
    fx f;
    char *page;

    fx_load(&f, tiny_json);
    page = render(f.r, NULL);
    ck_assert_ptr_nonnull(strstr(page, "<span class=\"num\" id=\"exposed-with\" data-value=\"1\">1"
                                       "</span><span class=\"lbl\">people exposed with the "
                                       "backdoor</span>"));
    ck_assert_ptr_nonnull(strstr(page, "<span id=\"beyond-with\" data-value=\"1\">1</span>"));
    ck_assert_ptr_nonnull(strstr(page, "<span class=\"num\" id=\"exposed-without\" "
                                       "data-value=\"0\">0</span>"));
    ck_assert_ptr_nonnull(strstr(page, "<span id=\"beyond-without\" data-value=\"0\">0</span>"));
    ck_assert_ptr_nonnull(strstr(page, "<strong id=\"exposed-added\" data-value=\"1\">1</strong>"));
    ck_assert_ptr_nonnull(strstr(page, "<span id=\"people\" data-value=\"6\">6</span>"));
    /* The chart: a group per region, US with nobody exposed. */
    ck_assert_uint_eq(count(page, "<g class=\"region\""), 2);
    ck_assert_ptr_nonnull(strstr(page, "font-weight=\"600\">US</text>"));
    ck_assert_ptr_nonnull(strstr(page, ">with 1 (1 beyond law)</text>"));
    ck_assert_uint_eq(count(page, ">without 0</text>"), 2);
    free(page);
    fx_free(&f);
}
END_TEST

START_TEST(actors_and_caps)
{
    fx f;
    dm_html_opts o;
    char *page;

    fx_load(&f, tiny_json);
    memset(&o, 0, sizeof o);
    o.actor = DM_DOT_NO_ACTOR;
    o.max_rows = 2;
    o.max_explain = 1;
    page = render(f.r, &o);
    /* mallory reads alice's three items: two rows, then "and 1 more". */
    ck_assert_ptr_nonnull(strstr(page, "<tr class=\"r-unlawful\"><td>alice/p</td><td>alice</td>"
                                       "<td><span class=\"cls unlawful\">unlawful</span></td>"
                                       "<td class=\"via\">theft → escrow → tcn → hack → alice.dk"
                                       "</td></tr>\n"));
    ck_assert_uint_eq(count(page, "<tr class=\"more\"><td colspan=\"4\">and 1 more</td></tr>"), 2);
    ck_assert_uint_eq(count(page, "<dt><span class=\"cls "), 5);
    /* One explanation (capped), the other two counted. */
    ck_assert_uint_eq(count(page, "<article class=\"explain\">"), 1);
    ck_assert_ptr_nonnull(strstr(page, "<h3>mallory reads alice/p <span class=\"cls unlawful\">"
                                       "unlawful</span></h3>\n<pre>How mallory reads alice/p"));
    ck_assert_ptr_nonnull(strstr(page, "[t=2, theft] mallory steals the key escrow."));
    ck_assert_ptr_nonnull(strstr(page, "<p class=\"more\">and 2 more; "));
    free(page);
    fx_free(&f);
}
END_TEST

START_TEST(graph_svg)
{
    static const char svg[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<!-- x -->\n"
                              "<svg width=\"10pt\"><g id=\"graph0\"></g></svg>\n";
    fx f;
    dm_html_opts o;
    char *page;

    fx_load(&f, tiny_json);
    memset(&o, 0, sizeof o);
    o.actor = 1;
    o.svg = svg;
    o.svg_len = strlen(svg);
    o.dot = "digraph x {}";
    o.dot_len = 12;
    page = render(f.r, &o);
    ck_assert_ptr_nonnull(strstr(page, "<div class=\"frame\">\n<svg width=\"10pt\"><g id=\"graph0\">"
                                       "</g></svg>\n</div>\n"));
    ck_assert_ptr_null(strstr(page, "<?xml"));
    ck_assert_ptr_null(strstr(page, "graph-missing"));
    ck_assert_ptr_nonnull(strstr(page, " Highlighted: what <strong>mallory</strong> learns"));
    free(page);
    fx_free(&f);
}
END_TEST

START_TEST(graph_missing)
{
    static const char dot[] = "digraph d { a [label=\"<x> & y\"]; }";
    fx f;
    dm_html_opts o;
    char *page;

    fx_load(&f, tiny_json);
    memset(&o, 0, sizeof o);
    o.actor = DM_DOT_NO_ACTOR;
    o.dot = dot;
    o.dot_len = strlen(dot);
    page = render(f.r, &o);
    ck_assert_ptr_nonnull(strstr(page, "<p class=\"note\" id=\"graph-missing\">Install graphviz to "
                                       "see the key graph"));
    ck_assert_ptr_nonnull(strstr(page, "<details><summary>The key graph in DOT (Graphviz) source"
                                       "</summary>\n<pre>digraph d { a [label=&quot;&lt;x&gt; "
                                       "&amp; y&quot;]; }</pre></details>"));
    ck_assert_ptr_null(strstr(page, "<div class=\"frame\">"));
    free(page);
    fx_free(&f);
}
END_TEST

START_TEST(deterministic)
{
    fx f;
    char *a, *b;

    fx_load(&f, tiny_json);
    a = render(f.r, NULL);
    b = render(f.r, NULL);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    fx_free(&f);
}
END_TEST

static dm_err write_html(void *r, FILE *out)
{
    return dm_html_write(r, NULL, NULL, out);
}

/* Every allocation failing in turn: a clean DM_ERR_NOMEM, never a crash. */
START_TEST(alloc_failure)
{
    fx f;

    fx_load(&f, tiny_json);
    fx_fails_cleanly(write_html, f.r, 400);
    fx_free(&f);
}
END_TEST

Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("page");

    tcase_add_test(tc, escaping);
    tcase_add_test(tc, headline);
    tcase_add_test(tc, actors_and_caps);
    tcase_add_test(tc, graph_svg);
    tcase_add_test(tc, graph_missing);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, alloc_failure);
    suite_add_tcase(s, tc);
    return s;
}
