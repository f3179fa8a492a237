/*
 * import.c — a finance-system extract (CSV, read with libcsv) to unsigned
 * drafts of contribution, expenditure and forecast entries, under a map that
 * names the columns (docs/import.md). Each row's fields are converted with the
 * same pb_fields_set_* and pb_draft_entry that `poolbook post` uses, so an
 * imported entry has the form of a posted one. Ids come from the source and
 * the row's cells, so importing the same rows again appends nothing.
 */
#include "books/books.h"

#include <csv.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>

/* The fields a map may fill, in the order they are read from a row. */
enum import_field {
    F_TYPE,
    F_POOL,
    F_PARTNER,
    F_STREAM,
    F_SCHEME,
    F_DATE,
    F_AMOUNT,
    F_PAYEE,
    F_REF,
    F_MEMO,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "type", "pool", "partner", "stream", "scheme", "date", "amount", "payee", "ref", "memo",
};

#define BIT(f) (1u << (f))

/* docs/entries.md: the fields each importable type takes and needs. */
static const struct import_type {
    const char *type;
    unsigned takes;
    unsigned needs;
} import_types[] = {
    {"contribution",
     BIT(F_POOL) | BIT(F_PARTNER) | BIT(F_STREAM) | BIT(F_DATE) | BIT(F_AMOUNT) | BIT(F_REF) |
         BIT(F_MEMO),
     BIT(F_POOL) | BIT(F_PARTNER) | BIT(F_STREAM) | BIT(F_DATE) | BIT(F_AMOUNT)},
    {"expenditure",
     BIT(F_POOL) | BIT(F_SCHEME) | BIT(F_DATE) | BIT(F_AMOUNT) | BIT(F_PAYEE) | BIT(F_REF) |
         BIT(F_MEMO),
     BIT(F_POOL) | BIT(F_SCHEME) | BIT(F_DATE) | BIT(F_AMOUNT) | BIT(F_PAYEE)},
    {"forecast", BIT(F_POOL) | BIT(F_SCHEME) | BIT(F_DATE) | BIT(F_AMOUNT) | BIT(F_MEMO),
     BIT(F_POOL) | BIT(F_SCHEME) | BIT(F_DATE) | BIT(F_AMOUNT)},
};

#define IMPORT_TYPE_COUNT (sizeof(import_types) / sizeof(import_types[0]))
/* The id: "imp-" pool "-" YYYYMMDD "-" 16 hex digits (64 bits of the row digest). */
#define IMPORT_ID_HASH_BYTES 8
#define IMPORT_ID_FIXED_BYTES (4 + 1 + 8 + 1 + 2 * IMPORT_ID_HASH_BYTES)
_Static_assert(PB_ID_BYTES_MAX - IMPORT_ID_FIXED_BYTES >= 16, "an import id keeps 16 of the pool");
/* How much of a cell an error message quotes. */
#define IMPORT_QUOTE_BYTES_MAX 48
/* The first bytes of a UTF-8 file saved by Excel ("UTF-8 with BOM"). */
#define IMPORT_BOM "\xEF\xBB\xBF"

/* Where an entry field comes from: a fixed value or a header column, with an
 * optional mapping of cell values. */
struct import_source {
    const char *fixed;       /* borrowed from the map, or NULL */
    const char *column_name; /* borrowed from the map, or NULL */
    int64_t column;          /* index in the header, or -1 */
    const json_t *values;    /* borrowed from the map, or NULL */
    unsigned negate;         /* amount: bit i set negates import_types[i]'s amounts */
};

struct pb_import {
    json_t *map; /* own reference: the sources borrow from it */
    const char *map_name;
    const char *csv_name;
    const char *source;
    int date_format; /* enum pb_date_format */
    int thousands;   /* amounts in £000 */
    struct import_source fields[F_COUNT];
    /* the output */
    json_t **records;
    int64_t *rows; /* row number of each record */
    size_t count;
    size_t cap;
    size_t skipped;
    /* the state of the parse */
    char origin[256];
    const char *created;
    pb_snapshot snap;
    pb_digest_table seen; /* row digest -> uint32 rows seen with it, for the occurrence */
    /* streamed (pb_import_csv_into): drafts go to batch as rows are read, none kept */
    pb_batch *batch;
    pb_digest_table firsts; /* with check_refs: ref key's digest -> struct first_ref */
    int check_refs;
    int ref_failed;
    pb_error ref_err; /* the first reference refused, named after any parse fault */
    char *cells;  /* the current row's cells, each NUL-terminated */
    size_t cells_len;
    size_t cells_cap;
    size_t offsets[PB_IMPORT_COLUMNS_MAX];
    size_t cell_count;
    size_t header_count;
    int64_t row;      /* rows read so far; the header is row 1 */
    int64_t row_cell; /* 0-based cell of the current row, for too-wide rows */
    int failed;
    pb_error *err;
};

/* ---- naming the place of an error ------------------------------------- */

/* Write the place of field (F_COUNT for none) in row into buf:
 * "<csv>, row N[, column "C"]"; a fixed value is named in the map instead:
 * "<map>, $.fields.<name>". */
static void
import_place(const pb_import *imp, int64_t row, int field, char *buf, size_t size)
{
    const struct import_source *src = field < F_COUNT ? &imp->fields[field] : NULL;
    if (src != NULL && src->fixed != NULL) {
        snprintf(buf, size, "%s, $.fields.%s", imp->map_name, field_names[field]);
    } else if (src != NULL && src->column_name != NULL) {
        snprintf(buf, size, "%s, row %lld, column \"%s\"", imp->csv_name, (long long)row,
                 src->column_name);
    } else {
        snprintf(buf, size, "%s, row %lld", imp->csv_name, (long long)row);
    }
}

/* Rename the place of an error already set (by a parser, or the store). */
static void
import_where(const pb_import *imp, int64_t row, int field, pb_error *err)
{
    if (err != NULL) {
        char where[PB_ERROR_WHERE_MAX];
        import_place(imp, row, field, where, sizeof(where));
        memcpy(err->where, where, sizeof(where));
    }
}

/* Refuse field of the current row with code and a formatted text. */
static int import_refuse(const pb_import *imp, int field, pb_error *err, int code, const char *fmt,
                         ...) __attribute__((format(printf, 5, 6)));

