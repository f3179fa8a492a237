/*
 * test_canon.c — ledger/log/canon.c: the JSON subset of DESIGN 3 and its canonical
 * form. One case per behaviour; every refusal is checked for its exact code
 * and its exact place (the JSON path, or line and column for syntax), and the
 * jansson allocations are failed one by one to show nothing leaks. Python's
 * agreement on the canonical bytes is tests/cli/canon_python.sh.
 */
#include "log/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define LEN(s) (sizeof(s) - 1)

/* Parse len bytes of text under PB_ENTRY_BYTES_MAX and expect code at where
 * (NULL: no where). Returns nothing: every check is an assertion. */
static void
expect_refused_n(const char *text, size_t len, int code, const char *where)
{
    pb_error err;
    pb_error_init(&err);
    json_t *value = (json_t *)&err; /* must be reset to NULL */
    assert_int_equal(pb_json_parse(text, len, PB_ENTRY_BYTES_MAX, &value, &err), code);
    assert_null(value);
    assert_int_equal(err.code, code);
    assert_string_equal(err.where, where == NULL ? "" : where);
    assert_true(err.text[0] != '\0');
    assert_null(strchr(err.text, '\n'));
}

#define expect_refused(text, code, where) expect_refused_n(text, LEN(text), code, where)

/* Parse text and expect its canonical form to be exactly canon. */
static void
expect_canonical_n(const char *text, size_t len, const char *canon)
{
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    char *buf = NULL;
    size_t buf_len = 0;
    assert_int_equal(pb_json_parse(text, len, PB_ENTRY_BYTES_MAX, &value, &err), PB_OK);
    assert_int_equal(err.code, PB_OK);
    assert_int_equal(pb_json_canonical(value, &buf, &buf_len, &err), PB_OK);
    assert_int_equal(buf_len, strlen(canon));
    assert_memory_equal(buf, canon, buf_len);
    assert_int_equal(buf[buf_len], '\0');
    free(buf);
    json_decref(value);
}

#define expect_canonical(text, canon) expect_canonical_n(text, LEN(text), canon)

/* Check an in-memory value; takes the reference. */
static void
expect_check_refused(json_t *value, int code, const char *where)
{
    pb_error err;
    pb_error_init(&err);
    char *buf = (char *)&err;
    size_t len = 99;
    assert_non_null(value);
    assert_int_equal(pb_json_check(value, &err), code);
    assert_string_equal(err.where, where);
    pb_error_init(&err);
    assert_int_equal(pb_json_canonical(value, &buf, &len, &err), code);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_string_equal(err.where, where);
    json_decref(value);
}

/* n nested arrays around 1 (n >= 1), in a malloc'd string. */
static char *
nested_arrays(size_t n, size_t *len_out)
{
    char *s = malloc(2 * n + 2);
    assert_non_null(s);
    memset(s, '[', n);
    s[n] = '1';
    memset(s + n + 1, ']', n);
    s[2 * n + 1] = '\0';
    *len_out = 2 * n + 1;
    return s;
}

static void
test_canonical_sorts_and_compacts(void **state)
{
    (void)state;
    expect_canonical("{ \"b\" : [ 1 , \"x\" ] ,\n\t\"a\" : null }", "{\"a\":null,\"b\":[1,\"x\"]}");
    expect_canonical("[{\"b\":1,\"a\":{\"d\":1,\"c\":2}}]", "[{\"a\":{\"c\":2,\"d\":1},\"b\":1}]");
    expect_canonical("{}", "{}");
    expect_canonical("[]", "[]");
    expect_canonical("{\"a\":{},\"b\":[[]]}", "{\"a\":{},\"b\":[[]]}");
}

static void
test_canonical_keys_bytewise(void **state)
{
    (void)state;
    /* A key sorts before its extensions; upper case before lower (bytes). */
    expect_canonical(
        "{\"ab\":1,\"a\":2,\"abc\":3,\"\":4,\"B\":5,\"b\":6,\"A\":7,\"a b\":8,\"_\":9}",
        "{\"\":4,\"A\":7,\"B\":5,\"_\":9,\"a\":2,\"a b\":8,\"ab\":1,\"abc\":3,\"b\":6}");
}

