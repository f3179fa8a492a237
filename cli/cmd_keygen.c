/*
 * cmd_keygen.c — `poolbook keygen`: make an Ed25519 key pair in minisign's
 * formats (DESIGN 3), so that stock minisign signs and verifies with it and a
 * partner can check the key with a tool it already trusts. The files are
 * written by pb_keygen_write(); this file only gathers the arguments.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const keygen_usage[] = {
    "keygen [-W] [-p PUBFILE] [-s SECFILE] [-c COMMENT] [--passphrase-file FILE] [BASENAME]",
    "Make an Ed25519 key pair in minisign's formats: BASENAME.pub, the public key",
    "to give to the other partners, and BASENAME.key, the secret key (mode 0600),",
    "encrypted with a passphrase (scrypt) or, with -W, unencrypted. -p and -s name",
    "the files instead. Existing files are never overwritten.",
    "The passphrase is the first line of --passphrase-file FILE, else of the file",
    "named by $POOLBOOK_PASSPHRASE_FILE, else it is asked twice on the terminal.",
    "Prints one line: the KEYID and the public key (minisign -P form).",
    NULL,
};

/* BASENAME with suffix, in a new malloc'd string. */
static char *
with_suffix(const char *basename, const char *suffix)
{
    size_t size = strlen(basename) + strlen(suffix) + 1;
    char *path = malloc(size);
    if (path == NULL) {
        cli_die_env("out of memory");
    }
    snprintf(path, size, "%s%s", basename, suffix);
    return path;
}

static void
check_comment(const char *comment)
{
    if (comment == NULL) {
        return;
    }
    if (strpbrk(comment, "\r\n") != NULL) {
        cli_usage_error(keygen_usage, "the comment must be one line");
    }
    if (strlen(comment) > PB_KEY_COMMENT_BYTES_MAX) {
        cli_usage_error(keygen_usage, "the comment is longer than %d bytes",
                        PB_KEY_COMMENT_BYTES_MAX);
    }
}

int
cmd_keygen(int argc, char **argv)
{
    int unencrypted = 0;
    const char *pub_path = NULL;
    const char *sec_path = NULL;
    const char *comment = NULL;
    const char *passphrase_file = NULL;
    const struct cli_option options[] = {
        {CLI_FLAG, 'W', "unencrypted", NULL, &unencrypted,
         "do not encrypt the secret key (for tests and automation)"},
        {CLI_STRING, 'p', "pub", "PUBFILE", &pub_path, "public key file (BASENAME.pub)"},
        {CLI_STRING, 's', "sec", "SECFILE", &sec_path, "secret key file (BASENAME.key)"},
        {CLI_STRING, 'c', "comment", "COMMENT", &comment,
         "the untrusted comment line of both files"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &passphrase_file,
         "read the passphrase from the first line of FILE"},
        {CLI_END, 0, NULL, NULL, NULL, NULL},
    };
    int first = cli_parse(argc, argv, keygen_usage, options);
    if (argc - first > 1) {
        cli_usage_error(keygen_usage, "one BASENAME at most");
    }
    const char *basename = first < argc ? argv[first] : NULL;
    if (basename == NULL && (pub_path == NULL || sec_path == NULL)) {
        cli_usage_error(keygen_usage, "give BASENAME, or both -p and -s");
    }
    if (unencrypted && passphrase_file != NULL) {
        cli_usage_error(keygen_usage, "-W makes an unencrypted key: no --passphrase-file");
    }
    check_comment(comment);
    char *pub_owned = pub_path == NULL ? with_suffix(basename, ".pub") : NULL;
    char *sec_owned = sec_path == NULL ? with_suffix(basename, ".key") : NULL;
    pub_path = pub_owned != NULL ? pub_owned : pub_path;
    sec_path = sec_owned != NULL ? sec_owned : sec_path;
    char *passphrase = unencrypted ? NULL : cli_new_passphrase(passphrase_file, sec_path);

    pb_error err;
    pb_error_init(&err);
    pb_pubkey pub;
    int rc = pb_keygen_write(pub_path, sec_path, passphrase, comment, &pub, &err);
    cli_passphrase_free(passphrase);
    if (rc == PB_OK) {
        char keyid[PB_KEYID_TEXT_MAX];
        char line[64];
        pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
        pb_pubkey_encode(&pub, line, sizeof(line));
        printf("%s %s\n", keyid, line);
    }
    free(pub_owned);
    free(sec_owned);
    return rc == PB_OK ? 0 : cli_report(&err);
}