static int
import_refuse(const pb_import *imp, int field, pb_error *err, int code, const char *fmt, ...)
{
    char text[PB_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    char where[PB_ERROR_WHERE_MAX];
    import_place(imp, imp->row, field, where, sizeof(where));
    return pb_error_set(err, code, where, "%s", text);
}

/* The field an entry path names: "$.entry.amount" is F_AMOUNT; F_COUNT if none. */
static int
field_of_path(const char *where)
{
    static const char prefix[] = "$.entry.";
    if (strncmp(where, prefix, sizeof(prefix) - 1) != 0) {
        return F_COUNT;
    }
    const char *name = where + sizeof(prefix) - 1;
    for (int f = 0; f < F_COUNT; f++) {
        size_t n = strlen(field_names[f]);
        if (strncmp(name, field_names[f], n) == 0 && strchr(".[", name[n]) != NULL) {
            return f;
        }
    }
    return F_COUNT;
}

void
pb_import_name_error(const pb_import *imp, pb_error *err)
{
    PB_ASSERT(imp != NULL);
    if (err == NULL || err->code == PB_OK || err->index < 0 || (size_t)err->index >= imp->count) {
        return;
    }
    import_where(imp, imp->rows[err->index], field_of_path(err->where), err);
}

/* ---- the map ------------------------------------------------------------ */

static int
map_refuse(const pb_import *imp, pb_error *err, const char *path, const char *what)
{
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s, %s", imp->map_name, path);
    return pb_error_set(err, PB_EFIELD, where, "map: %s", what);
}

/* A type the map gives (fixed or as a mapped value): one of import_types. */
static int
map_type_known(const char *type)
{
    for (size_t i = 0; i < IMPORT_TYPE_COUNT; i++) {
        if (strcmp(import_types[i].type, type) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Check a "values" mapping of field f: strings, or null (skip the row) for type. */
static int
map_check_values(const pb_import *imp, int f, const json_t *values, pb_error *err)
{
    char path[PB_ERROR_WHERE_MAX];
    snprintf(path, sizeof(path), "$.fields.%s.values", field_names[f]);
    if (!json_is_object(values)) {
        return map_refuse(imp, err, path, "values must be an object of cell value to value");
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)values, key, v)
    {
        snprintf(path, sizeof(path), "$.fields.%s.values.%s", field_names[f], key);
        if (json_is_null(v) && f == F_TYPE) {
            continue; /* a row of this kind is skipped */
        }
        if (!json_is_string(v)) {
            return map_refuse(imp, err, path,
                              f == F_TYPE ? "a type value must be a type or null (skip the row)"
                                          : "a value must be a string");
        }
        if (f == F_TYPE && !map_type_known(json_string_value(v))) {
            return map_refuse(imp, err, path,
                              "the type must be contribution, expenditure or forecast");
        }
    }
    return PB_OK;
}

/* The amount's "negate": the types whose amounts the extract shows with the
 * opposite sign (a ledger system prints income, a credit, as negative). */
static int
map_negate(const pb_import *imp, struct import_source *src, const json_t *negate, pb_error *err)
{
    size_t i;
    const json_t *type;
    if (negate == NULL) {
        return PB_OK;
    }
    if (!json_is_array(negate)) {
        return map_refuse(imp, err, "$.fields.amount.negate", "negate must be a list of types");
    }
    json_array_foreach(negate, i, type)
    {
        const char *name = json_string_value(type);
        for (size_t t = 0; name != NULL && t < IMPORT_TYPE_COUNT; t++) {
            if (strcmp(import_types[t].type, name) == 0) {
                src->negate |= 1u << t;
                name = NULL;
            }
        }
        if (name != NULL || !json_is_string(type)) {
            return map_refuse(imp, err, "$.fields.amount.negate",
                              "negate lists types: contribution, expenditure, forecast");
        }
    }
    return PB_OK;
}

/* One entry of "fields": "fixed value" or {"column": NAME[, "values": {...}]}. */
static int
map_source(pb_import *imp, int f, const json_t *spec, pb_error *err)
{
    struct import_source *src = &imp->fields[f];
    char path[PB_ERROR_WHERE_MAX];
    snprintf(path, sizeof(path), "$.fields.%s", field_names[f]);
    src->column = -1;
    if (json_is_string(spec)) {
        src->fixed = json_string_value(spec);
        if (f == F_TYPE && !map_type_known(src->fixed)) {
            return map_refuse(imp, err, path,
                              "the type must be contribution, expenditure or forecast");
        }
        return PB_OK;
    }
    static const char *const keys[] = {"column", "values", "negate", NULL};
    const json_t *column = json_object_get(spec, "column");
    if (!json_is_object(spec) || !json_is_string(column)) {
        return map_refuse(imp, err, path,
                          "a field is a fixed string or {\"column\": NAME, \"values\": {...}}");
    }
    int rc = pb_field_allowed(spec, keys, path, err);
    if (rc == PB_OK && f != F_AMOUNT && json_object_get(spec, "negate") != NULL) {
        rc = map_refuse(imp, err, path, "only the amount may negate");
    }
    if (rc != PB_OK) {
        pb_error_prefix_where(err, imp->map_name);
        return rc;
    }
    src->column_name = json_string_value(column);
    src->values = json_object_get(spec, "values");
    rc = src->values != NULL ? map_check_values(imp, f, src->values, err) : PB_OK;
    return rc == PB_OK ? map_negate(imp, src, json_object_get(spec, "negate"), err) : rc;
}

static int
map_date_format(pb_import *imp, const json_t *map, pb_error *err)
{
    static const struct {
        const char *name;
        int format;
    } formats[] = {
        {"dd/mm/yyyy", PB_DATE_UK},
        {"yyyy-mm-dd", PB_DATE_ISO},
        {"dd-mon-yyyy", PB_DATE_UK_MONTH_NAME},
    };
    const char *name = json_string_value(json_object_get(map, "date_format"));
    for (size_t i = 0; name != NULL && i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(formats[i].name, name) == 0) {
            imp->date_format = formats[i].format;
            return PB_OK;
        }
    }
    return map_refuse(imp, err, "$.date_format",
                      "date_format must be \"dd/mm/yyyy\", \"yyyy-mm-dd\" or \"dd-mon-yyyy\"");
}

static int
map_amount_unit(pb_import *imp, const json_t *map, pb_error *err)
{
    const json_t *unit = json_object_get(map, "amount_unit");
    const char *name = unit != NULL ? json_string_value(unit) : "pounds";
    if (name != NULL && (strcmp(name, "pounds") == 0 || strcmp(name, "thousands") == 0)) {
        imp->thousands = strcmp(name, "thousands") == 0;
        return PB_OK;
    }
    return map_refuse(imp, err, "$.amount_unit",
                      "amount_unit must be \"pounds\" or \"thousands\" (£000)");
}

/* Check the map and fill imp's sources (docs/import.md). */
static int
map_load(pb_import *imp, pb_error *err)
{
    static const char *const top[] = {"source", "date_format", "amount_unit", "fields", NULL};
    const json_t *map = imp->map;
    int rc = json_is_object(map) ? pb_field_allowed(map, top, "$", err)
                                 : map_refuse(imp, err, "$", "the map must be a JSON object");
    if (rc != PB_OK) {
        pb_error_prefix_where(err, imp->map_name);
        return rc;
    }
    imp->source = json_string_value(json_object_get(map, "source"));
    if (imp->source == NULL || imp->source[0] == '\0' || strlen(imp->source) > PB_TEXT_BYTES_MAX) {
        return map_refuse(imp, err, "$.source",
                          "source must name the system the extract comes from (ids derive "
                          "from it)");
    }
    rc = map_date_format(imp, map, err);
    if (rc == PB_OK) {
        rc = map_amount_unit(imp, map, err);
    }
    const json_t *fields = json_object_get(map, "fields");
    if (rc == PB_OK && !json_is_object(fields)) {
        rc = map_refuse(imp, err, "$.fields", "fields must be an object");
    }
    for (int f = 0; f < F_COUNT; f++) {
        imp->fields[f].column = -1;
    }
    for (int f = 0; rc == PB_OK && f < F_COUNT; f++) {
        const json_t *spec = json_object_get(fields, field_names[f]);
        if (spec != NULL) {
            rc = map_source(imp, f, spec, err);
        } else if (f == F_TYPE || f == F_POOL || f == F_DATE || f == F_AMOUNT) {
            char path[PB_ERROR_WHERE_MAX];
            snprintf(path, sizeof(path), "$.fields.%s", field_names[f]);
            rc = map_refuse(imp, err, path,
                            "the map must say where each row's type, pool, date "
                            "and amount come from");
        }
    }
    if (rc == PB_OK) {
        static const char *const names[] = {"type",   "pool", "partner", "stream",
                                            "scheme", "date", "amount",  "payee",
                                            "ref",    "memo", NULL};
        rc = pb_field_allowed(fields, names, "$.fields", err);
        pb_error_prefix_where(err, imp->map_name);
    }
    return rc;
}

/* ---- cells and rows ------------------------------------------------------ */

static const char *
cell(const pb_import *imp, size_t i)
{
    PB_ASSERT(i < imp->cell_count);
    return imp->cells + imp->offsets[i];
}

/* Match every column of the map to the header (row 1). */
static int
import_header(pb_import *imp, pb_error *err)
{
    imp->header_count = imp->cell_count;
    for (int f = 0; f < F_COUNT; f++) {
        struct import_source *src = &imp->fields[f];
        if (src->column_name == NULL) {
            continue;
        }
        for (size_t i = 0; i < imp->cell_count; i++) {
            if (strcmp(cell(imp, i), src->column_name) != 0) {
                continue;
            }
            if (src->column >= 0) {
                return import_refuse(imp, F_COUNT, err, PB_EFIELD,
                                     "column \"%s\" appears twice in the header", src->column_name);
            }
            src->column = (int64_t)i;
        }
        if (src->column < 0) {
            char where[PB_ERROR_WHERE_MAX];
            snprintf(where, sizeof(where), "%s, row 1", imp->csv_name);
            return pb_error_set(err, PB_EFIELD, where,
                                "column \"%s\" of the map (fields.%s) is not in the header",
                                src->column_name, field_names[f]);
        }
    }
    return PB_OK;
}

/* The value of field f for the current row: the fixed value, the cell, or
 * the cell's mapped value. *value_out is NULL for a type mapped to null. */
static int
source_value(pb_import *imp, int f, const char **value_out, pb_error *err)
{
    const struct import_source *src = &imp->fields[f];
    *value_out = src->fixed;
    if (src->fixed != NULL || src->column_name == NULL) {
        return PB_OK;
    }
    const char *text = cell(imp, (size_t)src->column);
    *value_out = text;
    if (src->values == NULL || text[0] == '\0') {
        return PB_OK;
    }
    const json_t *mapped = json_object_get(src->values, text);
    if (mapped == NULL) {
        char quote[IMPORT_QUOTE_BYTES_MAX + 8];
        pb_quote(text, IMPORT_QUOTE_BYTES_MAX, quote, sizeof(quote));
        return import_refuse(imp, f, err, PB_EFIELD, "\"%s\" is not one of the map's values for %s",
                             quote, field_names[f]);
    }
    *value_out = json_string_value(mapped); /* NULL: the map skips the row */
    return PB_OK;
}

/* Refuse a negative or zero amount with what to do instead. */
static int
amount_refuse_sign(pb_import *imp, const char *type, const char *text, int64_t pence, int negated,
                   pb_error *err)
{
    char quote[IMPORT_QUOTE_BYTES_MAX + 8];
    pb_quote(text, IMPORT_QUOTE_BYTES_MAX, quote, sizeof(quote));
    if (pence == 0) {
        return import_refuse(imp, F_AMOUNT, err, PB_EAMOUNT_ZERO,
                             "amount \"%s\" is zero: the ledger records no zero amounts", quote);
    }
    if (negated) {
        return import_refuse(imp, F_AMOUNT, err, PB_EAMOUNT,
                             "amount \"%s\" has the wrong sign for %s %s (the map negates its "
                             "amounts): a refund is a reversal of the entry it refunds",
                             quote, pb_article(type), type);
    }
    if (strcmp(type, "expenditure") == 0) {
        /* docs/import.md: a credit note is not spending; it cancels an invoice. */
        return import_refuse(imp, F_AMOUNT, err, PB_EAMOUNT,
                             "amount \"%s\" is negative: a credit note is not spending; post a "
                             "reversal of the invoice it cancels",
                             quote);
    }
    return import_refuse(imp, F_AMOUNT, err, PB_EAMOUNT,
                         "amount \"%s\" is negative: %s %s is above zero", quote, pb_article(type),
                         type);
}

/* fields.amount from the text, in pounds or £000, refusing a sign the type forbids. */
static int
set_amount(pb_import *imp, const struct import_type *it, const char *text, json_t *fields,
           pb_error *err)
{
    int64_t pence = 0;
    int rc = imp->thousands ? pb_money_parse_thousands(text, &pence, err)
                            : pb_money_parse_friendly(text, &pence, err);
    if (rc != PB_OK) {
        import_where(imp, imp->row, F_AMOUNT, err);
        return rc;
    }
    int negated = (imp->fields[F_AMOUNT].negate & (1u << (it - import_types))) != 0;
    if (negated) {
        pence = -pence; /* in range: the parser bounds |pence| */
    }
    if (pence <= 0) {
        return amount_refuse_sign(imp, it->type, text, pence, negated, err);
    }
    char canon[PB_MONEY_TEXT_MAX];
    PB_ASSERT(pb_money_format(pence, canon, sizeof(canon)) == PB_OK);
    return pb_fields_set_amount(fields, "amount", canon, err);
}

static int
set_date(pb_import *imp, const char *text, json_t *fields, pb_error *err)
{
    int32_t day = 0;
    int rc = pb_date_parse_format(text, imp->date_format, &day, err);
    if (rc != PB_OK) {
        import_where(imp, imp->row, F_DATE, err);
        return rc;
    }
    char iso[PB_DATE_TEXT_MAX];
    pb_date_format(day, iso, sizeof(iso));
    return pb_fields_set_date(fields, "date", iso, err);
}

/* Fill fields with every field the type takes, from the current row. */
static int
row_fields(pb_import *imp, const struct import_type *it, json_t *fields, pb_error *err)
{
    int rc = PB_OK;
    for (int f = F_POOL; rc == PB_OK && f < F_COUNT; f++) {
        if ((it->takes & BIT(f)) == 0) {
            continue;
        }
        const char *value = NULL;
        rc = source_value(imp, f, &value, err);
        if (rc != PB_OK) {
            break;
        }
        if (value == NULL || value[0] == '\0') {
            if ((it->needs & BIT(f)) != 0) {
                rc = import_refuse(imp, f, err, PB_EFIELD, "empty, and a%s %s needs its %s",
                                   it->type[0] == 'e' ? "n" : "", it->type, field_names[f]);
            }
            continue;
        }
        if (f == F_AMOUNT) {
            rc = set_amount(imp, it, value, fields, err);
        } else if (f == F_DATE) {
            rc = set_date(imp, value, fields, err);
        } else if (f == F_POOL) {
            rc = pb_field_check_id(value, "$.entry.pool", err);
            rc = rc == PB_OK ? pb_fields_set_text(fields, "pool", value, err) : rc;
        } else {
            rc = pb_fields_set_text(fields, field_names[f], value, err);
        }
    }
    return rc;
}

/* ---- ids ---------------------------------------------------------------- */

static void
hash_text(crypto_hash_sha256_state *h, const char *text)
{
    /* With its NUL, so that ("ab","c") and ("a","bc") differ. */
    crypto_hash_sha256_update(h, (const unsigned char *)text, strlen(text) + 1);
}

/* docs/import.md: the row digest is SHA-256 of "poolbook-import-v1", the
 * source, and the name and cell of every column the map reads, in the map's
 * field order; the id's hash adds how many earlier rows of the file had the
 * same digest, so identical rows stay distinct and keep their ids. */
static int
row_id(pb_import *imp, const char *pool, const char *date, char *id, size_t size, pb_error *err)
{
    crypto_hash_sha256_state h;
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&h);
    hash_text(&h, "poolbook-import-v1");
    hash_text(&h, imp->source);
    for (int f = 0; f < F_COUNT; f++) {
        if (imp->fields[f].column >= 0) {
            hash_text(&h, imp->fields[f].column_name);
            hash_text(&h, cell(imp, (size_t)imp->fields[f].column));
        }
    }
    crypto_hash_sha256_final(&h, digest);
    _Static_assert(sizeof(digest) == PB_DIGEST_BYTES, "the table keeps whole row digests");
    void *count = NULL;
    int added = 0;
    if (pb_digest_table_get(&imp->seen, digest, &count, &added) != PB_OK) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory importing");
    }
    uint32_t seen = 0;
    memcpy(&seen, count, sizeof(seen));
    PB_ASSERT(seen < UINT32_MAX); /* at most PB_BATCH_RECORDS_MAX rows */
    uint32_t next = seen + 1;
    memcpy(count, &next, sizeof(next));
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    uint8_t occurrence[8];
    for (int i = 0; i < 8; i++) {
        occurrence[i] = (uint8_t)((uint64_t)seen >> (56 - 8 * i));
    }
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, digest, sizeof(digest));
    crypto_hash_sha256_update(&h, occurrence, sizeof(occurrence));
    crypto_hash_sha256_final(&h, digest);
    sodium_bin2hex(hex, sizeof(hex), digest, IMPORT_ID_HASH_BYTES);
    int pool_len = (int)strnlen(pool, PB_ID_BYTES_MAX - IMPORT_ID_FIXED_BYTES);
    int n = snprintf(id, size, "imp-%.*s-%.4s%.2s%.2s-%s", pool_len, pool, date, date + 5, date + 8,
                     hex);
    PB_ASSERT(n > 0 && (size_t)n <= PB_ID_BYTES_MAX);
    return PB_OK;
}

