/*
 * cmd_export.c — `poolbook export --format F [-o FILE]`: the whole ledger in
 * a format for use elsewhere. Formats are a table: adding one is one entry
 * and one library function that writes the ledger to a stream.
 */
#include "cli.h"

#include <errno.h>
#include <string.h>

static const char *const export_usage[] = {
    "export --format csv|jsonl|ledger [-o FILE]",
    "Write the whole ledger, as of one moment, for use elsewhere:",
    "  jsonl  the offline audit bundle: every record as stored, every checkpoint",
    "         and the bound keys (docs/bundle.md); check it anywhere with",
    "         `poolbook verify --bundle FILE` (docs/auditor-bundle.md)",
    "  csv    one row per entry for a spreadsheet (docs/csv.md)",
    "  ledger an accounting journal that hledger and ledger-cli read: balanced",
    "         postings for every contribution, expenditure, reversal and settlement,",
    "         tagged with the entry id and index (docs/journal.md)",
    "Output goes to stdout, or to FILE, written whole or not at all.",
    NULL,
};

struct export_format {
    const char *name;
    int (*write)(pb_store *store, FILE *out, pb_error *err);
};

/* Sorted by name. */
static const struct export_format formats[] = {
    {"csv", pb_export_csv},
    {"jsonl", pb_bundle_export},
    {"ledger", pb_journal_write},
    {NULL, NULL},
};

struct export_job {
    const struct export_format *format;
    pb_store *store;
    pb_error err;
};

static int
run_export(FILE *out, const char *tmp_path, void *ctx)
{
    (void)tmp_path;
    struct export_job *job = ctx;
    return job->format->write(job->store, out, &job->err) == PB_OK ? 0 : -1;
}

int
cmd_export(int argc, char **argv)
{
    const char *format_name = NULL;
    const char *out_path = NULL;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "format", "F", &format_name, "csv, jsonl or ledger"},
        {CLI_STRING, 'o', "output", "FILE", &out_path, "write to FILE (default: stdout)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, export_usage, options);
    if (argi != argc) {
        cli_usage_error(export_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (format_name == NULL) {
        cli_usage_error(export_usage, "give --format");
    }
    struct export_job job = {NULL, NULL, {0}};
    for (size_t i = 0; formats[i].name != NULL; i++) {
        if (strcmp(formats[i].name, format_name) == 0) {
            job.format = &formats[i];
        }
    }
    if (job.format == NULL) {
        cli_usage_error(export_usage, "unknown format '%s'", format_name);
    }
    pb_error_init(&job.err);
    job.store = cli_open_store(PB_STORE_RDONLY);
    int rc = 0;
    if (out_path == NULL || strcmp(out_path, "-") == 0) {
        rc = run_export(stdout, NULL, &job);
    } else {
        rc = cli_write_file(out_path, run_export, &job, &job.err);
    }
    pb_store_close(job.store);
    if (rc != 0) {
        if (job.err.code == PB_EIO && job.err.where[0] == '\0') {
            snprintf(job.err.where, sizeof(job.err.where), "%s",
                     out_path != NULL ? out_path : "stdout");
        }
        return cli_report(&job.err);
    }
    return 0;
}
