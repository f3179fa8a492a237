/*
 * review.c — findings for review (DESIGN 5, docs/auditor.md). Two kinds:
 * "reopen", each period.reopen with the close it undid and its reason (a
 * period reopened is a fact an auditor looks at); and "revoked-key": records a key
 * signed before the record that revoked it (so they count: a key's signatures
 * count only on records appended before its revocation) but dated on or after
 * the date it was revoked from. Such a record may be genuine (posted before
 * the revocation was known) or signed by whoever held a lost key; the ledger
 * cannot tell, so verify and statements list it for a person to check.
 */
#include "books/books.h"

#include <string.h>

/* pb_state_each visitor: keep the binding of a revoked key under its id. */
static int
keep_revoked(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
             pb_error *err)
{
    PB_ASSERT(key_len > strlen("key:"));
    char keyid[PB_KEYID_TEXT_MAX]; /* key is not NUL-terminated */
    snprintf(keyid, sizeof(keyid), "%.*s", (int)(key_len - strlen("key:")), key + strlen("key:"));
    json_t *bound = NULL;
    int rc = pb_json_parse_stored(value, value_len, &bound, err);
    if (rc == PB_OK && json_object_get(bound, "revoked_from") != NULL &&
        json_object_set(ctx, keyid, bound) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(bound);
    return rc;
}

int
pb_review_revoked_keys(const pb_state *state, json_t **revoked_out, pb_error *err)
{
    PB_ASSERT(state != NULL && revoked_out != NULL);
    json_t *revoked = json_object();
    int rc = revoked != NULL ? pb_state_each(state, "key:", keep_revoked, revoked, err)
                             : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc != PB_OK) {
        json_decref(revoked);
        revoked = NULL;
    }
    *revoked_out = revoked;
    return rc;
}

/* The day a record is checked at: its "date", else the day of "created". */
static int
record_day(const json_t *entry, char day[PB_DATE_TEXT_MAX])
{
    const char *date = json_string_value(json_object_get(entry, "date"));
    const char *created = json_string_value(json_object_get(entry, "created"));
    if (date == NULL && (created == NULL || strlen(created) < 10)) {
        return 0;
    }
    snprintf(day, PB_DATE_TEXT_MAX, "%.10s", date != NULL ? date : created);
    return 1;
}

/* A period.close is remembered (closes: "POOL PERIOD" -> {index, id}); a
 * period.reopen is a finding naming the close it undoes and its reason. */
static int
review_period(json_t *closes, uint64_t index, const json_t *entry, json_t *out)
{
    const char *type = json_string_value(json_object_get(entry, "type"));
    const char *pool = json_string_value(json_object_get(entry, "pool"));
    const char *period = json_string_value(json_object_get(entry, "period"));
    if (type == NULL || pool == NULL || period == NULL) {
        return PB_OK;
    }
    char key[2 * PB_ID_BYTES_MAX + 2];
    snprintf(key, sizeof(key), "%s %s", pool, period);
    if (strcmp(type, "period.close") == 0) {
        json_t *c =
            json_pack("{s:I,s:O}", "index", (json_int_t)index, "id", json_object_get(entry, "id"));
        return c != NULL && json_object_set_new(closes, key, c) == 0 ? PB_OK : PB_ENOMEM;
    }
    if (strcmp(type, "period.reopen") != 0) {
        return PB_OK;
    }
    const json_t *closed = json_object_get(closes, key);
    json_t *f =
        json_pack("{s:s,s:I,s:O,s:s,s:s,s:s,s:O,s:O,s:O}", "kind", "reopen", "index",
                  (json_int_t)index, "id", json_object_get(entry, "id"), "type", type, "pool", pool,
                  "period", period, "reason", json_object_get(entry, "reason"), "closed_by",
                  json_object_get(closed, "index"), "close_id", json_object_get(closed, "id"));
    return f != NULL && json_array_append_new(out, f) == 0 ? PB_OK : PB_ENOMEM;
}

