/*
 * test_statement.c — pb_statement on a small two-partner pool whose every
 * figure is worked out by hand below: contributions by stream, scheme
 * figures, the pro rata share with its rounding penny, each partner's
 * position and its words in both directions, the integrity footer with and
 * without a covering checkpoint, the refusals, and that the same ledger
 * gives the same statement. Also pb_minisign_sign's signature bytes.
 *
 * The pool: ICB pays NHSMIN (planned 600,000.00), DCC pays IBCF (planned
 * 400,000.00); S01 (lead DCC) budget 700,000.00, S02 (lead ICB) 300,000.00.
 * Q1: ICB pays 150,000.00 and DCC 50,000.00; S01 spends 200,000.00 and S02
 * 80,000.00; forecasts S01 760,000.00 (+60,000.00), S02 310,000.01
 * (+10,000.01): pool variance 70,000.01 = 7,000,001 pence, an overspend,
 * split pro rata to contributions received, 50,000 : 150,000 = 1 : 3.
 * DCC exact 1,750,000.25 pence -> 1,750,000; ICB 5,250,000.75 -> 5,250,000;
 * one penny left goes to the larger remainder, ICB: DCC 17,500.00, ICB
 * 52,500.01. Positions: DCC 400,000.00 + 17,500.00 - 50,000.00 = 367,500.00
 * (DCC owes the pool); ICB 600,000.00 + 52,500.01 - 150,000.00 = 502,500.01.
 * Q2: DCC pays 500,000.00 more: weights 550,000 : 150,000 = 11 : 3 of
 * 7,000,001: DCC 5,500,000.785... -> 5,500,000 and ICB 1,500,000.214... ->
 * 1,500,000, the penny to DCC: DCC 55,000.01, ICB 15,000.00; DCC's position
 * 400,000.00 + 55,000.01 - 550,000.00 = -94,999.99: the pool owes DCC.
 */
#include "books/books.h"
#include "support.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct fx {
    char dir[64];
    pb_store *store;
    pb_seckey *dcc_sig, *icb_sig, *dcc_fin, *icb_fin, *op;
    int seq;
};

static void
append(struct fx *f, json_t *rec)
{
    uint64_t index;
    int present;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_append(f->store, rec, &index, &present, &err);
    if (rc != PB_OK) {
        print_error("append: %s (%s)\n", err.text, err.where);
    }
    assert_int_equal(rc, PB_OK);
    json_decref(rec);
}

static void
contribution(struct fx *f, const char *partner, const char *stream, const char *amount,
             const char *date, pb_seckey *key)
{
    append(f, pbt_record(&f->seq, "contribution",
                         json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "partner", partner,
                                   "stream", stream, "amount", amount, "date", date),
                         key, NULL));
}

static void
money_entry(struct fx *f, const char *type, const char *scheme, const char *amount,
            const char *date, pb_seckey *key)
{
    json_t *fields = json_pack("{s:s,s:s,s:s,s:s}", "pool", "BCF24", "scheme", scheme, "amount",
                               amount, "date", date);
    if (strcmp(type, "expenditure") == 0) {
        json_object_set_new(fields, "payee", json_string("Provider"));
    }
    append(f, pbt_record(&f->seq, type, fields, key, NULL));
}

