/*
 * cmd_statement.c — `poolbook statement --pool P --partner X --period Q
 * [--format F] [-o FILE]`: one partner's statement (DESIGN 7) in one format.
 * The figures are pb_statement's; cli/render_*.c lay them out.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

static const char *const statement_usage[] = {
    "statement --pool POOL --partner PARTNER [--period 2024/25-Q2] [--format FORMAT] [-o FILE]",
    "    [--negatives minus|brackets]",
    "A partner's statement for a period (a quarter, an NHS month or the year;",
    "default the whole year): its contributions planned and received, each",
    "scheme's budget, actual, forecast and variance, the pool's totals, the",
    "risk-share policy with its workings and the partner's share, the partner's",
    "position (planned + share - paid = amount due to or from the pool), and",
    "the checkpoint and verification that cover the figures (docs/statements.md).",
    "FORMAT is text (default), json, csv, html, xlsx, or bcf-xlsx (the year laid out",
    "like the BCF quarterly return; both xlsx need -o FILE).",
    NULL,
};

int
cmd_statement(int argc, char **argv)
{
    const char *pool = NULL, *partner = NULL, *period = NULL, *format_name = "text";
    const char *out = "-", *negatives = "minus";
    const struct cli_option options[] = {
        {CLI_STRING, 0, "pool", "POOL", &pool, "the pool (default: the config's pool)"},
        {CLI_STRING, 0, "partner", "PARTNER", &partner, "the partner whose statement it is"},
        {CLI_STRING, 0, "period", "PERIOD", &period, "2024/25-Q2, 2024/25-M06 or 2024/25"},
        {CLI_STRING, 0, "negatives", "minus|brackets", &negatives,
         "negative amounts with a minus sign or in brackets"},
        {CLI_STRING, 0, "format", "FORMAT", &format_name, "text, json, csv, html or xlsx"},
        {CLI_STRING, 'o', "output", "FILE", &out, "write to FILE (default stdout)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, statement_usage, options);
    render_negatives_option(statement_usage, negatives);
    if (argi != argc) {
        cli_usage_error(statement_usage, "unexpected argument '%s'", argv[argi]);
    }
    pool = pool != NULL ? pool : cli_config("pool");
    if (pool == NULL || partner == NULL) {
        cli_usage_error(statement_usage, "give --pool POOL and --partner PARTNER");
    }
    int format = render_format_of(format_name);
    if (format == 0) {
        cli_usage_error(statement_usage, "unknown format '%s'", format_name);
    }
    if ((format == RENDER_XLSX || format == RENDER_BCF_XLSX) && strcmp(out, "-") == 0) {
        cli_usage_error(statement_usage, "xlsx is written to a file: give -o FILE");
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    json_t *statement = NULL;
    int rc = pb_statement(store, pool, partner, period, &statement, &err);
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_name_option(&err, "--pool");
        render_where(&err);
        cli_fail(&err);
    }
    render_write(format, statement, out);
    json_decref(statement);
    return 0;
}
