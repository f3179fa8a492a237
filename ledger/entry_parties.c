/*
 * entry_parties.c — the entries about who is in the ledger: genesis (the
 * founding partners, their keys and roles, the operator key) and document
 * (the hash of an outside file, such as the signed section 75 agreement).
 */
#include "entry.h"

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
        const json_t *k = NULL;
        for (size_t j = 0; j < json_array_size(keys) && k == NULL; j++) {
            const json_t *c = json_array_get(keys, j);
            if (strcmp(json_string_value(json_object_get(c, "key")), keyid) == 0) {
                k = c;
            }
        }
        if (k == NULL) {
            char where[64];
            snprintf(where, sizeof(where), "$.sigs[%zu].key", i);
            return pb_error_set(err, PB_EKEY_UNKNOWN, where,
                                "key %s is not one of the keys this genesis binds", keyid);
        }
        struct pb_signer *sg = &a->signers[a->signer_count++];
        snprintf(sg->keyid, sizeof(sg->keyid), "%s", keyid);
        snprintf(sg->partner, sizeof(sg->partner), "%s",
                 json_string_value(json_object_get(k, "partner")));
        sg->role = pb_role_bit(json_string_value(json_object_get(k, "role")));
        int rc = pb_pubkey_parse(json_string_value(json_object_get(k, "pubkey")), &sg->key, err);
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
        rc = pb_admit_put_partners(a, json_object_get(a->entry, "partners"), err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_put_keys(a, json_object_get(a->entry, "keys"), err);
    }
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

const struct pb_entry_type pb_entry_types_parties[] = {
    {"document", check_document, validate_document, apply_nothing},
    {"genesis", check_genesis, validate_genesis, apply_genesis},
    {NULL, NULL, NULL, NULL},
};
