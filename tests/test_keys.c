/*
 * test_keys.c — ledger/log/keys.c: key pairs in minisign's formats. Round trips,
 * file modes and O_EXCL refusals, passphrases, every malformed-file case with
 * its code and line, KEYID text, and known answers from keys made by stock
 * minisign 0.11. The CLI and stock minisign itself are exercised by
 * tests/cli/minisign_interop.sh. Files go in a mkdtemp directory, removed after.
 */
#include "log/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* Made by `minisign -G -W` (0.11): an unencrypted key, whose checksum minisign
 * leaves as zeros, and its public key. A test fixture, never used to sign. */
static const char MINISIGN_W_KEY[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAzpY1hOwsyPI4+dGIVHAn7Y"
    "JGQO1kzWJoYgFkPzcfEIQ6CJM0UvVqqD2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbiAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char MINISIGN_W_PUB[] = "untrusted comment: minisign public key F2C82CEC843596CE\n"
                                     "RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi\n";
static const char MINISIGN_W_PUB_LINE[] =
    "RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi";
static const char MINISIGN_W_KEYID[] = "F2C82CEC843596CE";

#define SK_BYTES 158
#define B64 sodium_base64_VARIANT_ORIGINAL

static char tmp_dir[64];
static char path_buf[4][256];
static int path_next;

/* A path in the temporary directory; four live at once. */
static const char *
tmp_path(const char *name)
{
    char *buf = path_buf[path_next];
    path_next = (path_next + 1) % 4;
    snprintf(buf, sizeof(path_buf[0]), "%s/%s", tmp_dir, name);
    return buf;
}

static void
write_file(const char *path, const void *data, size_t len)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void
write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

static size_t
read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, size - 1);
    assert_true(n >= 0);
    close(fd);
    buf[n] = '\0';
    return (size_t)n;
}

static int
file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The 158 bytes of the minisign -W fixture. */
static void
fixture_bytes(uint8_t bytes[SK_BYTES])
{
    const char *line = strchr(MINISIGN_W_KEY, '\n') + 1;
    size_t len = 0;
    assert_int_equal(
        sodium_base642bin(bytes, SK_BYTES, line, strlen(line) - 1, NULL, &len, NULL, B64), 0);
    assert_int_equal(len, SK_BYTES);
}

/* Write a secret key file of bytes under comment. */
static void
write_sk_bytes(const char *path, const uint8_t bytes[SK_BYTES])
{
    char text[512];
    int n = snprintf(text, sizeof(text), "untrusted comment: test\n");
    sodium_bin2base64(text + n, sizeof(text) - (size_t)n, bytes, SK_BYTES, B64);
    size_t len = strlen(text);
    text[len] = '\n';
    text[len + 1] = '\0';
    write_text(path, text);
}

static void
set_le64(uint8_t *out, uint64_t value)
{
    for (size_t i = 0; i < 8; i++) {
        out[i] = (uint8_t)(value >> (8 * i));
    }
}

static void
assert_verifies(const pb_seckey *key, const pb_pubkey *pub)
{
    static const uint8_t msg[] = "poolbook-entry-v1\n{\"id\":\"x\"}";
    uint8_t sig[64];
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_seckey_sign(key, msg, sizeof(msg) - 1, sig, &err), PB_OK);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg) - 1, pub->key), 0);
    assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg) - 2, pub->key), 0);
}

static int
group_setup(void **state)
{
    (void)state;
    if (sodium_init() < 0) {
        return -1;
    }
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/pb-test-keys-XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
    (void)state;
    DIR *dir = opendir(tmp_dir);
    if (dir == NULL) {
        return -1;
    }
    char path[512];
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", tmp_dir, entry->d_name);
            unlink(path);
        }
    }
    closedir(dir);
    return rmdir(tmp_dir);
}

/* ---- Key generation ---- */