static void
test_canonical_top_level_scalars(void **state)
{
    (void)state;
    expect_canonical("42", "42");
    expect_canonical(" -17 ", "-17");
    expect_canonical("-0", "0");
    expect_canonical("true", "true");
    expect_canonical("false", "false");
    expect_canonical("null", "null");
    expect_canonical("\"x\"", "\"x\"");
}

static void
test_canonical_string_escapes(void **state)
{
    (void)state;
    /* Only " and \ are escaped; "/" and all non-ASCII text are raw. */
    expect_canonical("\"a\\\"b\\\\c\\/d\"", "\"a\\\"b\\\\c/d\"");
    expect_canonical("\"caf\\u00e9 \\u00A3 \\u0175\"", "\"caf\xc3\xa9 \xc2\xa3 \xc5\xb5\"");
    expect_canonical("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
    expect_canonical("\"\xc5\xb5\xc5\xb7 \xe4\xb8\xad \xf0\x9f\x8f\xa5\"",
                     "\"\xc5\xb5\xc5\xb7 \xe4\xb8\xad \xf0\x9f\x8f\xa5\"");
    /* U+007E and U+00A0 border the control ranges; U+2028 is not a control. */
    expect_canonical("\"~\\u00a0\\u2028\"", "\"~\xc2\xa0\xe2\x80\xa8\"");
}

static void
test_canonical_built_in_memory(void **state)
{
    (void)state;
    json_t *value = json_pack("{s:i,s:[s,b,n],s:{}}", "z", 5, "m", "\xc2\xa3/", 1, "a");
    assert_non_null(value);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(pb_json_canonical(value, &buf, &len, NULL), PB_OK);
    assert_string_equal(buf, "{\"a\":{},\"m\":[\"\xc2\xa3/\",true,null],\"z\":5}");
    assert_int_equal(len, strlen(buf));
    free(buf);
    json_decref(value);
    value = json_integer(-5);
    assert_int_equal(pb_json_canonical(value, &buf, &len, NULL), PB_OK);
    assert_string_equal(buf, "-5");
    free(buf);
    json_decref(value);
}

static void
test_int_boundary_accepted(void **state)
{
    (void)state;
    expect_canonical("[9007199254740991,-9007199254740991]",
                     "[9007199254740991,-9007199254740991]");
}

static void
test_int_2p53_refused(void **state)
{
    (void)state;
    expect_refused("{\"n\":9007199254740992}", PB_EJSON_INT, "$.n");
    expect_refused("[1,-9007199254740992]", PB_EJSON_INT, "$[1]");
    expect_check_refused(json_integer(INT64_MAX), PB_EJSON_INT, "$");
    expect_check_refused(json_integer(INT64_MIN), PB_EJSON_INT, "$");
}

static void
test_int_beyond_int64_refused(void **state)
{
    (void)state;
    expect_refused("{\"n\":99999999999999999999}", PB_EJSON_INT, "line 1 column 25");
    expect_refused("{\"n\":-99999999999999999999}", PB_EJSON_INT, "line 1 column 26");
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    assert_int_equal(pb_json_parse("\n 99999999999999999999", 22, 100, &value, &err), PB_EJSON_INT);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 21);
}

static void
test_real_refused_with_path(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    const char *text = "{\"a\":{\"b\":[0,1,2.5]}}";
    assert_int_equal(pb_json_parse(text, strlen(text), 100, &value, &err), PB_EJSON_FLOAT);
    assert_string_equal(err.where, "$.a.b[2]");
    assert_non_null(strstr(err.text, "2.5"));
    assert_int_equal(err.line, 0);
}

