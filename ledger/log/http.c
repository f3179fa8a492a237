/*
 * http.c — poolbook's one HTTP/1.1 client: one request per connection
 * ("Connection: close") to a plain http:// URL, with timeouts on every socket
 * operation and a bounded response read. Its callers are the witness protocol
 * (witness_client.c) and the command line's --remote (cli/httpc.c, which adds
 * RFC 9421 signature headers through pb_http_options). poolbook talks to
 * witnesses and servers on a partnership's own network or loopback; anything
 * on the Internet is reached through a TLS-terminating proxy or tunnel
 * (docs/witness.md, docs/server.md). No chunked responses: a witness and
 * `poolbook serve` answer with a Content-Length (libmicrohttpd does for a
 * buffer).
 */
#include "log/log.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The response buffer starts here and doubles up to the caller's limit. */
#define HTTP_READ_BYTES_START (64 * 1024)
/* The request line and headers, the caller's extra headers included. */
#define HTTP_HEAD_BYTES_MAX (PB_HTTP_HEADERS_BYTES_MAX + 1536)

int
pb_http_url_split(const char *url, pb_http_url *out, pb_error *err)
{
    PB_ASSERT(url != NULL);
    PB_ASSERT(out != NULL);
    const char *scheme = "http://";
    if (strncmp(url, scheme, strlen(scheme)) != 0) {
        return pb_error_set(err, PB_EUSAGE, NULL,
                            "%s: only http:// URLs are supported (put TLS in a proxy)", url);
    }
    const char *h = url + strlen(scheme);
    const char *slash = strchr(h, '/');
    size_t hostport_len = slash != NULL ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hostport_len);
    size_t host_len = colon != NULL ? (size_t)(colon - h) : hostport_len;
    size_t port_len = colon != NULL ? hostport_len - host_len - 1 : 2;
    if (host_len == 0 || host_len >= sizeof(out->host) || port_len == 0 ||
        port_len >= sizeof(out->port) || (slash != NULL && strlen(slash) >= sizeof(out->path)) ||
        strpbrk(url, " \r\n") != NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL, "%s is not a URL http://HOST[:PORT][/PATH]", url);
    }
    snprintf(out->host, sizeof(out->host), "%.*s", (int)host_len, h);
    snprintf(out->port, sizeof(out->port), "%.*s", (int)port_len, colon != NULL ? colon + 1 : "80");
    snprintf(out->path, sizeof(out->path), "%s", slash != NULL ? slash : "");
    return PB_OK;
}

static int
connect_to(const pb_http_url *u, int timeout_s, const char *url, int *fd_out, pb_error *err)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *res = NULL;
    if (getaddrinfo(u->host, u->port, &hints, &res) != 0) {
        return pb_error_set(err, PB_ENET, url, "cannot resolve %s", u->host);
    }
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        struct timeval tv = {timeout_s, 0};
        if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
                        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
                        connect(fd, a->ai_addr, a->ai_addrlen) != 0)) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return pb_error_set(err, PB_ENET, url, "cannot connect: %s", strerror(errno));
    }
    *fd_out = fd;
    return PB_OK;
}

static int
send_all(int fd, const char *buf, size_t len, const char *url, pb_error *err)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return pb_error_set(err, PB_ENET, url, "sending the request: %s",
                                n < 0 ? strerror(errno) : "connection closed");
        }
        buf += n;
        len -= (size_t)n;
    }
    return PB_OK;
}

/* Read to the end of the connection, at most bytes_max; the buffer grows by
 * doubling so a small answer costs a small allocation. */
