/*
 * cmd_new.c — `poolbook new TYPE`: write an unsigned draft record that
 * partners then sign in turn with `poolbook sign` and append.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const new_usage[] = {
    "new TYPE [the type's options] [--id ID] [--created TIME] [-o FILE]",
    "  new genesis --origin ORIGIN --partner ID:KIND:NAME... --key PARTNER:ROLE:PUBFILE...",
    "  new document FILE --title TITLE",
    "  new pool.agree --file POOL.json",
    "  new pool.vary --pool P --date D --file SET.json --reason TEXT",
    "  new contribution --pool P --partner X --stream S --amount AMT --date D [--ref R] [--memo M]",
    "  new expenditure --pool P --scheme S --amount AMT --date D --payee NAME [--ref R] [--memo M]",
    "  new forecast --pool P --scheme S --amount AMT --date D [--memo M]",
    "  new virement --pool P --from S1 --to S2 --amount AMT --date D [--reason TEXT]",
    "  new reversal --target ID --date D --reason TEXT",
    "  new period.close --pool P --period PERIOD [--date D]",
    "  new period.reopen --pool P --period PERIOD --reason TEXT",
    "  new settlement --pool P [--date D] [--memo M]",
    "  new key.add --partner ID --role ROLE --pubkey FILE.pub",
    "  new key.revoke --partner ID --keyid KEYID --date D --reason TEXT",
    "  new partner.admit --partner-id ID --kind KIND --name NAME --key ROLE:PUBFILE...",
    "  new partner.succeed --partner OLD --successor NEW --date D [--reason TEXT]",
    "  new witness.policy --file POLICY.txt [--memo M]",
    "",
    "Write an unsigned draft entry, to sign with `poolbook sign` and add with",
    "`poolbook append`. The draft goes to -o FILE (default: stdout).",
    "genesis: KIND is council, icb, trust or other; ROLE is signatory, finance,",
    "auditor or operator; --partner and --key repeat. document: the file is hashed.",
    "Amounts may be typed 1250000, 1,250,000.00 or £1,250,000.5; dates are YYYY-MM-DD;",
    "PERIOD is 2024/25, 2024/25-Q1 or 2024/25-M06; period.close is dated today unless",
    "--date is given. POOL.json holds the pool object and SET.json the fields a",
    "variation replaces, with amounts in canonical form (\"1250000.00\").",
    "key.add binds a key to a partner (signed by its signatory); key.revoke revokes",
    "one from a date (signed by its partner's signatory, or every other partner's);",
    "partner.admit adds a partner with its keys (signed by every partner's signatory",
    "and the new one's); their default ids are key-KEYID, revoke-KEYID, admit-ID.",
    "settlement: the year-end apportionment of the actual outturn, with the figures",
    "computed from the ledger (see `policy explain --actual`); every pool signatory signs.",
    "Without --id, an id is made from the entry (docs/entries.md). With a ledger at",
    "hand the draft is checked against it (pools, schemes, streams, partners, a",
    "variation's balance) unless --no-check.",
    "Without --id, an id is made from the entry (docs/entries.md).",
    "With --remote, the draft is sent to the server (POST /drafts) to wait there",
    "for its signatures (`poolbook --remote URL sign ID -k KEY`).",
    NULL,
};

#define NEW_REPEAT_MAX PB_KEYS_MAX

/* The usage a refusal shows: post's when post builds the draft, else new's. */
static const char *const *usage_shown = new_usage;

static const char *opt_origin, *opt_out = "-", *opt_id, *opt_title, *opt_created;
static const char *partner_specs[NEW_REPEAT_MAX];
static const char *key_specs[NEW_REPEAT_MAX];
static size_t partner_count, key_count;

static void
collect_repeated(int argc, char **argv, const char *name, const char **out, size_t *count)
{
    cli_collect_repeated(argc, argv, name, new_usage, out, count, NEW_REPEAT_MAX);
}

/* Split "A:B:rest" into three parts (rest may contain ':'). */
static int
split3(const char *spec, char *a, char *b, char *c, size_t size)
{
    const char *p1 = strchr(spec, ':');
    const char *p2 = p1 != NULL ? strchr(p1 + 1, ':') : NULL;
    if (p1 == NULL || p2 == NULL || (size_t)(p1 - spec) >= size || (size_t)(p2 - p1 - 1) >= size) {
        return -1;
    }
    snprintf(a, size, "%.*s", (int)(p1 - spec), spec);
    snprintf(b, size, "%.*s", (int)(p2 - p1 - 1), p1 + 1);
    snprintf(c, size, "%s", p2 + 1);
    return 0;
}

static json_t *
build_partners(void)
{
    json_t *partners = json_array();
    for (size_t i = 0; i < partner_count; i++) {
        char id[256], kind[256], name[1024];
        if (split3(partner_specs[i], id, kind, name, sizeof(id)) != 0) {
            cli_usage_error(usage_shown, "--partner wants ID:KIND:NAME, not '%s'",
                            partner_specs[i]);
        }
        json_array_append_new(partners,
                              json_pack("{s:s,s:s,s:s}", "id", id, "kind", kind, "name", name));
    }
    return partners;
}