static void
test_real_forms_refused(void **state)
{
    (void)state;
    expect_refused("{\"n\":1E2}", PB_EJSON_FLOAT, "$.n");
    expect_refused("[-0.0]", PB_EJSON_FLOAT, "$[0]");
    expect_refused("1.0", PB_EJSON_FLOAT, "$");
    /* Beyond binary64: jansson refuses it while parsing. */
    expect_refused("{\"a\":[1e400]}", PB_EJSON_FLOAT, "line 1 column 11");
    expect_check_refused(json_pack("{s:[i,f]}", "x", 1, 0.5), PB_EJSON_FLOAT, "$.x[1]");
}

static void
test_duplicate_key_refused(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    const char *text = "{\"entry\":{\"id\":\"x\",\n \"id\":\"y\"}}";
    assert_int_equal(pb_json_parse(text, strlen(text), 100, &value, &err), PB_EJSON_DUPKEY);
    assert_null(value);
    assert_string_equal(err.where, "line 2 column 5");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 5);
    assert_non_null(strstr(err.text, "\"id\""));
    expect_refused("{\"a\":1,\"b\":2,\"a\":3}", PB_EJSON_DUPKEY, "line 1 column 16");
}

static void
test_key_non_ascii_refused(void **state)
{
    (void)state;
    expect_refused("{\"ok\":1,\"caf\xc3\xa9\":2}", PB_EJSON_KEY, "$[\"caf\xc3\xa9\"]");
    expect_refused("{\"a\":{\"caf\\u00e9\":2}}", PB_EJSON_KEY, "$.a[\"caf\xc3\xa9\"]");
    json_t *obj = json_object();
    assert_int_equal(json_object_set_new_nocheck(obj, "k\xff", json_true()), 0);
    expect_check_refused(obj, PB_EJSON_KEY, "$[\"k\\xFF\"]");
}

static void
test_key_control_refused(void **state)
{
    (void)state;
    expect_refused("{\"a\\u0001b\":1}", PB_EJSON_CONTROL, "$[\"a\\u0001b\"]");
    expect_refused("{\"x\":{\"\\u007f\":1}}", PB_EJSON_CONTROL, "$.x[\"\\u007F\"]");
    /* jansson refuses a NUL in a key itself, whatever the flags. */
    expect_refused("{\"a\\u0000\":1}", PB_EJSON_CONTROL, "line 1 column 10");
    json_t *obj = json_object();
    assert_int_equal(json_object_setn_new_nocheck(obj, "a\0b", 3, json_true()), 0);
    expect_check_refused(obj, PB_EJSON_CONTROL, "$[\"a\\u0000b\"]");
}

static void
test_escaped_control_refused(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    const char *text = "{\"memo\":\"a\\u0001b\"}";
    assert_int_equal(pb_json_parse(text, strlen(text), 100, &value, &err), PB_EJSON_CONTROL);
    assert_string_equal(err.where, "$.memo");
    assert_string_equal(err.text, "string has control character U+0001 at byte offset 1");
    expect_refused("{\"memo\":\"line1\\nline2\"}", PB_EJSON_CONTROL, "$.memo");
    expect_refused("{\"memo\":[\"\\u0000\"]}", PB_EJSON_CONTROL, "$.memo[0]");
    expect_refused("\"\\u001f\"", PB_EJSON_CONTROL, "$");
    expect_check_refused(json_stringn("a\0b", 3), PB_EJSON_CONTROL, "$");
}

static void
test_raw_control_refused(void **state)
{
    (void)state;
    /* RFC 8259 forbids raw C0 controls in strings; jansson stops there. */
    expect_refused("{\"memo\":\"a\tb\"}", PB_EJSON_CONTROL, "line 1 column 10");
    expect_refused("{\"memo\":\n\"a\nb\"}", PB_EJSON_CONTROL, "line 2 column 2");
}