/* The created time of id if the ledger holds it (so re-importing a row
 * rebuilds the identical record), else the import's own. */
static int
created_of(pb_import *imp, const char *id, char *buf, size_t size, pb_error *err)
{
    uint64_t index = 0;
    snprintf(buf, size, "%s", imp->created);
    int rc = pb_snapshot_find(&imp->snap, id, &index, err);
    if (rc == PB_ENOTFOUND) {
        return PB_OK;
    }
    const char *bytes = NULL;
    size_t len = 0;
    if (rc == PB_OK) {
        rc = pb_snapshot_record(&imp->snap, index, &bytes, &len, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    json_t *record = NULL;
    rc = pb_json_parse_stored(bytes, len, &record, err);
    if (rc != PB_OK) {
        return rc; /* out of memory: not a new created time, so another record */
    }
    const char *created =
        json_string_value(json_object_get(json_object_get(record, "entry"), "created"));
    if (created != NULL) {
        snprintf(buf, size, "%s", created);
    }
    json_decref(record);
    return PB_OK;
}

/* ---- one data row ------------------------------------------------------- */

static int check_ref(const pb_import *imp, const pb_snapshot *snap, pb_digest_table *firsts,
                     const json_t *entry, size_t i, pb_error *err);

/* Streamed: check the draft's reference (the first refusal is kept, to be
 * named if no row fails to parse, and the batch is fed no more), then give it
 * to the batch. Takes the reference to record. */
static int
stream_record(pb_import *imp, json_t *record, pb_error *err)
{
    if (imp->check_refs && !imp->ref_failed) {
        pb_error_init(&imp->ref_err);
        if (check_ref(imp, &imp->snap, &imp->firsts, json_object_get(record, "entry"), imp->count,
                      &imp->ref_err) != PB_OK) {
            imp->ref_failed = 1;
        }
    }
    if (imp->ref_failed) {
        json_decref(record);
        return PB_OK;
    }
    return pb_batch_add(imp->batch, record, err);
}

/* Keep a draft (or, streamed, pass it on) and its row. Takes the reference. */
static int
keep_record(pb_import *imp, json_t *record, pb_error *err)
{
    if (imp->count == PB_BATCH_RECORDS_MAX) {
        json_decref(record);
        return pb_error_set(err, PB_ETOOBIG, imp->csv_name,
                            "more than %d rows to import in one batch", PB_BATCH_RECORDS_MAX);
    }
    if (imp->count == imp->cap) {
        size_t cap = imp->cap == 0 ? 1024 : imp->cap * 2;
        json_t **records = imp->batch != NULL ? imp->records
                                              : realloc(imp->records, cap * sizeof(*records));
        if (records != NULL || imp->batch != NULL) {
            imp->records = records;
        }
        int64_t *rows = realloc(imp->rows, cap * sizeof(*rows));
        if (rows != NULL) {
            imp->rows = rows;
        }
        if ((records == NULL && imp->batch == NULL) || rows == NULL) {
            json_decref(record);
            return pb_error_set(err, PB_ENOMEM, NULL, "out of memory importing");
        }
        imp->cap = cap;
    }
    imp->rows[imp->count] = imp->row;
    int rc = PB_OK;
    if (imp->batch != NULL) {
        rc = stream_record(imp, record, err);
    } else {
        imp->records[imp->count] = record;
    }
    imp->count++;
    return rc;
}

static const struct import_type *
type_of(const char *type)
{
    for (size_t i = 0; i < IMPORT_TYPE_COUNT; i++) {
        if (strcmp(import_types[i].type, type) == 0) {
            return &import_types[i];
        }
    }
    return NULL;
}

/* A data row: its type, fields, id and draft. */
static int
import_row(pb_import *imp, pb_error *err)
{
    if (imp->cell_count != imp->header_count) {
        return import_refuse(imp, F_COUNT, err, PB_EFIELD,
                             "the row has %zu columns, the header %zu", imp->cell_count,
                             imp->header_count);
    }
    const char *type = NULL;
    int rc = source_value(imp, F_TYPE, &type, err);
    if (rc == PB_OK && type == NULL) {
        imp->skipped++;
        return PB_OK;
    }
    const struct import_type *it = rc == PB_OK ? type_of(type) : NULL;
    if (rc == PB_OK && it == NULL) {
        char quote[IMPORT_QUOTE_BYTES_MAX + 8];
        pb_quote(type, IMPORT_QUOTE_BYTES_MAX, quote, sizeof(quote));
        return import_refuse(imp, F_TYPE, err, PB_ETYPE,
                             "type \"%s\" is not contribution, expenditure or forecast", quote);
    }
    json_t *fields = rc == PB_OK ? json_object() : NULL;
    json_t *record = NULL;
    if (rc == PB_OK && fields == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory importing");
    }
    rc = rc == PB_OK ? row_fields(imp, it, fields, err) : rc;
    char id[PB_ID_BYTES_MAX + 1];
    char created[32];
    if (rc == PB_OK) {
        rc = row_id(imp, json_string_value(json_object_get(fields, "pool")),
                    json_string_value(json_object_get(fields, "date")), id, sizeof(id), err);
    }
    rc = rc == PB_OK ? created_of(imp, id, created, sizeof(created), err) : rc;
    rc =
        rc == PB_OK ? pb_draft_entry(imp->origin, it->type, id, created, fields, &record, err) : rc;
    if (rc == PB_OK) {
        rc = keep_record(imp, record, err);
        record = NULL;
    } else if (err != NULL && err->code == rc && strncmp(err->where, "$.entry", 7) == 0) {
        import_where(imp, imp->row, field_of_path(err->where), err);
    }
    json_decref(record);
    json_decref(fields);
    return rc;
}

/* ---- libcsv callbacks ---------------------------------------------------- */

/* Refuse the cell being read: one too many, too long, or holding a NUL. */
static void
cell_refuse(pb_import *imp, size_t len)
{
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s, row %lld", imp->csv_name, (long long)imp->row + 1);
    if (imp->cell_count == PB_IMPORT_COLUMNS_MAX) {
        pb_error_set(imp->err, PB_ETOOBIG, where, "more than %d columns", PB_IMPORT_COLUMNS_MAX);
    } else if (len > PB_IMPORT_CELL_BYTES_MAX) {
        pb_error_set(imp->err, PB_ETOOBIG, where, "cell %zu is longer than %d bytes",
                     imp->cell_count + 1, PB_IMPORT_CELL_BYTES_MAX);
    } else {
        pb_error_set(imp->err, PB_EFIELD, where, "cell %zu holds a NUL byte", imp->cell_count + 1);
    }
    imp->failed = 1;
}

/* The end of a cell: keep it, NUL-terminated, in imp->cells. */
static void
on_cell(void *data, size_t len, void *ctx)
{
    pb_import *imp = ctx;
    if (imp->failed) {
        return;
    }
    const char *text = data != NULL ? data : "";
    if (imp->cell_count == PB_IMPORT_COLUMNS_MAX || len > PB_IMPORT_CELL_BYTES_MAX ||
        memchr(text, '\0', len) != NULL) {
        cell_refuse(imp, len);
        return;
    }
    if (imp->cells_len + len + 1 > imp->cells_cap) {
        size_t cap = (imp->cells_len + len + 1) * 2;
        char *grown = realloc(imp->cells, cap);
        if (grown == NULL) {
            pb_error_set(imp->err, PB_ENOMEM, NULL, "out of memory reading %s", imp->csv_name);
            imp->failed = 1;
            return;
        }
        imp->cells = grown;
        imp->cells_cap = cap;
    }
    imp->offsets[imp->cell_count++] = imp->cells_len;
    memcpy(imp->cells + imp->cells_len, text, len);
    imp->cells[imp->cells_len + len] = '\0';
    imp->cells_len += len + 1;
}

static int
row_is_blank(const pb_import *imp)
{
    for (size_t i = 0; i < imp->cell_count; i++) {
        if (cell(imp, i)[0] != '\0') {
            return 0;
        }
    }
    return 1;
}

/* The end of a row: the header, or a data row. */
static void
on_row(int terminator, void *ctx)
{
    (void)terminator;
    pb_import *imp = ctx;
    if (imp->failed) {
        return;
    }
    imp->row++;
    int rc = PB_OK;
    if (imp->row == 1) {
        rc = import_header(imp, imp->err);
    } else if (!row_is_blank(imp)) {
        rc = import_row(imp, imp->err);
    }
    imp->failed = rc != PB_OK;
    imp->cell_count = 0;
    imp->cells_len = 0;
}

static void
count_row(int terminator, void *ctx)
{
    (void)terminator;
    (*(size_t *)ctx)++;
}

/* ---- the input: a text, or a file read a piece at a time ----------------- */

/* How much of a file is read at once (pb_import_file_into); the test knob
 * makes it smaller, so that tests and the fuzz target put the pieces'
 * boundaries inside cells, quotes and line ends. */
#define IMPORT_PIECE_BYTES ((size_t)1 << 20)
#define IMPORT_PIECE_ENV "POOLBOOK_TEST_IMPORT_PIECE_BYTES"

static size_t
import_piece_bytes(void)
{
    const char *knob = getenv(IMPORT_PIECE_ENV);
    if (knob != NULL && knob[0] != '\0') {
        char *end = NULL;
        unsigned long long n = strtoull(knob, &end, 10);
        if (*end == '\0' && n >= 1 && n <= IMPORT_PIECE_BYTES) {
            return (size_t)n;
        }
    }
    return IMPORT_PIECE_BYTES;
}

struct import_input {
    const char *text; /* the whole text (pb_import_csv), or NULL */
    size_t len;
    FILE *file; /* else a seekable file, read from its start */
    size_t max_bytes;
    char *piece; /* piece_bytes for the file */
    size_t piece_bytes;
    size_t read_bytes;
    int started;
};

/* Back to the start of the input. */
static int
input_rewind(const pb_import *imp, struct import_input *in, pb_error *err)
{
    in->started = 0;
    in->read_bytes = 0;
    if (in->file != NULL && fseek(in->file, 0, SEEK_SET) != 0) {
        return pb_error_set(err, PB_EIO, imp->csv_name, "cannot read the file again: %s",
                            pb_errno_text(errno));
    }
    return PB_OK;
}

/* The next piece of the input in *piece_out, *len_out bytes; 0 at the end.
 * A file over max_bytes is refused as it is read (issue 13: every input has
 * a limit, checked while reading), in the words cli_read_file uses. */
static int
input_next(const pb_import *imp, struct import_input *in, const char **piece_out, size_t *len_out,
           pb_error *err)
{
    *piece_out = NULL;
    *len_out = 0;
    if (in->file == NULL) {
        if (!in->started) {
            *piece_out = in->text;
            *len_out = in->len;
        }
        in->started = 1;
        return PB_OK;
    }
    size_t n = fread(in->piece, 1, in->piece_bytes, in->file);
    if (n == 0 && ferror(in->file)) {
        return pb_error_set(err, PB_EIO, imp->csv_name, "cannot read the file: %s",
                            pb_errno_text(errno));
    }
    in->read_bytes += n;
    if (in->read_bytes > in->max_bytes) {
        return pb_error_set(err, PB_ETOOBIG, imp->csv_name, "input is larger than %zu bytes",
                            in->max_bytes);
    }
    in->started = 1;
    *piece_out = in->piece;
    *len_out = n;
    return PB_OK;
}

/* Count the rows before any is built: a file over the limit is refused
 * before it costs a record's memory per row (a million rows of drafts is
 * gigabytes). Blank and skipped rows count too: the bound is on the file. */
static int
import_count_rows(const pb_import *imp, struct import_input *in, size_t *rows_out, pb_error *err)
{
    struct csv_parser parser;
    size_t rows = 0;
    if (csv_init(&parser, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory reading %s", imp->csv_name);
    }
    const char *piece = NULL;
    size_t len = 0;
    int rc = input_rewind(imp, in, err);
    while (rc == PB_OK) {
        rc = input_next(imp, in, &piece, &len, err);
        if (rc != PB_OK || len == 0) {
            break;
        }
        csv_parse(&parser, piece, len, NULL, count_row, &rows);
    }
    csv_fini(&parser, NULL, count_row, &rows);
    csv_free(&parser);
    if (rc == PB_OK && rows > (size_t)PB_BATCH_RECORDS_MAX + 1) {
        return pb_error_set(err, PB_ETOOBIG, imp->csv_name,
                            "%zu data rows: more than %d rows to import in one batch", rows - 1,
                            PB_BATCH_RECORDS_MAX);
    }
    *rows_out = rows;
    return rc;
}

/* Run libcsv over the input (after a BOM), piece by piece: a row or cell
 * split between pieces is joined by libcsv. Strict: a stray quote is an
 * error, as is a quoted cell left open at the end. */
static int
import_parse(pb_import *imp, struct import_input *in, pb_error *err)
{
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) !=
        0) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory reading %s", imp->csv_name);
    }
    int rc = input_rewind(imp, in, err);
    int first = 1;
    int stopped = 0;
    while (rc == PB_OK && !imp->failed && !stopped) {
        const char *piece = NULL;
        size_t len = 0;
        rc = input_next(imp, in, &piece, &len, err);
        if (rc != PB_OK || len == 0) {
            break;
        }
        if (first && len >= 3 && memcmp(piece, IMPORT_BOM, 3) == 0) {
            piece += 3;
            len -= 3;
        }
        first = 0;
        stopped = csv_parse(&parser, piece, len, on_cell, on_row, imp) != len;
    }
    if (rc == PB_OK && !imp->failed && !stopped) {
        csv_fini(&parser, on_cell, on_row, imp);
    }
    if (rc == PB_OK && !imp->failed && csv_error(&parser) != CSV_SUCCESS) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s, row %lld", imp->csv_name, (long long)imp->row + 1);
        rc = pb_error_set(err, csv_error(&parser) == CSV_ENOMEM ? PB_ENOMEM : PB_EFIELD, where,
                          csv_error(&parser) == CSV_ENOMEM
                              ? "out of memory reading the file"
                              : "not CSV: a quote inside a cell that is not quoted, or a quoted "
                                "cell that does not end");
    }
    csv_free(&parser);
    if (rc == PB_OK && imp->failed) {
        rc = err != NULL && err->code != PB_OK ? err->code : PB_EFIELD;
    }
    return rc;
}

