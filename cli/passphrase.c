/*
 * passphrase.c — getting a key's passphrase and loading secret keys for the
 * commands. A passphrase comes from the file named by --passphrase-file, else
 * the file named by $POOLBOOK_PASSPHRASE_FILE, else the terminal with echo off.
 * Passphrases live in sodium_malloc'd memory and are wiped after use.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* A passphrase buffer holds PB_PASSPHRASE_BYTES_MAX bytes, a newline and a NUL;
 * reading one byte more tells a line that is too long. */
#define PASSPHRASE_BUF_BYTES (PB_PASSPHRASE_BYTES_MAX + 3)

static char *
passphrase_alloc(void)
{
    char *buf = sodium_malloc(PASSPHRASE_BUF_BYTES);
    if (buf == NULL) {
        cli_die_env("out of memory for a passphrase");
    }
    memset(buf, 0, PASSPHRASE_BUF_BYTES);
    return buf;
}

void
cli_passphrase_free(char *passphrase)
{
    if (passphrase != NULL) {
        sodium_memzero(passphrase, PASSPHRASE_BUF_BYTES);
        sodium_free(passphrase);
    }
}

/* Cut buf (len bytes read) at its first line end; exit if that line is too
 * long or holds a NUL. where names the source for the message. */
static void
keep_first_line(char *buf, size_t len, const char *where)
{
    char *nl = memchr(buf, '\n', len);
    size_t line = nl != NULL ? (size_t)(nl - buf) : len;
    if (line > 0 && buf[line - 1] == '\r') {
        line--;
    }
    if (line > PB_PASSPHRASE_BYTES_MAX || memchr(buf, '\0', line) != NULL) {
        cli_passphrase_free(buf);
        cli_die_env("passphrase is longer than %d bytes or holds a NUL byte (%s)",
                    PB_PASSPHRASE_BYTES_MAX, where);
    }
    sodium_memzero(buf + line, PASSPHRASE_BUF_BYTES - line);
}

/* The first line of a passphrase file ("-": standard input), newline
 * stripped. Standard input is read a byte at a time, so nothing after the
 * passphrase's line is taken from it. */
static char *
read_passphrase_file(const char *path)
{
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    size_t chunk_max = is_stdin ? 1 : PASSPHRASE_BUF_BYTES;
    if (is_stdin) {
        path = "stdin";
    }
    if (fd < 0) {
        cli_die_env("cannot open passphrase file: %s (%s)", pb_errno_text(errno), path);
    }
    char *buf = passphrase_alloc();
    size_t len = 0;
    while (len < PASSPHRASE_BUF_BYTES - 1) {
        size_t want = PASSPHRASE_BUF_BYTES - 1 - len;
        ssize_t n = read(fd, buf + len, want < chunk_max ? want : chunk_max);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int errnum = errno;
            if (!is_stdin) {
                close(fd);
            }
            cli_passphrase_free(buf);
            cli_die_env("cannot read passphrase file: %s (%s)", pb_errno_text(errnum), path);
        }
        if (n == 0 || memchr(buf + len, '\n', (size_t)n) != NULL) {
            len += (size_t)n;
            break;
        }
        len += (size_t)n;
    }
    if (!is_stdin) {
        close(fd);
    }
    keep_first_line(buf, len, path);
    return buf;
}

/* The terminal being read with echo off, so a signal can turn echo back on. */
static int tty_fd = -1;
static struct termios tty_saved;

