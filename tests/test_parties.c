/*
 * test_parties.c — the entries of ledger/books/entry_parties.c beyond genesis:
 * partner.admit, key.add and key.revoke. Each signing rule of docs/entries.md
 * and each refusal with its exact code (and text where it names who is
 * missing), every refusal leaving the records and the root as they were, and
 * pb_verify replaying each resulting ledger.
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
#define CREATED "2024-06-30T12:00:00Z"

struct key {
    pb_seckey *sec;
    char keyid[PB_KEYID_TEXT_MAX];
    char b64[64];
};

struct fixture {
    char dir[64];
    char ledger[128];
    pb_store *store;
    json_t *keys; /* the genesis keys */
    struct key dcc_sig, dcc_fin, icb_sig, icb_fin, op, aud;
    struct key uh_sig, uh_fin, spare; /* not in the genesis */
};

/* Make a key; bind it in the genesis as partner's role unless partner is NULL. */
static void
make_key(struct fixture *f, struct key *k, const char *name, const char *partner, const char *role)
{
    char pub_path[256], sec_path[256];
    snprintf(pub_path, sizeof(pub_path), "%s/%s.pub", f->dir, name);
    snprintf(sec_path, sizeof(sec_path), "%s/%s.key", f->dir, name);
    pb_pubkey pub;
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, &pub, NULL), PB_OK);
    assert_int_equal(pb_seckey_load(sec_path, NULL, &k->sec, NULL), PB_OK);
    pb_keyid_format(pub.key_id, k->keyid, sizeof(k->keyid));
    pb_pubkey_encode(&pub, k->b64, sizeof(k->b64));
    if (partner != NULL) {
        json_array_append_new(f->keys, json_pack("{s:s,s:s,s:s,s:s}", "key", k->keyid, "pubkey",
                                                 k->b64, "partner", partner, "role", role));
    }
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/pb-test-parties-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ledger, sizeof(f->ledger), "%s/l.ledger", f->dir);
    f->keys = json_array();
    make_key(f, &f->dcc_sig, "dcc-sig", "DCC", "signatory");
    make_key(f, &f->dcc_fin, "dcc-fin", "DCC", "finance");
    make_key(f, &f->icb_sig, "icb-sig", "ICB", "signatory");
    make_key(f, &f->icb_fin, "icb-fin", "ICB", "finance");
    make_key(f, &f->op, "op", "DCC", "operator");
    make_key(f, &f->aud, "aud", "ICB", "auditor");
    make_key(f, &f->uh_sig, "uh-sig", NULL, NULL);
    make_key(f, &f->uh_fin, "uh-fin", NULL, NULL);
    make_key(f, &f->spare, "spare", NULL, NULL);
    assert_int_equal(pb_store_open(f->ledger, PB_STORE_CREATE, &f->store, NULL), PB_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    pb_store_close(f->store);
    struct key *all[] = {&f->dcc_sig, &f->dcc_fin, &f->icb_sig, &f->icb_fin, &f->op,
                         &f->aud,     &f->uh_sig,  &f->uh_fin,  &f->spare};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        pb_seckey_free(all[i]->sec);
    }
    json_decref(f->keys);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Sign record with each key of a NULL-terminated list. */
static json_t *
sign(json_t *record, ...)
{
    va_list ap;
    va_start(ap, record);
    for (const struct key *k = va_arg(ap, const struct key *); k != NULL;
         k = va_arg(ap, const struct key *)) {
        assert_int_equal(pb_record_sign(record, k->sec, NULL), PB_OK);
    }
    va_end(ap);
    return record;
}

static void
append_ok(struct fixture *f, json_t *record)
{
    uint64_t index = 0;
    int present = 1;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_append(f->store, record, &index, &present, &err);
    if (rc != PB_OK) {
        fail_msg("append refused: %s (%s)", err.text, err.where);
    }
    assert_int_equal(present, 0);
    json_decref(record);
}