/* ---- references used before (docs/import.md) ----------------------------- */

/* The first draft of the file with a reference key, in 16 bytes: its number
 * and the part of its id that is its own. Every import id is "imp-" pool "-"
 * YYYYMMDD "-" 16 hex digits (row_id), and drafts with the same reference key
 * have the same pool, so the earlier id is this draft's id up to its date,
 * then the date and hash kept here. */
struct first_ref {
    uint32_t draft;
    uint32_t date;                      /* YYYYMMDD as a decimal number */
    uint8_t hash[IMPORT_ID_HASH_BYTES]; /* the id's hex digits, as bytes */
};
#define IMPORT_ID_TAIL_BYTES (8 + 1 + 2 * IMPORT_ID_HASH_BYTES) /* "YYYYMMDD-" hex */

/* The tail of an import id: where it starts in id (checked: row_id made it). */
static size_t
id_tail(const char *id)
{
    size_t len = strlen(id);
    PB_ASSERT(len >= IMPORT_ID_FIXED_BYTES && id[len - IMPORT_ID_TAIL_BYTES - 1] == '-');
    PB_ASSERT(id[len - 2 * IMPORT_ID_HASH_BYTES - 1] == '-');
    return len - IMPORT_ID_TAIL_BYTES;
}

static void
first_ref_of(const char *id, size_t i, struct first_ref *first)
{
    const char *tail = id + id_tail(id);
    PB_ASSERT(i < UINT32_MAX);
    first->draft = (uint32_t)i;
    first->date = 0;
    for (int k = 0; k < 8; k++) {
        PB_ASSERT(tail[k] >= '0' && tail[k] <= '9');
        first->date = first->date * 10 + (uint32_t)(tail[k] - '0');
    }
    PB_ASSERT(sodium_hex2bin(first->hash, sizeof(first->hash), tail + 9,
                             2 * IMPORT_ID_HASH_BYTES, NULL, NULL, NULL) == 0);
}

