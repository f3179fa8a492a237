/*
 * render_xlsx.c — a statement as a workbook (libxlsxwriter) with sheets
 * Summary, Schemes, Contributions, Workings, Movement and Appendix; and the
 * year laid out like the BCF quarterly return (bcf-xlsx: Income and
 * Expenditure). Amounts are number cells in
 * pounds with a currency format, so a spreadsheet can add them up.
 *
 * This is the one file of poolbook that holds a double (tests/cli/style.sh
 * allows it here alone): a spreadsheet number cell is an IEEE double, so
 * pence / 100 is converted at this boundary and nowhere else. Most pence
 * values have no exact binary fraction (0.10 is not exact), but every amount
 * up to 2^53 pence is the double nearest to it, which Excel shows to the
 * penny; the exact figures stay in the json, text and csv formats.
 * The workbook's "created" property is the period end, not the clock, so a
 * run gives the same bytes every time.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#define M PB_MONEY_TEXT_MAX

struct book {
    lxw_workbook *wb;
    lxw_format *money;
    lxw_format *money_bold;
    lxw_format *bold;
    lxw_format *wrap;
    lxw_format *percent;
    lxw_format *date;
};

static double
pounds_of(const json_t *amount)
{
    return (double)render_pence(amount) / 100.0;
}

static void
money(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const json_t *amount, lxw_format *fmt)
{
    worksheet_write_number(ws, row, col, pounds_of(amount), fmt);
}

/* A working paper's print set-up (docs/statements.md): A4, one page wide,
 * the heading row frozen on screen and repeated on every printed page. */
static void
paper(lxw_worksheet *ws, int landscape)
{
    worksheet_set_paper(ws, 9); /* 9: A4 in the OOXML paper table */
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_repeat_rows(ws, 0, 0);
    worksheet_freeze_panes(ws, 1, 0);
    if (landscape) {
        worksheet_set_landscape(ws);
    }
}

/* A total: =SUM of the column's rows first..last (0-based), with the
 * statement's figure as the cached value, so a spreadsheet recomputes it and
 * a reader without a calculation engine still sees the figure. */
static void
total_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, lxw_row_t first, lxw_row_t last,
           const json_t *amount, lxw_format *fmt)
{
    char range[32], formula[48];
    lxw_rowcol_to_range(range, first, col, last, col);
    snprintf(formula, sizeof(formula), "=SUM(%s)", range);
    worksheet_write_formula_num(ws, row, col, formula, fmt, pounds_of(amount));
}

/* A date "YYYY-MM-DD" as a date cell (blank when there is none). */
static void
date_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *iso, lxw_format *fmt)
{
    lxw_datetime dt = {0};
    if (iso != NULL && sscanf(iso, "%4d-%2d-%2d", &dt.year, &dt.month, &dt.day) == 3) {
        worksheet_write_datetime(ws, row, col, &dt, fmt);
    }
}

/* The only conversion from pence to a floating-point number in poolbook. */
static void
text(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s, lxw_format *fmt)
{
    worksheet_write_string(ws, row, col, s != NULL ? s : "", fmt);
}

static void
headings(lxw_worksheet *ws, lxw_row_t row, const struct book *b, const char *const *names)
{
    for (lxw_col_t c = 0; names[c] != NULL; c++) {
        text(ws, row, c, names[c], b->bold);
    }
}

