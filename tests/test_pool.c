/*
 * test_pool.c — a year of a three-partner Better Care Fund pool (monthly
 * contributions on five streams, spending on eight schemes, quarterly
 * forecasts, a virement, a reversal, each quarter closed), whose reported
 * figures must equal totals worked out independently here; and one test per
 * refusal of DESIGN 5, each leaving the records and root unchanged. Also:
 * reindex rebuilds identical derived state, and verify replays it all.
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

enum { DCC, ICB, TRUST, NPARTNERS };
static const char *const partner_ids[NPARTNERS] = {"DCC", "ICB", "TRUST"};

struct fx {
    char dir[64];
    pb_store *store;
    pb_seckey *sig[NPARTNERS], *fin[NPARTNERS], *op;
    int seq;
};

/* Streams and schemes of the pool; amounts in pence. */
static const struct {
    const char *id, *payer;
    int64_t planned;
} streams[] = {{"NHSMIN", "ICB", 1200000000},
               {"IBCF", "DCC", 600000000},
               {"DFG", "DCC", 300000000},
               {"DISCH", "ICB", 240000000},
               {"ADD", "TRUST", 60000000}};
#define NSTREAMS 5
static const struct {
    const char *id, *lead, *cls;
    int64_t budget;
} schemes[] = {{"S01", "DCC", "revenue", 500000000},   {"S02", "ICB", "revenue", 200000000},
               {"S03", "DCC", "revenue", 100000000},   {"S04", "ICB", "revenue", 400000000},
               {"S05", "DCC", "capital", 300000000},   {"S06", "TRUST", "revenue", 360000000},
               {"S07", "TRUST", "revenue", 140000000}, {"S08", "DCC", "revenue", 400000000}};
#define NSCHEMES 8

static json_t *
money(int64_t pence)
{
    char buf[PB_MONEY_TEXT_MAX];
    assert_int_equal(pb_money_format(pence, buf, sizeof(buf)), PB_OK);
    return json_string(buf);
}

static int
append(struct fx *f, json_t *rec, pb_error *err)
{
    uint64_t index;
    int present;
    if (err != NULL) {
        pb_error_init(err);
    }
    int rc = pb_store_append(f->store, rec, &index, &present, err);
    json_decref(rec);
    return rc;
}

static json_t *
pool_object(int balanced)
{
    json_t *st = json_array(), *sc = json_array();
    for (int i = 0; i < NSTREAMS; i++) {
        json_array_append_new(st, json_pack("{s:s,s:s,s:s,s:o}", "id", streams[i].id, "name",
                                            streams[i].id, "payer", streams[i].payer, "planned",
                                            money(streams[i].planned)));
    }
    for (int i = 0; i < NSCHEMES; i++) {
        int64_t b = schemes[i].budget + (!balanced && i == 0 ? 1 : 0);
        json_array_append_new(sc, json_pack("{s:s,s:s,s:s,s:o,s:s}", "id", schemes[i].id, "name",
                                            schemes[i].id, "lead", schemes[i].lead, "budget",
                                            money(b), "class", schemes[i].cls));
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[s,s,s],s:o,s:o,"
                     "s:{s:s,s:s,s:{s:s},s:{s:s}},s:s,s:s}",
                     "id", "BCF24", "name", "Test BCF 2024/25", "kind", "bcf", "year", "2024/25",
                     "term", "start", "2024-04-01", "end", "2025-03-31", "host", "DCC", "partners",
                     "DCC", "ICB", "TRUST", "streams", st, "schemes", sc, "policy", "name",
                     "pro rata", "netting", "pool", "overspend", "split", "contributions",
                     "underspend", "split", "contributions", "virement_limit", "250000.00",
                     "key_decision_threshold", "1000000.00");
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/pb-test-pool-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/l.ledger", f->dir);
    assert_int_equal(pb_store_open(path, PB_STORE_CREATE, &f->store, NULL), PB_OK);
    json_t *keys = json_array();
    for (int p = 0; p < NPARTNERS; p++) {
        char name[32];
        snprintf(name, sizeof(name), "%s-sig", partner_ids[p]);
        f->sig[p] = pbt_key(f->dir, name, partner_ids[p], "signatory", keys);
        snprintf(name, sizeof(name), "%s-fin", partner_ids[p]);
        f->fin[p] = pbt_key(f->dir, name, partner_ids[p], "finance", keys);
    }
    f->op = pbt_key(f->dir, "op", "DCC", "operator", keys);
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "DCC", "name",
                                 "Derbyshire County Council", "kind", "council", "id", "ICB",
                                 "name", "Derby and Derbyshire ICB", "kind", "icb", "id", "TRUST",
                                 "name", "Derbyshire Community Health", "kind", "trust");
    json_t *g = NULL;
    assert_int_equal(pb_draft_genesis("test.example/bcf", "genesis", "2024-04-01T09:00:00Z",
                                      partners, keys, &g, NULL),
                     PB_OK);
    for (int p = 0; p < NPARTNERS; p++) {
        assert_int_equal(pb_record_sign(g, f->sig[p], NULL), PB_OK);
    }
    assert_int_equal(append(f, g, NULL), PB_OK);
    json_decref(partners);
    json_decref(keys);
    json_t *agree = pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", pool_object(1)),
                               f->sig[0], f->sig[1], f->sig[2], NULL);
    assert_int_equal(append(f, agree, NULL), PB_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    pb_store_close(f->store);
    for (int p = 0; p < NPARTNERS; p++) {
        pb_seckey_free(f->sig[p]);
        pb_seckey_free(f->fin[p]);
    }
    pb_seckey_free(f->op);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Financial month m (1 = April 2024) and day of month as YYYY-MM-DD. */
static void
date_of(int m, int day, char *buf, size_t size)
{
    int year = m <= 9 ? 2024 : 2025;
    int month = (m + 2) % 12 + 1;
    snprintf(buf, size, "%04d-%02d-%02d", year, month, day);
}

static int
partner_index(const char *id)
{
    for (int p = 0; p < NPARTNERS; p++) {
        if (strcmp(partner_ids[p], id) == 0) {
            return p;
        }
    }
    fail();
    return -1;
}

/* Independent figures: the test's own arithmetic, not the ledger's. */
static int64_t
spend(int s, int m)
{
    return schemes[s].budget / 12 + ((s * 7 + m * 13) % 50) * 100000;
}

static int64_t
forecast(int s, int q)
{
    return schemes[s].budget + (int64_t)(s - 3) * 1000000 * q;
}

#define VIREMENT_PENCE 10000000 /* £100,000 from S03 to S01 on 2024-08-15 */

static void
post_month(struct fx *f, int m)
{
    char date[16];
    for (int i = 0; i < NSTREAMS; i++) {
        date_of(m, 5, date, sizeof(date));
        json_t *r =
            pbt_record(&f->seq, "contribution",
                       json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "pool", "BCF24", "partner",
                                 streams[i].payer, "stream", streams[i].id, "amount",
                                 money(streams[i].planned / 12), "date", date, "ref", "BACS"),
                       f->fin[partner_index(streams[i].payer)], NULL);
        assert_int_equal(append(f, r, NULL), PB_OK);
    }
    for (int s = 0; s < NSCHEMES; s++) {
        date_of(m, 15, date, sizeof(date));
        json_t *r = pbt_record(&f->seq, "expenditure",
                               json_pack("{s:s,s:s,s:o,s:s,s:s}", "pool", "BCF24", "scheme",
                                         schemes[s].id, "amount", money(spend(s, m)), "date", date,
                                         "payee", "Provider Ltd"),
                               f->fin[partner_index(schemes[s].lead)], NULL);
        assert_int_equal(append(f, r, NULL), PB_OK);
    }
}

static void
post_quarter_end(struct fx *f, int q)
{
    char date[16];
    date_of(q * 3, 28, date, sizeof(date));
    for (int s = 0; s < NSCHEMES; s++) {
        json_t *r =
            pbt_record(&f->seq, "forecast",
                       json_pack("{s:s,s:s,s:o,s:s}", "pool", "BCF24", "scheme", schemes[s].id,
                                 "amount", money(forecast(s, q)), "date", date),
                       f->fin[partner_index(schemes[s].lead)], NULL);
        assert_int_equal(append(f, r, NULL), PB_OK);
    }
    char label[16];
    snprintf(label, sizeof(label), "2024/25-Q%d", q);
    json_t *close = pbt_record(&f->seq, "period.close",
                               json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", label, "date",
                                         q < 4 ? "2025-01-01" : "2025-04-02"),
                               f->fin[DCC], NULL);
    assert_int_equal(append(f, close, NULL), PB_OK);
}

