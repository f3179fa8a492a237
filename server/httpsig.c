/*
 * httpsig.c — RFC 9421 HTTP Message Signatures (ed25519) for `poolbook
 * serve` and the command line's --remote client: the signature base, the
 * Signature-Input member poolbook writes and reads, Content-Digest (RFC
 * 9530). Integrity never rests on this layer (entries carry their own
 * signatures); it decides who may talk to the server at all.
 */
#include "server/httpsig.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENTS_MAX 8
#define COMPONENT_NAME_MAX 48
#define BASE_BYTES_MAX 4096

struct sig_input {
    char label[32];
    size_t count;
    char names[COMPONENTS_MAX][COMPONENT_NAME_MAX];
    const char *params; /* from '(' to the end: the "@signature-params" value */
    long long created;
    int has_created;
    char keyid[32];
    char alg[32];
};

static int
fail(pb_error *err, int code, const char *text)
{
    if (err != NULL) {
        pb_error_init(err);
        err->code = code;
        snprintf(err->text, sizeof(err->text), "%s", text);
    }
    return code;
}

/* The body's digest as RFC 9530 writes it: sha-256=:<base64>: */
static void
content_digest(const void *body, size_t len, char *out, size_t size)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    crypto_hash_sha256(h, body, len);
    sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, size, "sha-256=:%s:", b64);
}

/* The signature base (RFC 9421 2.5): one line per covered component, then
 * the "@signature-params" line without a newline. */
static int
build_base(const struct sig_input *in, pb_httpsig_lookup lookup, void *ctx, char *buf, size_t size,
           pb_error *err)
{
    size_t used = 0;
    for (size_t i = 0; i < in->count; i++) {
        const char *value = lookup(ctx, in->names[i]);
        if (value == NULL || strpbrk(value, "\r\n") != NULL) {
            return fail(err, PB_ESIG_FORMAT, "a component the request signature covers is absent");
        }
        int n = snprintf(buf + used, size - used, "\"%s\": %s\n", in->names[i], value);
        if (n < 0 || (size_t)n >= size - used) {
            return fail(err, PB_ESIG_FORMAT, "the request signature base is too long");
        }
        used += (size_t)n;
    }
    int n = snprintf(buf + used, size - used, "\"@signature-params\": %s", in->params);
    if (n < 0 || (size_t)n >= size - used) {
        return fail(err, PB_ESIG_FORMAT, "the request signature base is too long");
    }
    return PB_OK;
}

/* ---- the client's side -------------------------------------------------- */

const char *
pb_httpsig_values_lookup(void *ctx, const char *name)
{
    const pb_httpsig_values *v = ctx;
    if (strcmp(name, "@method") == 0) {
        return v->method;
    }
    if (strcmp(name, "@path") == 0) {
        return v->path;
    }
    if (strcmp(name, "@authority") == 0) {
        return v->authority;
    }
    return strcmp(name, "content-digest") == 0 ? v->digest : NULL;
}

int
pb_httpsig_sign(const pb_seckey *key, const char *method, const char *path, const char *authority,
                const void *body, size_t body_len, int64_t now, pb_httpsig_headers *out,
                pb_error *err)
{
    memset(out, 0, sizeof(*out));
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    if (body_len > 0) {
        content_digest(body, body_len, out->digest, sizeof(out->digest));
    }
    struct sig_input in = {.label = "sig1", .count = body_len > 0 ? 4 : 3};
    snprintf(in.names[0], COMPONENT_NAME_MAX, "@method");
    snprintf(in.names[1], COMPONENT_NAME_MAX, "@path");
    snprintf(in.names[2], COMPONENT_NAME_MAX, "@authority");
    snprintf(in.names[3], COMPONENT_NAME_MAX, "content-digest");
    char params[PB_HTTPSIG_HEADER_MAX];
    snprintf(params, sizeof(params),
             "(\"@method\" \"@path\" \"@authority\"%s);created=%lld;keyid=\"%s\";alg=\"ed25519\"",
             body_len > 0 ? " \"content-digest\"" : "", (long long)now, keyid);
    in.params = params;
    pb_httpsig_values v = {method, path, authority, out->digest};
    char base[BASE_BYTES_MAX];
    int rc = build_base(&in, pb_httpsig_values_lookup, &v, base, sizeof(base), err);
    uint8_t sig[64];
    if (rc == PB_OK) {
        rc = pb_seckey_sign(key, (const uint8_t *)base, strlen(base), sig, err);
    }
    if (rc != PB_OK) {
        return rc == PB_ESIG_FORMAT ? fail(err, PB_EUSAGE, "cannot sign the request") : rc;
    }
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out->input, sizeof(out->input), "sig1=%s", params);
    snprintf(out->signature, sizeof(out->signature), "sig1=:%s:", b64);
    return PB_OK;
}

