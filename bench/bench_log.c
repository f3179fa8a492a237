/*
 * bench_log.c — appends signed document records and verifies the ledger,
 * printing records per second for each and their ratio to libsodium's raw
 * crypto_sign_verify_detached rate measured in the same run on one core.
 * usage: bench_log [RECORDS] [BATCH]     (defaults 100000 and 1000)
 * Rates are integers computed from nanosecond clocks: no floating point.
 */
#define BENCH_NAME "bench_log"
#include "bench.h"

#include <sodium.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
ratio_line(const char *what, uint64_t ours, uint64_t base)
{
    uint64_t hundredths = base == 0 ? 0 : ours * 100 / base;
    printf("%-28s %9llu records/s   ratio to raw verify %llu.%02llu\n", what,
           (unsigned long long)ours, (unsigned long long)(hundredths / 100),
           (unsigned long long)(hundredths % 100));
}

int
main(int argc, char **argv)
{
    uint64_t records = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    size_t batch = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 1000;
    if (sodium_init() < 0 || records == 0 || batch == 0) {
        return 2;
    }
    char dir[] = "/tmp/poolbook-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        return 3;
    }
    char ledger[600];
    snprintf(ledger, sizeof(ledger), "%s/bench.ledger", dir);
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
    check(pb_store_open(ledger, PB_STORE_CREATE, &store, &err), &err, "create");
    json_t *genesis = NULL;
    check(pb_draft_genesis("bench.example/log", "genesis", "2024-04-01T00:00:00Z", partners, keys,
                           &genesis, &err),
          &err, "genesis");
    check(pb_record_sign(genesis, sig_a, &err), &err, "sign");
    check(pb_record_sign(genesis, sig_b, &err), &err, "sign");
    uint64_t index = 0;
    int present = 0;
    check(pb_store_append(store, genesis, &index, &present, &err), &err, "append genesis");

    /* Sign every record first: signing is the poster's cost, not the ledger's. */
    json_t **recs = calloc(records, sizeof(json_t *));
    size_t msg_len = 0;
    for (uint64_t i = 0; i < records; i++) {
        char id[32], sha[65], title[64];
        snprintf(id, sizeof(id), "doc-%08llu", (unsigned long long)i);
        snprintf(sha, sizeof(sha), "%064llx", (unsigned long long)i);
        snprintf(title, sizeof(title), "Invoice %llu for reablement", (unsigned long long)i);
        json_t *entry =
            json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "v", 1, "type", "document", "id", id,
                      "ledger", "bench.example/log", "created", "2024-06-30T12:00:00Z", "sha256",
                      sha, "size", (json_int_t)i, "title", title);
        recs[i] = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
        check(pb_record_sign(recs[i], fin, &err), &err, "sign");
    }
    uint8_t *m = NULL;
    check(pb_entry_message(json_object_get(recs[0], "entry"), &m, &msg_len, &err), &err, "msg");
    free(m);

    uint64_t raw = raw_verify_rate(msg_len, 20000);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < records; i += batch) {
        size_t n = records - i < batch ? (size_t)(records - i) : batch;
        check(pb_store_append_batch(store, recs + i, n, NULL, NULL, &err), &err, "append");
    }
    uint64_t t1 = now_ns();
    char *note = NULL;
    check(pb_checkpoint_create(store, op, &note, &err), &err, "checkpoint");
    free(note);
    pb_verify_report report;
    uint64_t t2 = now_ns();
    check(pb_verify(store, 1, &report, &err), &err, "verify");
    uint64_t t3 = now_ns();
    check(pb_verify(store, 0, &report, &err), &err, "verify");
    uint64_t t4 = now_ns();

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("poolbook bench_log: %llu document records (%zu-byte signed messages), batches of "
           "%zu, %ld cores\n",
           (unsigned long long)records, msg_len, batch, cores);
    printf("%-28s %9llu verifies/s  (baseline: libsodium crypto_sign_verify_detached, 1 core)\n",
           "raw Ed25519 verify", (unsigned long long)raw);
    ratio_line("append (signature checked)", rate(records, t1 - t0), raw);
    ratio_line("verify, 1 thread", rate(report.records, t3 - t2), raw);
    ratio_line("verify, all cores", rate(report.records, t4 - t3), raw);

    for (uint64_t i = 0; i < records; i++) {
        json_decref(recs[i]);
    }
    free(recs);
    json_decref(genesis);
    json_decref(partners);
    json_decref(keys);
    pb_seckey_free(sig_a);
    pb_seckey_free(sig_b);
    pb_seckey_free(fin);
    pb_seckey_free(op);
    pb_store_close(store);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
