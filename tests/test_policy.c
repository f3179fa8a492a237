/*
 * test_policy.c — ledger/books/policy.c: the policy language's refusals with their
 * JSON paths, hand-worked apportionments (the arithmetic is in the comments)
 * checked to the penny with their key workings, and properties over many
 * pseudo-random pools and policies from a fixed, printed seed.
 */
#include "books/books.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support.h"

/* ---------------------------------------------------------------------------
 * Helpers.
 * ------------------------------------------------------------------------- */

static void
check_refuses(const char *text, const char *where, const char *message)
{
    json_t *policy = pbt_json_of(text);
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_policy_check(policy, &err), PB_EPOLICY);
    assert_string_equal(err.where, where);
    assert_string_equal(err.text, message);
    json_decref(policy);
}

/* ---------------------------------------------------------------------------
 * pb_policy_check.
 * ------------------------------------------------------------------------- */

static void
test_check_accepts_design_examples(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{\"name\":\"pro rata\",\"netting\":\"pool\",\"overspend\":{\"split\":\"contributions\"},"
        "\"underspend\":{\"split\":\"planned\"}}",
        "{\"netting\":\"scheme\",\"classes\":[\"revenue\"],\"overspend\":{\"split\":\"lead\"},"
        "\"underspend\":{\"carry_forward\":true},\"by_scheme\":{\"S01\":{\"overspend\":"
        "{\"split\":\"host\"}}}}",
        "{\"netting\":\"pool\",\"overspend\":{\"bands\":[{\"upto\":\"500000.00\",\"rule\":"
        "{\"split\":\"host\"}},{\"upto\":{\"percent_of_budget\":\"2.5\"},\"rule\":{\"split\":"
        "\"fixed\",\"shares\":{\"DCC\":\"33.33\",\"ICB\":\"66.67\"}}},{\"rule\":{\"split\":"
        "\"partner\",\"partner\":\"ICB\",\"caps\":{\"ICB\":\"1000000.00\",\"DCC\":"
        "{\"percent_of_contribution\":\"10\"}},\"residual\":\"DCC\"}}]},"
        "\"underspend\":{\"split\":\"contributions\"}}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        json_t *policy = pbt_json_of(ok[i]);
        pb_error err;
        pb_error_init(&err);
        assert_int_equal(pb_policy_check(policy, &err), PB_OK);
        json_decref(policy);
    }
}

static void
test_check_refuses_with_path(void **state)
{
    (void)state;
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"bands\":[{\"upto\":\"1.00\",\"rule\":"
                  "{\"split\":\"host\"}},{\"rule\":{\"split\":\"fixed\",\"shares\":{\"A\":\"60\","
                  "\"B\":\"30\"}}}]},\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.bands[1].rule.shares",
                  "overspend.bands[1].rule.shares: must sum to 100, not 90.00");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"carry_forward\":true},"
                  "\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.carry_forward",
                  "overspend.carry_forward: only an underspend can be carried forward");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"lead\"},"
                  "\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.split",
                  "overspend.split: lead needs netting \"scheme\" (a lead is per scheme)");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\"},\"underspend\":"
                  "{\"split\":\"host\"},\"by_scheme\":{}}",
                  "$.by_scheme", "by_scheme: only with netting \"scheme\"");
    check_refuses("{\"netting\":\"net\",\"overspend\":{\"split\":\"host\"},"
                  "\"underspend\":{\"split\":\"host\"}}",
                  "$.netting", "netting: must be \"pool\" or \"scheme\"");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\"}}", "$.underspend",
                  "underspend: required");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"bands\":[{\"upto\":\"1.00\",\"rule\":"
                  "{\"split\":\"host\"}}]},\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.bands[0].upto",
                  "overspend.bands[0].upto: the last band takes the rest: no upto");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\",\"caps\":{\"A\":"
                  "{\"percent_of_contribution\":\"100.01\"}}},\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.caps.A",
                  "overspend.caps.A: must be {\"percent_of_contribution\": \"0\"..\"100\"}");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\",\"caps\":{\"A\":"
                  "\"-1.00\"}},\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.caps.A",
                  "overspend.caps.A: must be an amount like \"1000000.00\", not negative");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\",\"colour\":1},"
                  "\"underspend\":{\"split\":\"host\"}}",
                  "$.overspend.colour", "overspend.colour: unknown member");
    check_refuses("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\"},\"underspend\":"
                  "{\"split\":\"host\"},\"classes\":[\"revenue\",\"revenue\"]}",
                  "$.classes[1]", "classes[1]: must be revenue or capital, once");
}

