/*
 * cmd_init.c — `poolbook init`: create an empty ledger file.
 */
#include "cli.h"

static const char *const init_usage[] = {
    "init",
    "Create an empty ledger (an LMDB file and its lock file). Its first record",
    "must be the genesis entry: see `poolbook new genesis`.",
    NULL,
};

int
cmd_init(int argc, char **argv)
{
    static const struct cli_option options[] = {{CLI_END}};
    int argi = cli_parse(argc, argv, init_usage, options);
    if (argi != argc) {
        cli_usage_error(init_usage, "unexpected argument '%s'", argv[argi]);
    }
    pb_store *store = cli_open_store(PB_STORE_CREATE);
    pb_store_close(store);
    printf("created %s\n", cli_ledger_path());
    return 0;
}