static lxw_row_t
summary_header(lxw_worksheet *ws, const struct book *b, const json_t *st)
{
    char title[512];
    const json_t *pool = json_object_get(st, "pool");
    lxw_row_t r = 0;
    worksheet_set_column(ws, 0, 0, 34, NULL);
    worksheet_set_column(ws, 1, 1, 60, NULL);
    char partnership[PB_PARTNERS_MAX * 80];
    text(ws, r++, 0, render_title(st, title, sizeof(title)), b->bold);
    text(ws, r++, 0, render_status(st), b->bold);
    /* The headline first (docs/statements.md): one sentence a row. */
    text(ws, r++, 0, "Headline", b->bold);
    size_t i;
    const json_t *line;
    json_array_foreach(json_object_get(st, "headline"), i, line)
    {
        text(ws, r++, 0, json_string_value(line), NULL);
    }
    r++;
    text(ws, r, 0, "Partnership", b->bold);
    text(ws, r++, 1, render_partnership(st, partnership, sizeof(partnership)), NULL);
    text(ws, r, 0, "As at", b->bold);
    text(ws, r++, 1, render_str(st, "as_at"), NULL);
    text(ws, r, 0, "Ledger", b->bold);
    text(ws, r++, 1, render_str(st, "origin"), NULL);
    text(ws, r, 0, "Pool", b->bold);
    text(ws, r++, 1, render_str(pool, "id"), NULL);
    text(ws, r, 0, "Pool name", b->bold);
    text(ws, r++, 1, render_str(pool, "name"), NULL);
    text(ws, r, 0, "Host", b->bold);
    text(ws, r++, 1, render_str(pool, "host_name"), NULL);
    text(ws, r, 0, "Period", b->bold);
    text(ws, r++, 1, render_str(st, "period"), NULL);
    text(ws, r, 0, "Period end", b->bold);
    date_cell(ws, r++, 1, render_str(st, "period_end"), b->date);
    text(ws, r, 0, "Outturn basis", b->bold);
    text(ws, r++, 1, render_str(st, "basis"), NULL);
    return r + 1;
}

static void
sheet_summary(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Summary");
    lxw_row_t r = summary_header(ws, b, st);
    const json_t *p = json_object_get(st, "policy");
    const json_t *t = json_object_get(st, "totals");
    const char *key;
    const json_t *v;
    size_t i;
    text(ws, r, 0, "Risk-share policy", b->bold);
    text(ws, r++, 1, render_str(p, "name"), NULL);
    const char *const labels[] = {"Pool budget", "Pool actual to date", "Pool outturn",
                                  "Pool variance"};
    const char *const fields[] = {"budget", "actual", "outturn", "variance"};
    for (size_t k = 0; k < 4; k++) {
        text(ws, r, 0, labels[k], NULL);
        money(ws, r++, 1, json_object_get(t, fields[k]), b->money);
    }
    json_object_foreach((json_t *)json_object_get(p, "shares"), key, v)
    {
        char label[PB_ID_BYTES_MAX + 16];
        snprintf(label, sizeof(label), "Share of %s", key);
        text(ws, r, 0, label, NULL);
        money(ws, r++, 1, v, b->money);
    }
    text(ws, r, 0, "Unallocated", NULL);
    money(ws, r++, 1, json_object_get(p, "unallocated"), b->money);
    text(ws, r, 0, "Carried forward", NULL);
    money(ws, r++, 1, json_object_get(p, "carried_forward"), b->money);
    json_array_foreach(json_object_get(st, "positions"), i, v)
    {
        r++;
        text(ws, r++, 0, render_str(v, "name"), b->bold);
        text(ws, r, 0, "Planned contribution (year)", NULL);
        money(ws, r++, 1, json_object_get(v, "planned"), b->money);
        text(ws, r, 0, "+ share of the variance", NULL);
        money(ws, r++, 1, json_object_get(v, "share"), b->money);
        text(ws, r, 0, "- paid to the period end", NULL);
        money(ws, r++, 1, json_object_get(v, "paid"), b->money);
        char due[64];
        snprintf(due, sizeof(due), "= %s", render_due_label(st));
        text(ws, r, 0, due, b->bold);
        money(ws, r++, 1, json_object_get(v, "due"), b->money_bold);
        text(ws, r++, 0, render_str(v, "text"), b->bold);
        text(ws, r, 0, "Contributions due to date", NULL);
        money(ws, r, 1, json_object_get(v, "due_to_date"), b->money);
        text(ws, r++, 2, render_str(v, "due_basis"), NULL);
        text(ws, r, 0, "- paid to the period end", NULL);
        money(ws, r++, 1, json_object_get(v, "paid"), b->money);
        text(ws, r, 0, "= arrears (negative: paid ahead)", NULL);
        money(ws, r++, 1, json_object_get(v, "arrears"), b->money);
        text(ws, r, 0, "+ share of the variance", NULL);
        money(ws, r++, 1, json_object_get(v, "share"), b->money);
        text(ws, r, 0, "= net position now", b->bold);
        money(ws, r++, 1, json_object_get(v, "net"), b->money_bold);
    }
}


