/*
 * test_store.c — the store and entry rules through the library: genesis
 * signing rules, append, the identical record reported present, a reused id
 * refused, a batch all-or-nothing, a dry run writing nothing (whole or
 * streamed, with its admit hook), progress of a
 * batch, refusals leaving records and root as they were, proofs checked,
 * checkpoints and verify, leaf hashes read from the records (v3) or stored (v2).
 */
#include "books/books.h"
#include "log/log.h"
#include "support.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
    char dir[64];
    char ledger[128];
    pb_store *store;
    pb_seckey *dcc_sig, *dcc_fin, *icb_sig, *icb_fin, *op, *aud;
    json_t *keys;
};

static json_t *
genesis_draft(struct fixture *f)
{
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "DCC", "name",
                                 "Derbyshire County Council", "kind", "council", "id", "ICB",
                                 "name", "NHS Derby and Derbyshire ICB", "kind", "icb");
    json_t *record = NULL;
    assert_int_equal(pb_draft_genesis("test.example/bcf", "genesis", "2024-04-01T09:00:00Z",
                                      partners, f->keys, &record, NULL),
                     PB_OK);
    json_decref(partners);
    return record;
}

static json_t *
document(const char *id, const char *title, pb_seckey *signer)
{
    json_t *entry =
        json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "v", 1, "type", "document", "id", id,
                  "ledger", "test.example/bcf", "created", "2024-06-30T12:00:00Z", "sha256",
                  "0000000000000000000000000000000000000000000000000000000000000001", "size", 10,
                  "title", title);
    json_t *record = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
    if (signer != NULL) {
        assert_int_equal(pb_record_sign(record, signer, NULL), PB_OK);
    }
    return record;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/pb-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ledger, sizeof(f->ledger), "%s/l.ledger", f->dir);
    f->keys = json_array();
    f->dcc_sig = pbt_key(f->dir, "dcc-sig", "DCC", "signatory", f->keys);
    f->dcc_fin = pbt_key(f->dir, "dcc-fin", "DCC", "finance", f->keys);
    f->icb_sig = pbt_key(f->dir, "icb-sig", "ICB", "signatory", f->keys);
    f->icb_fin = pbt_key(f->dir, "icb-fin", "ICB", "finance", f->keys);
    f->op = pbt_key(f->dir, "op", "DCC", "operator", f->keys);
    f->aud = pbt_key(f->dir, "aud", "ICB", "auditor", f->keys);
    assert_int_equal(pb_store_open(f->ledger, PB_STORE_CREATE, &f->store, NULL), PB_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    pb_store_close(f->store);
    pb_seckey *all[] = {f->dcc_sig, f->dcc_fin, f->icb_sig, f->icb_fin, f->op, f->aud};
    for (size_t i = 0; i < 6; i++) {
        pb_seckey_free(all[i]);
    }
    json_decref(f->keys);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void
found(struct fixture *f)
{
    json_t *g = genesis_draft(f);
    assert_int_equal(pb_record_sign(g, f->dcc_sig, NULL), PB_OK);
    assert_int_equal(pb_record_sign(g, f->icb_sig, NULL), PB_OK);
    uint64_t index = 99;
    int present = 1;
    assert_int_equal(pb_store_append(f->store, g, &index, &present, NULL), PB_OK);
    assert_int_equal(index, 0);
    assert_int_equal(present, 0);
    json_decref(g);
}

static void
test_genesis_needs_every_partner_signatory(void **state)
{
    struct fixture *f = *state;
    json_t *g = genesis_draft(f);
    pb_error err;
    pb_error_init(&err);
    uint64_t index;
    int present;
    assert_int_equal(pb_record_sign(g, f->dcc_sig, NULL), PB_OK);
    assert_int_equal(pb_store_append(f->store, g, &index, &present, &err), PB_ESIG_MISSING);
    assert_string_equal(err.text, "the genesis entry still needs a signatory signature of: ICB");
    /* A finance key of the other partner is the wrong role. */
    assert_int_equal(pb_record_sign(g, f->icb_fin, NULL), PB_OK);
    pb_error_init(&err);
    assert_int_equal(pb_store_append(f->store, g, &index, &present, &err), PB_EKEY_WRONG_ROLE);
    assert_non_null(strstr(err.text, "ICB's finance key"));
    uint64_t size = 1;
    assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
    assert_int_equal(size, 0);
    json_decref(g);
}

static void
test_first_record_must_be_genesis(void **state)
{
    struct fixture *f = *state;
    json_t *d = document("doc-1", "Minutes", f->dcc_fin);
    pb_error err;
    pb_error_init(&err);
    uint64_t index;
    int present;
    assert_int_equal(pb_store_append(f->store, d, &index, &present, &err), PB_EGENESIS);
    json_decref(d);
}

static void
test_identical_record_present_and_reused_id_refused(void **state)
{
    struct fixture *f = *state;
    found(f);
    json_t *d = document("doc-1", "Minutes", f->dcc_fin);
    uint64_t index = 0;
    int present = 1;
    assert_int_equal(pb_store_append(f->store, d, &index, &present, NULL), PB_OK);
    assert_int_equal(index, 1);
    assert_int_equal(present, 0);
    char *before = pbt_ledger_content(f->store);
    assert_int_equal(pb_store_append(f->store, d, &index, &present, NULL), PB_OK);
    assert_int_equal(index, 1);
    assert_int_equal(present, 1);
    json_t *other = document("doc-1", "Other minutes", f->dcc_fin);
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_store_append(f->store, other, &index, &present, &err),
                     PB_EID_EXISTS_DIFFERENT);
    assert_string_equal(err.where, "$.entry.id");
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(before);
    free(after);
    json_decref(d);
    json_decref(other);
}

