/*
 * test_draft.c — ledger/books/draft.c: the default id rule of docs/entries.md (a
 * known answer computed with Python's hashlib and json.dumps, every short
 * name, the pool and date parts left out or cut short, the refusals), the
 * generic draft builder on document entries (the types the library knows
 * today), and the setters that turn typed input into entry fields.
 */
#include "books/books.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define ORIGIN "test.example/bcf"
#define CREATED "2024-06-30T12:00:00Z"
#define SHA256_HEX "b7a574b28c2bc88c9ce2ebe5df3df7b247ce70a04d5da9e18aa7acf9234e5dd1"
/* Untouched outputs keep this text. */
#define SENTINEL "untouched"

/* A contribution entry (with an id the rule must ignore). */
static json_t *
contribution(const char *pool, const char *amount)
{
    json_t *e =
        json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "v", 1, "type", "contribution", "id",
                  "given-id", "ledger", ORIGIN, "created", CREATED, "pool", pool, "partner", "ICB",
                  "stream", "NHSMIN", "amount", amount, "date", "2024-04-15");
    assert_non_null(e);
    return e;
}

/* The default id of e, asserting success and the id's own rules. */
static void
default_id(const json_t *e, char id[PB_ID_BYTES_MAX + 1])
{
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_entry_default_id(e, id, PB_ID_BYTES_MAX + 1, &err), PB_OK);
    assert_int_equal(err.code, PB_OK);
    assert_true(strlen(id) <= PB_ID_BYTES_MAX);
    assert_int_equal(pb_field_check_id(id, "$.entry.id", NULL), PB_OK);
}

/* The last 8 characters are lowercase hex after a dash. */
static void
assert_hex_tail(const char *id)
{
    size_t len = strlen(id);
    assert_true(len > 9);
    assert_int_equal(id[len - 9], '-');
    assert_int_equal(strspn(id + len - 8, "0123456789abcdef"), 8);
}

static void
test_default_id_known_answer(void **state)
{
    (void)state;
    /* python3: json.dumps(entry without id and created, sort_keys=True,
     * separators=(",",":"), ensure_ascii=False),
     * hashlib.sha256(...).hexdigest()[:8] == "42e6d02e". */
    json_t *e = contribution("BCF24", "1250000.50");
    char id[PB_ID_BYTES_MAX + 1];
    default_id(e, id);
    assert_string_equal(id, "con-BCF24-20240415-42e6d02e");
    json_decref(e);
}

static void
test_default_id_is_deterministic_and_ignores_id(void **state)
{
    (void)state;
    json_t *e = contribution("BCF24", "1250000.50");
    char first[PB_ID_BYTES_MAX + 1];
    char again[PB_ID_BYTES_MAX + 1];
    default_id(e, first);
    default_id(e, again);
    assert_string_equal(first, again);
    json_object_set_new(e, "id", json_string("another-id"));
    default_id(e, again);
    assert_string_equal(first, again);
    json_object_del(e, "id");
    default_id(e, again);
    assert_string_equal(first, again);
    /* The entry itself is not changed by the rule. */
    assert_null(json_object_get(e, "id"));
    json_decref(e);
}

static void
test_default_id_changes_with_content(void **state)
{
    (void)state;
    json_t *a = contribution("BCF24", "1250000.50");
    json_t *b = contribution("BCF24", "1250000.51");
    char ida[PB_ID_BYTES_MAX + 1];
    char idb[PB_ID_BYTES_MAX + 1];
    default_id(a, ida);
    default_id(b, idb);
    assert_string_not_equal(ida, idb);
    /* Same prefix: only the hash part differs. */
    assert_memory_equal(ida, idb, strlen("con-BCF24-20240415-"));
    /* "created" is not: the same payment drafted a minute later has the
     * same id, so posting it again is reported as already present. */
    json_object_set_new(b, "amount", json_string("1250000.50"));
    json_object_set_new(b, "created", json_string("2024-06-30T12:01:00Z"));
    default_id(b, idb);
    assert_string_equal(ida, idb);
    json_object_set_new(b, "ref", json_string("REM-1"));
    default_id(b, idb);
    assert_string_not_equal(ida, idb);
    json_decref(a);
    json_decref(b);
}

