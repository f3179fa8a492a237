/*
 * store.c — the ledger file: one LMDB environment (MDB_NOSUBDIR) and the only
 * code that knows its layout (docs/formats.md):
 *   records      u64 BE index            -> canonical record bytes
 *   hashes       u64 BE n || level (1)   -> 32-byte complete-subtree hash
 *                (n: the index of the leaf whose append completes the subtree,
 *                so each append's hashes come last and fill pages, MDB_APPEND;
 *                level 0 is not stored: a leaf hash is computed from its record;
 *                a "poolbook-ledger-v2" file also stores level 0, and a
 *                "poolbook-ledger-v1" file keys them level (1) || u64 BE idx)
 *   ids          entry id                -> u64 BE index
 *   checkpoints  u64 BE size || kind (1) || KEYID -> signature line
 *                (kind 0 operator, 1 auditor's note signature, 2 witness's
 *                cosignature/v1)
 *   state        "origin", "partner:ID", "key:KEYID", ... -> canonical JSON
 *   meta         "format"                -> "poolbook-ledger-v3" (or -v2, -v1)
 * Append is one write transaction; nothing is ever updated or deleted.
 */
#include "log/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The layouts a ledger file may have (docs/formats.md), by PB_LEDGER_V1..V3.
 * Older ones are read and appended to as they are: v1 keys tree hashes by
 * level then index, which leaves their pages half full; v2 keys them as v3
 * does but also stores every leaf hash, which v3 computes from its record.
 * A test knob, POOLBOOK_TEST_LEDGER_FORMAT=v1 or v2, makes init write one. */
static const char *const store_formats[] = {NULL, "poolbook-ledger-v1", "poolbook-ledger-v2",
                                            "poolbook-ledger-v3"};
#define STORE_FORMAT_NEW PB_LEDGER_V3
#define STORE_FORMAT_ENV "POOLBOOK_TEST_LEDGER_FORMAT"
/* LMDB reserves address space, not disk: the file grows sparsely. 64 GiB is
 * decades of entries for any partnership. */
#define STORE_MAP_BYTES ((size_t)1 << 36)
#define SCRATCH_MAP_BYTES ((size_t)1 << 34)
#define SCRATCH_MAP_BYTES_MIN ((size_t)1 << 26)
/* The named tables of a temporary scratch state and of a scratch ledger. */
#define SCRATCH_STATE_DBS 2
#define SCRATCH_LEDGER_DBS 8
/* The least room for growth a writer reserves when memory is limited. */
#define STORE_MAP_BYTES_MIN ((size_t)1 << 26)
/* LMDB's lock file for its default 126 readers: a 192-byte header and 125
 * more 64-byte reader slots (lmdb.h: MDB_txninfo, MDB_reader). It is given
 * its disk blocks before LMDB maps it: a lock file made on a full disk would
 * otherwise be sparse, and LMDB's first write to its mapping raises SIGBUS. */
#define STORE_LOCK_BYTES 8192
/* A test knob: POOLBOOK_TEST_MAP_BYTES sets the map size of a writable open
 * (tests/cli/faults.sh fills a tiny map). Unset in normal use. */
#define STORE_MAP_ENV "POOLBOOK_TEST_MAP_BYTES"
/* Records a bulk replay or append admits between hand-offs of its
 * signatures to the pipeline (pb_sigpipe): what bounds its queued memory. */
#define STORE_SIG_CHUNK 4096

struct pb_store {
    MDB_env *env;
    MDB_dbi records;
    MDB_dbi hashes;
    MDB_dbi ids;
    MDB_dbi checkpoints;
    MDB_dbi state;
    MDB_dbi meta;
    int rdonly;
    const pb_log_rules *rules; /* borrowed; NULL: appends and reindex refused */
    pb_progress_fn progress;   /* may be NULL */
    void *progress_ctx;
    char *path; /* the ledger file; NULL for a scratch ledger */
    int format; /* PB_LEDGER_V1..V3: how tree hashes are keyed and which are stored */
};

void
pb_store_set_progress(pb_store *store, pb_progress_fn fn, void *ctx)
{
    PB_ASSERT(store != NULL);
    store->progress = fn;
    store->progress_ctx = ctx;
}

void
pb_store_progress(const pb_store *store, const char *what, uint64_t done, uint64_t total)
{
    PB_ASSERT(done <= total);
    if (store->progress != NULL && (done % PB_PROGRESS_STEP == 0 || done == total)) {
        store->progress(store->progress_ctx, what, done, total);
    }
}

int
pb_store_error(pb_error *err, int mdb_rc, const char *what)
{
    /* LMDB passes errno values through (ENOSPC on a full disk): plain words. */
    int code = pb_error_set(err, PB_ESTORE, NULL, "%s: %s", what,
                            mdb_rc > 0 ? pb_errno_text(mdb_rc) : mdb_strerror(mdb_rc));
    if (err != NULL && err->sys == 0) {
        err->sys = mdb_rc;
    }
    return code;
}

static void
put_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t
get_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | in[i];
    }
    return v;
}

/* ---- opening ------------------------------------------------------------ */

static int txn_begin(pb_store *s, unsigned flags, MDB_txn **txn_out);

/* Below this much free space a failed write is taken for a full disk. */
#define STORE_DISK_FULL_BYTES ((uint64_t)1 << 20)

/* Commit txn. LMDB reports a short write as EIO ("Input/output error"),
 * which on a full disk is ENOSPC: the file system's free space decides. */
static int
txn_commit(pb_store *s, MDB_txn *txn)
{
    int mrc = mdb_txn_commit(txn);
    int fd = -1;
    struct statvfs vfs;
    if (mrc == EIO && mdb_env_get_fd(s->env, &fd) == 0 && fstatvfs(fd, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < STORE_DISK_FULL_BYTES) {
        mrc = ENOSPC;
    }
    return mrc;
}

static int
open_dbis(pb_store *s, MDB_txn *txn, unsigned flags, pb_error *err)
{
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {{"records", &s->records},         {"hashes", &s->hashes}, {"ids", &s->ids},
               {"checkpoints", &s->checkpoints}, {"state", &s->state},   {"meta", &s->meta}};
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        int mrc = mdb_dbi_open(txn, dbs[i].name, flags, dbs[i].dbi);
        if (mrc == MDB_NOTFOUND) {
            return pb_error_set(err, PB_ENOLEDGER, NULL, "not a poolbook ledger (no %s table)",
                                dbs[i].name);
        }
        if (mrc != 0) {
            return pb_store_error(err, mrc, "opening the ledger's tables");
        }
    }
    return PB_OK;
}

/* The layout a new ledger gets: v3, or what the test knob names. */
static int
new_format(void)
{
    const char *knob = getenv(STORE_FORMAT_ENV);
    if (knob != NULL && strcmp(knob, "v1") == 0) {
        return PB_LEDGER_V1;
    }
    if (knob != NULL && strcmp(knob, "v2") == 0) {
        return PB_LEDGER_V2;
    }
    return STORE_FORMAT_NEW;
}

/* PB_LEDGER_V1..V3 for a stored format name, 0 for any other bytes. */
static int
format_of(const void *bytes, size_t len)
{
    for (int f = PB_LEDGER_V1; f <= PB_LEDGER_V3; f++) {
        if (len == strlen(store_formats[f]) && memcmp(bytes, store_formats[f], len) == 0) {
            return f;
        }
    }
    return 0;
}

static int
init_tables(pb_store *s, int create, pb_error *err)
{
    MDB_txn *txn = NULL;
    int mrc = txn_begin(s, create ? 0 : MDB_RDONLY, &txn);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "starting a transaction");
    }
    int rc = open_dbis(s, txn, create ? MDB_CREATE : 0, err);
    MDB_val k = {6, "format"};
    MDB_val v;
    if (rc == PB_OK && create) {
        s->format = new_format();
        v.mv_size = strlen(store_formats[s->format]);
        v.mv_data = (void *)store_formats[s->format];
        mrc = mdb_put(txn, s->meta, &k, &v, MDB_NOOVERWRITE);
        rc = mrc == 0 ? PB_OK : pb_store_error(err, mrc, "writing the ledger format");
    } else if (rc == PB_OK) {
        mrc = mdb_get(txn, s->meta, &k, &v);
        s->format = mrc == 0 ? format_of(v.mv_data, v.mv_size) : 0;
        if (s->format == 0) {
            rc = pb_error_set(err, PB_ENOLEDGER, NULL, "not a poolbook ledger file (%s, %s or %s)",
                              store_formats[PB_LEDGER_V3], store_formats[PB_LEDGER_V2],
                              store_formats[PB_LEDGER_V1]);
        }
    }
    if (rc != PB_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    mrc = txn_commit(s, txn); /* also keeps the table handles */
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "opening the ledger");
}

int
pb_store_leaves_stored(const pb_store *store)
{
    return pb_store_format(store) != PB_LEDGER_V3;
}

int
pb_store_format(const pb_store *store)
{
    PB_ASSERT(store != NULL);
    PB_ASSERT(store->format >= PB_LEDGER_V1 && store->format <= PB_LEDGER_V3);
    return store->format;
}

const pb_log_rules *
pb_log_rules_of(const pb_store *store)
{
    PB_ASSERT(store != NULL);
    return store->rules;
}

/* Refuse what is not a ledger file before LMDB touches it: a folder, a FIFO
 * (opening it would hang), a device, an empty file. */
static int
check_ledger_file(const char *path, const struct stat *st, pb_error *err)
{
    if (S_ISDIR(st->st_mode)) {
        return pb_error_set(err, PB_ENOLEDGER, path, "the ledger path is a folder, not a file");
    }
    if (!S_ISREG(st->st_mode)) {
        return pb_error_set(err, PB_ENOLEDGER, path,
                            "the ledger path is not a regular file (a FIFO, device or socket)");
    }
    if (st->st_size == 0) {
        return pb_error_set(err, PB_ENOLEDGER, path, "the ledger file is empty");
    }
    return PB_OK;
}

/* Give a new (or empty) lock file its blocks; see STORE_LOCK_BYTES. A lock
 * file in use is never resized: its readers' table is mapped by others. */