static json_t *
build_keys(void)
{
    json_t *keys = json_array();
    for (size_t i = 0; i < key_count; i++) {
        char partner[256], role[256], path[1024];
        if (split3(key_specs[i], partner, role, path, sizeof(partner)) != 0) {
            cli_usage_error(usage_shown, "--key wants PARTNER:ROLE:PUBFILE, not '%s'",
                            key_specs[i]);
        }
        pb_pubkey pub;
        pb_error err;
        pb_error_init(&err);
        if (pb_pubkey_load(path, &pub, &err) != PB_OK) {
            cli_fail(&err);
        }
        char keyid[PB_KEYID_TEXT_MAX];
        char b64[64];
        pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
        pb_pubkey_encode(&pub, b64, sizeof(b64));
        json_array_append_new(keys, json_pack("{s:s,s:s,s:s,s:s}", "key", keyid, "pubkey", b64,
                                              "partner", partner, "role", role));
    }
    return keys;
}

static json_t *
new_genesis(const char *created, pb_error *err)
{
    if (opt_origin == NULL) {
        cli_usage_error(usage_shown, "genesis needs --origin");
    }
    json_t *partners = build_partners();
    json_t *keys = build_keys();
    json_t *record = NULL;
    int rc = pb_draft_genesis(opt_origin, opt_id != NULL ? opt_id : "genesis", created, partners,
                              keys, &record, err);
    json_decref(partners);
    json_decref(keys);
    return rc == PB_OK ? record : NULL;
}

static json_t *
new_document(const char *file, const char *created, pb_error *err)
{
    if (file == NULL || opt_title == NULL) {
        cli_usage_error(usage_shown, "document needs FILE and --title");
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    char origin[256];
    int rc = pb_store_origin(store, origin, sizeof(origin), err);
    pb_store_close(store);
    json_t *record = NULL;
    if (rc == PB_OK) {
        rc = pb_draft_document(origin, opt_id != NULL ? opt_id : "document", created, file,
                               opt_title, &record, err);
    }
    if (rc == PB_OK && opt_id == NULL) {
        /* Default id: the file's hash, so the same document is not recorded twice. */
        json_t *entry = json_object_get(record, "entry");
        char id[PB_ID_BYTES_MAX + 1];
        rc = pb_entry_default_id(entry, id, sizeof(id), err);
        if (rc == PB_OK) {
            json_object_set_new(entry, "id", json_string(id));
        }
    }
    if (rc != PB_OK) {
        json_decref(record);
        return NULL;
    }
    return record;
}

/* ---- partner.admit, key.add, key.revoke ------------------------------- */

/* --date and --reason are the draft options' (below), shared with key.revoke. */
static const char *opt_partner_id, *opt_kind, *opt_name, *opt_role, *opt_pubkey, *opt_keyid;

static const struct cli_option parties_options[] = {
    {CLI_STRING, 0, "partner-id", "ID", &opt_partner_id, "the partner to admit (partner.admit)"},
    {CLI_STRING, 0, "kind", "KIND", &opt_kind, "its kind (partner.admit)"},
    {CLI_STRING, 0, "name", "NAME", &opt_name, "its name (partner.admit)"},
    {CLI_STRING, 0, "role", "ROLE", &opt_role, "the key's role (key.add)"},
    {CLI_STRING, 0, "pubkey", "FILE", &opt_pubkey, "the key's public key file (key.add)"},
    {CLI_STRING, 0, "keyid", "KEYID", &opt_keyid, "the key to revoke (key.revoke)"},
    {CLI_END},
};

/* A draft of type with the common fields and fields (taken), for this
 * ledger's origin; id is used unless --id was given. NULL with err set. */
static json_t *
parties_draft(const char *type, const char *id, const char *created, json_t *fields, pb_error *err)
{
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    char origin[256];
    int rc = pb_store_origin(store, origin, sizeof(origin), err);
    pb_store_close(store);
    json_t *record = NULL;
    if (rc == PB_OK) {
        json_t *entry =
            json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "type", type, "id",
                      opt_id != NULL ? opt_id : id, "ledger", origin, "created", created);
        if (fields == NULL) {
            cli_usage_error(usage_shown, "the values of options must be UTF-8 text");
        }
        if (entry == NULL || json_object_update(entry, fields) != 0) {
            cli_die_env("out of memory");
        }
        record = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
        rc = record != NULL ? pb_record_check_form(record, err) : PB_ENOMEM;
    }
    json_decref(fields);
    if (rc != PB_OK) {
        json_decref(record);
        record = NULL;
    }
    return record;
}

/* ---- pool and money entries (docs/entries.md) ----------------------------
 * Each type is a row of draft_types: which option fills which entry field and
 * how its text is converted (friendly amounts to canonical, dates and period
 * labels checked). The library builds and checks the draft; this only reads
 * what the finance lead typed and says which option was wrong. */

