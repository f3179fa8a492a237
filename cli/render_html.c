/*
 * render_html.c — a statement as one self-contained printable HTML page: no
 * scripts, no outside resources, inline CSS, every text HTML-escaped, and an
 * inline SVG chart of each scheme's variance on one zero axis that
 * reads in black and white (an underspend an outlined bar, an overspend a hatched one,
 * each labelled with its amount). Bar lengths are integer pixels from
 * integer pence: no floating point.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#define M PB_MONEY_TEXT_MAX
/* Chart geometry in pixels. */
/* The variance chart, left to right: scheme labels in CHART_LABEL_PX (names
 * cut at CHART_NAME_CHARS characters, 13px type; the Schemes table has them
 * whole), CHART_HALF_PX either side of the zero axis, then a column of
 * CHART_VALUE_PX for each amount and percentage ("-10,000,000,000,000.00
 * (-10000.00%)" at 12px is under 240px), so no label meets a bar or an edge. */
#define CHART_LABEL_PX 240
#define CHART_NAME_CHARS 28
#define CHART_HALF_PX 200
#define CHART_VALUE_PX 250
#define CHART_AXIS_PX (CHART_LABEL_PX + CHART_HALF_PX)
#define CHART_VALUE_X_PX (CHART_AXIS_PX + CHART_HALF_PX + 16)
#define CHART_WIDTH_PX (CHART_VALUE_X_PX + CHART_VALUE_PX)
#define CHART_ROW_PX 28
#define CHART_BAR_H_PX 18

/* Write text with & < > " ' escaped. */
static void
esc(FILE *f, const char *text)
{
    for (const char *p = text != NULL ? text : ""; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*p, f);
        }
    }
}

static void
cell(FILE *f, const char *text)
{
    fputs("<td>", f);
    esc(f, text);
    fputs("</td>", f);
}

static void
money_cell(FILE *f, const json_t *amount)
{
    char a[M];
    fputs("<td class=\"n\">", f);
    esc(f, render_money(amount, a, M));
    fputs("</td>", f);
}

static const char STYLE[] =
    "body{font-family:Helvetica,Arial,sans-serif;color:#000;background:#fff;margin:2em;"
    "max-width:75em}h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;"
    "border-bottom:1px solid #000}table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #777;padding:.2em .5em;text-align:left;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr.total td{font-weight:bold;border-top:2px solid #000}.position{font-size:1.2em;"
    "font-weight:bold;border:2px solid #000;padding:.5em;display:inline-block}"
    "ul.headline{font-size:1.1em;line-height:1.4;padding-left:1.2em}ul.headline li{margin:.3em 0}"
    "p.status{font-weight:bold;border:2px solid #000;padding:.3em .6em;display:inline-block}"
    "p.status.draft{border-style:dashed}h2.appendix{break-before:page}"
    "td.rag.red{font-weight:bold;text-transform:uppercase}td.rag.amber{font-style:italic}"
    "ol.workings li{margin:.2em 0}.mono{font-family:monospace;font-size:.85em;"
    "word-break:break-all}@media print{body{margin:0}h2{break-after:avoid}"
    "table,svg{break-inside:avoid}}";

static void
html_head(FILE *f, const json_t *st)
{
    char title[512];
    const json_t *pool = json_object_get(st, "pool");
    render_title(st, title, sizeof(title));
    fputs("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", f);
    esc(f, title);
    fputs(" — ", f);
    esc(f, render_str(pool, "id"));
    fputs(" ", f);
    esc(f, render_str(st, "period"));
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", STYLE);
    esc(f, title);
    fprintf(f, "</h1>\n<p class=\"status %s\">", render_str(st, "status"));
    esc(f, render_status(st));
    char partnership[PB_PARTNERS_MAX * 80];
    fputs("</p>\n<table>\n<tr><th>Partnership</th><td colspan=\"2\">", f);
    esc(f, render_partnership(st, partnership, sizeof(partnership)));
    fputs("</td></tr>\n<tr><th>As at</th><td colspan=\"2\">", f);
    esc(f, render_str(st, "as_at"));
    fputs("</td></tr>\n<tr><th>Pool</th>", f);
    cell(f, render_str(pool, "id"));
    cell(f, render_str(pool, "name"));
    fputs("</tr>\n<tr><th>Host</th>", f);
    cell(f, render_str(pool, "host"));
    cell(f, render_str(pool, "host_name"));
    fputs("</tr>\n<tr><th>Ledger</th><td colspan=\"2\">", f);
    esc(f, render_str(st, "origin"));
    fputs("</td></tr>\n<tr><th>Period</th>", f);
    cell(f, render_str(st, "period"));
    fputs("<td>to ", f);
    esc(f, render_str(st, "period_end"));
    fputs("; outturn basis: ", f);
    esc(f, render_str(st, "basis"));
    fputs("</td></tr>\n</table>\n", f);
}

