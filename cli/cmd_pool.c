/*
 * cmd_pool.c — `poolbook pool show [POOL] [--period P] [--json]`: a pool's
 * figures at a period end, per scheme, per stream and partner, with totals;
 * `pool show POOL --by quarter|month`: the year period by period; and
 * `pool list`: every pool of the ledger.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const pool_usage[] = {
    "pool show [POOL] [--period 2024/25-Q2 | --by quarter|month] [--json]",
    "pool list [--json]",
    "Show a pool's figures at the end of a period (a quarter, an NHS month or",
    "the year; default the whole year): per scheme the budget after virements,",
    "actual spending to the period end, the latest forecast outturn and the",
    "variance (forecast - budget; positive is an overspend); per funding stream",
    "and partner the planned and received contributions; and totals. For the year",
    "of a settled pool the variance is actual - budget, and the settlement and the",
    "closing reserve (underspend carried forward) follow. --by quarter|month shows",
    "the year period by period in columns: budget to date (pro rata), actual in",
    "the period and to date, the year-to-date variance, and the full-year",
    "forecast outturn and variance at each period end. `pool list` lists every",
    "pool: id, year, kind, host, budget, open or settled (docs/reports.md).",
    "Without POOL, pool show shows the config file's pool (docs/config.md).",
    NULL,
};

static const char *
display(const json_t *v, char *buf, size_t size)
{
    int64_t pence = 0;
    if (pb_money_parse(json_string_value(v), &pence, NULL) != PB_OK ||
        pb_money_format_display(pence, buf, size) != PB_OK) {
        snprintf(buf, size, "?");
    }
    return buf;
}

/* Every period.close and period.reopen of the pool, in append order. */
static void
print_periods(const json_t *r)
{
    const json_t *periods = json_object_get(r, "periods");
    if (json_array_size(periods) > 0) {
        printf("\nperiods closed and reopened:\n");
    }
    for (size_t i = 0; i < json_array_size(periods); i++) {
        const json_t *e = json_array_get(periods, i);
        const char *reason = json_string_value(json_object_get(e, "reason"));
        printf("  %-12s %-8s on %s by %s (index %" JSON_INTEGER_FORMAT ")%s%s\n",
               json_string_value(json_object_get(e, "period")),
               strcmp(json_string_value(json_object_get(e, "action")), "close") == 0 ? "closed"
                                                                                     : "reopened",
               json_string_value(json_object_get(e, "date")),
               json_string_value(json_object_get(e, "id")),
               json_integer_value(json_object_get(e, "index")), reason != NULL ? ": " : "",
               reason != NULL ? reason : "");
    }
}

/* A settled year: the recorded apportionment and the closing reserve. */
static void
print_settlement(const json_t *st)
{
    char a[PB_MONEY_TEXT_MAX];
    const char *partner;
    json_t *share;
    if (st == NULL) {
        return;
    }
    printf("\nsettled by %s (index %" JSON_INTEGER_FORMAT ") on %s: variance %s\n",
           json_string_value(json_object_get(st, "id")),
           json_integer_value(json_object_get(st, "index")),
           json_string_value(json_object_get(st, "date")),
           display(json_object_get(st, "variance"), a, sizeof(a)));
    json_object_foreach(json_object_get(st, "shares"), partner, share)
    {
        printf("  share %-26s %16s\n", partner, display(share, a, sizeof(a)));
    }
    printf("  %-32s %16s\n", "unallocated",
           display(json_object_get(st, "unallocated"), a, sizeof(a)));
    printf("  %-32s %16s\n", "carried forward",
           display(json_object_get(st, "carried_forward"), a, sizeof(a)));
    printf("closing reserve (underspend carried forward): %s\n",
           display(json_object_get(st, "closing_reserve"), a, sizeof(a)));
}

