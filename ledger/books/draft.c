/*
 * draft.c — drafts of entries built from a type's own fields: the default id
 * rule of docs/entries.md, the generic draft builder that the pool and money
 * entries use, and the setters that turn what a person typed (friendly
 * amounts, dates, period labels) into entry fields; and the drafts of the
 * genesis and document entries, built from their arguments.
 */
#include "books/books.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

/* The bytes of SHA-256 a default id keeps: 4 bytes, 8 hex digits. */
#define DEFAULT_ID_HASH_BYTES 4
/* "YYYYMMDD". */
#define DEFAULT_ID_DATE_BYTES 8
/* A document's default id keeps this many hex digits of its hash. */
#define DOCUMENT_ID_HEX_BYTES 16

/* docs/entries.md: the short name of each type in its default id. */
static const struct {
    const char *type;
    const char *short_name;
} id_shorts[] = {
    {"contribution", "con"},     {"expenditure", "exp"},      {"forecast", "fc"},
    {"virement", "vir"},         {"reversal", "rev"},         {"period.close", "close"},
    {"pool.agree", "agree"},     {"pool.vary", "vary"},       {"key.add", "key"},
    {"key.revoke", "revoke"},    {"partner.admit", "admit"},  {"settlement", "settle"},
    {"period.reopen", "reopen"}, {"partner.succeed", "succ"}, {"witness.policy", "wpol"},
};

#define SHORT_NAME_BYTES_MAX 6 /* "revoke" */
/* Room left for the pool part with every other part present:
 * short "-" pool "-" YYYYMMDD "-" hex. */
_Static_assert(PB_ID_BYTES_MAX - SHORT_NAME_BYTES_MAX - 1 - 1 - DEFAULT_ID_DATE_BYTES - 1 -
                       2 * DEFAULT_ID_HASH_BYTES >=
                   32,
               "a default id keeps at least 32 bytes of the pool id");

static const char *const common_fields[] = {"v", "type", "id", "ledger", "created", NULL};

static const char *
short_name_of(const char *type)
{
    for (size_t i = 0; i < sizeof(id_shorts) / sizeof(id_shorts[0]); i++) {
        if (strcmp(id_shorts[i].type, type) == 0) {
            PB_ASSERT(strlen(id_shorts[i].short_name) <= SHORT_NAME_BYTES_MAX);
            return id_shorts[i].short_name;
        }
    }
    return NULL;
}

/* The entry's pool id: "pool" as a string, or pool.agree's "pool"."id";
 * NULL when it has none. *where_out names it for errors. */
static const char *
pool_of(const json_t *entry, const char **where_out)
{
    const json_t *pool = json_object_get(entry, "pool");
    *where_out = "$.entry.pool";
    if (json_is_object(pool)) {
        pool = json_object_get(pool, "id");
        *where_out = "$.entry.pool.id";
    }
    return json_string_value(pool);
}

/* The 8 lowercase hex digits of SHA-256 of the canonical entry without "id"
 * and "created": the id derives from what the entry records, not from when it
 * was drafted, so posting the same payment again is "already present"
 * (docs/entries.md "Default ids"). */
static int
content_hex(const json_t *entry, char hex[2 * DEFAULT_ID_HASH_BYTES + 1], pb_error *err)
{
    json_t *copy = json_copy((json_t *)entry); /* shallow: entry itself is not changed */
    if (copy == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory making a default id");
    }
    json_object_del(copy, "id");
    json_object_del(copy, "created");
    char *canon = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(copy, &canon, &len, err);
    json_decref(copy);
    if (rc != PB_OK) {
        /* The path is relative to the entry: "$.amount" is "$.entry.amount". */
        if (err != NULL && err->code == rc && err->where[0] == '$') {
            char where[PB_ERROR_WHERE_MAX];
            snprintf(where, sizeof(where), "$.entry%s", err->where + 1);
            memcpy(err->where, where, sizeof(where));
        }
        return rc;
    }
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)canon, len);
    free(canon);
    sodium_bin2hex(hex, 2 * DEFAULT_ID_HASH_BYTES + 1, digest, DEFAULT_ID_HASH_BYTES);
    return PB_OK;
}