/* Append must refuse record with code (and text, unless NULL), changing nothing. */
static void
refused(struct fixture *f, json_t *record, int code, const char *text)
{
    char *before = pbt_ledger_content(f->store);
    uint64_t index = 0;
    int present = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_append(f->store, record, &index, &present, &err);
    if (rc != code) {
        fail_msg("expected %s, got %s: %s (%s)", pb_strerror(code), pb_strerror(rc), err.text,
                 err.where);
    }
    if (text != NULL) {
        assert_string_equal(err.text, text);
    }
    char *after = pbt_ledger_content(f->store);
    assert_string_equal(before, after);
    free(before);
    free(after);
    json_decref(record);
}

static void
verify_ok(struct fixture *f, uint64_t records)
{
    pb_verify_report report;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_verify(f->store, 2, &report, &err);
    if (rc != PB_OK) {
        fail_msg("verify failed: %s", err.text);
    }
    assert_int_equal(report.records, records);
}

static json_t *
draft(const char *type, const char *id, const char *created, json_t *fields)
{
    json_t *entry = json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "type", type, "id", id, "ledger",
                              ORIGIN, "created", created);
    assert_non_null(entry);
    assert_non_null(fields);
    assert_int_equal(json_object_update(entry, fields), 0);
    json_decref(fields);
    return json_pack("{s:o,s:[]}", "entry", entry, "sigs");
}

static json_t *
document(const char *id, const char *created)
{
    return draft("document", id, created,
                 json_pack("{s:s,s:i,s:s}", "sha256",
                           "0000000000000000000000000000000000000000000000000000000000000001",
                           "size", 10, "title", "Board minutes"));
}

/* A partner.admit of id with key first as first_role and, unless NULL, fin as
 * its finance key. */
static json_t *
admit(const char *id, const struct key *first, const char *first_role, const struct key *fin)
{
    json_t *keys =
        json_pack("[{s:s,s:s,s:s}]", "key", first->keyid, "pubkey", first->b64, "role", first_role);
    if (fin != NULL) {
        json_array_append_new(keys, json_pack("{s:s,s:s,s:s}", "key", fin->keyid, "pubkey",
                                              fin->b64, "role", "finance"));
    }
    char entry_id[64];
    snprintf(entry_id, sizeof(entry_id), "admit-%s", id);
    return draft("partner.admit", entry_id, CREATED,
                 json_pack("{s:{s:s,s:s,s:s},s:o}", "partner", "id", id, "name",
                           "University Hospitals of Derby and Burton", "kind", "trust", "keys",
                           keys));
}

static json_t *
key_add(const char *id, const char *partner, const struct key *k, const char *role,
        const char *created)
{
    return draft("key.add", id, created,
                 json_pack("{s:s,s:s,s:s,s:s}", "partner", partner, "key", k->keyid, "pubkey",
                           k->b64, "role", role));
}

static json_t *
key_revoke(const char *id, const char *partner, const char *keyid, const char *date)
{
    return draft("key.revoke", id, CREATED,
                 json_pack("{s:s,s:s,s:s,s:s}", "partner", partner, "key", keyid, "date", date,
                           "reason", "laptop lost"));
}

static void
found(struct fixture *f)
{
    json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "DCC", "name",
                                 "Derbyshire County Council", "kind", "council", "id", "ICB",
                                 "name", "NHS Derby and Derbyshire ICB", "kind", "icb");
    json_t *g = NULL;
    assert_int_equal(
        pb_draft_genesis(ORIGIN, "genesis", "2024-04-01T09:00:00Z", partners, f->keys, &g, NULL),
        PB_OK);
    json_decref(partners);
    append_ok(f, sign(g, &f->dcc_sig, &f->icb_sig, NULL));
}

/* Genesis, then UHDB admitted with a signatory and a finance key: 2 records. */
static void
found3(struct fixture *f)
{
    found(f);
    append_ok(f, sign(admit("UHDB", &f->uh_sig, "signatory", &f->uh_fin), &f->dcc_sig, &f->icb_sig,
                      &f->uh_sig, NULL));
}

