/*
 * entry_money.c — the money entries of DESIGN 5: contribution, expenditure,
 * forecast, virement, reversal and period.close. Each keeps, in the same
 * transaction as the append, a running aggregate per pool and financial month
 * ("agg:<POOL>:<MM>": actual by scheme, received by stream, the latest
 * forecast by scheme, the virements), so a report reads at most twelve
 * aggregates whatever else the ledger holds; and, for reversals, "m:<ID>" for
 * a reversible entry that needed more than a finance key or was reversed
 * (the entry itself is found through the log's id index).
 */
#include "books/books.h"

#include <sodium.h>
#include <string.h>

/* The pool's state for an entry's "pool" field (a new reference). */
static int
entry_pool(const struct pb_admit *a, json_t **ps, pb_error *err)
{
    const char *id = json_string_value(json_object_get(a->entry, "pool"));
    return pb_pool_state(a->state, id, ps, err);
}

static void
agg_key(const char *pool, int32_t day, char *buf, size_t size)
{
    pb_period month;
    PB_ASSERT(pb_period_of_day(day, PB_PERIOD_MONTH, &month, NULL) == PB_OK);
    snprintf(buf, size, "agg:%s:%02d", pool, (int)month.number);
}

/* The month's aggregate, or a new empty one. */
static int
agg_load(const pb_state *state, const char *key, json_t **out, pb_error *err)
{
    int rc = pb_state_get(state, key, out, err);
    if (rc == PB_ENOTFOUND) {
        *out = json_pack("{s:{},s:{},s:{},s:[]}", "actual", "received", "fc", "vire");
        rc = *out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    return rc;
}

/* obj[name] += pence, as a money string. */
static int
add_amount(json_t *obj, const char *name, int64_t pence, pb_error *err)
{
    int64_t have = 0;
    const char *text = json_string_value(json_object_get(obj, name));
    if (text != NULL) {
        PB_ASSERT(pb_money_parse(text, &have, NULL) == PB_OK);
    }
    int rc = pb_money_add(have, pence, &have, err);
    char buf[PB_MONEY_TEXT_MAX];
    if (rc == PB_OK) {
        pb_money_format(have, buf, sizeof(buf));
        json_object_set_new(obj, name, json_string(buf));
    }
    return rc;
}

/* Add pence to agg[part][name] of the month of day. */
static int
agg_add(const struct pb_admit *a, const char *pool, int32_t day, const char *part, const char *name,
        int64_t pence, pb_error *err)
{
    char key[PB_ID_BYTES_MAX + 16];
    agg_key(pool, day, key, sizeof(key));
    json_t *agg = NULL;
    int rc = agg_load(a->state, key, &agg, err);
    if (rc == PB_OK) {
        rc = add_amount(json_object_get(agg, part), name, pence, err);
    }
    if (rc == PB_OK) {
        rc = pb_state_put(a->state, key, agg, err);
    }
    json_decref(agg);
    return rc;
}

static int
amount_of(const struct pb_admit *a, int64_t *pence)
{
    return pb_money_parse(json_string_value(json_object_get(a->entry, "amount")), pence, NULL);
}

/* What a money entry of type needs besides the finance key (DESIGN 5), by
 * the pool's limits: the approval rule (a virement above the limit) and the
 * host's signatory (a virement within the limit; spending or a virement at or
 * above the key-decision threshold). A forecast or contribution needs neither. */
struct money_needs {
    int approval;
    int host_signatory;
};

static struct money_needs
needs_of(const json_t *pool, const char *type, int64_t pence)
{
    int64_t limit = 0, threshold = 0;
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(pool, "virement_limit")), &limit,
                             NULL) == PB_OK);
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(pool, "key_decision_threshold")),
                             &threshold, NULL) == PB_OK);
    int virement = strcmp(type, "virement") == 0;
    int key_decision =
        threshold > 0 && pence >= threshold && (virement || strcmp(type, "expenditure") == 0);
    struct money_needs n = {virement && pence > limit,
                            (virement && pence <= limit) || key_decision};
    return n;
}

/* Add the requirements of needs to rule: the approval rule, the host's signatory. */
static void
add_needs(const json_t *pool, struct money_needs needs, struct pb_sign_rule *rule)
{
    if (needs.approval) {
        pb_pool_approval_rule(pool, rule);
    }
    if (needs.host_signatory) {
        struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
        pb_sign_req_partner(req, json_string_value(json_object_get(pool, "host")));
        req->min_partners = 1;
    }
}

static void
m_key(const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "m:%s", id);
}

