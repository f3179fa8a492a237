/*
 * cmd_statements.c — `poolbook statements --pool P --period Q --out DIR -k KEY`:
 * the quarterly statement run (DESIGN 7). Checkpoints the ledger when the
 * latest checkpoint does not cover it, writes every partner's statement and
 * the pool summary in each format, then MANIFEST.sha256 and its minisign
 * signature by the host's key. The same ledger gives the same files.
 */
#include "render.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const statements_usage[] = {
    "statements --pool POOL --period 2024/25-Q2 --out DIR -k HOSTKEY [--format LIST]",
    "The statement run: checkpoint the ledger with HOSTKEY if the latest",
    "checkpoint does not cover every record, write each partner's statement and",
    "the pool summary into DIR (<POOL>-<PERIOD>-<PARTNER>.<ext>, <...>-summary.<ext>),",
    "and MANIFEST.sha256 with its signature MANIFEST.sha256.minisig, which",
    "`minisign -Vm MANIFEST.sha256 -p HOSTKEY.pub` verifies. HOSTKEY is the",
    "host partner's operator key (or its signatory key when no checkpoint is",
    "needed). LIST is formats separated by commas, or all (the default):",
    "text, json, csv, html, xlsx.",
    NULL,
};

/* Files written so far, for the manifest. */
struct written {
    char **names;
    size_t count;
};

static void
written_add(struct written *w, const char *name)
{
    char **grown = realloc(w->names, (w->count + 1) * sizeof(*grown));
    char *copy = strdup(name);
    if (grown == NULL || copy == NULL) {
        cli_die_env("out of memory");
    }
    w->names = grown;
    w->names[w->count++] = copy;
}

/* The key must be the host's operator or signatory key (DESIGN 7: the host
 * partner's pool manager issues the statements). Returns its role. */
static const char *
check_signer(pb_store *store, const pb_seckey *key, const char *host, const char *key_path)
{
    pb_pubkey pub;
    char keyid[PB_KEYID_TEXT_MAX];
    static char role[16];
    json_t *bound = NULL;
    pb_error err;
    pb_error_init(&err);
    pb_seckey_public(key, &pub);
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    if (pb_store_key(store, keyid, &bound, &err) != PB_OK) {
        snprintf(err.where, sizeof(err.where), "%s", key_path);
        cli_fail(&err);
    }
    const char *partner = render_str(bound, "partner");
    snprintf(role, sizeof(role), "%s", render_str(bound, "role"));
    if (strcmp(partner, host) != 0 ||
        (strcmp(role, "operator") != 0 && strcmp(role, "signatory") != 0)) {
        cli_error_line("key %s is %s's %s key; statements are signed by the host %s's "
                       "operator or signatory key (%s)",
                       keyid, partner, role, host, key_path);
        exit(1);
    }
    json_decref(bound);
    return role;
}

/* Checkpoint the ledger unless the latest checkpoint covers every record. */
static void
ensure_checkpoint(pb_store *store, const pb_seckey *key, const char *role, const char *key_path)
{
    uint64_t size = 0, covered = 0;
    char *note = NULL;
    pb_error err;
    pb_error_init(&err);
    if (pb_store_size(store, &size, &err) != PB_OK) {
        cli_fail(&err);
    }
    if (pb_checkpoint_get(store, 0, &note, &err) == PB_OK) {
        covered = strtoull(strchr(note, '\n') + 1, NULL, 10);
    }
    free(note);
    note = NULL;
    pb_error_init(&err);
    if (covered >= size) {
        return;
    }
    if (strcmp(role, "operator") != 0) {
        cli_error_line("the latest checkpoint covers %llu of %llu records; a new one "
                       "needs the host's operator key (%s)",
                       (unsigned long long)covered, (unsigned long long)size, key_path);
        exit(1);
    }
    if (pb_checkpoint_create(store, key, &note, &err) != PB_OK) {
        snprintf(err.where, sizeof(err.where), "%s", key_path);
        cli_fail(&err);
    }
    free(note);
}

/* Write one statement (partner NULL: the summary) in every format asked. */
static void
write_statement(pb_store *store, const char *pool, const char *partner, const char *period,
                int formats, const char *dir, struct written *w)
{
    json_t *statement = NULL;
    pb_error err;
    pb_error_init(&err);
    if (pb_statement(store, pool, partner, period, &statement, &err) != PB_OK) {
        cli_fail(&err);
    }
    char label[32];
    snprintf(label, sizeof(label), "%s", render_str(statement, "period"));
    for (char *p = label; *p != '\0'; p++) {
        *p = *p == '/' ? '-' : *p; /* 2024/25-Q2 -> 2024-25-Q2 */
    }
    for (int f = RENDER_TEXT; f <= RENDER_BCF_XLSX; f <<= 1) {
        if ((formats & f) == 0) {
            continue;
        }
        char name[256], path[4096];
        snprintf(name, sizeof(name), "%s-%s-%s.%s", pool, label,
                 partner != NULL ? partner : "summary", render_extension(f));
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        render_write(f, statement, path);
        written_add(w, name);
    }
    json_decref(statement);
}