static void
test_default_id_every_short_name(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        const char *prefix;
    } cases[] = {
        {"contribution", "con-P1-20240415-"},  {"expenditure", "exp-P1-20240415-"},
        {"forecast", "fc-P1-20240415-"},       {"virement", "vir-P1-20240415-"},
        {"reversal", "rev-P1-20240415-"},      {"period.close", "close-P1-20240415-"},
        {"pool.vary", "vary-P1-20240415-"},    {"key.add", "key-P1-20240415-"},
        {"key.revoke", "revoke-P1-20240415-"}, {"partner.admit", "admit-P1-20240415-"},
        {"pool.agree", "agree-P1-20240415-"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *e =
            json_pack("{s:s,s:s,s:s}", "type", cases[i].type, "pool", "P1", "date", "2024-04-15");
        char id[PB_ID_BYTES_MAX + 1];
        default_id(e, id);
        assert_int_equal(strlen(id), strlen(cases[i].prefix) + 8);
        assert_memory_equal(id, cases[i].prefix, strlen(cases[i].prefix));
        assert_hex_tail(id);
        json_decref(e);
    }
}

static void
test_default_id_leaves_out_missing_parts(void **state)
{
    (void)state;
    char id[PB_ID_BYTES_MAX + 1];
    /* A reversal has a date but no pool. */
    json_t *rev = json_pack("{s:s,s:s,s:s,s:s}", "type", "reversal", "target", "con-x", "date",
                            "2024-07-01", "reason", "paid twice");
    default_id(rev, id);
    assert_int_equal(strlen(id), strlen("rev-20240701-") + 8);
    assert_memory_equal(id, "rev-20240701-", strlen("rev-20240701-"));
    assert_hex_tail(id);
    /* A pool agreement has its pool as an object with an id, and no date. */
    json_t *agree = json_pack("{s:s,s:{s:s,s:s}}", "type", "pool.agree", "pool", "id", "BCF24",
                              "name", "Better Care Fund");
    default_id(agree, id);
    assert_int_equal(strlen(id), strlen("agree-BCF24-") + 8);
    assert_memory_equal(id, "agree-BCF24-", strlen("agree-BCF24-"));
    /* key.add: neither. */
    json_t *key = json_pack("{s:s,s:s}", "type", "key.add", "partner", "DCC");
    default_id(key, id);
    assert_int_equal(strlen(id), strlen("key-") + 8);
    assert_memory_equal(id, "key-", 4);
    json_decref(rev);
    json_decref(agree);
    json_decref(key);
}

/* "revoke-" + pool + "-YYYYMMDD-" + 8 hex: at most 39 bytes of pool fit in 64. */
static void
test_default_id_cuts_a_long_pool_to_64(void **state)
{
    (void)state;
    char pool[PB_ID_BYTES_MAX + 1];
    memset(pool, 'P', PB_ID_BYTES_MAX);
    pool[PB_ID_BYTES_MAX] = '\0';
    static const struct {
        const char *type;
        size_t pool_len;
        size_t kept;
    } cases[] = {
        {"key.revoke", 64, 39},   {"key.revoke", 39, 39},   {"key.revoke", 40, 39},
        {"contribution", 42, 42}, {"contribution", 43, 42},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pool[cases[i].pool_len] = '\0';
        json_t *e =
            json_pack("{s:s,s:s,s:s}", "type", cases[i].type, "pool", pool, "date", "2024-04-15");
        char id[PB_ID_BYTES_MAX + 1];
        default_id(e, id);
        size_t short_len = strchr(id, '-') - id;
        assert_int_equal(strlen(id), short_len + 1 + cases[i].kept + 1 + 8 + 1 + 8);
        assert_true(strlen(id) <= PB_ID_BYTES_MAX);
        assert_int_equal(strspn(id + short_len + 1, "P"), cases[i].kept);
        assert_hex_tail(id);
        json_decref(e);
        pool[cases[i].pool_len] = 'P';
    }
}

static void
test_default_id_keeps_older_rules(void **state)
{
    (void)state;
    char id[PB_ID_BYTES_MAX + 1];
    json_t *doc =
        json_pack("{s:s,s:s,s:s}", "type", "document", "sha256", SHA256_HEX, "title", "Minutes");
    default_id(doc, id);
    assert_string_equal(id, "doc-b7a574b28c2bc88c");
    json_t *genesis = json_pack("{s:s}", "type", "genesis");
    default_id(genesis, id);
    assert_string_equal(id, "genesis");
    json_decref(doc);
    json_decref(genesis);
}

/* Refuse e with code at where, leaving buf untouched. */
static void
assert_default_id_refused(json_t *e, int code, const char *where)
{
    char id[PB_ID_BYTES_MAX + 1] = SENTINEL;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_entry_default_id(e, id, sizeof(id), &err), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.where, where);
    assert_string_equal(id, SENTINEL);
    /* NULL error is allowed. */
    assert_int_equal(pb_entry_default_id(e, id, sizeof(id), NULL), code);
    json_decref(e);
}