/* Keep what a reversible entry needed besides the finance key, by the pool's
 * limits at the time (in pool ps), so that its reversal needs the same
 * (DESIGN 5) whatever a later variation sets: "m:<ID>" holds only the needs
 * that are true, and no row is written when there are none. The entry itself
 * is not copied: a reversal finds it through the log's id index. */
static int
put_money_needs(const struct pb_admit *a, const json_t *ps, pb_error *err)
{
    int64_t pence = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    struct money_needs needs = needs_of(json_object_get(ps, "pool"), a->type, pence);
    if (!needs.approval && !needs.host_signatory) {
        return PB_OK;
    }
    json_t *m = json_object();
    if (m == NULL || (needs.approval && json_object_set_new(m, "needs_approval", json_true())) ||
        (needs.host_signatory && json_object_set_new(m, "needs_host_signatory", json_true()))) {
        json_decref(m);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    char key[PB_ID_BYTES_MAX + 8];
    m_key(json_string_value(json_object_get(a->entry, "id")), key, sizeof(key));
    int rc = pb_state_put(a->state, key, m, err);
    json_decref(m);
    return rc;
}

/* Common field checks of money entries: allowed fields, pool, amount, date. */
static int
check_money_common(const json_t *entry, const char *const *allowed, int has_amount, pb_error *err)
{
    const char *pool;
    int64_t pence;
    int32_t day;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK && json_object_get(entry, "pool") != NULL) {
        rc = pb_field_string(entry, "pool", "$.entry", PB_ID_BYTES_MAX, &pool, err);
    }
    if (rc == PB_OK && has_amount) {
        rc = pb_field_money(entry, "amount", "$.entry", 1, &pence, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_date(entry, "date", "$.entry", &day, err);
    }
    for (size_t i = 0; rc == PB_OK && allowed[i] != NULL; i++) {
        if (strcmp(allowed[i], "ref") == 0 || strcmp(allowed[i], "memo") == 0 ||
            strcmp(allowed[i], "reason") == 0 || strcmp(allowed[i], "payee") == 0) {
            rc = pb_field_optional_text(entry, allowed[i], "$.entry", err);
        }
    }
    return rc;
}

static int
require_strings(const json_t *entry, const char *const *names, pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && names[i] != NULL; i++) {
        const char *v;
        rc = pb_field_string(entry, names[i], "$.entry", PB_TEXT_BYTES_MAX, &v, err);
    }
    return rc;
}

/* The scheme of the pool named by field, or PB_EPOOL. */
static int
find_scheme(const json_t *ps, const struct pb_admit *a, const char *field, const json_t **out,
            pb_error *err)
{
    const char *id = json_string_value(json_object_get(a->entry, field));
    const json_t *pool = json_object_get(ps, "pool");
    *out = pb_pool_find(pool, "schemes", id);
    if (*out == NULL) {
        char where[64];
        snprintf(where, sizeof(where), "$.entry.%s", field);
        return pb_error_set(err, PB_EPOOL, where, "pool %s has no scheme \"%s\"",
                            json_string_value(json_object_get(pool, "id")), id);
    }
    return PB_OK;
}

/* ---- references ------------------------------------------------------------ */

int
pb_money_ref_key(const json_t *entry, char *buf, size_t size)
{
    const char *type = json_string_value(json_object_get(entry, "type"));
    const char *ref = json_string_value(json_object_get(entry, "ref"));
    const char *pool = json_string_value(json_object_get(entry, "pool"));
    const char *party = NULL;
    if (type != NULL && strcmp(type, "contribution") == 0) {
        party = json_string_value(json_object_get(entry, "partner"));
    } else if (type != NULL && strcmp(type, "expenditure") == 0) {
        party = json_string_value(json_object_get(entry, "scheme"));
    }
    if (ref == NULL || pool == NULL || party == NULL) {
        return 0;
    }
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)ref, strlen(ref));
    char hex[33];
    sodium_bin2hex(hex, sizeof(hex), digest, 16);
    snprintf(buf, size, "ref:%s:%s:%s", pool, party, hex);
    return 1;
}

/* Remember the first entry with its reference (docs/entries.md): its index,
 * which the records table turns back into its id. */
static int
put_ref(const struct pb_admit *a, pb_error *err)
{
    char key[PB_REF_KEY_BYTES_MAX];
    if (!pb_money_ref_key(a->entry, key, sizeof(key))) {
        return PB_OK;
    }
    json_t *have = NULL;
    int rc = pb_state_get(a->state, key, &have, err);
    json_decref(have);
    if (rc == PB_ENOTFOUND) {
        json_t *index = json_integer((json_int_t)a->index);
        rc = index != NULL ? pb_state_put(a->state, key, index, err)
                           : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        json_decref(index);
    }
    return rc;
}