static void
test_keygen_unencrypted_round_trip(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("w.pub");
    const char *sec_path = tmp_path("w.key");
    pb_error err;
    pb_error_init(&err);
    pb_pubkey made;
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, &made, &err), PB_OK);
    pb_pubkey loaded;
    assert_int_equal(pb_pubkey_load(pub_path, &loaded, &err), PB_OK);
    assert_memory_equal(&made, &loaded, sizeof(made));
    int encrypted = -1;
    assert_int_equal(pb_seckey_file_encrypted(sec_path, &encrypted, &err), PB_OK);
    assert_int_equal(encrypted, 0);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, NULL, &key, &err), PB_OK);
    pb_pubkey from_secret;
    pb_seckey_public(key, &from_secret);
    assert_memory_equal(&made, &from_secret, sizeof(made));
    assert_verifies(key, &made);
    pb_seckey_free(key);
    /* A passphrase given for an unencrypted key is ignored. */
    assert_int_equal(pb_seckey_load(sec_path, "anything", &key, &err), PB_OK);
    pb_seckey_free(key);
}

static void
test_keygen_default_comments_name_keyid(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("dc.pub");
    const char *sec_path = tmp_path("dc.key");
    pb_pubkey made;
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, &made, NULL), PB_OK);
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(made.key_id, keyid, sizeof(keyid));
    char text[4096];
    char expected[128];
    read_text(pub_path, text, sizeof(text));
    snprintf(expected, sizeof(expected), "untrusted comment: poolbook public key %s\n", keyid);
    assert_true(strncmp(text, expected, strlen(expected)) == 0);
    read_text(sec_path, text, sizeof(text));
    snprintf(expected, sizeof(expected), "untrusted comment: poolbook unencrypted secret key %s\n",
             keyid);
    assert_true(strncmp(text, expected, strlen(expected)) == 0);
}

static void
test_keygen_encrypted_round_trip(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("e.pub");
    const char *sec_path = tmp_path("e.key");
    pb_error err;
    pb_error_init(&err);
    pb_pubkey made;
    assert_int_equal(
        pb_keygen_write(pub_path, sec_path, "correct horse", "finance key", &made, &err), PB_OK);
    int encrypted = -1;
    assert_int_equal(pb_seckey_file_encrypted(sec_path, &encrypted, &err), PB_OK);
    assert_int_equal(encrypted, 1);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, "correct horse", &key, &err), PB_OK);
    assert_verifies(key, &made);
    pb_seckey_free(key);
    /* The file holds minisign's layout with poolbook's scrypt limits. */
    char text[4096];
    read_text(sec_path, text, sizeof(text));
    assert_true(strncmp(text, "untrusted comment: finance key\n", 31) == 0);
    uint8_t bytes[SK_BYTES];
    size_t len = 0;
    assert_int_equal(sodium_base642bin(bytes, sizeof(bytes), text + 31, strlen(text + 31) - 1, NULL,
                                       &len, NULL, B64),
                     0);
    assert_memory_equal(bytes, "EdScB2", 6);
    uint8_t limit[8];
    set_le64(limit, PB_KDF_OPSLIMIT);
    assert_memory_equal(bytes + 38, limit, 8);
    set_le64(limit, PB_KDF_MEMLIMIT);
    assert_memory_equal(bytes + 46, limit, 8);
    /* The key number is encrypted: it does not show in the clear. */
    assert_memory_not_equal(bytes + 54, made.key_id, 8);
}

static void
test_keygen_file_modes(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("m.pub");
    const char *sec_path = tmp_path("m.key");
    mode_t old = umask(0);
    int rc = pb_keygen_write(pub_path, sec_path, NULL, NULL, NULL, NULL);
    umask(old);
    assert_int_equal(rc, PB_OK);
    struct stat st;
    assert_int_equal(stat(sec_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(pub_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

static void
test_keygen_refuses_existing_secret(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("x1.pub");
    const char *sec_path = tmp_path("x1.key");
    write_text(sec_path, "keep me\n");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, NULL, &err), PB_EEXIST);
    assert_int_equal(err.code, PB_EEXIST);
    assert_string_equal(err.where, sec_path);
    assert_false(file_exists(pub_path));
    char text[64];
    read_text(sec_path, text, sizeof(text));
    assert_string_equal(text, "keep me\n");
}

static void
test_keygen_refuses_existing_public(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("x2.pub");
    const char *sec_path = tmp_path("x2.key");
    write_text(pub_path, "keep me\n");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, "pw", NULL, NULL, &err), PB_EEXIST);
    assert_string_equal(err.where, pub_path);
    assert_false(file_exists(sec_path));
    char text[64];
    read_text(pub_path, text, sizeof(text));
    assert_string_equal(text, "keep me\n");
}

