/*
 * money.c — GBP amounts as int64_t pence (DESIGN 2): the canonical text form
 * stored in entries, the friendlier forms a person types, the display form
 * with thousands separators, amounts in thousands of pounds (£000, as finance
 * systems print them), and the checked arithmetic every sum goes through.
 * Integers only; the text is scanned by hand, byte by byte.
 */
#include "base/base.h"

#include <inttypes.h>
#include <string.h>

/* Whole pounds: a magnitude of PB_MONEY_PENCE_MAX pence is this many pounds. */
#define MONEY_POUNDS_MAX ((uint64_t)(PB_MONEY_PENCE_MAX / 100))
/* Digit runs saturate here while scanning, so that a run of any length is
 * seen as too big without the accumulator wrapping. */
#define MONEY_POUNDS_SATURATED (MONEY_POUNDS_MAX + 1)
/* How much of a bad input an error message quotes. */
#define MONEY_QUOTE_BYTES_MAX 48
/* "£" in UTF-8. */
#define MONEY_POUND_SIGN "\xC2\xA3"
#define MONEY_POUND_SIGN_BYTES 2

_Static_assert(PB_MONEY_PENCE_MAX % 100 == 0, "the maximum is whole pounds");
/* Pence in one whole unit of the text: a pound, or a thousand pounds (£000),
 * and the decimals each may have so that the smallest step is one penny. */
#define MONEY_UNIT_POUND_PENCE 100
#define MONEY_UNIT_POUND_DECIMALS 2
#define MONEY_UNIT_THOUSAND_PENCE 100000
#define MONEY_UNIT_THOUSAND_DECIMALS 5
/* The largest magnitude a scan can reach before its range check. */
#define MONEY_SCAN_PENCE_MAX (MONEY_UNIT_THOUSAND_PENCE * MONEY_POUNDS_SATURATED + 99999)
_Static_assert(MONEY_SCAN_PENCE_MAX < (uint64_t)INT64_MAX, "scan cannot wrap");
/* "-10,000,000,000,000.00" is the longest display form: 22 bytes and a NUL. */
_Static_assert(PB_MONEY_TEXT_MAX >= 23, "display form fits");

/* A scan in progress: the position and what has been read so far. */
typedef struct money_scan {
    const char *text;      /* the whole input, quoted in messages */
    size_t pos;            /* offset of the next byte */
    int negative;          /* 1 if a '-' or parentheses were read */
    uint64_t pounds;       /* whole units; saturates at MONEY_POUNDS_SATURATED */
    uint64_t pence;        /* the decimals in pence: 0..unit_pence - 1 */
    uint64_t unit_pence;   /* pence in a whole unit: 100 (pounds) or 100000 (£000) */
    uint32_t decimals_max; /* decimals a unit may have: 2 or 5 (10^decimals == unit) */
} money_scan;

/* A scan of text in pounds, or in thousands of pounds (£000). */
#define MONEY_SCAN_POUNDS(t)                                                                       \
    {                                                                                              \
        .text = (t), .unit_pence = MONEY_UNIT_POUND_PENCE,                                         \
        .decimals_max = MONEY_UNIT_POUND_DECIMALS                                                  \
    }
#define MONEY_SCAN_THOUSANDS(t)                                                                    \
    {                                                                                              \
        .text = (t), .unit_pence = MONEY_UNIT_THOUSAND_PENCE,                                      \
        .decimals_max = MONEY_UNIT_THOUSAND_DECIMALS                                               \
    }

/* Refuse the input with code: `amount "<text>" <what>`. Returns code. */
static int
money_refuse(pb_error *err, int code, const money_scan *scan, const char *what)
{
    char quote[MONEY_QUOTE_BYTES_MAX + 8];
    pb_quote(scan->text, MONEY_QUOTE_BYTES_MAX, quote, sizeof(quote));
    return pb_error_set(err, code, NULL, "amount \"%s\" %s", quote, what);
}

/* Refuse the byte at scan->pos as out of place, naming it and its 1-based place. */
static int
money_refuse_byte(pb_error *err, const money_scan *scan)
{
    char what[64];
    unsigned char byte = (unsigned char)scan->text[scan->pos];
    if (byte == '\0') {
        snprintf(what, sizeof(what), "ends too early");
    } else if (byte >= 0x20 && byte < 0x7F) {
        snprintf(what, sizeof(what), "has an unexpected '%c' at byte %zu", byte, scan->pos + 1);
    } else {
        snprintf(what, sizeof(what), "has an unexpected byte 0x%02X at byte %zu", byte,
                 scan->pos + 1);
    }
    return money_refuse(err, PB_EMONEY, scan, what);
}