int
pb_money_ref_first_id(const pb_snapshot *snap, const char *key, char *id_out, size_t size,
                      pb_error *err)
{
    pb_state state;
    pb_snapshot_state(snap, &state);
    json_t *first = NULL;
    int rc = pb_state_get(&state, key, &first, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (json_is_string(first)) { /* a row written before the index was kept */
        snprintf(id_out, size, "%s", json_string_value(first));
        json_decref(first);
        return PB_OK;
    }
    json_int_t index = json_is_integer(first) ? json_integer_value(first) : -1;
    json_decref(first);
    const char *buf = NULL;
    size_t len = 0;
    json_t *record = NULL;
    rc = index < 0 ? pb_error_set(err, PB_ESTORE, NULL, "state row %s is malformed", key)
                   : pb_snapshot_record(snap, (uint64_t)index, &buf, &len, err);
    if (rc == PB_OK) {
        rc = pb_json_parse_stored(buf, len, &record, err);
    }
    const char *id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    if (rc == PB_OK && id == NULL) {
        rc = pb_error_set(err, PB_ESTORE, NULL, "record %lld named by %s has no id",
                          (long long)index, key);
    }
    if (rc == PB_OK) {
        snprintf(id_out, size, "%s", id);
    }
    json_decref(record);
    return rc;
}

int
pb_money_ref_first(pb_store *store, const json_t *record, char *id_out, size_t size, pb_error *err)
{
    char key[PB_REF_KEY_BYTES_MAX];
    if (!pb_money_ref_key(json_object_get(record, "entry"), key, sizeof(key))) {
        return PB_ENOTFOUND;
    }
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc == PB_OK) {
        rc = pb_money_ref_first_id(&snap, key, id_out, size, err);
        pb_snapshot_close(&snap);
    }
    return rc;
}

/* ---- contribution --------------------------------------------------------- */

static int
check_contribution(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",    "type",    "id",     "ledger", "created",
                                          "pool", "partner", "stream", "amount", "date",
                                          "ref",  "memo",    NULL};
    static const char *const required[] = {"pool", "partner", "stream", NULL};
    int rc = check_money_common(entry, allowed, 1, err);
    return rc == PB_OK ? require_strings(entry, required, err) : rc;
}

static int
validate_contribution(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    json_t *ps = NULL;
    int rc = entry_pool(a, &ps, err);
    const char *partner = json_string_value(json_object_get(a->entry, "partner"));
    const char *stream_id = json_string_value(json_object_get(a->entry, "stream"));
    if (rc == PB_OK) {
        rc = pb_pool_check_day(ps, a->day, "$.entry.date", err);
    }
    const json_t *pool = json_object_get(ps, "pool");
    if (rc == PB_OK) {
        rc = pb_pool_check_partner(pool, partner, "$.entry.partner", err);
    }
    const json_t *stream = rc == PB_OK ? pb_pool_find(pool, "streams", stream_id) : NULL;
    if (rc == PB_OK && stream == NULL) {
        rc = pb_error_set(err, PB_EPOOL, "$.entry.stream", "pool %s has no funding stream \"%s\"",
                          json_string_value(json_object_get(pool, "id")), stream_id);
    }
    const char *payer = json_string_value(json_object_get(stream, "payer"));
    if (rc == PB_OK && strcmp(payer, partner) != 0) {
        rc = pb_error_set(err, PB_EPARTNER, "$.entry.partner", "stream %s is paid by %s, not %s",
                          stream_id, payer, partner);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    /* DESIGN 5: the finance key of the paying partner. */
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_FINANCE);
    pb_sign_req_partner(req, partner);
    req->min_partners = 1;
    json_decref(ps);
    return rc;
}

static int
apply_contribution(const struct pb_admit *a, pb_error *err)
{
    int64_t pence = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    const char *pool = json_string_value(json_object_get(a->entry, "pool"));
    int rc = agg_add(a, pool, a->day, "received",
                     json_string_value(json_object_get(a->entry, "stream")), pence, err);
    /* A contribution needs only the payer's finance key: nothing to keep for
     * its reversal, which finds the payer in the entry. */
    if (rc == PB_OK) {
        rc = put_ref(a, err);
    }
    return rc;
}

/* ---- expenditure and forecast ---------------------------------------------- */

static int
check_expenditure(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",    "type",   "id",     "ledger", "created",
                                          "pool", "scheme", "amount", "date",   "payee",
                                          "ref",  "memo",   NULL};
    static const char *const required[] = {"pool", "scheme", "payee", NULL};
    int rc = check_money_common(entry, allowed, 1, err);
    return rc == PB_OK ? require_strings(entry, required, err) : rc;
}