static void
post_year(struct fx *f)
{
    for (int m = 1; m <= 12; m++) {
        post_month(f, m);
        if (m == 5) {
            json_t *v = pbt_record(&f->seq, "virement",
                                   json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "pool", "BCF24", "from",
                                             "S03", "to", "S01", "amount", money(VIREMENT_PENCE),
                                             "date", "2024-08-15", "reason", "reablement demand"),
                                   f->sig[DCC], NULL);
            assert_int_equal(append(f, v, NULL), PB_OK);
        }
        if (m == 8) {
            json_t *dup = pbt_record(&f->seq, "expenditure",
                                     json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "scheme",
                                               "S02", "amount", "12345.67", "date", "2024-11-20",
                                               "payee", "Equipment Ltd (duplicate)"),
                                     f->fin[ICB], NULL);
            const char *dup_id =
                json_string_value(json_object_get(json_object_get(dup, "entry"), "id"));
            char target[32];
            snprintf(target, sizeof(target), "%s", dup_id);
            assert_int_equal(append(f, dup, NULL), PB_OK);
            json_t *rev = pbt_record(&f->seq, "reversal",
                                     json_pack("{s:s,s:s,s:s}", "target", target, "date",
                                               "2024-11-25", "reason", "duplicate invoice"),
                                     f->fin[ICB], NULL);
            assert_int_equal(append(f, rev, NULL), PB_OK);
        }
        if (m % 3 == 0) {
            post_quarter_end(f, m / 3);
        }
    }
}

static const json_t *
find_id(const json_t *arr, const char *id)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *o = json_array_get(arr, i);
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0) {
            return o;
        }
    }
    fail_msg("no %s in the report", id);
    return NULL;
}

static void
assert_money(const json_t *obj, const char *field, int64_t want)
{
    int64_t got = 0;
    assert_int_equal(pb_money_parse(json_string_value(json_object_get(obj, field)), &got, NULL),
                     PB_OK);
    if (got != want) {
        fail_msg("%s: got %lld, want %lld", field, (long long)got, (long long)want);
    }
}

static void
check_report(struct fx *f, const char *period, int end_month, int quarter)
{
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", period, &r, NULL), PB_OK);
    int64_t tb = 0, ta = 0, tf = 0, tr = 0;
    for (int s = 0; s < NSCHEMES; s++) {
        const json_t *row = find_id(json_object_get(r, "schemes"), schemes[s].id);
        int64_t budget = schemes[s].budget;
        if (end_month >= 5) { /* the virement, 2024-08-15, is in month 5 */
            budget += s == 0 ? VIREMENT_PENCE : s == 2 ? -VIREMENT_PENCE : 0;
        }
        int64_t actual = 0;
        for (int m = 1; m <= end_month; m++) {
            actual += spend(s, m);
        }
        int64_t fc = forecast(s, quarter);
        assert_money(row, "budget", budget);
        assert_money(row, "actual", actual);
        assert_money(row, "forecast", fc);
        assert_money(row, "variance", fc - budget);
        tb += budget, ta += actual, tf += fc;
    }
    for (int i = 0; i < NSTREAMS; i++) {
        const json_t *row = find_id(json_object_get(r, "streams"), streams[i].id);
        assert_money(row, "planned", streams[i].planned);
        assert_money(row, "received", streams[i].planned / 12 * end_month);
        tr += streams[i].planned / 12 * end_month;
    }
    const json_t *icb = find_id(json_object_get(r, "partners"), "ICB");
    assert_money(icb, "planned", 1200000000 + 240000000);
    assert_money(icb, "received", (1200000000 + 240000000) / 12 * end_month);
    const json_t *t = json_object_get(r, "totals");
    assert_money(t, "budget", tb);
    assert_money(t, "actual", ta);
    assert_money(t, "forecast", tf);
    assert_money(t, "variance", tf - tb);
    assert_money(t, "planned", 2400000000);
    assert_money(t, "received", tr);
    assert_string_equal(json_string_value(json_object_get(r, "period")), period);
    json_decref(r);
}

static void
test_year_figures_match_independent_totals(void **state)
{
    struct fx *f = *state;
    post_year(f);
    check_report(f, "2024/25-Q1", 3, 1);
    check_report(f, "2024/25-Q2", 6, 2);
    check_report(f, "2024/25-M09", 9, 3);
    check_report(f, "2024/25", 12, 4);
    /* Every quarter is closed, so each quarter and month is final; the year
     * is closed only by its settlement, so it is still a draft. */
    static const struct {
        const char *period, *status;
    } statuses[] = {{"2024/25-Q1", "final"}, {"2024/25-M05", "final"}, {"2024/25", "draft"}};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        json_t *r = NULL;
        assert_int_equal(pb_pool_report(f->store, "BCF24", statuses[i].period, &r, NULL), PB_OK);
        assert_string_equal(json_string_value(json_object_get(r, "status")), statuses[i].status);
        json_decref(r);
    }
    pb_verify_report vr;
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
    assert_true(vr.records > 12 * 13);
}

static void
test_reindex_rebuilds_identical_state(void **state)
{
    struct fx *f = *state;
    post_year(f);
    char *before = NULL, *after = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &before, NULL), PB_OK);
    assert_non_null(strstr(before, "agg:BCF24:12\t"));
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    assert_int_equal(pb_store_state_dump(f->store, &after, NULL), PB_OK);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void
refused(struct fx *f, json_t *rec, int code, const char *text_part)
{
    char *before = pbt_ledger_content(f->store);
    pb_error err;
    int rc = append(f, rec, &err);
    if (rc != code) {
        fail_msg("got %s (%s), want %s", pb_strerror(rc), err.text, pb_strerror(code));
    }
    if (text_part != NULL && strstr(err.text, text_part) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\"", err.text, text_part);
    }
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static json_t *
contribution(struct fx *f, const char *partner, const char *stream, const char *amount,
             const char *date, pb_seckey *k)
{
    return pbt_record(&f->seq, "contribution",
                      json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "partner", partner,
                                "stream", stream, "amount", amount, "date", date),
                      k, NULL);
}

static json_t *
expenditure(struct fx *f, const char *scheme, const char *amount, const char *date, pb_seckey *k1,
            pb_seckey *k2)
{
    return pbt_record(&f->seq, "expenditure",
                      json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "scheme", scheme,
                                "amount", amount, "date", date, "payee", "Provider Ltd"),
                      k1, k2, NULL);
}

static void
test_refuses_wrong_partner(void **state)
{
    struct fx *f = *state;
    refused(f, contribution(f, "ICB", "NHSMIN", "100.00", "2024-05-05", f->fin[DCC]),
            PB_EKEY_WRONG_PARTNER, "belongs to DCC");
    refused(f, contribution(f, "DCC", "NHSMIN", "100.00", "2024-05-05", f->fin[DCC]), PB_EPARTNER,
            "paid by ICB");
}

static void
test_refuses_wrong_role(void **state)
{
    struct fx *f = *state;
    refused(f, contribution(f, "ICB", "NHSMIN", "100.00", "2024-05-05", f->sig[ICB]),
            PB_EKEY_WRONG_ROLE, "ICB's signatory key");
    refused(f, expenditure(f, "S02", "100.00", "2024-05-05", f->fin[TRUST], NULL),
            PB_EKEY_WRONG_PARTNER, "TRUST");
}

static void
test_refuses_missing_cosignature(void **state)
{
    struct fx *f = *state;
    json_t *p = pool_object(1);
    json_object_set_new(p, "id", json_string("BCF24B"));
    refused(f,
            pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", p), f->sig[DCC],
                       f->sig[ICB], NULL),
            PB_ESIG_MISSING, "TRUST");
}

static void
test_refuses_unbalanced_agreement(void **state)
{
    struct fx *f = *state;
    json_t *p = pool_object(1);
    json_object_set_new(p, "id", json_string("BCF24C"));
    json_t *rec = pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", p), f->sig[DCC],
                             f->sig[ICB], f->sig[TRUST], NULL);
    /* Signing refuses an unbalanced draft, so unbalance it after signing. */
    json_t *unbalanced = pool_object(0);
    json_object_set_new(unbalanced, "id", json_string("BCF24C"));
    json_object_set_new(json_object_get(rec, "entry"), "pool", unbalanced);
    refused(f, rec, PB_EUNBALANCED, "do not equal scheme budgets");
}

