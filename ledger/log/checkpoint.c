/*
 * checkpoint.c — the only code that knows the C2SP signed-note format of
 * checkpoints (DESIGN 4): the body "<origin>\n<size>\n<base64 root>\n", a
 * blank line, then one line per signature "— <name> <base64(key hash ||
 * Ed25519 signature)>", where the key hash is the first 4 bytes of
 * SHA-256(name || "\n" || 0x01 || public key), as golang.org/x/mod/sumdb/note
 * opens it. The operator signs under the ledger's origin; an auditor cosigns
 * under "<origin>/<partner>/<KEYID>". A partner's witness adds C2SP
 * tlog-cosignature cosignature/v1 lines (key hash over 0x04, a timestamp in
 * the signature), whose bytes are also defined here.
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>

#define NOTE_DASH "\xe2\x80\x94" /* U+2014 EM DASH */
#define NOTE_BODY_MAX 512
#define NOTE_NAME_MAX 256
#define NOTE_ED25519 0x01

void
pb_note_body(const char *origin, uint64_t tree_size, const uint8_t root[32], char *buf, size_t size)
{
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
    snprintf(buf, size, "%s\n%llu\n%s\n", origin, (unsigned long long)tree_size, b64);
}

void
pb_note_name(const char *origin, const char *partner, const char *role, const char *keyid,
             char *buf, size_t size)
{
    if (strcmp(role, "operator") == 0) {
        snprintf(buf, size, "%s", origin);
    } else {
        snprintf(buf, size, "%s/%s/%s", origin, partner, keyid);
    }
}

static void
key_hash_alg(const char *name, uint8_t alg, const pb_pubkey *key, uint8_t out[4])
{
    crypto_hash_sha256_state st;
    uint8_t digest[32];
    const uint8_t nl_alg[2] = {'\n', alg};
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, nl_alg, 2);
    crypto_hash_sha256_update(&st, key->key, 32);
    crypto_hash_sha256_final(&st, digest);
    memcpy(out, digest, 4);
}

/* The key hash of a note signer (algorithm 0x01, C2SP signed-note). */
static void
key_hash(const char *name, const pb_pubkey *key, uint8_t out[4])
{
    key_hash_alg(name, NOTE_ED25519, key, out);
}

/* "<name>+<8 hex key hash>+<base64(alg || key)>", the verifier key text of
 * signed-note (alg 0x01) and of tlog-cosignature (alg 0x04), a new malloc'd
 * string. */