static void
test_keygen_io_error_leaves_nothing(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("io.pub");
    const char *sec_path = tmp_path("no-such-dir/io.key");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, NULL, &err), PB_EIO);
    assert_string_equal(err.where, sec_path);
    assert_int_equal(err.sys, ENOENT);
    assert_false(file_exists(pub_path)); /* written first, then removed */
    pb_error_init(&err);
    assert_int_equal(pb_keygen_write(tmp_path("no-such-dir/io.pub"), tmp_path("io2.key"), NULL,
                                     NULL, NULL, &err),
                     PB_EIO);
    assert_false(file_exists(tmp_path("io2.key")));
}

static void
test_keygen_refuses_bad_arguments(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("u.pub");
    const char *sec_path = tmp_path("u.key");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_keygen_write(sec_path, sec_path, NULL, NULL, NULL, &err), PB_EUSAGE);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, "two\nlines", NULL, NULL),
                     PB_EUSAGE);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, "cr\r", NULL, NULL), PB_EUSAGE);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, "", NULL, NULL, NULL), PB_EUSAGE);
    char long_text[PB_PASSPHRASE_BYTES_MAX + 2];
    memset(long_text, 'p', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(pb_keygen_write(pub_path, sec_path, long_text, NULL, NULL, NULL), PB_EUSAGE);
    assert_false(file_exists(pub_path));
    assert_false(file_exists(sec_path));
}

static void
test_keygen_comment_at_limit(void **state)
{
    (void)state;
    char comment[PB_KEY_COMMENT_BYTES_MAX + 2];
    memset(comment, 'c', sizeof(comment) - 1);
    comment[sizeof(comment) - 1] = '\0'; /* one past the limit */
    const char *pub_path = tmp_path("c.pub");
    const char *sec_path = tmp_path("c.key");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, comment, NULL, &err), PB_EUSAGE);
    comment[PB_KEY_COMMENT_BYTES_MAX] = '\0'; /* at the limit */
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, comment, NULL, NULL), PB_OK);
    pb_pubkey pub;
    assert_int_equal(pb_pubkey_load(pub_path, &pub, NULL), PB_OK);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, NULL, &key, NULL), PB_OK);
    pb_seckey_free(key);
}

static void
test_keygen_passphrase_at_limit(void **state)
{
    (void)state;
    char passphrase[PB_PASSPHRASE_BYTES_MAX + 1];
    memset(passphrase, 'p', PB_PASSPHRASE_BYTES_MAX);
    passphrase[PB_PASSPHRASE_BYTES_MAX] = '\0';
    const char *pub_path = tmp_path("pl.pub");
    const char *sec_path = tmp_path("pl.key");
    assert_int_equal(pb_keygen_write(pub_path, sec_path, passphrase, NULL, NULL, NULL), PB_OK);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, passphrase, &key, NULL), PB_OK);
    pb_seckey_free(key);
}

/* ---- Passphrases ---- */

static void
test_wrong_and_missing_passphrase(void **state)
{
    (void)state;
    const char *pub_path = tmp_path("p.pub");
    const char *sec_path = tmp_path("p.key");
    assert_int_equal(pb_keygen_write(pub_path, sec_path, "right", NULL, NULL, NULL), PB_OK);
    pb_error err;
    pb_error_init(&err);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, "wrong", &key, &err), PB_EPASSPHRASE);
    assert_null(key);
    assert_string_equal(err.where, sec_path);
    assert_string_equal(err.text, "wrong passphrase for secret key file");
    pb_error_init(&err);
    assert_int_equal(pb_seckey_load(sec_path, NULL, &key, &err), PB_EPASSPHRASE);
    assert_null(key);
    assert_string_equal(err.where, sec_path);
    assert_string_equal(err.text, "secret key file is encrypted and no passphrase was given");
    assert_int_equal(pb_exit_code(err.code), 3);
}

