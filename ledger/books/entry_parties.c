/*
 * entry_parties.c — the entries about who is in the ledger: genesis (the
 * founding partners, their keys and roles, the operator key), document (the
 * hash of an outside file, such as the signed section 75 agreement),
 * partner.admit (a new partner and its keys), key.add and key.revoke.
 * docs/entries.md is the contract for their fields and signing rules.
 */
#include "books/books.h"

#include <string.h>

/* ---- genesis ------------------------------------------------------------ */

static const char *const partner_kinds[] = {"council", "icb", "trust", "other", NULL};

int
pb_entry_check_partner(const json_t *p, const char *path, pb_error *err)
{
    static const char *const allowed[] = {"id", "name", "kind", NULL};
    const char *id;
    const char *name;
    const char *kind;
    if (!json_is_object(p)) {
        return pb_error_set(err, PB_EFIELD, path, "a partner must be an object");
    }
    int rc = pb_field_allowed(p, allowed, path, err);
    if (rc == PB_OK) {
        rc = pb_field_string(p, "id", path, PB_ID_BYTES_MAX, &id, err);
    }
    if (rc == PB_OK) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s.id", path);
        rc = pb_field_check_id(id, where, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(p, "name", path, PB_TEXT_BYTES_MAX, &name, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(p, "kind", path, 16, &kind, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    for (size_t i = 0; partner_kinds[i] != NULL; i++) {
        if (strcmp(partner_kinds[i], kind) == 0) {
            return PB_OK;
        }
    }
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.kind", path);
    return pb_error_set(err, PB_EFIELD, where,
                        "partner kind \"%s\" is not one of council, icb, trust, other", kind);
}

int
pb_json_array_has(const json_t *arr, size_t before, const char *field, const char *value)
{
    for (size_t j = 0; j < before; j++) {
        const char *v = json_string_value(json_object_get(json_array_get(arr, j), field));
        if (v != NULL && strcmp(v, value) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
check_genesis_key(const json_t *k, const json_t *partners, const char *path, pb_error *err)
{
    static const char *const allowed[] = {"key", "pubkey", "partner", "role", NULL};
    const char *partner;
    const char *role;
    pb_pubkey pub;
    if (!json_is_object(k)) {
        return pb_error_set(err, PB_EFIELD, path, "a key must be an object");
    }
    int rc = pb_field_allowed(k, allowed, path, err);
    if (rc == PB_OK) {
        rc = pb_entry_check_pubkey(k, path, &pub, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(k, "partner", path, PB_ID_BYTES_MAX, &partner, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(k, "role", path, 16, &role, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    char where[PB_ERROR_WHERE_MAX];
    if (!pb_json_array_has(partners, json_array_size(partners), "id", partner)) {
        snprintf(where, sizeof(where), "%s.partner", path);
        return pb_error_set(err, PB_EPARTNER, where, "partner \"%s\" is not a founding partner",
                            partner);
    }
    if (pb_role_bit(role) == 0) {
        snprintf(where, sizeof(where), "%s.role", path);
        return pb_error_set(err, PB_EFIELD, where,
                            "role \"%s\" is not signatory, finance, auditor or operator", role);
    }
    return PB_OK;
}

int
pb_entry_check_array(const json_t *entry, const char *name, size_t max, const json_t **out,
                     pb_error *err)
{
    char where[64];
    snprintf(where, sizeof(where), "$.entry.%s", name);
    const json_t *arr = json_object_get(entry, name);
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return pb_error_set(err, PB_EFIELD, where, "%s must be a non-empty array", name);
    }
    if (json_array_size(arr) > max) {
        return pb_error_set(err, PB_ETOOBIG, where, "%s has %zu items, over the limit of %zu", name,
                            json_array_size(arr), max);
    }
    *out = arr;
    return PB_OK;
}

static int
check_genesis(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",       "type",     "id",   "ledger",
                                          "created", "partners", "keys", NULL};
    const json_t *partners;
    const json_t *keys;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = pb_entry_check_array(entry, "partners", PB_PARTNERS_MAX, &partners, err);
    }
    if (rc == PB_OK) {
        rc = pb_entry_check_array(entry, "keys", PB_KEYS_MAX, &keys, err);
    }
    char where[64];
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        snprintf(where, sizeof(where), "$.entry.partners[%zu]", i);
        const json_t *p = json_array_get(partners, i);
        rc = pb_entry_check_partner(p, where, err);
        if (rc == PB_OK &&
            pb_json_array_has(partners, i, "id", json_string_value(json_object_get(p, "id")))) {
            rc = pb_error_set(err, PB_EPARTNER, where, "partner %s is listed twice",
                              json_string_value(json_object_get(p, "id")));
        }
    }
    int operators = 0;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(keys); i++) {
        snprintf(where, sizeof(where), "$.entry.keys[%zu]", i);
        const json_t *k = json_array_get(keys, i);
        rc = check_genesis_key(k, partners, where, err);
        if (rc == PB_OK &&
            pb_json_array_has(keys, i, "key", json_string_value(json_object_get(k, "key")))) {
            rc = pb_error_set(err, PB_EKEY_EXISTS, where, "key %s is listed twice",
                              json_string_value(json_object_get(k, "key")));
        }
        operators += rc == PB_OK &&
                     pb_role_bit(json_string_value(json_object_get(k, "role"))) == PB_ROLE_OPERATOR;
    }
    if (rc == PB_OK && operators == 0) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.keys", "genesis must bind an operator key");
    }
    return rc;
}

/* The key object of keys with this key id, or NULL. */
static const json_t *
find_key(const json_t *keys, const char *keyid)
{
    for (size_t j = 0; j < json_array_size(keys); j++) {
        const json_t *c = json_array_get(keys, j);
        if (strcmp(json_string_value(json_object_get(c, "key")), keyid) == 0) {
            return c;
        }
    }
    return NULL;
}

/* Genesis binds its own keys, so its signers resolve from the entry. */
static int
validate_genesis(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    if (a->index != 0) {
        return pb_error_set(err, PB_EGENESIS, "$.entry.type",
                            "this ledger already has its genesis entry at index 0");
    }
    const json_t *keys = json_object_get(a->entry, "keys");
    const json_t *sigs = json_object_get(a->record, "sigs");
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const char *keyid = json_string_value(json_object_get(json_array_get(sigs, i), "key"));
        const json_t *k = find_key(keys, keyid);
        if (k == NULL) {
            char where[64];
            snprintf(where, sizeof(where), "$.sigs[%zu].key", i);
            return pb_error_set(err, PB_EKEY_UNKNOWN, where,
                                "key %s is not one of the keys this genesis binds", keyid);
        }
        int rc = pb_admit_signer_from_key(a, i, k, NULL, err);
        if (rc != PB_OK) {
            return rc;
        }
    }
    /* DESIGN 5: a signatory key of every founding partner. */
    const json_t *partners = json_object_get(a->entry, "partners");
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
    for (size_t i = 0; i < json_array_size(partners); i++) {
        pb_sign_req_partner(req,
                            json_string_value(json_object_get(json_array_get(partners, i), "id")));
    }
    req->min_partners = req->partner_count;
    return PB_OK;
}

static int
apply_genesis(const struct pb_admit *a, pb_error *err)
{
    int rc = pb_state_put(a->state, "origin", json_object_get(a->entry, "ledger"), err);
    if (rc == PB_OK) {
        rc = pb_state_put(a->state, "genesis_created", json_object_get(a->entry, "created"), err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_put_partners(a, json_object_get(a->entry, "partners"), err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_put_keys(a, json_object_get(a->entry, "keys"), err);
    }
    json_t *ids = rc == PB_OK ? json_array() : NULL;
    if (rc == PB_OK && ids == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    const json_t *partners = json_object_get(a->entry, "partners");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        if (json_array_append(ids, json_object_get(json_array_get(partners, i), "id")) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    if (rc == PB_OK) {
        /* "partners": every partner's id in admission order, for the rules
         * that need every current partner (partner.admit, key.revoke). */
        rc = pb_state_put(a->state, "partners", ids, err);
    }
    json_decref(ids);
    return rc;
}

/* ---- document ----------------------------------------------------------- */

static int
check_document(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",      "type", "id",    "ledger", "created",
                                          "sha256", "size", "title", "memo",   NULL};
    const char *sha;
    const char *title;
    const char *memo;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "sha256", "$.entry", 64, &sha, err);
    }
    if (rc == PB_OK) {
        size_t n = strspn(sha, "0123456789abcdef");
        if (strlen(sha) != 64 || n != 64) {
            rc = pb_error_set(err, PB_EFIELD, "$.entry.sha256",
                              "sha256 must be 64 lowercase hex digits");
        }
    }
    const json_t *size = json_object_get(entry, "size");
    if (rc == PB_OK && (!json_is_integer(size) || json_integer_value(size) < 0)) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.size", "size must be a whole number of bytes");
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "title", "$.entry", PB_TEXT_BYTES_MAX, &title, err);
    }
    if (rc == PB_OK && json_object_get(entry, "memo") != NULL) {
        rc = pb_field_string(entry, "memo", "$.entry", PB_TEXT_BYTES_MAX, &memo, err);
    }
    return rc;
}

/* DESIGN 5: any key of a partner. */
static int
validate_document(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    pb_sign_rule_add(rule, PB_ROLE_ANY); /* any partner, any role */
    return pb_admit_signers_from_state(a, err);
}

static int
apply_nothing(const struct pb_admit *a, pb_error *err)
{
    (void)a;
    (void)err;
    return PB_OK;
}

/* ---- shared by partner.admit, key.add and key.revoke -------------------- */

/* A "role" field of obj naming one of the four roles. */
static int
check_role(const json_t *obj, const char *path, pb_error *err)
{
    const char *role;
    int rc = pb_field_string(obj, "role", path, 16, &role, err);
    if (rc == PB_OK && pb_role_bit(role) == 0) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s.role", path);
        rc = pb_error_set(err, PB_EFIELD, where,
                          "role \"%s\" is not signatory, finance, auditor or operator", role);
    }
    return rc;
}

/* The entry's "partner" field: a partner id. */
static int
check_partner_field(const json_t *entry, pb_error *err)
{
    const char *partner;
    int rc = pb_field_string(entry, "partner", "$.entry", PB_ID_BYTES_MAX, &partner, err);
    if (rc == PB_OK) {
        rc = pb_field_check_id(partner, "$.entry.partner", err);
    }
    return rc;
}

/* The ids of every current partner in admission order (state "partners"),
 * borrowed until the admission ends. */
static int
current_partners(struct pb_admit *a, const json_t **out, pb_error *err)
{
    int rc = pb_admit_state_get(a, "partners", out, err);
    if (rc == PB_ENOTFOUND || (rc == PB_OK && !json_is_array(*out))) {
        rc = pb_error_set(err, PB_ESTORE, "partners",
                          "the derived state has no list of partners (a ledger written by an "
                          "older poolbook)");
    }
    return rc;
}

/* *known_out: whether partner:<id> is in the state. */
static int
partner_known(struct pb_admit *a, const char *id, int *known_out, pb_error *err)
{
    char skey[PB_ID_BYTES_MAX + 16];
    snprintf(skey, sizeof(skey), "partner:%s", id);
    const json_t *p = NULL;
    int rc = pb_admit_state_get(a, skey, &p, err);
    *known_out = rc == PB_OK;
    return rc == PB_ENOTFOUND ? PB_OK : rc;
}

/* Refuse a key id that is bound already (to anyone, revoked or not). */
static int
check_key_unbound(struct pb_admit *a, const char *keyid, const char *where, pb_error *err)
{
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", keyid);
    const json_t *bound = NULL;
    int rc = pb_admit_state_get(a, skey, &bound, err);
    if (rc == PB_ENOTFOUND) {
        return PB_OK;
    }
    if (rc == PB_OK) {
        rc = pb_error_set(err, PB_EKEY_EXISTS, where, "key %s is already bound, as %s's %s key",
                          keyid, json_string_value(json_object_get(bound, "partner")),
                          json_string_value(json_object_get(bound, "role")));
    }
    return rc;
}

/* ---- partner.admit ------------------------------------------------------- */

static int
check_admit_key(const json_t *k, const char *path, pb_error *err)
{
    static const char *const allowed[] = {"key", "pubkey", "role", NULL};
    pb_pubkey pub;
    if (!json_is_object(k)) {
        return pb_error_set(err, PB_EFIELD, path, "a key must be an object");
    }
    int rc = pb_field_allowed(k, allowed, path, err);
    if (rc == PB_OK) {
        rc = pb_entry_check_pubkey(k, path, &pub, err);
    }
    if (rc == PB_OK) {
        rc = check_role(k, path, err);
    }
    return rc;
}

static int
check_admit(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",       "type",    "id",   "ledger",
                                          "created", "partner", "keys", NULL};
    const json_t *keys = NULL;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK && json_object_get(entry, "partner") == NULL) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.partner", "field partner is missing");
    }
    if (rc == PB_OK) {
        rc = pb_entry_check_partner(json_object_get(entry, "partner"), "$.entry.partner", err);
    }
    if (rc == PB_OK) {
        rc = pb_entry_check_array(entry, "keys", PB_KEYS_MAX, &keys, err);
    }
    size_t signatories = 0;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(keys); i++) {
        char where[64];
        snprintf(where, sizeof(where), "$.entry.keys[%zu]", i);
        const json_t *k = json_array_get(keys, i);
        rc = check_admit_key(k, where, err);
        const char *keyid = json_string_value(json_object_get(k, "key"));
        if (rc == PB_OK && pb_json_array_has(keys, i, "key", keyid)) {
            rc = pb_error_set(err, PB_EKEY_EXISTS, where, "key %s is listed twice", keyid);
        }
        signatories += rc == PB_OK && pb_role_bit(json_string_value(json_object_get(k, "role"))) ==
                                          PB_ROLE_SIGNATORY;
    }
    if (rc == PB_OK && signatories == 0) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.keys",
                          "partner.admit must bind a signatory key of the new partner, which "
                          "signs its own admission");
    }
    return rc;
}