static int
verifier_text(const char *name, uint8_t alg, const pb_pubkey *key, char **out, pb_error *err)
{
    uint8_t hash[4];
    key_hash_alg(name, alg, key, hash);
    uint8_t raw[33];
    raw[0] = alg;
    memcpy(raw + 1, key->key, 32);
    char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
    size_t len = strlen(name) + 1 + 8 + 1 + strlen(b64) + 1;
    char *s = malloc(len);
    if (s == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    snprintf(s, len, "%s+%02x%02x%02x%02x+%s", name, hash[0], hash[1], hash[2], hash[3], b64);
    *out = s;
    return PB_OK;
}

int
pb_note_verifier(const char *name, const pb_pubkey *key, char **out, pb_error *err)
{
    return verifier_text(name, NOTE_ED25519, key, out, err);
}

static char *
make_line(const char *body, const char *name, const pb_seckey *key, pb_error *err)
{
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    uint8_t blob[4 + 64];
    key_hash(name, &pub, blob);
    if (pb_seckey_sign(key, (const uint8_t *)body, strlen(body), blob + 4, err) != PB_OK) {
        return NULL;
    }
    char b64[sodium_base64_ENCODED_LEN(68, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
    size_t len = strlen(NOTE_DASH) + 1 + strlen(name) + 1 + strlen(b64) + 2;
    char *line = malloc(len);
    if (line == NULL) {
        pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    snprintf(line, len, NOTE_DASH " %s %s\n", name, b64);
    return line;
}

int
pb_note_check_line(const char *body, const char *line, const char *name, const pb_pubkey *key,
                   pb_error *err)
{
    char prefix[NOTE_NAME_MAX + 8];
    snprintf(prefix, sizeof(prefix), NOTE_DASH " %s ", name);
    size_t plen = strlen(prefix);
    size_t len = strlen(line);
    if (len <= plen + 1 || strncmp(line, prefix, plen) != 0 || line[len - 1] != '\n') {
        return pb_error_set(err, PB_ENOTE, NULL, "signature line is not by \"%s\"", name);
    }
    uint8_t blob[4 + 64];
    if (pb_base64_decode_strict(line + plen, len - plen - 1, blob, sizeof(blob)) != 0) {
        return pb_error_set(err, PB_ENOTE, NULL, "signature of \"%s\" is not base64 of 68 bytes",
                            name);
    }
    uint8_t want[4];
    key_hash(name, key, want);
    if (memcmp(want, blob, 4) != 0) {
        return pb_error_set(err, PB_ENOTE, NULL, "signature of \"%s\" names another key", name);
    }
    if (crypto_sign_verify_detached(blob + 4, (const uint8_t *)body, strlen(body), key->key) != 0) {
        return pb_error_set(err, PB_ENOTE, NULL, "signature of \"%s\" does not verify", name);
    }
    return PB_OK;
}

/* One line of a note's text, without its '\n', into buf. *pos moves past
 * it. PB_ENOTE when the text ends without a '\n' or the line is too long. */
static int
note_next_line(const char *text, size_t *pos, char *buf, size_t size, pb_error *err)
{
    const char *start = text + *pos;
    const char *nl = strchr(start, '\n');
    if (nl == NULL) {
        return pb_error_set(err, PB_ENOTE, NULL, "the note ends in the middle of a line");
    }
    size_t len = (size_t)(nl - start);
    if (len >= size) {
        return pb_error_set(err, PB_ENOTE, NULL, "a line of the note is over %zu bytes", size - 1);
    }
    memcpy(buf, start, len);
    buf[len] = '\0';
    *pos += len + 1;
    return PB_OK;
}

/* The body: origin, tree size (decimal, no leading zero), base64 root. */
static int
note_parse_body(const char *text, size_t *pos, pb_note *out, pb_error *err)
{
    char line[NOTE_BODY_MAX];
    int rc = note_next_line(text, pos, out->origin, sizeof(out->origin), err);
    if (rc == PB_OK && out->origin[0] == '\0') {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the note has no origin line");
    }
    if (rc == PB_OK) {
        rc = note_next_line(text, pos, line, sizeof(line), err);
    }
    char *end = NULL;
    if (rc == PB_OK) {
        out->tree_size = strtoull(line, &end, 10);
        if (line[0] < '1' || line[0] > '9' || *end != '\0' || strlen(line) > 19) {
            rc = pb_error_set(err, PB_ENOTE, NULL, "the note's tree size \"%.40s\" is not a number",
                              line);
        }
    }
    if (rc == PB_OK) {
        rc = note_next_line(text, pos, line, sizeof(line), err);
    }
    if (rc == PB_OK && pb_base64_decode_strict(line, strlen(line), out->root, 32) != 0) {
        rc = pb_error_set(err, PB_ENOTE, NULL,
                          "the note's root \"%.60s\" is not base64 of 32 bytes", line);
    }
    if (rc == PB_OK && text[*pos] != '\n') {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the note's body is not followed by a blank line");
    }
    *pos += 1;
    return rc;
}

int
pb_note_parse(const char *text, pb_note *out, pb_error *err)
{
    PB_ASSERT(text != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    size_t pos = 0;
    int rc = note_parse_body(text, &pos, out, err);
    while (rc == PB_OK && text[pos] != '\0') {
        char line[NOTE_BODY_MAX + NOTE_NAME_MAX];
        rc = note_next_line(text, &pos, line, sizeof(line), err);
        const char *name = line + strlen(NOTE_DASH " ");
        const char *space = rc == PB_OK ? strrchr(line, ' ') : NULL;
        if (rc == PB_OK && (strncmp(line, NOTE_DASH " ", strlen(NOTE_DASH " ")) != 0 ||
                            space == NULL || space <= name || space - name >= NOTE_NAME_MAX)) {
            rc = pb_error_set(err, PB_ENOTE, NULL,
                              "signature line %zu is not \"" NOTE_DASH " <name> <signature>\"",
                              out->line_count + 1);
        }
        if (rc == PB_OK && out->line_count == PB_NOTE_LINES_MAX) {
            rc = pb_error_set(err, PB_ETOOBIG, NULL, "the note has over %d signature lines",
                              PB_NOTE_LINES_MAX);
        }
        if (rc == PB_OK) {
            size_t i = out->line_count;
            out->lines[i] = malloc(strlen(line) + 2);
            out->names[i] = malloc((size_t)(space - name) + 1);
            out->line_count++;
            if (out->lines[i] == NULL || out->names[i] == NULL) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            } else {
                snprintf(out->lines[i], strlen(line) + 2, "%s\n", line);
                snprintf(out->names[i], (size_t)(space - name) + 1, "%s", name);
            }
        }
    }
    if (rc == PB_OK && out->line_count == 0) {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the note has no signature line");
    }
    if (rc != PB_OK) {
        pb_note_free(out);
    }
    return rc;
}

void
pb_note_free(pb_note *note)
{
    for (size_t i = 0; note != NULL && i < note->line_count; i++) {
        free(note->lines[i]);
        free(note->names[i]);
        note->lines[i] = NULL;
        note->names[i] = NULL;
    }
    if (note != NULL) {
        note->line_count = 0;
    }
}

/* The signer's binding in the ledger: partner and role, refused if revoked. */
static int
signer_binding(const pb_state *state, const pb_seckey *key, const char *want_role, char *keyid,
               char *partner, size_t partner_size, pb_error *err)
{
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    pb_keyid_format(pub.key_id, keyid, PB_KEYID_TEXT_MAX);
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", keyid);
    json_t *bound = NULL;
    int rc = pb_state_get(state, skey, &bound, err);
    if (rc == PB_ENOTFOUND) {
        return pb_error_set(err, PB_EKEY_UNKNOWN, NULL, "key %s is not bound in this ledger",
                            keyid);
    }
    if (rc != PB_OK) {
        return rc;
    }
    const char *role = json_string_value(json_object_get(bound, "role"));
    snprintf(partner, partner_size, "%s", json_string_value(json_object_get(bound, "partner")));
    if (strcmp(role, want_role) != 0) {
        const char *verb = strcmp(want_role, "operator") == 0 ? "signing" : "cosigning";
        rc = pb_error_set(err, PB_EKEY_WRONG_ROLE, NULL,
                          "key %s is %s's %s key; %s a checkpoint needs an %s key", keyid, partner,
                          role, verb, want_role);
    } else if (json_object_get(bound, "revoked_from") != NULL) {
        const char *from = json_string_value(json_object_get(bound, "revoked_from"));
        char now[32];
        int64_t now_s = 0;
        int32_t from_day = 0;
        pb_now(now, sizeof(now));
        if (pb_timestamp_parse(now, &now_s, NULL) == PB_OK &&
            pb_date_parse(from, &from_day, NULL) == PB_OK && now_s / 86400 >= from_day) {
            rc = pb_error_set(err, PB_EKEY_REVOKED, NULL, "key %s is revoked from %s", keyid, from);
        }
    }
    json_decref(bound);
    return rc;
}

/* Assemble the note of tree_size (0: latest) from the stored lines. */
int
pb_checkpoint_assemble(const pb_snapshot *snap, uint64_t tree_size, char **note_out, pb_error *err)
{
    pb_checkpoint_line *lines = NULL;
    size_t count = 0;
    int rc = pb_snapshot_checkpoint_lines(snap, &lines, &count, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (tree_size == 0 && count > 0) {
        tree_size = lines[count - 1].tree_size;
    }
    size_t total = NOTE_BODY_MAX + 2;
    size_t found = 0;
    for (size_t i = 0; i < count; i++) {
        if (lines[i].tree_size == tree_size) {
            total += strlen(lines[i].line);
            found++;
        }
    }
    char origin[256];
    json_t *o = NULL;
    pb_state state;
    pb_snapshot_state(snap, &state);
    uint8_t root[32];
    if (found == 0 || tree_size > snap->size) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL, "no checkpoint of tree size %llu is stored",
                          (unsigned long long)tree_size);
    }
    if (rc == PB_OK) {
        rc = pb_state_get(&state, "origin", &o, err);
    }
    if (rc == PB_OK) {
        snprintf(origin, sizeof(origin), "%s", json_string_value(o));
        json_decref(o);
        rc = pb_merkle_range_hash(pb_snapshot_hash, (void *)snap, 0, tree_size, root, err);
    }
    char *note = rc == PB_OK ? malloc(total) : NULL;
    if (rc == PB_OK && note == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        pb_note_body(origin, tree_size, root, note, NOTE_BODY_MAX);
        size_t used = strlen(note);
        note[used++] = '\n';
        for (size_t i = 0; i < count; i++) {
            if (lines[i].tree_size == tree_size) {
                size_t l = strlen(lines[i].line);
                memcpy(note + used, lines[i].line, l);
                used += l;
            }
        }
        note[used] = '\0';
        *note_out = note;
    }
    pb_checkpoint_lines_free(lines, count);
    return rc;
}

int
pb_checkpoint_get(pb_store *store, uint64_t tree_size, char **note_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc == PB_OK) {
        rc = pb_checkpoint_assemble(&snap, tree_size, note_out, err);
        pb_snapshot_close(&snap);
    }
    return rc;
}

/* Sign the body of tree_size (0: current size) with key in role, store the line. */
static int
sign_checkpoint(pb_store *store, uint64_t tree_size, const pb_seckey *key, int cosign,
                char **note_out, pb_error *err)
{
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_state state;
    pb_snapshot_state(&snap, &state);
    char keyid[PB_KEYID_TEXT_MAX];
    char partner[PB_ID_BYTES_MAX + 1];
    char origin[256];
    json_t *o = NULL;
    rc = pb_state_get(&state, "origin", &o, err);
    if (rc == PB_ENOTFOUND) {
        rc = pb_error_set(err, PB_EGENESIS, NULL, "the ledger has no genesis entry yet");
    }
    if (rc == PB_OK) {
        snprintf(origin, sizeof(origin), "%s", json_string_value(o));
        json_decref(o);
        rc = signer_binding(&state, key, cosign ? "auditor" : "operator", keyid, partner,
                            sizeof(partner), err);
    }
    pb_checkpoint_line line = {0, cosign, {0}, NULL};
    if (rc == PB_OK && cosign) {
        char *existing = NULL;
        rc = pb_checkpoint_assemble(&snap, tree_size, &existing, err); /* a checkpoint to cosign */
        if (rc == PB_OK) {
            tree_size = strtoull(strchr(existing, '\n') + 1, NULL, 10);
        }
        free(existing);
    } else if (rc == PB_OK && tree_size == 0) {
        tree_size = snap.size;
    }
    uint8_t root[32];
    if (rc == PB_OK) {
        rc = pb_merkle_range_hash(pb_snapshot_hash, &snap, 0, tree_size, root, err);
    }
    if (rc == PB_OK) {
        char body[NOTE_BODY_MAX];
        char name[NOTE_NAME_MAX];
        pb_note_body(origin, tree_size, root, body, sizeof(body));
        pb_note_name(origin, partner, cosign ? "auditor" : "operator", keyid, name, sizeof(name));
        line.tree_size = tree_size;
        memcpy(line.keyid, keyid, sizeof(line.keyid));
        line.line = make_line(body, name, key, err);
        rc = line.line == NULL ? (err != NULL ? err->code : PB_ENOMEM) : PB_OK;
    }
    pb_snapshot_close(&snap);
    if (rc == PB_OK) {
        rc = pb_store_checkpoint_add(store, &line, err);
    }
    free(line.line);
    if (rc == PB_OK) {
        rc = pb_checkpoint_get(store, tree_size, note_out, err);
    }
    return rc;
}

int
pb_checkpoint_create(pb_store *store, const pb_seckey *key, char **note_out, pb_error *err)
{
    uint64_t size = 0;
    int rc = pb_store_size(store, &size, err);
    if (rc == PB_OK && size == 0) {
        rc = pb_error_set(err, PB_EGENESIS, NULL, "the ledger is empty: nothing to checkpoint");
    }
    if (rc == PB_OK) {
        rc = sign_checkpoint(store, 0, key, 0, note_out, err);
    }
    return rc;
}

int
pb_checkpoint_cosign(pb_store *store, uint64_t tree_size, const pb_seckey *key, char **note_out,
                     pb_error *err)
{
    return sign_checkpoint(store, tree_size, key, 1, note_out, err);
}

/* ---- cosignature/v1 (C2SP tlog-cosignature) ------------------------------
 * A witness's line is a note signature line whose key hash is the first 4
 * bytes of SHA-256(name || "\n" || 0x04 || public key) and whose signature is
 * a timestamped_signature: u64 big-endian POSIX time || Ed25519 signature
 * over "cosignature/v1\ntime <t>\n" followed by the checkpoint's note body. */

#define COSIG_ALG 0x04
#define COSIG_BLOB_BYTES (4 + 8 + 64)

static void
cosig_key_hash(const char *name, const pb_pubkey *key, uint8_t out[4])
{
    key_hash_alg(name, COSIG_ALG, key, out);
}

/* The signed message of a cosignature/v1 at timestamp over body, in a new
 * malloc'd buffer of *len_out bytes (NULL when out of memory). */
static uint8_t *
cosig_message(const char *body, uint64_t timestamp, size_t *len_out)
{
    char head[64];
    int n =
        snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n", (unsigned long long)timestamp);
    PB_ASSERT(n > 0 && (size_t)n < sizeof(head));
    size_t body_len = strlen(body);
    uint8_t *msg = malloc((size_t)n + body_len);
    if (msg != NULL) {
        memcpy(msg, head, (size_t)n);
        memcpy(msg + n, body, body_len);
        *len_out = (size_t)n + body_len;
    }
    return msg;
}

int
pb_cosig_verifier(const char *name, const pb_pubkey *key, char **out, pb_error *err)
{
    return verifier_text(name, COSIG_ALG, key, out, err);
}

int
pb_cosig_line(const char *body, const char *name, const pb_seckey *key, uint64_t timestamp,
              char **line_out, pb_error *err)
{
    PB_ASSERT(body != NULL && name != NULL && key != NULL && line_out != NULL);
    PB_ASSERT(timestamp <= (uint64_t)INT64_MAX); /* tlog-cosignature: at most 2^63 - 1 */
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    uint8_t blob[COSIG_BLOB_BYTES];
    cosig_key_hash(name, &pub, blob);
    uint64_t t = timestamp;
    for (int i = 11; i >= 4; i--) {
        blob[i] = (uint8_t)(t & 0xff);
        t >>= 8;
    }
    size_t msg_len = 0;
    uint8_t *msg = cosig_message(body, timestamp, &msg_len);
    if (msg == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int rc = pb_seckey_sign(key, msg, msg_len, blob + 12, err);
    free(msg);
    char b64[sodium_base64_ENCODED_LEN(COSIG_BLOB_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
    size_t len = strlen(NOTE_DASH) + 1 + strlen(name) + 1 + strlen(b64) + 2;
    char *line = rc == PB_OK ? malloc(len) : NULL;
    if (rc == PB_OK && line == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        snprintf(line, len, NOTE_DASH " %s %s\n", name, b64);
        *line_out = line;
    }
    return rc;
}

/* Split a signature line "— <name> <base64>\n" into its name (into name_buf)
 * and decoded bytes. PB_OK or PB_ENOTE. */
static int
note_line_split(const char *line, char *name_buf, size_t name_size, uint8_t *blob, size_t blob_max,
                size_t *blob_len, pb_error *err)
{
    size_t dash = strlen(NOTE_DASH " ");
    size_t len = strlen(line);
    const char *space = strrchr(line, ' ');
    if (len < dash + 3 || strncmp(line, NOTE_DASH " ", dash) != 0 || line[len - 1] != '\n' ||
        space == NULL || space < line + dash + 1 || (size_t)(space - line - dash) >= name_size) {
        return pb_error_set(err, PB_ENOTE, NULL, "not a note signature line \"%.60s\"", line);
    }
    snprintf(name_buf, name_size, "%.*s", (int)(space - line - dash), line + dash);
    if (pb_base64_decode_strict_any(space + 1, len - (size_t)(space + 1 - line) - 1, blob,
                                    blob_max, blob_len) != 0) {
        return pb_error_set(err, PB_ENOTE, NULL, "the signature of \"%s\" is not base64", name_buf);
    }
    return PB_OK;
}

int
pb_cosig_check_line(const char *body, const char *line, const char *name, const pb_pubkey *key,
                    uint64_t *timestamp_out, pb_error *err)
{
    char got_name[NOTE_NAME_MAX];
    uint8_t blob[COSIG_BLOB_BYTES + 1];
    size_t blob_len = 0;
    int rc = note_line_split(line, got_name, sizeof(got_name), blob, sizeof(blob), &blob_len, err);
    uint8_t want[4];
    cosig_key_hash(name, key, want);
    if (rc == PB_OK && (strcmp(got_name, name) != 0 || blob_len != COSIG_BLOB_BYTES ||
                        memcmp(blob, want, 4) != 0)) {
        rc = pb_error_set(err, PB_ENOTE, NULL,
                          "the line is not a cosignature/v1 by \"%s\" with key id %02x%02x%02x%02x",
                          name, want[0], want[1], want[2], want[3]);
    }
    uint64_t t = 0;
    for (int i = 4; rc == PB_OK && i < 12; i++) {
        t = (t << 8) | blob[i];
    }
    size_t msg_len = 0;
    uint8_t *msg = rc == PB_OK ? cosig_message(body, t, &msg_len) : NULL;
    if (rc == PB_OK && msg == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK && (t > (uint64_t)INT64_MAX ||
                        crypto_sign_verify_detached(blob + 12, msg, msg_len, key->key) != 0)) {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the cosignature of \"%s\" does not verify", name);
    }
    free(msg);
    if (rc == PB_OK && timestamp_out != NULL) {
        *timestamp_out = t;
    }
    return rc;
}

int
pb_note_line_kind(const char *line)
{
    char name[NOTE_NAME_MAX];
    uint8_t blob[COSIG_BLOB_BYTES + 1];
    size_t blob_len = 0;
    if (note_line_split(line, name, sizeof(name), blob, sizeof(blob), &blob_len, NULL) != PB_OK) {
        return 0;
    }
    return blob_len == COSIG_BLOB_BYTES ? 2 : blob_len == 68 ? 1 : 0;
}

int
pb_note_line_name(const char *line, char *buf, size_t size, pb_error *err)
{
    uint8_t blob[COSIG_BLOB_BYTES + 1];
    size_t blob_len = 0;
    return note_line_split(line, buf, size, blob, sizeof(blob), &blob_len, err);
}

int
pb_vkey_parse(const char *vkey, char *name_buf, size_t name_size, int *alg_out, pb_pubkey *key_out,
              pb_error *err)
{
    const char *plus1 = strchr(vkey, '+');
    const char *plus2 = plus1 != NULL ? strchr(plus1 + 1, '+') : NULL;
    uint8_t raw[33];
    if (plus1 == NULL || plus2 == NULL || plus1 == vkey || plus2 - plus1 != 9 ||
        (size_t)(plus1 - vkey) >= name_size ||
        pb_base64_decode_strict(plus2 + 1, strlen(plus2 + 1), raw, sizeof(raw)) != 0 ||
        (raw[0] != NOTE_ED25519 && raw[0] != COSIG_ALG)) {
        return pb_error_set(err, PB_EKEYFILE, NULL,
                            "\"%.80s\" is not a note verifier key <name>+<8 hex>+<base64 of "
                            "0x01 or 0x04 and 32 bytes>",
                            vkey);
    }
    snprintf(name_buf, name_size, "%.*s", (int)(plus1 - vkey), vkey);
    memset(key_out, 0, sizeof(*key_out));
    memcpy(key_out->key, raw + 1, 32);
    uint8_t hash[4];
    if (raw[0] == NOTE_ED25519) {
        key_hash(name_buf, key_out, hash);
    } else {
        cosig_key_hash(name_buf, key_out, hash);
    }
    char hex[9];
    snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", hash[0], hash[1], hash[2], hash[3]);
    if (strncmp(hex, plus1 + 1, 8) != 0) {
        return pb_error_set(err, PB_EKEYFILE, NULL,
                            "the verifier key of \"%s\" has key hash %.8s, not %s", name_buf,
                            plus1 + 1, hex);
    }
    *alg_out = raw[0];
    return PB_OK;
}

/* ---- importing a note received from elsewhere (a server's /checkpoint) --- */

struct import_ctx {
    const char *origin;
    const char *body;
    const char *line;
    const char *name; /* the line's signer name */
    pb_checkpoint_line found;
};

/* Visit each bound key: the one whose note name is the line's and whose
 * signature verifies signs it, as operator or (auditor) cosigner. */
static int
import_visit(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
             pb_error *err)
{
    struct import_ctx *c = ctx;
    json_t *bound = NULL;
    char keyid[PB_KEYID_TEXT_MAX];
    /* The key is "key:<KEYID>", not NUL-terminated (an LMDB key). */
    if (c->found.line != NULL || key_len != 4 + PB_KEYID_TEXT_MAX - 1) {
        return PB_OK;
    }
    int rc = pb_json_parse_stored(value, value_len, &bound, err);
    if (rc != PB_OK) {
        return rc; /* out of memory: not "no bound key signs it" */
    }
    memcpy(keyid, key + 4, PB_KEYID_TEXT_MAX - 1);
    keyid[PB_KEYID_TEXT_MAX - 1] = '\0';
    const char *role = json_string_value(json_object_get(bound, "role"));
    const char *partner = json_string_value(json_object_get(bound, "partner"));
    char name[NOTE_NAME_MAX];
    pb_pubkey pub;
    if (role != NULL && partner != NULL &&
        (strcmp(role, "operator") == 0 || strcmp(role, "auditor") == 0)) {
        pb_note_name(c->origin, partner, role, keyid, name, sizeof(name));
        if (strcmp(name, c->name) == 0 &&
            pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &pub, NULL) ==
                PB_OK &&
            pb_note_check_line(c->body, c->line, name, &pub, NULL) == PB_OK) {
            c->found.cosign = strcmp(role, "auditor") == 0;
            snprintf(c->found.keyid, sizeof(c->found.keyid), "%s", keyid);
            c->found.line = (char *)c->line;
        }
    }
    json_decref(bound);
    return PB_OK;
}

int
pb_checkpoint_import(pb_store *store, const char *note_text, uint64_t *tree_size_out, pb_error *err)
{
    PB_ASSERT(store != NULL && note_text != NULL);
    pb_note note;
    pb_snapshot snap;
    char origin[256];
    char body[NOTE_BODY_MAX];
    uint8_t root[32];
    int rc = pb_note_parse(note_text, &note, err);
    if (rc != PB_OK) {
        return rc;
    }
    rc = pb_store_origin(store, origin, sizeof(origin), err);
    if (rc == PB_OK && strcmp(origin, note.origin) != 0) {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the checkpoint is of \"%s\", not of this ledger",
                          note.origin);
    }
    if (rc == PB_OK) {
        rc = pb_store_root(store, note.tree_size, root, err);
    }
    if (rc == PB_OK && sodium_memcmp(root, note.root, 32) != 0) {
        rc = pb_error_set(err, PB_ENOTE, NULL,
                          "the checkpoint's root at tree size %llu is not the records' root",
                          (unsigned long long)note.tree_size);
    }
    pb_note_body(origin, note.tree_size, note.root, body, sizeof(body));
    int have_operator = 0;
    pb_checkpoint_line found[PB_NOTE_LINES_MAX];
    for (size_t i = 0; rc == PB_OK && i < note.line_count; i++) {
        struct import_ctx c = {origin, body, note.lines[i], note.names[i], {0, 0, {0}, NULL}};
        rc = pb_snapshot_open(store, &snap, err);
        if (rc == PB_OK) {
            pb_state state;
            pb_snapshot_state(&snap, &state);
            rc = pb_state_each(&state, "key:", import_visit, &c, err);
            pb_snapshot_close(&snap);
        }
        if (rc == PB_OK && c.found.line == NULL) {
            rc = pb_error_set(err, PB_ENOTE, NULL,
                              "signature line %zu (\"%s\") is by no operator or auditor key "
                              "the ledger binds, or does not verify",
                              i + 1, note.names[i]);
        }
        if (rc == PB_OK) {
            c.found.tree_size = note.tree_size;
            have_operator |= !c.found.cosign;
            found[i] = c.found;
        }
    }
    if (rc == PB_OK && !have_operator) {
        rc = pb_error_set(err, PB_ENOTE, NULL, "the checkpoint has no operator signature");
    }
    /* Every line checked: now store them (each an idempotent add). */
    for (size_t i = 0; rc == PB_OK && i < note.line_count; i++) {
        rc = pb_store_checkpoint_add(store, &found[i], err);
    }
    if (rc == PB_OK && tree_size_out != NULL) {
        *tree_size_out = note.tree_size;
    }
    pb_note_free(&note);
    return rc;
}