static void
test_batch_is_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    found(f);
    char *before = pbt_ledger_content(f->store);
    json_t *recs[5];
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "doc-%d", i);
        recs[i] = document(id, "Invoice", f->icb_fin);
    }
    /* Record 3's signature is by a key not bound in the ledger. */
    json_t *sigs = json_object_get(recs[3], "sigs");
    json_object_set_new(json_array_get(sigs, 0), "key", json_string("0123456789ABCDEF"));
    pb_error err;
    pb_error_init(&err);
    uint64_t appended = 9, present = 9;
    assert_int_equal(pb_store_append_batch(f->store, recs, 5, &appended, &present, &err),
                     PB_EKEY_UNKNOWN);
    assert_int_equal(err.index, 3);
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(after);
    /* A bad signature byte in record 2 is found by the parallel check. */
    json_decref(recs[3]);
    recs[3] = document("doc-3", "Invoice", f->icb_fin);
    const char *b64 = json_string_value(
        json_object_get(json_array_get(json_object_get(recs[2], "sigs"), 0), "sig"));
    char bad[128];
    snprintf(bad, sizeof(bad), "%s", b64);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    json_object_set_new(json_array_get(json_object_get(recs[2], "sigs"), 0), "sig",
                        json_string(bad));
    pb_error_init(&err);
    assert_int_equal(pb_store_append_batch(f->store, recs, 5, &appended, &present, &err),
                     PB_ESIG_INVALID);
    assert_int_equal(err.index, 2);
    after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(after);
    json_decref(recs[2]);
    recs[2] = document("doc-2", "Invoice", f->icb_fin);
    assert_int_equal(pb_store_append_batch(f->store, recs, 5, &appended, &present, NULL), PB_OK);
    assert_int_equal(appended, 5);
    assert_int_equal(present, 0);
    for (int i = 0; i < 5; i++) {
        json_decref(recs[i]);
    }
    free(before);
}

struct inspected {
    int calls;
    uint64_t ids; /* entries the dry state holds under "partners" (2: DCC, ICB) */
};

static int
count_inspect(const pb_state *state, void *ctx, pb_error *err)
{
    struct inspected *in = ctx;
    json_t *partners = NULL;
    assert_int_equal(pb_state_get(state, "partners", &partners, err), PB_OK);
    in->ids = json_array_size(partners);
    json_decref(partners);
    in->calls++;
    return PB_OK;
}

/* A dry run admits as an append does, shows the state it would leave, and
 * writes nothing; a refused one is refused as the append would be. */
static void
test_dry_run_writes_nothing(void **state)
{
    struct fixture *f = *state;
    found(f);
    char *before = pbt_ledger_content(f->store);
    uint64_t size = 0;
    assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
    json_t *recs[3];
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof(id), "dry-%d", i);
        recs[i] = document(id, "Invoice", f->icb_fin);
    }
    struct inspected in = {0, 0};
    uint64_t first = 9, appended = 9, present = 9;
    assert_int_equal(pb_store_append_dry(f->store, recs, 3, count_inspect, &in, &first, &appended,
                                         &present, NULL),
                     PB_OK);
    assert_int_equal(in.calls, 1);
    assert_int_equal(in.ids, 2);
    assert_int_equal(first, size);
    assert_int_equal(appended, 3);
    assert_int_equal(present, 0);
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(after);
    /* Refused: the append's code and position; inspect is not called. */
    json_object_set_new(json_array_get(json_object_get(recs[1], "sigs"), 0), "key",
                        json_string("0123456789ABCDEF"));
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_store_append_dry(f->store, recs, 3, count_inspect, &in, &first, &appended,
                                         &present, &err),
                     PB_EKEY_UNKNOWN);
    assert_int_equal(err.index, 1);
    assert_int_equal(in.calls, 1);
    after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(after);
    for (int i = 0; i < 3; i++) {
        json_decref(recs[i]);
    }
    free(before);
}

