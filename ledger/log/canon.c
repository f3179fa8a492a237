/*
 * canon.c — poolbook's JSON subset and its canonical form (DESIGN 3).
 * jansson parses; an iterative walk with a fixed stack of PB_JSON_DEPTH_MAX
 * frames checks the subset and names the offending field as a JSON path; and
 * jansson's encoder, under flags chosen so that for the subset it writes what
 * Python's json.dumps(v, sort_keys=True, separators=(",",":"),
 * ensure_ascii=False) writes, produces the bytes that are signed and hashed.
 */
#include "log/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

/* DESIGN 3: integers within ±2^53. poolbook takes |i| <= 2^53 - 1, JavaScript's
 * Number.MAX_SAFE_INTEGER and the I-JSON range (RFC 7493 2.2): each such
 * integer is exactly one IEEE binary64 number and no other integer rounds to
 * it, so a JCS implementation in any language reads the number that was
 * signed. 2^53 itself is refused because 2^53 + 1 also reads as 2^53. */
#define PB_JSON_INT_MAGNITUDE_MAX INT64_C(9007199254740991)
_Static_assert(PB_JSON_INT_MAGNITUDE_MAX == (INT64_C(1) << 53) - 1, "2^53 - 1");

/* json_loadb flags, every one decided (STYLE 15):
 * JSON_REJECT_DUPLICATES  DESIGN 3 forbids duplicate keys;
 * JSON_DECODE_ANY         a top-level scalar is a JSON value too (that an entry
 *                         is an object is checked by entry.c);
 * JSON_ALLOW_NUL          "\u0000" passes the parser so that pb_json_check
 *                         refuses it as a control character with its path;
 * no JSON_DISABLE_EOF_CHECK: anything after the value is an error;
 * no JSON_DECODE_INT_AS_REAL: integers stay integers. */
#define PB_JSON_LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* json_dump_callback flags: JSON_COMPACT gives the separators "," and ":"
 * with no whitespace; JSON_SORT_KEYS sorts keys by memcmp (bytewise, a key
 * before its extensions), which for ASCII keys is Python's order;
 * JSON_ENCODE_ANY allows a top-level scalar. Not JSON_ENSURE_ASCII (non-ASCII
 * stays raw UTF-8) and not JSON_ESCAPE_SLASH ("/" stays "/"). jansson then
 * escapes only '"', '\\' and U+0000-U+001F, as Python does; the subset has no
 * control characters, so only \" and \\ ever appear. */
#define PB_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

/* The path of the node being checked: one frame per open container, holding
 * the member or element being visited in it. */
typedef struct walk_frame {
    json_t *container;
    void *iter;   /* object: the member being visited */
    size_t index; /* array: the element being visited */
    int started;  /* 0 until the first member or element is taken */
} walk_frame;

typedef struct walk {
    walk_frame frames[PB_JSON_DEPTH_MAX];
    size_t depth; /* frames in use */
} walk;

/* A bounded text being built; a piece that does not fit is dropped and "..."
 * marks the cut, so the text never ends inside a UTF-8 sequence. */
typedef struct text_buf {
    char *buf;
    size_t size;
    size_t len;
    int cut;
} text_buf;

/* One fault found in a string or key. */
typedef struct text_fault {
    int code;      /* PB_EJSON_KEY, PB_EJSON_CONTROL or PB_EJSON_UTF8 */
    size_t offset; /* byte offset in the string */
    uint32_t cp;   /* the control character, for PB_EJSON_CONTROL */
    uint8_t byte;  /* the offending byte, for the other two */
} text_fault;

/* Decode the UTF-8 sequence at s[0..len) (len >= 1) into *cp_out. Returns its
 * length, or 0 if it is not valid RFC 3629 UTF-8: a stray continuation byte, a
 * truncated sequence, an overlong form, a surrogate or a code point beyond
 * U+10FFFF. jansson checks what it parses but does not export its decoder, and
 * values built with its _nocheck calls can hold any bytes. */
