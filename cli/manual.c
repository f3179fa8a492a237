/*
 * manual.c — the poolbook(1) manual page, written by `poolbook --man` from
 * the same command table and option tables that print --help, so the two
 * never disagree. The build runs it (CMakeLists.txt) and installs the page.
 * Each command's page section is its --help, printed in roff by cli_usage
 * in a child process (the commands build their tables as they run).
 */
#include "cli.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Set in the child that prints one command's section. */
int cli_help_roff;

/* Write text escaped for roff: '\' and '-' escaped, a line never starting
 * with '.' or '\''. */
void
cli_roff_text(FILE *f, const char *text)
{
    if (text[0] == '.' || text[0] == '\'') {
        fputs("\\&", f);
    }
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\') {
            fputs("\\e", f);
        } else if (*p == '-') {
            fputs("\\-", f);
        } else {
            fputc(*p, f);
        }
    }
}

static void
man_line(FILE *f, const char *macro, const char *text)
{
    if (macro != NULL) {
        fprintf(f, "%s ", macro);
    }
    cli_roff_text(f, text);
    fputc('\n', f);
}

static const char *const man_environment[] = {
    "POOLBOOK_LEDGER",
    "the ledger, when --ledger is not given (then the config file's ledger, "
    "then ./poolbook.ledger)",
    "POOLBOOK_KEY",
    "the secret key file to sign with, when -k is not given",
    "POOLBOOK_PASSPHRASE_FILE",
    "a file whose first line is the secret key's passphrase",
    "POOLBOOK_REMOTE",
    "the server, when --remote is not given (then the config file's remote, unless "
    "a ledger is given by --ledger or POOLBOOK_LEDGER)",
    "POOLBOOK_REMOTE_KEY",
    "the secret key that signs requests to the server, when --remote-key is not given",
    "XDG_CONFIG_HOME",
    "where the config file is looked for (default ~/.config)",
    NULL,
};

int
cli_man(const char *const *main_usage, const char *const *names, const char *const *summaries,
        int (*const *runs)(int, char **))
{
    FILE *f = stdout;
    fprintf(f, ".TH POOLBOOK 1 \"\" \"poolbook %s\" \"User Commands\"\n", PB_VERSION_TEXT);
    fprintf(f, ".SH NAME\npoolbook \\- ");
    cli_roff_text(f, main_usage[1]);
    fprintf(f, "\n.SH SYNOPSIS\n.B poolbook\n");
    man_line(f, NULL, main_usage[0]);
    fprintf(f, ".SH DESCRIPTION\n");
    for (size_t i = 1; main_usage[i] != NULL; i++) {
        man_line(f, NULL, main_usage[i]);
    }
    fprintf(f, ".SH COMMANDS\n");
    for (size_t i = 0; names[i] != NULL; i++) {
        fprintf(f, ".TP\n.B %s\n", names[i]);
        man_line(f, NULL, summaries[i]);
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        fprintf(f, ".SH \"POOLBOOK %s\"\n", names[i]);
        fflush(f);
        pid_t pid = fork();
        if (pid < 0) {
            cli_die_env("cannot fork to print the manual");
        }
        if (pid == 0) {
            cli_help_roff = 1;
            char *argv[] = {(char *)names[i], "--help", NULL};
            int rc = runs[i](2, argv); /* --help exits in cli_parse; this is in case not */
            fflush(stdout);
            _exit(rc);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            cli_die_env("printing the manual section of %s failed", names[i]);
        }
    }
    fprintf(f, ".SH ENVIRONMENT\n");
    for (size_t i = 0; man_environment[i] != NULL; i += 2) {
        fprintf(f, ".TP\n.B %s\n", man_environment[i]);
        man_line(f, NULL, man_environment[i + 1]);
    }
    fprintf(f, ".SH FILES\n.TP\n.I $XDG_CONFIG_HOME/poolbook/config\n");
    man_line(f, NULL,
             "defaults set once: ledger, key, passphrase-file, remote, pool "
             "(docs/config.md); options given on the command line win");
    fprintf(f, ".SH EXIT STATUS\n0 done; 1 refused (an invalid entry, a failed verification); "
               "2 usage; 3 environment (a file, the lock, a key).\n");
    fprintf(f, ".SH SEE ALSO\n.BR minisign (1)\n");
    return 0;
}
