/*
 * test_money.c — ledger/base/money.c: the canonical and friendly text forms, their
 * exact refusals, the ±PB_MONEY_PENCE_MAX boundary and one past it, checked
 * arithmetic at the int64_t extremes, and parse∘format round trips over
 * pseudo-random values from a fixed, printed seed.
 */
#include "base/base.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define MAX PB_MONEY_PENCE_MAX
/* Untouched outputs must keep this value. */
#define SENTINEL INT64_C(0x5A5A5A5A5A5A5A5A)
#define ROUND_TRIP_SEED UINT64_C(0x9E3779B97F4A7C15)
#define ROUND_TRIP_COUNT 200000

typedef struct accept_case {
    const char *text;
    int64_t pence;
} accept_case;

typedef struct refuse_case {
    const char *text;
    int code;
    const char *message; /* the exact err.text, or NULL to check the code only */
} refuse_case;

typedef int (*parse_fn)(const char *, int64_t *, pb_error *);

static void
check_accepts(parse_fn parse, const accept_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pb_error err;
        pb_error_init(&err);
        int64_t pence = SENTINEL;
        int rc = parse(cases[i].text, &pence, &err);
        if (rc != PB_OK || pence != cases[i].pence) {
            fail_msg("\"%s\": rc %d, %" PRId64 " pence, expected %" PRId64 " (%s)", cases[i].text,
                     rc, pence, cases[i].pence, err.text);
        }
        assert_int_equal(err.code, PB_OK);
    }
}

static void
check_refuses(parse_fn parse, const refuse_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        pb_error err;
        pb_error_init(&err);
        int64_t pence = SENTINEL;
        int rc = parse(cases[i].text, &pence, &err);
        if (rc != cases[i].code || err.code != cases[i].code) {
            fail_msg("\"%s\": rc %d, expected %d (%s)", cases[i].text, rc, cases[i].code, err.text);
        }
        assert_true(pence == SENTINEL); /* on error *pence_out is untouched */
        if (cases[i].message != NULL) {
            assert_string_equal(err.text, cases[i].message);
        }
        assert_string_equal(err.where, "");
    }
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- pb_money_parse ---- */