static void
test_refuses_closed_period(void **state)
{
    struct fx *f = *state;
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "period.close",
                                       json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period",
                                                 "2024/25-Q1", "date", "2024-07-02"),
                                       f->fin[DCC], NULL),
                            NULL),
                     PB_OK);
    refused(f, expenditure(f, "S01", "100.00", "2024-06-30", f->fin[DCC], NULL), PB_EPERIOD_CLOSED,
            "2024/25-Q1");
    assert_int_equal(
        append(f, expenditure(f, "S01", "100.00", "2024-07-01", f->fin[DCC], NULL), NULL), PB_OK);
}

static void
test_refuses_zero_and_unknown(void **state)
{
    struct fx *f = *state;
    json_t *zero = expenditure(f, "S01", "1.00", "2024-05-05", f->fin[DCC], NULL);
    json_object_set_new(json_object_get(zero, "entry"), "amount", json_string("0.00"));
    refused(f, zero, PB_EAMOUNT_ZERO, "never zero");
    refused(f, expenditure(f, "S99", "10.00", "2024-05-05", f->fin[DCC], NULL), PB_EPOOL,
            "no scheme \"S99\"");
    refused(f, contribution(f, "ICB", "NOPE", "100.00", "2024-05-05", f->fin[ICB]), PB_EPOOL,
            "no funding stream");
    refused(f, expenditure(f, "S01", "10.00", "2025-04-01", f->fin[DCC], NULL), PB_EPERIOD,
            "outside pool BCF24");
}

static void
test_refuses_reversal_of_reversal(void **state)
{
    struct fx *f = *state;
    json_t *e = expenditure(f, "S01", "500.00", "2024-05-05", f->fin[DCC], NULL);
    char target[32];
    snprintf(target, sizeof(target), "%s",
             json_string_value(json_object_get(json_object_get(e, "entry"), "id")));
    assert_int_equal(append(f, e, NULL), PB_OK);
    json_t *rev = pbt_record(
        &f->seq, "reversal",
        json_pack("{s:s,s:s,s:s}", "target", target, "date", "2024-05-06", "reason", "typo"),
        f->fin[DCC], NULL);
    char rev_id[32];
    snprintf(rev_id, sizeof(rev_id), "%s",
             json_string_value(json_object_get(json_object_get(rev, "entry"), "id")));
    assert_int_equal(append(f, rev, NULL), PB_OK);
    refused(f,
            pbt_record(&f->seq, "reversal",
                       json_pack("{s:s,s:s,s:s}", "target", rev_id, "date", "2024-05-07", "reason",
                                 "undo"),
                       f->fin[DCC], NULL),
            PB_EREVERSAL, "cannot be reversed");
    refused(f,
            pbt_record(&f->seq, "reversal",
                       json_pack("{s:s,s:s,s:s}", "target", target, "date", "2024-05-07", "reason",
                                 "again"),
                       f->fin[DCC], NULL),
            PB_EREVERSAL, "already reversed");
}

static void
test_refuses_large_virement_without_cosignatures(void **state)
{
    struct fx *f = *state;
    json_t *fields = json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "from", "S03", "to", "S01",
                               "amount", "300000.00", "date", "2024-06-01");
    refused(f, pbt_record(&f->seq, "virement", json_deep_copy(fields), f->sig[DCC], NULL),
            PB_ESIG_MISSING, "ICB");
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "virement", fields, f->sig[DCC], f->sig[ICB],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
}

static void
test_refuses_key_decision_without_host_signatory(void **state)
{
    struct fx *f = *state;
    refused(f, expenditure(f, "S02", "1000000.00", "2024-05-05", f->fin[ICB], NULL),
            PB_ESIG_MISSING, "needs a signatory signature of: DCC");
    assert_int_equal(
        append(f, expenditure(f, "S02", "1000000.00", "2024-05-05", f->fin[ICB], f->sig[DCC]),
               NULL),
        PB_OK);
    assert_int_equal(
        append(f, expenditure(f, "S02", "999999.99", "2024-05-05", f->fin[ICB], NULL), NULL),
        PB_OK);
}

static void
test_partner_succeed_takes_its_place_in_pools(void **state)
{
    struct fx *f = *state;
    json_t *keys = json_array();
    pb_seckey *nsig = pbt_key(f->dir, "nicb-sig", NULL, "signatory", keys);
    pb_seckey *nfin = pbt_key(f->dir, "nicb-fin", NULL, "finance", keys);
    json_t *admit = pbt_record(&f->seq, "partner.admit",
                               json_pack("{s:{s:s,s:s,s:s},s:o}", "partner", "id", "NICB", "name",
                                         "NHS Derby ICB (merged)", "kind", "icb", "keys", keys),
                               f->sig[DCC], f->sig[ICB], f->sig[TRUST], nsig, NULL);
    assert_int_equal(append(f, admit, NULL), PB_OK);
    json_t *fields = json_pack("{s:s,s:s,s:s,s:s}", "partner", "ICB", "successor", "NICB", "date",
                               "2024-07-01", "reason", "ICBs merged");
    refused(f,
            pbt_record(&f->seq, "partner.succeed", json_deep_copy(fields), nsig, f->sig[DCC], NULL),
            PB_ESIG_MISSING, "TRUST");
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "partner.succeed", fields, nsig, f->sig[DCC],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    /* The old ICB's finance key no longer pays the stream; the successor's does. */
    refused(f, contribution(f, "ICB", "NHSMIN", "100.00", "2024-07-05", f->fin[ICB]), PB_EPARTNER,
            "ICB is not a partner of pool BCF24; partners: DCC, NICB, TRUST");
    assert_int_equal(
        append(f, contribution(f, "NICB", "NHSMIN", "100.00", "2024-07-05", nfin), NULL), PB_OK);
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q2", &r, NULL), PB_OK);
    const json_t *nhs = find_id(json_object_get(r, "streams"), "NHSMIN");
    assert_string_equal(json_string_value(json_object_get(nhs, "payer")), "NICB");
    assert_money(nhs, "received", 10000);
    assert_money(find_id(json_object_get(r, "schemes"), "S02"), "budget", 200000000);
    assert_string_equal(
        json_string_value(json_object_get(find_id(json_object_get(r, "schemes"), "S02"), "lead")),
        "NICB");
    json_decref(r);
    pb_verify_report vr;
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
    pb_seckey_free(nsig);
    pb_seckey_free(nfin);
}

static void
test_refuses_wrong_signers_of_forecast_reversal_close(void **state)
{
    struct fx *f = *state;
    /* A forecast of ICB's scheme by TRUST's finance lead. */
    refused(f,
            pbt_record(&f->seq, "forecast",
                       json_pack("{s:s,s:s,s:s,s:s}", "pool", "BCF24", "scheme", "S02", "amount",
                                 "2100000.00", "date", "2024-06-30"),
                       f->fin[TRUST], NULL),
            PB_EKEY_WRONG_PARTNER, "TRUST");
    /* A reversal by a partner other than the one that signed the original. */
    json_t *e = expenditure(f, "S02", "500.00", "2024-05-05", f->fin[ICB], NULL);
    char target[32];
    snprintf(target, sizeof(target), "%s",
             json_string_value(json_object_get(json_object_get(e, "entry"), "id")));
    assert_int_equal(append(f, e, NULL), PB_OK);
    refused(f,
            pbt_record(&f->seq, "reversal",
                       json_pack("{s:s,s:s,s:s}", "target", target, "date", "2024-05-06", "reason",
                                 "not ours"),
                       f->fin[DCC], NULL),
            PB_EKEY_WRONG_PARTNER, "DCC");
    /* Closing a period is for the host. */
    refused(f,
            pbt_record(&f->seq, "period.close",
                       json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", "2024/25-Q1", "date",
                                 "2024-07-02"),
                       f->fin[ICB], NULL),
            PB_EKEY_WRONG_PARTNER, "ICB");
    refused(f,
            pbt_record(&f->seq, "period.close",
                       json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", "2023/24-Q1", "date",
                                 "2024-07-02"),
                       f->fin[DCC], NULL),
            PB_EPERIOD, "not in pool BCF24's year");
}

