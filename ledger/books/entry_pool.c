/*
 * entry_pool.c — pool agreements and their variations (DESIGN 5): a pool's
 * partners, host, funding streams with payer and planned contribution,
 * schemes with lead commissioner, budget and class, its risk-share policy
 * (kept as JSON until the policy engine), virement limit, key-decision
 * threshold and approval rule. The state "pool:<ID>" holds the agreed pool,
 * its versions (budgets and planned contributions, by effective date) and its
 * closed periods.
 */
#include "books/books.h"

#include <string.h>

static const char *const pool_kinds[] = {"bcf", "s75-pooled", "aligned", NULL};
static const char *const scheme_classes[] = {"revenue", "capital", NULL};

static int
in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

int
pb_field_money(const json_t *obj, const char *name, const char *path, int positive,
               int64_t *pence_out, pb_error *err)
{
    const char *text;
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.%s", path, name);
    int rc = pb_field_string(obj, name, path, PB_MONEY_TEXT_MAX, &text, err);
    if (rc == PB_OK) {
        rc = pb_money_parse(text, pence_out, err);
        if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
            snprintf(err->where, sizeof(err->where), "%s", where);
        }
    }
    if (rc == PB_OK && positive && *pence_out == 0) {
        rc = pb_error_set(err, PB_EAMOUNT_ZERO, where, "%s is zero: an amount is never zero", name);
    }
    if (rc == PB_OK && positive && *pence_out < 0) {
        rc = pb_error_set(err, PB_EAMOUNT, where,
                          "%s %s is negative: correct an entry with a reversal", name, text);
    }
    return rc;
}

int
pb_field_optional_text(const json_t *obj, const char *name, const char *path, pb_error *err)
{
    const char *text;
    if (json_object_get(obj, name) == NULL) {
        return PB_OK;
    }
    return pb_field_string(obj, name, path, PB_TEXT_BYTES_MAX, &text, err);
}

/* An id field following the entry id rule. */
static int
field_id(const json_t *obj, const char *name, const char *path, const char **out, pb_error *err)
{
    int rc = pb_field_string(obj, name, path, PB_ID_BYTES_MAX + 1, out, err);
    if (rc == PB_OK) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s.%s", path, name);
        rc = pb_field_check_id(*out, where, err);
    }
    return rc;
}

static int
check_partner_list(const json_t *pool, const char *path, pb_error *err)
{
    const json_t *partners = json_object_get(pool, "partners");
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.partners", path);
    if (!json_is_array(partners) || json_array_size(partners) == 0 ||
        json_array_size(partners) > PB_PARTNERS_MAX) {
        return pb_error_set(err, PB_EFIELD, where, "partners must list 1 to %d partner ids",
                            PB_PARTNERS_MAX);
    }
    for (size_t i = 0; i < json_array_size(partners); i++) {
        const char *p = json_string_value(json_array_get(partners, i));
        snprintf(where, sizeof(where), "%s.partners[%zu]", path, i);
        if (p == NULL || pb_field_check_id(p, where, err) != PB_OK) {
            return pb_error_set(err, PB_EFIELD, where, "a partner id must be a string");
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p, json_string_value(json_array_get(partners, j))) == 0) {
                return pb_error_set(err, PB_EPARTNER, where, "partner %s is listed twice", p);
            }
        }
    }
    return PB_OK;
}

int
pb_pool_has_partner(const json_t *pool, const char *partner)
{
    const json_t *partners = json_object_get(pool, "partners");
    for (size_t i = 0; i < json_array_size(partners); i++) {
        if (strcmp(json_string_value(json_array_get(partners, i)), partner) == 0) {
            return 1;
        }
    }
    return 0;
}

int
pb_pool_check_partner(const json_t *pool, const char *partner, const char *where, pb_error *err)
{
    if (pb_pool_has_partner(pool, partner)) {
        return PB_OK;
    }
    char list[PB_PARTNERS_MAX * (PB_ID_BYTES_MAX + 2)];
    size_t used = 0;
    const json_t *partners = json_object_get(pool, "partners");
    list[0] = '\0';
    for (size_t i = 0; i < json_array_size(partners); i++) {
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "",
                         json_string_value(json_array_get(partners, i)));
        used += n > 0 && (size_t)n < sizeof(list) - used ? (size_t)n : 0;
    }
    return pb_error_set(err, PB_EPARTNER, where, "%s is not a partner of pool %s; partners: %s",
                        partner, json_string_value(json_object_get(pool, "id")), list);
}

const json_t *
pb_pool_find(const json_t *pool, const char *array, const char *id)
{
    const json_t *items = json_object_get(pool, array);
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *item = json_array_get(items, i);
        const char *v = json_string_value(json_object_get(item, "id"));
        if (v != NULL && strcmp(v, id) == 0) {
            return item;
        }
    }
    return NULL;
}

/* Streams or schemes: ids unique, party (payer or lead) a pool partner, the
 * amount (planned or budget) non-negative; *sum_out their total. */