static int
check_forecast(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",      "type",   "id",   "ledger", "created", "pool",
                                          "scheme", "amount", "date", "memo",   NULL};
    static const char *const required[] = {"pool", "scheme", NULL};
    int rc = check_money_common(entry, allowed, 1, err);
    return rc == PB_OK ? require_strings(entry, required, err) : rc;
}

/* Expenditure and forecasts: the finance key of the scheme's lead or the
 * host; a key decision (DESIGN 5) also the host's signatory. */
static int
validate_scheme_money(struct pb_admit *a, struct pb_sign_rule *rule, int key_decision,
                      pb_error *err)
{
    json_t *ps = NULL;
    const json_t *scheme = NULL;
    int rc = entry_pool(a, &ps, err);
    if (rc == PB_OK) {
        rc = pb_pool_check_day(ps, a->day, "$.entry.date", err);
    }
    if (rc == PB_OK) {
        rc = find_scheme(ps, a, "scheme", &scheme, err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc != PB_OK) {
        json_decref(ps);
        return rc;
    }
    const json_t *pool = json_object_get(ps, "pool");
    /* The rule's names point into ps: keep it for the admission. */
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_FINANCE);
    const char *lead = json_string_value(json_object_get(scheme, "lead"));
    const char *host = json_string_value(json_object_get(pool, "host"));
    pb_admit_keep(a, ps);
    pb_sign_req_partner(req, lead);
    pb_sign_req_partner(req, host);
    int64_t pence = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    if (key_decision) {
        add_needs(pool, needs_of(pool, a->type, pence), rule);
    }
    json_decref(ps);
    return PB_OK;
}

static int
validate_expenditure(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    return validate_scheme_money(a, rule, 1, err);
}

static int
validate_forecast(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    return validate_scheme_money(a, rule, 0, err);
}

static int
apply_expenditure(const struct pb_admit *a, pb_error *err)
{
    int64_t pence = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    const char *pool = json_string_value(json_object_get(a->entry, "pool"));
    int rc = agg_add(a, pool, a->day, "actual",
                     json_string_value(json_object_get(a->entry, "scheme")), pence, err);
    json_t *ps = NULL;
    if (rc == PB_OK) {
        rc = entry_pool(a, &ps, err);
    }
    if (rc == PB_OK) {
        rc = put_money_needs(a, ps, err);
    }
    if (rc == PB_OK) {
        rc = put_ref(a, err);
    }
    json_decref(ps);
    return rc;
}

/* The month keeps each scheme's latest forecast: by date, then by index. */
static int
apply_forecast(const struct pb_admit *a, pb_error *err)
{
    const char *pool = json_string_value(json_object_get(a->entry, "pool"));
    const char *scheme = json_string_value(json_object_get(a->entry, "scheme"));
    const char *date = json_string_value(json_object_get(a->entry, "date"));
    char key[PB_ID_BYTES_MAX + 16];
    agg_key(pool, a->day, key, sizeof(key));
    json_t *agg = NULL;
    int rc = agg_load(a->state, key, &agg, err);
    if (rc != PB_OK) {
        return rc;
    }
    json_t *fc = json_object_get(agg, "fc");
    const char *have = json_string_value(json_object_get(json_object_get(fc, scheme), "date"));
    if (have == NULL || strcmp(date, have) >= 0) {
        json_object_set_new(fc, scheme,
                            json_pack("{s:O,s:s,s:I,s:O}", "amount",
                                      json_object_get(a->entry, "amount"), "date", date, "index",
                                      (json_int_t)a->index, "id", json_object_get(a->entry, "id")));
        rc = pb_state_put(a->state, key, agg, err);
    }
    json_decref(agg);
    return rc;
}

/* ---- virement ------------------------------------------------------------- */

static int
check_virement(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",    "type", "id",     "ledger", "created", "pool",
                                          "from", "to",   "amount", "date",   "reason",  NULL};
    static const char *const required[] = {"pool", "from", "to", NULL};
    int rc = check_money_common(entry, allowed, 1, err);
    if (rc == PB_OK) {
        rc = require_strings(entry, required, err);
    }
    if (rc == PB_OK && strcmp(json_string_value(json_object_get(entry, "from")),
                              json_string_value(json_object_get(entry, "to"))) == 0) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.to",
                          "a virement moves budget between two "
                          "different schemes");
    }
    return rc;
}

