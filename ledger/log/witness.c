/*
 * witness.c — a C2SP tlog-witness (DESIGN 9, docs/witness.md): for each log
 * it is configured with (origin and note verifier key) it keeps the size and
 * root of the latest checkpoint it cosigned, in its own LMDB file, and
 * cosigns (cosignature/v1, checkpoint.c) only a checkpoint that is signed by
 * the log's key and consistent with that record. The check of the old size
 * against the record and the move of the record to the new size happen in one
 * LMDB write transaction (compare-and-swap): writers are serialised, and the
 * cosignature leaves this file only after the commit, so a crash at any
 * moment leaves the old record or the new one, never a cosignature for a
 * state that was not kept. The HTTP layer (server/witness_http.c) holds no
 * rules; it maps the codes returned here to statuses.
 *   state file:  logs  origin -> u64 BE size || root (32) || note text
 *                meta  "format" -> "poolbook-witness-v1"
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#define WITNESS_FORMAT "poolbook-witness-v1"
/* The state holds one small row per log: a few megabytes are years of it. */
#define WITNESS_MAP_BYTES ((size_t)1 << 26)
/* tlog-witness: "The client MUST NOT send more than 63 consistency proof lines." */
#define WITNESS_PROOF_LINES_MAX 63
#define WITNESS_NAME_MAX 256

struct witness_log {
    char origin[256];
    char name[256]; /* the log key's name (poolbook: the origin) */
    pb_pubkey key;
};

struct pb_witness {
    MDB_env *env;
    MDB_dbi logs;
    MDB_dbi meta;
    const pb_seckey *key; /* borrowed */
    char name[WITNESS_NAME_MAX];
    size_t log_count;
    struct witness_log log[PB_WITNESS_LOGS_MAX];
};

static int
witness_tables(pb_witness *w, pb_error *err)
{
    MDB_txn *txn = NULL;
    int mrc = mdb_txn_begin(w->env, NULL, 0, &txn);
    if (mrc == 0) {
        mrc = mdb_dbi_open(txn, "logs", MDB_CREATE, &w->logs);
    }
    if (mrc == 0) {
        mrc = mdb_dbi_open(txn, "meta", MDB_CREATE, &w->meta);
    }
    MDB_val k = {6, "format"};
    MDB_val v = {strlen(WITNESS_FORMAT), WITNESS_FORMAT};
    if (mrc == 0) {
        mrc = mdb_put(txn, w->meta, &k, &v, MDB_NOOVERWRITE);
    }
    if (mrc == MDB_KEYEXIST) {
        if (v.mv_size != strlen(WITNESS_FORMAT) ||
            memcmp(v.mv_data, WITNESS_FORMAT, v.mv_size) != 0) {
            mdb_txn_abort(txn);
            return pb_error_set(err, PB_ENOLEDGER, NULL, "not a %s file", WITNESS_FORMAT);
        }
        mrc = 0;
    }
    if (mrc != 0) {
        mdb_txn_abort(txn);
        return pb_store_error(err, mrc, "opening the witness state");
    }
    mrc = mdb_txn_commit(txn);
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "opening the witness state");
}

