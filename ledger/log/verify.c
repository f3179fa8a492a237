/*
 * verify.c — an auditor's check of a whole ledger from its records alone
 * (DESIGN 4, 9). Each record is read, checked to be canonical and well
 * formed, found where the id index says, admitted against state replayed
 * into a scratch database (so every signing rule is applied as at append),
 * and hashed into a recomputed tree compared with every stored tree hash.
 * Signature bytes are checked in chunks by a worker thread while the next
 * records are admitted (pb_sigpipe). Then each stored checkpoint's signatures
 * and root, and consistency between successive checkpoints. With a kept
 * state (pb_verify_kept, docs/verify.md) the replay continues from the size
 * verified before, once the stored tree is shown to still have its root. The first bad record index is reported. The log's own checks
 * (form, hashes, tree, checkpoints) are here; the replay of the entry rules
 * comes through the pb_log_rules the store was opened with (books/rules.c).
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

/* Records whose signatures are checked together. */
#define VERIFY_CHUNK_RECORDS 4096

struct verifier {
    pb_snapshot snap;
    pb_scratch scratch;
    pb_sigpipe pipe; /* signatures checked while the next records are admitted */
    uint64_t signatures_before; /* checked by earlier runs (a kept state) */
    pb_merkle_stack stack;
    const pb_log_rules *rules; /* the entry rules the store was opened with */
    pb_verify_hooks *hooks;
    pb_verify_report *report;
    pb_checkpoint_line *lines;
    size_t line_count;
    uint8_t (*roots)[32]; /* root at each line's tree size */
    uint64_t start;       /* records verified before: replay continues here */
    uint8_t start_root[32];
};

/* Set PB_EVERIFY for record index (or -1) with a text built by the caller. */
static int
fail(pb_error *err, int64_t index, const char *text)
{
    pb_error_set(err, PB_EVERIFY, NULL, "%s", text);
    if (err != NULL && index >= 0) {
        err->index = index;
        snprintf(err->where, sizeof(err->where), "record %lld", (long long)index);
    }
    return PB_EVERIFY;
}

/* Visitor: each tree hash the recomputation completes must equal the stored
 * one. A v3 file stores no leaf hash (it reads the record's), so there a
 * changed record shows first in the level-1 hash over it and its neighbour:
 * the text names the records a hash covers. */
static int
compare_stored(void *ctx, uint32_t level, uint64_t index, const uint8_t hash[32], pb_error *err)
{
    struct verifier *v = ctx;
    if (level == 0 && !pb_store_leaves_stored(v->snap.store)) {
        return PB_OK; /* computed from the very record just hashed */
    }
    uint8_t stored[32];
    pb_error local;
    pb_error_init(&local);
    if (pb_snapshot_hash(&v->snap, level, index, stored, &local) != PB_OK ||
        memcmp(stored, hash, 32) != 0) {
        char text[160];
        uint64_t first = index << level;
        char span[64] = "";
        if (level > 0) {
            snprintf(span, sizeof(span), " of records %llu..%llu", (unsigned long long)first,
                     (unsigned long long)(first + (UINT64_C(1) << level) - 1));
        }
        snprintf(text, sizeof(text),
                 "stored tree hash (level %u, index %llu)%s does not match the "
                 "records",
                 level, (unsigned long long)index, span);
        return fail(err, (int64_t)v->stack.size, text);
    }
    return PB_OK;
}

/* Hand the signatures queued so far to the pipeline (wait: and drain it). */
static int
run_signatures(struct verifier *v, int wait, pb_error *err)
{
    pb_error local;
    pb_error_init(&local);
    int rc = pb_sigpipe_hand_off(&v->pipe, v->stack.size, wait, &local);
    v->report->signatures = v->signatures_before + v->pipe.signatures;
    if (rc != PB_OK) {
        return fail(err, local.index, local.text);
    }
    return PB_OK;
}

static int
check_id_index(struct verifier *v, const json_t *record, uint64_t index, pb_error *err)
{
    const char *id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    uint64_t at = 0;
    pb_error local;
    pb_error_init(&local);
    int rc = pb_snapshot_find(&v->snap, id, &at, &local);
    if (rc != PB_OK || at != index) {
        char text[160];
        snprintf(text, sizeof(text), "the id index does not put entry \"%s\" here", id);
        return fail(err, (int64_t)index, text);
    }
    return PB_OK;
}