static void
print_text(const json_t *r)
{
    char a[PB_MONEY_TEXT_MAX], b[PB_MONEY_TEXT_MAX], c[PB_MONEY_TEXT_MAX], d[PB_MONEY_TEXT_MAX];
    printf("%s — %s\nperiod %s (to %s), host %s\n\n", json_string_value(json_object_get(r, "pool")),
           json_string_value(json_object_get(r, "name")),
           json_string_value(json_object_get(r, "period")),
           json_string_value(json_object_get(r, "period_end")),
           json_string_value(json_object_get(r, "host")));
    printf("%-8s %-32s %-6s %16s %16s %16s %16s\n", "scheme", "name", "lead", "budget", "actual",
           "forecast", "variance");
    const json_t *schemes = json_object_get(r, "schemes");
    for (size_t i = 0; i < json_array_size(schemes); i++) {
        const json_t *s = json_array_get(schemes, i);
        printf("%-8s %-32.32s %-6s %16s %16s %16s %16s%s\n",
               json_string_value(json_object_get(s, "id")),
               json_string_value(json_object_get(s, "name")),
               json_string_value(json_object_get(s, "lead")),
               display(json_object_get(s, "budget"), a, sizeof(a)),
               display(json_object_get(s, "actual"), b, sizeof(b)),
               display(json_object_get(s, "forecast"), c, sizeof(c)),
               display(json_object_get(s, "variance"), d, sizeof(d)),
               json_object_get(s, "flag") != NULL ? "  (no forecast: at budget)" : "");
    }
    const json_t *t = json_object_get(r, "totals");
    if (strcmp(json_string_value(json_object_get(r, "basis")), "actual") == 0) {
        printf("(the year is settled: variance is actual - budget)\n");
    }
    printf("%-8s %-32s %-6s %16s %16s %16s %16s\n\n", "total", "", "",
           display(json_object_get(t, "budget"), a, sizeof(a)),
           display(json_object_get(t, "actual"), b, sizeof(b)),
           display(json_object_get(t, "forecast"), c, sizeof(c)),
           display(json_object_get(t, "variance"), d, sizeof(d)));
    printf("%-8s %-32s %-6s %16s %16s %16s  %s\n", "stream", "name", "payer", "planned",
           "due to date", "received", "due basis");
    const json_t *streams = json_object_get(r, "streams");
    for (size_t i = 0; i < json_array_size(streams); i++) {
        const json_t *s = json_array_get(streams, i);
        printf("%-8s %-32.32s %-6s %16s %16s %16s  %s\n",
               json_string_value(json_object_get(s, "id")),
               json_string_value(json_object_get(s, "name")),
               json_string_value(json_object_get(s, "payer")),
               display(json_object_get(s, "planned"), a, sizeof(a)),
               display(json_object_get(s, "due_to_date"), c, sizeof(c)),
               display(json_object_get(s, "received"), b, sizeof(b)),
               json_string_value(json_object_get(s, "schedule")));
    }
    const json_t *partners = json_object_get(r, "partners");
    for (size_t i = 0; i < json_array_size(partners); i++) {
        const json_t *p = json_array_get(partners, i);
        printf("%-8s %-32s %-6s %16s %16s %16s  %s\n", "partner", "",
               json_string_value(json_object_get(p, "id")),
               display(json_object_get(p, "planned"), a, sizeof(a)),
               display(json_object_get(p, "due_to_date"), c, sizeof(c)),
               display(json_object_get(p, "received"), b, sizeof(b)),
               json_string_value(json_object_get(p, "due_basis")));
    }
    printf("%-8s %-32s %-6s %16s %16s %16s\n", "total", "", "",
           display(json_object_get(t, "planned"), a, sizeof(a)),
           display(json_object_get(t, "due_to_date"), c, sizeof(c)),
           display(json_object_get(t, "received"), b, sizeof(b)));
    print_settlement(json_object_get(r, "settlement"));
    print_periods(r);
}

