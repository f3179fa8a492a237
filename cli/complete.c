/*
 * complete.c — `poolbook __complete WHAT`, the hidden helper the bash and zsh
 * completions (scripts/completion/) call: the entry types, and the pool and
 * partner ids of the ledger (from its derived state, so the cost does not
 * grow with the number of entries). One word per line; nothing on error, so
 * a completion never prints a message into the person's command line.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Print each string of the JSON array under key (a line "key<TAB>[...]" of
 * the state dump), one a line. */
static void
complete_state_list(const char *dump, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = dump; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        if (len > n && strncmp(line, key, n) == 0 && line[n] == '\t') {
            json_t *list = json_loadb(line + n + 1, len - n - 1, JSON_REJECT_DUPLICATES, NULL);
            size_t i;
            const json_t *v;
            json_array_foreach(list, i, v)
            {
                if (json_is_string(v)) {
                    printf("%s\n", json_string_value(v));
                }
            }
            json_decref(list);
            return;
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

/* The ledger's pool ids ("pools") or partner ids ("partners"). */
static int
complete_ids(const char *key)
{
    pb_store *store = NULL;
    pb_error err;
    pb_error_init(&err);
    if (pb_store_open(cli_ledger_path(), PB_STORE_RDONLY, &store, &err) != PB_OK) {
        return 1;
    }
    char *dump = NULL;
    int rc = pb_store_state_dump(store, &dump, &err);
    pb_store_close(store);
    if (rc == PB_OK) {
        complete_state_list(dump, key);
    }
    free(dump);
    return rc == PB_OK ? 0 : 1;
}

int
cli_complete(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "types") == 0) {
        for (const char *const *t = cli_entry_types(); *t != NULL; t++) {
            printf("%s\n", *t);
        }
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "pools") == 0 || strcmp(argv[1], "partners") == 0)) {
        return complete_ids(argv[1]);
    }
    return 2;
}
