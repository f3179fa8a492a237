/*
 * cmd_reindex.c — `poolbook reindex`: rebuild derived state from the records.
 */
#include "cli.h"

static const char *const reindex_usage[] = {
    "reindex",
    "Rebuild all derived state (partners, keys, pools, running totals) from the",
    "records alone, in one transaction. The records and the root do not change.",
    NULL,
};

int
cmd_reindex(int argc, char **argv)
{
    static const struct cli_option options[] = {{CLI_END}};
    int argi = cli_parse(argc, argv, reindex_usage, options);
    if (argi != argc) {
        cli_usage_error(reindex_usage, "unexpected argument '%s'", argv[argi]);
    }
    pb_store *store = cli_open_store(0);
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_reindex(store, &err);
    uint64_t size = 0;
    if (rc == PB_OK) {
        rc = pb_store_size(store, &size, &err);
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    printf("reindexed %llu records\n", (unsigned long long)size);
    return 0;
}