int
pb_witness_open(const char *state_path, const pb_seckey *key, const char *name,
                pb_witness **witness_out, pb_error *err)
{
    PB_ASSERT(state_path != NULL && key != NULL && name != NULL && witness_out != NULL);
    if (name[0] == '\0' || strlen(name) >= WITNESS_NAME_MAX || strpbrk(name, " +\n\t") != NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL,
                            "a witness name is 1 to %d bytes with no space, '+' or line break",
                            WITNESS_NAME_MAX - 1);
    }
    pb_witness *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    w->key = key;
    snprintf(w->name, sizeof(w->name), "%s", name);
    int rc = PB_OK;
    int mrc = mdb_env_create(&w->env);
    if (mrc == 0) {
        mrc = mdb_env_set_maxdbs(w->env, 2);
    }
    if (mrc == 0) {
        mrc = mdb_env_set_mapsize(w->env, WITNESS_MAP_BYTES);
    }
    if (mrc == 0) {
        /* Durable commits (no MDB_NOSYNC): a cosignature is only sent after
         * its record is on disk. */
        mrc = mdb_env_open(w->env, state_path, MDB_NOSUBDIR, 0600);
    }
    if (mrc != 0) {
        rc = pb_store_error(err, mrc, "opening the witness state");
        if (err != NULL) {
            snprintf(err->where, sizeof(err->where), "%s", state_path);
        }
    }
    if (rc == PB_OK) {
        int dead = 0;
        mdb_reader_check(w->env, &dead); /* readers left by a process killed -9 */
        rc = witness_tables(w, err);
    }
    if (rc != PB_OK) {
        pb_witness_close(w);
        return rc;
    }
    *witness_out = w;
    return PB_OK;
}

void
pb_witness_close(pb_witness *witness)
{
    if (witness == NULL) {
        return;
    }
    if (witness->env != NULL) {
        mdb_env_close(witness->env);
    }
    free(witness);
}

int
pb_witness_add_log(pb_witness *witness, const char *origin, const char *vkey, pb_error *err)
{
    PB_ASSERT(witness != NULL && origin != NULL && vkey != NULL);
    if (witness->log_count == PB_WITNESS_LOGS_MAX) {
        return pb_error_set(err, PB_ETOOBIG, NULL, "a witness serves at most %d logs",
                            PB_WITNESS_LOGS_MAX);
    }
    struct witness_log *l = &witness->log[witness->log_count];
    int alg = 0;
    if (origin[0] == '\0' || strlen(origin) >= sizeof(l->origin) || strchr(origin, '\n') != NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL, "an origin is 1 to 255 bytes on one line");
    }
    int rc = pb_vkey_parse(vkey, l->name, sizeof(l->name), &alg, &l->key, err);
    if (rc == PB_OK && alg != 0x01) {
        rc = pb_error_set(err, PB_EKEYFILE, NULL,
                          "the key of log %s is a cosigner key; a log signs with an Ed25519 "
                          "note key (0x01)",
                          origin);
    }
    for (size_t i = 0; rc == PB_OK && i < witness->log_count; i++) {
        if (strcmp(witness->log[i].origin, origin) == 0) {
            rc = pb_error_set(err, PB_EUSAGE, NULL, "log %s is configured twice", origin);
        }
    }
    if (rc == PB_OK) {
        snprintf(l->origin, sizeof(l->origin), "%s", origin);
        witness->log_count++;
    }
    return rc;
}

int
pb_witness_verifier(const pb_witness *witness, char **vkey_out, pb_error *err)
{
    pb_pubkey pub;
    pb_seckey_public(witness->key, &pub);
    return pb_cosig_verifier(witness->name, &pub, vkey_out, err);
}

/* A parsed add-checkpoint request (tlog-witness): old size, proof, note. */
struct witness_request {
    uint64_t old_size;
    size_t proof_count;
    uint8_t proof[WITNESS_PROOF_LINES_MAX][32];
    const char *note; /* into the request text */
    size_t body_len;  /* the note body: up to and including its first '\n' of "\n\n" */
    pb_note parsed;
};

/* "old <size>": decimal, no leading zero unless the size is 0. */
static int
parse_old_line(const char *line, size_t len, uint64_t *size_out, pb_error *err)
{
    char digits[24];
    if (len < 5 || len > 4 + 20 || strncmp(line, "old ", 4) != 0) {
        return pb_error_set(err, PB_ENOTE, NULL, "the request does not start with \"old <size>\"");
    }
    snprintf(digits, sizeof(digits), "%.*s", (int)(len - 4), line + 4);
    char *end = NULL;
    unsigned long long v = strtoull(digits, &end, 10);
    if (*end != '\0' || digits[0] < '0' || digits[0] > '9' || (digits[0] == '0' && len != 5) ||
        strlen(digits) > 19) {
        return pb_error_set(err, PB_ENOTE, NULL, "the old size \"%s\" is not a decimal size",
                            digits);
    }
    *size_out = v;
    return PB_OK;
}

