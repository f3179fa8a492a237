/*
 * merkle.c — the RFC 6962 / RFC 9162 Merkle tree: leaf and node hashes,
 * inclusion and consistency proofs built from stored complete-subtree hashes,
 * and the RFC 9162 algorithms that check proofs from their contents alone.
 * Storage is reached only through a pb_hash_reader, so this file is pure.
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>

_Static_assert(crypto_hash_sha256_BYTES == 32, "SHA-256 is 32 bytes");

void
pb_merkle_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
    static const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

void
pb_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
    uint8_t buf[65];
    buf[0] = 0x01;
    memcpy(buf + 1, left, 32);
    memcpy(buf + 33, right, 32);
    crypto_hash_sha256(out, buf, sizeof(buf));
}

/* The largest power of two strictly less than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
    PB_ASSERT(n >= 2);
    uint64_t k = 1;
    while (k << 1 < n) {
        k <<= 1;
    }
    return k;
}

/* DESIGN 4: MTH(D[lo:hi]) splits at the largest power of two below the size,
 * so for an aligned lo the range is a run of complete subtrees, largest
 * first, folded from the right. */
int
pb_merkle_range_hash(pb_hash_reader read, void *ctx, uint64_t lo, uint64_t hi, uint8_t out[32],
                     pb_error *err)
{
    PB_ASSERT(lo < hi);
    uint8_t parts[64][32];
    uint32_t count = 0;
    uint64_t at = lo;
    while (at < hi) {
        uint32_t level = 0;
        while (level < 63 && (at & ((UINT64_C(1) << (level + 1)) - 1)) == 0 &&
               at + (UINT64_C(1) << (level + 1)) <= hi) {
            level++;
        }
        PB_ASSERT(count < 64);
        int rc = read(ctx, level, at >> level, parts[count], err);
        if (rc != PB_OK) {
            return rc;
        }
        count++;
        at += UINT64_C(1) << level;
    }
    uint8_t acc[32];
    memcpy(acc, parts[count - 1], 32);
    for (uint32_t i = count - 1; i > 0; i--) {
        pb_merkle_node_hash(parts[i - 1], acc, acc);
    }
    memcpy(out, acc, 32);
    return PB_OK;
}

static void
reverse_hashes(pb_proof *proof)
{
    for (size_t i = 0, j = proof->count; i + 1 < j; i++, j--) {
        uint8_t tmp[32];
        memcpy(tmp, proof->hashes[i], 32);
        memcpy(proof->hashes[i], proof->hashes[j - 1], 32);
        memcpy(proof->hashes[j - 1], tmp, 32);
    }
}

/* RFC 6962 2.1.1 PATH(m, D[n]), unrolled: walk down from the root, taking
 * the sibling range at each split; the RFC lists them leaf first. */
int
pb_merkle_inclusion(pb_hash_reader read, void *ctx, uint64_t index, uint64_t tree_size,
                    pb_proof *proof, pb_error *err)
{
    PB_ASSERT(index < tree_size);
    proof->count = 0;
    uint64_t lo = 0;
    uint64_t hi = tree_size;
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        PB_ASSERT(proof->count < PB_PROOF_HASHES_MAX);
        int rc;
        if (index - lo < k) {
            rc = pb_merkle_range_hash(read, ctx, lo + k, hi, proof->hashes[proof->count], err);
            hi = lo + k;
        } else {
            rc = pb_merkle_range_hash(read, ctx, lo, lo + k, proof->hashes[proof->count], err);
            lo = lo + k;
        }
        if (rc != PB_OK) {
            return rc;
        }
        proof->count++;
    }
    reverse_hashes(proof);
    return PB_OK;
}

/* RFC 6962 2.1.2 SUBPROOF(m, D[n], b), unrolled the same way. */
int
pb_merkle_consistency(pb_hash_reader read, void *ctx, uint64_t old_size, uint64_t new_size,
                      pb_proof *proof, pb_error *err)
{
    PB_ASSERT(old_size >= 1 && old_size <= new_size);
    proof->count = 0;
    uint64_t lo = 0;
    uint64_t hi = new_size;
    uint64_t m = old_size;
    int whole = 1; /* b in the RFC: the old tree is the whole of this range's left edge */
    for (;;) {
        int rc = PB_OK;
        PB_ASSERT(proof->count < PB_PROOF_HASHES_MAX);
        if (m == hi - lo) {
            if (!whole) {
                rc = pb_merkle_range_hash(read, ctx, lo, hi, proof->hashes[proof->count++], err);
            }
            if (rc != PB_OK) {
                return rc;
            }
            break;
        }
        uint64_t k = split_point(hi - lo);
        if (m <= k) {
            rc = pb_merkle_range_hash(read, ctx, lo + k, hi, proof->hashes[proof->count++], err);
            hi = lo + k;
        } else {
            rc = pb_merkle_range_hash(read, ctx, lo, lo + k, proof->hashes[proof->count++], err);
            m -= k;
            lo += k;
            whole = 0;
        }
        if (rc != PB_OK) {
            return rc;
        }
    }
    reverse_hashes(proof);
    return PB_OK;
}