static const char *opt_pool, *opt_stream, *opt_scheme, *opt_from, *opt_to, *opt_amount, *opt_date,
    *opt_payee, *opt_ref, *opt_memo, *opt_reason, *opt_target, *opt_period, *opt_file,
    *opt_successor;

static const struct cli_option draft_options[] = {
    {CLI_STRING, 0, "pool", "POOL", &opt_pool, "the pool's id (default: the config's pool)"},
    {CLI_STRING, 0, "stream", "STREAM", &opt_stream, "funding stream paid into (contribution)"},
    {CLI_STRING, 0, "scheme", "SCHEME", &opt_scheme, "the scheme (expenditure, forecast)"},
    {CLI_STRING, 0, "from", "SCHEME", &opt_from, "scheme the budget moves from (virement)"},
    {CLI_STRING, 0, "to", "SCHEME", &opt_to, "scheme the budget moves to (virement)"},
    {CLI_STRING, 0, "amount", "AMOUNT", &opt_amount, "pounds: 1250000, 1,250,000.00, £300.5"},
    {CLI_STRING, 0, "date", "YYYY-MM-DD", &opt_date, "the day the entry takes effect"},
    {CLI_STRING, 0, "payee", "NAME", &opt_payee, "who was paid (expenditure)"},
    {CLI_STRING, 0, "ref", "REF", &opt_ref, "your reference: invoice, remittance, journal"},
    {CLI_STRING, 0, "memo", "TEXT", &opt_memo, "a note kept with the entry"},
    {CLI_STRING, 0, "reason", "TEXT", &opt_reason,
     "why (virement, reversal, pool.vary, period.reopen)"},
    {CLI_STRING, 0, "target", "ID", &opt_target, "id of the entry to reverse (reversal)"},
    {CLI_STRING, 0, "period", "PERIOD", &opt_period,
     "period to close or reopen (period.close, .reopen)"},
    {CLI_STRING, 0, "file", "FILE", &opt_file,
     "the pool (pool.agree), changes (pool.vary), a tlog-policy (witness.policy)"},
    {CLI_STRING, 0, "successor", "ID", &opt_successor,
     "the partner that succeeds (partner.succeed)"},
    {CLI_END},
};

enum draft_kind {
    DRAFT_TEXT = 1,
    DRAFT_AMOUNT,
    DRAFT_DATE,
    DRAFT_PERIOD,
    DRAFT_FILE,
    DRAFT_TEXTFILE
};
enum draft_need { DRAFT_OPTIONAL = 0, DRAFT_REQUIRED, DRAFT_TODAY /* optional, default today */ };

struct draft_field {
    const char *option; /* without dashes; "partner" is the shared --partner */
    const char *field;  /* the entry field it fills */
    int kind;           /* enum draft_kind */
    int need;           /* enum draft_need */
};

#define DRAFT_FIELDS_MAX 8

struct draft_type {
    const char *type;
    const char *synopsis; /* the options, as in the usage lines of new and post */
    struct draft_field fields[DRAFT_FIELDS_MAX];
};

#define REQ DRAFT_REQUIRED
#define OPT DRAFT_OPTIONAL

static const struct draft_type draft_types[] = {
    {"pool.agree", "--file POOL.json", {{"file", "pool", DRAFT_FILE, REQ}}},
    {"pool.vary",
     "--pool P --date D --file SET.json --reason TEXT",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"file", "set", DRAFT_FILE, REQ},
      {"reason", "reason", DRAFT_TEXT, REQ}}},
    {"contribution",
     "--pool P --partner X --stream S --amount AMT --date D [--ref R] [--memo M]",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"partner", "partner", DRAFT_TEXT, REQ},
      {"stream", "stream", DRAFT_TEXT, REQ},
      {"amount", "amount", DRAFT_AMOUNT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"ref", "ref", DRAFT_TEXT, OPT},
      {"memo", "memo", DRAFT_TEXT, OPT}}},
    {"expenditure",
     "--pool P --scheme S --amount AMT --date D --payee NAME [--ref R] [--memo M]",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"scheme", "scheme", DRAFT_TEXT, REQ},
      {"amount", "amount", DRAFT_AMOUNT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"payee", "payee", DRAFT_TEXT, REQ},
      {"ref", "ref", DRAFT_TEXT, OPT},
      {"memo", "memo", DRAFT_TEXT, OPT}}},
    {"forecast",
     "--pool P --scheme S --amount AMT --date D [--memo M]",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"scheme", "scheme", DRAFT_TEXT, REQ},
      {"amount", "amount", DRAFT_AMOUNT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"memo", "memo", DRAFT_TEXT, OPT}}},
    {"virement",
     "--pool P --from S1 --to S2 --amount AMT --date D [--reason TEXT]",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"from", "from", DRAFT_TEXT, REQ},
      {"to", "to", DRAFT_TEXT, REQ},
      {"amount", "amount", DRAFT_AMOUNT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"reason", "reason", DRAFT_TEXT, OPT}}},
    {"reversal",
     "--target ID --date D --reason TEXT",
     {{"target", "target", DRAFT_TEXT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"reason", "reason", DRAFT_TEXT, REQ}}},
    {"period.close",
     "--pool P --period PERIOD [--date D]",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"period", "period", DRAFT_PERIOD, REQ},
      {"date", "date", DRAFT_DATE, DRAFT_TODAY}}},
    {"period.reopen",
     "--pool P --period PERIOD --reason TEXT",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"period", "period", DRAFT_PERIOD, REQ},
      {"reason", "reason", DRAFT_TEXT, REQ}}},
    {"partner.succeed",
     "--partner OLD --successor NEW --date D [--reason TEXT]",
     {{"partner", "partner", DRAFT_TEXT, REQ},
      {"successor", "successor", DRAFT_TEXT, REQ},
      {"date", "date", DRAFT_DATE, REQ},
      {"reason", "reason", DRAFT_TEXT, OPT}}},
    /* A C2SP tlog-policy text (docs/witness.md). */
    {"witness.policy",
     "--file POLICY.txt [--memo M]",
     {{"file", "policy", DRAFT_TEXTFILE, REQ}, {"memo", "memo", DRAFT_TEXT, OPT}}},
    /* The figures are the ledger's own (settlement_figures). */
    {"settlement",
     "--pool P [--date D] [--memo M]",
     {{"pool", "pool", DRAFT_TEXT, REQ},
      {"date", "date", DRAFT_DATE, DRAFT_TODAY},
      {"memo", "memo", DRAFT_TEXT, OPT}}},
};

