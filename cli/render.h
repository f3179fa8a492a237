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

/* A canonical amount string as people read it: "1,250,000.00", "-330,000.00". */
const char *render_money(const json_t *amount, char *buf, size_t size);
/* The pence of a canonical amount string, 0 if it is not one. */
int64_t render_pence(const json_t *amount);
/* The same with the pound sign: "£1,250,000.00", "-£330,000.00". */
const char *render_pounds(const json_t *amount, char *buf, size_t size);
/* One workings step as one line of English (pb_policy_step_text), malloc'd;
 * the caller frees it. Exits 3 when out of memory. */
char *render_step(const json_t *step);
/* A string member of obj, or "" when absent or not a string. */
const char *render_str(const json_t *obj, const char *key);
/* A title for the statement: "Partner statement: Derbyshire County Council
 * (DCC)" or "Pool summary". */
const char *render_title(const json_t *statement, char *buf, size_t size);

#endif /* POOLBOOK_RENDER_H */
