/*
 * base.h — the bottom layer of the library (ledger/base/): assertions that
 * stay on, error helpers, money as JSON, and small checks of JSON fields.
 * Everything above (log, books, interchange) may include it; it includes only
 * the public header. Every global symbol still starts with pb_.
 */
#ifndef POOLBOOK_BASE_H
#define POOLBOOK_BASE_H

#include "poolbook.h"

#include <stdio.h>
#include <stdlib.h>

/* Asserts for programmer errors; they stay on in Release builds. Bad input is
 * never asserted: it gets a PB_E... code. */
#define PB_ASSERT(expr)                                                                            \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            pb_assert_fail(#expr, __FILE__, __LINE__, __func__);                                   \
        }                                                                                          \
    } while (0)

_Noreturn void pb_assert_fail(const char *expr, const char *file, int line, const char *func);

/* Set err (if not NULL and not already set) to code with a formatted one-line
 * text and a where (NULL for none). Returns code, so callers can write
 * `return pb_error_set(err, PB_EFIELD, "$.id", "id is empty");`. */
int pb_error_set(pb_error *err, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the index a failure concerns, if err is set and has none yet. */
void pb_error_set_index(pb_error *err, int64_t index);

/* The indefinite article for word in a message: "an" before a vowel
 * ("an expenditure entry", "an auditor key"), else "a". */
const char *pb_article(const char *word);

/* Copy at most max_bytes of text into quote (size > max_bytes + 3) for a
 * message, marking a cut with "..." and not splitting a UTF-8 sequence. */
void pb_quote(const char *text, size_t max_bytes, char *quote, size_t size);

/* A canonical money string for pence, as a new JSON reference (asserts the
 * amount is in range: callers hold amounts that passed the checked helpers). */
json_t *pb_money_json(int64_t pence);
/* The pence of a canonical money string written by poolbook itself (derived
 * state, reports); NULL counts as 0. Asserts the text is canonical. */
int64_t pb_money_of_json(const json_t *value);

/* Prefix err->where with more context ("stdin line 4: " + "$.entry.id"). */
void pb_error_prefix_where(pb_error *err, const char *prefix);


/* sodium_init(), called by every public function that is a way in to the
 * library's cryptography (opening a ledger, loading or making keys, signing
 * by minisign, verifying a bundle, writing a file), so callers need not.
 * Returns PB_OK or PB_ENOMEM (libsodium could not start). */
int pb_sodium_ready(pb_error *err);

/* Field helpers shared by the entry types and records (base/fields.c). Each names
 * the field by path in err->where. */
int pb_field_string(const json_t *obj, const char *name, const char *path, size_t max_bytes,
                    const char **out, pb_error *err);
int pb_field_allowed(const json_t *obj, const char *const *allowed, const char *path,
                     pb_error *err);
int pb_field_check_id(const char *id, const char *path, pb_error *err);
/* A date field "YYYY-MM-DD" as days since 1970-01-01; PB_EDATE names its path. */
int pb_field_date(const json_t *obj, const char *name, const char *path, int32_t *day_out,
                  pb_error *err);

/* A set of 32-byte digests (SHA-256 and the like), each with a fixed-size
 * value of value_bytes, in about 40 + value_bytes bytes an entry
 * (digest_table.c). A digest is compared whole. Fields are private. */
#define PB_DIGEST_BYTES 32
#define PB_DIGEST_TABLE_VALUE_BYTES_MAX 64
typedef struct pb_digest_table {
    uint8_t *entries; /* count entries of entry_bytes: the digest, then the value */
    uint32_t *slots;  /* slot_count (a power of two): 0 empty, else entry number + 1 */
    size_t value_bytes;
    size_t entry_bytes;
    size_t count;
    size_t entry_cap;
    size_t slot_count;
} pb_digest_table;

/* An empty table whose values are value_bytes (<= PB_DIGEST_TABLE_VALUE_BYTES_MAX). */
void pb_digest_table_init(pb_digest_table *t, size_t value_bytes);
/* The value of digest (PB_DIGEST_BYTES), or NULL if absent. Borrowed: valid
 * until the next pb_digest_table_get or free. Not aligned: copy it out. */
void *pb_digest_table_find(const pb_digest_table *t, const uint8_t *digest);
/* The value of digest in *value_out, adding it (value all zero bytes, and
 * *added_out = 1) if absent; as pb_digest_table_find for the pointer.
 * Returns PB_OK, or PB_ENOMEM (allocation failed, or more than 2^32 - 2
 * entries) with t unchanged. */
int pb_digest_table_get(pb_digest_table *t, const uint8_t *digest, void **value_out,
                        int *added_out);
/* Free the table's memory; it is empty and usable again. NULL is allowed. */
void pb_digest_table_free(pb_digest_table *t);

#endif /* POOLBOOK_BASE_H */
