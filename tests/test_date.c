/*
 * test_date.c — ledger/base/date.c: dates and timestamps against known answers
 * from Python's datetime, every day of 1900..9999 against a day-by-day
 * calendar walk, and the financial periods of DESIGN 2 at every boundary
 * (31 March / 1 April, Q4 across the calendar year, M12, the leap day).
 */
#include "base/base.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define DAY_SENTINEL INT32_C(0x5A5A5A5A)
#define SECONDS_SENTINEL INT64_C(0x5A5A5A5A5A5A5A5A)
/* Known answers: (date.fromisoformat(d) - date(1970, 1, 1)).days in Python. */
#define DAY_1900_01_01 INT32_C(-25567)
#define DAY_9999_12_31 INT32_C(2932896)
#define TIMESTAMP_SEED UINT64_C(0x2024250401000000)
#define TIMESTAMP_COUNT 100000

typedef struct date_case {
    const char *text;
    int32_t day;
} date_case;

typedef struct refuse_case {
    const char *text;
    const char *message; /* the exact err.text, or NULL to check the code only */
} refuse_case;

/* The day number of text, which must parse. */
static int32_t
day_of(const char *text)
{
    int32_t day = DAY_SENTINEL;
    pb_error err;
    pb_error_init(&err);
    if (pb_date_parse(text, &day, &err) != PB_OK) {
        fail_msg("\"%s\": %s", text, err.text);
    }
    return day;
}

static void
check_date_refusals(const refuse_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pb_error err;
        pb_error_init(&err);
        int32_t day = DAY_SENTINEL;
        int rc = pb_date_parse(cases[i].text, &day, &err);
        if (rc != PB_EDATE) {
            fail_msg("\"%s\": rc %d, expected PB_EDATE", cases[i].text, rc);
        }
        assert_int_equal(err.code, PB_EDATE);
        assert_int_equal(day, DAY_SENTINEL);
        if (cases[i].message != NULL) {
            assert_string_equal(err.text, cases[i].message);
        }
    }
}

/* ---- dates ---- */

static void
test_date_parse_known_answers(void **state)
{
    (void)state;
    static const date_case cases[] = {
        {"1970-01-01", 0},      {"1969-12-31", -1},      {"2000-02-29", 11016},
        {"2000-03-01", 11017},  {"2024-02-29", 19782},   {"2024-03-31", 19813},
        {"2024-04-01", 19814},  {"2025-03-31", 20178},   {"1904-02-29", -24048},
        {"1900-04-01", -25477}, {"9999-03-31", 2932621}, {"2024-01-01", 19723},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        if (day_of(cases[i].text) != cases[i].day) {
            fail_msg("\"%s\": %" PRId32 ", expected %" PRId32, cases[i].text, day_of(cases[i].text),
                     cases[i].day);
        }
    }
}

static void
test_date_parse_accepts_range_ends(void **state)
{
    (void)state;
    assert_int_equal(day_of("1900-01-01"), DAY_1900_01_01);
    assert_int_equal(day_of("9999-12-31"), DAY_9999_12_31);
}

static void
test_date_parse_refuses_years_outside_range(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1899-12-31", "date \"1899-12-31\" has year 1899, outside 1900..9999"},
        {"0000-01-01", "date \"0000-01-01\" has year 0000, outside 1900..9999"},
        {"0970-01-01", NULL},
    };
    check_date_refusals(cases, COUNT(cases));
}

static void
test_date_parse_accepts_leap_days(void **state)
{
    (void)state;
    assert_int_equal(day_of("2024-02-29"), 19782);
    assert_int_equal(day_of("2000-02-29"), 11016);
    assert_int_equal(day_of("1904-02-29"), -24048);
    assert_int_equal(day_of("2024-03-01") - day_of("2024-02-28"), 2);
    assert_int_equal(day_of("2023-03-01") - day_of("2023-02-28"), 1);
}

static void
test_date_parse_refuses_feb_29_in_common_years(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2023-02-29", "date \"2023-02-29\" has day 29, but 2023-02 has 28 days"},
        {"1900-02-29", "date \"1900-02-29\" has day 29, but 1900-02 has 28 days"},
        {"2100-02-29", NULL},
        {"2024-02-30", "date \"2024-02-30\" has day 30, but 2024-02 has 29 days"},
    };
    check_date_refusals(cases, COUNT(cases));
}