/* What pb_batch_on_admit saw: how many records, whether each came in order. */
struct admitted {
    int seen;
    int in_order;
    int fail_at; /* the hook fails (PB_ENOMEM) at this record; -1: never */
};

static int
note_admitted(const json_t *record, void *ctx, pb_error *err)
{
    struct admitted *a = ctx;
    char want[16];
    snprintf(want, sizeof(want), "dry-%d", a->seen);
    const char *id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    a->in_order = a->in_order && id != NULL && strcmp(id, want) == 0;
    if (a->seen++ == a->fail_at) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    return PB_OK;
}

/* A streamed batch ended dry (pb_batch_commit_dry) over more than one chunk:
 * the admit hook sees every record in order, already present ones too;
 * inspect sees the state once; nothing is written. A hook that fails stops
 * the batch with its code, before inspect. */
static void
test_streamed_dry_batch_sees_every_record(void **state)
{
    struct fixture *f = *state;
    found(f);
    json_t *one = document("dry-0", "Invoice", f->icb_fin);
    uint64_t index = 0;
    int was_present = 1;
    assert_int_equal(pb_store_append(f->store, one, &index, &was_present, NULL), PB_OK);
    json_decref(one);
    char *before = pbt_ledger_content(f->store);
    for (int fail_at = -1; fail_at <= 4500; fail_at += 4501) {
        pb_batch *b = NULL;
        assert_int_equal(pb_batch_open(f->store, &b, NULL), PB_OK);
        struct admitted a = {0, 1, fail_at};
        pb_batch_on_admit(b, note_admitted, &a);
        pb_batch_sign_with(b, f->icb_fin);
        for (int i = 0; i < 5000; i++) {
            char id[16];
            snprintf(id, sizeof(id), "dry-%d", i);
            assert_int_equal(pb_batch_add(b, document(id, "Invoice", NULL), NULL), PB_OK);
        }
        struct inspected in = {0, 0};
        uint64_t first = 9, appended = 9, present = 9;
        pb_error err;
        pb_error_init(&err);
        int rc = pb_batch_commit_dry(b, count_inspect, &in, &first, &appended, &present, &err);
        assert_true(a.in_order);
        if (fail_at < 0) {
            assert_int_equal(rc, PB_OK);
            assert_int_equal(a.seen, 5000);
            assert_int_equal(in.calls, 1);
            assert_int_equal(first, index + 1);
            assert_int_equal(appended, 4999);
            assert_int_equal(present, 1);
        } else {
            assert_int_equal(rc, PB_ENOMEM);
            assert_int_equal(a.seen, fail_at + 1);
            assert_int_equal(in.calls, 0);
        }
        char *after = pbt_ledger_content(f->store);
        assert_string_equal(before, after);
        free(after);
    }
    free(before);
}

struct progress_seen {
    uint64_t done[8];
    uint64_t total;
    int calls;
};

static void
note_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    struct progress_seen *p = ctx;
    assert_string_equal(what, "appending");
    if (p->calls < 8) {
        p->done[p->calls] = done;
    }
    p->total = total;
    p->calls++;
}

/* An append of a batch reports every PB_PROGRESS_STEP records and at the end. */
static void
test_batch_reports_progress(void **state)
{
    struct fixture *f = *state;
    found(f);
    enum { N = 2 * PB_PROGRESS_STEP + 88 };
    json_t **recs = calloc(N, sizeof(*recs));
    assert_non_null(recs);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof(id), "p-%d", i);
        recs[i] = document(id, "Invoice", f->icb_fin);
    }
    struct progress_seen seen;
    memset(&seen, 0, sizeof(seen));
    pb_store_set_progress(f->store, note_progress, &seen);
    uint64_t appended = 0, present = 0;
    assert_int_equal(pb_store_append_batch(f->store, recs, N, &appended, &present, NULL), PB_OK);
    assert_int_equal(appended, N);
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.done[0], PB_PROGRESS_STEP);
    assert_int_equal(seen.done[1], 2 * PB_PROGRESS_STEP);
    assert_int_equal(seen.done[2], N);
    assert_int_equal(seen.total, N);
    pb_store_set_progress(f->store, NULL, NULL);
    for (int i = 0; i < N; i++) {
        json_decref(recs[i]);
    }
    free(recs);
}