#undef REQ
#undef OPT

static const struct draft_type *
find_draft_type(const char *type)
{
    for (size_t i = 0; i < sizeof(draft_types) / sizeof(draft_types[0]); i++) {
        if (strcmp(draft_types[i].type, type) == 0) {
            return &draft_types[i];
        }
    }
    return NULL;
}

/* What the user gave for an option of draft_options (or --partner), or NULL. */
static const char *
draft_option_value(const char *option)
{
    if (strcmp(option, "partner") == 0) {
        return partner_count > 0 ? partner_specs[0] : NULL;
    }
    for (size_t i = 0; draft_options[i].kind != CLI_END; i++) {
        if (strcmp(draft_options[i].long_name, option) == 0) {
            return *(const char *const *)draft_options[i].value;
        }
    }
    return NULL;
}

static const struct draft_field *
draft_field_of(const struct draft_type *dt, const char *option)
{
    for (size_t i = 0; i < DRAFT_FIELDS_MAX && dt->fields[i].option != NULL; i++) {
        if (strcmp(dt->fields[i].option, option) == 0) {
            return &dt->fields[i];
        }
    }
    return NULL;
}

/* Exit 2, showing the type's own synopsis: "new contribution --pool P ...". */
static _Noreturn void
draft_usage_error(const struct draft_type *dt, const char *verb, const char *what,
                  const char *option)
{
    char synopsis[256];
    snprintf(synopsis, sizeof(synopsis), "%s %s %s", verb, dt->type, dt->synopsis);
    const char *const usage[] = {synopsis, NULL};
    cli_usage_error(usage, "%s %s --%s", dt->type, what, option);
}

/* Options the type does not take and options it needs but lacks: exit 2. */
static void
check_draft_options(const struct draft_type *dt, const char *verb)
{
    for (size_t i = 0; draft_options[i].kind != CLI_END; i++) {
        const char *name = draft_options[i].long_name;
        if (draft_option_value(name) != NULL && draft_field_of(dt, name) == NULL) {
            draft_usage_error(dt, verb, "takes no", name);
        }
    }
    size_t partners_max = draft_field_of(dt, "partner") != NULL ? 1 : 0;
    if (partner_count > partners_max) {
        draft_usage_error(dt, verb, partners_max == 0 ? "takes no" : "takes one", "partner");
    }
    if (key_count > 0) {
        draft_usage_error(dt, verb, "takes no", "key");
    }
    if (opt_origin != NULL || opt_title != NULL) {
        draft_usage_error(dt, verb, "takes no", opt_origin != NULL ? "origin" : "title");
    }
    for (size_t i = 0; i < DRAFT_FIELDS_MAX && dt->fields[i].option != NULL; i++) {
        const struct draft_field *f = &dt->fields[i];
        if (f->need == DRAFT_REQUIRED && draft_option_value(f->option) == NULL) {
            draft_usage_error(dt, verb, "needs", f->option);
        }
    }
}

/* Parse a JSON file (the pool, a variation's changes) into fields[name].
 * Bad JSON is named by the file and the place in it: "pool.json, $.streams[0]". */
static int
set_file_field(json_t *fields, const char *name, const char *path, pb_error *err)
{
    size_t len = 0;
    char *buf = cli_read_file(path, PB_ENTRY_BYTES_MAX, 0, &len);
    json_t *value = NULL;
    int rc = pb_json_parse(buf, len, PB_ENTRY_BYTES_MAX, &value, err);
    free(buf);
    if (rc != PB_OK) {
        char where[PB_ERROR_WHERE_MAX];
        snprintf(where, sizeof(where), "%s%s%s", strcmp(path, "-") == 0 ? "stdin" : path,
                 err->where[0] != '\0' ? ", " : "", err->where);
        memcpy(err->where, where, sizeof(where));
        return rc;
    }
    if (json_object_set_new(fields, name, value) != 0) {
        cli_die_env("out of memory reading %s", path);
    }
    return PB_OK;
}