static int
prepare_lock(const char *path, pb_error *err)
{
    char lock[4096];
    struct stat st;
    snprintf(lock, sizeof(lock), "%s-lock", path);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        return PB_OK; /* a read-only folder: LMDB reports what it cannot do */
    }
    int rc = PB_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = pb_error_set(err, PB_ENOLEDGER, lock, "the ledger's lock file is not a regular file");
    } else if (st.st_size == 0) {
        int frc = posix_fallocate(fd, 0, STORE_LOCK_BYTES);
        if (frc != 0 && frc != EOPNOTSUPP && frc != EINVAL) {
            rc = pb_error_set(err, PB_EIO, lock, "cannot make the ledger's lock file: %s",
                              pb_errno_text(frc));
            if (ftruncate(fd, 0) != 0) {
                /* left as LMDB would find a new file */
            }
        }
    }
    close(fd);
    return rc;
}

/* A truncated ledger file would raise SIGBUS on the first read of a page past
 * its end: the file must hold every page up to LMDB's last. */
static int
check_pages(pb_store *s, pb_error *err)
{
    MDB_envinfo info;
    MDB_stat stat_info;
    struct stat st;
    int fd = -1;
    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &stat_info) != 0 ||
        mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &st) != 0) {
        return pb_error_set(err, PB_ESTORE, NULL, "cannot read the ledger file's size");
    }
    uint64_t need_bytes = ((uint64_t)info.me_last_pgno + 1) * stat_info.ms_psize;
    if (need_bytes > (uint64_t)st.st_size) {
        return pb_error_set(err, PB_ENOLEDGER, NULL,
                            "the ledger file is truncated: %lld bytes, but its pages end at %llu",
                            (long long)st.st_size, (unsigned long long)need_bytes);
    }
    return PB_OK;
}

/* The map size: a writer reserves STORE_MAP_BYTES of address space (the file
 * grows sparsely within it); a reader maps only the file as it is, so a
 * read-only open works under a small `ulimit -v`. */
static size_t
map_bytes(int rdonly, const struct stat *st)
{
    if (rdonly) {
        return (size_t)st->st_size;
    }
    const char *knob = getenv(STORE_MAP_ENV);
    if (knob != NULL && knob[0] != '\0') {
        char *end = NULL;
        unsigned long long n = strtoull(knob, &end, 10);
        if (*end == '\0' && n >= 65536 && n <= STORE_MAP_BYTES) {
            return (size_t)n;
        }
    }
    return STORE_MAP_BYTES;
}

/* Begin a transaction, mending what other processes leave behind: reader
 * slots of readers killed with -9 (MDB_READERS_FULL: mdb_reader_check frees
 * them, then one retry), and a file grown by a writer past a reader's map
 * (MDB_MAP_RESIZED: the map is set to the file's new size, then one retry). */
static int
txn_begin(pb_store *s, unsigned flags, MDB_txn **txn_out)
{
    int mrc = mdb_txn_begin(s->env, NULL, flags, txn_out);
    if (mrc == MDB_READERS_FULL) {
        int dead = 0;
        mdb_reader_check(s->env, &dead);
        mrc = mdb_txn_begin(s->env, NULL, flags, txn_out);
    } else if (mrc == MDB_MAP_RESIZED) {
        int fd = -1;
        struct stat st;
        size_t size = 0; /* 0: adopt the size the writer recorded */
        if (s->rdonly && mdb_env_get_fd(s->env, &fd) == 0 && fstat(fd, &st) == 0) {
            size = (size_t)st.st_size;
        }
        mrc = mdb_env_set_mapsize(s->env, size);
        if (mrc == 0) {
            mrc = mdb_txn_begin(s->env, NULL, flags, txn_out);
        }
    }
    if (mrc != 0) {
        *txn_out = NULL;
    }
    return mrc;
}

/* Create and open the environment with a map of map_bytes. */
static int
env_try(pb_store *s, const char *path, size_t map_bytes_now)
{
    int mrc = mdb_env_create(&s->env);
    if (mrc == 0) {
        mrc = mdb_env_set_maxdbs(s->env, 8);
    }
    if (mrc == 0) {
        mrc = mdb_env_set_mapsize(s->env, map_bytes_now);
    }
    if (mrc == 0) {
        mrc = mdb_env_open(s->env, path, MDB_NOSUBDIR | (s->rdonly ? MDB_RDONLY : 0), 0600);
    }
    if (mrc != 0 && s->env != NULL) {
        mdb_env_close(s->env); /* LMDB: an environment that failed to open is closed */
        s->env = NULL;
    }
    return mrc;
}

static int
env_open(pb_store *s, const char *path, int create, const struct stat *st, pb_error *err)
{
    size_t map = map_bytes(s->rdonly, st);
    int mrc = env_try(s, path, map);
    /* Under a memory limit (ulimit -v) a writer's reservation is halved until
     * it fits, down to what the file holds plus STORE_MAP_BYTES_MIN. */
    while (mrc == ENOMEM && !s->rdonly && map / 2 >= (size_t)st->st_size + STORE_MAP_BYTES_MIN) {
        map /= 2;
        mrc = env_try(s, path, map);
    }
    if (mrc == ENOSPC) {
        return pb_error_set(err, PB_EIO, NULL, "cannot open the ledger: %s", pb_errno_text(mrc));
    }
    if (mrc != 0) {
        return mrc == EINVAL || mrc == MDB_INVALID || mrc == MDB_VERSION_MISMATCH
                   ? pb_error_set(err, PB_ENOLEDGER, NULL, "not an LMDB ledger file: %s",
                                  mdb_strerror(mrc))
                   : pb_store_error(err, mrc, "opening the ledger");
    }
    int dead = 0;
    mdb_reader_check(s->env, &dead); /* free the slots of readers killed with -9 */
    return create ? PB_OK : check_pages(s, err);
}

int
pb_log_open(const char *path, int flags, const pb_log_rules *rules, pb_store **store_out,
            pb_error *err)
{
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    struct stat st;
    memset(&st, 0, sizeof(st));
    int exists = stat(path, &st) == 0;
    int create = (flags & PB_STORE_CREATE) != 0;
    if (create && exists) {
        return pb_error_set(err, PB_EEXIST, path, "a file already exists there");
    }
    if (!create && !exists) {
        return pb_error_set(err, PB_ENOLEDGER, path,
                            "no ledger here (make one with `poolbook init`)");
    }
    int rc = create ? PB_OK : check_ledger_file(path, &st, err);
    if (rc == PB_OK) {
        rc = prepare_lock(path, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    pb_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    s->rdonly = (flags & PB_STORE_RDONLY) != 0 && !create;
    s->rules = rules;
    s->path = strdup(path);
    rc = s->path != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc == PB_OK) {
        rc = env_open(s, path, create, &st, err);
    }
    if (rc == PB_OK) {
        rc = init_tables(s, create, err);
    }
    if (rc != PB_OK) {
        pb_error_prefix_where(err, path);
        pb_store_close(s);
        if (create) {
            char lock[4096];
            snprintf(lock, sizeof(lock), "%s-lock", path);
            unlink(path);
            unlink(lock);
        }
        return rc;
    }
    *store_out = s;
    return PB_OK;
}

static void scratch_env_close(MDB_env *env, unsigned maxdbs);

void
pb_store_close(pb_store *store)
{
    if (store == NULL) {
        return;
    }
    if (store->env != NULL && store->path == NULL) {
        scratch_env_close(store->env, SCRATCH_LEDGER_DBS);
    } else if (store->env != NULL) {
        mdb_env_close(store->env);
    }
    free(store->path);
    free(store);
}

const char *
pb_store_path(const pb_store *store)
{
    PB_ASSERT(store != NULL);
    return store->path;
}

/* ---- reading within a transaction -------------------------------------- */

static int
txn_size(const pb_store *s, MDB_txn *txn, uint64_t *size_out, pb_error *err)
{
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(txn, s->records, &cur);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the log");
    }
    MDB_val k;
    MDB_val v;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (mrc == MDB_NOTFOUND) {
        *size_out = 0;
        return PB_OK;
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the log");
    }
    if (k.mv_size != 8) {
        return pb_error_set(err, PB_ESTORE, NULL, "the log has a malformed index key");
    }
    *size_out = get_be64(k.mv_data) + 1;
    return PB_OK;
}

void
pb_store_hash_key(int format, uint32_t level, uint64_t index, uint8_t key[9])
{
    PB_ASSERT(format >= PB_LEDGER_V1 && format <= PB_LEDGER_V3);
    PB_ASSERT(level < 64 && index < (UINT64_MAX >> level));
    if (format == PB_LEDGER_V1) {
        key[0] = (uint8_t)level;
        put_be64(key + 1, index);
    } else {
        put_be64(key, ((index + 1) << level) - 1);
        key[8] = (uint8_t)level;
    }
}

/* A v3 file stores no leaf hash (level 0): it is SHA-256(0x00 || record),
 * and the record is stored under the same index. */
static int
txn_leaf_hash(const pb_store *s, MDB_txn *txn, uint64_t index, uint8_t out[32], pb_error *err)
{
    uint8_t key[8];
    put_be64(key, index);
    MDB_val k = {sizeof(key), key};
    MDB_val v;
    int mrc = mdb_get(txn, s->records, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return pb_error_set(err, PB_ESTORE, NULL,
                            "tree hash (level 0, index %llu) is missing: no record %llu",
                            (unsigned long long)index, (unsigned long long)index);
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading a record");
    }
    pb_merkle_leaf_hash(v.mv_data, v.mv_size, out);
    return PB_OK;
}

static int
txn_hash_get(const pb_store *s, MDB_txn *txn, uint32_t level, uint64_t index, uint8_t out[32],
             pb_error *err)
{
    if (level == 0 && !pb_store_leaves_stored(s)) {
        return txn_leaf_hash(s, txn, index, out, err);
    }
    uint8_t key[9];
    pb_store_hash_key(s->format, level, index, key);
    MDB_val k = {sizeof(key), key};
    MDB_val v;
    int mrc = mdb_get(txn, s->hashes, &k, &v);
    if (mrc == MDB_NOTFOUND || (mrc == 0 && v.mv_size != 32)) {
        return pb_error_set(err, PB_ESTORE, NULL, "tree hash (level %u, index %llu) is missing",
                            level, (unsigned long long)index);
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading a tree hash");
    }
    memcpy(out, v.mv_data, 32);
    return PB_OK;
}

