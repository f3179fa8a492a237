/*
 * journal.c — the ledger as a plain-text accounting journal that hledger and
 * ledger-cli both read (docs/journal.md): each money entry is a transaction
 * of balanced debit and credit postings between the pool's asset account,
 * the partners' contribution accounts and the schemes' expense accounts (and
 * at the year end the partners' risk shares and the reserve), with
 * its entry id and index as tags; a reversal posts its target's postings the
 * other way.
 * What moves no money (forecasts, virements, period closes) is a comment.
 * Read from one snapshot, so the journal is the ledger at one tree size.
 */
#include "books/books.h"

#include <string.h>

/* One posting: an account and a signed amount (debit positive). */
struct journal_posting {
    char account[3 * PB_ID_BYTES_MAX + 64];
    int64_t amount_pence;
};

/* Postings of a transaction: money entries have two; a settlement two per
 * partner and two for the reserve carried forward. */
#define JOURNAL_POSTINGS_MAX (2 * PB_PARTNERS_MAX + 2)

struct journal_txn {
    char description[PB_TEXT_BYTES_MAX + 128];
    struct journal_posting postings[JOURNAL_POSTINGS_MAX];
    size_t count;
};

/* Fill txn with the postings of entry, each amount multiplied by sign (1, or
 * -1 for a reversal of it). */
typedef int (*journal_postings_fn)(const json_t *entry, int64_t sign, struct journal_txn *txn,
                                   pb_error *err);

struct journal {
    FILE *out;
    pb_snapshot snap;
};

/* Account names: ids may hold ':', which the journal reads as a sub-account,
 * so it becomes '_' (docs/journal.md). */
static void
account_part(char *buf, size_t size, const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0' && n + 1 < size; n++) {
        buf[n] = id[n] == ':' ? '_' : id[n];
    }
    buf[n] = '\0';
}

/* Append a posting "prefix:a[:b[:c]]" of amount to txn. */
static void
add_posting(struct journal_txn *txn, int64_t amount_pence, const char *prefix, const char *a,
            const char *b, const char *c)
{
    PB_ASSERT(txn->count < JOURNAL_POSTINGS_MAX);
    char pa[PB_ID_BYTES_MAX + 1], pb[PB_ID_BYTES_MAX + 1], pc[PB_ID_BYTES_MAX + 1];
    account_part(pa, sizeof(pa), a);
    account_part(pb, sizeof(pb), b != NULL ? b : "");
    account_part(pc, sizeof(pc), c != NULL ? c : "");
    struct journal_posting *p = &txn->postings[txn->count++];
    snprintf(p->account, sizeof(p->account), "%s:%s%s%s%s%s", prefix, pa, pb[0] ? ":" : "", pb,
             pc[0] ? ":" : "", pc);
    p->amount_pence = amount_pence;
}

static const char *
text_of(const json_t *entry, const char *name)
{
    const char *text = json_string_value(json_object_get(entry, name));
    return text != NULL ? text : "";
}

/* The entry's amount times sign. The amount is canonical: the store checked it. */
static int64_t
signed_amount(const json_t *entry, int64_t sign)
{
    PB_ASSERT(sign == 1 || sign == -1);
    return pb_money_of_json(json_object_get(entry, "amount")) * sign;
}

/* contribution: money into the pool from a partner's stream. */
static int
postings_contribution(const json_t *entry, int64_t sign, struct journal_txn *txn, pb_error *err)
{
    (void)err;
    const char *pool = text_of(entry, "pool");
    int64_t amount = signed_amount(entry, sign);
    snprintf(txn->description, sizeof(txn->description), "%s contribution to %s",
             text_of(entry, "partner"), text_of(entry, "stream"));
    add_posting(txn, amount, "assets:pool", pool, NULL, NULL);
    add_posting(txn, -amount, "income:contributions", pool, text_of(entry, "partner"),
                text_of(entry, "stream"));
    return PB_OK;
}

/* expenditure: money out of the pool on a scheme. */
static int
postings_expenditure(const json_t *entry, int64_t sign, struct journal_txn *txn, pb_error *err)
{
    (void)err;
    const char *pool = text_of(entry, "pool");
    int64_t amount = signed_amount(entry, sign);
    snprintf(txn->description, sizeof(txn->description), "%s", text_of(entry, "payee"));
    add_posting(txn, amount, "expenses", pool, text_of(entry, "scheme"), NULL);
    add_posting(txn, -amount, "assets:pool", pool, NULL, NULL);
    return PB_OK;
}

