/*
 * bench_post.c — the cost of one `post` in process: build an expenditure
 * draft, sign it, append it (admission, which verifies the signature, and one
 * synced LMDB commit), against the three primitives it cannot avoid, measured
 * in the same run on the same file system: an Ed25519 signature, an Ed25519
 * verification (libsodium, messages of the entry's size) and a synced LMDB
 * commit of one record-sized put into a file beside the ledger. Prints
 * nanoseconds per operation and the ratio post / (sign + verify + commit);
 * the goal is within 1.5x. Run it on a quiet machine: bench/bench_post.sh
 * founds the ledger, runs this, and times the same post as a process.
 * usage: bench_post LEDGER SECKEY [POSTS]   (default 200; LEDGER holds pool
 *        BCF24 with scheme S01, SECKEY is a finance key of its host)
 * The last line is "primitives_ns N" for the shell wrapper.
 */
#define BENCH_NAME "bench_post"
#include "bench.h"

#include <lmdb.h>
#include <string.h>
#include <unistd.h>

static void
ratio_line(const char *what, uint64_t ns, uint64_t base_ns)
{
    uint64_t hundredths = base_ns == 0 ? 0 : ns * 100 / base_ns;
    printf("%-34s %10llu ns   ratio to sign+verify+commit %llu.%02llu\n", what,
           (unsigned long long)ns, (unsigned long long)(hundredths / 100),
           (unsigned long long)(hundredths % 100));
}

/* One synced commit of a put of len bytes, count times, in a fresh file. */
static uint64_t
commit_ns(const char *dir, size_t len, int count)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/bench-post-commit.mdb", dir);
    MDB_env *env = NULL;
    if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, (size_t)1 << 30) != 0 ||
        mdb_env_open(env, path, MDB_NOSUBDIR, 0600) != 0) {
        fprintf(stderr, "bench_post: cannot open %s\n", path);
        exit(3);
    }
    char *value = calloc(1, len);
    uint64_t t0 = now_ns();
    for (int i = 0; i < count; i++) {
        MDB_txn *txn = NULL;
        MDB_dbi dbi;
        uint64_t key = (uint64_t)i;
        MDB_val k = {sizeof(key), &key};
        MDB_val v = {len, value};
        if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_dbi_open(txn, NULL, 0, &dbi) != 0 ||
            mdb_put(txn, dbi, &k, &v, 0) != 0 || mdb_txn_commit(txn) != 0) {
            fprintf(stderr, "bench_post: commit failed\n");
            exit(3);
        }
    }
    uint64_t t1 = now_ns();
    free(value);
    mdb_env_close(env);
    unlink(path);
    char lock[4300];
    snprintf(lock, sizeof(lock), "%s-lock", path);
    unlink(lock);
    return (t1 - t0) / (uint64_t)count;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_post LEDGER SECKEY [POSTS]\n");
        return 2;
    }
    int posts = argc > 3 ? atoi(argv[3]) : 200;
    if (posts <= 0) {
        return 2;
    }
    pb_error err;
    pb_error_init(&err);
    pb_seckey *key = NULL;
    check(pb_seckey_load(argv[2], NULL, &key, &err), &err, "load key");
    pb_store *store = NULL;
    check(pb_store_open(argv[1], 0, &store, &err), &err, "open");
    char origin[256];
    check(pb_store_origin(store, origin, sizeof(origin), &err), &err, "origin");

    size_t msg_len = 0;
    size_t rec_len = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < posts; i++) {
        char payee[64], ref[32], created[32];
        snprintf(payee, sizeof(payee), "Provider %d", i);
        snprintf(ref, sizeof(ref), "BENCH-%07d", i);
        pb_now(created, sizeof(created));
        json_t *fields = json_object();
        check(pb_fields_set_text(fields, "pool", "BCF24", &err), &err, "field");
        check(pb_fields_set_text(fields, "scheme", "S01", &err), &err, "field");
        check(pb_fields_set_amount(fields, "amount", "1,234.56", &err), &err, "field");
        check(pb_fields_set_date(fields, "date", "2024-05-15", &err), &err, "field");
        check(pb_fields_set_text(fields, "payee", payee, &err), &err, "field");
        check(pb_fields_set_text(fields, "ref", ref, &err), &err, "field");
        json_t *record = NULL;
        check(pb_draft_entry(origin, "expenditure", NULL, created, fields, &record, &err), &err,
              "draft");
        check(pb_record_sign(record, key, &err), &err, "sign");
        uint64_t index = 0;
        int present = 0;
        check(pb_store_append(store, record, &index, &present, &err), &err, "append");
        if (i == 0) {
            uint8_t *m = NULL;
            check(pb_entry_message(json_object_get(record, "entry"), &m, &msg_len, &err), &err,
                  "message");
            free(m);
            char *bytes = json_dumps(record, JSON_COMPACT);
            rec_len = strlen(bytes);
            free(bytes);
        }
        json_decref(record);
        json_decref(fields);
    }
    uint64_t post_ns = (now_ns() - t0) / (uint64_t)posts;

    /* The primitives, on messages and records of the same size. */
    uint8_t pk[32], sk[64], sig[64];
    uint8_t *msg = calloc(1, msg_len);
    crypto_sign_keypair(pk, sk);
    enum { PRIM = 2000 };
    uint64_t s0 = now_ns();
    for (int i = 0; i < PRIM; i++) {
        msg[0] = (uint8_t)i;
        crypto_sign_detached(sig, NULL, msg, msg_len, sk);
    }
    uint64_t sign_ns = (now_ns() - s0) / PRIM;
    uint64_t verify_ns = 1000000000u / raw_verify_rate(msg_len, PRIM);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", argv[1]);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    } else {
        snprintf(dir, sizeof(dir), ".");
    }
    uint64_t sync_ns = commit_ns(dir, rec_len, posts);
    uint64_t base = sign_ns + verify_ns + sync_ns;

    printf("poolbook bench_post: %d expenditure posts in process, %zu-byte messages, "
           "%zu-byte records\n",
           posts, msg_len, rec_len);
    printf("%-34s %10llu ns\n", "Ed25519 sign", (unsigned long long)sign_ns);
    printf("%-34s %10llu ns\n", "Ed25519 verify", (unsigned long long)verify_ns);
    printf("%-34s %10llu ns\n", "LMDB put + synced commit", (unsigned long long)sync_ns);
    printf("%-34s %10llu ns\n", "sum of the primitives", (unsigned long long)base);
    ratio_line("post, in process", post_ns, base);
    printf("primitives_ns %llu\n", (unsigned long long)base);
    free(msg);
    pb_seckey_free(key);
    pb_store_close(store);
    return 0;
}