/* ---- Known answers from stock minisign ---- */

static void
test_minisign_unencrypted_key_loads(void **state)
{
    (void)state;
    const char *sec_path = tmp_path("ms.key");
    write_text(sec_path, MINISIGN_W_KEY);
    pb_error err;
    pb_error_init(&err);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, NULL, &key, &err), PB_OK);
    pb_pubkey from_secret;
    pb_seckey_public(key, &from_secret);
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(from_secret.key_id, keyid, sizeof(keyid));
    assert_string_equal(keyid, MINISIGN_W_KEYID);
    pb_pubkey pub;
    assert_int_equal(pb_pubkey_parse(MINISIGN_W_PUB_LINE, &pub, &err), PB_OK);
    assert_memory_equal(&pub, &from_secret, sizeof(pub));
    assert_verifies(key, &pub);
    pb_seckey_free(key);
}

static void
test_minisign_public_key(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    pb_pubkey pub;
    assert_int_equal(pb_pubkey_parse(MINISIGN_W_PUB_LINE, &pub, &err), PB_OK);
    char text[64];
    pb_keyid_format(pub.key_id, text, sizeof(text));
    assert_string_equal(text, MINISIGN_W_KEYID);
    pb_pubkey_encode(&pub, text, 57);
    assert_string_equal(text, MINISIGN_W_PUB_LINE);
    /* The file, the bare line, and CRLF line ends all load the same key. */
    const char *forms[] = {
        MINISIGN_W_PUB,
        "RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi\n",
        "RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi",
        "untrusted comment: x\r\nRWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const char *path = tmp_path("ms.pub");
        write_text(path, forms[i]);
        pb_pubkey loaded;
        assert_int_equal(pb_pubkey_load(path, &loaded, &err), PB_OK);
        assert_memory_equal(&loaded, &pub, sizeof(pub));
    }
}

/* ---- KEYID ---- */

static void
test_keyid_format_and_parse(void **state)
{
    (void)state;
    /* minisign prints the little-endian key number: bytes CE 96 .. F2. */
    const uint8_t key_id[8] = {0xce, 0x96, 0x35, 0x84, 0xec, 0x2c, 0xc8, 0xf2};
    char text[PB_KEYID_TEXT_MAX];
    pb_keyid_format(key_id, text, sizeof(text));
    assert_string_equal(text, "F2C82CEC843596CE");
    uint8_t parsed[8];
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_keyid_parse("F2C82CEC843596CE", parsed, &err), PB_OK);
    assert_memory_equal(parsed, key_id, 8);
    const uint8_t low[8] = {0x01, 0, 0, 0, 0, 0, 0, 0x0a};
    pb_keyid_format(low, text, sizeof(text));
    assert_string_equal(text, "0A00000000000001");
}

static void
test_keyid_parse_refuses(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "F2C82CEC843596C",   /* 15 digits */
        "F2C82CEC843596CE0", /* 17 digits */
        "f2c82cec843596ce",  /* lowercase: one key, one spelling */
        "F2C82CEC843596CG",
        "F2C82CEC 43596CE",
        "0xF2C82CEC843596",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_error err;
        pb_error_init(&err);
        uint8_t parsed[8];
        assert_int_equal(pb_keyid_parse(bad[i], parsed, &err), PB_EKEYFILE);
        assert_int_equal(err.code, PB_EKEYFILE);
    }
}

/* ---- Malformed files ---- */

/* Load path as a secret key and expect code with err->where the path. */
static void
expect_seckey_error(const char *path, int code, int64_t line, const char *text)
{
    pb_error err;
    pb_error_init(&err);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(path, "pw", &key, &err), code);
    assert_null(key);
    assert_int_equal(err.code, code);
    assert_string_equal(err.where, path);
    assert_int_equal(err.line, line);
    assert_string_equal(err.text, text);
}