/* Appendix: the integrity footer's hashes and signatures, off page one. */
static void
sheet_appendix(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Appendix");
    lxw_row_t r = 0;
    size_t i;
    const json_t *v;
    worksheet_set_column(ws, 0, 0, 24, NULL);
    worksheet_set_column(ws, 1, 1, 100, NULL);
    const json_t *in = json_object_get(st, "integrity");
    const json_t *cp = json_object_get(in, "checkpoint");
    text(ws, r++, 0, "Appendix: integrity", b->bold);
    text(ws, r, 0, "Records read", NULL);
    worksheet_write_number(ws, r++, 1, (double)json_integer_value(json_object_get(in, "tree_size")),
                           NULL);
    text(ws, r, 0, "Checkpoint root", NULL);
    text(ws, r++, 1, json_is_object(cp) ? render_str(cp, "root") : "none", NULL);
    json_array_foreach(json_object_get(cp, "signatures"), i, v)
    {
        text(ws, r, 0, "Checkpoint signature", NULL);
        text(ws, r++, 1, json_string_value(v), NULL);
    }
    text(ws, r, 0, "Verification", NULL);
    text(ws, r++, 1, render_str(json_object_get(in, "verification"), "result"), NULL);
    json_array_foreach(json_object_get(json_object_get(in, "verification"), "review"), i, v)
    {
        text(ws, r, 0, "For review", b->bold);
        text(ws, r++, 1, render_str(v, "text"), NULL);
    }
}

static void
sheet_schemes(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Schemes");
    static const char *const names[] = {
        "Scheme",   "Name",          "Lead",        "Class", "Budget",     "Actual",
        "Outturn",  "Variance",      "Forecast date", "Var %", "RAG", "Forecast commentary",
        NULL};
    size_t i;
    const json_t *s;
    worksheet_set_column(ws, 1, 1, 34, NULL);
    worksheet_set_column(ws, 4, 7, 16, NULL);
    worksheet_set_column(ws, 8, 8, 14, NULL);
    worksheet_set_column(ws, 11, 11, 40, b->wrap);
    headings(ws, 0, b, names);
    paper(ws, 1);
    lxw_row_t r = 1;
    json_array_foreach(json_object_get(st, "schemes"), i, s)
    {
        text(ws, r, 0, render_str(s, "id"), NULL);
        text(ws, r, 1, render_str(s, "name"), NULL);
        text(ws, r, 2, render_str(s, "lead"), NULL);
        text(ws, r, 3, render_str(s, "class"), NULL);
        money(ws, r, 4, json_object_get(s, "budget"), b->money);
        money(ws, r, 5, json_object_get(s, "actual"), b->money);
        money(ws, r, 6, json_object_get(s, "outturn"), b->money);
        money(ws, r, 7, json_object_get(s, "variance"), b->money);
        date_cell(ws, r, 8, json_string_value(json_object_get(s, "forecast_date")), b->date);
        if (json_is_integer(json_object_get(s, "variance_bp"))) {
            /* A percentage cell: basis points / 10000, the double nearest. */
            worksheet_write_number(ws, r, 9,
                                   (double)json_integer_value(json_object_get(s, "variance_bp")) /
                                       10000.0,
                                   b->percent);
        }
        text(ws, r, 10, render_str(s, "rag"), NULL);
        text(ws, r++, 11, render_commentary(st, render_str(s, "id")), NULL);
    }
    const json_t *t = json_object_get(st, "totals");
    static const char *const totals[] = {"budget", "actual", "outturn", "variance"};
    text(ws, r, 0, "Total", b->bold);
    for (lxw_col_t k = 0; k < 4 && r > 1; k++) {
        total_cell(ws, r, (lxw_col_t)(4 + k), 1, r - 1, json_object_get(t, totals[k]),
                   b->money_bold);
    }
}

