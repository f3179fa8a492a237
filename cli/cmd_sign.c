/*
 * cmd_sign.c — `poolbook sign DRAFT -k KEY`: add this key's signature to a
 * draft, in place. Each partner's signatory signs the same draft in turn.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const sign_usage[] = {
    "sign DRAFT -k SECKEY [--passphrase-file FILE] [-o FILE] [--no-check]",
    "Add a signature by SECKEY to the draft record in DRAFT (written back in",
    "place unless -o is given). Signing twice with one key changes nothing.",
    "With a ledger at hand, the draft is checked against it first and a key the",
    "entry's rule would not accept (unbound, revoked, wrong partner or role) is",
    "refused, naming whose key it is and which keys the entry needs.",
    "With --remote, DRAFT is the id of a draft held by the server: it is fetched,",
    "signed here and the signature sent; the last signature needed appends it.",
    NULL,
};

static const char *const unsign_usage[] = {
    "unsign DRAFT KEYID [-o FILE]",
    "Remove the signature by key KEYID (16 hex digits) from the draft record in",
    "DRAFT (written back in place unless -o is given).",
    NULL,
};

/* The one record of a draft file; exits otherwise. */
static void
read_draft(const char *path, struct cli_records *recs)
{
    cli_read_records(path, CLI_DRAFT_BYTES_MAX, recs);
    if (recs->count != 1) {
        cli_error_line("a draft holds one record, this has %zu (%s)", recs->count, path);
        exit(1);
    }
}

int
cmd_unsign(int argc, char **argv)
{
    const char *out = NULL;
    const struct cli_option options[] = {
        {CLI_STRING, 'o', "output", "FILE", &out, "write the draft here"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, unsign_usage, options);
    if (argi + 2 != argc) {
        cli_usage_error(unsign_usage, "unsign needs one DRAFT and one KEYID");
    }
    const char *path = argv[argi];
    const char *keyid = argv[argi + 1];
    struct cli_records recs;
    read_draft(path, &recs);
    json_t *sigs = json_object_get(recs.records[0], "sigs");
    size_t found = json_array_size(sigs);
    for (size_t i = 0; i < json_array_size(sigs); i++) {
        if (strcmp(json_string_value(json_object_get(json_array_get(sigs, i), "key")), keyid) ==
            0) {
            found = i;
        }
    }
    if (found == json_array_size(sigs)) {
        cli_error_line("the draft has no signature by key %s (%s)", keyid, path);
        cli_records_free(&recs);
        return 1;
    }
    json_array_remove(sigs, found);
    cli_write_record(out != NULL ? out : path, recs.records[0]);
    fprintf(stderr, "poolbook: signature by %s removed (%zu left)\n", keyid, json_array_size(sigs));
    cli_records_free(&recs);
    return 0;
}

int
cmd_sign(int argc, char **argv)
{
    const char *key_path = NULL;
    const char *pass_file = NULL;
    const char *out = NULL;
    int no_check = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path,
         "the secret key to sign with (default: $POOLBOOK_KEY, the config's key)"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_STRING, 'o', "output", "FILE", &out, "write the signed draft here"},
        {CLI_FLAG, 0, "no-check", NULL, &no_check, "do not check the draft against the ledger"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, sign_usage, options);
    key_path = cli_key_path(key_path); /* $POOLBOOK_KEY, the config's key */
    if (argi + 1 != argc || key_path == NULL) {
        cli_usage_error(sign_usage, "sign needs one DRAFT and -k SECKEY");
    }
    const char *path = argv[argi];
    if (cli_remote() != NULL) {
        /* DRAFT is the id of a draft on the server. */
        pb_seckey *key = cli_load_seckey(key_path, pass_file);
        int code = cli_remote_sign_draft(path, key);
        pb_seckey_free(key);
        return code;
    }
    struct cli_records recs;
    read_draft(path, &recs);
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    pb_error err;
    pb_error_init(&err);
    int rc = pb_record_sign(recs.records[0], key, &err);
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    pb_seckey_free(key);
    if (rc == PB_OK && !no_check) {
        rc = cli_check_draft(recs.records[0], &err);
    }
    if (rc != PB_OK) {
        cli_fail_input(&err, path, 0);
    }
    cli_write_record(out != NULL ? out : path, recs.records[0]);
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    size_t sigs = json_array_size(json_object_get(recs.records[0], "sigs"));
    fprintf(stderr, "poolbook: signed by %s (%zu signature%s)\n", keyid, sigs,
            sigs == 1 ? "" : "s");
    cli_records_free(&recs);
    return 0;
}
