/*
 * record.c — records ({"entry":..., "sigs":[...]}) and their form: the common
 * entry fields of DESIGN 3, signature objects, the signed message
 * "poolbook-entry-v1\n" || canonical entry, adding a signature to a draft.
 * What an entry of each type may say is not known here: the rules the log was
 * opened with check it (pb_log_rules in log.h).
 */
#include "log/log.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

static const char entry_domain[] = "poolbook-entry-v1\n";

#define SIG_B64_LEN 88 /* base64 of 64 bytes, padded */
#define ORIGIN_BYTES_MAX 128

/* An origin is a C2SP checkpoint origin line and a note key name: printable
 * ASCII without spaces or '+', e.g. "derbyshire.example/bcf-2024". */
static int
check_origin_text(const char *origin, pb_error *err)
{
    for (const char *p = origin; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '+') {
            return pb_error_set(err, PB_EFIELD, "$.entry.ledger",
                                "ledger origin \"%s\" may hold only printable ASCII without "
                                "spaces or '+'",
                                origin);
        }
    }
    return PB_OK;
}

static int
check_common(const json_t *entry, const pb_log_rules *rules, pb_error *err)
{
    if (!json_is_object(entry)) {
        return pb_error_set(err, PB_EFIELD, "$.entry", "entry must be an object");
    }
    const json_t *v = json_object_get(entry, "v");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        return pb_error_set(err, PB_EFIELD, "$.entry.v", "v must be 1");
    }
    const char *type;
    const char *id;
    const char *origin;
    const char *created;
    int64_t seconds;
    int rc = pb_field_string(entry, "type", "$.entry", 32, &type, err);
    if (rc == PB_OK && rules != NULL && !rules->type_known(type)) {
        rc = pb_error_set(err, PB_ETYPE, "$.entry.type", "unknown entry type \"%s\"", type);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "id", "$.entry", PB_ID_BYTES_MAX + 1, &id, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_check_id(id, "$.entry.id", err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "ledger", "$.entry", ORIGIN_BYTES_MAX, &origin, err);
    }
    if (rc == PB_OK) {
        rc = check_origin_text(origin, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "created", "$.entry", 32, &created, err);
    }
    if (rc == PB_OK) {
        rc = pb_timestamp_parse(created, &seconds, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "$.entry.created");
        }
    }
    return rc;
}

static int
check_sig_object(const json_t *s, size_t i, pb_error *err)
{
    static const char *const allowed[] = {"key", "sig", NULL};
    char path[32];
    snprintf(path, sizeof(path), "$.sigs[%zu]", i);
    if (!json_is_object(s)) {
        return pb_error_set(err, PB_ESIG_FORMAT, path, "a signature must be an object");
    }
    const char *key;
    const char *sig;
    int rc = pb_field_allowed(s, allowed, path, err);
    if (rc == PB_OK) {
        rc = pb_field_string(s, "key", path, 16, &key, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(s, "sig", path, SIG_B64_LEN, &sig, err);
    }
    if (rc != PB_OK) {
        if (err != NULL) {
            err->code = PB_ESIG_FORMAT;
        }
        return PB_ESIG_FORMAT;
    }
    uint8_t id[8];
    uint8_t bin[64];
    char canon[PB_KEYID_TEXT_MAX];
    char where[48];
    snprintf(where, sizeof(where), "%s.key", path);
    if (pb_keyid_parse(key, id, NULL) != PB_OK ||
        (pb_keyid_format(id, canon, sizeof(canon)), strcmp(canon, key) != 0)) {
        return pb_error_set(err, PB_ESIG_FORMAT, where,
                            "key \"%s\" is not a key id of 16 uppercase hex digits", key);
    }
    snprintf(where, sizeof(where), "%s.sig", path);
    if (strlen(sig) != SIG_B64_LEN || pb_base64_decode_strict(sig, strlen(sig), bin, 64) != 0) {
        return pb_error_set(err, PB_ESIG_FORMAT, where, "sig is not base64 of 64 bytes");
    }
    return PB_OK;
}

static int
compare_sig_keys(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a;
    const json_t *y = *(const json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "key")),
                  json_string_value(json_object_get(y, "key")));
}

/* DESIGN 3: sigs sorted by key, at most one per key. */
static int
sort_sigs(json_t *record, pb_error *err)
{
    json_t *sigs = json_object_get(record, "sigs");
    size_t n = json_array_size(sigs);
    json_t *items[PB_SIGS_MAX];
    PB_ASSERT(n <= PB_SIGS_MAX);
    for (size_t i = 0; i < n; i++) {
        items[i] = json_array_get(sigs, i);
    }
    qsort(items, n, sizeof(items[0]), compare_sig_keys);
    json_t *sorted = json_array();
    if (sorted == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && compare_sig_keys(&items[i - 1], &items[i]) == 0) {
            json_decref(sorted);
            return pb_error_set(err, PB_ESIG_FORMAT, "$.sigs",
                                "key %s signed twice: at most one signature per key",
                                json_string_value(json_object_get(items[i], "key")));
        }
        json_array_append(sorted, items[i]);
    }
    json_object_set_new(record, "sigs", sorted);
    return PB_OK;
}