static int
txn_hash_put(const pb_store *s, MDB_txn *txn, uint32_t level, uint64_t index,
             const uint8_t hash[32], pb_error *err)
{
    PB_ASSERT(level > 0 || pb_store_leaves_stored(s));
    uint8_t key[9];
    pb_store_hash_key(s->format, level, index, key);
    MDB_val k = {sizeof(key), key};
    MDB_val v = {32, (void *)hash};
    /* In creation order each key is past every stored one: MDB_APPEND fills
     * the last page instead of splitting it in half (and refuses a key that
     * is not past them, as MDB_NOOVERWRITE refuses one stored already). */
    unsigned flags = MDB_NOOVERWRITE | (s->format == PB_LEDGER_V1 ? 0 : MDB_APPEND);
    int mrc = mdb_put(txn, s->hashes, &k, &v, flags);
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "writing a tree hash");
}

/* ---- appending ----------------------------------------------------------- */

/* What is checked before the write transaction: form and canonical bytes. */
struct prepared {
    json_t *record;
    char *bytes;
    size_t len;
    const char *id;
};

static int
prepare(const pb_log_rules *rules, json_t *record, struct prepared *p, pb_error *err)
{
    memset(p, 0, sizeof(*p));
    int rc = pb_log_check_form(record, rules, err);
    if (rc == PB_OK) {
        rc = pb_json_canonical(record, &p->bytes, &p->len, err);
    }
    if (rc == PB_OK && p->len > PB_RECORD_BYTES_MAX) {
        rc = pb_error_set(err, PB_ETOOBIG, "$",
                          "record is %zu bytes, over the limit of %d that a tile's "
                          "uint16 length can hold",
                          p->len, PB_RECORD_BYTES_MAX);
    }
    p->record = record;
    p->id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    return rc;
}

/* DESIGN 4: leaf (0, n) (not stored in a v3 file: its record is), then
 * each parent that leaf completes. */
static int
append_tree(const pb_store *s, MDB_txn *txn, uint64_t n, const struct prepared *p, pb_error *err)
{
    uint8_t h[32];
    pb_merkle_leaf_hash(p->bytes, p->len, h);
    int rc = pb_store_leaves_stored(s) ? txn_hash_put(s, txn, 0, n, h, err) : PB_OK;
    uint32_t level = 0;
    uint64_t idx = n;
    while (rc == PB_OK && (idx & 1) == 1) {
        uint8_t left[32];
        rc = txn_hash_get(s, txn, level, idx - 1, left, err);
        if (rc == PB_OK) {
            pb_merkle_node_hash(left, h, h);
            level++;
            idx >>= 1;
            rc = txn_hash_put(s, txn, level, idx, h, err);
        }
    }
    return rc;
}

/* Is this id taken? 1: by this very record (nothing to do), 0: free. */
static int
check_id(const pb_store *s, MDB_txn *txn, const struct prepared *p, int *present_out,
         uint64_t *index_out, pb_error *err)
{
    MDB_val k = {strlen(p->id), (void *)p->id};
    MDB_val v;
    *present_out = 0;
    int mrc = mdb_get(txn, s->ids, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_OK;
    }
    if (mrc != 0 || v.mv_size != 8) {
        return pb_store_error(err, mrc != 0 ? mrc : MDB_CORRUPTED, "reading the id index");
    }
    uint64_t index = get_be64(v.mv_data);
    uint8_t key[8];
    put_be64(key, index);
    MDB_val rk = {8, key};
    MDB_val rv;
    mrc = mdb_get(txn, s->records, &rk, &rv);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading a record");
    }
    if (rv.mv_size == p->len && memcmp(rv.mv_data, p->bytes, p->len) == 0) {
        *present_out = 1;
        *index_out = index;
        return PB_OK;
    }
    return pb_error_set(err, PB_EID_EXISTS_DIFFERENT, "$.entry.id",
                        "id \"%s\" is already used by a different record at index %llu", p->id,
                        (unsigned long long)index);
}

static int
write_record(const pb_store *s, MDB_txn *txn, uint64_t n, const struct prepared *p, pb_error *err)
{
    uint8_t key[8];
    put_be64(key, n);
    MDB_val k = {8, key};
    MDB_val v = {p->len, p->bytes};
    int mrc = mdb_put(txn, s->records, &k, &v, MDB_NOOVERWRITE | MDB_APPEND);
    if (mrc == 0 && p->id != NULL) { /* NULL only when loading a bundle's unchecked record */
        MDB_val ik = {strlen(p->id), (void *)p->id};
        MDB_val iv = {8, key};
        mrc = mdb_put(txn, s->ids, &ik, &iv, MDB_NOOVERWRITE);
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "writing a record");
    }
    return append_tree(s, txn, n, p, err);
}

struct batch_result {
    uint64_t appended;
    uint64_t present;
    uint64_t last_index;
    int last_present;
    uint64_t first; /* the tree size when the transaction began */
};

/* ---- batches: one write transaction, fed record by record ---------------- */

/* Records in each of a batch's two chunks: one is checked statelessly (parse,
 * signing, form, canonical bytes) on a worker thread while the writer admits
 * the other in order (DESIGN 4). Two chunks are all a batch holds, whatever
 * its length: its memory does not grow with the number of records. */
#define BATCH_CHUNK_RECORDS STORE_SIG_CHUNK
/* Batch positions of the last appended records, by index: enough for every
 * record whose signature pb_sigpipe may still hold (two hand-offs of
 * STORE_SIG_CHUNK, and the chunk being admitted). */
#define BATCH_RING_RECORDS (4 * STORE_SIG_CHUNK)
_Static_assert(BATCH_RING_RECORDS >= 2 * STORE_SIG_CHUNK + BATCH_CHUNK_RECORDS,
               "the ring covers every record whose signature is still queued");

/* Which failure a batch names: one that stops the batch itself (no memory,
 * no transaction, over the limit); else the first record whose text does not
 * parse or that cannot be signed; else the first that fails the form checks;
 * else the first refused by admission or by its signature. This is the order
 * in which the whole-batch path found them (parse, sign, prepare every
 * record, then admit), so a bad batch names the same record however it is
 * streamed or split over threads. */
enum batch_tier {
    TIER_FATAL = 0,
    TIER_INPUT = 1,
    TIER_FORM = 2,
    TIER_ADMIT = 3,
    TIER_NONE = 4,
};

struct batch_item {
    char *text; /* pb_batch_add_text: parsed on the worker, then freed; else NULL */
    size_t text_len;
    struct prepared p; /* p.record: an owned reference; p.bytes owned */
};

struct batch_chunk {
    struct batch_item *items; /* BATCH_CHUNK_RECORDS */
    size_t count;
    size_t first_pos; /* batch position of items[0] */
    const pb_log_rules *rules;
    const pb_seckey *signer; /* may be NULL */
    /* the chunk's first stateless failure, written by chunk_prepare */
    int tier;
    size_t fail_pos;
    pb_error err;
};

struct pb_batch {
    pb_store *store;
    MDB_txn *txn;   /* begun when the first chunk is admitted */
    pb_state state; /* with the transaction's cache of parsed state values */
    pb_sigpipe pipe;
    struct batch_chunk chunks[2];
    struct batch_chunk *fill;      /* being filled by the caller */
    struct batch_chunk *in_worker; /* prepared (on the worker if on_thread), not yet admitted */
    pthread_t worker;
    int on_thread;
    size_t added;   /* records given so far */
    uint64_t total; /* records expected (progress); 0: not known */
    uint64_t n;     /* the tree size as admitted so far */
    struct batch_result res;
    int tier; /* the failure to name: lowest tier, then lowest position */
    size_t fail_pos;
    pb_error err;
    pb_batch_admitted_fn on_admit; /* may be NULL: pb_batch_on_admit */
    void *on_admit_ctx;
    size_t ring[BATCH_RING_RECORDS]; /* batch position of index res.first + k */
};

/* Keep err as the batch's failure if it comes before the one kept. */
static void
batch_fail(pb_batch *b, int tier, size_t pos, const pb_error *err)
{
    PB_ASSERT(tier < TIER_NONE && err->code != PB_OK);
    if (tier < b->tier || (tier == b->tier && pos < b->fail_pos)) {
        b->tier = tier;
        b->fail_pos = pos;
        b->err = *err;
        b->err.index = tier == TIER_FATAL ? -1 : (int64_t)pos;
    }
}

/* The stateless checks of one chunk: parse, sign, form and canonical bytes.
 * Runs on the worker while the writer admits the chunk before; touches only
 * this chunk's records. */
static void
chunk_prepare(struct batch_chunk *c)
{
    for (size_t i = 0; i < c->count && c->tier > TIER_INPUT; i++) {
        struct batch_item *it = &c->items[i];
        pb_error e;
        pb_error_init(&e);
        int tier = TIER_INPUT;
        int rc = PB_OK;
        if (it->text != NULL) {
            rc = pb_json_parse(it->text, it->text_len, PB_RECORD_BYTES_MAX, &it->p.record, &e);
            free(it->text);
            it->text = NULL;
        }
        if (rc == PB_OK && c->signer != NULL) {
            rc = pb_log_sign(it->p.record, c->rules, c->signer, &e);
        }
        if (rc == PB_OK && c->tier > TIER_FORM) {
            tier = TIER_FORM;
            rc = prepare(c->rules, it->p.record, &it->p, &e);
        }
        if (rc != PB_OK && tier < c->tier) {
            c->tier = tier;
            c->fail_pos = c->first_pos + i;
            c->err = e;
        }
    }
}

static void *
chunk_worker(void *arg)
{
    chunk_prepare(arg);
    return NULL;
}

static void
chunk_release(struct batch_chunk *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].text);
        json_decref(c->items[i].p.record);
        free(c->items[i].p.bytes);
        memset(&c->items[i], 0, sizeof(c->items[i]));
    }
    c->count = 0;
    c->tier = TIER_NONE;
    pb_error_init(&c->err);
}

