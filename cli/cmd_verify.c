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
    "verify [--trust PUBFILE...] [--full] [--state FILE] [--threads N] [--json] [--bundle FILE "
    "[--key PUBFILE]]",
    "Check every record, signature, key binding, tree hash and checkpoint from",
    "the records alone. Names the first bad record index and why (exit 1).",
    "What was verified is remembered (the replayed state, size and root) in",
    "LEDGER-verified, or in FILE with --state (an auditor's own): the next",
    "verify checks the stored tree still has the remembered root, replays only",
    "the new records and checks a consistency proof to the new root. --full",
    "replays every record from the first (docs/verify.md). The output is the",
    "same either way; --show-from adds where this run began.",
    "--bundle checks an audit bundle (`poolbook export --format jsonl`) the same",
    "way with no ledger file, and names the bundle's first bad line.",
    "--trust anchors the check to keys you hold (minisign .pub files, or a file",
    "listing them one a line): the genesis must bind each, and each signatory key",
    "among them must have signed it. Without --trust the result says the ledger",
    "is self-consistent, not anchored: anyone can make a consistent ledger.",
    NULL,
};

#define TRUST_MAX 64

struct trusted {
    pb_pubkey keys[TRUST_MAX];
    size_t count;
};

static void
trust_add(struct trusted *t, const char *path)
{
    pb_error err;
    pb_error_init(&err);
    if (t->count >= TRUST_MAX) {
        cli_usage_error(verify_usage, "more than %d trusted keys", TRUST_MAX);
    }
    if (pb_pubkey_load(path, &t->keys[t->count], &err) != PB_OK) {
        cli_fail(&err);
    }
    t->count++;
}

/* A .pub file, or a file listing .pub files one a line (blank lines and
 * lines starting with # skipped; relative paths from the list's folder). */
static void
trust_load(struct trusted *t, const char *path)
{
    size_t len = 0;
    char *text = cli_read_file(path, 1 << 20, 0, &len);
    int is_key = strncmp(text, "untrusted comment:", 18) == 0;
    if (is_key) {
        free(text);
        trust_add(t, path);
        return;
    }
    const char *slash = strrchr(path, '/');
    int dir_len = slash != NULL ? (int)(slash - path) : 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        char full[4096];
        if (line[0] == '/' || slash == NULL) {
            snprintf(full, sizeof(full), "%s", line);
        } else {
            snprintf(full, sizeof(full), "%.*s/%s", dir_len, path, line);
        }
        trust_add(t, full);
    }
    free(text);
}

/* Findings for review (pb_review_findings): one line each after the result. */
static void
print_review(const json_t *findings)
{
    for (size_t i = 0; i < json_array_size(findings); i++) {
        const json_t *f = json_array_get(findings, i);
        if (strcmp(json_string_value(json_object_get(f, "kind")), "reopen") == 0) {
            printf("review: record %lld %s reopened period %s of pool %s, closed by record %lld "
                   "%s: %s\n",
                   (long long)json_integer_value(json_object_get(f, "index")),
                   json_string_value(json_object_get(f, "id")),
                   json_string_value(json_object_get(f, "period")),
                   json_string_value(json_object_get(f, "pool")),
                   (long long)json_integer_value(json_object_get(f, "closed_by")),
                   json_string_value(json_object_get(f, "close_id")),
                   json_string_value(json_object_get(f, "reason")));
            continue;
        }
        printf("review: record %lld %s (%s dated %s) is signed by key %s of %s, which record %lld "
               "revoked from %s; appended before the revocation, the signature counts: check "
               "that it was genuine\n",
               (long long)json_integer_value(json_object_get(f, "index")),
               json_string_value(json_object_get(f, "id")),
               json_string_value(json_object_get(f, "type")),
               json_string_value(json_object_get(f, "date")),
               json_string_value(json_object_get(f, "key")),
               json_string_value(json_object_get(f, "partner")),
               (long long)json_integer_value(json_object_get(f, "revoked_by")),
               json_string_value(json_object_get(f, "revoked_from")));
    }
}

/* show_from: also say how many records were verified before (a run's
 * history, so not printed by default: the output is the ledger's alone). */
