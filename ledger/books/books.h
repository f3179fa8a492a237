/*
 * books.h — the pooled-budget rules (ledger/books/), built on the log: entry
 * types and who signs them (entry.c is the framework; entry_parties.c,
 * entry_pool.c, entry_money.c, entry_settle.c hold the types of DESIGN 5),
 * derived state of pools, policies, explain, reports, statements, drafts. A
 * type declares its fields, validates against state, says who must sign (a
 * pb_sign_rule) and applies its state change. rules.c hands these to the log
 * as its pb_log_rules when a ledger is opened.
 */
#ifndef POOLBOOK_BOOKS_H
#define POOLBOOK_BOOKS_H

#include "log/log.h"

/* ---------------------------------------------------------------------------
 * Entries (entry.c): the table of entry types, their stateless field checks,
 * and admission: validation against state, signing rules, state change.
 * ------------------------------------------------------------------------- */

/* Stateless checks of an entry's own fields (common fields done already). */
int pb_entry_check_fields(const json_t *entry, pb_error *err);
/* Whether type names a known entry type. */
int pb_entry_type_known(const char *type);

/* Admit a record as index into state: check it against the state (origin,
 * genesis order, partners and keys, signing rules of DESIGN 5), then apply its
 * state change. Signature bytes are verified at once when defer is NULL, else
 * queued in defer for pb_sigbatch_run. The record's form must have been
 * checked. On error the state may hold partial changes: the caller aborts the
 * transaction. */
int pb_entry_admit(const pb_state *state, const json_t *record, uint64_t index, pb_sigbatch *defer,
                   pb_error *err);

/* DESIGN 5, docs/entries.md "Dates and the clock": at append (never on
 * replay), "created" may be at most PB_CLOCK_SKEW_SECONDS after the clock
 * (pb_now, $POOLBOOK_NOW), and the "date" of an entry that records what
 * happened (money entries, period.close, settlement; not the effective dates
 * of pool.vary, key.revoke, partner.succeed) at most PB_DATE_SKEW_DAYS after
 * the clock's UTC day. */
#define PB_CLOCK_SKEW_SECONDS 3600
#define PB_DATE_SKEW_DAYS 1
int pb_entry_check_clock(const json_t *record, pb_error *err);

/* Check a draft against state before it is complete (docs/entries.md
 * "Drafts"): every state check of its type, and that the signing rule accepts
 * each signature so far (key bound, not revoked, its partner and role); a
 * refused key's message ends with what the entry needs. Nothing is applied
 * and signature bytes are not checked. */
int pb_entry_check_draft(const pb_state *state, const json_t *record, uint64_t size,
                         pb_error *err);

/* The rules the log admits records by (rules.c): the functions above. */
extern const pb_log_rules pb_books_rules;

/* A ledger that lives only as long as its handle, admitting by the books'
 * rules (pb_log_open_scratch with pb_books_rules). */
int pb_store_open_scratch(pb_store **store_out, pb_error *err);

enum {
    PB_ROLE_SIGNATORY = 1 << 0,
    PB_ROLE_FINANCE = 1 << 1,
    PB_ROLE_AUDITOR = 1 << 2,
    PB_ROLE_OPERATOR = 1 << 3,
    PB_ROLE_ANY = 0xf,
};

/* The ROLE bit of a role name, or 0. */
unsigned pb_role_bit(const char *role);
/* The name of one ROLE bit. */
const char *pb_role_name(unsigned bit);

#define PB_SIGN_REQS_MAX 4

/* One requirement of who signs. A signature is allowed when some requirement
 * accepts its key's partner and role; every requirement must be met. */
struct pb_sign_req {
    const char *partners[PB_PARTNERS_MAX]; /* who may sign; none listed: any partner */
    size_t partner_count;
    unsigned roles;      /* PB_ROLE_ bits accepted */
    size_t min_partners; /* distinct listed partners that must sign; 0: at least one signer */
};

struct pb_sign_rule {
    struct pb_sign_req reqs[PB_SIGN_REQS_MAX];
    size_t count;
};