static int
money_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read a run of digits at scan->pos into *value (saturating) and return how
 * many were read. The loop ends at the first non-digit, at the latest the NUL. */
static uint32_t
money_scan_digits(money_scan *scan, uint64_t *value)
{
    uint32_t count = 0;
    while (money_is_digit(scan->text[scan->pos])) {
        uint64_t digit = (uint64_t)(scan->text[scan->pos] - '0');
        if (*value < MONEY_POUNDS_SATURATED) {
            *value = *value * 10 + digit;
        }
        if (*value > MONEY_POUNDS_SATURATED) {
            *value = MONEY_POUNDS_SATURATED;
        }
        if (count < UINT32_MAX) {
            count++;
        }
        scan->pos++;
    }
    return count;
}

/* Read the decimals after a '.' at scan->pos: between decimals_min and
 * scan->decimals_max digits. Sets scan->pence: since 10^decimals_max pence
 * make a unit, the decimals padded to decimals_max digits are the pence. */
static int
money_scan_decimals(money_scan *scan, uint32_t decimals_min, pb_error *err)
{
    PB_ASSERT(scan->text[scan->pos] == '.');
    PB_ASSERT(decimals_min <= scan->decimals_max);
    scan->pos++;
    uint64_t value = 0;
    uint32_t count = money_scan_digits(scan, &value);
    if (count > scan->decimals_max) {
        return money_refuse(err, PB_EMONEY, scan,
                            scan->decimals_max == MONEY_UNIT_POUND_DECIMALS
                                ? "has more than two decimals"
                                : "has more than five decimals (finer than a penny in £000)");
    }
    if (count < decimals_min) {
        return money_refuse(err, PB_EMONEY, scan,
                            decimals_min == 2 ? "needs exactly two decimals"
                                              : "has a '.' without decimals");
    }
    for (uint32_t i = count; i < scan->decimals_max; i++) {
        value *= 10;
    }
    scan->pence = value;
    PB_ASSERT(scan->pence < scan->unit_pence);
    return PB_OK;
}

/* The scan's value in pence, checking the range and the sign of zero
 * (negative_zero_ok: whether "-0" means zero or is refused). */
static int
money_scan_result(const money_scan *scan, int negative_zero_ok, int64_t *pence_out, pb_error *err)
{
    PB_ASSERT(scan->pounds <= MONEY_POUNDS_SATURATED);
    PB_ASSERT(scan->unit_pence == MONEY_UNIT_POUND_PENCE ||
              scan->unit_pence == MONEY_UNIT_THOUSAND_PENCE);
    PB_ASSERT(scan->pence < scan->unit_pence);
    /* Cannot wrap: see the _Static_assert on MONEY_POUNDS_SATURATED. */
    uint64_t magnitude = scan->pounds * scan->unit_pence + scan->pence;
    if (magnitude > (uint64_t)PB_MONEY_PENCE_MAX) {
        char what[PB_MONEY_TEXT_MAX + 16];
        char limit[PB_MONEY_TEXT_MAX];
        pb_money_format(PB_MONEY_PENCE_MAX, limit, sizeof(limit));
        snprintf(what, sizeof(what), "is beyond ±%s", limit);
        return money_refuse(err, PB_EOVERFLOW, scan, what);
    }
    if (magnitude == 0 && scan->negative && !negative_zero_ok) {
        return money_refuse(err, PB_EMONEY, scan, "is zero with a minus sign");
    }
    int64_t pence = (int64_t)magnitude;
    *pence_out = scan->negative ? -pence : pence;
    return PB_OK;
}

/* The whole-pounds part of the canonical form: one or more digits, no
 * leading zero. */
static int
money_scan_canonical_pounds(money_scan *scan, pb_error *err)
{
    size_t start = scan->pos;
    uint32_t digits = money_scan_digits(scan, &scan->pounds);
    if (digits == 0) {
        return money_refuse_byte(err, scan);
    }
    if (digits > 1 && scan->text[start] == '0') {
        return money_refuse(err, PB_EMONEY, scan, "has a leading zero");
    }
    return PB_OK;
}

