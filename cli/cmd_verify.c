/*
 * cmd_verify.c — `poolbook verify`: an auditor's full check of the ledger.
 * Exit 0 when everything verifies; exit 1 naming the first bad record.
 */
#include "cli.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const verify_usage[] = {
    "verify [--threads N] [--json] [--bundle FILE [--key PUBFILE]]",
    "Check every record, signature, key binding, tree hash and checkpoint from",
    "the records alone. Names the first bad record index and why (exit 1).",
    "--bundle checks an audit bundle (`poolbook export --format jsonl`) the same",
    "way with no ledger file, and names the bundle's first bad line.",
    NULL,
};

static void
print_report(const pb_verify_report *report, int json)
{
    char root[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(root, sizeof(root), report->root, 32, sodium_base64_VARIANT_ORIGINAL);
    if (json) {
        printf("{\"ok\":true,\"records\":%llu,\"signatures\":%llu,\"checkpoints\":%llu,"
               "\"cosignatures\":%llu,\"witnessed\":%llu,\"root\":\"%s\"}\n",
               (unsigned long long)report->records, (unsigned long long)report->signatures,
               (unsigned long long)report->checkpoints, (unsigned long long)report->cosignatures,
               (unsigned long long)report->witnessed, root);
    } else {
        char witnessed[48] = "";
        if (report->witnessed > 0) { /* cosignature/v1 lines of partners' witnesses */
            snprintf(witnessed, sizeof(witnessed), " (%llu by witnesses)",
                     (unsigned long long)report->witnessed);
        }
        printf("verified: %llu records, %llu signatures, %llu checkpoints, %llu cosignatures%s\n"
               "root: %s\n",
               (unsigned long long)report->records, (unsigned long long)report->signatures,
               (unsigned long long)report->checkpoints, (unsigned long long)report->cosignatures,
               witnessed, root);
    }
}

/* With a witness policy in the ledger (docs/witness.md): is the latest
 * checkpoint final? Every witness line was verified just before. */
static void
print_finality(pb_store *store)
{
    int final = 0;
    size_t cosigned = 0;
    uint64_t size = 0;
    char *note = NULL;
    if (pb_checkpoint_final(store, 0, &final, &cosigned, NULL) != PB_OK ||
        pb_checkpoint_get(store, 0, &note, NULL) != PB_OK) {
        return; /* no policy, or no checkpoint: nothing to say */
    }
    size = strtoull(strchr(note, '\n') + 1, NULL, 10);
    free(note);
    printf("witness policy: the latest checkpoint (tree size %llu) is %s (%zu witness "
           "cosignatures)\n",
           (unsigned long long)size, final ? "final" : "NOT final", cosigned);
}

/* verify --bundle: no ledger is opened. */
static int
verify_bundle(const char *path, const char *key_path, unsigned threads, pb_verify_report *report,
              pb_error *err)
{
    pb_pubkey trusted;
    if (key_path != NULL && pb_pubkey_load(key_path, &trusted, err) != PB_OK) {
        return err->code;
    }
    int is_stdin = strcmp(path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(path, "rb");
    if (in == NULL) {
        cli_die_env("cannot open %s: %s", path, strerror(errno));
    }
    int rc = pb_bundle_verify(in, is_stdin ? "stdin" : path, threads,
                              key_path != NULL ? &trusted : NULL, report, err);
    if (!is_stdin) {
        fclose(in);
    }
    return rc;
}

int
cmd_verify(int argc, char **argv)
{
    const char *threads_text = NULL;
    const char *bundle_path = NULL;
    const char *key_path = NULL;
    int json = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "threads", "N", &threads_text, "threads for signatures (default: cores)"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_STRING, 0, "bundle", "FILE", &bundle_path, "verify an audit bundle (- for stdin)"},
        {CLI_STRING, 'p', "key", "PUBFILE", &key_path,
         "with --bundle: a key you hold that must sign the latest checkpoint"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, verify_usage, options);
    if (argi != argc) {
        cli_usage_error(verify_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (key_path != NULL && bundle_path == NULL) {
        cli_usage_error(verify_usage, "--key goes with --bundle");
    }
    unsigned threads = threads_text != NULL ? (unsigned)strtoul(threads_text, NULL, 10) : 0;
    pb_error err;
    pb_error_init(&err);
    pb_verify_report report;
    int rc = PB_OK;
    if (bundle_path != NULL) {
        rc = verify_bundle(bundle_path, key_path, threads, &report, &err);
    } else {
        pb_store *store = cli_open_store(PB_STORE_RDONLY);
        rc = pb_verify(store, threads, &report, &err);
        if (rc == PB_OK && !json) {
            print_report(&report, json);
            print_finality(store);
        }
        pb_store_close(store);
    }
    if (rc != PB_OK) {
        if (json) {
            printf("{\"ok\":false,\"index\":%lld,\"line\":%lld}\n", (long long)err.index,
                   (long long)err.line);
        }
        return cli_report(&err);
    }
    if (bundle_path != NULL || json) {
        print_report(&report, json);
    }
    return 0;
}
