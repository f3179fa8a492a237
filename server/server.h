/*
 * server.h — `poolbook serve` (DESIGN 9): one ledger over HTTP on GNU
 * libmicrohttpd in its thread-pool mode. The server holds no ledger rules:
 * every read and write is a call of the public library (poolbook.h) that the
 * command line makes too, so a rule changed in the library changes here.
 * Only poolbook.h and this folder's headers are included.
 */
#ifndef POOLBOOK_SERVER_H
#define POOLBOOK_SERVER_H

#include "poolbook.h"

/* Defaults, each stated in docs/server.md and in `serve --help`. */
#define PB_SERVER_THREADS 4
#define PB_SERVER_TIMEOUT_SECONDS 10 /* a connection idle this long (slow client) is closed */
#define PB_SERVER_CONNECTIONS_MAX 256
#define PB_SERVER_CONNECTIONS_PER_CLIENT 32
#define PB_SERVER_RATE_PER_MINUTE 1200 /* requests per key */
/* A request body: one record, at most PB_RECORD_BYTES_MAX in canonical form;
 * a draft's signature is far smaller. */
#define PB_SERVER_BODY_BYTES_MAX PB_RECORD_BYTES_MAX
/* Headers of one request (libmicrohttpd's per-connection memory). */
#define PB_SERVER_HEADER_BYTES_MAX (32 * 1024)

typedef struct pb_server_config {
    const char *listen;              /* "127.0.0.1:8080"; port 0 picks a free one */
    pb_store *store;                 /* borrowed; open for writing when operator_key is set */
    const pb_seckey *operator_key;   /* signs a checkpoint after each append; NULL: read-only */
    const char *ready_file;          /* NULL, or a file to write "http://HOST:PORT\n" to */
    const char *drafts_dir;          /* where drafts wait for signatures (<ledger>.drafts) */
    int public_reads;                /* reads need no request signature */
    int unsigned_requests;           /* no request signatures at all (tests, behind a proxy) */
    unsigned threads;                /* 0: PB_SERVER_THREADS */
    unsigned timeout_seconds;        /* 0: PB_SERVER_TIMEOUT_SECONDS */
    unsigned connections_max;        /* 0: PB_SERVER_CONNECTIONS_MAX */
    unsigned connections_per_client; /* 0: PB_SERVER_CONNECTIONS_PER_CLIENT */
    unsigned rate_per_minute;        /* 0: PB_SERVER_RATE_PER_MINUTE */
    /* The read-only page of a pool (GET /pools/<id>[?period=P]): the pool
     * summary statement rendered as HTML by the command's statement
     * renderer, handed in by the caller as the log is handed its rules, so
     * the server lays out nothing itself. NULL: no pages. Returns a PB_
     * code; *html_out is malloc'd, the server frees it. */
    int (*render_pool_page)(pb_store *store, const char *pool, const char *period, char **html_out,
                            size_t *len_out, pb_error *err);
} pb_server_config;

/* Serve until SIGTERM or SIGINT, then stop accepting, let every request in
 * progress finish (an append is one LMDB transaction: it is whole or absent)
 * and return PB_OK. Request logs go to stderr, one JSON object a line.
 * Returns PB_EUSAGE (a bad listen address), PB_EIO (the socket cannot be
 * bound, the ready file not written) or PB_ENOMEM. */
int pb_server_run(const pb_server_config *config, pb_error *err);

#endif /* POOLBOOK_SERVER_H */