/* A stored record's value: its bytes must be canonical JSON. Read with
 * pb_json_parse_stored, so that an allocation failing inside jansson is
 * PB_ENOMEM and never a record "not in canonical form" (jansson 2.14 drops a
 * byte of a string then); what it refuses is read again by the plain parser,
 * which says why in the words verify has always used. */
static int
parse_record(const char *bytes, size_t len, json_t **record_out, pb_error *local)
{
    int rc = len <= PB_RECORD_BYTES_MAX ? pb_json_parse_stored(bytes, len, record_out, local)
                                        : PB_ETOOBIG;
    if (rc == PB_OK || rc == PB_ENOMEM) {
        return rc;
    }
    pb_error_init(local);
    char *canon = NULL;
    size_t canon_len = 0;
    rc = pb_json_parse(bytes, len, PB_RECORD_BYTES_MAX, record_out, local);
    if (rc == PB_OK) {
        rc = pb_json_canonical(*record_out, &canon, &canon_len, local);
    }
    if (rc == PB_OK && (canon_len != len || memcmp(canon, bytes, len) != 0)) {
        rc = pb_error_set(local, PB_EJSON, NULL, "the record is not in canonical form");
    }
    free(canon);
    return rc;
}

/* One record: everything but its signature bytes, which are queued. */
static int
verify_record(struct verifier *v, uint64_t index, pb_error *err)
{
    const char *bytes = NULL;
    size_t len = 0;
    pb_error local;
    pb_error_init(&local);
    if (pb_snapshot_record(&v->snap, index, &bytes, &len, &local) != PB_OK) {
        return fail(err, (int64_t)index, "the record is missing");
    }
    json_t *record = NULL;
    int rc = parse_record(bytes, len, &record, &local);
    if (rc == PB_OK) {
        rc = pb_log_check_form(record, v->rules, &local);
    }
    if (rc == PB_OK) {
        rc = check_id_index(v, record, index, err);
        local.code = rc == PB_OK ? PB_OK : PB_EVERIFY;
    }
    if (rc == PB_OK) {
        rc = v->rules->admit(&v->scratch.state, record, index, v->pipe.batch, &local);
    }
    if (rc != PB_OK && local.code != PB_EVERIFY) {
        char detail[PB_ERROR_TEXT_MAX + PB_ERROR_WHERE_MAX];
        snprintf(detail, sizeof(detail), "%s%s%s%s", local.text, local.where[0] ? " (" : "",
                 local.where, local.where[0] ? ")" : "");
        rc = fail(err, (int64_t)index, detail);
    }
    uint8_t leaf[32];
    if (rc == PB_OK) {
        pb_merkle_leaf_hash(bytes, len, leaf);
        rc = pb_merkle_stack_push(&v->stack, leaf, compare_stored, v, err);
    }
    json_decref(record);
    return rc;
}

static void
note_roots(struct verifier *v)
{
    for (size_t i = 0; i < v->line_count; i++) {
        if (v->lines[i].tree_size == v->stack.size) {
            pb_merkle_stack_root(&v->stack, v->roots[i]);
        }
    }
}

/* A kept state's mark: how far its state and v->stack have come. */
static int
put_mark(struct verifier *v, pb_error *err)
{
    if (!v->scratch.kept) {
        return PB_OK;
    }
    pb_verified_mark mark;
    memset(&mark, 0, sizeof(mark));
    mark.size = v->stack.size;
    mark.records = v->report->records;
    mark.signatures = v->report->signatures;
    mark.checked = v->pipe.checked;
    if (v->stack.size > 0) {
        pb_merkle_stack_root(&v->stack, mark.root);
    } else {
        crypto_hash_sha256(mark.root, NULL, 0);
    }
    mark.stack = v->stack;
    return pb_scratch_mark_put(&v->scratch, &mark, err);
}