/* Begin the write transaction (once): the tree size it starts from. */
static void
batch_begin(pb_batch *b)
{
    if (b->txn != NULL || b->tier != TIER_NONE) {
        return;
    }
    pb_error e;
    pb_error_init(&e);
    int mrc = txn_begin(b->store, 0, &b->txn);
    int rc = mrc == 0 ? PB_OK : pb_store_error(&e, mrc, "starting a write transaction");
    rc = rc == PB_OK ? txn_size(b->store, b->txn, &b->n, &e) : rc;
    b->state = (pb_state){b->txn, b->store->state, NULL, b->store, b->txn};
    rc = rc == PB_OK ? pb_state_cache_new(&b->state.cache, &e) : rc;
    if (rc != PB_OK) {
        batch_fail(b, TIER_FATAL, 0, &e);
        return;
    }
    b->res.first = b->n;
}

/* Hand the signatures queued so far to the pipeline (wait: and wait for all
 * of them); a bad one is named by its batch position. */
static void
batch_sigs(pb_batch *b, int wait)
{
    pb_error e;
    pb_error_init(&e);
    if (pb_sigpipe_hand_off(&b->pipe, b->n, wait, &e) != PB_OK) {
        PB_ASSERT(e.index >= 0 && (uint64_t)e.index >= b->res.first && (uint64_t)e.index < b->n);
        PB_ASSERT(b->n - (uint64_t)e.index <= BATCH_RING_RECORDS);
        size_t pos = b->ring[((uint64_t)e.index - b->res.first) % BATCH_RING_RECORDS];
        pb_error sig;
        pb_error_init(&sig);
        pb_error_set(&sig, PB_ESIG_INVALID, "$.sigs", "%s", e.text);
        batch_fail(b, TIER_ADMIT, pos, &sig);
    }
}

/* Admit and write one record at batch position pos; signatures are queued. */
static int
batch_admit_one(pb_batch *b, const struct prepared *p, size_t pos, pb_error *err)
{
    pb_store *s = b->store;
    int present = 0;
    uint64_t at = 0;
    int rc = check_id(s, b->txn, p, &present, &at, err);
    if (rc == PB_OK && present) {
        b->res.present++;
        b->res.last_index = at;
        b->res.last_present = 1;
        return PB_OK;
    }
    if (rc == PB_OK && s->rules->check_new != NULL) {
        rc = s->rules->check_new(p->record, err);
    }
    rc = rc == PB_OK ? s->rules->admit(&b->state, p->record, b->n, b->pipe.batch, err) : rc;
    rc = rc == PB_OK ? write_record(s, b->txn, b->n, p, err) : rc;
    if (rc != PB_OK) {
        return rc;
    }
    b->ring[(b->n - b->res.first) % BATCH_RING_RECORDS] = pos;
    b->res.last_index = b->n;
    b->res.last_present = 0;
    b->res.appended++;
    b->n++;
    if ((b->n - b->res.first) % STORE_SIG_CHUNK == 0) {
        batch_sigs(b, 0);
    }
    return PB_OK;
}

/* Take a prepared chunk: note its stateless failure, else admit its records
 * in order while no failure is known; then release it. */
static void
batch_take(pb_batch *b, struct batch_chunk *c)
{
    if (c->tier < TIER_NONE) {
        batch_fail(b, c->tier, c->fail_pos, &c->err);
    }
    batch_begin(b);
    for (size_t i = 0; i < c->count && b->tier == TIER_NONE; i++) {
        pb_error e;
        pb_error_init(&e);
        size_t pos = c->first_pos + i;
        if (batch_admit_one(b, &c->items[i].p, pos, &e) != PB_OK) {
            batch_sigs(b, 1); /* a bad signature before it is named first */
            batch_fail(b, TIER_ADMIT, pos, &e);
        } else if (b->on_admit != NULL &&
                   b->on_admit(c->items[i].p.record, b->on_admit_ctx, &e) != PB_OK) {
            batch_fail(b, TIER_FATAL, 0, &e); /* the hook's own fault (no memory) */
        } else if (b->total > 1 && pos + 1 < b->total) {
            pb_store_progress(b->store, "appending", pos + 1, b->total);
        }
    }
    chunk_release(c);
}

/* The chunk being filled is full (or the batch ends: inline): check it on
 * the worker while the chunk before it is admitted here. */
static void
batch_rotate(pb_batch *b, int inline_only)
{
    struct batch_chunk *full = b->fill;
    struct batch_chunk *prev = b->in_worker;
    if (prev != NULL && b->on_thread) {
        pthread_join(b->worker, NULL);
        b->on_thread = 0;
    }
    b->in_worker = full;
    if (b->tier <= TIER_INPUT) {
        /* nothing later can come before the failure known: skip the work */
    } else if (inline_only || pthread_create(&b->worker, NULL, chunk_worker, full) != 0) {
        chunk_prepare(full); /* the end, or no thread to be had */
    } else {
        b->on_thread = 1;
    }
    if (prev != NULL) {
        batch_take(b, prev);
    }
    b->fill = full == &b->chunks[0] ? &b->chunks[1] : &b->chunks[0];
    PB_ASSERT(b->fill->count == 0);
    b->fill->first_pos = b->added;
}

/* Admit the chunk prepared last, if any. */
static void
batch_drain(pb_batch *b)
{
    struct batch_chunk *c = b->in_worker;
    if (c == NULL) {
        return;
    }
    if (b->on_thread) {
        pthread_join(b->worker, NULL);
        b->on_thread = 0;
    }
    b->in_worker = NULL;
    batch_take(b, c);
}

int
pb_batch_open(pb_store *store, pb_batch **batch_out, pb_error *err)
{
    PB_ASSERT(store != NULL && batch_out != NULL);
    *batch_out = NULL;
    if (store->rdonly) {
        return pb_error_set(err, PB_EUSAGE, NULL, "the ledger is open read-only");
    }
    if (store->rules == NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL, "the ledger is open without entry rules");
    }
    pb_batch *b = calloc(1, sizeof(*b));
    struct batch_item *items = calloc(2 * BATCH_CHUNK_RECORDS, sizeof(*items));
    if (b == NULL || items == NULL) {
        free(b);
        free(items);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    b->store = store;
    b->tier = TIER_NONE;
    pb_error_init(&b->err);
    for (int i = 0; i < 2; i++) {
        b->chunks[i].items = items + i * BATCH_CHUNK_RECORDS;
        b->chunks[i].rules = store->rules;
        chunk_release(&b->chunks[i]);
    }
    b->fill = &b->chunks[0];
    pb_sigpipe_init(&b->pipe, 0);
    *batch_out = b;
    return PB_OK;
}

void
pb_batch_expect(pb_batch *batch, uint64_t total)
{
    PB_ASSERT(batch != NULL && batch->added == 0);
    batch->total = total;
}

void
pb_batch_on_admit(pb_batch *batch, pb_batch_admitted_fn fn, void *ctx)
{
    PB_ASSERT(batch != NULL && batch->added == 0);
    batch->on_admit = fn;
    batch->on_admit_ctx = ctx;
}

void
pb_batch_sign_with(pb_batch *batch, const pb_seckey *key)
{
    PB_ASSERT(batch != NULL && batch->added == 0);
    batch->chunks[0].signer = key;
    batch->chunks[1].signer = key;
}

/* Queue one item into the chunk being filled; a full chunk rotates. */
static int
batch_push(pb_batch *b, const struct batch_item *item, pb_error *err)
{
    if (b->added == PB_BATCH_RECORDS_MAX) {
        pb_error e;
        pb_error_init(&e);
        pb_error_set(&e, PB_ETOOBIG, NULL, "more than %d records, over the batch limit",
                     PB_BATCH_RECORDS_MAX);
        batch_fail(b, TIER_FATAL, 0, &e);
        if (err != NULL) {
            *err = b->err;
        }
        return PB_ETOOBIG;
    }
    struct batch_chunk *c = b->fill;
    c->items[c->count++] = *item;
    b->added++;
    if (c->count == BATCH_CHUNK_RECORDS) {
        batch_rotate(b, 0);
    }
    return PB_OK;
}

int
pb_batch_add(pb_batch *batch, json_t *record, pb_error *err)
{
    PB_ASSERT(batch != NULL && record != NULL);
    struct batch_item item = {NULL, 0, {record, NULL, 0, NULL}};
    int rc = batch_push(batch, &item, err);
    if (rc != PB_OK) {
        json_decref(record);
    }
    return rc;
}

int
pb_batch_add_text(pb_batch *batch, const char *text, size_t len, pb_error *err)
{
    PB_ASSERT(batch != NULL && text != NULL);
    struct batch_item item = {malloc(len + 1), len, {NULL, NULL, 0, NULL}};
    if (item.text == NULL) {
        pb_error e;
        pb_error_init(&e);
        pb_error_set(&e, PB_ENOMEM, NULL, "out of memory");
        batch_fail(batch, TIER_FATAL, 0, &e);
        if (err != NULL) {
            *err = batch->err;
        }
        return PB_ENOMEM;
    }
    memcpy(item.text, text, len);
    item.text[len] = '\0';
    int rc = batch_push(batch, &item, err);
    if (rc != PB_OK) {
        free(item.text);
    }
    return rc;
}

int
pb_batch_check_input(pb_batch *batch, pb_error *err)
{
    PB_ASSERT(batch != NULL);
    if (batch->fill->count > 0) {
        batch_rotate(batch, 1);
    }
    struct batch_chunk *c = batch->in_worker;
    if (c != NULL && batch->on_thread) {
        pthread_join(batch->worker, NULL);
        batch->on_thread = 0;
    }
    if (c != NULL && c->tier <= TIER_INPUT) {
        batch_fail(batch, c->tier, c->fail_pos, &c->err);
    }
    if (batch->tier > TIER_INPUT) {
        return PB_OK;
    }
    if (err != NULL) {
        *err = batch->err;
    }
    return batch->err.code;
}

void
pb_batch_close(pb_batch *batch)
{
    if (batch == NULL) {
        return;
    }
    if (batch->on_thread) {
        pthread_join(batch->worker, NULL);
    }
    if (batch->txn != NULL) {
        mdb_txn_abort(batch->txn); /* on error nothing is changed */
    }
    pb_state_cache_free(batch->state.cache);
    pb_sigpipe_free(&batch->pipe);
    chunk_release(&batch->chunks[0]);
    chunk_release(&batch->chunks[1]);
    free(batch->chunks[0].items);
    free(batch);
}

