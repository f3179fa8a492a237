/*
 * fuzz_money.c — money parsers (ledger/base/money.c). Invariants: whatever
 * pb_money_parse accepts, pb_money_format writes back byte for byte; whatever
 * the friendly and thousands parsers accept is in range and its canonical
 * text parses back to the same pence; display text parses back as friendly.
 */
#include "fuzz.h"

static void
round_trip(int64_t pence)
{
    char text[PB_MONEY_TEXT_MAX];
    int64_t again = 0;
    FUZZ_CHECK(pence >= -PB_MONEY_PENCE_MAX && pence <= PB_MONEY_PENCE_MAX);
    FUZZ_CHECK(pb_money_format(pence, text, sizeof(text)) == PB_OK);
    FUZZ_CHECK(pb_money_parse(text, &again, NULL) == PB_OK && again == pence);
    FUZZ_CHECK(pb_money_format_display(pence, text, sizeof(text)) == PB_OK);
    FUZZ_CHECK(pb_money_parse_friendly(text, &again, NULL) == PB_OK && again == pence);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    int64_t pence = 0;
    pb_error err;
    pb_error_init(&err);
    if (pb_money_parse(text, &pence, &err) == PB_OK) {
        char back[PB_MONEY_TEXT_MAX];
        FUZZ_CHECK(pb_money_format(pence, back, sizeof(back)) == PB_OK);
        FUZZ_CHECK(strcmp(back, text) == 0); /* one spelling per amount */
        round_trip(pence);
    } else {
        FUZZ_CHECK(err.code == PB_EMONEY || err.code == PB_EOVERFLOW);
    }
    if (pb_money_parse_friendly(text, &pence, NULL) == PB_OK) {
        round_trip(pence);
    }
    if (pb_money_parse_thousands(text, &pence, NULL) == PB_OK) {
        round_trip(pence);
    }
    free(text);
    return 0;
}