static size_t
utf8_decode(const uint8_t *s, size_t len, uint32_t *cp_out)
{
    PB_ASSERT(len >= 1);
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t cp_min = 0;
    if (s[0] < 0x80) {
        n = 1;
        cp = s[0];
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        cp = s[0] & 0x1Fu;
        cp_min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0Fu;
        cp_min = 0x800;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        cp = s[0] & 0x07u;
        cp_min = 0x10000;
    }
    if (n > len) {
        n = 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            n = 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (n > 1 && (cp < cp_min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
        n = 0;
    }
    *cp_out = cp;
    return n;
}

/* The control characters of the subset: C0, DEL and C1 (DESIGN 3). */
static int
is_control(uint32_t cp)
{
    return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F);
}

/* Scan a string (key 0) or an object key (key 1) for the first fault, left to
 * right. A key must be ASCII, so any byte >= 0x80 in it is PB_EJSON_KEY before
 * its UTF-8 is considered. Returns PB_OK or the fault's code. */
static int
text_scan(const uint8_t *s, size_t len, int key, text_fault *fault)
{
    size_t pos = 0;
    int code = PB_OK;
    /* Each pass consumes at least one byte or stops. */
    while (code == PB_OK && pos < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s + pos, len - pos, &cp);
        fault->offset = pos;
        fault->byte = s[pos];
        fault->cp = cp;
        if (key && s[pos] >= 0x80) {
            code = PB_EJSON_KEY;
        } else if (n == 0) {
            code = PB_EJSON_UTF8;
        } else if (is_control(cp)) {
            code = PB_EJSON_CONTROL;
        }
        pos += n;
    }
    fault->code = code;
    return code;
}

static void
text_put(text_buf *t, const char *s, size_t n)
{
    /* Keep room for "..." and the NUL. */
    if (!t->cut && t->len + n + 4 > t->size) {
        memcpy(t->buf + t->len, "...", 4);
        t->len += 3;
        t->cut = 1;
    }
    if (!t->cut) {
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        t->buf[t->len] = '\0';
    }
}

static void text_putf(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
text_putf(text_buf *t, const char *fmt, ...)
{
    char piece[32];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof(piece), fmt, ap);
    va_end(ap);
    PB_ASSERT(n >= 0 && (size_t)n < sizeof(piece));
    text_put(t, piece, (size_t)n);
}

/* Append bytes as printable UTF-8 on one line: control characters, the line
 * and paragraph separators U+2028 and U+2029 and the invisible U+FEFF become
 * \uXXXX, bytes that are not UTF-8 become \xXX, and with quoted set '"' and
 * '\' are backslashed. Used for keys in paths and for jansson's texts, whose
 * "near" evidence is raw input. */
static void
text_put_safe(text_buf *t, const uint8_t *s, size_t len, int quoted)
{
    size_t pos = 0;
    while (pos < len) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s + pos, len - pos, &cp);
        if (n == 0) {
            text_putf(t, "\\x%02X", s[pos]);
            n = 1;
        } else if (is_control(cp) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
            text_putf(t, "\\u%04X", (unsigned)cp);
        } else if (quoted && (cp == '"' || cp == '\\')) {
            text_putf(t, "\\%c", (char)cp);
        } else {
            text_put(t, (const char *)s + pos, n);
        }
        pos += n;
    }
}