/* The older rule of documents: "doc-" and the first 16 hex digits of sha256. */
static int
document_id(const json_t *entry, char *buf, size_t size, pb_error *err)
{
    const char *sha = json_string_value(json_object_get(entry, "sha256"));
    size_t n = sha != NULL ? strspn(sha, "0123456789abcdef") : 0;
    if (n < DOCUMENT_ID_HEX_BYTES) {
        return pb_error_set(err, PB_EFIELD, "$.entry.sha256",
                            "a document's default id needs its sha256 in lowercase hex");
    }
    snprintf(buf, size, "doc-%.*s", DOCUMENT_ID_HEX_BYTES, sha);
    return PB_OK;
}

/* The "YYYYMMDD" of the entry's "date", or "" when it has none. */
static int
date_part(const json_t *entry, char out[DEFAULT_ID_DATE_BYTES + 1], pb_error *err)
{
    const char *date = json_string_value(json_object_get(entry, "date"));
    out[0] = '\0';
    if (date == NULL) {
        return PB_OK;
    }
    int32_t day = 0;
    int rc = pb_date_parse(date, &day, err);
    if (rc != PB_OK) {
        if (err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "$.entry.date");
        }
        return rc;
    }
    /* pb_date_parse accepts exactly YYYY-MM-DD, so the digits are where we look. */
    snprintf(out, DEFAULT_ID_DATE_BYTES + 1, "%.4s%.2s%.2s", date, date + 5, date + 8);
    return PB_OK;
}

