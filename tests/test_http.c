/*
 * test_http.c — the library's one HTTP/1.1 client (ledger/log/http.c): a
 * caller's extra headers and Content-Type reach the server, and the
 * caller's response limit is held at the limit and one byte past it. The
 * server is a forked child on 127.0.0.1 at a free port that answers one
 * connection and exits; every wait is bounded by the client's timeout.
 * The response reader itself (pb_http_response_parse) on answers a hostile
 * server could give.
 */
#include "log/log.h"
#include "poolbook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Serve one connection: read the request head, answer 200 with a body of
 * the head itself padded with 'x' to body_len bytes. Returns the child's pid;
 * url gets the server's URL. */
static pid_t
serve_once(size_t body_len, char *url, size_t url_size)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(ls, 1), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
    snprintf(url, url_size, "http://127.0.0.1:%d/prefix", ntohs(a.sin_port));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        close(ls);
        return pid;
    }
    alarm(10); /* the child never outlives a stuck test */
    int fd = accept(ls, NULL, NULL);
    char head[8192];
    size_t len = 0;
    while (fd >= 0 && len < sizeof(head) - 1) {
        ssize_t n = recv(fd, head + len, sizeof(head) - 1 - len, 0);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        head[len] = '\0';
        if (strstr(head, "\r\n\r\n") != NULL) {
            break;
        }
    }
    char *body = malloc(body_len);
    if (fd < 0 || body == NULL) {
        _exit(1);
    }
    memset(body, 'x', body_len);
    memcpy(body, head, len < body_len ? len : body_len);
    char top[128];
    int n = snprintf(top, sizeof(top), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body_len);
    if (send(fd, top, (size_t)n, MSG_NOSIGNAL) != n ||
        send(fd, body, body_len, MSG_NOSIGNAL) != (ssize_t)body_len) {
        _exit(1);
    }
    /* Read what the client still sends (its body) before closing: closing
     * with unread bytes would reset the connection under the client's read. */
    shutdown(fd, SHUT_WR);
    while (recv(fd, head, sizeof(head), 0) > 0) {
    }
    close(fd);
    _exit(0);
}

/* The response's bytes: its head ("HTTP/1.1 200 OK..." above) and body. */
static size_t
response_bytes(size_t body_len)
{
    char top[128];
    return (size_t)snprintf(top, sizeof(top), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                            body_len) +
           body_len;
}

static void
reap(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void
test_headers_reach_the_server(void **state)
{
    (void)state;
    char url[128];
    pid_t pid = serve_once(4096, url, sizeof(url));
    pb_http_options opts = {.content_type = NULL,
                            .headers = "X-One: 1\r\nX-Two: two\r\n",
                            .response_bytes_max = 0,
                            .timeout_s = 5};
    pb_http_response r;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_http_request_with("POST", url, "/add", "hi", 2, &opts, &r, &err), PB_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 4096);
    assert_non_null(strstr(r.body, "POST /prefix/add HTTP/1.1\r\n"));
    assert_non_null(strstr(r.body, "\r\nX-One: 1\r\nX-Two: two\r\n\r\n"));
    assert_non_null(strstr(r.body, "\r\nContent-Length: 2\r\n"));
    assert_null(strstr(r.body, "Content-Type:"));
    pb_http_response_free(&r);
    reap(pid);
}

static void
test_default_content_type(void **state)
{
    (void)state;
    char url[128];
    pid_t pid = serve_once(1024, url, sizeof(url));
    pb_http_response r;
    assert_int_equal(pb_http_request("POST", url, "/add", "hi", 2, &r, NULL), PB_OK);
    assert_non_null(strstr(r.body, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    pb_http_response_free(&r);
    reap(pid);
}

/* A limit of exactly the response's size passes; one byte less fails. The
 * body is over the 64 KiB default and the first read buffer, so the buffer's
 * growth is crossed too. */
static void
test_response_limit(void **state)
{
    (void)state;
    size_t body_len = 200000;
    size_t total = response_bytes(body_len);
    for (int over = 0; over <= 1; over++) {
        char url[128];
        pid_t pid = serve_once(body_len, url, sizeof(url));
        pb_http_options opts = {.content_type = NULL,
                                .headers = NULL,
                                .response_bytes_max = total - (size_t)over,
                                .timeout_s = 5};
        pb_http_response r;
        pb_error err;
        pb_error_init(&err);
        int rc = pb_http_request_with("GET", url, "/big", NULL, 0, &opts, &r, &err);
        if (over == 0) {
            assert_int_equal(rc, PB_OK);
            assert_int_equal(r.body_len, body_len);
        } else {
            assert_int_equal(rc, PB_ENET);
            char want[64];
            snprintf(want, sizeof(want), "the response is over %zu bytes", total - 1);
            assert_string_equal(err.text, want);
            assert_null(r.body);
        }
        pb_http_response_free(&r);
        reap(pid);
    }
}

static void
test_url_split(void **state)
{
    (void)state;
    pb_http_url u;
    assert_int_equal(pb_http_url_split("http://h.example:8080/a/b", &u, NULL), PB_OK);
    assert_string_equal(u.host, "h.example");
    assert_string_equal(u.port, "8080");
    assert_string_equal(u.path, "/a/b");
    assert_int_equal(pb_http_url_split("http://h", &u, NULL), PB_OK);
    assert_string_equal(u.port, "80");
    assert_string_equal(u.path, "");
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_http_url_split("https://h/", &u, &err), PB_EUSAGE);
    assert_string_equal(err.text,
                        "https://h/: only http:// URLs are supported (put TLS in a proxy)");
    assert_int_equal(pb_http_url_split("http://:80", &u, NULL), PB_EUSAGE);
    assert_int_equal(pb_http_url_split("http://h:/x", &u, NULL), PB_EUSAGE);
}

/* Found by tests/fuzz/fuzz_http.c: a header ended by a bare LF kept the LF
 * (and the next header) in Content-Type. */
static void
test_response_content_type_ends_at_bare_lf(void **state)
{
    (void)state;
    char raw[] = "HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\nX-Other: 1\r\n"
                 "Content-Length: 3\r\n\r\n12\nextra";
    pb_http_response resp;
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(pb_http_response_parse(raw, strlen(raw), &resp, "http://h", NULL), PB_OK);
    assert_int_equal(resp.status, 409);
    assert_string_equal(resp.content_type, "text/x.tlog.size");
    assert_int_equal(resp.body_len, 3);
    assert_string_equal(resp.body, "12\n");
    pb_http_response_free(&resp);
    char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    pb_error err;
    pb_error_init(&err);
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(pb_http_response_parse(chunked, strlen(chunked), &resp, "http://h", &err),
                     PB_ENET);
    assert_string_equal(err.text, "chunked responses are not supported");
    assert_null(resp.body);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_reach_the_server),
        cmocka_unit_test(test_default_content_type),
        cmocka_unit_test(test_response_limit),
        cmocka_unit_test(test_url_split),
        cmocka_unit_test(test_response_content_type_ends_at_bare_lf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
