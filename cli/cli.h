/*
 * cli.h — what the subcommands of the poolbook command share: the option
 * table that parses arguments and prints --help, error reporting in the form
 * of DESIGN 8, file and passphrase input. Only cli/ prints and exits.
 */
#ifndef POOLBOOK_CLI_H
#define POOLBOOK_CLI_H

#include "poolbook.h"

#include <stdio.h>

enum cli_option_kind { CLI_END = 0, CLI_FLAG, CLI_STRING };

/* One option of a command. value points to an int (CLI_FLAG, set to 1) or a
 * const char * (CLI_STRING). */
struct cli_option {
    int kind;
    char short_name;       /* 0 for none */
    const char *long_name; /* without the dashes */
    const char *arg_name;  /* "FILE", for CLI_STRING */
    void *value;
    const char *help;
};

/* Parse argv[1..] (argv[0] is the command name) against options, stopping at
 * the first positional argument or "--". usage is a NULL-terminated array of
 * lines: first the synopsis, then a description. --help prints usage and the
 * options and exits 0; an unknown option exits 2. Returns the index of the
 * first positional argument. */
int cli_parse(int argc, char **argv, const char *const *usage, const struct cli_option *options);

/* A whole-number option or argument: decimal digits only, from min to max,
 * else exit 2 naming what ("--size") and the text. */
uint64_t cli_parse_number(const char *const *usage, const char *what, const char *text,
                          uint64_t min, uint64_t max);

/* The most threads --threads may ask for (signature checks use at most 64). */
#define CLI_THREADS_MAX 1024

/* Print usage for a command to f (in roff when cli_help_roff is set). */
void cli_usage(FILE *f, const char *const *usage, const struct cli_option *options);

/* manual.c: `poolbook --man` prints poolbook(1) from the command table (names,
 * summaries and the commands' functions, NULL-terminated) and each command's
 * --help, printed in roff in a child process with cli_help_roff set. */
extern int cli_help_roff;
int cli_man(const char *const *main_usage, const char *const *names, const char *const *summaries,
            int (*const *runs)(int, char **));
/* Write text escaped for roff. */
void cli_roff_text(FILE *f, const char *text);

/* complete.c: `poolbook __complete types|pools|partners`, one word a line. */
int cli_complete(int argc, char **argv);
/* Every entry type new and post make, NULL-terminated (cmd_new.c). */
const char *const *cli_entry_types(void);

/* --version: the version and the libraries' versions (version.c). */
void cli_print_version(FILE *f);