static void
restore_tty_on_signal(int sig)
{
    if (tty_fd >= 0) {
        tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* Read one line from the terminal fd into buf; returns its length. */
static size_t
read_tty_line(int fd, char *buf)
{
    size_t len = 0;
    while (len < PASSPHRASE_BUF_BYTES - 1) {
        char c = 0;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || c == '\n') {
            break;
        }
        buf[len++] = c;
    }
    return len;
}

/* Ask on the terminal with echo off. */
static char *
ask_terminal(const char *prompt)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        cli_die_env("no passphrase: no terminal to ask on; use --passphrase-file FILE or "
                    "$POOLBOOK_PASSPHRASE_FILE (/dev/tty)");
    }
    struct termios quiet;
    if (tcgetattr(fd, &tty_saved) != 0) {
        close(fd);
        cli_die_env("cannot set up the terminal: %s (/dev/tty)", pb_errno_text(errno));
    }
    struct sigaction old[TTY_SIGNALS];
    struct sigaction on_signal = {.sa_handler = restore_tty_on_signal};
    sigemptyset(&on_signal.sa_mask);
    tty_fd = fd;
    for (size_t i = 0; i < TTY_SIGNALS; i++) {
        sigaction(tty_signals[i], &on_signal, &old[i]);
    }
    quiet = tty_saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* The prompt is a courtesy; the read below still works. */
    }
    char *buf = passphrase_alloc();
    size_t len = read_tty_line(fd, buf);
    tcsetattr(fd, TCSAFLUSH, &tty_saved);
    for (size_t i = 0; i < TTY_SIGNALS; i++) {
        sigaction(tty_signals[i], &old[i], NULL);
    }
    tty_fd = -1;
    close(fd);
    keep_first_line(buf, len, "terminal");
    return buf;
}

/* The passphrase file to use: the option, else $POOLBOOK_PASSPHRASE_FILE, else
 * NULL for the terminal. */
static const char *
passphrase_source(const char *passphrase_file)
{
    if (passphrase_file != NULL) {
        return passphrase_file;
    }
    const char *env = getenv("POOLBOOK_PASSPHRASE_FILE");
    return env != NULL && env[0] != '\0' ? env : cli_config("passphrase-file");
}

char *
cli_new_passphrase(const char *passphrase_file, const char *sec_path)
{
    const char *file = passphrase_source(passphrase_file);
    char *first = NULL;
    if (file != NULL) {
        first = read_passphrase_file(file);
    } else {
        char prompt[256];
        snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", sec_path);
        first = ask_terminal(prompt);
        char *again = ask_terminal("The same passphrase again: ");
        size_t len = strlen(first);
        int same = len == strlen(again) && sodium_memcmp(first, again, len) == 0;
        cli_passphrase_free(again);
        if (!same) {
            cli_passphrase_free(first);
            cli_die_env("the two passphrases differ (terminal)");
        }
    }
    if (first[0] == '\0') {
        cli_passphrase_free(first);
        cli_die_env("the passphrase is empty; use -W for an unencrypted key (%s)",
                    file != NULL ? file : "terminal");
    }
    return first;
}

/* A public key file given where a secret key belongs (-k KEY.pub) is the
 * likeliest slip of all: say so, and name the secret key file keygen wrote
 * beside it (BASENAME.key for BASENAME.pub). Returns only if path holds no
 * public key. */
static void
refuse_public_key(const char *path)
{
    pb_pubkey pub;
    if (pb_pubkey_load(path, &pub, NULL) != PB_OK) {
        return;
    }
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    size_t len = strlen(path);
    char secret[PB_ERROR_WHERE_MAX];
    if (len > 4 && len < sizeof(secret) && strcmp(path + len - 4, ".pub") == 0) {
        snprintf(secret, sizeof(secret), "%.*s.key", (int)(len - 4), path);
    } else {
        snprintf(secret, sizeof(secret), "BASENAME.key, made with BASENAME.pub by keygen");
    }
    cli_die_env("%s is the public key %s, not a secret key: sign with its secret key file "
                "(-k %s)",
                path, keyid, secret);
}

pb_seckey *
cli_load_seckey(const char *path, const char *passphrase_file)
{
    pb_error err;
    pb_error_init(&err);
    int encrypted = 0;
    if (pb_seckey_file_encrypted(path, &encrypted, &err) != PB_OK) {
        refuse_public_key(path);
        cli_fail(&err);
    }
    char *passphrase = NULL;
    if (encrypted) {
        const char *file = passphrase_source(passphrase_file);
        if (file != NULL) {
            passphrase = read_passphrase_file(file);
        } else {
            char prompt[256];
            snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
            passphrase = ask_terminal(prompt);
        }
    }
    pb_seckey *key = NULL;
    int rc = pb_seckey_load(path, passphrase, &key, &err);
    cli_passphrase_free(passphrase);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    return key;
}