static void
sheet_contributions(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Contributions");
    static const char *const names[] = {"Stream", "Name", "Payer", "Planned", "Received", NULL};
    const json_t *c = json_object_get(st, "contributions");
    size_t i;
    const json_t *s;
    worksheet_set_column(ws, 1, 1, 34, NULL);
    worksheet_set_column(ws, 3, 4, 16, NULL);
    headings(ws, 0, b, names);
    paper(ws, 0);
    lxw_row_t r = 1;
    json_array_foreach(json_object_get(c, "streams"), i, s)
    {
        text(ws, r, 0, render_str(s, "id"), NULL);
        text(ws, r, 1, render_str(s, "name"), NULL);
        text(ws, r, 2, render_str(s, "payer"), NULL);
        money(ws, r, 3, json_object_get(s, "planned"), b->money);
        money(ws, r++, 4, json_object_get(s, "received"), b->money);
    }
    text(ws, r, 0, "Total", b->bold);
    if (r > 1) {
        total_cell(ws, r, 3, 1, r - 1, json_object_get(c, "planned"), b->money_bold);
        total_cell(ws, r, 4, 1, r - 1, json_object_get(c, "received"), b->money_bold);
    }
}

static void
move_row(lxw_worksheet *ws, lxw_row_t row, const char *label, const json_t *ch,
         const struct book *b)
{
    text(ws, row, 0, label, NULL);
    money(ws, row, 1, json_object_get(ch, "from"), b->money);
    money(ws, row, 2, json_object_get(ch, "to"), b->money);
    money(ws, row, 3, json_object_get(ch, "change"), b->money);
}

/* Movement: the change since the previous quarter (a note in the first quarter). */
static void
sheet_movement(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Movement");
    const json_t *mv = json_object_get(st, "movement");
    static const char *const names[] = {"Figure", "Previous quarter", "This period", "Change",
                                        NULL};
    const char *key;
    const json_t *v;
    size_t i;
    worksheet_set_column(ws, 0, 0, 30, NULL);
    worksheet_set_column(ws, 1, 3, 18, NULL);
    if (!json_is_object(mv)) {
        text(ws, 0, 0, "None: the first quarter has no previous quarter.", NULL);
        return;
    }
    headings(ws, 0, b, names);
    paper(ws, 0);
    lxw_row_t r = 1;
    move_row(ws, r++, "Pool variance", json_object_get(mv, "variance"), b);
    json_object_foreach((json_t *)json_object_get(mv, "shares"), key, v)
    {
        char label[PB_ID_BYTES_MAX + 16];
        snprintf(label, sizeof(label), "Share of %s", key);
        move_row(ws, r++, label, v, b);
    }
    json_array_foreach(json_object_get(mv, "schemes"), i, v)
    {
        char label[PB_ID_BYTES_MAX + 24];
        if (!json_is_object(json_object_get(v, "outturn"))) {
            continue;
        }
        snprintf(label, sizeof(label), "%s outturn", render_str(v, "id"));
        move_row(ws, r++, label, json_object_get(v, "outturn"), b);
        snprintf(label, sizeof(label), "%s variance", render_str(v, "id"));
        move_row(ws, r++, label, json_object_get(v, "variance"), b);
    }
}

static void
sheet_workings(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Workings");
    static const char *const names[] = {"Step", "Kind", "Working", NULL};
    size_t i;
    const json_t *step;
    worksheet_set_column(ws, 2, 2, 110, b->wrap);
    headings(ws, 0, b, names);
    paper(ws, 1);
    json_array_foreach(json_object_get(json_object_get(st, "policy"), "workings"), i, step)
    {
        char *line = render_step(step);
        worksheet_write_number(ws, (lxw_row_t)(i + 1), 0, (double)(i + 1), NULL);
        text(ws, (lxw_row_t)(i + 1), 1, render_str(step, "step"), NULL);
        text(ws, (lxw_row_t)(i + 1), 2, line, NULL);
        free(line);
    }
}

