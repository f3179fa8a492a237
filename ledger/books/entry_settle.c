/*
 * entry_settle.c — the year-end settlement of a pool (DESIGN 5, 6): once the
 * last quarter is closed, the actual outturn is apportioned under the policy
 * in force at the year end and the entry records each partner's share. The
 * ledger recomputes the apportionment from its own records and refuses any
 * figure that differs; every pool signatory signs (or the agreement's
 * approval rule). Settling closes the year: nothing more may be dated in it.
 */
#include "books/books.h"

#include <string.h>

static const char *const money_fields[] = {"variance", "unallocated", "carried_forward", NULL};

static int
check_shares(const json_t *entry, int64_t *sum_out, pb_error *err)
{
    const json_t *shares = json_object_get(entry, "shares");
    const char *partner;
    const json_t *value;
    char where[PB_ERROR_WHERE_MAX];
    int rc = PB_OK;
    *sum_out = 0;
    if (!json_is_object(shares) || json_object_size(shares) == 0) {
        return pb_error_set(err, PB_EFIELD, "$.entry.shares",
                            "shares must be an object of partner: amount");
    }
    if (json_object_size(shares) > PB_PARTNERS_MAX) {
        return pb_error_set(err, PB_ETOOBIG, "$.entry.shares", "%zu shares: at most %d",
                            json_object_size(shares), PB_PARTNERS_MAX);
    }
    json_object_foreach((json_t *)shares, partner, value)
    {
        int64_t pence = 0;
        (void)value;
        snprintf(where, sizeof(where), "$.entry.shares.%s", partner);
        rc = pb_field_check_id(partner, where, err);
        rc = rc == PB_OK ? pb_field_money(shares, partner, "$.entry.shares", 0, &pence, err) : rc;
        rc = rc == PB_OK ? pb_money_add(*sum_out, pence, sum_out, err) : rc;
        if (rc != PB_OK) {
            break;
        }
    }
    return rc;
}

static int
check_settlement(const json_t *entry, pb_error *err)
{
    static const char *const allowed[] = {
        "v",    "type",     "id",     "ledger",      "created",         "pool", "year",
        "date", "variance", "shares", "unallocated", "carried_forward", "memo", NULL};
    const char *text;
    int32_t day;
    int64_t pence[3] = {0, 0, 0};
    int64_t sum = 0;
    pb_period year;
    int rc = pb_field_allowed(entry, allowed, "$.entry", err);
    rc = rc == PB_OK ? pb_field_string(entry, "pool", "$.entry", PB_ID_BYTES_MAX, &text, err) : rc;
    rc = rc == PB_OK ? pb_field_string(entry, "year", "$.entry", 16, &text, err) : rc;
    if (rc == PB_OK && (pb_period_parse(text, &year, NULL) != PB_OK ||
                        year.kind != PB_PERIOD_YEAR || strcmp(year.label, text) != 0)) {
        rc = pb_error_set(err, PB_EPERIOD, "$.entry.year",
                          "year \"%s\" is not a financial year such as 2024/25", text);
    }
    rc = rc == PB_OK ? pb_field_date(entry, "date", "$.entry", &day, err) : rc;
    for (size_t i = 0; rc == PB_OK && money_fields[i] != NULL; i++) {
        rc = pb_field_money(entry, money_fields[i], "$.entry", 0, &pence[i], err);
    }
    rc = rc == PB_OK ? check_shares(entry, &sum, err) : rc;
    rc = rc == PB_OK ? pb_money_add(sum, pence[1], &sum, err) : rc;
    rc = rc == PB_OK ? pb_money_add(sum, pence[2], &sum, err) : rc;
    if (rc == PB_OK && sum != pence[0]) {
        char a[PB_MONEY_TEXT_MAX], b[PB_MONEY_TEXT_MAX];
        pb_money_format(sum, a, sizeof(a));
        pb_money_format(pence[0], b, sizeof(b));
        rc = pb_error_set(err, PB_ESETTLEMENT, "$.entry.shares",
                          "shares, unallocated and carried_forward add up to %s, not the "
                          "variance %s",
                          a, b);
    }
    return rc == PB_OK ? pb_field_optional_text(entry, "memo", "$.entry", err) : rc;
}

/* The last day the pool's year covers: the year end, or the term's end if earlier. */
static int32_t
last_day_of(const json_t *pool)
{
    pb_period year;
    int32_t end = 0;
    PB_ASSERT(pb_period_parse(json_string_value(json_object_get(pool, "year")), &year, NULL) ==
              PB_OK);
    PB_ASSERT(
        pb_date_parse(json_string_value(json_object_get(json_object_get(pool, "term"), "end")),
                      &end, NULL) == PB_OK);
    return end < year.last_day ? end : year.last_day;
}

