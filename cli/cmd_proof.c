/*
 * cmd_proof.c — `poolbook proof inclusion|consistency`: RFC 6962 proofs as
 * the JSON of DESIGN 4, checked before they are printed.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const proof_usage[] = {
    "proof inclusion INDEX [--size N] | proof consistency OLD NEW",
    "Print an inclusion proof of record INDEX in the tree of size N (default:",
    "the whole ledger), or a consistency proof between tree sizes OLD and NEW.",
    NULL,
};

int
cmd_proof(int argc, char **argv)
{
    const char *size_text = NULL;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "size", "N", &size_text, "tree size for an inclusion proof"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, proof_usage, options);
    int inclusion = argi + 2 == argc && strcmp(argv[argi], "inclusion") == 0;
    int consistency = argi + 3 == argc && strcmp(argv[argi], "consistency") == 0;
    if (!inclusion && !consistency) {
        cli_usage_error(proof_usage, "say inclusion INDEX or consistency OLD NEW");
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    pb_proof *proof = calloc(1, sizeof(*proof));
    int rc = proof == NULL ? PB_ENOMEM : PB_OK;
    if (rc == PB_OK && inclusion) {
        uint64_t size = 0;
        rc = pb_store_size(store, &size, &err);
        if (size_text != NULL) {
            size = cli_parse_number(proof_usage, "--size", size_text, 0, UINT64_MAX);
        }
        if (rc == PB_OK) {
            rc = pb_proof_inclusion(
                store, cli_parse_number(proof_usage, "INDEX", argv[argi + 1], 0, UINT64_MAX), size,
                proof, &err);
        }
        if (rc == PB_OK) {
            rc = pb_proof_check_inclusion(proof, &err);
        }
    } else if (rc == PB_OK) {
        rc = pb_proof_consistency(
            store, cli_parse_number(proof_usage, "OLD", argv[argi + 1], 0, UINT64_MAX),
            cli_parse_number(proof_usage, "NEW", argv[argi + 2], 0, UINT64_MAX), proof, &err);
        if (rc == PB_OK) {
            rc = pb_proof_check_consistency(proof, &err);
        }
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    json_t *j = pb_proof_to_json(proof, consistency);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    printf("%s\n", text);
    free(text);
    json_decref(j);
    free(proof);
    return 0;
}