static void
test_default_id_refusals(void **state)
{
    (void)state;
    assert_default_id_refused(json_pack("{s:s}", "pool", "BCF24"), PB_EFIELD, "$.entry.type");
    assert_default_id_refused(json_pack("{s:s}", "type", "frobnicate"), PB_ETYPE, "$.entry.type");
    assert_default_id_refused(json_pack("{s:s,s:s}", "type", "contribution", "pool", "BCF 24"),
                              PB_EID, "$.entry.pool");
    assert_default_id_refused(json_pack("{s:s,s:{s:s}}", "type", "pool.agree", "pool", "id", ""),
                              PB_EID, "$.entry.pool.id");
    assert_default_id_refused(
        json_pack("{s:s,s:s,s:s}", "type", "forecast", "pool", "BCF24", "date", "2024-02-30"),
        PB_EDATE, "$.entry.date");
    assert_default_id_refused(json_pack("{s:s,s:s}", "type", "document", "sha256", "XYZ"),
                              PB_EFIELD, "$.entry.sha256");
    /* Outside the canonical subset: a real number cannot be hashed canonically. */
    assert_default_id_refused(json_pack("{s:s,s:f}", "type", "forecast", "amount", 1.5),
                              PB_EJSON_FLOAT, "$.entry.amount");
}

/* ---- pb_draft_entry -------------------------------------------------------- */

static json_t *
document_fields(const char *title)
{
    json_t *f = json_pack("{s:s,s:i,s:s}", "sha256", SHA256_HEX, "size", 1305, "title", title);
    assert_non_null(f);
    return f;
}

static void
test_draft_entry_builds_a_document(void **state)
{
    (void)state;
    json_t *fields = document_fields("Minutes");
    json_t *record = NULL;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(
        pb_draft_entry(ORIGIN, "document", "minutes-1", CREATED, fields, &record, &err), PB_OK);
    char *canon = NULL;
    size_t len = 0;
    assert_int_equal(pb_json_canonical(record, &canon, &len, NULL), PB_OK);
    assert_string_equal(canon, "{\"entry\":{\"created\":\"" CREATED "\",\"id\":\"minutes-1\","
                               "\"ledger\":\"" ORIGIN "\",\"sha256\":\"" SHA256_HEX "\","
                               "\"size\":1305,\"title\":\"Minutes\",\"type\":\"document\","
                               "\"v\":1},\"sigs\":[]}");
    free(canon);
    json_decref(record);
    json_decref(fields);
}

static void
test_draft_entry_default_id(void **state)
{
    (void)state;
    json_t *fields = document_fields("Minutes");
    json_t *record = NULL;
    assert_int_equal(pb_draft_entry(ORIGIN, "document", NULL, CREATED, fields, &record, NULL),
                     PB_OK);
    json_t *entry = json_object_get(record, "entry");
    assert_string_equal(json_string_value(json_object_get(entry, "id")), "doc-b7a574b28c2bc88c");
    json_decref(record);
    json_decref(fields);
}

static void
test_draft_entry_copies_fields(void **state)
{
    (void)state;
    json_t *fields = document_fields("Minutes");
    json_t *record = NULL;
    assert_int_equal(pb_draft_entry(ORIGIN, "document", "m1", CREATED, fields, &record, NULL),
                     PB_OK);
    /* The caller's object is neither changed nor shared. */
    assert_int_equal(json_object_size(fields), 3);
    assert_int_equal(fields->refcount, 1);
    json_object_set_new(fields, "title", json_string("Changed"));
    json_t *entry = json_object_get(record, "entry");
    assert_string_equal(json_string_value(json_object_get(entry, "title")), "Minutes");
    json_decref(record);
    json_decref(fields);
}

/* pb_draft_entry refuses with code at where and leaves record_out alone. */
static void
assert_draft_refused(const char *type, const char *id, json_t *fields, int code, const char *where)
{
    json_t *sentinel = json_object();
    json_t *record = sentinel;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_draft_entry(ORIGIN, type, id, CREATED, fields, &record, &err), code);
    assert_int_equal(err.code, code);
    assert_string_equal(err.where, where);
    assert_ptr_equal(record, sentinel);
    json_decref(sentinel);
    json_decref(fields);
}

