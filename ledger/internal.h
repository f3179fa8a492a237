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
