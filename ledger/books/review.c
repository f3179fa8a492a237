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

#include <stdlib.h>
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

/* The revoked-key findings of the record at index (one per signature by a
 * key of revoked that counts but is dated on or after its revocation), in
 * signature order; with_at, each also carries "at", the signature's position,
 * which orders them when they are merged (pb_review_findings). */
static int
review_record(const json_t *revoked, uint64_t index, const json_t *record, int with_at, json_t *out)
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
        if ((pool != NULL && json_object_set_new(f, "pool", json_string(pool)) != 0) ||
            (with_at && json_object_set_new(f, "at", json_integer((json_int_t)i)) != 0) ||
            json_array_append_new(out, f) != 0) {
            return PB_ENOMEM;
        }
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
            (review_record(revoked, i, record, 0, out) != PB_OK ||
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

/* ---- kept findings ------------------------------------------------------------
 *
 * So that verify and statements do not read every record for their findings,
 * the revoked-key findings are derived state: admitting a key.revoke looks
 * back once over the records before it and keeps what it finds under
 * "review:<KEYID>" (an array, each finding with "at"); the reopen findings
 * come from the period events each pool's state already keeps. A ledger whose
 * revocations were admitted before this kept nothing: it is scanned as before
 * (poolbook reindex keeps them). */

struct key_scan {
    const char *keyid;
    const json_t *revoked; /* { keyid: its binding } */
    json_t *found;
};

/* Whether the len bytes at buf contain needle. */
static int
contains(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = buf; n > 0 && (size_t)(buf + len - p) >= n; p++) {
        p = memchr(p, needle[0], (size_t)(buf + len - p) - n + 1);
        if (p == NULL) {
            return 0;
        }
        if (memcmp(p, needle, n) == 0) {
            return 1;
        }
    }
    return n == 0;
}

static int
scan_for_key(void *ctx, uint64_t index, const char *buf, size_t len, pb_error *err)
{
    struct key_scan *scan = ctx;
    /* only a record that names the key can be signed by it */
    if (!contains(buf, len, scan->keyid)) {
        return PB_OK;
    }
    json_t *record = NULL;
    int rc = pb_json_parse_stored(buf, len, &record, err);
    if (rc == PB_OK && review_record(scan->revoked, index, record, 1, scan->found) != PB_OK) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(record);
    return rc;
}

int
pb_review_keep_revoked(const pb_state *state, uint64_t before, const char *keyid,
                       const json_t *bound, pb_error *err)
{
    PB_ASSERT(state != NULL && keyid != NULL && json_is_object(bound));
    struct key_scan scan = {keyid, json_pack("{s:O}", keyid, bound), json_array()};
    int rc = scan.revoked != NULL && scan.found != NULL
                 ? pb_state_each_record(state, before, scan_for_key, &scan, err)
                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc == PB_OK) {
        char key[PB_KEYID_TEXT_MAX + 8];
        snprintf(key, sizeof(key), "review:%s", keyid);
        rc = pb_state_put(state, key, scan.found, err);
    }
    json_decref((json_t *)scan.revoked);
    json_decref(scan.found);
    return rc;
}

/* The reopen findings of pool_id from its period events: each reopen with
 * the latest close of the same period before it. *complete 0 when a reopen
 * has no close among the events (a close an older poolbook admitted, before
 * it kept them): the records are then read instead. */
