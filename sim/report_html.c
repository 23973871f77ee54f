/* report_html.c - a run as one self-contained HTML page (html.h). */
#define _GNU_SOURCE /* fopencookie: explanations escaped on their way out */
#include "doormat/html.h"

#include <inttypes.h>
#include <string.h>

#include "doormat/alloc.h"
#include "doormat/crypto.h"
#include "doormat/dot.h"
#include "doormat/explain.h"
#include "doormat/report.h"
#include "doormat/world.h"
#include "report_util.h"

#define OWNERS_SHOWN 3

/* Chart geometry (SVG user units). */
#define CH_LABEL 150
#define CH_BAR 560
#define CH_NUM 170
#define CH_ROW 26
#define CH_GAP 14

static const char *const class_help[DM_CLASS_COUNT] = {
    "the actor owns the item",
    "by the system's design: keys held from the start, its own stores",
    "an order or ghost whose scope held every owner, in the authority's region",
    "an order or ghost that reached owners outside its scope or region",
    "theft, breach, compromise, or anything derived from them",
};

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#fbfaf7;color:#222;font:19px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Helvetica,Arial,sans-serif}"
    "main{max-width:1180px;margin:0 auto;padding:28px 32px 60px}"
    "h1{font-size:34px;line-height:1.2;margin:0 0 6px}"
    "h2{font-size:26px;margin:44px 0 12px;padding-bottom:6px;border-bottom:2px solid #e4e1da}"
    "h3{font-size:21px;margin:26px 0 8px}"
    ".meta{color:#666;margin:0 0 20px;font-size:16px}"
    ".note{background:#fff6dd;border-left:5px solid #e0a100;padding:10px 16px;margin:12px 0}"
    "#headline{display:flex;gap:24px;flex-wrap:wrap;margin-top:18px}"
    ".big{flex:1 1 300px;border-radius:10px;padding:18px 24px;border:2px solid}"
    ".big .num{display:block;font-size:60px;font-weight:700;line-height:1.1;"
    "font-variant-numeric:tabular-nums}"
    ".big .lbl{display:block;font-size:21px;font-weight:600}"
    ".big .sub{display:block;font-size:17px;color:#444;margin-top:4px}"
    ".with{background:#fdecea;border-color:#d9776c}.with .num{color:#b3261e}"
    ".without{background:#eaf4ec;border-color:#7fb58b}.without .num{color:#2e6b3a}"
    ".delta{font-size:21px;margin:16px 0 0}"
    "table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:17px}"
    "th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #e4e1da;vertical-align:top}"
    "th{background:#f0eee8;font-weight:600}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.more td{color:#666;font-style:italic}"
    ".cls{display:inline-block;padding:1px 10px;border-radius:12px;border:1px solid #0003;"
    "font-size:15px;white-space:nowrap}"
    ".cls.owner{background:#d9d9d9}.cls.custodian{background:#9ecae1}"
    ".cls.lawful{background:#a1d99b}.cls.collateral{background:#fdd49e}"
    ".cls.unlawful{background:#fc9272}"
    "table.reaches{table-layout:fixed}"
    "table.reaches th:nth-child(1){width:27%}table.reaches th:nth-child(2){width:19%}"
    "table.reaches th:nth-child(3){width:15%}"
    "tr.r-collateral td:first-child{box-shadow:inset 5px 0 #f4a93c}"
    "tr.r-unlawful td:first-child{box-shadow:inset 5px 0 #e0533f}"
    "dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:6px 14px;margin:10px 0}"
    "dl.legend dd{margin:0}"
    ".via{color:#555;font-size:15px}"
    "svg.chart{width:100%;height:auto;font-family:inherit}"
    "#graph .frame{overflow:auto;border:1px solid #e4e1da;background:#fff;border-radius:8px;"
    "padding:8px}"
    "#graph svg{max-width:100%;height:auto}"
    "pre{white-space:pre-wrap;background:#f4f2ec;padding:12px 16px;border-radius:8px;"
    "font-size:16px;line-height:1.45}"
    "details summary{cursor:pointer;color:#444}"
    "#lesson p{max-width:60em}"
    "footer{margin-top:48px;color:#666;font-size:15px}";

/* Text for HTML content and attribute values. */
static void esc(FILE *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc(' ', out);
            else
                fputc(*s, out);
        }
}

static void escn(FILE *out, const char *s, size_t n)
{
    size_t i;
    char c[2] = {0, 0};

    for (i = 0; i < n; i++) {
        c[0] = s[i];
        if (c[0] == '\0')
            continue;
        esc(out, c);
    }
}

