/*
 * bench.h — what the benchmarks share: a monotonic clock in nanoseconds,
 * integer rates, exiting on a library error, and making a key bound for a
 * genesis. Include after defining BENCH_NAME (the program's name, for errors).
 */
#ifndef POOLBOOK_BENCH_H
#define POOLBOOK_BENCH_H

#include "books/books.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
rate(uint64_t count, uint64_t ns)
{
    return ns == 0 ? 0 : count * 1000000000u / ns;
}

/* The baseline: raw Ed25519 verification (libsodium's
 * crypto_sign_verify_detached) of count messages of msg_len bytes on one core,
 * in verifies per second. */
static inline uint64_t
raw_verify_rate(size_t msg_len, int count)
{
    uint8_t pk[32], sk[64], sig[64];
    uint8_t *msg = calloc(1, msg_len);
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, msg, msg_len, sk);
    uint64_t t0 = now_ns();
    for (int i = 0; i < count; i++) {
        if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0) {
            abort();
        }
    }
    uint64_t t1 = now_ns();
    free(msg);
    return rate((uint64_t)count, t1 - t0);
}

static inline void
check(int rc, const pb_error *err, const char *what)
{
    if (rc != PB_OK) {
        fprintf(stderr, "%s: %s: %s (%s)\n", BENCH_NAME, what, err->text, err->where);
        exit(1);
    }
}

static inline pb_seckey *
make_key(const char *dir, const char *name, json_t *keys, const char *partner, const char *role)
{
    char pub_path[512], sec_path[512];
    snprintf(pub_path, sizeof(pub_path), "%s/%s.pub", dir, name);
    snprintf(sec_path, sizeof(sec_path), "%s/%s.key", dir, name);
    pb_error err;
    pb_error_init(&err);
    pb_pubkey pub;
    check(pb_keygen_write(pub_path, sec_path, NULL, NULL, &pub, &err), &err, "keygen");
    pb_seckey *key = NULL;
    check(pb_seckey_load(sec_path, NULL, &key, &err), &err, "load key");
    char keyid[PB_KEYID_TEXT_MAX], b64[64];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    pb_pubkey_encode(&pub, b64, sizeof(b64));
    json_array_append_new(keys, json_pack("{s:s,s:s,s:s,s:s}", "key", keyid, "pubkey", b64,
                                          "partner", partner, "role", role));
    return key;
}

#endif /* POOLBOOK_BENCH_H */