static json_t *
pool_object(void)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[s,s],"
                     "s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}],"
                     "s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}],"
                     "s:{s:s,s:s,s:{s:s},s:{s:s}},s:s,s:s}",
                     "id", "BCF24", "name", "Test BCF", "kind", "bcf", "year", "2024/25", "term",
                     "start", "2024-04-01", "end", "2025-03-31", "host", "DCC", "partners", "DCC",
                     "ICB", "streams", "id", "NHSMIN", "name", "NHS minimum", "payer", "ICB",
                     "planned", "600000.00", "id", "IBCF", "name", "Improved BCF", "payer", "DCC",
                     "planned", "400000.00", "schemes", "id", "S01", "name", "Reablement", "lead",
                     "DCC", "budget", "700000.00", "class", "revenue", "id", "S02", "name",
                     "Equipment", "lead", "ICB", "budget", "300000.00", "class", "revenue",
                     "policy", "name", "pro rata", "netting", "pool", "overspend", "split",
                     "contributions", "underspend", "split", "contributions", "virement_limit",
                     "250000.00", "key_decision_threshold", "1000000.00");
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    /* In memory where the machine has /dev/shm: the out-of-memory loop runs
     * pb_statement some thousands of times, each remembering its verify
     * (LEDGER-verified, synced to disk). Nothing here tests the disk. */
    snprintf(f->dir, sizeof(f->dir), "%s/pb-test-statement-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    pbt_mkdtemp(f->dir);
    char path[128];
    snprintf(path, sizeof(path), "%s/l.ledger", f->dir);
    assert_int_equal(pb_store_open(path, PB_STORE_CREATE, &f->store, NULL), PB_OK);
    json_t *keys = json_array();
    f->dcc_sig = pbt_key(f->dir, "dcc-sig", "DCC", "signatory", keys);
    f->icb_sig = pbt_key(f->dir, "icb-sig", "ICB", "signatory", keys);
    f->dcc_fin = pbt_key(f->dir, "dcc-fin", "DCC", "finance", keys);
    f->icb_fin = pbt_key(f->dir, "icb-fin", "ICB", "finance", keys);
    f->op = pbt_key(f->dir, "op", "DCC", "operator", keys);
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "DCC", "name",
                                 "Derbyshire County Council", "kind", "council", "id", "ICB",
                                 "name", "Derby and Derbyshire ICB", "kind", "icb");
    json_t *g = NULL;
    assert_int_equal(pb_draft_genesis("test.example/bcf", "genesis", "2024-04-01T09:00:00Z",
                                      partners, keys, &g, NULL),
                     PB_OK);
    assert_int_equal(pb_record_sign(g, f->dcc_sig, NULL), PB_OK);
    assert_int_equal(pb_record_sign(g, f->icb_sig, NULL), PB_OK);
    append(f, g);
    json_decref(partners);
    json_decref(keys);
    append(f, pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", pool_object()),
                         f->dcc_sig, f->icb_sig, NULL));
    contribution(f, "ICB", "NHSMIN", "150000.00", "2024-05-10", f->icb_fin);
    contribution(f, "DCC", "IBCF", "50000.00", "2024-05-10", f->dcc_fin);
    money_entry(f, "expenditure", "S01", "200000.00", "2024-06-01", f->dcc_fin);
    money_entry(f, "expenditure", "S02", "80000.00", "2024-06-01", f->icb_fin);
    money_entry(f, "forecast", "S01", "760000.00", "2024-06-28", f->dcc_fin);
    money_entry(f, "forecast", "S02", "310000.01", "2024-06-28", f->icb_fin);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    pb_store_close(f->store);
    pb_seckey_free(f->dcc_sig);
    pb_seckey_free(f->icb_sig);
    pb_seckey_free(f->dcc_fin);
    pb_seckey_free(f->icb_fin);
    pb_seckey_free(f->op);
    pbt_rmdir(f->dir);
    free(f);
    return 0;
}

static json_t *
statement(struct fx *f, const char *partner, const char *period)
{
    json_t *st = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_statement(f->store, "BCF24", partner, period, &st, &err);
    if (rc != PB_OK) {
        print_error("pb_statement: %s\n", err.text);
    }
    assert_int_equal(rc, PB_OK);
    return st;
}

/* The string at a path of object keys and array indexes ("positions", "0", "due"). */
static const char *
at(const json_t *v, ...)
{
    va_list ap;
    va_start(ap, v);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *)) {
        v = json_is_array(v) ? json_array_get(v, (size_t)strtoul(k, NULL, 10))
                             : json_object_get(v, k);
    }
    va_end(ap);
    assert_non_null(json_string_value(v));
    return json_string_value(v);
}

