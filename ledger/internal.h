/*
 * internal.h — what the library's modules share but users do not call:
 * assertions that stay on, error helpers, and the interfaces between store,
 * state, entries and verify. Every global symbol still starts with pb_.
 */
#ifndef POOLBOOK_INTERNAL_H
#define POOLBOOK_INTERNAL_H

#include "poolbook.h"

#include <stdio.h>
#include <stdlib.h>

/* Asserts for programmer errors; they stay on in Release builds. Bad input is
 * never asserted: it gets a PB_E... code. */
#define PB_ASSERT(expr)                                                                  \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            pb_assert_fail(#expr, __FILE__, __LINE__, __func__);                         \
        }                                                                                \
    } while (0)

_Noreturn void pb_assert_fail(const char *expr, const char *file, int line, const char *func);

/* Set err (if not NULL and not already set) to code with a formatted one-line
 * text and a where (NULL for none). Returns code, so callers can write
 * `return pb_error_set(err, PB_EFIELD, "$.id", "id is empty");`. */
int pb_error_set(pb_error *err, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the index a failure concerns, if err is set and has none yet. */
void pb_error_set_index(pb_error *err, int64_t index);

/* Prefix err->where with more context ("stdin line 4: " + "$.entry.id"). */
void pb_error_prefix_where(pb_error *err, const char *prefix);

#endif /* POOLBOOK_INTERNAL_H */

/* ---------------------------------------------------------------------------
 * Merkle tree internals (merkle.c). Stored hashes are the roots of complete
 * subtrees: (level L, index k) covers leaves [k*2^L, (k+1)*2^L). A reader
 * fetches one stored hash; merkle.c never knows where they live.
 * ------------------------------------------------------------------------- */

typedef int (*pb_hash_reader)(void *ctx, uint32_t level, uint64_t index, uint8_t out[32],
                              pb_error *err);

/* The RFC 6962 MTH of leaves [lo, hi), lo aligned as in every proof's ranges,
 * from at most 64 stored hashes. */
int pb_merkle_range_hash(pb_hash_reader read, void *ctx, uint64_t lo, uint64_t hi,
                         uint8_t out[32], pb_error *err);

/* Fill proof->hashes for an inclusion or consistency proof (RFC 6962 2.1.1,
 * 2.1.2), reading stored hashes through read. The caller sets the sizes. */
int pb_merkle_inclusion(pb_hash_reader read, void *ctx, uint64_t index, uint64_t tree_size,
                        pb_proof *proof, pb_error *err);
int pb_merkle_consistency(pb_hash_reader read, void *ctx, uint64_t old_size, uint64_t new_size,
                          pb_proof *proof, pb_error *err);

/* A compact range: the stored hashes on the right edge of a growing tree, for
 * recomputing a tree from its leaves in O(log n) memory (verify). */
typedef struct pb_merkle_stack {
    uint64_t size;           /* leaves pushed */
    uint32_t count;          /* entries in use */
    uint32_t levels[64];
    uint8_t hashes[64][32];
} pb_merkle_stack;

/* Called for each stored hash a push completes: (level, index, hash). */
typedef int (*pb_hash_visitor)(void *ctx, uint32_t level, uint64_t index, const uint8_t hash[32],
                               pb_error *err);

void pb_merkle_stack_init(pb_merkle_stack *stack);
/* Push a leaf hash; visit (may be NULL) sees every stored hash that becomes complete. */
int pb_merkle_stack_push(pb_merkle_stack *stack, const uint8_t leaf[32], pb_hash_visitor visit,
                         void *ctx, pb_error *err);
/* The root of the leaves pushed so far (size >= 1). */
void pb_merkle_stack_root(const pb_merkle_stack *stack, uint8_t out[32]);