/* Each signature's key: one this entry binds (the new partner's), else one
 * bound in the state. */
static int
admit_signers(struct pb_admit *a, const json_t *keys, const char *id, pb_error *err)
{
    const json_t *sigs = json_object_get(a->record, "sigs");
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(sigs); i++) {
        const char *keyid = json_string_value(json_object_get(json_array_get(sigs, i), "key"));
        const json_t *k = find_key(keys, keyid);
        rc = k != NULL ? pb_admit_signer_from_key(a, i, k, id, err)
                       : pb_admit_signer_from_state(a, i, err);
    }
    return rc;
}

static int
validate_admit(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *id = json_string_value(json_object_get(json_object_get(a->entry, "partner"), "id"));
    const json_t *keys = json_object_get(a->entry, "keys");
    const json_t *current = NULL;
    int known = 0;
    int rc = current_partners(a, &current, err);
    if (rc == PB_OK) {
        rc = partner_known(a, id, &known, err);
    }
    if (rc == PB_OK && known) {
        rc = pb_error_set(err, PB_EPARTNER, "$.entry.partner.id",
                          "partner %s is already in this ledger", id);
    }
    if (rc == PB_OK && json_array_size(current) >= PB_PARTNERS_MAX) {
        rc = pb_error_set(err, PB_ETOOBIG, "$.entry.partner",
                          "the ledger has %zu partners already, the limit",
                          json_array_size(current));
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(keys); i++) {
        char where[64];
        snprintf(where, sizeof(where), "$.entry.keys[%zu].key", i);
        rc = check_key_unbound(
            a, json_string_value(json_object_get(json_array_get(keys, i), "key")), where, err);
    }
    if (rc == PB_OK) {
        rc = admit_signers(a, keys, id, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    /* DESIGN 5: signatories of every current partner and of the new one. */
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
    for (size_t i = 0; i < json_array_size(current); i++) {
        pb_sign_req_partner(req, json_string_value(json_array_get(current, i)));
    }
    pb_sign_req_partner(req, id);
    req->min_partners = req->partner_count;
    return PB_OK;
}

/* The admitted keys as stored: each gains its "partner". NULL: out of memory. */
static json_t *
admitted_keys(const json_t *keys, const char *partner)
{
    json_t *out = json_array();
    for (size_t i = 0; out != NULL && i < json_array_size(keys); i++) {
        json_t *k = json_copy(json_array_get(keys, i));
        if (k == NULL || json_object_set_new(k, "partner", json_string(partner)) != 0 ||
            json_array_append_new(out, k) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

static int
apply_admit(const struct pb_admit *a, pb_error *err)
{
    json_t *partner = json_object_get(a->entry, "partner");
    const char *id = json_string_value(json_object_get(partner, "id"));
    json_t *partners = json_pack("[O]", partner);
    json_t *keys = admitted_keys(json_object_get(a->entry, "keys"), id);
    json_t *ids = NULL;
    int rc = pb_state_get(a->state, "partners", &ids, err);
    PB_ASSERT(rc != PB_ENOTFOUND); /* validate_admit read it */
    if (rc == PB_OK && (partners == NULL || keys == NULL || !json_is_array(ids) ||
                        json_array_append_new(ids, json_string(id)) != 0)) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_admit_put_partners(a, partners, err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_put_keys(a, keys, err);
    }
    if (rc == PB_OK) {
        rc = pb_state_put(a->state, "partners", ids, err);
    }
    json_decref(partners);
    json_decref(keys);
    json_decref(ids);
    return rc;
}

/* ---- key.add ------------------------------------------------------------- */

static int
check_key_add(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",       "type", "id",     "ledger", "created",
                                          "partner", "key",  "pubkey", "role",   NULL};
    pb_pubkey pub;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = check_partner_field(entry, err);
    }
    if (rc == PB_OK) {
        rc = pb_entry_check_pubkey(entry, "$.entry", &pub, err);
    }
    if (rc == PB_OK) {
        rc = check_role(entry, "$.entry", err);
    }
    return rc;
}

static int
validate_key_add(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *partner = json_string_value(json_object_get(a->entry, "partner"));
    const char *keyid = json_string_value(json_object_get(a->entry, "key"));
    int known = 0;
    int rc = partner_known(a, partner, &known, err);
    if (rc == PB_OK && !known) {
        rc = pb_error_set(err, PB_EPARTNER, "$.entry.partner", "partner %s is not in this ledger",
                          partner);
    }
    if (rc == PB_OK) {
        rc = check_key_unbound(a, keyid, "$.entry.key", err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc == PB_OK) {
        /* DESIGN 5: a signatory of that partner. */
        struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
        pb_sign_req_partner(req, partner);
        req->min_partners = 1;
    }
    return rc;
}

static int
apply_key_add(const struct pb_admit *a, pb_error *err)
{
    /* The entry has the fields a bound key keeps: key, pubkey, partner, role. */
    json_t *keys = json_pack("[O]", json_object_get(a->record, "entry"));
    if (keys == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int rc = pb_admit_put_keys(a, keys, err);
    json_decref(keys);
    return rc;
}

/* ---- key.revoke ---------------------------------------------------------- */

static int
check_key_revoke(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",       "type", "id",   "ledger", "created",
                                          "partner", "key",  "date", "reason", NULL};
    const char *key;
    const char *date;
    const char *reason;
    uint8_t key_id[8];
    int32_t day = 0;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = check_partner_field(entry, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "key", "$.entry", 16, &key, err);
    }
    if (rc == PB_OK && pb_keyid_parse(key, key_id, NULL) != PB_OK) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.key",
                          "key \"%s\" is not a key id of 16 uppercase hex digits", key);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "date", "$.entry", 32, &date, err);
    }
    if (rc == PB_OK) {
        rc = pb_date_parse(date, &day, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "$.entry.date");
        }
    }
    if (rc == PB_OK) {
        rc = pb_field_string(entry, "reason", "$.entry", PB_TEXT_BYTES_MAX, &reason, err);
    }
    return rc;
}

