/*
 * fuzz_import.c — import maps and CSV (ledger/interchange/import.c): the
 * input is a map (JSON) and a CSV extract, split at the first line "---".
 * The ledger is a real one with a genesis and the pool BCF24 (fixture.c:
 * partners DCC and ICB, streams NHSMIN and IBCF, schemes S01-S03), so rows
 * go through every check a real import makes. Invariants: a refusal has a
 * code and one line of text and no import; an accepted import holds at most
 * PB_BATCH_RECORDS_MAX drafts, each of the form a record has (before its
 * signatures), with ids "imp-BCF24-..." all different, and the same input
 * read again gives the very same drafts, byte for byte; the reference check
 * of `post` answers PB_OK or PB_EREF_USED; the ledger is not written.
 */
#define _GNU_SOURCE /* memmem */
#include "fixture.h"
#include "fuzz.h"

#include "books/books.h"

static fuzz_ledger fx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ledger_make(&fx, 1, 1);
    /* pb_import_file_into reads 7 bytes at a time here (a megabyte in use),
     * so piece boundaries fall inside cells, quotes and line ends. */
    FUZZ_CHECK(setenv("POOLBOOK_TEST_IMPORT_PIECE_BYTES", "7", 1) == 0);
    return 0;
}

/* The drafts of imp as canonical bytes, one after another. */
static char *
drafts_text(const pb_import *imp, size_t *len_out)
{
    size_t count = pb_import_count(imp), used = 0;
    char *all = NULL;
    for (size_t i = 0; i < count; i++) {
        char *one = NULL;
        size_t len = 0;
        FUZZ_CHECK(pb_json_canonical(pb_import_records(imp)[i], &one, &len, NULL) == PB_OK);
        char *grown = realloc(all, used + len + 1);
        FUZZ_CHECK(grown != NULL);
        all = grown;
        memcpy(all + used, one, len);
        used += len;
        all[used++] = '\n';
        free(one);
    }
    *len_out = used;
    return all;
}

static void
check_import(const pb_import *imp, const json_t *map, const char *csv, size_t csv_len)
{
    size_t count = pb_import_count(imp);
    FUZZ_CHECK(count <= PB_BATCH_RECORDS_MAX);
    json_t *ids = json_object();
    for (size_t i = 0; i < count; i++) {
        json_t *draft = json_deep_copy(pb_import_records(imp)[i]);
        const char *id = json_string_value(json_object_get(json_object_get(draft, "entry"), "id"));
        FUZZ_CHECK(id != NULL && strncmp(id, "imp-", 4) == 0);
        FUZZ_CHECK(json_object_get(ids, id) == NULL); /* every row its own id */
        json_object_set_new(ids, id, json_true());
        FUZZ_CHECK(pb_record_check_form(draft, NULL) == PB_OK);
        json_decref(draft);
    }
    json_decref(ids);
    pb_error err;
    pb_error_init(&err);
    int rc = pb_import_check_refs(fx.store, imp, &err);
    FUZZ_CHECK(rc == PB_OK || rc == PB_EREF_USED);
    /* The same extract again: the same drafts (ids and created times too). */
    pb_import *again = NULL;
    FUZZ_CHECK(pb_import_csv(fx.store, map, "map.json", csv, csv_len, "fuzz.csv",
                             "2024-06-30T12:00:00Z", &again, NULL) == PB_OK);
    size_t len1 = 0, len2 = 0;
    char *t1 = drafts_text(imp, &len1);
    char *t2 = drafts_text(again, &len2);
    FUZZ_CHECK(len1 == len2 && (len1 == 0 || memcmp(t1, t2, len1) == 0));
    free(t1);
    free(t2);
    pb_import_free(again);
}

/* The same CSV read from a file in pieces (pb_import_file_into): the same
 * outcome as the whole text, draft for draft or error for error. */
static void
check_pieces(const json_t *map, const char *csv, size_t csv_len, int rc_text,
             const pb_import *imp_text, const pb_error *err_text)
{
    FILE *in = fmemopen((void *)csv, csv_len, "rb");
    if (in == NULL) {
        return; /* fmemopen refuses size 0 on some libcs */
    }
    pb_import *imp = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_import_file_into(fx.store, map, "map.json", in, csv_len, "fuzz.csv",
                                 "2024-06-30T12:00:00Z", 0, NULL, &imp, &err);
    fclose(in);
    FUZZ_CHECK(rc == rc_text);
    if (rc == PB_OK) {
        size_t len1 = 0, len2 = 0;
        char *t1 = drafts_text(imp_text, &len1);
        char *t2 = drafts_text(imp, &len2);
        FUZZ_CHECK(len1 == len2 && (len1 == 0 || memcmp(t1, t2, len1) == 0));
        FUZZ_CHECK(pb_import_skipped(imp) == pb_import_skipped(imp_text));
        free(t1);
        free(t2);
    } else {
        FUZZ_CHECK(strcmp(err.text, err_text->text) == 0 &&
                   strcmp(err.where, err_text->where) == 0);
    }
    pb_import_free(imp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    /* one memmem, not a memcmp at every byte: libFuzzer intercepts each
     * call, and that loop was 15% of the target's time */
    const char *split = memmem(text, size, "\n---\n", 5);
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
    uint64_t size_before = 0, size_after = 0;
    uint8_t root_before[32], root_after[32];
    fuzz_ledger_root(fx.store, &size_before, root_before);
    int rc = pb_import_csv(fx.store, map, "map.json", csv, csv_len, "fuzz.csv",
                           "2024-06-30T12:00:00Z", &imp, &err);
    check_pieces(map, csv, csv_len, rc, imp, &err);
    if (rc == PB_OK) {
        check_import(imp, map, csv, csv_len);
        pb_import_free(imp);
    } else {
        FUZZ_CHECK(imp == NULL && err.code == rc && err.text[0] != '\0');
        FUZZ_CHECK(strchr(err.text, '\n') == NULL);
    }
    json_decref(map);
    fuzz_ledger_root(fx.store, &size_after, root_after);
    FUZZ_CHECK(size_after == size_before && memcmp(root_after, root_before, 32) == 0);
    return 0;
}