static void
test_pool_vary_needs_approval_and_moves_budgets(void **state)
{
    struct fx *f = *state;
    /* New budgets: 1m from S08 to S01, balanced; and a 75% approval rule. */
    json_t *agreed = pool_object(1);
    json_t *sc = json_deep_copy(json_object_get(agreed, "schemes"));
    json_decref(agreed);
    json_object_set_new(json_array_get(sc, 0), "budget", json_string("6000000.00"));
    json_object_set_new(json_array_get(sc, 7), "budget", json_string("3000000.00"));
    json_t *set = json_pack("{s:o,s:{s:s}}", "schemes", sc, "approval", "percent", "75");
    json_t *fields = json_pack("{s:s,s:s,s:O,s:s}", "pool", "BCF24", "date", "2024-10-01", "set",
                               set, "reason", "winter pressures");
    refused(
        f, pbt_record(&f->seq, "pool.vary", json_deep_copy(fields), f->sig[DCC], f->sig[ICB], NULL),
        PB_ESIG_MISSING, "TRUST");
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "pool.vary", fields, f->sig[DCC], f->sig[ICB],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q2", &r, NULL), PB_OK);
    assert_money(find_id(json_object_get(r, "schemes"), "S01"), "budget", 500000000);
    json_decref(r);
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q3", &r, NULL), PB_OK);
    assert_money(find_id(json_object_get(r, "schemes"), "S01"), "budget", 600000000);
    assert_money(find_id(json_object_get(r, "schemes"), "S08"), "budget", 300000000);
    json_decref(r);
    /* Under the new rule, 75% of three partners rounded up is all three. */
    json_t *set2 = json_pack("{s:s}", "virement_limit", "300000.00");
    json_t *f2 = json_pack("{s:s,s:s,s:o,s:s}", "pool", "BCF24", "date", "2024-11-01", "set", set2,
                           "reason", "limit");
    refused(f, pbt_record(&f->seq, "pool.vary", json_deep_copy(f2), f->sig[DCC], f->sig[ICB], NULL),
            PB_ESIG_MISSING, "still needs a signatory signature of: TRUST");
    /* With 50%, two of three partners (1.5 rounded up) approve a variation. */
    json_t *half = json_pack("{s:s,s:s,s:{s:{s:s}},s:s}", "pool", "BCF24", "date", "2024-11-01",
                             "set", "approval", "percent", "50", "reason", "delegation");
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "pool.vary", half, f->sig[DCC], f->sig[ICB],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    refused(f, pbt_record(&f->seq, "pool.vary", json_deep_copy(f2), f->sig[DCC], NULL),
            PB_ESIG_MISSING, "needs signatory signatures of 2 partners, has 1");
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "pool.vary", json_deep_copy(f2), f->sig[DCC],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    json_decref(f2);
    json_decref(set);
}

static void
test_refuses_agreement_with_malformed_policy(void **state)
{
    struct fx *f = *state;
    json_t *p = pool_object(1);
    json_object_set_new(p, "id", json_string("BCF24D"));
    json_t *rec = pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", p), f->sig[DCC],
                             f->sig[ICB], f->sig[TRUST], NULL);
    /* Signing refuses a malformed policy, so spoil it after signing. */
    json_t *policy =
        json_object_get(json_object_get(json_object_get(rec, "entry"), "pool"), "policy");
    json_object_set_new(
        policy, "overspend",
        json_pack("{s:s,s:{s:s,s:s}}", "split", "fixed", "shares", "DCC", "60", "ICB", "30"));
    pb_error err;
    char *before = pbt_ledger_content(f->store);
    assert_int_equal(append(f, rec, &err), PB_EPOLICY);
    assert_string_equal(err.where, "$.entry.pool.policy.overspend.shares");
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* ---- settlement (DESIGN 5, 6) ---------------------------------------------- */

static json_t *
settlement(struct fx *f, const char *date, int64_t variance, const int64_t share[NPARTNERS],
           int64_t carried, pb_seckey *k1, pb_seckey *k2, pb_seckey *k3)
{
    json_t *shares = json_object();
    for (int p = 0; p < NPARTNERS; p++) {
        json_object_set_new(shares, partner_ids[p], money(share[p]));
    }
    return pbt_record(&f->seq, "settlement",
                      json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "pool", "BCF24", "year", "2024/25",
                                "date", date, "variance", money(variance), "shares", shares,
                                "unallocated", money(0), "carried_forward", money(carried)),
                      k1, k2, k3, NULL);
}

static void
test_settlement_records_the_ledgers_apportionment(void **state)
{
    struct fx *f = *state;
    post_year(f);
    /* Actual outturn: each scheme's twelve months of spend(s, m), worked out
     * apart from the ledger: S01 526,399,992p, S02 229,799,992, S03 128,199,996,
     * S04 431,599,996, S05 330,000,000, S06 388,400,000, S07 171,799,992,
     * S08 425,199,996; total 2,631,399,964p against budgets of 2,400,000,000p
     * (the virement moves budget between schemes, the reversal cancels its
     * duplicate): variance +231,399,964p, an overspend.
     * Pro rata to contributions received: DCC 900,000,000p, ICB 1,440,000,000p,
     * TRUST 60,000,000p of 2,400,000,000p, i.e. 3/8, 3/5 and 1/40:
     *   DCC   231,399,964 x 3/8  = 86,774,986.5  -> floor 86,774,986, remainder .5
     *   ICB   231,399,964 x 3/5  = 138,839,978.4 -> floor 138,839,978, remainder .4
     *   TRUST 231,399,964 / 40   = 5,784,999.1   -> floor 5,784,999, remainder .1
     * The floors leave one penny, which goes to the largest remainder: DCC. */
    static const int64_t want[NPARTNERS] = {86774987, 138839978, 5784999};
    int64_t variance = 231399964;
    assert_int_equal(want[DCC] + want[ICB] + want[TRUST], variance);
    /* Every pool signatory must sign. */
    refused(f, settlement(f, "2025-05-20", variance, want, 0, f->sig[DCC], f->sig[ICB], NULL),
            PB_ESIG_MISSING, "TRUST");
    /* A penny moved between partners still adds up, but is not the ledger's figure. */
    int64_t moved[NPARTNERS] = {want[DCC] - 1, want[ICB] + 1, want[TRUST]};
    pb_error err;
    char *before = pbt_ledger_content(f->store);
    assert_int_equal(append(f,
                            settlement(f, "2025-05-20", variance, moved, 0, f->sig[DCC],
                                       f->sig[ICB], f->sig[TRUST]),
                            &err),
                     PB_ESETTLEMENT);
    assert_string_equal(err.where, "$.entry.shares.DCC");
    assert_non_null(strstr(err.text, "DCC's share is 867,749.86 in the settlement but 867,749.87"));
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Parts that do not add up to the variance are refused on their face
     * (signing refuses such a record, so spoil it after signing). */
    json_t *bad =
        settlement(f, "2025-05-20", variance, want, 0, f->sig[DCC], f->sig[ICB], f->sig[TRUST]);
    json_object_set_new(json_object_get(bad, "entry"), "variance", money(variance + 1));
    refused(f, bad, PB_ESETTLEMENT, "add up to 2313999.64, not the variance 2313999.65");
    /* Dated before the year's end: refused. */
    refused(f,
            settlement(f, "2025-03-30", variance, want, 0, f->sig[DCC], f->sig[ICB], f->sig[TRUST]),
            PB_ESETTLEMENT, "on or after the year's last day, 2025-03-31");
    assert_int_equal(append(f,
                            settlement(f, "2025-05-20", variance, want, 0, f->sig[DCC], f->sig[ICB],
                                       f->sig[TRUST]),
                            NULL),
                     PB_OK);
    /* The year's report now takes the actual outturn and carries the settlement. */
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", NULL, &r, NULL), PB_OK);
    assert_string_equal(json_string_value(json_object_get(r, "basis")), "actual");
    assert_money(json_object_get(r, "totals"), "variance", variance);
    assert_money(json_object_get(r, "totals"), "outturn", 2631399964);
    const json_t *st = json_object_get(r, "settlement");
    assert_money(st, "closing_reserve", 0);
    assert_money(json_object_get(st, "shares"), "TRUST", want[TRUST]);
    json_decref(r);
    /* A quarter's report still shows the forecast. */
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q4", &r, NULL), PB_OK);
    assert_string_equal(json_string_value(json_object_get(r, "basis")), "forecast");
    json_decref(r);
    /* Settled once only; and settling closes the whole year. */
    refused(f,
            settlement(f, "2025-06-01", variance, want, 0, f->sig[DCC], f->sig[ICB], f->sig[TRUST]),
            PB_ESETTLEMENT, "already settled");
    /* Replay: verify and reindex recompute the settlement from the records. */
    char *state_before = NULL, *state_after = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &state_before, NULL), PB_OK);
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    assert_int_equal(pb_store_state_dump(f->store, &state_after, NULL), PB_OK);
    assert_string_equal(state_before, state_after);
    free(state_before);
    free(state_after);
    pb_verify_report vr;
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
}

