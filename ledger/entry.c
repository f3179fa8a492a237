/*
 * entry.c — the entry types of DESIGN 5 as a table: each type's stateless
 * field checks, its validation against derived state, who must sign it, and
 * the state change it makes. Admission checks, in this documented order:
 * origin and genesis order; the type's own state checks; each signature's
 * key (known, not revoked, partner and role allowed); that every required
 * signer signed; and last the signature bytes (at once, or queued so that a
 * batch or verify can spread Ed25519 over the cores).
 */
#include "internal.h"

#include <sodium.h>
#include <string.h>

enum {
    ROLE_SIGNATORY = 1 << 0,
    ROLE_FINANCE = 1 << 1,
    ROLE_AUDITOR = 1 << 2,
    ROLE_OPERATOR = 1 << 3,
    ROLE_ANY = 0xf,
};

static const char *const role_names[] = {"signatory", "finance", "auditor", "operator", NULL};

static unsigned
role_bit(const char *role)
{
    for (unsigned i = 0; role_names[i] != NULL; i++) {
        if (strcmp(role_names[i], role) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

/* Who must sign an entry (DESIGN 5). */
struct sign_rule {
    const char *partners[PB_PARTNERS_MAX]; /* who may sign; none listed: any partner */
    size_t partner_count;
    unsigned roles;   /* ROLE_ bits allowed */
    int each_partner; /* every listed partner must sign */
};

/* A signature resolved to its key's binding. */
struct signer {
    char keyid[PB_KEYID_TEXT_MAX];
    char partner[PB_ID_BYTES_MAX + 1];
    unsigned role;
    pb_pubkey key;
    uint8_t sig[64];
};

struct admit {
    const pb_state *state;
    const json_t *record;
    const json_t *entry;
    const char *type;
    uint64_t index;
    int32_t day; /* the entry's date, for revocation */
    pb_sigbatch *defer;
    struct signer signers[PB_SIGS_MAX];
    size_t signer_count;
};

struct entry_type {
    const char *name;
    int (*check)(const json_t *entry, pb_error *err);
    /* Resolve signers (genesis binds its own keys), check against state. */
    int (*validate)(struct admit *a, struct sign_rule *rule, pb_error *err);
    int (*apply)(const struct admit *a, pb_error *err);
};

/* ---- shared pieces ------------------------------------------------------ */

static int
check_pubkey_field(const json_t *obj, const char *path, pb_pubkey *out, pb_error *err)
{
    const char *key_text;
    const char *pub_text;
    int rc = pb_field_string(obj, "key", path, 16, &key_text, err);
    if (rc == PB_OK) {
        rc = pb_field_string(obj, "pubkey", path, 64, &pub_text, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.pubkey", path);
    pb_error kerr;
    pb_error_init(&kerr);
    if (pb_pubkey_parse(pub_text, out, &kerr) != PB_OK) {
        return pb_error_set(err, PB_EFIELD, where, "not a minisign public key: %s", kerr.text);
    }
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(out->key_id, keyid, sizeof(keyid));
    if (strcmp(keyid, key_text) != 0) {
        snprintf(where, sizeof(where), "%s.key", path);
        return pb_error_set(err, PB_EFIELD, where,
                            "key id %s does not match the public key's id %s", key_text, keyid);
    }
    return PB_OK;
}

/* Resolve each signature's key from the ledger state. */
static int
resolve_signers_from_state(struct admit *a, pb_error *err)
{
    const json_t *sigs = json_object_get(a->record, "sigs");
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        const json_t *s = json_array_get(sigs, i);
        struct signer *sg = &a->signers[a->signer_count];
        const char *keyid = json_string_value(json_object_get(s, "key"));
        char where[64];
        snprintf(where, sizeof(where), "$.sigs[%zu].key", i);
        char skey[PB_KEYID_TEXT_MAX + 8];
        snprintf(skey, sizeof(skey), "key:%s", keyid);
        json_t *bound = NULL;
        int rc = pb_state_get(a->state, skey, &bound, err);
        if (rc == PB_ENOTFOUND) {
            return pb_error_set(err, PB_EKEY_UNKNOWN, where, "key %s is not bound in this ledger",
                                keyid);
        }
        if (rc != PB_OK) {
            return rc;
        }
        snprintf(sg->keyid, sizeof(sg->keyid), "%s", keyid);
        snprintf(sg->partner, sizeof(sg->partner), "%s",
                 json_string_value(json_object_get(bound, "partner")));
        sg->role = role_bit(json_string_value(json_object_get(bound, "role")));
        rc = pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &sg->key, err);
        const char *revoked = json_string_value(json_object_get(bound, "revoked_from"));
        int32_t revoked_day = 0;
        if (rc == PB_OK && revoked != NULL) {
            rc = pb_date_parse(revoked, &revoked_day, err);
        }
        json_decref(bound);
        if (rc != PB_OK) {
            return rc;
        }
        if (revoked != NULL && a->day >= revoked_day) {
            char day[PB_DATE_TEXT_MAX];
            char from[PB_DATE_TEXT_MAX];
            pb_date_format(a->day, day, sizeof(day));
            pb_date_format(revoked_day, from, sizeof(from));
            return pb_error_set(err, PB_EKEY_REVOKED, where,
                                "key %s is revoked from %s (entry dated %s)", keyid, from, day);
        }
        a->signer_count++;
    }
    return PB_OK;
}

static const char *
role_name(unsigned bit)
{
    for (unsigned i = 0; role_names[i] != NULL; i++) {
        if (bit == 1u << i) {
            return role_names[i];
        }
    }
    return "?";
}

static void
describe_roles(unsigned roles, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t used = 0;
    for (unsigned i = 0; role_names[i] != NULL; i++) {
        if ((roles & (1u << i)) != 0) {
            int n =
                snprintf(buf + used, size - used, "%s%s", used == 0 ? "" : " or ", role_names[i]);
            if (n < 0 || (size_t)n >= size - used) {
                return;
            }
            used += (size_t)n;
        }
    }
}

static int
rule_has_partner(const struct sign_rule *rule, const char *partner)
{
    if (rule->partner_count == 0) {
        return 1;
    }
    for (size_t i = 0; i < rule->partner_count; i++) {
        if (strcmp(rule->partners[i], partner) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Every signer must be allowed by the rule (partner, then role). */
static int
check_signers_allowed(const struct admit *a, const struct sign_rule *rule, pb_error *err)
{
    for (size_t i = 0; i < a->signer_count; i++) {
        const struct signer *sg = &a->signers[i];
        char where[64];
        snprintf(where, sizeof(where), "$.sigs[%zu].key", i);
        if (!rule_has_partner(rule, sg->partner)) {
            return pb_error_set(err, PB_EKEY_WRONG_PARTNER, where,
                                "key %s belongs to %s, who does not sign a %s entry here",
                                sg->keyid, sg->partner, a->type);
        }
        if ((rule->roles & sg->role) == 0) {
            char want[64];
            describe_roles(rule->roles, want, sizeof(want));
            return pb_error_set(err, PB_EKEY_WRONG_ROLE, where,
                                "key %s is %s's %s key; a %s entry needs a %s key", sg->keyid,
                                sg->partner, role_name(sg->role), a->type, want);
        }
    }
    return PB_OK;
}

/* Every required signer present: the message lists who is still missing. */
static int
check_signers_complete(const struct admit *a, const struct sign_rule *rule, pb_error *err)
{
    if (a->signer_count == 0) {
        return pb_error_set(err, PB_ESIG_MISSING, "$.sigs", "the %s entry has no signature",
                            a->type);
    }
    if (!rule->each_partner) {
        return PB_OK;
    }
    char missing[PB_ERROR_TEXT_MAX / 2];
    size_t used = 0;
    missing[0] = '\0';
    for (size_t p = 0; p < rule->partner_count; p++) {
        int found = 0;
        for (size_t i = 0; i < a->signer_count && !found; i++) {
            found = strcmp(a->signers[i].partner, rule->partners[p]) == 0;
        }
        if (!found && used < sizeof(missing)) {
            int n = snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "",
                             rule->partners[p]);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    if (used > 0) {
        char want[64];
        describe_roles(rule->roles, want, sizeof(want));
        return pb_error_set(err, PB_ESIG_MISSING, "$.sigs",
                            "the %s entry still needs a %s signature of: %s", a->type, want,
                            missing);
    }
    return PB_OK;
}

/* Verify (or queue) the signature bytes of every signer. */
static int
check_signature_bytes(const struct admit *a, pb_error *err)
{
    uint8_t *msg = NULL;
    size_t len = 0;
    int rc = pb_entry_message(a->entry, &msg, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (a->defer == NULL) {
        for (size_t i = 0; i < a->signer_count && rc == PB_OK; i++) {
            const struct signer *sg = &a->signers[i];
            if (crypto_sign_verify_detached(sg->sig, msg, len, sg->key.key) != 0) {
                char where[64];
                snprintf(where, sizeof(where), "$.sigs[%zu].sig", i);
                rc = pb_error_set(err, PB_ESIG_INVALID, where,
                                  "signature by key %s does not verify", sg->keyid);
            }
        }
        free(msg);
        return rc;
    }
    uint64_t slot = 0;
    rc = pb_sigbatch_add_msg(a->defer, msg, len, &slot, err); /* takes msg */
    for (size_t i = 0; i < a->signer_count && rc == PB_OK; i++) {
        pb_sigcheck c;
        memset(&c, 0, sizeof(c));
        c.index = a->index;
        c.msg_slot = slot;
        memcpy(c.key, a->signers[i].key.key, 32);
        memcpy(c.sig, a->signers[i].sig, 64);
        memcpy(c.keyid, a->signers[i].keyid, sizeof(c.keyid));
        rc = pb_sigbatch_add(a->defer, &c, err);
    }
    return rc;
}

static int
decode_signature_bytes(struct admit *a, pb_error *err)
{
    const json_t *sigs = json_object_get(a->record, "sigs");
    PB_ASSERT(json_array_size(sigs) == a->signer_count);
    for (size_t i = 0; i < a->signer_count; i++) {
        const char *b64 = json_string_value(json_object_get(json_array_get(sigs, i), "sig"));
        size_t bin_len = 0;
        if (sodium_base642bin(a->signers[i].sig, 64, b64, strlen(b64), NULL, &bin_len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            bin_len != 64) {
            char where[64];
            snprintf(where, sizeof(where), "$.sigs[%zu].sig", i);
            return pb_error_set(err, PB_ESIG_FORMAT, where, "not base64 of 64 bytes");
        }
    }
    return PB_OK;
}

static int
put_partner_and_keys(const struct admit *a, const json_t *partners, const json_t *keys,
                     pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        const json_t *p = json_array_get(partners, i);
        char skey[PB_ID_BYTES_MAX + 16];
        snprintf(skey, sizeof(skey), "partner:%s", json_string_value(json_object_get(p, "id")));
        rc = pb_state_put(a->state, skey, p, err);
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(keys); i++) {
        const json_t *k = json_array_get(keys, i);
        json_t *bound = json_pack("{s:O,s:O,s:O,s:I}", "partner", json_object_get(k, "partner"),
                                  "role", json_object_get(k, "role"), "pubkey",
                                  json_object_get(k, "pubkey"), "added", (json_int_t)a->index);
        if (bound == NULL) {
            return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
        char skey[PB_KEYID_TEXT_MAX + 8];
        snprintf(skey, sizeof(skey), "key:%s", json_string_value(json_object_get(k, "key")));
        rc = pb_state_put(a->state, skey, bound, err);
        json_decref(bound);
    }
    return rc;
}

/* ---- genesis ------------------------------------------------------------ */

static const char *const partner_kinds[] = {"council", "icb", "trust", "other", NULL};

static int
check_genesis_partner(const json_t *p, const char *path, pb_error *err)
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

static int
find_in_array(const json_t *arr, size_t before, const char *field, const char *value)
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
        rc = check_pubkey_field(k, path, &pub, err);
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
    if (!find_in_array(partners, json_array_size(partners), "id", partner)) {
        snprintf(where, sizeof(where), "%s.partner", path);
        return pb_error_set(err, PB_EPARTNER, where, "partner \"%s\" is not a founding partner",
                            partner);
    }
    if (role_bit(role) == 0) {
        snprintf(where, sizeof(where), "%s.role", path);
        return pb_error_set(err, PB_EFIELD, where,
                            "role \"%s\" is not signatory, finance, auditor or operator", role);
    }
    return PB_OK;
}

static int
check_array(const json_t *entry, const char *name, size_t max, const json_t **out, pb_error *err)
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
        rc = check_array(entry, "partners", PB_PARTNERS_MAX, &partners, err);
    }
    if (rc == PB_OK) {
        rc = check_array(entry, "keys", PB_KEYS_MAX, &keys, err);
    }
    char where[64];
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        snprintf(where, sizeof(where), "$.entry.partners[%zu]", i);
        const json_t *p = json_array_get(partners, i);
        rc = check_genesis_partner(p, where, err);
        if (rc == PB_OK &&
            find_in_array(partners, i, "id", json_string_value(json_object_get(p, "id")))) {
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
            find_in_array(keys, i, "key", json_string_value(json_object_get(k, "key")))) {
            rc = pb_error_set(err, PB_EKEY_EXISTS, where, "key %s is listed twice",
                              json_string_value(json_object_get(k, "key")));
        }
        operators +=
            rc == PB_OK && role_bit(json_string_value(json_object_get(k, "role"))) == ROLE_OPERATOR;
    }
    if (rc == PB_OK && operators == 0) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.keys", "genesis must bind an operator key");
    }
    return rc;
}

/* Genesis binds its own keys, so its signers resolve from the entry. */
static int
validate_genesis(struct admit *a, struct sign_rule *rule, pb_error *err)
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
        struct signer *sg = &a->signers[a->signer_count++];
        snprintf(sg->keyid, sizeof(sg->keyid), "%s", keyid);
        snprintf(sg->partner, sizeof(sg->partner), "%s",
                 json_string_value(json_object_get(k, "partner")));
        sg->role = role_bit(json_string_value(json_object_get(k, "role")));
        int rc = pb_pubkey_parse(json_string_value(json_object_get(k, "pubkey")), &sg->key, err);
        if (rc != PB_OK) {
            return rc;
        }
    }
    /* DESIGN 5: a signatory key of every founding partner. */
    const json_t *partners = json_object_get(a->entry, "partners");
    for (size_t i = 0; i < json_array_size(partners); i++) {
        rule->partners[rule->partner_count++] =
            json_string_value(json_object_get(json_array_get(partners, i), "id"));
    }
    rule->roles = ROLE_SIGNATORY;
    rule->each_partner = 1;
    return PB_OK;
}

static int
apply_genesis(const struct admit *a, pb_error *err)
{
    int rc = pb_state_put(a->state, "origin", json_object_get(a->entry, "ledger"), err);
    if (rc == PB_OK) {
        rc = put_partner_and_keys(a, json_object_get(a->entry, "partners"),
                                  json_object_get(a->entry, "keys"), err);
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
validate_document(struct admit *a, struct sign_rule *rule, pb_error *err)
{
    rule->partner_count = 0;
    rule->roles = ROLE_ANY;
    rule->each_partner = 0;
    return resolve_signers_from_state(a, err);
}

static int
apply_nothing(const struct admit *a, pb_error *err)
{
    (void)a;
    (void)err;
    return PB_OK;
}

/* ---- the table ---------------------------------------------------------- */

static const struct entry_type entry_types[] = {
    {"document", check_document, validate_document, apply_nothing},
    {"genesis", check_genesis, validate_genesis, apply_genesis},
};

static const struct entry_type *
find_type(const char *name)
{
    for (size_t i = 0; i < sizeof(entry_types) / sizeof(entry_types[0]); i++) {
        if (strcmp(entry_types[i].name, name) == 0) {
            return &entry_types[i];
        }
    }
    return NULL;
}

int
pb_entry_type_known(const char *type)
{
    return type != NULL && find_type(type) != NULL;
}

int
pb_entry_check_fields(const json_t *entry, pb_error *err)
{
    const char *type = json_string_value(json_object_get(entry, "type"));
    const struct entry_type *t = find_type(type != NULL ? type : "");
    if (t == NULL) {
        return pb_error_set(err, PB_ETYPE, "$.entry.type", "unknown entry type \"%s\"",
                            type != NULL ? type : "");
    }
    return t->check(entry, err);
}

static int
check_origin(const struct admit *a, pb_error *err)
{
    json_t *origin = NULL;
    int rc = pb_state_get(a->state, "origin", &origin, err);
    if (rc == PB_ENOTFOUND) {
        if (strcmp(a->type, "genesis") == 0) {
            return PB_OK;
        }
        return pb_error_set(err, PB_EGENESIS, "$.entry.type",
                            "the first record of a ledger must be its genesis entry");
    }
    if (rc != PB_OK) {
        return rc;
    }
    const char *want = json_string_value(origin);
    const char *got = json_string_value(json_object_get(a->entry, "ledger"));
    if (strcmp(want, got) != 0) {
        rc = pb_error_set(err, PB_EORIGIN, "$.entry.ledger",
                          "entry is for ledger \"%s\", but this ledger is \"%s\"", got, want);
    }
    json_decref(origin);
    return rc;
}

int
pb_entry_admit(const pb_state *state, const json_t *record, uint64_t index, pb_sigbatch *defer,
               pb_error *err)
{
    struct admit *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    a->state = state;
    a->record = record;
    a->entry = json_object_get(record, "entry");
    a->type = json_string_value(json_object_get(a->entry, "type"));
    a->index = index;
    a->defer = defer;
    const struct entry_type *t = find_type(a->type);
    PB_ASSERT(t != NULL); /* the form was checked */
    int64_t seconds = 0;
    int rc =
        pb_timestamp_parse(json_string_value(json_object_get(a->entry, "created")), &seconds, err);
    a->day = (int32_t)(seconds / 86400);
    struct sign_rule rule;
    memset(&rule, 0, sizeof(rule));
    if (rc == PB_OK) {
        rc = check_origin(a, err);
    }
    if (rc == PB_OK) {
        rc = t->validate(a, &rule, err);
    }
    if (rc == PB_OK) {
        rc = check_signers_allowed(a, &rule, err);
    }
    if (rc == PB_OK) {
        rc = check_signers_complete(a, &rule, err);
    }
    if (rc == PB_OK) {
        rc = decode_signature_bytes(a, err);
    }
    if (rc == PB_OK) {
        rc = check_signature_bytes(a, err);
    }
    if (rc == PB_OK) {
        rc = t->apply(a, err);
    }
    free(a);
    return rc;
}
