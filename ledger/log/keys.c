/*
 * keys.c — Ed25519 keys in minisign's file formats (DESIGN 3). This file alone
 * owns the byte layout of minisign public and secret key files, so that stock
 * minisign can sign with a poolbook key and poolbook can sign with a minisign
 * key. Secrets live only in sodium_malloc'd memory and are wiped after use.
 */
#include "log/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A minisign public key, byte for byte: "Ed" || key number || public key. */
struct pk_bytes {
    uint8_t sig_alg[2];
    uint8_t key_id[8];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

/* The part of a secret key file that the scrypt stream encrypts. */
struct sk_secret {
    uint8_t key_id[8];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t chk[crypto_generichash_BYTES]; /* BLAKE2b-256(sig_alg || key_id || sk) */
};

/* A minisign secret key, byte for byte. kdf_alg is "Sc" (scrypt) or two zero
 * bytes for an unencrypted key (minisign -W), whose salt and limits are zero. */
struct sk_bytes {
    uint8_t sig_alg[2];
    uint8_t kdf_alg[2];
    uint8_t chk_alg[2];
    uint8_t kdf_salt[crypto_pwhash_scryptsalsa208sha256_SALTBYTES];
    uint8_t kdf_opslimit_le[8];
    uint8_t kdf_memlimit_le[8];
    struct sk_secret secret;
};

_Static_assert(sizeof(struct pk_bytes) == 42, "minisign public key is 42 bytes");
_Static_assert(sizeof(struct sk_secret) == 104, "minisign keynum_sk is 104 bytes");
_Static_assert(sizeof(struct sk_bytes) == 158, "minisign secret key is 158 bytes");
_Static_assert(PB_KEYID_TEXT_MAX == 17, "KEYID is 16 hex digits and a NUL");

struct pb_seckey {
    uint8_t key_id[8];
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* libsodium's seed || public key */
};

static const uint8_t SIG_ALG[2] = {'E', 'd'};
static const uint8_t KDF_SCRYPT[2] = {'S', 'c'};
static const uint8_t KDF_NONE[2] = {0, 0};
static const uint8_t CHK_BLAKE2B[2] = {'B', '2'};
static const char COMMENT_PREFIX[] = "untrusted comment: ";

/* A key file is a comment line of at most 1022 bytes (minisign's limit), a
 * base64 line of 212 characters at most, and some trailing blank space. */
#define KEYFILE_BYTES_MAX 4096
/* minisign reads each line with fgets() into 1024 bytes: 1022 characters, the
 * newline and the NUL. */
#define KEYFILE_LINE_BYTES_MAX 1022
/* The largest scrypt work a key file may ask for: minisign's own defaults
 * (libsodium's "sensitive" limits, 1 GiB). A hostile file cannot ask for more. */
#define KDF_OPSLIMIT_MAX crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE
#define KDF_MEMLIMIT_MAX crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE
/* The public key's base64 line, without the NUL. */
#define PK_BASE64_LEN (sodium_base64_ENCODED_LEN(sizeof(struct pk_bytes), B64) - 1)
#define B64 sodium_base64_VARIANT_ORIGINAL
_Static_assert(PK_BASE64_LEN == 56, "the public key line is 56 characters");

_Static_assert(PB_KEY_COMMENT_BYTES_MAX + sizeof(COMMENT_PREFIX) - 1 <= KEYFILE_LINE_BYTES_MAX,
               "a comment poolbook writes is one minisign can read");
_Static_assert(PB_KDF_OPSLIMIT <= KDF_OPSLIMIT_MAX && PB_KDF_MEMLIMIT <= KDF_MEMLIMIT_MAX,
               "poolbook's own keys load");
_Static_assert(PB_KDF_OPSLIMIT >= crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN &&
                   PB_KDF_MEMLIMIT >= crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN,
               "real scrypt, not clamped by libsodium");

/* The lines of a key file, pointing into the file's buffer. */
struct key_lines {
    const char *base64;
    size_t base64_len;
    int64_t base64_line; /* 1-based */
};

static void
store_le64(uint8_t out[8], uint64_t value)
{
    for (size_t i = 0; i < 8; i++) {
        out[i] = (uint8_t)(value >> (8 * i));
    }
}

static uint64_t
load_le64(const uint8_t in[8])
{
    uint64_t value = 0;
    for (size_t i = 0; i < 8; i++) {
        value |= (uint64_t)in[i] << (8 * i);
    }
    return value;
}

/* Set a PB_EKEYFILE error at path (may be NULL) and line (0: none). */
__attribute__((format(printf, 4, 5))) static int
keyfile_error(pb_error *err, const char *path, int64_t line, const char *fmt, ...)
{
    char text[PB_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    int first = err != NULL && err->code == PB_OK;
    pb_error_set(err, PB_EKEYFILE, path, "%s", text);
    if (first) {
        err->line = line;
    }
    return PB_EKEYFILE;
}

/* Set PB_EIO (or PB_EEXIST for EEXIST) for a failed system call on path. */
static int
io_error(pb_error *err, const char *path, const char *what, int errnum)
{
    int code = errnum == EEXIST ? PB_EEXIST : PB_EIO;
    int first = err != NULL && err->code == PB_OK;
    if (code == PB_EEXIST) {
        pb_error_set(err, code, path, "key file exists already");
    } else {
        pb_error_set(err, code, path, "cannot %s key file: %s", what, pb_errno_text(errnum));
    }
    if (first) {
        err->sys = errnum;
    }
    return code;
}

/* Read a whole key file into a new sodium_malloc'd buffer (a -W secret key file
 * holds the key in clear). The caller frees *buf_out with sodium_free(). */
static int
read_key_file(const char *path, int secret, char **buf_out, size_t *len_out, pb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return io_error(err, path, "open", errno);
    }
    int rc = PB_OK;
    struct stat st;
    /* As ssh: a secret key others can read is no longer secret; say how to fix it. */
    if (secret && fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        rc = pb_error_set(err, PB_EKEYFILE, path,
                          "secret key file is open to others (mode %04o): run `chmod 600 %s`",
                          (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return rc;
    }
    size_t len = 0;
    char *buf = sodium_malloc(KEYFILE_BYTES_MAX + 1);
    if (buf == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, path, "out of memory reading key file");
        goto close_fd;
    }
    while (len < KEYFILE_BYTES_MAX + 1) {
        ssize_t n = read(fd, buf + len, KEYFILE_BYTES_MAX + 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = io_error(err, path, "read", errno);
            goto free_buf;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    if (len > KEYFILE_BYTES_MAX) {
        rc = keyfile_error(err, path, 0, "key file is larger than %d bytes", KEYFILE_BYTES_MAX);
        goto free_buf;
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    goto close_fd;
free_buf:
    sodium_free(buf);
close_fd:
    close(fd);
    return rc;
}

/* The length of the line at p (up to end), without its "\n" or "\r\n". */
static size_t
line_length(const char *p, const char *end, const char **next_out)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl != NULL ? nl : end;
    *next_out = nl != NULL ? nl + 1 : end;
    if (stop > p && stop[-1] == '\r') {
        stop--;
    }
    return (size_t)(stop - p);
}

/* Find the base64 line of a key file: after an "untrusted comment:" line, or
 * (bare_allowed, for public keys) alone. Only blank space may follow it. */
static int
split_key_file(const char *buf, size_t len, int bare_allowed, const char *path,
               struct key_lines *out, pb_error *err)
{
    if (len == 0) {
        return keyfile_error(err, path, 0, "key file is empty");
    }
    if (memchr(buf, '\0', len) != NULL) {
        return keyfile_error(err, path, 0, "key file contains a NUL byte");
    }
    const char *end = buf + len;
    const char *next = NULL;
    size_t first_len = line_length(buf, end, &next);
    int has_comment = strncmp(buf, "untrusted comment:", 18) == 0;
    if (!has_comment && !bare_allowed) {
        return keyfile_error(err, path, 1, "no \"untrusted comment:\" line");
    }
    if (has_comment && first_len > KEYFILE_LINE_BYTES_MAX) {
        return keyfile_error(err, path, 1, "comment line is longer than %d bytes",
                             KEYFILE_LINE_BYTES_MAX);
    }
    out->base64 = buf;
    out->base64_line = 1;
    out->base64_len = first_len;
    if (has_comment) {
        out->base64 = next;
        out->base64_line = 2;
        out->base64_len = line_length(next, end, &next);
    }
    if (out->base64_len == 0) {
        return keyfile_error(err, path, out->base64_line, "no key line after the comment");
    }
    size_t rest = (size_t)(end - next);
    if (strspn(next, " \t\r\n") != rest) {
        return keyfile_error(err, path, out->base64_line + 1, "unexpected text after the key line");
    }
    return PB_OK;
}

/* Decode a base64 key line of exactly the length that encodes bin_len bytes. */
static int
decode_line(const char *b64, size_t b64_len, uint8_t *bin, size_t bin_len, const char *path,
            int64_t line, pb_error *err)
{
    size_t expected = sodium_base64_ENCODED_LEN(bin_len, B64) - 1;
    if (b64_len != expected) {
        return keyfile_error(err, path, line, "key line has %zu characters, expected %zu", b64_len,
                             expected);
    }
    if (pb_base64_decode_strict(b64, b64_len, bin, bin_len) != 0) {
        return keyfile_error(err, path, line, "key line is not valid base64");
    }
    return PB_OK;
}

static int
parse_pubkey(const char *b64, size_t b64_len, const char *path, int64_t line, pb_pubkey *out,
             pb_error *err)
{
    struct pk_bytes bytes;
    int rc = decode_line(b64, b64_len, (uint8_t *)&bytes, sizeof(bytes), path, line, err);
    if (rc != PB_OK) {
        return rc;
    }
    if (memcmp(bytes.sig_alg, SIG_ALG, sizeof(SIG_ALG)) != 0) {
        return keyfile_error(err, path, line, "not an Ed25519 minisign key (expected \"Ed\")");
    }
    memcpy(out->key_id, bytes.key_id, sizeof(out->key_id));
    memcpy(out->key, bytes.pk, sizeof(out->key));
    return PB_OK;
}

int
pb_pubkey_parse(const char *base64, pb_pubkey *out, pb_error *err)
{
    PB_ASSERT(base64 != NULL);
    PB_ASSERT(out != NULL);
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    return parse_pubkey(base64, strlen(base64), NULL, 0, out, err);
}

int
pb_pubkey_load(const char *path, pb_pubkey *out, pb_error *err)
{
    PB_ASSERT(path != NULL);
    PB_ASSERT(out != NULL);
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    char *buf = NULL;
    size_t len = 0;
    int rc = read_key_file(path, 0, &buf, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    struct key_lines lines;
    rc = split_key_file(buf, len, 1, path, &lines, err);
    if (rc == PB_OK) {
        rc = parse_pubkey(lines.base64, lines.base64_len, path, lines.base64_line, out, err);
    }
    sodium_free(buf);
    return rc;
}

void
pb_pubkey_encode(const pb_pubkey *key, char *buf, size_t size)
{
    PB_ASSERT(key != NULL && buf != NULL);
    PB_ASSERT(size >= PK_BASE64_LEN + 1);
    struct pk_bytes bytes;
    memcpy(bytes.sig_alg, SIG_ALG, sizeof(SIG_ALG));
    memcpy(bytes.key_id, key->key_id, sizeof(bytes.key_id));
    memcpy(bytes.pk, key->key, sizeof(bytes.pk));
    sodium_bin2base64(buf, size, (const uint8_t *)&bytes, sizeof(bytes), B64);
}

/* DESIGN 3: the KEYID is minisign's %016llX of the little-endian key number,
 * so its hex digits are the key number's bytes in reverse. */
void
pb_keyid_format(const uint8_t key_id[8], char *buf, size_t size)
{
    PB_ASSERT(key_id != NULL && buf != NULL);
    PB_ASSERT(size >= PB_KEYID_TEXT_MAX);
    uint8_t big_endian[8];
    for (size_t i = 0; i < 8; i++) {
        big_endian[i] = key_id[7 - i];
    }
    sodium_bin2hex(buf, size, big_endian, sizeof(big_endian));
    for (size_t i = 0; i < 16; i++) {
        if (buf[i] >= 'a' && buf[i] <= 'f') {
            buf[i] = (char)(buf[i] - 'a' + 'A');
        }
    }
}

int
pb_keyid_parse(const char *text, uint8_t key_id_out[8], pb_error *err)
{
    PB_ASSERT(text != NULL && key_id_out != NULL);
    size_t len = strnlen(text, 17);
    if (len != 16 || strspn(text, "0123456789ABCDEF") != 16) {
        return keyfile_error(err, NULL, 0, "not a KEYID (16 uppercase hex digits): \"%.40s\"",
                             text);
    }
    uint8_t big_endian[8];
    size_t decoded = 0;
    int rc = sodium_hex2bin(big_endian, sizeof(big_endian), text, 16, NULL, &decoded, NULL);
    PB_ASSERT(rc == 0 && decoded == 8); /* the digits were checked above */
    for (size_t i = 0; i < 8; i++) {
        key_id_out[i] = big_endian[7 - i];
    }
    return PB_OK;
}

/* minisign's checksum: BLAKE2b-256 of sig_alg || key number || secret key. */
static void
compute_checksum(const struct sk_bytes *bytes, uint8_t chk[crypto_generichash_BYTES])
{
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, crypto_generichash_BYTES);
    crypto_generichash_update(&state, bytes->sig_alg, sizeof(bytes->sig_alg));
    crypto_generichash_update(&state, bytes->secret.key_id, sizeof(bytes->secret.key_id));
    crypto_generichash_update(&state, bytes->secret.sk, sizeof(bytes->secret.sk));
    crypto_generichash_final(&state, chk, crypto_generichash_BYTES);
    sodium_memzero(&state, sizeof(state));
}

/* XOR the secret part with the scrypt stream of passphrase under the file's
 * salt and limits: this both encrypts and decrypts (minisign's scheme). */
static int
apply_kdf_stream(struct sk_bytes *bytes, const char *passphrase, const char *path, pb_error *err)
{
    uint64_t opslimit = load_le64(bytes->kdf_opslimit_le);
    uint64_t memlimit = load_le64(bytes->kdf_memlimit_le);
    PB_ASSERT(opslimit <= KDF_OPSLIMIT_MAX && memlimit <= KDF_MEMLIMIT_MAX);
    uint8_t *stream = sodium_malloc(sizeof(bytes->secret));
    if (stream == NULL) {
        return pb_error_set(err, PB_ENOMEM, path, "out of memory for the scrypt stream");
    }
    int rc = PB_OK;
    if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(bytes->secret), passphrase,
                                           strlen(passphrase), bytes->kdf_salt, opslimit,
                                           (size_t)memlimit) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, path, "scrypt failed (memlimit %llu bytes)",
                          (unsigned long long)memlimit);
        goto free_stream;
    }
    uint8_t *secret = (uint8_t *)&bytes->secret;
    for (size_t i = 0; i < sizeof(bytes->secret); i++) {
        secret[i] ^= stream[i];
    }
free_stream:
    sodium_memzero(stream, sizeof(bytes->secret));
    sodium_free(stream);
    return rc;
}

/* Check the algorithm bytes and scrypt limits of a decoded secret key file. */
static int
check_sk_header(const struct sk_bytes *bytes, const char *path, pb_error *err)
{
    if (memcmp(bytes->sig_alg, SIG_ALG, sizeof(SIG_ALG)) != 0) {
        return keyfile_error(err, path, 2, "not an Ed25519 minisign key (expected \"Ed\")");
    }
    if (memcmp(bytes->chk_alg, CHK_BLAKE2B, sizeof(CHK_BLAKE2B)) != 0) {
        return keyfile_error(err, path, 2, "unknown checksum algorithm (expected \"B2\")");
    }
    int scrypt = memcmp(bytes->kdf_alg, KDF_SCRYPT, sizeof(KDF_SCRYPT)) == 0;
    if (!scrypt && memcmp(bytes->kdf_alg, KDF_NONE, sizeof(KDF_NONE)) != 0) {
        return keyfile_error(err, path, 2, "unknown key derivation (expected \"Sc\" or none)");
    }
    uint64_t opslimit = load_le64(bytes->kdf_opslimit_le);
    uint64_t memlimit = load_le64(bytes->kdf_memlimit_le);
    if (scrypt && (opslimit > KDF_OPSLIMIT_MAX || memlimit > KDF_MEMLIMIT_MAX)) {
        return keyfile_error(err, path, 2,
                             "scrypt limits above minisign's own (opslimit %llu, memlimit %llu)",
                             (unsigned long long)opslimit, (unsigned long long)memlimit);
    }
    return PB_OK;
}

/* Read, split, decode and check a secret key file into a new sodium_malloc'd
 * struct (still encrypted if it was). The caller frees it with sodium_free(). */
static int
read_sk_bytes(const char *path, struct sk_bytes **bytes_out, pb_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_key_file(path, 1, &buf, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    struct sk_bytes *bytes = sodium_malloc(sizeof(*bytes));
    if (bytes == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, path, "out of memory reading key file");
        goto free_buf;
    }
    struct key_lines lines;
    rc = split_key_file(buf, len, 0, path, &lines, err);
    if (rc == PB_OK) {
        rc = decode_line(lines.base64, lines.base64_len, (uint8_t *)bytes, sizeof(*bytes), path,
                         lines.base64_line, err);
    }
    if (rc == PB_OK) {
        rc = check_sk_header(bytes, path, err);
    }
    if (rc != PB_OK) {
        sodium_memzero(bytes, sizeof(*bytes));
        sodium_free(bytes);
        goto free_buf;
    }
    *bytes_out = bytes;
free_buf:
    sodium_memzero(buf, len);
    sodium_free(buf);
    return rc;
}

int
pb_seckey_file_encrypted(const char *path, int *encrypted_out, pb_error *err)
{
    PB_ASSERT(path != NULL && encrypted_out != NULL);
    struct sk_bytes *bytes = NULL;
    int rc = read_sk_bytes(path, &bytes, err);
    if (rc != PB_OK) {
        return rc;
    }
    *encrypted_out = memcmp(bytes->kdf_alg, KDF_SCRYPT, sizeof(KDF_SCRYPT)) == 0;
    sodium_memzero(bytes, sizeof(*bytes));
    sodium_free(bytes);
    return PB_OK;
}

/* Decrypt (if encrypted) and check a secret key: the checksum, and that the
 * public half is the one its seed gives. minisign -W writes a zero checksum,
 * so an unencrypted key may have either that or the real one. */
static int
unlock_sk_bytes(struct sk_bytes *bytes, const char *passphrase, const char *path, pb_error *err)
{
    int encrypted = memcmp(bytes->kdf_alg, KDF_SCRYPT, sizeof(KDF_SCRYPT)) == 0;
    if (encrypted && passphrase == NULL) {
        return pb_error_set(err, PB_EPASSPHRASE, path,
                            "secret key file is encrypted and no passphrase was given");
    }
    if (encrypted) {
        int rc = apply_kdf_stream(bytes, passphrase, path, err);
        if (rc != PB_OK) {
            return rc;
        }
    }
    uint8_t chk[crypto_generichash_BYTES];
    compute_checksum(bytes, chk);
    int chk_ok = sodium_memcmp(chk, bytes->secret.chk, sizeof(chk)) == 0;
    sodium_memzero(chk, sizeof(chk));
    if (encrypted && !chk_ok) {
        return pb_error_set(err, PB_EPASSPHRASE, path, "wrong passphrase for secret key file");
    }
    if (!encrypted && !chk_ok && !sodium_is_zero(bytes->secret.chk, sizeof(chk))) {
        return keyfile_error(err, path, 2, "secret key checksum does not match (damaged file)");
    }
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (sk == NULL) {
        return pb_error_set(err, PB_ENOMEM, path, "out of memory checking the secret key");
    }
    crypto_sign_seed_keypair(pk, sk, bytes->secret.sk); /* the seed is sk's first half */
    int same = sodium_memcmp(sk, bytes->secret.sk, crypto_sign_SECRETKEYBYTES) == 0;
    sodium_free(sk);
    if (!same) {
        return keyfile_error(err, path, 2,
                             "secret key does not match its public half "
                             "(damaged file)");
    }
    return PB_OK;
}

int
pb_seckey_load(const char *path, const char *passphrase, pb_seckey **key_out, pb_error *err)
{
    PB_ASSERT(path != NULL && key_out != NULL);
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    struct sk_bytes *bytes = NULL;
    int rc = read_sk_bytes(path, &bytes, err);
    if (rc != PB_OK) {
        return rc;
    }
    rc = unlock_sk_bytes(bytes, passphrase, path, err);
    if (rc != PB_OK) {
        goto free_bytes;
    }
    pb_seckey *key = sodium_malloc(sizeof(*key));
    if (key == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, path, "out of memory for the secret key");
        goto free_bytes;
    }
    memcpy(key->key_id, bytes->secret.key_id, sizeof(key->key_id));
    memcpy(key->sk, bytes->secret.sk, sizeof(key->sk));
    sodium_mprotect_readonly(key);
    *key_out = key;
free_bytes:
    sodium_memzero(bytes, sizeof(*bytes));
    sodium_free(bytes);
    return rc;
}

