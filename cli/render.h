/*
 * render.h — the renderers of a statement (pb_statement's JSON object, the
 * json format) into text, csv, html and xlsx (docs/statements.md), and what
 * they share: money for people, the workings as English lines, and writing
 * a file atomically. Renderers only lay out figures the library gave; none
 * computes one.
 */
#ifndef POOLBOOK_RENDER_H
#define POOLBOOK_RENDER_H

#include "cli.h"

#include <stdio.h>

enum render_format {
    RENDER_TEXT = 1 << 0,
    RENDER_JSON = 1 << 1,
    RENDER_CSV = 1 << 2,
    RENDER_HTML = 1 << 3,
    RENDER_XLSX = 1 << 4,
    RENDER_ALL = 0x1f,
    /* Not in "all": the BCF-return layout is asked for by name. */
    RENDER_BCF_XLSX = 1 << 5,
};

/* The format named ("text", "json", "csv", "html", "xlsx"), or 0. */
int render_format_of(const char *name);
/* Formats of a comma-separated list ("json,html", "all"), or 0 if one is unknown. */
int render_formats_of(const char *list);
/* The file extension of one format: "txt", "json", "csv", "html", "xlsx". */
const char *render_extension(int format);

/* Write statement in one format to path ("-": stdout; xlsx needs a file),
 * whole or not at all (cli_write_file: never the ledger, its lock file or
 * anything but a regular file). Returns, or exits with a one-line error
 * naming the file. */
void render_write(int format, const json_t *statement, const char *path);

/* Name the option at fault in a pb_statement error that has no where:
 * --pool, --partner or --period. */
void render_where(pb_error *err);

/* The renderers. Each returns 0, or -1 when writing failed (errno set). */
int render_text(FILE *f, const json_t *statement);
int render_json(FILE *f, const json_t *statement);
int render_csv(FILE *f, const json_t *statement);
int render_html(FILE *f, const json_t *statement);
/* xlsx writes a file itself (libxlsxwriter); on failure errbuf says why. */
int render_xlsx(const char *path, const json_t *statement, char *errbuf, size_t errbuf_size);
/* The year as the BCF quarterly return lays it out (cli/render_xlsx.c). */
int render_bcf_xlsx(const char *path, const json_t *statement, char *errbuf, size_t errbuf_size);

/* Show negative amounts in brackets ("(330,000.00)"), as finance papers do,
 * instead of with a minus sign, in every format from now on (the statement
 * commands' --negatives brackets); and whether that is so. */
void render_set_brackets(int on);
int render_brackets_on(void);
/* The statement commands' --negatives VALUE: "minus" (the default) or
 * "brackets"; anything else is a usage error (exit 2) with usage. */
void render_negatives_option(const char *const *usage, const char *value);
/* A canonical amount string as people read it: "1,250,000.00", "-330,000.00"
 * (or "(330,000.00)" after render_set_brackets(1)). */
const char *render_money(const json_t *amount, char *buf, size_t size);
/* The pence of a canonical amount string, 0 if it is not one. */
int64_t render_pence(const json_t *amount);
/* The same with the pound sign: "£1,250,000.00", "-£330,000.00". */
const char *render_pounds(const json_t *amount, char *buf, size_t size);
/* One workings step as one line of English (pb_policy_step_text), malloc'd;
 * the caller frees it. Exits 3 when out of memory. */
char *render_step(const json_t *step);
/* Basis points as a percentage with two decimals, by integer arithmetic:
 * 361 -> "3.61%", -5 -> "-0.05%"; "n/a" when bp is not an integer (a zero budget). */
const char *render_bp(const json_t *bp, char *buf, size_t size);
/* The forecast commentary (memo) the statement holds for scheme id, or "". */
const char *render_commentary(const json_t *statement, const char *scheme_id);
/* The partnership line: the partners' names joined with ", " and " and ". */
const char *render_partnership(const json_t *statement, char *buf, size_t size);
/* The status line: "FINAL: the period is closed" or "DRAFT: the period is open and
 * these figures may change". */
const char *render_status(const json_t *statement);
/* The label of a position's bottom line: "= amount due on settlement" for a
 * settled year, "= forecast amount due" otherwise (and "due" for the bare noun). */
const char *render_due_label(const json_t *statement);
/* A string member of obj, or "" when absent or not a string. */
const char *render_str(const json_t *obj, const char *key);
/* A title for the statement: "Partner statement: Derbyshire County Council
 * (DCC)" or "Pool summary". */
const char *render_title(const json_t *statement, char *buf, size_t size);

#endif /* POOLBOOK_RENDER_H */
