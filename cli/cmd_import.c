/*
 * cmd_import.c — `poolbook import FILE.csv --map MAP.json -k KEY`: every row
 * of a finance-system extract becomes a signed contribution, expenditure or
 * forecast entry (ledger/interchange/import.c builds the drafts), and the whole file is
 * appended in one transaction: all rows or none (docs/import.md).
 */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

static const char *const import_usage[] = {
    "import FILE.csv --map MAP.json -k SECKEY [--passphrase-file FILE] [--allow-same-ref]",
    "       [--dry-run] [--json]",
    "Import a finance-system extract: each row becomes a contribution, expenditure",
    "or forecast entry, signed with SECKEY; the whole file is appended in one",
    "transaction, or nothing is. MAP.json names the columns, the entry type, the",
    "pool, the date format (dd/mm/yyyy, yyyy-mm-dd, dd-mon-yyyy) and the amount",
    "unit (pounds or thousands); docs/import.md has a worked example. Rows",
    "already imported (the same cells from the same source) are reported as",
    "already present and appended again never. A UTF-8 BOM and CR LF are fine.",
    "A contribution or expenditure whose reference an entry of the ledger or an",
    "earlier row already has for the same pool and partner (scheme) is refused,",
    "as `post` refuses it, unless --allow-same-ref.",
    "--dry-run checks every row as the import would, writes nothing, and prints",
    "what would be appended and the pool's figures that would change.",
    NULL,
};

/* Read and parse the map; exits naming the file on bad JSON. */
static json_t *
read_map(const char *path)
{
    size_t len = 0;
    char *buf = cli_read_file(path, PB_ENTRY_BYTES_MAX, 0, &len);
    json_t *map = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_json_parse(buf, len, PB_ENTRY_BYTES_MAX, &map, &err);
    free(buf);
    if (rc != PB_OK) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s%s%s", path, err.where[0] != '\0' ? ", " : "", err.where);
        memcpy(err.where, where, sizeof(where));
        cli_fail(&err);
    }
    return map;
}

/* Open path for the streamed import if it is a regular file (read in pieces,
 * twice: pb_import_file_into), refusing one over PB_INPUT_BYTES_MAX at once
 * as cli_read_file would; NULL for stdin or a pipe, which are copied to a
 * file first (cli_spool). */
static FILE *
open_regular(const char *path)
{
    struct stat st;
    /* Not opened to look: a named pipe opened and closed would lose its writer. */
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return NULL; /* cli_read_file reads it, or names why it cannot */
    }
    if ((uint64_t)st.st_size > PB_INPUT_BYTES_MAX) {
        cli_error_line("input is larger than %zu bytes (%s)", PB_INPUT_BYTES_MAX, path);
        exit(1);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_die_env("cannot open %s: %s", path, pb_errno_text(errno));
    }
    return f;
}

static void
print_result(const pb_import *imp, uint64_t first, uint64_t appended, uint64_t present, int json)
{
    size_t rows = pb_import_count(imp);
    size_t skipped = pb_import_skipped(imp);
    if (json) {
        printf("{\"rows\":%zu,\"skipped\":%zu,\"appended\":%llu,\"present\":%llu,"
               "\"first_index\":%llu}\n",
               rows, skipped, (unsigned long long)appended, (unsigned long long)present,
               (unsigned long long)first);
        return;
    }
    printf("imported %zu row%s", rows, rows == 1 ? "" : "s");
    if (appended > 0) {
        printf(": appended %llu record%s at index %llu..%llu", (unsigned long long)appended,
               appended == 1 ? "" : "s", (unsigned long long)first,
               (unsigned long long)(first + appended - 1));
    } else {
        printf(": nothing appended");
    }
    if (present > 0) {
        printf(" (%llu already present)", (unsigned long long)present);
    }
    printf(skipped > 0 ? "; %zu row%s skipped by the map\n" : "\n", skipped,
           skipped == 1 ? "" : "s");
}