/* DESIGN 5: the host's signatory up to the virement limit; above it every
 * pool signatory (or the approval rule); a key decision always needs the host's. */
static int
validate_virement(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    json_t *ps = NULL;
    const json_t *from = NULL, *to = NULL;
    int rc = entry_pool(a, &ps, err);
    if (rc == PB_OK) {
        rc = pb_pool_check_day(ps, a->day, "$.entry.date", err);
    }
    if (rc == PB_OK) {
        rc = find_scheme(ps, a, "from", &from, err);
    }
    if (rc == PB_OK) {
        rc = find_scheme(ps, a, "to", &to, err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc != PB_OK) {
        json_decref(ps);
        return rc;
    }
    pb_admit_keep(a, ps);
    const json_t *pool = json_object_get(ps, "pool");
    int64_t pence = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    add_needs(pool, needs_of(pool, a->type, pence), rule);
    json_decref(ps);
    return PB_OK;
}

static int
virement_effect(const struct pb_admit *a, const json_t *vir, int sign, pb_error *err)
{
    const char *pool = json_string_value(json_object_get(vir, "pool"));
    char key[PB_ID_BYTES_MAX + 16];
    agg_key(pool, a->day, key, sizeof(key));
    json_t *agg = NULL;
    int rc = agg_load(a->state, key, &agg, err);
    if (rc != PB_OK) {
        return rc;
    }
    int64_t pence = 0;
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(vir, "amount")), &pence, NULL) ==
              PB_OK);
    char amount[PB_MONEY_TEXT_MAX];
    pb_money_format(sign * pence, amount, sizeof(amount));
    json_array_append_new(json_object_get(agg, "vire"),
                          json_pack("{s:s,s:O,s:O,s:s,s:O}", "date",
                                    json_string_value(json_object_get(a->entry, "date")), "from",
                                    json_object_get(vir, "from"), "to", json_object_get(vir, "to"),
                                    "amount", amount, "id", json_object_get(a->entry, "id")));
    rc = pb_state_put(a->state, key, agg, err);
    json_decref(agg);
    return rc;
}

static int
apply_virement(const struct pb_admit *a, pb_error *err)
{
    int rc = virement_effect(a, a->entry, 1, err);
    if (rc == PB_OK) {
        const char *pool = json_string_value(json_object_get(a->entry, "pool"));
        json_t *ps = NULL;
        rc = pb_pool_state(a->state, pool, &ps, err);
        if (rc == PB_OK) {
            rc = put_money_needs(a, ps, err);
        }
        json_decref(ps);
    }
    return rc;
}

/* ---- reversal ------------------------------------------------------------- */

static int
check_reversal(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",      "type", "id",     "ledger", "created",
                                          "target", "date", "reason", NULL};
    static const char *const required[] = {"target", "reason", NULL};
    int rc = check_money_common(entry, allowed, 0, err);
    return rc == PB_OK ? require_strings(entry, required, err) : rc;
}

/* The partner whose finance key signed record first (in the order of its
 * signatures, as admission resolved them), from the keys bound in state: a
 * key's partner and role never change. "?" when none did. */
static int
finance_signer(const struct pb_admit *a, const json_t *record, json_t *m, pb_error *err)
{
    const json_t *sigs = json_object_get(record, "sigs");
    const char *by = "?";
    json_t *bound = NULL;
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(sigs) && strcmp(by, "?") == 0; i++) {
        char skey[PB_KEYID_TEXT_MAX + 8];
        snprintf(skey, sizeof(skey), "key:%s",
                 json_string_value(json_object_get(json_array_get(sigs, i), "key")));
        json_decref(bound);
        bound = NULL;
        rc = pb_state_get(a->state, skey, &bound, err);
        if (rc == PB_OK &&
            (pb_role_bit(json_string_value(json_object_get(bound, "role"))) & PB_ROLE_FINANCE)) {
            by = json_string_value(json_object_get(bound, "partner"));
        }
    }
    if (rc == PB_OK && json_object_set_new(m, "by", json_string(by)) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(bound);
    return rc;
}

/* What a reversal needs of its target, as one new object *m: the target's
 * entry (found through the log's id index), "by" (the partner whose finance
 * key signed it), and from "m:<ID>" what it needed when appended
 * (needs_approval, needs_host_signatory) and the reversal that reversed it
 * (reversed_by). A ledger written before poolbook kept only these in "m:<ID>"
 * holds a full copy of the entry there, with the same three fields. */