static json_t *
close_quarter(struct fx *f, int q)
{
    char label[16];
    snprintf(label, sizeof(label), "2024/25-Q%d", q);
    return pbt_record(
        &f->seq, "period.close",
        json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", label, "date", "2025-04-02"),
        f->fin[DCC], NULL);
}

static void
assert_share(const json_t *explain, const char *partner, int64_t want)
{
    assert_money(json_object_get(explain, "shares"), partner, want);
}

static void
test_policy_in_force_and_carried_forward_reserve(void **state)
{
    struct fx *f = *state;
    for (int m = 1; m <= 3; m++) {
        post_month(f, m);
    }
    post_quarter_end(f, 1); /* forecasts at Q1, and Q1 closed */
    /* From 2024-10-01 the host bears overspends and underspends are carried forward. */
    json_t *fields = json_pack(
        "{s:s,s:s,s:{s:{s:s,s:s,s:{s:s},s:{s:b}}},s:s}", "pool", "BCF24", "date", "2024-10-01",
        "set", "policy", "name", "host risk, reserve kept", "netting", "pool", "overspend", "split",
        "host", "underspend", "carry_forward", 1, "reason", "board decision");
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "pool.vary", fields, f->sig[DCC], f->sig[ICB],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    /* Q2 (to 2024-09-30) is apportioned under the policy agreed first.
     * Forecasts at Q1 are budget + (s-3) x £10,000 for s = 0..7: a net
     * +(−3−2−1+0+1+2+3+4) x 1,000,000p = +4,000,000p. Received by then: three
     * months: DCC 225,000,000p, ICB 360,000,000p, TRUST 15,000,000p of
     * 600,000,000p: 3/8, 3/5, 1/40 of 4,000,000p = 1,500,000, 2,400,000 and
     * 100,000p exactly. */
    json_t *ex = NULL;
    assert_int_equal(pb_policy_explain(f->store, "BCF24", "2024/25-Q2", &ex, NULL), PB_OK);
    assert_money(ex, "variance", 4000000);
    assert_share(ex, "DCC", 1500000);
    assert_share(ex, "ICB", 2400000);
    assert_share(ex, "TRUST", 100000);
    json_decref(ex);
    /* The year, under the variation: the host bears the whole 4,000,000p. */
    assert_int_equal(pb_policy_explain(f->store, "BCF24", NULL, &ex, NULL), PB_OK);
    assert_share(ex, "DCC", 4000000);
    assert_share(ex, "ICB", 0);
    json_decref(ex);
    /* Settling before the last quarter is closed is refused, naming it. */
    int64_t actual = 0;
    for (int s = 0; s < NSCHEMES; s++) {
        for (int m = 1; m <= 3; m++) {
            actual += spend(s, m);
        }
    }
    int64_t variance = actual - 2400000000; /* three months spent of a year's budget */
    static const int64_t none[NPARTNERS] = {0, 0, 0};
    refused(f,
            settlement(f, "2025-05-20", variance, none, variance, f->sig[DCC], f->sig[ICB],
                       f->sig[TRUST]),
            PB_ESETTLEMENT, "the last quarter 2024/25-Q4 of pool BCF24 is not closed");
    for (int q = 2; q <= 4; q++) {
        assert_int_equal(append(f, close_quarter(f, q), NULL), PB_OK);
    }
    /* The actual underspend is all carried forward: every share nil. */
    assert_true(variance < 0);
    assert_int_equal(append(f,
                            settlement(f, "2025-05-20", variance, none, variance, f->sig[DCC],
                                       f->sig[ICB], f->sig[TRUST]),
                            NULL),
                     PB_OK);
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25", &r, NULL), PB_OK);
    assert_money(json_object_get(r, "settlement"), "closing_reserve", -variance);
    assert_money(json_object_get(r, "settlement"), "carried_forward", variance);
    json_decref(r);
    assert_int_equal(pb_policy_explain(f->store, "BCF24", NULL, &ex, NULL), PB_OK);
    assert_money(ex, "carried_forward", variance);
    assert_share(ex, "DCC", 0);
    json_decref(ex);
}

/* DESIGN 5: a variation keeps what it does not change. S01 agreed at
 * 5,000,000.00, 400,000.00 vired out to S02 on 2024-06-10 (above the limit:
 * every signatory); a variation of the virement limit alone on 2024-09-01
 * leaves S01 at 4,600,000.00; a later one that sets budgets sets them from
 * its date, and virements after it count on top. */
static void
test_vary_keeps_budgets_after_virements(void **state)
{
    struct fx *f = *state;
    json_t *vir = pbt_record(&f->seq, "virement",
                             json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "from", "S01",
                                       "to", "S02", "amount", "400000.00", "date", "2024-06-10",
                                       "reason", "demand"),
                             f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL);
    assert_int_equal(append(f, vir, NULL), PB_OK);
    json_t *limit =
        pbt_record(&f->seq, "pool.vary",
                   json_pack("{s:s,s:s,s:{s:s},s:s}", "pool", "BCF24", "date", "2024-09-01", "set",
                             "virement_limit", "300000.00", "reason", "limit"),
                   f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL);
    assert_int_equal(append(f, limit, NULL), PB_OK);
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q3", &r, NULL), PB_OK);
    assert_money(find_id(json_object_get(r, "schemes"), "S01"), "budget", 460000000);
    assert_money(find_id(json_object_get(r, "schemes"), "S02"), "budget", 240000000);
    assert_money(json_object_get(r, "totals"), "budget", 2400000000);
    json_decref(r);
    /* Set budgets from 2024-10-01: S01 5,200,000.00 and S08 3,800,000.00. */
    json_t *agreed = pool_object(1);
    json_t *sc = json_deep_copy(json_object_get(agreed, "schemes"));
    json_decref(agreed);
    json_object_set_new(json_array_get(sc, 0), "budget", json_string("5200000.00"));
    json_object_set_new(json_array_get(sc, 7), "budget", json_string("3800000.00"));
    json_t *set = pbt_record(&f->seq, "pool.vary",
                             json_pack("{s:s,s:s,s:{s:o},s:s}", "pool", "BCF24", "date",
                                       "2024-10-01", "set", "schemes", sc, "reason", "rebase"),
                             f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL);
    assert_int_equal(append(f, set, NULL), PB_OK);
    vir =
        pbt_record(&f->seq, "virement",
                   json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "from", "S01", "to",
                             "S03", "amount", "100000.00", "date", "2024-11-10", "reason", "small"),
                   f->sig[DCC], NULL);
    assert_int_equal(append(f, vir, NULL), PB_OK);
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q3", &r, NULL), PB_OK);
    assert_money(find_id(json_object_get(r, "schemes"), "S01"), "budget", 510000000);
    assert_money(find_id(json_object_get(r, "schemes"), "S02"), "budget", 200000000);
    assert_money(find_id(json_object_get(r, "schemes"), "S03"), "budget", 110000000);
    assert_money(find_id(json_object_get(r, "schemes"), "S08"), "budget", 380000000);
    json_decref(r);
    /* Q2 still shows the budgets before the setting variation. */
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q2", &r, NULL), PB_OK);
    assert_money(find_id(json_object_get(r, "schemes"), "S01"), "budget", 460000000);
    json_decref(r);
}

/* DESIGN 5: a variation cannot remove a scheme or stream with entries in
 * the year; it is named with its amount and the way out (budget 0.00). */
static void
test_vary_refuses_removing_used_scheme_or_stream(void **state)
{
    struct fx *f = *state;
    assert_int_equal(
        append(f, expenditure(f, "S07", "12345.67", "2024-05-20", f->fin[TRUST], NULL), NULL),
        PB_OK);
    assert_int_equal(
        append(f, contribution(f, "TRUST", "ADD", "5000.00", "2024-05-21", f->fin[TRUST]), NULL),
        PB_OK);
    json_t *agreed = pool_object(1);
    /* S07's budget moved to S06, S07 dropped. */
    json_t *sc = json_deep_copy(json_object_get(agreed, "schemes"));
    json_object_set_new(json_array_get(sc, 5), "budget", json_string("5000000.00"));
    json_array_remove(sc, 6);
    refused(f,
            pbt_record(&f->seq, "pool.vary",
                       json_pack("{s:s,s:s,s:{s:o},s:s}", "pool", "BCF24", "date", "2024-10-01",
                                 "set", "schemes", sc, "reason", "merge"),
                       f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL),
            PB_EPOOL,
            "scheme S07 has entries in 2024/25 (spent 12,345.67): a variation cannot remove it; "
            "set its budget to 0.00 instead");
    /* The ADD stream dropped, its 600,000.00 moved to DFG. */
    json_t *st = json_deep_copy(json_object_get(agreed, "streams"));
    json_object_set_new(json_array_get(st, 2), "planned", json_string("3600000.00"));
    json_array_remove(st, 4);
    refused(f,
            pbt_record(&f->seq, "pool.vary",
                       json_pack("{s:s,s:s,s:{s:o},s:s}", "pool", "BCF24", "date", "2024-10-01",
                                 "set", "streams", st, "reason", "merge"),
                       f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL),
            PB_EPOOL,
            "stream ADD has entries in 2024/25 (received 5,000.00): a variation cannot remove it; "
            "set its planned contribution to 0.00 instead");
    /* A scheme with no entries may go: S05's budget to S04. */
    sc = json_deep_copy(json_object_get(agreed, "schemes"));
    json_object_set_new(json_array_get(sc, 3), "budget", json_string("7000000.00"));
    json_array_remove(sc, 4);
    assert_int_equal(
        append(f,
               pbt_record(&f->seq, "pool.vary",
                          json_pack("{s:s,s:s,s:{s:o},s:s}", "pool", "BCF24", "date", "2024-10-01",
                                    "set", "schemes", sc, "reason", "no DFG scheme"),
                          f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL),
               NULL),
        PB_OK);
    json_decref(agreed);
}

