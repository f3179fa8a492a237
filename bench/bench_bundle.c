/*
 * bench_bundle.c — the audit bundle and CSV export against `verify` of the
 * LMDB ledger, measured in the same run on the same ledger: builds a ledger of
 * RECORDS signed documents with a checkpoint, then times pb_verify (the
 * baseline), pb_bundle_export to a file, pb_bundle_verify of that file (load
 * into a scratch ledger + pb_verify) and pb_export_csv, all on every core, and
 * prints records per second and each as a ratio to the baseline.
 * usage: bench_bundle [RECORDS]      (default 100000)
 * Rates are integers from nanosecond clocks: no floating point.
 */
#define BENCH_NAME "bench_bundle"
#include "bench.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

/* A ledger of genesis + records documents signed by one finance key, and a checkpoint. */
static pb_store *
build_ledger(const char *dir, uint64_t records)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/bench.ledger", dir);
    pb_error err;
    pb_error_init(&err);
    json_t *keys = json_array();
    pb_seckey *sig_a = make_key(dir, "a-sig", keys, "A", "signatory");
    pb_seckey *sig_b = make_key(dir, "b-sig", keys, "B", "signatory");
    pb_seckey *fin = make_key(dir, "a-fin", keys, "A", "finance");
    pb_seckey *op = make_key(dir, "op", keys, "A", "operator");
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "A", "name", "Council A",
                                 "kind", "council", "id", "B", "name", "ICB B", "kind", "icb");
    pb_store *store = NULL;
    check(pb_store_open(path, PB_STORE_CREATE, &store, &err), &err, "create");
    json_t *genesis = NULL;
    check(pb_draft_genesis("bench.example/bundle", "genesis", "2024-04-01T00:00:00Z", partners,
                           keys, &genesis, &err),
          &err, "genesis");
    check(pb_record_sign(genesis, sig_a, &err), &err, "sign");
    check(pb_record_sign(genesis, sig_b, &err), &err, "sign");
    check(pb_store_append_batch(store, &genesis, 1, NULL, NULL, &err), &err, "append genesis");
    enum { BATCH = 1000 };
    json_t *recs[BATCH];
    for (uint64_t i = 0; i < records; i += BATCH) {
        size_t n = records - i < BATCH ? (size_t)(records - i) : BATCH;
        for (size_t j = 0; j < n; j++) {
            char id[32], sha[65], title[64];
            snprintf(id, sizeof(id), "doc-%08llu", (unsigned long long)(i + j));
            snprintf(sha, sizeof(sha), "%064llx", (unsigned long long)(i + j));
            snprintf(title, sizeof(title), "Invoice %llu, reablement", (unsigned long long)(i + j));
            json_t *entry =
                json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "v", 1, "type", "document", "id", id,
                          "ledger", "bench.example/bundle", "created", "2024-06-30T12:00:00Z",
                          "sha256", sha, "size", (json_int_t)(i + j), "title", title);
            recs[j] = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
            check(pb_record_sign(recs[j], fin, &err), &err, "sign");
        }
        check(pb_store_append_batch(store, recs, n, NULL, NULL, &err), &err, "append");
        for (size_t j = 0; j < n; j++) {
            json_decref(recs[j]);
        }
    }
    char *note = NULL;
    check(pb_checkpoint_create(store, op, &note, &err), &err, "checkpoint");
    free(note);
    json_decref(genesis);
    json_decref(partners);
    json_decref(keys);
    pb_seckey_free(sig_a);
    pb_seckey_free(sig_b);
    pb_seckey_free(fin);
    pb_seckey_free(op);
    return store;
}

static void
ratio_line(const char *what, uint64_t ours, uint64_t base)
{
    uint64_t hundredths = base == 0 ? 0 : ours * 100 / base;
    printf("%-34s %9llu records/s   ratio to verify %llu.%02llu\n", what, (unsigned long long)ours,
           (unsigned long long)(hundredths / 100), (unsigned long long)(hundredths % 100));
}

int
main(int argc, char **argv)
{
    uint64_t records = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    if (sodium_init() < 0 || records == 0) {
        return 2;
    }
    char dir[] = "/tmp/poolbook-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        return 3;
    }
    pb_store *store = build_ledger(dir, records);
    char bundle[600], csv[600];
    snprintf(bundle, sizeof(bundle), "%s/bundle.jsonl", dir);
    snprintf(csv, sizeof(csv), "%s/entries.csv", dir);
    pb_error err;
    pb_error_init(&err);
    pb_verify_report report;
    pb_verify_report breport;

    uint64_t t0 = now_ns();
    check(pb_verify(store, 0, &report, &err), &err, "verify");
    uint64_t t1 = now_ns();
    FILE *out = fopen(bundle, "wb");
    check(out == NULL ? PB_EIO : pb_bundle_export(store, out, &err), &err, "export jsonl");
    fclose(out);
    uint64_t t2 = now_ns();
    FILE *in = fopen(bundle, "rb");
    check(in == NULL ? PB_EIO : pb_bundle_verify(in, bundle, 0, NULL, &breport, NULL, &err), &err,
          "verify --bundle");
    fclose(in);
    uint64_t t3 = now_ns();
    out = fopen(csv, "wb");
    check(out == NULL ? PB_EIO : pb_export_csv(store, out, &err), &err, "export csv");
    fclose(out);
    uint64_t t4 = now_ns();
    if (memcmp(report.root, breport.root, 32) != 0 || report.records != breport.records) {
        fprintf(stderr, "bench_bundle: the bundle's root differs from the ledger's\n");
        return 1;
    }
    uint64_t n = report.records;
    uint64_t base = rate(n, t1 - t0);
    printf("poolbook bench_bundle: %llu records (genesis and documents), all cores\n",
           (unsigned long long)n);
    ratio_line("verify (LMDB ledger, baseline)", base, base);
    ratio_line("export --format jsonl", rate(n, t2 - t1), base);
    ratio_line("verify --bundle (no ledger)", rate(n, t3 - t2), base);
    ratio_line("export --format csv", rate(n, t4 - t3), base);
    pb_store_close(store);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