static void
test_draft_entry_refusals(void **state)
{
    (void)state;
    json_t *f = document_fields("Minutes");
    json_object_set_new(f, "id", json_string("sneaky"));
    assert_draft_refused("document", "m1", f, PB_EFIELD, "$.entry.id");
    f = document_fields("Minutes");
    json_object_set_new(f, "ledger", json_string("other.example/bcf"));
    assert_draft_refused("document", "m1", f, PB_EFIELD, "$.entry.ledger");
    assert_draft_refused("document", "m1", json_array(), PB_EFIELD, "$.entry");
    /* The type's own checks run: a document needs a title. */
    f = document_fields("Minutes");
    json_object_del(f, "title");
    assert_draft_refused("document", "m1", f, PB_EFIELD, "$.entry.title");
    f = document_fields("Minutes");
    json_object_set_new(f, "colour", json_string("red"));
    assert_draft_refused("document", "m1", f, PB_EFIELD, "$.entry.colour");
    assert_draft_refused("document", "bad id", document_fields("M"), PB_EID, "$.entry.id");
    assert_draft_refused("document", "m1", NULL, PB_EFIELD, "$.entry.sha256");
    /* A type the library does not know: refused by the form check... */
    assert_draft_refused("payment", "p1", json_object(), PB_ETYPE, "$.entry.type");
    /* ...or, without an id, by the default id rule first. */
    assert_draft_refused("payment", NULL, json_object(), PB_ETYPE, "$.entry.type");
    /* The origin is checked as in every record. */
    json_t *sentinel = NULL;
    f = document_fields("Minutes");
    assert_int_equal(pb_draft_entry("has space", "document", "m1", CREATED, f, &sentinel, NULL),
                     PB_EFIELD);
    assert_null(sentinel);
    json_decref(f);
}

static size_t alloc_count;
static size_t alloc_fail_at;

static void *
failing_malloc(size_t size)
{
    return alloc_count++ == alloc_fail_at ? NULL : malloc(size);
}

/* Every failed allocation gives PB_ENOMEM, no record and no leak (ASan). */
static void
test_draft_entry_out_of_memory(void **state)
{
    (void)state;
    json_t *fields = document_fields("Minutes");
    int rc = PB_ENOMEM;
    size_t fails = 0;
    for (alloc_fail_at = 0; rc != PB_OK && alloc_fail_at < 1000; alloc_fail_at++) {
        alloc_count = 0;
        json_t *record = NULL;
        pb_error err;
        pb_error_init(&err);
        json_set_alloc_funcs(failing_malloc, free);
        rc = pb_draft_entry(ORIGIN, "document", NULL, CREATED, fields, &record, &err);
        json_set_alloc_funcs(malloc, free);
        assert_true(rc == PB_OK || (rc == PB_ENOMEM && record == NULL));
        assert_int_equal(err.code, rc);
        fails += rc == PB_ENOMEM;
        json_decref(record);
    }
    assert_int_equal(rc, PB_OK);
    assert_true(fails > 5);
    assert_int_equal(json_object_size(fields), 3);
    json_decref(fields);
}

/* ---- pb_fields_set_* -------------------------------------------------------- */

static const char *
field(const json_t *fields, const char *name)
{
    return json_string_value(json_object_get(fields, name));
}

static void
test_set_amount_converts_friendly_input(void **state)
{
    (void)state;
    static const struct {
        const char *typed;
        const char *canonical;
    } cases[] = {
        {"1,250,000", "1250000.00"},
        {"£1,250,000.5", "1250000.50"},
        {"1250000.00", "1250000.00"},
        {"(300)", "-300.00"},
        {"-12.5", "-12.50"},
        {"0", "0.00"},
        {"10,000,000,000,000", "10000000000000.00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *fields = json_object();
        assert_int_equal(pb_fields_set_amount(fields, "amount", cases[i].typed, NULL), PB_OK);
        assert_string_equal(field(fields, "amount"), cases[i].canonical);
        json_decref(fields);
    }
}

/* set refuses text with code and the message's start, naming $.entry.<name>. */
static void
assert_set_refused(int (*set)(json_t *, const char *, const char *, pb_error *), const char *name,
                   const char *text, int code, const char *message_start)
{
    json_t *fields = json_pack("{s:s}", "pool", "BCF24");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(set(fields, name, text, &err), code);
    assert_int_equal(err.code, code);
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "$.entry.%s", name);
    assert_string_equal(err.where, where);
    assert_memory_equal(err.text, message_start, strlen(message_start));
    /* Nothing set. */
    assert_int_equal(json_object_size(fields), 1);
    assert_null(json_object_get(fields, name));
    json_decref(fields);
}

static void
test_set_amount_refusals(void **state)
{
    (void)state;
    assert_set_refused(pb_fields_set_amount, "amount", "1,25,000", PB_EMONEY,
                       "amount \"1,25,000\" ");
    assert_set_refused(pb_fields_set_amount, "amount", "12.345", PB_EMONEY, "amount \"12.345\" ");
    assert_set_refused(pb_fields_set_amount, "amount", "", PB_EMONEY, "amount is empty");
    assert_set_refused(pb_fields_set_amount, "planned", "10,000,000,000,000.01", PB_EOVERFLOW,
                       "amount \"10,000,000,000,000.01\" ");
}

