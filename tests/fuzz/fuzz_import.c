/*
 * fuzz_import.c — import maps and CSV (ledger/interchange/import.c): the
 * input is a map (JSON) and a CSV extract, split at the first line "---".
 * The ledger is an empty scratch store, so a map is parsed and checked in
 * full but rows stop at "no genesis" (see docs: the rows' own checks are
 * fuzzed through fuzz_draft, which builds the same entries). Invariants: a
 * refusal has a code and one line of text; an accepted import (none expected
 * without a genesis) would hold at most PB_BATCH_RECORDS_MAX records.
 */
#include "fuzz.h"

#include "books/books.h"

static pb_store *store;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (store == NULL) {
        FUZZ_CHECK(pb_store_open_scratch(&store, NULL) == PB_OK);
    }
    const char *text = (const char *)data;
    const char *split = NULL;
    for (size_t i = 0; i + 5 <= size; i++) {
        if (memcmp(text + i, "\n---\n", 5) == 0) {
            split = text + i;
            break;
        }
    }
    if (split == NULL) {
        return 0;
    }
    json_t *map = NULL;
    if (pb_json_parse(text, (size_t)(split - text) + 1, PB_ENTRY_BYTES_MAX, &map, NULL) != PB_OK) {
        return 0;
    }
    const char *csv = split + 5;
    size_t csv_len = size - (size_t)(csv - text);
    pb_import *imp = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_import_csv(store, map, "map.json", csv, csv_len, "fuzz.csv", "2024-06-30T12:00:00Z",
                           &imp, &err);
    if (rc == PB_OK) {
        FUZZ_CHECK(pb_import_count(imp) <= PB_BATCH_RECORDS_MAX);
        pb_import_free(imp);
    } else {
        FUZZ_CHECK(imp == NULL && err.code == rc && err.text[0] != '\0');
        FUZZ_CHECK(strchr(err.text, '\n') == NULL);
    }
    json_decref(map);
    return 0;
}
