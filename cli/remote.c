/*
 * remote.c — `--remote URL` (or $POOLBOOK_REMOTE): the command line against
 * a `poolbook serve` (DESIGN 9). Reads mirror the server's log into a local
 * cache ledger from its tiles: each record is admitted by the library as a
 * local append would be, and the server's checkpoint must sign the root the
 * records make (pb_checkpoint_import), so nothing read from the server is
 * believed unchecked; then the ordinary command runs on the mirror. Writes
 * (append, post) go to POST /add-entry. `verify` also keeps the last
 * checkpoint it verified beside the mirror and refuses a later log that is
 * not its extension (a client-side monitor).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *remote_option;
static const char *remote_key_option;

void
cli_set_remote(const char *url)
{
    remote_option = url;
}

void
cli_set_remote_key(const char *path)
{
    remote_key_option = path;
}

/* The config file's remote is a default like its ledger: a ledger named on
 * the command line or in the environment is a nearer choice and wins over
 * it. Decided at the first call (main, before the mirror replaces the
 * ledger's path), so the answer stays the same for the whole command. */
static const char *
remote_from_config(void)
{
    static int decided;
    static const char *url;
    if (!decided) {
        decided = 1;
        url = cli_ledger_given() ? NULL : cli_config("remote");
    }
    return url;
}

const char *
cli_remote(void)
{
    const char *env = getenv("POOLBOOK_REMOTE");
    return remote_option != NULL           ? remote_option
           : env != NULL && env[0] != '\0' ? env
                                           : remote_from_config();
}

pb_seckey *
cli_remote_key(void)
{
    const char *env = getenv("POOLBOOK_REMOTE_KEY");
    const char *path = remote_key_option != NULL       ? remote_key_option
                       : env != NULL && env[0] != '\0' ? env
                                                       : NULL;
    return path != NULL ? cli_load_seckey(path, NULL) : NULL;
}

/* The mirror's path: $POOLBOOK_REMOTE_CACHE, else the user's cache folder,
 * one ledger per server ("host_port.ledger"). */
static void
mirror_path(char *buf, size_t size)
{
    const char *explicit_path = getenv("POOLBOOK_REMOTE_CACHE");
    if (explicit_path != NULL && explicit_path[0] != '\0') {
        snprintf(buf, size, "%s", explicit_path);
        return;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char dir[2048];
    if (xdg != NULL && xdg[0] != '\0') {
        snprintf(dir, sizeof(dir), "%s/poolbook", xdg);
    } else {
        snprintf(dir, sizeof(dir), "%s/.cache/poolbook", home != NULL ? home : ".");
    }
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_die_env("cannot create %s: %s", dir, strerror(errno));
    }
    char name[512];
    snprintf(name, sizeof(name), "%s",
             cli_remote() + (strncmp(cli_remote(), "http://", 7) == 0 ? 7 : 0));
    for (char *p = name; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-')) {
            *p = '_';
        }
    }
    snprintf(buf, size, "%s/%s.ledger", dir, name);
}

/* GET path; exits with the server's line on anything but 200. */
static void
get_ok(const char *path, const pb_seckey *key, struct cli_http_response *out)
{
    cli_http("GET", path, NULL, 0, key, out);
    if (out->status != 200) {
        if (strncmp(out->body, "poolbook: error: ", 17) == 0) {
            fputs(out->body, stderr);
            exit(out->status >= 500 ? 3 : 1);
        }
        cli_die_env("GET %s%s: HTTP %d", cli_remote(), path, out->status);
    }
}

/* Append the records of one entry bundle from index first_wanted on. */
static void
take_bundle(pb_store *store, const struct cli_http_response *b, uint64_t first, unsigned width,
            uint64_t first_wanted)
{
    json_t *records[PB_TILE_WIDTH];
    size_t count = 0, at = 0;
    pb_error err;
    pb_error_init(&err);
    for (unsigned i = 0; i < width; i++) {
        if (at + 2 > b->len) {
            cli_die_env("the server's entry bundle %llu is cut short", (unsigned long long)first);
        }
        size_t len = ((size_t)(uint8_t)b->body[at] << 8) | (uint8_t)b->body[at + 1];
        if (at + 2 + len > b->len) {
            cli_die_env("the server's entry bundle %llu is cut short", (unsigned long long)first);
        }
        if (first + i >= first_wanted) {
            if (pb_json_parse(b->body + at + 2, len, PB_RECORD_BYTES_MAX, &records[count], &err) !=
                PB_OK) {
                err.index = (int64_t)(first + i);
                cli_fail(&err);
            }
            count++;
        }
        at += 2 + len;
    }
    uint64_t appended = 0, present = 0;
    int rc = pb_store_append_batch(store, records, count, &appended, &present, &err);
    for (size_t i = 0; i < count; i++) {
        json_decref(records[i]);
    }
    if (rc != PB_OK || present != 0) {
        if (rc == PB_OK) {
            pb_error_init(&err);
            snprintf(err.text, sizeof(err.text), "the server's log repeats a record");
            err.code = PB_EVERIFY;
        }
        cli_error_line("the server's log does not verify: %s (record %lld)", err.text,
                       (long long)(first_wanted + (err.index >= 0 ? (uint64_t)err.index : 0)));
        exit(1);
    }
}

