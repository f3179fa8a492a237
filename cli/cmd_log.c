/*
 * cmd_log.c — `poolbook log`: list records, one line each (or JSON lines),
 * filtered by pool, scheme, partner, type, dates or reference (pb_log_select):
 * the drill-down from a statement's figure to its entries.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const log_usage[] = {
    "log [--pool P] [--scheme S] [--partner X] [--type T] [--from DATE|INDEX] [--to DATE]",
    "    [--ref R] [--limit N] [--json]",
    "List the ledger's records in order, one line each: index, date, type, id, pool,",
    "scheme or stream, partner, amount and reference (a reversal shows what it",
    "cancels, its amount negated), so a statement's figure can be traced to its",
    "entries. The filters narrow the list: --type expenditure also lists reversals",
    "of expenditure; --scheme matches either scheme of a virement; --from and --to",
    "are inclusive entry dates (a whole number --from is the first index, as before).",
    "--json prints {\"index\", \"record\" (the stored bytes), \"line\" (the columns,",
    "as docs/csv.md names them)} per line.",
    NULL,
};

static uint64_t
parse_count(const char *text, const char *what)
{
    return cli_parse_number(log_usage, what, text, 0, UINT64_MAX);
}

/* A date option: YYYY-MM-DD, checked; NULL stays NULL. */
static const char *
parse_day(const char *text, const char *what)
{
    int32_t day = 0;
    if (text != NULL && pb_date_parse(text, &day, NULL) != PB_OK) {
        cli_usage_error(log_usage, "%s must be a date YYYY-MM-DD or an index, not '%s'", what,
                        text);
    }
    return text;
}

static const char *
cell(const json_t *line, const char *name)
{
    const char *s = json_string_value(json_object_get(line, name));
    return s != NULL ? s : "";
}

static int
print_line(void *ctx, uint64_t index, const json_t *line, const char *record, size_t len)
{
    int json = *(const int *)ctx;
    if (json) {
        char *cols = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
        if (cols == NULL) {
            cli_die_env("out of memory writing the log");
        }
        /* The stored bytes as they are, then the line's columns. */
        printf("{\"index\":%llu,\"record\":%.*s,\"line\":%s}\n", (unsigned long long)index,
               (int)len, record, cols);
        free(cols);
        return PB_OK;
    }
    const char *date = cell(line, "date");
    char day[PB_DATE_TEXT_MAX];
    snprintf(day, sizeof(day), "%s", date[0] != '\0' ? date : cell(line, "created"));
    const char *where = cell(line, "scheme")[0] != '\0' ? cell(line, "scheme") : cell(line, "stream");
    char amount[PB_MONEY_TEXT_MAX] = "";
    int64_t pence = 0;
    if (cell(line, "amount")[0] != '\0' && pb_money_parse(cell(line, "amount"), &pence, NULL) == PB_OK) {
        pb_money_format_display(pence, amount, sizeof(amount));
    }
    printf("%6llu  %-10s %-14s %-32s %-10s %-8s %-6s %16s  %s\n", (unsigned long long)index, day,
           cell(line, "type"), cell(line, "id"), cell(line, "pool"), where, cell(line, "partner"),
           amount, cell(line, "reference"));
    return PB_OK;
}

int
cmd_log(int argc, char **argv)
{
    const char *from_text = NULL, *to_text = NULL, *limit_text = NULL;
    pb_log_filter filter;
    memset(&filter, 0, sizeof(filter));
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "pool", "POOL", &filter.pool, "records of this pool"},
        {CLI_STRING, 0, "scheme", "SCHEME", &filter.scheme, "records of this scheme"},
        {CLI_STRING, 0, "partner", "PARTNER", &filter.partner, "records of this partner"},
        {CLI_STRING, 0, "type", "TYPE", &filter.type, "records of this type (and their reversals)"},
        {CLI_STRING, 0, "from", "DATE|INDEX", &from_text, "dated on or after DATE; or from INDEX"},
        {CLI_STRING, 0, "to", "DATE", &to_text, "dated on or before DATE"},
        {CLI_STRING, 0, "ref", "REF", &filter.ref, "records with this reference"},
        {CLI_STRING, 0, "limit", "N", &limit_text, "list at most N records"},
        {CLI_FLAG, 0, "json", NULL, &json, "JSON lines: {\"index\":I,\"record\":{...},\"line\":{...}}"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, log_usage, options);
    if (argi != argc) {
        cli_usage_error(log_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (from_text != NULL && strchr(from_text, '-') == NULL) {
        filter.start = parse_count(from_text, "--from");
    } else {
        filter.from_date = parse_day(from_text, "--from");
    }
    filter.to_date = parse_day(to_text, "--to");
    filter.limit = limit_text != NULL ? parse_count(limit_text, "--limit") : UINT64_MAX;
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    /* One line per record and no heading, so `log | wc -l` counts records. */
    if (pb_log_select(store, &filter, print_line, &json, &err) != PB_OK) {
        cli_fail(&err);
    }
    pb_store_close(store);
    return 0;
}