/* Can the pool's year be settled now, on the entry's day? */
static int
check_settleable(const struct pb_admit *a, const json_t *ps, pb_error *err)
{
    const json_t *pool = json_object_get(ps, "pool");
    const char *id = json_string_value(json_object_get(pool, "id"));
    const char *year = json_string_value(json_object_get(pool, "year"));
    const json_t *settled = json_object_get(ps, "settlement");
    int32_t last = last_day_of(pool);
    char last_text[PB_DATE_TEXT_MAX];
    pb_date_format(last, last_text, sizeof(last_text));
    if (strcmp(json_string_value(json_object_get(a->entry, "year")), year) != 0) {
        return pb_error_set(err, PB_EPERIOD, "$.entry.year", "pool %s's year is %s, not %s", id,
                            year, json_string_value(json_object_get(a->entry, "year")));
    }
    if (settled != NULL) {
        return pb_error_set(err, PB_ESETTLEMENT, "$.entry.pool",
                            "pool %s's year %s is already settled (entry %s)", id, year,
                            json_string_value(json_object_get(settled, "id")));
    }
    if (a->day < last) {
        return pb_error_set(err, PB_ESETTLEMENT, "$.entry.date",
                            "a settlement is dated on or after the year's last day, %s", last_text);
    }
    /* DESIGN 5: after the last quarter is closed. */
    pb_error local;
    pb_error_init(&local);
    int rc = pb_pool_check_day(ps, last, NULL, &local);
    if (rc == PB_OK) {
        pb_period quarter;
        PB_ASSERT(pb_period_of_day(last, PB_PERIOD_QUARTER, &quarter, NULL) == PB_OK);
        return pb_error_set(err, PB_ESETTLEMENT, "$.entry.pool",
                            "the last quarter %s of pool %s is not closed: close it "
                            "(period.close) before settling",
                            quarter.label, id);
    }
    return rc == PB_EPERIOD_CLOSED ? PB_OK : pb_error_set(err, rc, NULL, "%s", local.text);
}

/* One recorded figure against the ledger's. */
static int
same_figure(const json_t *recorded, const json_t *computed, const char *what, const char *where,
            pb_error *err)
{
    int64_t r = pb_money_of_json(recorded), c = pb_money_of_json(computed);
    if (recorded == NULL || computed == NULL || r != c) {
        char rt[PB_MONEY_TEXT_MAX] = "none", ct[PB_MONEY_TEXT_MAX] = "none";
        if (recorded != NULL) {
            pb_money_format_display(r, rt, sizeof(rt));
        }
        if (computed != NULL) {
            pb_money_format_display(c, ct, sizeof(ct));
        }
        return pb_error_set(err, PB_ESETTLEMENT, where,
                            "%s is %s in the settlement but %s by the ledger's records (see "
                            "poolbook policy explain --actual)",
                            what, rt, ct);
    }
    return PB_OK;
}

/* DESIGN 6: the ledger recomputes the apportionment and refuses any figure
 * that differs. */
static int
check_figures(const struct pb_admit *a, const json_t *explain, pb_error *err)
{
    char where[PB_ERROR_WHERE_MAX];
    char what[PB_ID_BYTES_MAX + 16];
    const json_t *recorded = json_object_get(a->entry, "shares");
    const json_t *computed = json_object_get(explain, "shares");
    const char *partner;
    const json_t *value;
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && money_fields[i] != NULL; i++) {
        snprintf(where, sizeof(where), "$.entry.%s", money_fields[i]);
        rc = same_figure(json_object_get(a->entry, money_fields[i]),
                         json_object_get(explain, money_fields[i]), money_fields[i], where, err);
    }
    json_object_foreach((json_t *)computed, partner, value)
    {
        snprintf(where, sizeof(where), "$.entry.shares.%s", partner);
        snprintf(what, sizeof(what), "%s's share", partner);
        rc = rc == PB_OK ? same_figure(json_object_get(recorded, partner), value, what, where, err)
                         : rc;
    }
    json_object_foreach((json_t *)recorded, partner, value)
    {
        if (rc == PB_OK && json_object_get(computed, partner) == NULL) {
            snprintf(where, sizeof(where), "$.entry.shares.%s", partner);
            rc = pb_error_set(err, PB_EPARTNER, where, "%s is not a partner of pool %s", partner,
                              json_string_value(json_object_get(a->entry, "pool")));
        }
    }
    return rc;
}

static int
validate_settlement(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err)
{
    const char *id = json_string_value(json_object_get(a->entry, "pool"));
    json_t *ps = NULL;
    json_t *explain = NULL;
    int rc = pb_pool_state(a->state, id, &ps, err);
    rc = rc == PB_OK ? check_settleable(a, ps, err) : rc;
    rc = rc == PB_OK ? pb_policy_explain_state(a->state, id, NULL, 1, &explain, err) : rc;
    rc = rc == PB_OK ? check_figures(a, explain, err) : rc;
    rc = rc == PB_OK ? pb_admit_signers_from_state(a, err) : rc;
    if (rc == PB_OK) {
        /* DESIGN 5: every pool signatory, unless the agreement says otherwise. */
        pb_admit_keep(a, ps);
        pb_pool_approval_rule(json_object_get(ps, "pool"), rule);
    }
    json_decref(explain);
    json_decref(ps);
    return rc;
}

static int
apply_settlement(const struct pb_admit *a, pb_error *err)
{
    const json_t *e = a->entry;
    const char *id = json_string_value(json_object_get(e, "pool"));
    json_t *ps = NULL;
    int rc = pb_pool_state(a->state, id, &ps, err);
    if (rc == PB_OK) {
        json_t *settled = json_pack(
            "{s:O,s:I,s:O,s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(e, "id"), "index",
            (json_int_t)a->index, "date", json_object_get(e, "date"), "year",
            json_object_get(e, "year"), "variance", json_object_get(e, "variance"), "shares",
            json_object_get(e, "shares"), "unallocated", json_object_get(e, "unallocated"),
            "carried_forward", json_object_get(e, "carried_forward"));
        /* Settling closes the whole year. */
        if (settled == NULL || json_object_set_new(ps, "settlement", settled) != 0 ||
            json_array_append(json_object_get(ps, "closed"), json_object_get(e, "year")) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    rc = rc == PB_OK ? pb_pool_state_put(a->state, id, ps, err) : rc;
    json_decref(ps);
    return rc;
}

const struct pb_entry_type pb_entry_types_settle[] = {
    {"settlement", check_settlement, validate_settlement, apply_settlement},
    {NULL, NULL, NULL, NULL},
};
