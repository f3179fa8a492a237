/*
 * report.c — a pool's figures at a period end, from its state and its
 * monthly aggregates (entry_money.c keeps them at append): budgets after
 * virements, actuals, latest forecasts, variances, planned and received
 * contributions, totals. No cost grows with other pools or years.
 */
#include "books/books.h"

#include <string.h>

/* RAG thresholds when the agreement sets none (docs/reports.md). */
#define RAG_AMBER_BP_DEFAULT 100
#define RAG_RED_BP_DEFAULT 300

struct report {
    const json_t *pool;    /* the agreed pool (current version of its text) */
    const json_t *version; /* budgets and planned in force at the period end */
    pb_period period;
    json_t *aggs[13]; /* months 1..end, NULL where nothing was posted */
    int end_month;
    int actual;      /* outturn is the actual spending (a settled year), not the forecast */
    int first_month; /* the period's first financial month */
};

/* Sum of agg[part][name] over months 1..end. */
static int
sum_months(const struct report *r, const char *part, const char *name, int64_t *out, pb_error *err)
{
    int64_t total = 0;
    int rc = PB_OK;
    for (int m = 1; m <= r->end_month && rc == PB_OK; m++) {
        const json_t *v = json_object_get(json_object_get(r->aggs[m], part), name);
        rc = pb_money_add(total, pb_money_of_json(v), &total, err);
    }
    *out = total;
    return rc;
}

/* Budget after virements: the version's budget, plus virements dated on or
 * after its budgets were set and on or before the period end. */
static int
budget_of(const struct report *r, const char *scheme, const char *end, int64_t *out, pb_error *err)
{
    int64_t budget =
        pb_money_of_json(json_object_get(json_object_get(r->version, "budgets"), scheme));
    const char *from_day = json_string_value(json_object_get(r->version, "budgets_from"));
    int rc = PB_OK;
    for (int m = 1; m <= r->end_month && rc == PB_OK; m++) {
        const json_t *vire = json_object_get(r->aggs[m], "vire");
        for (size_t i = 0; i < json_array_size(vire) && rc == PB_OK; i++) {
            const json_t *v = json_array_get(vire, i);
            const char *d = json_string_value(json_object_get(v, "date"));
            if (strcmp(d, from_day) < 0 || strcmp(d, end) > 0) {
                continue;
            }
            int64_t amount = pb_money_of_json(json_object_get(v, "amount"));
            if (strcmp(json_string_value(json_object_get(v, "from")), scheme) == 0) {
                rc = pb_money_sub(budget, amount, &budget, err);
            }
            if (rc == PB_OK && strcmp(json_string_value(json_object_get(v, "to")), scheme) == 0) {
                rc = pb_money_add(budget, amount, &budget, err);
            }
        }
    }
    *out = budget;
    return rc;
}

/* The latest forecast at the period end, or NULL. */
static const json_t *
forecast_of(const struct report *r, const char *scheme)
{
    for (int m = r->end_month; m >= 1; m--) {
        const json_t *fc = json_object_get(json_object_get(r->aggs[m], "fc"), scheme);
        if (fc != NULL) {
            return fc;
        }
    }
    return NULL;
}

static const char *
scheme_field(const json_t *pool, const char *id, const char *field)
{
    const char *v = json_string_value(json_object_get(pb_pool_find(pool, "schemes", id), field));
    return v != NULL ? v : "";
}

struct totals {
    int64_t budget, actual, forecast, outturn, variance, planned, received, due;
};

/* The keys of by_id (a version's "budgets" or "planned") in the agreement's
 * order of its array ("schemes", "streams"), then any it does not list, so a
 * report reads down the page as the agreement does. A new reference. */
