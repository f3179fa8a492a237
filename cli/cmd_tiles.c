/*
 * cmd_tiles.c — `poolbook tiles --out DIR`: write the ledger's C2SP
 * tlog-tiles (hash tiles, entry bundles) and its latest checkpoint as static
 * files, so any web server, CDN or object store can serve reads (DESIGN 9).
 */
#include "cli.h"

#include <stdlib.h>

static const char *const tiles_usage[] = {
    "tiles --out DIR [-k OPERATORKEY]",
    "Write the tiles of the tree of the latest checkpoint under DIR (DIR/tile/...)",
    "and then DIR/checkpoint, as C2SP tlog-tiles. Full tiles already in DIR are",
    "checked, not rewritten. With -k, sign a fresh checkpoint of the whole ledger",
    "first. Prints the tree size and how many files were written and kept.",
    NULL,
};

int
cmd_tiles(int argc, char **argv)
{
    const char *out = NULL;
    const char *key_path = NULL;
    const char *pass_file = NULL;
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 'o', "out", "DIR", &out, "the folder to write (created if missing)"},
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path, "sign a checkpoint first"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the report as JSON"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, tiles_usage, options);
    if (argi != argc) {
        cli_usage_error(tiles_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (out == NULL) {
        cli_usage_error(tiles_usage, "give --out DIR");
    }
    pb_store *store = cli_open_store(key_path != NULL ? 0 : PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    int rc = PB_OK;
    if (key_path != NULL) {
        pb_seckey *key = cli_load_seckey(key_path, pass_file);
        char *note = NULL;
        rc = pb_checkpoint_create(store, key, &note, &err);
        pb_seckey_free(key);
        free(note);
    }
    pb_tiles_report report;
    if (rc == PB_OK) {
        rc = pb_tiles_write(store, out, &report, &err);
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    if (json) {
        printf("{\"tiles_kept\":%llu,\"tiles_written\":%llu,\"tree_size\":%llu}\n",
               (unsigned long long)report.tiles_kept, (unsigned long long)report.tiles_written,
               (unsigned long long)report.tree_size);
    } else {
        printf("tree size %llu: %llu files written, %llu full tiles kept, in %s\n",
               (unsigned long long)report.tree_size, (unsigned long long)report.tiles_written,
               (unsigned long long)report.tiles_kept, out);
    }
    return cli_finish_stdout();
}