/* ---- partner.admit ------------------------------------------------------- */

static void
test_admit_needs_every_partner_and_the_new_one(void **state)
{
    struct fixture *f = *state;
    found(f);
    json_t *a = sign(admit("UHDB", &f->uh_sig, "signatory", &f->uh_fin), &f->dcc_sig, NULL);
    refused(f, json_deep_copy(a), PB_ESIG_MISSING,
            "the partner.admit entry still needs a signatory signature of: ICB, UHDB");
    sign(a, &f->icb_sig, NULL);
    refused(f, json_deep_copy(a), PB_ESIG_MISSING,
            "the partner.admit entry still needs a signatory signature of: UHDB");
    /* The new partner's finance key is not its signatory. */
    json_t *wrong = sign(json_deep_copy(a), &f->uh_fin, NULL);
    refused(f, wrong, PB_EKEY_WRONG_ROLE, NULL);
    append_ok(f, sign(a, &f->uh_sig, NULL));
    /* The admitted partner's keys now work. */
    append_ok(f, sign(document("doc-uh", CREATED), &f->uh_fin, NULL));
    json_t *bound = NULL;
    assert_int_equal(pb_store_key(f->store, f->uh_fin.keyid, &bound, NULL), PB_OK);
    assert_string_equal(json_string_value(json_object_get(bound, "partner")), "UHDB");
    assert_string_equal(json_string_value(json_object_get(bound, "role")), "finance");
    json_decref(bound);
    verify_ok(f, 3);
}

static void
test_admit_then_next_admission_needs_all_three(void **state)
{
    struct fixture *f = *state;
    found3(f);
    /* "Every current partner" now includes UHDB, in admission order. */
    refused(f, admit("DHCFT", &f->spare, "finance", NULL), PB_EFIELD,
            "partner.admit must bind a signatory key of the new partner, which signs its own "
            "admission");
    json_t *d = admit("DHCFT", &f->spare, "signatory", NULL);
    sign(d, &f->spare, &f->icb_sig, NULL);
    refused(f, json_deep_copy(d), PB_ESIG_MISSING,
            "the partner.admit entry still needs a signatory signature of: DCC, UHDB");
    append_ok(f, sign(d, &f->dcc_sig, &f->uh_sig, NULL));
    verify_ok(f, 3);
}

static void
test_admit_refusals(void **state)
{
    struct fixture *f = *state;
    found(f);
    /* The partner id is taken. */
    refused(f,
            sign(admit("DCC", &f->uh_sig, "signatory", &f->uh_fin), &f->dcc_sig, &f->icb_sig,
                 &f->uh_sig, NULL),
            PB_EPARTNER, "partner DCC is already in this ledger");
    /* A key already bound to another partner. */
    refused(f,
            sign(admit("UHDB", &f->uh_sig, "signatory", &f->icb_fin), &f->dcc_sig, &f->icb_sig,
                 &f->uh_sig, NULL),
            PB_EKEY_EXISTS, NULL);
    /* A key listed twice. */
    refused(f, admit("UHDB", &f->uh_sig, "signatory", &f->uh_sig), PB_EKEY_EXISTS, NULL);
    /* Signed by a key that is neither bound nor the new partner's. */
    refused(f,
            sign(admit("UHDB", &f->uh_sig, "signatory", &f->uh_fin), &f->dcc_sig, &f->icb_sig,
                 &f->spare, NULL),
            PB_EKEY_UNKNOWN, NULL);
    /* A finance key of a current partner is the wrong role. */
    refused(f,
            sign(admit("UHDB", &f->uh_sig, "signatory", &f->uh_fin), &f->dcc_sig, &f->icb_fin,
                 &f->uh_sig, NULL),
            PB_EKEY_WRONG_ROLE, NULL);
    verify_ok(f, 1);
}

/* ---- key.add ------------------------------------------------------------- */