static json_t *
agreement_order(const json_t *pool, const char *array, const json_t *by_id)
{
    json_t *ids = json_array();
    const json_t *items = json_object_get(pool, array);
    for (size_t i = 0; ids != NULL && i < json_array_size(items); i++) {
        const json_t *id = json_object_get(json_array_get(items, i), "id");
        if (json_object_get(by_id, json_string_value(id)) != NULL &&
            json_array_append(ids, (json_t *)id) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    }
    const char *key;
    const json_t *unused;
    json_object_foreach((json_t *)by_id, key, unused)
    {
        (void)unused;
        if (ids != NULL && pb_pool_find(pool, array, key) == NULL &&
            json_array_append_new(ids, json_string(key)) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    }
    return ids;
}

/* DESIGN 7 (docs/reports.md): the variance in basis points of the budget
 * (1% = 100 bp), exact integer arithmetic rounded half away from zero (null
 * for a zero budget), and its RAG rating on the magnitude, over or under:
 * red at or above the agreement's red_bp, amber at or above amber_bp, else
 * green (defaults 300 and 100: 3% and 1%). Non-zero when out of memory. */
static int
rag_of(const struct report *r, json_t *scheme, int64_t variance, int64_t budget)
{
    const json_t *rag = json_object_get(r->version, "rag");
    const json_t *amber_v = json_object_get(rag, "amber_bp");
    const json_t *red_v = json_object_get(rag, "red_bp");
    json_int_t amber = amber_v != NULL ? json_integer_value(amber_v) : RAG_AMBER_BP_DEFAULT;
    json_int_t red = red_v != NULL ? json_integer_value(red_v) : RAG_RED_BP_DEFAULT;
    if (budget <= 0) {
        return json_object_set_new(scheme, "variance_bp", json_null()) != 0 ||
               json_object_set_new(scheme, "rag", json_string(variance == 0 ? "green" : "red")) != 0;
    }
    /* Exact: |variance| x 10000 can pass int64_t for a budget near
     * PB_MONEY_PENCE_MAX, so the product is taken in 128 bits; the result is
     * clamped at 1,000,000 bp (10,000%), far past any threshold. */
    int64_t magnitude = variance < 0 ? -variance : variance;
    __int128 wide = ((__int128)magnitude * 10000 + budget / 2) / budget;
    int64_t bp = wide > 1000000 ? 1000000 : (int64_t)wide;
    return json_object_set_new(scheme, "variance_bp", json_integer(variance < 0 ? -bp : bp)) != 0 ||
           json_object_set_new(scheme, "rag",
                               json_string(bp >= red ? "red" : bp >= amber ? "amber" : "green")) != 0;
}

static int
report_schemes(const struct report *r, json_t *out, struct totals *t, pb_error *err)
{
    const char *end = NULL;
    char end_text[PB_DATE_TEXT_MAX];
    pb_date_format(r->period.last_day, end_text, sizeof(end_text));
    end = end_text;
    json_t *ids = agreement_order(r->pool, "schemes", json_object_get(r->version, "budgets"));
    int rc = ids != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        int64_t budget = 0, actual = 0, forecast = 0, variance = 0;
        rc = budget_of(r, id, end, &budget, err);
        if (rc == PB_OK) {
            rc = sum_months(r, "actual", id, &actual, err);
        }
        const json_t *fc = forecast_of(r, id);
        forecast = fc != NULL ? pb_money_of_json(json_object_get(fc, "amount")) : budget;
        int64_t outturn = r->actual ? actual : forecast;
        if (rc == PB_OK) {
            rc = pb_money_sub(outturn, budget, &variance, err);
        }
        if (rc != PB_OK) {
            break;
        }
        json_t *s =
            json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "id", id, "name",
                      scheme_field(r->pool, id, "name"), "lead", scheme_field(r->pool, id, "lead"),
                      "class", scheme_field(r->pool, id, "class"), "budget", pb_money_json(budget),
                      "actual", pb_money_json(actual), "forecast", pb_money_json(forecast),
                      "outturn", pb_money_json(outturn), "variance", pb_money_json(variance));
        /* Every part checked: a scheme silently missing under memory
         * pressure would change the statement's figures. */
        int bad = s == NULL ||
                  json_object_set(s, "forecast_date",
                                  fc != NULL ? json_object_get(fc, "date") : json_null()) != 0 ||
                  json_object_set(s, "forecast_id",
                                  fc != NULL ? json_object_get(fc, "id") : json_null()) != 0;
        /* The BCF return's optional scheme fields, when the agreement names them. */
        static const char *const bcf_fields[] = {"type", "commissioner", "provider", "funding"};
        for (size_t k = 0; !bad && k < sizeof(bcf_fields) / sizeof(bcf_fields[0]); k++) {
            const json_t *v =
                json_object_get(pb_pool_find(r->pool, "schemes", id), bcf_fields[k]);
            if (v != NULL) {
                bad = json_object_set(s, bcf_fields[k], (json_t *)v) != 0;
            }
        }
        bad = bad || rag_of(r, s, variance, budget) != 0;
        if (!bad && fc == NULL && !r->actual) {
            /* DESIGN 6: a scheme with no forecast counts at budget and is flagged. */
            bad = json_object_set_new(s, "flag", json_string("no forecast: counted at budget"));
        }
        if (bad) {
            json_decref(s);
        }
        if (bad || json_array_append_new(out, s) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            break;
        }
        rc = pb_money_add(t->budget, budget, &t->budget, err);
        rc = rc == PB_OK ? pb_money_add(t->actual, actual, &t->actual, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->forecast, forecast, &t->forecast, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->outturn, outturn, &t->outturn, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->variance, variance, &t->variance, err) : rc;
    }
    json_decref(ids);
    return rc;
}
/* What a stream's payer owes by the period end under the stream's contribution
 * schedule in force then (entry_pool.c checks it): "monthly" and no schedule
 * are planned x months / 12 and "quarterly" planned x quarters / 4, each
 * rounded down to the penny (the last instalment takes the pennies, so the
 * year's sum is exact); dated instalments count once their date is on or
 * before the period end. *kind_out names the basis: "monthly", "quarterly",
 * "dated" or "pro rata" (no schedule: pro rata by months). */
