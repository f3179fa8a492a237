/*
 * log.h — the transparency log's internals (ledger/log/), shared by its
 * modules and by the layers above: the Merkle tree, derived state as a
 * key-value table, signature batches, read snapshots, checkpoint lines and
 * notes, scratch ledgers, verification. The log knows records, hashes,
 * checkpoints and proofs, and nothing of pools: what an entry may say and who
 * must sign it is handed to it as a pb_log_rules table (books/ gives one).
 * Arrows run one way: base <- log <- books <- interchange <- cli.
 */
#ifndef POOLBOOK_LOG_H
#define POOLBOOK_LOG_H

#include "base/base.h"
/* ---------------------------------------------------------------------------
 * Merkle tree internals (merkle.c). Stored hashes are the roots of complete
 * subtrees: (level L, index k) covers leaves [k*2^L, (k+1)*2^L). A reader
 * fetches one stored hash (or, for a leaf a v3 file does not store, hashes
 * its record); merkle.c never knows where they live.
 * ------------------------------------------------------------------------- */

typedef int (*pb_hash_reader)(void *ctx, uint32_t level, uint64_t index, uint8_t out[32],
                              pb_error *err);

/* The RFC 6962 MTH of leaves [lo, hi), lo aligned as in every proof's ranges,
 * from at most 64 stored hashes. */
int pb_merkle_range_hash(pb_hash_reader read, void *ctx, uint64_t lo, uint64_t hi, uint8_t out[32],
                         pb_error *err);

/* Fill proof->hashes for an inclusion or consistency proof (RFC 6962 2.1.1,
 * 2.1.2), reading stored hashes through read. The caller sets the sizes. */
int pb_merkle_inclusion(pb_hash_reader read, void *ctx, uint64_t index, uint64_t tree_size,
                        pb_proof *proof, pb_error *err);
int pb_merkle_consistency(pb_hash_reader read, void *ctx, uint64_t old_size, uint64_t new_size,
                          pb_proof *proof, pb_error *err);

/* A compact range: the stored hashes on the right edge of a growing tree, for
 * recomputing a tree from its leaves in O(log n) memory (verify). */