/* A key that can follow a dot in a path: [A-Za-z_][A-Za-z0-9_]*. */
static int
is_simple_key(const char *key, size_t len)
{
    int simple = len > 0 && !(key[0] >= '0' && key[0] <= '9');
    for (size_t i = 0; simple && i < len; i++) {
        char c = key[i];
        simple =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    return simple;
}

/* One member's step in a path: ".key" for a simple key, else ["key"]. */
static void
walk_path_key(text_buf *t, void *iter)
{
    const char *key = json_object_iter_key(iter);
    size_t key_len = json_object_iter_key_len(iter);
    if (is_simple_key(key, key_len)) {
        text_put(t, ".", 1);
        text_put(t, key, key_len);
    } else {
        text_put(t, "[\"", 2);
        text_put_safe(t, (const uint8_t *)key, key_len, 1);
        text_put(t, "\"]", 2);
    }
}

/* The JSON path of the node being visited: "$", "$.entry.sigs[1].key",
 * "$[\"a b\"]". Truncated with "..." to fit size. */
static void
walk_path(const walk *w, char *buf, size_t size)
{
    text_buf t = {buf, size, 0, 0};
    PB_ASSERT(size >= 8);
    text_put(&t, "$", 1);
    for (size_t i = 0; i < w->depth; i++) {
        const walk_frame *f = &w->frames[i];
        if (json_is_array(f->container)) {
            text_putf(&t, "[%zu]", f->index);
        } else {
            walk_path_key(&t, f->iter);
        }
    }
}

/* Refuse a string or key fault with the path and the evidence. */
static int
walk_fail_text(const walk *w, const text_fault *f, int key, pb_error *err)
{
    char where[PB_ERROR_WHERE_MAX];
    const char *what = key ? "object key" : "string";
    int rc = f->code;
    walk_path(w, where, sizeof(where));
    if (f->code == PB_EJSON_KEY) {
        pb_error_set(err, rc, where, "object key is not ASCII: byte 0x%02X at byte offset %zu",
                     f->byte, f->offset);
    } else if (f->code == PB_EJSON_CONTROL) {
        pb_error_set(err, rc, where, "%s has control character U+%04X at byte offset %zu", what,
                     (unsigned)f->cp, f->offset);
    } else {
        PB_ASSERT(f->code == PB_EJSON_UTF8);
        pb_error_set(err, rc, where, "%s has invalid UTF-8 at byte offset %zu (byte 0x%02X)", what,
                     f->offset, f->byte);
    }
    return rc;
}

/* Check one node: a scalar against the subset, or a container pushed as a new
 * frame if the depth allows. */
static int
walk_visit(walk *w, const json_t *node, pb_error *err)
{
    char where[PB_ERROR_WHERE_MAX];
    int rc = PB_OK;
    text_fault fault;
    json_int_t i = 0;
    char real_text[40];
    size_t real_len = 0;
    switch (json_typeof(node)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (w->depth == PB_JSON_DEPTH_MAX) {
            walk_path(w, where, sizeof(where));
            rc = pb_error_set(err, PB_EJSON_DEPTH, where,
                              "containers nested deeper than %d (PB_JSON_DEPTH_MAX)",
                              PB_JSON_DEPTH_MAX);
            break;
        }
        /* jansson's getters take json_t *; the walk only reads. */
        w->frames[w->depth] = (walk_frame){(json_t *)node, NULL, 0, 0};
        w->depth++;
        break;
    case JSON_STRING:
        if (text_scan((const uint8_t *)json_string_value(node), json_string_length(node), 0,
                      &fault) != PB_OK) {
            rc = walk_fail_text(w, &fault, 0, err);
        }
        break;
    case JSON_INTEGER:
        i = json_integer_value(node);
        if (i > PB_JSON_INT_MAGNITUDE_MAX || i < -PB_JSON_INT_MAGNITUDE_MAX) {
            walk_path(w, where, sizeof(where));
            rc = pb_error_set(err, PB_EJSON_INT, where,
                              "integer %" JSON_INTEGER_FORMAT " is beyond ±%" PRId64 " (2^53 - 1)",
                              i, PB_JSON_INT_MAGNITUDE_MAX);
        }
        break;
    case JSON_REAL:
        /* json_dumpb writes jansson's text of the number, as evidence, without
         * poolbook holding the value in a variable of its own. */
        real_len = json_dumpb(node, real_text, sizeof(real_text) - 1, JSON_ENCODE_ANY);
        PB_ASSERT(real_len > 0);
        PB_ASSERT(real_len < sizeof(real_text));
        real_text[real_len] = '\0';
        walk_path(w, where, sizeof(where));
        rc = pb_error_set(err, PB_EJSON_FLOAT, where,
                          "real number %s: only integers are allowed (money is a string)",
                          real_text);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        break;
    }
    return rc;
}

/* Take the next member or element of the innermost container into *child_out
 * (NULL when it has no more), checking an object member's key first. */
static int
walk_next(walk *w, const json_t **child_out, pb_error *err)
{
    PB_ASSERT(w->depth > 0);
    walk_frame *f = &w->frames[w->depth - 1];
    int rc = PB_OK;
    text_fault fault;
    *child_out = NULL;
    if (json_is_array(f->container)) {
        f->index = f->started ? f->index + 1 : 0;
        *child_out = json_array_get(f->container, f->index);
    } else {
        PB_ASSERT(json_is_object(f->container));
        f->iter = f->started ? json_object_iter_next(f->container, f->iter)
                             : json_object_iter(f->container);
    }
    f->started = 1;
    if (json_is_object(f->container) && f->iter != NULL) {
        const uint8_t *key = (const uint8_t *)json_object_iter_key(f->iter);
        if (text_scan(key, json_object_iter_key_len(f->iter), 1, &fault) != PB_OK) {
            rc = walk_fail_text(w, &fault, 1, err);
        } else {
            *child_out = json_object_iter_value(f->iter);
        }
    }
    return rc;
}

/* Members are visited in the object's own order (the input's order for parsed
 * values), so the fault reported is the first one in the text. */
int
pb_json_check(const json_t *value, pb_error *err)
{
    PB_ASSERT(value != NULL);
    walk w;
    memset(&w, 0, sizeof(w));
    int rc = walk_visit(&w, value, err);
    /* Each pass takes one member or closes one container, and the depth is
     * bounded, so the loop ends after at most twice the number of nodes
     * passes; a value built in memory to contain itself ends at
     * PB_EJSON_DEPTH. */
    while (rc == PB_OK && w.depth > 0) {
        const json_t *child = NULL;
        rc = walk_next(&w, &child, err);
        if (rc == PB_OK && child == NULL) {
            w.depth--;
        } else if (rc == PB_OK) {
            rc = walk_visit(&w, child, err);
        }
    }
    return rc;
}

/* A jansson error's code in poolbook's terms. jansson gives one code,
 * json_error_invalid_syntax, for several faults the subset names apart, so
 * those are told by the start of its text, pinned by test_canon.c against the
 * jansson in use. */
static int
parse_code(const json_error_t *jerr)
{
    static const struct {
        enum json_error_code jcode;
        const char *prefix;
        int code;
    } map[] = {
        {json_error_out_of_memory, "", PB_ENOMEM},
        {json_error_stack_overflow, "", PB_EJSON_DEPTH},
        {json_error_invalid_utf8, "", PB_EJSON_UTF8},
        {json_error_duplicate_key, "", PB_EJSON_DUPKEY},
        {json_error_null_byte_in_key, "", PB_EJSON_CONTROL},
        {json_error_null_character, "", PB_EJSON_CONTROL},
        {json_error_numeric_overflow, "too big", PB_EJSON_INT},
        {json_error_numeric_overflow, "real number", PB_EJSON_FLOAT},
        {json_error_invalid_syntax, "control character", PB_EJSON_CONTROL},
        {json_error_invalid_syntax, "unexpected newline", PB_EJSON_CONTROL},
        {json_error_invalid_syntax, "invalid Unicode", PB_EJSON_UTF8},
    };
    int code = PB_EJSON;
    enum json_error_code jcode = json_error_code(jerr);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && code == PB_EJSON; i++) {
        if (map[i].jcode == jcode &&
            strncmp(jerr->text, map[i].prefix, strlen(map[i].prefix)) == 0) {
            code = map[i].code;
        }
    }
    return code;
}