/* A text file's lines as an array of strings, tabs as spaces (witness.policy:
 * canonical JSON strings hold no control characters). */
static int
set_text_file_field(json_t *fields, const char *name, const char *path, pb_error *err)
{
    size_t len = 0;
    char *text = cli_read_file(path, PB_INPUT_BYTES_MAX, 0, &len);
    json_t *lines = json_array();
    json_t *one = json_object();
    int rc = PB_OK;
    for (char *p = text; rc == PB_OK && *p != '\0';) {
        size_t n = strcspn(p, "\n");
        char saved = p[n];
        p[n] = '\0';
        for (char *t = strchr(p, '\t'); t != NULL; t = strchr(t, '\t')) {
            *t = ' ';
        }
        rc = pb_fields_set_text(one, name, p, err); /* checks it is text */
        if (rc == PB_OK && json_array_append(lines, json_object_get(one, name)) != 0) {
            cli_die_env("out of memory reading %s", path);
        }
        p += n + (saved != '\0');
    }
    if (rc == PB_OK && json_object_set(fields, name, lines) != 0) {
        cli_die_env("out of memory reading %s", path);
    }
    if (rc != PB_OK && err != NULL) {
        snprintf(err->where, sizeof(err->where), "%s", path);
    }
    json_decref(one);
    json_decref(lines);
    free(text);
    return rc;
}

/* Fill fields from the options of dt; today is the YYYY-MM-DD of --created. */
static int
set_draft_fields(const struct draft_type *dt, const char *today, json_t *fields, pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < DRAFT_FIELDS_MAX && dt->fields[i].option != NULL; i++) {
        const struct draft_field *f = &dt->fields[i];
        const char *value = draft_option_value(f->option);
        if (value == NULL && f->need == DRAFT_TODAY) {
            value = today;
        }
        switch (f->kind) {
        case DRAFT_AMOUNT:
            rc = pb_fields_set_amount(fields, f->field, value, err);
            break;
        case DRAFT_DATE:
            rc = pb_fields_set_date(fields, f->field, value, err);
            break;
        case DRAFT_PERIOD:
            rc = pb_fields_set_period(fields, f->field, value, err);
            break;
        case DRAFT_FILE:
            rc = value != NULL ? set_file_field(fields, f->field, value, err) : PB_OK;
            break;
        case DRAFT_TEXTFILE:
            rc = value != NULL ? set_text_file_field(fields, f->field, value, err) : PB_OK;
            break;
        default:
            rc = pb_fields_set_text(fields, f->field, value, err);
            break;
        }
    }
    return rc;
}

/* Say where a refused field came from: "$.entry.amount" is the option
 * "--amount"; "$.entry.pool.streams[0].planned" is "$.streams[0].planned" of
 * the file given with --file; a period.close date by default is "--created"'s. */
static void
name_draft_input(const struct draft_type *dt, pb_error *err)
{
    static const char prefix[] = "$.entry.";
    if (strncmp(err->where, prefix, sizeof(prefix) - 1) != 0) {
        return;
    }
    const char *rest = err->where + sizeof(prefix) - 1;
    char where[PB_ERROR_WHERE_MAX] = "";
    if (strcmp(rest, "id") == 0 && opt_id != NULL) {
        snprintf(where, sizeof(where), "--id");
    }
    for (size_t i = 0; i < DRAFT_FIELDS_MAX && dt->fields[i].option != NULL; i++) {
        const struct draft_field *f = &dt->fields[i];
        const char *value = draft_option_value(f->option);
        size_t n = strlen(f->field);
        if (strncmp(rest, f->field, n) != 0 || (rest[n] != '\0' && strchr(".[", rest[n]) == NULL)) {
            continue;
        }
        if (f->kind == DRAFT_FILE && value != NULL) {
            snprintf(where, sizeof(where), "%s%s%s", strcmp(value, "-") == 0 ? "stdin" : value,
                     rest[n] != '\0' ? ", $" : "", rest + n);
        } else if (value == NULL && f->need == DRAFT_TODAY) {
            snprintf(where, sizeof(where), "--created");
        } else {
            snprintf(where, sizeof(where), "--%s", f->option);
        }
        break;
    }
    if (where[0] != '\0') {
        memcpy(err->where, where, sizeof(where));
    }
}

/* The type of the last pool or money draft built, for cli_draft_where. */
static const struct draft_type *draft_type_built;

void
cli_draft_where(pb_error *err)
{
    if (draft_type_built != NULL) {
        name_draft_input(draft_type_built, err);
    }
}

/* DESIGN 6: a settlement records the year's actual outturn apportioned under
 * the policy; the ledger computes the figures and, at append, checks them. */