/* Create dir and any missing parents (mkdir -p). Exits 3 on failure. */
static void
make_folder(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        cli_die_env("the folder's path is too long (%s)", dir);
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char end = *p;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            cli_die_env("could not create the folder: %s (%s)", pb_errno_text(errno), path);
        }
        *p = end;
        if (end == '\0') {
            break;
        }
    }
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sign the manifest of every file written, sorted by name. */
static void
sign_manifest(const char *dir, struct written *w, const pb_seckey *key, const char *pool,
              const char *period, pb_store *store)
{
    pb_error err;
    pb_error_init(&err);
    uint64_t size = 0;
    uint8_t root[32];
    char root_b64[64], trusted[256];
    int rc = pb_store_size(store, &size, &err);
    rc = rc == PB_OK ? pb_store_root(store, size, root, &err) : rc;
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    sodium_bin2base64(root_b64, sizeof(root_b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
    /* No time in the trusted comment: a second run gives the same bytes. */
    snprintf(trusted, sizeof(trusted),
             "poolbook statements pool %s period %s tree_size %llu root %s", pool, period,
             (unsigned long long)size, root_b64);
    qsort(w->names, w->count, sizeof(*w->names), compare_names);
    if (pb_manifest_write(dir, (const char *const *)w->names, w->count, key, trusted,
                          cli_keep_paths(), &err) != PB_OK) {
        cli_fail(&err);
    }
}

int
cmd_statements(int argc, char **argv)
{
    const char *pool = NULL, *period = NULL, *dir = NULL, *key_path = NULL, *pass_file = NULL;
    const char *format_list = "all", *negatives = "minus";
    const struct cli_option options[] = {
        {CLI_STRING, 0, "pool", "POOL", &pool, "the pool (default: the config's pool)"},
        {CLI_STRING, 0, "period", "PERIOD", &period, "2024/25-Q2, 2024/25-M06 or 2024/25"},
        {CLI_STRING, 0, "out", "DIR", &dir, "the folder to write (created if missing)"},
        {CLI_STRING, 0, "negatives", "minus|brackets", &negatives,
         "negative amounts with a minus sign or in brackets"},
        {CLI_STRING, 0, "format", "LIST", &format_list, "formats, comma-separated, or all"},
        {CLI_STRING, 'k', "key-file", "HOSTKEY", &key_path, "the host's operator key"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, statements_usage, options);
    render_negatives_option(statements_usage, negatives);
    if (argi != argc) {
        cli_usage_error(statements_usage, "unexpected argument '%s'", argv[argi]);
    }
    pool = pool != NULL ? pool : cli_config("pool");
    if (pool == NULL || period == NULL || dir == NULL || key_path == NULL) {
        cli_usage_error(statements_usage, "give --pool, --period, --out and -k");
    }
    int formats = render_formats_of(format_list);
    if (formats == 0) {
        cli_usage_error(statements_usage, "unknown format in '%s'", format_list);
    }
    pb_store *store = cli_open_store(0);
    pb_error err;
    pb_error_init(&err);
    json_t *summary = NULL;
    if (pb_statement(store, pool, NULL, period, &summary, &err) != PB_OK) {
        cli_name_option(&err, "--pool");
        render_where(&err);
        cli_fail(&err); /* pool, period and activity checked before anything is written */
    }
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    const char *role =
        check_signer(store, key, render_str(json_object_get(summary, "pool"), "host"), key_path);
    ensure_checkpoint(store, key, role, key_path);
    make_folder(dir);
    struct written w = {NULL, 0};
    size_t i;
    const json_t *p;
    /* One statement per partner and the pool's own: progress counts them. */
    size_t statements = json_array_size(json_object_get(summary, "positions")) + 1;
    json_array_foreach(json_object_get(summary, "positions"), i, p)
    {
        write_statement(store, pool, render_str(p, "partner"), period, formats, dir, &w);
        if (cli_progress_wanted()) {
            cli_progress("writing statements", i + 1, statements, "statements");
        }
    }
    write_statement(store, pool, NULL, period, formats, dir, &w);
    if (cli_progress_wanted()) {
        cli_progress("writing statements", statements, statements, "statements");
    }
    sign_manifest(dir, &w, key, pool, render_str(summary, "period"), store);
    pb_seckey_free(key);
    pb_store_close(store);
    printf("%zu statement files, %s and %s.minisig written to %s\n", w.count, PB_MANIFEST_NAME,
           PB_MANIFEST_NAME, dir);
    for (size_t k = 0; k < w.count; k++) {
        free(w.names[k]);
    }
    free(w.names);
    json_decref(summary);
    return 0;
}
