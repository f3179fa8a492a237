/*
 * statement.c — the model of a partner statement and of a pool summary
 * (DESIGN 7): one JSON object, which is also the statement's json format
 * (docs/statements.md). Every figure comes from pb_pool_report and
 * pb_policy_explain, read at one tree size; this file only selects,
 * arranges and combines them (the partner's position), then adds the
 * integrity footer: the checkpoint covering the entries used and the result
 * of verifying the whole ledger. Renderers (text, csv, html, xlsx) live in cli/.
 */
#include "books/books.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* How long a checkpoint note may be: a body and a few dozen signature lines. */
#define STATEMENT_NOTE_LINES_MAX 64

/* The partner object of the report with id, or NULL. */
static const json_t *
report_partner(const json_t *report, const char *id)
{
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(report, "partners"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0) {
            return p;
        }
    }
    return NULL;
}

static const char *
partner_name(const json_t *report, const char *id)
{
    const char *name = json_string_value(json_object_get(report_partner(report, id), "name"));
    return name != NULL ? name : id;
}

/* Refuse a partner outside the pool, naming the pool's partners. */
static int
check_partner(const json_t *report, const char *partner, pb_error *err)
{
    if (partner == NULL || report_partner(report, partner) != NULL) {
        return PB_OK;
    }
    char list[PB_PARTNERS_MAX * 8];
    size_t used = 0;
    size_t i;
    const json_t *p;
    list[0] = '\0';
    json_array_foreach(json_object_get(report, "partners"), i, p)
    {
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "",
                         json_string_value(json_object_get(p, "id")));
        used += n > 0 && (size_t)n < sizeof(list) - used ? (size_t)n : 0;
    }
    return pb_error_set(err, PB_EPARTNER, NULL, "%s is not a partner of pool %s; partners: %s",
                        partner, json_string_value(json_object_get(report, "pool")), list);
}

/* A statement of a period in which nothing was posted would only repeat the
 * plan: refuse it, so a missed posting is noticed rather than reported. */
static int
check_activity(const json_t *report, const pb_period *period, pb_error *err)
{
    if (json_integer_value(json_object_get(report, "active_months")) > 0) {
        return PB_OK;
    }
    char first[PB_DATE_TEXT_MAX];
    pb_date_format(period->first_day, first, sizeof(first));
    return pb_error_set(err, PB_ENOTFOUND, NULL,
                        "pool %s has no money entries dated in %s (%s to %s): nothing to state",
                        json_string_value(json_object_get(report, "pool")),
                        json_string_value(json_object_get(report, "period")), first,
                        json_string_value(json_object_get(report, "period_end")));
}

/* The words of a position: who owes whom, in pounds with separators. */
static json_t *
position_text(const char *partner, int64_t due_pence)
{
    char amount[PB_MONEY_TEXT_MAX];
    char text[PB_ID_BYTES_MAX + PB_MONEY_TEXT_MAX + 64];
    int64_t magnitude = due_pence < 0 ? -due_pence : due_pence;
    PB_ASSERT(pb_money_format_display(magnitude, amount, sizeof(amount)) == PB_OK);
    if (due_pence > 0) {
        snprintf(text, sizeof(text), "%s owes the pool \xC2\xA3%s", partner, amount);
    } else if (due_pence < 0) {
        snprintf(text, sizeof(text), "the pool owes %s \xC2\xA3%s", partner, amount);
    } else {
        snprintf(text, sizeof(text), "nothing is due between %s and the pool", partner);
    }
    return json_string(text);
}

/* An amount's magnitude with the pound sign: "£917,142.86". */
static const char *
pounds(int64_t pence, char *buf, size_t size)
{
    char digits[PB_MONEY_TEXT_MAX];
    PB_ASSERT(pb_money_format_display(pence < 0 ? -pence : pence, digits, sizeof(digits)) == PB_OK);
    snprintf(buf, size, "\xC2\xA3%s", digits);
    return buf;
}

/* A date as a board paper writes it: "30 September 2024". */
static const char *
date_words(const char *iso, char *buf, size_t size)
{
    static const char *const months[] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};
    int y = 0, m = 0, d = 0;
    if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12) {
        snprintf(buf, size, "%s", iso);
    } else {
        snprintf(buf, size, "%d %s %d", d, months[m - 1], y);
    }
    return buf;
}

/* The figures of a partner's headline, in pence. */
struct headline {
    const char *partner;
    const char *end;   /* the period end, "YYYY-MM-DD" */
    const char *basis; /* "forecast" or "settled" */
    const char *due_basis; /* report.c's: "schedule", "pro rata by months" or both */
    int64_t variance, share, planned, due, paid, arrears, net, to_come;
};

#define HEADLINE_TEXT_MAX (3 * PB_MONEY_TEXT_MAX + PB_ID_BYTES_MAX + 256)