static void
test_key_add_by_own_signatory(void **state)
{
    struct fixture *f = *state;
    found(f);
    /* ICB's signatory cannot bind a key for DCC. */
    refused(f, sign(key_add("key-1", "DCC", &f->spare, "finance", CREATED), &f->icb_sig, NULL),
            PB_EKEY_WRONG_PARTNER, NULL);
    /* Nor can DCC's own finance key. */
    refused(f, sign(key_add("key-1", "DCC", &f->spare, "finance", CREATED), &f->dcc_fin, NULL),
            PB_EKEY_WRONG_ROLE, NULL);
    /* Nor is it enough that another partner signs too. */
    refused(f,
            sign(key_add("key-1", "DCC", &f->spare, "finance", CREATED), &f->dcc_sig, &f->icb_sig,
                 NULL),
            PB_EKEY_WRONG_PARTNER, NULL);
    append_ok(f, sign(key_add("key-1", "DCC", &f->spare, "finance", CREATED), &f->dcc_sig, NULL));
    append_ok(f, sign(document("doc-1", CREATED), &f->spare, NULL));
    json_t *bound = NULL;
    assert_int_equal(pb_store_key(f->store, f->spare.keyid, &bound, NULL), PB_OK);
    assert_string_equal(json_string_value(json_object_get(bound, "partner")), "DCC");
    json_decref(bound);
    verify_ok(f, 3);
}

static void
test_key_add_refusals(void **state)
{
    struct fixture *f = *state;
    found(f);
    refused(f, sign(key_add("key-1", "NOPE", &f->spare, "finance", CREATED), &f->dcc_sig, NULL),
            PB_EPARTNER, "partner NOPE is not in this ledger");
    refused(f, sign(key_add("key-1", "DCC", &f->icb_fin, "finance", CREATED), &f->dcc_sig, NULL),
            PB_EKEY_EXISTS, NULL);
    refused(f, key_add("key-1", "DCC", &f->spare, "boss", CREATED), PB_EFIELD,
            "role \"boss\" is not signatory, finance, auditor or operator");
    /* The key id must be the public key's. */
    json_t *k = key_add("key-1", "DCC", &f->spare, "finance", CREATED);
    json_object_set_new(json_object_get(k, "entry"), "key", json_string(f->uh_sig.keyid));
    refused(f, k, PB_EFIELD, NULL);
    refused(f, key_add("key-1", "DCC", &f->spare, "finance", CREATED), PB_ESIG_MISSING, NULL);
    verify_ok(f, 1);
}

/* ---- key.revoke ---------------------------------------------------------- */

static void
test_revoke_by_own_signatory_and_the_date_rule(void **state)
{
    struct fixture *f = *state;
    found(f);
    append_ok(f,
              sign(key_revoke("rev-1", "DCC", f->dcc_fin.keyid, "2024-07-01"), &f->dcc_sig, NULL));
    /* DESIGN 5: a key signs only before its revocation date. */
    char text[200];
    snprintf(text, sizeof(text), "key %s is revoked from 2024-07-01 (entry dated 2024-07-01)",
             f->dcc_fin.keyid);
    refused(f, sign(document("doc-on", "2024-07-01T00:00:00Z"), &f->dcc_fin, NULL), PB_EKEY_REVOKED,
            text);
    refused(f, sign(document("doc-after", "2024-12-25T10:00:00Z"), &f->dcc_fin, NULL),
            PB_EKEY_REVOKED, NULL);
    /* DESIGN 5: and it signs nothing appended after its revocation, whatever
     * date the entry claims (revocation by append order). */
    snprintf(text, sizeof(text),
             "key %s was revoked (from 2024-07-01) by record 1: it signs nothing appended after "
             "that, whatever the entry's date (2024-06-30)",
             f->dcc_fin.keyid);
    refused(f, sign(document("doc-before", "2024-06-30T23:59:59Z"), &f->dcc_fin, NULL),
            PB_EKEY_REVOKED, text);
    /* Revoking twice. */
    snprintf(text, sizeof(text), "key %s is already revoked from 2024-07-01", f->dcc_fin.keyid);
    refused(f, sign(key_revoke("rev-2", "DCC", f->dcc_fin.keyid, "2024-08-01"), &f->dcc_sig, NULL),
            PB_EKEY_REVOKED, text);
    json_t *bound = NULL;
    assert_int_equal(pb_store_key(f->store, f->dcc_fin.keyid, &bound, NULL), PB_OK);
    assert_string_equal(json_string_value(json_object_get(bound, "revoked_from")), "2024-07-01");
    json_decref(bound);
    verify_ok(f, 2);
}

