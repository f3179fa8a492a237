/*
 * witness_client.c — the host's side of C2SP tlog-witness (DESIGN 9): send a
 * stored checkpoint to a witness with a consistency proof from the size the
 * witness last cosigned, and keep each cosignature/v1 line it returns beside
 * the checkpoint, once it is checked against an auditor key bound in the
 * ledger. The first request claims old size 0; a witness that holds another
 * size answers 409 with it, and the request is made once more with the proof
 * from that size (tlog-witness: "a client ... MAY initially make a request
 * with a old size of zero to obtain it").
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>

/* What a status of the witness means, as a code (tlog-witness add-checkpoint). */
static int
status_code(int status)
{
    switch (status) {
    case 400:
        return PB_ENOTE;
    case 403:
        return PB_ESIG_INVALID;
    case 404:
        return PB_ENOTFOUND;
    case 409:
        return PB_ECONFLICT;
    case 422:
        return PB_EPROOF;
    default:
        return PB_ENET;
    }
}

/* "old N\n", the proof lines, "\n", then the note. */
static char *
request_body(uint64_t old_size, const pb_proof *proof, const char *note, size_t *len_out)
{
    size_t cap = 32 + (proof != NULL ? proof->count * 46 : 0) + strlen(note) + 1;
    char *body = malloc(cap);
    if (body == NULL) {
        return NULL;
    }
    size_t used = (size_t)snprintf(body, cap, "old %llu\n", (unsigned long long)old_size);
    for (size_t i = 0; proof != NULL && i < proof->count; i++) {
        char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), proof->hashes[i], 32, sodium_base64_VARIANT_ORIGINAL);
        used += (size_t)snprintf(body + used, cap - used, "%s\n", b64);
    }
    used += (size_t)snprintf(body + used, cap - used, "\n%s", note);
    *len_out = used;
    return body;
}

static int
post_checkpoint(pb_store *store, const char *url, const char *note, uint64_t old_size,
                uint64_t tree_size, pb_http_response *resp, pb_error *err)
{
    pb_proof *proof = NULL;
    int rc = PB_OK;
    if (old_size > 0) {
        proof = calloc(1, sizeof(*proof));
        rc = proof != NULL ? pb_proof_consistency(store, old_size, tree_size, proof, err)
                           : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    size_t len = 0;
    char *body = rc == PB_OK ? request_body(old_size, proof, note, &len) : NULL;
    if (rc == PB_OK && body == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_http_request("POST", url, "/add-checkpoint", body, len, resp, err);
    }
    free(body);
    free(proof);
    return rc;
}

/* The size in a 409 answer: "text/x.tlog.size", a decimal and a newline. */
static int
conflict_size(const pb_http_response *resp, const char *url, uint64_t *size_out, pb_error *err)
{
    char *end = NULL;
    unsigned long long v = strtoull(resp->body, &end, 10);
    if (strcmp(resp->content_type, "text/x.tlog.size") != 0 || end == resp->body ||
        strcmp(end, "\n") != 0) {
        return pb_error_set(err, PB_ENET, url,
                            "the witness answered 409 without its size (text/x.tlog.size)");
    }
    *size_out = v;
    return PB_OK;
}

struct key_search {
    const char *body;
    const char *line;
    const char *name;
    char keyid[PB_KEYID_TEXT_MAX];
};

/* Visitor over "key:" state: the auditor key whose cosignature verifies. */
static int
try_auditor_key(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
                pb_error *err)
{
    struct key_search *s = ctx;
    json_t *bound = NULL;
    int rc = pb_json_parse_stored(value, value_len, &bound, err);
    if (rc != PB_OK) {
        return rc; /* out of memory: not "no auditor key verifies" */
    }
    const char *role = json_string_value(json_object_get(bound, "role"));
    const char *pubkey = json_string_value(json_object_get(bound, "pubkey"));
    pb_pubkey pub;
    if (s->keyid[0] == '\0' && role != NULL && strcmp(role, "auditor") == 0 && pubkey != NULL &&
        key_len == 4 + 16 && pb_pubkey_parse(pubkey, &pub, NULL) == PB_OK &&
        pb_cosig_check_line(s->body, s->line, s->name, &pub, NULL, NULL) == PB_OK) {
        snprintf(s->keyid, sizeof(s->keyid), "%.16s", key + 4);
    }
    json_decref(bound);
    return PB_OK;
}

int
pb_cosig_find_key(const pb_state *state, const char *body, const char *line, char *name,
                  size_t name_size, char keyid[PB_KEYID_TEXT_MAX], pb_error *err)
{
    int rc = pb_note_line_name(line, name, name_size, err);
    struct key_search s = {body, line, name, ""};
    if (rc == PB_OK && pb_note_line_kind(line) != 2) {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the line by \"%s\" is not a cosignature/v1", name);
    }
    if (rc == PB_OK) {
        rc = pb_state_each(state, "key:", try_auditor_key, &s, err);
    }
    if (rc == PB_OK && s.keyid[0] == '\0') {
        rc = pb_error_set(err, PB_EKEY_UNKNOWN, NULL,
                          "the cosignature by \"%s\" verifies with no auditor key bound in the "
                          "ledger",
                          name);
    }
    if (rc == PB_OK) {
        memcpy(keyid, s.keyid, PB_KEYID_TEXT_MAX);
    }
    return rc;
}

