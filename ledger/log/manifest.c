/*
 * manifest.c — the signed manifest of a statement run (DESIGN 7): the
 * SHA-256 of each file, written as `sha256sum` writes it ("<64 hex>  <name>"
 * per line, in the order given), and a minisign signature of the manifest
 * (keys.c owns its format) that stock `minisign -V` verifies. Both files are
 * written whole or not at all by pb_file_write (base/file.c).
 */
#include "log/log.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

/* Read buffer for hashing a file. */
#define MANIFEST_CHUNK_BYTES 65536
/* A path inside the folder: the folder, a slash, a name and a suffix. */
#define MANIFEST_PATH_MAX 4096

static int
io_fail(pb_error *err, const char *path, const char *what, int errnum)
{
    return pb_error_set(err, PB_EIO, path, "could not %s: %s", what, pb_errno_text(errnum));
}

static int
hash_file(const char *path, uint8_t out[32], pb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return io_fail(err, path, "read a file for the manifest", errno);
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    uint8_t *buf = malloc(MANIFEST_CHUNK_BYTES);
    int rc = buf != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    for (size_t n = 1; rc == PB_OK && n > 0;) {
        n = fread(buf, 1, MANIFEST_CHUNK_BYTES, f);
        crypto_hash_sha256_update(&st, buf, n);
    }
    if (rc == PB_OK && ferror(f)) {
        rc = io_fail(err, path, "read a file for the manifest", errno);
    }
    crypto_hash_sha256_final(&st, out);
    free(buf);
    fclose(f);
    return rc;
}

/* The manifest text of names in dir, malloc'd. */
static int
manifest_text(const char *dir, const char *const *names, size_t count, char **text_out,
              size_t *len_out, pb_error *err)
{
    size_t line_bytes = 64 + 2 + 1;
    size_t size = 1;
    for (size_t i = 0; i < count; i++) {
        size += line_bytes + strlen(names[i]);
    }
    char *text = malloc(size);
    if (text == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    size_t used = 0;
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < count; i++) {
        char path[MANIFEST_PATH_MAX];
        uint8_t digest[32];
        char hex[65];
        if (strchr(names[i], '/') != NULL || strchr(names[i], '\n') != NULL ||
            strchr(names[i], '\\') != NULL) {
            rc = pb_error_set(err, PB_EUSAGE, names[i], "a manifest names files of one folder");
            break;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc = hash_file(path, digest, err);
        if (rc == PB_OK) {
            sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
            used += (size_t)snprintf(text + used, size - used, "%s  %s\n", hex, names[i]);
        }
    }
    if (rc != PB_OK) {
        free(text);
        return rc;
    }
    *text_out = text;
    *len_out = used;
    return PB_OK;
}

int
pb_manifest_write(const char *dir, const char *const *names, size_t count, const pb_seckey *key,
                  const char *trusted_comment, const char *const *keep, pb_error *err)
{
    PB_ASSERT(dir != NULL && key != NULL && trusted_comment != NULL);
    PB_ASSERT(names != NULL || count == 0);
    char *text = NULL, *sig = NULL;
    size_t len = 0;
    char path[MANIFEST_PATH_MAX];
    char keyid[PB_KEYID_TEXT_MAX];
    char untrusted[64];
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    snprintf(untrusted, sizeof(untrusted), "poolbook statements signed by key %s", keyid);
    if (strlen(dir) + sizeof("/" PB_MANIFEST_NAME ".minisig") > MANIFEST_PATH_MAX) {
        return pb_error_set(err, PB_EUSAGE, NULL, "the folder's path is too long");
    }
    int rc = manifest_text(dir, names, count, &text, &len, err);
    if (rc == PB_OK) {
        rc = pb_minisign_sign(key, (const uint8_t *)text, len, untrusted, trusted_comment, &sig,
                              err);
    }
    if (rc == PB_OK) {
        snprintf(path, sizeof(path), "%s/%s", dir, PB_MANIFEST_NAME);
        rc = pb_file_write_bytes(path, keep, text, len, err);
    }
    if (rc == PB_OK) {
        snprintf(path, sizeof(path), "%s/%s.minisig", dir, PB_MANIFEST_NAME);
        rc = pb_file_write_bytes(path, keep, sig, strlen(sig), err);
    }
    free(sig);
    free(text);
    return rc;
}
