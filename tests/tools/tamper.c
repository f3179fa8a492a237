/*
 * tamper.c — test tool: edit a ledger's stored records directly in its LMDB
 * file, bypassing poolbook, as a dishonest operator with write access to the
 * file could (DESIGN 9). tests/cli/tamper.sh applies each edit to a copy of a
 * ledger and checks that `poolbook verify` finds it and names the record.
 *
 * This tool is the only code allowed to bypass ledger/log/store.c (STYLE 10: store.c
 * alone owns the LMDB layout). It repeats just enough of that layout to find
 * records: the named database "records", keyed by the 8-byte big-endian index.
 * The edits touch nothing else (id index, checkpoints, state), so each leaves
 * evidence that verify must find; `rehash` then also rewrites the stored tree
 * hashes ("hashes", keyed as pb_store_hash_key says for the file's format, with
 * no leaf hashes in a "poolbook-ledger-v3" file) from the edited records, as an
 * operator covering its tracks would, so that only the signed checkpoints held
 * by others can give it away.
 *
 * usage: tamper LEDGER flip INDEX OFFSET [MASK]  XOR one byte of record INDEX
 *                                                  (MASK in hex, default 01)
 *        tamper LEDGER drop-last                  delete the last record only
 *        tamper LEDGER swap I J                   swap the bytes of two records
 *        tamper LEDGER put INDEX FILE             replace record INDEX with FILE's bytes
 *        tamper LEDGER rehash                     recompute every stored tree hash
 *        tamper LEDGER hash-levels                print "LEVEL COUNT" for each tree
 *                                                  level with stored hashes
 *        tamper LEDGER state-put KEY FILE         store FILE's bytes as derived state
 *                                                  KEY ("state": key text -> bytes),
 *                                                  as an older poolbook wrote its rows
 *        tamper LEDGER state-get KEY              print derived state KEY's bytes
 *        tamper LEDGER state-del KEY              delete derived state KEY, as a
 *                                                  ledger an older poolbook wrote
 *                                                  lacks rows it did not keep
 *        tamper LEDGER remark                     rewrite the mark in LEDGER-verified
 *                                                  (the host's verified state) to the
 *                                                  stored tree, as the same operator
 *                                                  would after rehash (docs/verify.md)
 * Exit 0 done, 1 no such record or offset, 2 usage, 3 the file or LMDB failed.
 */
#include "books/books.h"

#include <lmdb.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As ledger/log/store.c opens the file, so LMDB sees the same environment. */
#define TAMPER_MAP_BYTES ((size_t)1 << 36)
#define TAMPER_MAXDBS 8
/* A record is at most PB_RECORD_BYTES_MAX; a replacement may be larger, to
 * test that verify refuses it, but not unboundedly so. */
#define TAMPER_PUT_BYTES_MAX ((size_t)1 << 24)

enum { TAMPER_OK = 0, TAMPER_REFUSED = 1, TAMPER_USAGE = 2, TAMPER_ENV = 3 };

struct tamper {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi records;
    MDB_dbi hashes;
    int format; /* PB_LEDGER_V1..V3, from the file's "format" (docs/formats.md) */
};

static void
usage(void)
{
    fprintf(stderr, "usage: tamper LEDGER flip INDEX OFFSET [MASK]\n"
                    "       tamper LEDGER drop-last\n"
                    "       tamper LEDGER swap I J\n"
                    "       tamper LEDGER put INDEX FILE\n"
                    "       tamper LEDGER rehash\n"
                    "       tamper LEDGER hash-levels\n"
                    "       tamper LEDGER state-put KEY FILE\n"
                    "       tamper LEDGER state-get KEY\n"
                    "       tamper LEDGER state-del KEY\n"
                    "       tamper LEDGER remark\n");
}

static int
lmdb_fail(const char *what, int mrc)
{
    fprintf(stderr, "tamper: %s: %s\n", what, mdb_strerror(mrc));
    return TAMPER_ENV;
}