static void
test_revoke_by_every_other_partner(void **state)
{
    struct fixture *f = *state;
    found3(f);
    json_t *r = sign(key_revoke("rev-1", "DCC", f->dcc_sig.keyid, "2024-07-01"), &f->icb_sig, NULL);
    refused(f, json_deep_copy(r), PB_ESIG_MISSING,
            "the key.revoke entry still needs a signatory signature of: UHDB");
    /* The others' finance keys do not count. */
    refused(f, sign(json_deep_copy(r), &f->uh_fin, NULL), PB_EKEY_WRONG_ROLE, NULL);
    append_ok(f, sign(r, &f->uh_sig, NULL));
    /* The revoked signatory can no longer sign for DCC from that day. */
    refused(f,
            sign(key_add("key-1", "DCC", &f->spare, "signatory", "2024-07-02T09:00:00Z"),
                 &f->dcc_sig, NULL),
            PB_EKEY_REVOKED, NULL);
    verify_ok(f, 3);
}

static void
test_revoke_refusals(void **state)
{
    struct fixture *f = *state;
    found(f);
    char text[200];
    snprintf(text, sizeof(text), "key %s is not bound in this ledger", f->spare.keyid);
    refused(f, sign(key_revoke("rev-1", "DCC", f->spare.keyid, "2024-07-01"), &f->dcc_sig, NULL),
            PB_EKEY_UNKNOWN, text);
    snprintf(text, sizeof(text), "key %s belongs to ICB, not DCC", f->icb_fin.keyid);
    refused(f, sign(key_revoke("rev-1", "DCC", f->icb_fin.keyid, "2024-07-01"), &f->dcc_sig, NULL),
            PB_EKEY_WRONG_PARTNER, text);
    /* The partner's own finance key is not its signatory. */
    snprintf(text, sizeof(text),
             "key %s is DCC's finance key; a key.revoke entry needs DCC's signatory key",
             f->dcc_fin.keyid);
    refused(f, sign(key_revoke("rev-1", "DCC", f->dcc_sig.keyid, "2024-07-01"), &f->dcc_fin, NULL),
            PB_EKEY_WRONG_ROLE, text);
    refused(f, key_revoke("rev-1", "DCC", f->dcc_fin.keyid, "2024-02-30"), PB_EDATE,
            "date \"2024-02-30\" has day 30, but 2024-02 has 29 days");
    refused(f, key_revoke("rev-1", "DCC", "not-a-key-id", "2024-07-01"), PB_EFIELD,
            "key \"not-a-key-id\" is not a key id of 16 uppercase hex digits");
    verify_ok(f, 1);
}

/* The entry's "date" is its day: a key.revoke dated after its signer's own
 * revocation is refused even though it was created before. */
static void
test_entry_date_field_is_the_day_checked(void **state)
{
    struct fixture *f = *state;
    found(f);
    append_ok(f,
              sign(key_revoke("rev-1", "DCC", f->dcc_sig.keyid, "2024-07-01"), &f->dcc_sig, NULL));
    char text[200];
    snprintf(text, sizeof(text), "key %s is revoked from 2024-07-01 (entry dated 2024-07-05)",
             f->dcc_sig.keyid);
    refused(f, sign(key_revoke("rev-2", "DCC", f->dcc_fin.keyid, "2024-07-05"), &f->dcc_sig, NULL),
            PB_EKEY_REVOKED, text);
    verify_ok(f, 2);
}