static int
target_of(const struct pb_admit *a, const char *target, json_t **m_out, pb_error *err)
{
    static const char *const kinds[] = {"contribution", "expenditure", "virement", "reversal",
                                        NULL};
    json_t *record = NULL;
    uint64_t at = 0;
    int rc = pb_state_record(a->state, target, a->earlier, &record, &at, err);
    json_t *m = json_object_get(json_object_get(record, "entry"), "type") != NULL
                    ? json_deep_copy(json_object_get(record, "entry"))
                    : NULL;
    const char *type = json_string_value(json_object_get(m, "type"));
    int known = 0;
    for (size_t i = 0; type != NULL && kinds[i] != NULL; i++) {
        known |= strcmp(type, kinds[i]) == 0;
    }
    if (rc == PB_ENOTFOUND || (rc == PB_OK && m != NULL && !known)) {
        rc = pb_error_set(err, PB_EREVERSAL, "$.entry.target",
                          "no contribution, expenditure or virement has id \"%s\" (a forecast is "
                          "replaced by a later forecast, not reversed)",
                          target);
    } else if (rc == PB_OK && m == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK && strcmp(type, "contribution") == 0) {
        rc = json_object_set(m, "by", json_object_get(m, "partner")) == 0
                 ? PB_OK
                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    } else if (rc == PB_OK && strcmp(type, "expenditure") == 0) {
        rc = finance_signer(a, record, m, err);
    }
    char key[PB_ID_BYTES_MAX + 8];
    m_key(target, key, sizeof(key));
    json_t *kept = NULL;
    int krc = rc == PB_OK ? pb_state_get(a->state, key, &kept, err) : PB_ENOTFOUND;
    static const char *const fields[] = {"needs_approval", "needs_host_signatory", "reversed_by",
                                         NULL};
    for (size_t i = 0; krc == PB_OK && fields[i] != NULL; i++) {
        json_t *v = json_object_get(kept, fields[i]);
        krc = v == NULL || json_object_set(m, fields[i], v) == 0 ? PB_OK : PB_ENOMEM;
    }
    if (rc == PB_OK && krc != PB_OK && krc != PB_ENOTFOUND) {
        rc = krc == PB_ENOMEM ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : krc;
    }
    json_decref(kept);
    json_decref(record);
    if (rc != PB_OK) {
        json_decref(m);
        return rc;
    }
    *m_out = m;
    return PB_OK;
}

static int
validate_reversal(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *target = json_string_value(json_object_get(a->entry, "target"));
    json_t *m = NULL;
    json_t *ps = NULL;
    int rc = target_of(a, target, &m, err);
    const char *type = json_string_value(json_object_get(m, "type"));
    if (rc == PB_OK && strcmp(type, "reversal") == 0) {
        rc = pb_error_set(err, PB_EREVERSAL, "$.entry.target",
                          "%s is itself a reversal: a reversal cannot be reversed (post the "
                          "entry again instead)",
                          target);
    }
    const char *by_rev = json_string_value(json_object_get(m, "reversed_by"));
    if (rc == PB_OK && by_rev != NULL) {
        rc = pb_error_set(err, PB_EREVERSAL, "$.entry.target", "%s was already reversed by %s",
                          target, by_rev);
    }
    if (rc == PB_OK) {
        rc = pb_pool_state(a->state, json_string_value(json_object_get(m, "pool")), &ps, err);
    }
    if (rc == PB_OK) {
        rc = pb_pool_check_day(ps, a->day, "$.entry.date", err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc == PB_OK) {
        /* DESIGN 5: a reversal needs the signatures its target needed: the
         * finance key of the partner that signed a contribution or spending,
         * and what the target needed besides (docs/entries.md). */
        pb_admit_keep(a, m);
        pb_admit_keep(a, ps);
        const json_t *pool = json_object_get(ps, "pool");
        struct money_needs needs = {json_is_true(json_object_get(m, "needs_approval")),
                                    json_is_true(json_object_get(m, "needs_host_signatory"))};
        if (strcmp(type, "virement") != 0) {
            struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_FINANCE);
            pb_sign_req_partner(req, json_string_value(json_object_get(m, "by")));
            req->min_partners = 1;
        }
        add_needs(pool, needs, rule);
    }
    json_decref(ps);
    json_decref(m);
    return rc;
}

