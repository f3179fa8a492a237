/*
 * fuzz_keys.c — minisign key files (ledger/log/keys.c). The input is written
 * to a public and a secret key file. Invariants: a public key line that
 * parses encodes back to the same line; a public key file that loads gives a
 * key whose line parses to the same key; a secret key file is never accepted
 * without its passphrase when encrypted, and one that loads signs a message
 * its own public half verifies.
 */
#include "fixture.h"
#include "fuzz.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

/* The two files every input is written to: made once, mode 0600, in the
 * scratch folder (a tmpfs where there is one), and truncated for each input
 * rather than created and removed (the file system's inode work was four
 * fifths of the time). */
static char pub_path[128], sec_path[128];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(pub_path, sizeof(pub_path), "%s/fuzz.pub", fuzz_scratch_dir());
    snprintf(sec_path, sizeof(sec_path), "%s/fuzz.key", fuzz_scratch_dir());
    return 0;
}

static void
write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    FUZZ_CHECK(close(fd) == 0);
}

static void
check_pubkey(const pb_pubkey *key)
{
    char line[64];
    pb_pubkey again;
    pb_pubkey_encode(key, line, sizeof(line));
    FUZZ_CHECK(pb_pubkey_parse(line, &again, NULL) == PB_OK);
    FUZZ_CHECK(memcmp(&again, key, sizeof(again)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    pb_pubkey key;
    if (pb_pubkey_parse(text, &key, NULL) == PB_OK) {
        char line[64];
        pb_pubkey_encode(&key, line, sizeof(line));
        FUZZ_CHECK(strcmp(line, text) == 0); /* one spelling (strict base64) */
        check_pubkey(&key);
    }
    free(text);
    write_file(pub_path, data, size);
    if (pb_pubkey_load(pub_path, &key, NULL) == PB_OK) {
        check_pubkey(&key);
    }
    write_file(sec_path, data, size);
    int encrypted = 0;
    pb_seckey *sk = NULL;
    int enc_rc = pb_seckey_file_encrypted(sec_path, &encrypted, NULL);
    int rc = pb_seckey_load(sec_path, NULL, &sk, NULL);
    FUZZ_CHECK(!(enc_rc == PB_OK && encrypted && rc == PB_OK));
    if (rc == PB_OK) {
        static const uint8_t msg[] = "poolbook fuzz";
        uint8_t sig[64];
        pb_pubkey pub;
        pb_seckey_public(sk, &pub);
        FUZZ_CHECK(pb_seckey_sign(sk, msg, sizeof(msg), sig, NULL) == PB_OK);
        FUZZ_CHECK(crypto_sign_verify_detached(sig, msg, sizeof(msg), pub.key) == 0);
        pb_seckey_free(sk);
    }
    return 0;
}
