/*
 * test_templates.c — the risk-share templates of policies/ (DESIGN 6,
 * policies/README.md), each loaded from $PB_SRC/policies/ and applied with
 * pb_policy_apply to a county-sized pool with awkward pence. Every share,
 * unallocated and carried-forward figure was worked by hand; the arithmetic
 * is in the comments (n / W = quotient r remainder). Each template has a
 * penny decided by the largest remainder, and an out-of-memory loop fails
 * jansson allocation n = 0, 1, 2, ... in pb_policy_apply for every template.
 */
#include "books/books.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support.h"

/* ---------------------------------------------------------------------------
 * Helpers.
 * ------------------------------------------------------------------------- */

/* The template policies/<name>, parsed as strictly as an entry (no reals, no
 * duplicate keys), checked, and named. New reference. */
static json_t *
template_load(const char *name)
{
    const char *src = getenv("PB_SRC");
    char path[1024];
    char buf[PB_ENTRY_BYTES_MAX];
    json_t *policy = NULL;
    pb_error err;
    assert_non_null(src);
    snprintf(path, sizeof(path), "%s/policies/%s", src, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(len > 0 && len < sizeof(buf));
    pb_error_init(&err);
    if (pb_json_parse(buf, len, PB_ENTRY_BYTES_MAX, &policy, &err) != PB_OK ||
        pb_policy_check(policy, &err) != PB_OK) {
        fail_msg("%s: %s (%s)", name, err.text, err.where);
    }
    const char *title = json_string_value(json_object_get(policy, "name"));
    assert_non_null(title);
    assert_true(strlen(title) > 20);
    return policy;
}

static pb_policy_result *
template_apply(const char *name, const pb_policy_input *in)
{
    json_t *policy = template_load(name);
    pb_policy_result *result = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_policy_apply(policy, in, &result, &err);
    if (rc != PB_OK) {
        fail_msg("%s: %s at %s: %s", name, pb_strerror(rc), err.where, err.text);
    }
    json_decref(policy);
    pbt_assert_sums(result);
    return result;
}

/* ---------------------------------------------------------------------------
 * (a) pro-rata-contributions.json
 * ------------------------------------------------------------------------- */

/* Received to the period end: DCC 9,900,448.48, ICB 28,399,888.48. */
static const pb_policy_partner pro_rata_partners[] = {
    {"ICB", 3790000000, 2839988848},
    {"DCC", 1320000000, 990044848},
};

static void
test_pro_rata_contributions_overspend(void **state)
{
    (void)state;
    /* Net 1,456,789.01 - 259,903.48 = 1,196,885.53 = 119688553p.
     * W = 990044848 + 2839988848 = 3830033696.
     * DCC 119688553 * 990044848  = 118497035262224944 / W = 30938901 r 1915016848
     * ICB 119688553 * 2839988848 = 339914155753256944 / W = 88749651 r 1915016848
     * Floors 119688552: one penny. The remainders tie (each is W / 2), so the
     * larger weight, ICB, takes it: DCC 309,389.01, ICB 887,496.52. */
    const pb_policy_scheme schemes[] = {
        {"S01", "DCC", "revenue", 2000000000, 145678901},
        {"S02", "ICB", "revenue", 2500000000, -25990348},
        {"S03", "DCC", "capital", 610000000, 0},
    };
    const pb_policy_input in = {"DCC", pro_rata_partners, 2, schemes, 3};
    pb_policy_result *r = template_apply("pro-rata-contributions.json", &in);
    assert_int_equal(r->variance_pence, 119688553);
    assert_int_equal(pbt_share_of(r, "DCC"), 30938901);
    assert_int_equal(pbt_share_of(r, "ICB"), 88749652);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"weights\",\"split\":\"contributions\",\"weights\":"
                          "{\"DCC\":\"990044848\",\"ICB\":\"2839988848\"}}");
    pbt_assert_working(r, "{\"step\":\"exact\",\"partner\":\"ICB\",\"numerator\":"
                          "\"339914155753256944\",\"denominator\":\"3830033696\",\"floor\":"
                          "\"887496.51\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"1915016848\","
                          "\"denominator\":\"3830033696\",\"amount\":\"0.01\"}");
    pb_policy_result_free(r);
}