static int
verify_records(struct verifier *v, pb_error *err)
{
    int rc = PB_OK;
    for (uint64_t i = v->start; i < v->snap.size && rc == PB_OK; i++) {
        rc = verify_record(v, i, err);
        if (rc == PB_OK) {
            note_roots(v);
            v->report->records++;
            pb_store_progress(v->snap.store, "verifying", i + 1, v->snap.size);
        }
        if (rc == PB_OK && (i + 1) % VERIFY_CHUNK_RECORDS == 0) {
            rc = run_signatures(v, 0, err);
        }
        if (rc == PB_OK && (i + 1) % VERIFY_CHUNK_RECORDS == 0) {
            rc = put_mark(v, err);
        }
        if (rc == PB_OK && (i + 1) % VERIFY_CHUNK_RECORDS == 0) {
            rc = pb_scratch_flush(&v->scratch, err);
        }
    }
    /* A bad signature earlier than the record that failed is the first bad one. */
    pb_error sig_err;
    pb_error_init(&sig_err);
    if (run_signatures(v, 1, &sig_err) != PB_OK && (rc == PB_OK || sig_err.index <= err->index)) {
        if (err != NULL) {
            *err = sig_err;
        }
        rc = PB_EVERIFY;
    }
    if (rc == PB_OK) {
        uint64_t ids = 0;
        rc = pb_snapshot_id_count(&v->snap, &ids, err);
        if (rc == PB_OK && ids != v->snap.size) {
            char text[128];
            snprintf(text, sizeof(text),
                     "the id index has %llu ids for %llu records: a record is "
                     "missing",
                     (unsigned long long)ids, (unsigned long long)v->snap.size);
            rc = fail(err, (int64_t)v->snap.size, text);
        }
    }
    return rc;
}

/* Whose line is it: the key must be bound in the replayed state with the
 * role its position says (operator, or an auditor for a cosignature and for
 * a witness's cosignature/v1: a partner's witness signs with its auditor key). */
static int
line_signer(struct verifier *v, const pb_checkpoint_line *l, const char *origin, char *name,
            size_t name_size, pb_pubkey *key, pb_error *err)
{
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", l->keyid);
    json_t *bound = NULL;
    int rc = pb_state_get(&v->scratch.state, skey, &bound, err);
    if (rc == PB_ENOTFOUND) {
        return pb_error_set(err, PB_ENOTE, NULL, "signed by key %s, which is not bound", l->keyid);
    }
    if (rc != PB_OK) {
        return rc;
    }
    const char *role = json_string_value(json_object_get(bound, "role"));
    const char *want = l->cosign ? "auditor" : "operator";
    if (strcmp(role, want) != 0) {
        rc = pb_error_set(err, PB_ENOTE, NULL, "signed by key %s, %s %s key, not %s %s key",
                          l->keyid, pb_article(role), role, pb_article(want), want);
    }
    if (rc == PB_OK && l->cosign == 2) {
        /* A witness's line names itself; its key id binds name and key. */
        rc = pb_note_line_name(l->line, name, name_size, err);
    } else if (rc == PB_OK) {
        pb_note_name(origin, json_string_value(json_object_get(bound, "partner")), role, l->keyid,
                     name, name_size);
    }
    if (rc == PB_OK) {
        rc = pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), key, err);
    }
    json_decref(bound);
    return rc;
}

/* The stored tree proves that the tree of old_size with old_root is a prefix
 * of the tree of new_size with new_root (RFC 6962 2.1.2); what names the two
 * trees in the error. */
static int
check_consistent(struct verifier *v, uint64_t old_size, const uint8_t old_root[32],
                 uint64_t new_size, const uint8_t new_root[32], const char *what, pb_error *err)
{
    pb_proof p;
    memset(&p, 0, sizeof(p));
    p.index_or_old_size = old_size;
    p.tree_size = new_size;
    memcpy(p.leaf_or_old_root, old_root, 32);
    memcpy(p.root, new_root, 32);
    pb_error local;
    pb_error_init(&local);
    int rc = pb_merkle_consistency(pb_snapshot_hash, &v->snap, old_size, new_size, &p, &local);
    if (rc == PB_OK) {
        rc = pb_proof_check_consistency(&p, &local);
    }
    if (rc != PB_OK) {
        char text[PB_ERROR_TEXT_MAX + 64];
        snprintf(text, sizeof(text), "%s are not consistent: %s", what, local.text);
        rc = fail(err, (int64_t)new_size - 1, text);
        v->hooks->bad_checkpoint = new_size;
    }
    return rc;
}