/* The id of first: id (a draft with the same reference key) up to its tail,
 * then first's own. */
static void
first_ref_id(const char *id, const struct first_ref *first, char *buf, size_t size)
{
    char hex[2 * IMPORT_ID_HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof(hex), first->hash, sizeof(first->hash));
    snprintf(buf, size, "%.*s%08u-%s", (int)id_tail(id), id, (unsigned)first->date, hex);
}

/* Draft i's reference, as `post` checks it: the first entry of the ledger with
 * the same ref for the pool and partner (scheme), else the first earlier row
 * of the file (firsts: the ref key's digest -> struct first_ref), must be
 * this one. A row whose id the ledger holds appends nothing new (already
 * present, or refused as a reused id), as `post` finds it present before
 * this check. */
static int
check_ref(const pb_import *imp, const pb_snapshot *snap, pb_digest_table *firsts,
          const json_t *entry, size_t i, pb_error *err)
{
    const char *id = json_string_value(json_object_get(entry, "id"));
    char key[PB_REF_KEY_BYTES_MAX];
    uint64_t index = 0;
    if (!pb_money_ref_key(entry, key, sizeof(key)) ||
        pb_snapshot_find(snap, id, &index, NULL) == PB_OK) {
        return PB_OK;
    }
    char ledger_id[PB_ID_BYTES_MAX + 1];
    int rc = pb_money_ref_first_id(snap, key, ledger_id, sizeof(ledger_id), err);
    const char *first_id = ledger_id;
    char earlier_id[PB_ID_BYTES_MAX + 1];
    char row[32] = "";
    if (rc == PB_ENOTFOUND) {
        rc = PB_OK;
        uint8_t digest[PB_DIGEST_BYTES];
        crypto_generichash(digest, sizeof(digest), (const unsigned char *)key, strlen(key), NULL,
                           0);
        void *value = NULL;
        int added = 0;
        if (pb_digest_table_get(firsts, digest, &value, &added) != PB_OK) {
            return pb_error_set(err, PB_ENOMEM, NULL, "out of memory importing");
        }
        struct first_ref earlier;
        if (added) {
            first_ref_of(id, i, &earlier);
            memcpy(value, &earlier, sizeof(earlier));
            return PB_OK;
        }
        memcpy(&earlier, value, sizeof(earlier));
        first_ref_id(id, &earlier, earlier_id, sizeof(earlier_id));
        first_id = earlier_id;
        snprintf(row, sizeof(row), " (row %lld)", (long long)imp->rows[earlier.draft]);
    }
    if (rc == PB_OK && strcmp(first_id, id) != 0) {
        char quote[IMPORT_QUOTE_BYTES_MAX + 8];
        pb_quote(json_string_value(json_object_get(entry, "ref")), IMPORT_QUOTE_BYTES_MAX, quote,
                 sizeof(quote));
        char where[PB_ERROR_WHERE_MAX];
        import_place(imp, imp->rows[i], F_REF, where, sizeof(where));
        rc = pb_error_set(err, PB_EREF_USED, where,
                          "reference \"%s\" is already used by %s%s for pool %s", quote, first_id,
                          row, json_string_value(json_object_get(entry, "pool")));
    }
    return rc;
}