static int
parse_request(const char *text, size_t len, struct witness_request *req, pb_error *err)
{
    if (len > PB_WITNESS_REQUEST_BYTES_MAX) {
        return pb_error_set(err, PB_ETOOBIG, NULL, "the request is over %d bytes",
                            PB_WITNESS_REQUEST_BYTES_MAX);
    }
    if (memchr(text, '\0', len) != NULL || text[len] != '\0') {
        return pb_error_set(err, PB_ENOTE, NULL, "the request holds a NUL byte");
    }
    const char *p = text;
    const char *nl = strchr(p, '\n');
    int rc = nl == NULL ? pb_error_set(err, PB_ENOTE, NULL, "the request has no old size line")
                        : parse_old_line(p, (size_t)(nl - p), &req->old_size, err);
    while (rc == PB_OK) {
        p = nl + 1;
        nl = strchr(p, '\n');
        if (nl == NULL) {
            rc = pb_error_set(err, PB_ENOTE, NULL,
                              "the request has no blank line before the "
                              "checkpoint");
        } else if (nl == p) {
            break; /* the empty line: the checkpoint follows */
        } else if (req->proof_count == WITNESS_PROOF_LINES_MAX) {
            rc = pb_error_set(err, PB_ENOTE, NULL, "over %d consistency proof lines",
                              WITNESS_PROOF_LINES_MAX);
        } else {
            if (pb_base64_decode_strict(p, (size_t)(nl - p), req->proof[req->proof_count], 32) !=
                0) {
                rc = pb_error_set(err, PB_ENOTE, NULL,
                                  "consistency proof line %zu is not base64 of 32 bytes",
                                  req->proof_count + 1);
            }
            req->proof_count++;
        }
    }
    if (rc == PB_OK) {
        req->note = nl + 1;
        rc = pb_note_parse(req->note, &req->parsed, err);
    }
    if (rc == PB_OK) {
        req->body_len = (size_t)(strstr(req->note, "\n\n") - req->note) + 1;
    }
    return rc;
}

/* At least one signature line by the log's key verifies over the body. */
static int
check_log_signature(const struct witness_log *log, const struct witness_request *req, char *body,
                    pb_error *err)
{
    for (size_t i = 0; i < req->parsed.line_count; i++) {
        if (strcmp(req->parsed.names[i], log->name) == 0 &&
            pb_note_check_line(body, req->parsed.lines[i], log->name, &log->key, NULL) == PB_OK) {
            return PB_OK;
        }
    }
    return pb_error_set(err, PB_ESIG_INVALID, NULL,
                        "no signature on the checkpoint of %s verifies with its key", log->origin);
}

/* The stored row of an origin: size, root, note. PB_ENOTFOUND when none. */
static int
row_get(MDB_txn *txn, MDB_dbi dbi, const char *origin, uint64_t *size_out, uint8_t root[32],
        const char **note_out, size_t *note_len, pb_error *err)
{
    MDB_val k = {strlen(origin), (void *)origin};
    MDB_val v;
    int mrc = mdb_get(txn, dbi, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_ENOTFOUND;
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the witness state");
    }
    if (v.mv_size < 40) {
        return pb_error_set(err, PB_ESTORE, NULL, "the witness row of %s is malformed", origin);
    }
    const uint8_t *b = v.mv_data;
    uint64_t size = 0;
    for (int i = 0; i < 8; i++) {
        size = (size << 8) | b[i];
    }
    *size_out = size;
    memcpy(root, b + 8, 32);
    if (note_out != NULL) {
        *note_out = (const char *)b + 40;
        *note_len = v.mv_size - 40;
    }
    return PB_OK;
}