static void
test_partner_statement_q1_hand_figures(void **state)
{
    struct fx *f = *state;
    json_t *st = statement(f, "DCC", "2024/25-Q1");
    assert_string_equal(at(st, "statement", NULL), "partner");
    assert_string_equal(at(st, "origin", NULL), "test.example/bcf");
    assert_string_equal(at(st, "partner", "name", NULL), "Derbyshire County Council");
    assert_string_equal(at(st, "pool", "host_name", NULL), "Derbyshire County Council");
    assert_string_equal(at(st, "period_end", NULL), "2024-06-30");
    assert_string_equal(at(st, "basis", NULL), "forecast");
    /* Only DCC's stream. */
    const json_t *c = json_object_get(st, "contributions");
    assert_int_equal(json_array_size(json_object_get(c, "streams")), 1);
    assert_string_equal(at(c, "streams", "0", "id", NULL), "IBCF");
    assert_string_equal(at(c, "planned", NULL), "400000.00");
    assert_string_equal(at(c, "received", NULL), "50000.00");
    assert_string_equal(at(st, "schemes", "1", "variance", NULL), "10000.01");
    assert_string_equal(at(st, "schemes", "0", "actual", NULL), "200000.00");
    assert_string_equal(at(st, "totals", "forecast", NULL), "1070000.01");
    assert_string_equal(at(st, "totals", "variance", NULL), "70000.01");
    assert_string_equal(at(st, "policy", "shares", "DCC", NULL), "17500.00");
    assert_string_equal(at(st, "policy", "shares", "ICB", NULL), "52500.01");
    assert_true(json_array_size(json_object_get(json_object_get(st, "policy"), "workings")) > 3);
    /* The partner's position alone. */
    assert_int_equal(json_array_size(json_object_get(st, "positions")), 1);
    assert_string_equal(at(st, "positions", "0", "share", NULL), "17500.00");
    assert_string_equal(at(st, "positions", "0", "paid", NULL), "50000.00");
    assert_string_equal(at(st, "positions", "0", "due", NULL), "367500.00");
    assert_string_equal(at(st, "positions", "0", "direction", NULL), "to pool");
    assert_string_equal(at(st, "positions", "0", "text", NULL), "DCC owes the pool £367,500.00");
    json_decref(st);
}

static void
test_pool_owes_partner_after_overpaying(void **state)
{
    struct fx *f = *state;
    contribution(f, "DCC", "IBCF", "500000.00", "2024-08-01", f->dcc_fin);
    json_t *st = statement(f, "DCC", "2024/25-Q2");
    assert_string_equal(at(st, "policy", "shares", "DCC", NULL), "55000.01");
    assert_string_equal(at(st, "policy", "shares", "ICB", NULL), "15000.00");
    assert_string_equal(at(st, "positions", "0", "due", NULL), "-94999.99");
    assert_string_equal(at(st, "positions", "0", "direction", NULL), "to partner");
    assert_string_equal(at(st, "positions", "0", "text", NULL), "the pool owes DCC £94,999.99");
    json_decref(st);
}

static void
test_summary_has_every_stream_and_position(void **state)
{
    struct fx *f = *state;
    json_t *st = statement(f, NULL, "2024/25-Q1");
    assert_string_equal(at(st, "statement", NULL), "pool");
    assert_true(json_is_null(json_object_get(st, "partner")));
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(st, "contributions"), "streams")), 2);
    assert_string_equal(at(st, "contributions", "received", NULL), "200000.00");
    assert_int_equal(json_array_size(json_object_get(st, "positions")), 2);
    assert_string_equal(at(st, "positions", "1", "partner", NULL), "ICB");
    assert_string_equal(at(st, "positions", "1", "due", NULL), "502500.01");
    assert_string_equal(at(st, "positions", "1", "text", NULL), "ICB owes the pool £502,500.01");
    json_decref(st);
}

static void
test_integrity_names_the_covering_checkpoint(void **state)
{
    struct fx *f = *state;
    uint64_t size = 0;
    assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
    json_t *st = statement(f, "ICB", "2024/25-Q1");
    const json_t *in = json_object_get(st, "integrity");
    assert_true(json_is_null(json_object_get(in, "checkpoint"))); /* none yet */
    assert_int_equal(json_integer_value(json_object_get(in, "tree_size")), (json_int_t)size);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(in, "verification"), "records")),
        (json_int_t)size);
    json_decref(st);
    char *note = NULL;
    assert_int_equal(pb_checkpoint_create(f->store, f->op, &note, NULL), PB_OK);
    st = statement(f, "ICB", "2024/25-Q1");
    const json_t *cp = json_object_get(json_object_get(st, "integrity"), "checkpoint");
    assert_int_equal(json_integer_value(json_object_get(cp, "tree_size")), (json_int_t)size);
    assert_string_equal(at(cp, "note", NULL), note);
    assert_int_equal(json_array_size(json_object_get(cp, "signatures")), 1);
    assert_non_null(strstr(note, at(cp, "signatures", "0", NULL)));
    assert_non_null(strstr(note, at(cp, "root", NULL)));
    free(note);
    json_decref(st);
    /* One more record: the checkpoint no longer covers what was read. */
    contribution(f, "ICB", "NHSMIN", "1.00", "2024-06-02", f->icb_fin);
    st = statement(f, "ICB", "2024/25-Q1");
    assert_true(json_is_null(json_object_get(json_object_get(st, "integrity"), "checkpoint")));
    json_decref(st);
}

