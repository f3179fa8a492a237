/*
 * policy.c — risk-share policies (DESIGN 6). pb_policy_check validates the
 * policy language with the JSON path of the first fault; pb_policy_apply
 * evaluates a policy on plain figures exactly (rationals with 128-bit
 * intermediates, caps before rounding, largest-remainder pennies) and writes
 * the workings of every step. Nothing here reads the ledger.
 */
#include "books/books.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#define PATH_MAX_BYTES PB_ERROR_WHERE_MAX
/* Percentages are held in hundredths: "33.33" is 3333, "100" is 10000. */
#define PERCENT_WHOLE 10000

enum { SIDE_OVER = 0, SIDE_UNDER = 1 };

_Static_assert(PB_POLICY_DEPTH_MAX >= 1 && PB_POLICY_DEPTH_MAX <= 8, "bounded rule nesting");

/* ---------------------------------------------------------------------------
 * Checking.
 * ------------------------------------------------------------------------- */

/* Fail with PB_EPOLICY at path: where "$.<path>", text "<path>: <what>". */
static int policy_fail(pb_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
policy_fail(pb_error *err, const char *path, const char *fmt, ...)
{
    char what[PB_ERROR_TEXT_MAX];
    char where[PATH_MAX_BYTES + 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(where, sizeof(where), "$.%s", path);
    return pb_error_set(err, PB_EPOLICY, where, "%s: %s", path, what);
}

/* Join path and a member name ("overspend" + "caps"). */
static void
path_key(char *out, const char *path, const char *key)
{
    if (path[0] == '\0') {
        snprintf(out, PATH_MAX_BYTES, "%s", key);
    } else {
        snprintf(out, PATH_MAX_BYTES, "%s.%s", path, key);
    }
}

/* A percentage text "0".."100" with at most two decimals, into hundredths.
 * Returns 0 or -1. Strings only: a JSON number would invite reals. */
static int
percent_parse(const json_t *value, int64_t *hundredths_out)
{
    const char *text = json_string_value(value);
    int64_t whole = 0;
    int64_t frac = 0;
    size_t i = 0;
    if (text == NULL) {
        return -1;
    }
    for (; text[i] >= '0' && text[i] <= '9' && i < 3; i++) {
        whole = whole * 10 + (text[i] - '0');
    }
    if (i == 0 || (i > 1 && text[0] == '0')) {
        return -1;
    }
    if (text[i] == '.') {
        size_t start = ++i;
        for (; text[i] >= '0' && text[i] <= '9' && i - start < 2; i++) {
            frac = frac * 10 + (text[i] - '0');
        }
        if (i == start) {
            return -1;
        }
        frac = (i - start == 1) ? frac * 10 : frac;
    }
    if (text[i] != '\0' || whole * 100 + frac > PERCENT_WHOLE) {
        return -1;
    }
    *hundredths_out = whole * 100 + frac;
    return 0;
}

/* A positive-or-zero canonical amount string. Returns 0 or -1. */
static int
amount_parse(const json_t *value, int64_t *pence_out)
{
    const char *text = json_string_value(value);
    if (text == NULL || pb_money_parse(text, pence_out, NULL) != PB_OK || *pence_out < 0) {
        return -1;
    }
    return 0;
}

/* Every member of obj is one of allowed (NULL-terminated). */
static int
check_members(const json_t *obj, const char *path, const char *const *allowed, pb_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0) {
            i++;
        }
        if (allowed[i] == NULL) {
            char sub[PATH_MAX_BYTES];
            path_key(sub, path, key);
            return policy_fail(err, sub, "unknown member");
        }
    }
    return PB_OK;
}

/* {"ICB": "1000000.00" | {"percent_of_contribution": "10"}, ...} */
static int
check_caps(const json_t *caps, const char *path, pb_error *err)
{
    const char *key;
    json_t *value;
    if (!json_is_object(caps) || json_object_size(caps) > PB_PARTNERS_MAX) {
        return policy_fail(err, path, "must be an object of at most %d partner caps",
                           PB_PARTNERS_MAX);
    }
    json_object_foreach((json_t *)caps, key, value)
    {
        char sub[PATH_MAX_BYTES];
        int64_t number = 0;
        path_key(sub, path, key);
        if (json_is_object(value)) {
            const json_t *pct = json_object_get(value, "percent_of_contribution");
            if (json_object_size(value) != 1 || percent_parse(pct, &number) != 0) {
                return policy_fail(err, sub,
                                   "must be {\"percent_of_contribution\": \"0\"..\"100\"}");
            }
        } else if (amount_parse(value, &number) != 0) {
            return policy_fail(err, sub, "must be an amount like \"1000000.00\", not negative");
        }
    }
    return PB_OK;
}

/* {"DCC": "60", "ICB": "40"}: percentages summing to exactly 100. */
static int
check_shares(const json_t *shares, const char *path, pb_error *err)
{
    const char *key;
    json_t *value;
    int64_t total = 0;
    if (!json_is_object(shares) || json_object_size(shares) == 0 ||
        json_object_size(shares) > PB_PARTNERS_MAX) {
        return policy_fail(err, path, "must be an object of partner percentages");
    }
    json_object_foreach((json_t *)shares, key, value)
    {
        int64_t hundredths = 0;
        if (percent_parse(value, &hundredths) != 0) {
            char sub[PATH_MAX_BYTES];
            path_key(sub, path, key);
            return policy_fail(err, sub, "must be a percentage \"0\"..\"100\" (two decimals)");
        }
        total += hundredths;
    }
    if (total != PERCENT_WHOLE) {
        return policy_fail(err, path, "must sum to 100, not %" PRId64 ".%02" PRId64, total / 100,
                           total % 100);
    }
    return PB_OK;
}

static int check_rule(const json_t *rule, const char *path, int side, int netting_scheme, int depth,
                      pb_error *err);