static int
due_of(const struct report *r, const char *stream, int64_t planned, const char *end,
       const char **kind_out, int64_t *due_out, pb_error *err)
{
    const json_t *sch = json_object_get(json_object_get(r->version, "schedules"), stream);
    int64_t due = 0;
    int rc = PB_OK;
    PB_ASSERT(r->end_month >= 1 && r->end_month <= 12);
    if (json_is_array(sch)) {
        *kind_out = "dated";
        for (size_t i = 0; rc == PB_OK && i < json_array_size(sch); i++) {
            const json_t *it = json_array_get(sch, i);
            if (strcmp(json_string_value(json_object_get(it, "date")), end) <= 0) {
                rc = pb_money_add(due, pb_money_of_json(json_object_get(it, "amount")), &due, err);
            }
        }
    } else if (json_is_string(sch) && strcmp(json_string_value(sch), "quarterly") == 0) {
        *kind_out = "quarterly";
        rc = pb_money_mul(planned, r->end_month / 3, &due, err);
        due /= 4;
    } else {
        *kind_out = json_is_string(sch) ? "monthly" : "pro rata";
        rc = pb_money_mul(planned, r->end_month, &due, err);
        due /= 12;
    }
    *due_out = due;
    return rc;
}

/* Replace a partner's scheduled/unscheduled marks by its due_basis:
 * "schedule", "pro rata by months", or "schedule and pro rata by months".
 * Non-zero when out of memory. */
static int
due_basis(json_t *partner)
{
    int scheduled = json_object_get(partner, "scheduled") != NULL;
    int unscheduled = json_object_get(partner, "unscheduled") != NULL;
    json_object_del(partner, "scheduled");
    json_object_del(partner, "unscheduled");
    return json_object_set_new(partner, "due_basis",
                               json_string(scheduled && unscheduled
                                               ? "schedule and pro rata by months"
                                           : scheduled ? "schedule"
                                                       : "pro rata by months"));
}

