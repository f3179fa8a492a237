/*
 * cmd_append.c — `poolbook append [FILE...]`: append signed records in one
 * write transaction: all or none. Records come from files (a draft, or JSON
 * lines) or stdin.
 */
#include "cli.h"

#include <string.h>

static const char *const append_usage[] = {
    "append [--dry-run] [--json] [FILE...]",
    "Append signed records: each FILE holds one record or JSON lines; with no",
    "FILE (or '-') they are read from stdin. All are appended in one",
    "transaction, or none. A record already present (identical) is reported",
    "and skipped; a different record with a used id is refused. --dry-run checks",
    "them all as the append would, writes nothing, and prints what would be",
    "appended and the pools' figures that would change. With --remote, each",
    "record is sent to the server (POST /add-entry) in turn, the first refusal",
    "stopping the run (records before it stay appended).",
    NULL,
};

struct source {
    const char *path;
    struct cli_records recs;
};

static void
free_sources(struct source *src, size_t npaths, json_t **all)
{
    for (size_t i = 0; i < npaths; i++) {
        cli_records_free(&src[i].recs);
    }
    free(src);
    free(all);
}

int
cmd_append(int argc, char **argv)
{
    int json = 0;
    int dry_run = 0;
    const struct cli_option options[] = {
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_FLAG, 0, "dry-run", NULL, &dry_run,
         "check everything, write nothing: show what would change"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, append_usage, options);
    static char *stdin_only[] = {"-"};
    char **paths = argi < argc ? argv + argi : stdin_only;
    size_t npaths = argi < argc ? (size_t)(argc - argi) : 1;
    struct source *src = calloc(npaths, sizeof(*src));
    size_t total = 0;
    for (size_t i = 0; i < npaths; i++) {
        src[i].path = paths[i];
        cli_read_records(paths[i], PB_INPUT_BYTES_MAX, &src[i].recs);
        total += src[i].recs.count;
    }
    json_t **all = calloc(total + 1, sizeof(json_t *));
    if (src == NULL || all == NULL) {
        cli_die_env("out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < npaths; i++) {
        for (size_t j = 0; j < src[i].recs.count; j++) {
            all[n++] = src[i].recs.records[j];
        }
    }
    if (cli_remote() != NULL) {
        /* One POST /add-entry per record, in order; the first refusal stops. */
        pb_seckey *key = cli_remote_key();
        int code = 0;
        for (size_t i = 0; i < total && code == 0; i++) {
            code = cli_remote_append(all[i], key, json);
        }
        pb_seckey_free(key);
        free_sources(src, npaths, all);
        return code;
    }
    pb_store *store = cli_open_store(0);
    uint64_t size_before = 0;
    uint64_t appended = 0;
    uint64_t present = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_size(store, &size_before, &err);
    uint64_t index = 0;
    int one_present = 0;
    if (rc == PB_OK && dry_run) {
        rc = cli_dry_run(store, all, total, json, &err);
    } else if (rc == PB_OK && total == 1) {
        rc = pb_store_append(store, all[0], &index, &one_present, &err);
        err.index = rc == PB_OK ? -1 : 0;
        appended = rc == PB_OK && !one_present;
        present = rc == PB_OK && one_present;
    } else if (rc == PB_OK) {
        rc = pb_store_append_batch(store, all, total, &appended, &present, &err);
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        /* Name the failing record by its file and line; free everything first
         * so that a refusal leaks nothing (the ASan build checks). */
        const char *path = NULL;
        int64_t line = 0;
        size_t pos = err.index >= 0 ? (size_t)err.index : total;
        for (size_t i = 0; i < npaths && path == NULL; i++) {
            if (pos < src[i].recs.count) {
                path = src[i].path;
                line = src[i].recs.lines[pos];
            }
            pos -= src[i].recs.count;
        }
        free_sources(src, npaths, all);
        if (path != NULL) {
            cli_fail_input(&err, path, line);
        }
        cli_fail(&err);
    }
    if (dry_run) {
        /* printed by cli_dry_run */
    } else if (json) {
        printf("{\"appended\":%llu,\"present\":%llu,\"first_index\":%llu}\n",
               (unsigned long long)appended, (unsigned long long)present,
               (unsigned long long)size_before);
    } else if (total == 1) {
        const char *id = json_string_value(json_object_get(json_object_get(all[0], "entry"), "id"));
        printf("%s %llu %s\n", one_present ? "already present at index" : "appended at index",
               (unsigned long long)index, id);
    } else if (appended > 0) {
        printf("appended %llu record%s at index %llu..%llu", (unsigned long long)appended,
               appended == 1 ? "" : "s", (unsigned long long)size_before,
               (unsigned long long)(size_before + appended - 1));
        printf(present > 0 ? " (%llu already present)\n" : "\n", (unsigned long long)present);
    } else {
        printf("nothing appended: %llu record%s already present\n", (unsigned long long)present,
               present == 1 ? "" : "s");
    }
    free_sources(src, npaths, all);
    return 0;
}