static int
verify_checkpoints(struct verifier *v, pb_error *err)
{
    json_t *o = NULL;
    int rc = v->line_count == 0 ? PB_OK : pb_state_get(&v->scratch.state, "origin", &o, err);
    for (size_t i = 0; rc == PB_OK && i < v->line_count; i++) {
        const pb_checkpoint_line *l = &v->lines[i];
        char body[512];
        char name[256];
        pb_pubkey key;
        pb_error local;
        pb_error_init(&local);
        pb_note_body(json_string_value(o), l->tree_size, v->roots[i], body, sizeof(body));
        int lrc = line_signer(v, l, json_string_value(o), name, sizeof(name), &key, &local);
        if (lrc == PB_OK && l->cosign == 2) {
            lrc = pb_cosig_check_line(body, l->line, name, &key, NULL, &local);
        } else if (lrc == PB_OK) {
            lrc = pb_note_check_line(body, l->line, name, &key, &local);
        }
        if (lrc != PB_OK) {
            char detail[PB_ERROR_TEXT_MAX + 64];
            snprintf(detail, sizeof(detail), "checkpoint of tree size %llu: %s",
                     (unsigned long long)l->tree_size, local.text);
            rc = fail(err, (int64_t)l->tree_size - 1, detail);
            v->hooks->bad_checkpoint = l->tree_size;
        }
        v->report->checkpoints += rc == PB_OK && !l->cosign;
        v->report->cosignatures += rc == PB_OK && l->cosign;
        v->report->witnessed += rc == PB_OK && l->cosign == 2;
    }
    json_decref(o);
    /* A cosignature witnesses the operator's checkpoint: one on a tree size
     * the operator never signed vouches for nothing (docs/auditor.md). */
    for (size_t i = 0; rc == PB_OK && i < v->line_count; i++) {
        int signed_by_operator = !v->lines[i].cosign;
        for (size_t j = 0; !signed_by_operator && j < v->line_count; j++) {
            signed_by_operator =
                !v->lines[j].cosign && v->lines[j].tree_size == v->lines[i].tree_size;
        }
        if (!signed_by_operator) {
            char text[160];
            snprintf(text, sizeof(text),
                     "checkpoint of tree size %llu: cosigned by key %s, but the operator never "
                     "signed that checkpoint",
                     (unsigned long long)v->lines[i].tree_size, v->lines[i].keyid);
            rc = fail(err, (int64_t)v->lines[i].tree_size - 1, text);
            v->hooks->bad_checkpoint = v->lines[i].tree_size;
        }
    }
    /* Successive checkpoints: the stored tree proves the older is a prefix. */
    for (size_t i = 1; rc == PB_OK && i < v->line_count; i++) {
        if (v->lines[i].tree_size == v->lines[i - 1].tree_size) {
            continue;
        }
        rc = check_consistent(v, v->lines[i - 1].tree_size, v->roots[i - 1],
                              v->lines[i].tree_size, v->roots[i], "checkpoints", err);
    }
    return rc;
}

/* The replay's state: a temporary file, or the verifier's own kept file
 * (hooks->state_path, or the ledger's path + "-verified"). */
