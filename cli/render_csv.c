/*
 * render_csv.c — a statement as sectioned CSV (RFC 4180, written with
 * libcsv): every row starts with its section's name, the first row of a
 * section names its columns, and a blank row separates sections, so a
 * spreadsheet opens it cleanly and a filter on column A picks one section.
 * Amounts are canonical ("1250000.00"), which spreadsheets read as numbers.
 * docs/statements.md gives the sections and columns.
 */
#include "render.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

/* One row: the cells of a NULL-terminated list, each quoted by libcsv, then CRLF. */
static void
row(FILE *f, const char *const *cells)
{
    for (size_t i = 0; cells[i] != NULL; i++) {
        if (i > 0) {
            fputc(',', f);
        }
        csv_fwrite(f, cells[i], strlen(cells[i]));
    }
    fputs("\r\n", f);
}

#define ROW(f, ...) row((f), (const char *const[]){__VA_ARGS__, NULL})

static void
csv_statement(FILE *f, const json_t *st)
{
    const json_t *pool = json_object_get(st, "pool");
    const json_t *partner = json_object_get(st, "partner");
    ROW(f, "Statement", "field", "value");
    ROW(f, "Statement", "statement", render_str(st, "statement"));
    ROW(f, "Statement", "origin", render_str(st, "origin"));
    ROW(f, "Statement", "pool", render_str(pool, "id"));
    ROW(f, "Statement", "pool_name", render_str(pool, "name"));
    ROW(f, "Statement", "host", render_str(pool, "host"));
    ROW(f, "Statement", "host_name", render_str(pool, "host_name"));
    ROW(f, "Statement", "partner", render_str(partner, "id"));
    ROW(f, "Statement", "partner_name", render_str(partner, "name"));
    ROW(f, "Statement", "period", render_str(st, "period"));
    ROW(f, "Statement", "period_end", render_str(st, "period_end"));
    ROW(f, "Statement", "basis", render_str(st, "basis"));
    char partnership[PB_PARTNERS_MAX * 80];
    ROW(f, "Statement", "partnership", render_partnership(st, partnership, sizeof(partnership)));
    ROW(f, "Statement", "as_at", render_str(st, "as_at"));
    ROW(f, "Statement", "status", render_str(st, "status"));
    fputs("\r\n", f);
}

/* The headline, right after the statement's identity: one sentence a row. */
static void
csv_headline(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *line;
    ROW(f, "Headline", "line", "text");
    json_array_foreach(json_object_get(st, "headline"), i, line)
    {
        char n[24];
        snprintf(n, sizeof(n), "%zu", i + 1);
        ROW(f, "Headline", n, json_string_value(line));
    }
    fputs("\r\n", f);
}

static void
csv_contributions(FILE *f, const json_t *st)
{
    const json_t *c = json_object_get(st, "contributions");
    size_t i;
    const json_t *s;
    ROW(f, "Contributions", "stream", "name", "payer", "planned", "received");
    json_array_foreach(json_object_get(c, "streams"), i, s)
    {
        ROW(f, "Contributions", render_str(s, "id"), render_str(s, "name"), render_str(s, "payer"),
            render_str(s, "planned"), render_str(s, "received"));
    }
    ROW(f, "Contributions", "total", "", "", render_str(c, "planned"), render_str(c, "received"));
    fputs("\r\n", f);
}

static void
csv_schemes(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *s;
    ROW(f, "Schemes", "scheme", "name", "lead", "class", "budget", "actual", "outturn", "variance",
        "forecast_date", "flag", "variance_bp", "rag", "forecast_id", "commentary");
    json_array_foreach(json_object_get(st, "schemes"), i, s)
    {
        char bp[24] = "";
        if (json_is_integer(json_object_get(s, "variance_bp"))) {
            snprintf(bp, sizeof(bp), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(s, "variance_bp")));
        }
        ROW(f, "Schemes", render_str(s, "id"), render_str(s, "name"), render_str(s, "lead"),
            render_str(s, "class"), render_str(s, "budget"), render_str(s, "actual"),
            render_str(s, "outturn"), render_str(s, "variance"), render_str(s, "forecast_date"),
            render_str(s, "flag"), bp, render_str(s, "rag"), render_str(s, "forecast_id"),
            render_commentary(st, render_str(s, "id")));
    }
    const json_t *t = json_object_get(st, "totals");
    ROW(f, "Schemes", "total", "", "", "", render_str(t, "budget"), render_str(t, "actual"),
        render_str(t, "outturn"), render_str(t, "variance"), "", "", "", "", "", "");
    fputs("\r\n", f);
}

static void
move_row(FILE *f, const char *item, const char *since, const json_t *ch)
{
    ROW(f, "Movement", item, since, render_str(ch, "from"), render_str(ch, "to"),
        render_str(ch, "change"));
}

