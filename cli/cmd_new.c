/*
 * cmd_new.c — `poolbook new TYPE`: write an unsigned draft record that
 * partners then sign in turn with `poolbook sign` and append.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const new_usage[] = {
    "new genesis --origin ORIGIN --partner ID:KIND:NAME... --key PARTNER:ROLE:PUBFILE... "
    "[-o FILE]",
    "new document FILE --title TITLE [--id ID] [-o FILE]",
    "new key.add --partner ID --role ROLE --pubkey FILE.pub [--id ID] [-o FILE]",
    "new key.revoke --partner ID --keyid KEYID --date YYYY-MM-DD --reason TEXT [--id ID] [-o FILE]",
    "new partner.admit --partner-id ID --kind KIND --name NAME --key ROLE:PUBFILE... [--id ID] "
    "[-o FILE]",
    "Write an unsigned draft entry. For genesis: each founding partner (KIND is",
    "council, icb, trust or other) and each key with its partner and role",
    "(signatory, finance, auditor, operator). For document: the file is hashed.",
    "key.add binds a key to a partner (signed by its signatory); key.revoke",
    "revokes one from a date (signed by its partner's signatory, or by every other",
    "partner's); partner.admit adds a partner with its keys, at least one a",
    "signatory (signed by every partner's signatory and the new one's). Their",
    "default ids are key-KEYID, revoke-KEYID and admit-ID.",
    "Options may repeat; the draft goes to -o FILE (default: stdout).",
    NULL,
};

#define NEW_REPEAT_MAX PB_KEYS_MAX

static const char *opt_origin, *opt_out = "-", *opt_id, *opt_title, *opt_created;
static const char *partner_specs[NEW_REPEAT_MAX];
static const char *key_specs[NEW_REPEAT_MAX];
static size_t partner_count, key_count;

/* Collect repeated options by scanning argv before the table parser. */
static void
collect_repeated(int argc, char **argv, const char *name, const char **out, size_t *count)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            if (*count >= NEW_REPEAT_MAX) {
                cli_usage_error(new_usage, "too many %s options", name);
            }
            out[(*count)++] = argv[i + 1];
        }
    }
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
            cli_usage_error(new_usage, "--partner wants ID:KIND:NAME, not '%s'", partner_specs[i]);
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
            cli_usage_error(new_usage, "--key wants PARTNER:ROLE:PUBFILE, not '%s'", key_specs[i]);
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
        cli_usage_error(new_usage, "genesis needs --origin");
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
        cli_usage_error(new_usage, "document needs FILE and --title");
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
        char id[32];
        snprintf(id, sizeof(id), "doc-%.16s", json_string_value(json_object_get(entry, "sha256")));
        json_object_set_new(entry, "id", json_string(id));
    }
    return rc == PB_OK ? record : NULL;
}

/* ---- partner.admit, key.add, key.revoke ------------------------------- */

static const char *opt_partner_id, *opt_kind, *opt_name, *opt_role, *opt_pubkey, *opt_keyid,
    *opt_date, *opt_reason;

static const struct cli_option parties_options[] = {
    {CLI_STRING, 0, "partner-id", "ID", &opt_partner_id, "the partner to admit (partner.admit)"},
    {CLI_STRING, 0, "kind", "KIND", &opt_kind, "its kind (partner.admit)"},
    {CLI_STRING, 0, "name", "NAME", &opt_name, "its name (partner.admit)"},
    {CLI_STRING, 0, "role", "ROLE", &opt_role, "the key's role (key.add)"},
    {CLI_STRING, 0, "pubkey", "FILE", &opt_pubkey, "the key's public key file (key.add)"},
    {CLI_STRING, 0, "keyid", "KEYID", &opt_keyid, "the key to revoke (key.revoke)"},
    {CLI_STRING, 0, "date", "YYYY-MM-DD", &opt_date, "revoked from this day (key.revoke)"},
    {CLI_STRING, 0, "reason", "TEXT", &opt_reason, "why (key.revoke)"},
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
            cli_usage_error(new_usage, "the values of options must be UTF-8 text");
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
        cli_usage_error(new_usage, "key.add needs one --partner, --role and --pubkey");
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
        cli_usage_error(new_usage, "key.revoke needs one --partner, --keyid, --date and --reason");
    }
    uint8_t key_id[8];
    if (pb_keyid_parse(opt_keyid, key_id, NULL) != PB_OK) {
        cli_usage_error(new_usage, "--keyid wants 16 uppercase hex digits, not '%s'", opt_keyid);
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
        cli_usage_error(new_usage,
                        "partner.admit needs --partner-id, --kind, --name and --key ROLE:PUBFILE");
    }
    json_t *keys = json_array();
    for (size_t i = 0; keys != NULL && i < key_count; i++) {
        const char *colon = strchr(key_specs[i], ':');
        if (colon == NULL || colon == key_specs[i]) {
            cli_usage_error(new_usage, "--key wants ROLE:PUBFILE, not '%s'", key_specs[i]);
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

/* Shared with post: parse the `new` options plus extra (post's), build the draft. */
json_t *
cli_new_draft(int argc, char **argv, const char *const *usage, const struct cli_option *extra,
              pb_error *err)
{
    static const char *repeated;
    const struct cli_option base[] = {
        {CLI_STRING, 0, "origin", "ORIGIN", &opt_origin, "the ledger's origin (genesis)"},
        {CLI_STRING, 0, "partner", "ID:KIND:NAME", &repeated,
         "a founding partner (repeat); key.add, key.revoke: the partner ID"},
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
    for (size_t i = 0; parties_options[i].kind != CLI_END && n + 1 < NEW_OPTIONS_MAX; i++) {
        options[n++] = parties_options[i];
    }
    for (size_t i = 0; extra[i].kind != CLI_END && n + 1 < NEW_OPTIONS_MAX; i++) {
        options[n++] = extra[i];
    }
    options[n] = (struct cli_option){CLI_END};
    collect_repeated(argc, argv, "--partner", partner_specs, &partner_count);
    collect_repeated(argc, argv, "--key", key_specs, &key_count);
    int argi = cli_parse(argc, argv, usage, options);
    if (argi >= argc) {
        cli_usage_error(new_usage, "which entry type?");
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
    cli_usage_error(new_usage, "cannot make a draft of '%s' with these arguments", type);
}

int
cmd_new(int argc, char **argv)
{
    pb_error err;
    pb_error_init(&err);
    static const struct cli_option extra[] = {
        {CLI_STRING, 'o', "output", "FILE", &opt_out, "write the draft here (default: stdout)"},
        {CLI_END},
    };
    json_t *record = cli_new_draft(argc, argv, new_usage, extra, &err);
    if (record == NULL) {
        cli_fail(&err);
    }
    cli_write_record(opt_out, record);
    if (strcmp(opt_out, "-") != 0) {
        fprintf(stderr, "poolbook: draft written to %s; sign it with `poolbook sign %s -k KEY`\n",
                opt_out, opt_out);
    }
    json_decref(record);
    return 0;
}