static int
review_record(const json_t *revoked, uint64_t index, const json_t *record, json_t *out)
{
    const json_t *entry = json_object_get(record, "entry");
    char day[PB_DATE_TEXT_MAX];
    if (!record_day(entry, day)) {
        return PB_OK;
    }
    const json_t *sigs = json_object_get(record, "sigs");
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const char *keyid = json_string_value(json_object_get(json_array_get(sigs, i), "key"));
        const json_t *bound = keyid != NULL ? json_object_get(revoked, keyid) : NULL;
        const char *from = json_string_value(json_object_get(bound, "revoked_from"));
        json_int_t by = json_integer_value(json_object_get(bound, "revoked"));
        if (bound == NULL || (uint64_t)by <= index || strcmp(day, from) < 0) {
            continue;
        }
        json_t *f =
            json_pack("{s:s,s:I,s:O,s:O,s:s,s:s,s:O,s:s,s:I}", "kind", "revoked-key", "index",
                      (json_int_t)index, "id", json_object_get(entry, "id"), "type",
                      json_object_get(entry, "type"), "date", day, "key", keyid, "partner",
                      json_object_get(bound, "partner"), "revoked_from", from, "revoked_by", by);
        if (f == NULL) {
            return PB_ENOMEM;
        }
        const char *pool = json_string_value(json_object_get(entry, "pool"));
        if (pool != NULL) {
            json_object_set_new(f, "pool", json_string(pool));
        }
        json_array_append_new(out, f);
    }
    return PB_OK;
}

int
pb_review_scan(const pb_snapshot *snap, const json_t *revoked, json_t **findings_out, pb_error *err)
{
    PB_ASSERT(snap != NULL && json_is_object(revoked) && findings_out != NULL);
    int rc = PB_OK;
    json_t *out = json_array(), *closes = json_object();
    if (out == NULL || closes == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    for (uint64_t i = 0; rc == PB_OK && i < snap->size; i++) {
        const char *buf = NULL;
        size_t len = 0;
        json_t *record = NULL;
        rc = pb_snapshot_record(snap, i, &buf, &len, err);
        if (rc == PB_OK) {
            rc = pb_json_parse_stored(buf, len, &record, err);
        }
        if (rc == PB_OK &&
            (review_record(revoked, i, record, out) != PB_OK ||
             review_period(closes, i, json_object_get(record, "entry"), out) != PB_OK)) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
        json_decref(record);
    }
    json_decref(closes);
    if (rc != PB_OK) {
        json_decref(out);
        out = NULL;
    }
    *findings_out = out;
    return rc;
}

int
pb_review_findings(pb_store *store, json_t **findings_out, pb_error *err)
{
    PB_ASSERT(store != NULL && findings_out != NULL);
    *findings_out = NULL;
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    json_t *revoked = NULL;
    rc = pb_review_revoked_keys(&state, &revoked, err);
    if (rc == PB_OK) {
        rc = pb_review_scan(&snap, revoked, findings_out, err);
    }
    json_decref(revoked);
    pb_snapshot_close(&snap);
    return rc;
}

/* ---- anchoring: the genesis and the keys an auditor holds ------------------- */

int
pb_genesis_anchor(const json_t *genesis_record, const pb_pubkey *trusted, size_t count,
                  pb_error *err)
{
    const json_t *entry = json_object_get(genesis_record, "entry");
    const json_t *keys = json_object_get(entry, "keys");
    const json_t *sigs = json_object_get(genesis_record, "sigs");
    for (size_t t = 0; t < count; t++) {
        char keyid[PB_KEYID_TEXT_MAX];
        char pub[64];
        pb_keyid_format(trusted[t].key_id, keyid, sizeof(keyid));
        pb_pubkey_encode(&trusted[t], pub, sizeof(pub));
        const json_t *bound = NULL;
        for (size_t i = 0; bound == NULL && i < json_array_size(keys); i++) {
            const json_t *k = json_array_get(keys, i);
            if (strcmp(json_string_value(json_object_get(k, "key")), keyid) == 0 &&
                strcmp(json_string_value(json_object_get(k, "pubkey")), pub) == 0) {
                bound = k;
            }
        }
        if (bound == NULL) {
            return pb_error_set(err, PB_EVERIFY, NULL,
                                "the trusted key %s is not bound by the ledger's genesis: this is "
                                "not a ledger founded with the keys you hold",
                                keyid);
        }
        const char *role = json_string_value(json_object_get(bound, "role"));
        const char *partner = json_string_value(json_object_get(bound, "partner"));
        int signed_it = 0;
        for (size_t i = 0; !signed_it && i < json_array_size(sigs); i++) {
            signed_it = strcmp(json_string_value(json_object_get(json_array_get(sigs, i), "key")),
                               keyid) == 0;
        }
        /* A signatory key you hold must have signed the genesis: else anyone
         * could list your public key beside a signatory key of their own. */
        if (strcmp(role, "signatory") == 0 && !signed_it) {
            return pb_error_set(err, PB_EVERIFY, NULL,
                                "the trusted key %s (%s's signatory) is bound by the genesis but "
                                "did not sign it",
                                keyid, partner);
        }
    }
    return PB_OK;
}