static void
print_series(const json_t *series)
{
    char a[PB_MONEY_TEXT_MAX], b[PB_MONEY_TEXT_MAX], c[PB_MONEY_TEXT_MAX], d[PB_MONEY_TEXT_MAX];
    char e[PB_MONEY_TEXT_MAX], f[PB_MONEY_TEXT_MAX], g[PB_MONEY_TEXT_MAX];
    printf("%s %s by %s\n", json_string_value(json_object_get(series, "pool")),
           json_string_value(json_object_get(series, "year")),
           json_string_value(json_object_get(series, "by")));
    printf("%-12s %-6s %16s %16s %16s %16s %16s %16s %16s\n", "period", "status", "budget ytd",
           "actual", "actual ytd", "ytd variance", "budget", "outturn", "variance");
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(series, "periods"), i, p)
    {
        printf("%-12s %-6s %16s %16s %16s %16s %16s %16s %16s\n",
               json_string_value(json_object_get(p, "period")),
               json_string_value(json_object_get(p, "status")),
               display(json_object_get(p, "budget_ytd"), a, sizeof(a)),
               display(json_object_get(p, "actual"), b, sizeof(b)),
               display(json_object_get(p, "actual_ytd"), c, sizeof(c)),
               display(json_object_get(p, "ytd_variance"), d, sizeof(d)),
               display(json_object_get(p, "budget"), e, sizeof(e)),
               display(json_object_get(p, "outturn"), f, sizeof(f)),
               display(json_object_get(p, "variance"), g, sizeof(g)));
    }
}

static void
print_list(const json_t *list)
{
    char a[PB_MONEY_TEXT_MAX];
    size_t i;
    const json_t *p;
    printf("%-12s %-8s %-11s %-6s %16s %-8s %s\n", "pool", "year", "kind", "host", "budget",
           "status", "name");
    json_array_foreach(list, i, p)
    {
        printf("%-12s %-8s %-11s %-6s %16s %-8s %s\n", json_string_value(json_object_get(p, "id")),
               json_string_value(json_object_get(p, "year")),
               json_string_value(json_object_get(p, "kind")),
               json_string_value(json_object_get(p, "host")),
               display(json_object_get(p, "budget"), a, sizeof(a)),
               json_string_value(json_object_get(p, "status")),
               json_string_value(json_object_get(p, "name")));
    }
}

static void
print_json(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text == NULL) {
        cli_die_env("out of memory writing JSON");
    }
    printf("%s\n", text);
    free(text);
}

int
cmd_pool(int argc, char **argv)
{
    const char *period = NULL, *by = NULL;
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "period", "PERIOD", &period, "2024/25-Q2, 2024/25-M06 or 2024/25"},
        {CLI_STRING, 0, "by", "quarter|month", &by, "the year period by period (pool show)"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the figures as JSON (docs/reports.md)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, pool_usage, options);
    int list = argi + 1 == argc && strcmp(argv[argi], "list") == 0;
    int show = argi < argc && strcmp(argv[argi], "show") == 0 && argc - argi <= 2;
    /* pool show without POOL: the config file's pool (docs/config.md). */
    const char *pool = !show ? NULL : argi + 2 == argc ? argv[argi + 1] : cli_config("pool");
    if (!list && !show) {
        cli_usage_error(pool_usage, "say pool show POOL or pool list");
    }
    if (show && pool == NULL) {
        cli_usage_error(pool_usage, "say pool show POOL (no pool is set in the config file)");
    }
    if (by != NULL && strcmp(by, "quarter") != 0 && strcmp(by, "month") != 0) {
        cli_usage_error(pool_usage, "--by is quarter or month, not '%s'", by);
    }
    if (by != NULL && period != NULL) {
        cli_usage_error(pool_usage, "give --period or --by, not both");
    }
    if (list && (by != NULL || period != NULL)) {
        cli_usage_error(pool_usage, "pool list takes no --period or --by");
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    json_t *report = NULL;
    int rc = list         ? pb_pool_list(store, &report, &err)
             : by != NULL ? pb_pool_report_series(store, pool,
                                                  strcmp(by, "quarter") == 0 ? PB_PERIOD_QUARTER
                                                                             : PB_PERIOD_MONTH,
                                                  &report, &err)
                          : pb_pool_report(store, pool, period, &report, &err);
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_name_option(&err, "pool show POOL");
        cli_fail(&err);
    }
    if (json) {
        print_json(report);
    } else if (list) {
        print_list(report);
    } else if (by != NULL) {
        print_series(report);
    } else {
        print_text(report);
    }
    json_decref(report);
    return 0;
}