/* A rule whose bands nest n rules deep. */
static char *
nested(int n)
{
    static char buf[2048];
    size_t at = 0;
    at += (size_t)snprintf(buf + at, sizeof(buf) - at,
                           "{\"netting\":\"pool\",\"underspend\":{\"split\":\"host\"},"
                           "\"overspend\":");
    for (int i = 1; i < n; i++) {
        at += (size_t)snprintf(buf + at, sizeof(buf) - at, "{\"bands\":[{\"rule\":");
    }
    at += (size_t)snprintf(buf + at, sizeof(buf) - at, "{\"split\":\"host\"}");
    for (int i = 1; i < n; i++) {
        at += (size_t)snprintf(buf + at, sizeof(buf) - at, "}]}");
    }
    snprintf(buf + at, sizeof(buf) - at, "}");
    return buf;
}

static void
test_check_bounds_nesting(void **state)
{
    (void)state;
    json_t *policy = pbt_json_of(nested(PB_POLICY_DEPTH_MAX));
    assert_int_equal(pb_policy_check(policy, NULL), PB_OK);
    json_decref(policy);
    check_refuses(nested(PB_POLICY_DEPTH_MAX + 1),
                  "$.overspend.bands[0].rule.bands[0].rule.bands[0].rule.bands[0].rule",
                  "overspend.bands[0].rule.bands[0].rule.bands[0].rule.bands[0].rule: rules nest "
                  "deeper than 4");
}

/* ---------------------------------------------------------------------------
 * Hand-worked examples.
 * ------------------------------------------------------------------------- */

static const pb_policy_scheme one_scheme_over_20002[] = {
    {"S01", "DCC", "revenue", 3000000, 20002},
};