static void
test_wrong_origin_and_unsigned_refused(void **state)
{
    struct fixture *f = *state;
    found(f);
    json_t *d = document("doc-1", "Minutes", NULL);
    pb_error err;
    pb_error_init(&err);
    uint64_t index;
    int present;
    assert_int_equal(pb_store_append(f->store, d, &index, &present, &err), PB_ESIG_MISSING);
    json_object_set_new(json_object_get(d, "entry"), "ledger", json_string("other.example/x"));
    assert_int_equal(pb_record_sign(d, f->dcc_fin, NULL), PB_OK);
    pb_error_init(&err);
    assert_int_equal(pb_store_append(f->store, d, &index, &present, &err), PB_EORIGIN);
    json_decref(d);
}

static void
test_proofs_checkpoint_and_verify(void **state)
{
    struct fixture *f = *state;
    found(f);
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof(id), "doc-%d", i);
        json_t *d = document(id, "Invoice", i % 2 ? f->dcc_fin : f->icb_fin);
        uint64_t index;
        int present;
        assert_int_equal(pb_store_append(f->store, d, &index, &present, NULL), PB_OK);
        json_decref(d);
        if (i == 9) {
            char *note = NULL;
            assert_int_equal(pb_checkpoint_create(f->store, f->op, &note, NULL), PB_OK);
            assert_non_null(strstr(note, "test.example/bcf\n11\n"));
            free(note);
        }
    }
    for (uint64_t n = 1; n <= 41; n++) {
        for (uint64_t m = 0; m < n; m++) {
            pb_proof p;
            assert_int_equal(pb_proof_inclusion(f->store, m, n, &p, NULL), PB_OK);
            assert_int_equal(pb_proof_check_inclusion(&p, NULL), PB_OK);
        }
        pb_proof c;
        assert_int_equal(pb_proof_consistency(f->store, (n + 1) / 2, n, &c, NULL), PB_OK);
        assert_int_equal(pb_proof_check_consistency(&c, NULL), PB_OK);
    }
    pb_error err;
    pb_error_init(&err);
    char *note = NULL;
    assert_int_equal(pb_checkpoint_create(f->store, f->dcc_fin, &note, &err), PB_EKEY_WRONG_ROLE);
    assert_int_equal(pb_checkpoint_create(f->store, f->op, &note, NULL), PB_OK);
    free(note);
    assert_int_equal(pb_checkpoint_cosign(f->store, 0, f->aud, &note, NULL), PB_OK);
    assert_non_null(strstr(note, "test.example/bcf/ICB/"));
    free(note);
    pb_verify_report report;
    assert_int_equal(pb_verify(f->store, 2, &report, NULL), PB_OK);
    assert_int_equal(report.records, 41);
    assert_int_equal(report.signatures, 42);
    assert_int_equal(report.checkpoints, 2);
    assert_int_equal(report.cosignatures, 1);
    uint8_t root[32];
    assert_int_equal(pb_store_root(f->store, 41, root, NULL), PB_OK);
    assert_memory_equal(root, report.root, 32);
}

static void
test_verify_empty_ledger_has_rfc_empty_root(void **state)
{
    struct fixture *f = *state;
    pb_verify_report report;
    assert_int_equal(pb_verify(f->store, 1, &report, NULL), PB_OK);
    assert_int_equal(report.records, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), report.root, 32);
    /* SHA-256 of nothing, RFC 6962's hash of the empty tree. */
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* For n = 0, 1, 2, ... jansson's allocation n fails inside pb_store_append
 * of a signed document: each run fails with PB_ENOMEM leaving the ledger's
 * records and root exactly as they were, until a run reaches no failure and
 * appends the record (issue 13 item 8; the ASan build shows nothing leaks). */
static void
test_append_out_of_memory_changes_nothing(void **state)
{
    struct fixture *f = *state;
    found(f);
    char *before = pbt_ledger_content(f->store);
    json_t *doc = document("doc-oom", "Minutes", f->dcc_fin);
    size_t nomem = 0;
    int done = 0;
    for (size_t fail_at = 0; !done && fail_at < 100000; fail_at++) {
        pb_error err;
        pb_error_init(&err);
        uint64_t index = 0;
        int present = 0;
        pbt_alloc_fail_start(fail_at);
        int rc = pb_store_append(f->store, doc, &index, &present, &err);
        done = pbt_alloc_fail_stop() <= fail_at;
        if (rc == PB_OK) {
            assert_int_equal(index, 1);
            assert_int_equal(present, 0);
            break;
        }
        assert_int_equal(rc, PB_ENOMEM);
        assert_int_equal(err.code, PB_ENOMEM);
        char *now = pbt_ledger_content(f->store);
        assert_string_equal(now, before);
        free(now);
        nomem++;
    }
    uint64_t size = 0;
    assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
    assert_int_equal(size, 2);
    assert_true(nomem > 5);
    print_message("pb_store_append: %zu allocations failed one at a time\n", nomem);
    json_decref(doc);
    free(before);
}