/* What to do with the write transaction once every record is admitted:
 * commit it, or (a dry run) show the state to inspect and abort it. */
struct append_end {
    int dry_run;
    pb_store_inspect inspect; /* may be NULL */
    void *ctx;
};

/* Commit txn, or for a dry run inspect its state and abort it. Either way the
 * transaction is over on return. */
static int
append_finish(pb_store *store, MDB_txn *txn, const struct append_end *end, pb_error *err)
{
    if (!end->dry_run) {
        int mrc = txn_commit(store, txn);
        return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "committing the append");
    }
    int rc = PB_OK;
    if (end->inspect != NULL) {
        pb_state state = {txn, store->state, NULL, store, txn};
        rc = end->inspect(&state, end->ctx, err);
    }
    /* A dry run writes nothing: the records, tree hashes, ids and state the
     * transaction holds are thrown away with it. */
    mdb_txn_abort(txn);
    return rc;
}

/* Admit what is left, check the last signatures, then end the transaction as
 * end says. The batch is freed. */
static int
batch_end(pb_batch *b, const struct append_end *end, struct batch_result *res, pb_error *err)
{
    if (b->fill->count > 0) {
        batch_rotate(b, 1);
    }
    batch_drain(b);
    batch_begin(b); /* an empty batch still has a transaction */
    if (b->tier == TIER_NONE) {
        batch_sigs(b, 1);
    }
    if (b->tier == TIER_NONE) {
        /* The state admission changed, written before the commit (or a dry run's inspection). */
        pb_error e;
        pb_error_init(&e);
        if (pb_state_flush(&b->state, &e) != PB_OK) {
            batch_fail(b, TIER_FATAL, 0, &e);
        }
    }
    if (b->tier == TIER_NONE && b->added > 1 && (b->total > 1 || b->total == 0)) {
        pb_store_progress(b->store, "appending", b->added, b->added); /* the last line */
    }
    int rc = PB_OK;
    if (b->tier != TIER_NONE) {
        rc = b->err.code;
        if (err != NULL) {
            *err = b->err;
        }
    } else {
        MDB_txn *txn = b->txn;
        b->txn = NULL; /* over on return from append_finish */
        rc = append_finish(b->store, txn, end, err);
    }
    *res = b->res;
    pb_batch_close(b);
    return rc;
}

int
pb_batch_commit(pb_batch *batch, uint64_t *appended_out, uint64_t *present_out, pb_error *err)
{
    PB_ASSERT(batch != NULL);
    static const struct append_end commit = {0, NULL, NULL};
    struct batch_result res = {0, 0, 0, 0, 0};
    int rc = batch_end(batch, &commit, &res, err);
    if (rc == PB_OK && appended_out != NULL) {
        *appended_out = res.appended;
    }
    if (rc == PB_OK && present_out != NULL) {
        *present_out = res.present;
    }
    return rc;
}

int
pb_batch_commit_dry(pb_batch *batch, pb_store_inspect inspect, void *ctx, uint64_t *first_out,
                    uint64_t *appended_out, uint64_t *present_out, pb_error *err)
{
    PB_ASSERT(batch != NULL && first_out != NULL && appended_out != NULL && present_out != NULL);
    const struct append_end dry = {1, inspect, ctx};
    struct batch_result res = {0, 0, 0, 0, 0};
    int rc = batch_end(batch, &dry, &res, err);
    if (rc == PB_OK) {
        *first_out = res.first;
        *appended_out = res.appended;
        *present_out = res.present;
    }
    return rc;
}

/* A batch holding count records (new references), ready to end. */
static int
batch_of(pb_store *store, json_t *const *records, size_t count, pb_batch **batch_out, pb_error *err)
{
    PB_ASSERT(store != NULL && (records != NULL || count == 0));
    *batch_out = NULL;
    if (count > PB_BATCH_RECORDS_MAX) {
        return pb_error_set(err, PB_ETOOBIG, NULL, "%zu records, over the batch limit of %d", count,
                            PB_BATCH_RECORDS_MAX);
    }
    pb_batch *b = NULL;
    int rc = pb_batch_open(store, &b, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_batch_expect(b, count);
    for (size_t i = 0; rc == PB_OK && i < count; i++) {
        rc = pb_batch_add(b, json_incref(records[i]), err);
    }
    if (rc != PB_OK) {
        pb_batch_close(b);
        return rc;
    }
    *batch_out = b;
    return PB_OK;
}

static int
append_records(pb_store *store, json_t *const *records, size_t count, struct batch_result *res,
               const struct append_end *end, pb_error *err)
{
    pb_batch *b = NULL;
    int rc = batch_of(store, records, count, &b, err);
    return rc == PB_OK ? batch_end(b, end, res, err) : rc;
}

int
pb_store_append_batch(pb_store *store, json_t *const *records, size_t count, uint64_t *appended_out,
                      uint64_t *present_out, pb_error *err)
{
    static const struct append_end commit = {0, NULL, NULL};
    struct batch_result res = {0, 0, 0, 0};
    int rc = append_records(store, records, count, &res, &commit, err);
    if (rc == PB_OK && appended_out != NULL) {
        *appended_out = res.appended;
    }
    if (rc == PB_OK && present_out != NULL) {
        *present_out = res.present;
    }
    return rc;
}

int
pb_store_append(pb_store *store, json_t *record, uint64_t *index_out, int *present_out,
                pb_error *err)
{
    static const struct append_end commit = {0, NULL, NULL};
    struct batch_result res = {0, 0, 0, 0};
    json_t *one[1] = {record};
    int rc = append_records(store, one, 1, &res, &commit, err);
    if (rc != PB_OK) {
        if (err != NULL) {
            err->index = -1; /* a single record: no batch position */
        }
        return rc;
    }
    *index_out = res.last_index;
    *present_out = res.last_present;
    return PB_OK;
}

int
pb_store_check(pb_store *store, json_t *record, int *present_out, pb_error *err)
{
    static const struct append_end dry = {1, NULL, NULL};
    struct batch_result res = {0, 0, 0, 0, 0};
    json_t *one[1] = {record};
    int rc = append_records(store, one, 1, &res, &dry, err);
    if (err != NULL && rc != PB_OK) {
        err->index = -1;
    }
    if (rc == PB_OK && present_out != NULL) {
        *present_out = res.last_present;
    }
    return rc;
}

int
pb_store_append_dry(pb_store *store, json_t *const *records, size_t count, pb_store_inspect inspect,
                    void *ctx, uint64_t *first_out, uint64_t *appended_out, uint64_t *present_out,
                    pb_error *err)
{
    pb_batch *b = NULL;
    int rc = batch_of(store, records, count, &b, err);
    return rc == PB_OK
               ? pb_batch_commit_dry(b, inspect, ctx, first_out, appended_out, present_out, err)
               : rc;
}

/* ---- snapshots: one read transaction ----------------------------------- */

int
pb_snapshot_open(pb_store *store, pb_snapshot *snap, pb_error *err)
{
    memset(snap, 0, sizeof(*snap));
    snap->store = store;
    int mrc = txn_begin(store, MDB_RDONLY, &snap->txn);
    if (mrc != 0) {
        snap->txn = NULL;
        return pb_store_error(err, mrc, "starting a read transaction");
    }
    int rc = txn_size(store, snap->txn, &snap->size, err);
    if (rc != PB_OK) {
        pb_snapshot_close(snap);
    }
    return rc;
}

void
pb_snapshot_close(pb_snapshot *snap)
{
    if (snap->txn != NULL) {
        mdb_txn_abort(snap->txn);
        snap->txn = NULL;
    }
}

int
pb_snapshot_record(const pb_snapshot *snap, uint64_t index, const char **buf_out, size_t *len_out,
                   pb_error *err)
{
    uint8_t key[8];
    put_be64(key, index);
    MDB_val k = {8, key};
    MDB_val v;
    int mrc = mdb_get(snap->txn, snap->store->records, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return pb_error_set(err, PB_ENOTFOUND, NULL, "no record at index %llu",
                            (unsigned long long)index);
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading a record");
    }
    *buf_out = v.mv_data;
    *len_out = v.mv_size;
    return PB_OK;
}

int
pb_snapshot_hash(void *ctx, uint32_t level, uint64_t index, uint8_t out[32], pb_error *err)
{
    const pb_snapshot *snap = ctx;
    return txn_hash_get(snap->store, snap->txn, level, index, out, err);
}

int
pb_snapshot_find(const pb_snapshot *snap, const char *id, uint64_t *index_out, pb_error *err)
{
    MDB_val k = {strlen(id), (void *)id};
    MDB_val v;
    int mrc = mdb_get(snap->txn, snap->store->ids, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_ENOTFOUND;
    }
    if (mrc != 0 || v.mv_size != 8) {
        return pb_store_error(err, mrc != 0 ? mrc : MDB_CORRUPTED, "reading the id index");
    }
    *index_out = get_be64(v.mv_data);
    return PB_OK;
}

int
pb_snapshot_id_count(const pb_snapshot *snap, uint64_t *count_out, pb_error *err)
{
    MDB_stat st;
    int mrc = mdb_stat(snap->txn, snap->store->ids, &st);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the id index");
    }
    *count_out = st.ms_entries;
    return PB_OK;
}

void
pb_snapshot_state(const pb_snapshot *snap, pb_state *state_out)
{
    state_out->txn = snap->txn;
    state_out->dbi = snap->store->state;
    state_out->cache = NULL; /* a read transaction reads each value once or twice */
    state_out->log = snap->store;
    state_out->log_txn = snap->txn;
}