static void
test_raw_del_refused(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    const char *text = "{\"memo\":\"a\x7f\"}";
    assert_int_equal(pb_json_parse(text, strlen(text), 100, &value, &err), PB_EJSON_CONTROL);
    assert_string_equal(err.where, "$.memo");
    assert_string_equal(err.text, "string has control character U+007F at byte offset 1");
}

static void
test_c1_control_refused(void **state)
{
    (void)state;
    expect_refused("{\"memo\":\"a\xc2\x85\"}", PB_EJSON_CONTROL, "$.memo");
    expect_refused("{\"memo\":\"\\u0085\"}", PB_EJSON_CONTROL, "$.memo");
    expect_refused("{\"memo\":\"\\u0080\"}", PB_EJSON_CONTROL, "$.memo");
    expect_refused("{\"memo\":\"\\u009F\"}", PB_EJSON_CONTROL, "$.memo");
}

static void
test_bad_utf8_refused(void **state)
{
    (void)state;
    expect_refused("{\"memo\":\"\xff\"}", PB_EJSON_UTF8, "line 1 column 9");
    expect_refused("{\"memo\":\"\xc0\xaf\"}", PB_EJSON_UTF8, "line 1 column 9");     /* overlong */
    expect_refused("{\"memo\":\"\xed\xa0\x80\"}", PB_EJSON_UTF8, "line 1 column 9"); /* D800 */
    expect_refused("{\"memo\":\"\xe2\x82\"}", PB_EJSON_UTF8, "line 1 column 9");     /* cut */
    expect_refused("{\"memo\":\"\xf4\x90\x80\x80\"}", PB_EJSON_UTF8, "line 1 column 9");
}

static void
test_surrogate_escapes_refused(void **state)
{
    (void)state;
    expect_refused("{\"memo\":\"\\ud800\"}", PB_EJSON_UTF8, "line 1 column 16");
    expect_refused("{\"memo\":\"\\udc00\"}", PB_EJSON_UTF8, "line 1 column 16");
    expect_refused("{\"memo\":\"\\ud800\\u0041\"}", PB_EJSON_UTF8, "line 1 column 22");
}

static void
test_bad_utf8_in_memory_refused(void **state)
{
    (void)state;
    static const char *bad[] = {"\xff",
                                "\xc0\xaf",
                                "\xed\xa0\x80",
                                "\xe2\x82",
                                "\xf4\x90\x80\x80",
                                "\x80",
                                "\xf8\x88\x80\x80\x80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *array = json_array();
        json_array_append_new(array, json_string("ok"));
        json_array_append_new(array, json_stringn_nocheck(bad[i], strlen(bad[i])));
        pb_error err;
        pb_error_init(&err);
        assert_int_equal(pb_json_check(array, &err), PB_EJSON_UTF8);
        assert_string_equal(err.where, "$[1]");
        json_decref(array);
    }
}

static void
test_truncated_refused(void **state)
{
    (void)state;
    expect_refused("{\"a\":", PB_EJSON, "line 1 column 5");
    expect_refused("{\"a\":\"abc", PB_EJSON, "line 1 column 9");
    expect_refused("[1,2,", PB_EJSON, "line 1 column 5");
}

static void
test_trailing_garbage_refused(void **state)
{
    (void)state;
    expect_refused("{\"a\":1} x", PB_EJSON, "line 1 column 9");
    expect_refused("1 2", PB_EJSON, "line 1 column 3");
    expect_refused("{}{}", PB_EJSON, "line 1 column 3");
    expect_refused("[1]\0", PB_EJSON, "line 1 column 4");
}

static void
test_empty_refused(void **state)
{
    (void)state;
    expect_refused_n(NULL, 0, PB_EEMPTY, NULL);
    expect_refused("", PB_EEMPTY, NULL);
    expect_refused(" \t\r\n ", PB_EEMPTY, NULL);
}

