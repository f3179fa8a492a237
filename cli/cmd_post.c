/*
 * cmd_post.c — `poolbook post TYPE ...`: the everyday path of a finance lead:
 * build the draft, sign it with one key, append it, print its index and id.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *const post_usage[] = {
    "post TYPE [the type's options] -k SECKEY [--passphrase-file FILE] [--id ID] [--dry-run] "
    "[--json]",
    "  post document FILE --title TITLE",
    "  post contribution --pool P --partner X --stream S --amount AMT --date D [--ref R] [--memo "
    "M]",
    "  post expenditure --pool P --scheme S --amount AMT --date D --payee NAME [--ref R] [--memo "
    "M]",
    "  post forecast --pool P --scheme S --amount AMT --date D [--memo M]",
    "  post virement --pool P --from S1 --to S2 --amount AMT --date D [--reason TEXT]",
    "  post reversal --target ID --date D --reason TEXT",
    "  post period.close --pool P --period PERIOD [--date D]",
    "",
    "Build an entry as `poolbook new` does, sign it with SECKEY and append it in one",
    "step; print \"appended at index N ID\" (or \"already present at index N ID\").",
    "Amounts may be typed 1250000, 1,250,000.00 or £1,250,000.5; dates are YYYY-MM-DD.",
    "An entry that needs more than one signature (an agreement, a variation, spending",
    "at or above the key-decision threshold) is refused here with the signers it lacks:",
    "make it with `poolbook new`, `poolbook sign` it with each key, then `poolbook append`.",
    "pool.agree and pool.vary take the options of `new` too, for when one key suffices;",
    "so do key.add, key.revoke and partner.admit.",
    "For a document, the file's SHA-256 and size are recorded (the file stays yours).",
    "--dry-run checks the entry as the append would, writes nothing, and prints",
    "what would be appended and the pool's figures that would change.",
    NULL,
};

/* docs/entries.md "Default ids": the id derives from what the entry records,
 * not when it was drafted, so the same post run again finds its id; if the
 * entry there records the same (all but "created"), it is already present. */
static int
already_posted(pb_store *store, const json_t *entry, uint64_t *index, int *present, pb_error *err)
{
    const char *id = json_string_value(json_object_get(entry, "id"));
    if (pb_store_find(store, id, index, NULL) != PB_OK) {
        return PB_OK;
    }
    char *buf = NULL;
    size_t len = 0;
    json_t *have = NULL;
    int rc = pb_store_record(store, *index, &buf, &len, err);
    if (rc == PB_OK) {
        rc = pb_json_parse(buf, len, PB_RECORD_BYTES_MAX, &have, err);
    }
    free(buf);
    *present = rc == PB_OK && pb_entry_same_business(json_object_get(have, "entry"), entry);
    json_decref(have);
    return rc;
}

/* A second payment under a reference already used for the pool and partner
 * (scheme) but with other figures is refused unless --allow-same-ref. */
static int
same_ref_elsewhere(pb_store *store, const json_t *record, const char *id, pb_error *err)
{
    char first[PB_ID_BYTES_MAX + 1];
    if (pb_money_ref_first(store, record, first, sizeof(first), NULL) != PB_OK ||
        strcmp(first, id) == 0) {
        return PB_OK;
    }
    const json_t *entry = json_object_get(record, "entry");
    (void)err;
    fprintf(stderr,
            "poolbook: error: reference %s is already used by %s for pool %s: if this is another "
            "payment under the same reference, post it with --allow-same-ref (--ref)\n",
            json_string_value(json_object_get(entry, "ref")), first,
            json_string_value(json_object_get(entry, "pool")));
    pb_store_close(store);
    exit(1);
}

int
cmd_post(int argc, char **argv)
{
    const char *key_path = NULL;
    const char *pass_file = NULL;
    int json = 0;
    int allow_same_ref = 0;
    int dry_run = 0;
    const struct cli_option extra[] = {
        {CLI_FLAG, 0, "allow-same-ref", NULL, &allow_same_ref,
         "post a second payment under a reference already used (other figures)"},
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path,
         "the secret key to sign with (default: $POOLBOOK_KEY, the config's key)"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_FLAG, 0, "dry-run", NULL, &dry_run,
         "check everything, write nothing: show what would change"},
        {CLI_END},
    };
    pb_error err;
    pb_error_init(&err);
    json_t *record = cli_new_draft(argc, argv, post_usage, extra, &err);
    if (record == NULL) {
        cli_fail(&err);
    }
    key_path = cli_key_path(key_path); /* $POOLBOOK_KEY, the config's key */
    if (key_path == NULL) {
        cli_usage_error(post_usage,
                        "post needs -k SECKEY (or $POOLBOOK_KEY, or key in the config)");
    }
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    int rc = pb_record_sign(record, key, &err);
    if (rc == PB_OK && cli_remote() != NULL) {
        /* To the server; the entry's key signs the request unless another is given. */
        pb_seckey *request_key = cli_remote_key();
        int code = cli_remote_append(record, request_key != NULL ? request_key : key, json);
        pb_seckey_free(request_key);
        pb_seckey_free(key);
        json_decref(record);
        return code;
    }
    pb_seckey_free(key);
    pb_store *store = rc == PB_OK ? cli_open_store(0) : NULL;
    uint64_t index = 0;
    int present = 0;
    const json_t *entry = json_object_get(record, "entry");
    const char *id = json_string_value(json_object_get(entry, "id"));
    if (rc == PB_OK) {
        rc = already_posted(store, entry, &index, &present, &err);
    }
    if (rc == PB_OK && !present && !allow_same_ref) {
        rc = same_ref_elsewhere(store, record, id, &err);
    }
    if (rc == PB_OK && !present && dry_run) {
        rc = cli_dry_run(store, &record, 1, json, &err);
    } else if (rc == PB_OK && !present) {
        rc = pb_store_append(store, record, &index, &present, &err);
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        cli_draft_where(&err);
        if (strncmp(err.where, "$.sigs", 6) == 0) {
            snprintf(err.where, sizeof(err.where), "-k %s", key_path); /* the one signature */
        }
        cli_fail(&err);
    }
    if (dry_run && !present) {
        /* printed by cli_dry_run */
    } else if (json) {
        printf("{\"index\":%llu,\"id\":\"%s\",\"present\":%s}\n", (unsigned long long)index, id,
               present ? "true" : "false");
    } else {
        printf("%s %llu %s\n", present ? "already present at index" : "appended at index",
               (unsigned long long)index, id);
    }
    json_decref(record);
    return 0;
}
