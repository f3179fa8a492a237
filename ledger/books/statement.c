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

/* A partner's position: planned + share - paid = forecast amount due to the
 * pool (positive) or from it (negative) by the year end. */
static int
position_of(const json_t *report, const json_t *explain, const char *partner, json_t **out,
            pb_error *err)
{
    const json_t *p = report_partner(report, partner);
    int64_t planned = pb_money_of_json(json_object_get(p, "planned"));
    int64_t paid = pb_money_of_json(json_object_get(p, "received"));
    int64_t share = pb_money_of_json(json_object_get(json_object_get(explain, "shares"), partner));
    int64_t due = 0;
    int rc = pb_money_add(planned, share, &due, err);
    rc = rc == PB_OK ? pb_money_sub(due, paid, &due, err) : rc;
    if (rc == PB_OK) {
        *out =
            json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:o}", "partner", partner, "name",
                      partner_name(report, partner), "planned", pb_money_json(planned), "share",
                      pb_money_json(share), "paid", pb_money_json(paid), "due", pb_money_json(due),
                      "direction", due > 0 ? "to pool" : (due < 0 ? "to partner" : "none"), "text",
                      position_text(partner, due));
        rc = *out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    return rc;
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
        if (rc != PB_OK) {
            break;
        }
        json_array_append_new(out, position);
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
        if (partner == NULL ||
            strcmp(json_string_value(json_object_get(s, "payer")), partner) == 0) {
            json_array_append(streams, (json_t *)s);
        }
    }
    const json_t *sums =
        partner != NULL ? report_partner(report, partner) : json_object_get(report, "totals");
    return json_pack("{s:o,s:O,s:O}", "streams", streams, "planned",
                     json_object_get(sums, "planned"), "received",
                     json_object_get(sums, "received"));
}

/* SETTLEMENT PLUG-IN POINT — the one place where a settlement shows in a
 * statement. DESIGN 7: "a year period after settlement shows the final
 * outturn instead of the forecast". pb_pool_report_state already switches a
 * settled pool's year to the actual outturn (its "basis" becomes "actual",
 * each scheme's "outturn" the actual spending), and pb_policy_explain_state
 * apportions that outturn, so this only carries the basis and the settled
 * figures (with the closing reserve) into the statement. */
static int
apply_settlement(const json_t *report, json_t *statement, pb_error *err)
{
    const json_t *basis = json_object_get(report, "basis");
    const json_t *settlement = json_object_get(report, "settlement");
    int rc = basis != NULL ? json_object_set(statement, "basis", (json_t *)basis)
                           : json_object_set_new(statement, "basis", json_string("forecast"));
    if (rc == 0 && settlement != NULL && strcmp(json_string_value(basis), "actual") == 0) {
        rc = json_object_set(statement, "settlement", (json_t *)settlement);
    }
    return rc == 0 ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* A partner's witness's cosignature/v1 line adds its name to witnesses. The
 * lines were checked by the verification the footer also reports. */
static void
witness_of(const char *line, json_t *witnesses)
{
    char text[1024];
    char name[256];
    snprintf(text, sizeof(text), "%s\n", line);
    if (pb_note_line_kind(text) == 2 &&
        pb_note_line_name(text, name, sizeof(name), NULL) == PB_OK) {
        json_array_append_new(witnesses, json_string(name));
    }
}

/* The signed note split into its parts: size, root, signature lines and the
 * witnesses among the signers. */
static json_t *
checkpoint_of(const char *note)
{
    json_t *sigs = json_array();
    json_t *witnesses = json_array();
    char line[1024];
    const char *p = note;
    uint64_t tree_size = 0;
    char root[64] = "";
    for (int n = 0; *p != '\0' && n < STATEMENT_NOTE_LINES_MAX + 4; n++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        if (n == 1) {
            tree_size = strtoull(line, NULL, 10);
        } else if (n == 2) {
            snprintf(root, sizeof(root), "%s", line);
        } else if (n > 3 && len > 0) {
            json_array_append_new(sigs, json_string(line));
            witness_of(line, witnesses);
        }
        p += len + (nl != NULL ? 1 : 0);
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
        json_object_set_new(f, "text", json_string(text));
        if (*out == NULL) {
            *out = json_array();
        }
        json_array_append(*out, f);
    }
    json_decref(all);
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
    if (rc == PB_OK && review != NULL) {
        json_object_set_new(json_object_get(*out, "verification"), "review", review);
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
        "{s:s,s:O,s:{s:O,s:O,s:s,s:s},s:o,s:O,s:O,s:o,s:O,s:O,s:o,s:o,s:o}", "statement",
        partner != NULL ? "partner" : "pool", "origin", json_object_get(report, "origin"), "pool",
        "id", json_object_get(report, "pool"), "name", json_object_get(report, "name"), "host",
        host, "host_name", partner_name(report, host), "partner", who, "period",
        json_object_get(report, "period"), "period_end", json_object_get(report, "period_end"),
        "contributions", contributions_of(report, partner), "schemes",
        json_object_get(report, "schemes"), "totals", json_object_get(report, "totals"), "policy",
        policy_of(report, explain), "positions", positions, "integrity", integrity);
}

/* Report and explain from one snapshot, checked; *tree_size the snapshot's size. */
static int
figures_of(pb_store *store, const char *pool_id, const char *partner, const char *period,
           json_t **report, json_t **explain, uint64_t *tree_size, pb_error *err)
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
    pb_snapshot_close(&snap);
    return rc;
}

int
pb_statement(pb_store *store, const char *pool_id, const char *partner_id, const char *period,
             json_t **statement_out, pb_error *err)
{
    PB_ASSERT(store != NULL && pool_id != NULL && statement_out != NULL);
    json_t *report = NULL, *explain = NULL, *positions = json_array(), *integrity = NULL;
    uint64_t tree_size = 0;
    *statement_out = NULL;
    int rc = positions != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    rc = rc == PB_OK
             ? figures_of(store, pool_id, partner_id, period, &report, &explain, &tree_size, err)
             : rc;
    rc = rc == PB_OK ? positions_of(report, explain, partner_id, positions, err) : rc;
    rc = rc == PB_OK ? integrity_of(store, pool_id, tree_size, &integrity, err) : rc;
    if (rc == PB_OK) {
        *statement_out = statement_object(report, explain, partner_id, positions, integrity);
        positions = integrity = NULL;
        rc = *statement_out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    rc = rc == PB_OK ? apply_settlement(report, *statement_out, err) : rc;
    if (rc != PB_OK) {
        json_decref(*statement_out);
        *statement_out = NULL;
    }
    json_decref(integrity);
    json_decref(positions);
    json_decref(explain);
    json_decref(report);
    return rc;
}