/* The headline, first on page one: the sentences a board member reads. */
static void
html_headline(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *line;
    fputs("<h2>Headline</h2>\n<ul class=\"headline\">\n", f);
    json_array_foreach(json_object_get(st, "headline"), i, line)
    {
        fputs("<li>", f);
        esc(f, json_string_value(line));
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

static void
html_contributions(FILE *f, const json_t *st)
{
    const json_t *c = json_object_get(st, "contributions");
    size_t i;
    const json_t *s;
    fputs("<h2>Contributions</h2>\n<table>\n<tr><th>Stream</th><th>Name</th><th>Payer</th>"
          "<th class=\"n\">Planned</th><th class=\"n\">Received</th></tr>\n",
          f);
    json_array_foreach(json_object_get(c, "streams"), i, s)
    {
        fputs("<tr>", f);
        cell(f, render_str(s, "id"));
        cell(f, render_str(s, "name"));
        cell(f, render_str(s, "payer"));
        money_cell(f, json_object_get(s, "planned"));
        money_cell(f, json_object_get(s, "received"));
        fputs("</tr>\n", f);
    }
    fputs("<tr class=\"total\"><td colspan=\"3\">Total</td>", f);
    money_cell(f, json_object_get(c, "planned"));
    money_cell(f, json_object_get(c, "received"));
    fputs("</tr>\n</table>\n", f);
}

static void
html_schemes(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *s;
    fputs("<h2>Schemes</h2>\n<table>\n<tr><th>Scheme</th><th>Name</th><th>Lead</th>"
          "<th class=\"n\">Budget</th><th class=\"n\">Actual to date</th>"
          "<th class=\"n\">Outturn</th><th class=\"n\">Variance</th><th class=\"n\">Var %</th>"
          "<th>RAG</th><th>Forecast commentary</th></tr>\n",
          f);
    json_array_foreach(json_object_get(st, "schemes"), i, s)
    {
        fputs("<tr>", f);
        cell(f, render_str(s, "id"));
        fputs("<td>", f);
        esc(f, render_str(s, "name"));
        if (json_object_get(s, "flag") != NULL) {
            fputs(" <em>(", f);
            esc(f, render_str(s, "flag"));
            fputs(")</em>", f);
        }
        fputs("</td>", f);
        cell(f, render_str(s, "lead"));
        money_cell(f, json_object_get(s, "budget"));
        money_cell(f, json_object_get(s, "actual"));
        money_cell(f, json_object_get(s, "outturn"));
        money_cell(f, json_object_get(s, "variance"));
        char bp[16];
        fputs("<td class=\"n\">", f);
        esc(f, render_bp(json_object_get(s, "variance_bp"), bp, sizeof(bp)));
        /* The rating is a word, so it reads in black and white. */
        fprintf(f, "</td><td class=\"rag %s\">", render_str(s, "rag"));
        esc(f, render_str(s, "rag"));
        fputs("</td>", f);
        cell(f, render_commentary(st, render_str(s, "id")));
        fputs("</tr>\n", f);
    }
    const json_t *t = json_object_get(st, "totals");
    fputs("<tr class=\"total\"><td colspan=\"3\">Pool total</td>", f);
    money_cell(f, json_object_get(t, "budget"));
    money_cell(f, json_object_get(t, "actual"));
    money_cell(f, json_object_get(t, "outturn"));
    money_cell(f, json_object_get(t, "variance"));
    fputs("<td colspan=\"3\"></td></tr>\n</table>\n", f);
}

static void
move_row(FILE *f, const char *label, const json_t *ch)
{
    fputs("<tr>", f);
    cell(f, label);
    money_cell(f, json_object_get(ch, "from"));
    money_cell(f, json_object_get(ch, "to"));
    money_cell(f, json_object_get(ch, "change"));
    fputs("</tr>\n", f);
}

/* The change since the previous quarter (docs/statements.md). */
static void
html_movement(FILE *f, const json_t *st)
{
    const json_t *mv = json_object_get(st, "movement");
    const char *key;
    const json_t *v;
    size_t i;
    if (!json_is_object(mv)) {
        fputs("<h2>Movement</h2>\n<p>None: the first quarter has no previous quarter.</p>\n", f);
        return;
    }
    fputs("<h2>Movement since ", f);
    esc(f, render_str(mv, "since"));
    fputs("</h2>\n<table>\n<tr><th></th><th class=\"n\">At ", f);
    esc(f, render_str(mv, "since_end"));
    fputs("</th><th class=\"n\">Now</th><th class=\"n\">Change</th></tr>\n", f);
    move_row(f, "Pool variance", json_object_get(mv, "variance"));
    json_object_foreach((json_t *)json_object_get(mv, "shares"), key, v)
    {
        char label[PB_ID_BYTES_MAX + 16];
        snprintf(label, sizeof(label), "Share of %s", key);
        move_row(f, label, v);
    }
    json_array_foreach(json_object_get(mv, "schemes"), i, v)
    {
        char label[PB_ID_BYTES_MAX + 24];
        if (!json_is_object(json_object_get(v, "outturn"))) {
            continue;
        }
        snprintf(label, sizeof(label), "%s outturn", render_str(v, "id"));
        move_row(f, label, json_object_get(v, "outturn"));
        snprintf(label, sizeof(label), "%s variance", render_str(v, "id"));
        move_row(f, label, json_object_get(v, "variance"));
    }
    fputs("</table>\n", f);
}

/* Pixels for |pence| on a scale where max_pence is CHART_HALF_PX. */
static int64_t
bar_px(int64_t pence, int64_t max_pence)
{
    int64_t magnitude = pence < 0 ? -pence : pence;
    if (magnitude == 0 || max_pence <= 0) {
        return 0;
    }
    /* |pence| <= PB_MONEY_PENCE_MAX (1e15): times 260 stays far below INT64_MAX. */
    int64_t px = magnitude * CHART_HALF_PX / max_pence;
    return px > 0 ? px : 1; /* a variance of a penny still shows */
}

/* A scheme's label for the chart: its id and name, the name cut at
 * CHART_NAME_CHARS characters (never inside a UTF-8 sequence) with an
 * ellipsis; the Schemes table above gives the full name. */
static void
chart_label(FILE *f, const json_t *scheme)
{
    const char *name = render_str(scheme, "name");
    size_t bytes = 0, chars = 0;
    while (name[bytes] != '\0' && chars < CHART_NAME_CHARS) {
        bytes++;
        while (((unsigned char)name[bytes] & 0xC0) == 0x80) {
            bytes++;
        }
        chars++;
    }
    char cut[4 * CHART_NAME_CHARS + 8];
    snprintf(cut, sizeof(cut), "%.*s%s", (int)bytes, name, name[bytes] != '\0' ? "\xE2\x80\xA6" : "");
    esc(f, render_str(scheme, "id"));
    fputs(" ", f);
    esc(f, cut);
}

/* One scheme's row: an overspend is a hatched bar right of the zero axis, an
 * underspend an outlined white bar left of it, so the chart reads in black
 * and white; its amount and percentage of budget in the value column. */
static void
chart_row(FILE *f, int64_t y, const json_t *s, int64_t max_pence)
{
    char a[M], bp[16];
    int64_t variance = render_pence(json_object_get(s, "variance"));
    int64_t px = bar_px(variance, max_pence);
    int64_t x = variance < 0 ? CHART_AXIS_PX - px : CHART_AXIS_PX;
    fprintf(f, "<text x=\"0\" y=\"%lld\" font-size=\"13\">", (long long)(y + 13));
    chart_label(f, s);
    fputs("<title>", f);
    esc(f, render_str(s, "name"));
    fputs("</title></text>\n", f);
    fprintf(f,
            "<rect x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"%d\" fill=\"%s\" stroke=\"#000\" "
            "stroke-width=\"1.5\"/>\n",
            (long long)x, (long long)y, (long long)px, CHART_BAR_H_PX,
            variance > 0 ? "url(#hatch)" : "#fff");
    fprintf(f, "<text x=\"%d\" y=\"%lld\" font-size=\"12\">", CHART_VALUE_X_PX,
            (long long)(y + CHART_BAR_H_PX - 4));
    esc(f, render_money(json_object_get(s, "variance"), a, M));
    fputs(" (", f);
    esc(f, render_bp(json_object_get(s, "variance_bp"), bp, sizeof(bp)));
    fputs(")</text>\n", f);
}

static void
html_chart(FILE *f, const json_t *st)
{
    const json_t *schemes = json_object_get(st, "schemes");
    int64_t max_pence = 0;
    size_t i;
    const json_t *s;
    json_array_foreach(schemes, i, s)
    {
        int64_t v = render_pence(json_object_get(s, "variance"));
        v = v < 0 ? -v : v;
        max_pence = v > max_pence ? v : max_pence;
    }
    int64_t top = 30;
    int64_t height = (int64_t)json_array_size(schemes) * CHART_ROW_PX + top + 24;
    fputs("<h2>Variance by scheme (outturn − budget)</h2>\n", f);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" viewBox=\"0 0 %d %lld\" "
            "style=\"max-width:100%%;height:auto\" role=\"img\" aria-label=\"Variance by scheme\" "
            "font-family=\"Helvetica,Arial,sans-serif\">\n<defs><pattern id=\"hatch\" "
            "width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
            "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
            "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000\" stroke-width=\"2.5\"/>"
            "</pattern></defs>\n",
            CHART_WIDTH_PX, CHART_WIDTH_PX, (long long)height);
    fprintf(f,
            "<rect x=\"%d\" y=\"4\" width=\"24\" height=\"12\" fill=\"#fff\" stroke=\"#000\"/>"
            "<text x=\"%d\" y=\"14\" font-size=\"12\">underspend (outline, left)</text>\n"
            "<rect x=\"%d\" y=\"4\" width=\"24\" height=\"12\" fill=\"url(#hatch)\" "
            "stroke=\"#000\"/><text x=\"%d\" y=\"14\" font-size=\"12\">overspend (hatched, "
            "right)</text>\n",
            CHART_AXIS_PX - 200, CHART_AXIS_PX - 170, CHART_AXIS_PX + 20, CHART_AXIS_PX + 50);
    json_array_foreach(schemes, i, s)
    {
        chart_row(f, (int64_t)i * CHART_ROW_PX + top, s, max_pence);
    }
    fprintf(f,
            "<line x1=\"%d\" y1=\"%lld\" x2=\"%d\" y2=\"%lld\" stroke=\"#000\" "
            "stroke-width=\"2\"/>\n<text x=\"%d\" y=\"%lld\" font-size=\"12\" "
            "text-anchor=\"middle\">0 (on budget)</text>\n</svg>\n",
            CHART_AXIS_PX, (long long)(top - 6), CHART_AXIS_PX, (long long)(height - 20),
            CHART_AXIS_PX, (long long)(height - 6));
}

static void
html_policy(FILE *f, const json_t *st)
{
    const json_t *p = json_object_get(st, "policy");
    const char *key;
    const json_t *v;
    size_t i;
    fputs("<h2>Risk share: ", f);
    esc(f, render_str(p, "name"));
    fputs("</h2>\n<p>Netting ", f);
    esc(f, render_str(p, "netting"));
    fputs("; the variance is ", f);
    esc(f, render_str(p, "variance_basis"));
    fputs(".</p>\n<table>\n<tr><th>Pool variance</th>", f);
    money_cell(f, json_object_get(p, "variance"));
    fputs("</tr>\n", f);
    json_object_foreach((json_t *)json_object_get(p, "shares"), key, v)
    {
        fputs("<tr><th>Share of ", f);
        esc(f, key);
        fputs("</th>", f);
        money_cell(f, v);
        fputs("</tr>\n", f);
    }
    fputs("<tr><th>Unallocated</th>", f);
    money_cell(f, json_object_get(p, "unallocated"));
    fputs("</tr>\n<tr><th>Carried forward</th>", f);
    money_cell(f, json_object_get(p, "carried_forward"));
    fputs("</tr>\n</table>\n<h3>Workings</h3>\n<ol class=\"workings\">\n", f);
    json_array_foreach(json_object_get(p, "workings"), i, v)
    {
        char *line = render_step(v);
        fputs("<li>", f);
        esc(f, line);
        fputs("</li>\n", f);
        free(line);
    }
    fputs("</ol>\n", f);
}

static void
html_positions(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(st, "positions"), i, p)
    {
        fputs("<h2>Position of ", f);
        esc(f, render_str(p, "name"));
        fputs(" (", f);
        esc(f, render_str(p, "partner"));
        fputs(")</h2>\n<table>\n<tr><th>Planned contribution (year)</th>", f);
        money_cell(f, json_object_get(p, "planned"));
        fputs("</tr>\n<tr><th>+ share of the variance</th>", f);
        money_cell(f, json_object_get(p, "share"));
        fputs("</tr>\n<tr><th>− paid to the period end</th>", f);
        money_cell(f, json_object_get(p, "paid"));
        fprintf(f, "</tr>\n<tr class=\"total\"><td>= %s</td>", render_due_label(st));
        money_cell(f, json_object_get(p, "due"));
        fputs("</tr>\n</table>\n<p class=\"position\">", f);
        esc(f, render_str(p, "text"));
        fputs("</p>\n<table>\n<tr><th>Contributions due to date (", f);
        esc(f, render_str(p, "due_basis"));
        fputs(")</th>", f);
        money_cell(f, json_object_get(p, "due_to_date"));
        fputs("</tr>\n<tr><th>− paid to the period end</th>", f);
        money_cell(f, json_object_get(p, "paid"));
        fputs("</tr>\n<tr><th>= arrears (negative: paid ahead)</th>", f);
        money_cell(f, json_object_get(p, "arrears"));
        fputs("</tr>\n<tr><th>+ share of the variance</th>", f);
        money_cell(f, json_object_get(p, "share"));
        fputs("</tr>\n<tr class=\"total\"><td>= net position now</td>", f);
        money_cell(f, json_object_get(p, "net"));
        fputs("</tr>\n</table>\n", f);
    }
}

