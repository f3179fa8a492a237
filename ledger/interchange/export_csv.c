/*
 * export_csv.c — every record as one CSV row for a spreadsheet (docs/csv.md):
 * the entry's common fields, the money fields of pool and money entries, and
 * who signed. Quoting is RFC 4180's, done by libcsv (STYLE 16). Amounts stay
 * the canonical pound strings of the entries; a reversal's row carries the
 * negated amount of the entry it cancels, with its type and scheme or stream,
 * so a column sum of contributions or expenditure and their reversals is the
 * net figure. The same rows, as JSON and filtered, are what `poolbook log`
 * lists (pb_log_select): one definition of what a record's line says.
 */
#include "books/books.h"

#include <csv.h>
#include <string.h>

/* The columns, in order; docs/csv.md says what each holds per entry type. */
static const char *const columns[] = {
    "index",     "id",     "type",  "created",   "date",   "pool",   "partner", "stream",  "scheme",
    "to_scheme", "amount", "payee", "reference", "target", "target_type", "period", "memo",
    "signers",   NULL,
};

enum column {
    COL_INDEX,
    COL_ID,
    COL_TYPE,
    COL_CREATED,
    COL_DATE,
    COL_POOL,
    COL_PARTNER,
    COL_STREAM,
    COL_SCHEME,
    COL_TO_SCHEME,
    COL_AMOUNT,
    COL_PAYEE,
    COL_REFERENCE,
    COL_TARGET,
    COL_TARGET_TYPE,
    COL_PERIOD,
    COL_MEMO,
    COL_SIGNERS,
    COL_COUNT
};

_Static_assert(sizeof(columns) / sizeof(columns[0]) == COL_COUNT + 1, "a name for every column");

/* One row's cells, borrowed from the record's JSON or held in own[]. */
struct row {
    const char *cell[COL_COUNT];
    char index[24];
    char amount[PB_MONEY_TEXT_MAX];
    char *signers; /* malloc'd */
    const char *bytes; /* the stored record, borrowed from the snapshot */
    size_t len;
};

struct csv_out {
    pb_snapshot snap;
    pb_state state;
    FILE *out;
};

/* RFC 4180: a field with a comma, a quote, CR or LF is quoted, its quotes
 * doubled (libcsv's csv_fwrite); others are written as they are. */
static int
put_field(FILE *out, const char *text, int last)
{
    size_t len = text != NULL ? strlen(text) : 0;
    int ok = 1;
    if (len > 0 && strpbrk(text, ",\"\r\n") != NULL) {
        ok = csv_fwrite(out, text, len) == 0;
    } else if (len > 0) {
        ok = fwrite(text, 1, len, out) == len;
    }
    if (ok) {
        ok = fputs(last ? "\r\n" : ",", out) != EOF;
    }
    return ok ? PB_OK : PB_EIO;
}

static int
put_row(FILE *out, const char *const *cells, pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; i < COL_COUNT && rc == PB_OK; i++) {
        rc = put_field(out, cells[i], i + 1 == COL_COUNT);
    }
    return rc == PB_OK ? PB_OK : pb_error_set(err, PB_EIO, NULL, "could not write the CSV");
}

static const char *
text_of(const json_t *entry, const char *name)
{
    return json_string_value(json_object_get(entry, name));
}

/* "PARTNER:ROLE:KEYID;..." in the record's signature order (by key id). */
static int
signers_of(const struct csv_out *c, const json_t *record, struct row *row, pb_error *err)
{
    const json_t *sigs = json_object_get(record, "sigs");
    size_t cap = json_array_size(sigs) * (PB_ID_BYTES_MAX + 16 + PB_KEYID_TEXT_MAX) + 1;
    row->signers = malloc(cap);
    if (row->signers == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    size_t used = 0;
    row->signers[0] = '\0';
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const char *keyid = json_string_value(json_object_get(json_array_get(sigs, i), "key"));
        char skey[PB_KEYID_TEXT_MAX + 8];
        snprintf(skey, sizeof(skey), "key:%s", keyid);
        json_t *bound = NULL;
        int rc = pb_state_get(&c->state, skey, &bound, err);
        if (rc != PB_OK && rc != PB_ENOTFOUND) {
            return rc;
        }
        int n = snprintf(row->signers + used, cap - used, "%s%s:%s:%s", i == 0 ? "" : ";",
                         bound != NULL ? text_of(bound, "partner") : "?",
                         bound != NULL ? text_of(bound, "role") : "?", keyid);
        used += n > 0 ? (size_t)n : 0;
        PB_ASSERT(used < cap);
        json_decref(bound);
    }
    row->cell[COL_SIGNERS] = row->signers;
    return PB_OK;
}

/* A reversal's row: the cancelled entry's pool, partner, stream or scheme and
 * its amount negated, looked up in the same snapshot. *target_out is new. */