int
pb_state_record(const pb_state *state, const char *id, uint64_t before, json_t **record_out,
                uint64_t *index_out, pb_error *err)
{
    PB_ASSERT(state != NULL && id != NULL && record_out != NULL && index_out != NULL);
    if (state->log == NULL) {
        return PB_ENOTFOUND;
    }
    MDB_val k = {strlen(id), (void *)id};
    MDB_val v;
    int mrc = mdb_get(state->log_txn, state->log->ids, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_ENOTFOUND;
    }
    if (mrc != 0 || v.mv_size != 8) {
        return pb_store_error(err, mrc != 0 ? mrc : MDB_CORRUPTED, "reading the id index");
    }
    uint64_t index = get_be64(v.mv_data);
    if (index >= before) {
        return PB_ENOTFOUND; /* not yet appended when this record was */
    }
    uint8_t key[8];
    put_be64(key, index);
    MDB_val rk = {8, key};
    mrc = mdb_get(state->log_txn, state->log->records, &rk, &v);
    if (mrc != 0) {
        return pb_store_error(err, mrc == MDB_NOTFOUND ? MDB_CORRUPTED : mrc, "reading a record");
    }
    json_t *record = NULL;
    int rc = pb_json_parse_stored(v.mv_data, v.mv_size, &record, err);
    const char *has = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    if (rc == PB_OK && (has == NULL || strcmp(has, id) != 0)) {
        rc =
            pb_error_set(err, PB_ESTORE, id, "the id index names record %llu, which has another id",
                         (unsigned long long)index);
    }
    if (rc != PB_OK) {
        json_decref(record);
        return rc;
    }
    *record_out = record;
    *index_out = index;
    return PB_OK;
}

int
pb_state_each_record(const pb_state *state, uint64_t before, pb_record_visitor visit, void *ctx,
                     pb_error *err)
{
    PB_ASSERT(state != NULL && visit != NULL);
    if (state->log == NULL || before == 0) {
        return PB_OK;
    }
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(state->log_txn, state->log->records, &cur);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the records");
    }
    int rc = PB_OK;
    MDB_val k, v;
    uint64_t want = 0;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == PB_OK && want < before;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (mrc != 0 || k.mv_size != 8 || get_be64(k.mv_data) != want) {
            rc = pb_store_error(err, mrc != 0 && mrc != MDB_NOTFOUND ? mrc : MDB_CORRUPTED,
                                "reading the records");
            break;
        }
        rc = visit(ctx, want, v.mv_data, v.mv_size, err);
        want++;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* ---- simple reads -------------------------------------------------------- */

int
pb_store_size(pb_store *store, uint64_t *size_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc == PB_OK) {
        *size_out = snap.size;
        pb_snapshot_close(&snap);
    }
    return rc;
}

int
pb_store_origin(pb_store *store, char *buf, size_t size, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    json_t *origin = NULL;
    rc = pb_state_get(&state, "origin", &origin, err);
    if (rc == PB_ENOTFOUND) {
        rc = pb_error_set(err, PB_EGENESIS, NULL, "the ledger has no genesis entry yet");
    } else if (rc == PB_OK) {
        snprintf(buf, size, "%s", json_string_value(origin));
        json_decref(origin);
    }
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_store_record(pb_store *store, uint64_t index, char **buf_out, size_t *len_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    const char *bytes = NULL;
    size_t len = 0;
    rc = pb_snapshot_record(&snap, index, &bytes, &len, err);
    if (rc == PB_OK) {
        char *copy = malloc(len + 1);
        if (copy == NULL) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        } else {
            memcpy(copy, bytes, len);
            copy[len] = '\0';
            *buf_out = copy;
            *len_out = len;
        }
    }
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_store_find(pb_store *store, const char *id, uint64_t *index_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    rc = pb_snapshot_find(&snap, id, index_out, err);
    if (rc == PB_ENOTFOUND) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL, "no entry with id \"%s\"", id);
    }
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_store_root(pb_store *store, uint64_t tree_size, uint8_t root_out[32], pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (tree_size == 0 || tree_size > snap.size) {
        rc = pb_error_set(err, PB_ERANGE, NULL, "tree size %llu is not between 1 and %llu",
                          (unsigned long long)tree_size, (unsigned long long)snap.size);
    } else {
        rc = pb_merkle_range_hash(pb_snapshot_hash, &snap, 0, tree_size, root_out, err);
    }
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_store_key(pb_store *store, const char *keyid, json_t **key_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", keyid);
    rc = pb_state_get(&state, skey, key_out, err);
    if (rc == PB_ENOTFOUND) {
        rc = pb_error_set(err, PB_EKEY_UNKNOWN, NULL, "key %s is not bound in this ledger", keyid);
    }
    pb_snapshot_close(&snap);
    return rc;
}

/* ---- proofs ------------------------------------------------------------- */

int
pb_proof_inclusion(pb_store *store, uint64_t index, uint64_t tree_size, pb_proof *out,
                   pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    if (tree_size == 0 || tree_size > snap.size || index >= tree_size) {
        rc = pb_error_set(err, PB_ERANGE, NULL,
                          "index %llu in tree size %llu: the ledger has %llu records",
                          (unsigned long long)index, (unsigned long long)tree_size,
                          (unsigned long long)snap.size);
    }
    out->index_or_old_size = index;
    out->tree_size = tree_size;
    if (rc == PB_OK) {
        rc = pb_snapshot_hash(&snap, 0, index, out->leaf_or_old_root, err);
    }
    if (rc == PB_OK) {
        rc = pb_merkle_range_hash(pb_snapshot_hash, &snap, 0, tree_size, out->root, err);
    }
    if (rc == PB_OK) {
        rc = pb_merkle_inclusion(pb_snapshot_hash, &snap, index, tree_size, out, err);
    }
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_proof_consistency(pb_store *store, uint64_t old_size, uint64_t new_size, pb_proof *out,
                     pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    if (old_size == 0 || old_size > new_size || new_size > snap.size) {
        rc = pb_error_set(err, PB_ERANGE, NULL,
                          "sizes %llu and %llu must satisfy 1 <= old <= new <= %llu",
                          (unsigned long long)old_size, (unsigned long long)new_size,
                          (unsigned long long)snap.size);
    }
    out->index_or_old_size = old_size;
    out->tree_size = new_size;
    if (rc == PB_OK) {
        rc = pb_merkle_range_hash(pb_snapshot_hash, &snap, 0, old_size, out->leaf_or_old_root, err);
    }
    if (rc == PB_OK) {
        rc = pb_merkle_range_hash(pb_snapshot_hash, &snap, 0, new_size, out->root, err);
    }
    if (rc == PB_OK) {
        rc = pb_merkle_consistency(pb_snapshot_hash, &snap, old_size, new_size, out, err);
    }
    pb_snapshot_close(&snap);
    return rc;
}

/* ---- checkpoint lines ----------------------------------------------------- */

#define CHECKPOINT_KEY_BYTES (8 + 1 + 16)

int
pb_store_checkpoint_add(pb_store *store, const pb_checkpoint_line *line, pb_error *err)
{
    PB_ASSERT(strlen(line->keyid) == 16);
    PB_ASSERT(line->cosign >= 0 && line->cosign <= 2);
    uint8_t key[CHECKPOINT_KEY_BYTES];
    put_be64(key, line->tree_size);
    key[8] = (uint8_t)line->cosign;
    memcpy(key + 9, line->keyid, 16);
    MDB_txn *txn = NULL;
    int mrc = txn_begin(store, 0, &txn);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "starting a write transaction");
    }
    MDB_val k = {sizeof(key), key};
    MDB_val v = {strlen(line->line), line->line};
    mrc = mdb_put(txn, store->checkpoints, &k, &v, MDB_NOOVERWRITE);
    if (mrc == MDB_KEYEXIST) {
        /* Ed25519 is deterministic: the same signer over the same tree gives
         * the same line, so nothing changes. */
        int same = v.mv_size == strlen(line->line) && memcmp(v.mv_data, line->line, v.mv_size) == 0;
        /* A witness's cosignature carries its time, so a second one of the
         * same tree differs: the first is kept, nothing is overwritten. */
        same = same || line->cosign == 2;
        mdb_txn_abort(txn);
        return same ? PB_OK
                    : pb_error_set(err, PB_ENOTE, NULL,
                                   "a different signature by %s for tree size %llu is stored",
                                   line->keyid, (unsigned long long)line->tree_size);
    }
    if (mrc == 0) {
        mrc = txn_commit(store, txn);
        return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "storing a checkpoint");
    }
    mdb_txn_abort(txn);
    return pb_store_error(err, mrc, "storing a checkpoint");
}

void
pb_checkpoint_lines_free(pb_checkpoint_line *lines, size_t count)
{
    for (size_t i = 0; lines != NULL && i < count; i++) {
        free(lines[i].line);
    }
    free(lines);
}

static int
read_checkpoint_line(const MDB_val *k, const MDB_val *v, pb_checkpoint_line *out, pb_error *err)
{
    if (k->mv_size != CHECKPOINT_KEY_BYTES || v->mv_size == 0 || v->mv_size > 1024) {
        return pb_error_set(err, PB_ESTORE, NULL, "a stored checkpoint line is malformed");
    }
    const uint8_t *kb = k->mv_data;
    out->tree_size = get_be64(kb);
    out->cosign = kb[8];
    if (out->cosign > 2) {
        return pb_error_set(err, PB_ESTORE, NULL, "a stored checkpoint line has kind %d", kb[8]);
    }
    memcpy(out->keyid, kb + 9, 16);
    out->keyid[16] = '\0';
    out->line = malloc(v->mv_size + 1);
    if (out->line == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    memcpy(out->line, v->mv_data, v->mv_size);
    out->line[v->mv_size] = '\0';
    return PB_OK;
}

int
pb_snapshot_checkpoint_lines(const pb_snapshot *snap, pb_checkpoint_line **lines_out,
                             size_t *count_out, pb_error *err)
{
    MDB_stat st;
    int mrc = mdb_stat(snap->txn, snap->store->checkpoints, &st);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading checkpoints");
    }
    pb_checkpoint_line *lines = calloc(st.ms_entries + 1, sizeof(*lines));
    MDB_cursor *cur = NULL;
    if (lines == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    mrc = mdb_cursor_open(snap->txn, snap->store->checkpoints, &cur);
    if (mrc != 0) {
        free(lines);
        return pb_store_error(err, mrc, "reading checkpoints");
    }
    size_t n = 0;
    int rc = PB_OK;
    MDB_val k;
    MDB_val v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == PB_OK && n < st.ms_entries;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        rc = read_checkpoint_line(&k, &v, &lines[n], err);
        n += rc == PB_OK;
    }
    mdb_cursor_close(cur);
    if (rc == PB_OK && mrc != 0 && mrc != MDB_NOTFOUND) {
        rc = pb_store_error(err, mrc, "reading checkpoints");
    }
    if (rc != PB_OK) {
        pb_checkpoint_lines_free(lines, n);
        return rc;
    }
    *lines_out = lines;
    *count_out = n;
    return PB_OK;
}