int
pb_import_check_refs(pb_store *store, const pb_import *imp, pb_error *err)
{
    PB_ASSERT(store != NULL && imp != NULL);
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_digest_table firsts;
    pb_digest_table_init(&firsts, sizeof(struct first_ref));
    for (size_t i = 0; rc == PB_OK && i < imp->count; i++) {
        rc = check_ref(imp, &snap, &firsts, json_object_get(imp->records[i], "entry"), i, err);
    }
    pb_digest_table_free(&firsts);
    pb_snapshot_close(&snap);
    return rc;
}

/* ---- the whole import ---------------------------------------------------- */

void
pb_import_free(pb_import *imp)
{
    if (imp == NULL) {
        return;
    }
    for (size_t i = 0; imp->records != NULL && i < imp->count; i++) {
        json_decref(imp->records[i]);
    }
    free(imp->records);
    pb_digest_table_free(&imp->firsts);
    free(imp->rows);
    free(imp->cells);
    pb_digest_table_free(&imp->seen);
    json_decref(imp->map);
    free(imp);
}

/* After the parse: an empty file, or one whose rows the map all skips, is refused. */
static int
import_check_rows(const pb_import *imp, pb_error *err)
{
    if (imp->row == 0) {
        return pb_error_set(err, PB_EEMPTY, imp->csv_name, "the file is empty: no header row");
    }
    if (imp->count == 0) {
        return pb_error_set(err, PB_EEMPTY, imp->csv_name,
                            imp->skipped > 0 ? "nothing to import: the map skips every row"
                                             : "nothing to import: a header and no rows");
    }
    return PB_OK;
}