/* ---- the server's side -------------------------------------------------- */

/* Parse one parameter ";name=value" at *p into in. */
static int
parse_param(const char **p, struct sig_input *in)
{
    char name[16];
    size_t n = 0;
    (*p)++; /* ';' */
    while (**p >= 'a' && **p <= 'z' && n + 1 < sizeof(name)) {
        name[n++] = *(*p)++;
    }
    name[n] = '\0';
    if (*(*p)++ != '=') {
        return -1;
    }
    if (**p == '"') {
        const char *end = strchr(*p + 1, '"');
        size_t len = end != NULL ? (size_t)(end - *p - 1) : 0;
        char *dest = strcmp(name, "keyid") == 0 ? in->keyid
                     : strcmp(name, "alg") == 0 ? in->alg
                                                : NULL;
        if (end == NULL || len >= sizeof(in->keyid)) {
            return -1;
        }
        if (dest != NULL) {
            memcpy(dest, *p + 1, len);
            dest[len] = '\0';
        }
        *p = end + 1;
        return 0;
    }
    char *end = NULL;
    long long v = strtoll(*p, &end, 10);
    if (end == *p) {
        return -1;
    }
    if (strcmp(name, "created") == 0) {
        in->created = v;
        in->has_created = 1;
    }
    *p = end;
    return 0;
}

/* Parse the one member `label=("c1" "c2" ...);p1=v1;...` of Signature-Input. */
static int
parse_input(const char *text, struct sig_input *in)
{
    memset(in, 0, sizeof(*in));
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof(in->label) || eq[1] != '(') {
        return -1;
    }
    memcpy(in->label, text, (size_t)(eq - text));
    in->params = eq + 1;
    const char *p = eq + 2;
    while (*p == '"' && in->count < COMPONENTS_MAX) {
        const char *end = strchr(p + 1, '"');
        if (end == NULL || (size_t)(end - p - 1) >= COMPONENT_NAME_MAX) {
            return -1;
        }
        memcpy(in->names[in->count], p + 1, (size_t)(end - p - 1));
        in->names[in->count++][end - p - 1] = '\0';
        p = end + 1;
        p += *p == ' ';
    }
    if (*p++ != ')') {
        return -1;
    }
    while (*p == ';') {
        if (parse_param(&p, in) != 0) {
            return -1;
        }
    }
    return *p == '\0' ? 0 : -1;
}