static int
open_scratch(struct verifier *v, pb_error *err)
{
    const char *path = v->hooks->state_path;
    if (path == NULL) {
        return pb_scratch_open(&v->scratch, err);
    }
    if (!v->hooks->state_suffix) {
        /* Never the ledger itself: LMDB must not open one file twice. */
        struct stat a;
        struct stat b;
        const char *ledger = pb_store_path(v->snap.store);
        if (ledger != NULL && stat(path, &a) == 0 && stat(ledger, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            return pb_error_set(err, PB_EUSAGE, path,
                                "the ledger itself, not a verifier's state file");
        }
        return pb_scratch_open_at(&v->scratch, path, err);
    }
    /* The ledger's own: where it cannot be kept (a read-only folder), replay
     * into a temporary file as pb_verify does. */
    char own[4096];
    snprintf(own, sizeof(own), "%s-verified", path);
    pb_error local;
    pb_error_init(&local);
    int rc = pb_scratch_open_at(&v->scratch, own, &local);
    if (rc == PB_EIO) {
        return pb_scratch_open(&v->scratch, err);
    }
    if (rc != PB_OK && err != NULL) {
        *err = local;
    }
    return rc;
}

static int
load_checkpoints(struct verifier *v, pb_error *err)
{
    int rc = pb_snapshot_checkpoint_lines(&v->snap, &v->lines, &v->line_count, err);
    if (rc != PB_OK) {
        return rc;
    }
    v->roots = calloc(v->line_count + 1, 32);
    if (v->roots == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < v->line_count; i++) {
        if (v->lines[i].tree_size == 0 || v->lines[i].tree_size > v->snap.size) {
            char text[160];
            snprintf(text, sizeof(text),
                     "a checkpoint of tree size %llu, but the log has %llu "
                     "records: a record is missing",
                     (unsigned long long)v->lines[i].tree_size, (unsigned long long)v->snap.size);
            v->hooks->bad_checkpoint = v->lines[i].tree_size;
            return fail(err, (int64_t)v->snap.size, text);
        }
    }
    return PB_OK;
}

/* Where a kept state was verified through: check that the stored tree still
 * has the remembered root there (else name the first remembered complete
 * subtree whose stored hash changed), and continue from it. --full empties it. */
static int
continue_from_mark(struct verifier *v, pb_error *err)
{
    if (v->hooks->full) {
        return pb_scratch_reset(&v->scratch, err);
    }
    pb_verified_mark mark;
    int rc = pb_scratch_mark_get(&v->scratch, &mark, err);
    if (rc == PB_ENOTFOUND || (rc == PB_OK && mark.size == 0)) {
        return PB_OK;
    }
    if (rc == PB_OK && mark.checked != mark.size) {
        return pb_scratch_reset(&v->scratch, err); /* a run stopped midway: replay all */
    }
    if (rc != PB_OK) {
        return rc;
    }
    if (mark.size > v->snap.size) {
        char text[200];
        snprintf(text, sizeof(text),
                 "the ledger has %llu records, but %llu were verified before: records are "
                 "missing",
                 (unsigned long long)v->snap.size, (unsigned long long)mark.size);
        return fail(err, (int64_t)v->snap.size, text);
    }
    uint8_t stored[32];
    uint64_t at = 0;
    for (uint32_t j = 0; j < mark.stack.count; j++) {
        uint64_t width = UINT64_C(1) << mark.stack.levels[j];
        pb_error local;
        pb_error_init(&local);
        if (pb_snapshot_hash(&v->snap, mark.stack.levels[j], at >> mark.stack.levels[j], stored,
                             &local) != PB_OK ||
            memcmp(stored, mark.stack.hashes[j], 32) != 0) {
            char text[256];
            snprintf(text, sizeof(text),
                     "the stored tree of records %llu..%llu no longer has the hash verified "
                     "before: a verified record or tree hash was changed",
                     (unsigned long long)at, (unsigned long long)(at + width - 1));
            int frc = fail(err, (int64_t)at, text);
            if (err != NULL) {
                snprintf(err->where, sizeof(err->where), "records %llu..%llu",
                         (unsigned long long)at, (unsigned long long)(at + width - 1));
            }
            return frc;
        }
        at += width;
    }
    pb_error local;
    pb_error_init(&local);
    if (at != mark.size ||
        pb_merkle_range_hash(pb_snapshot_hash, &v->snap, 0, mark.size, stored, &local) != PB_OK ||
        memcmp(stored, mark.root, 32) != 0) {
        char text[200];
        snprintf(text, sizeof(text),
                 "the stored root at tree size %llu is not the one verified before",
                 (unsigned long long)mark.size);
        return fail(err, (int64_t)mark.size - 1, text);
    }
    v->stack = mark.stack;
    v->start = mark.size;
    memcpy(v->start_root, mark.root, 32);
    v->report->records = mark.records;
    v->report->signatures = mark.signatures;
    v->signatures_before = mark.signatures;
    v->pipe.checked = mark.size;
    v->report->from = mark.size;
    return PB_OK;
}

/* After a continued replay: the roots of checkpoints within the records
 * verified before, from the stored tree, each consistent with the remembered
 * root; and the remembered tree a prefix of today's (as a log monitor does). */
static int
check_continued(struct verifier *v, pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < v->line_count; i++) {
        uint64_t size = v->lines[i].tree_size;
        if (size > v->start) {
            continue;
        }
        pb_error local;
        pb_error_init(&local);
        if (pb_merkle_range_hash(pb_snapshot_hash, &v->snap, 0, size, v->roots[i], &local) !=
            PB_OK) {
            return fail(err, (int64_t)size - 1, local.text);
        }
        if (size < v->start) {
            rc = check_consistent(v, size, v->roots[i], v->start, v->start_root,
                                  "a checkpoint and the tree verified before", err);
        }
    }
    if (rc == PB_OK && v->stack.size > v->start) {
        uint8_t root[32];
        pb_merkle_stack_root(&v->stack, root);
        rc = check_consistent(v, v->start, v->start_root, v->stack.size, root,
                              "the tree verified before and the ledger", err);
    }
    return rc;
}