/* ---- scratch state for verify -------------------------------------------- */

/* Temporary scratch environments kept for the next open instead of closed
 * (pb_scratch_keep): one per kind, told apart by maxdbs. A process that
 * verifies many bundles (the fuzz target) then pays for LMDB's environment
 * (its 2 MiB dirty-page list, the map) once, not per bundle. */
static struct {
    pthread_mutex_t lock;
    int on;
    MDB_env *env[2];
    unsigned maxdbs[2];
} scratch_kept = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Empty env for its next use: drop every named table its main table lists. */
static int
scratch_env_empty(MDB_env *env)
{
    MDB_txn *txn = NULL;
    int mrc = mdb_txn_begin(env, NULL, 0, &txn);
    MDB_dbi main_dbi;
    if (mrc == 0) {
        mrc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    }
    char names[16][64];
    size_t count = 0;
    MDB_cursor *cur = NULL;
    if (mrc == 0) {
        mrc = mdb_cursor_open(txn, main_dbi, &cur);
    }
    MDB_val k;
    MDB_val v;
    for (int c = mrc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : mrc; c == 0 && mrc == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (count == 16 || k.mv_size >= sizeof(names[0])) {
            mrc = MDB_INCOMPATIBLE; /* not a table this file made: do not keep it */
        } else {
            memcpy(names[count], k.mv_data, k.mv_size);
            names[count++][k.mv_size] = '\0';
        }
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    for (size_t i = 0; i < count && mrc == 0; i++) {
        MDB_dbi dbi;
        mrc = mdb_dbi_open(txn, names[i], 0, &dbi);
        if (mrc == 0) {
            mrc = mdb_drop(txn, dbi, 1);
        }
    }
    if (mrc == 0) {
        return mdb_txn_commit(txn);
    }
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    return mrc;
}

void
pb_scratch_keep(int on)
{
    pthread_mutex_lock(&scratch_kept.lock);
    scratch_kept.on = on;
    for (size_t i = 0; i < 2 && !on; i++) {
        if (scratch_kept.env[i] != NULL) {
            mdb_env_close(scratch_kept.env[i]);
            scratch_kept.env[i] = NULL;
        }
    }
    pthread_mutex_unlock(&scratch_kept.lock);
}

/* A kept environment of the kind maxdbs, or NULL. */
static MDB_env *
scratch_env_take(unsigned maxdbs)
{
    MDB_env *env = NULL;
    pthread_mutex_lock(&scratch_kept.lock);
    for (size_t i = 0; i < 2 && env == NULL; i++) {
        if (scratch_kept.env[i] != NULL && scratch_kept.maxdbs[i] == maxdbs) {
            env = scratch_kept.env[i];
            scratch_kept.env[i] = NULL;
        }
    }
    pthread_mutex_unlock(&scratch_kept.lock);
    return env;
}

/* Close a temporary scratch environment, or keep it emptied for the next
 * open of its kind. Its transactions are all ended. */
static void
scratch_env_close(MDB_env *env, unsigned maxdbs)
{
    pthread_mutex_lock(&scratch_kept.lock);
    for (size_t i = 0; i < 2 && env != NULL && scratch_kept.on; i++) {
        if (scratch_kept.env[i] == NULL && scratch_env_empty(env) == 0) {
            scratch_kept.env[i] = env;
            scratch_kept.maxdbs[i] = maxdbs;
            env = NULL;
        }
    }
    pthread_mutex_unlock(&scratch_kept.lock);
    if (env != NULL) {
        mdb_env_close(env);
    }
}

/* A private LMDB environment on a temporary file in $TMPDIR, removed at once
 * (the mapping keeps it alive until the environment closes): no lock file,
 * no syncing, nothing left behind even after a crash. */
static int
scratch_env_open(MDB_env **env_out, unsigned maxdbs, pb_error *err)
{
    *env_out = scratch_env_take(maxdbs);
    if (*env_out != NULL) {
        return PB_OK;
    }
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/poolbook-verify-XXXXXX", dir != NULL ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        return pb_error_set(err, PB_EIO, path, "cannot make a scratch file: %s",
                            pb_errno_text(errno));
    }
    close(fd);
    MDB_env *env = NULL;
    int mrc = ENOMEM;
    /* Under a memory limit (ulimit -v) the reservation is halved until it
     * fits: a smaller ledger's scratch state needs far less. */
    for (size_t map = SCRATCH_MAP_BYTES; mrc == ENOMEM && map >= SCRATCH_MAP_BYTES_MIN; map /= 2) {
        mrc = mdb_env_create(&env);
        if (mrc == 0) {
            mrc = mdb_env_set_mapsize(env, map);
        }
        if (mrc == 0) {
            mrc = mdb_env_set_maxdbs(env, maxdbs);
        }
        if (mrc == 0) {
            mrc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0600);
        }
        if (mrc != 0 && env != NULL) {
            mdb_env_close(env);
            env = NULL;
        }
    }
    unlink(path);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "opening a scratch database");
    }
    *env_out = env;
    return PB_OK;
}

int
pb_scratch_open(pb_scratch *scratch, pb_error *err)
{
    memset(scratch, 0, sizeof(*scratch));
    int rc = scratch_env_open(&scratch->env, SCRATCH_STATE_DBS, err);
    if (rc != PB_OK) {
        return rc;
    }
    int mrc = mdb_txn_begin(scratch->env, NULL, 0, &scratch->state.txn);
    if (mrc == 0) {
        mrc = mdb_dbi_open(scratch->state.txn, "state", MDB_CREATE, &scratch->state.dbi);
    }
    if (mrc != 0) {
        pb_scratch_close(scratch);
        return pb_store_error(err, mrc, "opening a scratch database");
    }
    return PB_OK;
}

int
pb_scratch_flush(pb_scratch *scratch, pb_error *err)
{
    int mrc = mdb_txn_commit(scratch->state.txn);
    scratch->state.txn = NULL;
    if (mrc == 0) {
        mrc = mdb_txn_begin(scratch->env, NULL, 0, &scratch->state.txn);
    }
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "flushing a scratch database");
}

/* The verifier's own state file (docs/verify.md): an LMDB file of its own
 * (MDB_NOSUBDIR, with its lock file), holding the replayed state and the
 * mark of how far it was verified. Commits are synced: the mark and the state
 * it describes are written in one transaction. */
int
pb_scratch_open_at(pb_scratch *scratch, const char *path, pb_error *err)
{
    memset(scratch, 0, sizeof(*scratch));
    scratch->kept = 1; /* from the start: a failed open closes, never keeps, the file */
    /* The state file's lock file gets its blocks first, as the ledger's does:
     * on a full disk LMDB's first write to a sparse lock mapping is SIGBUS. */
    int rc = prepare_lock(path, err);
    if (rc != PB_OK) {
        return rc;
    }
    int mrc = ENOMEM;
    /* Under a memory limit (ulimit -v) the reservation halves, as the
     * temporary scratch's does. */
    for (size_t map = SCRATCH_MAP_BYTES; mrc == ENOMEM && map >= SCRATCH_MAP_BYTES_MIN; map /= 2) {
        mrc = mdb_env_create(&scratch->env);
        if (mrc == 0) {
            mrc = mdb_env_set_mapsize(scratch->env, map);
        }
        if (mrc == 0) {
            mrc = mdb_env_set_maxdbs(scratch->env, 2);
        }
        if (mrc == 0) {
            mrc = mdb_env_open(scratch->env, path, MDB_NOSUBDIR, 0600);
        }
        if (mrc != 0 && scratch->env != NULL) {
            mdb_env_close(scratch->env);
            scratch->env = NULL;
        }
    }
    if (mrc == 0) {
        mrc = mdb_txn_begin(scratch->env, NULL, 0, &scratch->state.txn);
    }
    if (mrc == 0) {
        mrc = mdb_dbi_open(scratch->state.txn, "state", MDB_CREATE, &scratch->state.dbi);
    }
    MDB_dbi ledger_table;
    if (mrc == 0 && mdb_dbi_open(scratch->state.txn, "records", 0, &ledger_table) == 0) {
        pb_scratch_close(scratch);
        return pb_error_set(err, PB_EUSAGE, path, "a ledger, not a verifier's state file");
    }
    if (mrc == 0) {
        mrc = mdb_dbi_open(scratch->state.txn, "verified", MDB_CREATE, &scratch->verified);
    }
    if (mrc != 0) {
        pb_scratch_close(scratch);
        if (mrc == MDB_INVALID || mrc == MDB_VERSION_MISMATCH || mrc == EINVAL ||
            mrc == MDB_INCOMPATIBLE) {
            return pb_error_set(err, PB_EIO, path, "not a verifier's state file: %s",
                                mdb_strerror(mrc));
        }
        if (mrc == ENOENT || mrc == EACCES || mrc == EROFS || mrc == EPERM || mrc == ENOTDIR ||
            mrc == ENOSPC || mrc == EDQUOT || mrc == ENOMEM) {
            return pb_error_set(err, PB_EIO, path, "cannot open the verified state: %s",
                                mdb_strerror(mrc));
        }
        return pb_store_error(err, mrc, "opening the verified state");
    }
    rc = pb_state_cache_new(&scratch->state.cache, err);
    if (rc != PB_OK) {
        pb_scratch_close(scratch);
    }
    return rc;
}

#define MARK_MAGIC "pbmark1"
#define MARK_KEY "through"

int
pb_scratch_mark_get(const pb_scratch *scratch, pb_verified_mark *mark, pb_error *err)
{
    MDB_val k = {strlen(MARK_KEY), (void *)MARK_KEY};
    MDB_val v;
    int mrc = mdb_get(scratch->state.txn, scratch->verified, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_ENOTFOUND;
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the verified state");
    }
    if (v.mv_size != sizeof(MARK_MAGIC) + sizeof(*mark) ||
        memcmp(v.mv_data, MARK_MAGIC, sizeof(MARK_MAGIC)) != 0) {
        return pb_error_set(err, PB_EVERIFY, NULL,
                            "the verified state is not one this poolbook wrote "
                            "(verify --full replaces it)");
    }
    memcpy(mark, (const char *)v.mv_data + sizeof(MARK_MAGIC), sizeof(*mark));
    return PB_OK;
}

