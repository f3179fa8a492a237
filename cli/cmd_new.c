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
    "Write an unsigned draft entry. For genesis: each founding partner (KIND is",
    "council, icb, trust or other) and each key with its partner and role",
    "(signatory, finance, auditor, operator). For document: the file is hashed.",
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

#define NEW_OPTIONS_MAX 24

/* Shared with post: parse the `new` options plus extra (post's), build the draft. */
json_t *
cli_new_draft(int argc, char **argv, const char *const *usage, const struct cli_option *extra,
              pb_error *err)
{
    static const char *repeated;
    const struct cli_option base[] = {
        {CLI_STRING, 0, "origin", "ORIGIN", &opt_origin, "the ledger's origin (genesis)"},
        {CLI_STRING, 0, "partner", "ID:KIND:NAME", &repeated, "a founding partner (repeat)"},
        {CLI_STRING, 0, "key", "PARTNER:ROLE:PUBFILE", &repeated, "a key and its binding (repeat)"},
        {CLI_STRING, 0, "title", "TITLE", &opt_title, "the document's title"},
        {CLI_STRING, 0, "id", "ID", &opt_id, "entry id (default: chosen for you)"},
        {CLI_STRING, 0, "created", "TIME", &opt_created, "creation time (default: now)"},
    };
    struct cli_option options[NEW_OPTIONS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
        options[n++] = base[i];
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