static int
report_streams(const struct report *r, json_t *streams, json_t *partners, struct totals *t,
               pb_error *err)
{
    const json_t *planned_by_id = json_object_get(r->version, "planned");
    json_t *ids = agreement_order(r->pool, "streams", planned_by_id);
    json_t *by_partner = json_object();
    char end[PB_DATE_TEXT_MAX];
    pb_date_format(r->period.last_day, end, sizeof(end));
    int rc = ids != NULL && by_partner != NULL
                 ? PB_OK
                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        const json_t *planned_v = json_object_get(planned_by_id, id);
        int64_t planned = pb_money_of_json(planned_v), received = 0, due = 0;
        const char *kind = NULL;
        rc = sum_months(r, "received", id, &received, err);
        rc = rc == PB_OK ? due_of(r, id, planned, end, &kind, &due, err) : rc;
        if (rc != PB_OK) {
            break;
        }
        const json_t *st = pb_pool_find(r->pool, "streams", id);
        const char *payer = json_string_value(json_object_get(st, "payer"));
        payer = payer != NULL ? payer : "";
        if (json_array_append_new(streams,
                                  json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:o}", "id", id, "name",
                                            json_string_value(json_object_get(st, "name")) != NULL
                                                ? json_string_value(json_object_get(st, "name"))
                                                : "",
                                            "payer", payer, "planned", pb_money_json(planned),
                                            "received", pb_money_json(received), "schedule", kind,
                                            "due_to_date", pb_money_json(due))) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            break;
        }
        json_t *p = json_object_get(by_partner, payer);
        if (p == NULL) {
            p = json_pack("{s:s,s:s,s:s,s:s}", "id", payer, "planned", "0.00", "received", "0.00",
                          "due_to_date", "0.00");
            if (by_partner == NULL || json_object_set_new(by_partner, payer, p) != 0) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
                break;
            }
        }
        int64_t pp = pb_money_of_json(json_object_get(p, "planned")), pr = 0, pd = 0;
        pr = pb_money_of_json(json_object_get(p, "received"));
        pd = pb_money_of_json(json_object_get(p, "due_to_date"));
        rc = pb_money_add(pp, planned, &pp, err);
        rc = rc == PB_OK ? pb_money_add(pr, received, &pr, err) : rc;
        rc = rc == PB_OK ? pb_money_add(pd, due, &pd, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->planned, planned, &t->planned, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->received, received, &t->received, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->due, due, &t->due, err) : rc;
        if (rc == PB_OK && (json_object_set_new(p, "planned", pb_money_json(pp)) != 0 ||
                            json_object_set_new(p, "received", pb_money_json(pr)) != 0 ||
                            json_object_set_new(p, "due_to_date", pb_money_json(pd)) != 0)) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
        /* The partner's due_basis: how its streams' dues were reckoned. */
        if (rc == PB_OK && json_object_set_new(p, strcmp(kind, "pro rata") != 0 ? "scheduled"
                                                                                 : "unscheduled",
                                               json_true()) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    /* Partners in the pool's order, each with its streams' totals. */
    const json_t *list = json_object_get(r->pool, "partners");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(list); i++) {
        const char *pid = json_string_value(json_array_get(list, i));
        json_t *p = json_object_get(by_partner, pid);
        if (json_array_append_new(partners, p != NULL
                                                ? json_incref(p)
                                                : json_pack("{s:s,s:s,s:s,s:s}", "id", pid,
                                                            "planned", "0.00", "received", "0.00",
                                                            "due_to_date", "0.00")) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            break;
        }
        if (due_basis(json_array_get(partners, json_array_size(partners) - 1)) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    json_decref(by_partner);
    json_decref(ids);
    return rc;
}

static int
load_report(const pb_state *state, const json_t *ps, const char *period_text, int actual,
            struct report *r, pb_error *err)
{
    r->pool = json_object_get(ps, "pool");
    pb_period year;
    PB_ASSERT(pb_period_parse(json_string_value(json_object_get(r->pool, "year")), &year, NULL) ==
              PB_OK);
    int rc = PB_OK;
    if (period_text == NULL) {
        r->period = year;
    } else {
        rc = pb_period_parse(period_text, &r->period, err);
    }
    if (rc == PB_OK && r->period.year_start != year.year_start) {
        rc = pb_error_set(err, PB_EPERIOD, NULL, "period %s is not in pool %s's year %s",
                          r->period.label, json_string_value(json_object_get(r->pool, "id")),
                          year.label);
    }
    if (rc != PB_OK) {
        return rc;
    }
    pb_period last;
    PB_ASSERT(pb_period_of_day(r->period.last_day, PB_PERIOD_MONTH, &last, NULL) == PB_OK);
    r->end_month = (int)last.number;
    pb_period first;
    PB_ASSERT(pb_period_of_day(r->period.first_day, PB_PERIOD_MONTH, &first, NULL) == PB_OK);
    r->first_month = (int)first.number;
    char end[PB_DATE_TEXT_MAX];
    pb_date_format(r->period.last_day, end, sizeof(end));
    r->version = pb_pool_version_at(json_object_get(ps, "versions"), end);
    /* DESIGN 6: at the year end, once settled, the actual outturn. */
    r->actual =
        actual || (r->period.kind == PB_PERIOD_YEAR && json_object_get(ps, "settlement") != NULL);
    const char *id = json_string_value(json_object_get(r->pool, "id"));
    for (int m = 1; m <= r->end_month && rc == PB_OK; m++) {
        char key[PB_ID_BYTES_MAX + 16];
        snprintf(key, sizeof(key), "agg:%s:%02d", id, m);
        rc = pb_state_get(state, key, &r->aggs[m], err);
        rc = rc == PB_ENOTFOUND ? PB_OK : rc;
    }
    return rc;
}

/* The settlement of a settled pool, with the closing reserve: the underspend
 * carried forward, as a positive amount. A new reference, or NULL. Only the
 * year's report carries it: a quarter of a settled year is that quarter's
 * figures, not the year's outcome. Sets *nomem when out of memory. */
static json_t *
settlement_of(const json_t *ps, int *nomem)
{
    const json_t *settled = json_object_get(ps, "settlement");
    if (settled == NULL) {
        return NULL;
    }
    json_t *out = json_deep_copy(settled);
    int64_t carried = pb_money_of_json(json_object_get(settled, "carried_forward"));
    if (out == NULL || json_object_set_new(out, "closing_reserve", pb_money_json(-carried)) != 0) {
        json_decref(out);
        *nomem = 1;
        return NULL;
    }
    return out;
}

/* "final" once the period is closed (a quarter by period.close, a month by
 * its quarter's close, the year by its settlement, which closes it), else
 * "draft": a statement of an open period may still change. */
static const char *
status_of(const json_t *ps, const pb_period *period)
{
    const json_t *closed = json_object_get(ps, "closed");
    pb_period q;
    PB_ASSERT(pb_period_of_day(period->last_day, PB_PERIOD_QUARTER, &q, NULL) == PB_OK);
    const char *label = period->kind == PB_PERIOD_MONTH ? q.label : period->label;
    for (size_t i = 0; i < json_array_size(closed); i++) {
        if (strcmp(json_string_value(json_array_get(closed, i)), label) == 0) {
            return "final";
        }
    }
    return "draft";
}

/* The months of the period that hold money entries of the pool: a month's
 * aggregate exists only once something was posted in it (entry_money.c). */
static int
active_months(const struct report *r)
{
    int count = 0;
    for (int m = r->first_month; m <= r->end_month; m++) {
        count += r->aggs[m] != NULL ? 1 : 0;
    }
    return count;
}

/* Each partner's name from the ledger's partners, beside its id; and the
 * ledger's origin and the period's active months (statements use them). */
static int
report_names(const pb_state *state, const struct report *r, json_t *report, pb_error *err)
{
    json_t *origin = NULL;
    int rc = pb_state_get(state, "origin", &origin, err);
    if (rc == PB_OK && (json_object_set_new(report, "origin", origin) != 0 ||
                        json_object_set_new(report, "active_months",
                                            json_integer(active_months(r))) != 0)) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_t *partners = json_object_get(report, "partners");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(partners); i++) {
        json_t *p = json_array_get(partners, i);
        char key[PB_ID_BYTES_MAX + 16];
        snprintf(key, sizeof(key), "partner:%s", json_string_value(json_object_get(p, "id")));
        json_t *known = NULL;
        rc = pb_state_get(state, key, &known, err);
        if (rc == PB_ENOTFOUND) {
            rc = PB_OK; /* a pool partner is always admitted; keep the id alone if not */
        } else if (rc == PB_OK) {
            const json_t *name = json_object_get(known, "name");
            if (name != NULL && json_object_set(p, "name", (json_t *)name) != 0) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            }
            json_decref(known);
        }
    }
    return rc;
}