static void
test_date_parse_refuses_days_not_in_month(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024-04-31", "date \"2024-04-31\" has day 31, but 2024-04 has 30 days"},
        {"2024-01-32", NULL},
        {"2024-01-00", "date \"2024-01-00\" has day 00, but 2024-01 has 31 days"},
        {"2024-06-31", NULL},
        {"2024-09-31", NULL},
        {"2024-11-31", NULL},
        {"2024-12-99", NULL},
    };
    check_date_refusals(cases, COUNT(cases));
}

static void
test_date_parse_refuses_bad_months(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024-00-10", "date \"2024-00-10\" has month 00, not 01..12"},
        {"2024-13-01", "date \"2024-13-01\" has month 13, not 01..12"},
    };
    check_date_refusals(cases, COUNT(cases));
}

static void
test_date_parse_refuses_other_shapes(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"", "date \"\" is not YYYY-MM-DD"},
        {"2024-1-01", "date \"2024-1-01\" is not YYYY-MM-DD"},
        {"2024-01-1", NULL},
        {"2024/01/01", NULL},
        {"20240101", NULL},
        {" 2024-01-01", NULL},
        {"2024-01-01 ", NULL},
        {"2024-01-01\n", NULL},
        {"2024-01-01T00:00:00Z", NULL},
        {"+024-01-01", NULL},
        {"-024-01-01", NULL},
        {"2024-0a-01", NULL},
        {"12024-01-01", NULL},
        {"2024-01-+1", NULL},
        {"01-01-2024", NULL},
    };
    check_date_refusals(cases, COUNT(cases));
}

/* ---- pb_date_parse_format: the layouts of finance-system extracts ---- */

static void
check_format_refusals(int format, const refuse_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pb_error err;
        pb_error_init(&err);
        int32_t day = DAY_SENTINEL;
        int rc = pb_date_parse_format(cases[i].text, format, &day, &err);
        if (rc != PB_EDATE) {
            fail_msg("\"%s\": rc %d, expected PB_EDATE", cases[i].text, rc);
        }
        assert_int_equal(day, DAY_SENTINEL);
        if (cases[i].message != NULL) {
            assert_string_equal(err.text, cases[i].message);
        }
    }
}

static void
test_date_format_uk_known_answers(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"05/04/2024", "2024-04-05"}, {"5/4/2024", "2024-04-05"},   {"31/03/2025", "2025-03-31"},
        {"29/02/2024", "2024-02-29"}, {"01/01/1900", "1900-01-01"}, {"31/12/9999", "9999-12-31"},
    };
    for (size_t i = 0; i < COUNT(pairs); i++) {
        int32_t day = DAY_SENTINEL;
        assert_int_equal(pb_date_parse_format(pairs[i][0], PB_DATE_UK, &day, NULL), PB_OK);
        assert_int_equal(day, day_of(pairs[i][1]));
    }
}

static void
test_date_format_month_name_known_answers(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"05-Apr-2024", "2024-04-05"}, {"5-APR-2024", "2024-04-05"},  {"31-mar-2025", "2025-03-31"},
        {"29-Feb-2024", "2024-02-29"}, {"01-Dec-2024", "2024-12-01"},
    };
    for (size_t i = 0; i < COUNT(pairs); i++) {
        int32_t day = DAY_SENTINEL;
        assert_int_equal(pb_date_parse_format(pairs[i][0], PB_DATE_UK_MONTH_NAME, &day, NULL),
                         PB_OK);
        assert_int_equal(day, day_of(pairs[i][1]));
    }
}

static void
test_date_format_iso_is_pb_date_parse(void **state)
{
    (void)state;
    int32_t day = DAY_SENTINEL;
    assert_int_equal(pb_date_parse_format("2024-04-05", PB_DATE_ISO, &day, NULL), PB_OK);
    assert_int_equal(day, day_of("2024-04-05"));
    static const refuse_case cases[] = {
        {"05/04/2024", "date \"05/04/2024\" is not YYYY-MM-DD"},
        {"2024-4-5", NULL},
    };
    check_format_refusals(PB_DATE_ISO, cases, COUNT(cases));
}