static void
print_report(const pb_verify_report *report, int json, const json_t *findings, size_t anchored,
             int show_from)
{
    char root[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(root, sizeof(root), report->root, 32, sodium_base64_VARIANT_ORIGINAL);
    if (json) {
        char *review = json_array_size(findings) > 0 ? json_dumps(findings, JSON_COMPACT) : NULL;
        printf("{\"ok\":true,\"anchored\":%s,\"records\":%llu,\"signatures\":%llu,"
               "\"checkpoints\":%llu,\"cosignatures\":%llu,\"witnessed\":%llu,\"root\":\"%s\"%s%s",
               anchored > 0 ? "true" : "false", (unsigned long long)report->records,
               (unsigned long long)report->signatures, (unsigned long long)report->checkpoints,
               (unsigned long long)report->cosignatures, (unsigned long long)report->witnessed,
               root, review != NULL ? ",\"review\":" : "", review != NULL ? review : "");
        free(review);
        if (show_from) {
            printf(",\"from\":%llu", (unsigned long long)report->from);
        }
        printf("}\n");
    } else {
        /* Without keys you hold, consistency is all that was shown: anyone
         * can make a consistent ledger (docs/auditor.md). */
        char witnessed[48] = "";
        if (report->witnessed > 0) { /* cosignature/v1 lines of partners' witnesses */
            snprintf(witnessed, sizeof(witnessed), " (%llu by witnesses)",
                     (unsigned long long)report->witnessed);
        }
        char anchor[64];
        snprintf(anchor, sizeof(anchor), "anchored to %zu key%s you hold", anchored,
                 anchored == 1 ? "" : "s");
        printf("%s: %llu records, %llu signatures, %llu checkpoints, %llu cosignatures%s; %s\n"
               "root: %s\n",
               anchored > 0 ? "verified" : "self-consistent", (unsigned long long)report->records,
               (unsigned long long)report->signatures, (unsigned long long)report->checkpoints,
               (unsigned long long)report->cosignatures, witnessed,
               anchored > 0 ? anchor
                            : "not anchored to keys you hold (verify --trust KEY.pub ... to anchor "
                              "it)",
               root);
        if (show_from) {
            printf("continued from: %llu records verified before (--full replays them)\n",
                   (unsigned long long)report->from);
        }
        print_review(findings);
    }
}

/* The record on line 2 of a bundle file (its genesis), or NULL. */
static json_t *
bundle_genesis(const char *path, pb_error *err)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        cli_die_env("cannot open %s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    json_t *record = NULL;
    for (int n = 0; n < 2 && getline(&line, &cap, in) >= 0; n++) {
        if (n == 1) {
            json_t *l = NULL;
            if (pb_json_parse(line, strcspn(line, "\n"), PB_BUNDLE_LINE_BYTES_MAX, &l, err) ==
                PB_OK) {
                record = json_incref(json_object_get(l, "record"));
            }
            json_decref(l);
        }
    }
    free(line);
    fclose(in);
    return record;
}

/* With a witness policy in the ledger (docs/witness.md): is the latest
 * checkpoint final? Every witness line was verified just before. */
static void
finality_line(pb_store *store, char *line, size_t line_size)
{
    int final = 0;
    size_t cosigned = 0;
    uint64_t tree_size = 0;
    char *note = NULL;
    if (pb_checkpoint_final(store, 0, &final, &cosigned, NULL) != PB_OK ||
        pb_checkpoint_get(store, 0, &note, NULL) != PB_OK) {
        return; /* no policy, or no checkpoint: nothing to say */
    }
    tree_size = strtoull(strchr(note, '\n') + 1, NULL, 10);
    free(note);
    snprintf(line, line_size,
             "witness policy: the latest checkpoint (tree size %llu) is %s (%zu witness "
             "cosignatures)\n",
             (unsigned long long)tree_size, final ? "final" : "NOT final", cosigned);
}

/* verify --bundle: no ledger is opened. */
static int
verify_bundle(const char *path, const char *key_path, unsigned threads, pb_verify_report *report,
              json_t **findings, pb_error *err)
{
    pb_pubkey trusted;
    if (key_path != NULL && pb_pubkey_load(key_path, &trusted, err) != PB_OK) {
        return err->code;
    }
    int is_stdin = strcmp(path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(path, "rb");
    if (in == NULL) {
        cli_die_env("cannot open %s: %s", path, pb_errno_text(errno));
    }
    int rc = pb_bundle_verify(in, is_stdin ? "stdin" : path, threads,
                              key_path != NULL ? &trusted : NULL, report, findings, err);
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
    const char *trust_last = NULL;
    const char *state_path = NULL;
    int json = 0;
    int full = 0;
    int show_from = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "threads", "N", &threads_text, "threads for signatures (default: cores)"},
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_FLAG, 0, "full", NULL, &full, "replay every record, not only the new ones"},
        {CLI_FLAG, 0, "show-from", NULL, &show_from,
         "also print how many records were verified before this run"},
        {CLI_STRING, 0, "state", "FILE", &state_path,
         "keep what was verified in FILE (default: LEDGER-verified)"},
        {CLI_STRING, 0, "bundle", "FILE", &bundle_path, "verify an audit bundle (- for stdin)"},
        {CLI_STRING, 0, "trust", "PUBFILE", &trust_last,
         "a key you hold, or a file listing them (repeat)"},
        {CLI_STRING, 'p', "key", "PUBFILE", &key_path,
         "with --bundle: a key you hold that must sign the latest checkpoint"},
        {CLI_END},
    };
    const char *trust_paths[TRUST_MAX];
    size_t trust_count = 0;
    cli_collect_repeated(argc, argv, "--trust", verify_usage, trust_paths, &trust_count, TRUST_MAX);
    int argi = cli_parse(argc, argv, verify_usage, options);
    if (argi != argc) {
        cli_usage_error(verify_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (bundle_path != NULL && (state_path != NULL || full)) {
        cli_usage_error(verify_usage, "--bundle is always verified in full: no --state or --full");
    }
    if (key_path != NULL && bundle_path == NULL) {
        cli_usage_error(verify_usage, "--key goes with --bundle");
    }
    if (trust_count > 0 && bundle_path != NULL && strcmp(bundle_path, "-") == 0) {
        cli_usage_error(verify_usage, "--trust with --bundle needs the bundle as a file, not -");
    }
    static struct trusted trusted;
    for (size_t i = 0; i < trust_count; i++) {
        trust_load(&trusted, trust_paths[i]);
    }
    unsigned threads = threads_text != NULL
                           ? (unsigned)cli_parse_number(verify_usage, "--threads", threads_text, 0,
                                                        CLI_THREADS_MAX)
                           : 0;
    pb_error err;
    pb_error_init(&err);
    pb_verify_report report;
    json_t *findings = NULL;
    int rc = PB_OK;
    json_t *genesis = NULL;
    char finality[160] = "";
    if (bundle_path != NULL) {
        rc = verify_bundle(bundle_path, key_path, threads, &report, &findings, &err);
        if (rc == PB_OK && trusted.count > 0) {
            genesis = bundle_genesis(bundle_path, &err);
        }
    } else {
        pb_store *store = cli_open_store(PB_STORE_RDONLY);
        rc = pb_verify_kept(store, state_path, full, threads, &report, &err);
        if (rc == PB_OK) {
            rc = pb_review_findings(store, &findings, &err);
        }
        char *buf = NULL;
        size_t len = 0;
        if (rc == PB_OK && trusted.count > 0 &&
            pb_store_record(store, 0, &buf, &len, &err) == PB_OK) {
            rc = pb_json_parse(buf, len, PB_RECORD_BYTES_MAX, &genesis, &err);
        }
        free(buf);
        if (rc == PB_OK && !json) {
            finality_line(store, finality, sizeof(finality));
        }
        pb_store_close(store);
    }
    if (rc == PB_OK && trusted.count > 0) {
        if (genesis == NULL) {
            cli_die_env("%s: no genesis record to anchor", bundle_path != NULL ? bundle_path : "");
        }
        rc = pb_genesis_anchor(genesis, trusted.keys, trusted.count, &err);
        if (rc != PB_OK && bundle_path != NULL) {
            snprintf(err.where, sizeof(err.where), "%s line 2, the genesis", bundle_path);
        } else if (rc != PB_OK) {
            snprintf(err.where, sizeof(err.where), "record 0, the genesis");
        }
    }
    json_decref(genesis);
    if (rc != PB_OK) {
        json_decref(findings);
        if (json) {
            printf("{\"ok\":false,\"index\":%lld,\"line\":%lld}\n", (long long)err.index,
                   (long long)err.line);
        }
        return cli_report(&err);
    }
    print_report(&report, json, findings, trusted.count, show_from);
    json_decref(findings);
    fputs(finality, stdout);
    return 0;
}
