/*
 * test_base64.c — ledger/base/base64.c: the strict decoder accepts the one
 * canonical spelling of each length (32-byte roots, 64-byte signatures,
 * 68-byte note signatures, 158-byte secret keys) and refuses every other:
 * unused bits set, a non-alphabet byte where libsodium 1.0.18 would skip it,
 * missing or extra padding, the URL-safe alphabet, whitespace, a wrong length.
 */
#include "base/base.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
encode(const uint8_t *bin, size_t len, char *text, size_t size)
{
    sodium_bin2base64(text, size, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

static void
test_canonical_round_trips(void **state)
{
    (void)state;
    const size_t lengths[] = {1, 2, 3, 32, 64, 68, 158};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        uint8_t bin[158], back[158];
        char text[256];
        for (int round = 0; round < 200; round++) {
            randombytes_buf(bin, lengths[k]);
            encode(bin, lengths[k], text, sizeof(text));
            assert_int_equal(pb_base64_decode_strict(text, strlen(text), back, lengths[k]), 0);
            assert_memory_equal(bin, back, lengths[k]);
        }
    }
}

/* Characters in the last data position that differ only in unused bits
 * decode to the same bytes in libsodium: all but the canonical are refused. */
static void
test_unused_bits_refused(void **state)
{
    (void)state;
    const size_t lengths[] = {32, 64, 68, 158};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        uint8_t bin[158], back[158];
        char text[256];
        randombytes_buf(bin, lengths[k]);
        encode(bin, lengths[k], text, sizeof(text));
        size_t last = strcspn(text, "=") - 1;
        int accepted = 0;
        char original = text[last];
        for (size_t c = 0; c < 64; c++) {
            text[last] = ALPHABET[c];
            accepted += pb_base64_decode_strict(text, strlen(text), back, lengths[k]) == 0 &&
                        memcmp(back, bin, lengths[k]) == 0;
        }
        assert_int_equal(accepted, 1); /* the bytes have their original spelling alone */
        text[last] = original;
        assert_int_equal(pb_base64_decode_strict(text, strlen(text), back, lengths[k]), 0);
    }
}

static void
test_other_spellings_refused(void **state)
{
    (void)state;
    uint8_t bin[64], back[64];
    char text[128], bad[160];
    for (size_t i = 0; i < 64; i++) {
        bin[i] = (uint8_t)(0xFF - i % 7); /* "//" and "+" appear in the text */
    }
    encode(bin, 64, text, sizeof(text));
    const char *slash = strstr(text, "//");
    assert_non_null(slash);
    /* The attack: "//" replaced by the two bytes of "é". */
    snprintf(bad, sizeof(bad), "%.*s\xC3\xA9%s", (int)(slash - text), text, slash + 2);
    assert_int_equal(strlen(bad), strlen(text));
    assert_int_equal(pb_base64_decode_strict(bad, strlen(bad), back, 64), -1);
    /* No padding, extra padding, a space, a newline, URL-safe letters. */
    size_t len = strlen(text);
    assert_int_equal(pb_base64_decode_strict(text, len - 2, back, 64), -1);
    snprintf(bad, sizeof(bad), "%s=", text);
    assert_int_equal(pb_base64_decode_strict(bad, strlen(bad), back, 64), -1);
    snprintf(bad, sizeof(bad), " %.*s", (int)len - 1, text);
    assert_int_equal(pb_base64_decode_strict(bad, strlen(bad), back, 64), -1);
    snprintf(bad, sizeof(bad), "%.*s\n=", (int)len - 2, text);
    assert_int_equal(pb_base64_decode_strict(bad, strlen(bad), back, 64), -1);
    snprintf(bad, sizeof(bad), "%s", text);
    for (char *p = bad; *p != '\0'; p++) {
        *p = *p == '/' ? '_' : *p == '+' ? '-' : *p;
    }
    assert_int_equal(pb_base64_decode_strict(bad, strlen(bad), back, 64), -1);
    /* The right text for another length. */
    assert_int_equal(pb_base64_decode_strict(text, len, back, 63), -1);
    assert_int_equal(pb_base64_decode_strict(text, len, back, 32), -1);
    assert_int_equal(pb_base64_decode_strict(text, len, back, 64), 0);
}

/* pb_base64_decode_strict_any: the length comes from the text (1 to 158
 * bytes, cosignature blobs of 76); a longer value than room, a re-spelled
 * last character, no padding or a stray one are refused. */
static void
test_any_length(void **state)
{
    (void)state;
    uint8_t bin[158], back[158];
    char text[256];
    size_t len = 0;
    for (size_t n = 1; n <= sizeof(bin); n++) {
        randombytes_buf(bin, n);
        encode(bin, n, text, sizeof(text));
        assert_int_equal(pb_base64_decode_strict_any(text, strlen(text), back, sizeof(back), &len),
                         0);
        assert_int_equal(len, n);
        assert_memory_equal(bin, back, n);
        if (n > 1) {
            assert_int_equal(pb_base64_decode_strict_any(text, strlen(text), back, n - 1, &len), -1);
            assert_int_equal(len, 0);
        }
        size_t last = strcspn(text, "=") - 1;
        if (n % 3 != 0) { /* the last character has unused bits */
            text[last] = text[last] == 'A' ? 'B' : 'A';
            int same = pb_base64_decode_strict_any(text, strlen(text), back, sizeof(back), &len) == 0 &&
                       memcmp(back, bin, n) == 0;
            assert_false(same);
            size_t pad = strlen(text) - strcspn(text, "=");
            text[strlen(text) - pad] = '\0'; /* no padding */
            assert_int_equal(pb_base64_decode_strict_any(text, strlen(text), back, sizeof(back), &len),
                             -1);
        }
    }
    assert_int_equal(pb_base64_decode_strict_any("", 0, back, sizeof(back), &len), -1);
    assert_int_equal(pb_base64_decode_strict_any("====", 4, back, sizeof(back), &len), -1);
    assert_int_equal(pb_base64_decode_strict_any("QQ==QQ==", 8, back, sizeof(back), &len), -1);
}

int
main(void)
{
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_round_trips),
        cmocka_unit_test(test_unused_bits_refused),
        cmocka_unit_test(test_other_spellings_refused),
        cmocka_unit_test(test_any_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