static void
expect_pubkey_error(const char *path, int code, int64_t line, const char *text)
{
    pb_error err;
    pb_error_init(&err);
    pb_pubkey pub;
    assert_int_equal(pb_pubkey_load(path, &pub, &err), code);
    assert_string_equal(err.where, path);
    assert_int_equal(err.line, line);
    assert_string_equal(err.text, text);
}

static void
test_secret_file_malformed_text(void **state)
{
    (void)state;
    const char *good = strchr(MINISIGN_W_KEY, '\n') + 1; /* the base64 line */
    char text[8192];
    struct {
        const char *name;
        const char *before; /* then the good base64 line with its newline, if with_key */
        int with_key;
        const char *after;
        int64_t line;
        const char *text;
    } cases[] = {
        {"empty", "", 0, "", 0, "key file is empty"},
        {"no-comment", "", 1, "", 1, "no \"untrusted comment:\" line"},
        {"other-first-line", "comment: x\n", 1, "", 1, "no \"untrusted comment:\" line"},
        {"comment-only", "untrusted comment: x\n", 0, "", 2, "no key line after the comment"},
        {"blank-key-line", "untrusted comment: x\n\n", 1, "", 2, "no key line after the comment"},
        {"trailing-text", "untrusted comment: x\n", 1, "extra\n", 3,
         "unexpected text after the key line"},
        {"space-in-key", "untrusted comment: x\n ", 1, "", 2,
         "key line has 213 characters, expected 212"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = tmp_path(cases[i].name);
        snprintf(text, sizeof(text), "%s%s%s", cases[i].before, cases[i].with_key ? good : "",
                 cases[i].after);
        write_text(path, text);
        expect_seckey_error(path, PB_EKEYFILE, cases[i].line, cases[i].text);
    }
}

static void
test_secret_file_malformed_base64(void **state)
{
    (void)state;
    char text[8192];
    snprintf(text, sizeof(text), "%s", MINISIGN_W_KEY);
    size_t len = strlen(text);
    const char *path = tmp_path("truncated-line");
    write_text(path, "untrusted comment: x\nRWQAAEIyAAAAAAAA\n");
    expect_seckey_error(path, PB_EKEYFILE, 2, "key line has 16 characters, expected 212");
    path = tmp_path("truncated-file");
    write_file(path, text, len - 40);
    expect_seckey_error(path, PB_EKEYFILE, 2, "key line has 173 characters, expected 212");
    path = tmp_path("too-long-line");
    snprintf(text + len - 1, sizeof(text) - len, "AAAA\n");
    write_text(path, text);
    expect_seckey_error(path, PB_EKEYFILE, 2, "key line has 216 characters, expected 212");
    path = tmp_path("bad-base64");
    snprintf(text, sizeof(text), "%s", MINISIGN_W_KEY);
    text[60] = '*';
    write_text(path, text);
    expect_seckey_error(path, PB_EKEYFILE, 2, "key line is not valid base64");
    path = tmp_path("bad-padding");
    snprintf(text, sizeof(text), "%s", MINISIGN_W_KEY);
    text[len - 2] = 'A'; /* the '=' */
    write_text(path, text);
    expect_seckey_error(path, PB_EKEYFILE, 2, "key line is not valid base64");
    path = tmp_path("public-as-secret");
    write_text(path, MINISIGN_W_PUB);
    expect_seckey_error(path, PB_EKEYFILE, 2, "key line has 56 characters, expected 212");
}

static void
test_secret_file_malformed_size_and_bytes(void **state)
{
    (void)state;
    char text[8192];
    const char *path = tmp_path("nul-byte");
    snprintf(text, sizeof(text), "%s", MINISIGN_W_KEY);
    text[5] = '\0';
    write_file(path, text, strlen(MINISIGN_W_KEY));
    expect_seckey_error(path, PB_EKEYFILE, 0, "key file contains a NUL byte");
    path = tmp_path("oversize");
    memset(text, ' ', 5000);
    memcpy(text, MINISIGN_W_KEY, strlen(MINISIGN_W_KEY));
    write_file(path, text, 5000);
    expect_seckey_error(path, PB_EKEYFILE, 0, "key file is larger than 4096 bytes");
    path = tmp_path("long-comment");
    memset(text, 'c', 1100);
    memcpy(text, "untrusted comment: ", 19);
    snprintf(text + 1100, sizeof(text) - 1100, "\n%s", strchr(MINISIGN_W_KEY, '\n') + 1);
    write_text(path, text);
    expect_seckey_error(path, PB_EKEYFILE, 1, "comment line is longer than 1022 bytes");
    expect_seckey_error(tmp_path("no-such-file"), PB_EIO, 0,
                        "cannot open key file: No such file or directory");
}

static void
test_secret_file_wrong_algorithms(void **state)
{
    (void)state;
    struct {
        const char *name;
        size_t offset;
        const char *bytes;
        const char *text;
    } cases[] = {
        {"sig-alg", 0, "Ec", "not an Ed25519 minisign key (expected \"Ed\")"},
        {"kdf-alg", 2, "Sd", "unknown key derivation (expected \"Sc\" or none)"},
        {"chk-alg", 4, "B3", "unknown checksum algorithm (expected \"B2\")"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t bytes[SK_BYTES];
        fixture_bytes(bytes);
        memcpy(bytes + cases[i].offset, cases[i].bytes, 2);
        const char *path = tmp_path(cases[i].name);
        write_sk_bytes(path, bytes);
        expect_seckey_error(path, PB_EKEYFILE, 2, cases[i].text);
        pb_error err;
        pb_error_init(&err);
        int encrypted = 0;
        assert_int_equal(pb_seckey_file_encrypted(path, &encrypted, &err), PB_EKEYFILE);
    }
}

static void
test_secret_file_scrypt_limits(void **state)
{
    (void)state;
    uint8_t bytes[SK_BYTES];
    fixture_bytes(bytes);
    memcpy(bytes + 2, "Sc", 2);
    set_le64(bytes + 38, PB_KDF_OPSLIMIT);
    set_le64(bytes + 46, (uint64_t)1 << 31); /* 2 GiB: more than minisign's own */
    const char *path = tmp_path("memlimit");
    write_sk_bytes(path, bytes);
    expect_seckey_error(
        path, PB_EKEYFILE, 2,
        "scrypt limits above minisign's own (opslimit 1048576, memlimit 2147483648)");
    set_le64(bytes + 38, (uint64_t)1 << 40);
    set_le64(bytes + 46, PB_KDF_MEMLIMIT);
    path = tmp_path("opslimit");
    write_sk_bytes(path, bytes);
    expect_seckey_error(
        path, PB_EKEYFILE, 2,
        "scrypt limits above minisign's own (opslimit 1099511627776, memlimit 33554432)");
}

static void
test_secret_file_damaged_unencrypted(void **state)
{
    (void)state;
    uint8_t bytes[SK_BYTES];
    /* minisign's zero checksum, with a flipped bit in the public half. */
    fixture_bytes(bytes);
    bytes[62 + 40] ^= 1;
    const char *path = tmp_path("damaged-zero-chk");
    write_sk_bytes(path, bytes);
    expect_seckey_error(path, PB_EKEYFILE, 2,
                        "secret key does not match its public half (damaged file)");
    /* A real checksum that no longer matches the key. */
    const char *pub_path = tmp_path("dm.pub");
    const char *sec_path = tmp_path("dm.key");
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, NULL, NULL), PB_OK);
    char text[4096];
    read_text(sec_path, text, sizeof(text));
    const char *line = strchr(text, '\n') + 1;
    size_t len = 0;
    assert_int_equal(
        sodium_base642bin(bytes, SK_BYTES, line, strlen(line) - 1, NULL, &len, NULL, B64), 0);
    assert_false(sodium_is_zero(bytes + 126, 32)); /* poolbook writes the checksum */
    bytes[62] ^= 1;
    path = tmp_path("damaged-chk");
    write_sk_bytes(path, bytes);
    expect_seckey_error(path, PB_EKEYFILE, 2, "secret key checksum does not match (damaged file)");
}