typedef struct pb_merkle_stack {
    uint64_t size;  /* leaves pushed */
    uint32_t count; /* entries in use */
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

/* ---------------------------------------------------------------------------
 * Derived state (state.c): partners, keys, origin, ... as canonical JSON
 * values under string keys in one LMDB database, inside the caller's
 * transaction. Rebuilt from the records alone by replaying them.
 * ------------------------------------------------------------------------- */
#include <lmdb.h>
#include <pthread.h>

/* A write transaction's cache of parsed state values (state.c): how many
 * values it holds (a pool's state, its months' aggregates, the keys that sign,
 * the origin: what every money entry reads), and the longest key it caches
 * (longer keys are read and written through). */
#define PB_STATE_CACHE_VALUES 128
#define PB_STATE_CACHE_KEY_BYTES_MAX 192
typedef struct pb_state_cache pb_state_cache;

typedef struct pb_state {
    MDB_txn *txn;
    MDB_dbi dbi;
    pb_state_cache *cache; /* NULL: every get parses, every put writes */
    pb_store *log;         /* the ledger whose records pb_state_record finds (may be NULL) */
    MDB_txn *log_txn;      /* ... read in this transaction (txn, or a verify's snapshot) */
} pb_state;

/* The layouts of the ledger file (docs/formats.md): "poolbook-ledger-v1",
 * -v2 and -v3. */
enum { PB_LEDGER_V1 = 1, PB_LEDGER_V2 = 2, PB_LEDGER_V3 = 3 };
/* The key of the stored tree hash (level, index) in a file of format: v2
 * and v3 key it by the leaf whose append completes it, then level; v1 by
 * level, then index. A v3 file stores no level 0 (see below). */
void pb_store_hash_key(int format, uint32_t level, uint64_t index, uint8_t key[9]);
/* The store's format, PB_LEDGER_V1..V3. */
int pb_store_format(const pb_store *store);
/* 1 when the file stores leaf hashes (v1, v2); 0 for v3, whose leaf hash
 * (level 0, index) is computed from record index when it is read. */
int pb_store_leaves_stored(const pb_store *store);

/* The record with entry id, if the log holds it at an index below before
 * (the record being admitted): a new reference to it, and its index. So
 * admission finds an earlier entry through the log's own id index instead of
 * keeping a copy in state. PB_ENOTFOUND (err untouched) when there is none
 * or no log; PB_ESTORE when the id index and the record disagree. */
int pb_state_record(const pb_state *state, const char *id, uint64_t before, json_t **record_out,
                    uint64_t *index_out, pb_error *err);
/* Call visit with each record of the log at an index below before, in
 * order (its canonical bytes, valid only during the call), stopping at the
 * first code other than PB_OK, which is returned. PB_OK at once when there
 * is no log. For what admission must look back over, rarely (a key's
 * revocation); PB_ESTORE when a record is missing. */
typedef int (*pb_record_visitor)(void *ctx, uint64_t index, const char *buf, size_t len,
                                 pb_error *err);
int pb_state_each_record(const pb_state *state, uint64_t before, pb_record_visitor visit, void *ctx,
                         pb_error *err);

/* A new reference to the value under key, or PB_ENOTFOUND (err untouched).
 * Without a cache the value is the caller's own. With one it is shared with
 * the cache: a caller that changes it must pb_state_put it (on any error the
 * transaction is aborted and the cache cleared), and must not change it after
 * that put. */
int pb_state_get(const pb_state *state, const char *key, json_t **value_out, pb_error *err);
/* 1 when value's canonical JSON is exactly the len bytes at text, 0 when it
 * differs, -1 when the encoder ran out of memory. Allocates nothing itself. */
int pb_json_is_text_of(const json_t *value, const char *text, size_t len);
/* Parse bytes poolbook wrote as canonical JSON (a record in the log, derived
 * state). jansson 2.14's lexer drops a byte of a string when growing its
 * buffer fails, and reports an allocation that failed inside a string as a
 * syntax error; so the value must encode back to the very bytes read, and
 * anything else is parsed once more: PB_ENOMEM when an allocation failed,
 * PB_EJSON (or a pb_json_parse code) only when the failure repeats. */
int pb_json_parse_stored(const char *buf, size_t len, json_t **value_out, pb_error *err);
/* Store value under key (replacing). PB_OK, PB_ESTORE or a canonical-JSON code.
 * With a cache the value is copied into it and written by pb_state_flush (or
 * when the cache evicts it); its codes may then come from that flush. */
int pb_state_put(const pb_state *state, const char *key, const json_t *value, pb_error *err);

/* A cache for one write transaction, so that admitting many records parses
 * (and checks) each value it reads again and again once, and writes it once:
 * at most PB_STATE_CACHE_VALUES values, the least recently used written out
 * (when changed) and dropped to make room. PB_OK or PB_ENOMEM. Free with
 * pb_state_cache_free. */
int pb_state_cache_new(pb_state_cache **cache_out, pb_error *err);
/* Forget every cached value without writing it (the transaction was aborted,
 * or the table emptied). */
void pb_state_cache_clear(pb_state_cache *cache);
/* Safe with NULL. */
void pb_state_cache_free(pb_state_cache *cache);
/* Write every value put since the last flush as canonical JSON into the
 * transaction, keeping them cached: before the commit, and before anything
 * reads the table's bytes (pb_state_each does it itself). PB_OK without a
 * cache; PB_ESTORE or a canonical-JSON code. */
int pb_state_flush(const pb_state *state, pb_error *err);
/* Translate an LMDB return code into PB_ESTORE with the text, keeping the raw code. */
int pb_store_error(pb_error *err, int mdb_rc, const char *what);

/* ---------------------------------------------------------------------------
 * Signature checks (sigcheck.c): collected while entries are admitted, then
 * verified, on several threads when there are many (DESIGN 4).
 * ------------------------------------------------------------------------- */

typedef struct pb_sigcheck {
    uint64_t index;    /* the record the signature is on */
    uint64_t msg_slot; /* which message in the batch */
    uint8_t key[32];
    uint8_t sig[64];
    char keyid[PB_KEYID_TEXT_MAX];
} pb_sigcheck;

typedef struct pb_sigbatch {
    pb_sigcheck *checks;
    size_t count;
    size_t cap;
    uint8_t **msgs; /* owned signed messages, one per record */
    size_t *msg_lens;
    size_t msg_count;
    size_t msg_cap;
} pb_sigbatch;

void pb_sigbatch_init(pb_sigbatch *batch);
void pb_sigbatch_free(pb_sigbatch *batch);
/* Take ownership of a signed message; *slot_out is its number. */
int pb_sigbatch_add_msg(pb_sigbatch *batch, uint8_t *msg, size_t len, uint64_t *slot_out,
                        pb_error *err);
int pb_sigbatch_add(pb_sigbatch *batch, const pb_sigcheck *check, pb_error *err);
/* Verify every check with up to threads threads (0: one per core). On failure
 * returns PB_ESIG_INVALID for the lowest failing record index, with err->index set. */
int pb_sigbatch_run(pb_sigbatch *batch, unsigned threads, pb_error *err);
/* Drop everything collected (keep the allocations). */
void pb_sigbatch_clear(pb_sigbatch *batch);

/* One batch run (pb_sigbatch_run) on a thread of its own while the caller
 * admits the next records: the pipeline of verify. Zero-initialise. */
typedef struct pb_sigworker {
    pthread_t id;
    pb_sigbatch *batch; /* borrowed until pb_sigworker_wait */
    unsigned threads;
    int busy;
    int on_thread;
    int rc;
    pb_error err;
} pb_sigworker;

void pb_sigworker_start(pb_sigworker *w, pb_sigbatch *batch, unsigned threads);
/* Wait for the batch started last (PB_OK when none): pb_sigbatch_run's result. */
int pb_sigworker_wait(pb_sigworker *w, pb_error *err);

/* The pipeline of bulk work (verify, reindex, append): the single writer
 * queues signatures into p->batch while admitting records in order; every few
 * thousand records it hands the batch off, and a worker checks it while the
 * writer admits the next ones. Two batches at most are alive: memory is
 * bounded by the hand-off interval, not by the number of records. With one
 * thread every batch is checked at the hand-off, as before. */
typedef struct pb_sigpipe {
    pb_sigbatch batches[2];
    pb_sigbatch *batch; /* the one being filled: admit's defer */
    pb_sigworker worker;
    unsigned threads;
    uint64_t in_worker;  /* what the batch in the worker covers (the caller's count) */
    uint64_t checked;    /* what the batches checked so far cover */
    uint64_t signatures; /* signatures checked so far */
} pb_sigpipe;

/* threads: 0 one per core. */
void pb_sigpipe_init(pb_sigpipe *p, unsigned threads);
void pb_sigpipe_free(pb_sigpipe *p);
/* Wait for the batch handed off before (its failure is returned first: its
 * records come first), then hand off p->batch, which covers the caller's count
 * covers (e.g. records admitted); with wait, wait for it too (the end of a
 * run). Failures as pb_sigbatch_run: PB_ESIG_INVALID with err->index. */
int pb_sigpipe_hand_off(pb_sigpipe *p, uint64_t covers, int wait, pb_error *err);

/* ---------------------------------------------------------------------------
 * The rules a log is opened with (store.c, record.c, verify.c). The log
 * checks what every record has (canonical form, the common entry fields,
 * signature objects, sizes, the Merkle tree, checkpoints); what an entry of a
 * given type may say and who must sign it belongs to the layer above, which
 * hands its rules to the log when it opens a ledger (books/rules.c). This is
 * the one place the arrow could run the wrong way, so it runs through a table:
 * the log calls these functions inside its own write transaction and never
 * names a books symbol. A ledger opened with NULL rules can be read, proved
 * and checkpointed, but refuses appends and reindex (PB_EUSAGE).
 * ------------------------------------------------------------------------- */

typedef struct pb_log_rules {
    /* Whether type names a known entry type (checked with the common fields,
     * so an unknown type is named before any other field). */
    int (*type_known)(const char *type);
    /* Stateless checks of an entry's own fields, the common ones done. */
    int (*check_fields)(const json_t *entry, pb_error *err);
    /* Admit a record as index into state: check it against the state, then
     * apply its state change. Signature bytes are verified at once when defer
     * is NULL, else queued in defer for pb_sigbatch_run. The record's form has
     * been checked. On error the state may hold partial changes: the log
     * aborts the transaction. */
    int (*admit)(const pb_state *state, const json_t *record, uint64_t index, pb_sigbatch *defer,
                 pb_error *err);
    /* Checks made only when a record is first appended (pb_store_append and
     * batches), never when records are replayed (reindex, verify, a bundle):
     * those that depend on the clock at the time of append. NULL: none. */
    int (*check_new)(const json_t *record, pb_error *err);
} pb_log_rules;

/* pb_store_open with the rules records are admitted by (borrowed; they must
 * outlive the handle). Codes as pb_store_open. */
int pb_log_open(const char *path, int flags, const pb_log_rules *rules, pb_store **store_out,
                pb_error *err);
/* Sees the state a dry run would leave, inside its write transaction. */
typedef int (*pb_store_inspect)(const pb_state *state, void *ctx, pb_error *err);

/* A dry run of pb_store_append_batch: every check an append makes, in a write
 * transaction that is then aborted, so nothing is written. When all records
 * pass, inspect (may be NULL) is called with the state as the append would
 * leave it, before the abort. *first_out is the index the first new record
 * would take (the tree size in the transaction; records already present are
 * skipped, as an append skips them); *appended_out and *present_out count
 * them. Codes as pb_store_append_batch, plus any code inspect returns. */
int pb_store_append_dry(pb_store *store, json_t *const *records, size_t count,
                        pb_store_inspect inspect, void *ctx, uint64_t *first_out,
                        uint64_t *appended_out, uint64_t *present_out, pb_error *err);

/* Called by a batch's writer for each record it admits, in order, as it
 * admits it (appended, or found already present), inside the write
 * transaction: record is borrowed for the call only. A non-zero return (a
 * PB_E... code with err set) is a fault of the batch: it stops, and its end
 * returns that error. */
typedef int (*pb_batch_admitted_fn)(const json_t *record, void *ctx, pb_error *err);
/* Call fn (ctx borrowed) for each record batch admits; before the first
 * record is given. */
void pb_batch_on_admit(pb_batch *batch, pb_batch_admitted_fn fn, void *ctx);
/* End batch as a dry run instead of pb_batch_commit: admit what is left,
 * check the last signatures, then call inspect (may be NULL) with the state
 * as the commit would leave it, and abort: nothing is written. Outputs as
 * pb_store_append_dry. Frees the batch in every case. Codes as
 * pb_batch_commit, plus any code inspect or the admit hook returns. */
int pb_batch_commit_dry(pb_batch *batch, pb_store_inspect inspect, void *ctx, uint64_t *first_out,
                        uint64_t *appended_out, uint64_t *present_out, pb_error *err);

/* Tell the store's progress callback (pb_store_set_progress) that done of
 * total records are through; it is called every PB_PROGRESS_STEP and at the
 * end. Call it after each record. */
void pb_store_progress(const pb_store *store, const char *what, uint64_t done, uint64_t total);

/* The rules a store was opened with (NULL: read-only use of the log). */
const pb_log_rules *pb_log_rules_of(const pb_store *store);
/* pb_record_check_form with the given rules for the entry's type and fields
 * (NULL: the log's own checks only). */
int pb_log_check_form(json_t *record, const pb_log_rules *rules, pb_error *err);
/* pb_record_sign with the given rules for the form check. */
int pb_log_sign(json_t *record, const pb_log_rules *rules, const pb_seckey *key, pb_error *err);

/* ---------------------------------------------------------------------------
 * Store internals (store.c) for checkpoint.c and verify.c: a read snapshot,
 * checkpoint lines, and a scratch database for replaying state.
 * ------------------------------------------------------------------------- */

typedef struct pb_snapshot {
    pb_store *store;
    MDB_txn *txn;
    uint64_t size;
} pb_snapshot;

int pb_snapshot_open(pb_store *store, pb_snapshot *snap, pb_error *err);
void pb_snapshot_close(pb_snapshot *snap);
/* Borrowed bytes of record index, valid until the snapshot closes. */
int pb_snapshot_record(const pb_snapshot *snap, uint64_t index, const char **buf_out,
                       size_t *len_out, pb_error *err);
/* A pb_hash_reader over the snapshot (ctx is the pb_snapshot). */
int pb_snapshot_hash(void *ctx, uint32_t level, uint64_t index, uint8_t out[32], pb_error *err);
/* The index stored for an entry id; PB_ENOTFOUND if none. */
int pb_snapshot_find(const pb_snapshot *snap, const char *id, uint64_t *index_out, pb_error *err);
/* The number of entries in the id index. */
int pb_snapshot_id_count(const pb_snapshot *snap, uint64_t *count_out, pb_error *err);
/* The derived state as stored (read-only). */
void pb_snapshot_state(const pb_snapshot *snap, pb_state *state_out);

/* The bytes of tile in the tree of tree_size (at most the snapshot's size),
 * as pb_tile_read (tiles.c). */
int pb_snapshot_tile(const pb_snapshot *snap, uint64_t tree_size, const pb_tile *tile,
                     uint8_t **buf_out, size_t *len_out, pb_error *err);

/* Checkpoint signature lines are stored one per (tree size, signer): nothing
 * is ever overwritten; a cosignature is a new line. */
typedef struct pb_checkpoint_line {
    uint64_t tree_size;
    int cosign; /* 0 operator, 1 auditor's note signature, 2 witness's cosignature/v1 */
    char keyid[PB_KEYID_TEXT_MAX];
    char *line; /* "— name base64\n", malloc'd */
} pb_checkpoint_line;

/* Add a line; an identical line already there is not an error. */
int pb_store_checkpoint_add(pb_store *store, const pb_checkpoint_line *line, pb_error *err);
/* Every stored line, ordered by tree size, then operator first, then key id;
 * the caller frees with pb_checkpoint_lines_free. */
int pb_snapshot_checkpoint_lines(const pb_snapshot *snap, pb_checkpoint_line **lines_out,
                                 size_t *count_out, pb_error *err);
void pb_checkpoint_lines_free(pb_checkpoint_line *lines, size_t count);

/* A scratch database for replaying state (verify): a temporary file removed
 * at once, one write transaction, never committed. */
typedef struct pb_scratch {
    MDB_env *env;
    pb_state state;
    MDB_dbi verified; /* a kept file's mark (pb_scratch_open_at) */
    int kept;         /* 1: a verifier's state file, not a temporary one */
} pb_scratch;

/* How far a kept verifier state was verified: the records [0, size) were
 * admitted into its state, their signatures and tree hashes checked; root is
 * the tree's root at size and stack the compact range to continue from. */
typedef struct pb_verified_mark {
    uint64_t size;
    uint64_t records;
    uint64_t signatures;
    uint64_t checked; /* records whose signatures were checked: < size while a
                         run was under way, and then the mark is not used */
    uint8_t root[32];
    pb_merkle_stack stack;
} pb_verified_mark;

int pb_scratch_open(pb_scratch *scratch, pb_error *err);
/* With on, temporary scratch environments (pb_scratch_open,
 * pb_log_open_scratch) are emptied and kept at close for the next open
 * instead of closed; off closes the kept ones. For a process that verifies
 * many small bundles (tests/fuzz/fuzz_bundle.c); off by default. */
void pb_scratch_keep(int on);
/* Commit the scratch transaction and start another, so a long replay never
 * holds more dirty pages than LMDB allows in one transaction. */
int pb_scratch_flush(pb_scratch *scratch, pb_error *err);
void pb_scratch_close(pb_scratch *scratch);
/* A verifier's state kept in the file at path (created when missing), with
 * the mark of how far it was verified. PB_EIO when it cannot be opened. */
int pb_scratch_open_at(pb_scratch *scratch, const char *path, pb_error *err);
/* The mark in the open transaction: PB_OK, PB_ENOTFOUND (none yet),
 * PB_EVERIFY (not a mark this program wrote) or PB_ESTORE. */
int pb_scratch_mark_get(const pb_scratch *scratch, pb_verified_mark *mark, pb_error *err);
int pb_scratch_mark_put(const pb_scratch *scratch, const pb_verified_mark *mark, pb_error *err);
/* Empty the state (and a kept file's mark) in the open transaction. */
int pb_scratch_reset(pb_scratch *scratch, pb_error *err);
/* Commit the open transaction and start none (the end of a verification). */
int pb_scratch_commit(pb_scratch *scratch, pb_error *err);
/* The file a store was opened from (NULL for a scratch ledger). */
const char *pb_store_path(const pb_store *store);

/* A ledger that lives only as long as its handle: a temporary file removed at
 * once (as pb_scratch), with every table of a real ledger. Bundle
 * verification loads a bundle into one and runs pb_verify on it. */
int pb_log_open_scratch(const pb_log_rules *rules, pb_store **store_out, pb_error *err);

/* Writes records as they are, with their id index and tree hashes, into an
 * empty ledger, without admitting them: pb_verify does that afterwards. Only
 * for a scratch ledger. */
typedef struct pb_loader {
    pb_store *store;
    MDB_txn *txn;
    uint64_t size; /* records written */
} pb_loader;

int pb_loader_begin(pb_store *store, pb_loader *loader, pb_error *err);
/* Write bytes as record loader->size. id is its entry id, or NULL when the
 * record has none (verify then refuses its form). PB_OK,
 * PB_EID_EXISTS_DIFFERENT (id taken by an earlier record, named in the
 * text), PB_ESTORE. Commits every few thousand records. */
int pb_loader_add(pb_loader *loader, const char *bytes, size_t len, const char *id, pb_error *err);
int pb_loader_commit(pb_loader *loader, pb_error *err);
/* Abort what was not committed; safe after commit and when NULL. */
void pb_loader_abort(pb_loader *loader);

/* Visit every derived-state value whose key starts with prefix, in key order:
 * visit(ctx, key, key_len, canonical value bytes, len, err). Stops at the first
 * non-PB_OK return and returns it. */
typedef int (*pb_state_visitor)(void *ctx, const char *key, size_t key_len, const char *value,
                                size_t value_len, pb_error *err);
int pb_state_each(const pb_state *state, const char *prefix, pb_state_visitor visit, void *ctx,
                  pb_error *err);

/* ---------------------------------------------------------------------------
 * Checkpoint notes (checkpoint.c).
 * ------------------------------------------------------------------------- */

/* The note body "<origin>\n<size>\n<base64 root>\n" into buf. */
void pb_note_body(const char *origin, uint64_t tree_size, const uint8_t root[32], char *buf,
                  size_t size);
/* Check one signature line against body, the expected signer name and key.
 * PB_OK or PB_ENOTE with the reason. */
int pb_note_check_line(const char *body, const char *line, const char *name, const pb_pubkey *key,
                       pb_error *err);

/* The note of tree_size (0: the latest) assembled from the stored lines of a
 * snapshot, in a new malloc'd string. PB_OK, PB_ENOTFOUND, PB_ESTORE, PB_ENOMEM. */
int pb_checkpoint_assemble(const pb_snapshot *snap, uint64_t tree_size, char **note_out,
                           pb_error *err);

/* C2SP allows up to 100 signatures on a note. */
#define PB_NOTE_LINES_MAX 100

/* A note's text taken apart: body fields and signature lines. */
typedef struct pb_note {
    char origin[256];
    uint64_t tree_size;
    uint8_t root[32];
    size_t line_count;
    char *lines[PB_NOTE_LINES_MAX]; /* "— <name> <base64>\n", malloc'd */
    char *names[PB_NOTE_LINES_MAX]; /* each line's <name>, malloc'd */
} pb_note;

/* Parse a note's text: "<origin>\n<size>\n<base64 root>\n\n" and one or more
 * signature lines, each ending in '\n'. Signatures are not checked here.
 * PB_OK, PB_ENOTE (what is wrong in err->text), PB_ETOOBIG, PB_ENOMEM. Free
 * with pb_note_free (also on error: nothing is left allocated). */
int pb_note_parse(const char *text, pb_note *out, pb_error *err);
void pb_note_free(pb_note *note);

/* ---------------------------------------------------------------------------
 * Verification with hooks (verify.c), for checks on top of pb_verify's.
 * ------------------------------------------------------------------------- */

typedef struct pb_verify_hooks {
    unsigned threads; /* as pb_verify */
    /* Called once everything verified, with the state replayed from the
     * records (borrowed; valid during the call). NULL for none. */
    int (*at_end)(void *ctx, const pb_state *replayed, const pb_verify_report *report,
                  pb_error *err);
    void *ctx;
    uint64_t bad_checkpoint; /* out: tree size of the checkpoint at fault, or 0 */
    /* The verifier's own state file (NULL: a temporary replay, as pb_verify),
     * continued from where it was verified through unless full. */
    const char *state_path;
    int full;
    int state_suffix; /* 1: the file is state_path + "-verified" */
} pb_verify_hooks;

/* pb_verify, then hooks->at_end; on a checkpoint's failure hooks->bad_checkpoint
 * names its tree size. Codes as pb_verify, and whatever at_end returns. */
int pb_verify_with(pb_store *store, pb_verify_hooks *hooks, pb_verify_report *report_out,
                   pb_error *err);

/* ---------------------------------------------------------------------------
 * Witness lines and keys (checkpoint.c); the HTTP client is public (poolbook.h).
 * ------------------------------------------------------------------------- */

/* Take apart a response as received (raw[raw_len] must be NUL; raw is
 * changed): the status line "HTTP/1.x NNN", Content-Type without parameters,
 * and the body cut to Content-Length. out->body is a new malloc'd copy
 * (pb_http_response_free). http.c's reader of pb_http_request, exposed for
 * tests/fuzz/fuzz_http.c. PB_OK, PB_ENET (where is url) or PB_ENOMEM. */
int pb_http_response_parse(char *raw, size_t raw_len, pb_http_response *out, const char *url,
                           pb_error *err);

/* A cosignature/v1 line by name over the note body at timestamp, "— <name>
 * <base64(key id || u64 BE timestamp || signature)>\n", new malloc'd string. */
int pb_cosig_line(const char *body, const char *name, const pb_seckey *key, uint64_t timestamp,
                  char **line_out, pb_error *err);
/* Check a cosignature/v1 line: its name, key id and signature over body.
 * *timestamp_out (may be NULL) gets its time. PB_OK or PB_ENOTE. */
int pb_cosig_check_line(const char *body, const char *line, const char *name, const pb_pubkey *key,
                        uint64_t *timestamp_out, pb_error *err);
/* The kind of a note signature line by its length: 1 a note signature (4 +
 * 64 bytes), 2 a cosignature/v1 (4 + 8 + 64), 0 neither or malformed. */
int pb_note_line_kind(const char *line);
/* The key name of a signature line, into buf. PB_OK or PB_ENOTE. */
int pb_note_line_name(const char *line, char *buf, size_t size, pb_error *err);
/* Parse a note verifier key "<name>+<8 hex>+<base64(alg || key)>", alg 0x01
 * (note signer) or 0x04 (cosigner); the hex must be the key hash. PB_OK or
 * PB_EKEYFILE. */
int pb_vkey_parse(const char *vkey, char *name_buf, size_t name_size, int *alg_out,
                  pb_pubkey *key_out, pb_error *err);
/* The auditor key bound in state with which a cosignature/v1 line over body
 * verifies: its KEYID, and the line's name into name. PB_OK, PB_ENOTE,
 * PB_EKEY_UNKNOWN, PB_ESTORE. */
int pb_cosig_find_key(const pb_state *state, const char *body, const char *line, char *name,
                      size_t name_size, char keyid[PB_KEYID_TEXT_MAX], pb_error *err);

/* ---------------------------------------------------------------------------
 * Witness policy (witness_policy.c): C2SP tlog-policy, parsed and evaluated.
 * ------------------------------------------------------------------------- */

/* tlog-policy: "supports at least up to 32 logs, 32 witnesses, and 32 groups". */
#define PB_WPOLICY_LOGS_MAX 32
#define PB_WPOLICY_NAMES_MAX 64
/* The derived-state key under which the books keep the policy in force:
 * {"policy": [lines], "index": record}. Like "origin", read by the log. */
#define PB_WPOLICY_STATE_KEY "witness_policy"

typedef struct pb_wpolicy_name {
    char name[256];     /* the policy's name for the witness or group */
    int is_group;       /* 0 a witness, 1 a group */
    char key_name[256]; /* a witness: its key name */
    pb_pubkey key;      /* a witness: its Ed25519 cosigner key */
    char url[256];      /* a witness: its submission prefix, or "" */
    unsigned threshold; /* a group: how many members must have witnessed */
    unsigned member_count;
    unsigned members[PB_WPOLICY_NAMES_MAX]; /* a group: indexes of names defined above */
} pb_wpolicy_name;

typedef struct pb_wpolicy {
    size_t log_count;
    struct {
        char name[256];
        pb_pubkey key;
    } logs[PB_WPOLICY_LOGS_MAX];
    size_t name_count;
    pb_wpolicy_name names[PB_WPOLICY_NAMES_MAX];
    int has_quorum;
    int quorum; /* index into names, or -1 for "quorum none" */
} pb_wpolicy;

/* A witness that cosigned: its key name and key (from a verified line). */
typedef struct pb_wpolicy_cosigner {
    char name[256];
    pb_pubkey key;
} pb_wpolicy_cosigner;

/* Parse a tlog-policy text (log, witness, group and quorum lines; comments
 * and blank lines ignored). PB_OK, PB_EPOLICY (what and which line in the
 * text), PB_ETOOBIG, PB_EKEYFILE (a malformed vkey). out is about 100 KiB:
 * allocate it. */
int pb_wpolicy_parse(const char *text, pb_wpolicy *out, pb_error *err);
/* The same from a JSON array of lines (how a witness.policy entry holds it),
 * at most PB_WPOLICY_LINES_MAX. */
#define PB_WPOLICY_LINES_MAX 256
int pb_wpolicy_parse_lines(const json_t *lines, pb_wpolicy *out, pb_error *err);
/* Whether the quorum is met by these cosigners (1) or not (0). */
int pb_wpolicy_met(const pb_wpolicy *policy, const pb_wpolicy_cosigner *cosigners, size_t count);

#endif /* POOLBOOK_LOG_H */