/* DESIGN 5: at append a money entry's date is at most a day ahead of the
 * clock; a variation's date is when it takes effect and may be ahead. */
static void
test_money_dates_not_in_the_future(void **state)
{
    struct fx *f = *state;
    assert_int_equal(setenv("POOLBOOK_NOW", "2024-06-30T12:00:00Z", 1), 0);
    refused(f, expenditure(f, "S01", "100.00", "2024-07-02", f->fin[DCC], NULL), PB_EDATE,
            "date 2024-07-02 of this expenditure is in the future: today is 2024-06-30 (at most a "
            "day ahead is allowed)");
    int rc = append(f, expenditure(f, "S01", "100.00", "2024-07-01", f->fin[DCC], NULL), NULL);
    json_t *vary =
        pbt_record(&f->seq, "pool.vary",
                   json_pack("{s:s,s:s,s:{s:s},s:s}", "pool", "BCF24", "date", "2024-10-01", "set",
                             "virement_limit", "300000.00", "reason", "from October"),
                   f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL);
    int rc_vary = append(f, vary, NULL);
    assert_int_equal(unsetenv("POOLBOOK_NOW"), 0);
    assert_int_equal(rc, PB_OK);
    assert_int_equal(rc_vary, PB_OK);
}

static json_t *
close_dated(struct fx *f, const char *period, const char *date)
{
    return pbt_record(&f->seq, "period.close",
                      json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", period, "date", date),
                      f->fin[DCC], NULL);
}

/* DESIGN 5: a quarter is closed on or after its last day; the year only by
 * its settlement; a mistaken close is undone in the open by period.reopen,
 * with the pool's approval rule, and the report and the review list both. */
static void
test_period_close_rules_and_reopen(void **state)
{
    struct fx *f = *state;
    refused(f, close_dated(f, "2024/25-Q1", "2024-06-29"), PB_EPERIOD,
            "period 2024/25-Q1 of pool BCF24 cannot be closed before its last day, 2024-06-30 "
            "(this close is dated 2024-06-29)");
    refused(f, close_dated(f, "2024/25-M02", "2024-05-30"), PB_EPERIOD,
            "cannot be closed before its last day, 2024-05-31");
    refused(f, close_dated(f, "2024/25", "2025-04-02"), PB_EPERIOD,
            "the year 2024/25 of pool BCF24 is closed by its settlement (poolbook new settlement "
            "--pool BCF24), not by period.close");
    assert_int_equal(append(f, close_dated(f, "2024/25-Q1", "2024-06-30"), NULL), PB_OK);
    refused(f, expenditure(f, "S01", "100.00", "2024-06-15", f->fin[DCC], NULL), PB_EPERIOD_CLOSED,
            "period 2024/25-Q1 of pool BCF24 is closed");
    json_t *fields = json_pack("{s:s,s:s,s:s}", "pool", "BCF24", "period", "2024/25-Q2", "reason",
                               "closed in error");
    refused(f,
            pbt_record(&f->seq, "period.reopen", json_deep_copy(fields), f->sig[DCC], f->sig[ICB],
                       f->sig[TRUST], NULL),
            PB_EPERIOD, "period 2024/25-Q2 of pool BCF24 is not closed");
    json_object_set_new(fields, "period", json_string("2024/25-Q1"));
    refused(f,
            pbt_record(&f->seq, "period.reopen", json_deep_copy(fields), f->sig[DCC], f->sig[ICB],
                       NULL),
            PB_ESIG_MISSING, "still needs a signatory signature of: TRUST");
    refused(f,
            pbt_record(&f->seq, "period.reopen", json_deep_copy(fields), f->fin[DCC], f->sig[ICB],
                       f->sig[TRUST], NULL),
            PB_EKEY_WRONG_ROLE, NULL);
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "period.reopen", fields, f->sig[DCC], f->sig[ICB],
                                       f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    assert_int_equal(
        append(f, expenditure(f, "S01", "100.00", "2024-06-15", f->fin[DCC], NULL), NULL), PB_OK);
    assert_int_equal(append(f, close_dated(f, "2024/25-Q1", "2024-07-01"), NULL), PB_OK);
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24", "2024/25-Q1", &r, NULL), PB_OK);
    const json_t *periods = json_object_get(r, "periods");
    assert_int_equal(json_array_size(periods), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(periods, 1), "action")),
                        "reopen");
    assert_string_equal(json_string_value(json_object_get(json_array_get(periods, 1), "reason")),
                        "closed in error");
    assert_int_equal(json_array_size(json_object_get(r, "closed")), 1);
    json_decref(r);
    json_t *findings = NULL;
    assert_int_equal(pb_review_findings(f->store, &findings, NULL), PB_OK);
    assert_int_equal(json_array_size(findings), 1);
    const json_t *one = json_array_get(findings, 0);
    assert_string_equal(json_string_value(json_object_get(one, "kind")), "reopen");
    assert_string_equal(json_string_value(json_object_get(one, "period")), "2024/25-Q1");
    assert_int_equal(json_integer_value(json_object_get(one, "closed_by")), 2);
    json_decref(findings);
    pb_verify_report vr;
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
}

/* Append rec (which must be admitted) and return its id in buf. */
static const char *
append_id(struct fx *f, json_t *rec, char *buf, size_t size)
{
    snprintf(buf, size, "%s",
             json_string_value(json_object_get(json_object_get(rec, "entry"), "id")));
    pb_error err;
    int rc = append(f, rec, &err);
    if (rc != PB_OK) {
        fail_msg("append refused: %s", err.text);
    }
    return buf;
}

static json_t *
reversal(struct fx *f, const char *target, pb_seckey *k1, pb_seckey *k2, pb_seckey *k3)
{
    return pbt_record(&f->seq, "reversal",
                      json_pack("{s:s,s:s,s:s}", "target", target, "date", "2024-06-20", "reason",
                                "entered in error"),
                      k1, k2, k3, NULL);
}

static json_t *
virement(struct fx *f, const char *amount, pb_seckey *k1, pb_seckey *k2, pb_seckey *k3)
{
    return pbt_record(&f->seq, "virement",
                      json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "from", "S01", "to",
                                "S02", "amount", amount, "date", "2024-06-10"),
                      k1, k2, k3, NULL);
}

/* DESIGN 5: a reversal needs the authority its target needed. */
static void
test_reversal_needs_the_targets_authority(void **state)
{
    struct fx *f = *state;
    char small[64], large[64], key[64], text[200];
    /* A virement within the limit: the host's signatory, not its finance key. */
    append_id(f, virement(f, "100000.00", f->sig[DCC], NULL, NULL), small, sizeof(small));
    refused(f, reversal(f, small, f->fin[DCC], NULL, NULL), PB_EKEY_WRONG_ROLE,
            "a reversal entry needs DCC's signatory key");
    assert_int_equal(append(f, reversal(f, small, f->sig[DCC], NULL, NULL), NULL), PB_OK);
    /* Above the limit: the approval rule, every pool signatory. */
    append_id(f, virement(f, "300000.00", f->sig[DCC], f->sig[ICB], f->sig[TRUST]), large,
              sizeof(large));
    refused(f, reversal(f, large, f->sig[DCC], NULL, NULL), PB_ESIG_MISSING,
            "the reversal entry still needs a signatory signature of: ICB, TRUST");
    assert_int_equal(append(f, reversal(f, large, f->sig[DCC], f->sig[ICB], f->sig[TRUST]), NULL),
                     PB_OK);
    /* Key-decision spending: the finance key and the host's signatory. */
    append_id(f, expenditure(f, "S01", "1200000.00", "2024-06-01", f->fin[DCC], f->sig[DCC]), key,
              sizeof(key));
    snprintf(text, sizeof(text), "the reversal entry still needs a signatory signature of: DCC");
    refused(f, reversal(f, key, f->fin[DCC], NULL, NULL), PB_ESIG_MISSING, text);
    refused(f, reversal(f, key, f->sig[DCC], NULL, NULL), PB_ESIG_MISSING,
            "the reversal entry still needs a finance signature of: DCC");
    assert_int_equal(append(f, reversal(f, key, f->fin[DCC], f->sig[DCC], NULL), NULL), PB_OK);
    pb_verify_report vr;
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
}