/* Check each returned line against the bound auditor keys and store it. */
static int
keep_cosignatures(pb_store *store, uint64_t tree_size, const char *body, const char *lines,
                  pb_witness_outcome *out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    pb_checkpoint_line keep[PB_WITNESS_LINES_MAX];
    size_t count = 0;
    pb_error first;
    pb_error_init(&first);
    for (const char *p = lines; rc == PB_OK && *p != '\0' && count < PB_WITNESS_LINES_MAX;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        char line[1024];
        char name[256];
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        p += len;
        pb_checkpoint_line *k = &keep[count];
        if (len < sizeof(line) &&
            pb_cosig_find_key(&state, body, line, name, sizeof(name), k->keyid, &first) == PB_OK) {
            k->tree_size = tree_size;
            k->cosign = 2;
            k->line = strdup(line);
            rc = k->line != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            count += rc == PB_OK;
            snprintf(out->name, sizeof(out->name), "%s", name);
            memcpy(out->keyid, k->keyid, sizeof(out->keyid));
        }
    }
    pb_snapshot_close(&snap);
    if (rc == PB_OK && count == 0) {
        rc = pb_error_set(err, first.code != PB_OK ? first.code : PB_ENOTE, NULL,
                          "the witness returned no cosignature by an auditor key of this "
                          "ledger%s%s",
                          first.code != PB_OK ? ": " : "", first.text);
    }
    for (size_t i = 0; i < count; i++) {
        if (rc == PB_OK) {
            rc = pb_store_checkpoint_add(store, &keep[i], err);
        }
        free(keep[i].line);
    }
    return rc;
}

/* A refusal, in the witness's own words (its body's first line). */
static int
refused(const pb_http_response *resp, const char *url, uint64_t tree_size, pb_error *err)
{
    int len = (int)strcspn(resp->body, "\n");
    if (resp->status == 409) { /* after the proof from its size: its root differs */
        return pb_error_set(err, PB_ECONFLICT, url,
                            "the witness refused the checkpoint of size %llu: 409, it has "
                            "cosigned another tree of size %.*s: a fork",
                            (unsigned long long)tree_size, len > 20 ? 20 : len, resp->body);
    }
    return pb_error_set(err, status_code(resp->status), url,
                        "the witness refused the checkpoint of size %llu: %d %.*s",
                        (unsigned long long)tree_size, resp->status, len > 200 ? 200 : len,
                        resp->body);
}

int
pb_checkpoint_witness(pb_store *store, uint64_t tree_size, const char *url, pb_witness_outcome *out,
                      pb_error *err)
{
    PB_ASSERT(store != NULL && url != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    char *note = NULL;
    int rc = pb_checkpoint_get(store, tree_size, &note, err);
    pb_note parsed;
    memset(&parsed, 0, sizeof(parsed));
    if (rc == PB_OK) {
        rc = pb_note_parse(note, &parsed, err);
    }
    pb_http_response resp;
    memset(&resp, 0, sizeof(resp));
    if (rc == PB_OK) {
        out->tree_size = parsed.tree_size;
        rc = post_checkpoint(store, url, note, 0, parsed.tree_size, &resp, err);
        out->requests = 1;
    }
    if (rc == PB_OK && resp.status == 409) {
        uint64_t held = 0;
        rc = conflict_size(&resp, url, &held, err);
        if (rc == PB_OK && held > parsed.tree_size) {
            rc = pb_error_set(err, PB_ECONFLICT, url,
                              "the witness has cosigned size %llu of %s, beyond this ledger's "
                              "%llu: this copy is behind it (rolled back, or another history)",
                              (unsigned long long)held, parsed.origin,
                              (unsigned long long)parsed.tree_size);
        }
        pb_http_response_free(&resp);
        if (rc == PB_OK) {
            out->old_size = held;
            out->requests = 2;
            rc = post_checkpoint(store, url, note, held, parsed.tree_size, &resp, err);
        }
    }
    if (rc == PB_OK && resp.status != 200) {
        rc = refused(&resp, url, parsed.tree_size, err);
    }
    if (rc == PB_OK) {
        char body[1024];
        snprintf(body, sizeof(body), "%.*s", (int)(strstr(note, "\n\n") - note) + 1, note);
        rc = keep_cosignatures(store, parsed.tree_size, body, resp.body, out, err);
    }
    if (rc != PB_OK && err != NULL && err->where[0] == '\0') {
        snprintf(err->where, sizeof(err->where), "%s", url);
    }
    pb_http_response_free(&resp);
    pb_note_free(&parsed);
    free(note);
    return rc;
}

/* The witnesses of the stored lines of tree_size, each verified. */
static int
collect_cosigners(const pb_snapshot *snap, const pb_state *state, uint64_t tree_size,
                  const char *body, pb_wpolicy_cosigner *out, size_t *count_out, pb_error *err)
{
    pb_checkpoint_line *lines = NULL;
    size_t count = 0;
    size_t n = 0;
    int rc = pb_snapshot_checkpoint_lines(snap, &lines, &count, err);
    for (size_t i = 0; rc == PB_OK && i < count && n < PB_NOTE_LINES_MAX; i++) {
        char keyid[PB_KEYID_TEXT_MAX];
        char skey[PB_KEYID_TEXT_MAX + 8];
        json_t *bound = NULL;
        if (lines[i].tree_size != tree_size || lines[i].cosign != 2 ||
            pb_cosig_find_key(state, body, lines[i].line, out[n].name, sizeof(out[n].name), keyid,
                              NULL) != PB_OK) {
            continue;
        }
        snprintf(skey, sizeof(skey), "key:%s", keyid);
        if (pb_state_get(state, skey, &bound, NULL) == PB_OK &&
            pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &out[n].key,
                            NULL) == PB_OK) {
            n++;
        }
        json_decref(bound);
    }
    pb_checkpoint_lines_free(lines, count);
    *count_out = n;
    return rc;
}