/* DESIGN 2: the canonical text form in entries is -?[0-9]+\.[0-9]{2}. */
int
pb_money_parse(const char *text, int64_t *pence_out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(pence_out != NULL);
    int rc = PB_OK;
    money_scan scan = MONEY_SCAN_POUNDS(text);
    if (text[0] == '\0') {
        rc = pb_error_set(err, PB_EMONEY, NULL, "amount is empty");
        goto done;
    }
    if (text[0] == '-') {
        scan.negative = 1;
        scan.pos++;
    }
    rc = money_scan_canonical_pounds(&scan, err);
    if (rc != PB_OK) {
        goto done;
    }
    if (text[scan.pos] == '\0') {
        rc = money_refuse(err, PB_EMONEY, &scan, "has no decimal point");
        goto done;
    }
    if (text[scan.pos] != '.') {
        rc = money_refuse_byte(err, &scan);
        goto done;
    }
    rc = money_scan_decimals(&scan, 2, err);
    if (rc != PB_OK) {
        goto done;
    }
    if (text[scan.pos] != '\0') {
        rc = money_refuse_byte(err, &scan);
        goto done;
    }
    rc = money_scan_result(&scan, 0, pence_out, err);
done:
    return rc;
}

/* The whole-pounds part of the friendly form: digits, either without
 * separators or as a group of 1–3 digits followed by ",ddd" groups. A leading
 * zero is refused as in the canonical form ("0.50" is fine, "05" is not). */
static int
money_scan_friendly_pounds(money_scan *scan, pb_error *err)
{
    size_t start = scan->pos;
    uint32_t group = money_scan_digits(scan, &scan->pounds);
    if (group == 0) {
        return money_refuse_byte(err, scan);
    }
    /* "0.50" and "0" are fine; "05" and "0,100" have a leading zero. */
    if (scan->text[start] == '0' && (group > 1 || scan->text[scan->pos] == ',')) {
        return money_refuse(err, PB_EMONEY, scan, "has a leading zero");
    }
    if (scan->text[scan->pos] == ',' && group > 3) {
        return money_refuse(err, PB_EMONEY, scan, "has a thousands group that is not three digits");
    }
    while (scan->text[scan->pos] == ',') {
        scan->pos++;
        group = money_scan_digits(scan, &scan->pounds);
        if (group != 3) {
            return money_refuse(err, PB_EMONEY, scan,
                                "has a thousands group that is not three digits");
        }
    }
    return PB_OK;
}

/* The friendly form's opening: '-' or '(' for a negative, then an optional "£". */
static void
money_scan_friendly_opening(money_scan *scan, int *parenthesised)
{
    *parenthesised = 0;
    if (scan->text[0] == '-') {
        scan->negative = 1;
        scan->pos++;
    } else if (scan->text[0] == '(') {
        scan->negative = 1;
        *parenthesised = 1;
        scan->pos++;
    }
    if (strncmp(scan->text + scan->pos, MONEY_POUND_SIGN, MONEY_POUND_SIGN_BYTES) == 0) {
        scan->pos += MONEY_POUND_SIGN_BYTES;
    }
}

/* The friendly form in scan's unit: opening, grouped whole units, optional
 * decimals, the closing ')' of a parenthesised negative. */
static int
money_parse_friendly_scan(money_scan *scan, int64_t *pence_out, pb_error *err)
{
    int rc = PB_OK;
    int parenthesised = 0;
    const char *text = scan->text;
    if (text[0] == '\0') {
        rc = pb_error_set(err, PB_EMONEY, NULL, "amount is empty");
        goto done;
    }
    money_scan_friendly_opening(scan, &parenthesised);
    rc = money_scan_friendly_pounds(scan, err);
    if (rc != PB_OK) {
        goto done;
    }
    if (text[scan->pos] == '.') {
        rc = money_scan_decimals(scan, 1, err);
        if (rc != PB_OK) {
            goto done;
        }
    }
    if (parenthesised && text[scan->pos] != ')') {
        rc = money_refuse(err, PB_EMONEY, scan, "has '(' without a closing ')'");
        goto done;
    }
    scan->pos += (size_t)parenthesised;
    if (text[scan->pos] != '\0') {
        rc = money_refuse_byte(err, scan);
        goto done;
    }
    /* A person may type "-0" or "(0.00)"; it can only mean zero. */
    rc = money_scan_result(scan, 1, pence_out, err);
done:
    return rc;
}

/* Whether text is written with a decimal comma, as much of Europe writes
 * money ("1.234,56", "12,5"): digits in groups split by '.', then ',' and one
 * or two decimals, nothing after. If so, fix gets the same amount as the
 * friendly form writes it ("1234.56"). The pence read the same either way. */
