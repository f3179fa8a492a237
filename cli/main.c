/*
 * main.c — the poolbook command: global options, then a sorted table of
 * subcommand names to cmd_<name>() functions, one file each in cli/.
 */
#include "cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Sorted by name; main() checks the order so `poolbook --help` lists it sorted. */
static const struct command commands[] = {
    {"append", cmd_append, "append signed records (one transaction)"},
    {"checkpoint", cmd_checkpoint, "sign, show or verify-key a checkpoint"},
    {"cosign", cmd_cosign, "add an auditor's signature to a checkpoint"},
    {"export", cmd_export, "write the ledger as an audit bundle, a spreadsheet or a journal"},
    {"import", cmd_import, "import a finance-system extract (CSV), all rows or none"},
    {"init", cmd_init, "create an empty ledger"},
    {"keygen", cmd_keygen, "make a key pair in minisign's formats"},
    {"log", cmd_log, "list records"},
    {"new", cmd_new, "write an unsigned draft entry"},
    {"policy", cmd_policy, "check a risk-share policy or explain a pool's shares"},
    {"pool", cmd_pool, "show a pool's figures for a period"},
    {"post", cmd_post, "build, sign and append an entry"},
    {"proof", cmd_proof, "inclusion or consistency proof"},
    {"reindex", cmd_reindex, "rebuild derived state from the records"},
    {"serve", cmd_serve, "serve the ledger over HTTP (tiles, add-entry)"},
    {"show", cmd_show, "show one record"},
    {"sign", cmd_sign, "add a signature to a draft"},
    {"statement", cmd_statement, "a partner's statement for a period"},
    {"statements", cmd_statements, "every partner's statement, signed manifest"},
    {"tiles", cmd_tiles, "write the log as C2SP tiles for a static web server"},
    {"unsign", cmd_unsign, "remove a signature from a draft"},
    {"verify", cmd_verify, "verify the whole ledger"},
    {"witness", cmd_witness, "run a partner's witness that cosigns only a consistent ledger"},
    {NULL, NULL, NULL},
};

static const char *const main_usage[] = {
    "[--ledger FILE] [--remote URL [--remote-key SECKEY]] COMMAND [options]",
    "A signed, append-only ledger for pooled health and social care budgets.",
    "The ledger is --ledger FILE, else $POOLBOOK_LEDGER, else ./poolbook.ledger.",
    "--remote URL (or $POOLBOOK_REMOTE, or the config file's remote when no --ledger",
    "or $POOLBOOK_LEDGER is given) works against a `poolbook serve`: append and",
    "post send records to it; log, show, pool, policy, statement, statements, proof,",
    "verify, checkpoint --show, export and new read a local mirror checked against its",
    "tiles and checkpoint; requests are signed with --remote-key ($POOLBOOK_REMOTE_KEY).",
    "Run `poolbook COMMAND --help` for a command's options, `man poolbook` for all.",
    "`poolbook --version` prints the version and the libraries' versions.",
    NULL,
};

#define COMMANDS_MAX 32

/* `poolbook --man`: the manual page from the command table (manual.c). */
static int
print_man(void)
{
    const char *names[COMMANDS_MAX + 1], *summaries[COMMANDS_MAX + 1];
    int (*runs[COMMANDS_MAX + 1])(int, char **);
    size_t n = 0;
    for (; commands[n].name != NULL && n < COMMANDS_MAX; n++) {
        names[n] = commands[n].name;
        summaries[n] = commands[n].summary;
        runs[n] = commands[n].run;
    }
    if (commands[n].name != NULL) {
        abort(); /* COMMANDS_MAX is too small for the table */
    }
    names[n] = summaries[n] = NULL;
    runs[n] = NULL;
    cli_man(main_usage, names, summaries, runs);
    return cli_finish_stdout();
}

/* `poolbook __complete commands|types|pools|partners` (complete.c). */
static int
complete(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "commands") == 0) {
        for (size_t i = 0; commands[i].name != NULL; i++) {
            printf("%s\n", commands[i].name);
        }
        return 0;
    }
    return cli_complete(argc, argv);
}

static void
print_main_usage(FILE *f)
{
    for (size_t i = 0; main_usage[i] != NULL; i++) {
        fprintf(f, "%s%s\n", i == 0 ? "usage: poolbook " : "", main_usage[i]);
    }
    fprintf(f, "\ncommands:\n");
    for (size_t i = 0; commands[i].name != NULL; i++) {
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    }
}

int
main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        cli_die_env("libsodium could not be initialised");
    }
    for (size_t i = 1; commands[i - 1].name != NULL && commands[i].name != NULL; i++) {
        if (strcmp(commands[i - 1].name, commands[i].name) >= 0) {
            fprintf(stderr, "poolbook: command table out of order at %s\n", commands[i].name);
            abort();
        }
    }
    int argi = 1;
    while (argi < argc && argv[argi][0] == '-') {
        if (strcmp(argv[argi], "--ledger") == 0 && argi + 1 < argc) {
            cli_set_ledger_path(argv[argi + 1]);
            argi += 2;
        } else if (strncmp(argv[argi], "--ledger=", 9) == 0) {
            cli_set_ledger_path(argv[argi] + 9);
            argi += 1;
        } else if (strcmp(argv[argi], "--remote") == 0 && argi + 1 < argc) {
            cli_set_remote(argv[argi + 1]);
            argi += 2;
        } else if (strcmp(argv[argi], "--remote-key") == 0 && argi + 1 < argc) {
            cli_set_remote_key(argv[argi + 1]);
            argi += 2;
        } else if (strcmp(argv[argi], "--help") == 0 || strcmp(argv[argi], "-h") == 0) {
            print_main_usage(stdout);
            return cli_finish_stdout();
        } else if (strcmp(argv[argi], "--version") == 0) {
            cli_print_version(stdout);
            return cli_finish_stdout();
        } else if (strcmp(argv[argi], "--man") == 0) {
            return print_man(); /* hidden: the build writes poolbook.1 with it */
        } else {
            cli_usage_error(main_usage, "unknown option %s", argv[argi]);
        }
    }
    if (argi >= argc) {
        print_main_usage(stderr);
        return 2;
    }
    if (strcmp(argv[argi], "__complete") == 0) {
        int rc = complete(argc - argi, argv + argi); /* hidden: for the shell completions */
        int out = cli_finish_stdout();
        return rc != 0 ? rc : out;
    }
    static const char *const mirrored[] = {"checkpoint", "export", "log",   "new",  "policy",
                                           "pool",       "post",   "proof", "show", "statement",
                                           "statements", "verify", NULL};
    int help = argi + 1 < argc && strcmp(argv[argi + 1], "--help") == 0;
    for (size_t i = 0; cli_remote() != NULL && !help && mirrored[i] != NULL; i++) {
        if (strcmp(mirrored[i], argv[argi]) == 0) {
            cli_remote_sync(strcmp(argv[argi], "verify") == 0);
        }
    }
    for (size_t i = 0; commands[i].name != NULL; i++) {
        if (strcmp(commands[i].name, argv[argi]) == 0) {
            int rc = commands[i].run(argc - argi, argv + argi);
            if (rc == 0 && cli_remote() != NULL && strcmp(argv[argi], "verify") == 0) {
                cli_remote_verified(); /* kept only once verify passed */
            }
            int out = cli_finish_stdout();
            return rc != 0 ? rc : out;
        }
    }
    cli_usage_error(main_usage, "unknown command '%s'", argv[argi]);
}
