/*
 * httpc.c — the command line's minimal HTTP/1.1 client for --remote
 * (DESIGN 9): one request per connection ("Connection: close"), plain HTTP
 * to a server or to a local TLS tunnel (docs/server.md says why no TLS
 * library is linked), RFC 9421 request signatures by server/httpsig.c, a
 * body read to the end and bounded, timeouts on every socket operation.
 */
#include "cli.h"
#include "server/httpsig.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define HTTP_TIMEOUT_SECONDS 60
/* An answer: at most an entry bundle of 256 records and its headers. */
#define HTTP_RESPONSE_BYTES_MAX ((size_t)PB_TILE_WIDTH * (PB_RECORD_BYTES_MAX + 2) + 65536)

/* Split "http://HOST[:PORT][/...]" into host, port and a path prefix. */
static void
split_url(const char *url, char *host, size_t host_size, char *port, size_t port_size, char *prefix,
          size_t prefix_size)
{
    if (strncmp(url, "http://", 7) != 0) {
        cli_die_env("--remote %s: only http:// URLs (use a TLS tunnel for https; docs/server.md)",
                    url);
    }
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    size_t hl = slash != NULL ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hl);
    size_t name_len = colon != NULL ? (size_t)(colon - h) : hl;
    if (name_len == 0 || name_len >= host_size || hl - name_len >= port_size + 1) {
        cli_die_env("--remote %s: not http://HOST[:PORT]", url);
    }
    memcpy(host, h, name_len);
    host[name_len] = '\0';
    snprintf(port, port_size, "%.*s", colon != NULL ? (int)(hl - name_len - 1) : 2,
             colon != NULL ? colon + 1 : "80");
    snprintf(prefix, prefix_size, "%s", slash != NULL ? slash : "");
    size_t pl = strlen(prefix);
    if (pl > 0 && prefix[pl - 1] == '/') {
        prefix[pl - 1] = '\0';
    }
}

static int
connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0};
    struct addrinfo *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
        cli_die_env("cannot resolve %s", host);
    }
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    struct timeval tv = {HTTP_TIMEOUT_SECONDS, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        freeaddrinfo(res);
        cli_die_env("cannot connect to %s:%s: %s", host, port, strerror(e));
    }
    freeaddrinfo(res);
    return fd;
}

static void
send_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
        if (w <= 0 && errno != EINTR) {
            cli_die_env("sending the request failed: %s", strerror(errno));
        }
        done += w > 0 ? (size_t)w : 0;
    }
}

/* Read the whole answer, then take the status line and the body. */
static void
read_response(int fd, struct cli_http_response *out)
{
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL) {
            cli_die_env("out of memory");
        }
        if (used == cap) {
            cap *= 2;
            if (cap > HTTP_RESPONSE_BYTES_MAX) {
                cli_die_env("the server's answer is over %zu bytes", HTTP_RESPONSE_BYTES_MAX);
            }
            buf = realloc(buf, cap + 1);
            continue;
        }
        ssize_t r = recv(fd, buf + used, cap - used, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            cli_die_env("reading the server's answer failed: %s", strerror(errno));
        }
        if (r == 0) {
            break;
        }
        used += (size_t)r;
    }
    buf[used] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) != 0 || end == NULL) {
        cli_die_env("the server's answer is not HTTP");
    }
    out->status = (int)strtol(buf + 9, NULL, 10);
    out->len = used - (size_t)(end + 4 - buf);
    out->body = malloc(out->len + 1);
    if (out->body == NULL) {
        cli_die_env("out of memory");
    }
    memcpy(out->body, end + 4, out->len);
    out->body[out->len] = '\0';
    free(buf);
}

void
cli_http(const char *method, const char *path, const void *body, size_t len, const pb_seckey *key,
         struct cli_http_response *out)
{
    char host[256], port[16], prefix[1024];
    split_url(cli_remote(), host, sizeof(host), port, sizeof(port), prefix, sizeof(prefix));
    char full[2048], authority[300];
    snprintf(full, sizeof(full), "%s%s", prefix, path);
    snprintf(authority, sizeof(authority), "%s:%s", host, port);
    pb_httpsig_headers sig;
    memset(&sig, 0, sizeof(sig));
    pb_error err;
    pb_error_init(&err);
    if (key != NULL && pb_httpsig_sign(key, method, full, authority, body, len, (int64_t)time(NULL),
                                       &sig, &err) != PB_OK) {
        cli_fail(&err);
    }
    char head[4096];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: poolbook\r\n"
                     "Content-Length: %zu\r\n",
                     method, full, authority, len);
    if (key != NULL) {
        if (len > 0) {
            n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Digest: %s\r\n", sig.digest);
        }
        n += snprintf(head + n, sizeof(head) - (size_t)n,
                      "Signature-Input: %s\r\nSignature: %s\r\n", sig.input, sig.signature);
    }
    n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
    int fd = connect_to(host, port);
    send_all(fd, head, (size_t)n);
    if (len > 0) {
        send_all(fd, body, len);
    }
    read_response(fd, out);
    close(fd);
}

void
cli_http_free(struct cli_http_response *r)
{
    free(r->body);
    r->body = NULL;
}