/* A revoked key signs nothing appended after its revocation, even an entry
 * dated before it: else it could bind a fresh key for whoever holds it, or
 * post spending backdated to when it was still good. */
static void
test_revoked_key_signs_no_key_entries(void **state)
{
    struct fixture *f = *state;
    found(f);
    append_ok(f,
              sign(key_revoke("rev-1", "DCC", f->dcc_sig.keyid, "2024-09-01"), &f->icb_sig, NULL));
    char text[200];
    snprintf(text, sizeof(text),
             "key %s was revoked (from 2024-09-01) by record 1: it signs nothing appended after "
             "that, whatever the entry's date (2024-08-01)",
             f->dcc_sig.keyid);
    refused(f,
            sign(key_add("key-1", "DCC", &f->spare, "signatory", "2024-08-01T09:00:00Z"),
                 &f->dcc_sig, NULL),
            PB_EKEY_REVOKED, text);
    refused(f, sign(key_revoke("rev-2", "DCC", f->dcc_fin.keyid, "2024-08-01"), &f->dcc_sig, NULL),
            PB_EKEY_REVOKED, NULL);
    refused(f, sign(document("doc-1", "2024-08-01T09:00:00Z"), &f->dcc_sig, NULL), PB_EKEY_REVOKED,
            text);
    verify_ok(f, 2);
}

/* DESIGN 5: revocation by append order, no "created" before the genesis's,
 * and the clock checked at append only (never when verify replays). A record
 * appended before a backdated revocation but dated after it counts, and is a
 * finding for review. */
static void
test_revocation_order_genesis_and_clock(void **state)
{
    struct fixture *f = *state;
    found(f);
    assert_int_equal(setenv("POOLBOOK_NOW", "2024-07-10T12:00:00Z", 1), 0);
    refused(f, sign(document("doc-early", "2024-04-01T08:59:59Z"), &f->dcc_fin, NULL), PB_EDATE,
            "created 2024-04-01T08:59:59Z is before the ledger's genesis (created "
            "2024-04-01T09:00:00Z)");
    refused(f, sign(document("doc-ahead", "2024-07-10T13:00:01Z"), &f->dcc_fin, NULL), PB_EDATE,
            "created 2024-07-10T13:00:01Z is in the future: it is now 2024-07-10T12:00:00Z "
            "(clocks may differ by an hour at most)");
    append_ok(f, sign(document("doc-1", "2024-07-10T13:00:00Z"), &f->dcc_fin, NULL));
    append_ok(f, sign(document("doc-2", "2024-06-30T12:00:00Z"), &f->dcc_fin, NULL));
    /* DCC learns its finance key was lost on 1 July, and revokes it from then. */
    append_ok(f,
              sign(key_revoke("rev-1", "DCC", f->dcc_fin.keyid, "2024-07-01"), &f->dcc_sig, NULL));
    json_t *findings = NULL;
    assert_int_equal(pb_review_findings(f->store, &findings, NULL), PB_OK);
    assert_int_equal(json_array_size(findings), 1);
    const json_t *one = json_array_get(findings, 0);
    assert_int_equal(json_integer_value(json_object_get(one, "index")), 1);
    assert_string_equal(json_string_value(json_object_get(one, "id")), "doc-1");
    assert_string_equal(json_string_value(json_object_get(one, "key")), f->dcc_fin.keyid);
    assert_string_equal(json_string_value(json_object_get(one, "date")), "2024-07-10");
    assert_string_equal(json_string_value(json_object_get(one, "revoked_from")), "2024-07-01");
    assert_int_equal(json_integer_value(json_object_get(one, "revoked_by")), 3);
    json_decref(findings);
    /* verify replays without the clock: a clock set back finds nothing wrong. */
    assert_int_equal(setenv("POOLBOOK_NOW", "2024-07-01T00:00:00Z", 1), 0);
    verify_ok(f, 4);
    assert_int_equal(unsetenv("POOLBOOK_NOW"), 0);
}