/* Genesis and documents 1..n, signed: document bad_sig's title changed
 * after signing, document bad_key signed by a key the genesis did not bind
 * (-1: none). The caller releases each and the array. */
static json_t **
bulk_records(struct fixture *f, int n, int bad_sig, int bad_key, pb_seckey *stranger)
{
    json_t **rs = calloc((size_t)n + 1, sizeof(*rs));
    assert_non_null(rs);
    for (int i = 0; i <= n; i++) {
        char id[16];
        snprintf(id, sizeof(id), "doc-%d", i);
        if (i == 0) {
            rs[i] = genesis_draft(f);
            assert_int_equal(pb_record_sign(rs[i], f->dcc_sig, NULL), PB_OK);
            assert_int_equal(pb_record_sign(rs[i], f->icb_sig, NULL), PB_OK);
        } else {
            rs[i] = document(id, "Invoice", i == bad_key ? stranger : f->dcc_fin);
        }
        if (i == bad_sig) {
            json_object_set_new(json_object_get(rs[i], "entry"), "title", json_string("Changed"));
        }
    }
    return rs;
}

static void
free_records(json_t **rs, int n)
{
    for (int i = 0; i <= n; i++) {
        json_decref(rs[i]);
    }
    free(rs);
}

/* Records 0..6 appended to f->ledger, or to a new ledger of format knob
 * (POOLBOOK_TEST_LEDGER_FORMAT); the root of all 7 into root_out. */
static pb_store *
seven_records(struct fixture *f, const char *knob, uint8_t root_out[32])
{
    pb_store *s = f->store;
    if (knob != NULL) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%s.ledger", f->dir, knob);
        assert_int_equal(setenv("POOLBOOK_TEST_LEDGER_FORMAT", knob, 1), 0);
        assert_int_equal(pb_store_open(path, PB_STORE_CREATE, &s, NULL), PB_OK);
        assert_int_equal(unsetenv("POOLBOOK_TEST_LEDGER_FORMAT"), 0);
    }
    json_t **rs = bulk_records(f, 6, -1, -1, NULL);
    for (int i = 0; i <= 6; i++) {
        uint64_t index = 99;
        int present = 1;
        assert_int_equal(pb_store_append(s, rs[i], &index, &present, NULL), PB_OK);
        assert_int_equal(index, (uint64_t)i);
    }
    free_records(rs, 6);
    assert_int_equal(pb_store_root(s, 7, root_out, NULL), PB_OK);
    return s;
}

/* A v3 ledger stores no leaf hash: level 0 of index i is read as
 * SHA-256(0x00 || record i), one past the last record is missing, as is a
 * parent not yet complete; a v2 and a v1 ledger of the same records store
 * their leaves and give the same hashes and root. */
static void
test_leaf_hashes_read_from_records(void **state)
{
    struct fixture *f = *state;
    uint8_t root[32];
    pb_store *v3 = seven_records(f, NULL, root);
    assert_int_equal(pb_store_format(v3), PB_LEDGER_V3);
    assert_int_equal(pb_store_leaves_stored(v3), 0);
    pb_snapshot snap;
    assert_int_equal(pb_snapshot_open(v3, &snap, NULL), PB_OK);
    uint8_t leaves[7][32];
    for (uint64_t i = 0; i < 7; i++) {
        const char *bytes = NULL;
        size_t len = 0;
        assert_int_equal(pb_snapshot_record(&snap, i, &bytes, &len, NULL), PB_OK);
        uint8_t want[32];
        pb_merkle_leaf_hash(bytes, len, want);
        assert_int_equal(pb_snapshot_hash(&snap, 0, i, leaves[i], NULL), PB_OK);
        assert_memory_equal(leaves[i], want, 32);
    }
    uint8_t h[32];
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_snapshot_hash(&snap, 0, 7, h, &err), PB_ESTORE);
    assert_string_equal(err.text, "tree hash (level 0, index 7) is missing: no record 7");
    assert_int_equal(pb_snapshot_hash(&snap, 1, 3, h, NULL), PB_ESTORE);
    assert_int_equal(pb_snapshot_hash(&snap, 1, 2, h, NULL), PB_OK);
    uint8_t parent[32];
    pb_merkle_node_hash(leaves[4], leaves[5], parent);
    assert_memory_equal(h, parent, 32);
    pb_snapshot_close(&snap);
    const char *knobs[] = {"v2", "v1"};
    const int formats[] = {PB_LEDGER_V2, PB_LEDGER_V1};
    for (size_t k = 0; k < 2; k++) {
        uint8_t old_root[32];
        pb_store *old = seven_records(f, knobs[k], old_root);
        assert_int_equal(pb_store_format(old), formats[k]);
        assert_int_equal(pb_store_leaves_stored(old), 1);
        assert_memory_equal(old_root, root, 32);
        assert_int_equal(pb_snapshot_open(old, &snap, NULL), PB_OK);
        for (uint64_t i = 0; i < 7; i++) {
            assert_int_equal(pb_snapshot_hash(&snap, 0, i, h, NULL), PB_OK);
            assert_memory_equal(h, leaves[i], 32);
        }
        assert_int_equal(pb_snapshot_hash(&snap, 0, 7, h, NULL), PB_ESTORE);
        pb_snapshot_close(&snap);
        pb_store_close(old);
    }
}