static void
test_date_format_uk_refusals(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"", "date \"\" is not dd/mm/yyyy"},
        {"2024-04-05", "date \"2024-04-05\" is not dd/mm/yyyy"},
        {"05/04/24", "date \"05/04/24\" is not dd/mm/yyyy"},
        {"005/04/2024", NULL},
        {"05/004/2024", NULL},
        {"05/04/20245", NULL},
        {"05/04/2024 ", NULL},
        {"05-04-2024", NULL},
        {"/04/2024", NULL},
        {"32/01/2024", "date \"32/01/2024\" has day 32, but 2024-01 has 31 days"},
        {"29/02/2023", "date \"29/02/2023\" has day 29, but 2023-02 has 28 days"},
        {"0/01/2024", "date \"0/01/2024\" has day 00, but 2024-01 has 31 days"},
        {"05/13/2024", "date \"05/13/2024\" has month 13, not 01..12"},
        {"05/00/2024", NULL},
        {"01/01/1899", "date \"01/01/1899\" has year 1899, outside 1900..9999"},
    };
    check_format_refusals(PB_DATE_UK, cases, COUNT(cases));
}

static void
test_date_format_month_name_refusals(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"05-Sept-2024", "date \"05-Sept-2024\" is not dd-Mon-yyyy"},
        {"05-Apr-24", NULL},
        {"05/Apr/2024", NULL},
        {"05-04-2024", NULL},
        {"05-Ap", NULL},
        {"31-Apr-2024", "date \"31-Apr-2024\" has day 31, but 2024-04 has 30 days"},
    };
    check_format_refusals(PB_DATE_UK_MONTH_NAME, cases, COUNT(cases));
}

static void
test_date_format_known_answers(void **state)
{
    (void)state;
    static const date_case cases[] = {
        {"1970-01-01", 0},
        {"1969-12-31", -1},
        {"2024-02-29", 19782},
        {"1900-01-01", DAY_1900_01_01},
        {"9999-12-31", DAY_9999_12_31},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char buf[PB_DATE_TEXT_MAX];
        pb_date_format(cases[i].day, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
}

static int32_t
days_in_month(int32_t year, int32_t month)
{
    static const int32_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static void
test_date_every_day_matches_calendar_walk(void **state)
{
    (void)state;
    /* Walk the calendar one day at a time from 1900-01-01: an independent
     * count, so the closed-form algorithm is checked on every day. */
    int32_t year = 1900;
    int32_t month = 1;
    int32_t day_of_month = 1;
    for (int32_t day = DAY_1900_01_01; day <= DAY_9999_12_31; day++) {
        char expected[PB_DATE_TEXT_MAX];
        char buf[PB_DATE_TEXT_MAX];
        snprintf(expected, sizeof(expected), "%04d-%02d-%02d", (int)year, (int)month,
                 (int)day_of_month);
        pb_date_format(day, buf, sizeof(buf));
        if (strcmp(buf, expected) != 0 || day_of(expected) != day) {
            fail_msg("day %" PRId32 ": \"%s\", expected \"%s\"", day, buf, expected);
        }
        if (++day_of_month > days_in_month(year, month)) {
            day_of_month = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
    }
    assert_int_equal(year, 10000);
}

/* ---- timestamps ---- */

typedef struct timestamp_case {
    const char *text;
    int64_t seconds;
} timestamp_case;

/* Known answers from Python: (datetime.fromisoformat(t) - datetime(1970, 1, 1)).total_seconds(). */
static const timestamp_case timestamp_cases[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"1969-12-31T23:59:59Z", -1},
    {"1900-01-01T00:00:00Z", INT64_C(-2208988800)},
    {"9999-12-31T23:59:59Z", INT64_C(253402300799)},
    {"2024-02-29T23:59:59Z", INT64_C(1709251199)},
    {"2038-01-19T03:14:08Z", INT64_C(2147483648)},
    {"2024-03-31T12:34:56Z", INT64_C(1711888496)},
};

static void
test_timestamp_parse_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(timestamp_cases); i++) {
        int64_t seconds = SECONDS_SENTINEL;
        assert_int_equal(pb_timestamp_parse(timestamp_cases[i].text, &seconds, NULL), PB_OK);
        assert_true(seconds == timestamp_cases[i].seconds);
    }
}

static void
test_timestamp_format_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(timestamp_cases); i++) {
        char buf[21];
        pb_timestamp_format(timestamp_cases[i].seconds, buf, sizeof(buf));
        assert_string_equal(buf, timestamp_cases[i].text);
    }
}