/* {"split": ..., "shares"?, "partner"?, "caps"?, "residual"?} */
static int
check_split(const json_t *rule, const char *path, int netting_scheme, pb_error *err)
{
    static const char *const allowed[] = {"split", "shares", "partner", "caps", "residual", NULL};
    const char *split = json_string_value(json_object_get(rule, "split"));
    char sub[PATH_MAX_BYTES];
    int is_fixed = split != NULL && strcmp(split, "fixed") == 0;
    int is_partner = split != NULL && strcmp(split, "partner") == 0;
    int rc = check_members(rule, path, allowed, err);
    path_key(sub, path, "split");
    if (rc == PB_OK &&
        (split == NULL ||
         (strcmp(split, "contributions") != 0 && strcmp(split, "planned") != 0 && !is_fixed &&
          strcmp(split, "lead") != 0 && strcmp(split, "host") != 0 && !is_partner))) {
        rc = policy_fail(err, sub, "must be contributions, planned, fixed, lead, host or partner");
    }
    if (rc == PB_OK && strcmp(split, "lead") == 0 && !netting_scheme) {
        rc = policy_fail(err, sub, "lead needs netting \"scheme\" (a lead is per scheme)");
    }
    path_key(sub, path, "shares");
    if (rc == PB_OK && is_fixed != (json_object_get(rule, "shares") != NULL)) {
        rc = policy_fail(err, sub, is_fixed ? "required by split fixed" : "only with split fixed");
    }
    if (rc == PB_OK && is_fixed) {
        rc = check_shares(json_object_get(rule, "shares"), sub, err);
    }
    path_key(sub, path, "partner");
    if (rc == PB_OK && is_partner != (json_object_get(rule, "partner") != NULL)) {
        rc = policy_fail(err, sub,
                         is_partner ? "required by split partner" : "only with split partner");
    }
    if (rc == PB_OK && is_partner && !json_is_string(json_object_get(rule, "partner"))) {
        rc = policy_fail(err, sub, "must be a partner id");
    }
    path_key(sub, path, "caps");
    if (rc == PB_OK && json_object_get(rule, "caps") != NULL) {
        rc = check_caps(json_object_get(rule, "caps"), sub, err);
    }
    path_key(sub, path, "residual");
    if (rc == PB_OK && json_object_get(rule, "residual") != NULL &&
        !json_is_string(json_object_get(rule, "residual"))) {
        rc = policy_fail(err, sub, "must be a partner id");
    }
    return rc;
}

/* One band: {"upto": amount | {"percent_of_budget": p}, "rule": RULE}. */
static int
check_band(const json_t *band, const char *path, int last, int side, int netting_scheme, int depth,
           pb_error *err)
{
    static const char *const allowed[] = {"upto", "rule", NULL};
    const json_t *upto = json_object_get(band, "upto");
    char sub[PATH_MAX_BYTES];
    int64_t number = 0;
    if (!json_is_object(band)) {
        return policy_fail(err, path, "must be an object");
    }
    int rc = check_members(band, path, allowed, err);
    path_key(sub, path, "upto");
    if (rc == PB_OK && last && upto != NULL) {
        rc = policy_fail(err, sub, "the last band takes the rest: no upto");
    } else if (rc == PB_OK && !last && upto == NULL) {
        rc = policy_fail(err, sub, "required on every band but the last");
    } else if (rc == PB_OK && json_is_object(upto)) {
        if (json_object_size(upto) != 1 ||
            percent_parse(json_object_get(upto, "percent_of_budget"), &number) != 0) {
            rc = policy_fail(err, sub, "must be {\"percent_of_budget\": \"0\"..\"100\"}");
        }
    } else if (rc == PB_OK && upto != NULL && amount_parse(upto, &number) != 0) {
        rc = policy_fail(err, sub, "must be an amount like \"500000.00\", not negative");
    }
    path_key(sub, path, "rule");
    if (rc == PB_OK) {
        rc = check_rule(json_object_get(band, "rule"), sub, side, netting_scheme, depth + 1, err);
    }
    return rc;
}

static int
check_bands(const json_t *rule, const char *path, int side, int netting_scheme, int depth,
            pb_error *err)
{
    static const char *const allowed[] = {"bands", NULL};
    const json_t *bands = json_object_get(rule, "bands");
    char sub[PATH_MAX_BYTES];
    int rc = check_members(rule, path, allowed, err);
    path_key(sub, path, "bands");
    if (rc == PB_OK && (!json_is_array(bands) || json_array_size(bands) == 0 ||
                        json_array_size(bands) > PB_POLICY_BANDS_MAX)) {
        rc = policy_fail(err, sub, "must be an array of 1..%d bands", PB_POLICY_BANDS_MAX);
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(bands); i++) {
        char band_path[PATH_MAX_BYTES];
        snprintf(band_path, sizeof(band_path), "%s[%zu]", sub, i);
        rc = check_band(json_array_get(bands, i), band_path, i + 1 == json_array_size(bands), side,
                        netting_scheme, depth, err);
    }
    return rc;
}

/* RULE at path. depth counts rules from 1; bands nest rules, bounded. */
static int
check_rule(const json_t *rule, const char *path, int side, int netting_scheme, int depth,
           pb_error *err)
{
    PB_ASSERT(depth >= 1);
    if (depth > PB_POLICY_DEPTH_MAX) {
        return policy_fail(err, path, "rules nest deeper than %d", PB_POLICY_DEPTH_MAX);
    }
    if (!json_is_object(rule)) {
        return policy_fail(err, path, "must be a rule object");
    }
    int kinds = (json_object_get(rule, "split") != NULL) +
                (json_object_get(rule, "bands") != NULL) +
                (json_object_get(rule, "carry_forward") != NULL);
    if (kinds != 1) {
        return policy_fail(err, path, "must have exactly one of split, bands, carry_forward");
    }
    if (json_object_get(rule, "split") != NULL) {
        return check_split(rule, path, netting_scheme, err);
    }
    if (json_object_get(rule, "bands") != NULL) {
        return check_bands(rule, path, side, netting_scheme, depth, err);
    }
    char sub[PATH_MAX_BYTES];
    path_key(sub, path, "carry_forward");
    if (side != SIDE_UNDER) {
        return policy_fail(err, sub, "only an underspend can be carried forward");
    }
    if (!json_is_true(json_object_get(rule, "carry_forward")) || json_object_size(rule) != 1) {
        return policy_fail(err, sub, "must be {\"carry_forward\": true} alone");
    }
    return PB_OK;
}

