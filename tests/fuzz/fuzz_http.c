/*
 * fuzz_http.c — what an outsider sends `poolbook serve` and what a hostile
 * server sends back: RFC 9421 request signatures (server/httpsig.c), request
 * bodies of the write endpoints (POST /add-entry: pb_json_parse and
 * pb_store_append), and the client's HTTP/1.1 response reader
 * (ledger/log/http.c). The first byte picks one; the ledger is a real one
 * with a genesis (fixture.c), keys made at start.
 *   0  headers: "Signature-Input\nSignature\nContent-Digest\n@path\n" body.
 *      Never accepted (no key the fuzzer could sign with), every refusal a
 *      documented code with one line of text, keyid untouched.
 *   1  "@path\n" body, signed by a bound key: the signature verifies with
 *      the keyid; another body, path or method is refused (content-digest,
 *      then the signature).
 *   2  a raw response: one that parses has a status of three digits, a body
 *      that is the bytes after the head cut to Content-Length, NUL-ended, and
 *      a Content-Type without ';', CR or LF.
 *   3  a POST /add-entry body: refused (nothing the fuzzer makes is signed by
 *      a bound key) with one line of text, and the ledger's size and root
 *      unchanged.
 */
#include "fixture.h"
#include "fuzz.h"
#include "log/log.h"
#include "server/httpsig.h"

#define FUZZ_NOW 1700000000
#define FUZZ_AUTHORITY "127.0.0.1:8080"

static fuzz_ledger fx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ledger_make(&fx, 1, 0);
    return 0;
}

/* The next line of text at *p (cut in place), or NULL at the end. */
static char *
next_line(char **p)
{
    char *line = *p;
    char *nl = strchr(line, '\n');
    if (nl == NULL) {
        return NULL;
    }
    *nl = '\0';
    *p = nl + 1;
    return line;
}

static void
check_refusal(int rc, const pb_error *err)
{
    FUZZ_CHECK(rc != PB_OK && err->code == rc && err->text[0] != '\0');
    FUZZ_CHECK(strchr(err->text, '\n') == NULL);
}

static void
fuzz_headers(char *text, size_t size)
{
    char *p = text;
    char *input = next_line(&p);
    char *signature = next_line(&p);
    char *digest = next_line(&p);
    char *path = next_line(&p);
    if (path == NULL) {
        return;
    }
    const char *body = p;
    size_t body_len = size - (size_t)(p - text);
    pb_httpsig_values v = {"POST", path, FUZZ_AUTHORITY, digest};
    char keyid[PB_KEYID_TEXT_MAX] = "untouched";
    pb_error err;
    pb_error_init(&err);
    int rc = pb_httpsig_verify(fx.store, input[0] != '\0' ? input : NULL, signature,
                               pb_httpsig_values_lookup, &v, body, body_len, FUZZ_NOW, keyid, &err);
    check_refusal(rc, &err);
    FUZZ_CHECK(rc == PB_EUSAGE || rc == PB_ESIG_FORMAT || rc == PB_EKEY_UNKNOWN ||
               rc == PB_EKEY_REVOKED || rc == PB_ESIG_INVALID || rc == PB_ENOMEM);
    FUZZ_CHECK(strcmp(keyid, "untouched") == 0);
}

static int
verify_signed(const pb_httpsig_headers *h, const pb_httpsig_values *v, const char *body,
              size_t body_len, char keyid[PB_KEYID_TEXT_MAX])
{
    pb_error err;
    pb_error_init(&err);
    int rc = pb_httpsig_verify(fx.store, h->input, h->signature, pb_httpsig_values_lookup,
                               (void *)v, body, body_len, FUZZ_NOW, keyid, &err);
    if (rc != PB_OK) {
        check_refusal(rc, &err);
    }
    return rc;
}