static int
check_sizes(const json_t *record, pb_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(json_object_get(record, "entry"), &buf, &len, err);
    free(buf);
    if (rc == PB_OK && len > PB_ENTRY_BYTES_MAX) {
        rc = pb_error_set(err, PB_ETOOBIG, "$.entry",
                          "entry is %zu bytes in canonical form, over the limit of %d that "
                          "keeps a signed record within %d bytes",
                          len, PB_ENTRY_BYTES_MAX, PB_RECORD_BYTES_MAX);
    }
    return rc;
}

int
pb_log_check_form(json_t *record, const pb_log_rules *rules, pb_error *err)
{
    static const char *const allowed[] = {"entry", "sigs", NULL};
    if (!json_is_object(record)) {
        return pb_error_set(err, PB_EFIELD, "$", "a record must be an object with entry and sigs");
    }
    int rc = pb_json_check(record, err);
    if (rc == PB_OK) {
        rc = pb_field_allowed(record, allowed, "$", err);
    }
    if (rc == PB_OK) {
        rc = check_common(json_object_get(record, "entry"), rules, err);
    }
    if (rc == PB_OK && rules != NULL) {
        rc = rules->check_fields(json_object_get(record, "entry"), err);
    }
    const json_t *sigs = json_object_get(record, "sigs");
    if (rc == PB_OK && !json_is_array(sigs)) {
        rc = pb_error_set(err, PB_ESIG_FORMAT, "$.sigs", "sigs must be an array");
    }
    if (rc == PB_OK && json_array_size(sigs) > PB_SIGS_MAX) {
        rc = pb_error_set(err, PB_ETOOBIG, "$.sigs", "%zu signatures, over the limit of %d",
                          json_array_size(sigs), PB_SIGS_MAX);
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(sigs); i++) {
        rc = check_sig_object(json_array_get(sigs, i), i, err);
    }
    if (rc == PB_OK) {
        rc = sort_sigs(record, err);
    }
    if (rc == PB_OK) {
        rc = check_sizes(record, err);
    }
    return rc;
}

int
pb_entry_message(const json_t *entry, uint8_t **msg_out, size_t *len_out, pb_error *err)
{
    char *canon = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(entry, &canon, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    size_t prefix = sizeof(entry_domain) - 1;
    uint8_t *msg = malloc(prefix + len);
    if (msg == NULL) {
        free(canon);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    memcpy(msg, entry_domain, prefix);
    memcpy(msg + prefix, canon, len);
    free(canon);
    *msg_out = msg;
    *len_out = prefix + len;
    return PB_OK;
}

int
pb_log_sign(json_t *record, const pb_log_rules *rules, const pb_seckey *key, pb_error *err)
{
    int rc = pb_log_check_form(record, rules, err);
    if (rc != PB_OK) {
        return rc;
    }
    uint8_t *msg = NULL;
    size_t len = 0;
    rc = pb_entry_message(json_object_get(record, "entry"), &msg, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    uint8_t sig[64];
    rc = pb_seckey_sign(key, msg, len, sig, err);
    free(msg);
    if (rc != PB_OK) {
        return rc;
    }
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), sig, 64, sodium_base64_VARIANT_ORIGINAL);
    json_t *sigs = json_object_get(record, "sigs");
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const char *k = json_string_value(json_object_get(json_array_get(sigs, i), "key"));
        if (strcmp(k, keyid) == 0) {
            json_array_remove(sigs, i);
            break;
        }
    }
    if (json_array_size(sigs) >= PB_SIGS_MAX) {
        return pb_error_set(err, PB_ETOOBIG, "$.sigs", "already %d signatures", PB_SIGS_MAX);
    }
    json_array_append_new(sigs, json_pack("{s:s,s:s}", "key", keyid, "sig", b64));
    return sort_sigs(record, err);
}

void
pb_now(char *buf, size_t size)
{
    const char *fixed = getenv("POOLBOOK_NOW");
    int64_t seconds = 0;
    if (fixed != NULL && pb_timestamp_parse(fixed, &seconds, NULL) == PB_OK) {
        snprintf(buf, size, "%s", fixed);
        return;
    }
    pb_timestamp_format((int64_t)time(NULL), buf, size);
}