static int
money_decimal_comma(const char *text, char *fix, size_t size)
{
    size_t pos = 0, used = 0, digits = 0;
    if (text[pos] == '-') {
        fix[used++] = text[pos++];
    }
    if (strncmp(text + pos, MONEY_POUND_SIGN, MONEY_POUND_SIGN_BYTES) == 0) {
        pos += MONEY_POUND_SIGN_BYTES;
    }
    for (; used + 4 < size && (money_is_digit(text[pos]) || text[pos] == '.'); pos++) {
        if (text[pos] != '.') {
            fix[used++] = text[pos];
            digits++;
        } else if (!money_is_digit(text[pos + 1])) {
            return 0;
        }
    }
    size_t decimals = text[pos] == ',' ? strspn(text + pos + 1, "0123456789") : 0;
    if (digits == 0 || decimals < 1 || decimals > 2 || text[pos + 1 + decimals] != '\0' ||
        used + decimals + 2 > size) {
        return 0;
    }
    fix[used++] = '.';
    memcpy(fix + used, text + pos + 1, decimals);
    used += decimals;
    if (decimals == 1) {
        fix[used++] = '0';
    }
    fix[used] = '\0';
    return 1;
}

/* DESIGN 2: the CLI accepts friendlier input ("1,250,000", "£1,250,000.5").
 * A decimal comma is refused (a comma groups thousands here) with the amount
 * written the way poolbook reads it. */
int
pb_money_parse_friendly(const char *text, int64_t *pence_out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(pence_out != NULL);
    money_scan scan = MONEY_SCAN_POUNDS(text);
    int was_clean = err != NULL && err->code == PB_OK;
    int rc = money_parse_friendly_scan(&scan, pence_out, err);
    char fix[MONEY_QUOTE_BYTES_MAX];
    if (rc == PB_EMONEY && was_clean && money_decimal_comma(text, fix, sizeof(fix))) {
        char what[MONEY_QUOTE_BYTES_MAX + 96];
        snprintf(what, sizeof(what),
                 "looks like a decimal comma: write %s (a point before the pence, "
                 "commas only between thousands)",
                 fix);
        err->code = PB_OK; /* this message replaces the scan's */
        rc = money_refuse(err, PB_EMONEY, &scan, what);
    }
    return rc;
}

/* Finance systems often report in £000: "1,250.5" is £1,250,500.00. Scaled
 * in integers as the text is read (never through a fraction). */
int
pb_money_parse_thousands(const char *text, int64_t *pence_out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(pence_out != NULL);
    money_scan scan = MONEY_SCAN_THOUSANDS(text);
    return money_parse_friendly_scan(&scan, pence_out, err);
}

static int
money_in_range(int64_t pence)
{
    return pence >= -PB_MONEY_PENCE_MAX && pence <= PB_MONEY_PENCE_MAX;
}

/* Split pence (within ±PB_MONEY_PENCE_MAX) into a sign, whole pounds and pence. */
static void
money_split(int64_t pence, int *negative, uint64_t *pounds, uint32_t *pence_part)
{
    PB_ASSERT(money_in_range(pence));
    *negative = pence < 0;
    uint64_t magnitude = (uint64_t)(pence < 0 ? -pence : pence);
    *pounds = magnitude / 100;
    *pence_part = (uint32_t)(magnitude % 100);
}

int
pb_money_format(int64_t pence, char *buf, size_t size)
{
    PB_ASSERT(buf != NULL);
    PB_ASSERT(size >= PB_MONEY_TEXT_MAX);
    int rc = PB_OK;
    int negative = 0;
    uint64_t pounds = 0;
    uint32_t pence_part = 0;
    buf[0] = '\0'; /* on error the caller prints nothing rather than garbage */
    if (!money_in_range(pence)) {
        rc = PB_EOVERFLOW;
        goto done;
    }
    money_split(pence, &negative, &pounds, &pence_part);
    int len =
        snprintf(buf, size, "%s%" PRIu64 ".%02" PRIu32, negative ? "-" : "", pounds, pence_part);
    PB_ASSERT(len > 0 && (size_t)len < size);
done:
    return rc;
}

/* Write the pounds into buf with a ',' before every third digit from the
 * right; returns the length written (at most 14 digits and 4 separators). */
static size_t
money_write_grouped(uint64_t pounds, char *buf, size_t size)
{
    char reversed[PB_MONEY_TEXT_MAX];
    size_t len = 0;
    uint32_t digit_count = 0;
    do {
        PB_ASSERT(len + 2 <= sizeof(reversed));
        if (digit_count > 0 && digit_count % 3 == 0) {
            reversed[len++] = ',';
        }
        reversed[len++] = (char)('0' + pounds % 10);
        pounds /= 10;
        digit_count++;
    } while (pounds > 0);
    PB_ASSERT(len < size);
    for (size_t i = 0; i < len; i++) {
        buf[i] = reversed[len - 1 - i];
    }
    buf[len] = '\0';
    return len;
}