static void
test_max_bytes_limit(void **state)
{
    (void)state;
    size_t len = PB_ENTRY_BYTES_MAX + 1;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, 'a', len);
    text[0] = '"';
    text[PB_ENTRY_BYTES_MAX - 1] = '"';
    json_t *value = NULL;
    /* Exactly PB_ENTRY_BYTES_MAX bytes: accepted. */
    assert_int_equal(pb_json_parse(text, PB_ENTRY_BYTES_MAX, PB_ENTRY_BYTES_MAX, &value, NULL),
                     PB_OK);
    assert_int_equal(json_string_length(value), PB_ENTRY_BYTES_MAX - 2);
    json_decref(value);
    /* One more byte (a space after the string): refused before parsing. */
    text[PB_ENTRY_BYTES_MAX] = ' ';
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_json_parse(text, len, PB_ENTRY_BYTES_MAX, &value, &err), PB_ETOOBIG);
    assert_null(value);
    assert_string_equal(err.text, "JSON input is 57344 bytes, over the limit of 57343");
    /* The size is checked first, even for empty-looking input. */
    assert_int_equal(pb_json_parse("  ", 2, 1, &value, NULL), PB_ETOOBIG);
    free(text);
}

static void
test_depth_at_limit_accepted(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = nested_arrays(PB_JSON_DEPTH_MAX, &len);
    expect_canonical_n(text, len, text);
    free(text);
}

static void
test_depth_past_limit_refused(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = nested_arrays(PB_JSON_DEPTH_MAX + 1, &len);
    char where[PB_ERROR_WHERE_MAX] = "$";
    for (int i = 0; i < PB_JSON_DEPTH_MAX; i++) {
        strncat(where, "[0]", sizeof(where) - strlen(where) - 1);
    }
    expect_refused_n(text, len, PB_EJSON_DEPTH, where);
    free(text);
    /* Objects and arrays count alike; the path names the 17th container:
     * three down to $.a[0], then 14 arrays from $.a[0].b. */
    char mixed[64] = "{\"a\":[{\"b\":";
    for (int i = 0; i < PB_JSON_DEPTH_MAX + 1 - 3; i++) {
        strncat(mixed, "[", sizeof(mixed) - strlen(mixed) - 1);
    }
    for (int i = 0; i < PB_JSON_DEPTH_MAX + 1 - 3; i++) {
        strncat(mixed, "]", sizeof(mixed) - strlen(mixed) - 1);
    }
    strncat(mixed, "}]}", sizeof(mixed) - strlen(mixed) - 1);
    expect_refused_n(mixed, strlen(mixed), PB_EJSON_DEPTH,
                     "$.a[0].b[0][0][0][0][0][0][0][0][0][0][0][0][0]");
}

static void
test_depth_in_memory_refused(void **state)
{
    (void)state;
    /* An array and 16 objects nested under it by "k": 17 containers. */
    json_t *top = json_array();
    json_t *inner = top;
    for (int i = 1; i <= PB_JSON_DEPTH_MAX; i++) {
        json_t *next = json_object();
        if (json_is_array(inner)) {
            json_array_append_new(inner, next);
        } else {
            json_object_set_new(inner, "k", next);
        }
        inner = next;
    }
    expect_check_refused(top, PB_EJSON_DEPTH, "$[0].k.k.k.k.k.k.k.k.k.k.k.k.k.k.k");
}

static void
test_depth_beyond_jansson_refused(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = nested_arrays(2100, &len);
    /* jansson stops at its own limit (2048) while parsing. */
    expect_refused_n(text, len, PB_EJSON_DEPTH, "line 1 column 2049");
    free(text);
}

static void
test_path_quoting(void **state)
{
    (void)state;
    expect_refused("{\"a b\":{\"c\\\"d\":[1.5]}}", PB_EJSON_FLOAT, "$[\"a b\"][\"c\\\"d\"][0]");
    expect_refused("{\"0a\":1.5}", PB_EJSON_FLOAT, "$[\"0a\"]");
    expect_refused("{\"\":1.5}", PB_EJSON_FLOAT, "$[\"\"]");
    expect_refused("{\"a\\\\\":1.5}", PB_EJSON_FLOAT, "$[\"a\\\\\"]");
    expect_refused("{\"_x9\":{\"sigs\":[{},{\"key\":1.5}]}}", PB_EJSON_FLOAT, "$._x9.sigs[1].key");
}