void
pb_seckey_free(pb_seckey *key)
{
    if (key == NULL) {
        return;
    }
    sodium_mprotect_readwrite(key);
    sodium_memzero(key, sizeof(*key));
    sodium_free(key);
}

void
pb_seckey_public(const pb_seckey *key, pb_pubkey *out)
{
    PB_ASSERT(key != NULL && out != NULL);
    memcpy(out->key_id, key->key_id, sizeof(out->key_id));
    crypto_sign_ed25519_sk_to_pk(out->key, key->sk);
}

int
pb_seckey_sign(const pb_seckey *key, const uint8_t *msg, size_t len, uint8_t sig[64], pb_error *err)
{
    (void)err; /* Ed25519 signing cannot fail */
    PB_ASSERT(key != NULL && sig != NULL);
    PB_ASSERT(msg != NULL || len == 0);
    _Static_assert(crypto_sign_BYTES == 64, "Ed25519 signatures are 64 bytes");
    int rc = crypto_sign_detached(sig, NULL, msg, len, key->sk);
    PB_ASSERT(rc == 0);
    return PB_OK;
}

/* ---- Signature files (minisign -S) ---- */

/* A minisign signature, byte for byte: "ED" (the message prehashed with
 * BLAKE2b-512, minisign's default since 0.9) || key number || signature. */
