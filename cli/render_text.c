/*
 * render_text.c — a statement for the terminal: aligned columns, amounts
 * with thousands separators, the workings as numbered English lines, and
 * the integrity footer. The layout is in docs/statements.md.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#define M PB_MONEY_TEXT_MAX

static void
text_header(FILE *f, const json_t *st)
{
    char title[512];
    const json_t *pool = json_object_get(st, "pool");
    char partnership[PB_PARTNERS_MAX * 80];
    fprintf(f, "%s\n", render_title(st, title, sizeof(title)));
    fprintf(f, "%s\n", render_status(st));
    fprintf(f, "Partnership: %s\n",
            render_partnership(st, partnership, sizeof(partnership)));
    fprintf(f, "Pool %s: %s\n", render_str(pool, "id"), render_str(pool, "name"));
    fprintf(f, "As at %s\n", render_str(st, "as_at"));
    fprintf(f, "Ledger %s; host %s (%s)\n", render_str(st, "origin"), render_str(pool, "host_name"),
            render_str(pool, "host"));
    fprintf(f, "Period %s, to %s; outturn basis: %s\n\n", render_str(st, "period"),
            render_str(st, "period_end"), render_str(st, "basis"));
}

/* The headline, first: each sentence on its own line (docs/statements.md). */
static void
text_headline(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *line;
    fprintf(f, "Headline\n");
    json_array_foreach(json_object_get(st, "headline"), i, line)
    {
        fprintf(f, "  * %s\n", json_string_value(line));
    }
    fprintf(f, "\n");
}

static void
text_contributions(FILE *f, const json_t *st)
{
    char a[M], b[M];
    const json_t *c = json_object_get(st, "contributions");
    size_t i;
    const json_t *s;
    fprintf(f, "Contributions%-36s %16s %16s\n", "", "planned", "received");
    json_array_foreach(json_object_get(c, "streams"), i, s)
    {
        fprintf(f, "  %-8s %-32s %-6s %16s %16s\n", render_str(s, "id"), render_str(s, "name"),
                render_str(s, "payer"), render_money(json_object_get(s, "planned"), a, M),
                render_money(json_object_get(s, "received"), b, M));
    }
    fprintf(f, "  %-48s %16s %16s\n\n", "total", render_money(json_object_get(c, "planned"), a, M),
            render_money(json_object_get(c, "received"), b, M));
}

static void
text_schemes(FILE *f, const json_t *st)
{
    char a[M], b[M], c[M], d[M];
    size_t i;
    const json_t *s;
    fprintf(f, "Schemes\n");
    char e[16];
    fprintf(f, "  %-8s %-32s %-6s %16s %16s %16s %16s %8s %6s\n", "scheme", "name", "lead",
            "budget", "actual", "outturn", "variance", "var %", "RAG");
    json_array_foreach(json_object_get(st, "schemes"), i, s)
    {
        fprintf(f, "  %-8s %-32s %-6s %16s %16s %16s %16s %8s %6s%s\n", render_str(s, "id"),
                render_str(s, "name"), render_str(s, "lead"),
                render_money(json_object_get(s, "budget"), a, M),
                render_money(json_object_get(s, "actual"), b, M),
                render_money(json_object_get(s, "outturn"), c, M),
                render_money(json_object_get(s, "variance"), d, M),
                render_bp(json_object_get(s, "variance_bp"), e, sizeof(e)), render_str(s, "rag"),
                json_object_get(s, "flag") != NULL ? "  (no forecast: at budget)" : "");
        if (render_commentary(st, render_str(s, "id"))[0] != '\0') {
            fprintf(f, "  %-8s commentary (forecast of %s): %s\n", "", render_str(s, "forecast_date"),
                    render_commentary(st, render_str(s, "id")));
        }
    }
    const json_t *t = json_object_get(st, "totals");
    fprintf(f, "  %-48s %16s %16s %16s %16s\n\n", "pool total",
            render_money(json_object_get(t, "budget"), a, M),
            render_money(json_object_get(t, "actual"), b, M),
            render_money(json_object_get(t, "outturn"), c, M),
            render_money(json_object_get(t, "variance"), d, M));
}

static void
move_row(FILE *f, const char *label, const json_t *ch)
{
    char a[M], b[M], c[M];
    fprintf(f, "  %-46s %16s %16s %16s\n", label, render_money(json_object_get(ch, "from"), a, M),
            render_money(json_object_get(ch, "to"), b, M),
            render_money(json_object_get(ch, "change"), c, M));
}

/* The change since the previous quarter: the pool's variance, the shares
 * shown, and each scheme's outturn and variance. */
static void
text_movement(FILE *f, const json_t *st)
{
    const json_t *mv = json_object_get(st, "movement");
    const char *key;
    const json_t *v;
    size_t i;
    if (!json_is_object(mv)) {
        fprintf(f, "Movement: none (the first quarter has no previous quarter)\n\n");
        return;
    }
    fprintf(f, "Movement since %s (to %s)\n", render_str(mv, "since"), render_str(mv, "since_end"));
    fprintf(f, "  %-46s %16s %16s %16s\n", "", "then", "now", "change");
    move_row(f, "pool variance", json_object_get(mv, "variance"));
    json_object_foreach((json_t *)json_object_get(mv, "shares"), key, v)
    {
        char label[PB_ID_BYTES_MAX + 16];
        snprintf(label, sizeof(label), "share of %s", key);
        move_row(f, label, v);
    }
    json_array_foreach(json_object_get(mv, "schemes"), i, v)
    {
        char label[PB_ID_BYTES_MAX + 16];
        if (!json_is_object(json_object_get(v, "outturn"))) {
            continue;
        }
        snprintf(label, sizeof(label), "%s outturn", render_str(v, "id"));
        move_row(f, label, json_object_get(v, "outturn"));
        snprintf(label, sizeof(label), "%s variance", render_str(v, "id"));
        move_row(f, label, json_object_get(v, "variance"));
    }
    fprintf(f, "\n");
}

