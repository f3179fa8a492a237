/*
 * explain.c — a pool's variance apportioned under its risk-share policy at a
 * period end (DESIGN 6, `poolbook policy explain`): the figures come from
 * pb_pool_report, the arithmetic from pb_policy_apply; this file only turns
 * one into the input of the other and the result into the explain object.
 */
#include "books/books.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Fill in from report; partners and schemes point into arrays the caller
 * allocated, strings are borrowed from report. */
static int
input_of(const json_t *report, pb_policy_partner *partners, pb_policy_scheme *schemes,
         pb_policy_input *in, pb_error *err)
{
    const json_t *ps = json_object_get(report, "partners");
    const json_t *ss = json_object_get(report, "schemes");
    if (json_array_size(ps) > PB_PARTNERS_MAX || json_array_size(ss) > PB_POLICY_SCHEMES_MAX) {
        return pb_error_set(err, PB_ETOOBIG, NULL, "%zu partners, %zu schemes: too many",
                            json_array_size(ps), json_array_size(ss));
    }
    for (size_t i = 0; i < json_array_size(ps); i++) {
        const json_t *p = json_array_get(ps, i);
        partners[i] = (pb_policy_partner){json_string_value(json_object_get(p, "id")),
                                          pb_money_of_json(json_object_get(p, "planned")),
                                          pb_money_of_json(json_object_get(p, "received"))};
    }
    for (size_t i = 0; i < json_array_size(ss); i++) {
        const json_t *s = json_array_get(ss, i);
        schemes[i] = (pb_policy_scheme){json_string_value(json_object_get(s, "id")),
                                        json_string_value(json_object_get(s, "lead")),
                                        json_string_value(json_object_get(s, "class")),
                                        pb_money_of_json(json_object_get(s, "budget")),
                                        pb_money_of_json(json_object_get(s, "variance"))};
    }
    *in = (pb_policy_input){json_string_value(json_object_get(report, "host")), partners,
                            json_array_size(ps), schemes, json_array_size(ss)};
    return PB_OK;
}

#define FORECAST_BASIS                                                                             \
    "forecast outturn minus budget (the latest forecast of each scheme at the period end; a "      \
    "scheme without one counts at budget)"

#define ACTUAL_BASIS "actual outturn minus budget (the year's spending, at the year end)"

static json_t *
explain_of(const json_t *report, const pb_policy_result *r)
{
    json_t *shares = json_object();
    for (size_t i = 0; shares != NULL && i < r->share_count; i++) {
        if (json_object_set_new(shares, r->shares[i].partner,
                                pb_money_json(r->shares[i].amount_pence)) != 0) {
            json_decref(shares);
            shares = NULL; /* json_pack below then fails: out of memory */
        }
    }
    int actual = strcmp(json_string_value(json_object_get(report, "basis")), "actual") == 0;
    return json_pack(
        "{s:O, s:s, s:O*, s:O, s:O, s:o, s:o, s:o, s:o, s:O}", "pool",
        json_object_get(report, "pool"), "basis", actual ? ACTUAL_BASIS : FORECAST_BASIS, "policy",
        json_object_get(json_object_get(report, "policy"), "name"), "period",
        json_object_get(report, "period"), "period_end", json_object_get(report, "period_end"),
        "variance", pb_money_json(r->variance_pence), "shares", shares, "unallocated",
        pb_money_json(r->unallocated_pence), "carried_forward",
        pb_money_json(r->carried_forward_pence), "workings", r->workings);
}