int
pb_verify(pb_store *store, unsigned threads, pb_verify_report *report_out, pb_error *err)
{
    pb_verify_hooks hooks = {threads, NULL, NULL, 0, NULL, 0, 0};
    return pb_verify_with(store, &hooks, report_out, err);
}

int
pb_verify_kept(pb_store *store, const char *state_path, int full, unsigned threads,
               pb_verify_report *report_out, pb_error *err)
{
    pb_verify_hooks hooks = {threads, NULL, NULL, 0, state_path, full, 0};
    if (state_path == NULL && pb_store_path(store) == NULL) {
        return pb_verify(store, threads, report_out, err);
    }
    if (state_path == NULL) {
        hooks.state_path = pb_store_path(store);
        hooks.state_suffix = 1;
    }
    return pb_verify_with(store, &hooks, report_out, err);
}

int
pb_verify_with(pb_store *store, pb_verify_hooks *hooks, pb_verify_report *report_out, pb_error *err)
{
    PB_ASSERT(store != NULL && hooks != NULL && report_out != NULL);
    pb_error e;
    pb_error_init(&e);
    memset(report_out, 0, sizeof(*report_out));
    hooks->bad_checkpoint = 0;
    if (pb_log_rules_of(store) == NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL,
                            "verify replays the entry rules: open the ledger with them");
    }
    struct verifier *v = calloc(1, sizeof(*v));
    if (v == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    v->rules = pb_log_rules_of(store);
    v->hooks = hooks;
    v->report = report_out;
    pb_sigpipe_init(&v->pipe, hooks->threads);
    pb_merkle_stack_init(&v->stack);
    int rc = pb_snapshot_open(store, &v->snap, &e);
    int snap_open = rc == PB_OK;
    if (rc == PB_OK) {
        rc = open_scratch(v, &e);
    }
    if (rc == PB_OK) {
        /* Admission finds earlier entries through the verified ledger's id index. */
        v->scratch.state.log = v->snap.store;
        v->scratch.state.log_txn = v->snap.txn;
    }
    if (rc == PB_OK && v->scratch.kept) {
        rc = continue_from_mark(v, &e);
    }
    if (rc == PB_OK) {
        rc = load_checkpoints(v, &e);
    }
    if (rc == PB_OK) {
        rc = verify_records(v, &e);
    }
    if (rc == PB_OK && v->start > 0) {
        rc = check_continued(v, &e);
    }
    if (rc == PB_OK) {
        rc = verify_checkpoints(v, &e);
    }
    if (rc == PB_OK && v->stack.size > 0) {
        pb_merkle_stack_root(&v->stack, report_out->root);
    } else if (rc == PB_OK) {
        crypto_hash_sha256(report_out->root, NULL, 0); /* RFC 6962: MTH({}) = SHA-256() */
    }
    if (rc == PB_OK && hooks->at_end != NULL) {
        rc = hooks->at_end(hooks->ctx, &v->scratch.state, report_out, &e);
    }
    if (rc == PB_OK && v->scratch.kept) {
        pb_error keep_err;
        pb_error_init(&keep_err);
        int keep_rc = put_mark(v, &keep_err);
        keep_rc = keep_rc == PB_OK ? pb_scratch_commit(&v->scratch, &keep_err) : keep_rc;
        /* The ledger verified either way. The ledger's own memory of it
         * (LEDGER-verified) not being written (a full disk) only means the
         * next run replays more; an auditor's own --state file must be kept,
         * or the auditor is told. */
        if (keep_rc != PB_OK && !hooks->state_suffix) {
            rc = keep_rc;
            e = keep_err;
        }
    }
    pb_checkpoint_lines_free(v->lines, v->line_count);
    free(v->roots);
    pb_sigpipe_free(&v->pipe);
    pb_scratch_close(&v->scratch);
    if (snap_open) {
        pb_snapshot_close(&v->snap);
    }
    free(v);
    if (rc != PB_OK && err != NULL) {
        *err = e;
    }
    return rc;
}