static int
recv_all(int fd, size_t bytes_max, char **buf_out, size_t *len_out, const char *url, pb_error *err)
{
    size_t cap = bytes_max < HTTP_READ_BYTES_START ? bytes_max : HTTP_READ_BYTES_START;
    size_t len = 0;
    char *buf = malloc(cap + 1);
    int rc = buf != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    while (rc == PB_OK) {
        if (len == cap) {
            size_t grown = cap * 2 < bytes_max ? cap * 2 : bytes_max + 1;
            char *bigger = realloc(buf, grown + 1);
            if (bigger == NULL) {
                rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
                break;
            }
            buf = bigger;
            cap = grown;
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = pb_error_set(err, PB_ENET, url, "reading the response: %s", strerror(errno));
        } else if (n == 0) {
            break;
        } else {
            len += (size_t)n;
            if (len > bytes_max) {
                rc = pb_error_set(err, PB_ENET, url, "the response is over %zu bytes", bytes_max);
            }
        }
    }
    if (rc != PB_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    return PB_OK;
}
/* Status line, Content-Type and body (by Content-Length) of a response
 * (log.h; not static so that tests/fuzz/fuzz_http.c reads what a hostile
 * server could send). */
int
pb_http_response_parse(char *raw, size_t raw_len, pb_http_response *out, const char *url,
                       pb_error *err)
{
    char *head_end = strstr(raw, "\r\n\r\n");
    int status = 0;
    if (head_end == NULL || sscanf(raw, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100) {
        return pb_error_set(err, PB_ENET, url, "the answer is not an HTTP/1.x response");
    }
    *head_end = '\0';
    char *body = head_end + 4;
    size_t body_len = raw_len - (size_t)(body - raw);
    out->content_type[0] = '\0';
    for (char *line = strstr(raw, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "Content-Type:", 13) == 0) {
            h += 13 + strspn(h + 13, " \t");
            /* A bare LF ends the value too (fuzz_http: it was kept in the type). */
            snprintf(out->content_type, sizeof(out->content_type), "%.*s", (int)strcspn(h, "\r\n;"),
                     h);
        } else if (strncasecmp(h, "Content-Length:", 15) == 0) {
            unsigned long long cl = strtoull(h + 15, NULL, 10);
            if (cl > body_len) {
                return pb_error_set(err, PB_ENET, url, "the response ends early");
            }
            body_len = (size_t)cl;
        } else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
            return pb_error_set(err, PB_ENET, url, "chunked responses are not supported");
        }
    }
    out->status = status;
    out->body = malloc(body_len + 1);
    if (out->body == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    memcpy(out->body, body, body_len);
    out->body[body_len] = '\0';
    out->body_len = body_len;
    return PB_OK;
}

/* The request line and headers into head; PB_EUSAGE when they do not fit. */
static int
format_head(const char *method, const pb_http_url *u, const char *path_suffix, size_t body_len,
            const pb_http_options *opts, char *head, size_t head_size, size_t *len_out,
            const char *url, pb_error *err)
{
    char content_type[128] = "";
    if (opts->content_type != NULL) {
        snprintf(content_type, sizeof(content_type), "Content-Type: %s\r\n", opts->content_type);
    }
    int n = snprintf(head, head_size,
                     "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: poolbook\r\n"
                     "%sContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     method, u->path, path_suffix, u->host, u->port, content_type, body_len,
                     opts->headers != NULL ? opts->headers : "");
    if (n <= 0 || (size_t)n >= head_size) {
        return pb_error_set(err, PB_EUSAGE, url, "the request line is too long");
    }
    *len_out = (size_t)n;
    return PB_OK;
}

/* The defaults the witness protocol was written for. */
static const pb_http_options http_defaults = {
    .content_type = "text/plain; charset=utf-8",
    .headers = NULL,
    .response_bytes_max = PB_HTTP_RESPONSE_BYTES_DEFAULT,
    .timeout_s = PB_HTTP_TIMEOUT_S_DEFAULT,
};

int
pb_http_request_with(const char *method, const char *url, const char *path_suffix, const void *body,
                     size_t body_len, const pb_http_options *opts, pb_http_response *out,
                     pb_error *err)
{
    PB_ASSERT(method != NULL && url != NULL && path_suffix != NULL && out != NULL);
    opts = opts != NULL ? opts : &http_defaults;
    PB_ASSERT(opts->headers == NULL || strlen(opts->headers) <= PB_HTTP_HEADERS_BYTES_MAX);
    memset(out, 0, sizeof(*out));
    size_t bytes_max =
        opts->response_bytes_max > 0 ? opts->response_bytes_max : PB_HTTP_RESPONSE_BYTES_DEFAULT;
    int timeout_s = opts->timeout_s > 0 ? opts->timeout_s : PB_HTTP_TIMEOUT_S_DEFAULT;
    body_len = body != NULL ? body_len : 0;
    pb_http_url u;
    int fd = -1;
    int rc = pb_http_url_split(url, &u, err);
    char head[HTTP_HEAD_BYTES_MAX];
    size_t head_len = 0;
    if (rc == PB_OK) {
        rc = format_head(method, &u, path_suffix, body_len, opts, head, sizeof(head), &head_len,
                         url, err);
    }
    if (rc == PB_OK) {
        rc = connect_to(&u, timeout_s, url, &fd, err);
    }
    if (rc == PB_OK) {
        rc = send_all(fd, head, head_len, url, err);
    }
    if (rc == PB_OK && body_len > 0) {
        rc = send_all(fd, body, body_len, url, err);
    }
    char *raw = NULL;
    size_t raw_len = 0;
    if (rc == PB_OK) {
        rc = recv_all(fd, bytes_max, &raw, &raw_len, url, err);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rc == PB_OK) {
        rc = pb_http_response_parse(raw, raw_len, out, url, err);
    }
    free(raw);
    return rc;
}

int
pb_http_request(const char *method, const char *url, const char *path_suffix, const char *body,
                size_t body_len, pb_http_response *out, pb_error *err)
{
    return pb_http_request_with(method, url, path_suffix, body, body_len, NULL, out, err);
}

void
pb_http_response_free(pb_http_response *response)
{
    if (response != NULL) {
        free(response->body);
        response->body = NULL;
    }
}