/* Parse a whole decimal number; 0 on success. */
static int
parse_u64(const char *text, uint64_t *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == NULL || *end != '\0') {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static void
put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

/* PB_LEDGER_V1..V3 for the stored format name, 0 for another. */
static int
format_of(const MDB_val *v)
{
    static const char *const names[] = {"poolbook-ledger-v1", "poolbook-ledger-v2",
                                        "poolbook-ledger-v3"};
    _Static_assert(PB_LEDGER_V1 == 1 && PB_LEDGER_V3 == 3, "names[] is by format - 1");
    for (int f = PB_LEDGER_V1; f <= PB_LEDGER_V3; f++) {
        const char *name = names[f - 1];
        if (v->mv_size == strlen(name) && memcmp(v->mv_data, name, v->mv_size) == 0) {
            return f;
        }
    }
    return 0;
}

static int
open_ledger(const char *path, struct tamper *t)
{
    memset(t, 0, sizeof(*t));
    int mrc = mdb_env_create(&t->env);
    if (mrc == 0) {
        mrc = mdb_env_set_maxdbs(t->env, TAMPER_MAXDBS);
    }
    if (mrc == 0) {
        mrc = mdb_env_set_mapsize(t->env, TAMPER_MAP_BYTES);
    }
    if (mrc == 0) {
        mrc = mdb_env_open(t->env, path, MDB_NOSUBDIR, 0600);
    }
    if (mrc == 0) {
        mrc = mdb_txn_begin(t->env, NULL, 0, &t->txn);
    }
    if (mrc == 0) {
        mrc = mdb_dbi_open(t->txn, "records", 0, &t->records);
    }
    if (mrc == 0) {
        mrc = mdb_dbi_open(t->txn, "hashes", 0, &t->hashes);
    }
    MDB_dbi meta;
    if (mrc == 0) {
        mrc = mdb_dbi_open(t->txn, "meta", 0, &meta);
    }
    MDB_val k = {6, "format"}, v;
    if (mrc == 0) {
        mrc = mdb_get(t->txn, meta, &k, &v);
    }
    if (mrc == 0) {
        t->format = format_of(&v);
    }
    if (mrc == 0 && t->format == 0) {
        fprintf(stderr, "tamper: opening %s: not a ledger format this tool knows\n", path);
        return TAMPER_ENV;
    }
    if (mrc != 0) {
        fprintf(stderr, "tamper: opening %s: %s\n", path, mdb_strerror(mrc));
        return TAMPER_ENV;
    }
    return TAMPER_OK;
}

/* Commit on success, abort otherwise; close the environment either way. */
static int
close_ledger(struct tamper *t, int rc)
{
    if (t->txn != NULL) {
        if (rc == TAMPER_OK) {
            int mrc = mdb_txn_commit(t->txn);
            if (mrc != 0) {
                rc = lmdb_fail("committing", mrc);
            }
        } else {
            mdb_txn_abort(t->txn);
        }
        t->txn = NULL;
    }
    if (t->env != NULL) {
        mdb_env_close(t->env);
        t->env = NULL;
    }
    return rc;
}

/* A malloc'd copy of record index (LMDB's memory is read-only and valid only
 * until the next write). */
static int
get_record(struct tamper *t, uint64_t index, uint8_t **buf_out, size_t *len_out)
{
    uint8_t key[8];
    put_be64(key, index);
    MDB_val k = {sizeof(key), key};
    MDB_val v;
    int mrc = mdb_get(t->txn, t->records, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        fprintf(stderr, "tamper: no record at index %llu\n", (unsigned long long)index);
        return TAMPER_REFUSED;
    }
    if (mrc != 0) {
        return lmdb_fail("reading a record", mrc);
    }
    uint8_t *copy = malloc(v.mv_size + 1);
    if (copy == NULL) {
        fprintf(stderr, "tamper: out of memory\n");
        return TAMPER_ENV;
    }
    memcpy(copy, v.mv_data, v.mv_size);
    *buf_out = copy;
    *len_out = v.mv_size;
    return TAMPER_OK;
}

static int
put_record(struct tamper *t, uint64_t index, const uint8_t *buf, size_t len)
{
    uint8_t key[8];
    put_be64(key, index);
    MDB_val k = {sizeof(key), key};
    MDB_val v = {len, (void *)buf};
    int mrc = mdb_put(t->txn, t->records, &k, &v, 0);
    return mrc == 0 ? TAMPER_OK : lmdb_fail("writing a record", mrc);
}

static int
do_flip(struct tamper *t, uint64_t index, uint64_t offset, unsigned mask)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = get_record(t, index, &buf, &len);
    if (rc == TAMPER_OK && offset >= len) {
        fprintf(stderr, "tamper: offset %llu is past the end of record %llu (%zu bytes)\n",
                (unsigned long long)offset, (unsigned long long)index, len);
        rc = TAMPER_REFUSED;
    }
    if (rc == TAMPER_OK) {
        buf[offset] ^= (uint8_t)mask;
        rc = put_record(t, index, buf, len);
    }
    free(buf);
    return rc;
}