/* Refuse what jansson refused, with its line, column and text. jansson
 * returns no value and no text only when it could not allocate its lexer;
 * other allocation failures it reports as their own code or, inside the
 * lexer, as a syntax error (jansson 2.14), which then reads PB_EJSON. */
static int
parse_fail(const json_error_t *jerr, pb_error *err)
{
    char where[PB_ERROR_WHERE_MAX];
    char text[PB_ERROR_TEXT_MAX];
    text_buf t = {text, sizeof(text), 0, 0};
    int fresh = err != NULL && err->code == PB_OK;
    int code = PB_ENOMEM;
    if (jerr->text[0] == '\0') {
        pb_error_set(err, code, NULL, "out of memory starting the JSON parser");
        fresh = 0;
    } else {
        code = parse_code(jerr);
        text[0] = '\0';
        text_put_safe(&t, (const uint8_t *)jerr->text, strnlen(jerr->text, sizeof(jerr->text) - 1),
                      0);
        snprintf(where, sizeof(where), "line %d column %d", jerr->line, jerr->column);
        pb_error_set(err, code, where, "%s (input byte %d)", text, jerr->position);
    }
    if (fresh) {
        err->line = jerr->line;
        err->column = jerr->column;
    }
    return code;
}

/* Only the four JSON whitespace bytes (RFC 8259). */
static int
is_blank(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')) {
        i++;
    }
    return i == len;
}

/* Refusals come in a fixed order: size, emptiness, syntax (jansson, which
 * stops at the first fault in the text), then the subset (pb_json_check). */
int
pb_json_parse(const char *buf, size_t len, size_t max_bytes, json_t **value_out, pb_error *err)
{
    PB_ASSERT(value_out != NULL);
    PB_ASSERT(buf != NULL || len == 0);
    int rc = PB_OK;
    json_t *value = NULL;
    json_error_t jerr;
    /* jansson leaves the code byte of jerr unset when it fails early. */
    memset(&jerr, 0, sizeof(jerr));
    *value_out = NULL;
    if (len > max_bytes) {
        rc = pb_error_set(err, PB_ETOOBIG, NULL, "JSON input is %zu bytes, over the limit of %zu",
                          len, max_bytes);
        goto done;
    }
    if (is_blank(buf, len)) {
        rc = pb_error_set(err, PB_EEMPTY, NULL,
                          "JSON input is empty or only whitespace (%zu bytes)", len);
        goto done;
    }
    value = json_loadb(buf, len, PB_JSON_LOAD_FLAGS, &jerr);
    if (value == NULL) {
        rc = parse_fail(&jerr, err);
        goto done;
    }
    rc = pb_json_check(value, err);
    if (rc != PB_OK) {
        goto fail_value;
    }
    *value_out = value;
    goto done;
fail_value:
    json_decref(value);
done:
    return rc;
}