/* DESIGN 5: a signatory of that partner, or (its keys lost or its signatory
 * gone) signatories of every other current partner. A signature by any key of
 * the partner means the first, so its finance key is refused PB_EKEY_WRONG_ROLE. */
static int
revoke_rule(struct pb_admit *a, const char *partner, struct pb_sign_rule *rule, pb_error *err)
{
    const json_t *current = NULL;
    int rc = current_partners(a, &current, err);
    if (rc != PB_OK) {
        return rc;
    }
    int own = 0;
    for (size_t i = 0; i < a->signer_count; i++) {
        own |= strcmp(a->signers[i].partner, partner) == 0;
    }
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
    for (size_t i = 0; !own && i < json_array_size(current); i++) {
        const char *p = json_string_value(json_array_get(current, i));
        if (strcmp(p, partner) != 0) {
            pb_sign_req_partner(req, p);
        }
    }
    if (req->partner_count == 0) {
        pb_sign_req_partner(req, partner); /* its own signatory, or no other partner */
    }
    req->min_partners = req->partner_count;
    return PB_OK;
}

static int
validate_key_revoke(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *partner = json_string_value(json_object_get(a->entry, "partner"));
    const char *keyid = json_string_value(json_object_get(a->entry, "key"));
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", keyid);
    const json_t *bound = NULL;
    int rc = pb_admit_state_get(a, skey, &bound, err);
    if (rc == PB_ENOTFOUND) {
        return pb_error_set(err, PB_EKEY_UNKNOWN, "$.entry.key",
                            "key %s is not bound in this ledger", keyid);
    }
    if (rc != PB_OK) {
        return rc;
    }
    const char *owner = json_string_value(json_object_get(bound, "partner"));
    const char *from = json_string_value(json_object_get(bound, "revoked_from"));
    if (strcmp(owner, partner) != 0) {
        return pb_error_set(err, PB_EKEY_WRONG_PARTNER, "$.entry.key",
                            "key %s belongs to %s, not %s", keyid, owner, partner);
    }
    if (from != NULL) {
        return pb_error_set(err, PB_EKEY_REVOKED, "$.entry.key",
                            "key %s is already revoked from %s", keyid, from);
    }
    rc = pb_admit_signers_from_state(a, err);
    if (rc == PB_OK) {
        rc = revoke_rule(a, partner, rule, err);
    }
    return rc;
}