/* pb_import_csv, or streamed into batch (drafts not kept; with check_refs,
 * references checked as rows are read). */
static int
import_run(pb_store *store, const json_t *map, const char *map_name, struct import_input *in,
           const char *csv_name, const char *created, pb_batch *batch, int check_refs,
           pb_import **import_out, pb_error *err)
{
    PB_ASSERT(store != NULL && map != NULL && in != NULL && import_out != NULL);
    PB_ASSERT(map_name != NULL && csv_name != NULL && created != NULL);
    *import_out = NULL;
    pb_import *imp = calloc(1, sizeof(*imp));
    if (imp == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory importing");
    }
    imp->map = json_incref((json_t *)map);
    imp->map_name = map_name;
    imp->csv_name = csv_name;
    imp->created = created;
    imp->err = err;
    imp->batch = batch;
    pb_digest_table_init(&imp->seen, sizeof(uint32_t));
    pb_digest_table_init(&imp->firsts, sizeof(struct first_ref));
    imp->check_refs = batch != NULL && check_refs;
    int rc = map_load(imp, err);
    if (rc == PB_OK) {
        rc = pb_store_origin(store, imp->origin, sizeof(imp->origin), err);
    }
    size_t rows = 0;
    if (rc == PB_OK) {
        rc = import_count_rows(imp, in, &rows, err);
    }
    if (rc == PB_OK && batch != NULL) {
        pb_batch_expect(batch, rows > 1 ? rows - 1 : 0); /* data rows: blank or skipped ones too */
    }
    if (rc == PB_OK) {
        rc = pb_snapshot_open(store, &imp->snap, err);
        if (rc == PB_OK) {
            rc = import_parse(imp, in, err);
            pb_snapshot_close(&imp->snap);
        }
    }
    rc = rc == PB_OK ? import_check_rows(imp, err) : rc;
    if (rc == PB_OK && imp->ref_failed) {
        /* as pb_import_check_refs after the parse: a malformed row is named first */
        rc = imp->ref_err.code;
        if (err != NULL) {
            *err = imp->ref_err;
        }
    }
    if (rc != PB_OK) {
        pb_import_free(imp);
        return rc;
    }
    imp->err = NULL;
    *import_out = imp;
    return PB_OK;
}

