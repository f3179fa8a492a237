/*
 * cmd_checkpoint.c — `poolbook checkpoint`: sign the current tree with the
 * operator key as a C2SP checkpoint, print a stored one, or print the note
 * verifier key that others use to check checkpoints.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const checkpoint_usage[] = {
    "checkpoint -k OPERATORKEY [--witness URL...] | --show [--size N] | --witness URL... [--size "
    "N]",
    "         | --verifier -p PUBFILE",
    "Sign and store a checkpoint of the whole ledger with the operator key and",
    "print it (a C2SP signed note). --show prints a stored checkpoint (default:",
    "the latest). --verifier prints the note verifier key of a public key.",
    "--witness sends the checkpoint (the new one, or with --size N a stored one)",
    "to each partner's witness (C2SP tlog-witness), keeps the cosignatures they",
    "return beside it, says on stderr which witnesses signed, and exits 1 if any",
    "refused (docs/witness.md). --witness repeats. --witnesses asks every witness",
    "the ledger's witness policy names, at the URL it gives.",
    NULL,
};

#define CHECKPOINT_WITNESSES_MAX 16

/* Every --witness URL (the option repeats). */
static size_t
witness_urls(int argc, char **argv, const char **urls)
{
    size_t n = 0;
    for (int i = 1; i < argc && n < CHECKPOINT_WITNESSES_MAX; i++) {
        if (strcmp(argv[i], "--witness") == 0 && i + 1 < argc) {
            urls[n++] = argv[++i];
        } else if (strncmp(argv[i], "--witness=", 10) == 0) {
            urls[n++] = argv[i] + 10;
        }
    }
    return n;
}

/* Ask each witness; report each on stderr. Returns the exit code: 0 when all
 * cosigned, else that of the first refusal. */
static int
ask_witnesses(pb_store *store, uint64_t tree_size, const char *const *urls, size_t count)
{
    int exit_code = 0;
    for (size_t i = 0; i < count; i++) {
        pb_error err;
        pb_error_init(&err);
        pb_witness_outcome out;
        if (pb_checkpoint_witness(store, tree_size, urls[i], &out, &err) != PB_OK) {
            int code = cli_report(&err);
            exit_code = exit_code != 0 ? exit_code : code;
            continue;
        }
        fprintf(stderr,
                "poolbook: witness %s cosigned tree size %llu as %s (auditor key %s, "
                "from size %llu)\n",
                urls[i], (unsigned long long)out.tree_size, out.name, out.keyid,
                (unsigned long long)out.old_size);
    }
    /* docs/witness.md: the witness policy says when a checkpoint is final. */
    int final = 0;
    size_t cosigned = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_checkpoint_final(store, tree_size, &final, &cosigned, &err);
    if (rc == PB_OK) {
        fprintf(stderr,
                "poolbook: the checkpoint is %s under the ledger's witness policy (%zu "
                "witness cosignatures)\n",
                final ? "final" : "NOT final", cosigned);
    } else if (rc != PB_ENOTFOUND) {
        int code = cli_report(&err);
        exit_code = exit_code != 0 ? exit_code : code;
    }
    return exit_code;
}

static int
print_verifier(pb_store *store, const char *pub_path)
{
    pb_error err;
    pb_error_init(&err);
    pb_pubkey pub;
    char origin[256];
    char keyid[PB_KEYID_TEXT_MAX];
    char name[512];
    json_t *bound = NULL;
    char *verifier = NULL;
    int rc = pb_pubkey_load(pub_path, &pub, &err);
    if (rc == PB_OK) {
        rc = pb_store_origin(store, origin, sizeof(origin), &err);
    }
    if (rc == PB_OK) {
        pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
        rc = pb_store_key(store, keyid, &bound, &err);
    }
    if (rc == PB_OK) {
        pb_note_name(origin, json_string_value(json_object_get(bound, "partner")),
                     json_string_value(json_object_get(bound, "role")), keyid, name, sizeof(name));
        rc = pb_note_verifier(name, &pub, &verifier, &err);
    }
    json_decref(bound);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    printf("%s\n", verifier);
    free(verifier);
    return 0;
}

int
cmd_checkpoint(int argc, char **argv)
{
    const char *key_path = NULL;
    const char *pass_file = NULL;
    const char *pub_path = NULL;
    const char *size_text = NULL;
    const char *witness_opt = NULL;
    int policy_witnesses = 0;
    int show = 0;
    int verifier = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path, "the operator's secret key"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_FLAG, 0, "show", NULL, &show, "print a stored checkpoint"},
        {CLI_STRING, 0, "size", "N", &size_text, "with --show: the checkpoint of tree size N"},
        {CLI_FLAG, 0, "verifier", NULL, &verifier, "print the note verifier key of -p PUBFILE"},
        {CLI_STRING, 'p', "pubkey", "PUBFILE", &pub_path, "a public key file (--verifier)"},
        {CLI_STRING, 0, "witness", "URL", &witness_opt, "a witness to ask (repeats)"},
        {CLI_FLAG, 0, "witnesses", NULL, &policy_witnesses, "ask the witness policy's witnesses"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, checkpoint_usage, options);
    if (argi != argc) {
        cli_usage_error(checkpoint_usage, "unexpected argument '%s'", argv[argi]);
    }
    const char *urls[CHECKPOINT_WITNESSES_MAX];
    size_t url_count = witness_urls(argc, argv, urls);
    int writes = key_path != NULL || url_count > 0 || policy_witnesses;
    pb_store *store = cli_open_store(writes ? 0 : PB_STORE_RDONLY);
    char policy_urls[CHECKPOINT_WITNESSES_MAX][PB_WITNESS_URL_MAX];
    if (policy_witnesses) {
        size_t n = 0;
        pb_error perr;
        pb_error_init(&perr);
        if (pb_witness_policy_urls(store, policy_urls, CHECKPOINT_WITNESSES_MAX - url_count, &n,
                                   &perr) != PB_OK) {
            pb_store_close(store);
            cli_fail(&perr);
        }
        for (size_t i = 0; i < n; i++) {
            urls[url_count++] = policy_urls[i];
        }
    }
    pb_error err;
    pb_error_init(&err);
    char *note = NULL;
    int rc = PB_OK;
    if (verifier) {
        if (pub_path == NULL) {
            cli_usage_error(checkpoint_usage, "--verifier needs -p PUBFILE");
        }
        rc = print_verifier(store, pub_path);
        pb_store_close(store);
        return rc;
    }
    uint64_t size = size_text != NULL
                        ? cli_parse_number(checkpoint_usage, "--size", size_text, 0, UINT64_MAX)
                        : 0;
    int witness_exit = 0;
    if (show) {
        rc = pb_checkpoint_get(store, size, &note, &err);
    } else if (key_path != NULL) {
        pb_seckey *key = cli_load_seckey(key_path, pass_file);
        rc = pb_checkpoint_create(store, key, &note, &err);
        pb_seckey_free(key);
        size = 0; /* the new checkpoint is the latest */
    } else if (url_count == 0) {
        cli_usage_error(checkpoint_usage, "give -k OPERATORKEY, --show, --witness or --verifier");
    }
    if (rc == PB_OK && url_count > 0 && !show) {
        witness_exit = ask_witnesses(store, size, urls, url_count);
        free(note);
        note = NULL;
        rc = pb_checkpoint_get(store, size, &note, &err);
    }
    pb_store_close(store);
    if (rc != PB_OK && err.where[0] == '\0' && key_path != NULL) {
        snprintf(err.where, sizeof(err.where), "%s", key_path); /* whose key it was */
    }
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    fputs(note, stdout);
    free(note);
    return witness_exit;
}
