/*
 * error.c — pb_error handling and the names of every PB_E... code.
 * The first error set wins, so the cause survives the unwinding of callers.
 */
#include "base/base.h"

#include <stdarg.h>
#include <string.h>

void
pb_assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "poolbook: assertion failed: %s (%s:%d in %s)\n", expr, file, line, func);
    abort();
}

void
pb_error_init(pb_error *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
    err->code = PB_OK;
    err->index = -1;
}

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 if invalid. */
static size_t
utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80) {
        return 1;
    }
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || p[0] > 0xF4) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    /* Overlong three- and four-byte forms, surrogates, beyond U+10FFFF. */
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)) {
        return 0;
    }
    return len;
}

size_t
pb_text_escape(const char *text, char *out, size_t size)
{
    PB_ASSERT(text != NULL && out != NULL && size > 0);
    const unsigned char *p = (const unsigned char *)text;
    size_t used = 0;
    while (*p != '\0') {
        char piece[8];
        size_t len = utf8_length(p);
        size_t piece_len = len;
        if (len == 0 || p[0] < 0x20 || p[0] == 0x7F) {
            /* C0 controls (ESC, BEL, ...), DEL and bytes that are not UTF-8. */
            piece_len = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", p[0]);
            len = 1;
        } else if (len == 2 && p[0] == 0xC2 && p[1] < 0xA0) {
            /* C1 controls U+0080..U+009F (CSI, NEL, ...). */
            piece_len = (size_t)snprintf(piece, sizeof(piece), "\\u%04X", p[1]);
        } else {
            memcpy(piece, p, len);
        }
        if (used + piece_len + 1 > size) {
            break; /* cut whole: never half an escape or half a character */
        }
        memcpy(out + used, piece, piece_len);
        used += piece_len;
        p += len;
    }
    out[used] = '\0';
    return used;
}