/* RFC 9162 2.1.3.2: verify an inclusion proof. */
int
pb_proof_check_inclusion(const pb_proof *proof, pb_error *err)
{
    uint64_t fn = proof->index_or_old_size;
    uint64_t size = proof->tree_size;
    if (fn >= size) {
        return pb_error_set(err, PB_EPROOF, NULL, "leaf index %llu is not below tree size %llu",
                            (unsigned long long)fn, (unsigned long long)size);
    }
    uint64_t sn = size - 1;
    uint8_t r[32];
    memcpy(r, proof->leaf_or_old_root, 32);
    for (size_t i = 0; i < proof->count; i++) {
        if (sn == 0) {
            return pb_error_set(err, PB_EPROOF, NULL, "inclusion proof is too long");
        }
        if ((fn & 1) != 0 || fn == sn) {
            pb_merkle_node_hash(proof->hashes[i], r, r);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            pb_merkle_node_hash(r, proof->hashes[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) {
        return pb_error_set(err, PB_EPROOF, NULL, "inclusion proof is too short");
    }
    if (sodium_memcmp(r, proof->root, 32) != 0) {
        return pb_error_set(err, PB_EPROOF, NULL, "inclusion proof does not lead to the root");
    }
    return PB_OK;
}

/* RFC 9162 2.1.4.2: verify a consistency proof. */
int
pb_proof_check_consistency(const pb_proof *proof, pb_error *err)
{
    uint64_t first = proof->index_or_old_size;
    uint64_t second = proof->tree_size;
    if (first == 0 || first > second) {
        return pb_error_set(err, PB_EPROOF, NULL, "tree sizes %llu and %llu are not in order",
                            (unsigned long long)first, (unsigned long long)second);
    }
    if (first == second) {
        if (proof->count != 0 || sodium_memcmp(proof->leaf_or_old_root, proof->root, 32) != 0) {
            return pb_error_set(err, PB_EPROOF, NULL, "equal sizes need equal roots, no hashes");
        }
        return PB_OK;
    }
    const uint8_t *path[PB_PROOF_HASHES_MAX + 1];
    size_t n = 0;
    if ((first & (first - 1)) == 0) {
        path[n++] = proof->leaf_or_old_root;
    }
    for (size_t i = 0; i < proof->count && n <= PB_PROOF_HASHES_MAX; i++) {
        path[n++] = proof->hashes[i];
    }
    if (n == 0) {
        return pb_error_set(err, PB_EPROOF, NULL, "consistency proof is empty");
    }
    uint64_t fn = first - 1;
    uint64_t sn = second - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[32];
    uint8_t sr[32];
    memcpy(fr, path[0], 32);
    memcpy(sr, path[0], 32);
    for (size_t i = 1; i < n; i++) {
        if (sn == 0) {
            return pb_error_set(err, PB_EPROOF, NULL, "consistency proof is too long");
        }
        if ((fn & 1) != 0 || fn == sn) {
            pb_merkle_node_hash(path[i], fr, fr);
            pb_merkle_node_hash(path[i], sr, sr);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            pb_merkle_node_hash(sr, path[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || sodium_memcmp(fr, proof->leaf_or_old_root, 32) != 0 ||
        sodium_memcmp(sr, proof->root, 32) != 0) {
        return pb_error_set(err, PB_EPROOF, NULL, "consistency proof does not lead to both roots");
    }
    return PB_OK;
}

void
pb_merkle_stack_init(pb_merkle_stack *stack)
{
    memset(stack, 0, sizeof(*stack));
}

int
pb_merkle_stack_push(pb_merkle_stack *stack, const uint8_t leaf[32], pb_hash_visitor visit,
                     void *ctx, pb_error *err)
{
    PB_ASSERT(stack->count < 64);
    uint64_t index = stack->size;
    memcpy(stack->hashes[stack->count], leaf, 32);
    stack->levels[stack->count] = 0;
    stack->count++;
    if (visit != NULL) {
        int rc = visit(ctx, 0, index, leaf, err);
        if (rc != PB_OK) {
            return rc;
        }
    }
    /* Merge equal levels: each merge completes the stored hash (level+1, index>>1). */
    while (stack->count >= 2 &&
           stack->levels[stack->count - 1] == stack->levels[stack->count - 2]) {
        uint32_t top = stack->count - 1;
        pb_merkle_node_hash(stack->hashes[top - 1], stack->hashes[top], stack->hashes[top - 1]);
        stack->levels[top - 1] += 1;
        stack->count--;
        index >>= 1;
        if (visit != NULL) {
            int rc = visit(ctx, stack->levels[top - 1], index, stack->hashes[top - 1], err);
            if (rc != PB_OK) {
                return rc;
            }
        }
    }
    stack->size++;
    return PB_OK;
}

void
pb_merkle_stack_root(const pb_merkle_stack *stack, uint8_t out[32])
{
    PB_ASSERT(stack->count >= 1);
    uint8_t acc[32];
    memcpy(acc, stack->hashes[stack->count - 1], 32);
    for (uint32_t i = stack->count - 1; i > 0; i--) {
        pb_merkle_node_hash(stack->hashes[i - 1], acc, acc);
    }
    memcpy(out, acc, 32);
}

static json_t *
hash_b64(const uint8_t hash[32])
{
    char buf[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(buf, sizeof(buf), hash, 32, sodium_base64_VARIANT_ORIGINAL);
    return json_string(buf);
}

json_t *
pb_proof_to_json(const pb_proof *proof, int consistency)
{
    json_t *hashes = json_array();
    for (size_t i = 0; hashes != NULL && i < proof->count; i++) {
        json_array_append_new(hashes, hash_b64(proof->hashes[i]));
    }
    if (consistency) {
        return json_pack("{s:I,s:I,s:o,s:o,s:o}", "old_size", (json_int_t)proof->index_or_old_size,
                         "new_size", (json_int_t)proof->tree_size, "old_root",
                         hash_b64(proof->leaf_or_old_root), "new_root", hash_b64(proof->root),
                         "proof", hashes);
    }
    return json_pack("{s:I,s:I,s:o,s:o,s:o}", "index", (json_int_t)proof->index_or_old_size,
                     "tree_size", (json_int_t)proof->tree_size, "leaf_hash",
                     hash_b64(proof->leaf_or_old_root), "root", hash_b64(proof->root), "proof",
                     hashes);
}