/* The value derived state holds under key (a copy), or NULL. */
static char *
state_value(struct fx *f, const char *key)
{
    char *dump = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &dump, NULL), PB_OK);
    char line[128];
    snprintf(line, sizeof(line), "%s\t", key);
    char *at = strncmp(dump, line, strlen(line)) == 0 ? dump : NULL;
    if (at == NULL) {
        char nl[130];
        snprintf(nl, sizeof(nl), "\n%s", line);
        at = strstr(dump, nl);
        at = at != NULL ? at + 1 : NULL;
    }
    char *value = NULL;
    if (at != NULL) {
        at += strlen(line);
        value = strndup(at, strcspn(at, "\n"));
    }
    free(dump);
    return value;
}

/* A reversal finds its target through the log's id index: state keeps no
 * copy of a money entry, only what it needed beyond the finance key (kept
 * when appended, so a later variation of the limits changes nothing) and who
 * reversed it. */
static void
test_reversal_finds_target_without_copy_in_state(void **state)
{
    struct fx *f = *state;
    char plain[64], key[64], id[64];
    append_id(f, expenditure(f, "S01", "500.00", "2024-06-01", f->fin[DCC], NULL), plain,
              sizeof(plain));
    append_id(f, expenditure(f, "S01", "1200000.00", "2024-06-01", f->fin[DCC], f->sig[DCC]), key,
              sizeof(key));
    /* An auditor's kept state: the reversals below are verified in a later
     * run than their targets, which it finds through the ledger's id index. */
    char kept[128];
    snprintf(kept, sizeof(kept), "%s/auditor.state", f->dir);
    pb_verify_report vr;
    assert_int_equal(pb_verify_kept(f->store, kept, 0, 1, &vr, NULL), PB_OK);
    uint64_t first_run = vr.records;
    char mkey[80];
    snprintf(mkey, sizeof(mkey), "m:%s", plain);
    assert_null(state_value(f, mkey));
    snprintf(mkey, sizeof(mkey), "m:%s", key);
    char *v = state_value(f, mkey);
    assert_string_equal(v, "{\"needs_host_signatory\":true}");
    free(v);
    /* The threshold raised above the spending: its reversal still needs the host's signatory. */
    json_t *vary =
        pbt_record(&f->seq, "pool.vary",
                   json_pack("{s:s,s:s,s:{s:s},s:s}", "pool", "BCF24", "date", "2024-06-15", "set",
                             "key_decision_threshold", "5000000.00", "reason", "threshold"),
                   f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL);
    assert_int_equal(append(f, vary, NULL), PB_OK);
    refused(f, reversal(f, key, f->fin[DCC], NULL, NULL), PB_ESIG_MISSING,
            "the reversal entry still needs a signatory signature of: DCC");
    append_id(f, reversal(f, key, f->fin[DCC], f->sig[DCC], NULL), id, sizeof(id));
    v = state_value(f, mkey);
    char want[160];
    snprintf(want, sizeof(want), "{\"needs_host_signatory\":true,\"reversed_by\":\"%s\"}", id);
    assert_string_equal(v, want);
    free(v);
    /* The plain one: by the partner whose finance key signed it, ICB's refused. */
    refused(f, reversal(f, plain, f->fin[ICB], NULL, NULL), PB_EKEY_WRONG_PARTNER,
            "belongs to ICB, who does not sign this reversal entry");
    append_id(f, reversal(f, plain, f->fin[DCC], NULL, NULL), id, sizeof(id));
    snprintf(mkey, sizeof(mkey), "m:%s", id);
    assert_null(state_value(f, mkey)); /* a reversal keeps nothing of its own */
    /* Not a reversible entry: the pool's agreement, an unknown id. */
    refused(f, reversal(f, "no-such-id", f->fin[DCC], NULL, NULL), PB_EREVERSAL,
            "no contribution, expenditure or virement has id \"no-such-id\"");
    char *before = NULL, *after = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &before, NULL), PB_OK);
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    assert_int_equal(pb_store_state_dump(f->store, &after, NULL), PB_OK);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(pb_verify_kept(f->store, kept, 0, 1, &vr, NULL), PB_OK);
    assert_int_equal(vr.from, first_run);
    assert_int_equal(vr.records, first_run + 3);
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
}

/* One batch far larger than the write transaction's state cache (distinct
 * references, every month, reversals of entries earlier in the same batch,
 * one of the batch's own later records refused as a target): the state it
 * leaves is the one a reindex rebuilds, and a batch refused part-way leaves
 * none of it. */
static void
test_batch_beyond_state_cache_matches_reindex(void **state)
{
    struct fx *f = *state;
    enum { N = 3 * PB_STATE_CACHE_VALUES };
    json_t *recs[N + 2];
    char ids[N][64];
    for (int i = 0; i < N; i++) {
        char date[16], amount[32], ref[32];
        snprintf(date, sizeof(date), "%04d-%02d-%02d", i % 12 < 9 ? 2024 : 2025,
                 (i % 12 + 3) % 12 + 1, i % 28 + 1);
        snprintf(amount, sizeof(amount), "%d.%02d", 100 + i, i % 100);
        snprintf(ref, sizeof(ref), "INV-%05d", i);
        if (i % 10 == 9) {
            /* Reverse the entry before it, appended earlier in this batch. */
            recs[i] = pbt_record(&f->seq, "reversal",
                                 json_pack("{s:s,s:s,s:s}", "target", ids[i - 1], "date", date,
                                           "reason", "duplicate"),
                                 f->fin[DCC], NULL);
        } else {
            recs[i] = pbt_record(&f->seq, "expenditure",
                                 json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "pool", "BCF24", "scheme",
                                           i % 2 ? "S01" : "S02", "amount", amount, "date", date,
                                           "payee", "Provider Ltd", "ref", ref),
                                 f->fin[DCC], NULL);
        }
        snprintf(ids[i], sizeof(ids[i]), "%s",
                 json_string_value(json_object_get(json_object_get(recs[i], "entry"), "id")));
    }
    char *empty = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &empty, NULL), PB_OK);
    /* A reversal of a record later in the batch: refused, nothing written. */
    json_t *early = pbt_record(&f->seq, "reversal",
                               json_pack("{s:s,s:s,s:s}", "target", "LATER", "date", "2024-06-20",
                                         "reason", "typo"),
                               f->fin[DCC], NULL);
    json_t *later = pbt_record(&f->seq, "expenditure",
                               json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", "LATER", "pool",
                                         "BCF24", "scheme", "S01", "amount", "1.00", "date",
                                         "2024-06-20", "payee", "Provider Ltd"),
                               f->fin[DCC], NULL);
    json_t *bad[3] = {recs[0], early, later};
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_store_append_batch(f->store, bad, 3, NULL, NULL, &err), PB_EREVERSAL);
    assert_int_equal(err.index, 1);
    char *still = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &still, NULL), PB_OK);
    assert_string_equal(empty, still);
    uint64_t appended = 0, present = 0;
    assert_int_equal(pb_store_append_batch(f->store, recs, N, &appended, &present, NULL), PB_OK);
    assert_int_equal(appended, N);
    char *live = NULL, *rebuilt = NULL;
    assert_int_equal(pb_store_state_dump(f->store, &live, NULL), PB_OK);
    assert_non_null(strstr(live, "agg:BCF24:12\t"));
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    assert_int_equal(pb_store_state_dump(f->store, &rebuilt, NULL), PB_OK);
    assert_string_equal(live, rebuilt);
    char mkey[80];
    snprintf(mkey, sizeof(mkey), "m:%s", ids[8]);
    char *v = state_value(f, mkey);
    char want[160];
    snprintf(want, sizeof(want), "{\"reversed_by\":\"%s\"}", ids[9]);
    assert_string_equal(v, want);
    free(v);
    pb_verify_report vr;
    assert_int_equal(pb_verify(f->store, 0, &vr, NULL), PB_OK);
    for (int i = 0; i < N; i++) {
        json_decref(recs[i]);
    }
    json_decref(early);
    json_decref(later);
    free(empty);
    free(still);
    free(live);
    free(rebuilt);
}