/* "DCC's share of the pool's forecast overspend of £X is £S, ..." */
static json_t *
share_sentence(const struct headline *h)
{
    char v[PB_MONEY_TEXT_MAX], sh[PB_MONEY_TEXT_MAX], text[HEADLINE_TEXT_MAX];
    const char *kind = h->variance > 0 ? "overspend" : "underspend";
    pounds(h->variance, v, sizeof(v));
    pounds(h->share, sh, sizeof(sh));
    if (h->variance == 0) {
        snprintf(text, sizeof(text), "The pool's %s outturn is on budget, so %s has no variance to share.",
                 h->basis, h->partner);
    } else if (h->share == 0) {
        snprintf(text, sizeof(text), "%s bears none of the pool's %s %s of %s.", h->partner,
                 h->basis, kind, v);
    } else if ((h->share > 0) == (h->variance > 0)) {
        snprintf(text, sizeof(text), "%s's share of the pool's %s %s of %s is %s, which %s.",
                 h->partner, h->basis, kind, v, sh,
                 h->share > 0 ? "it pays on top of its planned contribution"
                              : "comes off what it pays");
    } else {
        /* Netting by scheme: a partner may bear one scheme's overspend while
         * the pool as a whole is under budget, or the reverse. */
        snprintf(text, sizeof(text),
                 "Although the pool's %s outturn is %s %s budget, %s's share under the risk share "
                 "is %s of %s, which %s.",
                 h->basis, v, h->variance > 0 ? "over" : "under", h->partner, sh,
                 h->share > 0 ? "overspend" : "underspend",
                 h->share > 0 ? "it pays on top of its planned contribution"
                              : "comes off what it pays");
    }
    return json_string(text);
}

/* "By 30 September 2024 DCC's contributions due were £A (...); it has paid
 * £B, so it is £C in arrears." Arrears are contributions only, never the
 * risk share. */
static json_t *
contributions_sentence(const struct headline *h)
{
    char when[32], due[PB_MONEY_TEXT_MAX], paid[PB_MONEY_TEXT_MAX], gap[PB_MONEY_TEXT_MAX];
    char tail[PB_MONEY_TEXT_MAX + 64], text[HEADLINE_TEXT_MAX];
    pounds(h->arrears, gap, sizeof(gap));
    if (h->arrears > 0) {
        snprintf(tail, sizeof(tail), "so it is %s in arrears", gap);
    } else if (h->arrears < 0) {
        snprintf(tail, sizeof(tail), "so it has paid %s ahead of what is due", gap);
    } else {
        snprintf(tail, sizeof(tail), "so it is up to date");
    }
    snprintf(text, sizeof(text), "By %s %s's contributions due were %s (%s); it has paid %s, %s.",
             date_words(h->end, when, sizeof(when)), h->partner, pounds(h->due, due, sizeof(due)),
             strcmp(h->due_basis, "schedule") == 0
                 ? "under the contribution schedule in the agreement"
             : strcmp(h->due_basis, "pro rata by months") == 0
                 ? "pro rata by months: the agreement sets no contribution schedule"
                 : "under the agreement's contribution schedule, pro rata by months for streams "
                   "without one",
             pounds(h->paid, paid, sizeof(paid)), tail);
    return json_string(text);
}

/* Why the net position is what it is: the contributions' arrears (or what
 * was paid ahead) and the risk share, each named, never mixed. */
static void
net_reason(const struct headline *h, char *buf, size_t size)
{
    char gap[PB_MONEY_TEXT_MAX], sh[PB_MONEY_TEXT_MAX], share[PB_MONEY_TEXT_MAX + 64] = "";
    const char *paid = h->arrears > 0 ? "in arrears" : "paid ahead";
    pounds(h->arrears, gap, sizeof(gap));
    if (h->share != 0) {
        snprintf(share, sizeof(share), "a %s share of the %s variance %s",
                 pounds(h->share, sh, sizeof(sh)), h->basis,
                 h->share > 0 ? "to pay" : "in its favour");
    }
    if (h->arrears == 0 && h->share == 0) {
        snprintf(buf, size, "its contributions are up to date and it bears no variance");
    } else if (h->arrears == 0) {
        snprintf(buf, size, "%s; its contributions are up to date", share);
    } else if (h->share == 0) {
        snprintf(buf, size, "contributions of %s %s; it bears no variance", gap, paid);
    } else {
        snprintf(buf, size, "contributions of %s %s, and %s", gap, paid, share);
    }
}

