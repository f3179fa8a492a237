/*
 * http.c — the smallest HTTP/1.1 client the witness protocol needs: one
 * request per connection ("Connection: close") to a plain http:// URL, with a
 * bounded response read against a timeout. poolbook talks to witnesses on a
 * partnership's own network or loopback; a witness on the Internet is reached
 * through a TLS-terminating proxy (docs/witness.md). No chunked responses:
 * a witness answers with a Content-Length (libmicrohttpd does for a buffer).
 */
#include "log/log.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A witness's answers are a few lines; refuse anything larger. */
#define HTTP_RESPONSE_BYTES_MAX (64 * 1024)
#define HTTP_TIMEOUT_S 10

/* Split "http://host[:port][/prefix]" into its parts. */
static int
split_url(const char *url, char *host, size_t host_size, char *port, size_t port_size, char *path,
          size_t path_size, pb_error *err)
{
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
    if (host_len == 0 || host_len >= host_size || port_len == 0 || port_len >= port_size ||
        (slash != NULL && strlen(slash) >= path_size) || strpbrk(url, " \r\n") != NULL) {
        return pb_error_set(err, PB_EUSAGE, NULL, "%s is not a URL http://HOST[:PORT][/PATH]", url);
    }
    snprintf(host, host_size, "%.*s", (int)host_len, h);
    snprintf(port, port_size, "%.*s", (int)port_len, colon != NULL ? colon + 1 : "80");
    snprintf(path, path_size, "%s", slash != NULL ? slash : "");
    return PB_OK;
}

static int
connect_to(const char *host, const char *port, const char *url, int *fd_out, pb_error *err)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return pb_error_set(err, PB_ENET, url, "cannot resolve %s", host);
    }
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        struct timeval tv = {HTTP_TIMEOUT_S, 0};
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
        if (n <= 0) {
            return pb_error_set(err, PB_ENET, url, "sending the request: %s",
                                n < 0 ? strerror(errno) : "connection closed");
        }
        buf += n;
        len -= (size_t)n;
    }
    return PB_OK;
}

/* Read to the end of the connection, at most HTTP_RESPONSE_BYTES_MAX. */
static int
recv_all(int fd, char **buf_out, size_t *len_out, const char *url, pb_error *err)
{
    char *buf = malloc(HTTP_RESPONSE_BYTES_MAX + 1);
    if (buf == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + len, HTTP_RESPONSE_BYTES_MAX + 1 - len, 0);
        if (n < 0) {
            free(buf);
            return pb_error_set(err, PB_ENET, url, "reading the response: %s", strerror(errno));
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        if (len > HTTP_RESPONSE_BYTES_MAX) {
            free(buf);
            return pb_error_set(err, PB_ENET, url, "the response is over %d bytes",
                                HTTP_RESPONSE_BYTES_MAX);
        }
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    return PB_OK;
}

/* Status line, Content-Type and body (by Content-Length) of a response. */
static int
parse_response(char *raw, size_t raw_len, pb_http_response *out, const char *url, pb_error *err)
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
            snprintf(out->content_type, sizeof(out->content_type), "%.*s", (int)strcspn(h, "\r;"),
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

int
pb_http_request(const char *method, const char *url, const char *path_suffix, const char *body,
                size_t body_len, pb_http_response *out, pb_error *err)
{
    PB_ASSERT(method != NULL && url != NULL && path_suffix != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    char host[256];
    char port[16];
    char path[1024];
    int fd = -1;
    int rc = split_url(url, host, sizeof(host), port, sizeof(port), path, sizeof(path), err);
    if (rc == PB_OK) {
        rc = connect_to(host, port, url, &fd, err);
    }
    char head[1536];
    if (rc == PB_OK) {
        int n = snprintf(head, sizeof(head),
                         "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: poolbook\r\n"
                         "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n",
                         method, path, path_suffix, host, port, body != NULL ? body_len : 0);
        rc = n > 0 && (size_t)n < sizeof(head)
                 ? send_all(fd, head, (size_t)n, url, err)
                 : pb_error_set(err, PB_EUSAGE, url, "the request line is too long");
    }
    if (rc == PB_OK && body != NULL) {
        rc = send_all(fd, body, body_len, url, err);
    }
    char *raw = NULL;
    size_t raw_len = 0;
    if (rc == PB_OK) {
        rc = recv_all(fd, &raw, &raw_len, url, err);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rc == PB_OK) {
        rc = parse_response(raw, raw_len, out, url, err);
    }
    free(raw);
    return rc;
}

void
pb_http_response_free(pb_http_response *response)
{
    if (response != NULL) {
        free(response->body);
        response->body = NULL;
    }
}
