/*
 * httpc.c — the command line's requests to a --remote server (DESIGN 9):
 * RFC 9421 request signatures by server/httpsig.c, sent as extra headers
 * through the library's one HTTP/1.1 client (ledger/log/http.c), which owns
 * the URL, the socket, the timeouts and the bounded read of the answer. Plain
 * HTTP to a server or to a local TLS tunnel (docs/server.md says why no TLS
 * library is linked).
 */
#include "cli.h"
#include "server/httpsig.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HTTP_TIMEOUT_SECONDS 60
/* An answer: at most an entry bundle of 256 records and its headers. */
#define HTTP_RESPONSE_BYTES_MAX ((size_t)PB_TILE_WIDTH * (PB_RECORD_BYTES_MAX + 2) + 65536)

/* Exit 3 with the library's line, naming --remote where it names nothing. */
static _Noreturn void
remote_fail(pb_error *err)
{
    if (err->where[0] == '\0') {
        snprintf(err->where, sizeof(err->where), "--remote");
    }
    cli_report(err);
    exit(3);
}

/* The Content-Digest, Signature-Input and Signature lines of a request to
 * target on authority, into lines. */
static void
signature_lines(const pb_seckey *key, const char *method, const char *target, const char *authority,
                const void *body, size_t len, char *lines, size_t size)
{
    pb_httpsig_headers sig;
    memset(&sig, 0, sizeof(sig));
    pb_error err;
    pb_error_init(&err);
    if (pb_httpsig_sign(key, method, target, authority, body, len, (int64_t)time(NULL), &sig,
                        &err) != PB_OK) {
        cli_fail(&err);
    }
    int n = snprintf(lines, size, "%s%s%sSignature-Input: %s\r\nSignature: %s\r\n",
                     len > 0 ? "Content-Digest: " : "", len > 0 ? sig.digest : "",
                     len > 0 ? "\r\n" : "", sig.input, sig.signature);
    if (n <= 0 || (size_t)n >= size) {
        cli_die_env("the request's signature headers are over %zu bytes", size - 1);
    }
}

void
cli_http(const char *method, const char *path, const void *body, size_t len, const pb_seckey *key,
         struct cli_http_response *out)
{
    pb_error err;
    pb_error_init(&err);
    pb_http_url u;
    if (pb_http_url_split(cli_remote(), &u, &err) != PB_OK) {
        remote_fail(&err);
    }
    /* Without a trailing '/', so "http://h/" and a path "/tile/..." make one
     * slash. The URL ends with its path, and the split has bounded every part,
     * so url has room. */
    char url[sizeof(u.host) + sizeof(u.port) + sizeof(u.path) + 16];
    snprintf(url, sizeof(url), "%s", cli_remote());
    size_t path_len = strlen(u.path);
    if (path_len > 0 && u.path[path_len - 1] == '/') {
        u.path[path_len - 1] = '\0';
        url[strlen(url) - 1] = '\0';
    }
    char lines[PB_HTTP_HEADERS_BYTES_MAX + 1] = "";
    if (key != NULL) {
        char target[2048], authority[300];
        snprintf(target, sizeof(target), "%s%s", u.path, path);
        snprintf(authority, sizeof(authority), "%s:%s", u.host, u.port);
        signature_lines(key, method, target, authority, body, len, lines, sizeof(lines));
    }
    pb_http_options opts = {
        .content_type = NULL,
        .headers = lines,
        .response_bytes_max = HTTP_RESPONSE_BYTES_MAX,
        .timeout_s = HTTP_TIMEOUT_SECONDS,
    };
    pb_http_response r;
    if (pb_http_request_with(method, url, path, body, len, &opts, &r, &err) != PB_OK) {
        pb_http_response_free(&r);
        remote_fail(&err);
    }
    out->status = r.status;
    out->body = r.body;
    out->len = r.body_len;
}

void
cli_http_free(struct cli_http_response *r)
{
    free(r->body);
    r->body = NULL;
}
