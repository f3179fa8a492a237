/*
 * cmd_verify.c — `poolbook verify`: an auditor's full check of the ledger.
 * Exit 0 when everything verifies; exit 1 naming the first bad record.
 */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>

static const char *const verify_usage[] = {
    "verify [--threads N] [--json]",
    "Check every record, signature, key binding, tree hash and checkpoint from",
    "the records alone. Names the first bad record index and why (exit 1).",
    NULL,
};

int
cmd_verify(int argc, char **argv)
{
    const char *threads_text = NULL;
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "threads", "N", &threads_text, "threads for signatures (default: cores)"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, verify_usage, options);
    if (argi != argc) {
        cli_usage_error(verify_usage, "unexpected argument '%s'", argv[argi]);
    }
    unsigned threads = threads_text != NULL ? (unsigned)strtoul(threads_text, NULL, 10) : 0;
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    pb_verify_report report;
    int rc = pb_verify(store, threads, &report, &err);
    pb_store_close(store);
    if (rc != PB_OK) {
        if (json) {
            printf("{\"ok\":false,\"index\":%lld}\n", (long long)err.index);
        }
        return cli_report(&err);
    }
    char root[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(root, sizeof(root), report.root, 32, sodium_base64_VARIANT_ORIGINAL);
    if (json) {
        printf("{\"ok\":true,\"records\":%llu,\"signatures\":%llu,\"checkpoints\":%llu,"
               "\"cosignatures\":%llu,\"root\":\"%s\"}\n",
               (unsigned long long)report.records, (unsigned long long)report.signatures,
               (unsigned long long)report.checkpoints, (unsigned long long)report.cosignatures,
               root);
    } else {
        printf("verified: %llu records, %llu signatures, %llu checkpoints, %llu cosignatures\n"
               "root: %s\n",
               (unsigned long long)report.records, (unsigned long long)report.signatures,
               (unsigned long long)report.checkpoints, (unsigned long long)report.cosignatures,
               root);
    }
    return 0;
}