static int
settlement_figures(const char *pool, json_t *fields, pb_error *err)
{
    static const char *const keys[] = {"variance", "shares", "unallocated", "carried_forward",
                                       NULL};
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    json_t *explain = NULL;
    int rc = pb_policy_explain_actual(store, pool, &explain, err);
    pb_store_close(store);
    if (rc != PB_OK) {
        return rc;
    }
    json_object_set(fields, "year", json_object_get(explain, "period"));
    for (size_t i = 0; keys[i] != NULL; i++) {
        json_object_set(fields, keys[i], json_object_get(explain, keys[i]));
    }
    json_decref(explain);
    return PB_OK;
}

static int
ledger_origin(char *buf, size_t size, pb_error *err)
{
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    int rc = pb_store_origin(store, buf, size, err);
    pb_store_close(store);
    return rc;
}

/* A draft of a pool or money entry; verb is "new" or "post", for usage errors. */
static json_t *
new_pool_or_money(const struct draft_type *dt, const char *verb, const char *created, pb_error *err)
{
    if (opt_pool == NULL && draft_field_of(dt, "pool") != NULL) {
        opt_pool = cli_config("pool"); /* the default pool, when the type has one */
    }
    check_draft_options(dt, verb);
    char today[PB_DATE_TEXT_MAX];
    snprintf(today, sizeof(today), "%.10s", created);
    char origin[256];
    json_t *record = NULL;
    json_t *fields = json_object();
    if (fields == NULL) {
        cli_die_env("out of memory");
    }
    int rc = set_draft_fields(dt, today, fields, err);
    if (rc == PB_OK && strcmp(dt->type, "settlement") == 0) {
        rc = settlement_figures(opt_pool, fields, err);
    }
    if (rc == PB_OK) {
        rc = ledger_origin(origin, sizeof(origin), err);
    }
    if (rc == PB_OK) {
        rc = pb_draft_entry(origin, dt->type, opt_id, created, fields, &record, err);
    }
    json_decref(fields);
    if (rc != PB_OK) {
        name_draft_input(dt, err);
        return NULL;
    }
    draft_type_built = dt;
    return record;
}

/* Load a public key file as its KEYID and base64 line; exits on failure. */
static void
load_pubkey(const char *path, char keyid[PB_KEYID_TEXT_MAX], char b64[64])
{
    pb_pubkey pub;
    pb_error err;
    pb_error_init(&err);
    if (pb_pubkey_load(path, &pub, &err) != PB_OK) {
        cli_fail(&err);
    }
    pb_keyid_format(pub.key_id, keyid, PB_KEYID_TEXT_MAX);
    pb_pubkey_encode(&pub, b64, 64);
}

static json_t *
new_key_add(const char *created, pb_error *err)
{
    if (partner_count != 1 || opt_role == NULL || opt_pubkey == NULL) {
        cli_usage_error(usage_shown, "key.add needs one --partner, --role and --pubkey");
    }
    char keyid[PB_KEYID_TEXT_MAX];
    char b64[64];
    load_pubkey(opt_pubkey, keyid, b64);
    char id[PB_ID_BYTES_MAX + 1];
    snprintf(id, sizeof(id), "key-%s", keyid);
    json_t *fields = json_pack("{s:s,s:s,s:s,s:s}", "partner", partner_specs[0], "key", keyid,
                               "pubkey", b64, "role", opt_role);
    return parties_draft("key.add", id, created, fields, err);
}

static json_t *
new_key_revoke(const char *created, pb_error *err)
{
    if (partner_count != 1 || opt_keyid == NULL || opt_date == NULL || opt_reason == NULL) {
        cli_usage_error(usage_shown,
                        "key.revoke needs one --partner, --keyid, --date and --reason");
    }
    uint8_t key_id[8];
    if (pb_keyid_parse(opt_keyid, key_id, NULL) != PB_OK) {
        cli_usage_error(usage_shown, "--keyid wants 16 uppercase hex digits, not '%s'", opt_keyid);
    }
    char id[PB_ID_BYTES_MAX + 1];
    snprintf(id, sizeof(id), "revoke-%s", opt_keyid);
    json_t *fields = json_pack("{s:s,s:s,s:s,s:s}", "partner", partner_specs[0], "key", opt_keyid,
                               "date", opt_date, "reason", opt_reason);
    return parties_draft("key.revoke", id, created, fields, err);
}

static json_t *
new_partner_admit(const char *created, pb_error *err)
{
    if (opt_partner_id == NULL || opt_kind == NULL || opt_name == NULL || key_count == 0) {
        cli_usage_error(usage_shown,
                        "partner.admit needs --partner-id, --kind, --name and --key ROLE:PUBFILE");
    }
    json_t *keys = json_array();
    for (size_t i = 0; keys != NULL && i < key_count; i++) {
        const char *colon = strchr(key_specs[i], ':');
        if (colon == NULL || colon == key_specs[i]) {
            cli_usage_error(usage_shown, "--key wants ROLE:PUBFILE, not '%s'", key_specs[i]);
        }
        char keyid[PB_KEYID_TEXT_MAX];
        char b64[64];
        load_pubkey(colon + 1, keyid, b64);
        json_array_append_new(keys, json_pack("{s:s,s:s,s:s#}", "key", keyid, "pubkey", b64, "role",
                                              key_specs[i], (int)(colon - key_specs[i])));
    }
    char id[PB_ID_BYTES_MAX + 16];
    snprintf(id, sizeof(id), "admit-%s", opt_partner_id);
    json_t *fields = json_pack("{s:{s:s,s:s,s:s},s:o}", "partner", "id", opt_partner_id, "name",
                               opt_name, "kind", opt_kind, "keys", keys);
    return parties_draft("partner.admit", id, created, fields, err);
}