static int
apply_reversal(const struct pb_admit *a, pb_error *err)
{
    const char *target = json_string_value(json_object_get(a->entry, "target"));
    const char *id = json_string_value(json_object_get(a->entry, "id"));
    json_t *m = NULL;
    int rc = target_of(a, target, &m, err);
    if (rc != PB_OK) {
        return rc;
    }
    const char *type = json_string_value(json_object_get(m, "type"));
    const char *pool = json_string_value(json_object_get(m, "pool"));
    int64_t pence = 0;
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(m, "amount")), &pence, NULL) ==
              PB_OK);
    /* The reversal takes effect at its own date (docs/entries.md). */
    if (strcmp(type, "contribution") == 0) {
        rc = agg_add(a, pool, a->day, "received", json_string_value(json_object_get(m, "stream")),
                     -pence, err);
    } else if (strcmp(type, "expenditure") == 0) {
        rc = agg_add(a, pool, a->day, "actual", json_string_value(json_object_get(m, "scheme")),
                     -pence, err);
    } else {
        rc = virement_effect(a, m, -1, err);
    }
    /* The target's row keeps what it needed, and now who reversed it. */
    json_t *row = NULL;
    char key[PB_ID_BYTES_MAX + 8];
    m_key(target, key, sizeof(key));
    if (rc == PB_OK) {
        row = json_pack("{s:s}", "reversed_by", id);
        rc = row != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK && ((json_is_true(json_object_get(m, "needs_approval")) &&
                         json_object_set_new(row, "needs_approval", json_true()) != 0) ||
                        (json_is_true(json_object_get(m, "needs_host_signatory")) &&
                         json_object_set_new(row, "needs_host_signatory", json_true()) != 0))) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_state_put(a->state, key, row, err);
    }
    json_decref(row);
    json_decref(m);
    return rc;
}

/* ---- period.close ------------------------------------------------------------ */

static int
check_close(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",    "type",   "id",   "ledger", "created",
                                          "pool", "period", "date", NULL};
    static const char *const required[] = {"pool", "period", NULL};
    int rc = check_money_common(entry, allowed, 0, err);
    if (rc == PB_OK) {
        rc = require_strings(entry, required, err);
    }
    pb_period p;
    if (rc == PB_OK) {
        rc = pb_period_parse(json_string_value(json_object_get(entry, "period")), &p, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "$.entry.period");
        }
    }
    return rc;
}

static int
period_closed(const json_t *ps, const char *label)
{
    const json_t *closed = json_object_get(ps, "closed");
    for (size_t i = 0; i < json_array_size(closed); i++) {
        if (strcmp(json_string_value(json_array_get(closed, i)), label) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The pool state's "periods": each close and reopen in append order, for
 * reports and verify (docs/entries.md). */
static int
log_period_event(const struct pb_admit *a, json_t *ps, const char *action)
{
    json_t *events = json_object_get(ps, "periods");
    if (events == NULL) {
        events = json_array();
        json_object_set_new(ps, "periods", events);
    }
    char day[PB_DATE_TEXT_MAX];
    pb_date_format(a->day, day, sizeof(day));
    json_t *e = json_pack("{s:O,s:s,s:O,s:I,s:s}", "period", json_object_get(a->entry, "period"),
                          "action", action, "id", json_object_get(a->entry, "id"), "index",
                          (json_int_t)a->index, "date", day);
    if (e != NULL && json_object_get(a->entry, "reason") != NULL) {
        json_object_set(e, "reason", json_object_get(a->entry, "reason"));
    }
    return e != NULL && json_array_append_new(events, e) == 0 ? PB_OK : PB_ENOMEM;
}

static int
validate_close(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    json_t *ps = NULL;
    pb_period p, year;
    int rc = entry_pool(a, &ps, err);
    const json_t *pool = json_object_get(ps, "pool");
    PB_ASSERT(pb_period_parse(json_string_value(json_object_get(a->entry, "period")), &p, NULL) ==
              PB_OK);
    if (rc == PB_OK) {
        PB_ASSERT(pb_period_parse(json_string_value(json_object_get(pool, "year")), &year, NULL) ==
                  PB_OK);
        if (p.year_start != year.year_start) {
            rc = pb_error_set(err, PB_EPERIOD, "$.entry.period",
                              "period %s is not in pool %s's year %s", p.label,
                              json_string_value(json_object_get(pool, "id")), year.label);
        }
    }
    const char *pool_id = json_string_value(json_object_get(pool, "id"));
    if (rc == PB_OK && p.kind == PB_PERIOD_YEAR) {
        /* DESIGN 5: the year is closed by its settlement. */
        rc = pb_error_set(err, PB_EPERIOD, "$.entry.period",
                          "the year %s of pool %s is closed by its settlement (poolbook new "
                          "settlement --pool %s), not by period.close",
                          p.label, pool_id, pool_id);
    }
    if (rc == PB_OK && a->day < p.last_day) {
        /* DESIGN 5: a period is closed on or after its last day. */
        char last[PB_DATE_TEXT_MAX], day[PB_DATE_TEXT_MAX];
        pb_date_format(p.last_day, last, sizeof(last));
        pb_date_format(a->day, day, sizeof(day));
        rc = pb_error_set(err, PB_EPERIOD, "$.entry.date",
                          "period %s of pool %s cannot be closed before its last day, %s (this "
                          "close is dated %s)",
                          p.label, pool_id, last, day);
    }
    if (rc == PB_OK && period_closed(ps, p.label)) {
        rc = pb_error_set(err, PB_EPERIOD_CLOSED, "$.entry.period",
                          "period %s of pool %s is already closed", p.label, pool_id);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc == PB_OK) {
        /* DESIGN 5: the host's finance or signatory key. */
        pb_admit_keep(a, ps);
        struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_FINANCE | PB_ROLE_SIGNATORY);
        pb_sign_req_partner(req, json_string_value(json_object_get(pool, "host")));
        req->min_partners = 1;
    }
    json_decref(ps);
    return rc;
}

static int
apply_close(const struct pb_admit *a, pb_error *err)
{
    json_t *ps = NULL;
    const char *pool = json_string_value(json_object_get(a->entry, "pool"));
    int rc = pb_pool_state(a->state, pool, &ps, err);
    if (rc == PB_OK) {
        json_array_append(json_object_get(ps, "closed"), json_object_get(a->entry, "period"));
        rc = log_period_event(a, ps, "close") == PB_OK
                 ? pb_pool_state_put(a->state, pool, ps, err)
                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(ps);
    return rc;
}

/* ---- period.reopen ----------------------------------------------------------- */

/* DESIGN 5: a closed quarter (or month) reopened in the open, with a reason,
 * by the pool's approval rule; a settled year is not reopened. */
static int
check_reopen(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",    "type",   "id",     "ledger", "created",
                                          "pool", "period", "reason", NULL};
    static const char *const required[] = {"pool", "period", "reason", NULL};
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = require_strings(entry, required, err);
    }
    pb_period p;
    if (rc == PB_OK) {
        rc = pb_period_parse(json_string_value(json_object_get(entry, "period")), &p, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "$.entry.period");
        }
    }
    return rc;
}