/* Add a requirement for roles; partners are added with pb_sign_req_partner.
 * Asserts on more than PB_SIGN_REQS_MAX. */
struct pb_sign_req *pb_sign_rule_add(struct pb_sign_rule *rule, unsigned roles);
void pb_sign_req_partner(struct pb_sign_req *req, const char *partner);

/* A signature resolved to its key's binding. */
struct pb_signer {
    char keyid[PB_KEYID_TEXT_MAX];
    char partner[PB_ID_BYTES_MAX + 1];
    unsigned role;
    pb_pubkey key;
    uint8_t sig[64];
};

/* One admission in progress. */
struct pb_admit {
    const pb_state *state;
    const json_t *record;
    const json_t *entry;
    const char *type;
    uint64_t index;
    uint64_t earlier; /* records below this index precede it (index; a draft: the ledger's size) */
    int32_t day; /* the entry's date ("date", else "created"), for revocation and periods */
    pb_sigbatch *defer;
    struct pb_signer signers[PB_SIGS_MAX];
    size_t signer_count;
    json_t *held; /* state values read with pb_admit_state_get, released at the end */
};

/* Keep value alive until the admission ends (takes a new reference). */
void pb_admit_keep(struct pb_admit *a, json_t *value);

struct pb_entry_type {
    const char *name;
    /* Stateless checks of the type's own fields (paths under $.entry). */
    int (*check)(const json_t *entry, pb_error *err);
    /* Check against state, resolve signers, and fill the signing rule. */
    int (*validate)(struct pb_admit *a, struct pb_sign_rule *rule, pb_error *err);
    /* The state change; runs only once everything else passed. */
    int (*apply)(const struct pb_admit *a, pb_error *err);
};

/* The type tables of each file, each ended by an entry with name NULL. */
extern const struct pb_entry_type pb_entry_types_parties[];

/* Resolve each signature's key from the ledger state (bound, not revoked at
 * a->day). */
int pb_admit_signers_from_state(struct pb_admit *a, pb_error *err);
/* Resolve signature i (the next signer: signers stay in sigs order) from the
 * state, or from a key object {key,pubkey,role[,partner]} of the entry itself
 * (a key the entry binds), as partner, or as its "partner" field when NULL. */
int pb_admit_signer_from_state(struct pb_admit *a, size_t i, pb_error *err);
int pb_admit_signer_from_key(struct pb_admit *a, size_t i, const json_t *key, const char *partner,
                             pb_error *err);

/* A state value, borrowed: valid until the admission ends, so that a signing
 * rule may point at its strings. PB_OK, PB_ENOTFOUND (err untouched), PB_ESTORE
 * or PB_ENOMEM. */
int pb_admit_state_get(struct pb_admit *a, const char *key, const json_t **value_out,
                       pb_error *err);

/* Shared field checks, paths under path. */
int pb_entry_check_pubkey(const json_t *obj, const char *path, pb_pubkey *out, pb_error *err);
int pb_entry_check_array(const json_t *entry, const char *name, size_t max, const json_t **out,
                         pb_error *err);
int pb_entry_check_partner(const json_t *p, const char *path, pb_error *err);

/* Store partners ({id,name,kind}) and keys ({key,pubkey,partner,role}). */
int pb_admit_put_partners(const struct pb_admit *a, const json_t *partners, pb_error *err);
int pb_admit_put_keys(const struct pb_admit *a, const json_t *keys, pb_error *err);

/* Whether arr[0..before) has an object whose field equals value. */
int pb_json_array_has(const json_t *arr, size_t before, const char *field, const char *value);

/* ---- pools (entry_pool.c), used by the money entries and reports ---- */

extern const struct pb_entry_type pb_entry_types_pool[];
extern const struct pb_entry_type pb_entry_types_money[];
extern const struct pb_entry_type pb_entry_types_settle[];
extern const struct pb_entry_type pb_entry_types_witness[];

/* The pool's state: {"pool": agreed object, "versions": [...], "closed": [...]}.
 * A new reference, or PB_EPOOL naming the id. */
int pb_pool_state(const pb_state *state, const char *pool_id, json_t **out, pb_error *err);
int pb_pool_state_put(const pb_state *state, const char *pool_id, const json_t *value,
                      pb_error *err);
