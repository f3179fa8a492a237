/*
 * fuzz.h — what the libFuzzer targets of tests/fuzz/ share: FUZZ_CHECK, an
 * invariant that stays on and aborts (libFuzzer then saves the input as a
 * crash), and a NUL-terminated copy of the input for parsers of C strings.
 * Each target checks round trips and invariants, not only that nothing crashes.
 */
#ifndef POOLBOOK_FUZZ_H
#define POOLBOOK_FUZZ_H

#include "base/base.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(expr)                                                                           \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #expr, __FILE__, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A malloc'd NUL-terminated copy of data (embedded NULs end the string). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* POOLBOOK_FUZZ_H */