#define NEW_OPTIONS_MAX 48

/* Every type new and post make, in the order of the usage lines. */
static const char *const entry_types[] = {
    "genesis",     "document", "pool.agree", "pool.vary",     "contribution",
    "expenditure", "forecast", "virement",   "reversal",      "period.close",
    "settlement",  "key.add",  "key.revoke", "partner.admit", NULL,
};

const char *const *
cli_entry_types(void)
{
    return entry_types;
}

/* Exit 2 if type is none of entry_types (or NULL: none was given), listing
 * them and, when the typed word begins exactly one of them ("contrib"), that
 * one. The synopsis shown is the caller's (post's, not new's). */
static void
refuse_unknown_type(const char *const *usage, const char *type)
{
    char list[256] = "";
    size_t used = 0;
    const char *guess = NULL;
    size_t guesses = 0;
    for (size_t i = 0; entry_types[i] != NULL; i++) {
        if (type != NULL && strcmp(entry_types[i], type) == 0) {
            return;
        }
        if (type != NULL && type[0] != '\0' && strncmp(entry_types[i], type, strlen(type)) == 0) {
            guess = entry_types[i];
            guesses++;
        }
        int n =
            snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "", entry_types[i]);
        used += n > 0 && (size_t)n < sizeof(list) - used ? (size_t)n : 0;
    }
    if (type == NULL) {
        cli_usage_error(usage, "which entry type? one of: %s", list);
    }
    if (guesses == 1) {
        cli_usage_error(usage, "unknown entry type '%s' (did you mean %s?); types: %s", type, guess,
                        list);
    }
    cli_usage_error(usage, "unknown entry type '%s'; types: %s", type, list);
}

/* Shared with post: parse the `new` options plus extra (post's), build the draft. */
json_t *
cli_new_draft(int argc, char **argv, const char *const *usage, const struct cli_option *extra,
              pb_error *err)
{
    static const char *repeated;
    const struct cli_option base[] = {
        {CLI_STRING, 0, "origin", "ORIGIN", &opt_origin, "the ledger's origin (genesis)"},
        {CLI_STRING, 0, "partner", "ID:KIND:NAME", &repeated,
         "founding partner (genesis, repeat); payer ID (contribution); the partner (key.*)"},
        {CLI_STRING, 0, "key", "PARTNER:ROLE:PUBFILE", &repeated,
         "a key and its binding (repeat); partner.admit: ROLE:PUBFILE"},
        {CLI_STRING, 0, "title", "TITLE", &opt_title, "the document's title"},
        {CLI_STRING, 0, "id", "ID", &opt_id, "entry id (default: chosen for you)"},
        {CLI_STRING, 0, "created", "TIME", &opt_created, "creation time (default: now)"},
    };
    struct cli_option options[NEW_OPTIONS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
        options[n++] = base[i];
    }
    for (size_t i = 0; draft_options[i].kind != CLI_END && n + 1 < NEW_OPTIONS_MAX; i++) {
        options[n++] = draft_options[i];
    }
    for (size_t i = 0; parties_options[i].kind != CLI_END && n + 1 < NEW_OPTIONS_MAX; i++) {
        options[n++] = parties_options[i];
    }
    for (size_t i = 0; extra[i].kind != CLI_END && n + 1 < NEW_OPTIONS_MAX; i++) {
        options[n++] = extra[i];
    }
    options[n] = (struct cli_option){CLI_END};
    usage_shown = usage;
    collect_repeated(argc, argv, "--partner", partner_specs, &partner_count);
    collect_repeated(argc, argv, "--key", key_specs, &key_count);
    int argi = cli_parse(argc, argv, usage, options);
    if (argi >= argc) {
        refuse_unknown_type(usage, NULL);
    }
    char created[32];
    pb_now(created, sizeof(created));
    if (opt_created != NULL) {
        snprintf(created, sizeof(created), "%s", opt_created);
    }
    const char *type = argv[argi];
    if (strcmp(type, "genesis") == 0 && argi + 1 == argc) {
        return new_genesis(created, err);
    }
    if (strcmp(type, "document") == 0 && argi + 2 == argc) {
        return new_document(argv[argi + 1], created, err);
    }
    if (strcmp(type, "key.add") == 0 && argi + 1 == argc) {
        return new_key_add(created, err);
    }
    if (strcmp(type, "key.revoke") == 0 && argi + 1 == argc) {
        return new_key_revoke(created, err);
    }
    if (strcmp(type, "partner.admit") == 0 && argi + 1 == argc) {
        return new_partner_admit(created, err);
    }
    if (find_draft_type(type) != NULL && argi + 1 == argc) {
        return new_pool_or_money(find_draft_type(type), usage == new_usage ? "new" : "post",
                                 created, err);
    }
    refuse_unknown_type(usage, type);
    cli_usage_error(usage, "cannot make a draft of '%s' with these arguments", type);
}