static void
test_same_ledger_same_statement(void **state)
{
    struct fx *f = *state;
    json_t *a = statement(f, "DCC", "2024/25-Q1");
    json_t *b = statement(f, "DCC", "2024/25-Q1");
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

static void
refused(struct fx *f, const char *pool, const char *partner, const char *period, int code,
        const char *text)
{
    json_t *st = NULL;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_statement(f->store, pool, partner, period, &st, &err), code);
    assert_null(st);
    assert_string_equal(err.text, text);
}

static void
test_refusals(void **state)
{
    struct fx *f = *state;
    refused(f, "BCF24", "TRUST", "2024/25-Q1", PB_EPARTNER,
            "TRUST is not a partner of pool BCF24; partners: DCC, ICB");
    refused(f, "BCF24", "DCC", "2024/25-Q3", PB_ENOTFOUND,
            "pool BCF24 has no money entries dated in 2024/25-Q3 (2024-10-01 to 2024-12-31): "
            "nothing to state");
    refused(f, "BCF24", "DCC", "2023/24-Q1", PB_EPERIOD,
            "period 2023/24-Q1 is not in pool BCF24's year 2024/25");
    json_t *st = NULL;
    assert_int_equal(pb_statement(f->store, "BCF24", "DCC", "2024/25-Q5", &st, NULL), PB_EPERIOD);
    assert_int_equal(pb_statement(f->store, "NOPE", "DCC", "2024/25-Q1", &st, NULL), PB_EPOOL);
    assert_null(st);
}

/* The signature file's bytes: "ED" || key number || Ed25519(BLAKE2b-512(msg)),
 * then the global signature over that signature and the trusted comment. */
