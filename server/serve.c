/*
 * serve.c — the HTTP daemon of `poolbook serve`: libmicrohttpd in thread-pool
 * mode, the limits it enforces (connections in all and per client, an idle
 * timeout that closes slow clients, header memory, body size), dispatch to
 * the routes, one JSON log line per request on stderr, and shutdown on
 * SIGTERM or SIGINT that lets requests in progress finish.
 */
#include "server/httpsig.h"
#include "server/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The client's address as text, for the log. */
static void
client_text(struct MHD_Connection *c, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, size, "?");
    if (info != NULL && info->client_addr != NULL) {
        if (info->client_addr->sa_family == AF_INET) {
            const struct sockaddr_in *a = (const struct sockaddr_in *)info->client_addr;
            inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)size);
        } else if (info->client_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)info->client_addr;
            inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)size);
        }
    }
}

/* One log line: time, client, method, path, status, bytes, microseconds,
 * the signing key, and why a connection ended early. */
static void
log_request(struct MHD_Connection *c, const struct srv_request *r)
{
    char when[32];
    char client[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    client_text(c, client, sizeof(client));
    json_t *line =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "time", when, "client", client, "method",
                  r->method, "path", r->path, "status", (json_int_t)r->status, "bytes",
                  (json_int_t)r->bytes, "us", (json_int_t)(now_us() - r->start_us));
    if (line != NULL && r->keyid[0] != '\0') {
        json_object_set_new(line, "key", json_string(r->keyid));
    }
    if (line != NULL && r->ended != NULL) {
        json_object_set_new(line, "ended", json_string(r->ended));
    }
    char *text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text != NULL) {
        fprintf(stderr, "%s\n", text);
    }
    free(text);
    json_decref(line);
}