int
pb_pool_report_state(const pb_state *state, const char *pool_id, const char *period, int actual,
                     json_t **report_out, pb_error *err)
{
    json_t *ps = NULL;
    struct report r;
    memset(&r, 0, sizeof(r));
    int rc = pb_pool_state(state, pool_id, &ps, err);
    if (rc == PB_OK) {
        rc = load_report(state, ps, period, actual, &r, err);
    }
    json_t *schemes = json_array(), *streams = json_array(), *partners = json_array();
    struct totals t;
    memset(&t, 0, sizeof(t));
    if (rc == PB_OK) {
        rc = report_schemes(&r, schemes, &t, err);
    }
    if (rc == PB_OK) {
        rc = report_streams(&r, streams, partners, &t, err);
    }
    if (rc == PB_OK) {
        char end[PB_DATE_TEXT_MAX];
        pb_date_format(r.period.last_day, end, sizeof(end));
        /* The policy in force at the period end (a variation may change it). */
        const json_t *policy = json_object_get(r.version, "policy");
        policy = policy != NULL ? policy : json_object_get(r.pool, "policy");
        int nomem = 0;
        json_t *settlement = r.period.kind == PB_PERIOD_YEAR ? settlement_of(ps, &nomem) : NULL;
        *report_out = nomem ? NULL : json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:O,s:O,s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o},s:o*}",
            "pool", pool_id, "name", json_string_value(json_object_get(r.pool, "name")), "period",
            r.period.label, "period_end", end, "basis", r.actual ? "actual" : "forecast", "host",
            json_string_value(json_object_get(r.pool, "host")), "policy", policy, "schemes",
            schemes, "streams", streams, "partners", partners, "totals", "budget",
            pb_money_json(t.budget), "actual", pb_money_json(t.actual), "forecast",
            pb_money_json(t.forecast), "outturn", pb_money_json(t.outturn), "variance",
            pb_money_json(t.variance), "planned", pb_money_json(t.planned), "received",
            pb_money_json(t.received), "due_to_date", pb_money_json(t.due), "settlement",
            settlement);
        rc = *report_out == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : PB_OK;
        rc = rc == PB_OK ? report_names(state, &r, *report_out, err) : rc;
        /* The periods closed now, and every close and reopen (entry_money.c). */
        if (rc == PB_OK) {
            const json_t *closed = json_object_get(ps, "closed");
            const json_t *periods = json_object_get(ps, "periods");
            if ((closed != NULL && json_object_set(*report_out, "closed", (json_t *)closed) != 0) ||
                json_object_set_new(*report_out, "periods",
                                    periods != NULL ? json_incref((json_t *)periods)
                                                    : json_array()) != 0 ||
                json_object_set_new(*report_out, "status",
                                    json_string(status_of(ps, &r.period))) != 0) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            }
        }
        if (rc != PB_OK) {
            json_decref(*report_out);
            *report_out = NULL;
        }
    }
    json_decref(schemes);
    json_decref(streams);
    json_decref(partners);
    for (int m = 0; m < 13; m++) {
        json_decref(r.aggs[m]);
    }
    json_decref(ps);
    return rc;
}