/* The key's binding gains "revoked_from" (and the revoking record's index):
 * pb_admit_signer_from_state refuses it on entries dated from that day. */
static int
apply_key_revoke(const struct pb_admit *a, pb_error *err)
{
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", json_string_value(json_object_get(a->entry, "key")));
    json_t *bound = NULL;
    int rc = pb_state_get(a->state, skey, &bound, err);
    PB_ASSERT(rc != PB_ENOTFOUND); /* validate_key_revoke read it */
    if (rc == PB_OK &&
        (json_object_set(bound, "revoked_from", json_object_get(a->entry, "date")) != 0 ||
         json_object_set_new(bound, "revoked", json_integer((json_int_t)a->index)) != 0)) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_state_put(a->state, skey, bound, err);
    }
    if (rc == PB_OK) {
        rc = pb_review_keep_revoked(
            a->state, a->earlier, json_string_value(json_object_get(a->entry, "key")), bound, err);
    }
    json_decref(bound);
    return rc;
}

const struct pb_entry_type pb_entry_types_parties[] = {
    {"document", check_document, validate_document, apply_nothing},
    {"genesis", check_genesis, validate_genesis, apply_genesis},
    {"key.add", check_key_add, validate_key_add, apply_key_add},
    {"key.revoke", check_key_revoke, validate_key_revoke, apply_key_revoke},
    {"partner.admit", check_admit, validate_admit, apply_admit},
    {NULL, NULL, NULL, NULL},
};
