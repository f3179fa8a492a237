/*
 * cmd_policy.c — `poolbook policy check FILE` validates a risk-share policy
 * (DESIGN 6) and names the first fault by its JSON path; `poolbook policy
 * explain --pool P [--period Q] [--json]` apportions a pool's variance under
 * its policy and prints the workings (docs/policies.md).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const policy_usage[] = {
    "policy check FILE | policy explain --pool POOL [--period 2024/25-Q2 | --actual] [--json]",
    "check: validate a risk-share policy (JSON, as in a pool agreement's \"policy\");",
    "  an error names the JSON path of the first fault.",
    "explain: apportion the pool's variance at the period end (default the whole",
    "  year) under its agreed policy: variance, each partner's share, unallocated,",
    "  carried forward and the workings of every step (docs/policies.md).",
    "  The variance is forecast outturn minus budget; --actual (or the year of a",
    "  settled pool) takes the actual spending: the figures a settlement records.",
    NULL,
};

static int
policy_check(const char *path)
{
    size_t len = 0;
    char *buf = cli_read_file(path, PB_ENTRY_BYTES_MAX, 0, &len);
    json_t *policy = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_json_parse(buf, len, PB_ENTRY_BYTES_MAX, &policy, &err);
    free(buf);
    if (rc == PB_OK) {
        rc = pb_policy_check(policy, &err);
    }
    json_decref(policy);
    if (rc != PB_OK) {
        cli_fail_input(&err, path, 0); /* "(FILE, $.overspend.split)", as new --file */
    }
    printf("%s: policy ok\n", path);
    return 0;
}

/* An amount string with thousands separators, right-aligned in width. */
static void
print_money(const json_t *amount, int width)
{
    char text[PB_MONEY_TEXT_MAX];
    int64_t pence = 0;
    if (pb_money_parse(json_string_value(amount), &pence, NULL) != PB_OK ||
        pb_money_format_display(pence, text, sizeof(text)) != PB_OK) {
        snprintf(text, sizeof(text), "?");
    }
    printf("%*s", width, text);
}

/* The inputs step as two tables: partners, then schemes. */
static void
print_inputs(const json_t *inputs)
{
    size_t i;
    const json_t *row;
    printf("%-12s %18s %18s\n", "Partner", "Planned", "Received");
    json_array_foreach(json_object_get(inputs, "partners"), i, row)
    {
        printf("%-12s ", json_string_value(json_object_get(row, "partner")));
        print_money(json_object_get(row, "planned"), 18);
        printf(" ");
        print_money(json_object_get(row, "received"), 18);
        printf("\n");
    }
    printf("\n%-12s %-8s %-8s %18s %18s\n", "Scheme", "Lead", "Class", "Budget", "Variance");
    json_array_foreach(json_object_get(inputs, "schemes"), i, row)
    {
        printf("%-12s %-8s %-8s ", json_string_value(json_object_get(row, "scheme")),
               json_string_value(json_object_get(row, "lead")),
               json_string_value(json_object_get(row, "class")));
        print_money(json_object_get(row, "budget"), 18);
        printf(" ");
        print_money(json_object_get(row, "variance"), 18);
        printf("\n");
    }
}

/* docs/policies.md shows this layout. */
static void
print_explain(const json_t *explain)
{
    const json_t *workings = json_object_get(explain, "workings");
    const char *policy = json_string_value(json_object_get(explain, "policy"));
    const char *key;
    json_t *value;
    size_t i;
    printf("Pool %s, %s (to %s)\n", json_string_value(json_object_get(explain, "pool")),
           json_string_value(json_object_get(explain, "period")),
           json_string_value(json_object_get(explain, "period_end")));
    printf("Policy: %s\n", policy != NULL ? policy : "(unnamed)");
    printf("Variance: %s\n\n", json_string_value(json_object_get(explain, "basis")));
    print_inputs(json_array_get(workings, 0));
    printf("\nWorkings\n");
    json_array_foreach(workings, i, value)
    {
        char *line = pb_policy_step_text(value);
        if (line == NULL) {
            cli_die_env("out of memory");
        }
        printf("%4zu. %s\n", i + 1, line);
        free(line);
    }
    printf("\nShares (positive: the partner pays more; negative: it pays less or is repaid)\n");
    json_object_foreach(json_object_get(explain, "shares"), key, value)
    {
        printf("  %-18s ", key);
        print_money(value, 18);
        printf("\n");
    }
    printf("  %-18s ", "unallocated");
    print_money(json_object_get(explain, "unallocated"), 18);
    printf("\n  %-18s ", "carried forward");
    print_money(json_object_get(explain, "carried_forward"), 18);
    printf("\n  %-18s ", "variance");
    print_money(json_object_get(explain, "variance"), 18);
    printf("\n");
}

/* explain's options; `policy --help` prints them too (check has none). */
static const char *pool, *period;
static int json, actual;
static const struct cli_option explain_options[] = {
    {CLI_STRING, 0, "pool", "POOL", &pool, "the pool (explain; default: the config's pool)"},
    {CLI_STRING, 0, "period", "PERIOD", &period, "2024/25-Q2, 2024/25-M06 or 2024/25 (explain)"},
    {CLI_FLAG, 0, "actual", NULL, &actual,
     "the year's actual outturn, as a settlement records it (explain; no --period)"},
    {CLI_FLAG, 0, "json", NULL, &json, "print one JSON object (explain; docs/policies.md)"},
    {CLI_END},
};

static int
policy_explain(int argc, char **argv)
{
    int argi = cli_parse(argc, argv, policy_usage, explain_options);
    pool = pool != NULL ? pool : cli_config("pool");
    if (argi != argc || pool == NULL) {
        cli_usage_error(policy_usage, "say policy explain --pool POOL");
    }
    if (actual && period != NULL) {
        cli_usage_error(policy_usage, "--actual is the whole year: give no --period");
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    json_t *explain = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = actual ? pb_policy_explain_actual(store, pool, &explain, &err)
                    : pb_policy_explain(store, pool, period, &explain, &err);
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_name_option(&err, "--pool");
        cli_fail(&err);
    }
    if (json) {
        char *text = json_dumps(explain, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
    } else {
        print_explain(explain);
    }
    json_decref(explain);
    return 0;
}

int
cmd_policy(int argc, char **argv)
{
    static const struct cli_option no_options[] = {{CLI_END}};
    /* The subcommand comes first; its options follow it. */
    if (argc >= 2 && strcmp(argv[1], "explain") == 0) {
        return policy_explain(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        int argi = cli_parse(argc - 1, argv + 1, policy_usage, no_options) + 1;
        if (argi + 1 == argc) {
            return policy_check(argv[argi]);
        }
    }
    cli_parse(argc, argv, policy_usage, explain_options);
    cli_usage_error(policy_usage, "say policy check FILE or policy explain --pool POOL");
}