static int
check_items(const json_t *pool, const char *array, const char *party, const char *amount,
            const char *path, int64_t *sum_out, pb_error *err)
{
    static const char *const stream_fields[] = {"id",      "name",     "payer",
                                                "planned", "schedule", NULL};
    static const char *const scheme_fields[] = {"id",   "name",         "lead",     "budget",
                                                "class", "type",        "commissioner",
                                                "provider", "funding",  NULL};
    int schemes = strcmp(array, "schemes") == 0;
    const json_t *items = json_object_get(pool, array);
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.%s", path, array);
    if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 256) {
        return pb_error_set(err, PB_EFIELD, where, "%s must list 1 to 256 items", array);
    }
    int64_t sum = 0;
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        snprintf(where, sizeof(where), "%s.%s[%zu]", path, array, i);
        const char *id, *name, *who, *cls;
        int64_t pence = 0;
        rc = json_is_object(it) ? PB_OK : pb_error_set(err, PB_EFIELD, where, "must be an object");
        if (rc == PB_OK) {
            rc = pb_field_allowed(it, schemes ? scheme_fields : stream_fields, where, err);
        }
        if (rc == PB_OK) {
            rc = field_id(it, "id", where, &id, err);
        }
        if (rc == PB_OK && pb_json_array_has(items, i, "id", id)) {
            rc = pb_error_set(err, PB_EPOOL, where, "%s id %s is used twice", array, id);
        }
        if (rc == PB_OK) {
            rc = pb_field_string(it, "name", where, PB_TEXT_BYTES_MAX, &name, err);
        }
        if (rc == PB_OK) {
            rc = pb_field_string(it, party, where, PB_ID_BYTES_MAX, &who, err);
        }
        if (rc == PB_OK && !pb_pool_has_partner(pool, who)) {
            rc = pb_error_set(err, PB_EPARTNER, where, "%s %s is not a partner of the pool", party,
                              who);
        }
        if (rc == PB_OK) {
            rc = pb_field_money(it, amount, where, 0, &pence, err);
        }
        if (rc == PB_OK && pence < 0) {
            rc = pb_error_set(err, PB_EAMOUNT, where, "%s must not be negative", amount);
        }
        /* The BCF return's optional scheme fields (docs/entries.md): free text. */
        for (size_t k = 0; schemes && rc == PB_OK && k < 4; k++) {
            static const char *const optional[] = {"type", "commissioner", "provider", "funding"};
            rc = pb_field_optional_text(it, optional[k], where, err);
        }
        if (rc == PB_OK && schemes) {
            rc = pb_field_string(it, "class", where, 16, &cls, err);
            if (rc == PB_OK && !in_list(scheme_classes, cls)) {
                rc = pb_error_set(err, PB_EFIELD, where, "class \"%s\" is not revenue or capital",
                                  cls);
            }
        }
        if (rc == PB_OK) {
            rc = pb_money_add(sum, pence, &sum, err);
        }
    }
    *sum_out = sum;
    return rc;
}

/* One dated instalment of a schedule: a date in the pool's year and an
 * amount above zero. */
static int
check_instalment(const json_t *it, const char *where, const pb_period *year, int64_t *pence_out,
                 pb_error *err)
{
    static const char *const fields[] = {"date", "amount", NULL};
    int32_t day = 0;
    int rc = json_is_object(it) ? PB_OK
                                : pb_error_set(err, PB_EFIELD, where,
                                               "an instalment is {\"date\": DATE, \"amount\": AMOUNT}");
    rc = rc == PB_OK ? pb_field_allowed(it, fields, where, err) : rc;
    rc = rc == PB_OK ? pb_field_date(it, "date", where, &day, err) : rc;
    if (rc == PB_OK && (day < year->first_day || day > year->last_day)) {
        rc = pb_error_set(err, PB_EPERIOD, where, "instalment dated %s is outside the pool's year %s",
                          json_string_value(json_object_get(it, "date")), year->label);
    }
    return rc == PB_OK ? pb_field_money(it, "amount", where, 1, pence_out, err) : rc;
}

/* A stream's optional contribution schedule (docs/entries.md): "monthly",
 * "quarterly" (equal instalments due at each month's or quarter's end), or
 * 1 to PB_SCHEDULE_INSTALMENTS_MAX dated instalments in the pool's year that
 * add up to the stream's planned contribution. */
static int
check_schedule(const json_t *stream, const char *path, const pb_period *year, pb_error *err)
{
    const json_t *sch = json_object_get(stream, "schedule");
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.schedule", path);
    if (sch == NULL || (json_is_string(sch) && (strcmp(json_string_value(sch), "monthly") == 0 ||
                                                 strcmp(json_string_value(sch), "quarterly") == 0))) {
        return PB_OK;
    }
    if (!json_is_array(sch) || json_array_size(sch) == 0 ||
        json_array_size(sch) > PB_SCHEDULE_INSTALMENTS_MAX) {
        return pb_error_set(err, PB_EFIELD, where,
                            "schedule must be \"monthly\", \"quarterly\" or 1 to %d dated "
                            "instalments",
                            PB_SCHEDULE_INSTALMENTS_MAX);
    }
    int64_t sum = 0, pence = 0;
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(sch); i++) {
        char at[PB_ERROR_WHERE_MAX];
        snprintf(at, sizeof(at), "%s.schedule[%zu]", path, i);
        rc = check_instalment(json_array_get(sch, i), at, year, &pence, err);
        rc = rc == PB_OK ? pb_money_add(sum, pence, &sum, err) : rc;
    }
    int64_t planned = pb_money_of_json(json_object_get(stream, "planned"));
    if (rc == PB_OK && sum != planned) {
        char a[PB_MONEY_TEXT_MAX], b[PB_MONEY_TEXT_MAX];
        pb_money_format_display(sum, a, sizeof(a));
        pb_money_format_display(planned, b, sizeof(b));
        rc = pb_error_set(err, PB_EUNBALANCED, where,
                          "instalments add up to %s, not the planned contribution %s", a, b);
    }
    return rc;
}

