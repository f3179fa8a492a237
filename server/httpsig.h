/*
 * httpsig.h — RFC 9421 HTTP Message Signatures with ed25519, as poolbook
 * uses them (DESIGN 9): the client signs "@method", "@path", "@authority"
 * and, with a body, "content-digest" (RFC 9530, sha-256), with parameters
 * created, keyid (the 16-hex KEYID of a key the ledger binds) and
 * alg="ed25519", under the label "sig1". The server rebuilds the signature
 * base from what it received and checks it with the bound public key. One
 * file builds the base for both sides, so they cannot drift.
 */
#ifndef POOLBOOK_SERVER_HTTPSIG_H
#define POOLBOOK_SERVER_HTTPSIG_H

#include "poolbook.h"

#include <stdint.h>

/* How far a signature's created time may lie from the server's clock. */
#define PB_HTTPSIG_SKEW_SECONDS 300
#define PB_HTTPSIG_HEADER_MAX 512

/* The headers a signed request carries. digest is "" without a body. */
typedef struct pb_httpsig_headers {
    char digest[128];                      /* Content-Digest */
    char input[PB_HTTPSIG_HEADER_MAX];     /* Signature-Input */
    char signature[PB_HTTPSIG_HEADER_MAX]; /* Signature */
} pb_httpsig_headers;

/* Sign a request (the client's side). path is the path without the query;
 * authority the Host header's value. Returns PB_OK, or PB_EUSAGE for a
 * value with a line break or too long. */
int pb_httpsig_sign(const pb_seckey *key, const char *method, const char *path,
                    const char *authority, const void *body, size_t body_len, int64_t now,
                    pb_httpsig_headers *out, pb_error *err);

/* The server's side: one received value per covered component. */
typedef const char *(*pb_httpsig_lookup)(void *ctx, const char *component);

/* The components of a request known as plain values (a signer's own, or a
 * test's): pb_httpsig_values_lookup, with a pb_httpsig_values as ctx, gives
 * each covered component's value (digest: Content-Digest, "" without body). */
typedef struct pb_httpsig_values {
    const char *method, *path, *authority, *digest;
} pb_httpsig_values;
const char *pb_httpsig_values_lookup(void *ctx, const char *component);

/* Check a request's Signature-Input and Signature against the ledger's
 * keys: the components cover @method, @path, @authority (and
 * content-digest, which must be the body's, when body_len > 0), created is
 * within PB_HTTPSIG_SKEW_SECONDS of now, the key is bound and not revoked,
 * and the ed25519 signature verifies. keyid_out receives the KEYID.
 * Returns PB_OK; PB_EUSAGE (no signature: unsigned request); PB_ESIG_FORMAT
 * (malformed headers, components missing, stale); PB_EKEY_UNKNOWN;
 * PB_EKEY_REVOKED; PB_ESIG_INVALID; PB_ENOMEM. */
int pb_httpsig_verify(pb_store *store, const char *input, const char *signature,
                      pb_httpsig_lookup lookup, void *ctx, const void *body, size_t body_len,
                      int64_t now, char keyid_out[PB_KEYID_TEXT_MAX], pb_error *err);

#endif /* POOLBOOK_SERVER_HTTPSIG_H */