/* The tree size on the note's second line. */
static uint64_t
note_size(const char *note)
{
    const char *nl = strchr(note, '\n');
    return nl != NULL ? strtoull(nl + 1, NULL, 10) : 0;
}

/* A later checkpoint must extend the last one verified: the mirror holds
 * every record, so the old root is recomputed from the new log's records. */
static void
check_last_verified(pb_store *store, const char *state_path, const char *note)
{
    char *last = NULL;
    FILE *f = fopen(state_path, "rb");
    if (f != NULL) {
        fclose(f);
        size_t len = 0;
        last = cli_read_file(state_path, 65536, 0, &len);
    }
    if (last != NULL) {
        pb_error err;
        pb_error_init(&err);
        uint64_t old = note_size(last);
        if (old > note_size(note)) {
            fprintf(stderr,
                    "poolbook: error: the server's log has %llu records, fewer than the %llu of "
                    "the checkpoint verified before (%s)\n",
                    (unsigned long long)note_size(note), (unsigned long long)old, state_path);
            exit(1);
        }
        if (pb_checkpoint_import(store, last, NULL, &err) != PB_OK) {
            fprintf(stderr,
                    "poolbook: error: the server's log is not an extension of the checkpoint "
                    "verified before: %s (%s)\n",
                    err.text, state_path);
            exit(1);
        }
    }
    free(last);
}

void
cli_remote_sync(int verify)
{
    char path[4096];
    mirror_path(path, sizeof(path));
    pb_seckey *key = cli_remote_key();
    struct cli_http_response cp = {0, NULL, 0};
    get_ok("/checkpoint", NULL, &cp);
    uint64_t size = note_size(cp.body);
    pb_error err;
    pb_error_init(&err);
    pb_store *store = NULL;
    if (pb_store_open(path, 0, &store, &err) == PB_ENOLEDGER) {
        pb_error_init(&err);
        pb_store_open(path, PB_STORE_CREATE, &store, &err);
    }
    if (store == NULL) {
        cli_fail(&err);
    }
    uint64_t have = 0;
    if (pb_store_size(store, &have, &err) != PB_OK) {
        cli_fail(&err);
    }
    for (uint64_t n = have / PB_TILE_WIDTH; n * PB_TILE_WIDTH < size; n++) {
        uint64_t left = size - n * PB_TILE_WIDTH;
        pb_tile tile = {PB_TILE_ENTRIES, n, left >= PB_TILE_WIDTH ? PB_TILE_WIDTH : (unsigned)left};
        char tpath[PB_TILE_PATH_MAX + 1] = "/";
        pb_tile_path(&tile, tpath + 1, sizeof(tpath) - 1);
        struct cli_http_response b = {0, NULL, 0};
        get_ok(tpath, key, &b);
        take_bundle(store, &b, n * PB_TILE_WIDTH, tile.width, have);
        cli_http_free(&b);
    }
    char state_path[4200];
    snprintf(state_path, sizeof(state_path), "%s.verified-checkpoint", path);
    if (verify) {
        check_last_verified(store, state_path, cp.body);
    }
    if (pb_checkpoint_import(store, cp.body, NULL, &err) != PB_OK) {
        cli_error_line("the server's checkpoint does not check: %s (%s)", err.text, cli_remote());
        exit(1);
    }
    pb_store_close(store);
    pb_seckey_free(key);
    if (verify) {
        /* Kept once the command's own verify passes: see cli_remote_verified. */
        static char keep_path[4200];
        snprintf(keep_path, sizeof(keep_path), "%s", state_path);
        cli_remote_pending_checkpoint(keep_path, cp.body);
    }
    cli_http_free(&cp);
    static char mirror[4096];
    snprintf(mirror, sizeof(mirror), "%s", path);
    cli_set_ledger_path(mirror);
}

static char *pending_note;
static const char *pending_path;

void
cli_remote_pending_checkpoint(const char *path, const char *note)
{
    pending_path = path;
    free(pending_note);
    pending_note = strdup(note);
}

static int
write_note(FILE *f, const char *tmp_path, void *ctx)
{
    (void)tmp_path;
    return fputs(ctx, f) < 0 ? -1 : 0;
}

void
cli_remote_verified(void)
{
    pb_error err;
    pb_error_init(&err);
    if (pending_note != NULL &&
        cli_write_file(pending_path, write_note, pending_note, &err) != PB_OK) {
        cli_fail(&err);
    }
    free(pending_note);
    pending_note = NULL;
}