static int
check_schedules(const json_t *pool, const char *path, const pb_period *year, pb_error *err)
{
    const json_t *streams = json_object_get(pool, "streams");
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(streams); i++) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s.streams[%zu]", path, i);
        rc = check_schedule(json_array_get(streams, i), where, year, err);
    }
    return rc;
}

/* The optional RAG thresholds of scheme variances (docs/entries.md):
 * {"amber_bp": 100, "red_bp": 300}, whole basis points of the budget,
 * 1 <= amber_bp < red_bp <= 1000000. */
static int
check_rag(const json_t *pool, const char *path, pb_error *err)
{
    static const char *const fields[] = {"amber_bp", "red_bp", NULL};
    const json_t *rag = json_object_get(pool, "rag");
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.rag", path);
    if (rag == NULL) {
        return PB_OK;
    }
    int rc = json_is_object(rag) ? pb_field_allowed(rag, fields, where, err)
                                 : pb_error_set(err, PB_EFIELD, where, "rag must be an object");
    const json_t *amber = json_object_get(rag, "amber_bp");
    const json_t *red = json_object_get(rag, "red_bp");
    if (rc == PB_OK && (!json_is_integer(amber) || !json_is_integer(red) ||
                        json_integer_value(amber) < 1 ||
                        json_integer_value(red) <= json_integer_value(amber) ||
                        json_integer_value(red) > 1000000)) {
        rc = pb_error_set(err, PB_EFIELD, where,
                          "rag must be {\"amber_bp\": A, \"red_bp\": R}, whole basis points with "
                          "1 <= A < R <= 1000000");
    }
    return rc;
}

/* An approval percent "1".."100": digits only, no sign, space or leading
 * zero, so one threshold has one spelling. The number, or 0 for anything
 * else. */
static size_t
approval_percent(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 3 || text[0] == '0' || strspn(text, "0123456789") != len) {
        return 0;
    }
    size_t value = 0;
    for (size_t i = 0; i < len; i++) {
        value = value * 10 + (size_t)(text[i] - '0');
    }
    return value <= 100 ? value : 0;
}

static int
check_approval(const json_t *pool, const char *path, pb_error *err)
{
    const json_t *ap = json_object_get(pool, "approval");
    char where[PB_ERROR_WHERE_MAX];
    snprintf(where, sizeof(where), "%s.approval", path);
    if (ap == NULL) {
        return PB_OK;
    }
    const char *pct = json_string_value(json_object_get(ap, "percent"));
    const json_t *names = json_object_get(ap, "partners");
    if (json_object_size(ap) == 1 && pct != NULL) {
        if (approval_percent(pct) == 0) {
            return pb_error_set(err, PB_EFIELD, where, "percent must be a whole number 1 to 100");
        }
        return PB_OK;
    }
    if (json_object_size(ap) == 1 && json_is_array(names) && json_array_size(names) > 0) {
        for (size_t i = 0; i < json_array_size(names); i++) {
            const char *p = json_string_value(json_array_get(names, i));
            if (p == NULL || !pb_pool_has_partner(pool, p)) {
                return pb_error_set(err, PB_EPARTNER, where,
                                    "approval partner %s is not a partner of the pool",
                                    p != NULL ? p : "?");
            }
        }
        return PB_OK;
    }
    return pb_error_set(err, PB_EFIELD, where,
                        "approval must be {\"percent\": \"75\"} or {\"partners\": [...]}");
}

static int
check_term(const json_t *pool, const char *path, pb_period *year, pb_error *err)
{
    char where[PB_ERROR_WHERE_MAX];
    const char *label;
    snprintf(where, sizeof(where), "%s.year", path);
    int rc = pb_field_string(pool, "year", path, 16, &label, err);
    if (rc == PB_OK &&
        (pb_period_parse(label, year, NULL) != PB_OK || year->kind != PB_PERIOD_YEAR)) {
        rc = pb_error_set(err, PB_EPERIOD, where,
                          "year \"%s\" is not a financial year like 2024/25", label);
    }
    snprintf(where, sizeof(where), "%s.term", path);
    const json_t *term = json_object_get(pool, "term");
    int32_t start = 0, end = 0;
    if (rc == PB_OK && !json_is_object(term)) {
        rc = pb_error_set(err, PB_EFIELD, where, "term must be {\"start\": DATE, \"end\": DATE}");
    }
    if (rc == PB_OK) {
        rc = pb_field_date(term, "start", where, &start, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_date(term, "end", where, &end, err);
    }
    if (rc == PB_OK && end < start) {
        rc = pb_error_set(err, PB_EFIELD, where, "term ends before it starts");
    }
    return rc;
}

/* DESIGN 6: the pool's policy in the policy language; the error's path is
 * given under the pool's ("$.entry.pool.policy.overspend.split"). */
static int
check_policy(const json_t *pool, const char *path, pb_error *err)
{
    pb_error local;
    pb_error_init(&local);
    int rc = pb_policy_check(json_object_get(pool, "policy"), &local);
    if (rc != PB_OK) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s.policy%s", path,
                 local.where[0] == '$' ? local.where + 1 : local.where);
        pb_error_set(err, rc, where, "%s", local.text);
    }
    return rc;
}

