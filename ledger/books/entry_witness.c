/*
 * entry_witness.c — the witness.policy entry (docs/witness.md): the
 * partnership's C2SP tlog-policy, saying which partners' witnesses there are
 * (each a cosigner key that is an auditor key bound in this ledger, and where
 * it listens) and how many must cosign a checkpoint for it to be final. Every
 * current partner's signatory signs it, as it decides what the partners will
 * accept as the one history. A later witness.policy replaces an earlier one.
 * The entry holds the policy's lines as an array of strings ("policy"); they
 * are parsed by ledger/log/witness_policy.c.
 */
#include "books/books.h"

#include <string.h>

/* A policy line: a witness's name, vkey and URL fit easily. */
#define WITNESS_POLICY_LINE_BYTES_MAX 1000

static int
check_witness_policy(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",       "type",   "id",   "ledger",
                                          "created", "policy", "memo", NULL};
    const char *memo = NULL;
    const json_t *lines = json_object_get(entry, "policy");
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK && lines == NULL) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.policy",
                          "a witness.policy needs policy: its tlog-policy lines");
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(lines); i++) {
        const char *l = json_string_value(json_array_get(lines, i));
        if (l == NULL || strlen(l) > WITNESS_POLICY_LINE_BYTES_MAX) {
            rc = pb_error_set(err, PB_EFIELD, "$.entry.policy",
                              "policy line %zu is not a string of at most %d bytes", i + 1,
                              WITNESS_POLICY_LINE_BYTES_MAX);
        }
    }
    if (rc == PB_OK && json_object_get(entry, "memo") != NULL) {
        rc = pb_field_string(entry, "memo", "$.entry", PB_TEXT_BYTES_MAX, &memo, err);
    }
    pb_wpolicy *pol = rc == PB_OK ? calloc(1, sizeof(*pol)) : NULL;
    if (rc == PB_OK && pol == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_wpolicy_parse_lines(lines, pol, err);
        if (rc != PB_OK && err != NULL) {
            snprintf(err->where, sizeof(err->where), "$.entry.policy");
        }
    }
    free(pol);
    return rc;
}

struct key_match {
    const uint8_t *key; /* the Ed25519 key looked for */
    const char *role;
    int found;
};

/* Visitor over "key:" state: a bound, unrevoked key of the role with that key. */
static int
match_key(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
          pb_error *err)
{
    (void)key;
    (void)key_len;
    struct key_match *m = ctx;
    json_t *bound = NULL;
    int rc = pb_json_parse_stored(value, value_len, &bound, err);
    if (rc != PB_OK) {
        return rc; /* out of memory: not "no such key" */
    }
    const char *role = json_string_value(json_object_get(bound, "role"));
    const char *pubkey = json_string_value(json_object_get(bound, "pubkey"));
    pb_pubkey pub;
    if (role != NULL && strcmp(role, m->role) == 0 && pubkey != NULL &&
        json_object_get(bound, "revoked_from") == NULL &&
        pb_pubkey_parse(pubkey, &pub, NULL) == PB_OK && memcmp(pub.key, m->key, 32) == 0) {
        m->found = 1;
    }
    json_decref(bound);
    return PB_OK;
}

static int
key_bound(const struct pb_admit *a, const uint8_t key[32], const char *role, int *found_out,
          pb_error *err)
{
    struct key_match m = {key, role, 0};
    int rc = pb_state_each(a->state, "key:", match_key, &m, err);
    *found_out = m.found;
    return rc;
}

/* Each witness is an auditor key of this ledger; each log line is this ledger. */
static int
check_policy_keys(struct pb_admit *a, const pb_wpolicy *pol, pb_error *err)
{
    const json_t *origin = NULL;
    int rc = pb_admit_state_get(a, "origin", &origin, err);
    for (size_t i = 0; rc == PB_OK && i < pol->log_count; i++) {
        int found = 0;
        rc = key_bound(a, pol->logs[i].key.key, "operator", &found, err);
        if (rc == PB_OK && (!found || strcmp(pol->logs[i].name, json_string_value(origin)) != 0)) {
            rc = pb_error_set(err, PB_EPOLICY, "$.entry.policy",
                              "log %s is not this ledger signed by its operator key",
                              pol->logs[i].name);
        }
    }
    for (size_t i = 0; rc == PB_OK && i < pol->name_count; i++) {
        int found = 0;
        if (pol->names[i].is_group) {
            continue;
        }
        rc = key_bound(a, pol->names[i].key.key, "auditor", &found, err);
        if (rc == PB_OK && !found) {
            rc = pb_error_set(err, PB_EPOLICY, "$.entry.policy",
                              "witness %s's key is not an auditor key bound in this ledger",
                              pol->names[i].name);
        }
    }
    return rc;
}

/* docs/witness.md: signatories of every current partner. */
static int
validate_witness_policy(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const json_t *current = NULL;
    pb_wpolicy *pol = calloc(1, sizeof(*pol));
    int rc = pol != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc == PB_OK) {
        rc = pb_wpolicy_parse_lines(json_object_get(a->entry, "policy"), pol, err);
    }
    if (rc == PB_OK) {
        rc = check_policy_keys(a, pol, err);
    }
    free(pol);
    if (rc == PB_OK) {
        rc = pb_admit_state_get(a, "partners", &current, err);
        rc = rc == PB_ENOTFOUND ? pb_error_set(err, PB_ESTORE, "partners",
                                               "the derived state has no list of partners")
                                : rc;
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc != PB_OK) {
        return rc;
    }
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
    for (size_t i = 0; i < json_array_size(current); i++) {
        pb_sign_req_partner(req, json_string_value(json_array_get(current, i)));
    }
    req->min_partners = req->partner_count;
    return PB_OK;
}

static int
apply_witness_policy(const struct pb_admit *a, pb_error *err)
{
    json_t *v = json_pack("{s:O,s:I}", "policy", json_object_get(a->entry, "policy"), "index",
                          (json_int_t)a->index);
    if (v == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int rc = pb_state_put(a->state, PB_WPOLICY_STATE_KEY, v, err);
    json_decref(v);
    return rc;
}

const struct pb_entry_type pb_entry_types_witness[] = {
    {"witness.policy", check_witness_policy, validate_witness_policy, apply_witness_policy},
    {NULL, NULL, NULL, NULL},
};