/* Where json_dump_callback compares: the text not yet matched. */
typedef struct match_buf {
    const char *text;
    size_t left;
    int differs;
} match_buf;

static int
match_append(const char *piece, size_t n, void *data)
{
    match_buf *m = data;
    if (n > m->left || memcmp(piece, m->text, n) != 0) {
        m->differs = 1;
        return -1;
    }
    m->text += n;
    m->left -= n;
    return 0;
}

int
pb_json_is_text_of(const json_t *value, const char *text, size_t len)
{
    PB_ASSERT(value != NULL && (text != NULL || len == 0));
    match_buf m = {text, len, 0};
    if (json_dump_callback(value, match_append, &m, PB_JSON_DUMP_FLAGS) != 0) {
        return m.differs ? 0 : -1;
    }
    return m.left == 0 ? 1 : 0;
}

int
pb_json_parse_stored(const char *buf, size_t len, json_t **value_out, pb_error *err)
{
    PB_ASSERT(value_out != NULL && (buf != NULL || len == 0));
    *value_out = NULL;
    json_t *value = NULL;
    json_error_t jerr;
    int nomem = 0, same = 0;
    for (int attempt = 0; attempt < 2 && same != 1; attempt++) {
        json_decref(value);
        memset(&jerr, 0, sizeof(jerr));
        value = json_loadb(buf, len, PB_JSON_LOAD_FLAGS, &jerr);
        nomem = nomem || (value == NULL && (json_error_code(&jerr) == json_error_out_of_memory ||
                                            jerr.text[0] == '\0'));
        same = value != NULL ? pb_json_is_text_of(value, buf, len) : 0;
        nomem = nomem || same < 0;
    }
    if (same == 1) {
        int rc = pb_json_check(value, err);
        if (rc != PB_OK) {
            json_decref(value);
            return rc;
        }
        *value_out = value;
        return PB_OK;
    }
    if (nomem) {
        json_decref(value);
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory reading JSON (%zu bytes)", len);
    }
    if (value != NULL) {
        json_decref(value);
        return pb_error_set(err, PB_EJSON, NULL, "not canonical JSON (%zu bytes)", len);
    }
    return parse_fail(&jerr, err);
}

/* Where json_dump_callback writes: a malloc'd buffer kept NUL-terminated. */
typedef struct dump_buf {
    char *buf;
    size_t len;
    size_t size;
} dump_buf;

static int
dump_append(const char *piece, size_t n, void *data)
{
    dump_buf *d = data;
    size_t need = 0;
    if (__builtin_add_overflow(d->len, n + 1, &need)) {
        return -1;
    }
    if (need > d->size) {
        size_t size = d->size == 0 ? 256 : d->size;
        while (size < need && size <= SIZE_MAX / 2) {
            size *= 2;
        }
        char *grown = size >= need ? realloc(d->buf, size) : NULL;
        if (grown == NULL) {
            return -1;
        }
        d->buf = grown;
        d->size = size;
    }
    memcpy(d->buf + d->len, piece, n);
    d->len += n;
    d->buf[d->len] = '\0';
    return 0;
}

int
pb_json_canonical(const json_t *value, char **buf_out, size_t *len_out, pb_error *err)
{
    PB_ASSERT(value != NULL);
    PB_ASSERT(buf_out != NULL);
    PB_ASSERT(len_out != NULL);
    dump_buf d = {NULL, 0, 0};
    *buf_out = NULL;
    *len_out = 0;
    int rc = pb_json_check(value, err);
    if (rc != PB_OK) {
        goto done;
    }
    /* DESIGN 3: canonical JSON. After pb_json_check the encoder can only fail
     * for want of memory (its key sort and loop check allocate, as does
     * dump_append). */
    if (json_dump_callback(value, dump_append, &d, PB_JSON_DUMP_FLAGS) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory writing canonical JSON (%zu bytes)",
                          d.len);
        goto fail_buf;
    }
    PB_ASSERT(d.buf != NULL);
    PB_ASSERT(d.len > 0);
    *buf_out = d.buf;
    *len_out = d.len;
    goto done;
fail_buf:
    free(d.buf);
done:
    return rc;
}
