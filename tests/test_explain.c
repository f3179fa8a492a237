/*
 * test_explain.c — ledger/books/explain.c: each kind of workings step read aloud by
 * pb_policy_step_text, against sentences and figures worked by hand.
 */
#include "books/books.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

static void
check_text(const char *step_json, const char *want)
{
    json_error_t jerr;
    json_t *step = json_loads(step_json, 0, &jerr);
    if (step == NULL) {
        fail_msg("bad test step: %s", jerr.text);
    }
    char *text = pb_policy_step_text(step);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
    json_decref(step);
}

static void
test_exact_and_penny(void **state)
{
    (void)state;
    /* £270,000.00 = 27,000,000p split by received contributions DCC 720,000,000p
     * and ICB 1,279,999,998p (total 1,999,999,998p):
     * DCC 27,000,000 x 720,000,000 = 19,440,000,000,000,000; / 1,999,999,998
     *   = 9,720,000 remainder 19,440,000 (9,720,000 x 1,999,999,998 =
     *   19,439,999,980,560,000), so 9,720,000.0097200... p: £97,200.00 and
     *   0.009720 of a penny. */
    check_text("{\"step\":\"exact\",\"partner\":\"DCC\",\"numerator\":\"19440000000000000\","
               "\"denominator\":\"1999999998\",\"floor\":\"97200.00\"}",
               "DCC's exact share is £97,200.00009720… (19440000000000000/1999999998 pence), "
               "rounded down to £97,200.00");
    /* ICB: remainder 1,980,559,998 / 1,999,999,998 = 0.99027999... of a penny. */
    check_text("{\"step\":\"penny\",\"partner\":\"ICB\",\"remainder\":\"1980559998\","
               "\"denominator\":\"1999999998\",\"amount\":\"0.01\"}",
               "ICB takes one of the pennies left by rounding down (£0.01): the part of a penny "
               "it lost, 0.990279…, is among the largest");
    /* An underspend: -1/4 penny exactly, no ellipsis. */
    check_text("{\"step\":\"exact\",\"partner\":\"A\",\"numerator\":\"-5\","
               "\"denominator\":\"4\",\"floor\":\"-0.01\"}",
               "A's exact share is -£0.01250000 (-5/4 pence), rounded down to -£0.01");
}

static void
test_rules_and_bands(void **state)
{
    (void)state;
    check_text("{\"step\":\"rule\",\"path\":\"overspend\",\"amount\":\"540000.00\"}",
               "The policy's overspend rule applies to £540,000.00");
    check_text("{\"step\":\"rule\",\"path\":\"overspend.bands[1].rule\",\"amount\":\"40000.00\"}",
               "The rule at overspend.bands[1].rule applies to £40,000.00");
    check_text("{\"step\":\"band\",\"index\":0,\"from\":\"0.00\",\"upto\":\"500000.00\","
               "\"slice\":\"500000.00\"}",
               "Band 1 runs from £0.00 up to £500,000.00: it takes £500,000.00");
    check_text("{\"step\":\"band\",\"index\":2,\"from\":\"-540000.00\",\"upto\":\"-900000.00\","
               "\"slice\":\"0.00\"}",
               "Band 3 runs from -£540,000.00 up to -£900,000.00: nothing falls in it");
    check_text("{\"step\":\"netting\",\"netting\":\"scheme\",\"scheme\":\"S01\","
               "\"variance\":\"-330000.00\",\"budget\":\"9150000.00\"}",
               "Scheme S01 on its own: variance -£330,000.00 (underspend) on a budget of "
               "£9,150,000.00");
}

static void
test_weights_caps_result(void **state)
{
    (void)state;
    /* Fixed weights are hundredths of a percent: 6000 is 60.00%. */
    check_text("{\"step\":\"weights\",\"split\":\"fixed\",\"basis\":\"percent in hundredths\","
               "\"weights\":{\"DCC\":\"6000\",\"ICB\":\"4000\"}}",
               "Split fixed, weights percent in hundredths: DCC 60.00%, ICB 40.00%");
    check_text("{\"step\":\"weights\",\"split\":\"host\",\"basis\":\"host\","
               "\"weights\":{\"DCC\":\"1\",\"ICB\":\"0\"}}",
               "Split host: the whole amount goes to DCC");
    /* 3/2 of a penny over a cap of £0.01: exact share £0.01500000. */
    check_text("{\"step\":\"cap\",\"partner\":\"ICB\",\"exact_numerator\":\"3\","
               "\"exact_denominator\":\"2\",\"cap\":\"0.01\"}",
               "ICB's exact share £0.01500000 is over its cap, so it bears exactly £0.01 and "
               "what is over is shared again among the others");
    check_text("{\"step\":\"carry_forward\",\"amount\":\"-1234567.89\"}",
               "The underspend -£1,234,567.89 is carried forward: it stays in the pool as "
               "reserve");
    check_text("{\"step\":\"result\",\"variance\":\"10.00\",\"shares\":{\"A\":\"6.00\","
               "\"B\":\"3.00\"},\"unallocated\":\"1.00\",\"carried_forward\":\"0.00\"}",
               "Result: the variance £10.00 = A £6.00 + B £3.00 + unallocated £1.00 + carried "
               "forward £0.00");
    /* A step this version does not know prints as its JSON. */
    check_text("{\"step\":\"zzz\",\"a\":1}", "{\"a\":1,\"step\":\"zzz\"}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_penny),
        cmocka_unit_test(test_rules_and_bands),
        cmocka_unit_test(test_weights_caps_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