int
pb_entry_default_id(const json_t *entry, char *buf, size_t size, pb_error *err)
{
    PB_ASSERT(entry != NULL && buf != NULL);
    PB_ASSERT(size > PB_ID_BYTES_MAX);
    const char *type = json_string_value(json_object_get(entry, "type"));
    if (type == NULL) {
        return pb_error_set(err, PB_EFIELD, "$.entry.type", "field type is missing");
    }
    if (strcmp(type, "document") == 0) {
        return document_id(entry, buf, size, err);
    }
    if (strcmp(type, "genesis") == 0) {
        snprintf(buf, size, "genesis");
        return PB_OK;
    }
    const char *short_name = short_name_of(type);
    if (short_name == NULL) {
        return pb_error_set(err, PB_ETYPE, "$.entry.type",
                            "entry type \"%s\" has no default id: give one", type);
    }
    const char *pool_where = NULL;
    const char *pool = pool_of(entry, &pool_where);
    int rc = pool != NULL ? pb_field_check_id(pool, pool_where, err) : PB_OK;
    char date[DEFAULT_ID_DATE_BYTES + 1];
    char hex[2 * DEFAULT_ID_HASH_BYTES + 1];
    if (rc == PB_OK) {
        rc = date_part(entry, date, err);
    }
    if (rc == PB_OK) {
        rc = content_hex(entry, hex, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    /* Everything but the pool part, then the pool part in what room is left. */
    size_t fixed = strlen(short_name) + (date[0] != '\0' ? 1 + DEFAULT_ID_DATE_BYTES : 0) + 1 +
                   2 * DEFAULT_ID_HASH_BYTES;
    PB_ASSERT(fixed + 2 <= PB_ID_BYTES_MAX);
    size_t pool_max = PB_ID_BYTES_MAX - fixed - 1;
    int pool_len = pool != NULL ? (int)(strlen(pool) < pool_max ? strlen(pool) : pool_max) : 0;
    int n = snprintf(buf, size, "%s%s%.*s%s%s-%s", short_name, pool != NULL ? "-" : "", pool_len,
                     pool != NULL ? pool : "", date[0] != '\0' ? "-" : "", date, hex);
    PB_ASSERT(n > 0 && (size_t)n <= PB_ID_BYTES_MAX);
    return PB_OK;
}

/* The fields of a draft may not set the common fields: those are arguments. */
static int
check_own_fields(const json_t *fields, pb_error *err)
{
    if (fields == NULL) {
        return PB_OK;
    }
    if (!json_is_object(fields)) {
        return pb_error_set(err, PB_EFIELD, "$.entry", "the fields of a draft must be an object");
    }
    for (size_t i = 0; common_fields[i] != NULL; i++) {
        if (json_object_get(fields, common_fields[i]) != NULL) {
            char where[PB_ERROR_WHERE_MAX];
            snprintf(where, sizeof(where), "$.entry.%s", common_fields[i]);
            return pb_error_set(err, PB_EFIELD, where,
                                "field %s is a common field, not one of the type's own",
                                common_fields[i]);
        }
    }
    return PB_OK;
}

/* A new entry: a deep copy of fields and the common fields but id. Strings
 * are taken unchecked: the form check names bad UTF-8 by its field, where
 * json_string() would fail as if out of memory. */
static json_t *
new_entry(const char *origin, const char *type, const char *created, const json_t *fields)
{
    json_t *entry = fields != NULL ? json_deep_copy(fields) : json_object();
    if (entry == NULL) {
        return NULL;
    }
    if (json_object_set_new(entry, "v", json_integer(1)) != 0 ||
        json_object_set_new(entry, "type", json_string_nocheck(type)) != 0 ||
        json_object_set_new(entry, "ledger", json_string_nocheck(origin)) != 0 ||
        json_object_set_new(entry, "created", json_string_nocheck(created)) != 0) {
        json_decref(entry);
        return NULL;
    }
    return entry;
}

int
pb_draft_entry(const char *origin, const char *type, const char *id, const char *created,
               json_t *fields, json_t **record_out, pb_error *err)
{
    PB_ASSERT(origin != NULL && type != NULL && created != NULL);
    PB_ASSERT(record_out != NULL);
    int rc = check_own_fields(fields, err);
    if (rc != PB_OK) {
        return rc;
    }
    json_t *record = NULL;
    json_t *entry = new_entry(origin, type, created, fields);
    if (entry == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory building a draft");
        goto done;
    }
    char id_buf[PB_ID_BYTES_MAX + 1];
    if (id == NULL) {
        rc = pb_entry_default_id(entry, id_buf, sizeof(id_buf), err);
        id = id_buf;
    }
    if (rc == PB_OK && json_object_set_new(entry, "id", json_string_nocheck(id)) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory building a draft");
    }
    if (rc != PB_OK) {
        goto done;
    }
    record = json_pack("{s:O,s:[]}", "entry", entry, "sigs");
    if (record == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory building a draft");
        goto done;
    }
    rc = pb_record_check_form(record, err);
    if (rc == PB_OK) {
        *record_out = record;
        record = NULL;
    }
done:
    json_decref(record);
    json_decref(entry);
    return rc;
}

/* Set fields[name] to a new string value; PB_ENOMEM if that fails. */
static int
set_string(json_t *fields, const char *name, const char *value, pb_error *err)
{
    json_t *s = json_string(value);
    if (s == NULL || json_object_set_new(fields, name, s) != 0) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory setting field %s", name);
    }
    return PB_OK;
}

/* Name the field in err->where when the parser left it empty. */
static int
name_field(pb_error *err, const char *name, int rc)
{
    if (err != NULL && err->where[0] == '\0') {
        snprintf(err->where, sizeof(err->where), "$.entry.%s", name);
    }
    return rc;
}

int
pb_fields_set_amount(json_t *fields, const char *name, const char *text, pb_error *err)
{
    PB_ASSERT(fields != NULL && name != NULL);
    if (text == NULL) {
        return PB_OK;
    }
    int64_t pence = 0;
    char canon[PB_MONEY_TEXT_MAX];
    int rc = pb_money_parse_friendly(text, &pence, err);
    if (rc != PB_OK) {
        return name_field(err, name, rc);
    }
    /* The parser bounds |pence| by PB_MONEY_PENCE_MAX, which always formats. */
    rc = pb_money_format(pence, canon, sizeof(canon));
    PB_ASSERT(rc == PB_OK);
    return set_string(fields, name, canon, err);
}

int
pb_fields_set_date(json_t *fields, const char *name, const char *text, pb_error *err)
{
    PB_ASSERT(fields != NULL && name != NULL);
    if (text == NULL) {
        return PB_OK;
    }
    int32_t day = 0;
    int rc = pb_date_parse(text, &day, err);
    if (rc != PB_OK) {
        return name_field(err, name, rc);
    }
    return set_string(fields, name, text, err);
}

int
pb_fields_set_period(json_t *fields, const char *name, const char *text, pb_error *err)
{
    PB_ASSERT(fields != NULL && name != NULL);
    if (text == NULL) {
        return PB_OK;
    }
    pb_period period;
    int rc = pb_period_parse(text, &period, err);
    if (rc != PB_OK) {
        return name_field(err, name, rc);
    }
    return set_string(fields, name, period.label, err);
}

int
pb_fields_set_text(json_t *fields, const char *name, const char *text, pb_error *err)
{
    PB_ASSERT(fields != NULL && name != NULL);
    if (text == NULL) {
        return PB_OK;
    }
    /* json_string() would fail alike on bad UTF-8 and on no memory; take the
     * bytes unchecked and let the canonical subset check name the fault. */
    json_t *s = json_string_nocheck(text);
    if (s == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory setting field %s", name);
    }
    pb_error why;
    pb_error_init(&why);
    int rc = pb_json_check(s, &why);
    if (rc != PB_OK) {
        json_decref(s);
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "$.entry.%s", name);
        return pb_error_set(err, rc, where, "field %s: %s", name, why.text);
    }
    if (json_object_set_new(fields, name, s) != 0) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory setting field %s", name);
    }
    return PB_OK;
}