int
pb_policy_explain_state(const pb_state *state, const char *pool_id, const char *period, int actual,
                        json_t **explain_out, pb_error *err)
{
    PB_ASSERT(state != NULL && pool_id != NULL && explain_out != NULL);
    json_t *report = NULL;
    pb_policy_result *result = NULL;
    pb_policy_partner *partners = calloc(PB_PARTNERS_MAX, sizeof(*partners));
    pb_policy_scheme *schemes = calloc(PB_POLICY_SCHEMES_MAX, sizeof(*schemes));
    pb_policy_input in;
    *explain_out = NULL;
    int rc = partners == NULL || schemes == NULL
                 ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory")
                 : PB_OK;
    rc = rc == PB_OK ? pb_pool_report_state(state, pool_id, period, actual, &report, err) : rc;
    rc = rc == PB_OK ? input_of(report, partners, schemes, &in, err) : rc;
    rc = rc == PB_OK ? pb_policy_apply(json_object_get(report, "policy"), &in, &result, err) : rc;
    if (rc == PB_OK) {
        *explain_out = explain_of(report, result);
        rc = *explain_out == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : PB_OK;
    }
    pb_policy_result_free(result);
    json_decref(report);
    free(schemes);
    free(partners);
    return rc;
}

static int
explain_store(pb_store *store, const char *pool_id, const char *period, int actual,
              json_t **explain_out, pb_error *err)
{
    PB_ASSERT(store != NULL && pool_id != NULL && explain_out != NULL);
    pb_snapshot snap;
    *explain_out = NULL;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    rc = pb_policy_explain_state(&state, pool_id, period, actual, explain_out, err);
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_policy_explain(pb_store *store, const char *pool_id, const char *period, json_t **explain_out,
                  pb_error *err)
{
    return explain_store(store, pool_id, period, 0, explain_out, err);
}

int
pb_policy_explain_actual(pb_store *store, const char *pool_id, json_t **explain_out, pb_error *err)
{
    return explain_store(store, pool_id, NULL, 1, explain_out, err);
}

/* ---- workings as text ------------------------------------------------------ */

/* " £1,250,000.00" or "-£1,250,000.00" of a canonical amount string. */
static void
money_text(const json_t *amount, char *buf, size_t size)
{
    char digits[PB_MONEY_TEXT_MAX];
    int64_t pence = pb_money_of_json(amount);
    if (pb_money_format_display(pence, digits, sizeof(digits)) != PB_OK) {
        snprintf(buf, size, "(amount out of range)");
        return;
    }
    snprintf(buf, size, "%s£%s", pence < 0 ? "-" : "", digits + (pence < 0));
}

/* A decimal integer string (as the workings write 128-bit values) into *out.
 * Returns 0, or -1 if it is not one or beyond 38 digits. */
static int
wide_of(const char *text, __int128 *out)
{
    __int128 v = 0;
    int negative = text != NULL && text[0] == '-';
    const char *p = text != NULL ? text + negative : NULL;
    if (p == NULL || *p == '\0' || strlen(p) > 38) {
        return -1;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (*p - '0');
    }
    *out = negative ? -v : v;
    return 0;
}

/* numerator/denominator pence as pounds with six more decimals of a penny,
 * "£97,200.00000972…" (the ellipsis when digits remain). */
static void
exact_text(const json_t *numerator, const json_t *denominator, char *buf, size_t size)
{
    __int128 num = 0, den = 0;
    char digits[PB_MONEY_TEXT_MAX];
    if (wide_of(json_string_value(numerator), &num) != 0 ||
        wide_of(json_string_value(denominator), &den) != 0 || den <= 0) {
        snprintf(buf, size, "(not a fraction)");
        return;
    }
    int negative = num < 0;
    num = negative ? -num : num;
    __int128 whole = num / den, rest = num % den;
    long fraction = (long)(rest * 1000000 / den);
    int more = rest * 1000000 % den != 0;
    if (whole > PB_MONEY_PENCE_MAX ||
        pb_money_format_display((int64_t)whole, digits, sizeof(digits)) != PB_OK) {
        snprintf(buf, size, "(out of range)");
        return;
    }
    snprintf(buf, size, "%s£%s%06ld%s", negative ? "-" : "", digits, fraction, more ? "…" : "");
}

/* remainder/denominator of a penny as "0.990280…". */
static void
fraction_text(const json_t *remainder, const json_t *denominator, char *buf, size_t size)
{
    __int128 rem = 0, den = 0;
    if (wide_of(json_string_value(remainder), &rem) != 0 ||
        wide_of(json_string_value(denominator), &den) != 0 || den <= 0 || rem < 0 || rem >= den) {
        snprintf(buf, size, "(not a fraction)");
        return;
    }
    long fraction = (long)(rem * 1000000 / den);
    snprintf(buf, size, "0.%06ld%s", fraction, rem * 1000000 % den != 0 ? "…" : "");
}

static const char *
str_of(const json_t *step, const char *key)
{
    const char *s = json_string_value(json_object_get(step, key));
    return s != NULL ? s : "?";
}

/* The side of a signed amount, in words. */
static const char *
side_of(const json_t *amount)
{
    int64_t pence = pb_money_of_json(amount);
    return pence > 0 ? "overspend" : pence < 0 ? "underspend" : "nil";
}

static void
text_weights(FILE *f, const json_t *step)
{
    const char *split = str_of(step, "split");
    const char *key;
    const json_t *w;
    int fixed = strcmp(split, "fixed") == 0;
    int money = strcmp(split, "contributions") == 0 || strcmp(split, "planned") == 0;
    const char *sep = "";
    if (!fixed && !money) {
        json_object_foreach((json_t *)json_object_get(step, "weights"), key, w)
        {
            if (strcmp(json_string_value(w), "0") != 0) {
                fprintf(f, "Split %s: the whole amount goes to %s", split, key);
            }
        }
        return;
    }
    fprintf(f, "Split %s, weights %s:", split, str_of(step, "basis"));
    json_object_foreach((json_t *)json_object_get(step, "weights"), key, w)
    {
        /* Weights are whole pence (contributions, planned) or hundredths of
         * a percent (fixed); both print as an amount with two decimals. */
        int64_t units = 0;
        char digits[PB_MONEY_TEXT_MAX];
        const char *text = json_string_value(w);
        for (const char *p = text; p != NULL && *p >= '0' && *p <= '9' && units < INT64_MAX / 10;
             p++) {
            units = units * 10 + (*p - '0');
        }
        pb_money_format_display(units, digits, sizeof(digits));
        fprintf(f, "%s %s %s%s", sep, key, fixed ? "" : "£", digits);
        fprintf(f, "%s", fixed ? "%" : "");
        sep = ",";
    }
}

static void
text_step(FILE *f, const json_t *step)
{
    const char *kind = str_of(step, "step");
    char a[PB_MONEY_TEXT_MAX + 8], b[PB_MONEY_TEXT_MAX + 32];
    if (strcmp(kind, "inputs") == 0) {
        fprintf(f, "Inputs: host %s, netting %s, %zu partners, %zu schemes", str_of(step, "host"),
                str_of(step, "netting"), json_array_size(json_object_get(step, "partners")),
                json_array_size(json_object_get(step, "schemes")));
    } else if (strcmp(kind, "excluded") == 0) {
        money_text(json_object_get(step, "variance"), a, sizeof(a));
        fprintf(f,
                "Scheme %s is %s, a class the policy does not cover: its variance %s is not "
                "shared (unallocated)",
                str_of(step, "scheme"), str_of(step, "class"), a);
    } else if (strcmp(kind, "netting") == 0 && strcmp(str_of(step, "netting"), "pool") == 0) {
        money_text(json_object_get(step, "variance"), a, sizeof(a));
        money_text(json_object_get(step, "budget"), b, sizeof(b));
        fprintf(f,
                "Netting across the pool: the schemes' variances sum to %s (%s) on a budget of %s",
                a, side_of(json_object_get(step, "variance")), b);
    } else if (strcmp(kind, "netting") == 0) {
        money_text(json_object_get(step, "variance"), a, sizeof(a));
        money_text(json_object_get(step, "budget"), b, sizeof(b));
        fprintf(f, "Scheme %s on its own: variance %s (%s) on a budget of %s",
                str_of(step, "scheme"), a, side_of(json_object_get(step, "variance")), b);
    } else if (strcmp(kind, "rule") == 0) {
        const char *path = str_of(step, "path");
        money_text(json_object_get(step, "amount"), a, sizeof(a));
        if (strchr(path, '.') == NULL) {
            fprintf(f, "The policy's %s rule applies to %s", path, a);
        } else {
            fprintf(f, "The rule at %s applies to %s", path, a);
        }
    } else if (strcmp(kind, "band") == 0) {
        money_text(json_object_get(step, "from"), a, sizeof(a));
        money_text(json_object_get(step, "upto"), b, sizeof(b));
        fprintf(f, "Band %" JSON_INTEGER_FORMAT " runs from %s up to %s: ",
                json_integer_value(json_object_get(step, "index")) + 1, a, b);
        money_text(json_object_get(step, "slice"), a, sizeof(a));
        if (pb_money_of_json(json_object_get(step, "slice")) == 0) {
            fprintf(f, "nothing falls in it");
        } else {
            fprintf(f, "it takes %s", a);
        }
    } else if (strcmp(kind, "weights") == 0) {
        text_weights(f, step);
    } else if (strcmp(kind, "exact") == 0) {
        money_text(json_object_get(step, "floor"), a, sizeof(a));
        exact_text(json_object_get(step, "numerator"), json_object_get(step, "denominator"), b,
                   sizeof(b));
        fprintf(f, "%s's exact share is %s (%s/%s pence), rounded down to %s",
                str_of(step, "partner"), b, str_of(step, "numerator"), str_of(step, "denominator"),
                a);
    } else if (strcmp(kind, "penny") == 0) {
        money_text(json_object_get(step, "amount"), a, sizeof(a));
        fraction_text(json_object_get(step, "remainder"), json_object_get(step, "denominator"), b,
                      sizeof(b));
        fprintf(f,
                "%s takes one of the pennies left by rounding down (%s): the part of a penny it "
                "lost, %s, is among the largest",
                str_of(step, "partner"), a, b);
    } else if (strcmp(kind, "cap") == 0) {
        money_text(json_object_get(step, "cap"), a, sizeof(a));
        exact_text(json_object_get(step, "exact_numerator"),
                   json_object_get(step, "exact_denominator"), b, sizeof(b));
        fprintf(f,
                "%s's exact share %s is over its cap, so it bears exactly %s and what is over "
                "is shared again among the others",
                str_of(step, "partner"), b, a);
    } else if (strcmp(kind, "residual") == 0) {
        money_text(json_object_get(step, "amount"), a, sizeof(a));
        fprintf(f, "Every other partner is capped: %s takes the residual %s",
                str_of(step, "partner"), a);
    } else if (strcmp(kind, "unallocated") == 0) {
        money_text(json_object_get(step, "amount"), a, sizeof(a));
        fprintf(f, "Unallocated risk %s: %s", a, str_of(step, "reason"));
    } else if (strcmp(kind, "carry_forward") == 0) {
        money_text(json_object_get(step, "amount"), a, sizeof(a));
        fprintf(f, "The underspend %s is carried forward: it stays in the pool as reserve", a);
    } else if (strcmp(kind, "share") == 0) {
        money_text(json_object_get(step, "amount"), a, sizeof(a));
        fprintf(f, "%s bears %s under this rule", str_of(step, "partner"), a);
    } else if (strcmp(kind, "result") == 0) {
        const char *key;
        const json_t *v;
        money_text(json_object_get(step, "variance"), a, sizeof(a));
        fprintf(f, "Result: the variance %s =", a);
        json_object_foreach((json_t *)json_object_get(step, "shares"), key, v)
        {
            money_text(v, a, sizeof(a));
            fprintf(f, " %s %s +", key, a);
        }
        money_text(json_object_get(step, "unallocated"), a, sizeof(a));
        money_text(json_object_get(step, "carried_forward"), b, sizeof(b));
        fprintf(f, " unallocated %s + carried forward %s", a, b);
    } else {
        char *json = json_dumps(step, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(f, "%s", json != NULL ? json : kind);
        free(json);
    }
}

char *
pb_policy_step_text(const json_t *step)
{
    PB_ASSERT(step != NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        return NULL;
    }
    text_step(f, step);
    if (ferror(f) != 0) {
        fclose(f);
        free(text);
        return NULL;
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