static int
validate_reopen(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    json_t *ps = NULL;
    pb_period p;
    int rc = entry_pool(a, &ps, err);
    const json_t *pool = json_object_get(ps, "pool");
    const char *pool_id = json_string_value(json_object_get(pool, "id"));
    PB_ASSERT(pb_period_parse(json_string_value(json_object_get(a->entry, "period")), &p, NULL) ==
              PB_OK);
    if (rc == PB_OK && json_object_get(ps, "settlement") != NULL) {
        rc = pb_error_set(err, PB_EPERIOD_CLOSED, "$.entry.period",
                          "pool %s's year is settled: its periods cannot be reopened", pool_id);
    }
    if (rc == PB_OK && !period_closed(ps, p.label)) {
        rc = pb_error_set(err, PB_EPERIOD, "$.entry.period", "period %s of pool %s is not closed",
                          p.label, pool_id);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc == PB_OK) {
        pb_admit_keep(a, ps);
        pb_pool_approval_rule(pool, rule);
    }
    json_decref(ps);
    return rc;
}

static int
apply_reopen(const struct pb_admit *a, pb_error *err)
{
    json_t *ps = NULL;
    const char *pool = json_string_value(json_object_get(a->entry, "pool"));
    const char *label = json_string_value(json_object_get(a->entry, "period"));
    int rc = pb_pool_state(a->state, pool, &ps, err);
    if (rc == PB_OK) {
        json_t *closed = json_object_get(ps, "closed");
        for (size_t i = json_array_size(closed); i > 0; i--) {
            if (strcmp(json_string_value(json_array_get(closed, i - 1)), label) == 0) {
                json_array_remove(closed, i - 1);
            }
        }
        rc = log_period_event(a, ps, "reopen") == PB_OK
                 ? pb_pool_state_put(a->state, pool, ps, err)
                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(ps);
    return rc;
}

const struct pb_entry_type pb_entry_types_money[] = {
    {"contribution", check_contribution, validate_contribution, apply_contribution},
    {"expenditure", check_expenditure, validate_expenditure, apply_expenditure},
    {"forecast", check_forecast, validate_forecast, apply_forecast},
    {"period.close", check_close, validate_close, apply_close},
    {"period.reopen", check_reopen, validate_reopen, apply_reopen},
    {"reversal", check_reversal, validate_reversal, apply_reversal},
    {"virement", check_virement, validate_virement, apply_virement},
    {NULL, NULL, NULL, NULL},
};
