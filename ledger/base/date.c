/*
 * date.c — calendar dates as days since 1970-01-01, UTC timestamps as seconds
 * since then, and UK public sector financial periods (DESIGN 2): the year
 * 1 April – 31 March, its quarters from April and its months M01 (April) to
 * M12 (March). Integer arithmetic only; no libc time functions, so neither
 * the time zone nor the C library's range can change an answer.
 */
#include "base/base.h"

#include <inttypes.h>
#include <string.h>

#define DATE_YEAR_MIN 1900
#define DATE_YEAR_MAX 9999
/* 1900-01-01 and 9999-12-31 as days since 1970-01-01 (checked by the tests
 * against Python's datetime). */
#define DATE_DAY_MIN INT32_C(-25567)
#define DATE_DAY_MAX INT32_C(2932896)
#define DATE_SECONDS_PER_DAY INT64_C(86400)
/* Financial years must lie wholly within the date range: 1900/01 starts on
 * 1900-04-01; 9999/00 would end on 10000-03-31. */
#define PERIOD_YEAR_START_MIN DATE_YEAR_MIN
#define PERIOD_YEAR_START_MAX (DATE_YEAR_MAX - 1)
/* "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ", and the longest period "YYYY/YY-Mnn". */
#define DATE_TEXT_BYTES 10
#define TIMESTAMP_TEXT_BYTES 20
#define PERIOD_TEXT_BYTES_MAX 11
/* How much of a bad input an error message quotes. */
#define DATE_QUOTE_BYTES_MAX 40

_Static_assert(PB_DATE_TEXT_MAX == DATE_TEXT_BYTES + 1, "date buffer");
_Static_assert(sizeof(((pb_period *)0)->label) > PERIOD_TEXT_BYTES_MAX, "period label fits");

/* Refuse text with code: `<noun> "<text>" <what>`. Returns code. */
static int
date_refuse(pb_error *err, int code, const char *noun, const char *text, const char *what)
{
    char quote[DATE_QUOTE_BYTES_MAX + 8];
    pb_quote(text, DATE_QUOTE_BYTES_MAX, quote, sizeof(quote));
    return pb_error_set(err, code, NULL, "%s \"%s\" %s", noun, quote, what);
}

/* Read count decimal digits at text into *value. Returns 1, or 0 if any of
 * them is not a digit. */
static int
date_digits(const char *text, size_t count, int32_t *value)
{
    PB_ASSERT(count >= 1 && count <= 4);
    int32_t result = 0;
    for (size_t i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return 0;
        }
        result = result * 10 + (text[i] - '0');
    }
    *value = result;
    return 1;
}

static int
date_is_leap(int32_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int32_t
date_days_in_month(int32_t year, int32_t month)
{
    static const int32_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    PB_ASSERT(month >= 1 && month <= 12);
    return month == 2 && date_is_leap(year) ? 29 : days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil: years counted from March, so the leap day ends a year). */
static int32_t
date_days_from_civil(int32_t year, int32_t month, int32_t day)
{
    PB_ASSERT(month >= 1 && month <= 12);
    PB_ASSERT(day >= 1 && day <= 31);
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    int64_t days = era * 146097 + day_of_era - 719468;
    PB_ASSERT(days >= INT32_MIN && days <= INT32_MAX);
    return (int32_t)days;
}

/* The inverse of date_days_from_civil (Hinnant's civil_from_days). */
static void
date_civil_from_days(int32_t days, int32_t *year, int32_t *month, int32_t *day)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    *day = (int32_t)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    *month = (int32_t)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    *year = (int32_t)(year_of_era + era * 400 + (*month <= 2));
    PB_ASSERT(*month >= 1 && *month <= 12);
    PB_ASSERT(*day >= 1 && *day <= date_days_in_month(*year, *month));
}

/* Check year, month and day as a real date in range and give its day
 * number; errors quote text and name it as noun. */