enum MHD_Result
srv_answer(struct MHD_Connection *c, struct srv_request *r, unsigned status, const char *type,
           const char *cache, const void *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (cache != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->bytes = len;
    return ok;
}

enum MHD_Result
srv_answer_error(struct MHD_Connection *c, struct srv_request *r, unsigned status,
                 const pb_error *err, const char *place)
{
    char line[PB_ERROR_TEXT_MAX + PB_ERROR_WHERE_MAX + 64];
    const char *text = err->text[0] != '\0' ? err->text : pb_strerror(err->code);
    if (place != NULL && err->where[0] != '\0') {
        snprintf(line, sizeof(line), "poolbook: error: %s (%s, %s)\n", text, place, err->where);
    } else if (place != NULL || err->where[0] != '\0') {
        snprintf(line, sizeof(line), "poolbook: error: %s (%s)\n", text,
                 place != NULL ? place : err->where);
    } else {
        snprintf(line, sizeof(line), "poolbook: error: %s\n", text);
    }
    return srv_answer(c, r, status, "text/plain; charset=utf-8", "no-store", line, strlen(line));
}

void
srv_error(pb_error *err, int code, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    pb_error_init(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
}

unsigned
srv_status_of(int code)
{
    switch (code) {
    case PB_ENOTFOUND:
    case PB_ERANGE:
        return MHD_HTTP_NOT_FOUND;
    case PB_ETOOBIG:
        return MHD_HTTP_CONTENT_TOO_LARGE;
    case PB_EKEY_UNKNOWN:
    case PB_ESIG_INVALID:
        return MHD_HTTP_FORBIDDEN;
    case PB_ENOMEM:
    case PB_EIO:
    case PB_ESTORE:
    case PB_ENOLEDGER:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    default:
        break;
    }
    /* Input form (-20..-33) and record form are malformed requests; the rest
     * of the entry and log codes are the ledger's rules refusing it. */
    if ((code <= PB_EJSON && code >= PB_EPERIOD) || code == PB_EFIELD || code == PB_ETYPE ||
        code == PB_EID || code == PB_ESIG_FORMAT || code == PB_EUSAGE) {
        return MHD_HTTP_BAD_REQUEST;
    }
    return MHD_HTTP_UNPROCESSABLE_CONTENT;
}

/* Take the next piece of a body; past the limit, keep nothing more. */
static void
take_body(struct srv_request *r, const char *data, size_t len)
{
    if (r->body_too_big || r->body_len + len > PB_SERVER_BODY_BYTES_MAX) {
        r->body_too_big = 1;
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
        return;
    }
    char *grown = realloc(r->body, r->body_len + len + 1);
    if (grown == NULL) {
        r->body_too_big = 1; /* answered as too large: nothing is appended */
        return;
    }
    memcpy(grown + r->body_len, data, len);
    r->body = grown;
    r->body_len += len;
    r->body[r->body_len] = '\0';
}

/* ---- who may ask: RFC 9421 request signatures and a per-key rate ------- */

struct lookup_ctx {
    struct MHD_Connection *c;
    const struct srv_request *r;
};

static const char *
request_lookup(void *ctx, const char *name)
{
    const struct lookup_ctx *l = ctx;
    if (strcmp(name, "@method") == 0) {
        return l->r->method;
    }
    if (strcmp(name, "@path") == 0) {
        return l->r->path;
    }
    if (strcmp(name, "@authority") == 0) {
        return MHD_lookup_connection_value(l->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    }
    return name[0] == '@' ? NULL : MHD_lookup_connection_value(l->c, MHD_HEADER_KIND, name);
}

/* Requests per key in the current minute: a small open-addressed table.
 * When it is full, keys not yet in it are not limited (the connection limits
 * still hold). */
#define RATE_KEYS_MAX 1024
static struct {
    char keyid[PB_KEYID_TEXT_MAX];
    int64_t minute;
    unsigned count;
} rate_table[RATE_KEYS_MAX];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

static int
rate_exceeded(const char *keyid, unsigned per_minute)
{
    int64_t minute = (int64_t)time(NULL) / 60;
    uint32_t h = 2166136261u;
    for (const char *p = keyid; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    int over = 0;
    pthread_mutex_lock(&rate_lock);
    for (unsigned i = 0; i < RATE_KEYS_MAX; i++) {
        size_t slot = (h + i) % RATE_KEYS_MAX;
        if (rate_table[slot].keyid[0] == '\0') {
            snprintf(rate_table[slot].keyid, PB_KEYID_TEXT_MAX, "%s", keyid);
        }
        if (strcmp(rate_table[slot].keyid, keyid) == 0) {
            if (rate_table[slot].minute != minute) {
                rate_table[slot].minute = minute;
                rate_table[slot].count = 0;
            }
            over = ++rate_table[slot].count > per_minute;
            break;
        }
    }
    pthread_mutex_unlock(&rate_lock);
    return over;
}

/* 0 when the request may go on; else the answer was queued (*answered). */
static int
authenticate(struct MHD_Connection *c, struct srv_request *r, enum MHD_Result *answered)
{
    const pb_server_config *cfg = r->config;
    int is_read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    if (cfg->unsigned_requests || (is_read && strcmp(r->path, "/checkpoint") == 0) ||
        (is_read && cfg->public_reads)) {
        return 0;
    }
    pb_error err;
    pb_error_init(&err);
    struct lookup_ctx l = {c, r};
    int rc = pb_httpsig_verify(
        cfg->store, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Signature-Input"),
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Signature"), request_lookup, &l, r->body,
        r->body_len, (int64_t)time(NULL), r->keyid, &err);
    unsigned status = rc == PB_OK                               ? 0
                      : rc == PB_EUSAGE || rc == PB_ESIG_FORMAT ? MHD_HTTP_UNAUTHORIZED
                      : rc == PB_ENOMEM                         ? 500
                                                                : MHD_HTTP_FORBIDDEN;
    if (rc == PB_OK &&
        rate_exceeded(r->keyid, cfg->rate_per_minute != 0 ? cfg->rate_per_minute
                                                          : PB_SERVER_RATE_PER_MINUTE)) {
        srv_error(&err, PB_EUSAGE, "key %s made over %u requests this minute", r->keyid,
                  cfg->rate_per_minute != 0 ? cfg->rate_per_minute : PB_SERVER_RATE_PER_MINUTE);
        status = MHD_HTTP_TOO_MANY_REQUESTS;
    }
    if (status == 0) {
        return 0;
    }
    *answered = srv_answer_error(c, r, status, &err, NULL);
    return 1;
}

static enum MHD_Result
route(struct MHD_Connection *c, struct srv_request *r, const char *url)
{
    enum MHD_Result answered = MHD_NO;
    if (authenticate(c, r, &answered)) {
        return answered;
    }
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    int post = strcmp(r->method, "POST") == 0;
    pb_error err;
    if (get && strcmp(url, "/checkpoint") == 0) {
        return srv_get_checkpoint(c, r);
    }
    if (get && strncmp(url, "/tile/", 6) == 0) {
        return srv_get_tile(c, r, url);
    }
    if (get && strncmp(url, "/pools/", 7) == 0 && url[7] != '\0' && strchr(url + 7, '/') == NULL &&
        strlen(url + 7) <= PB_ID_BYTES_MAX) {
        return srv_get_pool_page(c, r, url + 7);
    }
    if (post && r->config->operator_key == NULL) {
        srv_error(&err, PB_EUSAGE,
                  "this server is read-only: it was started without the operator key (-k)");
        return srv_answer_error(c, r, MHD_HTTP_METHOD_NOT_ALLOWED, &err, NULL);
    }
    if (post && strcmp(url, "/add-entry") == 0) {
        return srv_post_add_entry(c, r);
    }
    if (strcmp(url, "/drafts") == 0 && (get || post)) {
        return get ? srv_get_drafts(c, r) : srv_post_draft(c, r);
    }
    if (strncmp(url, "/drafts/", 8) == 0) {
        char id[PB_ID_BYTES_MAX + 1];
        const char *slash = strchr(url + 8, '/');
        size_t len = slash != NULL ? (size_t)(slash - url - 8) : strlen(url + 8);
        int id_ok =
            len > 0 && len <= PB_ID_BYTES_MAX &&
            strspn(url + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") >=
                len;
        if (id_ok) {
            memcpy(id, url + 8, len);
            id[len] = '\0';
        }
        if (id_ok && get && slash == NULL) {
            return srv_get_draft(c, r, id);
        }
        if (id_ok && post && slash != NULL && strcmp(slash, "/signatures") == 0) {
            return srv_post_draft_signature(c, r, id);
        }
    }
    int known = strcmp(url, "/checkpoint") == 0 || strncmp(url, "/tile/", 6) == 0 ||
                strncmp(url, "/pools/", 7) == 0 || strcmp(url, "/add-entry") == 0 ||
                strncmp(url, "/drafts", 7) == 0;
    srv_error(&err, PB_EUSAGE, known ? "method %s not allowed on %s" : "no such path %s",
              known ? r->method : url, url);
    return srv_answer_error(c, r, known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND, &err,
                            NULL);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct srv_request *r = *con_cls;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL) {
            return MHD_NO;
        }
        r->config = cls;
        r->start_us = now_us();
        snprintf(r->method, sizeof(r->method), "%s", method);
        snprintf(r->path, sizeof(r->path), "%s", url);
        *con_cls = r;
        const char *length =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length != NULL && strtoull(length, NULL, 10) > PB_SERVER_BODY_BYTES_MAX) {
            r->body_too_big = 1; /* refused before a byte of it is read */
        }
        if (!r->body_too_big && strcmp(method, "POST") == 0) {
            return MHD_YES; /* the body follows */
        }
    }
    if (*upload_size > 0) {
        take_body(r, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->body_too_big) {
        pb_error err;
        pb_error_init(&err);
        srv_error(&err, PB_ETOOBIG, "request body is over the limit of %d bytes",
                  PB_SERVER_BODY_BYTES_MAX);
        return srv_answer_error(c, r, MHD_HTTP_CONTENT_TOO_LARGE, &err, NULL);
    }
    return route(c, r, url);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct srv_request *r = *con_cls;
    if (r == NULL) {
        return;
    }
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        /* Logged with what was queued, and why the connection ended early. */
        r->ended = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED   ? "timeout"
                   : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                                                                   : "aborted";
    }
    log_request(c, r);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* Parse "HOST:PORT" (IPv4 dotted, or [IPv6]) into addr. */
static int
parse_listen(const char *text, struct sockaddr_storage *addr, pb_error *err)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    /* Digits only (no sign or space strtoul would take), at most 65535. */
    size_t digits = colon != NULL ? strspn(colon + 1, "0123456789") : 0;
    int digits_only = colon != NULL && digits > 0 && digits <= 5 && colon[1 + digits] == '\0';
    unsigned long port = digits_only ? strtoul(colon + 1, NULL, 10) : 0;
    size_t host_len = colon != NULL ? (size_t)(colon - text) : 0;
    memset(addr, 0, sizeof(*addr));
    if (!digits_only || port > 65535 || host_len == 0 ||
        host_len >= sizeof(host)) {
        srv_error(err, PB_EUSAGE, "\"%s\" is not HOST:PORT", text);
        return PB_EUSAGE;
    }
    memcpy(host, text, host_len);
    host[host_len] = '\0';
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return PB_OK;
    }
    if (host_len > 2 && host[0] == '[' && host[host_len - 1] == ']') {
        host[host_len - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons((uint16_t)port);
            return PB_OK;
        }
    }
    srv_error(err, PB_EUSAGE,
              "\"%s\" is not an IP address (127.0.0.1, [::1]); a name is not resolved", host);
    return PB_EUSAGE;
}

static unsigned
or_default(unsigned value, unsigned fallback)
{
    return value != 0 ? value : fallback;
}

static struct MHD_Daemon *
start_daemon(const pb_server_config *cfg, const struct sockaddr_storage *addr)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     (addr->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, (void *)cfg, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, or_default(cfg->threads, PB_SERVER_THREADS),
        MHD_OPTION_CONNECTION_TIMEOUT, or_default(cfg->timeout_seconds, PB_SERVER_TIMEOUT_SECONDS),
        MHD_OPTION_CONNECTION_LIMIT, or_default(cfg->connections_max, PB_SERVER_CONNECTIONS_MAX),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        or_default(cfg->connections_per_client, PB_SERVER_CONNECTIONS_PER_CLIENT),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PB_SERVER_HEADER_BYTES_MAX,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
}

static int
write_ready(const char *path, const struct sockaddr_storage *addr, unsigned port, pb_error *err)
{
    char host[64] = "127.0.0.1";
    if (addr->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof(host));
    }
    char url[96];
    if (addr->ss_family == AF_INET6) {
        char h6[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, h6, sizeof(h6));
        snprintf(url, sizeof(url), "http://[%s]:%u", h6, port);
    } else {
        snprintf(url, sizeof(url), "http://%s:%u", host, port);
    }
    fprintf(stderr, "poolbook: serving on %s\n", url);
    if (path == NULL) {
        return PB_OK;
    }
    char line[128];
    int n = snprintf(line, sizeof(line), "%s\n", url);
    pb_error local;
    pb_error_init(&local);
    if (pb_file_write_bytes(path, NULL, line, (size_t)n, &local) != PB_OK) {
        srv_error(err, PB_EIO, "cannot write the ready file %s: %s", path, local.text);
        return PB_EIO;
    }
    return PB_OK;
}

int
pb_server_run(const pb_server_config *config, pb_error *err)
{
    struct sockaddr_storage addr;
    int rc = parse_listen(config->listen, &addr, err);
    if (rc != PB_OK) {
        return rc;
    }
    /* Every thread libmicrohttpd starts inherits this mask, so only sigwait
     * below sees SIGTERM and SIGINT. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = start_daemon(config, &addr);
    if (d == NULL) {
        srv_error(err, PB_EIO, "cannot listen on %s (in use, or not an address of this machine)",
                  config->listen);
        return PB_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    rc = write_ready(config->ready_file, &addr, info != NULL ? info->port : 0, err);
    int sig = 0;
    while (rc == PB_OK && sigwait(&stop, &sig) != 0) {
    }
    /* Stop accepting first, then wait for the requests in progress. */
    MHD_socket listener = MHD_quiesce_daemon(d);
    if (listener != MHD_INVALID_SOCKET) {
        close(listener);
    }
    MHD_stop_daemon(d);
    if (sig != 0) {
        fprintf(stderr, "poolbook: stopped by signal %d; every request in progress finished\n",
                sig);
    }
    return rc;
}