/* A pool (id) whose NHSMIN stream has n dated instalments (instalment i in
 * financial month i % 12 + 1, on day i / 12 + 1): n - 1 of 220,000.00 and
 * the last taking the rest of the stream's 12,000,000.00; IBCF monthly, DFG
 * and ADD quarterly, DISCH without a schedule. *due_q2_out is what the
 * instalments dated by 2024-09-30 add up to, by the test's own sum. */
static json_t *
scheduled_pool(const char *id, int n, int64_t *due_q2_out)
{
    json_t *p = pool_object(1);
    json_t *dated = json_array();
    int64_t rest = streams[0].planned, due = 0;
    for (int i = 0; i < n; i++) {
        char day[PB_DATE_TEXT_MAX];
        int64_t amount = i < n - 1 ? 22000000 : rest;
        rest -= amount;
        date_of(i % 12 + 1, i / 12 + 1, day, sizeof(day));
        due += i % 12 + 1 <= 6 ? amount : 0;
        json_array_append_new(dated, json_pack("{s:s,s:o}", "date", day, "amount", money(amount)));
    }
    json_t *st = json_object_get(p, "streams");
    json_object_set_new(json_array_get(st, 0), "schedule", dated);
    json_object_set_new(json_array_get(st, 1), "schedule", json_string("monthly"));
    json_object_set_new(json_array_get(st, 2), "schedule", json_string("quarterly"));
    json_object_set_new(json_array_get(st, 4), "schedule", json_string("quarterly"));
    json_object_set_new(p, "id", json_string(id));
    *due_q2_out = due;
    return p;
}

static const json_t *
report_item(const json_t *report, const char *array, const char *id)
{
    size_t i;
    const json_t *it;
    json_array_foreach(json_object_get(report, array), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0) {
            return it;
        }
    }
    fail();
    return NULL;
}

static void
test_contribution_schedule_dues_and_limit(void **state)
{
    struct fx *f = *state;
    int64_t dated_q2 = 0;
    json_t *p = scheduled_pool("BCF24D", PB_SCHEDULE_INSTALMENTS_MAX, &dated_q2);
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", p),
                                       f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    json_t *r = NULL;
    assert_int_equal(pb_pool_report(f->store, "BCF24D", "2024/25-Q2", &r, NULL), PB_OK);
    /* Six months of twelve, two quarters of four; rounded down to the penny. */
    assert_money(report_item(r, "streams", "NHSMIN"), "due_to_date", dated_q2);
    assert_money(report_item(r, "streams", "IBCF"), "due_to_date", 600000000 / 2);
    assert_money(report_item(r, "streams", "DFG"), "due_to_date", 300000000 / 2);
    assert_money(report_item(r, "streams", "DISCH"), "due_to_date", 240000000 / 2);
    assert_money(report_item(r, "streams", "ADD"), "due_to_date", 60000000 / 2);
    assert_string_equal(json_string_value(json_object_get(report_item(r, "streams", "DISCH"),
                                                          "schedule")),
                        "pro rata");
    assert_money(report_item(r, "partners", "ICB"), "due_to_date", dated_q2 + 120000000);
    assert_string_equal(
        json_string_value(json_object_get(report_item(r, "partners", "ICB"), "due_basis")),
        "schedule and pro rata by months");
    assert_string_equal(
        json_string_value(json_object_get(report_item(r, "partners", "DCC"), "due_basis")),
        "schedule");
    json_decref(r);
    /* Month 5 (August): two months of the quarterly streams' instalments are
     * not yet due, so only the first quarter's. */
    assert_int_equal(pb_pool_report(f->store, "BCF24D", "2024/25-M05", &r, NULL), PB_OK);
    assert_money(report_item(r, "streams", "DFG"), "due_to_date", 300000000 / 4);
    assert_money(report_item(r, "streams", "IBCF"), "due_to_date", INT64_C(600000000) * 5 / 12);
    json_decref(r);
    /* One instalment past the limit is refused (signing refuses it too, so
     * put it in after signing). */
    json_t *rec = pbt_record(&f->seq, "pool.agree",
                             json_pack("{s:o}", "pool", scheduled_pool("BCF24E", 1, &dated_q2)),
                             f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL);
    p = scheduled_pool("BCF24E", PB_SCHEDULE_INSTALMENTS_MAX + 1, &dated_q2);
    json_object_set_new(json_object_get(rec, "entry"), "pool", p);
    refused(f, rec, PB_EFIELD, "1 to 53 dated instalments");
}

/* RAG thresholds from the agreement, at their edges: S01's budget is
 * 5,000,000.00, so 1 bp is 500.00; forecasts put its variance at 199 bp
 * (green under amber_bp 200), 200 bp (amber), 499.99 bp rounding to 500
 * (red at red_bp 500); an underspend rates on its magnitude. */
static void
test_rag_thresholds_from_the_agreement(void **state)
{
    struct fx *f = *state;
    static const struct {
        int64_t variance_pence;
        int bp;
        const char *rag;
    } cases[] = {{199 * 50000, 199, "green"},
                 {200 * 50000, 200, "amber"},
                 {500 * 50000 - 1, 500, "red"},
                 {-(200 * 50000), -200, "amber"},
                 {49 * 50000 / 2, 25, "green"}};
    json_t *p = pool_object(1);
    json_object_set_new(p, "id", json_string("BCF24R"));
    json_object_set_new(p, "rag", json_pack("{s:i,s:i}", "amber_bp", 200, "red_bp", 500));
    assert_int_equal(append(f,
                            pbt_record(&f->seq, "pool.agree", json_pack("{s:o}", "pool", p),
                                       f->sig[DCC], f->sig[ICB], f->sig[TRUST], NULL),
                            NULL),
                     PB_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char date[16];
        date_of((int)i + 1, 10, date, sizeof(date));
        json_t *r = pbt_record(&f->seq, "forecast",
                               json_pack("{s:s,s:s,s:o,s:s}", "pool", "BCF24R", "scheme", "S01",
                                         "amount", money(schemes[0].budget + cases[i].variance_pence),
                                         "date", date),
                               f->fin[DCC], NULL);
        assert_int_equal(append(f, r, NULL), PB_OK);
        char period[16];
        snprintf(period, sizeof(period), "2024/25-M%02d", (int)i + 1);
        json_t *report = NULL;
        assert_int_equal(pb_pool_report(f->store, "BCF24R", period, &report, NULL), PB_OK);
        const json_t *s01 = report_item(report, "schemes", "S01");
        assert_int_equal(json_integer_value(json_object_get(s01, "variance_bp")), cases[i].bp);
        assert_string_equal(json_string_value(json_object_get(s01, "rag")), cases[i].rag);
        /* Nothing of BCF24R is closed: every report of it is a draft. */
        assert_string_equal(json_string_value(json_object_get(report, "status")), "draft");
        json_decref(report);
    }
}

int
main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_year_figures_match_independent_totals),
        T(test_reindex_rebuilds_identical_state),
        T(test_refuses_wrong_partner),
        T(test_refuses_wrong_role),
        T(test_refuses_missing_cosignature),
        T(test_refuses_unbalanced_agreement),
        T(test_refuses_closed_period),
        T(test_refuses_zero_and_unknown),
        T(test_refuses_reversal_of_reversal),
        T(test_refuses_large_virement_without_cosignatures),
        T(test_refuses_key_decision_without_host_signatory),
        T(test_partner_succeed_takes_its_place_in_pools),
        T(test_refuses_wrong_signers_of_forecast_reversal_close),
        T(test_pool_vary_needs_approval_and_moves_budgets),
        T(test_refuses_agreement_with_malformed_policy),
        T(test_settlement_records_the_ledgers_apportionment),
        T(test_policy_in_force_and_carried_forward_reserve),
        T(test_vary_keeps_budgets_after_virements),
        T(test_vary_refuses_removing_used_scheme_or_stream),
        T(test_money_dates_not_in_the_future),
        T(test_period_close_rules_and_reopen),
        T(test_reversal_needs_the_targets_authority),
        T(test_reversal_finds_target_without_copy_in_state),
        T(test_batch_beyond_state_cache_matches_reindex),
        T(test_contribution_schedule_dues_and_limit),
        T(test_rag_thresholds_from_the_agreement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