/* The change since the previous quarter: one row per figure (none in Q1). */
static void
csv_movement(FILE *f, const json_t *st)
{
    const json_t *mv = json_object_get(st, "movement");
    const char *since = render_str(mv, "since");
    const char *key;
    const json_t *v;
    size_t i;
    ROW(f, "Movement", "item", "since", "from", "to", "change");
    move_row(f, "variance", since, json_object_get(mv, "variance"));
    json_object_foreach((json_t *)json_object_get(mv, "shares"), key, v)
    {
        char item[PB_ID_BYTES_MAX + 16];
        snprintf(item, sizeof(item), "share:%s", key);
        move_row(f, item, since, v);
    }
    json_array_foreach(json_object_get(mv, "schemes"), i, v)
    {
        char item[PB_ID_BYTES_MAX + 24];
        if (!json_is_object(json_object_get(v, "outturn"))) {
            continue;
        }
        snprintf(item, sizeof(item), "outturn:%s", render_str(v, "id"));
        move_row(f, item, since, json_object_get(v, "outturn"));
        snprintf(item, sizeof(item), "variance:%s", render_str(v, "id"));
        move_row(f, item, since, json_object_get(v, "variance"));
    }
    fputs("\r\n", f);
}

static void
csv_policy(FILE *f, const json_t *st)
{
    const json_t *p = json_object_get(st, "policy");
    const char *key;
    const json_t *v;
    size_t i;
    ROW(f, "Policy", "field", "value");
    ROW(f, "Policy", "name", render_str(p, "name"));
    ROW(f, "Policy", "netting", render_str(p, "netting"));
    ROW(f, "Policy", "variance_basis", render_str(p, "variance_basis"));
    ROW(f, "Policy", "variance", render_str(p, "variance"));
    ROW(f, "Policy", "unallocated", render_str(p, "unallocated"));
    ROW(f, "Policy", "carried_forward", render_str(p, "carried_forward"));
    fputs("\r\n", f);
    ROW(f, "Shares", "partner", "share");
    json_object_foreach((json_t *)json_object_get(p, "shares"), key, v)
    {
        ROW(f, "Shares", key, json_string_value(v));
    }
    fputs("\r\n", f);
    ROW(f, "Workings", "step", "kind", "text");
    json_array_foreach(json_object_get(p, "workings"), i, v)
    {
        char number[24];
        char *text = render_step(v);
        snprintf(number, sizeof(number), "%zu", i + 1);
        ROW(f, "Workings", number, render_str(v, "step"), text);
        free(text);
    }
    fputs("\r\n", f);
}

static void
csv_positions(FILE *f, const json_t *st)
{
    size_t i;
    const json_t *p;
    ROW(f, "Positions", "partner", "name", "planned", "share", "paid", "due", "direction", "text",
        "due_to_date", "due_basis", "arrears", "net", "to_come");
    json_array_foreach(json_object_get(st, "positions"), i, p)
    {
        ROW(f, "Positions", render_str(p, "partner"), render_str(p, "name"),
            render_str(p, "planned"), render_str(p, "share"), render_str(p, "paid"),
            render_str(p, "due"), render_str(p, "direction"), render_str(p, "text"),
            render_str(p, "due_to_date"), render_str(p, "due_basis"), render_str(p, "arrears"),
            render_str(p, "net"), render_str(p, "to_come"));
    }
    fputs("\r\n", f);
}

static void
csv_integrity(FILE *f, const json_t *st)
{
    const json_t *in = json_object_get(st, "integrity");
    const json_t *cp = json_object_get(in, "checkpoint");
    const json_t *v = json_object_get(in, "verification");
    char n[4][24];
    size_t i;
    const json_t *line;
    snprintf(n[0], sizeof(n[0]), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(in, "tree_size")));
    snprintf(n[1], sizeof(n[1]), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(cp, "tree_size")));
    snprintf(n[2], sizeof(n[2]), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(v, "records")));
    snprintf(n[3], sizeof(n[3]), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(v, "signatures")));
    ROW(f, "Integrity", "field", "value");
    ROW(f, "Integrity", "tree_size", n[0]);
    ROW(f, "Integrity", "checkpoint_tree_size", json_is_object(cp) ? n[1] : "");
    ROW(f, "Integrity", "checkpoint_root", render_str(cp, "root"));
    json_array_foreach(json_object_get(cp, "signatures"), i, line)
    {
        ROW(f, "Integrity", "checkpoint_signature", json_string_value(line));
    }
    json_array_foreach(json_object_get(cp, "witnesses"), i, line)
    {
        ROW(f, "Integrity", "checkpoint_witness", json_string_value(line));
    }
    ROW(f, "Integrity", "verification", render_str(v, "result"));
    ROW(f, "Integrity", "verified_records", n[2]);
    ROW(f, "Integrity", "verified_signatures", n[3]);
    ROW(f, "Integrity", "verified_root", render_str(v, "root"));
    json_array_foreach(json_object_get(v, "review"), i, line)
    {
        ROW(f, "Integrity", "review", render_str(line, "text"));
    }
}

int
render_csv(FILE *f, const json_t *statement)
{
    csv_statement(f, statement);
    csv_headline(f, statement);
    csv_contributions(f, statement);
    csv_schemes(f, statement);
    if (json_is_object(json_object_get(statement, "movement"))) {
        csv_movement(f, statement);
    }
    csv_policy(f, statement);
    csv_positions(f, statement);
    csv_integrity(f, statement);
    return ferror(f) ? -1 : 0;
}