int
pb_scratch_mark_put(const pb_scratch *scratch, const pb_verified_mark *mark, pb_error *err)
{
    char buf[sizeof(MARK_MAGIC) + sizeof(*mark)];
    memcpy(buf, MARK_MAGIC, sizeof(MARK_MAGIC));
    memcpy(buf + sizeof(MARK_MAGIC), mark, sizeof(*mark));
    MDB_val k = {strlen(MARK_KEY), (void *)MARK_KEY};
    MDB_val v = {sizeof(buf), buf};
    int mrc = mdb_put(scratch->state.txn, scratch->verified, &k, &v, 0);
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "writing the verified state");
}

int
pb_scratch_reset(pb_scratch *scratch, pb_error *err)
{
    pb_state_cache_clear(scratch->state.cache);
    int mrc = mdb_drop(scratch->state.txn, scratch->state.dbi, 0);
    if (mrc == 0 && scratch->kept) {
        mrc = mdb_drop(scratch->state.txn, scratch->verified, 0);
    }
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "clearing the verified state");
}

int
pb_scratch_commit(pb_scratch *scratch, pb_error *err)
{
    int rc = pb_state_flush(&scratch->state, err);
    if (rc != PB_OK) {
        return rc;
    }
    int mrc = mdb_txn_commit(scratch->state.txn);
    scratch->state.txn = NULL;
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "writing the verified state");
}

void
pb_scratch_close(pb_scratch *scratch)
{
    if (scratch->state.txn != NULL) {
        mdb_txn_abort(scratch->state.txn);
        scratch->state.txn = NULL;
    }
    if (scratch->env != NULL && scratch->kept) {
        mdb_env_close(scratch->env);
    } else if (scratch->env != NULL) {
        scratch_env_close(scratch->env, SCRATCH_STATE_DBS);
    }
    scratch->env = NULL;
    pb_state_cache_free(scratch->state.cache);
    scratch->state.cache = NULL;
}

/* ---- a scratch ledger, loaded from a bundle ------------------------------ */

/* Records a loader writes between commits: as pb_scratch_flush, so a long
 * load never holds more dirty pages than LMDB allows in one transaction. */
#define LOADER_CHUNK_RECORDS 4096

int
pb_log_open_scratch(const pb_log_rules *rules, pb_store **store_out, pb_error *err)
{
    PB_ASSERT(store_out != NULL);
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    pb_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    s->rules = rules;
    int rc = scratch_env_open(&s->env, SCRATCH_LEDGER_DBS, err);
    if (rc == PB_OK) {
        rc = init_tables(s, 1, err);
    }
    if (rc != PB_OK) {
        pb_store_close(s);
        return rc;
    }
    *store_out = s;
    return PB_OK;
}

int
pb_loader_begin(pb_store *store, pb_loader *loader, pb_error *err)
{
    PB_ASSERT(store != NULL && loader != NULL && !store->rdonly);
    memset(loader, 0, sizeof(*loader));
    loader->store = store;
    int mrc = txn_begin(store, 0, &loader->txn);
    if (mrc != 0) {
        loader->txn = NULL;
        return pb_store_error(err, mrc, "starting a write transaction");
    }
    int rc = txn_size(store, loader->txn, &loader->size, err);
    if (rc == PB_OK && loader->size != 0) {
        rc = pb_error_set(err, PB_EUSAGE, NULL, "a loader needs an empty ledger");
    }
    if (rc != PB_OK) {
        pb_loader_abort(loader);
    }
    return rc;
}

int
pb_loader_add(pb_loader *loader, const char *bytes, size_t len, const char *id, pb_error *err)
{
    PB_ASSERT(loader != NULL && loader->txn != NULL && bytes != NULL);
    struct prepared p = {NULL, (char *)bytes, len, id};
    if (id != NULL) {
        MDB_val k = {strlen(id), (void *)id};
        MDB_val v;
        int mrc = mdb_get(loader->txn, loader->store->ids, &k, &v);
        if (mrc == 0 && v.mv_size == 8) {
            return pb_error_set(err, PB_EID_EXISTS_DIFFERENT, "$.entry.id",
                                "id \"%s\" is already used by record %llu", id,
                                (unsigned long long)get_be64(v.mv_data));
        }
        if (mrc != MDB_NOTFOUND) {
            return pb_store_error(err, mrc != 0 ? mrc : MDB_CORRUPTED, "reading the id index");
        }
    }
    int rc = write_record(loader->store, loader->txn, loader->size, &p, err);
    if (rc != PB_OK) {
        return rc;
    }
    loader->size++;
    if (loader->size % LOADER_CHUNK_RECORDS == 0) {
        int mrc = txn_commit(loader->store, loader->txn);
        loader->txn = NULL;
        if (mrc == 0) {
            mrc = txn_begin(loader->store, 0, &loader->txn);
        }
        if (mrc != 0) {
            loader->txn = NULL;
            return pb_store_error(err, mrc, "loading records");
        }
    }
    return PB_OK;
}

int
pb_loader_commit(pb_loader *loader, pb_error *err)
{
    PB_ASSERT(loader != NULL && loader->txn != NULL);
    int mrc = txn_commit(loader->store, loader->txn);
    loader->txn = NULL;
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "loading records");
}

void
pb_loader_abort(pb_loader *loader)
{
    if (loader != NULL && loader->txn != NULL) {
        mdb_txn_abort(loader->txn);
        loader->txn = NULL;
    }
}

/* ---- derived state: rebuild and dump --------------------------------------- */

static int
replay_all(pb_store *s, MDB_txn *txn, pb_error *err)
{
    uint64_t size = 0;
    int rc = txn_size(s, txn, &size, err);
    pb_state state = {txn, s->state, NULL, s, txn};
    if (rc == PB_OK) {
        rc = pb_state_cache_new(&state.cache, err);
    }
    pb_sigpipe pipe;
    pb_sigpipe_init(&pipe, 0);
    for (uint64_t i = 0; i < size && rc == PB_OK; i++) {
        uint8_t key[8];
        put_be64(key, i);
        MDB_val k = {8, key};
        MDB_val v;
        int mrc = mdb_get(txn, s->records, &k, &v);
        json_t *record = NULL;
        rc = mrc == 0 ? PB_OK : pb_store_error(err, mrc, "reading a record");
        if (rc == PB_OK) {
            rc = pb_json_parse_stored(v.mv_data, v.mv_size, &record, err);
        }
        if (rc == PB_OK) {
            rc = pb_log_check_form(record, s->rules, err);
        }
        if (rc == PB_OK) {
            rc = s->rules->admit(&state, record, i, pipe.batch, err);
        }
        if (rc == PB_OK) {
            pb_store_progress(s, "reindexing", i + 1, size);
        }
        if (rc != PB_OK && err != NULL && err->index < 0) {
            err->index = (int64_t)i;
        }
        json_decref(record);
        if (rc == PB_OK && (i + 1) % STORE_SIG_CHUNK == 0) {
            rc = pb_sigpipe_hand_off(&pipe, i + 1, 0, err);
        }
    }
    /* A bad signature before the record that failed is the first bad one. */
    pb_error sig_err;
    pb_error_init(&sig_err);
    if (pb_sigpipe_hand_off(&pipe, size, 1, &sig_err) != PB_OK &&
        (rc == PB_OK || err == NULL || sig_err.index <= err->index)) {
        if (err != NULL) {
            *err = sig_err;
        }
        rc = sig_err.code;
    }
    if (rc == PB_OK) {
        rc = pb_state_flush(&state, err);
    }
    pb_state_cache_free(state.cache);
    pb_sigpipe_free(&pipe);
    return rc;
}

int
pb_store_reindex(pb_store *store, pb_error *err)
{
    if (store->rdonly) {
        return pb_error_set(err, PB_EUSAGE, NULL, "the ledger is open read-only");
    }
    if (store->rules == NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL, "the ledger is open without entry rules");
    }
    MDB_txn *txn = NULL;
    int mrc = txn_begin(store, 0, &txn);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "starting a write transaction");
    }
    /* Empty the derived state (not the log) and replay every record into it. */
    mrc = mdb_drop(txn, store->state, 0);
    int rc = mrc == 0 ? PB_OK : pb_store_error(err, mrc, "emptying derived state");
    if (rc == PB_OK) {
        rc = replay_all(store, txn, err);
        if (rc != PB_OK && rc != PB_ESTORE && rc != PB_ENOMEM) {
            char text[PB_ERROR_TEXT_MAX];
            snprintf(text, sizeof(text), "%s", err != NULL ? err->text : "");
            int64_t index = err != NULL ? err->index : -1;
            if (err != NULL) {
                pb_error_init(err);
                err->index = index;
            }
            rc = pb_error_set(err, PB_EVERIFY, NULL, "record %lld no longer admits: %s",
                              (long long)index, text);
        }
    }
    if (rc != PB_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    mrc = txn_commit(store, txn);
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "committing the reindex");
}

int
pb_store_state_dump(pb_store *store, char **text_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(snap.txn, store->state, &cur);
    size_t cap = 4096, used = 0;
    char *out = malloc(cap);
    if (mrc != 0 || out == NULL) {
        pb_snapshot_close(&snap);
        free(out);
        return mrc != 0 ? pb_store_error(err, mrc, "reading derived state")
                        : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t need = used + k.mv_size + v.mv_size + 3;
        if (need > cap) {
            cap = need * 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
                break;
            }
            out = grown;
        }
        memcpy(out + used, k.mv_data, k.mv_size);
        used += k.mv_size;
        out[used++] = '\t';
        memcpy(out + used, v.mv_data, v.mv_size);
        used += v.mv_size;
        out[used++] = '\n';
    }
    out[used] = '\0';
    mdb_cursor_close(cur);
    pb_snapshot_close(&snap);
    if (rc != PB_OK) {
        free(out);
        return rc;
    }
    *text_out = out;
    return PB_OK;
}