static int
reversal_cells(const struct csv_out *c, const json_t *entry, struct row *row, json_t **target_out,
               pb_error *err)
{
    uint64_t at = 0;
    const char *bytes = NULL;
    size_t len = 0;
    int rc = pb_snapshot_find(&c->snap, text_of(entry, "target"), &at, err);
    if (rc == PB_ENOTFOUND) {
        return PB_OK; /* cannot happen in a verified ledger; leave the cells empty */
    }
    if (rc == PB_OK) {
        rc = pb_snapshot_record(&c->snap, at, &bytes, &len, err);
    }
    json_t *target = NULL;
    if (rc == PB_OK) {
        rc = pb_json_parse_stored(bytes, len, &target, err);
    }
    const json_t *te = json_object_get(target, "entry");
    int64_t pence = 0;
    if (rc == PB_OK && text_of(te, "amount") != NULL &&
        pb_money_parse(text_of(te, "amount"), &pence, NULL) == PB_OK) {
        pb_money_format(-pence, row->amount, sizeof(row->amount));
        row->cell[COL_AMOUNT] = row->amount;
    }
    if (rc == PB_OK) {
        row->cell[COL_POOL] = text_of(te, "pool");
        row->cell[COL_PARTNER] = text_of(te, "partner");
        row->cell[COL_STREAM] = text_of(te, "stream");
        row->cell[COL_SCHEME] =
            text_of(te, "scheme") != NULL ? text_of(te, "scheme") : text_of(te, "from");
        row->cell[COL_TO_SCHEME] = text_of(te, "to");
        row->cell[COL_TARGET_TYPE] = text_of(te, "type");
        *target_out = target;
    }
    return rc;
}

/* The cells every type fills the same way, then each type's own. */
static void
entry_cells(const json_t *entry, struct row *row)
{
    const char *type = text_of(entry, "type");
    const json_t *pool = json_object_get(entry, "pool");
    const json_t *partner = json_object_get(entry, "partner");
    row->cell[COL_ID] = text_of(entry, "id");
    row->cell[COL_TYPE] = type;
    row->cell[COL_CREATED] = text_of(entry, "created");
    row->cell[COL_DATE] = text_of(entry, "date");
    row->cell[COL_POOL] = json_is_object(pool) ? text_of(pool, "id") : json_string_value(pool);
    row->cell[COL_PARTNER] =
        json_is_object(partner) ? text_of(partner, "id") : json_string_value(partner);
    row->cell[COL_STREAM] = text_of(entry, "stream");
    row->cell[COL_SCHEME] = text_of(entry, "scheme");
    row->cell[COL_AMOUNT] = text_of(entry, "amount");
    row->cell[COL_PAYEE] = text_of(entry, "payee");
    row->cell[COL_REFERENCE] = text_of(entry, "ref");
    row->cell[COL_TARGET] = text_of(entry, "target");
    row->cell[COL_PERIOD] = text_of(entry, "period");
    row->cell[COL_MEMO] = text_of(entry, "memo");
    if (strcmp(type, "document") == 0) {
        row->cell[COL_MEMO] = text_of(entry, "title");
    } else if (strcmp(type, "pool.agree") == 0) {
        row->cell[COL_MEMO] = text_of(pool, "name");
    } else if (strcmp(type, "virement") == 0) {
        row->cell[COL_SCHEME] = text_of(entry, "from");
        row->cell[COL_TO_SCHEME] = text_of(entry, "to");
    } else if (strcmp(type, "genesis") == 0) {
        row->cell[COL_MEMO] = text_of(entry, "ledger");
    }
    if (row->cell[COL_MEMO] == NULL) {
        row->cell[COL_MEMO] = text_of(entry, "reason");
    }
}

/* The row of record index: its cells borrow from *record_out and *target_out
 * (new references, freed by the caller with row.signers). */
static int
row_of(struct csv_out *c, uint64_t index, struct row *row, json_t **record_out,
       json_t **target_out, pb_error *err)
{
    memset(row, 0, sizeof(*row));
    int rc = pb_snapshot_record(&c->snap, index, &row->bytes, &row->len, err);
    const char *bytes = row->bytes;
    size_t len = row->len;
    if (rc == PB_OK) {
        rc = pb_json_parse_stored(bytes, len, record_out, err);
    }
    const json_t *entry = json_object_get(*record_out, "entry");
    if (rc == PB_OK && text_of(entry, "type") == NULL) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.type", "record %llu has no type",
                          (unsigned long long)index);
    }
    if (rc == PB_OK) {
        snprintf(row->index, sizeof(row->index), "%llu", (unsigned long long)index);
        row->cell[COL_INDEX] = row->index;
        entry_cells(entry, row);
        rc = signers_of(c, *record_out, row, err);
    }
    if (rc == PB_OK && strcmp(text_of(entry, "type"), "reversal") == 0) {
        rc = reversal_cells(c, entry, row, target_out, err);
    }
    pb_error_set_index(err, (int64_t)index);
    return rc;
}