int
pb_money_format_display(int64_t pence, char *buf, size_t size)
{
    PB_ASSERT(buf != NULL);
    PB_ASSERT(size >= PB_MONEY_TEXT_MAX);
    int rc = PB_OK;
    int negative = 0;
    uint64_t pounds = 0;
    uint32_t pence_part = 0;
    buf[0] = '\0'; /* on error the caller prints nothing rather than garbage */
    if (!money_in_range(pence)) {
        rc = PB_EOVERFLOW;
        goto done;
    }
    money_split(pence, &negative, &pounds, &pence_part);
    size_t out = 0;
    if (negative) {
        buf[out++] = '-';
    }
    out += money_write_grouped(pounds, buf + out, size - out);
    int tail = snprintf(buf + out, size - out, ".%02" PRIu32, pence_part);
    PB_ASSERT(tail == 3 && out + 3 < size);
done:
    return rc;
}

/* Write pence into buf for a message: the canonical form when it is in range,
 * else the raw count of pence. */
static void
money_evidence(int64_t pence, char *buf, size_t size)
{
    if (pb_money_format(pence, buf, size) != PB_OK) {
        snprintf(buf, size, "%" PRId64 " pence", pence);
    }
}

/* Refuse an operation "<a> <op> <b>": names both operands. */
static int
money_refuse_operation(pb_error *err, int64_t a, const char *op, int64_t b, int b_is_money)
{
    char a_text[PB_MONEY_TEXT_MAX + 16];
    char b_text[PB_MONEY_TEXT_MAX + 16];
    char limit[PB_MONEY_TEXT_MAX];
    pb_money_format(PB_MONEY_PENCE_MAX, limit, sizeof(limit));
    money_evidence(a, a_text, sizeof(a_text));
    if (b_is_money) {
        money_evidence(b, b_text, sizeof(b_text));
    } else {
        snprintf(b_text, sizeof(b_text), "%" PRId64, b);
    }
    return pb_error_set(err, PB_EOVERFLOW, NULL, "%s %s %s is beyond ±%s", a_text, op, b_text,
                        limit);
}

/* Operands beyond ±PB_MONEY_PENCE_MAX are refused as well as results: no
 * amount outside the range can exist, so one here is already an overflow
 * (and INT64_MAX + INT64_MIN must not pass because it happens to be -1). */
int
pb_money_add(int64_t a, int64_t b, int64_t *out, pb_error *err)
{
    PB_ASSERT(out != NULL);
    int rc = PB_OK;
    int64_t sum = 0;
    if (!money_in_range(a) || !money_in_range(b) || __builtin_add_overflow(a, b, &sum) ||
        !money_in_range(sum)) {
        rc = money_refuse_operation(err, a, "+", b, 1);
        goto done;
    }
    *out = sum;
done:
    return rc;
}

int
pb_money_sub(int64_t a, int64_t b, int64_t *out, pb_error *err)
{
    PB_ASSERT(out != NULL);
    int rc = PB_OK;
    int64_t difference = 0;
    if (!money_in_range(a) || !money_in_range(b) || __builtin_sub_overflow(a, b, &difference) ||
        !money_in_range(difference)) {
        rc = money_refuse_operation(err, a, "-", b, 1);
        goto done;
    }
    *out = difference;
done:
    return rc;
}

/* factor is a plain count, not money: any int64_t is allowed as long as the
 * product stays in range (0 * INT64_MAX is 0). */
int
pb_money_mul(int64_t pence, int64_t factor, int64_t *out, pb_error *err)
{
    PB_ASSERT(out != NULL);
    int rc = PB_OK;
    int64_t product = 0;
    if (!money_in_range(pence) || __builtin_mul_overflow(pence, factor, &product) ||
        !money_in_range(product)) {
        rc = money_refuse_operation(err, pence, "*", factor, 0);
        goto done;
    }
    *out = product;
done:
    return rc;
}

json_t *
pb_money_json(int64_t pence)
{
    char text[PB_MONEY_TEXT_MAX];
    PB_ASSERT(pb_money_format(pence, text, sizeof(text)) == PB_OK);
    return json_string(text);
}

int64_t
pb_money_of_json(const json_t *value)
{
    int64_t pence = 0;
    const char *text = json_string_value(value);
    if (text != NULL) {
        /* Written by poolbook in canonical form: anything else is a bug. */
        PB_ASSERT(pb_money_parse(text, &pence, NULL) == PB_OK);
    }
    return pence;
}