static void
fuzz_round_trip(char *text, size_t size)
{
    char *p = text;
    char *path = next_line(&p);
    if (path == NULL) {
        return;
    }
    const char *body = p;
    size_t body_len = size - (size_t)(p - text);
    pb_httpsig_headers h;
    if (pb_httpsig_sign(fx.dcc_fin, "POST", path, FUZZ_AUTHORITY, body, body_len, FUZZ_NOW, &h,
                        NULL) != PB_OK) {
        return; /* a path too long for the signature base */
    }
    pb_pubkey pub;
    char want[PB_KEYID_TEXT_MAX], keyid[PB_KEYID_TEXT_MAX] = "";
    pb_seckey_public(fx.dcc_fin, &pub);
    pb_keyid_format(pub.key_id, want, sizeof(want));
    pb_httpsig_values v = {"POST", path, FUZZ_AUTHORITY, h.digest};
    FUZZ_CHECK(verify_signed(&h, &v, body, body_len, keyid) == PB_OK);
    FUZZ_CHECK(strcmp(keyid, want) == 0);
    pb_httpsig_values get = {"GET", path, FUZZ_AUTHORITY, h.digest};
    FUZZ_CHECK(verify_signed(&h, &get, body, body_len, keyid) == PB_ESIG_INVALID);
    char other_path[PB_HTTPSIG_HEADER_MAX + 2];
    snprintf(other_path, sizeof(other_path), "%s/", path);
    pb_httpsig_values moved = {"POST", other_path, FUZZ_AUTHORITY, h.digest};
    FUZZ_CHECK(verify_signed(&h, &moved, body, body_len, keyid) == PB_ESIG_INVALID);
    if (body_len > 0) {
        char *changed = malloc(body_len);
        FUZZ_CHECK(changed != NULL);
        memcpy(changed, body, body_len);
        changed[body_len - 1] ^= 1;
        FUZZ_CHECK(verify_signed(&h, &v, changed, body_len, keyid) == PB_ESIG_FORMAT);
        free(changed);
    }
}

static void
fuzz_response(char *text, size_t size)
{
    pb_http_response resp;
    memset(&resp, 0, sizeof(resp));
    pb_error err;
    pb_error_init(&err);
    char *head_end = strstr(text, "\r\n\r\n");
    size_t after_head = head_end != NULL ? size - (size_t)(head_end + 4 - text) : 0;
    const uint8_t *after = head_end != NULL ? (const uint8_t *)head_end + 4 : NULL;
    uint8_t *copy = NULL;
    if (after != NULL && after_head > 0) {
        copy = malloc(after_head);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, after, after_head); /* the parser writes into text */
    }
    int rc = pb_http_response_parse(text, size, &resp, "http://fuzz", &err);
    if (rc == PB_OK) {
        FUZZ_CHECK(head_end != NULL);
        FUZZ_CHECK(resp.status >= 100 && resp.status <= 999);
        FUZZ_CHECK(resp.body != NULL && resp.body_len <= after_head);
        FUZZ_CHECK(resp.body[resp.body_len] == '\0');
        FUZZ_CHECK(resp.body_len == 0 || memcmp(resp.body, copy, resp.body_len) == 0);
        FUZZ_CHECK(strpbrk(resp.content_type, ";\r\n") == NULL);
    } else {
        check_refusal(rc, &err);
        FUZZ_CHECK(rc == PB_ENET || rc == PB_ENOMEM);
        FUZZ_CHECK(resp.body == NULL);
    }
    pb_http_response_free(&resp);
    free(copy);
}

static void
fuzz_add_entry(const char *body, size_t body_len)
{
    uint64_t size_before = 0, size_after = 0;
    uint8_t root_before[32], root_after[32];
    fuzz_ledger_root(fx.store, &size_before, root_before);
    json_t *record = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_json_parse(body, body_len, PB_RECORD_BYTES_MAX, &record, &err);
    if (rc == PB_OK) {
        uint64_t index = 0;
        int present = 0;
        rc = pb_store_append(fx.store, record, &index, &present, &err);
    } else {
        FUZZ_CHECK(record == NULL);
    }
    check_refusal(rc, &err);
    json_decref(record);
    fuzz_ledger_root(fx.store, &size_after, root_after);
    FUZZ_CHECK(size_after == size_before && memcmp(root_after, root_before, 32) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    char *text = fuzz_string(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        fuzz_headers(text, size - 1);
        break;
    case 1:
        fuzz_round_trip(text, size - 1);
        break;
    case 2:
        fuzz_response(text, size - 1);
        break;
    default:
        fuzz_add_entry((const char *)data + 1, size - 1);
        break;
    }
    free(text);
    return 0;
}
