/*
 * config.c — defaults a person sets once (docs/config.md), in
 * $XDG_CONFIG_HOME/poolbook/config (else ~/.config/poolbook/config): lines
 * of "key = value", '#' comments and blank lines; the keys are ledger, key,
 * passphrase-file, remote and pool. An option on the command line wins, then
 * the environment ($POOLBOOK_LEDGER, $POOLBOOK_KEY, $POOLBOOK_PASSPHRASE_FILE),
 * then this file. A key the file does not know is refused with its line, so a
 * misspelt default is never silently ignored.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A config file is a few lines; more is a mistake. */
#define CONFIG_BYTES_MAX 16384
#define CONFIG_PATH_BYTES_MAX 4096

static const char *const config_keys[] = {"ledger", "key",  "passphrase-file",
                                          "remote", "pool", NULL};
#define CONFIG_KEYS 5
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) == CONFIG_KEYS + 1,
               "one value per key");

static int config_loaded;
static char *config_text; /* the file, cut into keys and values */
static const char *config_values[CONFIG_KEYS];
static char config_path[CONFIG_PATH_BYTES_MAX];

/* The config file's path, or "" when neither XDG_CONFIG_HOME nor HOME is set. */
static void
config_find(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg != NULL && xdg[0] == '/') {
        snprintf(config_path, sizeof(config_path), "%s/poolbook/config", xdg);
    } else if (home != NULL && home[0] != '\0') {
        snprintf(config_path, sizeof(config_path), "%s/.config/poolbook/config", home);
    }
}

static char *
config_trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

/* Read one "key = value" line (line_no for messages); exits on a bad one. */
static void
config_line(char *line, int line_no)
{
    char *text = config_trim(line);
    if (text[0] == '\0' || text[0] == '#') {
        return;
    }
    char *eq = strchr(text, '=');
    if (eq == NULL) {
        cli_die_env("config line %d is not \"key = value\" (%s)", line_no, config_path);
    }
    *eq = '\0';
    char *key = config_trim(text), *value = config_trim(eq + 1);
    for (size_t i = 0; config_keys[i] != NULL; i++) {
        if (strcmp(config_keys[i], key) == 0) {
            config_values[i] = value[0] != '\0' ? value : NULL;
            return;
        }
    }
    cli_die_env("config line %d has an unknown key '%s'; the keys are ledger, key, "
                "passphrase-file, remote and pool (%s)",
                line_no, key, config_path);
}

static void
config_load(void)
{
    config_loaded = 1;
    config_find();
    if (config_path[0] == '\0') {
        return;
    }
    FILE *f = fopen(config_path, "rb");
    if (f == NULL && errno == ENOENT) {
        return; /* no config: nothing set */
    }
    if (f == NULL) {
        cli_die_env("cannot open the config file: %s (%s)", strerror(errno), config_path);
    }
    fclose(f);
    size_t len = 0;
    config_text = cli_read_file(config_path, CONFIG_BYTES_MAX, 0, &len);
    if (memchr(config_text, '\0', len) != NULL) {
        cli_die_env("config holds a NUL byte (%s)", config_path);
    }
    int line_no = 1;
    for (char *line = config_text; line != NULL; line_no++) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        config_line(line, line_no);
        line = nl != NULL ? nl + 1 : NULL;
    }
}

const char *
cli_config(const char *key)
{
    if (!config_loaded) {
        config_load();
    }
    for (size_t i = 0; config_keys[i] != NULL; i++) {
        if (strcmp(config_keys[i], key) == 0) {
            return config_values[i];
        }
    }
    abort(); /* a key not in config_keys: a programmer's error */
}

const char *
cli_key_path(const char *given)
{
    if (given != NULL) {
        return given;
    }
    const char *env = getenv("POOLBOOK_KEY");
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    return cli_config("key");
}
