/*
 * test_error.c — pb_error: first error wins, one line with every control
 * character escaped, every code named and mapped to the exit status of
 * DESIGN 8; and the library starting libsodium itself.
 */
#include "base/base.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void
test_first_error_wins(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    assert_int_equal(err.index, -1);
    assert_int_equal(pb_error_set(&err, PB_EFIELD, "$.id", "id is %s", "empty"), PB_EFIELD);
    assert_int_equal(pb_error_set(&err, PB_ENOMEM, NULL, "later"), PB_ENOMEM);
    assert_int_equal(err.code, PB_EFIELD);
    assert_string_equal(err.where, "$.id");
    assert_string_equal(err.text, "id is empty");
}

static void
test_text_is_one_line(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    pb_error_set(&err, PB_EJSON, NULL, "bad \"%s\"", "a\nb\rc");
    assert_null(strchr(err.text, '\n'));
    assert_null(strchr(err.text, '\r'));
}

static void
test_null_error_allowed(void **state)
{
    (void)state;
    assert_int_equal(pb_error_set(NULL, PB_EIO, NULL, "x"), PB_EIO);
    pb_error_set_index(NULL, 3);
    pb_error_prefix_where(NULL, "x");
}

static void
test_prefix_where_and_index(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    pb_error_set_index(&err, 5); /* no error yet: ignored */
    assert_int_equal(err.index, -1);
    pb_error_set(&err, PB_EID, "$.entry.id", "bad id");
    pb_error_prefix_where(&err, "stdin line 4");
    assert_string_equal(err.where, "stdin line 4, $.entry.id");
    pb_error_set_index(&err, 7);
    pb_error_set_index(&err, 9);
    assert_int_equal(err.index, 7);
}

static void
test_every_code_named_and_mapped(void **state)
{
    (void)state;
    for (int code = PB_EUSAGE; code <= 0; code++) {
        const char *name = pb_strerror(code);
        if (strncmp(name, "PB_E?", 5) == 0) {
            continue; /* a gap in the numbering */
        }
        assert_true(strncmp(name, "PB_", 3) == 0);
        int exit_code = pb_exit_code(code);
        assert_true(exit_code >= 0 && exit_code <= 3);
    }
    assert_int_equal(pb_exit_code(PB_OK), 0);
    assert_int_equal(pb_exit_code(PB_EUSAGE), 2);
    assert_int_equal(pb_exit_code(PB_EIO), 3);
    assert_int_equal(pb_exit_code(PB_EPASSPHRASE), 3);
    assert_int_equal(pb_exit_code(PB_EJSON), 1);
    assert_int_equal(pb_exit_code(PB_EVERIFY), 1);
    assert_string_equal(pb_strerror(PB_EKEY_REVOKED), "PB_EKEY_REVOKED: key revoked");
}

/* Every control character is escaped; text, UTF-8 and printable ASCII pass. */
static void
test_escape_controls(void **state)
{
    (void)state;
    char out[256];
    pb_text_escape("a\x1b[2Jb\x07"
                   "c\x7f",
                   out, sizeof(out));
    assert_string_equal(out, "a\\x1B[2Jb\\x07c\\x7F");
    pb_text_escape("tab\there", out, sizeof(out));
    assert_string_equal(out, "tab\\x09here");
    /* C1 as UTF-8 (U+0085 NEL, U+009B CSI), and a lone C1 byte (not UTF-8). */
    pb_text_escape("n\xc2\x85l \xc2\x9b \x9b", out, sizeof(out));
    assert_string_equal(out, "n\\u0085l \\u009B \\x9B");
    /* Overlong, surrogate, truncated sequences are bytes, escaped. */
    pb_text_escape("\xc0\xaf \xed\xa0\x80 \xe2\x82", out, sizeof(out));
    assert_string_equal(out, "\\xC0\\xAF \\xED\\xA0\\x80 \\xE2\\x82");
    const char *fine = "\xc2\xa3"
                       "1,250 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x8a [ok] ~\\";
    pb_text_escape(fine, out, sizeof(out));
    assert_string_equal(out, fine);
    /* A cut never splits an escape or a character. */
    assert_int_equal(pb_text_escape("ab\x1b", out, 5), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(pb_text_escape("a\xc3\xa9", out, 3), 1);
    assert_string_equal(out, "a");
}

static void
test_error_set_escapes(void **state)
{
    (void)state;
    pb_error err;
    pb_error_init(&err);
    pb_error_set(&err, PB_EID, "$.entry.\x1b]0;t\x07", "id \"%s\" is bad", "\x1b[31mred\r\n");
    assert_string_equal(err.text, "id \"\\x1B[31mred  \" is bad");
    assert_string_equal(err.where, "$.entry.\\x1B]0;t\\x07");
    for (const char *p = err.text; *p != '\0'; p++) {
        assert_true((unsigned char)*p >= 0x20 && *p != 0x7F);
    }
}

/* The library starts libsodium itself: after a pb_ call, sodium_init()
 * reports that it was already done (1). Runs first: nothing else here calls
 * libsodium. */
static void
test_library_calls_sodium_init(void **state)
{
    (void)state;
    pb_pubkey key;
    assert_int_equal(
        pb_pubkey_parse("RWTOljWE7CzI8j2Bcutdgkm1eRdzNavJUurxq+xlxC/PdI5SzUWlIkbi", &key, NULL),
        PB_OK);
    assert_int_equal(sodium_init(), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_calls_sodium_init),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_escape_controls),
        cmocka_unit_test(test_error_set_escapes),
        cmocka_unit_test(test_text_is_one_line),
        cmocka_unit_test(test_null_error_allowed),
        cmocka_unit_test(test_prefix_where_and_index),
        cmocka_unit_test(test_every_code_named_and_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
