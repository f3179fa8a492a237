/*
 * base64.c — the one strict base64 decoder every signature, key, root and
 * note line goes through. libsodium's decoder accepts more than one spelling
 * of the same bytes (unused low bits of the last character; bytes it skips),
 * so a re-spelled signature would verify and take the id of the genuine
 * record. Here a text is accepted only if encoding its bytes gives it back.
 * Also pb_sodium_ready, which the library's entry points call.
 */
#include "base/base.h"

#include <sodium.h>
#include <string.h>

/* The longest text decoded here: a minisign secret key line (158 bytes) with
 * room to spare; keys, signatures and roots are all shorter. */
#define BASE64_TEXT_MAX 512

int
pb_base64_decode_strict(const char *text, size_t text_len, uint8_t *bin, size_t bin_len)
{
    PB_ASSERT(text != NULL && bin != NULL);
    PB_ASSERT(bin_len > 0 && sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL) <=
                                 BASE64_TEXT_MAX);
    char again[BASE64_TEXT_MAX];
    size_t decoded = 0;
    const char *end = NULL;
    if (text_len + 1 != sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL) ||
        sodium_base642bin(bin, bin_len, text, text_len, NULL, &decoded, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text + text_len || decoded != bin_len) {
        return -1;
    }
    sodium_bin2base64(again, sizeof(again), bin, bin_len, sodium_base64_VARIANT_ORIGINAL);
    if (memcmp(again, text, text_len) != 0) {
        sodium_memzero(bin, bin_len); /* nothing of a refused text is handed on */
        return -1;
    }
    return 0;
}

int
pb_base64_decode_strict_any(const char *text, size_t text_len, uint8_t *bin, size_t bin_max,
                            size_t *bin_len)
{
    PB_ASSERT(text != NULL && bin != NULL && bin_len != NULL);
    /* Padded base64 is whole groups of 4 characters, each 3 bytes less its
     * '=' padding; the strict decoder then checks the spelling itself. */
    size_t pad = text_len >= 1 && text[text_len - 1] == '=' ? 1 : 0;
    pad += text_len >= 2 && pad == 1 && text[text_len - 2] == '=' ? 1 : 0;
    size_t n = text_len / 4 * 3 - pad;
    *bin_len = 0;
    if (text_len == 0 || text_len % 4 != 0 || n > bin_max ||
        pb_base64_decode_strict(text, text_len, bin, n) != 0) {
        return -1;
    }
    *bin_len = n;
    return 0;
}

int
pb_sodium_ready(pb_error *err)
{
    /* sodium_init() is idempotent and thread-safe: 0 the first time, 1 after. */
    if (sodium_init() < 0) {
        return pb_error_set(err, PB_ENOMEM, NULL, "libsodium could not be initialised");
    }
    return PB_OK;
}