/* The scheme or stream object of an agreed pool with that id, borrowed; NULL if none. */
const json_t *pb_pool_find(const json_t *pool, const char *array, const char *id);
/* The version of a pool's "versions" in force at day (YYYY-MM-DD): the
 * latest effective date on or before it, else the first. Borrowed. */
const json_t *pb_pool_version_at(const json_t *versions, const char *day);
/* Whether partner is one of the pool's partners. */
int pb_pool_has_partner(const json_t *pool, const char *partner);
/* Refuse a partner outside the pool with PB_EPARTNER at where, naming the
 * pool's partners: "NCCC is not a partner of pool BCF24; partners: DCC, ICB". */
int pb_pool_check_partner(const json_t *pool, const char *partner, const char *where,
                          pb_error *err);
/* Refuse a day outside the pool's year and term, or in a closed period. */
int pb_pool_check_day(const json_t *pool_state, int32_t day, const char *where, pb_error *err);
/* Add the pool's approval requirement (DESIGN 5: every partner's signatory by
 * default, a percentage, or named partners). */
void pb_pool_approval_rule(const json_t *pool, struct pb_sign_rule *rule);

/* pb_pool_report on a state (report.c): actual non-zero takes the actual
 * spending as the outturn whatever the period (settlement recomputes with it);
 * otherwise a settled year's report does, and any other period's the forecast. */
int pb_pool_report_state(const pb_state *state, const char *pool_id, const char *period, int actual,
                         json_t **report_out, pb_error *err);
/* pb_policy_explain on a state (explain.c), actual as for pb_pool_report_state. */
int pb_policy_explain_state(const pb_state *state, const char *pool_id, const char *period,
                            int actual, json_t **explain_out, pb_error *err);

/* Findings for review (review.c), in two steps so that a bundle's scratch
 * ledger, whose state exists only inside its verify, can list them:
 * pb_review_revoked_keys puts in a new object the binding of every revoked
 * key of state, by key id; pb_review_scan lists the findings of
 * pb_review_findings from the snapshot's records and those bindings. PB_OK, a
 * pb_json_parse code, PB_ESTORE or PB_ENOMEM. */
int pb_review_revoked_keys(const pb_state *state, json_t **revoked_out, pb_error *err);
int pb_review_scan(const pb_snapshot *snap, const json_t *revoked, json_t **findings_out,
                   pb_error *err);
/* Keep the revoked-key findings of the key keyid, just revoked (its binding
 * bound, with "revoked_from" and "revoked"), in state under "review:<KEYID>":
 * the records below before that it signed and that are dated on or after its
 * revocation. Looks over those records once (admission of a key.revoke), so
 * that pb_review_findings reads no record. */
int pb_review_keep_revoked(const pb_state *state, uint64_t before, const char *keyid,
                           const json_t *bound, pb_error *err);

/* "ref:<POOL>:<partner or scheme>:<32 hex of SHA-256 of the ref>" into buf
 * (PB_REF_KEY_BYTES_MAX), the state key of the first contribution (its
 * partner) or expenditure (its scheme) with the entry's "ref": 1, or 0 when
 * the entry has none (another type, or no ref). */
#define PB_REF_KEY_BYTES_MAX (2 * PB_ID_BYTES_MAX + 48)
int pb_money_ref_key(const json_t *entry, char *buf, size_t size);
/* The id of the first entry under ref key (the state row holds its index;
 * a row an older poolbook wrote holds the id): PB_ENOTFOUND if none. */
int pb_money_ref_first_id(const pb_snapshot *snap, const char *key, char *id_out, size_t size,
                          pb_error *err);

/* Read a money field: canonical text, then sign rules (positive when required). */
int pb_field_money(const json_t *obj, const char *name, const char *path, int positive,
                   int64_t *pence_out, pb_error *err);
/* Read an optional free-text field (absent is fine). */
int pb_field_optional_text(const json_t *obj, const char *name, const char *path, pb_error *err);

#endif /* POOLBOOK_BOOKS_H */
