/*
 * entry.c — the framework of the entry types of DESIGN 5: finding a type in
 * the tables of entry_parties.c (and the other entry_*.c files), and admitting
 * a record. Admission checks, in this documented order: origin and genesis
 * order; the type's own state checks; each signature's key (known, not
 * revoked at the entry's date, its partner and role accepted by the signing
 * rule); that every requirement of the rule is met; and last the signature
 * bytes (at once, or queued so that a batch or verify can spread Ed25519 over
 * the cores).
 */
#include "books/books.h"

#include <sodium.h>
#include <string.h>

static const char *const role_names[] = {"signatory", "finance", "auditor", "operator", NULL};

unsigned
pb_role_bit(const char *role)
{
    for (unsigned i = 0; role_names[i] != NULL; i++) {
        if (strcmp(role_names[i], role) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

const char *
pb_role_name(unsigned bit)
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

void
pb_admit_keep(struct pb_admit *a, json_t *value)
{
    PB_ASSERT(a->held != NULL && value != NULL);
    json_array_append(a->held, value);
}

struct pb_sign_req *
pb_sign_rule_add(struct pb_sign_rule *rule, unsigned roles)
{
    PB_ASSERT(rule->count < PB_SIGN_REQS_MAX);
    struct pb_sign_req *req = &rule->reqs[rule->count++];
    memset(req, 0, sizeof(*req));
    req->roles = roles;
    return req;
}

void
pb_sign_req_partner(struct pb_sign_req *req, const char *partner)
{
    PB_ASSERT(req->partner_count < PB_PARTNERS_MAX && partner != NULL);
    for (size_t i = 0; i < req->partner_count; i++) {
        if (strcmp(req->partners[i], partner) == 0) {
            return;
        }
    }
    req->partners[req->partner_count++] = partner;
}

static int
req_has_partner(const struct pb_sign_req *req, const char *partner)
{
    if (req->partner_count == 0) {
        return 1;
    }
    for (size_t i = 0; i < req->partner_count; i++) {
        if (strcmp(req->partners[i], partner) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Every signer must be accepted by some requirement: its partner, then its role. */
static int
check_signers_allowed(const struct pb_admit *a, const struct pb_sign_rule *rule, pb_error *err)
{
    for (size_t i = 0; i < a->signer_count; i++) {
        const struct pb_signer *sg = &a->signers[i];
        unsigned roles_for_partner = 0;
        for (size_t r = 0; r < rule->count; r++) {
            if (req_has_partner(&rule->reqs[r], sg->partner)) {
                roles_for_partner |= rule->reqs[r].roles;
            }
        }
        char where[64];
        snprintf(where, sizeof(where), "$.sigs[%zu].key", i);
        if (roles_for_partner == 0) {
            return pb_error_set(err, PB_EKEY_WRONG_PARTNER, where,
                                "key %s belongs to %s, who does not sign this %s entry", sg->keyid,
                                sg->partner, a->type);
        }
        if ((roles_for_partner & sg->role) == 0) {
            char want[64];
            describe_roles(roles_for_partner, want, sizeof(want));
            return pb_error_set(err, PB_EKEY_WRONG_ROLE, where,
                                "key %s is %s's %s key; %s %s entry needs %s's %s key", sg->keyid,
                                sg->partner, pb_role_name(sg->role), pb_article(a->type), a->type,
                                sg->partner, want);
        }
    }
    return PB_OK;
}

/* The listed partners of req that no signer of an accepted role covers. */
static size_t
req_missing(const struct pb_admit *a, const struct pb_sign_req *req, char *buf, size_t size)
{
    size_t missing = 0, used = 0;
    buf[0] = '\0';
    for (size_t p = 0; p < req->partner_count; p++) {
        int found = 0;
        for (size_t i = 0; i < a->signer_count && !found; i++) {
            found = strcmp(a->signers[i].partner, req->partners[p]) == 0 &&
                    (a->signers[i].role & req->roles) != 0;
        }
        if (!found) {
            missing++;
            int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", req->partners[p]);
            used += n > 0 && (size_t)n < size - used ? (size_t)n : 0;
        }
    }
    return missing;
}

/* Every requirement met; the message says who is still missing. */
static int
check_signers_complete(const struct pb_admit *a, const struct pb_sign_rule *rule, pb_error *err)
{
    if (a->signer_count == 0) {
        return pb_error_set(err, PB_ESIG_MISSING, "$.sigs", "the %s entry has no signature",
                            a->type);
    }
    for (size_t r = 0; r < rule->count; r++) {
        const struct pb_sign_req *req = &rule->reqs[r];
        char want[64];
        char missing[PB_ERROR_TEXT_MAX / 2];
        describe_roles(req->roles, want, sizeof(want));
        size_t n_missing = req_missing(a, req, missing, sizeof(missing));
        size_t have = req->partner_count - n_missing;
        if (req->partner_count > 0 && req->min_partners == req->partner_count && n_missing > 0) {
            return pb_error_set(err, PB_ESIG_MISSING, "$.sigs",
                                "the %s entry still needs %s %s signature of: %s", a->type,
                                pb_article(want), want, missing);
        }
        if (req->min_partners > 0 && have < req->min_partners) {
            return pb_error_set(err, PB_ESIG_MISSING, "$.sigs",
                                "the %s entry needs %s signatures of %zu partners, has %zu; "
                                "not yet signed: %s",
                                a->type, want, req->min_partners, have, missing);
        }
        if (req->min_partners == 0 && req->partner_count > 0 && have == 0) {
            return pb_error_set(err, PB_ESIG_MISSING, "$.sigs",
                                "the %s entry needs %s %s signature of %s", a->type,
                                pb_article(want), want, missing);
        }
    }
    return PB_OK;
}

int
pb_entry_check_pubkey(const json_t *obj, const char *path, pb_pubkey *out, pb_error *err)
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

/* Signature i's key id; the signer it resolves to must be the next one. */
static const char *
sig_keyid(const struct pb_admit *a, size_t i, char *where, size_t size)
{
    const json_t *sigs = json_object_get(a->record, "sigs");
    PB_ASSERT(i < json_array_size(sigs));
    PB_ASSERT(a->signer_count == i && i < PB_SIGS_MAX);
    snprintf(where, size, "$.sigs[%zu].key", i);
    return json_string_value(json_object_get(json_array_get(sigs, i), "key"));
}

/* DESIGN 5: a key's signatures count only on records appended before the
 * record that revokes it, whatever date an entry claims. Replay admits in
 * append order, so a revocation in the state is always an earlier record. */
static int
check_not_revoked(const struct pb_admit *a, const char *keyid, const json_t *bound,
                  const char *where, pb_error *err)
{
    const char *revoked = json_string_value(json_object_get(bound, "revoked_from"));
    int32_t revoked_day = 0;
    int rc = revoked != NULL ? pb_date_parse(revoked, &revoked_day, err) : PB_OK;
    if (rc != PB_OK || revoked == NULL) {
        return rc;
    }
    char day[PB_DATE_TEXT_MAX];
    pb_date_format(a->day, day, sizeof(day));
    if (a->day >= revoked_day) {
        return pb_error_set(err, PB_EKEY_REVOKED, where,
                            "key %s is revoked from %s (entry dated %s)", keyid, revoked, day);
    }
    return pb_error_set(err, PB_EKEY_REVOKED, where,
                        "key %s was revoked (from %s) by record %lld: it signs nothing appended "
                        "after that, whatever the entry's date (%s)",
                        keyid, revoked,
                        (long long)json_integer_value(json_object_get(bound, "revoked")), day);
}

int
pb_admit_signer_from_state(struct pb_admit *a, size_t i, pb_error *err)
{
    char where[64];
    const char *keyid = sig_keyid(a, i, where, sizeof(where));
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", keyid);
    const json_t *bound = NULL;
    int rc = pb_admit_state_get(a, skey, &bound, err);
    if (rc == PB_ENOTFOUND) {
        return pb_error_set(err, PB_EKEY_UNKNOWN, where, "key %s is not bound in this ledger",
                            keyid);
    }
    if (rc == PB_OK) {
        rc = check_not_revoked(a, keyid, bound, where, err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signer_from_key(a, i, bound, NULL, err);
    }
    return rc;
}

int
pb_admit_signer_from_key(struct pb_admit *a, size_t i, const json_t *key, const char *partner,
                         pb_error *err)
{
    char where[64];
    const char *keyid = sig_keyid(a, i, where, sizeof(where));
    if (partner == NULL) {
        partner = json_string_value(json_object_get(key, "partner"));
    }
    PB_ASSERT(partner != NULL);
    struct pb_signer *sg = &a->signers[a->signer_count];
    snprintf(sg->keyid, sizeof(sg->keyid), "%s", keyid);
    snprintf(sg->partner, sizeof(sg->partner), "%s", partner);
    sg->role = pb_role_bit(json_string_value(json_object_get(key, "role")));
    int rc = pb_pubkey_parse(json_string_value(json_object_get(key, "pubkey")), &sg->key, err);
    if (rc == PB_OK) {
        a->signer_count++;
    }
    return rc;
}

int
pb_admit_signers_from_state(struct pb_admit *a, pb_error *err)
{
    const json_t *sigs = json_object_get(a->record, "sigs");
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(sigs); i++) {
        rc = pb_admit_signer_from_state(a, i, err);
    }
    return rc;
}

int
pb_admit_state_get(struct pb_admit *a, const char *key, const json_t **value_out, pb_error *err)
{
    json_t *value = NULL;
    int rc = pb_state_get(a->state, key, &value, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (a->held == NULL) {
        a->held = json_array();
    }
    if (a->held == NULL) {
        json_decref(value);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (json_array_append_new(a->held, value) != 0) { /* frees value on failure */
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    *value_out = value;
    return PB_OK;
}

/* Verify (or queue) the signature bytes of every signer. */
static int
check_signature_bytes(const struct pb_admit *a, pb_error *err)
{
    uint8_t *msg = NULL;
    size_t len = 0;
    int rc = pb_entry_message(a->entry, &msg, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (a->defer == NULL) {
        for (size_t i = 0; i < a->signer_count && rc == PB_OK; i++) {
            const struct pb_signer *sg = &a->signers[i];
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
decode_signature_bytes(struct pb_admit *a, pb_error *err)
{
    const json_t *sigs = json_object_get(a->record, "sigs");
    PB_ASSERT(json_array_size(sigs) == a->signer_count);
    for (size_t i = 0; i < a->signer_count; i++) {
        const char *b64 = json_string_value(json_object_get(json_array_get(sigs, i), "sig"));
        if (pb_base64_decode_strict(b64, strlen(b64), a->signers[i].sig, 64) != 0) {
            char where[64];
            snprintf(where, sizeof(where), "$.sigs[%zu].sig", i);
            return pb_error_set(err, PB_ESIG_FORMAT, where, "not base64 of 64 bytes");
        }
    }
    return PB_OK;
}

int
pb_admit_put_partners(const struct pb_admit *a, const json_t *partners, pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        const json_t *p = json_array_get(partners, i);
        char skey[PB_ID_BYTES_MAX + 16];
        snprintf(skey, sizeof(skey), "partner:%s", json_string_value(json_object_get(p, "id")));
        rc = pb_state_put(a->state, skey, p, err);
    }
    return rc;
}

int
pb_admit_put_keys(const struct pb_admit *a, const json_t *keys, pb_error *err)
{
    int rc = PB_OK;
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

/* ---- the tables ---------------------------------------------------------- */

static const struct pb_entry_type *const type_tables[] = {
    pb_entry_types_parties,
    pb_entry_types_pool,
    pb_entry_types_money,
    pb_entry_types_settle,
    pb_entry_types_witness,
};

static const struct pb_entry_type *
find_type(const char *name)
{
    for (size_t t = 0; t < sizeof(type_tables) / sizeof(type_tables[0]); t++) {
        for (const struct pb_entry_type *e = type_tables[t]; e->name != NULL; e++) {
            if (strcmp(e->name, name) == 0) {
                return e;
            }
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
    const struct pb_entry_type *t = find_type(type != NULL ? type : "");
    if (t == NULL) {
        return pb_error_set(err, PB_ETYPE, "$.entry.type", "unknown entry type \"%s\"",
                            type != NULL ? type : "");
    }
    return t->check(entry, err);
}

static int
check_origin(const struct pb_admit *a, pb_error *err)
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

/* Types whose "date" is when a change takes effect, which may be agreed
 * ahead; every other dated entry records something that has happened. */
static const char *const effective_date_types[] = {"pool.vary", "key.revoke", "partner.succeed",
                                                   NULL};

int
pb_entry_check_clock(const json_t *record, pb_error *err)
{
    const json_t *entry = json_object_get(record, "entry");
    char now_text[32];
    pb_now(now_text, sizeof(now_text));
    int64_t now = 0, created = 0;
    int rc = pb_timestamp_parse(now_text, &now, err);
    if (rc != PB_OK) {
        return rc;
    }
    const char *created_text = json_string_value(json_object_get(entry, "created"));
    rc = pb_timestamp_parse(created_text, &created, err);
    if (rc == PB_OK && created > now + PB_CLOCK_SKEW_SECONDS) {
        return pb_error_set(err, PB_EDATE, "$.entry.created",
                            "created %s is in the future: it is now %s (clocks may differ by an "
                            "hour at most)",
                            created_text, now_text);
    }
    const char *type = json_string_value(json_object_get(entry, "type"));
    const char *date = json_string_value(json_object_get(entry, "date"));
    for (size_t i = 0; date != NULL && effective_date_types[i] != NULL; i++) {
        if (strcmp(type, effective_date_types[i]) == 0) {
            date = NULL;
        }
    }
    int32_t day = 0;
    if (rc == PB_OK && date != NULL && pb_date_parse(date, &day, NULL) == PB_OK &&
        day > now / 86400 + PB_DATE_SKEW_DAYS) {
        char today[PB_DATE_TEXT_MAX];
        pb_date_format((int32_t)(now / 86400), today, sizeof(today));
        return pb_error_set(err, PB_EDATE, "$.entry.date",
                            "date %s of this %s is in the future: today is %s (at most a day "
                            "ahead is allowed)",
                            date, type, today);
    }
    return rc;
}

/* DESIGN 5: no entry claims a "created" before the genesis's. */
static int
check_after_genesis(const struct pb_admit *a, pb_error *err)
{
    json_t *genesis = NULL;
    int rc = pb_state_get(a->state, "genesis_created", &genesis, err);
    if (rc == PB_ENOTFOUND) {
        return PB_OK; /* this is the genesis */
    }
    const char *created = json_string_value(json_object_get(a->entry, "created"));
    /* Timestamps are fixed-width UTC text: they order as strings. */
    if (rc == PB_OK && strcmp(created, json_string_value(genesis)) < 0) {
        rc = pb_error_set(err, PB_EDATE, "$.entry.created",
                          "created %s is before the ledger's genesis (created %s)", created,
                          json_string_value(genesis));
    }
    json_decref(genesis);
    return rc;
}

/* The admission's setup and its checks against state: the day, origin,
 * genesis order, the type's own checks (which fill rule) and that the rule
 * accepts every signer. */
static int
admit_checks(struct pb_admit *a, const struct pb_entry_type *t, struct pb_sign_rule *rule,
             pb_error *err)
{
    int64_t seconds = 0;
    int rc =
        pb_timestamp_parse(json_string_value(json_object_get(a->entry, "created")), &seconds, err);
    a->day = (int32_t)(seconds / 86400);
    /* docs/entries.md: an entry's "date", when it has one, is the day checked
     * against key revocations and closed periods; else the day of "created". */
    const json_t *date = json_object_get(a->entry, "date");
    if (rc == PB_OK && json_is_string(date)) {
        rc = pb_date_parse(json_string_value(date), &a->day, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "$.entry.date");
        }
    }
    memset(rule, 0, sizeof(*rule));
    if (rc == PB_OK) {
        rc = check_origin(a, err);
    }
    if (rc == PB_OK) {
        rc = check_after_genesis(a, err);
    }
    if (rc == PB_OK) {
        rc = t->validate(a, rule, err);
    }
    if (rc == PB_OK) {
        rc = check_signers_allowed(a, rule, err);
    }
    return rc;
}

static struct pb_admit *
admit_new(const pb_state *state, const json_t *record, uint64_t index, pb_sigbatch *defer)
{
    struct pb_admit *a = calloc(1, sizeof(*a));
    if (a != NULL) {
        a->state = state;
        a->record = record;
        a->entry = json_object_get(record, "entry");
        a->type = json_string_value(json_object_get(a->entry, "type"));
        a->index = index;
        a->earlier = index;
        a->defer = defer;
        a->held = json_array();
    }
    return a;
}

static void
admit_free(struct pb_admit *a)
{
    json_decref(a->held);
    free(a);
}

int
pb_entry_admit(const pb_state *state, const json_t *record, uint64_t index, pb_sigbatch *defer,
               pb_error *err)
{
    struct pb_admit *a = admit_new(state, record, index, defer);
    if (a == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    const struct pb_entry_type *t = find_type(a->type);
    PB_ASSERT(t != NULL); /* the form was checked */
    struct pb_sign_rule rule;
    int rc = admit_checks(a, t, &rule, err);
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
    admit_free(a);
    return rc;
}

/* "a finance key of DCC or ICB; a signatory key of each of DCC, ICB" */
static void
describe_rule(const struct pb_sign_rule *rule, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t r = 0; r < rule->count; r++) {
        const struct pb_sign_req *req = &rule->reqs[r];
        char roles[64], who[PB_ERROR_TEXT_MAX / 4];
        describe_roles(req->roles, roles, sizeof(roles));
        size_t w = 0;
        who[0] = '\0';
        const char *sep = req->min_partners > 1 ? ", " : " or ";
        for (size_t p = 0; p < req->partner_count; p++) {
            int n = snprintf(who + w, sizeof(who) - w, "%s%s", p > 0 ? sep : "", req->partners[p]);
            w += n > 0 && (size_t)n < sizeof(who) - w ? (size_t)n : 0;
        }
        char part[PB_ERROR_TEXT_MAX / 2];
        if (req->partner_count == 0) {
            snprintf(part, sizeof(part), "a %s key of any partner", roles);
        } else if (req->min_partners > 1 && req->min_partners == req->partner_count) {
            snprintf(part, sizeof(part), "a %s key of each of %s", roles, who);
        } else if (req->min_partners > 1) {
            snprintf(part, sizeof(part), "%s keys of %zu of %s", roles, req->min_partners, who);
        } else {
            snprintf(part, sizeof(part), "a %s key of %s", roles, who);
        }
        int n = snprintf(buf + used, size - used, "%s%s", r > 0 ? "; and " : "", part);
        used += n > 0 && (size_t)n < size - used ? (size_t)n : 0;
    }
}

int
pb_entry_check_draft(const pb_state *state, const json_t *record, uint64_t size, pb_error *err)
{
    const char *type = json_string_value(json_object_get(json_object_get(record, "entry"), "type"));
    const struct pb_entry_type *t = find_type(type != NULL ? type : "");
    PB_ASSERT(t != NULL); /* the form was checked */
    /* First unsigned: the state checks, and the rule (who must sign). */
    json_t *bare = json_pack("{s:O,s:[]}", "entry", json_object_get(record, "entry"), "sigs");
    struct pb_admit *a = bare != NULL ? admit_new(state, bare, 0, NULL) : NULL;
    if (a == NULL) {
        json_decref(bare);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    a->earlier = size; /* it would follow every record there is */
    struct pb_sign_rule rule;
    int rc = admit_checks(a, t, &rule, err);
    char needs[PB_ERROR_TEXT_MAX / 2];
    describe_rule(&rule, needs, sizeof(needs));
    /* Then with its signatures: each key bound, not revoked, accepted. */
    struct pb_admit *b = rc == PB_OK ? admit_new(state, record, 0, NULL) : NULL;
    if (rc == PB_OK && b == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (b != NULL) {
        b->earlier = size;
    }
    if (b != NULL) {
        struct pb_sign_rule with;
        pb_error local;
        pb_error_init(&local);
        rc = admit_checks(b, t, &with, &local);
        if (rc != PB_OK && err != NULL) {
            pb_error_init(err);
            pb_error_set(err, rc, local.where, "%s; the %s entry needs %s", local.text, type,
                         needs);
        }
        admit_free(b);
    }
    admit_free(a);
    json_decref(bare);
    return rc;
}
