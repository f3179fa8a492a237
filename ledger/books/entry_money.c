/*
 * entry_money.c — the money entries of DESIGN 5: contribution, expenditure,
 * forecast, virement, reversal and period.close. Each keeps, in the same
 * transaction as the append, a running aggregate per pool and financial month
 * ("agg:<POOL>:<MM>": actual by scheme, received by stream, the latest
 * forecast by scheme, the virements), so a report reads at most twelve
 * aggregates whatever else the ledger holds; and "m:<ID>" per reversible
 * entry, for reversals.
 */
#include "books/books.h"

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

/* Record a reversible entry for a later reversal. */
static int
put_money_index(const struct pb_admit *a, const char *by, pb_error *err)
{
    const char *id = json_string_value(json_object_get(a->entry, "id"));
    json_t *m = json_deep_copy(a->entry);
    json_object_del(m, "v");
    json_object_del(m, "ledger");
    json_object_del(m, "created");
    json_object_set_new(m, "by", json_string(by));
    char key[PB_ID_BYTES_MAX + 8];
    snprintf(key, sizeof(key), "m:%s", id);
    int rc = pb_state_put(a->state, key, m, err);
    json_decref(m);
    return rc;
}

/* The partner of the first signer with one of roles, else fallback. */
static const char *
first_signer(const struct pb_admit *a, unsigned roles, const char *fallback)
{
    for (size_t i = 0; i < a->signer_count; i++) {
        if ((a->signers[i].role & roles) != 0) {
            return a->signers[i].partner;
        }
    }
    return fallback;
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
    if (rc == PB_OK) {
        rc = put_money_index(a, json_string_value(json_object_get(a->entry, "partner")), err);
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
    int64_t pence = 0, threshold = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(pool, "key_decision_threshold")),
                             &threshold, NULL) == PB_OK);
    if (key_decision && threshold > 0 && pence >= threshold) {
        struct pb_sign_req *host_req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
        pb_sign_req_partner(host_req, host);
        host_req->min_partners = 1;
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
    if (rc == PB_OK) {
        rc = put_money_index(a, first_signer(a, PB_ROLE_FINANCE, "?"), err);
    }
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
    const char *host = json_string_value(json_object_get(pool, "host"));
    int64_t pence = 0, limit = 0, threshold = 0;
    PB_ASSERT(amount_of(a, &pence) == PB_OK);
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(pool, "virement_limit")), &limit,
                             NULL) == PB_OK);
    PB_ASSERT(pb_money_parse(json_string_value(json_object_get(pool, "key_decision_threshold")),
                             &threshold, NULL) == PB_OK);
    if (pence > limit) {
        pb_pool_approval_rule(pool, rule);
    }
    if (pence <= limit || (threshold > 0 && pence >= threshold)) {
        struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
        pb_sign_req_partner(req, host);
        req->min_partners = 1;
    }
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
            const char *host =
                json_string_value(json_object_get(json_object_get(ps, "pool"), "host"));
            rc = put_money_index(a, host, err);
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

static int
target_of(const struct pb_admit *a, const char *target, json_t **m, pb_error *err)
{
    char key[PB_ID_BYTES_MAX + 8];
    snprintf(key, sizeof(key), "m:%s", target);
    int rc = pb_state_get(a->state, key, m, err);
    if (rc == PB_ENOTFOUND) {
        return pb_error_set(err, PB_EREVERSAL, "$.entry.target",
                            "no contribution, expenditure or virement has id \"%s\" (a forecast is "
                            "replaced by a later forecast, not reversed)",
                            target);
    }
    return rc;
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
        /* DESIGN 5: the finance key of the partner that signed the original. */
        pb_admit_keep(a, m);
        struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_FINANCE);
        pb_sign_req_partner(req, json_string_value(json_object_get(m, "by")));
        req->min_partners = 1;
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
    char key[PB_ID_BYTES_MAX + 8];
    if (rc == PB_OK) {
        json_object_set_new(m, "reversed_by", json_string(id));
        snprintf(key, sizeof(key), "m:%s", target);
        rc = pb_state_put(a->state, key, m, err);
    }
    if (rc == PB_OK) {
        json_t *self =
            json_pack("{s:s,s:s,s:s}", "type", "reversal", "target", target, "pool", pool);
        snprintf(key, sizeof(key), "m:%s", id);
        rc = pb_state_put(a->state, key, self, err);
        json_decref(self);
    }
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
    const json_t *closed = json_object_get(ps, "closed");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(closed); i++) {
        if (strcmp(json_string_value(json_array_get(closed, i)), p.label) == 0) {
            rc = pb_error_set(err, PB_EPERIOD_CLOSED, "$.entry.period",
                              "period %s of pool %s is already closed", p.label,
                              json_string_value(json_object_get(pool, "id")));
        }
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
        rc = pb_pool_state_put(a->state, pool, ps, err);
    }
    json_decref(ps);
    return rc;
}

const struct pb_entry_type pb_entry_types_money[] = {
    {"contribution", check_contribution, validate_contribution, apply_contribution},
    {"expenditure", check_expenditure, validate_expenditure, apply_expenditure},
    {"forecast", check_forecast, validate_forecast, apply_forecast},
    {"period.close", check_close, validate_close, apply_close},
    {"reversal", check_reversal, validate_reversal, apply_reversal},
    {"virement", check_virement, validate_virement, apply_virement},
    {NULL, NULL, NULL, NULL},
};