/* A stream that HTML-escapes what it is given into another stream, so the
 * explain module's sentences can be written straight into the page. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
    FILE *out = cookie;
    escn(out, buf, n);
    return ferror(out) ? -1 : (ssize_t)n;
}

static void num(FILE *out, const char *id, uint64_t v)
{
    char b[32];
    fprintf(out, "<span class=\"num\" id=\"%s\" data-value=\"%" PRIu64 "\">%s</span>", id, v,
            dm_report_thousands(v, b, sizeof b));
}

static void class_chip(FILE *out, dm_class c)
{
    fprintf(out, "<span class=\"cls %s\">%s</span>", dm_class_name(c), dm_class_name(c));
}

static void write_head(const dm_run *r, const dm_html_opts *o, FILE *out)
{
    const dm_scenario *s = r->sc;
    const char *title = s->title ? s->title : "doormat scenario";

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>doormat: ", out);
    esc(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1 id=\"title\">", css);
    esc(out, title);
    fputs("</h1>\n<p class=\"meta\">scenario <code>", out);
    esc(out, s->file ? s->file : "-");
    fprintf(out, "</code> · seed <span id=\"seed\">%" PRIu64 "</span> · after t=%" PRId64
            " (%" PRIu32 " of %zu events applied)</p>\n",
            o->seed, r->at, r->bound, s->n_events);
    if (r->worst_case)
        fprintf(out, "<p class=\"note\" id=\"worst-case\">Worst case: %" PRIu64 " %s with a "
                "probability below 1 %s taken as happening.</p>\n", r->worst_case,
                r->worst_case == 1 ? "event" : "events", r->worst_case == 1 ? "is" : "are");
}

static void write_headline(const dm_run *r, FILE *out)
{
    char b[32];

    fputs("<section id=\"headline\">\n<div class=\"big with\">", out);
    num(out, "exposed-with", r->with.users);
    fputs("<span class=\"lbl\">people exposed with the backdoor</span>"
          "<span class=\"sub\">of whom <span id=\"beyond-with\" data-value=\"", out);
    fprintf(out, "%" PRIu64 "\">%s</span> beyond the law</span></div>\n", r->with.beyond_law,
            dm_report_thousands(r->with.beyond_law, b, sizeof b));
    fputs("<div class=\"big without\">", out);
    num(out, "exposed-without", r->without.users);
    fputs("<span class=\"lbl\">people exposed without it</span>"
          "<span class=\"sub\">of whom <span id=\"beyond-without\" data-value=\"", out);
    fprintf(out, "%" PRIu64 "\">%s</span> beyond the law</span></div>\n</section>\n",
            r->without.beyond_law, dm_report_thousands(r->without.beyond_law, b, sizeof b));
    {
        uint64_t add = r->with.users > r->without.users ? r->with.users - r->without.users : 0;
        fprintf(out, "<p class=\"delta\">The backdoor adds <strong id=\"exposed-added\" "
                "data-value=\"%" PRIu64 "\">%s</strong> exposed people, out of ", add,
                dm_report_thousands(add, b, sizeof b));
        fprintf(out, "<span id=\"people\" data-value=\"%" PRIu64 "\">%s</span> in the "
                "scenario.</p>\n", r->sc->people,
                dm_report_thousands(r->sc->people, b, sizeof b));
    }
}

/* One bar pair's bar: the exposed part, the beyond-law part over it. */
static void bar(FILE *out, double y, uint64_t v, uint64_t beyond, uint64_t max,
                const char *fill, const char *dark, const char *what)
{
    double w = max ? (double)CH_BAR * (double)v / (double)max : 0;
    double wb = max ? (double)CH_BAR * (double)beyond / (double)max : 0;
    char b[32], b2[32];

    if (v > 0 && w < 2)
        w = 2;
    if (beyond > 0 && wb < 2)
        wb = 2;
    fprintf(out, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" fill=\"#f0eee8\"/>",
            CH_LABEL, y, CH_BAR, CH_ROW - 4);
    if (v > 0)
        fprintf(out, "<rect x=\"%d\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
                CH_LABEL, y, w, CH_ROW - 4, fill);
    if (beyond > 0)
        fprintf(out, "<rect x=\"%d\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
                CH_LABEL, y + 6, wb, CH_ROW - 16, dark);
    fprintf(out, "<text x=\"%d\" y=\"%.0f\" font-size=\"15\" fill=\"#333\">%s %s",
            CH_LABEL + CH_BAR + 8, y + CH_ROW - 9, what, dm_report_thousands(v, b, sizeof b));
    if (beyond > 0)
        fprintf(out, " (%s beyond law)", dm_report_thousands(beyond, b2, sizeof b2));
    fputs("</text>\n", out);
}