int
pb_checkpoint_final(pb_store *store, uint64_t tree_size, int *final_out, size_t *cosigned_out,
                    pb_error *err)
{
    PB_ASSERT(store != NULL && final_out != NULL && cosigned_out != NULL);
    char *note = NULL;
    int rc = pb_checkpoint_get(store, tree_size, &note, err);
    pb_snapshot snap;
    int snap_open = 0;
    if (rc == PB_OK) {
        rc = pb_snapshot_open(store, &snap, err);
        snap_open = rc == PB_OK;
    }
    pb_state state;
    json_t *held = NULL;
    if (rc == PB_OK) {
        pb_snapshot_state(&snap, &state);
        rc = pb_state_get(&state, PB_WPOLICY_STATE_KEY, &held, err);
        if (rc == PB_ENOTFOUND) {
            rc = pb_error_set(err, PB_ENOTFOUND, NULL, "the ledger has no witness.policy entry");
        }
    }
    pb_wpolicy *pol = rc == PB_OK ? calloc(1, sizeof(*pol)) : NULL;
    pb_wpolicy_cosigner *cos = rc == PB_OK ? calloc(PB_NOTE_LINES_MAX, sizeof(*cos)) : NULL;
    if (rc == PB_OK && (pol == NULL || cos == NULL)) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_wpolicy_parse_lines(json_object_get(held, "policy"), pol, err);
    }
    size_t n = 0;
    if (rc == PB_OK) {
        char body[1024];
        snprintf(body, sizeof(body), "%.*s", (int)(strstr(note, "\n\n") - note) + 1, note);
        uint64_t size = strtoull(strchr(note, '\n') + 1, NULL, 10);
        rc = collect_cosigners(&snap, &state, size, body, cos, &n, err);
    }
    if (rc == PB_OK) {
        *final_out = pb_wpolicy_met(pol, cos, n);
        *cosigned_out = n;
    }
    free(cos);
    free(pol);
    json_decref(held);
    if (snap_open) {
        pb_snapshot_close(&snap);
    }
    free(note);
    return rc;
}

int
pb_witness_policy_urls(pb_store *store, char (*urls)[PB_WITNESS_URL_MAX], size_t max,
                       size_t *count_out, pb_error *err)
{
    PB_ASSERT(store != NULL && urls != NULL && count_out != NULL);
    *count_out = 0;
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    json_t *held = NULL;
    rc = pb_state_get(&state, PB_WPOLICY_STATE_KEY, &held, err);
    if (rc == PB_ENOTFOUND) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL,
                          "the ledger has no witness.policy entry naming witnesses");
    }
    pb_wpolicy *pol = rc == PB_OK ? calloc(1, sizeof(*pol)) : NULL;
    if (rc == PB_OK && pol == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_wpolicy_parse_lines(json_object_get(held, "policy"), pol, err);
    }
    for (size_t i = 0; rc == PB_OK && i < pol->name_count; i++) {
        const pb_wpolicy_name *n = &pol->names[i];
        if (n->is_group || n->url[0] == '\0') {
            continue;
        }
        if (*count_out == max) {
            rc = pb_error_set(err, PB_ETOOBIG, NULL, "the policy names over %zu witness URLs", max);
        } else {
            snprintf(urls[(*count_out)++], PB_WITNESS_URL_MAX, "%s", n->url);
        }
    }
    if (rc == PB_OK && *count_out == 0) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL, "the witness policy gives no witness URL");
    }
    free(pol);
    json_decref(held);
    pb_snapshot_close(&snap);
    return rc;
}
