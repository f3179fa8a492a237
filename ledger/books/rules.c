/*
 * rules.c — where the books meet the log. The log (ledger/log/) admits
 * records by a pb_log_rules table it is handed when a ledger is opened; this
 * file gives it the pooled-budget rules of DESIGN 5 (entry.c) and is the home
 * of the public calls that open a ledger, check a record's form and sign one,
 * so that a user of include/poolbook.h always gets the books' rules.
 *
 * Why a table given at open rather than the books owning the write
 * transaction: one append is one LMDB transaction that writes the record, its
 * tree hashes, its id and the state change together, and only the log knows
 * those tables (store.c alone owns the LMDB layout). Handing the log a table
 * keeps every write in one place and the crash reasoning with it, while the
 * log names no books symbol; a witness or tile server opens the same file with
 * pb_log_open(..., NULL, ...) and reads it without any pool rule.
 */
#include "books/books.h"

const pb_log_rules pb_books_rules = {
    .type_known = pb_entry_type_known,
    .check_fields = pb_entry_check_fields,
    .admit = pb_entry_admit,
    .check_new = pb_entry_check_clock,
};

int
pb_store_open(const char *path, int flags, pb_store **store_out, pb_error *err)
{
    return pb_log_open(path, flags, &pb_books_rules, store_out, err);
}

int
pb_store_open_scratch(pb_store **store_out, pb_error *err)
{
    return pb_log_open_scratch(&pb_books_rules, store_out, err);
}

int
pb_record_check_form(json_t *record, pb_error *err)
{
    return pb_log_check_form(record, &pb_books_rules, err);
}

int
pb_record_sign(json_t *record, const pb_seckey *key, pb_error *err)
{
    return pb_log_sign(record, &pb_books_rules, key, err);
}
