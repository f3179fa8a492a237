/*
 * key_sign.c — test tool: load a secret key file the way the poolbook command
 * does (cli_load_seckey: passphrase from a file, $POOLBOOK_PASSPHRASE_FILE or
 * the terminal) and sign a file with it, so tests/cli/minisign_interop.sh can
 * check keys made by stock minisign. Prints three lines: the KEYID, the
 * base64 Ed25519 signature of the file's bytes, and the public key line.
 *
 * usage: key_sign SECFILE MESSAGEFILE [PASSPHRASE_FILE]
 *
 * No command signs yet, so this tool compiles the CLI's own passphrase.c and
 * util.c in: its errors and exit codes are exactly the command's.
 */
#include "../../cli/passphrase.c"
#include "../../cli/util.c"
#include "../../cli/config.c"

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: key_sign SECFILE MESSAGEFILE [PASSPHRASE_FILE]\n");
        return 2;
    }
    if (sodium_init() < 0) {
        cli_die_env("libsodium could not be initialised");
    }
    pb_seckey *key = cli_load_seckey(argv[1], argc == 4 ? argv[3] : NULL);
    size_t len = 0;
    char *msg = cli_read_file(argv[2], PB_INPUT_BYTES_MAX, 0, &len);
    uint8_t sig[crypto_sign_BYTES];
    pb_error err;
    pb_error_init(&err);
    if (pb_seckey_sign(key, (const uint8_t *)msg, len, sig, &err) != PB_OK) {
        cli_fail(&err);
    }
    pb_pubkey pub;
    pb_seckey_public(key, &pub);
    pb_seckey_free(key);
    free(msg);
    char keyid[PB_KEYID_TEXT_MAX];
    char sig_b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char line[64];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    pb_pubkey_encode(&pub, line, sizeof(line));
    printf("%s\n%s\n%s\n", keyid, sig_b64, line);
    return cli_finish_stdout();
}