static void
test_parse_accepts_canonical_forms(void **state)
{
    (void)state;
    static const accept_case cases[] = {
        {"0.00", 0},
        {"0.01", 1},
        {"0.50", 50},
        {"1.00", 100},
        {"-1.00", -100},
        {"-0.01", -1},
        {"10.05", 1005},
        {"1250000.00", 125000000},
        {"-1250000.99", -125000099},
        {"99.99", 9999},
    };
    check_accepts(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_accepts_pence_max_exactly(void **state)
{
    (void)state;
    static const accept_case cases[] = {
        {"10000000000000.00", MAX},
        {"-10000000000000.00", -MAX},
        {"9999999999999.99", MAX - 1},
    };
    check_accepts(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_one_past_pence_max(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"10000000000000.01", PB_EOVERFLOW,
         "amount \"10000000000000.01\" is beyond ±10000000000000.00"},
        {"-10000000000000.01", PB_EOVERFLOW, NULL},
        {"10000000000001.00", PB_EOVERFLOW, NULL},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_digit_runs_past_int64(void **state)
{
    (void)state;
    /* 2^63 and 2^64 pence and a very long run must not wrap into range. */
    static const refuse_case cases[] = {
        {"92233720368547758.08", PB_EOVERFLOW, NULL},
        {"184467440737095516.16", PB_EOVERFLOW, NULL},
        {"-184467440737095516.16", PB_EOVERFLOW, NULL},
        {"100000000000000000000000000000000000000000000000000000000.00", PB_EOVERFLOW,
         "amount \"100000000000000000000000000000000000000000000000...\" is beyond "
         "±10000000000000.00"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_negative_zero(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"-0.00", PB_EMONEY, "amount \"-0.00\" is zero with a minus sign"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_leading_zeros(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"01.00", PB_EMONEY, "amount \"01.00\" has a leading zero"},
        {"00.50", PB_EMONEY, "amount \"00.50\" has a leading zero"},
        {"-01.00", PB_EMONEY, "amount \"-01.00\" has a leading zero"},
        {"000000000000000000000000001.00", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_plus_sign(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"+1.00", PB_EMONEY, "amount \"+1.00\" has an unexpected '+' at byte 1"},
        {"-+1.00", PB_EMONEY, "amount \"-+1.00\" has an unexpected '+' at byte 2"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_spaces(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {" 1.00", PB_EMONEY, "amount \" 1.00\" has an unexpected ' ' at byte 1"},
        {"1.00 ", PB_EMONEY, "amount \"1.00 \" has an unexpected ' ' at byte 5"},
        {"1 000.00", PB_EMONEY, "amount \"1 000.00\" has an unexpected ' ' at byte 2"},
        {"- 1.00", PB_EMONEY, NULL},
        {"1.00\t", PB_EMONEY, "amount \"1.00\\x09\" has an unexpected byte 0x09 at byte 5"},
        {"1.00\n", PB_EMONEY, "amount \"1.00 \" has an unexpected byte 0x0A at byte 5"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_three_decimals(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"12.345", PB_EMONEY, "amount \"12.345\" has more than two decimals"},
        {"12.000", PB_EMONEY, "amount \"12.000\" has more than two decimals"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_fewer_than_two_decimals(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"12.3", PB_EMONEY, "amount \"12.3\" needs exactly two decimals"},
        {"12.", PB_EMONEY, "amount \"12.\" needs exactly two decimals"},
        {"12", PB_EMONEY, "amount \"12\" has no decimal point"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_empty(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"", PB_EMONEY, "amount is empty"},
        {"-", PB_EMONEY, "amount \"-\" ends too early"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_missing_pounds(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {".50", PB_EMONEY, "amount \".50\" has an unexpected '.' at byte 1"},
        {"-.50", PB_EMONEY, "amount \"-.50\" has an unexpected '.' at byte 2"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_friendly_forms(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1,000.00", PB_EMONEY, "amount \"1,000.00\" has an unexpected ',' at byte 2"},
        {"\xC2\xA3"
         "1.00",
         PB_EMONEY, "amount \"£1.00\" has an unexpected byte 0xC2 at byte 1"},
        {"(1.00)", PB_EMONEY, NULL},
        {"1.5", PB_EMONEY, NULL},
        {"1e3.00", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_refuses_trailing_bytes(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1.00x", PB_EMONEY, "amount \"1.00x\" has an unexpected 'x' at byte 5"},
        {"1.00.00", PB_EMONEY, "amount \"1.00.00\" has an unexpected '.' at byte 5"},
        {"1x.00", PB_EMONEY, "amount \"1x.00\" has an unexpected 'x' at byte 2"},
        {"1.0x", PB_EMONEY, "amount \"1.0x\" needs exactly two decimals"},
    };
    check_refuses(pb_money_parse, cases, COUNT(cases));
}

static void
test_parse_quote_does_not_split_utf8(void **state)
{
    (void)state;
    /* 47 digits then "£": the 48-byte cut falls inside the pound sign. */
    char text[64];
    memset(text, '1', 47);
    memcpy(text + 47, "\xC2\xA3", 3);
    char expected[128];
    snprintf(expected, sizeof(expected),
             "amount \"%.47s...\" has an unexpected byte 0xC2 at byte 48", text);
    pb_error err;
    pb_error_init(&err);
    int64_t pence = SENTINEL;
    assert_int_equal(pb_money_parse(text, &pence, &err), PB_EMONEY);
    assert_string_equal(err.text, expected);
}

static void
test_parse_allows_null_error(void **state)
{
    (void)state;
    int64_t pence = SENTINEL;
    assert_int_equal(pb_money_parse("1.000", &pence, NULL), PB_EMONEY);
    assert_int_equal(pb_money_parse("99999999999999.00", &pence, NULL), PB_EOVERFLOW);
    assert_true(pence == SENTINEL);
    assert_int_equal(pb_money_parse("1.00", &pence, NULL), PB_OK);
    assert_int_equal(pence, 100);
}

/* ---- pb_money_parse_friendly ---- */

static void
test_friendly_accepts_table(void **state)
{
    (void)state;
    static const accept_case cases[] = {
        {"0", 0},
        {"1", 100},
        {"1.5", 150},
        {"1.50", 150},
        {"-12.5", -1250},
        {"0.5", 50},
        {"0.05", 5},
        {"1250000", 125000000},
        {"1,250,000", 125000000},
        {"1,250,000.5", 125000050},
        {"\xC2\xA3"
         "1,250,000.5",
         125000050},
        {"\xC2\xA3"
         "1250000",
         125000000},
        {"-\xC2\xA3"
         "1,250,000.00",
         -125000000},
        {"(300.00)", -30000},
        {"(300)", -30000},
        {"(\xC2\xA3"
         "1,000.01)",
         -100001},
        {"999", 99900},
        {"1,000", 100000},
        {"12,345,678.9", 1234567890},
        {"1250000.00", 125000000},
        {"-1.00", -100},
    };
    check_accepts(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_accepts_every_canonical_form(void **state)
{
    (void)state;
    static const char *texts[] = {
        "0.00", "0.50", "-0.01", "1250000.00", "10000000000000.00", "-10000000000000.00"};
    for (size_t i = 0; i < COUNT(texts); i++) {
        int64_t canonical = 0;
        int64_t friendly = 0;
        assert_int_equal(pb_money_parse(texts[i], &canonical, NULL), PB_OK);
        assert_int_equal(pb_money_parse_friendly(texts[i], &friendly, NULL), PB_OK);
        assert_true(canonical == friendly);
    }
}

static void
test_friendly_reads_negative_zero_as_zero(void **state)
{
    (void)state;
    static const accept_case cases[] = {
        {"-0", 0},
        {"-0.00", 0},
        {"(0)", 0},
        {"(\xC2\xA3"
         "0.00)",
         0},
    };
    check_accepts(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_accepts_pence_max_exactly(void **state)
{
    (void)state;
    static const accept_case cases[] = {
        {"10,000,000,000,000", MAX},
        {"\xC2\xA3"
         "10,000,000,000,000.00",
         MAX},
        {"(\xC2\xA3"
         "10,000,000,000,000.00)",
         -MAX},
        {"-10000000000000", -MAX},
    };
    check_accepts(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_refuses_one_past_pence_max(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"10,000,000,000,000.01", PB_EOVERFLOW,
         "amount \"10,000,000,000,000.01\" is beyond ±10000000000000.00"},
        {"(10,000,000,000,000.01)", PB_EOVERFLOW, NULL},
        {"-10000000000000.1", PB_EOVERFLOW, NULL},
        {"18,446,744,073,709,551,616", PB_EOVERFLOW, NULL},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_refuses_bad_grouping(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1,25,000", PB_EMONEY,
         "amount \"1,25,000\" has a thousands group that is not three "
         "digits"},
        {"1234,567", PB_EMONEY,
         "amount \"1234,567\" has a thousands group that is not three "
         "digits"},
        {"1,2345", PB_EMONEY, NULL},
        {"1,", PB_EMONEY, NULL},
        {",100", PB_EMONEY, "amount \",100\" has an unexpected ',' at byte 1"},
        {"1,,000", PB_EMONEY, NULL},
        {"1,000,", PB_EMONEY, NULL},
        {"1,000.000", PB_EMONEY, NULL},
        {"0,100", PB_EMONEY, "amount \"0,100\" has a leading zero"},
        {"1.000,00", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_refuses_three_decimals(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1.234", PB_EMONEY, "amount \"1.234\" has more than two decimals"},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

/* A decimal comma ("1.234,56") is refused with the amount written as poolbook
 * reads it, not as "more than two decimals". */
static void
test_friendly_names_a_decimal_comma(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1.234,56", PB_EMONEY,
         "amount \"1.234,56\" looks like a decimal comma: write 1234.56 (a point before the "
         "pence, commas only between thousands)"},
        {"12,5", PB_EMONEY,
         "amount \"12,5\" looks like a decimal comma: write 12.50 (a point before the pence, "
         "commas only between thousands)"},
        {"-\xC2\xA3"
         "1.250.000,00",
         PB_EMONEY,
         "amount \"-£1.250.000,00\" looks like a decimal comma: write -1250000.00 (a point "
         "before the pence, commas only between thousands)"},
        {"1.000,00", PB_EMONEY,
         "amount \"1.000,00\" looks like a decimal comma: write 1000.00 (a point before the "
         "pence, commas only between thousands)"},
        /* Not a decimal comma: the scan's own message stands. */
        {"1,2345", PB_EMONEY, "amount \"1,2345\" has a thousands group that is not three digits"},
        {"1..2,50", PB_EMONEY, "amount \"1..2,50\" has a '.' without decimals"},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_refuses_bad_signs(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"--1", PB_EMONEY, "amount \"--1\" has an unexpected '-' at byte 2"},
        {"+1", PB_EMONEY, "amount \"+1\" has an unexpected '+' at byte 1"},
        {"-(1)", PB_EMONEY, NULL},
        {"(-1)", PB_EMONEY, NULL},
        {"(1", PB_EMONEY, "amount \"(1\" has '(' without a closing ')'"},
        {"1)", PB_EMONEY, "amount \"1)\" has an unexpected ')' at byte 2"},
        {"(1))", PB_EMONEY, NULL},
        {"1-", PB_EMONEY, NULL},
        {"\xC2\xA3-1", PB_EMONEY, "amount \"£-1\" has an unexpected '-' at byte 3"},
        {"\xC2\xA3(1)", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_refuses_missing_digits(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"", PB_EMONEY, "amount is empty"},
        {"\xC2\xA3", PB_EMONEY, "amount \"£\" ends too early"},
        {"()", PB_EMONEY, "amount \"()\" has an unexpected ')' at byte 2"},
        {"-", PB_EMONEY, NULL},
        {".5", PB_EMONEY, NULL},
        {"1.", PB_EMONEY, "amount \"1.\" has a '.' without decimals"},
        {"(.5)", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

static void
test_friendly_refuses_other_characters(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"12a", PB_EMONEY, "amount \"12a\" has an unexpected 'a' at byte 3"},
        {"abc", PB_EMONEY, NULL},
        {" 1", PB_EMONEY, NULL},
        {"1 ", PB_EMONEY, NULL},
        {"\xC2\xA3 1", PB_EMONEY, NULL},
        {"1 000", PB_EMONEY, NULL},
        {"$1", PB_EMONEY, NULL},
        {"\xC2\xA3\xC2\xA3"
         "1",
         PB_EMONEY, NULL},
        {"1\xC2\xA3", PB_EMONEY, NULL},
        {"\xC2", PB_EMONEY, NULL},
        {"\xA3"
         "1",
         PB_EMONEY, NULL},
        {"1e3", PB_EMONEY, NULL},
        {"01", PB_EMONEY, "amount \"01\" has a leading zero"},
        {"1.5p", PB_EMONEY, NULL},
        {"GBP 1", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse_friendly, cases, COUNT(cases));
}

/* ---- pb_money_format and pb_money_format_display ---- */

typedef struct format_case {
    int64_t pence;
    const char *canonical;
    const char *display;
} format_case;

static const format_case format_cases[] = {
    {0, "0.00", "0.00"},
    {1, "0.01", "0.01"},
    {-1, "-0.01", "-0.01"},
    {50, "0.50", "0.50"},
    {100, "1.00", "1.00"},
    {99999, "999.99", "999.99"},
    {100000, "1000.00", "1,000.00"},
    {-100000, "-1000.00", "-1,000.00"},
    {1234500, "12345.00", "12,345.00"},
    {12345678, "123456.78", "123,456.78"},
    {125000000, "1250000.00", "1,250,000.00"},
    {-125000000, "-1250000.00", "-1,250,000.00"},
    {MAX - 1, "9999999999999.99", "9,999,999,999,999.99"},
    {MAX, "10000000000000.00", "10,000,000,000,000.00"},
    {-MAX, "-10000000000000.00", "-10,000,000,000,000.00"},
};

/* ---- pb_money_parse_thousands (£000) ---- */

static void
test_thousands_accepts_table(void **state)
{
    (void)state;
    static const accept_case cases[] = {
        {"0", 0},
        {"1", 100000},
        {"1.5", 150000},
        {"12.345", 1234500},
        {"1,250.5", 125050000},
        {"£1,250", 125000000},
        {"0.00001", 1},
        {"0.01234", 1234},
        {"-0.5", -50000},
        {"(2.25)", -225000},
        {"(£1,000.12345)", -100012345},
        {"10,000,000,000", MAX},
        {"-10,000,000,000.00000", -MAX},
    };
    check_accepts(pb_money_parse_thousands, cases, COUNT(cases));
}

static void
test_thousands_agrees_with_pounds_times_1000(void **state)
{
    (void)state;
    /* n thousands in £000 is n * 1000 pounds, for whole and fractional n. */
    static const char *const pairs[][2] = {
        {"7", "7000"},
        {"7.1", "7100"},
        {"7.12", "7120"},
        {"7.123", "7123"},
        {"7.1234", "7123.4"},
        {"7.12345", "7123.45"},
        {"(123,456.789)", "-123456789"},
    };
    for (size_t i = 0; i < COUNT(pairs); i++) {
        int64_t thousands = SENTINEL;
        int64_t pounds = SENTINEL;
        assert_int_equal(pb_money_parse_thousands(pairs[i][0], &thousands, NULL), PB_OK);
        assert_int_equal(pb_money_parse_friendly(pairs[i][1], &pounds, NULL), PB_OK);
        assert_true(thousands == pounds);
    }
}

static void
test_thousands_refuses_finer_than_a_penny(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"1.000001", PB_EMONEY,
         "amount \"1.000001\" has more than five decimals (finer than a penny in £000)"},
        {"0.123456", PB_EMONEY, NULL},
    };
    check_refuses(pb_money_parse_thousands, cases, COUNT(cases));
}

static void
test_thousands_refuses_one_past_pence_max(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"10,000,000,000.00001", PB_EOVERFLOW,
         "amount \"10,000,000,000.00001\" is beyond ±10000000000000.00"},
        {"-10000000000.00001", PB_EOVERFLOW, NULL},
        {"99999999999999999999999", PB_EOVERFLOW, NULL},
    };
    check_refuses(pb_money_parse_thousands, cases, COUNT(cases));
}

static void
test_thousands_refuses_what_friendly_refuses(void **state)
{
    (void)state;
    static const refuse_case cases[] = {
        {"", PB_EMONEY, "amount is empty"},
        {"12a.00", PB_EMONEY, "amount \"12a.00\" has an unexpected 'a' at byte 3"},
        {"1,25", PB_EMONEY, "amount \"1,25\" has a thousands group that is not three digits"},
        {"(12", PB_EMONEY, "amount \"(12\" has '(' without a closing ')'"},
        {"1.", PB_EMONEY, "amount \"1.\" has a '.' without decimals"},
        {"05", PB_EMONEY, "amount \"05\" has a leading zero"},
    };
    check_refuses(pb_money_parse_thousands, cases, COUNT(cases));
}

static void
test_format_writes_canonical_form(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(format_cases); i++) {
        char buf[PB_MONEY_TEXT_MAX];
        assert_int_equal(pb_money_format(format_cases[i].pence, buf, sizeof(buf)), PB_OK);
        assert_string_equal(buf, format_cases[i].canonical);
    }
}

static void
test_format_display_writes_thousands_separators(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(format_cases); i++) {
        char buf[PB_MONEY_TEXT_MAX];
        assert_int_equal(pb_money_format_display(format_cases[i].pence, buf, sizeof(buf)), PB_OK);
        assert_string_equal(buf, format_cases[i].display);
    }
}

static void
test_format_refuses_beyond_pence_max(void **state)
{
    (void)state;
    static const int64_t values[] = {MAX + 1, -MAX - 1, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < COUNT(values); i++) {
        char buf[PB_MONEY_TEXT_MAX];
        memset(buf, 'x', sizeof(buf));
        assert_int_equal(pb_money_format(values[i], buf, sizeof(buf)), PB_EOVERFLOW);
        assert_string_equal(buf, "");
        memset(buf, 'x', sizeof(buf));
        assert_int_equal(pb_money_format_display(values[i], buf, sizeof(buf)), PB_EOVERFLOW);
        assert_string_equal(buf, "");
    }
}

/* ---- round trips ---- */

/* xorshift64*: a fixed sequence, so a failure can be replayed from the seed. */
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

/* A value in ±PB_MONEY_PENCE_MAX, spread over every magnitude from pence to
 * the maximum (a uniform draw would almost never be small). */
static int64_t
random_amount(uint64_t *state)
{
    static const int64_t bounds[] = {
        INT64_C(10),         INT64_C(1000),         INT64_C(100000),         INT64_C(10000000),
        INT64_C(1000000000), INT64_C(100000000000), INT64_C(10000000000000), MAX + 1,
    };
    uint64_t r = next_random(state);
    int64_t bound = bounds[r % COUNT(bounds)];
    int64_t magnitude = (int64_t)(next_random(state) % (uint64_t)bound);
    return (r >> 32) & 1 ? -magnitude : magnitude;
}

static void
test_round_trip_parse_format_random(void **state)
{
    (void)state;
    uint64_t random_state = ROUND_TRIP_SEED;
    print_message("round trip seed 0x%016" PRIX64 ", %d values\n", ROUND_TRIP_SEED,
                  ROUND_TRIP_COUNT);
    for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
        int64_t pence = random_amount(&random_state);
        char canonical[PB_MONEY_TEXT_MAX];
        char display[PB_MONEY_TEXT_MAX];
        int64_t back = SENTINEL;
        int64_t back_display = SENTINEL;
        assert_int_equal(pb_money_format(pence, canonical, sizeof(canonical)), PB_OK);
        assert_int_equal(pb_money_format_display(pence, display, sizeof(display)), PB_OK);
        assert_int_equal(pb_money_parse(canonical, &back, NULL), PB_OK);
        assert_int_equal(pb_money_parse_friendly(display, &back_display, NULL), PB_OK);
        if (back != pence || back_display != pence) {
            fail_msg("value %d: %" PRId64 " -> \"%s\" / \"%s\" -> %" PRId64 " / %" PRId64, i, pence,
                     canonical, display, back, back_display);
        }
    }
}

static void
test_round_trip_format_parse_small_values(void **state)
{
    (void)state;
    /* Every amount within ±£1,000.00: all pence digits and the first separator. */
    for (int64_t pence = -100000; pence <= 100000; pence++) {
        char canonical[PB_MONEY_TEXT_MAX];
        char again[PB_MONEY_TEXT_MAX];
        int64_t back = SENTINEL;
        assert_int_equal(pb_money_format(pence, canonical, sizeof(canonical)), PB_OK);
        assert_int_equal(pb_money_parse(canonical, &back, NULL), PB_OK);
        assert_true(back == pence);
        assert_int_equal(pb_money_format(back, again, sizeof(again)), PB_OK);
        assert_string_equal(again, canonical);
    }
}

/* ---- arithmetic ---- */

typedef int (*arith_fn)(int64_t, int64_t, int64_t *, pb_error *);

static void
check_arith(arith_fn fn, int64_t a, int64_t b, int code, int64_t expected)
{
    pb_error err;
    pb_error_init(&err);
    int64_t out = SENTINEL;
    int rc = fn(a, b, &out, &err);
    if (rc != code) {
        fail_msg("%" PRId64 ", %" PRId64 ": rc %d, expected %d (%s)", a, b, rc, code, err.text);
    }
    assert_int_equal(err.code, code);
    assert_true(out == (code == PB_OK ? expected : SENTINEL));
}

static void
test_add_sums_in_range(void **state)
{
    (void)state;
    check_arith(pb_money_add, 100, 250, PB_OK, 350);
    check_arith(pb_money_add, -100, 250, PB_OK, 150);
    check_arith(pb_money_add, MAX, -MAX, PB_OK, 0);
    check_arith(pb_money_add, 0, 0, PB_OK, 0);
}

static void
test_add_reaches_pence_max_exactly(void **state)
{
    (void)state;
    check_arith(pb_money_add, MAX - 1, 1, PB_OK, MAX);
    check_arith(pb_money_add, -MAX + 1, -1, PB_OK, -MAX);
}

static void
test_add_refuses_one_past_pence_max(void **state)
{
    (void)state;
    check_arith(pb_money_add, MAX, 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_add, -MAX, -1, PB_EOVERFLOW, 0);
    check_arith(pb_money_add, MAX, MAX, PB_EOVERFLOW, 0);
}

static void
test_add_refuses_int64_extremes(void **state)
{
    (void)state;
    check_arith(pb_money_add, INT64_MAX, 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_add, INT64_MIN, -1, PB_EOVERFLOW, 0);
    check_arith(pb_money_add, INT64_MAX, INT64_MAX, PB_EOVERFLOW, 0);
    check_arith(pb_money_add, INT64_MIN, INT64_MIN, PB_EOVERFLOW, 0);
    /* In range as a sum (-1), but neither operand is an amount. */
    check_arith(pb_money_add, INT64_MAX, INT64_MIN, PB_EOVERFLOW, 0);
    check_arith(pb_money_add, MAX + 1, -1, PB_EOVERFLOW, 0);
}

static void
test_sub_differences_in_range(void **state)
{
    (void)state;
    check_arith(pb_money_sub, 100, 250, PB_OK, -150);
    check_arith(pb_money_sub, MAX, MAX, PB_OK, 0);
    check_arith(pb_money_sub, 0, MAX, PB_OK, -MAX);
    check_arith(pb_money_sub, 0, -MAX, PB_OK, MAX);
}

static void
test_sub_refuses_one_past_pence_max(void **state)
{
    (void)state;
    check_arith(pb_money_sub, -MAX, 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_sub, MAX, -1, PB_EOVERFLOW, 0);
}

static void
test_sub_refuses_int64_extremes(void **state)
{
    (void)state;
    check_arith(pb_money_sub, 0, INT64_MIN, PB_EOVERFLOW, 0);
    check_arith(pb_money_sub, INT64_MIN, 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_sub, INT64_MAX, -1, PB_EOVERFLOW, 0);
    check_arith(pb_money_sub, INT64_MAX, INT64_MAX, PB_EOVERFLOW, 0);
}

static void
test_mul_products_in_range(void **state)
{
    (void)state;
    check_arith(pb_money_mul, 150, 3, PB_OK, 450);
    check_arith(pb_money_mul, -150, 3, PB_OK, -450);
    check_arith(pb_money_mul, 150, -3, PB_OK, -450);
    check_arith(pb_money_mul, MAX, 1, PB_OK, MAX);
    check_arith(pb_money_mul, MAX, -1, PB_OK, -MAX);
    check_arith(pb_money_mul, MAX / 2, 2, PB_OK, MAX);
    check_arith(pb_money_mul, 0, INT64_MAX, PB_OK, 0);
    check_arith(pb_money_mul, 0, INT64_MIN, PB_OK, 0);
    check_arith(pb_money_mul, 1, MAX, PB_OK, MAX);
}

static void
test_mul_refuses_one_past_pence_max(void **state)
{
    (void)state;
    check_arith(pb_money_mul, MAX / 2 + 1, 2, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, 1, MAX + 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, -1, MAX + 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, MAX, 2, PB_EOVERFLOW, 0);
}

static void
test_mul_refuses_int64_extremes(void **state)
{
    (void)state;
    check_arith(pb_money_mul, 1, INT64_MAX, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, 1, INT64_MIN, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, -1, INT64_MIN, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, 2, INT64_MAX / 2 + 1, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, MAX, INT64_MAX, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, INT64_MAX, 0, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, INT64_MIN, -1, PB_EOVERFLOW, 0);
    check_arith(pb_money_mul, INT64_MIN, 1, PB_EOVERFLOW, 0);
}

static void
test_arithmetic_error_names_operands(void **state)
{
    (void)state;
    pb_error err;
    int64_t out = SENTINEL;
    pb_error_init(&err);
    assert_int_equal(pb_money_add(MAX, 1, &out, &err), PB_EOVERFLOW);
    assert_string_equal(err.text, "10000000000000.00 + 0.01 is beyond ±10000000000000.00");
    pb_error_init(&err);
    assert_int_equal(pb_money_sub(-MAX, 100, &out, &err), PB_EOVERFLOW);
    assert_string_equal(err.text, "-10000000000000.00 - 1.00 is beyond ±10000000000000.00");
    pb_error_init(&err);
    assert_int_equal(pb_money_mul(INT64_MIN, -1, &out, &err), PB_EOVERFLOW);
    assert_string_equal(err.text, "-9223372036854775808 pence * -1 is beyond ±10000000000000.00");
    pb_error_init(&err);
    assert_int_equal(pb_money_add(1, INT64_MAX, &out, NULL), PB_EOVERFLOW);
    assert_true(out == SENTINEL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_canonical_forms),
        cmocka_unit_test(test_parse_accepts_pence_max_exactly),
        cmocka_unit_test(test_parse_refuses_one_past_pence_max),
        cmocka_unit_test(test_parse_refuses_digit_runs_past_int64),
        cmocka_unit_test(test_parse_refuses_negative_zero),
        cmocka_unit_test(test_parse_refuses_leading_zeros),
        cmocka_unit_test(test_parse_refuses_plus_sign),
        cmocka_unit_test(test_parse_refuses_spaces),
        cmocka_unit_test(test_parse_refuses_three_decimals),
        cmocka_unit_test(test_parse_refuses_fewer_than_two_decimals),
        cmocka_unit_test(test_parse_refuses_empty),
        cmocka_unit_test(test_parse_refuses_missing_pounds),
        cmocka_unit_test(test_parse_refuses_friendly_forms),
        cmocka_unit_test(test_parse_refuses_trailing_bytes),
        cmocka_unit_test(test_parse_quote_does_not_split_utf8),
        cmocka_unit_test(test_parse_allows_null_error),
        cmocka_unit_test(test_friendly_accepts_table),
        cmocka_unit_test(test_friendly_names_a_decimal_comma),
        cmocka_unit_test(test_friendly_accepts_every_canonical_form),
        cmocka_unit_test(test_friendly_reads_negative_zero_as_zero),
        cmocka_unit_test(test_friendly_accepts_pence_max_exactly),
        cmocka_unit_test(test_friendly_refuses_one_past_pence_max),
        cmocka_unit_test(test_friendly_refuses_bad_grouping),
        cmocka_unit_test(test_friendly_refuses_three_decimals),
        cmocka_unit_test(test_friendly_refuses_bad_signs),
        cmocka_unit_test(test_friendly_refuses_missing_digits),
        cmocka_unit_test(test_friendly_refuses_other_characters),
        cmocka_unit_test(test_thousands_accepts_table),
        cmocka_unit_test(test_thousands_agrees_with_pounds_times_1000),
        cmocka_unit_test(test_thousands_refuses_finer_than_a_penny),
        cmocka_unit_test(test_thousands_refuses_one_past_pence_max),
        cmocka_unit_test(test_thousands_refuses_what_friendly_refuses),
        cmocka_unit_test(test_format_writes_canonical_form),
        cmocka_unit_test(test_format_display_writes_thousands_separators),
        cmocka_unit_test(test_format_refuses_beyond_pence_max),
        cmocka_unit_test(test_round_trip_parse_format_random),
        cmocka_unit_test(test_round_trip_format_parse_small_values),
        cmocka_unit_test(test_add_sums_in_range),
        cmocka_unit_test(test_add_reaches_pence_max_exactly),
        cmocka_unit_test(test_add_refuses_one_past_pence_max),
        cmocka_unit_test(test_add_refuses_int64_extremes),
        cmocka_unit_test(test_sub_differences_in_range),
        cmocka_unit_test(test_sub_refuses_one_past_pence_max),
        cmocka_unit_test(test_sub_refuses_int64_extremes),
        cmocka_unit_test(test_mul_products_in_range),
        cmocka_unit_test(test_mul_refuses_one_past_pence_max),
        cmocka_unit_test(test_mul_refuses_int64_extremes),
        cmocka_unit_test(test_arithmetic_error_names_operands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