static void
test_minisign_signature_bytes(void **state)
{
    struct fx *f = *state;
    const char msg[] = "abc  file.txt\n";
    char *sig = NULL, *again = NULL;
    assert_int_equal(
        pb_minisign_sign(f->op, (const uint8_t *)msg, strlen(msg), "u", "t c", &sig, NULL), PB_OK);
    assert_int_equal(
        pb_minisign_sign(f->op, (const uint8_t *)msg, strlen(msg), "u", "t c", &again, NULL),
        PB_OK);
    assert_string_equal(sig, again); /* deterministic */
    char line2[128], line4[128];
    assert_int_equal(
        sscanf(sig, "untrusted comment: u\n%127s\ntrusted comment: t c\n%127s", line2, line4), 2);
    uint8_t bin[74], global[64], prehash[64];
    size_t len = 0;
    assert_int_equal(sodium_base642bin(bin, sizeof(bin), line2, strlen(line2), NULL, &len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(len, 74);
    assert_memory_equal(bin, "ED", 2);
    pb_pubkey pub;
    pb_seckey_public(f->op, &pub);
    assert_memory_equal(bin + 2, pub.key_id, 8);
    crypto_generichash(prehash, sizeof(prehash), (const uint8_t *)msg, strlen(msg), NULL, 0);
    assert_int_equal(crypto_sign_verify_detached(bin + 10, prehash, sizeof(prehash), pub.key), 0);
    assert_int_equal(sodium_base642bin(global, sizeof(global), line4, strlen(line4), NULL, &len,
                                       NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    uint8_t both[64 + 3];
    memcpy(both, bin + 10, 64);
    memcpy(both + 64, "t c", 3);
    assert_int_equal(crypto_sign_verify_detached(global, both, sizeof(both), pub.key), 0);
    free(again);
    free(sig);
    sig = NULL;
    assert_int_equal(
        pb_minisign_sign(f->op, (const uint8_t *)msg, strlen(msg), "u", "two\nlines", &sig, NULL),
        PB_EUSAGE);
    assert_null(sig);
}

/* Allocations failed one at a time in the loop below: every one in the
 * normal build; every OOM_STRIDE_SANITIZE-th under PB_SANITIZE=ON (set by
 * tests.cmake), where ASan runs at a quarter of the speed. */
#define OOM_STRIDE_SANITIZE 7

static size_t
oom_stride(void)
{
    const char *sanitize = getenv("PB_SANITIZE");
    return sanitize != NULL && strcmp(sanitize, "ON") == 0 ? OOM_STRIDE_SANITIZE : 1;
}

/* For n = 0, 1, 2, ... jansson's allocation n fails inside pb_statement:
 * each run gives exactly the unfailed statement or PB_ENOMEM and no
 * statement, never success with other figures (issue 13 item 8). */
static size_t
statement_oom_loop(struct fx *f, const char *partner, const char *period, size_t stride)
{
    json_t *want = statement(f, partner, period);
    size_t nomem = 0;
    int done = 0;
    for (size_t fail_at = 0; !done && fail_at < 1000000; fail_at += stride) {
        json_t *st = NULL;
        pb_error err;
        pb_error_init(&err);
        pbt_alloc_fail_start(fail_at);
        int rc = pb_statement(f->store, "BCF24", partner, period, &st, &err);
        done = pbt_alloc_fail_stop() <= fail_at;
        if (rc == PB_OK && !json_equal(st, want)) {
            const char *key;
            json_t *v;
            json_object_foreach(want, key, v)
            {
                if (!json_equal(v, json_object_get(st, key))) {
                    char *w = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
                    char *g = json_dumps(json_object_get(st, key), JSON_SORT_KEYS | JSON_ENCODE_ANY);
                    print_error("allocation %zu: a different %s:\n%.3000s\ninstead of\n%.3000s\n",
                                fail_at, key, g != NULL ? g : "(none)", w);
                    free(g);
                    free(w);
                }
            }
        }
        if (rc == PB_OK) {
            assert_true(json_equal(st, want));
        } else {
            if (rc != PB_ENOMEM) {
                print_error("allocation %zu: %s (%s)\n", fail_at, err.text, err.where);
            }
            assert_int_equal(rc, PB_ENOMEM);
            assert_int_equal(err.code, PB_ENOMEM);
            assert_null(st);
            nomem++;
        }
        assert_true(!done || rc == PB_OK);
        json_decref(st);
    }
    assert_true(done);
    json_decref(want);
    print_message("pb_statement %s %s: %zu failed allocations (stride %zu) gave PB_ENOMEM\n",
                  partner != NULL ? partner : "(pool)", period, nomem, stride);
    return nomem;
}

/* A partner's Q1 statement (no movement), and, after a Q2 contribution, the
 * pool's Q2 summary (the movement since Q1, every partner's position); the
 * statements leave the ledger unchanged. */
static void
test_statement_out_of_memory(void **state)
{
    struct fx *f = *state;
    char *before = pbt_ledger_content(f->store);
    size_t stride = oom_stride();
    assert_true(statement_oom_loop(f, "DCC", "2024/25-Q1", stride) > 100 / stride);
    contribution(f, "DCC", "IBCF", "500000.00", "2024-08-01", f->dcc_fin);
    free(before);
    before = pbt_ledger_content(f->store);
    assert_true(statement_oom_loop(f, NULL, "2024/25-Q2", stride) > 100 / stride);
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(after, before);
    free(after);
    free(before);
}

/* The year settled (report.c's settlement path): actual outturn S01
 * 200,000.00 and S02 80,000.00 against budgets of 1,000,000.00, an
 * underspend of 720,000.00 split pro rata to contributions received, DCC
 * 50,000.00 : ICB 150,000.00 = 1 : 3: DCC 180,000.00, ICB 540,000.00. DCC's
 * statement of the year runs the same loop. */
static void
test_settled_year_statement_out_of_memory(void **state)
{
    struct fx *f = *state;
    for (int q = 1; q <= 4; q++) {
        char label[16];
        snprintf(label, sizeof(label), "2024/25-Q%d", q);
        append(f, pbt_record(&f->seq, "period.close",
                             json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", label, "date",
                                       q < 4 ? "2025-01-01" : "2025-04-02"),
                             f->dcc_fin, NULL));
    }
    json_t *shares = json_pack("{s:s,s:s}", "DCC", "-180000.00", "ICB", "-540000.00");
    append(f, pbt_record(&f->seq, "settlement",
                         json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "pool", "BCF24", "year",
                                   "2024/25", "date", "2025-05-20", "variance", "-720000.00",
                                   "shares", shares, "unallocated", "0.00", "carried_forward",
                                   "0.00"),
                         f->dcc_sig, f->icb_sig, NULL));
    json_t *year = statement(f, "DCC", "2024/25");
    assert_non_null(json_object_get(year, "settlement"));
    json_decref(year);
    char *before = pbt_ledger_content(f->store);
    size_t stride = oom_stride();
    assert_true(statement_oom_loop(f, "DCC", "2024/25", stride) > 100 / stride);
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(after, before);
    free(after);
    free(before);
}

int
main(void)
{
    assert_true(sodium_init() >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_partner_statement_q1_hand_figures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_owes_partner_after_overpaying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_has_every_stream_and_position, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_integrity_names_the_covering_checkpoint, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_ledger_same_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settled_year_statement_out_of_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minisign_signature_bytes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