static void
check_timestamp_refusals(const refuse_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pb_error err;
        pb_error_init(&err);
        int64_t seconds = SECONDS_SENTINEL;
        int rc = pb_timestamp_parse(cases[i].text, &seconds, &err);
        if (rc != PB_EDATE) {
            fail_msg("\"%s\": rc %d, expected PB_EDATE", cases[i].text, rc);
        }
        assert_true(seconds == SECONDS_SENTINEL);
        if (cases[i].message != NULL) {
            assert_string_equal(err.text, cases[i].message);
        }
    }
}

static void
test_timestamp_refuses_times_out_of_range(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024-01-01T24:00:00Z",
         "timestamp \"2024-01-01T24:00:00Z\" has time 24:00:00, not 00:00:00..23:59:59"},
        {"2024-01-01T23:60:00Z", NULL},
        {"2016-12-31T23:59:60Z", NULL}, /* a real leap second: not represented */
        {"2024-01-01T99:99:99Z", NULL},
    };
    check_timestamp_refusals(cases, COUNT(cases));
}

static void
test_timestamp_refuses_bad_dates(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2023-02-29T00:00:00Z",
         "timestamp \"2023-02-29T00:00:00Z\" has day 29, but 2023-02 has 28 days"},
        {"1899-12-31T23:59:59Z", NULL},
        {"2024-13-01T00:00:00Z", NULL},
    };
    check_timestamp_refusals(cases, COUNT(cases));
}

static void
test_timestamp_refuses_other_shapes(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024-01-01T00:00:00", "timestamp \"2024-01-01T00:00:00\" is not YYYY-MM-DDTHH:MM:SSZ"},
        {"2024-01-01t00:00:00Z", NULL},
        {"2024-01-01T00:00:00z", NULL},
        {"2024-01-01 00:00:00Z", NULL},
        {"2024-01-01T00:00:00.0Z", NULL},
        {"2024-01-01T00:00:00+00:00", NULL},
        {"2024-01-01T0:00:00Z", NULL},
        {"2024-01-01T00-00-00Z", NULL},
        {"2024-01-01T00:00:0aZ", NULL},
        {"2024-01-01", NULL},
        {"", NULL},
        {"2024-01-01T00:00:00Z ", NULL},
    };
    check_timestamp_refusals(cases, COUNT(cases));
}

static uint64_t
next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(2685821657736338717);
}

static void
test_timestamp_round_trip_random(void **state)
{
    (void)state;
    const int64_t first = INT64_C(-2208988800);
    const int64_t span = INT64_C(253402300799) - first + 1;
    uint64_t random_state = TIMESTAMP_SEED;
    print_message("timestamp seed 0x%016" PRIX64 ", %d values\n", TIMESTAMP_SEED, TIMESTAMP_COUNT);
    for (int i = 0; i < TIMESTAMP_COUNT; i++) {
        int64_t seconds = first + (int64_t)(next_random(&random_state) % (uint64_t)span);
        char buf[21];
        int64_t back = SECONDS_SENTINEL;
        pb_timestamp_format(seconds, buf, sizeof(buf));
        assert_int_equal(pb_timestamp_parse(buf, &back, NULL), PB_OK);
        if (back != seconds) {
            fail_msg("%" PRId64 " -> \"%s\" -> %" PRId64, seconds, buf, back);
        }
    }
}

/* ---- periods ---- */

/* Parse text, which must be a period, and check its fields. */
static void
check_period(const char *text, int kind, int32_t year_start, int32_t number, const char *first,
             const char *last)
{
    pb_period period;
    pb_error err;
    pb_error_init(&err);
    memset(&period, 0xA5, sizeof(period));
    if (pb_period_parse(text, &period, &err) != PB_OK) {
        fail_msg("\"%s\": %s", text, err.text);
    }
    assert_int_equal(period.kind, kind);
    assert_int_equal(period.year_start, year_start);
    assert_int_equal(period.number, number);
    char buf[PB_DATE_TEXT_MAX];
    pb_date_format(period.first_day, buf, sizeof(buf));
    assert_string_equal(buf, first);
    pb_date_format(period.last_day, buf, sizeof(buf));
    assert_string_equal(buf, last);
    assert_string_equal(period.label, text);
}

