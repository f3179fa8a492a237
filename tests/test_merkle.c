/*
 * test_merkle.c — the Merkle tree against a direct, recursive transcription
 * of RFC 6962's definitions (MTH, PATH, SUBPROOF), for every tree size up to
 * 70 and every leaf and every pair of sizes; and the RFC 9162 checkers
 * against proofs that were tampered with. Go's sumdb/tlog checks the same
 * proofs independently in tests/cli/go_interop.sh.
 */
#include "log/log.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define N_MAX 70

static uint8_t leaves[N_MAX][32];

/* Stored hashes of complete subtrees, filled by the stack's visitor. */
static uint8_t stored[8][N_MAX][32];
static int stored_set[8][N_MAX];

static int
visit(void *ctx, uint32_t level, uint64_t index, const uint8_t hash[32], pb_error *err)
{
    (void)ctx;
    (void)err;
    assert_true(level < 8 && index < N_MAX);
    memcpy(stored[level][index], hash, 32);
    stored_set[level][index] = 1;
    return PB_OK;
}

static int
reader(void *ctx, uint32_t level, uint64_t index, uint8_t out[32], pb_error *err)
{
    (void)ctx;
    (void)err;
    assert_true(level < 8 && index < N_MAX);
    assert_true(stored_set[level][index]);
    memcpy(out, stored[level][index], 32);
    return PB_OK;
}

/* RFC 6962 2.1: MTH, recursively (test oracle only). */
static void
mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
    if (hi - lo == 1) {
        memcpy(out, leaves[lo], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < hi - lo) {
        k *= 2;
    }
    uint8_t l[32], r[32];
    mth(lo, lo + k, l);
    mth(lo + k, hi, r);
    pb_merkle_node_hash(l, r, out);
}

static size_t
path(uint64_t m, uint64_t lo, uint64_t hi, uint8_t out[][32])
{
    if (hi - lo == 1) {
        return 0;
    }
    uint64_t k = 1;
    while (k * 2 < hi - lo) {
        k *= 2;
    }
    size_t n;
    if (m < k) {
        n = path(m, lo, lo + k, out);
        mth(lo + k, hi, out[n]);
    } else {
        n = path(m - k, lo + k, hi, out);
        mth(lo, lo + k, out[n]);
    }
    return n + 1;
}

static size_t
subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, uint8_t out[][32])
{
    uint64_t n = hi - lo;
    if (m == n) {
        if (b) {
            return 0;
        }
        mth(lo, hi, out[0]);
        return 1;
    }
    uint64_t k = 1;
    while (k * 2 < n) {
        k *= 2;
    }
    size_t c;
    if (m <= k) {
        c = subproof(m, lo, lo + k, b, out);
        mth(lo + k, hi, out[c]);
    } else {
        c = subproof(m - k, lo + k, hi, 0, out);
        mth(lo, lo + k, out[c]);
    }
    return c + 1;
}

static void
build(void)
{
    pb_merkle_stack stack;
    pb_merkle_stack_init(&stack);
    memset(stored_set, 0, sizeof(stored_set));
    for (int i = 0; i < N_MAX; i++) {
        char data[16];
        int len = snprintf(data, sizeof(data), "leaf %d", i);
        pb_merkle_leaf_hash(data, (size_t)len, leaves[i]);
        assert_int_equal(pb_merkle_stack_push(&stack, leaves[i], visit, NULL, NULL), PB_OK);
        uint8_t want[32], got[32];
        mth(0, (uint64_t)i + 1, want);
        pb_merkle_stack_root(&stack, got);
        assert_memory_equal(want, got, 32);
    }
}

static void
test_leaf_and_node_hash_known_answers(void **state)
{
    (void)state;
    /* SHA-256 of the single byte 0x00: RFC 6962's hash of an empty leaf. */
    static const char want_hex[] =
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    uint8_t h[32];
    char hex[65];
    pb_merkle_leaf_hash("", 0, h);
    sodium_bin2hex(hex, sizeof(hex), h, 32);
    assert_string_equal(hex, want_hex);
}

static void
test_range_hash_equals_mth_for_every_size(void **state)
{
    (void)state;
    build();
    for (uint64_t n = 1; n <= N_MAX; n++) {
        uint8_t want[32], got[32];
        mth(0, n, want);
        assert_int_equal(pb_merkle_range_hash(reader, NULL, 0, n, got, NULL), PB_OK);
        assert_memory_equal(want, got, 32);
    }
}