static void
test_secret_file_accepted_forms(void **state)
{
    (void)state;
    char text[4096];
    const char *line = strchr(MINISIGN_W_KEY, '\n') + 1;
    const struct {
        const char *comment_line;
        const char *after;
    } forms[] = {
        {"untrusted comment: crlf\r\n", "\r\n"},
        {"untrusted comment: no final newline\n", ""},
        {"untrusted comment: trailing blank lines\n", "\n\n  \n"},
        {"untrusted comment:\n", "\n"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const char *path = tmp_path("form.key");
        snprintf(text, sizeof(text), "%s%.212s%s", forms[i].comment_line, line, forms[i].after);
        write_text(path, text);
        pb_error err;
        pb_error_init(&err);
        pb_seckey *key = NULL;
        assert_int_equal(pb_seckey_load(path, NULL, &key, &err), PB_OK);
        pb_seckey_free(key);
    }
    pb_seckey_free(NULL);
}

static void
test_public_file_malformed(void **state)
{
    (void)state;
    struct {
        const char *name;
        const char *text;
        int64_t line;
        const char *message;
    } cases[] = {
        {"p-empty", "", 0, "key file is empty"},
        {"p-comment-only", "untrusted comment: x\n", 2, "no key line after the comment"},
        {"p-bad-base64",
         "untrusted comment: x\nRWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIk*i\n", 2,
         "key line is not valid base64"},
        {"p-short", "untrusted comment: x\nRWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWl\n",
         2, "key line has 52 characters, expected 56"},
        {"p-wrong-alg",
         "untrusted comment: x\nRXTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi\n", 2,
         "not an Ed25519 minisign key (expected \"Ed\")"},
        {"p-trailing",
         "untrusted comment: x\nRWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi\nx\n", 3,
         "unexpected text after the key line"},
        {"p-garbage", "not a key\n", 1, "key line has 9 characters, expected 56"},
        {"p-secret", MINISIGN_W_KEY, 2, "key line has 212 characters, expected 56"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = tmp_path(cases[i].name);
        write_text(path, cases[i].text);
        expect_pubkey_error(path, PB_EKEYFILE, cases[i].line, cases[i].message);
    }
    expect_pubkey_error(tmp_path("p-no-such-file"), PB_EIO, 0,
                        "cannot open key file: No such file or directory");
}

static void
test_pubkey_parse_refuses(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi\n",
        " RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi",
        "RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq-xlxC_PdI5SzUWlIkbi", /* URL-safe alphabet */
        "RXTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi", /* not "Ed" */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_error err;
        pb_error_init(&err);
        pb_pubkey pub;
        assert_int_equal(pb_pubkey_parse(bad[i], &pub, &err), PB_EKEYFILE);
        assert_string_equal(err.where, "");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_unencrypted_round_trip),
        cmocka_unit_test(test_keygen_default_comments_name_keyid),
        cmocka_unit_test(test_keygen_encrypted_round_trip),
        cmocka_unit_test(test_keygen_file_modes),
        cmocka_unit_test(test_keygen_refuses_existing_secret),
        cmocka_unit_test(test_keygen_refuses_existing_public),
        cmocka_unit_test(test_keygen_io_error_leaves_nothing),
        cmocka_unit_test(test_keygen_refuses_bad_arguments),
        cmocka_unit_test(test_keygen_comment_at_limit),
        cmocka_unit_test(test_keygen_passphrase_at_limit),
        cmocka_unit_test(test_wrong_and_missing_passphrase),
        cmocka_unit_test(test_minisign_unencrypted_key_loads),
        cmocka_unit_test(test_minisign_public_key),
        cmocka_unit_test(test_keyid_format_and_parse),
        cmocka_unit_test(test_keyid_parse_refuses),
        cmocka_unit_test(test_secret_file_malformed_text),
        cmocka_unit_test(test_secret_file_malformed_base64),
        cmocka_unit_test(test_secret_file_malformed_size_and_bytes),
        cmocka_unit_test(test_secret_file_wrong_algorithms),
        cmocka_unit_test(test_secret_file_scrypt_limits),
        cmocka_unit_test(test_secret_file_damaged_unencrypted),
        cmocka_unit_test(test_secret_file_accepted_forms),
        cmocka_unit_test(test_public_file_malformed),
        cmocka_unit_test(test_pubkey_parse_refuses),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
