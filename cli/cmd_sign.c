/*
 * cmd_sign.c — `poolbook sign DRAFT -k KEY`: add this key's signature to a
 * draft, in place. Each partner's signatory signs the same draft in turn.
 */
#include "cli.h"

#include <string.h>

static const char *const sign_usage[] = {
    "sign DRAFT -k SECKEY [--passphrase-file FILE] [-o FILE]",
    "Add a signature by SECKEY to the draft record in DRAFT (written back in",
    "place unless -o is given). Signing twice with one key changes nothing.",
    NULL,
};

int
cmd_sign(int argc, char **argv)
{
    const char *key_path = NULL;
    const char *pass_file = NULL;
    const char *out = NULL;
    const struct cli_option options[] = {
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path,
         "the secret key to sign with (default: $POOLBOOK_KEY, the config's key)"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_STRING, 'o', "output", "FILE", &out, "write the signed draft here"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, sign_usage, options);
    key_path = cli_key_path(key_path); /* $POOLBOOK_KEY, the config's key */
    if (argi + 1 != argc || key_path == NULL) {
        cli_usage_error(sign_usage, "sign needs one DRAFT and -k SECKEY");
    }
    const char *path = argv[argi];
    struct cli_records recs;
    cli_read_records(path, &recs);
    if (recs.count != 1) {
        fprintf(stderr, "poolbook: error: a draft holds one record, this has %zu (%s)\n",
                recs.count, path);
        return 1;
    }
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    pb_error err;
    pb_error_init(&err);
    int rc = pb_record_sign(recs.records[0], key, &err);
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    pb_seckey_free(key);
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