/* "Net position at 30 September 2024: DCC owes the pool £N: ...". */
static json_t *
net_sentence(const struct headline *h)
{
    char when[32], net[PB_MONEY_TEXT_MAX], rest[PB_MONEY_TEXT_MAX];
    char who[PB_ID_BYTES_MAX + PB_MONEY_TEXT_MAX + 32], why[HEADLINE_TEXT_MAX];
    char text[2 * HEADLINE_TEXT_MAX], later[PB_MONEY_TEXT_MAX + 96] = "";
    pounds(h->net, net, sizeof(net));
    if (h->net > 0) {
        snprintf(who, sizeof(who), "%s owes the pool %s", h->partner, net);
    } else if (h->net < 0) {
        snprintf(who, sizeof(who), "the pool owes %s %s", h->partner, net);
    } else {
        snprintf(who, sizeof(who), "nothing is due between %s and the pool", h->partner);
    }
    net_reason(h, why, sizeof(why));
    if (h->to_come != 0) {
        snprintf(later, sizeof(later), " (the %s of contributions not yet due is not included)",
                 pounds(h->to_come, rest, sizeof(rest)));
    }
    snprintf(text, sizeof(text), "Net position at %s: %s: %s%s.",
             date_words(h->end, when, sizeof(when)), who, why, later);
    return json_string(text);
}

/* The headline figures of partner: arrears = due to date - paid; net =
 * arrears + share; to come = planned - due to date. */
static int
headline_of(const json_t *report, const json_t *explain, const char *partner, struct headline *h,
            pb_error *err)
{
    const json_t *p = report_partner(report, partner);
    memset(h, 0, sizeof(*h));
    h->partner = partner;
    h->end = json_string_value(json_object_get(report, "period_end"));
    h->basis = strcmp(json_string_value(json_object_get(report, "basis")), "actual") == 0
                   ? "settled"
                   : "forecast";
    h->due_basis = json_string_value(json_object_get(p, "due_basis"));
    h->variance = pb_money_of_json(json_object_get(explain, "variance"));
    h->share = pb_money_of_json(json_object_get(json_object_get(explain, "shares"), partner));
    h->planned = pb_money_of_json(json_object_get(p, "planned"));
    h->due = pb_money_of_json(json_object_get(p, "due_to_date"));
    h->paid = pb_money_of_json(json_object_get(p, "received"));
    int rc = pb_money_sub(h->due, h->paid, &h->arrears, err);
    rc = rc == PB_OK ? pb_money_add(h->arrears, h->share, &h->net, err) : rc;
    return rc == PB_OK ? pb_money_sub(h->planned, h->due, &h->to_come, err) : rc;
}

/* A partner's position: planned + share - paid = forecast amount due to the
 * pool (positive) or from it (negative) by the year end; and the headline a
 * board reads first (docs/statements.md): the share of the variance, the
 * contributions due to date against those paid, and the net position now. */
static int
position_of(const json_t *report, const json_t *explain, const char *partner, json_t **out,
            pb_error *err)
{
    struct headline h;
    int64_t due = 0;
    int rc = headline_of(report, explain, partner, &h, err);
    rc = rc == PB_OK ? pb_money_add(h.planned, h.share, &due, err) : rc;
    rc = rc == PB_OK ? pb_money_sub(due, h.paid, &due, err) : rc;
    if (rc == PB_OK) {
        *out = json_pack(
            "{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:[o,o,o]}", "partner", partner,
            "name", partner_name(report, partner), "planned", pb_money_json(h.planned), "share",
            pb_money_json(h.share), "paid", pb_money_json(h.paid), "due", pb_money_json(due),
            "direction", due > 0 ? "to pool" : (due < 0 ? "to partner" : "none"), "text",
            position_text(partner, due), "due_to_date", pb_money_json(h.due), "arrears",
            pb_money_json(h.arrears), "net", pb_money_json(h.net), "to_come",
            pb_money_json(h.to_come), "due_basis", h.due_basis,
            "headline", share_sentence(&h), contributions_sentence(&h), net_sentence(&h));
        rc = *out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    return rc;
}

/* The statement's headline, first on page one of every format: a partner's
 * three sentences; for the pool summary the pool's variance and each
 * partner's net position. */
static json_t *
headline_lines(const json_t *report, const json_t *positions, const char *partner)
{
    if (partner != NULL) {
        return json_deep_copy(json_object_get(json_array_get(positions, 0), "headline"));
    }
    char v[PB_MONEY_TEXT_MAX], b[PB_MONEY_TEXT_MAX], text[HEADLINE_TEXT_MAX];
    const json_t *totals = json_object_get(report, "totals");
    int64_t variance = pb_money_of_json(json_object_get(totals, "variance"));
    const char *basis =
        strcmp(json_string_value(json_object_get(report, "basis")), "actual") == 0 ? "settled"
                                                                                    : "forecast";
    if (variance == 0) {
        snprintf(text, sizeof(text), "The pool's %s outturn equals its budget of %s.", basis,
                 pounds(pb_money_of_json(json_object_get(totals, "budget")), b, sizeof(b)));
    } else {
        snprintf(text, sizeof(text), "The pool's %s outturn is %s %s its budget of %s.", basis,
                 pounds(variance, v, sizeof(v)), variance > 0 ? "over" : "under",
                 pounds(pb_money_of_json(json_object_get(totals, "budget")), b, sizeof(b)));
    }
    json_t *lines = json_pack("[s]", text);
    size_t i;
    const json_t *p;
    json_array_foreach(positions, i, p)
    {
        json_t *net = json_array_get(json_object_get(p, "headline"), 2);
        if (lines != NULL && (net == NULL || json_array_append(lines, net) != 0)) {
            json_decref(lines);
            lines = NULL; /* out of memory */
        }
    }
    return lines;
}

/* Every position the statement shows: the partner's, or each pool partner's. */
static int
positions_of(const json_t *report, const json_t *explain, const char *partner, json_t *out,
             pb_error *err)
{
    int rc = PB_OK;
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(report, "partners"), i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        json_t *position = NULL;
        if (partner != NULL && strcmp(partner, id) != 0) {
            continue;
        }
        rc = position_of(report, explain, id, &position, err);
        if (rc == PB_OK && json_array_append_new(out, position) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
        if (rc != PB_OK) {
            break;
        }
    }
    return rc;
}

/* The partner's streams (every stream for the pool summary) and their sums. */
static json_t *
contributions_of(const json_t *report, const char *partner)
{
    json_t *streams = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(report, "streams"), i, s)
    {
        if (streams != NULL &&
            (partner == NULL ||
             strcmp(json_string_value(json_object_get(s, "payer")), partner) == 0) &&
            json_array_append(streams, (json_t *)s) != 0) {
            json_decref(streams);
            streams = NULL; /* json_pack below then fails: out of memory */
        }
    }
    const json_t *sums =
        partner != NULL ? report_partner(report, partner) : json_object_get(report, "totals");
    return json_pack("{s:o,s:O,s:O}", "streams", streams, "planned",
                     json_object_get(sums, "planned"), "received",
                     json_object_get(sums, "received"));
}

