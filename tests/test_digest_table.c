/*
 * test_digest_table.c — ledger/base/digest_table.c: digests added are found
 * with their values after the table has grown many times (index and entry
 * array), absent digests are not, digests that share the bytes the index
 * hashes stay distinct (the whole digest is the key), and a freed table is
 * empty and usable again.
 */
#include "base/base.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* The digest of n: SHA-256 of its 8 bytes, as import's row digests are. */
static void
digest_of(uint64_t n, uint8_t digest[PB_DIGEST_BYTES])
{
    crypto_hash_sha256(digest, (const unsigned char *)&n, sizeof(n));
}

static void
test_grows_and_finds_every_value(void **state)
{
    (void)state;
    enum { N = 100000 };
    pb_digest_table t;
    pb_digest_table_init(&t, sizeof(uint64_t));
    uint8_t d[PB_DIGEST_BYTES];
    size_t slot_counts = 0;
    size_t last_slots = 0;
    for (uint64_t n = 0; n < N; n++) {
        digest_of(n, d);
        void *v = NULL;
        int added = 0;
        assert_int_equal(pb_digest_table_get(&t, d, &v, &added), PB_OK);
        assert_int_equal(added, 1);
        uint64_t zero = 1;
        memcpy(&zero, v, sizeof(zero));
        assert_int_equal(zero, 0); /* a new value is all zero bytes */
        uint64_t value = n * 7 + 3;
        memcpy(v, &value, sizeof(value));
        if (t.slot_count != last_slots) {
            slot_counts++;
            last_slots = t.slot_count;
        }
        assert_true(t.count * 2 <= t.slot_count); /* at most half full */
    }
    assert_int_equal(t.count, N);
    /* 64 slots at first, doubled 12 times: 2^18 holds 100,000 at most half full */
    assert_int_equal(slot_counts, 13);
    assert_int_equal(t.slot_count, (size_t)1 << 18);
    for (uint64_t n = 0; n < N; n++) {
        digest_of(n, d);
        const void *v = pb_digest_table_find(&t, d);
        assert_non_null(v);
        uint64_t value = 0;
        memcpy(&value, v, sizeof(value));
        assert_int_equal(value, n * 7 + 3);
        void *again = NULL;
        int added = 1;
        assert_int_equal(pb_digest_table_get(&t, d, &again, &added), PB_OK);
        assert_int_equal(added, 0);
        assert_ptr_equal(again, v);
    }
    for (uint64_t n = N; n < N + 1000; n++) {
        digest_of(n, d);
        assert_null(pb_digest_table_find(&t, d));
    }
    assert_int_equal(t.count, N);
    pb_digest_table_free(&t);
    assert_int_equal(t.count, 0);
    digest_of(1, d);
    assert_null(pb_digest_table_find(&t, d));
    pb_digest_table_free(&t);
}

/* Digests equal in every byte but the last (the index uses the first 8):
 * each is its own entry, and one that differs only in its last byte from
 * an entry is absent. */
static void
test_whole_digest_is_the_key(void **state)
{
    (void)state;
    pb_digest_table t;
    pb_digest_table_init(&t, sizeof(uint32_t));
    uint8_t d[PB_DIGEST_BYTES];
    memset(d, 0xAB, sizeof(d));
    for (uint32_t n = 0; n < 200; n++) {
        d[PB_DIGEST_BYTES - 1] = (uint8_t)n;
        d[PB_DIGEST_BYTES - 2] = (uint8_t)(n >> 8);
        void *v = NULL;
        int added = 0;
        assert_int_equal(pb_digest_table_get(&t, d, &v, &added), PB_OK);
        assert_int_equal(added, 1);
        memcpy(v, &n, sizeof(n));
    }
    assert_int_equal(t.count, 200);
    for (uint32_t n = 0; n < 200; n++) {
        d[PB_DIGEST_BYTES - 1] = (uint8_t)n;
        d[PB_DIGEST_BYTES - 2] = (uint8_t)(n >> 8);
        uint32_t value = UINT32_MAX;
        memcpy(&value, pb_digest_table_find(&t, d), sizeof(value));
        assert_int_equal(value, n);
    }
    d[PB_DIGEST_BYTES - 1] = 0xFF;
    d[PB_DIGEST_BYTES - 2] = 0xFF;
    assert_null(pb_digest_table_find(&t, d));
    d[0] ^= 1; /* another index slot, same tail */
    d[PB_DIGEST_BYTES - 1] = 5;
    d[PB_DIGEST_BYTES - 2] = 0;
    assert_null(pb_digest_table_find(&t, d));
    pb_digest_table_free(&t);
}

int
main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grows_and_finds_every_value),
        cmocka_unit_test(test_whole_digest_is_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