static void
test_path_truncated(void **state)
{
    (void)state;
    json_t *top = json_object();
    json_t *inner = top;
    const char *key = "a_rather_long_key_name_for_a_path_0123456789";
    for (int i = 0; i < 8; i++) {
        json_t *next = json_object();
        json_object_set_new(inner, key, next);
        inner = next;
    }
    json_object_set_new(inner, "x", json_real(1.5));
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(pb_json_check(top, &err), PB_EJSON_FLOAT);
    size_t len = strlen(err.where);
    assert_true(len < PB_ERROR_WHERE_MAX);
    assert_string_equal(err.where + len - 3, "...");
    assert_memory_equal(err.where, "$.a_rather_long_key", 19);
    json_decref(top);
}

static void
test_first_fault_in_document_order(void **state)
{
    (void)state;
    /* Members are checked in the input's order, not the sorted order. */
    expect_refused("{\"z\":1.5,\"a\":\"\\u0001\"}", PB_EJSON_FLOAT, "$.z");
    expect_refused("{\"z\":\"\\u0001\",\"a\":1.5}", PB_EJSON_CONTROL, "$.z");
    /* In a string, the first fault by byte offset. */
    expect_check_refused(json_stringn_nocheck("a\x01\xff", 3), PB_EJSON_CONTROL, "$");
    expect_check_refused(json_stringn_nocheck("a\xff\x01", 3), PB_EJSON_UTF8, "$");
}

static void
test_error_text_printable(void **state)
{
    (void)state;
    /* jansson quotes raw input; the error shows invisible text escaped. */
    pb_error err;
    pb_error_init(&err);
    json_t *value = NULL;
    assert_int_equal(pb_json_parse("\xef\xbb\xbf{}", 5, 100, &value, &err), PB_EJSON);
    assert_string_equal(err.text, "invalid token near '\\uFEFF' (input byte 3)");
    assert_string_equal(err.where, "line 1 column 1");
    pb_error_init(&err);
    assert_int_equal(pb_json_parse("[\xff]", 3, 100, &value, &err), PB_EJSON_UTF8);
    assert_null(strchr(err.text, '\xff'));
}

static void
test_null_error_allowed(void **state)
{
    (void)state;
    json_t *value = NULL;
    assert_int_equal(pb_json_parse("[1.5]", 5, 100, &value, NULL), PB_EJSON_FLOAT);
    assert_int_equal(pb_json_parse("[", 1, 100, &value, NULL), PB_EJSON);
    assert_int_equal(pb_json_parse("", 0, 100, &value, NULL), PB_EEMPTY);
    assert_int_equal(pb_json_parse("[1]", 3, 100, &value, NULL), PB_OK);
    assert_int_equal(pb_json_check(value, NULL), PB_OK);
    json_decref(value);
}

/* Failing allocator for jansson: allocation number fail_at fails. */
static size_t alloc_count;
static size_t alloc_fail_at;

static void *
failing_malloc(size_t size)
{
    return alloc_count++ == alloc_fail_at ? NULL : malloc(size);
}

/* No leak and no value on any failed allocation. jansson 2.14 reports some
 * failures inside its lexer as syntax errors (lex_scan_string returns an
 * invalid token when it cannot copy a string), so PB_EJSON is allowed too;
 * a failure before the lexer exists is PB_ENOMEM. */