int
pb_pool_report(pb_store *store, const char *pool_id, const char *period, json_t **report_out,
               pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    rc = pb_pool_report_state(&state, pool_id, period, 0, report_out, err);
    pb_snapshot_close(&snap);
    return rc;
}

/* ---- across periods ------------------------------------------------------ */

/* The money member name of obj in pence. */
static int64_t
pence_of(const json_t *obj, const char *name)
{
    return pb_money_of_json(json_object_get(obj, name));
}

/* One scheme's row of a series: spending in the period (actual to date less
 * the previous period's actual to date), to date, outturn and variance. */
static json_t *
series_scheme(const json_t *s, const json_t *before, pb_error *err, int *rc)
{
    int64_t in_period = 0;
    *rc = pb_money_sub(pence_of(s, "actual"), before != NULL ? pence_of(before, "actual") : 0,
                       &in_period, err);
    return json_pack("{s:O,s:o,s:O,s:O,s:O}", "id", json_object_get(s, "id"), "actual",
                     pb_money_json(in_period), "actual_ytd", json_object_get(s, "actual"),
                     "outturn", json_object_get(s, "outturn"), "variance",
                     json_object_get(s, "variance"));
}

/* One period's row of a series from its report and the previous period's
 * (NULL for the first). months is the number of months to the period end. */