static void
check_period_refusals(const refuse_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pb_period period;
        pb_period untouched;
        memset(&period, 0xA5, sizeof(period));
        memcpy(&untouched, &period, sizeof(period));
        pb_error err;
        pb_error_init(&err);
        int rc = pb_period_parse(cases[i].text, &period, &err);
        if (rc != PB_EPERIOD) {
            fail_msg("\"%s\": rc %d, expected PB_EPERIOD", cases[i].text, rc);
        }
        assert_int_equal(err.code, PB_EPERIOD);
        assert_memory_equal(&period, &untouched, sizeof(period));
        if (cases[i].message != NULL) {
            assert_string_equal(err.text, cases[i].message);
        }
    }
}

static void
test_period_parse_year(void **state)
{
    (void)state;
    check_period("2024/25", PB_PERIOD_YEAR, 2024, 0, "2024-04-01", "2025-03-31");
    check_period("2023/24", PB_PERIOD_YEAR, 2023, 0, "2023-04-01", "2024-03-31");
}

static void
test_period_parse_quarters(void **state)
{
    (void)state;
    check_period("2024/25-Q1", PB_PERIOD_QUARTER, 2024, 1, "2024-04-01", "2024-06-30");
    check_period("2024/25-Q2", PB_PERIOD_QUARTER, 2024, 2, "2024-07-01", "2024-09-30");
    check_period("2024/25-Q3", PB_PERIOD_QUARTER, 2024, 3, "2024-10-01", "2024-12-31");
}

static void
test_period_q4_crosses_the_calendar_year(void **state)
{
    (void)state;
    check_period("2024/25-Q4", PB_PERIOD_QUARTER, 2024, 4, "2025-01-01", "2025-03-31");
}

static void
test_period_parse_months(void **state)
{
    (void)state;
    static const struct {
        const char *label;
        const char *first;
        const char *last;
    } months[] = {
        {"2024/25-M01", "2024-04-01", "2024-04-30"}, {"2024/25-M02", "2024-05-01", "2024-05-31"},
        {"2024/25-M03", "2024-06-01", "2024-06-30"}, {"2024/25-M04", "2024-07-01", "2024-07-31"},
        {"2024/25-M05", "2024-08-01", "2024-08-31"}, {"2024/25-M06", "2024-09-01", "2024-09-30"},
        {"2024/25-M07", "2024-10-01", "2024-10-31"}, {"2024/25-M08", "2024-11-01", "2024-11-30"},
        {"2024/25-M09", "2024-12-01", "2024-12-31"}, {"2024/25-M10", "2025-01-01", "2025-01-31"},
        {"2024/25-M11", "2025-02-01", "2025-02-28"}, {"2024/25-M12", "2025-03-01", "2025-03-31"},
    };
    for (size_t i = 0; i < COUNT(months); i++) {
        check_period(months[i].label, PB_PERIOD_MONTH, 2024, (int32_t)i + 1, months[i].first,
                     months[i].last);
    }
}

static void
test_period_m12_is_march_of_the_next_year(void **state)
{
    (void)state;
    check_period("2024/25-M12", PB_PERIOD_MONTH, 2024, 12, "2025-03-01", "2025-03-31");
    check_period("2099/00-M12", PB_PERIOD_MONTH, 2099, 12, "2100-03-01", "2100-03-31");
}

static void
test_period_leap_day_ends_2023_24_q4_and_m11(void **state)
{
    (void)state;
    check_period("2023/24-M11", PB_PERIOD_MONTH, 2023, 11, "2024-02-01", "2024-02-29");
    check_period("2023/24-Q4", PB_PERIOD_QUARTER, 2023, 4, "2024-01-01", "2024-03-31");
    pb_period period;
    int32_t leap_day = day_of("2024-02-29");
    assert_int_equal(pb_period_of_day(leap_day, PB_PERIOD_MONTH, &period, NULL), PB_OK);
    assert_string_equal(period.label, "2023/24-M11");
    assert_int_equal(period.last_day, leap_day);
    assert_int_equal(pb_period_of_day(leap_day, PB_PERIOD_QUARTER, &period, NULL), PB_OK);
    assert_string_equal(period.label, "2023/24-Q4");
    assert_int_equal(pb_period_of_day(leap_day + 1, PB_PERIOD_MONTH, &period, NULL), PB_OK);
    assert_string_equal(period.label, "2023/24-M12");
    /* Q4 of a leap year has 91 days; of a common year, 90. */
    check_period("2023/24-Q4", PB_PERIOD_QUARTER, 2023, 4, "2024-01-01", "2024-03-31");
    assert_int_equal(day_of("2024-03-31") - day_of("2024-01-01") + 1, 91);
}