/* "overspend" and "underspend" of obj (the policy, or a by_scheme entry). */
static int
check_sides(const json_t *obj, const char *path, int netting_scheme, int required, pb_error *err)
{
    static const char *const names[] = {"overspend", "underspend"};
    int rc = PB_OK;
    for (int side = SIDE_OVER; rc == PB_OK && side <= SIDE_UNDER; side++) {
        char sub[PATH_MAX_BYTES];
        const json_t *rule = json_object_get(obj, names[side]);
        path_key(sub, path, names[side]);
        if (rule == NULL && required) {
            rc = policy_fail(err, sub, "required");
        } else if (rule != NULL) {
            rc = check_rule(rule, sub, side, netting_scheme, 1, err);
        }
    }
    return rc;
}

static int
check_by_scheme(const json_t *by_scheme, int netting_scheme, pb_error *err)
{
    static const char *const allowed[] = {"overspend", "underspend", NULL};
    const char *key;
    json_t *value;
    if (!netting_scheme) {
        return policy_fail(err, "by_scheme", "only with netting \"scheme\"");
    }
    if (!json_is_object(by_scheme) || json_object_size(by_scheme) > PB_POLICY_SCHEMES_MAX) {
        return policy_fail(err, "by_scheme", "must be an object of scheme rules");
    }
    json_object_foreach((json_t *)by_scheme, key, value)
    {
        char sub[PATH_MAX_BYTES];
        snprintf(sub, sizeof(sub), "by_scheme.%s", key);
        if (!json_is_object(value) || json_object_size(value) == 0) {
            return policy_fail(err, sub, "must be {\"overspend\": RULE, \"underspend\": RULE}");
        }
        int rc = check_members(value, sub, allowed, err);
        rc = rc == PB_OK ? check_sides(value, sub, netting_scheme, 0, err) : rc;
        if (rc != PB_OK) {
            return rc;
        }
    }
    return PB_OK;
}

static int
check_classes(const json_t *classes, pb_error *err)
{
    int seen[2] = {0, 0};
    if (!json_is_array(classes) || json_array_size(classes) == 0 || json_array_size(classes) > 2) {
        return policy_fail(err, "classes", "must be a non-empty array of revenue, capital");
    }
    for (size_t i = 0; i < json_array_size(classes); i++) {
        const char *name = json_string_value(json_array_get(classes, i));
        int which = name == NULL                   ? -1
                    : strcmp(name, "revenue") == 0 ? 0
                    : strcmp(name, "capital") == 0 ? 1
                                                   : -1;
        if (which < 0 || seen[which]) {
            char sub[PATH_MAX_BYTES];
            snprintf(sub, sizeof(sub), "classes[%zu]", i);
            return policy_fail(err, sub, "must be revenue or capital, once");
        }
        seen[which] = 1;
    }
    return PB_OK;
}