static int
reopens_of(const pb_state *state, const char *pool_id, json_t *out, int *complete, pb_error *err)
{
    json_t *ps = NULL;
    int rc = pb_pool_state(state, pool_id, &ps, err);
    const json_t *events = json_object_get(ps, "periods");
    json_t *closes = json_object();
    if (rc == PB_OK && closes == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(events); i++) {
        const json_t *e = json_array_get(events, i);
        const char *action = json_string_value(json_object_get(e, "action"));
        const char *period = json_string_value(json_object_get(e, "period"));
        if (action == NULL || period == NULL) {
            continue;
        }
        json_t *f = NULL;
        if (strcmp(action, "close") == 0) {
            rc = json_object_set(closes, period, (json_t *)e) == 0 ? PB_OK : PB_ENOMEM;
        } else if (strcmp(action, "reopen") == 0) {
            const json_t *closed = json_object_get(closes, period);
            if (closed == NULL) {
                *complete = 0;
                break;
            }
            f = json_pack("{s:s,s:O,s:O,s:s,s:s,s:s,s:O,s:O,s:O}", "kind", "reopen", "index",
                          json_object_get(e, "index"), "id", json_object_get(e, "id"), "type",
                          "period.reopen", "pool", pool_id, "period", period, "reason",
                          json_object_get(e, "reason"), "closed_by",
                          json_object_get(closed, "index"), "close_id",
                          json_object_get(closed, "id"));
            rc = f != NULL && json_array_append_new(out, f) == 0 ? PB_OK : PB_ENOMEM;
        }
        if (rc == PB_ENOMEM) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    json_decref(closes);
    json_decref(ps);
    return rc;
}

/* Findings in the order a scan of the records gives them: by index, a
 * record's revoked-key findings in signature order before its reopen. */
static json_int_t
finding_at(const json_t *f)
{
    const json_t *at = json_object_get(f, "at");
    return at != NULL ? json_integer_value(at) : (json_int_t)1 << 40;
}

static int
finding_cmp(const void *x, const void *y)
{
    const json_t *a = *(const json_t *const *)x, *b = *(const json_t *const *)y;
    json_int_t ia = json_integer_value(json_object_get(a, "index"));
    json_int_t ib = json_integer_value(json_object_get(b, "index"));
    if (ia != ib) {
        return ia < ib ? -1 : 1;
    }
    json_int_t pa = finding_at(a), pb = finding_at(b);
    return pa < pb ? -1 : pa > pb;
}

/* The kept findings of state, or *complete 0 when a revoked key has none
 * kept (a revocation admitted before findings were kept) or a reopen's close
 * has no period event. */
static int
kept_findings(const pb_state *state, const json_t *revoked, json_t *out, int *complete,
              pb_error *err)
{
    *complete = 1;
    int rc = PB_OK;
    const char *keyid;
    json_t *bound;
    json_object_foreach((json_t *)revoked, keyid, bound)
    {
        char key[PB_KEYID_TEXT_MAX + 8];
        json_t *kept = NULL;
        snprintf(key, sizeof(key), "review:%s", keyid);
        rc = pb_state_get(state, key, &kept, err);
        if (rc == PB_ENOTFOUND) {
            *complete = 0;
            return PB_OK;
        }
        if (rc == PB_OK && json_array_extend(out, kept) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
        json_decref(kept);
        if (rc != PB_OK) {
            return rc;
        }
    }
    json_t *pools = NULL;
    rc = pb_state_get(state, "pools", &pools, err);
    if (rc == PB_ENOTFOUND) {
        rc = PB_OK;
    }
    for (size_t i = 0; rc == PB_OK && *complete && i < json_array_size(pools); i++) {
        rc = reopens_of(state, json_string_value(json_array_get(pools, i)), out, complete, err);
    }
    json_decref(pools);
    return rc;
}

/* out, sorted, each finding a copy without "at". */
static int
ordered(json_t *found, json_t **out, pb_error *err)
{
    size_t n = json_array_size(found);
    json_t **v = n > 0 ? malloc(n * sizeof(*v)) : NULL;
    *out = json_array();
    if ((n > 0 && v == NULL) || *out == NULL) {
        free(v);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = json_array_get(found, i);
    }
    if (n > 1) { /* qsort's array may not be NULL, even for no element (UBSan) */
        qsort(v, n, sizeof(*v), finding_cmp);
    }
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < n; i++) {
        json_t *f = json_copy(v[i]);
        if (f != NULL) {
            json_object_del(f, "at"); /* absent from a reopen */
        }
        if (f == NULL || json_array_append_new(*out, f) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    free(v);
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
    json_t *revoked = NULL, *found = json_array();
    int complete = 0;
    rc = found != NULL ? pb_review_revoked_keys(&state, &revoked, err)
                       : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc == PB_OK) {
        rc = kept_findings(&state, revoked, found, &complete, err);
    }
    if (rc == PB_OK && complete) {
        rc = ordered(found, findings_out, err);
    } else if (rc == PB_OK) {
        rc = pb_review_scan(&snap, revoked, findings_out, err);
    }
    if (rc != PB_OK) {
        json_decref(*findings_out);
        *findings_out = NULL;
    }
    json_decref(found);
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