static int
do_drop_last(struct tamper *t)
{
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(t->txn, t->records, &cur);
    if (mrc != 0) {
        return lmdb_fail("opening a cursor", mrc);
    }
    MDB_val k;
    MDB_val v;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (mrc == 0) {
        mrc = mdb_cursor_del(cur, 0);
    }
    mdb_cursor_close(cur);
    if (mrc == MDB_NOTFOUND) {
        fprintf(stderr, "tamper: the ledger has no records\n");
        return TAMPER_REFUSED;
    }
    return mrc == 0 ? TAMPER_OK : lmdb_fail("deleting the last record", mrc);
}

static int
do_swap(struct tamper *t, uint64_t i, uint64_t j)
{
    uint8_t *a = NULL;
    uint8_t *b = NULL;
    size_t a_len = 0;
    size_t b_len = 0;
    int rc = get_record(t, i, &a, &a_len);
    if (rc == TAMPER_OK) {
        rc = get_record(t, j, &b, &b_len);
    }
    if (rc == TAMPER_OK) {
        rc = put_record(t, i, b, b_len);
    }
    if (rc == TAMPER_OK) {
        rc = put_record(t, j, a, a_len);
    }
    free(a);
    free(b);
    return rc;
}

static int
read_file(const char *path, uint8_t **buf_out, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "tamper: cannot open %s: %s\n", path, strerror(errno));
        return TAMPER_ENV;
    }
    uint8_t *buf = malloc(TAMPER_PUT_BYTES_MAX + 1);
    size_t len = buf != NULL ? fread(buf, 1, TAMPER_PUT_BYTES_MAX + 1, f) : 0;
    int failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed || len > TAMPER_PUT_BYTES_MAX) {
        fprintf(stderr, "tamper: cannot read %s (or over %zu bytes)\n", path,
                (size_t)TAMPER_PUT_BYTES_MAX);
        free(buf);
        return TAMPER_ENV;
    }
    *buf_out = buf;
    *len_out = len;
    return TAMPER_OK;
}

/* Derived state as an older poolbook left it (docs/formats.md): the value
 * under key replaced by the file's bytes. */
static int
do_state_put(struct tamper *t, const char *key, const char *path)
{
    MDB_dbi state;
    int mrc = mdb_dbi_open(t->txn, "state", 0, &state);
    if (mrc != 0) {
        return lmdb_fail("opening derived state", mrc);
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len);
    if (rc == TAMPER_OK) {
        MDB_val k = {strlen(key), (void *)key};
        MDB_val v = {len, buf};
        mrc = mdb_put(t->txn, state, &k, &v, 0);
        rc = mrc == 0 ? TAMPER_OK : lmdb_fail("writing derived state", mrc);
    }
    free(buf);
    return rc;
}

static int
do_state_get(struct tamper *t, const char *key)
{
    MDB_dbi state;
    int mrc = mdb_dbi_open(t->txn, "state", 0, &state);
    if (mrc != 0) {
        return lmdb_fail("opening derived state", mrc);
    }
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v;
    mrc = mdb_get(t->txn, state, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return TAMPER_REFUSED; /* no such row */
    }
    if (mrc != 0) {
        return lmdb_fail("reading derived state", mrc);
    }
    return fwrite(v.mv_data, 1, v.mv_size, stdout) == v.mv_size ? TAMPER_OK : TAMPER_ENV;
}

static int
do_state_del(struct tamper *t, const char *key)
{
    MDB_dbi state;
    int mrc = mdb_dbi_open(t->txn, "state", 0, &state);
    if (mrc != 0) {
        return lmdb_fail("opening derived state", mrc);
    }
    MDB_val k = {strlen(key), (void *)key};
    mrc = mdb_del(t->txn, state, &k, NULL);
    if (mrc == MDB_NOTFOUND) {
        return TAMPER_REFUSED; /* no such row */
    }
    return mrc == 0 ? TAMPER_OK : lmdb_fail("deleting derived state", mrc);
}