int
cmd_import(int argc, char **argv)
{
    const char *map_path = NULL;
    const char *key_path = NULL;
    const char *pass_file = NULL;
    int json = 0;
    int dry_run = 0;
    int allow_same_ref = 0;
    const struct cli_option options[] = {
        {CLI_FLAG, 0, "allow-same-ref", NULL, &allow_same_ref,
         "import payments under references already used (other entries)"},
        {CLI_STRING, 0, "map", "MAP.json", &map_path, "which column is which (docs/import.md)"},
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path,
         "the secret key to sign with (default: $POOLBOOK_KEY, the config's key)"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_FLAG, 0, "dry-run", NULL, &dry_run,
         "check every row, write nothing: show what would change"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, import_usage, options);
    if (argi + 1 != argc) {
        cli_usage_error(import_usage, "import needs one FILE.csv");
    }
    key_path = cli_key_path(key_path); /* $POOLBOOK_KEY, the config's key */
    if (map_path == NULL || key_path == NULL) {
        cli_usage_error(import_usage, "import needs --map MAP.json and -k SECKEY");
    }
    const char *csv_path = argv[argi];
    json_t *map = read_map(map_path);
    size_t len = 0;
    FILE *csv_file = open_regular(csv_path);
    if (csv_file == NULL) {
        csv_file = cli_spool(csv_path, PB_INPUT_BYTES_MAX); /* stdin, a pipe */
    }
    char *csv = csv_file == NULL ? cli_read_file(csv_path, PB_INPUT_BYTES_MAX, 0, &len) : NULL;
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    char created[32];
    pb_now(created, sizeof(created));
    pb_error err;
    pb_error_init(&err);
    pb_store *store = cli_open_store(0);
    pb_import *imp = NULL;
    uint64_t first = 0;
    uint64_t appended = 0;
    uint64_t present = 0;
    int rc = pb_store_size(store, &first, &err);
    pb_preview *preview = NULL;
    json_t *shown = NULL; /* the dry run's preview object */
    if (rc == PB_OK) {
        /* Streamed: each row's draft is signed and checked on a worker and
         * admitted in order into one write transaction; none is kept. A dry
         * run takes the same path and keeps only what it shows (the pools
         * named, the records listed), then aborts instead of committing. */
        pb_batch *batch = NULL;
        rc = pb_batch_open(store, &batch, &err);
        if (rc == PB_OK) {
            pb_batch_sign_with(batch, key);
        }
        if (rc == PB_OK && dry_run) {
            rc = pb_preview_new(store, batch, json ? SIZE_MAX : CLI_DRY_RUN_RECORDS_SHOWN, &preview,
                                &err);
        }
        if (rc == PB_OK) {
            rc = csv_file != NULL
                     ? pb_import_file_into(store, map, map_path, csv_file, PB_INPUT_BYTES_MAX,
                                           csv_path, created, !allow_same_ref, batch, &imp, &err)
                     : pb_import_csv_into(store, map, map_path, csv, len, csv_path, created,
                                          !allow_same_ref, batch, &imp, &err);
        }
        if (rc == PB_OK && dry_run) {
            rc = pb_preview_finish(preview, batch, &shown, &err);
        } else if (rc == PB_OK) {
            rc = pb_batch_commit(batch, &appended, &present, &err);
        } else {
            pb_batch_close(batch);
        }
        pb_preview_free(preview);
    }
    free(csv);
    if (csv_file != NULL) {
        fclose(csv_file);
    }
    json_decref(map);
    pb_seckey_free(key);
    if (rc == PB_EREF_USED) { /* as `post` says it */
        size_t n = strlen(err.text);
        snprintf(err.text + n, sizeof(err.text) - n,
                 ": if this is another payment under the same reference, import it with "
                 "--allow-same-ref");
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        if (imp != NULL) {
            pb_import_name_error(imp, &err);
        }
        pb_import_free(imp);
        cli_fail(&err);
    }
    if (dry_run) {
        cli_dry_run_print(shown, json);
    } else {
        print_result(imp, first, appended, present, json);
    }
    pb_import_free(imp);
    return 0;
}