static void
test_pro_rata_contributions_underspend(void **state)
{
    (void)state;
    /* The same figures as an underspend, -1,196,885.53: the magnitudes are
     * split as above and signed, so the penny is again ICB's:
     * DCC -309,389.01, ICB -887,496.52. */
    const pb_policy_scheme schemes[] = {
        {"S01", "DCC", "revenue", 2000000000, -145678901},
        {"S02", "ICB", "revenue", 2500000000, 25990348},
    };
    const pb_policy_input in = {"DCC", pro_rata_partners, 2, schemes, 2};
    pb_policy_result *r = template_apply("pro-rata-contributions.json", &in);
    assert_int_equal(r->variance_pence, -119688553);
    assert_int_equal(pbt_share_of(r, "DCC"), -30938901);
    assert_int_equal(pbt_share_of(r, "ICB"), -88749652);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"rule\",\"path\":\"underspend\",\"amount\":\"-1196885.53\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"amount\":\"-0.01\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (b) lead-commissioner.json
 * ------------------------------------------------------------------------- */

/* Planned DCC 14,999,540.53 + ICB 37,000,334.09 = 51,999,874.62, the budgets. */
static const pb_policy_partner lead_partners[] = {
    {"DCC", 1499954053, 700000000},
    {"ICB", 3700033409, 1850000000},
};
static const pb_policy_scheme lead_schemes[] = {
    {"S03", "DCC", "revenue", 399987462, -9187257},
    {"S01", "DCC", "revenue", 2100000000, 23456789},
    {"S02", "ICB", "revenue", 2700000000, 9876543},
};

static void
test_lead_commissioner(void **state)
{
    (void)state;
    /* Netting scheme: S01 (lead DCC) +234,567.89 to DCC; S02 (lead ICB)
     * +98,765.43 to ICB. S03 (lead DCC) -91,872.57 is shared by planned,
     * W = 1499954053 + 3700033409 = 5199987462:
     * DCC 9187257 * 1499954053 = 13780463373102621 / W = 2650095 r 2599993731
     * ICB 9187257 * 3700033409 = 33993157837069113 / W = 6537161 r 2599993731
     * Floors 9187256: one penny; the remainders tie (W / 2), ICB's weight is
     * larger: DCC -26,500.95, ICB -65,371.62.
     * DCC 234,567.89 - 26,500.95 = 208,066.94; ICB 98,765.43 - 65,371.62 =
     * 33,393.81; variance 241,460.75. */
    const pb_policy_input in = {"DCC", lead_partners, 2, lead_schemes, 3};
    pb_policy_result *r = template_apply("lead-commissioner.json", &in);
    assert_int_equal(r->variance_pence, 24146075);
    assert_int_equal(pbt_share_of(r, "DCC"), 20806694);
    assert_int_equal(pbt_share_of(r, "ICB"), 3339381);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"netting\",\"netting\":\"scheme\",\"scheme\":\"S02\","
                          "\"variance\":\"98765.43\"}");
    pbt_assert_working(r, "{\"step\":\"weights\",\"split\":\"lead\",\"weights\":{\"DCC\":\"0\","
                          "\"ICB\":\"1\"}}");
    pbt_assert_working(r, "{\"step\":\"share\",\"partner\":\"ICB\",\"amount\":\"98765.43\"}");
    pbt_assert_working(r, "{\"step\":\"share\",\"partner\":\"DCC\",\"amount\":\"234567.89\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"2599993731\","
                          "\"denominator\":\"5199987462\",\"amount\":\"-0.01\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (c) host-first-tranche.json
 * ------------------------------------------------------------------------- */

/* Received DCC 10,999,665.25, ICB 29,999,547.45. */
static const pb_policy_partner tranche_partners[] = {
    {"DCC", 1400000000, 1099966525},
    {"ICB", 4000000000, 2999954745},
};

static void
test_host_first_tranche_then_pro_rata(void **state)
{
    (void)state;
    /* Net 815,785.33 - 100,000.00 = 715,785.33. Band 0 takes 0.00..500,000.00
     * to the host DCC; band 1 the other 215,785.33 = 21578533p by received,
     * W = 1099966525 + 2999954745 = 4099921270:
     * DCC 21578533 * 1099966525 = 23735663958607825 / W = 5789297 r 2049960635
     * ICB 21578533 * 2999954745 = 64734622463489085 / W = 15789235 r 2049960635
     * One penny, remainders tie (W / 2), larger weight ICB:
     * DCC 500,000.00 + 57,892.97 = 557,892.97, ICB 157,892.36. */
    const pb_policy_scheme schemes[] = {
        {"S01", "DCC", "revenue", 3000000000, 81578533},
        {"S02", "ICB", "revenue", 2400000000, -10000000},
    };
    const pb_policy_input in = {"DCC", tranche_partners, 2, schemes, 2};
    pb_policy_result *r = template_apply("host-first-tranche.json", &in);
    assert_int_equal(r->variance_pence, 71578533);
    assert_int_equal(pbt_share_of(r, "DCC"), 55789297);
    assert_int_equal(pbt_share_of(r, "ICB"), 15789236);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":0,\"from\":\"0.00\",\"upto\":"
                          "\"500000.00\",\"slice\":\"500000.00\"}");
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":1,\"from\":\"500000.00\",\"upto\":"
                          "\"715785.33\",\"slice\":\"215785.33\"}");
    pbt_assert_working(r, "{\"step\":\"rule\",\"path\":\"overspend.bands[1].rule\",\"amount\":"
                          "\"215785.33\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"2049960635\","
                          "\"denominator\":\"4099921270\"}");
    pb_policy_result_free(r);
}