/* bulk_records loaded as they are (not admitted) into a scratch ledger. */
static pb_store *
loaded_ledger(struct fixture *f, int n, int bad_sig, int bad_key, pb_seckey *stranger)
{
    pb_store *s = NULL;
    assert_int_equal(pb_store_open_scratch(&s, NULL), PB_OK);
    pb_loader loader;
    assert_int_equal(pb_loader_begin(s, &loader, NULL), PB_OK);
    json_t **rs = bulk_records(f, n, bad_sig, bad_key, stranger);
    for (int i = 0; i <= n; i++) {
        const char *id = json_string_value(json_object_get(json_object_get(rs[i], "entry"), "id"));
        char *bytes = NULL;
        size_t len = 0;
        assert_int_equal(pb_json_canonical(rs[i], &bytes, &len, NULL), PB_OK);
        assert_int_equal(pb_loader_add(&loader, bytes, len, id, NULL), PB_OK);
        free(bytes);
    }
    free_records(rs, n);
    assert_int_equal(pb_loader_commit(&loader, NULL), PB_OK);
    return s;
}

/* Verify checks signatures on a worker while it admits the next records
 * (chunks of 4,096; 4,500 records make two): the first bad record is named whichever comes to light
 * first, with one thread or two. */
static void
test_verify_pipeline_names_first_bad_record(void **state)
{
    struct fixture *f = *state;
    json_t *other = json_array();
    pb_seckey *stranger = pbt_key(f->dir, "stranger", "DCC", "finance", other);
    json_decref(other);
    const struct {
        int bad_sig, bad_key;
        int64_t index;
    } cases[] = {{-1, -1, -1}, {100, 4200, 100}, {4300, 4200, 4200}, {4500, -1, 4500}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        pb_store *s = loaded_ledger(f, 4500, cases[c].bad_sig, cases[c].bad_key, stranger);
        for (unsigned threads = 1; threads <= 2; threads++) {
            pb_verify_report report;
            pb_error err;
            pb_error_init(&err);
            int rc = pb_verify(s, threads, &report, &err);
            if (cases[c].index < 0) {
                assert_int_equal(rc, PB_OK);
                assert_int_equal(report.records, 4501);
                assert_int_equal(report.signatures, 4502);
            } else {
                assert_int_equal(rc, PB_EVERIFY);
                assert_int_equal(err.index, cases[c].index);
            }
        }
        pb_store_close(s);
    }
    pb_seckey_free(stranger);
}

/* A batch's signatures are checked on a worker every 4,096 records while
 * the next are admitted: the first bad record is named by its position and
 * the batch leaves the ledger as it was. */
static void
test_append_batch_pipeline_names_first_bad_record(void **state)
{
    struct fixture *f = *state;
    json_t *other = json_array();
    pb_seckey *stranger = pbt_key(f->dir, "stranger", "DCC", "finance", other);
    json_decref(other);
    found(f);
    const struct {
        int bad_sig, bad_key;
        int64_t position;
    } cases[] = {{100, 4200, 99}, {4300, 4200, 4199}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        json_t **rs = bulk_records(f, 4500, cases[c].bad_sig, cases[c].bad_key, stranger);
        pb_error err;
        pb_error_init(&err);
        int rc = pb_store_append_batch(f->store, rs + 1, 4500, NULL, NULL, &err);
        assert_int_not_equal(rc, PB_OK);
        assert_int_equal(err.index, cases[c].position);
        uint64_t size = 0;
        assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
        assert_int_equal(size, 1);
        free_records(rs, 4500);
    }
    json_t **rs = bulk_records(f, 4500, -1, -1, stranger);
    uint64_t appended = 0;
    assert_int_equal(pb_store_append_batch(f->store, rs + 1, 4500, &appended, NULL, NULL), PB_OK);
    assert_int_equal(appended, 4500);
    free_records(rs, 4500);
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    pb_seckey_free(stranger);
}