static void
test_period_year_wraps_the_century(void **state)
{
    (void)state;
    check_period("2099/00", PB_PERIOD_YEAR, 2099, 0, "2099-04-01", "2100-03-31");
    check_period("1999/00-Q4", PB_PERIOD_QUARTER, 1999, 4, "2000-01-01", "2000-03-31");
}

static void
test_period_parse_accepts_year_range_ends(void **state)
{
    (void)state;
    check_period("1900/01", PB_PERIOD_YEAR, 1900, 0, "1900-04-01", "1901-03-31");
    check_period("9998/99-M12", PB_PERIOD_MONTH, 9998, 12, "9999-03-01", "9999-03-31");
}

static void
test_period_parse_refuses_years_outside_range(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1899/00", "period \"1899/00\" starts in 1899, outside 1900..9998"},
        {"9999/00", "period \"9999/00\" starts in 9999, outside 1900..9998"},
        {"0000/01", NULL},
    };
    check_period_refusals(cases, COUNT(cases));
}

static void
test_period_parse_refuses_years_not_consecutive(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024/26", "period \"2024/26\" does not name consecutive years (expected 2024/25)"},
        {"2024/24", NULL},
        {"2024/23", NULL},
        {"2099/01", "period \"2099/01\" does not name consecutive years (expected 2099/00)"},
        {"2099/100", NULL},
        {"2024/26-Q1", NULL},
    };
    check_period_refusals(cases, COUNT(cases));
}

static void
test_period_parse_refuses_bad_quarters(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024/25-Q0", "period \"2024/25-Q0\" has quarter 0; the forms are 2024/25 (the year), "
                       "2024/25-Q1 to -Q4 (a quarter) and 2024/25-M01 to -M12 (a month)"},
        {"2024/25-Q5", "period \"2024/25-Q5\" has quarter 5; the forms are 2024/25 (the year), "
                       "2024/25-Q1 to -Q4 (a quarter) and 2024/25-M01 to -M12 (a month)"},
        {"2024/25-q1", NULL},
        {"2024/25-Q01", NULL},
        {"2024/25-Q", NULL},
        {"2024/25Q1", NULL},
    };
    check_period_refusals(cases, COUNT(cases));
}

static void
test_period_parse_refuses_bad_months(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"2024/25-M00", "period \"2024/25-M00\" has month 00; the forms are 2024/25 (the year), "
                        "2024/25-Q1 to -Q4 (a quarter) and 2024/25-M01 to -M12 (a month)"},
        {"2024/25-M13", "period \"2024/25-M13\" has month 13; the forms are 2024/25 (the year), "
                        "2024/25-Q1 to -Q4 (a quarter) and 2024/25-M01 to -M12 (a month)"},
        {"2024/25-M6", "period \"2024/25-M6\" is not YYYY/YY, YYYY/YY-Qn or YYYY/YY-Mnn"},
        {"2024/25-M006", NULL},
        {"2024/25-m06", NULL},
        {"2024/25-M+6", NULL},
    };
    check_period_refusals(cases, COUNT(cases));
}

static void
test_period_parse_refuses_other_shapes(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"", "period \"\" is not YYYY/YY, YYYY/YY-Qn or YYYY/YY-Mnn"},
        {"2024", NULL},
        {"2024-25", NULL},
        {"2024/2025", NULL},
        {"24/25", NULL},
        {" 2024/25", NULL},
        {"2024/25 ", NULL},
        {"2024/25-", NULL},
        {"2024/25-Q1 ", NULL},
        {"2024/25-H1", NULL},
        {"2024/25-W01", NULL},
        {"FY2024/25", NULL},
        {"2024/25-Q1-M01", NULL},
    };
    check_period_refusals(cases, COUNT(cases));
}

/* The label of the period of kind containing the day named by text. */
static void
check_period_of_day(const char *date, int kind, const char *label)
{
    pb_period period;
    pb_period parsed;
    pb_error err;
    pb_error_init(&err);
    if (pb_period_of_day(day_of(date), kind, &period, &err) != PB_OK) {
        fail_msg("%s: %s", date, err.text);
    }
    assert_string_equal(period.label, label);
    assert_int_equal(pb_period_parse(label, &parsed, NULL), PB_OK);
    assert_memory_equal(&period, &parsed, sizeof(period));
}