/* settlement: each partner's share of the year's variance is due from it
 * (an overspend share, positive) or to it (an underspend share, negative),
 * against its risk-share account; an underspend carried forward moves from
 * the year's result (equity) into the reserve the pool holds for next year
 * (a liability), never through expenses. Unallocated risk is named in
 * the description, not posted (docs/journal.md). */
static int
postings_settlement(const json_t *entry, int64_t sign, struct journal_txn *txn, pb_error *err)
{
    (void)err;
    const char *pool = text_of(entry, "pool");
    const char *partner;
    const json_t *share;
    int64_t carried = pb_money_of_json(json_object_get(entry, "carried_forward")) * sign;
    snprintf(txn->description, sizeof(txn->description),
             "Settlement of %s %s: variance £%s, unallocated £%s", pool, text_of(entry, "year"),
             text_of(entry, "variance"), text_of(entry, "unallocated"));
    json_object_foreach((json_t *)json_object_get(entry, "shares"), partner, share)
    {
        int64_t amount = pb_money_of_json(share) * sign;
        add_posting(txn, amount, "assets:due-from-partners", pool, partner, NULL);
        add_posting(txn, -amount, "income:risk-share", pool, partner, NULL);
    }
    if (carried != 0) {
        /* A transfer of the year's result to the reserve held for next year,
         * not spending: nothing touches expenses (docs/journal.md). */
        add_posting(txn, -carried, "equity:result", pool, NULL, NULL);
        add_posting(txn, carried, "liabilities:reserve", pool, NULL, NULL);
    }
    return PB_OK;
}

/* The entry types the journal knows: those with postings, and those written
 * as a comment (postings NULL: no money moves). Other types are left out.
 * A settlement is one more row, with its postings function. */
static const struct {
    const char *type;
    journal_postings_fn postings;
} journal_types[] = {
    {"contribution", postings_contribution},
    {"expenditure", postings_expenditure},
    {"settlement", postings_settlement},
    {"forecast", NULL},
    {"period.close", NULL},
    {"virement", NULL},
};

