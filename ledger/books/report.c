/*
 * report.c — a pool's figures at a period end, from its state and its
 * monthly aggregates (entry_money.c keeps them at append): budgets after
 * virements, actuals, latest forecasts, variances, planned and received
 * contributions, totals. No cost grows with other pools or years.
 */
#include "books/books.h"

#include <string.h>

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
    int64_t budget, actual, forecast, outturn, variance, planned, received;
};

static int
report_schemes(const struct report *r, json_t *out, struct totals *t, pb_error *err)
{
    const char *end = NULL;
    char end_text[PB_DATE_TEXT_MAX];
    pb_date_format(r->period.last_day, end_text, sizeof(end_text));
    end = end_text;
    const char *id;
    const json_t *unused;
    int rc = PB_OK;
    json_object_foreach((json_t *)json_object_get(r->version, "budgets"), id, unused)
    {
        (void)unused;
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
                                  fc != NULL ? json_object_get(fc, "date") : json_null()) != 0;
        if (!bad && fc == NULL && !r->actual) {
            /* DESIGN 6: a scheme with no forecast counts at budget and is flagged. */
            bad = json_object_set_new(s, "flag", json_string("no forecast: counted at budget"));
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
    return rc;
}

static int
report_streams(const struct report *r, json_t *streams, json_t *partners, struct totals *t,
               pb_error *err)
{
    const char *id;
    const json_t *planned_v;
    int rc = PB_OK;
    json_t *by_partner = json_object();
    json_object_foreach((json_t *)json_object_get(r->version, "planned"), id, planned_v)
    {
        int64_t planned = pb_money_of_json(planned_v), received = 0;
        rc = sum_months(r, "received", id, &received, err);
        if (rc != PB_OK) {
            break;
        }
        const json_t *st = pb_pool_find(r->pool, "streams", id);
        const char *payer = json_string_value(json_object_get(st, "payer"));
        payer = payer != NULL ? payer : "";
        if (json_array_append_new(streams,
                                  json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", id, "name",
                                            json_string_value(json_object_get(st, "name")) != NULL
                                                ? json_string_value(json_object_get(st, "name"))
                                                : "",
                                            "payer", payer, "planned", pb_money_json(planned),
                                            "received", pb_money_json(received))) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            break;
        }
        json_t *p = json_object_get(by_partner, payer);
        if (p == NULL) {
            p = json_pack("{s:s,s:s,s:s}", "id", payer, "planned", "0.00", "received", "0.00");
            if (by_partner == NULL || json_object_set_new(by_partner, payer, p) != 0) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
                break;
            }
        }
        int64_t pp = pb_money_of_json(json_object_get(p, "planned")) + 0, pr = 0;
        pr = pb_money_of_json(json_object_get(p, "received"));
        rc = pb_money_add(pp, planned, &pp, err);
        rc = rc == PB_OK ? pb_money_add(pr, received, &pr, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->planned, planned, &t->planned, err) : rc;
        rc = rc == PB_OK ? pb_money_add(t->received, received, &t->received, err) : rc;
        if (rc == PB_OK && (json_object_set_new(p, "planned", pb_money_json(pp)) != 0 ||
                            json_object_set_new(p, "received", pb_money_json(pr)) != 0)) {
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
                                                : json_pack("{s:s,s:s,s:s}", "id", pid, "planned",
                                                            "0.00", "received", "0.00")) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    json_decref(by_partner);
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
 * carried forward, as a positive amount. A new reference, or NULL. */
static json_t *
settlement_of(const json_t *ps)
{
    const json_t *settled = json_object_get(ps, "settlement");
    if (settled == NULL) {
        return NULL;
    }
    json_t *out = json_deep_copy(settled);
    int64_t carried = pb_money_of_json(json_object_get(settled, "carried_forward"));
    json_object_set_new(out, "closing_reserve", pb_money_json(-carried));
    return out;
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
    if (rc == PB_OK) {
        json_object_set_new(report, "origin", origin);
        json_object_set_new(report, "active_months", json_integer(active_months(r)));
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
            json_object_set(p, "name", json_object_get(known, "name"));
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
        *report_out = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:O,s:O,s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o},s:o*}",
            "pool", pool_id, "name", json_string_value(json_object_get(r.pool, "name")), "period",
            r.period.label, "period_end", end, "basis", r.actual ? "actual" : "forecast", "host",
            json_string_value(json_object_get(r.pool, "host")), "policy", policy, "schemes",
            schemes, "streams", streams, "partners", partners, "totals", "budget",
            pb_money_json(t.budget), "actual", pb_money_json(t.actual), "forecast",
            pb_money_json(t.forecast), "outturn", pb_money_json(t.outturn), "variance",
            pb_money_json(t.variance), "planned", pb_money_json(t.planned), "received",
            pb_money_json(t.received), "settlement", settlement_of(ps));
        rc = *report_out == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : PB_OK;
        rc = rc == PB_OK ? report_names(state, &r, *report_out, err) : rc;
        /* The periods closed now, and every close and reopen (entry_money.c). */
        if (rc == PB_OK) {
            json_object_set(*report_out, "closed", json_object_get(ps, "closed"));
            const json_t *periods = json_object_get(ps, "periods");
            json_object_set_new(*report_out, "periods",
                                periods != NULL ? json_incref((json_t *)periods) : json_array());
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
