/*
 * cmd_show.c — `poolbook show INDEX|ID`: one record, its index and leaf hash.
 */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const show_usage[] = {
    "show INDEX|ID [--json]",
    "Show one record by its index or its entry id, with its Merkle leaf hash.",
    NULL,
};

int
cmd_show(int argc, char **argv)
{
    int json = 0;
    const struct cli_option options[] = {
        {CLI_FLAG, 0, "json", NULL, &json, "print {\"index\",\"leaf_hash\",\"record\"} as JSON"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, show_usage, options);
    if (argi + 1 != argc) {
        cli_usage_error(show_usage, "show needs one INDEX or ID");
    }
    const char *what = argv[argi];
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    uint64_t index = 0;
    int rc = PB_OK;
    if (what[0] != '\0' && strspn(what, "0123456789") == strlen(what)) {
        index = cli_parse_number(show_usage, "INDEX", what, 0, UINT64_MAX);
    } else {
        rc = pb_store_find(store, what, &index, &err);
    }
    char *buf = NULL;
    size_t len = 0;
    if (rc == PB_OK) {
        rc = pb_store_record(store, index, &buf, &len, &err);
    }
    pb_store_close(store);
    json_t *record = NULL;
    if (rc == PB_OK) {
        rc = pb_json_parse(buf, len, PB_RECORD_BYTES_MAX, &record, &err);
    }
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    uint8_t leaf[32];
    pb_merkle_leaf_hash(buf, len, leaf);
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), leaf, 32, sodium_base64_VARIANT_ORIGINAL);
    if (json) {
        printf("{\"index\":%llu,\"leaf_hash\":\"%s\",\"record\":%s}\n", (unsigned long long)index,
               b64, buf);
    } else {
        char *pretty = json_dumps(record, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("index:     %llu\nleaf hash: %s\n%s\n", (unsigned long long)index, b64,
               pretty != NULL ? pretty : buf);
        free(pretty);
    }
    json_decref(record);
    free(buf);
    return 0;
}