int
pb_error_set(pb_error *err, int code, const char *where, const char *fmt, ...)
{
    PB_ASSERT(code != PB_OK);
    if (err == NULL || err->code != PB_OK) {
        return code;
    }
    char raw[PB_ERROR_TEXT_MAX];
    err->code = code;
    if (where != NULL) {
        pb_text_escape(where, err->where, sizeof(err->where));
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    /* One line: a newline in evidence quoted from input must not split it. */
    for (char *p = raw; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    /* Safe to print: no control character from the input reaches a terminal. */
    pb_text_escape(raw, err->text, sizeof(err->text));
    return code;
}

void
pb_error_set_index(pb_error *err, int64_t index)
{
    if (err != NULL && err->code != PB_OK && err->index < 0) {
        err->index = index;
    }
}

void
pb_error_prefix_where(pb_error *err, const char *prefix)
{
    if (err == NULL || err->code == PB_OK || prefix == NULL) {
        return;
    }
    char old[PB_ERROR_WHERE_MAX];
    memcpy(old, err->where, sizeof(old));
    if (old[0] == '\0') {
        snprintf(err->where, sizeof(err->where), "%s", prefix);
    } else {
        snprintf(err->where, sizeof(err->where), "%s, %s", prefix, old);
    }
}

const char *
pb_article(const char *word)
{
    PB_ASSERT(word != NULL);
    return word[0] != '\0' && strchr("aeiouAEIOU", word[0]) != NULL ? "an" : "a";
}

void
pb_quote(const char *text, size_t max_bytes, char *quote, size_t size)
{
    PB_ASSERT(size > max_bytes + 3);
    size_t len = strnlen(text, max_bytes + 1);
    if (len <= max_bytes) {
        snprintf(quote, size, "%s", text);
        return;
    }
    len = max_bytes;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) {
        len--; /* text[len] continues a sequence: cut before its lead byte */
    }
    snprintf(quote, size, "%.*s...", (int)len, text);
}

static const struct {
    int code;
    const char *name;
} code_names[] = {
    {PB_OK, "PB_OK: done"},
    {PB_ENOMEM, "PB_ENOMEM: out of memory"},
    {PB_EIO, "PB_EIO: file error"},
    {PB_ESTORE, "PB_ESTORE: storage error"},
    {PB_ENOLEDGER, "PB_ENOLEDGER: no ledger"},
    {PB_EEXIST, "PB_EEXIST: file exists"},
    {PB_EKEYFILE, "PB_EKEYFILE: malformed key"},
    {PB_EPASSPHRASE, "PB_EPASSPHRASE: wrong or missing passphrase"},
    {PB_ENET, "PB_ENET: witness unreachable or outside the protocol"},
    {PB_EJSON, "PB_EJSON: malformed JSON"},
    {PB_EJSON_DUPKEY, "PB_EJSON_DUPKEY: duplicate key"},
    {PB_EJSON_FLOAT, "PB_EJSON_FLOAT: floating-point number"},
    {PB_EJSON_INT, "PB_EJSON_INT: integer out of range"},
    {PB_EJSON_KEY, "PB_EJSON_KEY: non-ASCII key"},
    {PB_EJSON_CONTROL, "PB_EJSON_CONTROL: control character"},
    {PB_EJSON_UTF8, "PB_EJSON_UTF8: invalid UTF-8"},
    {PB_EJSON_DEPTH, "PB_EJSON_DEPTH: nested too deep"},
    {PB_ETOOBIG, "PB_ETOOBIG: over a size limit"},
    {PB_EEMPTY, "PB_EEMPTY: empty input"},
    {PB_EMONEY, "PB_EMONEY: not a money amount"},
    {PB_EOVERFLOW, "PB_EOVERFLOW: amount out of range"},
    {PB_EDATE, "PB_EDATE: not a valid date"},
    {PB_EPERIOD, "PB_EPERIOD: not a valid period"},
    {PB_EFIELD, "PB_EFIELD: bad field"},
    {PB_ETYPE, "PB_ETYPE: unknown entry type"},
    {PB_EORIGIN, "PB_EORIGIN: wrong ledger origin"},
    {PB_EID, "PB_EID: bad entry id"},
    {PB_EID_EXISTS_DIFFERENT, "PB_EID_EXISTS_DIFFERENT: id used by another record"},
    {PB_ESIG_FORMAT, "PB_ESIG_FORMAT: malformed signature"},
    {PB_ESIG_INVALID, "PB_ESIG_INVALID: signature does not verify"},
    {PB_ESIG_MISSING, "PB_ESIG_MISSING: required signature missing"},
    {PB_EKEY_UNKNOWN, "PB_EKEY_UNKNOWN: unknown key"},
    {PB_EKEY_WRONG_PARTNER, "PB_EKEY_WRONG_PARTNER: key of another partner"},
    {PB_EKEY_WRONG_ROLE, "PB_EKEY_WRONG_ROLE: key of another role"},
    {PB_EKEY_REVOKED, "PB_EKEY_REVOKED: key revoked"},
    {PB_EKEY_EXISTS, "PB_EKEY_EXISTS: key already bound"},
    {PB_EGENESIS, "PB_EGENESIS: genesis missing or repeated"},
    {PB_EPARTNER, "PB_EPARTNER: unknown or repeated partner"},
    {PB_EPERIOD_CLOSED, "PB_EPERIOD_CLOSED: period closed"},
    {PB_EAMOUNT_ZERO, "PB_EAMOUNT_ZERO: amount is zero"},
    {PB_EDOCUMENT, "PB_EDOCUMENT: document does not match"},
    {PB_EPOOL, "PB_EPOOL: unknown or repeated pool, scheme or stream"},
    {PB_EUNBALANCED, "PB_EUNBALANCED: planned contributions differ from budgets"},
    {PB_EREVERSAL, "PB_EREVERSAL: cannot reverse that entry"},
    {PB_EAMOUNT, "PB_EAMOUNT: amount not allowed"},
    {PB_EPOLICY, "PB_EPOLICY: malformed risk-share policy"},
    {PB_ESETTLEMENT, "PB_ESETTLEMENT: settlement refused"},
    {PB_EREF_USED, "PB_EREF_USED: reference already used"},
    {PB_ENOTFOUND, "PB_ENOTFOUND: not found"},
    {PB_ERANGE, "PB_ERANGE: out of range"},
    {PB_EPROOF, "PB_EPROOF: proof does not check"},
    {PB_ENOTE, "PB_ENOTE: bad checkpoint note"},
    {PB_EVERIFY, "PB_EVERIFY: verification failed"},
    {PB_ECONFLICT, "PB_ECONFLICT: a witness holds another size or root"},
    {PB_EUSAGE, "PB_EUSAGE: bad argument"},
};

const char *
pb_strerror(int code)
{
    for (size_t i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++) {
        if (code_names[i].code == code) {
            return code_names[i].name;
        }
    }
    return "PB_E?: unknown error code";
}

int
pb_exit_code(int code)
{
    if (code == PB_OK) {
        return 0;
    }
    if (code == PB_EUSAGE) {
        return 2;
    }
    if (code <= PB_ENOMEM && code >= PB_ENET) {
        return 3;
    }
    return 1;
}
