/*
 * cmd_log.c — `poolbook log`: list records, one line each (or JSON lines).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const log_usage[] = {
    "log [--from INDEX] [--limit N] [--json]",
    "List the ledger's records in order: index, type, id, created, signing keys.",
    "--json prints each stored record as a JSON line with its index.",
    NULL,
};

static void
print_line(uint64_t index, const json_t *record)
{
    const json_t *entry = json_object_get(record, "entry");
    printf("%6llu  %-14s %-24s %s ", (unsigned long long)index,
           json_string_value(json_object_get(entry, "type")),
           json_string_value(json_object_get(entry, "id")),
           json_string_value(json_object_get(entry, "created")));
    const json_t *sigs = json_object_get(record, "sigs");
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        printf("%s%s", i == 0 ? "" : ",",
               json_string_value(json_object_get(json_array_get(sigs, i), "key")));
    }
    printf("\n");
}

int
cmd_log(int argc, char **argv)
{
    const char *from_text = NULL;
    const char *limit_text = NULL;
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "from", "INDEX", &from_text, "start at this index (default 0)"},
        {CLI_STRING, 0, "limit", "N", &limit_text, "list at most N records"},
        {CLI_FLAG, 0, "json", NULL, &json, "JSON lines: {\"index\":I,\"record\":{...}}"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, log_usage, options);
    if (argi != argc) {
        cli_usage_error(log_usage, "unexpected argument '%s'", argv[argi]);
    }
    uint64_t from =
        from_text != NULL ? cli_parse_number(log_usage, "--from", from_text, 0, UINT64_MAX) : 0;
    uint64_t limit = limit_text != NULL
                         ? cli_parse_number(log_usage, "--limit", limit_text, 0, UINT64_MAX)
                         : UINT64_MAX;
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    uint64_t size = 0;
    if (pb_store_size(store, &size, &err) != PB_OK) {
        cli_fail(&err);
    }
    for (uint64_t i = from; i < size && i - from < limit; i++) {
        char *buf = NULL;
        size_t len = 0;
        json_t *record = NULL;
        if (pb_store_record(store, i, &buf, &len, &err) != PB_OK ||
            pb_json_parse(buf, len, PB_RECORD_BYTES_MAX, &record, &err) != PB_OK) {
            err.index = err.index < 0 ? (int64_t)i : err.index;
            cli_fail(&err);
        }
        if (json) {
            printf("{\"index\":%llu,\"record\":%s}\n", (unsigned long long)i, buf);
        } else {
            print_line(i, record);
        }
        json_decref(record);
        free(buf);
    }
    pb_store_close(store);
    return 0;
}
