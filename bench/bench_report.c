/*
 * bench_report.c — the cost of `pool show` must not grow with the entries of
 * other pools (docs/reports.md). Times pb_pool_report on pool A, then appends
 * many entries to pool B and times it again: the figure is the ratio after ÷
 * before (1.00 is ideal), with absolute microseconds for reference.
 * usage: bench_report [OTHER_ENTRIES]   (default 100000)
 */
#define BENCH_NAME "bench_report"
#include "bench.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

static json_t *
signed_record(const char *type, const char *id, json_t *fields, pb_seckey *a, pb_seckey *b)
{
    json_t *entry = json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "type", type, "id", id, "ledger",
                              "bench.example/pools", "created", "2024-04-01T09:00:00Z");
    json_object_update(entry, fields);
    json_decref(fields);
    json_t *rec = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
    pb_error err;
    pb_error_init(&err);
    check(pb_record_sign(rec, a, &err), &err, "sign");
    if (b != NULL) {
        check(pb_record_sign(rec, b, &err), &err, "sign");
    }
    return rec;
}

static json_t *
pool(const char *id)
{
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[s,s],s:[{s:s,s:s,s:s,s:s}],"
        "s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}],"
        "s:{s:s,s:s,s:{s:s},s:{s:s}},s:s,s:s}",
        "id", id, "name", id, "kind", "bcf", "year", "2024/25", "term", "start", "2024-04-01",
        "end", "2025-03-31", "host", "A", "partners", "A", "B", "streams", "id", "MIN", "name",
        "min", "payer", "B", "planned", "1000000000.00", "schemes", "id", "S1", "name", "s1",
        "lead", "A", "budget", "600000000.00", "class", "revenue", "id", "S2", "name", "s2", "lead",
        "A", "budget", "400000000.00", "class", "revenue", "policy", "name", "pro rata", "netting",
        "pool", "overspend", "split", "contributions", "underspend", "split", "contributions",
        "virement_limit", "0.00", "key_decision_threshold", "0.00");
}

/* Append n expenditure entries to pool_id, spread over the year, in batches. */
static void
spend(pb_store *store, const char *pool_id, uint64_t n, pb_seckey *fin)
{
    enum { BATCH = 1000 };
    json_t *recs[BATCH];
    pb_error err;
    pb_error_init(&err);
    for (uint64_t i = 0; i < n; i += BATCH) {
        size_t count = n - i < BATCH ? (size_t)(n - i) : BATCH;
        for (size_t j = 0; j < count; j++) {
            char id[48], date[16];
            uint64_t k = i + j;
            snprintf(id, sizeof(id), "%s-%llu", pool_id, (unsigned long long)k);
            snprintf(date, sizeof(date), "2024-%02d-%02d", (int)(4 + k % 9), (int)(1 + k % 28));
            recs[j] = signed_record("expenditure", id,
                                    json_pack("{s:s,s:s,s:s,s:s,s:s}", "pool", pool_id, "scheme",
                                              k % 2 ? "S1" : "S2", "amount", "12.34", "date", date,
                                              "payee", "p"),
                                    fin, NULL);
        }
        check(pb_store_append_batch(store, recs, count, NULL, NULL, &err), &err, "append");
        for (size_t j = 0; j < count; j++) {
            json_decref(recs[j]);
        }
    }
}

static uint64_t
report_ns(pb_store *store)
{
    enum { N = 2000 };
    pb_error err;
    pb_error_init(&err);
    uint64_t t0 = now_ns();
    for (int i = 0; i < N; i++) {
        json_t *r = NULL;
        check(pb_pool_report(store, "POOLA", "2024/25-Q3", &r, &err), &err, "report");
        json_decref(r);
    }
    return (now_ns() - t0) / N;
}

int
main(int argc, char **argv)
{
    uint64_t other = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    char dir[] = "/tmp/poolbook-bench-report-XXXXXX";
    if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
        return 3;
    }
    char path[600];
    snprintf(path, sizeof(path), "%s/r.ledger", dir);
    pb_error err;
    pb_error_init(&err);
    pb_store *store = NULL;
    check(pb_store_open(path, PB_STORE_CREATE, &store, &err), &err, "create");
    json_t *keys = json_array();
    pb_seckey *sa = make_key(dir, "sa", keys, "A", "signatory");
    pb_seckey *sb = make_key(dir, "sb", keys, "B", "signatory");
    pb_seckey *fa = make_key(dir, "fa", keys, "A", "finance");
    make_key(dir, "op", keys, "A", "operator");
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "A", "name", "A", "kind",
                                 "council", "id", "B", "name", "B", "kind", "icb");
    json_t *g = NULL;
    check(pb_draft_genesis("bench.example/pools", "genesis", "2024-04-01T09:00:00Z", partners, keys,
                           &g, &err),
          &err, "genesis");
    check(pb_record_sign(g, sa, &err), &err, "sign");
    check(pb_record_sign(g, sb, &err), &err, "sign");
    uint64_t index;
    int present;
    check(pb_store_append(store, g, &index, &present, &err), &err, "append");
    const char *ids[] = {"POOLA", "POOLB"};
    for (int p = 0; p < 2; p++) {
        json_t *agree =
            signed_record("pool.agree", ids[p], json_pack("{s:o}", "pool", pool(ids[p])), sa, sb);
        check(pb_store_append(store, agree, &index, &present, &err), &err, "agree");
        json_decref(agree);
    }
    spend(store, "POOLA", 1200, fa);
    uint64_t before = report_ns(store);
    spend(store, "POOLB", other, fa);
    uint64_t after = report_ns(store);
    uint64_t hundredths = before == 0 ? 0 : after * 100 / before;
    printf("poolbook bench_report: pool A has 1200 entries; pool B grows by %llu entries\n",
           (unsigned long long)other);
    printf("pool show (Q3) before  %8llu us   (baseline)\n", (unsigned long long)(before / 1000));
    printf("pool show (Q3) after   %8llu us   ratio to baseline %llu.%02llu (1.00 = no growth)\n",
           (unsigned long long)(after / 1000), (unsigned long long)(hundredths / 100),
           (unsigned long long)(hundredths % 100));
    json_decref(g);
    json_decref(partners);
    json_decref(keys);
    pb_seckey_free(sa);
    pb_seckey_free(sb);
    pb_seckey_free(fa);
    pb_store_close(store);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
