/*
 * fuzz_record.c — canonical JSON and records (ledger/log/canon.c, record.c),
 * as `append` reads them. Invariants: an accepted value's canonical form
 * parses again to a value with the same canonical form (idempotent); a value
 * outside the subset is never accepted; a record that passes the form check
 * still does after a canonical round trip, with the same bytes.
 */
#include "fuzz.h"

static char *
canonical(const json_t *v, size_t *len)
{
    char *buf = NULL;
    FUZZ_CHECK(pb_json_canonical(v, &buf, len, NULL) == PB_OK);
    return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = NULL;
    if (pb_json_parse((const char *)data, size, PB_RECORD_BYTES_MAX, &v, NULL) != PB_OK) {
        FUZZ_CHECK(v == NULL);
        return 0;
    }
    FUZZ_CHECK(pb_json_check(v, NULL) == PB_OK);
    size_t len1 = 0, len2 = 0;
    char *c1 = canonical(v, &len1);
    json_t *w = NULL;
    FUZZ_CHECK(pb_json_parse(c1, len1, PB_RECORD_BYTES_MAX * 2, &w, NULL) == PB_OK);
    char *c2 = canonical(w, &len2);
    FUZZ_CHECK(len1 == len2 && memcmp(c1, c2, len1) == 0);
    if (pb_record_check_form(v, NULL) == PB_OK) {
        size_t len3 = 0, len4 = 0;
        char *c3 = canonical(v, &len3); /* sigs sorted by the check */
        /* Most records come sorted: then w is already the value of c3's
         * bytes, and parsing them once more would only cost time. */
        json_t *x = NULL;
        if (len3 == len1 && memcmp(c3, c1, len1) == 0) {
            x = json_incref(w);
        } else {
            FUZZ_CHECK(pb_json_parse(c3, len3, PB_RECORD_BYTES_MAX, &x, NULL) == PB_OK);
        }
        FUZZ_CHECK(pb_record_check_form(x, NULL) == PB_OK);
        char *c4 = canonical(x, &len4);
        FUZZ_CHECK(len3 == len4 && memcmp(c3, c4, len3) == 0);
        free(c3);
        free(c4);
        json_decref(x);
    }
    free(c1);
    free(c2);
    json_decref(w);
    json_decref(v);
    return 0;
}