static void
test_period_of_day_31_march_and_1_april(void **state)
{
    (void)state;
    check_period_of_day("2024-03-31", PB_PERIOD_YEAR, "2023/24");
    check_period_of_day("2024-04-01", PB_PERIOD_YEAR, "2024/25");
    check_period_of_day("2024-03-31", PB_PERIOD_QUARTER, "2023/24-Q4");
    check_period_of_day("2024-04-01", PB_PERIOD_QUARTER, "2024/25-Q1");
    check_period_of_day("2024-03-31", PB_PERIOD_MONTH, "2023/24-M12");
    check_period_of_day("2024-04-01", PB_PERIOD_MONTH, "2024/25-M01");
}

static void
test_period_of_day_q4_across_the_calendar_year(void **state)
{
    (void)state;
    check_period_of_day("2024-12-31", PB_PERIOD_QUARTER, "2024/25-Q3");
    check_period_of_day("2025-01-01", PB_PERIOD_QUARTER, "2024/25-Q4");
    check_period_of_day("2024-12-31", PB_PERIOD_MONTH, "2024/25-M09");
    check_period_of_day("2025-01-01", PB_PERIOD_MONTH, "2024/25-M10");
    check_period_of_day("2025-01-01", PB_PERIOD_YEAR, "2024/25");
    check_period_of_day("2024-09-15", PB_PERIOD_MONTH, "2024/25-M06");
}

static void
test_period_of_day_first_and_last_days(void **state)
{
    (void)state;
    /* For every period of four years: its first and last days map to it, and
     * the days either side map to its neighbours. */
    static const int kinds[] = {PB_PERIOD_YEAR, PB_PERIOD_QUARTER, PB_PERIOD_MONTH};
    for (size_t k = 0; k < COUNT(kinds); k++) {
        pb_period period;
        assert_int_equal(pb_period_of_day(day_of("2022-04-01"), kinds[k], &period, NULL), PB_OK);
        int32_t periods = 0;
        while (period.year_start < 2026) {
            pb_period again;
            pb_period next;
            assert_int_equal(pb_period_of_day(period.first_day, kinds[k], &again, NULL), PB_OK);
            assert_memory_equal(&again, &period, sizeof(period));
            assert_int_equal(pb_period_of_day(period.last_day, kinds[k], &again, NULL), PB_OK);
            assert_memory_equal(&again, &period, sizeof(period));
            assert_int_equal(pb_period_of_day(period.last_day + 1, kinds[k], &next, NULL), PB_OK);
            assert_int_equal(next.first_day, period.last_day + 1);
            assert_string_not_equal(next.label, period.label);
            memcpy(&period, &next, sizeof(period));
            periods++;
        }
        static const int32_t expected[] = {4, 16, 48};
        assert_int_equal(periods, expected[k]);
    }
}

static void
test_period_of_day_range_ends(void **state)
{
    (void)state;
    check_period_of_day("1900-04-01", PB_PERIOD_YEAR, "1900/01");
    check_period_of_day("1900-04-01", PB_PERIOD_MONTH, "1900/01-M01");
    check_period_of_day("9999-03-31", PB_PERIOD_YEAR, "9998/99");
    check_period_of_day("9999-03-31", PB_PERIOD_QUARTER, "9998/99-Q4");
}

static void
test_period_of_day_refuses_days_outside_whole_years(void **state)
{
    (void)state;
    pb_period period;
    pb_period untouched;
    memset(&period, 0xA5, sizeof(period));
    memcpy(&untouched, &period, sizeof(period));
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_period_of_day(day_of("1900-03-31"), PB_PERIOD_MONTH, &period, &err),
                     PB_EDATE);
    assert_string_equal(err.text,
                        "date 1900-03-31 lies in financial year 1899/00, outside 1900/01..9998/99");
    assert_int_equal(pb_period_of_day(day_of("9999-04-01"), PB_PERIOD_YEAR, &period, NULL),
                     PB_EDATE);
    pb_error_init(&err);
    assert_int_equal(pb_period_of_day(DAY_9999_12_31 + 1, PB_PERIOD_YEAR, &period, &err), PB_EDATE);
    assert_string_equal(err.text, "day 2932897 is outside 1900-01-01..9999-12-31");
    assert_int_equal(pb_period_of_day(INT32_MIN, PB_PERIOD_QUARTER, &period, NULL), PB_EDATE);
    assert_memory_equal(&period, &untouched, sizeof(period));
}