/* The row of type, or -1. */
static int
journal_type_of(const char *type)
{
    for (size_t i = 0; type != NULL && i < sizeof(journal_types) / sizeof(journal_types[0]); i++) {
        if (strcmp(journal_types[i].type, type) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Free text in a description or tag: one line, and no ';' (a comment). */
static void
clean_text(char *text)
{
    for (char *p = text; *p != '\0'; p++) {
        if (*p == ';' || *p == '\t' || *p == '\n' || *p == '\r') {
            *p = ',';
        }
    }
}

static int
write_failed(pb_error *err)
{
    return pb_error_set(err, PB_EIO, NULL, "could not write the journal");
}

/* Write one transaction: date, description, tags, postings. */
static int
write_txn(struct journal *j, const json_t *entry, uint64_t index, struct journal_txn *txn,
          pb_error *err)
{
    clean_text(txn->description);
    char ref[PB_TEXT_BYTES_MAX + 1];
    snprintf(ref, sizeof(ref), "%s", text_of(entry, "ref"));
    clean_text(ref);
    int n = fprintf(j->out, "%s * %s\n    ; id: %s\n    ; index: %llu\n    ; type: %s\n",
                    text_of(entry, "date"), txn->description, text_of(entry, "id"),
                    (unsigned long long)index, text_of(entry, "type"));
    if (n > 0 && ref[0] != '\0') {
        n = fprintf(j->out, "    ; ref: %s\n", ref);
    }
    for (size_t i = 0; n > 0 && i < txn->count; i++) {
        char amount[PB_MONEY_TEXT_MAX];
        PB_ASSERT(pb_money_format(txn->postings[i].amount_pence, amount, sizeof(amount)) == PB_OK);
        n = fprintf(j->out, "    %-50s  £%s\n", txn->postings[i].account, amount);
    }
    if (n > 0) {
        n = fprintf(j->out, "\n");
    }
    return n > 0 ? PB_OK : write_failed(err);
}

/* An entry that moves no money, as one comment line. */
static int
write_comment(struct journal *j, const json_t *entry, uint64_t index, pb_error *err)
{
    char line[PB_TEXT_BYTES_MAX];
    const char *type = text_of(entry, "type");
    const char *amount = text_of(entry, "amount");
    if (strcmp(type, "virement") == 0) {
        snprintf(line, sizeof(line), "%s to %s £%s (budget, not money)", text_of(entry, "from"),
                 text_of(entry, "to"), amount);
    } else if (strcmp(type, "forecast") == 0) {
        snprintf(line, sizeof(line), "%s full-year outturn £%s (not a posting)",
                 text_of(entry, "scheme"), amount);
    } else {
        snprintf(line, sizeof(line), "%s closed", text_of(entry, "period"));
    }
    clean_text(line);
    int n =
        fprintf(j->out, "; %s %s %s: %s (id: %s, index: %llu)\n\n", text_of(entry, "date"), type,
                text_of(entry, "pool"), line, text_of(entry, "id"), (unsigned long long)index);
    return n > 0 ? PB_OK : write_failed(err);
}

/* The entry of the record at index, in a new reference. */
static int
entry_at(struct journal *j, uint64_t index, json_t **entry_out, pb_error *err)
{
    const char *bytes = NULL;
    size_t len = 0;
    int rc = pb_snapshot_record(&j->snap, index, &bytes, &len, err);
    json_t *record = NULL;
    if (rc == PB_OK) {
        rc = pb_json_parse_stored(bytes, len, &record, NULL);
        if (rc == PB_ENOMEM) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory reading record %llu",
                              (unsigned long long)index);
        } else if (rc != PB_OK) {
            rc = pb_error_set(err, PB_EVERIFY, NULL, "record %llu is not JSON: run poolbook verify",
                              (unsigned long long)index);
        }
    }
    if (rc == PB_OK) {
        *entry_out = json_incref(json_object_get(record, "entry"));
    }
    json_decref(record);
    return rc;
}

/* A reversal: its target's postings, the other way, on the reversal's date. */
static int
write_reversal(struct journal *j, const json_t *entry, uint64_t index, pb_error *err)
{
    uint64_t target_index = 0;
    json_t *target = NULL;
    const char *target_id = text_of(entry, "target");
    int rc = pb_snapshot_find(&j->snap, target_id, &target_index, err);
    rc = rc == PB_OK ? entry_at(j, target_index, &target, err) : rc;
    int row = rc == PB_OK ? journal_type_of(text_of(target, "type")) : -1;
    if (rc == PB_OK && row >= 0 && journal_types[row].postings != NULL) {
        struct journal_txn txn = {.count = 0};
        rc = journal_types[row].postings(target, -1, &txn, err);
        if (rc == PB_OK) {
            snprintf(txn.description, sizeof(txn.description), "Reversal of %s: %s", target_id,
                     text_of(entry, "reason"));
            rc = write_txn(j, entry, index, &txn, err);
        }
    } else if (rc == PB_OK) {
        /* A reversed virement moved budget, not money. */
        int n =
            fprintf(j->out, "; %s reversal of %s (%s, no money moved) (id: %s, index: %llu)\n\n",
                    text_of(entry, "date"), target_id, text_of(target, "type"),
                    text_of(entry, "id"), (unsigned long long)index);
        rc = n > 0 ? PB_OK : write_failed(err);
    }
    json_decref(target);
    return rc;
}

static int
write_entry(struct journal *j, const json_t *entry, uint64_t index, pb_error *err)
{
    const char *type = text_of(entry, "type");
    if (strcmp(type, "reversal") == 0) {
        return write_reversal(j, entry, index, err);
    }
    int row = journal_type_of(type);
    if (row < 0) {
        return PB_OK; /* parties, documents, pools: no money */
    }
    if (journal_types[row].postings == NULL) {
        return write_comment(j, entry, index, err);
    }
    struct journal_txn txn = {.count = 0};
    int rc = journal_types[row].postings(entry, 1, &txn, err);
    return rc == PB_OK ? write_txn(j, entry, index, &txn, err) : rc;
}

/* One pool's budget as an hledger/ledger periodic transaction over its
 * financial year: each scheme's budget at the year end (after virements and
 * variations, as `pool show`) against the streams' planned contributions,
 * so `hledger bal --budget` compares budget with actual per scheme. */
static int
write_budget(struct journal *j, const pb_state *state, const char *pool_id, pb_error *err)
{
    json_t *report = NULL;
    pb_period year;
    int rc = pb_pool_report_state(state, pool_id, NULL, 0, &report, err);
    if (rc != PB_OK) {
        return rc;
    }
    PB_ASSERT(pb_period_parse(json_string_value(json_object_get(report, "period")), &year, NULL) ==
              PB_OK);
    char first[PB_DATE_TEXT_MAX], after[PB_DATE_TEXT_MAX];
    pb_date_format(year.first_day, first, sizeof(first));
    pb_date_format(year.last_day + 1, after, sizeof(after));
    struct journal_txn txn = {.count = 0};
    size_t i;
    const json_t *it;
    json_array_foreach(json_object_get(report, "schemes"), i, it)
    {
        if (txn.count + 1 < JOURNAL_POSTINGS_MAX) {
            add_posting(&txn, pb_money_of_json(json_object_get(it, "budget")), "expenses",
                        pool_id, text_of(it, "id"), NULL);
        }
    }
    json_array_foreach(json_object_get(report, "streams"), i, it)
    {
        if (txn.count < JOURNAL_POSTINGS_MAX) {
            add_posting(&txn, -pb_money_of_json(json_object_get(it, "planned")),
                        "income:contributions", pool_id, text_of(it, "payer"), text_of(it, "id"));
        }
    }
    int n = fprintf(j->out, "; budget of %s for %s (hledger bal --budget)\n"
                            "~ every 12 months from %s to %s\n",
                    pool_id, year.label, first, after);
    for (size_t k = 0; n > 0 && k < txn.count; k++) {
        char amount[PB_MONEY_TEXT_MAX];
        PB_ASSERT(pb_money_format(txn.postings[k].amount_pence, amount, sizeof(amount)) == PB_OK);
        n = fprintf(j->out, "    %-50s  £%s\n", txn.postings[k].account, amount);
    }
    n = n > 0 ? fprintf(j->out, "\n") : n;
    json_decref(report);
    return n > 0 ? PB_OK : write_failed(err);
}

/* Every pool's budget, in order of agreement. */
static int
write_budgets(struct journal *j, pb_error *err)
{
    pb_state state;
    json_t *ids = NULL;
    pb_snapshot_state(&j->snap, &state);
    int rc = pb_state_get(&state, "pools", &ids, err);
    if (rc == PB_ENOTFOUND) {
        return PB_OK;
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(ids); i++) {
        rc = write_budget(j, &state, json_string_value(json_array_get(ids, i)), err);
    }
    json_decref(ids);
    return rc;
}

int
pb_journal_write(pb_store *store, FILE *out, pb_error *err)
{
    PB_ASSERT(store != NULL && out != NULL);
    struct journal j = {.out = out};
    /* The origin first: one thread holds one LMDB read transaction at a time. */
    char origin[256] = "";
    uint64_t size = 0;
    int rc = pb_store_size(store, &size, err);
    if (rc == PB_OK && size > 0) {
        rc = pb_store_origin(store, origin, sizeof(origin), err);
    }
    rc = rc == PB_OK ? pb_snapshot_open(store, &j.snap, err) : rc;
    if (rc != PB_OK) {
        return rc;
    }
    if (fprintf(out,
                "; poolbook journal of %s at tree size %llu (docs/journal.md)\n"
                "; hledger -f FILE balance; ledger -f FILE balance\n\n",
                origin, (unsigned long long)j.snap.size) < 0) {
        rc = write_failed(err);
    }
    rc = rc == PB_OK ? write_budgets(&j, err) : rc;
    for (uint64_t i = 0; rc == PB_OK && i < j.snap.size; i++) {
        json_t *entry = NULL;
        rc = entry_at(&j, i, &entry, err);
        rc = rc == PB_OK ? write_entry(&j, entry, i, err) : rc;
        json_decref(entry);
        if (rc == PB_OK) {
            pb_store_progress(j.snap.store, "exporting", i + 1, j.snap.size);
        }
        pb_error_set_index(err, (int64_t)i);
    }
    pb_snapshot_close(&j.snap);
    return rc;
}
