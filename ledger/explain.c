/*
 * explain.c — a pool's variance apportioned under its risk-share policy at a
 * period end (DESIGN 6, `poolbook policy explain`): the figures come from
 * pb_pool_report, the arithmetic from pb_policy_apply; this file only turns
 * one into the input of the other and the result into the explain object.
 */
#include "internal.h"

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

static json_t *
explain_of(const json_t *report, const pb_policy_result *r)
{
    json_t *shares = json_object();
    for (size_t i = 0; shares != NULL && i < r->share_count; i++) {
        json_object_set_new(shares, r->shares[i].partner, pb_money_json(r->shares[i].amount_pence));
    }
    return json_pack("{s:O, s:O, s:O, s:o, s:o*, s:o, s:o, s:O}", "pool",
                     json_object_get(report, "pool"), "period", json_object_get(report, "period"),
                     "period_end", json_object_get(report, "period_end"), "variance",
                     pb_money_json(r->variance_pence), "shares", shares, "unallocated",
                     pb_money_json(r->unallocated_pence), "carried_forward",
                     pb_money_json(r->carried_forward_pence), "workings", r->workings);
}

int
pb_policy_explain_report(const json_t *report, json_t **explain_out, pb_error *err)
{
    PB_ASSERT(report != NULL && explain_out != NULL);
    pb_policy_result *result = NULL;
    pb_policy_partner *partners = calloc(PB_PARTNERS_MAX, sizeof(*partners));
    pb_policy_scheme *schemes = calloc(PB_POLICY_SCHEMES_MAX, sizeof(*schemes));
    pb_policy_input in;
    *explain_out = NULL;
    int rc = partners == NULL || schemes == NULL
                 ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory")
                 : PB_OK;
    rc = rc == PB_OK ? input_of(report, partners, schemes, &in, err) : rc;
    rc = rc == PB_OK ? pb_policy_apply(json_object_get(report, "policy"), &in, &result, err) : rc;
    if (rc == PB_OK) {
        *explain_out = explain_of(report, result);
        rc = *explain_out == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : PB_OK;
    }
    pb_policy_result_free(result);
    free(schemes);
    free(partners);
    return rc;
}

int
pb_policy_explain(pb_store *store, const char *pool_id, const char *period, json_t **explain_out,
                  pb_error *err)
{
    PB_ASSERT(store != NULL && pool_id != NULL && explain_out != NULL);
    json_t *report = NULL;
    *explain_out = NULL;
    int rc = pb_pool_report(store, pool_id, period, &report, err);
    rc = rc == PB_OK ? pb_policy_explain_report(report, explain_out, err) : rc;
    json_decref(report);
    return rc;
}
