/*
 * fuzz_date.c — dates, timestamps and periods (ledger/base/date.c).
 * Invariants: an accepted ISO date or timestamp formats back to the same
 * text; dates in the other layouts land in 1900..9999 and format to an ISO
 * date that parses to the same day; an accepted period label's canonical
 * label parses to the same period, whose days contain its own first and last
 * day and which pb_period_of_day finds again.
 */
#include "fuzz.h"

static void
check_period(const pb_period *p)
{
    pb_period again;
    FUZZ_CHECK(p->first_day <= p->last_day);
    FUZZ_CHECK(pb_period_parse(p->label, &again, NULL) == PB_OK);
    FUZZ_CHECK(again.first_day == p->first_day && again.last_day == p->last_day);
    FUZZ_CHECK(again.kind == p->kind && strcmp(again.label, p->label) == 0);
    FUZZ_CHECK(pb_period_of_day(p->first_day, p->kind, &again, NULL) == PB_OK);
    FUZZ_CHECK(strcmp(again.label, p->label) == 0);
    FUZZ_CHECK(pb_period_of_day(p->last_day, p->kind, &again, NULL) == PB_OK);
    FUZZ_CHECK(strcmp(again.label, p->label) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    char back[32];
    int32_t day = 0, again = 0;
    if (pb_date_parse(text, &day, NULL) == PB_OK) {
        pb_date_format(day, back, sizeof(back));
        FUZZ_CHECK(strcmp(back, text) == 0);
    }
    for (int format = PB_DATE_ISO; format <= PB_DATE_UK_MONTH_NAME; format++) {
        if (pb_date_parse_format(text, format, &day, NULL) == PB_OK) {
            pb_date_format(day, back, sizeof(back));
            FUZZ_CHECK(pb_date_parse(back, &again, NULL) == PB_OK && again == day);
            FUZZ_CHECK(strncmp(back, "1900", 4) >= 0 && strncmp(back, "9999", 4) <= 0);
        }
    }
    int64_t seconds = 0;
    if (pb_timestamp_parse(text, &seconds, NULL) == PB_OK) {
        pb_timestamp_format(seconds, back, sizeof(back));
        FUZZ_CHECK(strcmp(back, text) == 0);
    }
    pb_period period;
    if (pb_period_parse(text, &period, NULL) == PB_OK) {
        check_period(&period);
    }
    free(text);
    return 0;
}