/* "DCC £84,229.92, ICB £149,742.08": each partner's final share, signed
 * amounts in words ("... ICB receives £X" for a negative share). */
static void
final_shares(const json_t *report, const json_t *shares, char *buf, size_t size)
{
    size_t used = 0;
    size_t i;
    const json_t *p;
    buf[0] = '\0';
    json_array_foreach(json_object_get(report, "partners"), i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        int64_t share = pb_money_of_json(json_object_get(shares, id));
        char amount[PB_MONEY_TEXT_MAX];
        int n = snprintf(buf + used, size - used, "%s%s %s %s", i > 0 ? ", " : "", id,
                         share < 0 ? "receives" : "pays", pounds(share, amount, sizeof(amount)));
        used += n > 0 && (size_t)n < size - used ? (size_t)n : 0;
    }
}

/* The settled year in one sentence (the headline's first): who settled it
 * and when, the final shares, the closing reserve, and what happens to any
 * amount left unallocated. */
static json_t *
settled_sentence(const json_t *report, const json_t *settlement)
{
    char when[32], shares[PB_PARTNERS_MAX * (PB_ID_BYTES_MAX + PB_MONEY_TEXT_MAX + 16)];
    char reserve[PB_MONEY_TEXT_MAX], left[PB_MONEY_TEXT_MAX], variance[PB_MONEY_TEXT_MAX];
    char rest[2 * PB_MONEY_TEXT_MAX + 256];
    char *text = NULL;
    int64_t unallocated = pb_money_of_json(json_object_get(settlement, "unallocated"));
    int64_t v = pb_money_of_json(json_object_get(settlement, "variance"));
    final_shares(report, json_object_get(settlement, "shares"), shares, sizeof(shares));
    pounds(pb_money_of_json(json_object_get(settlement, "closing_reserve")), reserve,
           sizeof(reserve));
    if (unallocated == 0) {
        snprintf(rest, sizeof(rest), "the closing reserve carried into next year is %s; nothing "
                 "is left unallocated", reserve);
    } else {
        snprintf(rest, sizeof(rest),
                 "the closing reserve carried into next year is %s; %s is unallocated (outside "
                 "the policy's classes or beyond its caps): no partner bears it under the "
                 "agreement, so the partners must decide how it is met or used",
                 reserve, pounds(unallocated, left, sizeof(left)));
    }
    size_t size = sizeof(shares) + sizeof(rest) + 256;
    text = malloc(size);
    if (text == NULL) {
        return NULL;
    }
    snprintf(text, size,
             "Settled by the partners in settlement %s on %s: the year's actual %s of %s is "
             "final, and %s; %s.",
             json_string_value(json_object_get(settlement, "id")),
             date_words(json_string_value(json_object_get(settlement, "date")), when, sizeof(when)),
             v > 0 ? "overspend" : "underspend", pounds(v, variance, sizeof(variance)), shares,
             rest);
    json_t *out = json_string(text);
    free(text);
    return out;
}

/* SETTLEMENT PLUG-IN POINT — the one place where a settlement shows in a
 * statement. DESIGN 7: "a year period after settlement shows the final
 * outturn instead of the forecast". pb_pool_report_state already switches a
 * settled pool's year to the actual outturn (its "basis" becomes "actual",
 * each scheme's "outturn" the actual spending), and pb_policy_explain_state
 * apportions that outturn, so this carries the basis and the settled
 * figures (with the closing reserve) into the statement, and puts the
 * settlement's sentence first in the headline, so the settled year reads as
 * settled in every format. */