static int
series_row(const json_t *report, const json_t *before, int months, json_t **row_out, pb_error *err)
{
    const json_t *t = json_object_get(report, "totals");
    int64_t budget = pence_of(t, "budget"), budget_ytd = 0, actual = 0, ytd_variance = 0;
    int rc = pb_money_mul(budget, months, &budget_ytd, err);
    budget_ytd /= 12;
    rc = rc == PB_OK ? pb_money_sub(pence_of(t, "actual"),
                                    before != NULL
                                        ? pence_of(json_object_get(before, "totals"), "actual")
                                        : 0,
                                    &actual, err)
                     : rc;
    rc = rc == PB_OK ? pb_money_sub(pence_of(t, "actual"), budget_ytd, &ytd_variance, err) : rc;
    json_t *schemes = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(report, "schemes"), i, s)
    {
        const json_t *was = NULL;
        size_t k;
        const json_t *b;
        json_array_foreach(json_object_get(before, "schemes"), k, b)
        {
            was = json_equal(json_object_get(b, "id"), json_object_get(s, "id")) ? b : was;
        }
        int src = PB_OK;
        json_array_append_new(schemes, series_scheme(s, was, err, &src));
        rc = rc == PB_OK ? src : rc;
    }
    *row_out = json_pack(
        "{s:O,s:O,s:O,s:O,s:o,s:o,s:o,s:O,s:o,s:O,s:O,s:O,s:O,s:o}", "period",
        json_object_get(report, "period"), "period_end", json_object_get(report, "period_end"),
        "status", json_object_get(report, "status"), "active_months",
        json_object_get(report, "active_months"), "budget", pb_money_json(budget), "budget_ytd",
        pb_money_json(budget_ytd), "actual", pb_money_json(actual), "actual_ytd",
        json_object_get(t, "actual"), "ytd_variance", pb_money_json(ytd_variance), "outturn",
        json_object_get(t, "outturn"), "variance", json_object_get(t, "variance"), "received_ytd",
        json_object_get(t, "received"), "due_to_date", json_object_get(t, "due_to_date"),
        "schemes", schemes);
    return rc == PB_OK && *row_out == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory")
                                           : rc;
}

