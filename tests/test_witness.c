/*
 * test_witness.c — ledger/log/witness.c, witness_policy.c and the
 * cosignature/v1 bytes of checkpoint.c: the line and its key id against the
 * C2SP tlog-cosignature text computed here with libsodium; verifier keys; the
 * witness's checks in the spec's order on a hand-made tree (first cosign,
 * 409 with the held size, the proof, same size other root, bad proof, old
 * size above, bad signature, unknown origin), the record unchanged by each
 * refusal; the tlog-policy parser and quorum; and verify over a ledger's
 * witness lines (a spoiled one, or one by a non-auditor key, fails).
 */
#include "books/books.h"
#include "support.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define ORIGIN "test.example/bcf"

struct fixture {
    char dir[64];
    pb_seckey *op, *aud, *dcc_sig, *icb_sig, *stranger;
    json_t *keys;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/pb-test-witness-XXXXXX");
    pbt_mkdtemp(f->dir);
    f->keys = json_array();
    f->dcc_sig = pbt_key(f->dir, "dcc-sig", "DCC", "signatory", f->keys);
    f->icb_sig = pbt_key(f->dir, "icb-sig", "ICB", "signatory", f->keys);
    f->op = pbt_key(f->dir, "op", "DCC", "operator", f->keys);
    f->aud = pbt_key(f->dir, "aud", "ICB", "auditor", f->keys);
    json_t *unbound = json_array(); /* the stranger's key is bound nowhere */
    f->stranger = pbt_key(f->dir, "stranger", NULL, "auditor", unbound);
    json_decref(unbound);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    pb_seckey *all[] = {f->op, f->aud, f->dcc_sig, f->icb_sig, f->stranger};
    for (size_t i = 0; i < 5; i++) {
        pb_seckey_free(all[i]);
    }
    json_decref(f->keys);
    pbt_rmdir(f->dir);
    free(f);
    return 0;
}

/* SHA-256(name || "\n" || alg || key)[:4], from the spec's words. */
static void
spec_key_id(const char *name, uint8_t alg, const pb_seckey *key, uint8_t out[4])
{
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    uint8_t buf[512];
    size_t n = strlen(name);
    memcpy(buf, name, n);
    buf[n] = '\n';
    buf[n + 1] = alg;
    memcpy(buf + n + 2, pub.key, 32);
    uint8_t digest[32];
    crypto_hash_sha256(digest, buf, n + 34);
    memcpy(out, digest, 4);
}