static void
test_pro_rata_penny_tie_goes_to_lower_id(void **state)
{
    (void)state;
    /* Received 100.00 each, weights 10000/30000 each. Overspend 200.02 = 20002p:
     * exact 20002 * 10000 / 30000 = 6667 + 10000/30000 each; floors 3 * 6667 = 20001,
     * one penny left; remainders and weights tie, so the lowest id, DCC, takes it:
     * DCC 66.68, ICB 66.67, TRUST 66.67. */
    const pb_policy_partner partners[] = {
        {"TRUST", 1000000, 10000}, {"ICB", 1000000, 10000}, {"DCC", 1000000, 10000}};
    const pb_policy_input in = {"DCC", partners, 3, one_scheme_over_20002, 1};
    pb_policy_result *r =
        pbt_policy_apply_ok("{\"netting\":\"pool\",\"overspend\":{\"split\":"
                            "\"contributions\"},\"underspend\":{\"split\":\"host\"}}",
                            &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 6668);
    assert_int_equal(pbt_share_of(r, "ICB"), 6667);
    assert_int_equal(pbt_share_of(r, "TRUST"), 6667);
    assert_int_equal(r->unallocated_pence, 0);
    pbt_assert_working(r, "{\"step\":\"exact\",\"partner\":\"ICB\",\"numerator\":\"200020000\","
                          "\"denominator\":\"30000\",\"floor\":\"66.67\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"DCC\",\"remainder\":\"10000\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_pro_rata_remainder_tie_goes_to_larger_weight(void **state)
{
    (void)state;
    /* Received DCC 100.00, ICB 300.00, TRUST 0 (zero weight: nothing). W = 40000.
     * Overspend 1000.02 = 100002p: DCC 100002 * 10000 / 40000 = 25000 r 20000,
     * ICB 100002 * 30000 / 40000 = 75001 r 20000. Floors 100001; the penny's
     * remainders tie, ICB's weight is larger: DCC 250.00, ICB 750.02. */
    const pb_policy_partner partners[] = {
        {"DCC", 1000000, 10000}, {"ICB", 1000000, 30000}, {"TRUST", 1000000, 0}};
    const pb_policy_scheme schemes[] = {{"S01", "ICB", "revenue", 3000000, 100002}};
    const pb_policy_input in = {"DCC", partners, 3, schemes, 1};
    pb_policy_result *r =
        pbt_policy_apply_ok("{\"netting\":\"pool\",\"overspend\":{\"split\":"
                            "\"contributions\"},\"underspend\":{\"split\":\"host\"}}",
                            &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 25000);
    assert_int_equal(pbt_share_of(r, "ICB"), 75002);
    assert_int_equal(pbt_share_of(r, "TRUST"), 0);
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"20000\","
                          "\"denominator\":\"40000\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_contributions_fall_back_to_planned(void **state)
{
    (void)state;
    /* Nothing received yet: planned 300.00 and 100.00 weigh. Underspend -40.00:
     * DCC -30.00, ICB -10.00, and the workings say why. */
    const pb_policy_partner partners[] = {{"DCC", 30000, 0}, {"ICB", 10000, 0}};
    const pb_policy_scheme schemes[] = {{"S01", "DCC", "revenue", 40000, -4000}};
    const pb_policy_input in = {"DCC", partners, 2, schemes, 1};
    pb_policy_result *r =
        pbt_policy_apply_ok("{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\"},"
                            "\"underspend\":{\"split\":\"contributions\"}}",
                            &in);
    assert_int_equal(pbt_share_of(r, "DCC"), -3000);
    assert_int_equal(pbt_share_of(r, "ICB"), -1000);
    pbt_assert_working(r, "{\"step\":\"weights\",\"basis\":\"planned, because every received "
                          "contribution is zero\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static const pb_policy_partner two_partners[] = {{"DCC", 500000, 300000}, {"ICB", 200000, 100000}};
static const pb_policy_scheme over_1000[] = {{"S01", "DCC", "revenue", 700000, 100000}};

static void
test_fixed_with_cap_redistributes(void **state)
{
    (void)state;
    /* Fixed 60/40 of 1000.00: exact DCC 600.00, ICB 400.00 > cap 300.00, so ICB
     * bears 300.00 and DCC, the only partner left, the other 700.00. */
    const pb_policy_input in = {"DCC", two_partners, 2, over_1000, 1};
    pb_policy_result *r = pbt_policy_apply_ok(
        "{\"netting\":\"pool\",\"overspend\":{\"split\":\"fixed\",\"shares\":{\"DCC\":\"60\","
        "\"ICB\":\"40\"},\"caps\":{\"ICB\":\"300.00\"}},\"underspend\":{\"split\":\"host\"}}",
        &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 70000);
    assert_int_equal(pbt_share_of(r, "ICB"), 30000);
    pbt_assert_working(r, "{\"step\":\"cap\",\"partner\":\"ICB\",\"exact_numerator\":\"400000000\","
                          "\"exact_denominator\":\"10000\",\"cap\":\"300.00\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_fixed_every_partner_capped_residual_or_unallocated(void **state)
{
    (void)state;
    /* Fixed 60/40 of 1000.00, caps DCC 500.00 (600 > 500) and ICB 10% of its
     * planned 2000.00 = 200.00 (400 > 200): both capped in one round, 300.00 left.
     * With residual DCC: DCC 800.00, ICB 200.00. Without: 300.00 unallocated. */
    const pb_policy_input in = {"DCC", two_partners, 2, over_1000, 1};
    pb_policy_result *r = pbt_policy_apply_ok(
        "{\"netting\":\"pool\",\"overspend\":{\"split\":\"fixed\",\"shares\":{\"DCC\":\"60\","
        "\"ICB\":\"40\"},\"caps\":{\"DCC\":\"500.00\",\"ICB\":{\"percent_of_contribution\":"
        "\"10\"}},\"residual\":\"DCC\"},\"underspend\":{\"split\":\"host\"}}",
        &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 80000);
    assert_int_equal(pbt_share_of(r, "ICB"), 20000);
    pbt_assert_working(r, "{\"step\":\"residual\",\"partner\":\"DCC\",\"amount\":\"300.00\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
    r = pbt_policy_apply_ok(
        "{\"netting\":\"pool\",\"overspend\":{\"split\":\"fixed\",\"shares\":{\"DCC\":\"60\","
        "\"ICB\":\"40\"},\"caps\":{\"DCC\":\"500.00\",\"ICB\":{\"percent_of_contribution\":"
        "\"10\"}}},\"underspend\":{\"split\":\"host\"}}",
        &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 50000);
    assert_int_equal(pbt_share_of(r, "ICB"), 20000);
    assert_int_equal(r->unallocated_pence, 30000);
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_host_first_tranche_then_pro_rata(void **state)
{
    (void)state;
    /* Overspend 800.00; the host DCC takes the first 500.00; the next 300.00 goes
     * by received 3000.00 : 1000.00, so DCC 225.00, ICB 75.00.
     * DCC 725.00, ICB 75.00. */
    const pb_policy_scheme schemes[] = {{"S01", "ICB", "revenue", 700000, 80000}};
    const pb_policy_input in = {"DCC", two_partners, 2, schemes, 1};
    pb_policy_result *r = pbt_policy_apply_ok(
        "{\"netting\":\"pool\",\"overspend\":{\"bands\":[{\"upto\":\"500.00\",\"rule\":"
        "{\"split\":\"host\"}},{\"rule\":{\"split\":\"contributions\"}}]},\"underspend\":"
        "{\"split\":\"host\"}}",
        &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 72500);
    assert_int_equal(pbt_share_of(r, "ICB"), 7500);
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":0,\"from\":\"0.00\",\"slice\":\"500.00\"}");
    pbt_assert_working(r,
                       "{\"step\":\"band\",\"index\":1,\"from\":\"500.00\",\"slice\":\"300.00\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_lead_bears_own_schemes_netting_scheme(void **state)
{
    (void)state;
    /* Netting scheme: S01 (lead DCC) +100.00 to DCC; S02 (lead ICB) +50.00 to
     * ICB; S03 -30.00 underspend by received 3:1: DCC -22.50, ICB -7.50.
     * DCC 77.50, ICB 42.50; variance 120.00. S04 is capital, left out by
     * "classes": its +5.00 is unallocated. */
    const pb_policy_scheme schemes[] = {
        {"S03", "ICB", "revenue", 100000, -3000},
        {"S01", "DCC", "revenue", 300000, 10000},
        {"S04", "DCC", "capital", 200000, 500},
        {"S02", "ICB", "revenue", 100000, 5000},
    };
    const pb_policy_input in = {"DCC", two_partners, 2, schemes, 4};
    pb_policy_result *r =
        pbt_policy_apply_ok("{\"netting\":\"scheme\",\"classes\":[\"revenue\"],"
                            "\"overspend\":{\"split\":\"lead\"},\"underspend\":{\"split\":"
                            "\"contributions\"}}",
                            &in);
    assert_int_equal(r->variance_pence, 12500);
    assert_int_equal(pbt_share_of(r, "DCC"), 7750);
    assert_int_equal(pbt_share_of(r, "ICB"), 4250);
    assert_int_equal(r->unallocated_pence, 500);
    pbt_assert_working(r, "{\"step\":\"excluded\",\"scheme\":\"S04\",\"variance\":\"5.00\"}");
    pbt_assert_working(r, "{\"step\":\"netting\",\"scheme\":\"S03\",\"variance\":\"-30.00\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_percent_of_budget_bands(void **state)
{
    (void)state;
    /* Budgets 10000.00 + 5000.00 = 15000.00; S01 +600.00, S02 -100.00 net to
     * +500.00. Band 0 up to 2% = 300.00 to the host DCC; band 1 up to 2.5% =
     * 375.00, its 75.00 split 50/50; band 2 the last 125.00 by planned
     * 10000 : 5000: DCC 12500 * 1000000 / 1500000 = 8333 r 500000, ICB 4166 r
     * 1000000: the penny to ICB. DCC 300 + 37.50 + 83.33 = 420.83,
     * ICB 37.50 + 41.67 = 79.17. */
    const pb_policy_partner partners[] = {{"DCC", 1000000, 0}, {"ICB", 500000, 0}};
    const pb_policy_scheme schemes[] = {{"S01", "DCC", "revenue", 1000000, 60000},
                                        {"S02", "ICB", "revenue", 500000, -10000}};
    const pb_policy_input in = {"DCC", partners, 2, schemes, 2};
    pb_policy_result *r = pbt_policy_apply_ok(
        "{\"netting\":\"pool\",\"overspend\":{\"bands\":[{\"upto\":{\"percent_of_budget\":\"2\"},"
        "\"rule\":{\"split\":\"host\"}},{\"upto\":{\"percent_of_budget\":\"2.5\"},\"rule\":"
        "{\"split\":\"fixed\",\"shares\":{\"DCC\":\"50\",\"ICB\":\"50\"}}},{\"rule\":{\"split\":"
        "\"planned\"}}]},\"underspend\":{\"split\":\"host\"}}",
        &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 42083);
    assert_int_equal(pbt_share_of(r, "ICB"), 7917);
    pbt_assert_working(r,
                       "{\"step\":\"band\",\"index\":1,\"upto\":\"375.00\",\"slice\":\"75.00\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_carry_forward_underspend(void **state)
{
    (void)state;
    /* Underspend -250.00: the first 100.00 stays in the pool (carried forward
     * -100.00); the other -150.00 by received 3:1: DCC -112.50, ICB -37.50. */
    const pb_policy_scheme schemes[] = {{"S01", "DCC", "revenue", 700000, -25000}};
    const pb_policy_input in = {"DCC", two_partners, 2, schemes, 1};
    pb_policy_result *r = pbt_policy_apply_ok(
        "{\"netting\":\"pool\",\"overspend\":{\"split\":\"host\"},\"underspend\":{\"bands\":"
        "[{\"upto\":\"100.00\",\"rule\":{\"carry_forward\":true}},{\"rule\":{\"split\":"
        "\"contributions\"}}]}}",
        &in);
    assert_int_equal(r->carried_forward_pence, -10000);
    assert_int_equal(pbt_share_of(r, "DCC"), -11250);
    assert_int_equal(pbt_share_of(r, "ICB"), -3750);
    pbt_assert_working(r, "{\"step\":\"carry_forward\",\"amount\":\"-100.00\"}");
    pbt_assert_sums(r);
    pb_policy_result_free(r);
}

static void
test_apply_refuses_unknown_partner(void **state)
{
    (void)state;
    const pb_policy_input in = {"DCC", two_partners, 2, over_1000, 1};
    json_t *policy = pbt_json_of("{\"netting\":\"pool\",\"overspend\":{\"split\":\"partner\","
                                 "\"partner\":\"NHSE\"},\"underspend\":{\"split\":\"host\"}}");
    pb_policy_result *r = NULL;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_policy_apply(policy, &in, &r, &err), PB_EPARTNER);
    assert_null(r);
    assert_string_equal(err.text, "NHSE is not a partner of the pool");
    json_decref(policy);
}

/* ---------------------------------------------------------------------------
 * Properties over pseudo-random pools and policies.
 * ------------------------------------------------------------------------- */

#define PROPERTY_SEED UINT64_C(0x5EED0F0BADC0FFEE)
#define PROPERTY_COUNT 100000
#define PARTNERS_RANDOM_MAX 6
#define SCHEMES_RANDOM_MAX 5

static uint64_t rng_state;

static uint64_t
rng(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static int64_t
rng_below(int64_t n)
{
    return (int64_t)(rng() % (uint64_t)n);
}

/* An amount of random scale: pennies to 10^13 pence (GBP 100bn). */
static int64_t
rng_amount(void)
{
    static const int64_t scales[] = {10,       1000,        100000,
                                     10000000, 10000000000, INT64_C(10000000000000)};
    return rng_below(scales[rng_below(6)] + 1);
}

typedef struct pool_case {
    char ids[PARTNERS_RANDOM_MAX][8];
    char scheme_ids[SCHEMES_RANDOM_MAX][8];
    pb_policy_partner partners[PARTNERS_RANDOM_MAX];
    pb_policy_scheme schemes[SCHEMES_RANDOM_MAX];
    pb_policy_input in;
    json_t *policy;
    int simple_split; /* the policy is one split on both sides, netting pool */
} pool_case;

static json_t *
random_split(const pool_case *c, int allow_lead)
{
    static const char *const kinds[] = {"contributions", "planned", "fixed",
                                        "host",          "partner", "lead"};
    size_t n = c->in.partner_count;
    const char *kind = kinds[rng_below(allow_lead ? 6 : 5)];
    json_t *rule = json_pack("{s:s}", "split", kind);
    if (strcmp(kind, "fixed") == 0) {
        json_t *shares = json_object();
        int64_t left = 10000;
        for (size_t i = 0; i < n; i++) {
            int64_t h = i + 1 == n ? left : rng_below(left + 1);
            char text[16];
            snprintf(text, sizeof(text), "%" PRId64 ".%02" PRId64, h / 100, h % 100);
            json_object_set_new(shares, c->ids[i], json_string(text));
            left -= h;
        }
        json_object_set_new(rule, "shares", shares);
    } else if (strcmp(kind, "partner") == 0) {
        json_object_set_new(rule, "partner", json_string(c->ids[rng_below((int64_t)n)]));
    }
    if (rng_below(2) == 0) {
        json_t *caps = json_object();
        for (size_t i = 0; i < n; i++) {
            char text[PB_MONEY_TEXT_MAX];
            if (rng_below(3) == 0) {
                json_object_set_new(
                    caps, c->ids[i],
                    json_pack("{s:s}", "percent_of_contribution", rng_below(2) ? "10" : "2.5"));
            } else if (rng_below(2) == 0) {
                pb_money_format(rng_amount(), text, sizeof(text));
                json_object_set_new(caps, c->ids[i], json_string(text));
            }
        }
        json_object_set_new(rule, "caps", caps);
        if (rng_below(2) == 0) {
            json_object_set_new(rule, "residual", json_string(c->ids[rng_below((int64_t)n)]));
        }
    }
    return rule;
}

static json_t *
random_rule(const pool_case *c, int allow_lead, int under, int depth)
{
    if (depth < 3 && rng_below(3) == 0) {
        json_t *bands = json_array();
        int64_t count = 1 + rng_below(3);
        for (int64_t i = 0; i < count; i++) {
            json_t *band = json_pack("{s:o}", "rule", random_rule(c, allow_lead, under, depth + 1));
            char text[PB_MONEY_TEXT_MAX];
            if (i + 1 < count && rng_below(2) == 0) {
                json_object_set_new(band, "upto", json_pack("{s:s}", "percent_of_budget", "2"));
            } else if (i + 1 < count) {
                pb_money_format(rng_amount(), text, sizeof(text));
                json_object_set_new(band, "upto", json_string(text));
            }
            json_array_append_new(bands, band);
        }
        return json_pack("{s:o}", "bands", bands);
    }
    if (under && rng_below(6) == 0) {
        return json_pack("{s:b}", "carry_forward", 1);
    }
    return random_split(c, allow_lead);
}

static void
random_case(pool_case *c)
{
    size_t n = 1 + (size_t)rng_below(PARTNERS_RANDOM_MAX);
    size_t m = 1 + (size_t)rng_below(SCHEMES_RANDOM_MAX);
    for (size_t i = 0; i < n; i++) {
        snprintf(c->ids[i], sizeof(c->ids[i]), "P%zu", i);
        c->partners[i] =
            (pb_policy_partner){c->ids[i], rng_amount(), rng_below(3) == 0 ? 0 : rng_amount()};
    }
    for (size_t i = 0; i < m; i++) {
        snprintf(c->scheme_ids[i], sizeof(c->scheme_ids[i]), "S%zu", i);
        int64_t v = rng_amount();
        c->schemes[i] = (pb_policy_scheme){c->scheme_ids[i], c->ids[rng_below((int64_t)n)],
                                           rng_below(4) == 0 ? "capital" : "revenue", rng_amount(),
                                           rng_below(2) ? v : -v};
    }
    c->in = (pb_policy_input){c->ids[rng_below((int64_t)n)], c->partners, n, c->schemes, m};
    int scheme = rng_below(2) == 0;
    c->simple_split = 0;
    if (!scheme && rng_below(3) == 0) {
        json_t *rule = random_split(c, 0);
        c->policy =
            json_pack("{s:s, s:o, s:O}", "netting", "pool", "overspend", rule, "underspend", rule);
        c->simple_split = 1;
        return;
    }
    c->policy = json_pack("{s:s, s:o, s:o}", "netting", scheme ? "scheme" : "pool", "overspend",
                          random_rule(c, scheme, 0, 1), "underspend", random_rule(c, scheme, 1, 1));
    if (rng_below(3) == 0) {
        json_object_set_new(c->policy, "classes", json_pack("[s]", "revenue"));
    }
}

/* Under a single capped split with no residual, nobody passes its cap and a
 * partner with zero weight gets nothing (a residual may take what caps leave). */
static void
check_simple_split(const pool_case *c, const pb_policy_result *r)
{
    const json_t *rule = json_object_get(c->policy, "overspend");
    const json_t *caps = json_object_get(rule, "caps");
    const char *split = json_string_value(json_object_get(rule, "split"));
    int64_t received_total = 0;
    for (size_t i = 0; i < c->in.partner_count; i++) {
        received_total += c->partners[i].received_pence;
    }
    for (size_t i = 0; i < c->in.partner_count; i++) {
        const pb_policy_partner *p = &c->partners[i];
        int64_t share = pbt_share_of(r, p->id);
        int64_t magnitude = share < 0 ? -share : share;
        const json_t *cap = json_object_get(caps, p->id);
        if (cap != NULL && json_object_get(rule, "residual") == NULL) {
            int64_t cap_pence = 0;
            if (json_is_string(cap)) {
                assert_int_equal(pb_money_parse(json_string_value(cap), &cap_pence, NULL), PB_OK);
            } else {
                int64_t tenths =
                    strcmp(json_string_value(json_object_get(cap, "percent_of_contribution")),
                           "10") == 0
                        ? 1000
                        : 250;
                cap_pence = (int64_t)((__int128)p->planned_pence * tenths / 10000);
            }
            assert_true(magnitude <= cap_pence);
        }
        if (strcmp(split, "contributions") == 0 && received_total > 0 && p->received_pence == 0 &&
            json_object_get(rule, "residual") == NULL) {
            assert_int_equal(share, 0);
        }
    }
}

static char *
dump_result(const pb_policy_result *r)
{
    return json_dumps(r->workings, JSON_COMPACT);
}

/* The same pool with partners and schemes in reversed order. */
static void
reverse_case(const pool_case *c, pool_case *rev)
{
    *rev = *c;
    for (size_t i = 0; i < c->in.partner_count; i++) {
        rev->partners[i] = c->partners[c->in.partner_count - 1 - i];
    }
    for (size_t i = 0; i < c->in.scheme_count; i++) {
        rev->schemes[i] = c->schemes[c->in.scheme_count - 1 - i];
    }
    rev->in.partners = rev->partners;
    rev->in.schemes = rev->schemes;
}

/* PROPERTY_COUNT pools, or PB_POLICY_PROPERTY_COUNT; a sanitizer build
 * (PB_SANITIZE=ON, set by tests.cmake) runs ASan at a quarter or less of the
 * speed, so it checks PROPERTY_COUNT_SANITIZE to stay within ~20 s. */
#define PROPERTY_COUNT_SANITIZE 20000

static long
property_count(void)
{
    const char *env = getenv("PB_POLICY_PROPERTY_COUNT");
    const char *sanitize = getenv("PB_SANITIZE");
    long fallback =
        sanitize != NULL && strcmp(sanitize, "ON") == 0 ? PROPERTY_COUNT_SANITIZE : PROPERTY_COUNT;
    long count = env != NULL ? strtol(env, NULL, 10) : fallback;
    return count > 0 ? count : fallback;
}

static void
test_properties_random_pools(void **state)
{
    (void)state;
    long count = property_count();
    long applied = 0;
    rng_state = PROPERTY_SEED;
    print_message("policy properties: seed 0x%016" PRIX64 ", %ld pools\n", PROPERTY_SEED, count);
    for (long k = 0; k < count; k++) {
        pool_case c;
        pool_case rev;
        pb_policy_result *r = NULL;
        pb_policy_result *r2 = NULL;
        pb_error err;
        random_case(&c);
        pb_error_init(&err);
        int rc = pb_policy_apply(c.policy, &c.in, &r, &err);
        if (rc == PB_OK) {
            applied++;
            pbt_assert_sums(r);
            assert_true(r->carried_forward_pence <= 0);
            if (c.simple_split) {
                check_simple_split(&c, r);
            }
            reverse_case(&c, &rev);
            assert_int_equal(pb_policy_apply(c.policy, &rev.in, &r2, NULL), PB_OK);
            char *a = dump_result(r);
            char *b = dump_result(r2);
            assert_string_equal(a, b);
            assert_memory_equal(r->shares, r2->shares, sizeof(r->shares));
            free(a);
            free(b);
        } else {
            /* Only sums beyond the money range may be refused. */
            assert_int_equal(rc, PB_EOVERFLOW);
        }
        pb_policy_result_free(r);
        pb_policy_result_free(r2);
        json_decref(c.policy);
    }
    print_message("policy properties: %ld applied\n", applied);
    assert_true(applied > count * 9 / 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_accepts_design_examples),
        cmocka_unit_test(test_check_refuses_with_path),
        cmocka_unit_test(test_check_bounds_nesting),
        cmocka_unit_test(test_pro_rata_penny_tie_goes_to_lower_id),
        cmocka_unit_test(test_pro_rata_remainder_tie_goes_to_larger_weight),
        cmocka_unit_test(test_contributions_fall_back_to_planned),
        cmocka_unit_test(test_fixed_with_cap_redistributes),
        cmocka_unit_test(test_fixed_every_partner_capped_residual_or_unallocated),
        cmocka_unit_test(test_host_first_tranche_then_pro_rata),
        cmocka_unit_test(test_lead_bears_own_schemes_netting_scheme),
        cmocka_unit_test(test_percent_of_budget_bands),
        cmocka_unit_test(test_carry_forward_underspend),
        cmocka_unit_test(test_apply_refuses_unknown_partner),
        cmocka_unit_test(test_properties_random_pools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