static int
series_of(const pb_state *state, const char *pool_id, int kind, json_t *periods, pb_error *err)
{
    json_t *ps = NULL;
    int rc = pb_pool_state(state, pool_id, &ps, err);
    const char *year = rc == PB_OK ? json_string_value(json_object_get(json_object_get(ps, "pool"),
                                                                       "year"))
                                   : NULL;
    int count = kind == PB_PERIOD_QUARTER ? 4 : 12;
    json_t *before = NULL;
    for (int n = 1; rc == PB_OK && n <= count; n++) {
        char label[32];
        json_t *report = NULL, *row = NULL;
        snprintf(label, sizeof(label), kind == PB_PERIOD_QUARTER ? "%s-Q%d" : "%s-M%02d", year, n);
        rc = pb_pool_report_state(state, pool_id, label, 0, &report, err);
        rc = rc == PB_OK ? series_row(report, before, kind == PB_PERIOD_QUARTER ? 3 * n : n, &row,
                                      err)
                         : rc;
        if (rc == PB_OK) {
            json_array_append_new(periods, row);
        }
        json_decref(before);
        before = report;
    }
    json_decref(before);
    json_decref(ps);
    return rc;
}

int
pb_pool_report_series(pb_store *store, const char *pool_id, int kind, json_t **series_out,
                      pb_error *err)
{
    PB_ASSERT(store != NULL && pool_id != NULL && series_out != NULL);
    *series_out = NULL;
    if (kind != PB_PERIOD_QUARTER && kind != PB_PERIOD_MONTH) {
        return pb_error_set(err, PB_EUSAGE, NULL, "a series is by quarter or by month");
    }
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    json_t *periods = json_array();
    rc = series_of(&state, pool_id, kind, periods, err);
    pb_snapshot_close(&snap);
    if (rc == PB_OK) {
        const json_t *first = json_array_get(periods, 0);
        char year[16];
        snprintf(year, sizeof(year), "%.7s", json_string_value(json_object_get(first, "period")));
        *series_out = json_pack("{s:s,s:s,s:s,s:O}", "pool", pool_id, "year", year, "by",
                                kind == PB_PERIOD_QUARTER ? "quarter" : "month", "periods",
                                periods);
        rc = *series_out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(periods);
    return rc;
}

/* One pool's line of the list. */
static json_t *
list_item(const json_t *ps, pb_error *err, int *rc)
{
    const json_t *pool = json_object_get(ps, "pool");
    int64_t budget = 0;
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(pool, "schemes"), i, s)
    {
        *rc = *rc == PB_OK ? pb_money_add(budget, pence_of(s, "budget"), &budget, err) : *rc;
    }
    return json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:s}", "id", json_object_get(pool, "id"),
                     "name", json_object_get(pool, "name"), "kind", json_object_get(pool, "kind"),
                     "year", json_object_get(pool, "year"), "host", json_object_get(pool, "host"),
                     "partners", json_object_get(pool, "partners"), "budget",
                     pb_money_json(budget), "status",
                     json_object_get(ps, "settlement") != NULL ? "settled" : "open");
}

int
pb_pool_list(pb_store *store, json_t **list_out, pb_error *err)
{
    PB_ASSERT(store != NULL && list_out != NULL);
    pb_snapshot snap;
    json_t *ids = NULL;
    *list_out = json_array();
    int rc = *list_out != NULL ? pb_snapshot_open(store, &snap, err)
                               : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc != PB_OK) {
        json_decref(*list_out);
        *list_out = NULL;
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    rc = pb_state_get(&state, "pools", &ids, err);
    rc = rc == PB_ENOTFOUND ? PB_OK : rc;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(ids); i++) {
        json_t *ps = NULL;
        rc = pb_pool_state(&state, json_string_value(json_array_get(ids, i)), &ps, err);
        if (rc == PB_OK) {
            json_array_append_new(*list_out, list_item(ps, err, &rc));
        }
        json_decref(ps);
    }
    pb_snapshot_close(&snap);
    json_decref(ids);
    if (rc != PB_OK) {
        json_decref(*list_out);
        *list_out = NULL;
    }
    return rc;
}