static dm_err write_regions(const dm_run *r, FILE *out)
{
    const dm_scenario *s = r->sc;
    const uint64_t *people;
    uint64_t max = 1;
    size_t i;
    double h;
    char b[32];

    fputs("<h2>Exposure by region</h2>\n", out);
    if (s->n_regions == 0 || r->with.by_region == NULL || r->without.by_region == NULL) {
        fputs("<p>The scenario has no regions.</p>\n", out);
        return DM_OK;
    }
    people = r->people; /* per region, after the reported step */
    for (i = 0; i < s->n_regions; i++) {
        if (r->with.by_region[i].users > max)
            max = r->with.by_region[i].users;
        if (r->without.by_region[i].users > max)
            max = r->without.by_region[i].users;
    }
    h = 40 + (double)s->n_regions * (2 * CH_ROW + CH_GAP);
    fprintf(out, "<svg class=\"chart\" id=\"region-chart\" viewBox=\"0 0 %d %.0f\" "
            "role=\"img\" aria-label=\"people exposed by region, with and without the "
            "backdoor\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            CH_LABEL + CH_BAR + CH_NUM + 160, h);
    fprintf(out, "<rect x=\"%d\" y=\"4\" width=\"16\" height=\"14\" fill=\"#d9776c\"/>"
            "<text x=\"%d\" y=\"16\" font-size=\"15\">with the backdoor</text>"
            "<rect x=\"%d\" y=\"4\" width=\"16\" height=\"14\" fill=\"#7fb58b\"/>"
            "<text x=\"%d\" y=\"16\" font-size=\"15\">without</text>"
            "<rect x=\"%d\" y=\"8\" width=\"16\" height=\"6\" fill=\"#5b1a14\"/>"
            "<text x=\"%d\" y=\"16\" font-size=\"15\">beyond the law (inner bar)</text>\n",
            CH_LABEL, CH_LABEL + 22, CH_LABEL + 190, CH_LABEL + 212, CH_LABEL + 310,
            CH_LABEL + 332);
    for (i = 0; i < s->n_regions; i++) {
        double y = 34 + (double)i * (2 * CH_ROW + CH_GAP);
        fprintf(out, "<g class=\"region\" id=\"region-%zu\"><text x=\"0\" y=\"%.0f\" "
                "font-size=\"17\" font-weight=\"600\">", i, y + CH_ROW + 4);
        esc(out, s->regions[i]);
        fprintf(out, "</text><text x=\"0\" y=\"%.0f\" font-size=\"12\" fill=\"#666\">%s "
                "people</text>\n", y + CH_ROW + 20, dm_report_thousands(people[i], b, sizeof b));
        bar(out, y, r->with.by_region[i].users, r->with.by_region[i].beyond_law, max, "#d9776c",
            "#5b1a14", "with");
        bar(out, y + CH_ROW, r->without.by_region[i].users, r->without.by_region[i].beyond_law,
            max, "#7fb58b", "#5b1a14", "without");
        fputs("</g>\n", out);
    }
    fputs("</svg>\n", out);
    return DM_OK;
}

static void write_legend(FILE *out)
{
    int c;

    fputs("<dl class=\"legend\" id=\"class-legend\">\n", out);
    for (c = 0; c < DM_CLASS_COUNT; c++) {
        fputs("<dt>", out);
        class_chip(out, (dm_class)c);
        fprintf(out, "</dt><dd>%s</dd>\n", class_help[c]);
    }
    fputs("</dl>\n", out);
}

static void write_owners(const dm_run *r, const dm_witem *it, FILE *out)
{
    uint32_t k;

    for (k = 0; k < it->n_owners && k < OWNERS_SHOWN; k++) {
        if (k)
            fputs(", ", out);
        esc(out, r->sc->users[it->owners[k]].id);
    }
    if (it->n_owners > OWNERS_SHOWN)
        fprintf(out, " and %" PRIu32 " more", it->n_owners - OWNERS_SHOWN);
}

static void write_actors(const dm_run *r, const dm_html_opts *o, FILE *out)
{
    const dm_world *w = r->w;
    size_t i, j, rows = o->max_rows ? o->max_rows : DM_HTML_ROWS;
    char b[32], name[256];
    int c;

    fputs("<h2>Who reads what</h2>\n<p>Each reach is classed by its best path; a path is as "
          "bad as its worst step.</p>\n", out);
    write_legend(out);
    fputs("<table id=\"actor-summary\">\n<tr><th>actor</th><th>kind</th><th class=\"n\">items"
          "</th>", out);
    for (c = 0; c < DM_CLASS_COUNT; c++)
        fprintf(out, "<th class=\"n\">%s</th>", dm_class_name((dm_class)c));
    fputs("</tr>\n", out);
    for (i = 0; i < r->n_actors; i++) {
        const dm_actor_result *a = &r->actors[i];
        fputs("<tr><td>", out);
        esc(out, dm_world_party_id(w, a->party));
        fprintf(out, "</td><td>%s</td><td class=\"n\">%s</td>",
                dm_actor_kind_name(dm_world_party_kind(w, a->party)),
                dm_report_thousands(a->n_reaches, b, sizeof b));
        for (c = 0; c < DM_CLASS_COUNT; c++)
            fprintf(out, "<td class=\"n\">%s</td>",
                    dm_report_thousands(a->n_by_class[c], b, sizeof b));
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    if (r->owner_only_users)
        fprintf(out, "<p>%s other people read only their own data.</p>\n",
                dm_report_thousands(r->owner_only_users, b, sizeof b));
    for (i = 0; i < r->n_actors; i++) {
        const dm_actor_result *a = &r->actors[i];
        fprintf(out, "<h3 id=\"actor-%zu\">", i);
        esc(out, dm_world_party_id(w, a->party));
        fprintf(out, " <small>(%s)</small></h3>\n",
                dm_actor_kind_name(dm_world_party_kind(w, a->party)));
        if (a->n_reaches == 0) {
            fputs("<p>Reads no one else's data.</p>\n", out);
            continue;
        }
        fputs("<table class=\"reaches\">\n<tr><th>item</th><th>owners</th><th>class</th>"
              "<th>via</th></tr>\n", out);
        for (j = 0; j < a->n_reaches && j < rows; j++) {
            const dm_reach *re = &a->reaches[j];
            uint32_t v;
            fprintf(out, "<tr class=\"r-%s\"><td>", dm_class_name((dm_class)re->cls));
            esc(out, w->items[re->item].name);
            fputs("</td><td>", out);
            write_owners(r, &w->items[re->item], out);
            fputs("</td><td>", out);
            class_chip(out, (dm_class)re->cls);
            fputs("</td><td class=\"via\">", out);
            for (v = 0; v < re->via_len; v++) {
                if (v)
                    fputs(" → ", out);
                esc(out, dm_report_via_name(r, a->via[re->via_off + v], name, sizeof name));
            }
            fputs("</td></tr>\n", out);
        }
        if (a->n_reaches > rows)
            fprintf(out, "<tr class=\"more\"><td colspan=\"4\">and %s more</td></tr>\n",
                    dm_report_thousands(a->n_reaches - rows, b, sizeof b));
        fputs("</table>\n", out);
    }
}

/* Skip the XML prolog, doctype and comments Graphviz writes before <svg. */
static const char *svg_start(const char *svg, size_t len, size_t *rest)
{
    size_t i;

    for (i = 0; i + 4 <= len; i++)
        if (memcmp(svg + i, "<svg", 4) == 0) {
            *rest = len - i;
            return svg + i;
        }
    *rest = 0;
    return NULL;
}

static void write_graph(const dm_run *r, const dm_html_opts *o, FILE *out)
{
    const char *svg = NULL;
    size_t n = 0;

    fputs("<section id=\"graph\">\n<h2>The key graph</h2>\n<p>Keys are ellipses (a double "
          "outline is a keypair), items are notes, stores are cylinders. Each arrow is a "
          "ciphertext, from the key that opens it to what it holds; dashed red arrows were "
          "made by the backdoor.", out);
    if (o->actor != UINT32_MAX && o->actor < r->w->n_parties) {
        fputs(" Highlighted: what <strong>", out);
        esc(out, dm_world_party_id(r->w, o->actor));
        fputs("</strong> learns (orange) and reaches (filled by class).", out);
    }
    fputs("</p>\n", out);
    if (o->svg != NULL)
        svg = svg_start(o->svg, o->svg_len, &n);
    if (svg != NULL) {
        fputs("<div class=\"frame\">\n", out);
        fwrite(svg, 1, n, out);
        fputs("</div>\n", out);
    } else {
        fputs("<p class=\"note\" id=\"graph-missing\">Install graphviz to see the key graph "
              "here (<code>apt-get install graphviz</code>), then run doormat again.</p>\n",
              out);
        if (o->dot != NULL) {
            fputs("<details><summary>The key graph in DOT (Graphviz) source</summary>\n<pre>",
                  out);
            escn(out, o->dot, o->dot_len);
            fputs("</pre></details>\n", out);
        }
    }
    fputs("</section>\n", out);
}

static void write_lesson(const dm_run *r, FILE *out)
{
    size_t i;

    if (r->sc->n_lesson == 0)
        return;
    fputs("<section id=\"lesson\">\n<h2>The lesson</h2>\n", out);
    for (i = 0; i < r->sc->n_lesson; i++) {
        fputs("<p>", out);
        esc(out, r->sc->lesson[i]);
        fputs("</p>\n", out);
    }
    fputs("</section>\n", out);
}

static dm_err write_explanations(const dm_run *r, const dm_html_opts *o, FILE *out)
{
    cookie_io_functions_t io = {NULL, cookie_write, NULL, NULL};
    size_t i, j, shown = 0, total = 0, cap = o->max_explain ? o->max_explain : DM_HTML_EXPLAIN;
    char b[32];
    dm_err e = DM_OK;

    for (i = 0; i < r->n_actors; i++)
        for (j = 0; j < r->actors[i].n_reaches; j++)
            if (r->actors[i].reaches[j].cls >= DM_CLASS_COLLATERAL)
                total++;
    if (total == 0)
        return DM_OK;
    fputs("<section id=\"explanations\">\n<h2>Surprising reaches, explained</h2>\n"
          "<p>Collateral and unlawful reaches: how each actor gets there, step by step.</p>\n",
          out);
    for (i = 0; i < r->n_actors && shown < cap; i++) {
        const dm_actor_result *a = &r->actors[i];
        for (j = 0; j < a->n_reaches && shown < cap; j++) {
            const dm_reach *re = &a->reaches[j];
            FILE *f;
            if (re->cls < DM_CLASS_COLLATERAL)
                continue;
            fputs("<article class=\"explain\"><h3>", out);
            esc(out, dm_world_party_id(r->w, a->party));
            fputs(" reads ", out);
            esc(out, r->w->items[re->item].name);
            fputs(" ", out);
            class_chip(out, (dm_class)re->cls);
            fputs("</h3>\n<pre>", out);
            f = fopencookie(out, "w", io);
            if (f == NULL)
                return DM_ERR_NOMEM;
            e = dm_explain(r, a->party, re->item, f);
            if (fclose(f) != 0 && e == DM_OK)
                e = DM_ERR_IO;
            if (e != DM_OK)
                return e;
            fputs("</pre></article>\n", out);
            shown++;
        }
    }
    if (total > shown)
        fprintf(out, "<p class=\"more\">and %s more; <code>doormat run FILE --explain "
                "ACTOR:ITEM</code> explains any of them.</p>\n",
                dm_report_thousands(total - shown, b, sizeof b));
    fputs("</section>\n", out);
    return DM_OK;
}

static void write_footer(const dm_run *r, const dm_verification *v, FILE *out)
{
    char b[32], b2[32];
    size_t i;

    fputs("<footer>\n", out);
    for (i = 0; i < r->sc->n_events; i++)
        if (r->refused && r->refused[i]) {
            fputs("<p class=\"refused\">Refused for want of jurisdiction: ", out);
            esc(out, r->sc->events[i].id);
            fputs("</p>\n", out);
        }
    if (v != NULL)
        fprintf(out, "<p id=\"verification\">Verified by real decryption: %s reaches and %s "
                "non-reaches; %" PRIu64 " mismatches.</p>\n",
                dm_report_thousands(v->reaches_proven, b, sizeof b),
                dm_report_thousands(v->nonreaches_proven, b2, sizeof b2), v->mismatches);
    else
        fputs("<p id=\"verification\">Not verified by decryption.</p>\n", out);
    fputs("<p>Made by doormat, a threat-model simulator. Its name comes from "
          "<em>Keys Under Doormats</em> (Abelson et al., 2015).</p>\n</footer>\n", out);
}

dm_err dm_html_write(const dm_run *r, const dm_verification *v, const dm_html_opts *opts,
                     FILE *out)
{
    dm_html_opts o;
    dm_err e;

    if (opts)
        o = *opts;
    else {
        memset(&o, 0, sizeof o);
        o.actor = UINT32_MAX;
    }
    write_head(r, &o, out);
    write_headline(r, out);
    if ((e = write_regions(r, out)) != DM_OK)
        return e;
    write_actors(r, &o, out);
    write_graph(r, &o, out);
    write_lesson(r, out);
    if ((e = write_explanations(r, &o, out)) != DM_OK)
        return e;
    write_footer(r, v, out);
    fputs("</main>\n</body>\n</html>\n", out);
    return ferror(out) ? DM_ERR_IO : DM_OK;
}