static int
covers(const struct sig_input *in, const char *name)
{
    for (size_t i = 0; i < in->count; i++) {
        if (strcmp(in->names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The signature bytes of label in the Signature header: label=:<base64>: */
static int
parse_signature(const char *text, const char *label, uint8_t sig[64])
{
    size_t l = strlen(label);
    if (strncmp(text, label, l) != 0 || strncmp(text + l, "=:", 2) != 0) {
        return -1;
    }
    const char *b64 = text + l + 2;
    const char *close = strchr(b64, ':');
    if (close == NULL || close[1] != '\0' ||
        pb_base64_decode_strict(b64, (size_t)(close - b64), sig, 64) != 0) {
        return -1;
    }
    return 0;
}

/* Check the form of a parsed input: components, freshness, algorithm. */
static int
check_input(const struct sig_input *in, size_t body_len, int64_t now, pb_error *err)
{
    if (!covers(in, "@method") || !covers(in, "@path") || !covers(in, "@authority") ||
        (body_len > 0 && !covers(in, "content-digest"))) {
        return fail(err, PB_ESIG_FORMAT,
                    "the request signature must cover \"@method\", \"@path\", \"@authority\" "
                    "and, with a body, \"content-digest\"");
    }
    if (in->alg[0] != '\0' && strcmp(in->alg, "ed25519") != 0) {
        return fail(err, PB_ESIG_FORMAT, "the request signature's alg is not \"ed25519\"");
    }
    if (!in->has_created || in->created < now - PB_HTTPSIG_SKEW_SECONDS ||
        in->created > now + PB_HTTPSIG_SKEW_SECONDS) {
        return fail(err, PB_ESIG_FORMAT,
                    "the request signature's created time is missing or over 300 seconds from "
                    "the server's clock");
    }
    return PB_OK;
}

/* The bound, unrevoked public key of keyid. */
static int
bound_key(pb_store *store, const char *keyid, pb_pubkey *pub, pb_error *err)
{
    json_t *bound = NULL;
    uint8_t id[8];
    char text[PB_ERROR_TEXT_MAX];
    if (pb_keyid_parse(keyid, id, NULL) != PB_OK) {
        return fail(err, PB_ESIG_FORMAT, "the request signature's keyid is not a 16-hex KEYID");
    }
    if (pb_store_key(store, keyid, &bound, NULL) != PB_OK) {
        snprintf(text, sizeof(text), "key %s is not bound in this ledger", keyid);
        return fail(err, PB_EKEY_UNKNOWN, text);
    }
    const char *revoked = json_string_value(json_object_get(bound, "revoked_from"));
    int rc = pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), pub, err);
    if (rc == PB_OK && revoked != NULL) {
        snprintf(text, sizeof(text), "key %s is revoked from %s", keyid, revoked);
        rc = fail(err, PB_EKEY_REVOKED, text);
    }
    json_decref(bound);
    return rc;
}

int
pb_httpsig_verify(pb_store *store, const char *input, const char *signature,
                  pb_httpsig_lookup lookup, void *ctx, const void *body, size_t body_len,
                  int64_t now, char keyid_out[PB_KEYID_TEXT_MAX], pb_error *err)
{
    if (input == NULL || signature == NULL) {
        return fail(err, PB_EUSAGE,
                    "the request is not signed: send Signature-Input and Signature (RFC 9421, "
                    "ed25519) by a key the ledger binds");
    }
    struct sig_input in;
    uint8_t sig[64];
    if (strlen(input) >= PB_HTTPSIG_HEADER_MAX || parse_input(input, &in) != 0 ||
        parse_signature(signature, in.label, sig) != 0) {
        return fail(err, PB_ESIG_FORMAT,
                    "the Signature-Input or Signature header is malformed (one member, "
                    "label=(\"component\" ...);created=N;keyid=\"KEYID\")");
    }
    int rc = check_input(&in, body_len, now, err);
    if (rc == PB_OK && covers(&in, "content-digest")) {
        char want[128];
        const char *got = lookup(ctx, "content-digest");
        content_digest(body != NULL ? body : "", body_len, want, sizeof(want));
        if (got == NULL || strcmp(got, want) != 0) {
            rc = fail(err, PB_ESIG_FORMAT, "Content-Digest is not the body's sha-256");
        }
    }
    pb_pubkey pub;
    if (rc == PB_OK) {
        rc = bound_key(store, in.keyid, &pub, err);
    }
    char base[BASE_BYTES_MAX];
    if (rc == PB_OK) {
        rc = build_base(&in, lookup, ctx, base, sizeof(base), err);
    }
    if (rc == PB_OK &&
        crypto_sign_verify_detached(sig, (const uint8_t *)base, strlen(base), pub.key) != 0) {
        char text[PB_ERROR_TEXT_MAX];
        snprintf(text, sizeof(text), "the request signature by key %s does not verify", in.keyid);
        rc = fail(err, PB_ESIG_INVALID, text);
    }
    if (rc == PB_OK) {
        snprintf(keyid_out, PB_KEYID_TEXT_MAX, "%s", in.keyid);
    }
    return rc;
}