/* The whole pool object, as agreed or as varied. */
static int
check_pool_object(const json_t *pool, const char *path, pb_error *err)
{
    static const char *const fields[] = {
        "id",       "name",    "kind",    "year",   "term",           "host",
        "partners", "streams", "schemes", "policy", "virement_limit", "key_decision_threshold",
        "approval", "rag",     NULL};
    const char *id, *name, *kind, *host;
    int64_t planned = 0, budgets = 0, limit = 0, threshold = 0;
    pb_period year;
    if (!json_is_object(pool)) {
        return pb_error_set(err, PB_EFIELD, path, "pool must be an object");
    }
    int rc = pb_field_allowed(pool, fields, path, err);
    if (rc == PB_OK) {
        rc = field_id(pool, "id", path, &id, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(pool, "name", path, PB_TEXT_BYTES_MAX, &name, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(pool, "kind", path, 16, &kind, err);
        if (rc == PB_OK && !in_list(pool_kinds, kind)) {
            rc = pb_error_set(err, PB_EFIELD, path, "kind \"%s\" is not bcf, s75-pooled or aligned",
                              kind);
        }
    }
    if (rc == PB_OK) {
        rc = check_term(pool, path, &year, err);
    }
    if (rc == PB_OK) {
        rc = check_partner_list(pool, path, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_string(pool, "host", path, PB_ID_BYTES_MAX, &host, err);
        if (rc == PB_OK && !pb_pool_has_partner(pool, host)) {
            rc = pb_error_set(err, PB_EPARTNER, path, "host %s is not a partner of the pool", host);
        }
    }
    if (rc == PB_OK) {
        rc = check_items(pool, "streams", "payer", "planned", path, &planned, err);
    }
    if (rc == PB_OK) {
        rc = check_schedules(pool, path, &year, err);
    }
    if (rc == PB_OK) {
        rc = check_items(pool, "schemes", "lead", "budget", path, &budgets, err);
    }
    if (rc == PB_OK && !json_is_object(json_object_get(pool, "policy"))) {
        rc = pb_error_set(err, PB_EFIELD, path, "policy must be an object (DESIGN 6)");
    }
    if (rc == PB_OK) {
        rc = check_policy(pool, path, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_money(pool, "virement_limit", path, 0, &limit, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_money(pool, "key_decision_threshold", path, 0, &threshold, err);
    }
    if (rc == PB_OK) {
        rc = check_approval(pool, path, err);
    }
    if (rc == PB_OK) {
        rc = check_rag(pool, path, err);
    }
    if (rc == PB_OK && planned != budgets) {
        /* DESIGN 5: planned contributions equal the sum of scheme budgets. */
        char p[PB_MONEY_TEXT_MAX], b[PB_MONEY_TEXT_MAX];
        pb_money_format_display(planned, p, sizeof(p));
        pb_money_format_display(budgets, b, sizeof(b));
        rc = pb_error_set(err, PB_EUNBALANCED, path,
                          "planned contributions %s do not equal scheme budgets %s", p, b);
    }
    return rc;
}

/* ---- pool state ---------------------------------------------------------- */

int
pb_pool_state(const pb_state *state, const char *pool_id, json_t **out, pb_error *err)
{
    char key[PB_ID_BYTES_MAX + 8];
    snprintf(key, sizeof(key), "pool:%s", pool_id);
    int rc = pb_state_get(state, key, out, err);
    if (rc == PB_ENOTFOUND) {
        return pb_error_set(err, PB_EPOOL, "$.entry.pool",
                            "no pool \"%s\" is agreed in this ledger", pool_id);
    }
    return rc;
}

int
pb_pool_state_put(const pb_state *state, const char *pool_id, const json_t *value, pb_error *err)
{
    char key[PB_ID_BYTES_MAX + 8];
    snprintf(key, sizeof(key), "pool:%s", pool_id);
    return pb_state_put(state, key, value, err);
}

static int
closed_has(const json_t *closed, const char *label)
{
    for (size_t i = 0; i < json_array_size(closed); i++) {
        if (strcmp(json_string_value(json_array_get(closed, i)), label) == 0) {
            return 1;
        }
    }
    return 0;
}

int
pb_pool_check_day(const json_t *pool_state, int32_t day, const char *where, pb_error *err)
{
    const json_t *pool = json_object_get(pool_state, "pool");
    const char *id = json_string_value(json_object_get(pool, "id"));
    const json_t *term = json_object_get(pool, "term");
    pb_period year;
    int32_t start = 0, end = 0;
    char text[PB_DATE_TEXT_MAX];
    pb_date_format(day, text, sizeof(text));
    PB_ASSERT(pb_period_parse(json_string_value(json_object_get(pool, "year")), &year, NULL) ==
              PB_OK);
    PB_ASSERT(pb_date_parse(json_string_value(json_object_get(term, "start")), &start, NULL) ==
              PB_OK);
    PB_ASSERT(pb_date_parse(json_string_value(json_object_get(term, "end")), &end, NULL) == PB_OK);
    if (day < year.first_day || day > year.last_day || day < start || day > end) {
        return pb_error_set(err, PB_EPERIOD, where,
                            "date %s is outside pool %s's year %s and term %s to %s", text, id,
                            year.label, json_string_value(json_object_get(term, "start")),
                            json_string_value(json_object_get(term, "end")));
    }
    /* DESIGN 5: an entry dated in a closed period is refused, with the period named. */
    const json_t *closed = json_object_get(pool_state, "closed");
    static const int kinds[] = {PB_PERIOD_MONTH, PB_PERIOD_QUARTER, PB_PERIOD_YEAR};
    for (size_t k = 0; k < 3; k++) {
        pb_period p;
        PB_ASSERT(pb_period_of_day(day, kinds[k], &p, NULL) == PB_OK);
        if (closed_has(closed, p.label)) {
            return pb_error_set(err, PB_EPERIOD_CLOSED, where,
                                "period %s of pool %s is closed (entry dated %s)", p.label, id,
                                text);
        }
    }
    return PB_OK;
}

void
pb_pool_approval_rule(const json_t *pool, struct pb_sign_rule *rule)
{
    const json_t *ap = json_object_get(pool, "approval");
    const json_t *partners = json_object_get(pool, "partners");
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
    const json_t *names = json_object_get(ap, "partners");
    if (json_is_array(names)) {
        for (size_t i = 0; i < json_array_size(names); i++) {
            pb_sign_req_partner(req, json_string_value(json_array_get(names, i)));
        }
        req->min_partners = req->partner_count;
        return;
    }
    for (size_t i = 0; i < json_array_size(partners); i++) {
        pb_sign_req_partner(req, json_string_value(json_array_get(partners, i)));
    }
    req->min_partners = req->partner_count;
    const char *pct = json_string_value(json_object_get(ap, "percent"));
    if (pct != NULL) {
        /* DESIGN 5: at least P% of the pool's partners, rounded up. */
        size_t n = req->partner_count;
        size_t p = approval_percent(pct);
        PB_ASSERT(p >= 1 && p <= 100); /* checked when the pool was agreed */
        req->min_partners = (n * p + 99) / 100;
    }
}

const json_t *
pb_pool_version_at(const json_t *versions, const char *day)
{
    const json_t *best = json_array_get(versions, 0);
    for (size_t i = 1; i < json_array_size(versions); i++) {
        const json_t *v = json_array_get(versions, i);
        const char *d = json_string_value(json_object_get(v, "date"));
        if (strcmp(d, day) <= 0 &&
            strcmp(d, json_string_value(json_object_get(best, "date"))) >= 0) {
            best = v;
        }
    }
    return best;
}

/* A version: the budgets and planned contributions from a date. Its
 * "budgets_from" is the date its budgets were set, from which virements
 * count (pb_pool_version_at, report.c). */
static json_t *
make_version(const json_t *pool, const char *date, uint64_t index)
{
    json_t *budgets = json_object();
    json_t *planned = json_object();
    json_t *schedules = json_object();
    const json_t *schemes = json_object_get(pool, "schemes");
    const json_t *streams = json_object_get(pool, "streams");
    for (size_t i = 0; i < json_array_size(schemes); i++) {
        const json_t *s = json_array_get(schemes, i);
        json_object_set(budgets, json_string_value(json_object_get(s, "id")),
                        json_object_get(s, "budget"));
    }
    for (size_t i = 0; i < json_array_size(streams); i++) {
        const json_t *s = json_array_get(streams, i);
        json_object_set(planned, json_string_value(json_object_get(s, "id")),
                        json_object_get(s, "planned"));
        if (json_object_get(s, "schedule") != NULL) {
            json_object_set(schedules, json_string_value(json_object_get(s, "id")),
                            json_object_get(s, "schedule"));
        }
    }
    /* The policy too: a variation may change it, and a period is apportioned
     * under the policy in force at its end (DESIGN 6). The contribution
     * schedules say what is due by a date (report.c). */
    json_t *version = json_pack("{s:s,s:s,s:I,s:o,s:o,s:O,s:o}", "date", date, "budgets_from",
                                date, "index", (json_int_t)index, "budgets", budgets, "planned",
                                planned, "policy", json_object_get(pool, "policy"), "schedules",
                                schedules);
    if (version != NULL && json_object_get(pool, "rag") != NULL) {
        json_object_set(version, "rag", json_object_get(pool, "rag"));
    }
    return version;
}

static int
partners_exist(const pb_state *state, const json_t *pool, pb_error *err)
{
    const json_t *partners = json_object_get(pool, "partners");
    for (size_t i = 0; i < json_array_size(partners); i++) {
        const char *p = json_string_value(json_array_get(partners, i));
        char key[PB_ID_BYTES_MAX + 16];
        snprintf(key, sizeof(key), "partner:%s", p);
        json_t *v = NULL;
        int rc = pb_state_get(state, key, &v, err);
        json_decref(v);
        if (rc == PB_ENOTFOUND) {
            char where[64];
            snprintf(where, sizeof(where), "$.entry.pool.partners[%zu]", i);
            return pb_error_set(err, PB_EPARTNER, where, "partner %s is not in this ledger", p);
        }
        if (rc != PB_OK) {
            return rc;
        }
    }
    return PB_OK;
}

/* ---- pool.agree ----------------------------------------------------------- */

static int
check_agree(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v", "type", "id", "ledger", "created", "pool", NULL};
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = check_pool_object(json_object_get(entry, "pool"), "$.entry.pool", err);
    }
    return rc;
}

static int
validate_agree(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const json_t *pool = json_object_get(a->entry, "pool");
    const char *id = json_string_value(json_object_get(pool, "id"));
    json_t *existing = NULL;
    pb_error local;
    pb_error_init(&local);
    int rc = pb_pool_state(a->state, id, &existing, &local);
    json_decref(existing);
    if (rc == PB_OK) {
        return pb_error_set(err, PB_EPOOL, "$.entry.pool.id", "pool %s is already agreed", id);
    }
    if (rc != PB_EPOOL) {
        return pb_error_set(err, rc, NULL, "%s", local.text);
    }
    rc = partners_exist(a->state, pool, err);
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    /* DESIGN 5: pool.agree always needs every partner's signatory. */
    struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
    const json_t *partners = json_object_get(pool, "partners");
    for (size_t i = 0; i < json_array_size(partners); i++) {
        pb_sign_req_partner(req, json_string_value(json_array_get(partners, i)));
    }
    req->min_partners = req->partner_count;
    return rc;
}

static int
apply_agree(const struct pb_admit *a, pb_error *err)
{
    const json_t *pool = json_object_get(a->entry, "pool");
    const char *start = json_string_value(json_object_get(json_object_get(pool, "term"), "start"));
    json_t *state = json_pack("{s:O,s:[o],s:[]}", "pool", pool, "versions",
                              make_version(pool, start, a->index), "closed");
    if (state == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int rc =
        pb_pool_state_put(a->state, json_string_value(json_object_get(pool, "id")), state, err);
    json_decref(state);
    /* "pools": every pool id in order of agreement, for partner.succeed. */
    json_t *ids = NULL;
    if (rc == PB_OK) {
        rc = pb_state_get(a->state, "pools", &ids, err);
        if (rc == PB_ENOTFOUND) {
            ids = json_array();
            rc = PB_OK;
        }
    }
    if (rc == PB_OK) {
        json_array_append(ids, json_object_get(pool, "id"));
        rc = pb_state_put(a->state, "pools", ids, err);
    }
    json_decref(ids);
    return rc;
}

/* ---- pool.vary ------------------------------------------------------------ */

static const char *const vary_settable[] = {
    "name",     "term", "streams", "schemes", "policy", "virement_limit", "key_decision_threshold",
    "approval", "rag",  NULL};

static int
check_vary(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",    "type", "id",  "ledger", "created",
                                          "pool", "date", "set", "reason", NULL};
    const char *pool;
    int32_t day;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = field_id(entry, "pool", "$.entry", &pool, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_date(entry, "date", "$.entry", &day, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_optional_text(entry, "reason", "$.entry", err);
    }
    const json_t *set = json_object_get(entry, "set");
    if (rc == PB_OK && (!json_is_object(set) || json_object_size(set) == 0)) {
        rc = pb_error_set(err, PB_EFIELD, "$.entry.set", "set must be an object of what changes");
    }
    if (rc == PB_OK) {
        rc = pb_field_allowed(set, vary_settable, "$.entry.set", err);
    }
    return rc;
}

/* The pool as it would be after the variation: a new reference. */
static json_t *
varied_pool(const json_t *pool, const json_t *set)
{
    json_t *next = json_deep_copy(pool);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)set, key, value)
    {
        json_object_set(next, key, value);
    }
    return next;
}

/* The money of the year under item (a scheme: "actual", a stream:
 * "received") from the monthly aggregates (entry_money.c); *used_out is set
 * when any entry of the year names it (spending, receipts, forecasts,
 * virements, reversals). */
static int
item_in_year(const pb_state *state, const char *pool_id, const char *part, const char *item,
             int *used_out, int64_t *amount_out, pb_error *err)
{
    *used_out = 0;
    *amount_out = 0;
    int rc = PB_OK;
    for (int m = 1; m <= 12 && rc == PB_OK; m++) {
        char key[PB_ID_BYTES_MAX + 16];
        snprintf(key, sizeof(key), "agg:%s:%02d", pool_id, m);
        json_t *agg = NULL;
        rc = pb_state_get(state, key, &agg, err);
        if (rc == PB_ENOTFOUND) {
            rc = PB_OK;
            continue;
        }
        const json_t *v = json_object_get(json_object_get(agg, part), item);
        if (rc == PB_OK && v != NULL) {
            *used_out = 1;
            rc = pb_money_add(*amount_out, pb_money_of_json(v), amount_out, err);
        }
        *used_out |= json_object_get(json_object_get(agg, "fc"), item) != NULL;
        const json_t *vire = json_object_get(agg, "vire");
        for (size_t i = 0; i < json_array_size(vire); i++) {
            const json_t *e = json_array_get(vire, i);
            *used_out |= strcmp(json_string_value(json_object_get(e, "from")), item) == 0 ||
                         strcmp(json_string_value(json_object_get(e, "to")), item) == 0;
        }
        json_decref(agg);
    }
    return rc;
}

/* DESIGN 5: a variation cannot remove a scheme or stream that has entries in
 * the year; its budget (or planned contribution) is set to 0.00 instead. */
static int
check_nothing_removed(const pb_state *state, const json_t *pool, const json_t *next, pb_error *err)
{
    static const struct {
        const char *array, *part, *what, *money, *field;
    } kinds[] = {{"schemes", "actual", "scheme", "spent", "budget"},
                 {"streams", "received", "stream", "received", "planned contribution"}};
    const char *pool_id = json_string_value(json_object_get(pool, "id"));
    const char *year = json_string_value(json_object_get(pool, "year"));
    for (size_t k = 0; k < 2; k++) {
        const json_t *was = json_object_get(pool, kinds[k].array);
        for (size_t i = 0; i < json_array_size(was); i++) {
            const char *item = json_string_value(json_object_get(json_array_get(was, i), "id"));
            if (pb_pool_find(next, kinds[k].array, item) != NULL) {
                continue;
            }
            int used = 0;
            int64_t amount = 0;
            int rc = item_in_year(state, pool_id, kinds[k].part, item, &used, &amount, err);
            if (rc != PB_OK) {
                return rc;
            }
            if (used) {
                char text[PB_MONEY_TEXT_MAX];
                pb_money_format_display(amount, text, sizeof(text));
                char where[32];
                snprintf(where, sizeof(where), "$.entry.set.%s", kinds[k].array);
                return pb_error_set(err, PB_EPOOL, where,
                                    "%s %s has entries in %s (%s %s): a variation cannot remove "
                                    "it; set its %s to 0.00 instead",
                                    kinds[k].what, item, year, kinds[k].money, text,
                                    kinds[k].field);
            }
        }
    }
    return PB_OK;
}

static int
validate_vary(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *id = json_string_value(json_object_get(a->entry, "pool"));
    json_t *ps = NULL;
    int rc = pb_pool_state(a->state, id, &ps, err);
    json_t *next = NULL;
    if (rc == PB_OK) {
        rc = pb_pool_check_day(ps, a->day, "$.entry.date", err);
    }
    if (rc == PB_OK) {
        next = varied_pool(json_object_get(ps, "pool"), json_object_get(a->entry, "set"));
        rc = check_pool_object(next, "$.entry.set", err);
    }
    if (rc == PB_OK) {
        rc = check_nothing_removed(a->state, json_object_get(ps, "pool"), next, err);
    }
    if (rc == PB_OK) {
        rc = partners_exist(a->state, next, err);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc == PB_OK) {
        /* DESIGN 5: the agreement as it stood says who approves a variation. */
        pb_admit_keep(a, ps);
        pb_pool_approval_rule(json_object_get(ps, "pool"), rule);
    }
    json_decref(next);
    json_decref(ps);
    return rc;
}

static int
apply_vary(const struct pb_admit *a, pb_error *err)
{
    const char *id = json_string_value(json_object_get(a->entry, "pool"));
    json_t *ps = NULL;
    int rc = pb_pool_state(a->state, id, &ps, err);
    if (rc == PB_OK) {
        const json_t *set = json_object_get(a->entry, "set");
        json_t *next = varied_pool(json_object_get(ps, "pool"), set);
        const char *date = json_string_value(json_object_get(a->entry, "date"));
        json_t *version = make_version(next, date, a->index);
        if (json_object_get(set, "schemes") == NULL) {
            /* DESIGN 5: a variation keeps what it does not change: the
             * budgets in force at its date, virements since included. */
            const json_t *was = pb_pool_version_at(json_object_get(ps, "versions"), date);
            json_object_set(version, "budgets", json_object_get(was, "budgets"));
            json_object_set(version, "budgets_from", json_object_get(was, "budgets_from"));
        }
        json_array_append_new(json_object_get(ps, "versions"), version);
        json_object_set_new(ps, "pool", next);
        rc = pb_pool_state_put(a->state, id, ps, err);
    }
    json_decref(ps);
    return rc;
}

/* ---- partner.succeed -------------------------------------------------------- */

/* DESIGN 5: one partner's place in every pool passes to its successor from a
 * date (CCGs merged into ICBs; agreements bind "successors from time to
 * time"). The predecessor leaves the list of current partners. */
static int
check_succeed(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {"v",       "type",      "id",   "ledger", "created",
                                          "partner", "successor", "date", "reason", NULL};
    const char *old_id, *new_id;
    int32_t day;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    if (rc == PB_OK) {
        rc = field_id(entry, "partner", "$.entry", &old_id, err);
    }
    if (rc == PB_OK) {
        rc = field_id(entry, "successor", "$.entry", &new_id, err);
    }
    if (rc == PB_OK && strcmp(old_id, new_id) == 0) {
        rc = pb_error_set(err, PB_EPARTNER, "$.entry.successor", "a partner cannot succeed itself");
    }
    if (rc == PB_OK) {
        rc = pb_field_date(entry, "date", "$.entry", &day, err);
    }
    if (rc == PB_OK) {
        rc = pb_field_optional_text(entry, "reason", "$.entry", err);
    }
    return rc;
}

static int
validate_succeed(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *old_id = json_string_value(json_object_get(a->entry, "partner"));
    const char *new_id = json_string_value(json_object_get(a->entry, "successor"));
    const json_t *partners = NULL;
    int rc = pb_admit_state_get(a, "partners", &partners, err);
    int has_old = 0, has_new = 0;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        const char *p = json_string_value(json_array_get(partners, i));
        has_old |= strcmp(p, old_id) == 0;
        has_new |= strcmp(p, new_id) == 0;
    }
    if (rc == PB_OK && !has_old) {
        rc = pb_error_set(err, PB_EPARTNER, "$.entry.partner",
                          "%s is not a current partner (never admitted, or already succeeded)",
                          old_id);
    }
    if (rc == PB_OK && !has_new) {
        rc = pb_error_set(err, PB_EPARTNER, "$.entry.successor",
                          "%s is not a partner: admit it first with partner.admit", new_id);
    }
    if (rc == PB_OK) {
        rc = pb_admit_signers_from_state(a, err);
    }
    if (rc == PB_OK) {
        /* Signatories of the successor and of every other partner. */
        struct pb_sign_req *req = pb_sign_rule_add(rule, PB_ROLE_SIGNATORY);
        for (size_t i = 0; i < json_array_size(partners); i++) {
            const char *p = json_string_value(json_array_get(partners, i));
            if (strcmp(p, old_id) != 0) {
                pb_sign_req_partner(req, p);
            }
        }
        req->min_partners = req->partner_count;
    }
    return rc;
}

/* Replace old by new in a string field of obj. */
static void
replace_field(json_t *obj, const char *field, const char *old_id, const char *new_id)
{
    const char *v = json_string_value(json_object_get(obj, field));
    if (v != NULL && strcmp(v, old_id) == 0) {
        json_object_set_new(obj, field, json_string(new_id));
    }
}

/* Replace old by new in an array of ids, without repeating new. */
static void
replace_in_list(json_t *list, const char *old_id, const char *new_id)
{
    int has_new = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        has_new |= strcmp(json_string_value(json_array_get(list, i)), new_id) == 0;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (strcmp(json_string_value(json_array_get(list, i)), old_id) == 0) {
            if (has_new) {
                json_array_remove(list, i);
            } else {
                json_array_set_new(list, i, json_string(new_id));
            }
            return;
        }
    }
}

static void
succeed_in_pool(json_t *pool, const char *old_id, const char *new_id)
{
    replace_in_list(json_object_get(pool, "partners"), old_id, new_id);
    replace_field(pool, "host", old_id, new_id);
    const json_t *streams = json_object_get(pool, "streams");
    for (size_t i = 0; i < json_array_size(streams); i++) {
        replace_field(json_array_get(streams, i), "payer", old_id, new_id);
    }
    const json_t *schemes = json_object_get(pool, "schemes");
    for (size_t i = 0; i < json_array_size(schemes); i++) {
        replace_field(json_array_get(schemes, i), "lead", old_id, new_id);
    }
    replace_in_list(json_object_get(json_object_get(pool, "approval"), "partners"), old_id, new_id);
}

static int
succeed_pools(const struct pb_admit *a, const char *old_id, const char *new_id, pb_error *err)
{
    json_t *pools = NULL;
    int rc = pb_state_get(a->state, "pools", &pools, err);
    if (rc == PB_ENOTFOUND) {
        return PB_OK;
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(pools); i++) {
        const char *id = json_string_value(json_array_get(pools, i));
        json_t *ps = NULL;
        rc = pb_pool_state(a->state, id, &ps, err);
        if (rc == PB_OK && pb_pool_has_partner(json_object_get(ps, "pool"), old_id)) {
            succeed_in_pool(json_object_get(ps, "pool"), old_id, new_id);
            rc = pb_pool_state_put(a->state, id, ps, err);
        }
        json_decref(ps);
    }
    json_decref(pools);
    return rc;
}

static int
apply_succeed(const struct pb_admit *a, pb_error *err)
{
    const char *old_id = json_string_value(json_object_get(a->entry, "partner"));
    const char *new_id = json_string_value(json_object_get(a->entry, "successor"));
    json_t *partners = NULL, *old = NULL;
    int rc = succeed_pools(a, old_id, new_id, err);
    if (rc == PB_OK) {
        rc = pb_state_get(a->state, "partners", &partners, err);
    }
    if (rc == PB_OK) {
        replace_in_list(partners, old_id, new_id);
        rc = pb_state_put(a->state, "partners", partners, err);
    }
    char key[PB_ID_BYTES_MAX + 16];
    snprintf(key, sizeof(key), "partner:%s", old_id);
    if (rc == PB_OK) {
        rc = pb_state_get(a->state, key, &old, err);
    }
    if (rc == PB_OK) {
        json_object_set_new(old, "succeeded_by", json_string(new_id));
        json_object_set(old, "succeeded_from", json_object_get(a->entry, "date"));
        rc = pb_state_put(a->state, key, old, err);
    }
    json_decref(old);
    json_decref(partners);
    return rc;
}

const struct pb_entry_type pb_entry_types_pool[] = {
    {"partner.succeed", check_succeed, validate_succeed, apply_succeed},
    {"pool.agree", check_agree, validate_agree, apply_agree},
    {"pool.vary", check_vary, validate_vary, apply_vary},
    {NULL, NULL, NULL, NULL},
};