static void
test_cosig_line_is_the_spec(void **state)
{
    struct fixture *f = *state;
    const char *body = ORIGIN "\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    char *line = NULL;
    assert_int_equal(pb_cosig_line(body, "w.example/a", f->aud, 1700000000, &line, NULL), PB_OK);
    assert_int_equal(
        strncmp(line, "\xe2\x80\x94 w.example/a ", strlen("\xe2\x80\x94 w.example/a ")), 0);
    uint8_t blob[80];
    size_t len = 0;
    const char *b64 = strrchr(line, ' ') + 1;
    assert_int_equal(pb_base64_decode_strict_any(b64, strlen(b64) - 1, blob, sizeof(blob), &len), 0);
    assert_int_equal(len, 76);
    uint8_t want[4];
    spec_key_id("w.example/a", 0x04, f->aud, want);
    assert_memory_equal(blob, want, 4);
    uint64_t t = 0;
    for (int i = 4; i < 12; i++) {
        t = (t << 8) | blob[i];
    }
    assert_int_equal(t, 1700000000);
    char msg[256];
    int n = snprintf(msg, sizeof(msg), "cosignature/v1\ntime 1700000000\n%s", body);
    pb_pubkey pub;
    pb_seckey_public(f->aud, &pub);
    assert_int_equal(
        crypto_sign_verify_detached(blob + 12, (const uint8_t *)msg, (size_t)n, pub.key), 0);
    uint64_t got = 0;
    assert_int_equal(pb_cosig_check_line(body, line, "w.example/a", &pub, &got, NULL), PB_OK);
    assert_int_equal(got, 1700000000);
    assert_int_equal(pb_note_line_kind(line), 2);
    /* Another name, another body, a spoiled byte: refused. */
    assert_int_equal(pb_cosig_check_line(body, line, "w.example/b", &pub, NULL, NULL), PB_ENOTE);
    assert_int_equal(pb_cosig_check_line(ORIGIN
                                         "\n4\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
                                         line, "w.example/a", &pub, NULL, NULL),
                     PB_ENOTE);
    line[strlen(line) - 5] = line[strlen(line) - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(pb_cosig_check_line(body, line, "w.example/a", &pub, NULL, NULL), PB_ENOTE);
    free(line);
}

static void
test_verifier_keys_parse(void **state)
{
    struct fixture *f = *state;
    pb_pubkey pub;
    pb_seckey_public(f->aud, &pub);
    char *vkey = NULL;
    assert_int_equal(pb_cosig_verifier("w.example/a", &pub, &vkey, NULL), PB_OK);
    uint8_t id[4];
    spec_key_id("w.example/a", 0x04, f->aud, id);
    char hex[16];
    snprintf(hex, sizeof(hex), "+%02x%02x%02x%02x+", id[0], id[1], id[2], id[3]);
    assert_non_null(strstr(vkey, hex));
    char name[256];
    int alg = 0;
    pb_pubkey back;
    assert_int_equal(pb_vkey_parse(vkey, name, sizeof(name), &alg, &back, NULL), PB_OK);
    assert_string_equal(name, "w.example/a");
    assert_int_equal(alg, 4);
    assert_memory_equal(back.key, pub.key, 32);
    vkey[strlen("w.example/a") + 1] ^= 1; /* the key hash no longer matches */
    assert_int_equal(pb_vkey_parse(vkey, name, sizeof(name), &alg, &back, NULL), PB_EKEYFILE);
    free(vkey);
    assert_int_equal(pb_vkey_parse("no-plus-signs", name, sizeof(name), &alg, &back, NULL),
                     PB_EKEYFILE);
}

/* A signed note of a tree of the given leaves (one byte each). */
static char *
note_of(const pb_seckey *op, const char *origin, const uint8_t *leaves, size_t count,
        uint8_t root_out[32])
{
    pb_merkle_stack st;
    pb_merkle_stack_init(&st);
    for (size_t i = 0; i < count; i++) {
        uint8_t leaf[32];
        pb_merkle_leaf_hash(&leaves[i], 1, leaf);
        assert_int_equal(pb_merkle_stack_push(&st, leaf, NULL, NULL, NULL), PB_OK);
    }
    pb_merkle_stack_root(&st, root_out);
    char body[512];
    pb_note_body(origin, count, root_out, body, sizeof(body));
    /* The operator's line, made here from the signed-note text. */
    pb_pubkey pub;
    pb_seckey_public(op, &pub);
    uint8_t blob[68];
    spec_key_id(origin, 0x01, op, blob);
    assert_int_equal(pb_seckey_sign(op, (const uint8_t *)body, strlen(body), blob + 4, NULL),
                     PB_OK);
    char b64[128];
    sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
    char *note = malloc(1024);
    snprintf(note, 1024, "%s\n\xe2\x80\x94 %s %s\n", body, origin, b64);
    return note;
}

/* POST text to the witness: "old N\n" + proof lines + "\n" + note. */
static int
add(pb_witness *w, uint64_t old, const uint8_t (*proof)[32], size_t n, const char *note,
    uint64_t *held, char **cosig)
{
    char req[4096];
    size_t used = (size_t)snprintf(req, sizeof(req), "old %llu\n", (unsigned long long)old);
    for (size_t i = 0; i < n; i++) {
        char b64[64];
        sodium_bin2base64(b64, sizeof(b64), proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
        used += (size_t)snprintf(req + used, sizeof(req) - used, "%s\n", b64);
    }
    used += (size_t)snprintf(req + used, sizeof(req) - used, "\n%s", note);
    *cosig = NULL;
    return pb_witness_add_checkpoint(w, req, used, 1700000000, cosig, held, NULL);
}

static void
test_witness_checks_in_order(void **state)
{
    struct fixture *f = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/w.state", f->dir);
    pb_witness *w = NULL;
    assert_int_equal(pb_witness_open(path, f->aud, "w.example/a", &w, NULL), PB_OK);
    pb_pubkey op_pub;
    pb_seckey_public(f->op, &op_pub);
    char *vkey = NULL;
    assert_int_equal(pb_note_verifier(ORIGIN, &op_pub, &vkey, NULL), PB_OK);
    assert_int_equal(pb_witness_add_log(w, ORIGIN, vkey, NULL), PB_OK);
    assert_int_equal(pb_witness_add_log(w, ORIGIN, vkey, NULL), PB_EUSAGE);
    const uint8_t leaves[] = {'a', 'b', 'c'};
    const uint8_t forked[] = {'a', 'x', 'c'};
    uint8_t r1[32], r2[32], r3[32], f2[32];
    char *n1 = note_of(f->op, ORIGIN, leaves, 1, r1);
    char *n2 = note_of(f->op, ORIGIN, leaves, 2, r2);
    char *n3 = note_of(f->op, ORIGIN, leaves, 3, r3);
    char *fork2 = note_of(f->op, ORIGIN, forked, 2, f2);
    char *other = note_of(f->op, "other.example/x", leaves, 1, r1);
    char *unsigned_by_op = note_of(f->stranger, ORIGIN, leaves, 2, r2);
    uint64_t held = 0;
    char *cosig = NULL;
    char *latest = NULL;

    assert_int_equal(add(w, 0, NULL, 0, n1, &held, &cosig), PB_OK); /* first: old 0 */
    pb_pubkey aud_pub;
    pb_seckey_public(f->aud, &aud_pub);
    char body1[256];
    snprintf(body1, sizeof(body1), "%.*s", (int)(strstr(n1, "\n\n") - n1) + 1, n1);
    assert_int_equal(pb_cosig_check_line(body1, cosig, "w.example/a", &aud_pub, NULL, NULL), PB_OK);
    free(cosig);
    assert_int_equal(pb_witness_latest(w, ORIGIN, &latest, NULL), PB_OK);

    assert_int_equal(add(w, 0, NULL, 0, n2, &held, &cosig), PB_ECONFLICT); /* 409 */
    assert_int_equal(held, 1);
    uint8_t proof12[1][32];
    pb_merkle_leaf_hash(&leaves[1], 1, proof12[0]);
    assert_int_equal(add(w, 2, NULL, 0, n1, &held, &cosig), PB_ERANGE);       /* 400: old above */
    assert_int_equal(add(w, 1, NULL, 0, other, &held, &cosig), PB_ENOTFOUND); /* 404 */
    assert_int_equal(add(w, 1, NULL, 0, unsigned_by_op, &held, &cosig), PB_ESIG_INVALID); /* 403 */
    uint8_t bad[1][32];
    memcpy(bad, proof12, 32);
    bad[0][0] ^= 1;
    assert_int_equal(add(w, 1, bad, 1, n2, &held, &cosig), PB_EPROOF); /* 422 */
    char *still = NULL;
    assert_int_equal(pb_witness_latest(w, ORIGIN, &still, NULL), PB_OK);
    assert_string_equal(still, latest); /* no refusal moved the record */
    free(still);

    assert_int_equal(add(w, 1, proof12, 1, n2, &held, &cosig), PB_OK); /* the proof */
    free(cosig);
    assert_int_equal(add(w, 2, NULL, 0, fork2, &held, &cosig), PB_ECONFLICT); /* same size */
    assert_int_equal(held, 2);
    assert_int_equal(add(w, 2, NULL, 0, n2, &held, &cosig), PB_OK); /* same tree again */
    free(cosig);
    /* Consistency 2 -> 3: the leaf hash of c. */
    uint8_t proof23[1][32];
    pb_merkle_leaf_hash(&leaves[2], 1, proof23[0]);
    assert_int_equal(add(w, 2, proof23, 1, n3, &held, &cosig), PB_OK);
    free(cosig);
    assert_int_equal(add(w, 0, NULL, 0, "not a note\n", &held, &cosig), PB_ENOTE);
    free(latest);
    assert_int_equal(pb_witness_latest(w, ORIGIN, &latest, NULL), PB_OK);
    assert_non_null(strstr(latest, "\n3\n"));
    pb_witness_close(w);
    /* The record is in the file: a reopened witness holds size 3. */
    assert_int_equal(pb_witness_open(path, f->aud, "w.example/a", &w, NULL), PB_OK);
    assert_int_equal(pb_witness_add_log(w, ORIGIN, vkey, NULL), PB_OK);
    assert_int_equal(add(w, 2, proof23, 1, n3, &held, &cosig), PB_ECONFLICT);
    assert_int_equal(held, 3);
    pb_witness_close(w);
    char *all[] = {n1, n2, n3, fork2, other, unsigned_by_op, vkey, latest};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        free(all[i]);
    }
}

static void
test_policy_quorum(void **state)
{
    struct fixture *f = *state;
    pb_pubkey a, s;
    pb_seckey_public(f->aud, &a);
    pb_seckey_public(f->stranger, &s);
    char *va = NULL, *vs = NULL;
    assert_int_equal(pb_cosig_verifier("w.example/a", &a, &va, NULL), PB_OK);
    assert_int_equal(pb_cosig_verifier("w.example/s", &s, &vs, NULL), PB_OK);
    char text[2048];
    snprintf(text, sizeof(text),
             "# two witnesses\n  witness A %s http://127.0.0.1:1\n\twitness S %s\n"
             "group one any A S\ngroup both all A S\ngroup two 2 A S\nquorum both\n",
             va, vs);
    pb_wpolicy *pol = calloc(1, sizeof(*pol));
    assert_int_equal(pb_wpolicy_parse(text, pol, NULL), PB_OK);
    assert_int_equal(pol->name_count, 5);
    assert_string_equal(pol->names[0].url, "http://127.0.0.1:1");
    pb_wpolicy_cosigner c[2];
    snprintf(c[0].name, sizeof(c[0].name), "w.example/a");
    c[0].key = a;
    snprintf(c[1].name, sizeof(c[1].name), "w.example/s");
    c[1].key = s;
    assert_int_equal(pb_wpolicy_met(pol, c, 2), 1);
    assert_int_equal(pb_wpolicy_met(pol, c, 1), 0);
    pol->quorum = 2; /* "one" */
    assert_int_equal(pb_wpolicy_met(pol, c, 1), 1);
    assert_int_equal(pb_wpolicy_met(pol, c, 0), 0);
    /* The right name with another key does not count. */
    c[0].key = s;
    pol->quorum = 0;
    assert_int_equal(pb_wpolicy_met(pol, c, 1), 0);
    assert_int_equal(pb_wpolicy_parse("quorum none\n", pol, NULL), PB_OK);
    assert_int_equal(pb_wpolicy_met(pol, c, 0), 1);
    /* Refusals, each naming its line. */
    pb_error err;
    const char *bad[] = {
        "group g any X\nquorum g\n",  /* a member not defined above */
        "quorum X\n",                 /* an undefined quorum */
        "frobnicate\nquorum none\n",  /* an unknown keyword */
        "",                           /* no quorum */
        "quorum none\nquorum none\n", /* two quorums */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_error_init(&err);
        assert_int_not_equal(pb_wpolicy_parse(bad[i], pol, &err), PB_OK);
        assert_true(err.code == PB_EPOLICY);
    }
    snprintf(text, sizeof(text), "witness A %s\nwitness B %s\nquorum A\n", va, va);
    pb_error_init(&err);
    assert_int_equal(pb_wpolicy_parse(text, pol, &err), PB_EPOLICY);
    assert_string_equal(err.text, "policy line 2: witness B has the key of witness A");
    snprintf(text, sizeof(text), "witness A %s\ngroup g 2 A\nquorum g\n", va);
    pb_error_init(&err);
    assert_int_equal(pb_wpolicy_parse(text, pol, &err), PB_EPOLICY);
    assert_string_equal(err.text, "policy line 2: threshold 2 is not all, any or 1..1");
    free(pol);
    free(va);
    free(vs);
}

/* A ledger with a genesis and a checkpoint; a witness line by key under name
 * (spoiled: one signature byte changed) stored beside it; what verify says. */
static int
verify_with_line(struct fixture *f, const pb_seckey *key, int spoil, pb_verify_report *vr,
                 pb_error *err)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/l%d-%p.ledger", f->dir, spoil, (const void *)key);
    pb_store *store = NULL;
    assert_int_equal(pb_store_open(path, PB_STORE_CREATE, &store, NULL), PB_OK);
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "DCC", "name", "D C C",
                                 "kind", "council", "id", "ICB", "name", "I C B", "kind", "icb");
    json_t *g = NULL;
    assert_int_equal(
        pb_draft_genesis(ORIGIN, "genesis", "2024-04-01T09:00:00Z", partners, f->keys, &g, NULL),
        PB_OK);
    json_decref(partners);
    assert_int_equal(pb_record_sign(g, f->dcc_sig, NULL), PB_OK);
    assert_int_equal(pb_record_sign(g, f->icb_sig, NULL), PB_OK);
    uint64_t index = 0;
    int present = 0;
    assert_int_equal(pb_store_append(store, g, &index, &present, NULL), PB_OK);
    json_decref(g);
    char *note = NULL;
    assert_int_equal(pb_checkpoint_create(store, f->op, &note, NULL), PB_OK);
    char body[512];
    snprintf(body, sizeof(body), "%.*s", (int)(strstr(note, "\n\n") - note) + 1, note);
    pb_checkpoint_line l = {1, 2, {0}, NULL};
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    pb_keyid_format(pub.key_id, l.keyid, sizeof(l.keyid));
    assert_int_equal(pb_cosig_line(body, "w.example/a", key, 1700000000, &l.line, NULL), PB_OK);
    if (spoil) {
        size_t at = strlen(l.line) - 10;
        l.line[at] = l.line[at] == 'A' ? 'B' : 'A';
    }
    assert_int_equal(pb_store_checkpoint_add(store, &l, NULL), PB_OK);
    free(l.line);
    free(note);
    int rc = pb_verify(store, 1, vr, err);
    pb_store_close(store);
    return rc;
}

static void
test_verify_checks_witness_lines(void **state)
{
    struct fixture *f = *state;
    pb_verify_report vr;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(verify_with_line(f, f->aud, 0, &vr, &err), PB_OK);
    assert_int_equal(vr.witnessed, 1);
    assert_int_equal(vr.cosignatures, 1);
    pb_error_init(&err);
    assert_int_equal(verify_with_line(f, f->aud, 1, &vr, &err), PB_EVERIFY);
    assert_string_equal(err.text, "checkpoint of tree size 1: the cosignature of \"w.example/a\" "
                                  "does not verify");
    pb_error_init(&err);
    assert_int_equal(verify_with_line(f, f->op, 0, &vr, &err), PB_EVERIFY);
    assert_non_null(strstr(err.text, "operator key, not an auditor key"));
}

int
main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cosig_line_is_the_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_keys_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_checks_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_quorum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_checks_witness_lines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