int
pb_policy_check(const json_t *policy, pb_error *err)
{
    static const char *const allowed[] = {"name",      "netting", "overspend", "underspend",
                                          "by_scheme", "classes", NULL};
    if (!json_is_object(policy)) {
        return pb_error_set(err, PB_EPOLICY, "$", "policy must be an object (DESIGN 6)");
    }
    int rc = check_members(policy, "", allowed, err);
    const char *netting = json_string_value(json_object_get(policy, "netting"));
    if (rc == PB_OK && json_object_get(policy, "name") != NULL &&
        !json_is_string(json_object_get(policy, "name"))) {
        rc = policy_fail(err, "name", "must be a string");
    }
    if (rc == PB_OK &&
        (netting == NULL || (strcmp(netting, "pool") != 0 && strcmp(netting, "scheme") != 0))) {
        rc = policy_fail(err, "netting", "must be \"pool\" or \"scheme\"");
    }
    int netting_scheme = rc == PB_OK && strcmp(netting, "scheme") == 0;
    if (rc == PB_OK) {
        rc = check_sides(policy, "", netting_scheme, 1, err);
    }
    if (rc == PB_OK && json_object_get(policy, "by_scheme") != NULL) {
        rc = check_by_scheme(json_object_get(policy, "by_scheme"), netting_scheme, err);
    }
    if (rc == PB_OK && json_object_get(policy, "classes") != NULL) {
        rc = check_classes(json_object_get(policy, "classes"), err);
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * Evaluation.
 * ------------------------------------------------------------------------- */

/* Exact intermediates: amounts and weights are at most PB_MONEY_PENCE_MAX
 * (10^15) and there are at most PB_PARTNERS_MAX (64) weights, so a product
 * amount * weight < 10^30 and a weight total < 10^17 fit easily in 127 bits;
 * every product is still checked. */
typedef __int128 wide;

_Static_assert(PB_PARTNERS_MAX <= 64, "weight totals stay far inside 128 bits");

typedef struct eval {
    const pb_policy_input *in;
    const pb_policy_partner *partners[PB_PARTNERS_MAX]; /* sorted by id */
    size_t partner_count;
    int64_t share_pence[PB_PARTNERS_MAX]; /* signed, by sorted position */
    int64_t unallocated_pence;
    int64_t carried_pence;
    json_t *workings;
    pb_error *err;
} eval;

/* One split's inputs, by sorted partner position. */
typedef struct split_plan {
    int64_t weight[PB_PARTNERS_MAX];
    int64_t cap_pence[PB_PARTNERS_MAX]; /* -1: no cap */
    int residual;                       /* sorted position, or -1 */
} split_plan;

static void
wide_text(wide value, char *buf, size_t size)
{
    char digits[48];
    size_t n = 0;
    int negative = value < 0;
    unsigned __int128 mag =
        negative ? (unsigned __int128)(-(value + 1)) + 1 : (unsigned __int128)value;
    do {
        digits[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag != 0 && n < sizeof(digits));
    size_t at = 0;
    if (negative && at + 1 < size) {
        buf[at++] = '-';
    }
    while (n > 0 && at + 1 < size) {
        buf[at++] = digits[--n];
    }
    buf[at] = '\0';
}

static json_t *
wide_json(wide value)
{
    char text[48];
    wide_text(value, text, sizeof(text));
    return json_string(text);
}

/* Append a step; steals step. Returns PB_OK or PB_ENOMEM. */
static int
work(eval *e, json_t *step)
{
    if (step == NULL || json_array_append_new(e->workings, step) != 0) {
        return pb_error_set(e->err, PB_ENOMEM, NULL, "out of memory writing the workings");
    }
    return PB_OK;
}

static int
partner_find(const eval *e, const char *id)
{
    for (size_t i = 0; id != NULL && i < e->partner_count; i++) {
        if (strcmp(e->partners[i]->id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int
partner_need(const eval *e, const char *id, const char *path, int *pos_out)
{
    *pos_out = partner_find(e, id);
    if (*pos_out < 0) {
        return pb_error_set(e->err, PB_EPARTNER, path, "%s is not a partner of the pool",
                            id == NULL ? "(none)" : id);
    }
    return PB_OK;
}

static int
add_share(eval *e, int pos, int64_t pence)
{
    PB_ASSERT(pos >= 0 && (size_t)pos < e->partner_count);
    return pb_money_add(e->share_pence[pos], pence, &e->share_pence[pos], e->err);
}

/* Add item (stolen) to array or, with key, to an object. On failure the
 * container is freed and NULL returned, and adding to NULL fails, so a step
 * built from it fails to pack ("o", never "o*": an out-of-memory member must
 * fail the step, not vanish from the workings) and work() says PB_ENOMEM. */
static json_t *
put(json_t *container, const char *key, json_t *item)
{
    int rc = key == NULL ? json_array_append_new(container, item)
                         : json_object_set_new(container, key, item);
    if (rc != 0) {
        json_decref(container);
        return NULL;
    }
    return container;
}

static int
weights_step(eval *e, const char *split, const char *basis, const split_plan *plan)
{
    json_t *weights = json_object();
    for (size_t i = 0; i < e->partner_count; i++) {
        weights = put(weights, e->partners[i]->id, wide_json(plan->weight[i]));
    }
    return work(e, json_pack("{s:s, s:s, s:s, s:o}", "step", "weights", "split", split, "basis",
                             basis, "weights", weights));
}

/* The weights of a split (DESIGN 6). A fixed split weighs in hundredths of a
 * percent; lead, host and partner put the whole weight on one partner. */
static int
split_weights(eval *e, const json_t *rule, const char *lead, const char *path, split_plan *plan)
{
    const char *split = json_string_value(json_object_get(rule, "split"));
    const char *basis = split;
    int64_t total = 0;
    int pos = -1;
    int rc = PB_OK;
    memset(plan->weight, 0, sizeof(plan->weight));
    if (strcmp(split, "contributions") == 0 || strcmp(split, "planned") == 0) {
        int received = strcmp(split, "contributions") == 0;
        for (size_t i = 0; i < e->partner_count; i++) {
            plan->weight[i] =
                received ? e->partners[i]->received_pence : e->partners[i]->planned_pence;
            total += plan->weight[i]; /* <= 64 * 10^15: no overflow */
        }
        basis = received ? "received in the year to the period end" : "planned";
        if (total == 0) {
            /* DESIGN 6: every weight zero, so the planned contributions are used. */
            basis = received ? "planned, because every received contribution is zero" : basis;
            for (size_t i = 0; i < e->partner_count; i++) {
                plan->weight[i] = e->partners[i]->planned_pence;
            }
        }
    } else if (strcmp(split, "fixed") == 0) {
        const char *key;
        json_t *value;
        basis = "percent in hundredths";
        json_object_foreach(json_object_get(rule, "shares"), key, value)
        {
            rc = rc == PB_OK ? partner_need(e, key, path, &pos) : rc;
            if (rc == PB_OK) {
                PB_ASSERT(percent_parse(value, &plan->weight[pos]) == 0);
            }
        }
    } else {
        const char *who = strcmp(split, "lead") == 0 ? lead
                          : strcmp(split, "host") == 0
                              ? e->in->host
                              : json_string_value(json_object_get(rule, "partner"));
        rc = partner_need(e, who, path, &pos);
        if (rc == PB_OK) {
            plan->weight[pos] = 1;
        }
    }
    return rc == PB_OK ? weights_step(e, split, basis, plan) : rc;
}

/* Caps and residual of a split. percent_of_contribution is of the planned
 * contribution, rounded down to the penny (DESIGN 6, pinned). */
static int
split_caps(eval *e, const json_t *rule, const char *path, split_plan *plan)
{
    const char *key;
    json_t *value;
    int rc = PB_OK;
    int pos = -1;
    for (size_t i = 0; i < PB_PARTNERS_MAX; i++) {
        plan->cap_pence[i] = -1;
    }
    plan->residual = -1;
    json_object_foreach(json_object_get(rule, "caps"), key, value)
    {
        rc = rc == PB_OK ? partner_need(e, key, path, &pos) : rc;
        if (rc != PB_OK) {
            break;
        }
        if (json_is_object(value)) {
            int64_t hundredths = 0;
            PB_ASSERT(
                percent_parse(json_object_get(value, "percent_of_contribution"), &hundredths) == 0);
            wide cap = (wide)e->partners[pos]->planned_pence * hundredths / PERCENT_WHOLE;
            plan->cap_pence[pos] = (int64_t)cap; /* <= planned: fits */
        } else {
            PB_ASSERT(amount_parse(value, &plan->cap_pence[pos]) == 0);
        }
    }
    const char *residual = json_string_value(json_object_get(rule, "residual"));
    if (rc == PB_OK && residual != NULL) {
        rc = partner_need(e, residual, path, &plan->residual);
    }
    return rc;
}

static int
cap_step(eval *e, int pos, wide numerator, wide denominator, int64_t cap_pence, int sign)
{
    return work(e, json_pack("{s:s, s:s, s:o, s:o, s:o}", "step", "cap", "partner",
                             e->partners[pos]->id, "exact_numerator", wide_json(numerator * sign),
                             "exact_denominator", wide_json(denominator), "cap",
                             pb_money_json(cap_pence * sign)));
}

/* DESIGN 6: caps act on exact shares before rounding. Every active partner
 * whose exact share of rest exceeds its cap is given exactly its cap; the rest is
 * split again among the others, until no cap binds. At most one round per
 * partner, as each binding round retires at least one. */
static int
apply_caps(eval *e, const split_plan *plan, int sign, uint8_t *active, int64_t *alloc,
           int64_t *rest)
{
    int rc = PB_OK;
    for (size_t round = 0; rc == PB_OK && round <= e->partner_count; round++) {
        wide total = 0;
        uint8_t bind[PB_PARTNERS_MAX] = {0};
        int binding = 0;
        for (size_t i = 0; i < e->partner_count; i++) {
            total += active[i] ? plan->weight[i] : 0;
        }
        for (size_t i = 0; total > 0 && i < e->partner_count; i++) {
            if (active[i] && plan->cap_pence[i] >= 0 &&
                (wide)*rest * plan->weight[i] > (wide)plan->cap_pence[i] * total) {
                bind[i] = 1;
                binding = 1;
            }
        }
        if (!binding) {
            return PB_OK;
        }
        for (size_t i = 0; rc == PB_OK && i < e->partner_count; i++) {
            if (bind[i]) {
                rc = cap_step(e, (int)i, (wide)*rest * plan->weight[i], total, plan->cap_pence[i],
                              sign);
                alloc[i] = plan->cap_pence[i];
                active[i] = 0;
            }
        }
        for (size_t i = 0; i < e->partner_count; i++) {
            *rest -= bind[i] ? plan->cap_pence[i] : 0;
        }
        PB_ASSERT(*rest >= 0);
    }
    return rc;
}

/* The next penny of the largest-remainder method among partners not yet given
 * one: largest remainder, then larger weight, then partner id ascending
 * (DESIGN 6, pinned; positions are in id order). */
static int
penny_next(const eval *e, const split_plan *plan, const uint8_t *active, const wide *remainder,
           const uint8_t *given)
{
    int best = -1;
    for (size_t i = 0; i < e->partner_count; i++) {
        if (!active[i] || given[i] || plan->weight[i] == 0) {
            continue;
        }
        if (best < 0 || remainder[i] > remainder[best] ||
            (remainder[i] == remainder[best] && plan->weight[i] > plan->weight[best])) {
            best = (int)i;
        }
    }
    PB_ASSERT(best >= 0);
    return best;
}

/* Split rest among the active partners by weight: exact shares, floors, then
 * the leftover pennies by largest remainder. Sets *rest to 0, unless no active
 * partner has weight (then nothing moves). */
static int
round_shares(eval *e, const split_plan *plan, int sign, const uint8_t *active, int64_t *alloc,
             int64_t *rest)
{
    wide total = 0;
    wide remainder[PB_PARTNERS_MAX] = {0};
    uint8_t given[PB_PARTNERS_MAX] = {0};
    int64_t placed = 0;
    int rc = PB_OK;
    for (size_t i = 0; i < e->partner_count; i++) {
        total += active[i] ? plan->weight[i] : 0;
    }
    if (total == 0 || *rest == 0) {
        return PB_OK;
    }
    for (size_t i = 0; rc == PB_OK && i < e->partner_count; i++) {
        if (!active[i] || plan->weight[i] == 0) {
            continue;
        }
        wide numerator = (wide)*rest * plan->weight[i];
        alloc[i] = (int64_t)(numerator / total);
        remainder[i] = numerator % total;
        placed += alloc[i];
        rc = work(e, json_pack("{s:s, s:s, s:o, s:o, s:o}", "step", "exact", "partner",
                               e->partners[i]->id, "numerator", wide_json(numerator * sign),
                               "denominator", wide_json(total), "floor",
                               pb_money_json(alloc[i] * sign)));
    }
    if (rc != PB_OK) {
        return rc; /* out of memory part way: the floors are incomplete */
    }
    int64_t pennies = *rest - placed;
    PB_ASSERT(pennies >= 0 && (size_t)pennies < e->partner_count);
    for (int64_t k = 0; rc == PB_OK && k < pennies; k++) {
        int pos = penny_next(e, plan, active, remainder, given);
        given[pos] = 1;
        alloc[pos] += 1;
        rc = work(e, json_pack("{s:s, s:s, s:o, s:o, s:o}", "step", "penny", "partner",
                               e->partners[pos]->id, "remainder", wide_json(remainder[pos]),
                               "denominator", wide_json(total), "amount", pb_money_json(sign)));
    }
    *rest = 0;
    return rc;
}

/* What caps leave when no uncapped partner remains: to residual, else
 * unallocated (DESIGN 6: never silently dropped). */
static int
place_leftover(eval *e, const split_plan *plan, int sign, int64_t *alloc, int64_t rest)
{
    if (rest == 0) {
        return PB_OK;
    }
    if (plan->residual >= 0) {
        alloc[plan->residual] += rest;
        return work(e, json_pack("{s:s, s:s, s:o}", "step", "residual", "partner",
                                 e->partners[plan->residual]->id, "amount",
                                 pb_money_json(rest * sign)));
    }
    int rc = pb_money_add(e->unallocated_pence, rest * sign, &e->unallocated_pence, e->err);
    return rc == PB_OK ? work(e, json_pack("{s:s, s:o, s:s}", "step", "unallocated", "amount",
                                           pb_money_json(rest * sign), "reason",
                                           "every partner with weight is capped or none has "
                                           "weight, and no residual"))
                       : rc;
}

/* A split rule on a signed amount. */
static int
eval_split(eval *e, const json_t *rule, int64_t amount, const char *lead, const char *path)
{
    split_plan plan;
    uint8_t active[PB_PARTNERS_MAX] = {0};
    int64_t alloc[PB_PARTNERS_MAX] = {0};
    int sign = amount < 0 ? -1 : 1;
    int64_t rest = amount * sign;
    int rc = split_weights(e, rule, lead, path, &plan);
    rc = rc == PB_OK ? split_caps(e, rule, path, &plan) : rc;
    for (size_t i = 0; i < e->partner_count; i++) {
        active[i] = plan.weight[i] > 0;
    }
    rc = rc == PB_OK ? apply_caps(e, &plan, sign, active, alloc, &rest) : rc;
    rc = rc == PB_OK ? round_shares(e, &plan, sign, active, alloc, &rest) : rc;
    rc = rc == PB_OK ? place_leftover(e, &plan, sign, alloc, rest) : rc;
    for (size_t i = 0; rc == PB_OK && i < e->partner_count; i++) {
        PB_ASSERT(plan.residual == (int)i || plan.cap_pence[i] < 0 ||
                  alloc[i] <= plan.cap_pence[i]);
        rc = alloc[i] != 0 ? add_share(e, (int)i, alloc[i] * sign) : rc;
        if (rc == PB_OK && alloc[i] != 0) {
            rc = work(e, json_pack("{s:s, s:s, s:o}", "step", "share", "partner",
                                   e->partners[i]->id, "amount", pb_money_json(alloc[i] * sign)));
        }
    }
    return rc;
}

static int eval_rule(eval *e, const json_t *rule, int64_t amount, int64_t budget_pence,
                     const char *lead, const char *path, int depth);

/* A band's cumulative upper bound (DESIGN 6, pinned): an amount, or a percent
 * of the budget rounded down to the penny; the last band has none. */
static int64_t
band_bound(const json_t *band, int64_t budget_pence, int64_t magnitude)
{
    const json_t *upto = json_object_get(band, "upto");
    int64_t bound = magnitude;
    if (json_is_object(upto)) {
        int64_t hundredths = 0;
        PB_ASSERT(percent_parse(json_object_get(upto, "percent_of_budget"), &hundredths) == 0);
        bound = (int64_t)((wide)budget_pence * hundredths / PERCENT_WHOLE);
    } else if (upto != NULL) {
        PB_ASSERT(amount_parse(upto, &bound) == 0);
    }
    return bound;
}

/* Bands: the first slice of the magnitude by one rule, the next by another. */
static int
eval_bands(eval *e, const json_t *bands, int64_t amount, int64_t budget_pence, const char *lead,
           const char *path, int depth)
{
    int sign = amount < 0 ? -1 : 1;
    int64_t magnitude = amount * sign;
    int64_t consumed = 0;
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(bands); i++) {
        const json_t *band = json_array_get(bands, i);
        int64_t bound = band_bound(band, budget_pence, magnitude);
        int64_t end = bound < magnitude ? bound : magnitude;
        int64_t slice = end > consumed ? end - consumed : 0;
        char sub[PATH_MAX_BYTES];
        snprintf(sub, sizeof(sub), "%s.bands[%zu].rule", path, i);
        rc = work(e, json_pack("{s:s, s:I, s:o, s:o, s:o}", "step", "band", "index", (json_int_t)i,
                               "from", pb_money_json(consumed * sign), "upto",
                               pb_money_json(bound * sign), "slice", pb_money_json(slice * sign)));
        if (rc == PB_OK && slice > 0) {
            rc = eval_rule(e, json_object_get(band, "rule"), slice * sign, budget_pence, lead, sub,
                           depth + 1);
            consumed = end;
        }
    }
    PB_ASSERT(rc != PB_OK || consumed == magnitude);
    return rc;
}

/* RULE on a signed, non-zero amount. Recursion only through bands, at most
 * PB_POLICY_DEPTH_MAX deep (pb_policy_check refused deeper). */
static int
eval_rule(eval *e, const json_t *rule, int64_t amount, int64_t budget_pence, const char *lead,
          const char *path, int depth)
{
    PB_ASSERT(depth >= 1 && depth <= PB_POLICY_DEPTH_MAX);
    PB_ASSERT(amount != 0);
    int rc = work(e, json_pack("{s:s, s:s, s:o}", "step", "rule", "path", path, "amount",
                               pb_money_json(amount)));
    if (rc != PB_OK) {
        return rc;
    }
    if (json_object_get(rule, "bands") != NULL) {
        return eval_bands(e, json_object_get(rule, "bands"), amount, budget_pence, lead, path,
                          depth);
    }
    if (json_object_get(rule, "carry_forward") != NULL) {
        PB_ASSERT(amount < 0); /* pb_policy_check: underspend only */
        rc = pb_money_add(e->carried_pence, amount, &e->carried_pence, e->err);
        return rc == PB_OK ? work(e, json_pack("{s:s, s:o}", "step", "carry_forward", "amount",
                                               pb_money_json(amount)))
                           : rc;
    }
    return eval_split(e, rule, amount, lead, path);
}

static int
partner_order(const void *a, const void *b)
{
    return strcmp((*(const pb_policy_partner *const *)a)->id,
                  (*(const pb_policy_partner *const *)b)->id);
}

static int
scheme_order(const void *a, const void *b)
{
    return strcmp((*(const pb_policy_scheme *const *)a)->id,
                  (*(const pb_policy_scheme *const *)b)->id);
}

static int
in_range(int64_t pence, int64_t low)
{
    return pence >= low && pence <= PB_MONEY_PENCE_MAX;
}

/* Partners of in, checked and sorted by id into e. */
static int
setup_partners(eval *e, const pb_policy_input *in)
{
    if (in->partner_count == 0 || in->partner_count > PB_PARTNERS_MAX) {
        return pb_error_set(e->err, PB_ETOOBIG, "partners", "%zu partners: 1..%d allowed",
                            in->partner_count, PB_PARTNERS_MAX);
    }
    for (size_t i = 0; i < in->partner_count; i++) {
        const pb_policy_partner *p = &in->partners[i];
        if (p->id == NULL || p->id[0] == '\0' || strlen(p->id) > PB_ID_BYTES_MAX) {
            return pb_error_set(e->err, PB_EPARTNER, "partners", "partner %zu has no valid id", i);
        }
        if (!in_range(p->planned_pence, 0) || !in_range(p->received_pence, 0)) {
            return pb_error_set(e->err, PB_EAMOUNT, "partners",
                                "%s: contributions must be 0..%" PRId64 " pence", p->id,
                                (int64_t)PB_MONEY_PENCE_MAX);
        }
        e->partners[i] = p;
    }
    e->partner_count = in->partner_count;
    qsort(e->partners, e->partner_count, sizeof(e->partners[0]), partner_order);
    for (size_t i = 1; i < e->partner_count; i++) {
        if (strcmp(e->partners[i - 1]->id, e->partners[i]->id) == 0) {
            return pb_error_set(e->err, PB_EPARTNER, "partners", "%s is repeated",
                                e->partners[i]->id);
        }
    }
    int host = -1;
    return partner_need(e, in->host, "host", &host);
}

/* Schemes of in, checked and sorted by id into sorted. */
static int
setup_schemes(eval *e, const pb_policy_input *in, const pb_policy_scheme **sorted)
{
    if (in->scheme_count > PB_POLICY_SCHEMES_MAX) {
        return pb_error_set(e->err, PB_ETOOBIG, "schemes", "%zu schemes: at most %d",
                            in->scheme_count, PB_POLICY_SCHEMES_MAX);
    }
    for (size_t i = 0; i < in->scheme_count; i++) {
        const pb_policy_scheme *s = &in->schemes[i];
        int lead = -1;
        if (s->id == NULL || s->scheme_class == NULL ||
            (strcmp(s->scheme_class, "revenue") != 0 && strcmp(s->scheme_class, "capital") != 0)) {
            return pb_error_set(e->err, PB_EPOOL, "schemes",
                                "scheme %zu needs an id and class revenue or capital", i);
        }
        if (!in_range(s->budget_pence, 0) || !in_range(s->variance_pence, -PB_MONEY_PENCE_MAX)) {
            return pb_error_set(e->err, PB_EAMOUNT, "schemes",
                                "%s: budget or variance out of range", s->id);
        }
        int rc = partner_need(e, s->lead, "schemes", &lead);
        if (rc != PB_OK) {
            return rc;
        }
        sorted[i] = s;
    }
    qsort(sorted, in->scheme_count, sizeof(sorted[0]), scheme_order);
    for (size_t i = 1; i < in->scheme_count; i++) {
        if (strcmp(sorted[i - 1]->id, sorted[i]->id) == 0) {
            return pb_error_set(e->err, PB_EPOOL, "schemes", "scheme %s is repeated",
                                sorted[i]->id);
        }
    }
    return PB_OK;
}

static int
inputs_step(eval *e, const json_t *policy, const pb_policy_scheme **schemes, size_t count)
{
    json_t *partners = json_array();
    json_t *list = json_array();
    for (size_t i = 0; i < e->partner_count; i++) {
        partners = put(partners, NULL,
                       json_pack("{s:s, s:o, s:o}", "partner", e->partners[i]->id, "planned",
                                 pb_money_json(e->partners[i]->planned_pence), "received",
                                 pb_money_json(e->partners[i]->received_pence)));
    }
    for (size_t i = 0; i < count; i++) {
        list = put(list, NULL,
                   json_pack("{s:s, s:s, s:s, s:o, s:o}", "scheme", schemes[i]->id, "lead",
                             schemes[i]->lead, "class", schemes[i]->scheme_class, "budget",
                             pb_money_json(schemes[i]->budget_pence), "variance",
                             pb_money_json(schemes[i]->variance_pence)));
    }
    return work(e, json_pack("{s:s, s:s, s:s, s:o, s:o}", "step", "inputs", "host", e->in->host,
                             "netting", json_string_value(json_object_get(policy, "netting")),
                             "partners", partners, "schemes", list));
}

static int
covered(const json_t *policy, const pb_policy_scheme *scheme)
{
    const json_t *classes = json_object_get(policy, "classes");
    if (classes == NULL) {
        return 1;
    }
    for (size_t i = 0; i < json_array_size(classes); i++) {
        if (strcmp(json_string_value(json_array_get(classes, i)), scheme->scheme_class) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The rule for one side, of a scheme's by_scheme profile if it has one. */
static const json_t *
side_rule(const json_t *policy, const char *scheme_id, int side, char *path)
{
    static const char *const names[] = {"overspend", "underspend"};
    const json_t *profile = json_object_get(json_object_get(policy, "by_scheme"), scheme_id);
    const json_t *rule = json_object_get(profile, names[side]);
    if (rule != NULL) {
        snprintf(path, PATH_MAX_BYTES, "by_scheme.%s.%s", scheme_id, names[side]);
        return rule;
    }
    snprintf(path, PATH_MAX_BYTES, "%s", names[side]);
    return json_object_get(policy, names[side]);
}

/* DESIGN 6: with netting "pool" the covered schemes' variances are summed and
 * apportioned once; with "scheme" each is apportioned on its own. Schemes of
 * a class the policy leaves out are unallocated. */
static int
eval_netting(eval *e, const json_t *policy, const pb_policy_scheme **schemes, size_t count,
             int64_t *variance_out)
{
    int netting_scheme =
        strcmp(json_string_value(json_object_get(policy, "netting")), "scheme") == 0;
    int64_t covered_pence = 0;
    int64_t budget_pence = 0;
    int rc = PB_OK;
    char path[PATH_MAX_BYTES];
    *variance_out = 0;
    for (size_t i = 0; rc == PB_OK && i < count; i++) {
        const pb_policy_scheme *s = schemes[i];
        int64_t v = s->variance_pence;
        rc = pb_money_add(*variance_out, v, variance_out, e->err);
        rc = rc == PB_OK ? pb_money_add(budget_pence, s->budget_pence, &budget_pence, e->err) : rc;
        if (rc == PB_OK && !covered(policy, s)) {
            rc = pb_money_add(e->unallocated_pence, v, &e->unallocated_pence, e->err);
            rc =
                rc == PB_OK
                    ? work(e, json_pack("{s:s, s:s, s:s, s:o}", "step", "excluded", "scheme", s->id,
                                        "class", s->scheme_class, "variance", pb_money_json(v)))
                    : rc;
        } else if (rc == PB_OK && !netting_scheme) {
            rc = pb_money_add(covered_pence, v, &covered_pence, e->err);
        } else if (rc == PB_OK && v != 0) {
            const json_t *rule = side_rule(policy, s->id, v > 0 ? SIDE_OVER : SIDE_UNDER, path);
            rc = work(e, json_pack("{s:s, s:s, s:s, s:o, s:o}", "step", "netting", "netting",
                                   "scheme", "scheme", s->id, "variance", pb_money_json(v),
                                   "budget", pb_money_json(s->budget_pence)));
            rc = rc == PB_OK ? eval_rule(e, rule, v, s->budget_pence, s->lead, path, 1) : rc;
        }
    }
    if (rc == PB_OK && !netting_scheme) {
        rc = work(e, json_pack("{s:s, s:s, s:o, s:o}", "step", "netting", "netting", "pool",
                               "variance", pb_money_json(covered_pence), "budget",
                               pb_money_json(budget_pence)));
        if (rc == PB_OK && covered_pence != 0) {
            const json_t *rule =
                side_rule(policy, "", covered_pence > 0 ? SIDE_OVER : SIDE_UNDER, path);
            rc = eval_rule(e, rule, covered_pence, budget_pence, NULL, path, 1);
        }
    }
    return rc;
}

static int
result_build(eval *e, int64_t variance_pence, pb_policy_result *r)
{
    wide total = (wide)e->unallocated_pence + e->carried_pence;
    json_t *shares = json_object();
    r->variance_pence = variance_pence;
    r->unallocated_pence = e->unallocated_pence;
    r->carried_forward_pence = e->carried_pence;
    r->share_count = e->partner_count;
    for (size_t i = 0; i < e->partner_count; i++) {
        snprintf(r->shares[i].partner, sizeof(r->shares[i].partner), "%s", e->partners[i]->id);
        r->shares[i].amount_pence = e->share_pence[i];
        total += e->share_pence[i];
        shares = put(shares, e->partners[i]->id, pb_money_json(e->share_pence[i]));
    }
    /* DESIGN 6: shares, unallocated and carried forward add up to the variance. */
    PB_ASSERT(total == (wide)variance_pence);
    return work(e, json_pack("{s:s, s:o, s:o, s:o, s:o}", "step", "result", "variance",
                             pb_money_json(variance_pence), "shares", shares, "unallocated",
                             pb_money_json(e->unallocated_pence), "carried_forward",
                             pb_money_json(e->carried_pence)));
}

int
pb_policy_apply(const json_t *policy, const pb_policy_input *in, pb_policy_result **out,
                pb_error *err)
{
    PB_ASSERT(policy != NULL && in != NULL && out != NULL);
    const pb_policy_scheme **schemes = NULL;
    pb_policy_result *result = NULL;
    eval *e = calloc(1, sizeof(*e));
    int64_t variance_pence = 0;
    int rc = PB_OK;
    *out = NULL;
    if (e == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    e->in = in;
    e->err = err;
    rc = pb_policy_check(policy, err);
    rc = rc == PB_OK ? setup_partners(e, in) : rc;
    if (rc == PB_OK) {
        schemes = calloc(in->scheme_count + 1, sizeof(*schemes));
        result = calloc(1, sizeof(*result));
        e->workings = json_array();
        if (schemes == NULL || result == NULL || e->workings == NULL) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    rc = rc == PB_OK ? setup_schemes(e, in, schemes) : rc;
    rc = rc == PB_OK ? inputs_step(e, policy, schemes, in->scheme_count) : rc;
    rc = rc == PB_OK ? eval_netting(e, policy, schemes, in->scheme_count, &variance_pence) : rc;
    rc = rc == PB_OK ? result_build(e, variance_pence, result) : rc;
    if (rc == PB_OK) {
        result->workings = e->workings;
        e->workings = NULL;
        *out = result;
        result = NULL;
    }
    json_decref(e->workings);
    free(result);
    free(schemes);
    free(e);
    return rc;
}

void
pb_policy_result_free(pb_policy_result *result)
{
    if (result != NULL) {
        json_decref(result->workings);
        free(result);
    }
}
