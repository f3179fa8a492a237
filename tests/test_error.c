/*
 * test_error.c — pb_error: first error wins, one line, every code named and
 * mapped to the exit status of DESIGN 8.
 */
#include "base/base.h"

#include <setjmp.h>
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_text_is_one_line),
        cmocka_unit_test(test_null_error_allowed),
        cmocka_unit_test(test_prefix_where_and_index),
        cmocka_unit_test(test_every_code_named_and_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