static int
date_from_civil_checked(const char *text, const char *noun, int32_t year, int32_t month,
                        int32_t day, int32_t *day_out, pb_error *err)
{
    char what[80];
    if (year < DATE_YEAR_MIN || year > DATE_YEAR_MAX) {
        snprintf(what, sizeof(what), "has year %04" PRId32 ", outside %d..%d", year, DATE_YEAR_MIN,
                 DATE_YEAR_MAX);
        return date_refuse(err, PB_EDATE, noun, text, what);
    }
    if (month < 1 || month > 12) {
        snprintf(what, sizeof(what), "has month %02" PRId32 ", not 01..12", month);
        return date_refuse(err, PB_EDATE, noun, text, what);
    }
    int32_t days_in_month = date_days_in_month(year, month);
    if (day < 1 || day > days_in_month) {
        snprintf(what, sizeof(what),
                 "has day %02" PRId32 ", but %04" PRId32 "-%02" PRId32 " has %" PRId32 " days", day,
                 year, month, days_in_month);
        return date_refuse(err, PB_EDATE, noun, text, what);
    }
    *day_out = date_days_from_civil(year, month, day);
    return PB_OK;
}

/* Parse the date in the first 10 bytes of text ("YYYY-MM-DD"); the error
 * quotes the whole text and names it as noun ("date" or "timestamp"). */
static int
date_parse_fields(const char *text, const char *noun, int32_t *day_out, pb_error *err)
{
    int32_t year = 0;
    int32_t month = 0;
    int32_t day = 0;
    if (!date_digits(text, 4, &year) || text[4] != '-' || !date_digits(text + 5, 2, &month) ||
        text[7] != '-' || !date_digits(text + 8, 2, &day)) {
        return date_refuse(err, PB_EDATE, noun, text, "is not YYYY-MM-DD");
    }
    return date_from_civil_checked(text, noun, year, month, day, day_out, err);
}

int
pb_date_parse(const char *text, int32_t *day_out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(day_out != NULL);
    int rc = PB_OK;
    if (strnlen(text, DATE_TEXT_BYTES + 1) != DATE_TEXT_BYTES) {
        rc = date_refuse(err, PB_EDATE, "date", text, "is not YYYY-MM-DD");
        goto done;
    }
    rc = date_parse_fields(text, "date", day_out, err);
done:
    return rc;
}

/* Read one or two digits at text + *pos into *value; 0 if there is none. */
static int
date_one_or_two_digits(const char *text, size_t *pos, int32_t *value)
{
    size_t count = 0;
    while (count < 2 && text[*pos + count] >= '0' && text[*pos + count] <= '9') {
        count++;
    }
    if (count == 0 || !date_digits(text + *pos, count, value)) {
        return 0;
    }
    *pos += count;
    return 1;
}

