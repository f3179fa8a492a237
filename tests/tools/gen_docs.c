/*
 * gen_docs.c — test tool: print COUNT signed document records as JSON lines
 * for a ledger ORIGIN, signed with SECKEY (unencrypted), ids PREFIX-0..N-1.
 * Used where a test needs large batches quickly (tests/cli/crash.sh).
 * usage: gen_docs ORIGIN SECKEY PREFIX COUNT
 */
#include "poolbook.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    if (argc != 5 || sodium_init() < 0) {
        fprintf(stderr, "usage: gen_docs ORIGIN SECKEY PREFIX COUNT\n");
        return 2;
    }
    pb_error err;
    pb_error_init(&err);
    pb_seckey *key = NULL;
    if (pb_seckey_load(argv[2], NULL, &key, &err) != PB_OK) {
        fprintf(stderr, "gen_docs: %s (%s)\n", err.text, err.where);
        return 3;
    }
    long count = strtol(argv[4], NULL, 10);
    for (long i = 0; i < count; i++) {
        char id[80], sha[65], title[64];
        snprintf(id, sizeof(id), "%s-%ld", argv[3], i);
        snprintf(sha, sizeof(sha), "%064lx", i);
        snprintf(title, sizeof(title), "Invoice %ld", i);
        json_t *entry = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "v", 1, "type", "document",
                                  "id", id, "ledger", argv[1], "created", "2024-06-30T12:00:00Z",
                                  "sha256", sha, "size", (json_int_t)i, "title", title);
        json_t *record = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
        char *text = NULL;
        size_t len = 0;
        if (pb_record_sign(record, key, &err) != PB_OK ||
            pb_json_canonical(record, &text, &len, &err) != PB_OK) {
            fprintf(stderr, "gen_docs: %s (%s)\n", err.text, err.where);
            return 1;
        }
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
        free(text);
        json_decref(record);
    }
    pb_seckey_free(key);
    return fflush(stdout) == 0 ? 0 : 3;
}