struct sig_bytes {
    uint8_t sig_alg[2];
    uint8_t key_id[8];
    uint8_t sig[crypto_sign_BYTES];
};
_Static_assert(sizeof(struct sig_bytes) == 74, "minisign signature is 74 bytes");

static const uint8_t SIG_ALG_PREHASHED[2] = {'E', 'D'};
static const char TRUSTED_PREFIX[] = "trusted comment: ";

/* Whether text can stand on one comment line minisign reads back whole. */
static int
comment_ok(const char *text)
{
    return text != NULL && strlen(text) <= PB_KEY_COMMENT_BYTES_MAX && strchr(text, '\n') == NULL &&
           strchr(text, '\r') == NULL;
}

int
pb_minisign_sign(const pb_seckey *key, const uint8_t *msg, size_t len, const char *untrusted,
                 const char *trusted, char **sig_out, pb_error *err)
{
    PB_ASSERT(key != NULL && sig_out != NULL);
    PB_ASSERT(msg != NULL || len == 0);
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    *sig_out = NULL;
    if (!comment_ok(untrusted) || !comment_ok(trusted)) {
        return pb_error_set(err, PB_EUSAGE, NULL,
                            "a signature comment must be one line of at most %d bytes",
                            PB_KEY_COMMENT_BYTES_MAX);
    }
    struct sig_bytes bytes;
    uint8_t prehash[crypto_generichash_BYTES_MAX];
    _Static_assert(crypto_generichash_BYTES_MAX == 64, "BLAKE2b-512");
    crypto_generichash(prehash, sizeof(prehash), msg, len, NULL, 0);
    memcpy(bytes.sig_alg, SIG_ALG_PREHASHED, sizeof(bytes.sig_alg));
    memcpy(bytes.key_id, key->key_id, sizeof(bytes.key_id));
    PB_ASSERT(crypto_sign_detached(bytes.sig, NULL, prehash, sizeof(prehash), key->sk) == 0);
    /* The global signature covers the signature and the trusted comment. */
    size_t trusted_len = strlen(trusted);
    uint8_t global_msg[sizeof(bytes.sig) + PB_KEY_COMMENT_BYTES_MAX];
    memcpy(global_msg, bytes.sig, sizeof(bytes.sig));
    memcpy(global_msg + sizeof(bytes.sig), trusted, trusted_len);
    uint8_t global_sig[crypto_sign_BYTES];
    PB_ASSERT(crypto_sign_detached(global_sig, NULL, global_msg, sizeof(bytes.sig) + trusted_len,
                                   key->sk) == 0);
    char sig_b64[sodium_base64_ENCODED_LEN(sizeof(bytes), B64)];
    char global_b64[sodium_base64_ENCODED_LEN(sizeof(global_sig), B64)];
    sodium_bin2base64(sig_b64, sizeof(sig_b64), (const uint8_t *)&bytes, sizeof(bytes), B64);
    sodium_bin2base64(global_b64, sizeof(global_b64), global_sig, sizeof(global_sig), B64);
    size_t size = sizeof(COMMENT_PREFIX) + strlen(untrusted) + sizeof(sig_b64) +
                  sizeof(TRUSTED_PREFIX) + trusted_len + sizeof(global_b64) + 8;
    char *text = malloc(size);
    if (text == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int n = snprintf(text, size, "%s%s\n%s\n%s%s\n%s\n", COMMENT_PREFIX, untrusted, sig_b64,
                     TRUSTED_PREFIX, trusted, global_b64);
    PB_ASSERT(n > 0 && (size_t)n < size);
    *sig_out = text;
    return PB_OK;
}

/* ---- Key generation ---- */

/* Fill bytes with a new key pair, its checksum and, with a passphrase, the
 * scrypt salt and limits, encrypting the secret part. */
static int
make_sk_bytes(struct sk_bytes *bytes, const char *passphrase, pb_pubkey *pub, pb_error *err)
{
    memset(bytes, 0, sizeof(*bytes));
    memcpy(bytes->sig_alg, SIG_ALG, sizeof(SIG_ALG));
    memcpy(bytes->chk_alg, CHK_BLAKE2B, sizeof(CHK_BLAKE2B));
    memcpy(bytes->kdf_alg, passphrase != NULL ? KDF_SCRYPT : KDF_NONE, 2);
    randombytes_buf(bytes->secret.key_id, sizeof(bytes->secret.key_id));
    crypto_sign_keypair(pub->key, bytes->secret.sk);
    memcpy(pub->key_id, bytes->secret.key_id, sizeof(pub->key_id));
    /* poolbook writes the real checksum also for -W keys; minisign ignores it. */
    compute_checksum(bytes, bytes->secret.chk);
    if (passphrase == NULL) {
        return PB_OK;
    }
    /* DESIGN 3: the scrypt limits go into the file; minisign reads them there. */
    randombytes_buf(bytes->kdf_salt, sizeof(bytes->kdf_salt));
    store_le64(bytes->kdf_opslimit_le, PB_KDF_OPSLIMIT);
    store_le64(bytes->kdf_memlimit_le, PB_KDF_MEMLIMIT);
    return apply_kdf_stream(bytes, passphrase, NULL, err);
}

/* Write "untrusted comment: <comment>\n<base64>\n" into text (KEYFILE_BYTES_MAX
 * bytes) and return its length. */
static size_t
format_key_file(char *text, const char *comment, const uint8_t *bin, size_t bin_len)
{
    int n = snprintf(text, KEYFILE_BYTES_MAX, "%s%s\n", COMMENT_PREFIX, comment);
    PB_ASSERT(n > 0 && (size_t)n <= KEYFILE_LINE_BYTES_MAX + 1);
    size_t b64_size = sodium_base64_ENCODED_LEN(bin_len, B64);
    PB_ASSERT((size_t)n + b64_size + 1 <= KEYFILE_BYTES_MAX);
    sodium_bin2base64(text + n, b64_size, bin, bin_len, B64);
    size_t len = (size_t)n + b64_size - 1;
    text[len] = '\n';
    text[len + 1] = '\0';
    return len + 1;
}

/* Create path with O_CREAT|O_EXCL and mode, and write len bytes to it. On
 * failure after creating it, remove it. */
static int
write_new_file(const char *path, mode_t mode, const char *text, size_t len, pb_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
    if (fd < 0) {
        return io_error(err, path, "create", errno);
    }
    int errnum = 0;
    size_t done = 0;
    while (done < len && errnum == 0) {
        ssize_t n = write(fd, text + done, len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n == 0 || errno != EINTR) {
            errnum = n == 0 ? EIO : errno;
        }
    }
    if (errnum == 0 && fsync(fd) != 0) {
        errnum = errno;
    }
    if (close(fd) != 0 && errnum == 0) {
        errnum = errno;
    }
    if (errnum != 0) {
        unlink(path);
        return io_error(err, path, "write", errnum);
    }
    return PB_OK;
}

static int
check_keygen_args(const char *pub_path, const char *sec_path, const char *passphrase,
                  const char *comment, pb_error *err)
{
    if (strcmp(pub_path, sec_path) == 0) {
        return pb_error_set(err, PB_EUSAGE, sec_path,
                            "the public and secret key files are the same path");
    }
    if (comment != NULL &&
        strnlen(comment, PB_KEY_COMMENT_BYTES_MAX + 1) > PB_KEY_COMMENT_BYTES_MAX) {
        return pb_error_set(err, PB_EUSAGE, "comment", "comment is longer than %d bytes",
                            PB_KEY_COMMENT_BYTES_MAX);
    }
    if (comment != NULL && strpbrk(comment, "\r\n") != NULL) {
        return pb_error_set(err, PB_EUSAGE, "comment", "comment has a line break");
    }
    if (passphrase != NULL && passphrase[0] == '\0') {
        return pb_error_set(err, PB_EUSAGE, "passphrase",
                            "passphrase is empty (make an unencrypted key instead)");
    }
    if (passphrase != NULL &&
        strnlen(passphrase, PB_PASSPHRASE_BYTES_MAX + 1) > PB_PASSPHRASE_BYTES_MAX) {
        return pb_error_set(err, PB_EUSAGE, "passphrase", "passphrase is longer than %d bytes",
                            PB_PASSPHRASE_BYTES_MAX);
    }
    return PB_OK;
}

/* Write both files, the public one first; if the secret one cannot be
 * written, remove the public one, so that neither is left behind. */
static int
write_key_files(const char *pub_path, const char *sec_path, const char *comment,
                const struct sk_bytes *bytes, const pb_pubkey *pub, pb_error *err)
{
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(pub->key_id, keyid, sizeof(keyid));
    char default_comment[64];
    char pub_text[KEYFILE_BYTES_MAX];
    char *sec_text = sodium_malloc(KEYFILE_BYTES_MAX);
    if (sec_text == NULL) {
        return pb_error_set(err, PB_ENOMEM, sec_path, "out of memory writing key file");
    }
    struct pk_bytes pk = {.sig_alg = {'E', 'd'}};
    memcpy(pk.key_id, pub->key_id, sizeof(pk.key_id));
    memcpy(pk.pk, pub->key, sizeof(pk.pk));
    snprintf(default_comment, sizeof(default_comment), "poolbook public key %s", keyid);
    size_t pub_len = format_key_file(pub_text, comment != NULL ? comment : default_comment,
                                     (const uint8_t *)&pk, sizeof(pk));
    snprintf(default_comment, sizeof(default_comment), "poolbook %s secret key %s",
             memcmp(bytes->kdf_alg, KDF_SCRYPT, 2) == 0 ? "encrypted" : "unencrypted", keyid);
    size_t sec_len = format_key_file(sec_text, comment != NULL ? comment : default_comment,
                                     (const uint8_t *)bytes, sizeof(*bytes));
    int rc = write_new_file(pub_path, 0644, pub_text, pub_len, err);
    if (rc == PB_OK) {
        rc = write_new_file(sec_path, 0600, sec_text, sec_len, err);
        if (rc != PB_OK) {
            unlink(pub_path);
        }
    }
    sodium_memzero(sec_text, KEYFILE_BYTES_MAX);
    sodium_free(sec_text);
    return rc;
}

int
pb_keygen_write(const char *pub_path, const char *sec_path, const char *passphrase,
                const char *comment, pb_pubkey *pub_out, pb_error *err)
{
    PB_ASSERT(pub_path != NULL && sec_path != NULL);
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    int rc = check_keygen_args(pub_path, sec_path, passphrase, comment, err);
    if (rc != PB_OK) {
        return rc;
    }
    struct sk_bytes *bytes = sodium_malloc(sizeof(*bytes));
    if (bytes == NULL) {
        return pb_error_set(err, PB_ENOMEM, sec_path, "out of memory for the secret key");
    }
    pb_pubkey pub;
    rc = make_sk_bytes(bytes, passphrase, &pub, err);
    if (rc != PB_OK) {
        pb_error_prefix_where(err, sec_path);
        goto free_bytes;
    }
    rc = write_key_files(pub_path, sec_path, comment, bytes, &pub, err);
    if (rc == PB_OK && pub_out != NULL) {
        *pub_out = pub;
    }
free_bytes:
    sodium_memzero(bytes, sizeof(*bytes));
    sodium_free(bytes);
    return rc;
}