/* Exit 2 with "poolbook: error: <msg> (usage: <synopsis>)". */
_Noreturn void cli_usage_error(const char *const *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "poolbook: error: <formatted text>" as one line on stderr, with every
 * control character escaped (pb_text_escape): the one printer of errors. */
void cli_error_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print err as "poolbook: error: <text> (<where>)" and return its exit code. */
int cli_report(const pb_error *err);
/* Print and exit with the exit code of err. */
_Noreturn void cli_fail(const pb_error *err);
/* Exit 3 with a message about the environment (a file, a terminal). */
_Noreturn void cli_die_env(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of a key of the config file (config.c, docs/config.md): "ledger",
 * "key", "passphrase-file", "remote" or "pool"; NULL when not set. Exits 3
 * naming the file and line if the file cannot be read or has a bad line. */
const char *cli_config(const char *key);
/* The secret key to sign with: given (-k), else $POOLBOOK_KEY, else the
 * config's key; NULL if none. */
const char *cli_key_path(const char *given);

/* The ledger path: --ledger, else $POOLBOOK_LEDGER, else the config's ledger,
 * else ./poolbook.ledger. */
const char *cli_ledger_path(void);
void cli_set_ledger_path(const char *path);
/* 1 when the ledger was named by --ledger or $POOLBOOK_LEDGER (not by the
 * config file or the default). */
int cli_ledger_given(void);

/* Read a whole file ("-" for stdin) into a new malloc'd NUL-terminated buffer,
 * refusing more than max_bytes, and (line_max > 0) a line longer than
 * line_max, both checked while reading: /dev/zero stops at once. Exits 3 on
 * I/O error, 1 on over-size. */
char *cli_read_file(const char *path, size_t max_bytes, size_t line_max, size_t *len_out);
/* Copy path ("-": stdin), a stream that cannot be read twice (a pipe), into
 * an unlinked file in $TMPDIR and return it at its start, so that it can be
 * read in pieces, twice, without holding it. The limit and its message are
 * cli_read_file's; NULL when no such file can be made (the caller then reads
 * it whole) or path cannot be opened. */
FILE *cli_spool(const char *path, size_t max_bytes);

/* Finish writing stdout: a statement on a full disk is an error, not success. */
int cli_finish_stdout(void);

/* Load a secret key file, asking for its passphrase when it is encrypted: from
 * the file named by passphrase_file, else $POOLBOOK_PASSPHRASE_FILE, else the
 * terminal without echo. Exits on failure. The caller frees with pb_seckey_free. */
pb_seckey *cli_load_seckey(const char *path, const char *passphrase_file);

/* A new passphrase for the secret key file sec_path (keygen), from the same
 * sources as cli_load_seckey; on the terminal it is asked twice and the two
 * must match. An empty one is refused. Exits on failure. The caller frees it
 * with cli_passphrase_free(). */
char *cli_new_passphrase(const char *passphrase_file, const char *sec_path);
/* Wipe and free a passphrase from cli_new_passphrase; NULL is allowed. */
void cli_passphrase_free(char *passphrase);

/* Collect a repeated option ("--name X" or "--name=X") by scanning argv
 * before the table parser, which keeps only the last; more than max is a
 * usage error. */
void cli_collect_repeated(int argc, char **argv, const char *name, const char *const *usage,
                          const char **out, size_t *count, size_t max);

/* With a ledger at hand (the ledger file exists and has a genesis), check a
 * draft against its state (pb_draft_check); PB_OK without one. */
int cli_check_draft(json_t *record, pb_error *err);

/* --remote URL (remote.c, httpc.c): the server given by --remote, else
 * $POOLBOOK_REMOTE, else the config file's remote unless a ledger was given
 * by --ledger or $POOLBOOK_LEDGER (NULL: none); the key that signs requests, from
 * --remote-key or $POOLBOOK_REMOTE_KEY (NULL: unsigned). */
void cli_set_remote(const char *url);
void cli_set_remote_key(const char *path);
const char *cli_remote(void);
pb_seckey *cli_remote_key(void);
/* Mirror the server's log into the local cache ledger, every record admitted
 * and the server's checkpoint checked against the records, and make it the
 * ledger the command uses. verify: also require the log to extend the
 * checkpoint verified last (kept when cli_remote_verified is called). Exits
 * with a one-line error on any fault. */
void cli_remote_sync(int verify);
void cli_remote_pending_checkpoint(const char *path, const char *note);
void cli_remote_verified(void);
/* POST /add-entry of record (signed by key, may be NULL); prints as append
 * does. Returns the exit code. */
int cli_remote_append(json_t *record, const pb_seckey *key, int json);
/* POST /drafts of an unsigned draft (new); sign the server's draft id with
 * key and send the signature (sign). Each prints what the server says:
 * who must still sign, or where it was appended. Return the exit code. */
int cli_remote_new_draft(json_t *record);
int cli_remote_sign_draft(const char *id, const pb_seckey *key);

struct cli_http_response {
    int status;
    char *body; /* NUL-terminated; len bytes */
    size_t len;
};
/* One request to the --remote server (path after its URL); exits 3 when the
 * server cannot be reached. Free the answer with cli_http_free. */
void cli_http(const char *method, const char *path, const void *body, size_t len,
              const pb_seckey *key, struct cli_http_response *out);
void cli_http_free(struct cli_http_response *r);

/* Open the ledger (flags as pb_store_open) with progress on a terminal
 * (cli_progress_attach); exits on failure. */
pb_store *cli_open_store(int flags);

/* progress.c: whether progress is shown (standard error is a terminal). */
int cli_progress_wanted(void);
/* Show the store's progress (pb_store_set_progress) when it is wanted. */
void cli_progress_attach(pb_store *store);
/* Draw "what: done of total unit, rate, time left" on standard error, at
 * most every 200 ms, and a last line when done == total. Call only when
 * cli_progress_wanted(). */
void cli_progress(const char *what, uint64_t done, uint64_t total, const char *unit);

/* Subcommands: int cmd_<name>(int argc, char **argv), argv[0] the name. */
int cmd_append(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_cosign(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_post(int argc, char **argv);
int cmd_reindex(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_proof(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_unsign(int argc, char **argv);
int cmd_statement(int argc, char **argv);
int cmd_statements(int argc, char **argv);
int cmd_tiles(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_witness(int argc, char **argv);

/* Records read from a file or stdin: one JSON value spanning the whole input,
 * or JSON lines (one record per non-blank line). lines[i] is the input line
 * of records[i], for error messages. */
struct cli_records {
    json_t **records;
    int64_t *lines;
    size_t count;
};

/* Read records from path ("-" for stdin), at most max_bytes of it (a draft:
 * CLI_DRAFT_BYTES_MAX; a batch: PB_INPUT_BYTES_MAX), no line longer than a
 * record may be; exits with a one-line error naming the file and line on bad
 * input. Free with cli_records_free. */
void cli_read_records(const char *path, size_t max_bytes, struct cli_records *out);

/* A record streamed from an input: parsed (record, a reference the callee
 * takes) when the input was small enough to be read whole, else the text of
 * one JSON line (text, len: valid during the call) to parse later. */
typedef void (*cli_stream_fn)(void *ctx, json_t *record, const char *text, size_t len,
                              int64_t line);
/* Called before cli_stream_records exits on bad input (a line over its
 * limit, an input over max_bytes, ...): a batch fed so far can name an
 * earlier fault first, or be closed. */
typedef void (*cli_stream_exit_fn)(void *ctx);
/* cli_read_records without holding the records: an input of up to
 * CLI_DRAFT_BYTES_MAX is read whole and checked exactly as there; a larger one
 * is JSON lines, read a megabyte at a time, each non-blank line given to fn
 * in order. The same limits and messages as cli_read_records (a line over
 * CLI_LINE_BYTES_MAX, an input over max_bytes, no records); on_exit (may be
 * NULL) runs before any such exit. */
void cli_stream_records(const char *path, size_t max_bytes, cli_stream_fn fn,
                        cli_stream_exit_fn on_exit, void *ctx);

/* A draft file: one record, pretty-printed (twice its canonical size). */
#define CLI_DRAFT_BYTES_MAX ((size_t)PB_RECORD_BYTES_MAX * 2)
/* A line of records input: far over any record, so that an over-long one is
 * still parsed and named with its size, yet endless input stops at once. */
#define CLI_LINE_BYTES_MAX ((size_t)1 << 20)
void cli_records_free(struct cli_records *recs);

/* Write a record as one canonical JSON line, atomically (temp file + rename),
 * or to stdout for "-". Exits on failure. */
void cli_write_record(const char *path, const json_t *record);

/* Write a file whole or not at all (pb_file_write), never replacing the
 * ledger, its lock file or anything that is not a regular file. Returns
 * PB_OK or a code of pb_file_write with err set. */
int cli_write_file(const char *path, pb_file_writer write, void *ctx, pb_error *err);

/* The files no output may replace: the ledger and its lock file
 * (NULL-terminated, static storage). */
const char *const *cli_keep_paths(void);

/* Print err naming the input: "(<file> line <n>, <json path>)". */
_Noreturn void cli_fail_input(pb_error *err, const char *path, int64_t line);

/* --dry-run of post, append and import (dry_run.c): check records as an
 * append would, write nothing, and print what would be appended and the
 * pools' figures that would change (as text, or the pb_append_preview object
 * with json). Returns PB_OK, or the append's code with err set (its index the
 * failing record's position). */
int cli_dry_run(pb_store *store, json_t *const *records, size_t count, int json, pb_error *err);
/* Print a preview object (pb_append_preview, pb_preview_finish) as
 * cli_dry_run does, and free it. */
void cli_dry_run_print(json_t *preview, int json);
/* Records a dry run lists one per line in text; --json lists every one. */
#define CLI_DRY_RUN_RECORDS_SHOWN 20

/* Place an error of a query by pool, partner and period (pool show, policy
 * explain, statement, statements) at what was typed: an entry's JSON path
 * ($.entry.pool) or no place becomes pool_where ("--pool", or "POOL" for a
 * positional), --partner or --period, by err's code (hints.c). */
void cli_name_option(pb_error *err, const char *pool_where);

/* After a draft built by cli_new_draft is refused at append, place the error
 * at the option that gave the field ("$.entry.pool" is "--pool"). */
void cli_draft_where(pb_error *err);

/* Build a draft from `new` arguments (cmd_new.c); extra options are the
 * caller's own (post). Returns a new reference, or NULL with err set. */
json_t *cli_new_draft(int argc, char **argv, const char *const *usage,
                      const struct cli_option *extra, pb_error *err);

#endif /* POOLBOOK_CLI_H */