/* ---- the drafts of genesis and document entries ------------------------- */

static json_t *
common_entry(const char *type, const char *origin, const char *id, const char *created)
{
    return json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "type", type, "id", id, "ledger", origin,
                     "created", created);
}

static int
finish_draft(json_t *entry, json_t **record_out, pb_error *err)
{
    if (entry == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory building a draft");
    }
    json_t *record = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
    if (record == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory building a draft");
    }
    int rc = pb_record_check_form(record, err);
    if (rc != PB_OK) {
        json_decref(record);
        return rc;
    }
    *record_out = record;
    return PB_OK;
}

int
pb_draft_genesis(const char *origin, const char *id, const char *created, json_t *partners,
                 json_t *keys, json_t **record_out, pb_error *err)
{
    json_t *entry = common_entry("genesis", origin, id, created);
    if (entry != NULL) {
        json_object_set(entry, "partners", partners);
        json_object_set(entry, "keys", keys);
    }
    return finish_draft(entry, record_out, err);
}

static int
hash_file(const char *path, char hex[65], json_int_t *size_out, pb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pb_error_set(err, PB_EIO, path, "cannot open document: %s", pb_errno_text(errno));
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    uint8_t buf[65536];
    json_int_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        crypto_hash_sha256_update(&st, buf, n);
        total += (json_int_t)n;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        return pb_error_set(err, PB_EIO, path, "cannot read document");
    }
    uint8_t digest[32];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, 32);
    *size_out = total;
    return PB_OK;
}

int
pb_draft_document(const char *origin, const char *id, const char *created, const char *path,
                  const char *title, json_t **record_out, pb_error *err)
{
    char hex[65];
    json_int_t size = 0;
    int rc = hash_file(path, hex, &size, err);
    if (rc != PB_OK) {
        return rc;
    }
    json_t *entry = common_entry("document", origin, id, created);
    if (entry != NULL) {
        json_object_set_new(entry, "sha256", json_string(hex));
        json_object_set_new(entry, "size", json_integer(size));
        json_object_set_new(entry, "title", json_string(title));
    }
    return finish_draft(entry, record_out, err);
}

int
pb_draft_check(pb_store *store, json_t *record, pb_error *err)
{
    int rc = pb_record_check_form(record, err);
    pb_snapshot snap;
    if (rc == PB_OK) {
        rc = pb_snapshot_open(store, &snap, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    rc = pb_entry_check_draft(&state, record, snap.size, err);
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_entry_same_business(const json_t *a, const json_t *b)
{
    json_t *x = json_copy((json_t *)a), *y = json_copy((json_t *)b);
    json_object_del(x, "created");
    json_object_del(y, "created");
    int same = x != NULL && y != NULL && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}