static int
row_put(MDB_txn *txn, MDB_dbi dbi, const char *origin, uint64_t size, const uint8_t root[32],
        const char *note, pb_error *err)
{
    size_t len = strlen(note);
    uint8_t *buf = malloc(40 + len);
    if (buf == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    for (int i = 7; i >= 0; i--) {
        buf[i] = (uint8_t)(size & 0xff);
        size >>= 8;
    }
    memcpy(buf + 8, root, 32);
    memcpy(buf + 40, note, len);
    MDB_val k = {strlen(origin), (void *)origin};
    MDB_val v = {40 + len, buf};
    int mrc = mdb_put(txn, dbi, &k, &v, 0);
    free(buf);
    return mrc == 0 ? PB_OK : pb_store_error(err, mrc, "writing the witness state");
}

/* The checks of tlog-witness against the held record, in its order: old size
 * equal to the held size (409), equal sizes with equal roots (409), the
 * consistency proof (422). */
static int
check_against_held(const struct witness_request *req, int held, uint64_t held_size,
                   const uint8_t held_root[32], uint64_t *held_size_out, pb_error *err)
{
    uint64_t have = held ? held_size : 0;
    const pb_note *n = &req->parsed;
    if (req->old_size != have) {
        *held_size_out = have;
        return pb_error_set(err, PB_ECONFLICT, NULL, "this witness holds %s at size %llu, not %llu",
                            n->origin, (unsigned long long)have, (unsigned long long)req->old_size);
    }
    if (req->old_size == 0) {
        return req->proof_count == 0
                   ? PB_OK
                   : pb_error_set(err, PB_EPROOF, NULL, "a proof from size 0 must be empty");
    }
    if (req->old_size == n->tree_size) {
        *held_size_out = have;
        if (req->proof_count != 0 || sodium_memcmp(held_root, n->root, 32) != 0) {
            return pb_error_set(err, PB_ECONFLICT, NULL,
                                "this witness holds another root for %s at size %llu: a fork",
                                n->origin, (unsigned long long)have);
        }
        return PB_OK;
    }
    pb_proof p;
    memset(&p, 0, sizeof(p));
    p.index_or_old_size = req->old_size;
    p.tree_size = n->tree_size;
    memcpy(p.leaf_or_old_root, held_root, 32);
    memcpy(p.root, n->root, 32);
    p.count = req->proof_count;
    memcpy(p.hashes, req->proof, req->proof_count * 32);
    pb_error local;
    pb_error_init(&local);
    if (pb_proof_check_consistency(&p, &local) != PB_OK) {
        return pb_error_set(err, PB_EPROOF, NULL,
                            "size %llu of %s is not consistent with size %llu this witness "
                            "cosigned: %s",
                            (unsigned long long)n->tree_size, n->origin,
                            (unsigned long long)req->old_size, local.text);
    }
    return PB_OK;
}

/* The note kept for monitors: the body, the log's signature lines and ours. */
static char *
kept_note(const struct witness_request *req, const struct witness_log *log, const char *body,
          const char *cosig)
{
    size_t len = strlen(body) + 1 + strlen(cosig) + 1;
    for (size_t i = 0; i < req->parsed.line_count; i++) {
        len += strlen(req->parsed.lines[i]);
    }
    char *note = malloc(len);
    if (note == NULL) {
        return NULL;
    }
    size_t used = (size_t)snprintf(note, len, "%s\n", body);
    for (size_t i = 0; i < req->parsed.line_count; i++) {
        if (strcmp(req->parsed.names[i], log->name) == 0) {
            used += (size_t)snprintf(note + used, len - used, "%s", req->parsed.lines[i]);
        }
    }
    snprintf(note + used, len - used, "%s", cosig);
    return note;
}

/* Inside one write transaction: compare the held record, sign, move it. */
static int
witness_swap(pb_witness *w, const struct witness_log *log, const struct witness_request *req,
             const char *body, uint64_t now_s, char **cosig_out, uint64_t *held_size_out,
             pb_error *err)
{
    MDB_txn *txn = NULL;
    int mrc = mdb_txn_begin(w->env, NULL, 0, &txn);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "starting a witness transaction");
    }
    uint64_t held_size = 0;
    uint8_t held_root[32];
    int rc = row_get(txn, w->logs, log->origin, &held_size, held_root, NULL, NULL, err);
    int held = rc == PB_OK;
    rc = rc == PB_ENOTFOUND ? PB_OK : rc;
    if (rc == PB_OK) {
        rc = check_against_held(req, held, held_size, held_root, held_size_out, err);
    }
    char *cosig = NULL;
    char *note = NULL;
    if (rc == PB_OK) {
        rc = pb_cosig_line(body, w->name, w->key, now_s, &cosig, err);
    }
    if (rc == PB_OK) {
        note = kept_note(req, log, body, cosig);
        rc = note != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = row_put(txn, w->logs, log->origin, req->parsed.tree_size, req->parsed.root, note, err);
    }
    free(note);
    if (rc != PB_OK) {
        mdb_txn_abort(txn);
        free(cosig);
        return rc;
    }
    /* The cosignature is returned only once the new record is committed. */
    mrc = mdb_txn_commit(txn);
    if (mrc != 0) {
        free(cosig);
        return pb_store_error(err, mrc, "committing the witness state");
    }
    *cosig_out = cosig;
    return PB_OK;
}