/* The kept row "review:<KEYID>" of state, as canonical JSON (malloc'd). */
static char *
kept_review(struct fixture *f, const char *keyid)
{
    pb_snapshot snap;
    pb_state st;
    char key[PB_KEYID_TEXT_MAX + 8];
    json_t *row = NULL;
    char *text = NULL;
    size_t len = 0;
    snprintf(key, sizeof(key), "review:%s", keyid);
    assert_int_equal(pb_snapshot_open(f->store, &snap, NULL), PB_OK);
    pb_snapshot_state(&snap, &st);
    assert_int_equal(pb_state_get(&st, key, &row, NULL), PB_OK);
    assert_int_equal(pb_json_canonical(row, &text, &len, NULL), PB_OK);
    json_decref(row);
    pb_snapshot_close(&snap);
    return text;
}

/* What a scan of every record finds (pb_review_scan: how pb_review_findings
 * found them before they were kept), as canonical JSON (malloc'd). */
static char *
scanned_findings(struct fixture *f)
{
    pb_snapshot snap;
    pb_state st;
    json_t *revoked = NULL, *found = NULL;
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(pb_snapshot_open(f->store, &snap, NULL), PB_OK);
    pb_snapshot_state(&snap, &st);
    assert_int_equal(pb_review_revoked_keys(&st, &revoked, NULL), PB_OK);
    assert_int_equal(pb_review_scan(&snap, revoked, &found, NULL), PB_OK);
    assert_int_equal(pb_json_canonical(found, &text, &len, NULL), PB_OK);
    json_decref(found);
    json_decref(revoked);
    pb_snapshot_close(&snap);
    return text;
}

static char *
findings_text(struct fixture *f)
{
    json_t *found = NULL;
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(pb_review_findings(f->store, &found, NULL), PB_OK);
    assert_int_equal(pb_json_canonical(found, &text, &len, NULL), PB_OK);
    json_decref(found);
    return text;
}

/* The revoked-key findings are kept in state when a key.revoke is admitted,
 * so that verify and statements read no record for them: they are what a
 * scan of every record finds, in its order (by record, then signature),
 * with records signed by two revoked keys and one dated before the
 * revocation (no finding); reindex keeps the same rows. */
static void
test_kept_findings_are_a_scans(void **state)
{
    struct fixture *f = *state;
    found(f);
    assert_int_equal(setenv("POOLBOOK_NOW", "2024-07-10T12:00:00Z", 1), 0);
    append_ok(f, sign(document("doc-1", "2024-07-05T09:00:00Z"), &f->dcc_fin, &f->icb_fin, NULL));
    append_ok(f, sign(document("doc-2", "2024-06-01T09:00:00Z"), &f->dcc_fin, NULL));
    append_ok(f, sign(document("doc-3", "2024-07-08T09:00:00Z"), &f->icb_fin, &f->dcc_fin, NULL));
    append_ok(f, sign(document("doc-4", "2024-07-09T09:00:00Z"), &f->icb_sig, NULL));
    append_ok(f,
              sign(key_revoke("rev-1", "ICB", f->icb_fin.keyid, "2024-07-01"), &f->icb_sig, NULL));
    char *one = findings_text(f), *scan = scanned_findings(f);
    assert_string_equal(one, scan);
    assert_non_null(strstr(one, "\"id\":\"doc-1\""));
    assert_non_null(strstr(one, "\"id\":\"doc-3\""));
    assert_null(strstr(one, "doc-2"));
    free(one);
    free(scan);
    append_ok(f,
              sign(key_revoke("rev-2", "DCC", f->dcc_fin.keyid, "2024-07-02"), &f->dcc_sig, NULL));
    json_t *found = NULL;
    assert_int_equal(pb_review_findings(f->store, &found, NULL), PB_OK);
    assert_int_equal(json_array_size(found), 4); /* doc-1 and doc-3, by each key */
    for (size_t i = 0; i < 4; i++) {
        assert_null(json_object_get(json_array_get(found, i), "at"));
    }
    json_decref(found);
    char *both = findings_text(f);
    scan = scanned_findings(f);
    assert_string_equal(both, scan);
    char *dcc_row = kept_review(f, f->dcc_fin.keyid), *icb_row = kept_review(f, f->icb_fin.keyid);
    assert_int_equal(pb_store_reindex(f->store, NULL), PB_OK);
    char *dcc_again = kept_review(f, f->dcc_fin.keyid),
         *icb_again = kept_review(f, f->icb_fin.keyid);
    assert_string_equal(dcc_row, dcc_again);
    assert_string_equal(icb_row, icb_again);
    char *after = findings_text(f);
    assert_string_equal(after, both);
    free(both);
    free(scan);
    free(after);
    free(dcc_row);
    free(icb_row);
    free(dcc_again);
    free(icb_again);
    verify_ok(f, 7);
    assert_int_equal(unsetenv("POOLBOOK_NOW"), 0);
}

