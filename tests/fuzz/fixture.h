/*
 * fixture.h — a small real ledger for the fuzz targets that need one
 * (tests/fuzz/fixture.c, linked into every target): keys made once in a
 * scratch folder (removed at exit), a genesis binding them for DCC and ICB
 * and, if asked, the pool BCF24 agreed by both. Made in
 * LLVMFuzzerInitialize, so each input runs against the same ledger.
 */
#ifndef POOLBOOK_FUZZ_FIXTURE_H
#define POOLBOOK_FUZZ_FIXTURE_H

#include "poolbook.h"

#include <stdint.h>

/* The origin of the fixture ledger. */
#define FUZZ_ORIGIN "test.example/bcf"

typedef struct fuzz_ledger {
    char dir[64]; /* the scratch folder: l.ledger and the key files */
    pb_store *store;
    pb_seckey *dcc_sig, *icb_sig, *dcc_fin, *icb_fin, *op;
    int seq; /* entries appended after the genesis */
} fuzz_ledger;

/* The process's scratch folder, made on first use (in /dev/shm where
 * writable: a tmpfs spares the fuzzer the disk's inode work) and removed
 * with what it holds at exit. */
const char *fuzz_scratch_dir(void);

/* Make the scratch folder (in /dev/shm where writable) and its keys; with
 * pool set, also the genesis and the pool BCF24 (streams NHSMIN paid by ICB
 * and IBCF paid by DCC, schemes S01-S03, year 2024/25); with genesis only
 * the genesis. Aborts on any failure. The folder is removed at exit. */
void fuzz_ledger_make(fuzz_ledger *fx, int genesis, int pool);

/* A record of type with fields (stolen), id "f<NNNN>", signed by key (NULL:
 * unsigned), created 2024-04-01T09:00:00Z. New reference. */
json_t *fuzz_ledger_record(fuzz_ledger *fx, const char *type, json_t *fields, const pb_seckey *key);

/* The ledger's size and root (zeros when empty): to show a refusal changed
 * nothing. */
void fuzz_ledger_root(pb_store *store, uint64_t *size_out, uint8_t root_out[32]);

#endif /* POOLBOOK_FUZZ_FIXTURE_H */
