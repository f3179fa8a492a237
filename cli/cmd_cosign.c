/*
 * cmd_cosign.c — `poolbook cosign -k AUDITORKEY`: an auditor adds its
 * signature line to a stored checkpoint, witnessing that tree.
 */
#include "cli.h"

#include <stdlib.h>

static const char *const cosign_usage[] = {
    "cosign -k AUDITORKEY [--size N] [--passphrase-file FILE]",
    "Add an auditor's signature to the stored checkpoint of tree size N",
    "(default: the latest) and print the note with every signature.",
    NULL,
};

int
cmd_cosign(int argc, char **argv)
{
    const char *key_path = NULL;
    const char *pass_file = NULL;
    const char *size_text = NULL;
    const struct cli_option options[] = {
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path, "the auditor's secret key"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_STRING, 0, "size", "N", &size_text, "the checkpoint's tree size (default: latest)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, cosign_usage, options);
    if (argi != argc || key_path == NULL) {
        cli_usage_error(cosign_usage, "cosign needs -k AUDITORKEY");
    }
    uint64_t size =
        size_text != NULL ? cli_parse_number(cosign_usage, "--size", size_text, 0, UINT64_MAX) : 0;
    pb_store *store = cli_open_store(0);
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    pb_error err;
    pb_error_init(&err);
    char *note = NULL;
    int rc = pb_checkpoint_cosign(store, size, key, &note, &err);
    pb_seckey_free(key);
    pb_store_close(store);
    if (rc != PB_OK && err.where[0] == '\0' && key_path != NULL) {
        snprintf(err.where, sizeof(err.where), "%s", key_path); /* whose key it was */
    }
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    fputs(note, stdout);
    free(note);
    return 0;
}