static void
test_parse_out_of_memory(void **state)
{
    (void)state;
    const char *text = "{\"b\":[1,{\"c\":\"\\u00e9\"}],\"a\":\"x\",\"d\":{}}";
    int rc = PB_ENOMEM;
    size_t nomem = 0;
    /* Fail allocation 0, 1, 2, ... until the parse needs no more. */
    for (alloc_fail_at = 0; rc != PB_OK && alloc_fail_at < 1000; alloc_fail_at++) {
        alloc_count = 0;
        json_set_alloc_funcs(failing_malloc, free);
        json_t *value = NULL;
        pb_error err;
        pb_error_init(&err);
        rc = pb_json_parse(text, strlen(text), 100, &value, &err);
        json_set_alloc_funcs(malloc, free);
        assert_true(rc == PB_OK || rc == PB_ENOMEM || rc == PB_EJSON);
        assert_true(rc == PB_OK || value == NULL);
        assert_int_equal(err.code, rc);
        nomem += rc == PB_ENOMEM;
        json_decref(value);
    }
    assert_int_equal(rc, PB_OK);
    assert_true(alloc_fail_at > 5);
    assert_true(nomem > 0);
}

static void
test_canonical_out_of_memory(void **state)
{
    (void)state;
    json_t *value = json_pack("{s:[i,{s:s}],s:s,s:{}}", "b", 1, "c", "d", "a", "x", "e");
    assert_non_null(value);
    int rc = PB_ENOMEM;
    size_t fails = 0;
    for (alloc_fail_at = 0; rc != PB_OK && alloc_fail_at < 1000; alloc_fail_at++) {
        alloc_count = 0;
        char *buf = NULL;
        size_t len = 0;
        json_set_alloc_funcs(failing_malloc, free);
        rc = pb_json_canonical(value, &buf, &len, NULL);
        json_set_alloc_funcs(malloc, free);
        assert_true(rc == PB_OK || (rc == PB_ENOMEM && buf == NULL && len == 0));
        fails += rc == PB_ENOMEM;
        if (rc == PB_OK) {
            assert_string_equal(buf, "{\"a\":\"x\",\"b\":[1,{\"c\":\"d\"}],\"e\":{}}");
        }
        free(buf);
    }
    assert_int_equal(rc, PB_OK);
    assert_true(fails > 0);
    json_decref(value);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_sorts_and_compacts),
        cmocka_unit_test(test_canonical_keys_bytewise),
        cmocka_unit_test(test_canonical_top_level_scalars),
        cmocka_unit_test(test_canonical_string_escapes),
        cmocka_unit_test(test_canonical_built_in_memory),
        cmocka_unit_test(test_int_boundary_accepted),
        cmocka_unit_test(test_int_2p53_refused),
        cmocka_unit_test(test_int_beyond_int64_refused),
        cmocka_unit_test(test_real_refused_with_path),
        cmocka_unit_test(test_real_forms_refused),
        cmocka_unit_test(test_duplicate_key_refused),
        cmocka_unit_test(test_key_non_ascii_refused),
        cmocka_unit_test(test_key_control_refused),
        cmocka_unit_test(test_escaped_control_refused),
        cmocka_unit_test(test_raw_control_refused),
        cmocka_unit_test(test_raw_del_refused),
        cmocka_unit_test(test_c1_control_refused),
        cmocka_unit_test(test_bad_utf8_refused),
        cmocka_unit_test(test_surrogate_escapes_refused),
        cmocka_unit_test(test_bad_utf8_in_memory_refused),
        cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_trailing_garbage_refused),
        cmocka_unit_test(test_empty_refused),
        cmocka_unit_test(test_max_bytes_limit),
        cmocka_unit_test(test_depth_at_limit_accepted),
        cmocka_unit_test(test_depth_past_limit_refused),
        cmocka_unit_test(test_depth_in_memory_refused),
        cmocka_unit_test(test_depth_beyond_jansson_refused),
        cmocka_unit_test(test_path_quoting),
        cmocka_unit_test(test_path_truncated),
        cmocka_unit_test(test_first_fault_in_document_order),
        cmocka_unit_test(test_error_text_printable),
        cmocka_unit_test(test_null_error_allowed),
        cmocka_unit_test(test_parse_out_of_memory),
        cmocka_unit_test(test_canonical_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