/* Stream records rs[1..n] into a batch: as text (canonical JSON) when as_text,
 * with record bad_text replaced by text that does not parse and record
 * bad_form given a float (a form fault). */
static int
stream_records(struct fixture *f, json_t **rs, int n, int as_text, int bad_text, int bad_form,
               uint64_t *appended_out, pb_error *err)
{
    pb_batch *b = NULL;
    assert_int_equal(pb_batch_open(f->store, &b, NULL), PB_OK);
    for (int i = 1; i <= n; i++) {
        if (i == bad_form) {
            json_object_set_new(json_object_get(rs[i], "entry"), "size", json_real(1.5));
        }
        if (i == bad_text) {
            assert_int_equal(pb_batch_add_text(b, "{\"entry\":", 9, NULL), PB_OK);
        } else if (as_text && i != bad_form) {
            char *bytes = NULL;
            size_t len = 0;
            assert_int_equal(pb_json_canonical(rs[i], &bytes, &len, NULL), PB_OK);
            assert_int_equal(pb_batch_add_text(b, bytes, len, NULL), PB_OK);
            free(bytes);
        } else {
            assert_int_equal(pb_batch_add(b, json_incref(rs[i]), NULL), PB_OK);
        }
    }
    return pb_batch_commit(b, appended_out, NULL, err);
}

/* A streamed batch (pb_batch, three chunks of 4,096 and more) names the
 * record pb_store_append_batch names: a text that does not parse before a
 * form fault before any refusal or bad signature, each the lowest position;
 * whatever the failure, the ledger is unchanged. */
static void
test_streamed_batch_names_first_bad_record(void **state)
{
    struct fixture *f = *state;
    json_t *other = json_array();
    pb_seckey *stranger = pbt_key(f->dir, "stranger", "DCC", "finance", other);
    json_decref(other);
    found(f);
    const struct {
        int as_text, bad_sig, bad_key, bad_text, bad_form;
        int64_t position;
        int code;
    } cases[] = {
        {1, 100, 4200, -1, -1, 99, PB_ESIG_INVALID},    /* bad signature in chunk 0 */
        {1, 4300, 4200, -1, -1, 4199, PB_EKEY_UNKNOWN}, /* unknown key, chunk 1 */
        {0, 9000, -1, -1, -1, 8999, PB_ESIG_INVALID},   /* the very last record */
        {1, 100, 200, 8500, 5000, 8499, PB_EJSON},      /* parse beats all before it */
        {0, 100, 200, -1, 5000, 4999, PB_EJSON_FLOAT},  /* form beats admission */
        {1, -1, 8800, -1, 8700, 8699, PB_EJSON_FLOAT},  /* in the last, partial chunk */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        json_t **rs = bulk_records(f, 9000, cases[c].bad_sig, cases[c].bad_key, stranger);
        pb_error err;
        pb_error_init(&err);
        int rc = stream_records(f, rs, 9000, cases[c].as_text, cases[c].bad_text, cases[c].bad_form,
                                NULL, &err);
        assert_int_equal(rc, cases[c].code);
        assert_int_equal(err.index, cases[c].position);
        uint64_t size = 0;
        assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
        assert_int_equal(size, 1);
        free_records(rs, 9000);
    }
    json_t **rs = bulk_records(f, 9000, -1, -1, stranger);
    uint64_t appended = 0;
    assert_int_equal(stream_records(f, rs, 9000, 1, -1, -1, &appended, NULL), PB_OK);
    assert_int_equal(appended, 9000);
    free_records(rs, 9000);
    uint64_t size = 0;
    assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
    assert_int_equal(size, 9001);
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    pb_seckey_free(stranger);
}

/* pb_batch_sign_with signs each record on the way in; pb_batch_check_input
 * names a text that does not parse among the records given so far; a batch
 * closed writes nothing. */
