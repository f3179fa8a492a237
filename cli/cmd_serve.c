/*
 * cmd_serve.c — `poolbook serve`: the ledger over HTTP for the partners'
 * desks and for transparency-log tools (DESIGN 9; docs/server.md). Parses
 * options, opens the ledger and the operator key, and hands over to
 * server/ (pb_server_run), which calls the library only.
 */
#include "cli.h"
#include "render.h"
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const serve_usage[] = {
    "serve --listen HOST:PORT [-k OPERATORKEY] [options]",
    "Serve the ledger over HTTP until SIGTERM: GET /checkpoint and the C2SP",
    "tiles (/tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>]); with -k, also",
    "POST /add-entry of a signed record, answered with a C2SP tlog-proof",
    "against a checkpoint signed with that operator key, and drafts for",
    "co-signing (POST /drafts, GET /drafts[/<id>], POST /drafts/<id>/signatures),",
    "kept in LEDGER.drafts/ until complete; GET /pools/<POOL>[?period=P] is a",
    "read-only page of the pool (its summary statement in html). Logs one JSON line per",
    "request on stderr. Defaults: 4 threads, 10 s idle timeout, 256",
    "connections, 32 per client, 1200 requests a minute per key, bodies of at",
    "most 65535 bytes, headers of at most 32 KiB.",
    NULL,
};

/* A limit option: digits only, 1 to 1000000 (cli_parse_number); 0 when absent. */
static unsigned
number(const char *text, const char *name)
{
    return text != NULL ? (unsigned)cli_parse_number(serve_usage, name, text, 1, 1000000) : 0;
}

/* The pool page: the summary statement of pb_statement in the html format
 * that `statement` and `statements` write (cli/render_html.c). */
static int
render_pool_page(pb_store *store, const char *pool, const char *period, char **html_out,
                 size_t *len_out, pb_error *err)
{
    json_t *statement = NULL;
    int rc = pb_statement(store, pool, NULL, period, &statement, err);
    FILE *f = rc == PB_OK ? open_memstream(html_out, len_out) : NULL;
    if (rc == PB_OK && f == NULL) {
        rc = PB_ENOMEM;
    }
    if (f != NULL) {
        int failed = render_html(f, statement);
        failed |= fclose(f) != 0;
        if (failed) {
            free(*html_out);
            *html_out = NULL;
            rc = PB_ENOMEM;
        }
    }
    json_decref(statement);
    return rc;
}

int
cmd_serve(int argc, char **argv)
{
    const char *listen = NULL, *key_path = NULL, *pass_file = NULL, *ready = NULL;
    const char *threads = NULL, *timeout = NULL, *conns = NULL, *per_client = NULL, *rate = NULL;
    int public_reads = 0;
    int unsigned_requests = 0;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "listen", "HOST:PORT", &listen, "address to listen on (port 0: any free)"},
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path, "operator key: accept writes"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_STRING, 0, "ready-file", "FILE", &ready, "write the server's URL here once listening"},
        {CLI_FLAG, 0, "public-reads", NULL, &public_reads, "serve reads without signatures"},
        {CLI_FLAG, 0, "unsigned-requests", NULL, &unsigned_requests,
         "accept requests without HTTP signatures"},
        {CLI_STRING, 0, "threads", "N", &threads, "worker threads (default 4)"},
        {CLI_STRING, 0, "timeout", "SECONDS", &timeout, "idle connection timeout (default 10)"},
        {CLI_STRING, 0, "connections", "N", &conns, "connections in all (default 256)"},
        {CLI_STRING, 0, "per-client", "N", &per_client, "connections per client (default 32)"},
        {CLI_STRING, 0, "rate", "N", &rate, "requests per minute per key (default 1200)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, serve_usage, options);
    if (argi != argc) {
        cli_usage_error(serve_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (listen == NULL) {
        cli_usage_error(serve_usage, "give --listen HOST:PORT");
    }
    const char *colon = strrchr(listen, ':');
    if (colon != NULL) {
        cli_parse_number(serve_usage, "--listen's port", colon + 1, 0, 65535);
    }
    pb_server_config cfg = {
        .listen = listen,
        .ready_file = ready,
        .public_reads = public_reads,
        .unsigned_requests = unsigned_requests,
        .threads = number(threads, "--threads"),
        .timeout_seconds = number(timeout, "--timeout"),
        .connections_max = number(conns, "--connections"),
        .connections_per_client = number(per_client, "--per-client"),
        .rate_per_minute = number(rate, "--rate"),
        .render_pool_page = render_pool_page,
    };
    char drafts[4096];
    snprintf(drafts, sizeof(drafts), "%s.drafts", cli_ledger_path());
    cfg.drafts_dir = drafts;
    pb_seckey *key = key_path != NULL ? cli_load_seckey(key_path, pass_file) : NULL;
    cfg.operator_key = key;
    cfg.store = cli_open_store(key != NULL ? 0 : PB_STORE_RDONLY);
    pb_error err;
    pb_error_init(&err);
    int rc = pb_server_run(&cfg, &err);
    pb_store_close(cfg.store);
    pb_seckey_free(key);
    if (rc != PB_OK) {
        cli_fail(&err);
    }
    return 0;
}