static void
test_period_of_day_covers_every_day(void **state)
{
    (void)state;
    /* Every day from 1900/01 to 9998/99 lies in exactly the month, quarter and
     * year whose bounds contain it, and those nest. */
    for (int32_t day = day_of("1900-04-01"); day <= day_of("9999-03-31"); day++) {
        pb_period year;
        pb_period quarter;
        pb_period month;
        assert_int_equal(pb_period_of_day(day, PB_PERIOD_YEAR, &year, NULL), PB_OK);
        assert_int_equal(pb_period_of_day(day, PB_PERIOD_QUARTER, &quarter, NULL), PB_OK);
        assert_int_equal(pb_period_of_day(day, PB_PERIOD_MONTH, &month, NULL), PB_OK);
        if (!(year.first_day <= quarter.first_day && quarter.first_day <= month.first_day &&
              month.first_day <= day && day <= month.last_day &&
              month.last_day <= quarter.last_day && quarter.last_day <= year.last_day) ||
            quarter.number != (month.number - 1) / 3 + 1 || year.year_start != month.year_start) {
            fail_msg("day %" PRId32 ": %s %s %s", day, year.label, quarter.label, month.label);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_parse_known_answers),
        cmocka_unit_test(test_date_parse_accepts_range_ends),
        cmocka_unit_test(test_date_parse_refuses_years_outside_range),
        cmocka_unit_test(test_date_parse_accepts_leap_days),
        cmocka_unit_test(test_date_parse_refuses_feb_29_in_common_years),
        cmocka_unit_test(test_date_parse_refuses_days_not_in_month),
        cmocka_unit_test(test_date_parse_refuses_bad_months),
        cmocka_unit_test(test_date_parse_refuses_other_shapes),
        cmocka_unit_test(test_date_format_known_answers),
        cmocka_unit_test(test_date_format_uk_known_answers),
        cmocka_unit_test(test_date_format_month_name_known_answers),
        cmocka_unit_test(test_date_format_iso_is_pb_date_parse),
        cmocka_unit_test(test_date_format_uk_refusals),
        cmocka_unit_test(test_date_format_month_name_refusals),
        cmocka_unit_test(test_date_every_day_matches_calendar_walk),
        cmocka_unit_test(test_timestamp_parse_known_answers),
        cmocka_unit_test(test_timestamp_format_known_answers),
        cmocka_unit_test(test_timestamp_refuses_times_out_of_range),
        cmocka_unit_test(test_timestamp_refuses_bad_dates),
        cmocka_unit_test(test_timestamp_refuses_other_shapes),
        cmocka_unit_test(test_timestamp_round_trip_random),
        cmocka_unit_test(test_period_parse_year),
        cmocka_unit_test(test_period_parse_quarters),
        cmocka_unit_test(test_period_q4_crosses_the_calendar_year),
        cmocka_unit_test(test_period_parse_months),
        cmocka_unit_test(test_period_m12_is_march_of_the_next_year),
        cmocka_unit_test(test_period_leap_day_ends_2023_24_q4_and_m11),
        cmocka_unit_test(test_period_year_wraps_the_century),
        cmocka_unit_test(test_period_parse_accepts_year_range_ends),
        cmocka_unit_test(test_period_parse_refuses_years_outside_range),
        cmocka_unit_test(test_period_parse_refuses_years_not_consecutive),
        cmocka_unit_test(test_period_parse_refuses_bad_quarters),
        cmocka_unit_test(test_period_parse_refuses_bad_months),
        cmocka_unit_test(test_period_parse_refuses_other_shapes),
        cmocka_unit_test(test_period_of_day_31_march_and_1_april),
        cmocka_unit_test(test_period_of_day_q4_across_the_calendar_year),
        cmocka_unit_test(test_period_of_day_first_and_last_days),
        cmocka_unit_test(test_period_of_day_range_ends),
        cmocka_unit_test(test_period_of_day_refuses_days_outside_whole_years),
        cmocka_unit_test(test_period_of_day_covers_every_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