static void
test_streamed_batch_signs_and_checks_input(void **state)
{
    struct fixture *f = *state;
    found(f);
    pb_batch *b = NULL;
    assert_int_equal(pb_batch_open(f->store, &b, NULL), PB_OK);
    pb_batch_sign_with(b, f->dcc_fin);
    for (int i = 0; i < 5000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "un-%d", i);
        assert_int_equal(pb_batch_add(b, document(id, "Unsigned", NULL), NULL), PB_OK);
    }
    assert_int_equal(pb_batch_check_input(b, NULL), PB_OK);
    uint64_t appended = 0;
    assert_int_equal(pb_batch_commit(b, &appended, NULL, NULL), PB_OK);
    assert_int_equal(appended, 5000);
    assert_int_equal(pb_batch_open(f->store, &b, NULL), PB_OK);
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof(id), "more-%d", i);
        if (i == 10) {
            assert_int_equal(pb_batch_add_text(b, "[1,", 3, NULL), PB_OK);
        } else {
            assert_int_equal(pb_batch_add(b, document(id, "More", f->dcc_fin), NULL), PB_OK);
        }
    }
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_batch_check_input(b, &err), PB_EJSON);
    assert_int_equal(err.index, 10);
    pb_batch_close(b);
    uint64_t size = 0;
    assert_int_equal(pb_store_size(f->store, &size, NULL), PB_OK);
    assert_int_equal(size, 5001);
}

/* The bundle ledger's text as pb_bundle_export writes it; caller frees. */
static char *
bundle_text(pb_store *store, size_t *len_out)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len_out);
    assert_non_null(out);
    assert_int_equal(pb_bundle_export(store, out, NULL), PB_OK);
    assert_int_equal(fclose(out), 0);
    return text;
}

static int
verify_text(const char *text, size_t len, pb_verify_report *report)
{
    FILE *in = fmemopen((void *)text, len, "rb");
    assert_non_null(in);
    json_t *findings = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_bundle_verify(in, "b.jsonl", 1, NULL, report, &findings, &err);
    fclose(in);
    json_decref(findings);
    return rc;
}

/* pb_scratch_keep: a kept scratch ledger and replay state are emptied
 * between uses. A smaller bundle after a larger one reports its own size
 * and root (a leftover record would be "already present" or counted), a
 * refused bundle leaves nothing behind for the next, and a ledger's own
 * verify gives the same report twice. */
static void
test_kept_scratch_is_emptied(void **state)
{
    struct fixture *f = *state;
    found(f);
    char *small = NULL;
    size_t small_len = 0;
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof(id), "doc-%d", i);
        json_t *d = document(id, "Invoice", i % 2 ? f->dcc_fin : f->icb_fin);
        uint64_t index;
        int present;
        assert_int_equal(pb_store_append(f->store, d, &index, &present, NULL), PB_OK);
        json_decref(d);
        if (i == 3 || i == 7) {
            char *note = NULL;
            assert_int_equal(pb_checkpoint_create(f->store, f->op, &note, NULL), PB_OK);
            free(note);
        }
        if (i == 3) {
            small = bundle_text(f->store, &small_len);
        }
    }
    size_t big_len = 0;
    char *big = bundle_text(f->store, &big_len);
    pb_verify_report fresh_big, fresh_small, report;
    assert_int_equal(verify_text(big, big_len, &fresh_big), PB_OK);
    assert_int_equal(verify_text(small, small_len, &fresh_small), PB_OK);
    assert_int_equal(fresh_big.records, 9);
    assert_int_equal(fresh_small.records, 5);
    pb_verify_report own1, own2;
    pb_scratch_keep(1);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(verify_text(big, big_len, &report), PB_OK);
        assert_int_equal(report.records, 9);
        assert_memory_equal(report.root, fresh_big.root, 32);
        assert_int_equal(verify_text(small, small_len, &report), PB_OK);
        assert_int_equal(report.records, 5);
        assert_memory_equal(report.root, fresh_small.root, 32);
        /* cut inside the last record line: refused, and the next is whole */
        assert_int_not_equal(verify_text(big, big_len * 2 / 3, &report), PB_OK);
    }
    assert_int_equal(pb_verify(f->store, 1, &own1, NULL), PB_OK);
    assert_int_equal(pb_verify(f->store, 1, &own2, NULL), PB_OK);
    assert_int_equal(own2.records, own1.records);
    assert_int_equal(own2.signatures, own1.signatures);
    assert_memory_equal(own2.root, own1.root, 32);
    pb_scratch_keep(0);
    assert_int_equal(verify_text(big, big_len, &report), PB_OK);
    assert_memory_equal(report.root, fresh_big.root, 32);
    free(big);
    free(small);
}

int
main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_genesis_needs_every_partner_signatory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_first_record_must_be_genesis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_out_of_memory_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_record_present_and_reused_id_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_is_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_dry_batch_sees_every_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_reports_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_origin_and_unsigned_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proofs_checkpoint_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_hashes_read_from_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_empty_ledger_has_rfc_empty_root, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_verify_pipeline_names_first_bad_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_append_batch_pipeline_names_first_bad_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_streamed_batch_names_first_bad_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_streamed_batch_signs_and_checks_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kept_scratch_is_emptied, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