int
pb_witness_add_checkpoint(pb_witness *witness, const char *request, size_t len, uint64_t now_s,
                          char **cosig_out, uint64_t *held_size_out, pb_error *err)
{
    PB_ASSERT(witness != NULL && request != NULL && cosig_out != NULL && held_size_out != NULL);
    struct witness_request *req = calloc(1, sizeof(*req));
    if (req == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    *held_size_out = 0;
    int rc = parse_request(request, len, req, err);
    const struct witness_log *log = NULL;
    for (size_t i = 0; rc == PB_OK && i < witness->log_count; i++) {
        if (strcmp(witness->log[i].origin, req->parsed.origin) == 0) {
            log = &witness->log[i];
        }
    }
    if (rc == PB_OK && log == NULL) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL, "this witness does not witness log %s",
                          req->parsed.origin);
    }
    char body[1024];
    if (rc == PB_OK) {
        snprintf(body, sizeof(body), "%.*s", (int)req->body_len, req->note);
        rc = check_log_signature(log, req, body, err);
    }
    if (rc == PB_OK && req->old_size > req->parsed.tree_size) {
        rc = pb_error_set(err, PB_ERANGE, NULL, "the old size %llu is above the checkpoint's %llu",
                          (unsigned long long)req->old_size,
                          (unsigned long long)req->parsed.tree_size);
    }
    if (rc == PB_OK) {
        rc = witness_swap(witness, log, req, body, now_s, cosig_out, held_size_out, err);
    }
    pb_note_free(&req->parsed);
    free(req);
    return rc;
}

int
pb_witness_latest(pb_witness *witness, const char *origin, char **note_out, pb_error *err)
{
    PB_ASSERT(witness != NULL && origin != NULL && note_out != NULL);
    MDB_txn *txn = NULL;
    int mrc = mdb_txn_begin(witness->env, NULL, MDB_RDONLY, &txn);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading the witness state");
    }
    uint64_t size = 0;
    uint8_t root[32];
    const char *note = NULL;
    size_t note_len = 0;
    int rc = row_get(txn, witness->logs, origin, &size, root, &note, &note_len, err);
    if (rc == PB_ENOTFOUND) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL, "this witness has cosigned nothing of %s",
                          origin);
    }
    char *copy = rc == PB_OK ? malloc(note_len + 1) : NULL;
    if (rc == PB_OK && copy == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        memcpy(copy, note, note_len);
        copy[note_len] = '\0';
        *note_out = copy;
    }
    mdb_txn_abort(txn);
    return rc;
}