/* Anchoring (docs/auditor.md): each trusted key bound by the genesis, and a
 * trusted signatory key among its signers. spare is bound as a second DCC
 * signatory that did not sign; uh_sig is not bound at all. */
static void
test_genesis_anchor(void **state)
{
    struct fixture *f = *state;
    json_array_append_new(f->keys, json_pack("{s:s,s:s,s:s,s:s}", "key", f->spare.keyid, "pubkey",
                                             f->spare.b64, "partner", "DCC", "role", "signatory"));
    found(f);
    char *buf = NULL;
    size_t len = 0;
    json_t *genesis = NULL;
    assert_int_equal(pb_store_record(f->store, 0, &buf, &len, NULL), PB_OK);
    assert_int_equal(pb_json_parse(buf, len, PB_RECORD_BYTES_MAX, &genesis, NULL), PB_OK);
    free(buf);
    pb_pubkey k[3];
    assert_int_equal(pb_pubkey_parse(f->dcc_sig.b64, &k[0], NULL), PB_OK);
    assert_int_equal(pb_pubkey_parse(f->op.b64, &k[1], NULL), PB_OK);
    assert_int_equal(pb_pubkey_parse(f->icb_fin.b64, &k[2], NULL), PB_OK);
    assert_int_equal(pb_genesis_anchor(genesis, k, 3, NULL), PB_OK);
    pb_error err;
    pb_error_init(&err);
    char text[200];
    assert_int_equal(pb_pubkey_parse(f->spare.b64, &k[1], NULL), PB_OK);
    assert_int_equal(pb_genesis_anchor(genesis, k, 2, &err), PB_EVERIFY);
    snprintf(text, sizeof(text),
             "the trusted key %s (DCC's signatory) is bound by the genesis but did not sign it",
             f->spare.keyid);
    assert_string_equal(err.text, text);
    assert_int_equal(pb_pubkey_parse(f->uh_sig.b64, &k[1], NULL), PB_OK);
    pb_error_init(&err);
    assert_int_equal(pb_genesis_anchor(genesis, k, 2, &err), PB_EVERIFY);
    snprintf(text, sizeof(text),
             "the trusted key %s is not bound by the ledger's genesis: this is not a ledger "
             "founded with the keys you hold",
             f->uh_sig.keyid);
    assert_string_equal(err.text, text);
    json_decref(genesis);
}

int
main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admit_needs_every_partner_and_the_new_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_admit_then_next_admission_needs_all_three, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_admit_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_add_by_own_signatory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_add_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_by_own_signatory_and_the_date_rule, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoke_by_every_other_partner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_date_field_is_the_day_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocation_order_genesis_and_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_genesis_anchor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_findings_are_a_scans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_key_signs_no_key_entries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