static void
test_set_date_and_period(void **state)
{
    (void)state;
    json_t *fields = json_object();
    assert_int_equal(pb_fields_set_date(fields, "date", "2024-04-15", NULL), PB_OK);
    assert_int_equal(pb_fields_set_period(fields, "period", "2024/25-Q1", NULL), PB_OK);
    assert_int_equal(pb_fields_set_period(fields, "year", "2024/25", NULL), PB_OK);
    assert_int_equal(pb_fields_set_period(fields, "month", "2024/25-M06", NULL), PB_OK);
    assert_string_equal(field(fields, "date"), "2024-04-15");
    assert_string_equal(field(fields, "period"), "2024/25-Q1");
    assert_string_equal(field(fields, "year"), "2024/25");
    assert_string_equal(field(fields, "month"), "2024/25-M06");
    json_decref(fields);
    assert_set_refused(pb_fields_set_date, "date", "2024-04-31", PB_EDATE, "date \"2024-04-31\" ");
    assert_set_refused(pb_fields_set_date, "date", "15/04/2024", PB_EDATE, "date \"15/04/2024\" ");
    assert_set_refused(pb_fields_set_period, "period", "2024/25-Q5", PB_EPERIOD,
                       "period \"2024/25-Q5\" ");
    assert_set_refused(pb_fields_set_period, "period", "2024/26", PB_EPERIOD,
                       "period \"2024/26\" ");
}

static void
test_set_text(void **state)
{
    (void)state;
    json_t *fields = json_object();
    assert_int_equal(pb_fields_set_text(fields, "payee", "Care & Repair £ Ltd", NULL), PB_OK);
    assert_string_equal(field(fields, "payee"), "Care & Repair £ Ltd");
    json_decref(fields);
    /* A "£" typed in a Latin-1 terminal is the lone byte 0xA3. */
    assert_set_refused(pb_fields_set_text, "memo",
                       "\xA3"
                       "300",
                       PB_EJSON_UTF8, "field memo: ");
    assert_set_refused(pb_fields_set_text, "memo", "tab\there", PB_EJSON_CONTROL, "field memo: ");
}

static void
test_set_null_text_sets_nothing(void **state)
{
    (void)state;
    json_t *fields = json_object();
    assert_int_equal(pb_fields_set_amount(fields, "amount", NULL, NULL), PB_OK);
    assert_int_equal(pb_fields_set_date(fields, "date", NULL, NULL), PB_OK);
    assert_int_equal(pb_fields_set_period(fields, "period", NULL, NULL), PB_OK);
    assert_int_equal(pb_fields_set_text(fields, "memo", NULL, NULL), PB_OK);
    assert_int_equal(json_object_size(fields), 0);
    json_decref(fields);
}

static void
test_set_replaces_a_field(void **state)
{
    (void)state;
    json_t *fields = json_object();
    assert_int_equal(pb_fields_set_amount(fields, "amount", "1", NULL), PB_OK);
    assert_int_equal(pb_fields_set_amount(fields, "amount", "2", NULL), PB_OK);
    assert_string_equal(field(fields, "amount"), "2.00");
    assert_int_equal(json_object_size(fields), 1);
    json_decref(fields);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_id_known_answer),
        cmocka_unit_test(test_default_id_is_deterministic_and_ignores_id),
        cmocka_unit_test(test_default_id_changes_with_content),
        cmocka_unit_test(test_default_id_every_short_name),
        cmocka_unit_test(test_default_id_leaves_out_missing_parts),
        cmocka_unit_test(test_default_id_cuts_a_long_pool_to_64),
        cmocka_unit_test(test_default_id_keeps_older_rules),
        cmocka_unit_test(test_default_id_refusals),
        cmocka_unit_test(test_draft_entry_builds_a_document),
        cmocka_unit_test(test_draft_entry_default_id),
        cmocka_unit_test(test_draft_entry_copies_fields),
        cmocka_unit_test(test_draft_entry_refusals),
        cmocka_unit_test(test_draft_entry_out_of_memory),
        cmocka_unit_test(test_set_amount_converts_friendly_input),
        cmocka_unit_test(test_set_amount_refusals),
        cmocka_unit_test(test_set_date_and_period),
        cmocka_unit_test(test_set_text),
        cmocka_unit_test(test_set_null_text_sets_nothing),
        cmocka_unit_test(test_set_replaces_a_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