/* The month of a three-letter English abbreviation, any case; 0 if none. */
static int32_t
date_month_of_name(const char *text)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char lower[3];
    for (size_t i = 0; i < 3; i++) {
        char c = text[i];
        if (c == '\0') {
            return 0;
        }
        lower[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    for (int32_t m = 0; m < 12; m++) {
        if (memcmp(names + 3 * m, lower, 3) == 0) {
            return m + 1;
        }
    }
    return 0;
}

/* "dd/mm/yyyy" (day and month of one or two digits) or "dd-Mon-yyyy". */
static int
date_parse_day_first(const char *text, int format, int32_t *day_out, pb_error *err)
{
    const char *shape = format == PB_DATE_UK ? "is not dd/mm/yyyy" : "is not dd-Mon-yyyy";
    char separator = format == PB_DATE_UK ? '/' : '-';
    size_t pos = 0;
    int32_t day = 0;
    int32_t month = 0;
    int32_t year = 0;
    if (!date_one_or_two_digits(text, &pos, &day) || text[pos] != separator) {
        return date_refuse(err, PB_EDATE, "date", text, shape);
    }
    pos++;
    if (format == PB_DATE_UK) {
        if (!date_one_or_two_digits(text, &pos, &month)) {
            return date_refuse(err, PB_EDATE, "date", text, shape);
        }
    } else {
        month = date_month_of_name(text + pos);
        if (month == 0) {
            return date_refuse(err, PB_EDATE, "date", text, shape);
        }
        pos += 3;
    }
    if (text[pos] != separator || strnlen(text + pos + 1, 5) != 4 ||
        !date_digits(text + pos + 1, 4, &year)) {
        return date_refuse(err, PB_EDATE, "date", text, shape);
    }
    return date_from_civil_checked(text, "date", year, month, day, day_out, err);
}

int
pb_date_parse_format(const char *text, int format, int32_t *day_out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(day_out != NULL);
    PB_ASSERT(format == PB_DATE_ISO || format == PB_DATE_UK || format == PB_DATE_UK_MONTH_NAME);
    if (format == PB_DATE_ISO) {
        return pb_date_parse(text, day_out, err);
    }
    return date_parse_day_first(text, format, day_out, err);
}

void
pb_date_format(int32_t day, char *buf, size_t size)
{
    PB_ASSERT(buf != NULL);
    PB_ASSERT(size >= PB_DATE_TEXT_MAX);
    PB_ASSERT(day >= DATE_DAY_MIN && day <= DATE_DAY_MAX);
    int32_t year = 0;
    int32_t month = 0;
    int32_t day_of_month = 0;
    date_civil_from_days(day, &year, &month, &day_of_month);
    int len =
        snprintf(buf, size, "%04" PRId32 "-%02" PRId32 "-%02" PRId32, year, month, day_of_month);
    PB_ASSERT(len == DATE_TEXT_BYTES);
}

/* Read the time "HH:MM:SS" at text + 11 of a timestamp into seconds of the
 * day; no leap seconds (second 60 refused). */
static int
date_parse_time(const char *text, int64_t *seconds_out, pb_error *err)
{
    int32_t hour = 0;
    int32_t minute = 0;
    int32_t second = 0;
    char what[80];
    if (!date_digits(text + 11, 2, &hour) || text[13] != ':' ||
        !date_digits(text + 14, 2, &minute) || text[16] != ':' ||
        !date_digits(text + 17, 2, &second)) {
        return date_refuse(err, PB_EDATE, "timestamp", text, "is not YYYY-MM-DDTHH:MM:SSZ");
    }
    if (hour > 23 || minute > 59 || second > 59) {
        snprintf(what, sizeof(what),
                 "has time %02" PRId32 ":%02" PRId32 ":%02" PRId32 ", not 00:00:00..23:59:59", hour,
                 minute, second);
        return date_refuse(err, PB_EDATE, "timestamp", text, what);
    }
    *seconds_out = (int64_t)hour * 3600 + (int64_t)minute * 60 + second;
    return PB_OK;
}

int
pb_timestamp_parse(const char *text, int64_t *seconds_out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(seconds_out != NULL);
    int rc = PB_OK;
    int32_t day = 0;
    int64_t seconds_of_day = 0;
    if (strnlen(text, TIMESTAMP_TEXT_BYTES + 1) != TIMESTAMP_TEXT_BYTES || text[10] != 'T' ||
        text[19] != 'Z') {
        rc = date_refuse(err, PB_EDATE, "timestamp", text, "is not YYYY-MM-DDTHH:MM:SSZ");
        goto done;
    }
    rc = date_parse_fields(text, "timestamp", &day, err);
    if (rc != PB_OK) {
        goto done;
    }
    rc = date_parse_time(text, &seconds_of_day, err);
    if (rc != PB_OK) {
        goto done;
    }
    *seconds_out = (int64_t)day * DATE_SECONDS_PER_DAY + seconds_of_day;
done:
    return rc;
}

void
pb_timestamp_format(int64_t seconds, char *buf, size_t size)
{
    PB_ASSERT(buf != NULL);
    PB_ASSERT(size >= TIMESTAMP_TEXT_BYTES + 1);
    PB_ASSERT(seconds >= DATE_DAY_MIN * DATE_SECONDS_PER_DAY);
    PB_ASSERT(seconds < (DATE_DAY_MAX + 1) * DATE_SECONDS_PER_DAY);
    /* Floor division: 1969-12-31T23:59:59Z is -1, on day -1, second 86399. */
    int64_t day = seconds / DATE_SECONDS_PER_DAY;
    int64_t second_of_day = seconds % DATE_SECONDS_PER_DAY;
    if (second_of_day < 0) {
        day--;
        second_of_day += DATE_SECONDS_PER_DAY;
    }
    char date[PB_DATE_TEXT_MAX];
    pb_date_format((int32_t)day, date, sizeof(date));
    int len = snprintf(buf, size, "%sT%02" PRId64 ":%02" PRId64 ":%02" PRId64 "Z", date,
                       second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    PB_ASSERT(len == TIMESTAMP_TEXT_BYTES);
}

/* The first day of month fy_month (1 = April .. 12 = March, 13 = the next
 * April) of the financial year starting in year_start. */
static int32_t
period_month_first_day(int32_t year_start, int32_t fy_month)
{
    PB_ASSERT(fy_month >= 1 && fy_month <= 13);
    int32_t month = fy_month + 3;
    int32_t year = year_start;
    if (month > 12) {
        month -= 12;
        year++;
    }
    return date_days_from_civil(year, month, 1);
}

/* Fill a whole period from its kind, year and number: first and last days
 * and the canonical label. */
static void
period_fill(int kind, int32_t year_start, int32_t number, pb_period *out)
{
    PB_ASSERT(year_start >= PERIOD_YEAR_START_MIN && year_start <= PERIOD_YEAR_START_MAX);
    int32_t fy_month_first = 1;
    int32_t fy_month_last = 12;
    char suffix[8] = "";
    if (kind == PB_PERIOD_QUARTER) {
        PB_ASSERT(number >= 1 && number <= 4);
        fy_month_first = 3 * number - 2;
        fy_month_last = 3 * number;
        snprintf(suffix, sizeof(suffix), "-Q%" PRId32, number);
    } else if (kind == PB_PERIOD_MONTH) {
        PB_ASSERT(number >= 1 && number <= 12);
        fy_month_first = number;
        fy_month_last = number;
        snprintf(suffix, sizeof(suffix), "-M%02" PRId32, number);
    } else {
        PB_ASSERT(kind == PB_PERIOD_YEAR && number == 0);
    }
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->year_start = year_start;
    out->number = number;
    out->first_day = period_month_first_day(year_start, fy_month_first);
    out->last_day = period_month_first_day(year_start, fy_month_last + 1) - 1;
    snprintf(out->label, sizeof(out->label), "%04" PRId32 "/%02" PRId32 "%s", year_start,
             (year_start + 1) % 100, suffix);
    PB_ASSERT(out->first_day <= out->last_day);
}

/* Read "YYYY/YY" at the start of text into *year_start, checking that the
 * second year follows the first (mod 100: "2099/00"). */
static int
period_parse_year(const char *text, int32_t *year_start, pb_error *err)
{
    int32_t first = 0;
    int32_t second = 0;
    char what[80];
    if (!date_digits(text, 4, &first) || text[4] != '/' || !date_digits(text + 5, 2, &second)) {
        return date_refuse(err, PB_EPERIOD, "period", text,
                           "is not YYYY/YY, YYYY/YY-Qn or YYYY/YY-Mnn");
    }
    if (first < PERIOD_YEAR_START_MIN || first > PERIOD_YEAR_START_MAX) {
        snprintf(what, sizeof(what), "starts in %04" PRId32 ", outside %d..%d", first,
                 PERIOD_YEAR_START_MIN, PERIOD_YEAR_START_MAX);
        return date_refuse(err, PB_EPERIOD, "period", text, what);
    }
    if (second != (first + 1) % 100) {
        snprintf(what, sizeof(what),
                 "does not name consecutive years (expected %04" PRId32 "/%02" PRId32 ")", first,
                 (first + 1) % 100);
        return date_refuse(err, PB_EPERIOD, "period", text, what);
    }
    *year_start = first;
    return PB_OK;
}

/* "has quarter 5; the forms are 2025/26 (the year), 2025/26-Q1 to -Q4 (a
 * quarter) and 2025/26-M01 to -M12 (a month)": what is wrong and, for the year
 * typed (the first 7 bytes of text, already checked), every valid form. */
static void
period_valid_forms(const char *text, const char *has, char *what, size_t size)
{
    snprintf(what, size,
             "has %s; the forms are %.7s (the year), %.7s-Q1 to -Q4 (a quarter) and "
             "%.7s-M01 to -M12 (a month)",
             has, text, text, text);
}

/* Read the suffix after "YYYY/YY" (len is the whole text's length): none,
 * "-Qn" or "-Mnn". */
static int
period_parse_suffix(const char *text, size_t len, int *kind, int32_t *number, pb_error *err)
{
    char what[192];
    if (len == 7) {
        *kind = PB_PERIOD_YEAR;
        *number = 0;
        return PB_OK;
    }
    if (len == 10 && text[7] == '-' && text[8] == 'Q' && date_digits(text + 9, 1, number)) {
        *kind = PB_PERIOD_QUARTER;
        if (*number < 1 || *number > 4) {
            char has[32];
            snprintf(has, sizeof(has), "quarter %" PRId32, *number);
            period_valid_forms(text, has, what, sizeof(what));
            return date_refuse(err, PB_EPERIOD, "period", text, what);
        }
        return PB_OK;
    }
    if (len == 11 && text[7] == '-' && text[8] == 'M' && date_digits(text + 9, 2, number)) {
        *kind = PB_PERIOD_MONTH;
        if (*number < 1 || *number > 12) {
            char has[32];
            snprintf(has, sizeof(has), "month %02" PRId32, *number);
            period_valid_forms(text, has, what, sizeof(what));
            return date_refuse(err, PB_EPERIOD, "period", text, what);
        }
        return PB_OK;
    }
    return date_refuse(err, PB_EPERIOD, "period", text,
                       "is not YYYY/YY, YYYY/YY-Qn or YYYY/YY-Mnn");
}

int
pb_period_parse(const char *text, pb_period *out, pb_error *err)
{
    PB_ASSERT(text != NULL);
    PB_ASSERT(out != NULL);
    int rc = PB_OK;
    int kind = 0;
    int32_t year_start = 0;
    int32_t number = 0;
    size_t len = strnlen(text, PERIOD_TEXT_BYTES_MAX + 1);
    if (len < 7 || len > PERIOD_TEXT_BYTES_MAX) {
        rc = date_refuse(err, PB_EPERIOD, "period", text,
                         "is not YYYY/YY, YYYY/YY-Qn or YYYY/YY-Mnn");
        goto done;
    }
    rc = period_parse_year(text, &year_start, err);
    if (rc != PB_OK) {
        goto done;
    }
    rc = period_parse_suffix(text, len, &kind, &number, err);
    if (rc != PB_OK) {
        goto done;
    }
    period_fill(kind, year_start, number, out);
    PB_ASSERT(strcmp(out->label, text) == 0); /* the accepted forms are the canonical ones */
done:
    return rc;
}

/* Refuse a day whose financial year lies partly outside the date range. */
static int
period_refuse_year(pb_error *err, int32_t day, int32_t year_start)
{
    char date[PB_DATE_TEXT_MAX];
    pb_date_format(day, date, sizeof(date));
    return pb_error_set(err, PB_EDATE, NULL,
                        "date %s lies in financial year %04" PRId32 "/%02" PRId32
                        ", outside %d/%02d..%d/%02d",
                        date, year_start, (year_start + 1) % 100, PERIOD_YEAR_START_MIN,
                        (PERIOD_YEAR_START_MIN + 1) % 100, PERIOD_YEAR_START_MAX,
                        (PERIOD_YEAR_START_MAX + 1) % 100);
}

int
pb_period_of_day(int32_t day, int kind, pb_period *out, pb_error *err)
{
    PB_ASSERT(out != NULL);
    PB_ASSERT(kind == PB_PERIOD_YEAR || kind == PB_PERIOD_QUARTER || kind == PB_PERIOD_MONTH);
    int rc = PB_OK;
    int32_t year = 0;
    int32_t month = 0;
    int32_t day_of_month = 0;
    if (day < DATE_DAY_MIN || day > DATE_DAY_MAX) {
        rc = pb_error_set(err, PB_EDATE, NULL, "day %" PRId32 " is outside 1900-01-01..9999-12-31",
                          day);
        goto done;
    }
    date_civil_from_days(day, &year, &month, &day_of_month);
    /* DESIGN 2: the financial year starts on 1 April. */
    int32_t year_start = month >= 4 ? year : year - 1;
    int32_t fy_month = month >= 4 ? month - 3 : month + 9;
    if (year_start < PERIOD_YEAR_START_MIN || year_start > PERIOD_YEAR_START_MAX) {
        rc = period_refuse_year(err, day, year_start);
        goto done;
    }
    int32_t number = 0;
    if (kind == PB_PERIOD_QUARTER) {
        number = (fy_month - 1) / 3 + 1;
    } else if (kind == PB_PERIOD_MONTH) {
        number = fy_month;
    }
    period_fill(kind, year_start, number, out);
    PB_ASSERT(out->first_day <= day && day <= out->last_day);
done:
    return rc;
}
