/*
 * witness_http.c — C2SP tlog-witness over HTTP (docs/witness.md) on GNU
 * libmicrohttpd. This file holds no rules: it collects a request body up to
 * PB_WITNESS_REQUEST_BYTES_MAX, hands it to pb_witness_add_checkpoint, and
 * maps the code it returns to the status tlog-witness names. Requests are
 * served one at a time by libmicrohttpd's single polling thread; the state's
 * compare-and-swap is an LMDB write transaction in any case.
 *   POST /add-checkpoint    200 cosignature line(s), 400, 403, 404,
 *                           409 (text/x.tlog.size: the size held), 422
 *   GET  /latest/<origin>   the note last cosigned for that log, or 404
 */
#include "server/witness_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A slow or stuck client is dropped after this long. */
#define WITNESS_HTTP_TIMEOUT_S 10
#define WITNESS_HTTP_CONNECTIONS_MAX 64

struct witness_http {
    struct MHD_Daemon *daemon;
    pb_witness *witness;
    int started;       /* 0 while starting: libmicrohttpd's messages are kept */
    char startup[160]; /* the last message while starting, for the one-line error */
};

/* libmicrohttpd's own messages: kept while starting (the command reports one
 * line), then printed as the witness's. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct witness_http *h = cls;
    char text[256];
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    if (!h->started) {
        snprintf(h->startup, sizeof(h->startup), "%s", text);
    } else {
        fprintf(stderr, "poolbook witness: %s\n", text);
    }
}

/* A request body being collected. */
struct upload {
    char *buf;
    size_t len;
    int too_big;
};

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned int status, const char *type, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* tlog-witness add-checkpoint: which status each refusal gets. */
static unsigned int
status_of(int code)
{
    switch (code) {
    case PB_OK:
        return MHD_HTTP_OK;
    case PB_ENOTFOUND:
        return MHD_HTTP_NOT_FOUND;
    case PB_ESIG_INVALID:
        return MHD_HTTP_FORBIDDEN;
    case PB_ECONFLICT:
        return MHD_HTTP_CONFLICT;
    case PB_EPROOF:
        return MHD_HTTP_UNPROCESSABLE_CONTENT;
    case PB_ENOTE:
    case PB_ERANGE:
    case PB_ETOOBIG:
        return MHD_HTTP_BAD_REQUEST;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

static enum MHD_Result
add_checkpoint(witness_http *h, struct MHD_Connection *conn, struct upload *up)
{
    if (up->too_big) {
        return respond(conn, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain; charset=utf-8",
                       "the request is too large\n");
    }
    pb_error err;
    pb_error_init(&err);
    char *cosig = NULL;
    uint64_t held = 0;
    int rc = pb_witness_add_checkpoint(h->witness, up->buf != NULL ? up->buf : "", up->len,
                                       (uint64_t)time(NULL), &cosig, &held, &err);
    unsigned int status = status_of(rc);
    fprintf(stderr, "poolbook witness: POST /add-checkpoint %u%s%s\n", status,
            rc == PB_OK ? "" : ": ", rc == PB_OK ? "" : err.text);
    enum MHD_Result ret;
    if (rc == PB_OK) {
        ret = respond(conn, status, "text/plain; charset=utf-8", cosig);
    } else if (rc == PB_ECONFLICT) {
        char size[32];
        snprintf(size, sizeof(size), "%llu\n", (unsigned long long)held);
        ret = respond(conn, status, "text/x.tlog.size", size);
    } else {
        char text[PB_ERROR_TEXT_MAX + 2];
        snprintf(text, sizeof(text), "%s\n", err.text);
        ret = respond(conn, status, "text/plain; charset=utf-8", text);
    }
    free(cosig);
    return ret;
}

static enum MHD_Result
latest(witness_http *h, struct MHD_Connection *conn, const char *origin)
{
    pb_error err;
    pb_error_init(&err);
    char *note = NULL;
    int rc = pb_witness_latest(h->witness, origin, &note, &err);
    if (rc != PB_OK) {
        char text[PB_ERROR_TEXT_MAX + 2];
        snprintf(text, sizeof(text), "%s\n", err.text);
        return respond(conn,
                       rc == PB_ENOTFOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                       "text/plain; charset=utf-8", text);
    }
    enum MHD_Result ret = respond(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", note);
    free(note);
    return ret;
}

/* Append a chunk of the body, refusing (later, with 413) past the limit. */
static void
collect(struct upload *up, const char *data, size_t size)
{
    if (up->too_big || up->len + size > PB_WITNESS_REQUEST_BYTES_MAX) {
        up->too_big = 1;
        return;
    }
    char *grown = realloc(up->buf, up->len + size + 1);
    if (grown == NULL) {
        up->too_big = 1;
        return;
    }
    memcpy(grown + up->len, data, size);
    up->len += size;
    grown[up->len] = '\0';
    up->buf = grown;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    witness_http *h = cls;
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (post && strcmp(url, "/add-checkpoint") == 0) {
        struct upload *up = *con_cls;
        if (up == NULL) {
            up = calloc(1, sizeof(*up));
            *con_cls = up;
            return up != NULL ? MHD_YES : MHD_NO;
        }
        if (*upload_data_size > 0) {
            collect(up, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        return add_checkpoint(h, conn, up);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 && strncmp(url, "/latest/", 8) == 0) {
        return latest(h, conn, url + 8);
    }
    fprintf(stderr, "poolbook witness: %s %s 404\n", method, url);
    return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
                   "a witness answers POST /add-checkpoint and GET /latest/<origin>\n");
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct upload *up = *con_cls;
    if (up != NULL) {
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

witness_http *
witness_http_start(pb_witness *witness, const char *address, uint16_t port, uint16_t *port_out,
                   char *msg, size_t msg_size)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
        snprintf(msg, msg_size, "%s is not an IPv4 address", address);
        return NULL;
    }
    witness_http *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(msg, msg_size, "out of memory");
        return NULL;
    }
    h->witness = witness;
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL, NULL, handle, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)WITNESS_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)WITNESS_HTTP_CONNECTIONS_MAX,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
    if (h->daemon == NULL) {
        snprintf(msg, msg_size, "cannot listen on %s:%u%s%s", address, (unsigned)port,
                 h->startup[0] != '\0' ? ": " : "", h->startup);
        free(h);
        return NULL;
    }
    h->started = 1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info != NULL ? info->port : port;
    return h;
}

void
witness_http_stop(witness_http *http)
{
    if (http != NULL) {
        MHD_stop_daemon(http->daemon);
        free(http);
    }
}