int
pb_import_csv(pb_store *store, const json_t *map, const char *map_name, const char *csv, size_t len,
              const char *csv_name, const char *created, pb_import **import_out, pb_error *err)
{
    PB_ASSERT(csv != NULL);
    struct import_input in = {.text = csv, .len = len};
    return import_run(store, map, map_name, &in, csv_name, created, NULL, 0, import_out, err);
}

int
pb_import_csv_into(pb_store *store, const json_t *map, const char *map_name, const char *csv,
                   size_t len, const char *csv_name, const char *created, int check_refs,
                   pb_batch *batch, pb_import **import_out, pb_error *err)
{
    PB_ASSERT(batch != NULL && csv != NULL);
    struct import_input in = {.text = csv, .len = len};
    return import_run(store, map, map_name, &in, csv_name, created, batch, check_refs, import_out,
                      err);
}

int
pb_import_file_into(pb_store *store, const json_t *map, const char *map_name, FILE *csv,
                    size_t max_bytes, const char *csv_name, const char *created, int check_refs,
                    pb_batch *batch, pb_import **import_out, pb_error *err)
{
    PB_ASSERT(csv != NULL && import_out != NULL && (batch != NULL || !check_refs));
    *import_out = NULL;
    struct import_input in = {.file = csv, .max_bytes = max_bytes};
    in.piece_bytes = import_piece_bytes();
    in.piece = malloc(in.piece_bytes);
    if (in.piece == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory reading %s", csv_name);
    }
    int rc = import_run(store, map, map_name, &in, csv_name, created, batch, check_refs,
                        import_out, err);
    free(in.piece);
    return rc;
}

size_t
pb_import_count(const pb_import *imp)
{
    PB_ASSERT(imp != NULL);
    return imp->count;
}

size_t
pb_import_skipped(const pb_import *imp)
{
    PB_ASSERT(imp != NULL);
    return imp->skipped;
}

json_t *const *
pb_import_records(const pb_import *imp)
{
    PB_ASSERT(imp != NULL);
    return imp->records;
}
