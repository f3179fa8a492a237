/*
 * verify.c — an auditor's check of a whole ledger from its records alone
 * (DESIGN 4, 9). Each record is read, checked to be canonical and well
 * formed, found where the id index says, admitted against state replayed
 * into a scratch database (so every signing rule is applied as at append),
 * and hashed into a recomputed tree compared with every stored tree hash.
 * Signature bytes are checked in chunks on several threads. Then each stored
 * checkpoint's signatures and root, and consistency between successive
 * checkpoints. The first bad record index is reported. The log's own checks
 * (form, hashes, tree, checkpoints) are here; the replay of the entry rules
 * comes through the pb_log_rules the store was opened with (books/rules.c).
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>

/* Records whose signatures are checked together. */
#define VERIFY_CHUNK_RECORDS 4096

struct verifier {
    pb_snapshot snap;
    pb_scratch scratch;
    pb_sigbatch batch;
    pb_merkle_stack stack;
    unsigned threads;
    const pb_log_rules *rules; /* the entry rules the store was opened with */
    pb_verify_hooks *hooks;
    pb_verify_report *report;
    pb_checkpoint_line *lines;
    size_t line_count;
    uint8_t (*roots)[32]; /* root at each line's tree size */
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

/* Visitor: each tree hash the recomputation completes must equal the stored one. */
static int
compare_stored(void *ctx, uint32_t level, uint64_t index, const uint8_t hash[32], pb_error *err)
{
    struct verifier *v = ctx;
    uint8_t stored[32];
    pb_error local;
    pb_error_init(&local);
    if (pb_snapshot_hash(&v->snap, level, index, stored, &local) != PB_OK ||
        memcmp(stored, hash, 32) != 0) {
        char text[128];
        snprintf(text, sizeof(text),
                 "stored tree hash (level %u, index %llu) does not match the "
                 "records",
                 level, (unsigned long long)index);
        return fail(err, (int64_t)v->stack.size, text);
    }
    return PB_OK;
}

static int
run_signatures(struct verifier *v, pb_error *err)
{
    pb_error local;
    pb_error_init(&local);
    int rc = pb_sigbatch_run(&v->batch, v->threads, &local);
    v->report->signatures += v->batch.count;
    pb_sigbatch_clear(&v->batch);
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
    char *canon = NULL;
    size_t canon_len = 0;
    int rc = pb_json_parse(bytes, len, PB_RECORD_BYTES_MAX, &record, &local);
    if (rc == PB_OK) {
        rc = pb_json_canonical(record, &canon, &canon_len, &local);
    }
    if (rc == PB_OK && (canon_len != len || memcmp(canon, bytes, len) != 0)) {
        rc = pb_error_set(&local, PB_EJSON, NULL, "the record is not in canonical form");
    }
    if (rc == PB_OK) {
        rc = pb_log_check_form(record, v->rules, &local);
    }
    if (rc == PB_OK) {
        rc = check_id_index(v, record, index, err);
        local.code = rc == PB_OK ? PB_OK : PB_EVERIFY;
    }
    if (rc == PB_OK) {
        rc = v->rules->admit(&v->scratch.state, record, index, &v->batch, &local);
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
    free(canon);
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

static int
verify_records(struct verifier *v, pb_error *err)
{
    int rc = PB_OK;
    for (uint64_t i = 0; i < v->snap.size && rc == PB_OK; i++) {
        rc = verify_record(v, i, err);
        if (rc == PB_OK) {
            note_roots(v);
            v->report->records++;
            pb_store_progress(v->snap.store, "verifying", i + 1, v->snap.size);
        }
        if (rc == PB_OK && (i + 1) % VERIFY_CHUNK_RECORDS == 0) {
            rc = run_signatures(v, err);
        }
        if (rc == PB_OK && (i + 1) % VERIFY_CHUNK_RECORDS == 0) {
            rc = pb_scratch_flush(&v->scratch, err);
        }
    }
    /* A bad signature earlier than the record that failed is the first bad one. */
    pb_error sig_err;
    pb_error_init(&sig_err);
    if (run_signatures(v, &sig_err) != PB_OK && (rc == PB_OK || sig_err.index <= err->index)) {
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
        pb_proof p;
        memset(&p, 0, sizeof(p));
        p.index_or_old_size = v->lines[i - 1].tree_size;
        p.tree_size = v->lines[i].tree_size;
        memcpy(p.leaf_or_old_root, v->roots[i - 1], 32);
        memcpy(p.root, v->roots[i], 32);
        pb_error local;
        pb_error_init(&local);
        int prc = pb_merkle_consistency(pb_snapshot_hash, &v->snap, p.index_or_old_size,
                                        p.tree_size, &p, &local);
        if (prc == PB_OK) {
            prc = pb_proof_check_consistency(&p, &local);
        }
        if (prc != PB_OK) {
            char text[PB_ERROR_TEXT_MAX + 64];
            snprintf(text, sizeof(text), "checkpoints are not consistent: %s", local.text);
            rc = fail(err, (int64_t)p.tree_size - 1, text);
            v->hooks->bad_checkpoint = p.tree_size;
        }
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

int
pb_verify(pb_store *store, unsigned threads, pb_verify_report *report_out, pb_error *err)
{
    pb_verify_hooks hooks = {threads, NULL, NULL, 0};
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
    v->threads = hooks->threads;
    v->rules = pb_log_rules_of(store);
    v->hooks = hooks;
    v->report = report_out;
    pb_sigbatch_init(&v->batch);
    pb_merkle_stack_init(&v->stack);
    int rc = pb_snapshot_open(store, &v->snap, &e);
    int snap_open = rc == PB_OK;
    if (rc == PB_OK) {
        rc = pb_scratch_open(&v->scratch, &e);
    }
    if (rc == PB_OK) {
        rc = load_checkpoints(v, &e);
    }
    if (rc == PB_OK) {
        rc = verify_records(v, &e);
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
    pb_checkpoint_lines_free(v->lines, v->line_count);
    free(v->roots);
    pb_sigbatch_free(&v->batch);
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