static int
put_record(struct csv_out *c, uint64_t index, pb_error *err)
{
    json_t *record = NULL, *target = NULL;
    struct row row;
    int rc = row_of(c, index, &row, &record, &target, err);
    if (rc == PB_OK) {
        rc = put_row(c->out, row.cell, err);
    }
    free(row.signers);
    json_decref(target);
    json_decref(record);
    return rc;
}

/* The day of a row for --from/--to: its date, else the date part of created. */
static int
row_matches_day(const struct row *row, const pb_log_filter *f)
{
    char day[PB_DATE_TEXT_MAX];
    const char *d = row->cell[COL_DATE] != NULL ? row->cell[COL_DATE] : row->cell[COL_CREATED];
    snprintf(day, sizeof(day), "%s", d != NULL ? d : "");
    return (f->from_date == NULL || strcmp(day, f->from_date) >= 0) &&
           (f->to_date == NULL || strcmp(day, f->to_date) <= 0);
}

static int
same(const char *cell, const char *want)
{
    return want == NULL || (cell != NULL && strcmp(cell, want) == 0);
}

/* A row passes when every filter given matches: --scheme matches a
 * virement's either scheme; --type matches a reversal of that type too. */
static int
row_matches(const struct row *row, const pb_log_filter *f)
{
    int type = same(row->cell[COL_TYPE], f->type) ||
               (f->type != NULL && same(row->cell[COL_TARGET_TYPE], f->type));
    int scheme = same(row->cell[COL_SCHEME], f->scheme) ||
                 (f->scheme != NULL && same(row->cell[COL_TO_SCHEME], f->scheme));
    return type && scheme && same(row->cell[COL_POOL], f->pool) &&
           same(row->cell[COL_PARTNER], f->partner) && same(row->cell[COL_REFERENCE], f->ref) &&
           row_matches_day(row, f);
}

/* The row as a JSON object keyed by column name (index a number, empty cells null). */
static json_t *
row_json(const struct row *row, uint64_t index)
{
    json_t *o = json_pack("{s:I}", "index", (json_int_t)index);
    for (size_t i = COL_ID; o != NULL && i < COL_COUNT; i++) {
        json_object_set_new(o, columns[i],
                            row->cell[i] != NULL ? json_string(row->cell[i]) : json_null());
    }
    return o;
}

static int
select_record(struct csv_out *c, uint64_t index, const pb_log_filter *filter, pb_log_visit visit,
              void *ctx, int *matched, pb_error *err)
{
    json_t *record = NULL, *target = NULL, *line = NULL;
    struct row row;
    int rc = row_of(c, index, &row, &record, &target, err);
    *matched = rc == PB_OK && row_matches(&row, filter);
    if (*matched) {
        line = row_json(&row, index);
        rc = line != NULL ? visit(ctx, index, line, row.bytes, row.len)
                          : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(line);
    free(row.signers);
    json_decref(target);
    json_decref(record);
    return rc;
}

int
pb_log_select(pb_store *store, const pb_log_filter *filter, pb_log_visit visit, void *ctx,
              pb_error *err)
{
    PB_ASSERT(store != NULL && filter != NULL && visit != NULL);
    struct csv_out c;
    memset(&c, 0, sizeof(c));
    int rc = pb_snapshot_open(store, &c.snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_snapshot_state(&c.snap, &c.state);
    uint64_t shown = 0;
    for (uint64_t i = filter->start; rc == PB_OK && i < c.snap.size && shown < filter->limit; i++) {
        int matched = 0;
        rc = select_record(&c, i, filter, visit, ctx, &matched, err);
        shown += matched ? 1 : 0;
    }
    pb_snapshot_close(&c.snap);
    return rc;
}

int
pb_export_csv(pb_store *store, FILE *out, pb_error *err)
{
    PB_ASSERT(store != NULL && out != NULL);
    struct csv_out c;
    memset(&c, 0, sizeof(c));
    c.out = out;
    int rc = pb_snapshot_open(store, &c.snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_snapshot_state(&c.snap, &c.state);
    rc = put_row(out, columns, err);
    for (uint64_t i = 0; rc == PB_OK && i < c.snap.size; i++) {
        rc = put_record(&c, i, err);
        if (rc == PB_OK) {
            pb_store_progress(c.snap.store, "exporting", i + 1, c.snap.size);
        }
    }
    if (rc == PB_OK && (fflush(out) != 0 || ferror(out))) {
        rc = pb_error_set(err, PB_EIO, NULL, "could not write the CSV");
    }
    pb_snapshot_close(&c.snap);
    return rc;
}