static int
do_put(struct tamper *t, uint64_t index, const char *path)
{
    uint8_t *old = NULL;
    size_t old_len = 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = get_record(t, index, &old, &old_len); /* only an existing record is replaced */
    if (rc == TAMPER_OK) {
        rc = read_file(path, &buf, &len);
    }
    if (rc == TAMPER_OK && len == 0) {
        fprintf(stderr, "tamper: %s is empty (LMDB stores no empty record)\n", path);
        rc = TAMPER_REFUSED;
    }
    if (rc == TAMPER_OK) {
        rc = put_record(t, index, buf, len);
    }
    free(old);
    free(buf);
    return rc;
}

/* Visitor: store each complete-subtree hash the recomputation finishes, as
 * the file's format stores them (a v3 file: no leaf hashes). */
static int
store_hash(void *ctx, uint32_t level, uint64_t index, const uint8_t hash[32], pb_error *err)
{
    struct tamper *t = ctx;
    if (level == 0 && t->format == PB_LEDGER_V3) {
        return PB_OK;
    }
    uint8_t key[9];
    pb_store_hash_key(t->format, level, index, key);
    MDB_val k = {sizeof(key), key};
    MDB_val v = {32, (void *)hash};
    int mrc = mdb_put(t->txn, t->hashes, &k, &v, 0);
    if (mrc != 0) {
        return pb_error_set(err, PB_ESTORE, NULL, "writing a tree hash: %s", mdb_strerror(mrc));
    }
    return PB_OK;
}

/* Drop every stored tree hash and write them again from the records as they
 * are now, in index order (RFC 6962 leaves, as store.c appends them). */
static int
do_rehash(struct tamper *t)
{
    int mrc = mdb_drop(t->txn, t->hashes, 0);
    if (mrc != 0) {
        return lmdb_fail("emptying the tree hashes", mrc);
    }
    MDB_cursor *cur = NULL;
    mrc = mdb_cursor_open(t->txn, t->records, &cur);
    if (mrc != 0) {
        return lmdb_fail("opening a cursor", mrc);
    }
    pb_merkle_stack stack;
    pb_merkle_stack_init(&stack);
    pb_error err;
    pb_error_init(&err);
    int rc = TAMPER_OK;
    MDB_val k;
    MDB_val v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == TAMPER_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint8_t leaf[32];
        pb_merkle_leaf_hash(v.mv_data, v.mv_size, leaf);
        if (pb_merkle_stack_push(&stack, leaf, store_hash, t, &err) != PB_OK) {
            fprintf(stderr, "tamper: %s\n", err.text);
            rc = TAMPER_ENV;
        }
    }
    mdb_cursor_close(cur);
    if (rc == TAMPER_OK && mrc != MDB_NOTFOUND) {
        rc = lmdb_fail("reading the records", mrc);
    }
    return rc;
}

/* hash-levels: how many hashes of each tree level the file stores (so a test
 * can show that a v3 file stores no leaf hash). Reads only. */
static int
do_hash_levels(struct tamper *t)
{
    uint64_t counts[64] = {0};
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(t->txn, t->hashes, &cur);
    if (mrc != 0) {
        return lmdb_fail("opening a cursor", mrc);
    }
    MDB_val k;
    MDB_val v;
    int rc = TAMPER_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == TAMPER_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *key = k.mv_data;
        uint8_t level = k.mv_size != 9 ? 64 : t->format == PB_LEDGER_V1 ? key[0] : key[8];
        if (level >= 64) {
            fprintf(stderr, "tamper: a tree hash key that is not level and index\n");
            rc = TAMPER_REFUSED;
        } else {
            counts[level]++;
        }
    }
    mdb_cursor_close(cur);
    if (rc == TAMPER_OK && mrc != MDB_NOTFOUND) {
        rc = lmdb_fail("reading the tree hashes", mrc);
    }
    for (unsigned level = 0; rc == TAMPER_OK && level < 64; level++) {
        if (counts[level] > 0) {
            printf("%u %llu\n", level, (unsigned long long)counts[level]);
        }
    }
    return rc;
}

