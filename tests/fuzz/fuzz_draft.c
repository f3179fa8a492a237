/*
 * fuzz_draft.c — drafts (ledger/books/draft.c, entry*.c): the first byte
 * picks an entry type, the rest is its fields as JSON, as `new` and `import`
 * build them. Invariants: a draft that is built passes the record form check;
 * its canonical bytes parse back to a record that passes again with the same
 * bytes and the same default id.
 */
#include "fuzz.h"

static const char *const types[] = {
    "genesis",  "document",   "contribution",  "expenditure", "forecast",
    "virement", "reversal",   "period.close",  "pool.agree",  "pool.vary",
    "key.add",  "key.revoke", "partner.admit", "settlement",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const char *type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    json_t *fields = NULL;
    if (pb_json_parse((const char *)data + 1, size - 1, PB_ENTRY_BYTES_MAX, &fields, NULL) !=
        PB_OK) {
        return 0;
    }
    json_t *record = NULL;
    int rc = pb_draft_entry("example.gov.uk/fuzz", type, NULL, "2024-06-30T12:00:00Z", fields,
                            &record, NULL);
    if (rc == PB_OK) {
        char *c1 = NULL, *c2 = NULL;
        size_t len1 = 0, len2 = 0;
        FUZZ_CHECK(pb_record_check_form(record, NULL) == PB_OK);
        FUZZ_CHECK(pb_json_canonical(record, &c1, &len1, NULL) == PB_OK);
        json_t *again = NULL;
        FUZZ_CHECK(pb_json_parse(c1, len1, PB_RECORD_BYTES_MAX, &again, NULL) == PB_OK);
        FUZZ_CHECK(pb_record_check_form(again, NULL) == PB_OK);
        FUZZ_CHECK(pb_json_canonical(again, &c2, &len2, NULL) == PB_OK);
        FUZZ_CHECK(len1 == len2 && memcmp(c1, c2, len1) == 0);
        char id1[PB_ID_BYTES_MAX + 1], id2[PB_ID_BYTES_MAX + 1];
        json_t *e1 = json_object_get(record, "entry"), *e2 = json_object_get(again, "entry");
        int r1 = pb_entry_default_id(e1, id1, sizeof(id1), NULL);
        int r2 = pb_entry_default_id(e2, id2, sizeof(id2), NULL);
        FUZZ_CHECK(r1 == r2 && (r1 != PB_OK || strcmp(id1, id2) == 0));
        free(c1);
        free(c2);
        json_decref(again);
    } else {
        FUZZ_CHECK(record == NULL);
    }
    json_decref(record);
    json_decref(fields);
    return 0;
}
