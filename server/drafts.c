/*
 * drafts.c — drafts held for co-signing (DESIGN 9): POST /drafts, GET
 * /drafts, GET /drafts/<id>, POST /drafts/<id>/signatures. A draft is a
 * record still missing signatures; it lives outside the log, as a file
 * <ledger>.drafts/<id>.json, so it survives a restart and never touches the
 * records. Whether it is complete is asked of the library
 * (pb_store_check: PB_ESIG_MISSING means it waits), and it is appended by
 * pb_store_append the moment it is, as `append` would.
 */
#include "server/internal.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DRAFTS_MAX 1000 /* pending drafts listed */

/* One writer of the drafts folder at a time (this process). */
static pthread_mutex_t drafts_lock = PTHREAD_MUTEX_INITIALIZER;

static void
draft_path(const pb_server_config *cfg, const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s.json", cfg->drafts_dir, id);
}

static const char *
entry_id(const json_t *record)
{
    return json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
}

static int
load_draft(const pb_server_config *cfg, const char *id, json_t **out, pb_error *err)
{
    char path[4096];
    draft_path(cfg, id, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        srv_error(err, PB_ENOTFOUND, "no draft %s is pending", id);
        return PB_ENOTFOUND;
    }
    char *buf = malloc(PB_RECORD_BYTES_MAX + 1);
    size_t len = buf != NULL ? fread(buf, 1, PB_RECORD_BYTES_MAX + 1, f) : 0;
    fclose(f);
    int rc = buf == NULL ? PB_ENOMEM : pb_json_parse(buf, len, PB_RECORD_BYTES_MAX, out, err);
    free(buf);
    return rc;
}

static int
save_draft(const pb_server_config *cfg, const json_t *record, pb_error *err)
{
    char path[4096];
    draft_path(cfg, entry_id(record), path, sizeof(path));
    char *text = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(record, &text, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_error local;
    pb_error_init(&local);
    if (mkdir(cfg->drafts_dir, 0700) != 0 && errno != EEXIST) {
        srv_error(err, PB_EIO, "cannot write the draft %s: %s", path, pb_errno_text(errno));
        rc = PB_EIO;
    } else if (pb_file_write_bytes(path, NULL, text, len, &local) != PB_OK) {
        srv_error(err, PB_EIO, "cannot write the draft %s: %s", path, local.text);
        rc = PB_EIO;
    }
    free(text);
    return rc;
}

/* A signature {key, sig} over record's entry: the key bound and not revoked,
 * the bytes verify. */
static int
check_signature(pb_store *store, const json_t *record, const json_t *sig, pb_error *err)
{
    const char *keyid = json_string_value(json_object_get(sig, "key"));
    const char *b64 = json_string_value(json_object_get(sig, "sig"));
    json_t *bound = NULL;
    pb_pubkey pub;
    uint8_t bytes[64];
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    if (keyid == NULL || b64 == NULL ||
        pb_base64_decode_strict(b64, strlen(b64), bytes, sizeof(bytes)) != 0) {
        srv_error(err, PB_ESIG_FORMAT,
                  "a signature is {\"key\": KEYID, \"sig\": base64 of 64 bytes}");
        return PB_ESIG_FORMAT;
    }
    int rc = pb_store_key(store, keyid, &bound, err);
    if (rc == PB_EKEY_UNKNOWN) {
        /* A key the entry itself brings (a partner admitted signs its own
         * admission): only its bytes are checked here; whether it may sign is
         * the library's admission, asked in settle(). */
        json_t *k = NULL;
        size_t i = 0;
        json_array_foreach(json_object_get(json_object_get(record, "entry"), "keys"), i, k)
        {
            const char *id = json_string_value(json_object_get(k, "key"));
            if (id != NULL && strcmp(id, keyid) == 0) {
                json_decref(bound);
                bound = json_deep_copy(k);
                rc = PB_OK;
                pb_error_init(err);
            }
        }
    }
    const char *revoked = json_string_value(json_object_get(bound, "revoked_from"));
    if (rc == PB_OK) {
        rc = pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &pub, err);
    }
    if (rc == PB_OK && revoked != NULL) {
        srv_error(err, PB_EKEY_REVOKED, "key %s is revoked from %s", keyid, revoked);
        rc = PB_EKEY_REVOKED;
    }
    if (rc == PB_OK) {
        rc = pb_entry_message(json_object_get(record, "entry"), &msg, &msg_len, err);
    }
    if (rc == PB_OK && crypto_sign_verify_detached(bytes, msg, msg_len, pub.key) != 0) {
        srv_error(err, PB_ESIG_INVALID, "signature by key %s does not verify", keyid);
        rc = PB_ESIG_INVALID;
    }
    free(msg);
    json_decref(bound);
    return rc;
}

/* {"id", "type", "signed_by": [KEYID...], "needs": what admission still
 * misses}. */
static json_t *
summary(pb_store *store, json_t *record)
{
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_check(store, record, NULL, &err);
    json_t *keys = json_array();
    json_t *sig = NULL;
    size_t i = 0;
    json_array_foreach(json_object_get(record, "sigs"), i, sig)
    {
        json_array_append(keys, json_object_get(sig, "key"));
    }
    return json_pack("{s:s, s:O, s:o, s:s}", "id", entry_id(record), "type",
                     json_object_get(json_object_get(record, "entry"), "type"), "signed_by", keys,
                     "needs", rc == PB_OK ? "" : err.text);
}