static void
test_host_first_tranche_within_the_tranche(void **state)
{
    (void)state;
    /* 321,098.76 lies inside the first 500,000.00: all to DCC; band 1 takes
     * nothing (from and upto 321,098.76, slice 0.00). */
    const pb_policy_scheme schemes[] = {{"S01", "ICB", "revenue", 5400000000, 32109876}};
    const pb_policy_input in = {"DCC", tranche_partners, 2, schemes, 1};
    pb_policy_result *r = template_apply("host-first-tranche.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 32109876);
    assert_int_equal(pbt_share_of(r, "ICB"), 0);
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":0,\"slice\":\"321098.76\"}");
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":1,\"from\":\"321098.76\",\"slice\":"
                          "\"0.00\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (d) fixed-split-capped.json
 * ------------------------------------------------------------------------- */

static const pb_policy_partner fixed_partners[] = {
    {"DCC", 3000000000, 1500000000},
    {"ICB", 4500000000, 2250000000},
};

/* Schemes whose net variance is amount_pence. */
static void
fixed_input(int64_t amount_pence, pb_policy_scheme schemes[2], pb_policy_input *in)
{
    schemes[0] = (pb_policy_scheme){"S01", "DCC", "revenue", 4000000000, amount_pence};
    schemes[1] = (pb_policy_scheme){"S02", "ICB", "revenue", 3500000000, 0};
    *in = (pb_policy_input){"DCC", fixed_partners, 2, schemes, 2};
}

static void
test_fixed_split_cap_binds(void **state)
{
    (void)state;
    /* Overspend 3,141,592.65. ICB's exact 40%: 314159265 * 4000 / 10000 =
     * 1256637060000 / 10000 = 1,256,637.06 > its cap 1,000,000.00, so ICB
     * bears exactly 1,000,000.00 (DESIGN 6: caps on exact shares). The other
     * 2,141,592.65 is split again among the uncapped, DCC alone:
     * 214159265 * 6000 / 6000 = 214159265 r 0. DCC 2,141,592.65. */
    pb_policy_scheme schemes[2];
    pb_policy_input in;
    fixed_input(314159265, schemes, &in);
    pb_policy_result *r = template_apply("fixed-split-capped.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 214159265);
    assert_int_equal(pbt_share_of(r, "ICB"), 100000000);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"cap\",\"partner\":\"ICB\",\"exact_numerator\":"
                          "\"1256637060000\",\"exact_denominator\":\"10000\",\"cap\":"
                          "\"1000000.00\"}");
    pbt_assert_working(r, "{\"step\":\"exact\",\"partner\":\"DCC\",\"numerator\":"
                          "\"1284955590000\",\"denominator\":\"6000\",\"floor\":\"2141592.65\"}");
    pb_policy_result_free(r);
}

static void
test_fixed_split_at_the_cap_and_below(void **state)
{
    (void)state;
    /* 2,500,000.00: ICB's exact 40% is 1,000,000.00, equal to the cap, which
     * does not bind: DCC 1,500,000.00, ICB 1,000,000.00, no cap step. */
    pb_policy_scheme schemes[2];
    pb_policy_input in;
    fixed_input(250000000, schemes, &in);
    pb_policy_result *r = template_apply("fixed-split-capped.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 150000000);
    assert_int_equal(pbt_share_of(r, "ICB"), 100000000);
    size_t i;
    json_t *step;
    json_array_foreach(r->workings, i, step)
    {
        assert_string_not_equal(json_string_value(json_object_get(step, "step")), "cap");
    }
    pb_policy_result_free(r);
    /* 1,234,567.89 = 123456789p, 60/40 (weights 6000 and 4000 of 10000):
     * DCC 123456789 * 6000 = 740740734000 / 10000 = 74074073 r 4000
     * ICB 123456789 * 4000 = 493827156000 / 10000 = 49382715 r 6000
     * One penny, to the larger remainder, ICB: DCC 740,740.73, ICB 493,827.16.
     * (A 60/40 split never ties: its remainders are multiples of 2000 that
     * sum to 10000, and a tie would need 5000 each.) */
    fixed_input(123456789, schemes, &in);
    r = template_apply("fixed-split-capped.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 74074073);
    assert_int_equal(pbt_share_of(r, "ICB"), 49382716);
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"6000\","
                          "\"denominator\":\"10000\",\"amount\":\"0.01\"}");
    pb_policy_result_free(r);
}

static void
test_fixed_split_underspend_uncapped(void **state)
{
    (void)state;
    /* Underspend -987,654.33, 60/40, no caps on this side:
     * DCC 98765433 * 6000 = 592592598000 / 10000 = 59259259 r 8000
     * ICB 98765433 * 4000 = 395061732000 / 10000 = 39506173 r 2000
     * The penny to DCC: DCC -592,592.60, ICB -395,061.73. */
    pb_policy_scheme schemes[2];
    pb_policy_input in;
    fixed_input(-98765433, schemes, &in);
    pb_policy_result *r = template_apply("fixed-split-capped.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), -59259260);
    assert_int_equal(pbt_share_of(r, "ICB"), -39506173);
    assert_int_equal(r->unallocated_pence, 0);
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"DCC\",\"remainder\":\"8000\","
                          "\"amount\":\"-0.01\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (e) tiered-percent-of-budget.json
 * ------------------------------------------------------------------------- */

static const pb_policy_partner tiered_partners[] = {
    {"ICB", 6790123457, 3395061728},
    {"DCC", 3086419753, 1543209876},
};
static const pb_policy_scheme tiered_schemes[] = {
    {"S01", "DCC", "revenue", 6000000000, 250000000},
    {"S02", "ICB", "revenue", 3000000000, 120000000},
    {"S03", "DCC", "revenue", 876543210, -24321099},
};

static void
test_tiered_percent_of_budget(void **state)
{
    (void)state;
    /* Budget 60,000,000.00 + 30,000,000.00 + 8,765,432.10 = 98,765,432.10 =
     * 9876543210p, planned DCC 30,864,197.53 + ICB 67,901,234.57 the same.
     * 1% = 9876543210 * 100 / 10000 = 98765432.1, down to 987,654.32;
     * 3% = 296296296.3, down to 2,962,962.96.
     * Net 2,500,000.00 + 1,200,000.00 - 243,210.99 = 3,456,789.01.
     * Band 0: 0.00..987,654.32 to the host DCC.
     * Band 1: 987,654.32..2,962,962.96, slice 1,975,308.64 by planned, W = 9876543210:
     *   DCC 197530864 * 3086419753 = 609663160476756592 / W = 61728394 r 9851851852
     *   ICB 197530864 * 6790123457 = 1341258953127876848 / W = 135802469 r 24691358
     *   one penny, to the larger remainder DCC: DCC 617,283.95, ICB 1,358,024.69.
     * Band 2: 2,962,962.96..3,456,789.01, slice 493,826.05, 50/50:
     *   each 49382605 * 5000 = 246913025000 / 10000 = 24691302 r 5000;
     *   remainders and weights tie, so the lower id, DCC, takes the penny:
     *   DCC 246,913.03, ICB 246,913.02.
     * DCC 987,654.32 + 617,283.95 + 246,913.03 = 1,851,851.30;
     * ICB 1,358,024.69 + 246,913.02 = 1,604,937.71. */
    const pb_policy_input in = {"DCC", tiered_partners, 2, tiered_schemes, 3};
    pb_policy_result *r = template_apply("tiered-percent-of-budget.json", &in);
    assert_int_equal(r->variance_pence, 345678901);
    assert_int_equal(pbt_share_of(r, "DCC"), 185185130);
    assert_int_equal(pbt_share_of(r, "ICB"), 160493771);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"netting\",\"netting\":\"pool\",\"variance\":"
                          "\"3456789.01\",\"budget\":\"98765432.10\"}");
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":0,\"from\":\"0.00\",\"upto\":"
                          "\"987654.32\",\"slice\":\"987654.32\"}");
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":1,\"from\":\"987654.32\",\"upto\":"
                          "\"2962962.96\",\"slice\":\"1975308.64\"}");
    pbt_assert_working(r, "{\"step\":\"band\",\"index\":2,\"from\":\"2962962.96\",\"upto\":"
                          "\"3456789.01\",\"slice\":\"493826.05\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"DCC\",\"remainder\":\"9851851852\","
                          "\"denominator\":\"9876543210\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"DCC\",\"remainder\":\"5000\","
                          "\"denominator\":\"10000\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (f) carry-forward.json
 * ------------------------------------------------------------------------- */

/* Planned DCC 18,000,429.80 + ICB 41,999,822.20 = 60,000,252.00, the budgets. */
static const pb_policy_partner carry_partners[] = {
    {"DCC", 1800042980, 900000000},
    {"ICB", 4199982220, 2100000000},
};

static void
test_carry_forward_overspend_pro_rata_planned(void **state)
{
    (void)state;
    /* Net 1,750,006.30 - 250,000.00 = 1,500,006.30, by planned, W = 6000025200:
     * DCC 150000630 * 1800042980 = 270007581027077400 / W = 45001074 r 3000012600
     * ICB 150000630 * 4199982220 = 629999978988798600 / W = 104999555 r 3000012600
     * One penny; remainders tie (W / 2), larger weight ICB:
     * DCC 450,010.74, ICB 1,049,995.56. */
    const pb_policy_scheme schemes[] = {
        {"S01", "DCC", "revenue", 3500000000, 175000630},
        {"S02", "ICB", "revenue", 2500025200, -25000000},
    };
    const pb_policy_input in = {"DCC", carry_partners, 2, schemes, 2};
    pb_policy_result *r = template_apply("carry-forward.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), 45001074);
    assert_int_equal(pbt_share_of(r, "ICB"), 104999556);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"3000012600\","
                          "\"denominator\":\"6000025200\"}");
    pb_policy_result_free(r);
}

static void
test_carry_forward_underspend_kept(void **state)
{
    (void)state;
    /* Net -2,345,678.91 + 12,345.67 = -2,333,333.24, kept in the pool:
     * carried forward -2,333,333.24, no partner's share moves. */
    const pb_policy_scheme schemes[] = {
        {"S01", "DCC", "revenue", 3500000000, -234567891},
        {"S02", "ICB", "revenue", 2500025200, 1234567},
    };
    const pb_policy_input in = {"DCC", carry_partners, 2, schemes, 2};
    pb_policy_result *r = template_apply("carry-forward.json", &in);
    assert_int_equal(r->variance_pence, -233333324);
    assert_int_equal(r->carried_forward_pence, -233333324);
    assert_int_equal(pbt_share_of(r, "DCC"), 0);
    assert_int_equal(pbt_share_of(r, "ICB"), 0);
    assert_int_equal(r->unallocated_pence, 0);
    pbt_assert_working(r, "{\"step\":\"carry_forward\",\"amount\":\"-2333333.24\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (g) fixed-and-variable-lines.json
 * ------------------------------------------------------------------------- */

/* Planned DCC 20,999,768.40 + ICB 52,999,645.68 = 73,999,414.08, the budgets. */
static const pb_policy_partner lines_partners[] = {
    {"DCC", 2099976840, 1000000000},
    {"ICB", 5299964568, 2600000000},
};

static void
test_fixed_and_variable_lines(void **state)
{
    (void)state;
    /* Netting scheme. S01, the fixed line, +45,678.91 to the host DCC.
     * S02 -171,294.94 by planned, W = 2099976840 + 5299964568 = 7399941408:
     *   DCC 17129494 * 2099976840 = 35971540680918960 / W = 4861057 r 3699970704
     *   ICB 17129494 * 5299964568 = 90785711267768592 / W = 12268436 r 3699970704
     *   remainders tie (W / 2), larger weight ICB: DCC -48,610.57, ICB -122,684.37.
     * S03 +234,567.89 by planned:
     *   DCC 23456789 * 2099976840 = 49258713640766760 / W = 6656635 r 4666324680
     *   ICB 23456789 * 5299964568 = 124320150579052152 / W = 16800153 r 2733616728
     *   the penny to the larger remainder, DCC: DCC 66,566.36, ICB 168,001.53.
     * DCC 45,678.91 - 48,610.57 + 66,566.36 = 63,634.70;
     * ICB -122,684.37 + 168,001.53 = 45,317.16; variance 108,951.86. */
    const pb_policy_scheme schemes[] = {
        {"S03", "DCC", "revenue", 2199941408, 23456789},
        {"S02", "ICB", "revenue", 4000000000, -17129494},
        {"S01", "ICB", "revenue", 1200000000, 4567891},
    };
    const pb_policy_input in = {"DCC", lines_partners, 2, schemes, 3};
    pb_policy_result *r = template_apply("fixed-and-variable-lines.json", &in);
    assert_int_equal(r->variance_pence, 10895186);
    assert_int_equal(pbt_share_of(r, "DCC"), 6363470);
    assert_int_equal(pbt_share_of(r, "ICB"), 4531716);
    assert_int_equal(r->unallocated_pence, 0);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"rule\",\"path\":\"by_scheme.S01.overspend\",\"amount\":"
                          "\"45678.91\"}");
    pbt_assert_working(r, "{\"step\":\"weights\",\"split\":\"host\",\"weights\":{\"DCC\":\"1\","
                          "\"ICB\":\"0\"}}");
    pbt_assert_working(r, "{\"step\":\"rule\",\"path\":\"underspend\",\"amount\":\"-171294.94\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"3699970704\","
                          "\"amount\":\"-0.01\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"DCC\",\"remainder\":\"4666324680\","
                          "\"amount\":\"0.01\"}");
    pb_policy_result_free(r);
}

static void
test_fixed_line_underspend_to_host(void **state)
{
    (void)state;
    /* S01 -12,345.67 on its own: the host DCC receives all of it. */
    const pb_policy_scheme schemes[] = {{"S01", "ICB", "revenue", 7399941408, -1234567}};
    const pb_policy_input in = {"DCC", lines_partners, 2, schemes, 1};
    pb_policy_result *r = template_apply("fixed-and-variable-lines.json", &in);
    assert_int_equal(pbt_share_of(r, "DCC"), -1234567);
    assert_int_equal(pbt_share_of(r, "ICB"), 0);
    pbt_assert_working(r, "{\"step\":\"rule\",\"path\":\"by_scheme.S01.underspend\"}");
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * (h) revenue-only.json
 * ------------------------------------------------------------------------- */

static void
test_revenue_only(void **state)
{
    (void)state;
    /* Revenue: S01 +912,345.67, S02 -216,113.26, net 696,232.41 = 69623241p.
     * S03, the Disabled Facilities Grant (capital), -12,345.67 is not shared:
     * unallocated -12,345.67; the pool's variance 683,886.74.
     * Received DCC 10,000,154.98, DDDC 899,894.70, ICB 26,000,268.05;
     * W = 1000015498 + 89989470 + 2600026805 = 3690031773:
     *   DCC  69623241 * 1000015498 = 69624320020989018 / W  = 18868216 r 3481162050
     *   DDDC 69623241 * 89989470   = 6265358557272270 / W   = 1697914 r 1949450748
     *   ICB  69623241 * 2600026805 = 181022292850975005 / W = 49057109 r 1949450748
     * Floors 69623239: two pennies. The first to the largest remainder, DCC;
     * the second: DDDC and ICB tie, ICB's weight is larger.
     * DCC 188,682.17, DDDC 16,979.14, ICB 490,571.10. */
    const pb_policy_partner partners[] = {
        {"DCC", 2000000000, 1000015498},
        {"ICB", 5200000000, 2600026805},
        {"DDDC", 180000000, 89989470},
    };
    const pb_policy_scheme schemes[] = {
        {"S01", "DCC", "revenue", 3000000000, 91234567},
        {"S02", "ICB", "revenue", 4000000000, -21611326},
        {"S03", "DDDC", "capital", 380000000, -1234567},
    };
    const pb_policy_input in = {"DCC", partners, 3, schemes, 3};
    pb_policy_result *r = template_apply("revenue-only.json", &in);
    assert_int_equal(r->variance_pence, 68388674);
    assert_int_equal(pbt_share_of(r, "DCC"), 18868217);
    assert_int_equal(pbt_share_of(r, "DDDC"), 1697914);
    assert_int_equal(pbt_share_of(r, "ICB"), 49057110);
    assert_int_equal(r->unallocated_pence, -1234567);
    assert_int_equal(r->carried_forward_pence, 0);
    pbt_assert_working(r, "{\"step\":\"excluded\",\"scheme\":\"S03\",\"class\":\"capital\","
                          "\"variance\":\"-12345.67\"}");
    pbt_assert_working(r, "{\"step\":\"netting\",\"netting\":\"pool\",\"variance\":"
                          "\"696232.41\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"DCC\",\"remainder\":\"3481162050\"}");
    pbt_assert_working(r, "{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"1949450748\","
                          "\"denominator\":\"3690031773\"}");
    size_t i;
    json_t *step;
    json_array_foreach(r->workings, i, step)
    {
        const char *kind = json_string_value(json_object_get(step, "step"));
        const char *partner = json_string_value(json_object_get(step, "partner"));
        /* DDDC's remainder lost the tie: no penny step names it. */
        assert_false(strcmp(kind, "penny") == 0 && strcmp(partner, "DDDC") == 0);
    }
    pb_policy_result_free(r);
}

/* ---------------------------------------------------------------------------
 * Out of memory: every template, jansson allocation n failing.
 * ------------------------------------------------------------------------- */

/* The whole result as text: figures and workings. */
static char *
result_text(const pb_policy_result *r)
{
    json_t *shares = json_object();
    for (size_t i = 0; i < r->share_count; i++) {
        json_object_set_new(shares, r->shares[i].partner, json_integer(r->shares[i].amount_pence));
    }
    json_t *all =
        json_pack("{s:I, s:I, s:I, s:o, s:O}", "variance", (json_int_t)r->variance_pence,
                  "unallocated", (json_int_t)r->unallocated_pence, "carried",
                  (json_int_t)r->carried_forward_pence, "shares", shares, "workings", r->workings);
    assert_non_null(all);
    char *text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(all);
    assert_non_null(text);
    return text;
}

/* For n = 0, 1, 2, ... the n-th jansson allocation in pb_policy_apply fails:
 * each run either gives exactly the unfailed run's result or fails with
 * PB_ENOMEM and no result; the ASan build shows nothing leaks. It ends when
 * a run finishes without reaching allocation n. pb_policy_apply's own three
 * calloc calls (its scratch, scheme order and result) are libc's, not
 * jansson's, and are not failed here. */
static void
oom_loop(const char *name, const pb_policy_input *in)
{
    json_t *policy = template_load(name);
    pb_policy_result *r = NULL;
    assert_int_equal(pb_policy_apply(policy, in, &r, NULL), PB_OK);
    char *want = result_text(r);
    pb_policy_result_free(r);
    size_t nomem = 0;
    int done = 0;
    for (size_t fail_at = 0; !done && fail_at < 100000; fail_at++) {
        pb_error err;
        pb_error_init(&err);
        r = NULL;
        pbt_alloc_fail_start(fail_at);
        int rc = pb_policy_apply(policy, in, &r, &err);
        done = pbt_alloc_fail_stop() <= fail_at;
        if (rc == PB_OK) {
            char *got = result_text(r);
            assert_string_equal(got, want);
            free(got);
        } else {
            assert_int_equal(rc, PB_ENOMEM);
            assert_int_equal(err.code, PB_ENOMEM);
            assert_null(r);
            nomem++;
        }
        assert_true(!done || rc == PB_OK);
        pb_policy_result_free(r);
    }
    assert_true(done);
    assert_true(nomem > 10);
    print_message("%s: %zu allocations failed one at a time\n", name, nomem);
    free(want);
    json_decref(policy);
}

static void
test_out_of_memory_every_template(void **state)
{
    (void)state;
    pb_policy_scheme fixed[2];
    pb_policy_input fixed_in;
    fixed_input(314159265, fixed, &fixed_in);
    const pb_policy_scheme mixed[] = {
        {"S01", "DCC", "revenue", 3000000000, 91234567},
        {"S02", "ICB", "revenue", 4000000000, -21611326},
        {"S03", "DCC", "capital", 380000000, -1234567},
    };
    const pb_policy_scheme under[] = {{"S02", "ICB", "revenue", 4000000000, -21611326}};
    const pb_policy_input mixed_in = {"DCC", pro_rata_partners, 2, mixed, 3};
    const pb_policy_input under_in = {"DCC", carry_partners, 2, under, 1};
    const pb_policy_input lead_in = {"DCC", lead_partners, 2, lead_schemes, 3};
    const pb_policy_input tiered_in = {"DCC", tiered_partners, 2, tiered_schemes, 3};
    oom_loop("pro-rata-contributions.json", &mixed_in);
    oom_loop("lead-commissioner.json", &lead_in);
    oom_loop("host-first-tranche.json", &mixed_in);
    oom_loop("fixed-split-capped.json", &fixed_in);
    oom_loop("tiered-percent-of-budget.json", &tiered_in);
    oom_loop("carry-forward.json", &under_in);
    oom_loop("fixed-and-variable-lines.json", &lead_in);
    oom_loop("revenue-only.json", &mixed_in);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pro_rata_contributions_overspend),
        cmocka_unit_test(test_pro_rata_contributions_underspend),
        cmocka_unit_test(test_lead_commissioner),
        cmocka_unit_test(test_host_first_tranche_then_pro_rata),
        cmocka_unit_test(test_host_first_tranche_within_the_tranche),
        cmocka_unit_test(test_fixed_split_cap_binds),
        cmocka_unit_test(test_fixed_split_at_the_cap_and_below),
        cmocka_unit_test(test_fixed_split_underspend_uncapped),
        cmocka_unit_test(test_tiered_percent_of_budget),
        cmocka_unit_test(test_carry_forward_overspend_pro_rata_planned),
        cmocka_unit_test(test_carry_forward_underspend_kept),
        cmocka_unit_test(test_fixed_and_variable_lines),
        cmocka_unit_test(test_fixed_line_underspend_to_host),
        cmocka_unit_test(test_revenue_only),
        cmocka_unit_test(test_out_of_memory_every_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