static int
apply_settlement(const json_t *report, json_t *statement, pb_error *err)
{
    const json_t *basis = json_object_get(report, "basis");
    const json_t *settlement = json_object_get(report, "settlement");
    int rc = basis != NULL ? json_object_set(statement, "basis", (json_t *)basis)
                           : json_object_set_new(statement, "basis", json_string("forecast"));
    if (rc == 0 && settlement != NULL && strcmp(json_string_value(basis), "actual") == 0) {
        json_t *settled = json_deep_copy(settlement);
        json_t *sentence = settled_sentence(report, settlement);
        /* Nothing here steals a reference: both are released below either way. */
        rc = settled == NULL || sentence == NULL;
        rc = rc || json_object_set(settled, "text", sentence) != 0;
        rc = rc || json_array_insert(json_object_get(statement, "headline"), 0, sentence) != 0;
        rc = rc || json_object_set(statement, "settlement", settled) != 0;
        json_decref(settled);
        json_decref(sentence);
    }
    return rc == 0 ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* The title block a board paper opens with: the partnership (every pool
 * partner's name), the "as at" date in words, and the status: "draft" until
 * the period is closed, "final" after (pool show's status). */
static int
title_block(const json_t *report, json_t *statement, pb_error *err)
{
    char when[32];
    json_t *names = json_array();
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(report, "partners"), i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        if (names != NULL && json_array_append_new(names, json_string(partner_name(report, id))) != 0) {
            json_decref(names);
            names = NULL;
        }
    }
    date_words(json_string_value(json_object_get(report, "period_end")), when, sizeof(when));
    int rc = json_object_set_new(statement, "partnership", names);
    rc = rc == 0 ? json_object_set_new(statement, "as_at", json_string(when)) : rc;
    rc = rc == 0 ? json_object_set(statement, "status", json_object_get(report, "status")) : rc;
    return rc == 0 ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* A partner's witness's cosignature/v1 line adds its name to witnesses. The
 * lines were checked by the verification the footer also reports. Non-zero
 * when out of memory. */
static int
witness_of(const char *line, json_t *witnesses)
{
    char text[1024];
    char name[256];
    snprintf(text, sizeof(text), "%s\n", line);
    if (pb_note_line_kind(text) == 2 &&
        pb_note_line_name(text, name, sizeof(name), NULL) == PB_OK) {
        return json_array_append_new(witnesses, json_string(name));
    }
    return 0;
}

/* The signed note split into its parts: size, root, signature lines and the
 * witnesses among the signers. NULL when out of memory. */
static json_t *
checkpoint_of(const char *note)
{
    json_t *sigs = json_array();
    json_t *witnesses = json_array();
    char line[1024];
    const char *p = note;
    uint64_t tree_size = 0;
    char root[64] = "";
    int bad = sigs == NULL || witnesses == NULL;
    for (int n = 0; !bad && *p != '\0' && n < STATEMENT_NOTE_LINES_MAX + 4; n++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        if (n == 1) {
            tree_size = strtoull(line, NULL, 10);
        } else if (n == 2) {
            snprintf(root, sizeof(root), "%s", line);
        } else if (n > 3 && len > 0) {
            bad = json_array_append_new(sigs, json_string(line)) != 0 ||
                  witness_of(line, witnesses) != 0;
        }
        p += len + (nl != NULL ? 1 : 0);
    }
    if (bad) {
        json_decref(sigs);
        json_decref(witnesses);
        return NULL;
    }
    return json_pack("{s:I,s:s,s:o,s:o,s:s}", "tree_size", (json_int_t)tree_size, "root", root,
                     "signatures", sigs, "witnesses", witnesses, "note", note);
}

/* The integrity footer: the latest checkpoint if it covers the tree_size
 * records the figures were read from (else null: run `poolbook checkpoint`),
 * and the result of verifying the whole ledger, which also checks every
 * stored checkpoint's root and signatures. A ledger that fails verification
 * is refused a statement. */
/* The findings for review (pb_review_findings) that touch the pool: its own
 * entries, and entries of no pool (documents, keys, partners), each with the
 * sentence a statement prints. A new reference, or NULL when there are none. */
static int
review_of(pb_store *store, const char *pool_id, json_t **out, pb_error *err)
{
    json_t *all = NULL;
    *out = NULL;
    int rc = pb_review_findings(store, &all, err);
    for (size_t i = 0; rc == PB_OK && i < json_array_size(all); i++) {
        json_t *f = json_array_get(all, i);
        const char *pool = json_string_value(json_object_get(f, "pool"));
        if (pool != NULL && strcmp(pool, pool_id) != 0) {
            continue;
        }
        char text[PB_ERROR_TEXT_MAX];
        if (strcmp(json_string_value(json_object_get(f, "kind")), "reopen") == 0) {
            snprintf(text, sizeof(text),
                     "record %lld %s reopened period %s, closed by record %lld %s: %s",
                     (long long)json_integer_value(json_object_get(f, "index")),
                     json_string_value(json_object_get(f, "id")),
                     json_string_value(json_object_get(f, "period")),
                     (long long)json_integer_value(json_object_get(f, "closed_by")),
                     json_string_value(json_object_get(f, "close_id")),
                     json_string_value(json_object_get(f, "reason")));
        } else {
            snprintf(
                text, sizeof(text),
                "record %lld %s (%s dated %s) is signed by key %s of %s, revoked from %s by "
                "record %lld; appended before the revocation, it counts in these figures: check "
                "that it was genuine",
                (long long)json_integer_value(json_object_get(f, "index")),
                json_string_value(json_object_get(f, "id")),
                json_string_value(json_object_get(f, "type")),
                json_string_value(json_object_get(f, "date")),
                json_string_value(json_object_get(f, "key")),
                json_string_value(json_object_get(f, "partner")),
                json_string_value(json_object_get(f, "revoked_from")),
                (long long)json_integer_value(json_object_get(f, "revoked_by")));
        }
        if (*out == NULL) {
            *out = json_array();
        }
        if (*out == NULL || json_object_set_new(f, "text", json_string(text)) != 0 ||
            json_array_append(*out, f) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    json_decref(all);
    if (rc != PB_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

static int
integrity_of(pb_store *store, const char *pool_id, uint64_t tree_size, json_t **out, pb_error *err)
{
    char *note = NULL;
    json_t *checkpoint = NULL;
    pb_verify_report vr;
    pb_error local;
    pb_error_init(&local);
    int rc = pb_checkpoint_get(store, 0, &note, &local);
    if (rc == PB_ENOTFOUND) {
        rc = PB_OK; /* no checkpoint yet is not a failure: the footer says so */
    } else if (rc != PB_OK && err != NULL) {
        *err = local;
    } else if (rc == PB_OK) {
        checkpoint = checkpoint_of(note);
        rc = checkpoint != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        if (json_integer_value(json_object_get(checkpoint, "tree_size")) < (json_int_t)tree_size) {
            json_decref(checkpoint);
            checkpoint = NULL;
        }
    }
    free(note);
    rc = rc == PB_OK ? pb_verify_kept(store, NULL, 0, 0, &vr, err) : rc;
    if (rc == PB_OK) {
        char root[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(root, sizeof(root), vr.root, 32, sodium_base64_VARIANT_ORIGINAL);
        *out =
            json_pack("{s:I,s:o,s:{s:s,s:I,s:I,s:I,s:I,s:s}}", "tree_size", (json_int_t)tree_size,
                      "checkpoint", checkpoint != NULL ? checkpoint : json_null(), "verification",
                      "result", "verified", "records", (json_int_t)vr.records, "signatures",
                      (json_int_t)vr.signatures, "checkpoints", (json_int_t)vr.checkpoints,
                      "cosignatures", (json_int_t)vr.cosignatures, "root", root);
        checkpoint = NULL;
        rc = *out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_t *review = NULL;
    rc = rc == PB_OK ? review_of(store, pool_id, &review, err) : rc;
    if (rc == PB_OK && review != NULL &&
        json_object_set_new(json_object_get(*out, "verification"), "review", review) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc != PB_OK && *out != NULL) {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(checkpoint);
    return rc;
}

static json_t *
policy_of(const json_t *report, const json_t *explain)
{
    const json_t *policy = json_object_get(report, "policy");
    return json_pack(
        "{s:O,s:O,s:O*,s:O,s:O,s:O,s:O,s:O}", "name", json_object_get(policy, "name"), "netting",
        json_object_get(policy, "netting"), "variance_basis", json_object_get(explain, "basis"),
        "variance", json_object_get(explain, "variance"), "shares",
        json_object_get(explain, "shares"), "unallocated", json_object_get(explain, "unallocated"),
        "carried_forward", json_object_get(explain, "carried_forward"), "workings",
        json_object_get(explain, "workings"));
}

/* Assemble the statement object from its parts (new references are stolen). */
static json_t *
statement_object(const json_t *report, const json_t *explain, const char *partner,
                 json_t *positions, json_t *integrity)
{
    const char *host = json_string_value(json_object_get(report, "host"));
    json_t *who = partner != NULL
                      ? json_pack("{s:s,s:s}", "id", partner, "name", partner_name(report, partner))
                      : json_null();
    return json_pack(
        "{s:s,s:O,s:{s:O,s:O,s:s,s:s},s:o,s:O,s:O,s:o,s:o,s:O,s:O,s:o,s:o,s:o}", "statement",
        partner != NULL ? "partner" : "pool", "origin", json_object_get(report, "origin"), "pool",
        "id", json_object_get(report, "pool"), "name", json_object_get(report, "name"), "host",
        host, "host_name", partner_name(report, host), "partner", who, "period",
        json_object_get(report, "period"), "period_end", json_object_get(report, "period_end"),
        "headline", headline_lines(report, positions, partner),
        "contributions", contributions_of(report, partner), "schemes",
        json_object_get(report, "schemes"), "totals", json_object_get(report, "totals"), "policy",
        policy_of(report, explain), "positions", positions, "integrity", integrity);
}

/* {"from", "to", "change"} of two amounts; json null when either is absent.
 * NULL with err set on overflow (PB_EOVERFLOW) or out of memory (PB_ENOMEM). */
static json_t *
change_of(const json_t *from, const json_t *to, pb_error *err)
{
    int64_t delta = 0;
    if (from == NULL || to == NULL) {
        return json_null();
    }
    if (pb_money_sub(pb_money_of_json(to), pb_money_of_json(from), &delta, err) != PB_OK) {
        return NULL;
    }
    json_t *c = json_pack("{s:O,s:O,s:o}", "from", from, "to", to, "change", pb_money_json(delta));
    if (c == NULL) {
        pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    return c;
}

static const json_t *
scheme_in(const json_t *report, const char *id)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(report, "schemes"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0) {
            return s;
        }
    }
    return NULL;
}

/* The movement since the previous quarter's report (DESIGN 7, docs/statements.md):
 * the pool's variance, each scheme's outturn and variance, and each shown
 * partner's share, as from, to and change, in *out. PB_OK, PB_EOVERFLOW or
 * PB_ENOMEM. */
static int
movement_of(const json_t *report, const json_t *explain, const json_t *prev,
            const json_t *prev_explain, const char *partner, json_t **out, pb_error *err)
{
    json_t *schemes = json_array(), *shares = json_object();
    size_t i;
    const json_t *s;
    pb_error local;
    pb_error_init(&local);
    int ok = schemes != NULL && shares != NULL;
    *out = NULL;
    json_array_foreach(json_object_get(report, "schemes"), i, s)
    {
        const json_t *was = scheme_in(prev, json_string_value(json_object_get(s, "id")));
        json_t *outturn = ok ? change_of(json_object_get(was, "outturn"),
                                         json_object_get(s, "outturn"), &local)
                             : NULL;
        json_t *variance = ok && outturn != NULL
                               ? change_of(json_object_get(was, "variance"),
                                           json_object_get(s, "variance"), &local)
                               : NULL;
        ok = ok && outturn != NULL && variance != NULL;
        if (!ok) {
            json_decref(outturn);
            json_decref(variance);
        } else {
            ok = json_array_append_new(schemes, json_pack("{s:O,s:o,s:o}", "id",
                                                          json_object_get(s, "id"), "outturn",
                                                          outturn, "variance", variance)) == 0;
        }
    }
    const char *id;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(explain, "shares"), id, v)
    {
        if (ok && (partner == NULL || strcmp(partner, id) == 0)) {
            json_t *c =
                change_of(json_object_get(json_object_get(prev_explain, "shares"), id), v, &local);
            ok = c != NULL && json_object_set_new(shares, id, c) == 0;
        }
    }
    json_t *variance = ok ? change_of(json_object_get(prev_explain, "variance"),
                                      json_object_get(explain, "variance"), &local)
                          : NULL;
    if (ok && variance != NULL) {
        *out = json_pack("{s:O,s:O,s:O,s:o,s:o,s:o}", "since", json_object_get(prev, "period"),
                         "since_end", json_object_get(prev, "period_end"), "since_basis",
                         json_object_get(prev, "basis"), "variance", variance, "schemes", schemes,
                         "shares", shares);
        return *out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(schemes);
    json_decref(shares);
    json_decref(variance);
    if (local.code != PB_OK) {
        return pb_error_set(err, local.code, local.where[0] != '\0' ? local.where : NULL, "%s",
                            local.text);
    }
    return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* The quarter before the one that holds the period's end ("2024/25-Q1" for
 * Q2, M05 or M06; Q3 for the year), or "" in the first quarter. */
static void
previous_quarter(const char *period_text, char *buf, size_t size)
{
    pb_period period, q;
    PB_ASSERT(pb_period_parse(period_text, &period, NULL) == PB_OK);
    PB_ASSERT(pb_period_of_day(period.last_day, PB_PERIOD_QUARTER, &q, NULL) == PB_OK);
    buf[0] = '\0';
    if (q.number > 1) {
        snprintf(buf, size, "%.7s-Q%d", q.label, (int)q.number - 1);
    }
}

/* The memo of each scheme's latest forecast (its commentary), read from the
 * forecast's record: {"S01": {"memo", "forecast_id", "date"}, ...} for the
 * schemes whose forecast has one. */
static int
commentary_of(const pb_snapshot *snap, const json_t *report, json_t *out, pb_error *err)
{
    size_t i;
    const json_t *s;
    int rc = PB_OK;
    json_array_foreach(json_object_get(report, "schemes"), i, s)
    {
        const char *fid = json_string_value(json_object_get(s, "forecast_id"));
        uint64_t index = 0;
        const char *buf = NULL;
        size_t len = 0;
        if (fid == NULL) {
            continue;
        }
        rc = pb_snapshot_find(snap, fid, &index, err);
        rc = rc == PB_OK ? pb_snapshot_record(snap, index, &buf, &len, err) : rc;
        if (rc != PB_OK) {
            break;
        }
        json_t *record = NULL;
        rc = pb_json_parse_stored(buf, len, &record, err);
        const json_t *memo = json_object_get(json_object_get(record, "entry"), "memo");
        if (rc == PB_OK && json_is_string(memo) &&
            json_object_set_new(out, json_string_value(json_object_get(s, "id")),
                                json_pack("{s:O,s:s,s:O}", "memo", memo, "forecast_id", fid,
                                          "date", json_object_get(s, "forecast_date"))) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
        json_decref(record);
        if (rc != PB_OK) {
            break;
        }
    }
    return rc;
}

/* What a period statement adds to the period's figures: the movement since
 * the previous quarter (json null in the first quarter) and the forecast
 * commentary, from the same snapshot. */
static int
period_extras(const pb_snapshot *snap, const pb_state *state, const char *pool_id,
              const char *partner, const json_t *report, const json_t *explain,
              json_t **movement, json_t **commentary, pb_error *err)
{
    char prev_label[16];
    json_t *prev = NULL, *prev_explain = NULL;
    previous_quarter(json_string_value(json_object_get(report, "period")), prev_label,
                     sizeof(prev_label));
    *commentary = json_object();
    int rc = *commentary != NULL ? commentary_of(snap, report, *commentary, err)
                                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    if (rc == PB_OK && prev_label[0] != '\0') {
        rc = pb_pool_report_state(state, pool_id, prev_label, 0, &prev, err);
        rc = rc == PB_OK ? pb_policy_explain_state(state, pool_id, prev_label, 0, &prev_explain, err)
                         : rc;
        rc = rc == PB_OK ? movement_of(report, explain, prev, prev_explain, partner, movement, err)
                         : rc;
    } else if (rc == PB_OK) {
        *movement = json_null();
    }
    json_decref(prev);
    json_decref(prev_explain);
    return rc;
}

/* Report and explain from one snapshot, checked; *tree_size the snapshot's
 * size; the movement and the commentary from the same snapshot. */
static int
figures_of(pb_store *store, const char *pool_id, const char *partner, const char *period,
           json_t **report, json_t **explain, json_t **movement, json_t **commentary,
           uint64_t *tree_size, pb_error *err)
{
    pb_snapshot snap;
    pb_state state;
    pb_period parsed;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_snapshot_state(&snap, &state);
    *tree_size = snap.size;
    rc = pb_pool_report_state(&state, pool_id, period, 0, report, err);
    if (rc == PB_OK) {
        PB_ASSERT(pb_period_parse(json_string_value(json_object_get(*report, "period")), &parsed,
                                  NULL) == PB_OK);
    }
    rc = rc == PB_OK ? check_partner(*report, partner, err) : rc;
    rc = rc == PB_OK ? check_activity(*report, &parsed, err) : rc;
    rc = rc == PB_OK ? pb_policy_explain_state(&state, pool_id, period, 0, explain, err) : rc;
    rc = rc == PB_OK ? period_extras(&snap, &state, pool_id, partner, *report, *explain, movement,
                                     commentary, err)
                     : rc;
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_statement(pb_store *store, const char *pool_id, const char *partner_id, const char *period,
             json_t **statement_out, pb_error *err)
{
    PB_ASSERT(store != NULL && pool_id != NULL && statement_out != NULL);
    json_t *report = NULL, *explain = NULL, *positions = json_array(), *integrity = NULL;
    json_t *movement = NULL, *commentary = NULL;
    uint64_t tree_size = 0;
    *statement_out = NULL;
    int rc = positions != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    rc = rc == PB_OK ? figures_of(store, pool_id, partner_id, period, &report, &explain, &movement,
                                  &commentary, &tree_size, err)
                     : rc;
    rc = rc == PB_OK ? positions_of(report, explain, partner_id, positions, err) : rc;
    rc = rc == PB_OK ? integrity_of(store, pool_id, tree_size, &integrity, err) : rc;
    if (rc == PB_OK) {
        *statement_out = statement_object(report, explain, partner_id, positions, integrity);
        positions = integrity = NULL;
        rc = *statement_out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    rc = rc == PB_OK ? apply_settlement(report, *statement_out, err) : rc;
    rc = rc == PB_OK ? title_block(report, *statement_out, err) : rc;
    if (rc == PB_OK && (json_object_set(*statement_out, "movement", movement) != 0 ||
                        json_object_set(*statement_out, "commentary", commentary) != 0)) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc != PB_OK) {
        json_decref(*statement_out);
        *statement_out = NULL;
    }
    json_decref(integrity);
    json_decref(positions);
    json_decref(movement);
    json_decref(commentary);
    json_decref(explain);
    json_decref(report);
    return rc;
}
