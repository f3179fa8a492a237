/*
 * cmd_witness.c — `poolbook witness`: a partner's auditor runs a C2SP
 * tlog-witness for the ledgers it is told about (docs/witness.md). The rules
 * are in the library (ledger/log/witness.c), the HTTP in
 * server/witness_http.c; this file reads the options, prints where it
 * listens and its verifier key, and waits for SIGINT or SIGTERM.
 */
#include "cli.h"
#include "server/witness_http.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char *const witness_usage[] = {
    "witness --listen ADDR:PORT -k AUDITORKEY --state FILE --log ORIGIN=VKEY... [--name NAME]",
    "Run a witness (C2SP tlog-witness) for each ledger named by --log: its origin",
    "and the operator's note verifier key (`poolbook checkpoint --verifier`).",
    "It cosigns (cosignature/v1) a checkpoint only if it is consistent with the",
    "last one it cosigned for that origin, kept in the LMDB file --state.",
    "PORT 0 picks a free port; the first line on stdout says where it listens,",
    "the second gives its cosigner verifier key. Stops on SIGINT or SIGTERM.",
    NULL,
};

/* Every value of a repeatable option "--NAME VALUE" or "--NAME=VALUE". */
static size_t
repeated(int argc, char **argv, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    size_t len = strlen(name);
    for (int i = 1; i < argc && n < max; i++) {
        if (strcmp(argv[i], name) == 0 && i + 1 < argc) {
            out[n++] = argv[++i];
        } else if (strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') {
            out[n++] = argv[i] + len + 1;
        }
    }
    return n;
}

static void
add_logs(pb_witness *w, int argc, char **argv)
{
    const char *logs[PB_WITNESS_LOGS_MAX + 1];
    size_t n = repeated(argc, argv, "--log", logs, PB_WITNESS_LOGS_MAX + 1);
    if (n == 0) {
        cli_usage_error(witness_usage, "give at least one --log ORIGIN=VKEY");
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(logs[i], '=');
        if (eq == NULL || eq == logs[i]) {
            cli_usage_error(witness_usage, "--log %s is not ORIGIN=VKEY", logs[i]);
        }
        char origin[256];
        snprintf(origin, sizeof(origin), "%.*s", (int)(eq - logs[i]), logs[i]);
        pb_error err;
        pb_error_init(&err);
        if (pb_witness_add_log(w, origin, eq + 1, &err) != PB_OK) {
            snprintf(err.where, sizeof(err.where), "--log %s", origin);
            cli_fail(&err);
        }
    }
}

static uint16_t
parse_listen(const char *listen, char *addr, size_t addr_size)
{
    const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
    if (colon == NULL || colon == listen || colon[1] == '\0' ||
        (size_t)(colon - listen) >= addr_size) {
        cli_usage_error(witness_usage, "--listen needs ADDR:PORT, e.g. 127.0.0.1:8080");
    }
    uint64_t port = cli_parse_number(witness_usage, "--listen's port", colon + 1, 0, 65535);
    snprintf(addr, addr_size, "%.*s", (int)(colon - listen), listen);
    return (uint16_t)port;
}

int
cmd_witness(int argc, char **argv)
{
    const char *listen = NULL;
    const char *key_path = NULL;
    const char *pass_file = NULL;
    const char *state_path = NULL;
    const char *log_opt = NULL;
    const char *name = NULL;
    const struct cli_option options[] = {
        {CLI_STRING, 0, "listen", "ADDR:PORT", &listen, "where to listen (port 0: any free one)"},
        {CLI_STRING, 'k', "key-file", "SECKEY", &key_path, "the auditor's secret key"},
        {CLI_STRING, 0, "passphrase-file", "FILE", &pass_file, "file holding its passphrase"},
        {CLI_STRING, 0, "state", "FILE", &state_path, "the witness's own state (LMDB file)"},
        {CLI_STRING, 0, "log", "ORIGIN=VKEY", &log_opt, "a ledger to witness (repeats)"},
        {CLI_STRING, 0, "name", "NAME", &name, "the witness's key name (default: from the key)"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, witness_usage, options);
    if (argi != argc) {
        cli_usage_error(witness_usage, "unexpected argument '%s'", argv[argi]);
    }
    if (key_path == NULL || state_path == NULL) {
        cli_usage_error(witness_usage, "witness needs -k AUDITORKEY and --state FILE");
    }
    char addr[64];
    uint16_t port = parse_listen(listen, addr, sizeof(addr));
    pb_seckey *key = cli_load_seckey(key_path, pass_file);
    char default_name[64];
    if (name == NULL) {
        pb_pubkey pub;
        char keyid[PB_KEYID_TEXT_MAX];
        pb_seckey_public(key, &pub);
        pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
        snprintf(default_name, sizeof(default_name), "poolbook-witness/%s", keyid);
        name = default_name;
    }
    pb_error err;
    pb_error_init(&err);
    pb_witness *w = NULL;
    char *vkey = NULL;
    int rc = pb_witness_open(state_path, key, name, &w, &err);
    if (rc == PB_OK) {
        add_logs(w, argc, argv);
        rc = pb_witness_verifier(w, &vkey, &err);
    }
    if (rc != PB_OK) {
        pb_seckey_free(key);
        cli_fail(&err);
    }
    /* Block the signals before libmicrohttpd starts its thread, so only
     * sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    char msg[160];
    uint16_t bound = 0;
    witness_http *http = witness_http_start(w, addr, port, &bound, msg, sizeof(msg));
    if (http == NULL) {
        pb_witness_close(w);
        pb_seckey_free(key);
        free(vkey);
        cli_die_env("%s (--listen %s)", msg, listen);
    }
    printf("poolbook witness: listening on http://%s:%u\n", addr, (unsigned)bound);
    printf("poolbook witness: verifier %s\n", vkey);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    witness_http_stop(http);
    pb_witness_close(w);
    pb_seckey_free(key);
    free(vkey);
    fprintf(stderr, "poolbook witness: stopped by signal %d\n", sig);
    return 0;
}