static void
test_inclusion_matches_rfc_and_checks(void **state)
{
    (void)state;
    build();
    for (uint64_t n = 1; n <= N_MAX; n++) {
        for (uint64_t m = 0; m < n; m++) {
            pb_proof p;
            memset(&p, 0, sizeof(p));
            assert_int_equal(pb_merkle_inclusion(reader, NULL, m, n, &p, NULL), PB_OK);
            uint8_t want[64][32];
            size_t count = path(m, 0, n, want);
            assert_int_equal(p.count, count);
            for (size_t i = 0; i < count; i++) {
                assert_memory_equal(p.hashes[i], want[i], 32);
            }
            p.index_or_old_size = m;
            p.tree_size = n;
            memcpy(p.leaf_or_old_root, leaves[m], 32);
            mth(0, n, p.root);
            assert_int_equal(pb_proof_check_inclusion(&p, NULL), PB_OK);
            /* Any flipped bit, wrong index or wrong size must fail. */
            if (p.count > 0) {
                p.hashes[p.count - 1][0] ^= 1;
                assert_int_equal(pb_proof_check_inclusion(&p, NULL), PB_EPROOF);
                p.hashes[p.count - 1][0] ^= 1;
            }
            p.root[31] ^= 0x80;
            assert_int_equal(pb_proof_check_inclusion(&p, NULL), PB_EPROOF);
            p.root[31] ^= 0x80;
            if (n > 1) {
                p.index_or_old_size = (m + 1) % n;
                assert_int_equal(pb_proof_check_inclusion(&p, NULL), PB_EPROOF);
                p.index_or_old_size = m;
            }
            p.tree_size = m; /* an index at or past the size */
            assert_int_equal(pb_proof_check_inclusion(&p, NULL), PB_EPROOF);
        }
    }
}

static void
test_consistency_matches_rfc_and_checks(void **state)
{
    (void)state;
    build();
    for (uint64_t n = 1; n <= N_MAX; n++) {
        for (uint64_t m = 1; m <= n; m++) {
            pb_proof p;
            memset(&p, 0, sizeof(p));
            assert_int_equal(pb_merkle_consistency(reader, NULL, m, n, &p, NULL), PB_OK);
            uint8_t want[64][32];
            size_t count = subproof(m, 0, n, 1, want);
            assert_int_equal(p.count, count);
            for (size_t i = 0; i < count; i++) {
                assert_memory_equal(p.hashes[i], want[i], 32);
            }
            p.index_or_old_size = m;
            p.tree_size = n;
            mth(0, m, p.leaf_or_old_root);
            mth(0, n, p.root);
            assert_int_equal(pb_proof_check_consistency(&p, NULL), PB_OK);
            p.leaf_or_old_root[5] ^= 4;
            assert_int_equal(pb_proof_check_consistency(&p, NULL), PB_EPROOF);
            p.leaf_or_old_root[5] ^= 4;
            if (p.count > 0) {
                p.hashes[0][7] ^= 2;
                assert_int_equal(pb_proof_check_consistency(&p, NULL), PB_EPROOF);
                p.hashes[0][7] ^= 2;
            }
            if (m < n) {
                p.root[0] ^= 1;
                assert_int_equal(pb_proof_check_consistency(&p, NULL), PB_EPROOF);
                p.root[0] ^= 1;
            }
        }
    }
}

static void
test_proof_json_shape(void **state)
{
    (void)state;
    pb_proof p;
    memset(&p, 0, sizeof(p));
    p.index_or_old_size = 3;
    p.tree_size = 9;
    p.count = 1;
    json_t *j = pb_proof_to_json(&p, 0);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "index")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "tree_size")), 9);
    assert_string_equal(json_string_value(json_object_get(j, "root")),
                        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert_int_equal(json_array_size(json_object_get(j, "proof")), 1);
    json_decref(j);
    j = pb_proof_to_json(&p, 1);
    assert_int_equal(json_integer_value(json_object_get(j, "old_size")), 3);
    assert_non_null(json_object_get(j, "new_root"));
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_and_node_hash_known_answers),
        cmocka_unit_test(test_range_hash_equals_mth_for_every_size),
        cmocka_unit_test(test_inclusion_matches_rfc_and_checks),
        cmocka_unit_test(test_consistency_matches_rfc_and_checks),
        cmocka_unit_test(test_proof_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