static enum MHD_Result
answer_json(struct MHD_Connection *c, struct srv_request *r, unsigned status, json_t *value)
{
    char *text = value != NULL ? json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(value);
    if (text == NULL) {
        return MHD_NO;
    }
    size_t len = strlen(text);
    enum MHD_Result ok = srv_answer(c, r, status, "application/json", "no-store", text, len);
    free(text);
    return ok;
}

/* The draft is complete when pb_store_check admits it: append and answer
 * the proof. PB_ESIG_MISSING: keep it, 202. Anything else: refused. */
static enum MHD_Result
settle(struct MHD_Connection *c, struct srv_request *r, json_t *record, int existed)
{
    const pb_server_config *cfg = r->config;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_check(cfg->store, record, NULL, &err);
    if (rc == PB_ESIG_MISSING) {
        pb_error_init(&err);
        rc = save_draft(cfg, record, &err);
        return rc == PB_OK ? answer_json(c, r, 202, summary(cfg->store, record))
                           : srv_answer_error(c, r, 500, &err, NULL);
    }
    if (rc != PB_OK) {
        return srv_answer_error(c, r, srv_status_of(rc), &err, "draft");
    }
    char path[4096];
    draft_path(cfg, entry_id(record), path, sizeof(path));
    enum MHD_Result ok = srv_append_and_answer(c, r, record);
    if (existed && r->status < 300) {
        unlink(path); /* appended: no longer a draft */
    }
    return ok;
}

enum MHD_Result
srv_post_draft(struct MHD_Connection *c, struct srv_request *r)
{
    pb_error err;
    pb_error_init(&err);
    json_t *record = NULL;
    json_t *pending = NULL;
    json_t *sig = NULL;
    size_t i = 0;
    int rc = pb_json_parse(r->body != NULL ? r->body : "", r->body_len, PB_RECORD_BYTES_MAX,
                           &record, &err);
    if (rc == PB_OK) {
        rc = pb_record_check_form(record, &err);
    }
    json_array_foreach(json_object_get(record, "sigs"), i, sig)
    {
        rc = rc == PB_OK ? check_signature(r->config->store, record, sig, &err) : rc;
    }
    if (rc != PB_OK) {
        json_decref(record);
        return srv_answer_error(c, r, srv_status_of(rc), &err, "request body");
    }
    pthread_mutex_lock(&drafts_lock);
    enum MHD_Result ok;
    if (load_draft(r->config, entry_id(record), &pending, NULL) == PB_OK) {
        srv_error(&err, PB_EID_EXISTS_DIFFERENT, "a draft %s is pending already", entry_id(record));
        ok = srv_answer_error(c, r, 409, &err, NULL);
    } else {
        ok = settle(c, r, record, 0);
    }
    pthread_mutex_unlock(&drafts_lock);
    json_decref(pending);
    json_decref(record);
    return ok;
}

enum MHD_Result
srv_post_draft_signature(struct MHD_Connection *c, struct srv_request *r, const char *id)
{
    pb_error err;
    pb_error_init(&err);
    json_t *sig = NULL;
    json_t *record = NULL;
    int rc =
        pb_json_parse(r->body != NULL ? r->body : "", r->body_len, PB_RECORD_BYTES_MAX, &sig, &err);
    pthread_mutex_lock(&drafts_lock);
    if (rc == PB_OK) {
        rc = load_draft(r->config, id, &record, &err);
    }
    if (rc == PB_OK) {
        rc = check_signature(r->config->store, record, sig, &err);
    }
    if (rc == PB_OK) {
        /* Replace this key's signature, or add it; the form check sorts. */
        json_t *sigs = json_object_get(record, "sigs");
        json_t *s = NULL;
        size_t i = 0;
        const char *key = json_string_value(json_object_get(sig, "key"));
        json_array_foreach(sigs, i, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "key")), key) == 0) {
                json_array_remove(sigs, i);
                break;
            }
        }
        json_array_append_new(sigs, json_pack("{s:O, s:O}", "key", json_object_get(sig, "key"),
                                              "sig", json_object_get(sig, "sig")));
        rc = pb_record_check_form(record, &err);
    }
    enum MHD_Result ok = rc == PB_OK
                             ? settle(c, r, record, 1)
                             : srv_answer_error(c, r, srv_status_of(rc), &err, "request body");
    pthread_mutex_unlock(&drafts_lock);
    json_decref(record);
    json_decref(sig);
    return ok;
}

enum MHD_Result
srv_get_draft(struct MHD_Connection *c, struct srv_request *r, const char *id)
{
    pb_error err;
    pb_error_init(&err);
    json_t *record = NULL;
    int rc = load_draft(r->config, id, &record, &err);
    if (rc != PB_OK) {
        return srv_answer_error(c, r, srv_status_of(rc), &err, NULL);
    }
    return answer_json(c, r, 200, record);
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum MHD_Result
srv_get_drafts(struct MHD_Connection *c, struct srv_request *r)
{
    json_t *list = json_array();
    char *names[DRAFTS_MAX];
    size_t count = 0;
    pthread_mutex_lock(&drafts_lock);
    DIR *d = opendir(r->config->drafts_dir);
    struct dirent *e = NULL;
    while (d != NULL && count < DRAFTS_MAX && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
            names[count] = strndup(e->d_name, l - 5);
            count += names[count] != NULL;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    qsort(names, count, sizeof(names[0]), by_name);
    for (size_t i = 0; i < count; i++) {
        json_t *record = NULL;
        if (load_draft(r->config, names[i], &record, NULL) == PB_OK) {
            json_array_append_new(list, summary(r->config->store, record));
        }
        json_decref(record);
        free(names[i]);
    }
    pthread_mutex_unlock(&drafts_lock);
    return answer_json(c, r, 200, list);
}
