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
    "policy check FILE | policy explain --pool POOL [--period 2024/25-Q2] [--json]",
    "check: validate a risk-share policy (JSON, as in a pool agreement's \"policy\");",
    "  an error names the JSON path of the first fault.",
    "explain: apportion the pool's variance at the period end (default the whole",
    "  year) under its agreed policy: variance, each partner's share, unallocated,",
    "  carried forward and the workings of every step (docs/policies.md).",
    NULL,
};

static int
policy_check(const char *path)
{
    size_t len = 0;
    char *buf = cli_read_file(path, PB_ENTRY_BYTES_MAX, &len);
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

static void
print_amounts(const json_t *explain)
{
    const char *key;
    json_t *value;
    printf("variance         %s\n", json_string_value(json_object_get(explain, "variance")));
    json_object_foreach(json_object_get(explain, "shares"), key, value)
    {
        printf("share %-10s %s\n", key, json_string_value(value));
    }
    printf("unallocated      %s\n", json_string_value(json_object_get(explain, "unallocated")));
    printf("carried forward  %s\n", json_string_value(json_object_get(explain, "carried_forward")));
}

static int
policy_explain(int argc, char **argv)
{
    const char *pool = NULL;
    const char *period = NULL;
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "pool", "POOL", &pool, "the pool"},
        {CLI_STRING, 0, "period", "PERIOD", &period, "2024/25-Q2, 2024/25-M06 or 2024/25"},
        {CLI_FLAG, 0, "json", NULL, &json, "print one JSON object (docs/policies.md)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, policy_usage, options);
    if (argi != argc || pool == NULL) {
        cli_usage_error(policy_usage, "say policy explain --pool POOL");
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    json_t *explain = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_policy_explain(store, pool, period, &explain, &err);
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    if (json) {
        char *text = json_dumps(explain, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
    } else {
        size_t i;
        json_t *step;
        print_amounts(explain);
        printf("\nworkings:\n");
        json_array_foreach(json_object_get(explain, "workings"), i, step)
        {
            char *text = json_dumps(step, JSON_COMPACT);
            printf("%3zu %s\n", i + 1, text);
            free(text);
        }
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
    cli_parse(argc, argv, policy_usage, no_options);
    cli_usage_error(policy_usage, "say policy check FILE or policy explain --pool POOL");
}