int
cli_remote_append(json_t *record, const pb_seckey *key, int json)
{
    pb_error err;
    pb_error_init(&err);
    char *text = NULL;
    size_t len = 0;
    if (pb_json_canonical(record, &text, &len, &err) != PB_OK) {
        cli_fail(&err);
    }
    struct cli_http_response r = {0, NULL, 0};
    cli_http("POST", "/add-entry", text, len, key, &r);
    free(text);
    const char *id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    if (r.status != 200 && r.status != 409) {
        if (strncmp(r.body, "poolbook: error: ", 17) == 0) {
            fputs(r.body, stderr);
        } else {
            cli_error_line("the server answered HTTP %d (%s)", r.status, cli_remote());
        }
        int code = r.status >= 500 || r.status == 401 || r.status == 429 ? 3 : 1;
        cli_http_free(&r);
        return code;
    }
    const char *index = strstr(r.body, "\nindex ");
    unsigned long long at = index != NULL ? strtoull(index + 7, NULL, 10) : 0;
    if (json) {
        printf("{\"index\":%llu,\"id\":\"%s\",\"present\":%s}\n", at, id,
               r.status == 409 ? "true" : "false");
    } else {
        printf("%s %llu %s\n", r.status == 409 ? "already present at index" : "appended at index",
               at, id);
    }
    cli_http_free(&r);
    return 0;
}

/* Print a refusal from the server as the command line prints its own;
 * returns the exit code. */
static int
refused(const struct cli_http_response *r)
{
    if (strncmp(r->body, "poolbook: error: ", 17) == 0) {
        fputs(r->body, stderr);
    } else {
        cli_error_line("the server answered HTTP %d (%s)", r->status, cli_remote());
    }
    return r->status >= 500 || r->status == 401 || r->status == 429 ? 3 : 1;
}

/* 202: the draft waits; say for whom. 200: appended; say where. */
static int
report_draft(const struct cli_http_response *r, const char *id)
{
    if (r->status == 200 || r->status == 409) {
        const char *index = strstr(r->body, "\nindex ");
        printf("%s %llu %s\n", r->status == 409 ? "already present at index" : "appended at index",
               index != NULL ? strtoull(index + 7, NULL, 10) : 0ULL, id);
        return 0;
    }
    if (r->status != 202) {
        return refused(r);
    }
    json_t *summary = json_loads(r->body, 0, NULL);
    printf("draft %s is on the server (%zu signature%s); it still needs: %s\n", id,
           json_array_size(json_object_get(summary, "signed_by")),
           json_array_size(json_object_get(summary, "signed_by")) == 1 ? "" : "s",
           json_string_value(json_object_get(summary, "needs")));
    json_decref(summary);
    return 0;
}

int
cli_remote_new_draft(json_t *record)
{
    pb_error err;
    pb_error_init(&err);
    char *text = NULL;
    size_t len = 0;
    if (pb_json_canonical(record, &text, &len, &err) != PB_OK) {
        cli_fail(&err);
    }
    pb_seckey *key = cli_remote_key();
    struct cli_http_response r = {0, NULL, 0};
    cli_http("POST", "/drafts", text, len, key, &r);
    pb_seckey_free(key);
    free(text);
    int code = report_draft(
        &r, json_string_value(json_object_get(json_object_get(record, "entry"), "id")));
    cli_http_free(&r);
    return code;
}

int
cli_remote_sign_draft(const char *id, const pb_seckey *key)
{
    pb_error err;
    pb_error_init(&err);
    char path[PB_ID_BYTES_MAX + 32];
    snprintf(path, sizeof(path), "/drafts/%s", id);
    pb_seckey *request_key = cli_remote_key();
    const pb_seckey *rk = request_key != NULL ? request_key : key;
    struct cli_http_response r = {0, NULL, 0};
    cli_http("GET", path, NULL, 0, rk, &r);
    json_t *record = NULL;
    int code = r.status == 200 ? 0 : refused(&r);
    if (code == 0 && (pb_json_parse(r.body, r.len, PB_RECORD_BYTES_MAX, &record, &err) != PB_OK ||
                      pb_record_sign(record, key, &err) != PB_OK)) {
        code = cli_report(&err);
    }
    cli_http_free(&r);
    pb_pubkey pub;
    char keyid[PB_KEYID_TEXT_MAX];
    pb_seckey_public(key, &pub);
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    json_t *mine = NULL;
    json_t *s = NULL;
    size_t i = 0;
    json_array_foreach(json_object_get(record, "sigs"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "key")), keyid) == 0) {
            mine = s;
        }
    }
    char *text = mine != NULL ? json_dumps(mine, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (code == 0 && text != NULL) {
        snprintf(path, sizeof(path), "/drafts/%s/signatures", id);
        cli_http("POST", path, text, strlen(text), rk, &r);
        code = report_draft(&r, id);
        cli_http_free(&r);
    }
    free(text);
    json_decref(record);
    pb_seckey_free(request_key);
    return code;
}