/* Midnight UTC of a "YYYY-MM-DD" date as a time_t, for the created property. */
static time_t
time_of_date(const char *date)
{
    int32_t day = 0;
    if (pb_date_parse(date, &day, NULL) != PB_OK) {
        return 0;
    }
    return (time_t)day * 86400;
}

/* A workbook at path with the statement's properties and the shared
 * formats; 0, or -1 with errbuf saying why. */
static int
book_open(struct book *b, const char *path, const json_t *statement, char *errbuf,
          size_t errbuf_size)
{
    lxw_workbook_options options = {0};
    b->wb = workbook_new_opt(path, &options);
    if (b->wb == NULL) {
        snprintf(errbuf, errbuf_size, "libxlsxwriter could not start the workbook");
        return -1;
    }
    static char title[512];
    lxw_doc_properties props = {0};
    props.title = (char *)render_title(statement, title, sizeof(title));
    props.company = (char *)render_str(json_object_get(statement, "pool"), "host_name");
    props.created = time_of_date(render_str(statement, "period_end"));
    workbook_set_properties(b->wb, &props);
    /* Negatives with a minus sign, or in brackets as finance readers write them. */
    const char *money_format = render_brackets_on() ? "\xC2\xA3#,##0.00;(\xC2\xA3#,##0.00)"
                                                    : "\xC2\xA3#,##0.00;-\xC2\xA3#,##0.00";
    b->money = workbook_add_format(b->wb);
    format_set_num_format(b->money, money_format);
    b->money_bold = workbook_add_format(b->wb);
    format_set_num_format(b->money_bold, money_format);
    format_set_bold(b->money_bold);
    b->bold = workbook_add_format(b->wb);
    format_set_bold(b->bold);
    b->wrap = workbook_add_format(b->wb);
    format_set_text_wrap(b->wrap);
    b->percent = workbook_add_format(b->wb);
    format_set_num_format(b->percent, "0.00%");
    b->date = workbook_add_format(b->wb);
    format_set_num_format(b->date, "d mmm yyyy");
    return 0;
}

static int
book_close(struct book *b, char *errbuf, size_t errbuf_size)
{
    lxw_error rc = workbook_close(b->wb);
    if (rc != LXW_NO_ERROR) {
        snprintf(errbuf, errbuf_size, "libxlsxwriter: %s", lxw_strerror(rc));
        return -1;
    }
    return 0;
}

int
render_xlsx(const char *path, const json_t *statement, char *errbuf, size_t errbuf_size)
{
    struct book b;
    if (book_open(&b, path, statement, errbuf, errbuf_size) != 0) {
        return -1;
    }
    sheet_summary(&b, statement);
    sheet_schemes(&b, statement);
    sheet_contributions(&b, statement);
    sheet_workings(&b, statement);
    sheet_movement(&b, statement);
    sheet_appendix(&b, statement);
    return book_close(&b, errbuf, errbuf_size);
}

/* ---- the BCF-return layout ---------------------------------------------- */

/* The label every sheet of the BCF layout opens with: these are the pool's
 * own ledger figures arranged like the quarterly return, not the return. */
static lxw_row_t
bcf_title(lxw_worksheet *ws, const struct book *b, const json_t *st, const char *what)
{
    char line[512];
    const json_t *pool = json_object_get(st, "pool");
    snprintf(line, sizeof(line), "%s: %s (%s), %s to %s", what, render_str(pool, "name"),
             render_str(pool, "id"), render_str(st, "period"), render_str(st, "as_at"));
    text(ws, 0, 0, line, b->bold);
    text(ws, 1, 0,
         "The pool's own figures from its ledger (poolbook), laid out like the BCF quarterly "
         "return; not the national template, and not submitted.",
         NULL);
    text(ws, 2, 0, render_status(st), NULL);
    return 4;
}