static void
text_policy(FILE *f, const json_t *st)
{
    char a[M];
    const json_t *p = json_object_get(st, "policy");
    const char *key;
    const json_t *v;
    size_t i;
    fprintf(f, "Risk share: %s (netting %s)\n", render_str(p, "name"), render_str(p, "netting"));
    fprintf(f, "  variance: %s\n", render_str(p, "variance_basis"));
    fprintf(f, "  %-30s %16s\n", "pool variance",
            render_money(json_object_get(p, "variance"), a, M));
    json_object_foreach((json_t *)json_object_get(p, "shares"), key, v)
    {
        char label[PB_ID_BYTES_MAX + 16];
        snprintf(label, sizeof(label), "share of %s", key);
        fprintf(f, "  %-30s %16s\n", label, render_money(v, a, M));
    }
    fprintf(f, "  %-30s %16s\n", "unallocated",
            render_money(json_object_get(p, "unallocated"), a, M));
    fprintf(f, "  %-30s %16s\n", "carried forward",
            render_money(json_object_get(p, "carried_forward"), a, M));
    fprintf(f, "Workings:\n");
    json_array_foreach(json_object_get(p, "workings"), i, v)
    {
        char *line = render_step(v);
        fprintf(f, "  %3zu. %s\n", i + 1, line);
        free(line);
    }
    fprintf(f, "\n");
}

static void
text_positions(FILE *f, const json_t *st)
{
    char a[M];
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(st, "positions"), i, p)
    {
        fprintf(f, "Position of %s (%s)\n", render_str(p, "name"), render_str(p, "partner"));
        fprintf(f, "    %-34s %16s\n", "planned contribution (year)",
                render_money(json_object_get(p, "planned"), a, M));
        fprintf(f, "  + %-34s %16s\n", "share of the variance",
                render_money(json_object_get(p, "share"), a, M));
        fprintf(f, "  - %-34s %16s\n", "paid to the period end",
                render_money(json_object_get(p, "paid"), a, M));
        fprintf(f, "  = %-34s %16s\n", render_due_label(st),
                render_money(json_object_get(p, "due"), a, M));
        fprintf(f, "  %s\n", render_str(p, "text"));
        fprintf(f, "    %-34s %16s  (%s)\n", "contributions due to date",
                render_money(json_object_get(p, "due_to_date"), a, M), render_str(p, "due_basis"));
        fprintf(f, "  - %-34s %16s\n", "paid to the period end",
                render_money(json_object_get(p, "paid"), a, M));
        fprintf(f, "  = %-34s %16s\n", "arrears (negative: paid ahead)",
                render_money(json_object_get(p, "arrears"), a, M));
        fprintf(f, "  + %-34s %16s\n", "share of the variance",
                render_money(json_object_get(p, "share"), a, M));
        fprintf(f, "  = %-34s %16s\n\n", "net position now",
                render_money(json_object_get(p, "net"), a, M));
    }
}

static void
text_integrity(FILE *f, const json_t *st)
{
    const json_t *in = json_object_get(st, "integrity");
    const json_t *cp = json_object_get(in, "checkpoint");
    const json_t *v = json_object_get(in, "verification");
    size_t i;
    const json_t *line;
    fprintf(f,
            "Appendix: integrity\n  figures read from the first %" JSON_INTEGER_FORMAT
            " records of the ledger\n",
            json_integer_value(json_object_get(in, "tree_size")));
    if (json_is_object(cp)) {
        fprintf(f, "  checkpoint: tree size %" JSON_INTEGER_FORMAT ", root %s\n",
                json_integer_value(json_object_get(cp, "tree_size")), render_str(cp, "root"));
        json_array_foreach(json_object_get(cp, "signatures"), i, line)
        {
            fprintf(f, "    %s\n", json_string_value(line));
        }
        fprintf(f, "  witnessed by: %s",
                json_array_size(json_object_get(cp, "witnesses")) == 0
                    ? "no partner's witness (docs/witness.md)"
                    : "");
        json_array_foreach(json_object_get(cp, "witnesses"), i, line)
        {
            fprintf(f, "%s%s", i > 0 ? ", " : "", json_string_value(line));
        }
        fputc('\n', f);
    } else {
        fprintf(f, "  checkpoint: none covers these records yet (poolbook checkpoint)\n");
    }
    fprintf(f,
            "  verification: %s: %" JSON_INTEGER_FORMAT " records, %" JSON_INTEGER_FORMAT
            " signatures, %" JSON_INTEGER_FORMAT " checkpoints, %" JSON_INTEGER_FORMAT
            " cosignatures; root %s\n",
            render_str(v, "result"), json_integer_value(json_object_get(v, "records")),
            json_integer_value(json_object_get(v, "signatures")),
            json_integer_value(json_object_get(v, "checkpoints")),
            json_integer_value(json_object_get(v, "cosignatures")), render_str(v, "root"));
    json_array_foreach(json_object_get(v, "review"), i, line)
    {
        fprintf(f, "  for review: %s\n", render_str(line, "text"));
    }
}

int
render_text(FILE *f, const json_t *statement)
{
    text_header(f, statement);
    text_headline(f, statement);
    text_contributions(f, statement);
    text_schemes(f, statement);
    text_movement(f, statement);
    text_policy(f, statement);
    text_positions(f, statement);
    text_integrity(f, statement);
    return ferror(f) ? -1 : 0;
}