static void
html_integrity(FILE *f, const json_t *st)
{
    const json_t *in = json_object_get(st, "integrity");
    const json_t *cp = json_object_get(in, "checkpoint");
    const json_t *v = json_object_get(in, "verification");
    size_t i;
    const json_t *line;
    fprintf(f,
            "<h2 class=\"appendix\">Appendix: integrity</h2>\n<p>Figures read from the first %" JSON_INTEGER_FORMAT
            " records of the ledger.</p>\n",
            json_integer_value(json_object_get(in, "tree_size")));
    if (json_is_object(cp)) {
        fprintf(f, "<p>Checkpoint: tree size %" JSON_INTEGER_FORMAT ", root <span class=\"mono\">",
                json_integer_value(json_object_get(cp, "tree_size")));
        esc(f, render_str(cp, "root"));
        fputs("</span></p>\n<ul>\n", f);
        json_array_foreach(json_object_get(cp, "signatures"), i, line)
        {
            fputs("<li class=\"mono\">", f);
            esc(f, json_string_value(line));
            fputs("</li>\n", f);
        }
        fputs("</ul>\n<p>Witnessed by: ", f);
        if (json_array_size(json_object_get(cp, "witnesses")) == 0) {
            fputs("no partner's witness", f);
        }
        json_array_foreach(json_object_get(cp, "witnesses"), i, line)
        {
            fputs(i > 0 ? ", " : "", f);
            esc(f, json_string_value(line));
        }
        fputs(".</p>\n", f);
    } else {
        fputs("<p>Checkpoint: none covers these records yet.</p>\n", f);
    }
    fputs("<p>Verification: ", f);
    esc(f, render_str(v, "result"));
    fprintf(f,
            " (%" JSON_INTEGER_FORMAT " records, %" JSON_INTEGER_FORMAT
            " signatures, %" JSON_INTEGER_FORMAT " checkpoints, %" JSON_INTEGER_FORMAT
            " cosignatures); root <span class=\"mono\">",
            json_integer_value(json_object_get(v, "records")),
            json_integer_value(json_object_get(v, "signatures")),
            json_integer_value(json_object_get(v, "checkpoints")),
            json_integer_value(json_object_get(v, "cosignatures")));
    esc(f, render_str(v, "root"));
    fputs("</span></p>\n", f);
    json_array_foreach(json_object_get(v, "review"), i, line)
    {
        fputs("<p class=\"flag\">For review: ", f);
        esc(f, render_str(line, "text"));
        fputs("</p>\n", f);
    }
}

int
render_html(FILE *f, const json_t *statement)
{
    html_head(f, statement);
    html_headline(f, statement);
    html_contributions(f, statement);
    html_schemes(f, statement);
    html_movement(f, statement);
    html_chart(f, statement);
    html_policy(f, statement);
    html_positions(f, statement);
    html_integrity(f, statement);
    fputs("</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}