/* The amount of the row of rows with id, as display text, or NULL. */
static const char *
row_amount(const json_t *rows, const char *id, const char *field, char *buf, size_t size)
{
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i);
        if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0) {
            int64_t pence = 0;
            if (pb_money_parse(json_string_value(json_object_get(r, field)), &pence, NULL) !=
                    PB_OK ||
                pb_money_format_display(pence, buf, size) != PB_OK) {
                return NULL;
            }
            return buf;
        }
    }
    return NULL;
}

/* One array of a variation (schemes by budget, streams by planned) against
 * the pool's figures now (after virements). */
static void
diff_rows(const json_t *now, const json_t *next, const char *what, const char *field)
{
    char was[PB_MONEY_TEXT_MAX + 8], will[PB_MONEY_TEXT_MAX + 8];
    for (size_t i = 0; i < json_array_size(next); i++) {
        const char *id = json_string_value(json_object_get(json_array_get(next, i), "id"));
        const char *a = row_amount(now, id, field, was, sizeof(was));
        const char *b = row_amount(next, id, field, will, sizeof(will));
        if (a == NULL) {
            fprintf(stderr, "  %s %s added: %s %s\n", what, id, field, b != NULL ? b : "?");
        } else if (b != NULL && strcmp(a, b) != 0) {
            fprintf(stderr, "  %s %s %s: %s -> %s\n", what, id, field, a, b);
        }
    }
    for (size_t i = 0; i < json_array_size(now); i++) {
        const char *id = json_string_value(json_object_get(json_array_get(now, i), "id"));
        if (row_amount(next, id, field, was, sizeof(was)) == NULL) {
            fprintf(stderr, "  %s %s removed\n", what, id);
        }
    }
}

/* docs/entries.md "Drafts": what a variation would change, on stderr, before
 * anyone signs: budgets and planned contributions against the pool's figures
 * now (after virements), and each other field it sets. */
static void
print_vary_diff(const json_t *record)
{
    const json_t *entry = json_object_get(record, "entry");
    const json_t *set = json_object_get(entry, "set");
    const char *pool = json_string_value(json_object_get(entry, "pool"));
    if (access(cli_ledger_path(), F_OK) != 0) {
        return;
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    json_t *report = NULL;
    if (pb_pool_report(store, pool, NULL, &report, NULL) == PB_OK) {
        fprintf(stderr, "poolbook: the variation of pool %s from %s changes:\n", pool,
                json_string_value(json_object_get(entry, "date")));
        const char *key;
        const json_t *value;
        json_object_foreach((json_t *)set, key, value)
        {
            if (strcmp(key, "schemes") == 0) {
                diff_rows(json_object_get(report, "schemes"), value, "scheme", "budget");
            } else if (strcmp(key, "streams") == 0) {
                diff_rows(json_object_get(report, "streams"), value, "stream", "planned");
            } else {
                char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
                fprintf(stderr, "  %s set to %s\n", key, text != NULL ? text : "?");
                free(text);
            }
        }
        if (json_object_get(set, "schemes") == NULL) {
            fprintf(stderr, "  scheme budgets unchanged (virements so far kept)\n");
        }
    }
    json_decref(report);
    pb_store_close(store);
}

int
cmd_new(int argc, char **argv)
{
    pb_error err;
    pb_error_init(&err);
    static int no_check;
    static const struct cli_option extra[] = {
        {CLI_STRING, 'o', "output", "FILE", &opt_out, "write the draft here (default: stdout)"},
        {CLI_FLAG, 0, "no-check", NULL, &no_check,
         "do not check the draft against the ledger (e.g. it needs entries not yet appended)"},
        {CLI_END},
    };
    json_t *record = cli_new_draft(argc, argv, new_usage, extra, &err);
    if (record == NULL) {
        cli_fail(&err);
    }
    if (cli_remote() != NULL) {
        int code = cli_remote_new_draft(record); /* the draft waits on the server */
        json_decref(record);
        return code;
    }
    /* docs/entries.md "Drafts": checked before anyone signs. */
    if (!no_check && cli_check_draft(record, &err) != PB_OK) {
        json_decref(record);
        cli_fail(&err);
    }
    const char *type = json_string_value(json_object_get(json_object_get(record, "entry"), "type"));
    /* With the draft on stdout, stderr stays quiet (scripts read the draft). */
    if (!no_check && strcmp(type, "pool.vary") == 0 && strcmp(opt_out, "-") != 0) {
        print_vary_diff(record);
    }
    cli_write_record(opt_out, record);
    if (strcmp(opt_out, "-") != 0) {
        fprintf(stderr, "poolbook: draft written to %s; sign it with `poolbook sign %s -k KEY`\n",
                opt_out, opt_out);
    }
    json_decref(record);
    return 0;
}