/* Income: each funding stream, its payer, planned and received to date. */
static void
bcf_income(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Income");
    static const char *const names[] = {"Funding stream", "Name", "Contributor", "Planned",
                                        "Received to date", NULL};
    const json_t *c = json_object_get(st, "contributions");
    size_t i;
    const json_t *s;
    lxw_row_t head = bcf_title(ws, b, st, "Income by funding stream");
    worksheet_set_column(ws, 0, 0, 16, NULL);
    worksheet_set_column(ws, 1, 1, 36, NULL);
    worksheet_set_column(ws, 3, 4, 18, NULL);
    headings(ws, head, b, names);
    lxw_row_t r = head + 1;
    json_array_foreach(json_object_get(c, "streams"), i, s)
    {
        text(ws, r, 0, render_str(s, "id"), NULL);
        text(ws, r, 1, render_str(s, "name"), NULL);
        text(ws, r, 2, render_str(s, "payer"), NULL);
        money(ws, r, 3, json_object_get(s, "planned"), b->money);
        money(ws, r++, 4, json_object_get(s, "received"), b->money);
    }
    text(ws, r, 0, "Total", b->bold);
    if (r > head + 1) {
        total_cell(ws, r, 3, head + 1, r - 1, json_object_get(c, "planned"), b->money_bold);
        total_cell(ws, r, 4, head + 1, r - 1, json_object_get(c, "received"), b->money_bold);
    }
    worksheet_set_paper(ws, 9);
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_repeat_rows(ws, head, head);
    worksheet_freeze_panes(ws, head + 1, 0);
}

/* Expenditure: each scheme with the return's descriptive columns (the
 * agreement's optional type, commissioner, provider and source of funding;
 * the lead partner when no commissioner is named), planned against actual. */
static void
bcf_expenditure(const struct book *b, const json_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Expenditure");
    static const char *const names[] = {
        "Scheme ID",  "Scheme name",  "Scheme type", "Commissioner", "Provider",
        "Source of funding", "Planned (budget)", "Actual to date", "Forecast outturn",
        "Variance", NULL};
    size_t i;
    const json_t *s;
    lxw_row_t head = bcf_title(ws, b, st, "Expenditure by scheme");
    worksheet_set_column(ws, 1, 1, 32, NULL);
    worksheet_set_column(ws, 2, 5, 20, NULL);
    worksheet_set_column(ws, 6, 9, 18, NULL);
    headings(ws, head, b, names);
    lxw_row_t r = head + 1;
    json_array_foreach(json_object_get(st, "schemes"), i, s)
    {
        const char *commissioner = render_str(s, "commissioner");
        text(ws, r, 0, render_str(s, "id"), NULL);
        text(ws, r, 1, render_str(s, "name"), NULL);
        text(ws, r, 2, render_str(s, "type"), NULL);
        text(ws, r, 3, commissioner[0] != '\0' ? commissioner : render_str(s, "lead"), NULL);
        text(ws, r, 4, render_str(s, "provider"), NULL);
        text(ws, r, 5, render_str(s, "funding"), NULL);
        money(ws, r, 6, json_object_get(s, "budget"), b->money);
        money(ws, r, 7, json_object_get(s, "actual"), b->money);
        money(ws, r, 8, json_object_get(s, "outturn"), b->money);
        money(ws, r++, 9, json_object_get(s, "variance"), b->money);
    }
    const json_t *t = json_object_get(st, "totals");
    static const char *const totals[] = {"budget", "actual", "outturn", "variance"};
    text(ws, r, 0, "Total", b->bold);
    for (lxw_col_t k = 0; k < 4 && r > head + 1; k++) {
        total_cell(ws, r, (lxw_col_t)(6 + k), head + 1, r - 1, json_object_get(t, totals[k]),
                   b->money_bold);
    }
    worksheet_set_paper(ws, 9);
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_repeat_rows(ws, head, head);
    worksheet_freeze_panes(ws, head + 1, 0);
}

int
render_bcf_xlsx(const char *path, const json_t *statement, char *errbuf, size_t errbuf_size)
{
    struct book b;
    if (book_open(&b, path, statement, errbuf, errbuf_size) != 0) {
        return -1;
    }
    bcf_income(&b, statement);
    bcf_expenditure(&b, statement);
    return book_close(&b, errbuf, errbuf_size);
}