/* remark: the remembered stack and root of LEDGER-verified replaced by the
 * ledger's stored hashes, through the library (the file's layout is store.c's). */
static int
do_remark(const char *ledger)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s-verified", ledger);
    pb_error err;
    pb_error_init(&err);
    pb_store *store = NULL;
    pb_snapshot snap;
    pb_scratch kept;
    pb_verified_mark mark;
    memset(&kept, 0, sizeof(kept));
    int rc = pb_store_open(ledger, PB_STORE_RDONLY, &store, &err);
    int snap_open = 0;
    if (rc == PB_OK) {
        rc = pb_snapshot_open(store, &snap, &err);
        snap_open = rc == PB_OK;
    }
    rc = rc == PB_OK ? pb_scratch_open_at(&kept, path, &err) : rc;
    rc = rc == PB_OK ? pb_scratch_mark_get(&kept, &mark, &err) : rc;
    uint64_t at = 0;
    for (uint32_t j = 0; rc == PB_OK && j < mark.stack.count; j++) {
        uint32_t level = mark.stack.levels[j];
        rc = pb_snapshot_hash(&snap, level, at >> level, mark.stack.hashes[j], &err);
        at += UINT64_C(1) << level;
    }
    if (rc == PB_OK && mark.size > 0) {
        rc = pb_merkle_range_hash(pb_snapshot_hash, &snap, 0, mark.size, mark.root, &err);
    }
    rc = rc == PB_OK ? pb_scratch_mark_put(&kept, &mark, &err) : rc;
    rc = rc == PB_OK ? pb_scratch_commit(&kept, &err) : rc;
    pb_scratch_close(&kept);
    if (snap_open) {
        pb_snapshot_close(&snap);
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        fprintf(stderr, "tamper: remark: %s (%s)\n", err.text, err.where);
        return TAMPER_ENV;
    }
    return TAMPER_OK;
}

/* Check the arguments of one operation before the ledger is opened. */
static int
run(int argc, char **argv, struct tamper *t)
{
    const char *op = argv[2];
    uint64_t a = 0;
    uint64_t b = 0;
    if (strcmp(op, "flip") == 0 && (argc == 5 || argc == 6) && parse_u64(argv[3], &a) == 0 &&
        parse_u64(argv[4], &b) == 0) {
        char *end = NULL;
        unsigned long mask = argc == 6 ? strtoul(argv[5], &end, 16) : 1;
        if ((argc == 6 && (end == argv[5] || *end != '\0')) || mask == 0 || mask > 0xff) {
            usage();
            return TAMPER_USAGE;
        }
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_flip(t, a, b, (unsigned)mask) : rc;
    }
    if (strcmp(op, "drop-last") == 0 && argc == 3) {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_drop_last(t) : rc;
    }
    if (strcmp(op, "swap") == 0 && argc == 5 && parse_u64(argv[3], &a) == 0 &&
        parse_u64(argv[4], &b) == 0 && a != b) {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_swap(t, a, b) : rc;
    }
    if (strcmp(op, "put") == 0 && argc == 5 && parse_u64(argv[3], &a) == 0) {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_put(t, a, argv[4]) : rc;
    }
    if (strcmp(op, "state-put") == 0 && argc == 5 && argv[3][0] != '\0') {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_state_put(t, argv[3], argv[4]) : rc;
    }
    if (strcmp(op, "state-get") == 0 && argc == 4 && argv[3][0] != '\0') {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_state_get(t, argv[3]) : rc;
    }
    if (strcmp(op, "state-del") == 0 && argc == 4 && argv[3][0] != '\0') {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_state_del(t, argv[3]) : rc;
    }
    if (strcmp(op, "remark") == 0 && argc == 3) {
        return do_remark(argv[1]);
    }
    if (strcmp(op, "hash-levels") == 0 && argc == 3) {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_hash_levels(t) : rc;
    }
    if (strcmp(op, "rehash") == 0 && argc == 3) {
        int rc = open_ledger(argv[1], t);
        return rc == TAMPER_OK ? do_rehash(t) : rc;
    }
    usage();
    return TAMPER_USAGE;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return TAMPER_USAGE;
    }
    struct tamper t;
    memset(&t, 0, sizeof(t));
    int rc = run(argc, argv, &t);
    return close_ledger(&t, rc);
}
