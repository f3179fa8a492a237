/*
 * bundle.c — the offline audit bundle (docs/bundle.md): a ledger written as
 * JSON lines (a header, every record as its stored canonical bytes, every
 * checkpoint note with the key id of each signature line, every bound key),
 * and its verification with no ledger file: the bundle is loaded into a
 * scratch ledger (store.c) and checked by the same pb_verify as a ledger, plus
 * what only a bundle states (the header's origin, size and root, each note's
 * body, the key listing). Errors name the bundle's line.
 */
#include "books/books.h"

#include <sodium.h>
#include <stdarg.h>
#include <string.h>

#define B64_ROOT_MAX sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)

_Static_assert(PB_BUNDLE_LINE_BYTES_MAX > PB_RECORD_BYTES_MAX + 64, "a record line fits");

/* ---- writing ------------------------------------------------------------- */

struct exporter {
    pb_snapshot snap;
    pb_state state;
    FILE *out;
    char origin[256];
    pb_checkpoint_line *lines;
    size_t line_count;
    json_t *keys; /* array of key lines, built before the header (it counts them) */
};

/* Write value canonically as one line. */
static int
put_json_line(struct exporter *x, const json_t *value, pb_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(value, &buf, &len, err);
    if (rc == PB_OK && (fwrite(buf, 1, len, x->out) != len || fputc('\n', x->out) == EOF)) {
        rc = pb_error_set(err, PB_EIO, NULL, "could not write the bundle");
    }
    free(buf);
    return rc;
}

/* One key line: its binding as the state holds it, and for an operator or an
 * auditor key the note verifier that checks its checkpoint signatures. */
static int
key_line(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
         pb_error *err)
{
    struct exporter *x = ctx;
    char keyid[PB_KEYID_TEXT_MAX];
    snprintf(keyid, sizeof(keyid), "%.*s", (int)(key_len - 4), key + 4);
    json_t *bound = NULL;
    int rc = pb_json_parse_stored(value, value_len, &bound, err);
    const char *role = json_string_value(json_object_get(bound, "role"));
    char *verifier = NULL;
    if (rc == PB_OK && role != NULL &&
        (strcmp(role, "operator") == 0 || strcmp(role, "auditor") == 0)) {
        char name[512];
        pb_pubkey pub;
        pb_note_name(x->origin, json_string_value(json_object_get(bound, "partner")), role, keyid,
                     name, sizeof(name));
        rc = pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &pub, err);
        if (rc == PB_OK) {
            rc = pb_note_verifier(name, &pub, &verifier, err);
        }
    }
    json_t *line = rc == PB_OK
                       ? json_pack("{s:s,s:s,s:O}", "kind", "key", "key", keyid, "value", bound)
                       : NULL;
    if (rc == PB_OK && line == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK && verifier != NULL &&
        json_object_set_new(line, "note_verifier", json_string(verifier)) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK && json_array_append(x->keys, line) != 0) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    json_decref(line);
    json_decref(bound);
    free(verifier);
    return rc;
}

static size_t
distinct_sizes(const pb_checkpoint_line *lines, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        n += i == 0 || lines[i].tree_size != lines[i - 1].tree_size;
    }
    return n;
}

static int
put_header(struct exporter *x, pb_error *err)
{
    uint8_t root[32];
    int rc = pb_merkle_range_hash(pb_snapshot_hash, &x->snap, 0, x->snap.size, root, err);
    char b64[B64_ROOT_MAX];
    sodium_bin2base64(b64, sizeof(b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
    json_t *h =
        json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:I}", "kind", "header", "format", PB_BUNDLE_FORMAT,
                  "origin", x->origin, "size", (json_int_t)x->snap.size, "root", b64, "checkpoints",
                  (json_int_t)distinct_sizes(x->lines, x->line_count), "keys",
                  (json_int_t)json_array_size(x->keys));
    if (rc == PB_OK && h == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = put_json_line(x, h, err);
    }
    json_decref(h);
    return rc;
}

/* Each record line is {"index":I,"kind":"record","record":<stored bytes>}:
 * canonical, because the stored bytes are. */
static int
put_records(struct exporter *x, pb_error *err)
{
    int rc = PB_OK;
    for (uint64_t i = 0; i < x->snap.size && rc == PB_OK; i++) {
        const char *bytes = NULL;
        size_t len = 0;
        rc = pb_snapshot_record(&x->snap, i, &bytes, &len, err);
        if (rc == PB_OK && (fprintf(x->out, "{\"index\":%llu,\"kind\":\"record\",\"record\":",
                                    (unsigned long long)i) < 0 ||
                            fwrite(bytes, 1, len, x->out) != len || fputs("}\n", x->out) == EOF)) {
            rc = pb_error_set(err, PB_EIO, NULL, "could not write the bundle");
        }
        if (rc == PB_OK) {
            pb_store_progress(x->snap.store, "exporting", i + 1, x->snap.size);
        }
    }
    return rc;
}

/* One checkpoint line per tree size: the note as an array of its lines (JSON
 * strings hold no newline in the canonical subset) and the key id of each
 * signature line, which the operator's own line does not name. */
static int
put_checkpoint(struct exporter *x, size_t first, pb_error *err)
{
    uint64_t size = x->lines[first].tree_size;
    char *note = NULL;
    int rc = pb_checkpoint_assemble(&x->snap, size, &note, err);
    json_t *text = json_array();
    json_t *keys = json_array();
    for (char *p = note, *nl = NULL; rc == PB_OK && p != NULL && *p != '\0'; p = nl + 1) {
        nl = strchr(p, '\n');
        PB_ASSERT(nl != NULL); /* every line of an assembled note ends in '\n' */
        if (json_array_append_new(text, json_stringn(p, (size_t)(nl - p))) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    for (size_t i = first; rc == PB_OK && i < x->line_count && x->lines[i].tree_size == size; i++) {
        if (json_array_append_new(keys, json_string(x->lines[i].keyid)) != 0) {
            rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        }
    }
    json_t *line =
        rc == PB_OK ? json_pack("{s:s,s:O,s:O}", "kind", "checkpoint", "note", text, "keys", keys)
                    : NULL;
    if (rc == PB_OK && line == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = put_json_line(x, line, err);
    }
    json_decref(line);
    json_decref(text);
    json_decref(keys);
    free(note);
    return rc;
}

static int
put_body(struct exporter *x, pb_error *err)
{
    int rc = put_header(x, err);
    if (rc == PB_OK) {
        rc = put_records(x, err);
    }
    for (size_t i = 0; rc == PB_OK && i < x->line_count; i++) {
        if (i == 0 || x->lines[i].tree_size != x->lines[i - 1].tree_size) {
            rc = put_checkpoint(x, i, err);
        }
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(x->keys); i++) {
        rc = put_json_line(x, json_array_get(x->keys, i), err);
    }
    if (rc == PB_OK && (fflush(x->out) != 0 || ferror(x->out))) {
        rc = pb_error_set(err, PB_EIO, NULL, "could not write the bundle");
    }
    return rc;
}

int
pb_bundle_export(pb_store *store, FILE *out, pb_error *err)
{
    PB_ASSERT(store != NULL && out != NULL);
    struct exporter x;
    memset(&x, 0, sizeof(x));
    x.out = out;
    /* One read transaction: records, checkpoints and keys of one moment. */
    int rc = pb_snapshot_open(store, &x.snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_snapshot_state(&x.snap, &x.state);
    json_t *origin = NULL;
    if (x.snap.size == 0 || pb_state_get(&x.state, "origin", &origin, err) != PB_OK) {
        rc = pb_error_set(err, PB_EGENESIS, NULL, "the ledger is empty: nothing to export");
    }
    if (rc == PB_OK) {
        snprintf(x.origin, sizeof(x.origin), "%s", json_string_value(origin));
        rc = pb_snapshot_checkpoint_lines(&x.snap, &x.lines, &x.line_count, err);
    }
    x.keys = json_array();
    if (rc == PB_OK && x.keys == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    if (rc == PB_OK) {
        rc = pb_state_each(&x.state, "key:", key_line, &x, err);
    }
    if (rc == PB_OK) {
        rc = put_body(&x, err);
    }
    json_decref(origin);
    json_decref(x.keys);
    pb_checkpoint_lines_free(x.lines, x.line_count);
    pb_snapshot_close(&x.snap);
    return rc;
}

/* ---- reading --------------------------------------------------------------- */

struct key_line {
    int64_t line;
    json_t *obj;
};

struct reader {
    FILE *in;
    const char *name;
    char *buf;
    size_t cap;
    size_t len;
    int64_t line;
    /* the header */
    char origin[256];
    uint64_t size;
    uint8_t root[32];
    uint64_t checkpoint_count;
    uint64_t key_count;
    /* what was loaded */
    pb_store *store;
    pb_loader loader;
    uint64_t *cp_sizes;      /* tree size of each checkpoint line */
    int64_t *cp_lines;       /* and its line number */
    uint8_t (*cp_roots)[32]; /* and the root its note states */
    char (*cp_last_keys)[PB_KEYID_TEXT_MAX];
    size_t cp_last_key_count;
    struct key_line *keys;
    uint64_t cp_cap; /* slots of the cp_ arrays and of keys: grown as lines */
    uint64_t key_cap; /* are read, never from the header's counts alone */
    const pb_pubkey *trusted;
    int review;      /* the caller wants the findings for review */
    json_t *revoked; /* then the revoked keys' bindings, from the replayed state */
};

/* Set err for line (0: none) and record index (-1: none) of the bundle. */
static int bundle_fail(const struct reader *r, pb_error *err, int code, int64_t line, int64_t index,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
bundle_fail(const struct reader *r, pb_error *err, int code, int64_t line, int64_t index,
            const char *fmt, ...)
{
    char text[PB_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    char where[PB_ERROR_WHERE_MAX];
    if (index >= 0) {
        snprintf(where, sizeof(where), "%s line %lld, record %lld", r->name, (long long)line,
                 (long long)index);
    } else {
        snprintf(where, sizeof(where), "%s line %lld", r->name, (long long)line);
    }
    pb_error_set(err, code, where, "%s", text);
    if (err != NULL && err->code == code) {
        err->line = line;
        err->index = index;
    }
    return code;
}

/* Read one line into r->buf, at most PB_BUNDLE_LINE_BYTES_MAX + 1 bytes: the
 * limit is checked while reading, so a line without end (/dev/zero) stops at
 * the limit instead of growing the buffer. Returns the bytes read (with the
 * '\n' if there was one), 0 at the end of the input. */
static size_t
read_line_bounded(struct reader *r)
{
    size_t len = 0;
    int c = 0;
    while (len <= PB_BUNDLE_LINE_BYTES_MAX && (c = getc_unlocked(r->in)) != EOF) {
        r->buf[len++] = (char)c;
        if (c == '\n') {
            break;
        }
    }
    r->buf[len] = '\0';
    return len;
}

/* The next line without its '\n'. *eof_out is 1 at the end of the input. */
static int
next_line(struct reader *r, int *eof_out, pb_error *err)
{
    *eof_out = 0;
    r->line++;
    if (r->buf == NULL) {
        r->cap = (size_t)PB_BUNDLE_LINE_BYTES_MAX + 2;
        r->buf = malloc(r->cap);
        if (r->buf == NULL) {
            return pb_error_set(err, PB_ENOMEM, r->name, "out of memory reading the bundle");
        }
    }
    size_t n = read_line_bounded(r);
    if (ferror(r->in)) {
        return pb_error_set(err, PB_EIO, r->name, "could not read the bundle");
    }
    if (n == 0) {
        *eof_out = 1;
        return PB_OK;
    }
    r->len = n;
    if (r->len > PB_BUNDLE_LINE_BYTES_MAX) {
        return bundle_fail(r, err, PB_ETOOBIG, r->line, -1, "the line is over %d bytes",
                           PB_BUNDLE_LINE_BYTES_MAX);
    }
    if (r->buf[r->len - 1] != '\n') {
        return bundle_fail(r, err, PB_EJSON, r->line, -1,
                           "the bundle is truncated: its last line has no newline");
    }
    r->buf[--r->len] = '\0';
    return PB_OK;
}

/* The current line as canonical JSON with a string "kind"; *obj_out is new. */
static int
parse_line(struct reader *r, json_t **obj_out, pb_error *err)
{
    pb_error local;
    pb_error_init(&local);
    json_t *obj = NULL;
    char *canon = NULL;
    size_t canon_len = 0;
    int rc = pb_json_parse(r->buf, r->len, PB_BUNDLE_LINE_BYTES_MAX, &obj, &local);
    if (rc != PB_OK) {
        rc = bundle_fail(r, err, rc, r->line, -1, "not a JSON line: %s", local.text);
    }
    if (rc == PB_OK && !json_is_string(json_object_get(obj, "kind"))) {
        rc = bundle_fail(r, err, PB_EJSON, r->line, -1, "the line has no \"kind\"");
    }
    if (rc == PB_OK) {
        rc = pb_json_canonical(obj, &canon, &canon_len, &local);
    }
    if (rc == PB_OK && (canon_len != r->len || memcmp(canon, r->buf, r->len) != 0)) {
        rc = bundle_fail(r, err, PB_EJSON, r->line, -1, "the line is not in canonical form");
    }
    free(canon);
    if (rc != PB_OK) {
        json_decref(obj);
        return rc;
    }
    *obj_out = obj;
    return PB_OK;
}

static const char *
kind_of(const json_t *obj)
{
    return json_string_value(json_object_get(obj, "kind"));
}

/* An unsigned integer field within [lo, hi]. */
static int
field_count(const json_t *obj, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < lo ||
        (uint64_t)json_integer_value(v) > hi) {
        return PB_EFIELD;
    }
    *out = (uint64_t)json_integer_value(v);
    return PB_OK;
}

static int
read_header(struct reader *r, pb_error *err)
{
    static const char *const allowed[] = {"checkpoints", "format", "keys", "kind",
                                          "origin",      "root",   "size", NULL};
    int eof = 0;
    int rc = next_line(r, &eof, err);
    if (rc == PB_OK && eof) {
        return bundle_fail(r, err, PB_EEMPTY, 1, -1, "the bundle is empty");
    }
    json_t *h = NULL;
    if (rc == PB_OK) {
        rc = parse_line(r, &h, err);
    }
    const char *format = json_string_value(json_object_get(h, "format"));
    const char *origin = json_string_value(json_object_get(h, "origin"));
    const char *root = json_string_value(json_object_get(h, "root"));
    if (rc == PB_OK &&
        (strcmp(kind_of(h), "header") != 0 || format == NULL ||
         strcmp(format, PB_BUNDLE_FORMAT) != 0 || pb_field_allowed(h, allowed, "$", NULL) != 0 ||
         origin == NULL || strlen(origin) >= sizeof(r->origin) || root == NULL ||
         field_count(h, "size", 1, INT64_MAX, &r->size) != PB_OK ||
         field_count(h, "checkpoints", 0, r->size, &r->checkpoint_count) != PB_OK ||
         field_count(h, "keys", 0, INT64_MAX, &r->key_count) != PB_OK ||
         pb_base64_decode_strict(root, strlen(root), r->root, 32) != 0)) {
        rc = bundle_fail(r, err, PB_EFIELD, 1, -1,
                         "not a %s header {kind, format, origin, size, root, checkpoints, keys}",
                         PB_BUNDLE_FORMAT);
    }
    if (rc == PB_OK) {
        snprintf(r->origin, sizeof(r->origin), "%s", origin);
    }
    json_decref(h);
    return rc;
}

/* Why the line that should be record index is not: for the message. */
static int
misplaced_record(struct reader *r, uint64_t index, pb_error *err)
{
    json_t *obj = NULL;
    int rc = parse_line(r, &obj, err);
    const json_t *at = json_object_get(obj, "index");
    if (rc == PB_OK && strcmp(kind_of(obj), "record") != 0) {
        rc = bundle_fail(r, err, PB_EVERIFY, r->line, -1,
                         "expected record %llu, found a %s line: the bundle holds %llu records, "
                         "its header says %llu",
                         (unsigned long long)index, kind_of(obj), (unsigned long long)index,
                         (unsigned long long)r->size);
    } else if (rc == PB_OK && json_is_integer(at) && (uint64_t)json_integer_value(at) != index) {
        rc = bundle_fail(r, err, PB_EVERIFY, r->line, (int64_t)index,
                         "found record %lld where record %llu belongs: records are out of order "
                         "or missing",
                         (long long)json_integer_value(at), (unsigned long long)index);
    } else if (rc == PB_OK) {
        rc = bundle_fail(r, err, PB_EFIELD, r->line, (int64_t)index,
                         "not a record line {index, kind, record}");
    }
    json_decref(obj);
    return rc;
}

/* Record lines: the fast path takes the stored bytes from between the line's
 * fixed prefix and its final '}' without parsing the line. */
static int
read_records(struct reader *r, pb_error *err)
{
    int rc = pb_loader_begin(r->store, &r->loader, err);
    for (uint64_t i = 0; rc == PB_OK && i < r->size; i++) {
        int eof = 0;
        rc = next_line(r, &eof, err);
        if (rc == PB_OK && eof) {
            rc = bundle_fail(r, err, PB_EVERIFY, r->line, -1,
                             "the bundle ends after %llu records; its header says %llu",
                             (unsigned long long)i, (unsigned long long)r->size);
            break;
        }
        char prefix[64];
        int plen =
            snprintf(prefix, sizeof(prefix),
                     "{\"index\":%llu,\"kind\":\"record\",\"record\":", (unsigned long long)i);
        if (rc == PB_OK &&
            (r->len < (size_t)plen + 2 || memcmp(r->buf, prefix, (size_t)plen) != 0 ||
             r->buf[r->len - 1] != '}')) {
            rc = misplaced_record(r, i, err);
        }
        if (rc != PB_OK) {
            break;
        }
        const char *bytes = r->buf + plen;
        size_t len = r->len - (size_t)plen - 1;
        /* A record that does not parse is loaded without an id: verify then
         * refuses it with the message it gives for a ledger. */
        json_t *record = NULL;
        pb_json_parse(bytes, len, PB_RECORD_BYTES_MAX, &record, NULL);
        const char *id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
        pb_error local;
        pb_error_init(&local);
        rc = pb_loader_add(&r->loader, bytes, len, id, &local);
        json_decref(record);
        if (rc != PB_OK) {
            rc = bundle_fail(r, err, rc, r->line, (int64_t)i, "%s", local.text);
        }
    }
    if (rc == PB_OK) {
        rc = pb_loader_commit(&r->loader, err);
    }
    pb_loader_abort(&r->loader);
    return rc;
}

/* The note text from its array of lines. */
static char *
note_text(const json_t *lines)
{
    size_t total = 1;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        total += json_string_length(json_array_get(lines, i)) + 1;
    }
    char *text = malloc(total);
    size_t used = 0;
    for (size_t i = 0; text != NULL && i < json_array_size(lines); i++) {
        const json_t *l = json_array_get(lines, i);
        memcpy(text + used, json_string_value(l), json_string_length(l));
        used += json_string_length(l);
        text[used++] = '\n';
    }
    if (text != NULL) {
        text[used] = '\0';
    }
    return text;
}

/* The note's body against the bundle: origin and order of sizes. Its root is
 * compared after pb_verify, so that a bad record is named before the
 * checkpoints that no longer match it. */
static int
check_note_body(struct reader *r, const pb_note *note, size_t cp, pb_error *err)
{
    uint64_t prev = cp == 0 ? 0 : r->cp_sizes[cp - 1];
    if (strcmp(note->origin, r->origin) != 0) {
        return bundle_fail(r, err, PB_ENOTE, r->line, -1,
                           "the checkpoint's origin \"%.100s\" is not the bundle's \"%s\"",
                           note->origin, r->origin);
    }
    if (note->tree_size <= prev || note->tree_size > r->size) {
        return bundle_fail(r, err, PB_ENOTE, r->line, -1,
                           "a checkpoint of tree size %llu after one of %llu, in a bundle of %llu "
                           "records: checkpoints are out of order or beyond the records",
                           (unsigned long long)note->tree_size, (unsigned long long)prev,
                           (unsigned long long)r->size);
    }
    return PB_OK;
}

/* pb_verify checked each checkpoint's signatures over the root recomputed
 * from the records; the root written in the note must be that root too. */
static int
check_note_roots(struct reader *r, pb_error *err)
{
    for (uint64_t i = 0; i < r->checkpoint_count; i++) {
        uint8_t root[32];
        pb_error local;
        pb_error_init(&local);
        int rc = pb_store_root(r->store, r->cp_sizes[i], root, &local);
        if (rc != PB_OK) {
            return bundle_fail(r, err, rc, r->cp_lines[i], -1, "%s", local.text);
        }
        if (sodium_memcmp(root, r->cp_roots[i], 32) != 0) {
            char b64[B64_ROOT_MAX];
            sodium_bin2base64(b64, sizeof(b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
            return bundle_fail(r, err, PB_EVERIFY, r->cp_lines[i], -1,
                               "the checkpoint of tree size %llu states a root that is not the "
                               "root of the bundle's records at that size (%s)",
                               (unsigned long long)r->cp_sizes[i], b64);
        }
    }
    return PB_OK;
}

/* Store each signature line as the ledger stores it, so pb_verify checks it. */
static int
store_note_lines(struct reader *r, const pb_note *note, const json_t *keys, pb_error *err)
{
    int rc = PB_OK;
    r->cp_last_key_count = 0;
    for (size_t i = 0; rc == PB_OK && i < note->line_count; i++) {
        const char *keyid = json_string_value(json_array_get(keys, i));
        uint8_t raw[8];
        if (keyid == NULL || pb_keyid_parse(keyid, raw, NULL) != PB_OK) {
            return bundle_fail(r, err, PB_EFIELD, r->line, -1,
                               "keys[%zu] is not a KEYID of 16 uppercase hex digits", i);
        }
        /* The operator signs under the origin; a witness's line is a
         * cosignature/v1 (docs/witness.md); any other is an auditor's. */
        int kind = strcmp(note->names[i], r->origin) == 0 ? 0
                   : pb_note_line_kind(note->lines[i]) == 2 ? 2
                                                            : 1;
        pb_checkpoint_line l = {note->tree_size, kind, {0}, note->lines[i]};
        memcpy(l.keyid, keyid, PB_KEYID_TEXT_MAX);
        pb_error local;
        pb_error_init(&local);
        rc = pb_store_checkpoint_add(r->store, &l, &local);
        if (rc != PB_OK) {
            rc = bundle_fail(r, err, rc, r->line, -1, "%s", local.text);
        }
        memcpy(r->cp_last_keys[r->cp_last_key_count++], keyid, PB_KEYID_TEXT_MAX);
    }
    return rc;
}

static int
read_checkpoint(struct reader *r, size_t cp, pb_error *err)
{
    static const char *const allowed[] = {"keys", "kind", "note", NULL};
    json_t *obj = NULL;
    int rc = parse_line(r, &obj, err);
    const json_t *lines = json_object_get(obj, "note");
    const json_t *keys = json_object_get(obj, "keys");
    int ok = rc == PB_OK && strcmp(kind_of(obj), "checkpoint") == 0 &&
             pb_field_allowed(obj, allowed, "$", NULL) == PB_OK && json_is_array(lines) &&
             json_is_array(keys) && json_array_size(lines) <= PB_NOTE_LINES_MAX + 4;
    for (size_t i = 0; ok && i < json_array_size(lines); i++) {
        ok = json_is_string(json_array_get(lines, i));
    }
    if (rc == PB_OK && !ok) {
        rc = bundle_fail(r, err, PB_EFIELD, r->line, -1,
                         "expected checkpoint %zu of %llu {kind, note, keys}, found a %s line",
                         cp + 1, (unsigned long long)r->checkpoint_count, kind_of(obj));
    }
    char *text = rc == PB_OK ? note_text(lines) : NULL;
    if (rc == PB_OK && text == NULL) {
        rc = pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    pb_note note;
    memset(&note, 0, sizeof(note));
    pb_error local;
    pb_error_init(&local);
    if (rc == PB_OK && pb_note_parse(text, &note, &local) != PB_OK) {
        rc = bundle_fail(r, err, local.code, r->line, -1, "checkpoint note: %s", local.text);
    }
    if (rc == PB_OK && json_array_size(keys) != note.line_count) {
        rc = bundle_fail(r, err, PB_EFIELD, r->line, -1,
                         "the note has %zu signature lines but keys names %zu", note.line_count,
                         json_array_size(keys));
    }
    if (rc == PB_OK) {
        rc = check_note_body(r, &note, cp, err);
    }
    if (rc == PB_OK) {
        rc = store_note_lines(r, &note, keys, err);
    }
    r->cp_sizes[cp] = note.tree_size;
    r->cp_lines[cp] = r->line;
    memcpy(r->cp_roots[cp], note.root, 32);
    pb_note_free(&note);
    free(text);
    json_decref(obj);
    return rc;
}

static int
read_key(struct reader *r, uint64_t k, pb_error *err)
{
    static const char *const allowed[] = {"key", "kind", "note_verifier", "value", NULL};
    json_t *obj = NULL;
    int rc = parse_line(r, &obj, err);
    const char *keyid = json_string_value(json_object_get(obj, "key"));
    const char *prev = k == 0 ? "" : json_string_value(json_object_get(r->keys[k - 1].obj, "key"));
    if (rc == PB_OK &&
        (strcmp(kind_of(obj), "key") != 0 || pb_field_allowed(obj, allowed, "$", NULL) != PB_OK ||
         keyid == NULL || !json_is_object(json_object_get(obj, "value")))) {
        rc = bundle_fail(r, err, PB_EFIELD, r->line, -1,
                         "expected key %llu of %llu {kind, key, value[, note_verifier]}, found a "
                         "%s line",
                         (unsigned long long)k + 1, (unsigned long long)r->key_count, kind_of(obj));
    }
    if (rc == PB_OK && strcmp(keyid, prev) <= 0) {
        rc = bundle_fail(r, err, PB_EFIELD, r->line, -1,
                         "key %.40s is out of order: keys are listed by key id", keyid);
    }
    if (rc == PB_OK) {
        r->keys[k].line = r->line;
        r->keys[k].obj = obj;
        return PB_OK;
    }
    json_decref(obj);
    return rc;
}

/* array (cap slots of size bytes) regrown to want slots, the new ones
 * zeroed; NULL when out of memory, and array is then unchanged. */
static void *
regrow(void *array, uint64_t cap, uint64_t want, size_t size)
{
    void *grown = want <= SIZE_MAX / size ? realloc(array, (size_t)(want * size)) : NULL;
    if (grown != NULL) {
        memset((char *)grown + cap * size, 0, (size_t)((want - cap) * size));
    }
    return grown;
}

static uint64_t
next_cap(uint64_t cap)
{
    return cap < 16 ? 16 : cap * 2;
}

/* Slot cp of the checkpoint arrays, for the line about to be read. */
static int
checkpoint_slot(struct reader *r, uint64_t cp, pb_error *err)
{
    if (cp < r->cp_cap) {
        return PB_OK;
    }
    uint64_t want = next_cap(r->cp_cap);
    uint64_t *sizes = regrow(r->cp_sizes, r->cp_cap, want, sizeof(*sizes));
    if (sizes != NULL) {
        r->cp_sizes = sizes;
    }
    int64_t *lines = sizes != NULL ? regrow(r->cp_lines, r->cp_cap, want, sizeof(*lines)) : NULL;
    if (lines != NULL) {
        r->cp_lines = lines;
    }
    uint8_t(*roots)[32] =
        lines != NULL ? regrow(r->cp_roots, r->cp_cap, want, sizeof(*roots)) : NULL;
    if (roots == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    r->cp_roots = roots;
    r->cp_cap = want;
    return PB_OK;
}

/* Slot k of the key lines, for the line about to be read. */
static int
key_slot(struct reader *r, uint64_t k, pb_error *err)
{
    if (k < r->key_cap) {
        return PB_OK;
    }
    uint64_t want = next_cap(r->key_cap);
    struct key_line *keys = regrow(r->keys, r->key_cap, want, sizeof(*keys));
    if (keys == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    r->keys = keys;
    r->key_cap = want;
    return PB_OK;
}

/* Everything after the records: checkpoints, keys, then the end. The arrays
 * for them grow with the lines read: a header that claims 400 million keys
 * costs nothing until they come. */
static int
read_rest(struct reader *r, pb_error *err)
{
    r->cp_last_keys = calloc(PB_NOTE_LINES_MAX, sizeof(*r->cp_last_keys));
    if (r->cp_last_keys == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int rc = PB_OK;
    uint64_t total = r->checkpoint_count + r->key_count;
    for (uint64_t n = 0; rc == PB_OK && n <= total; n++) {
        int eof = 0;
        rc = next_line(r, &eof, err);
        if (rc == PB_OK && !eof && n < r->checkpoint_count) {
            rc = checkpoint_slot(r, n, err);
        } else if (rc == PB_OK && !eof && n < total) {
            rc = key_slot(r, n - r->checkpoint_count, err);
        }
        if (rc == PB_OK && eof && n < total) {
            rc = bundle_fail(r, err, PB_EVERIFY, r->line, -1,
                             "the bundle ends early: its header lists %llu checkpoints and %llu "
                             "keys after the records",
                             (unsigned long long)r->checkpoint_count,
                             (unsigned long long)r->key_count);
        } else if (rc == PB_OK && !eof && n == total) {
            rc = bundle_fail(r, err, PB_EVERIFY, r->line, -1,
                             "a line after the end of the bundle (its header lists %llu records, "
                             "%llu checkpoints and %llu keys)",
                             (unsigned long long)r->size, (unsigned long long)r->checkpoint_count,
                             (unsigned long long)r->key_count);
        } else if (rc == PB_OK && n < r->checkpoint_count) {
            rc = read_checkpoint(r, (size_t)n, err);
        } else if (rc == PB_OK && n < total) {
            rc = read_key(r, n - r->checkpoint_count, err);
        }
    }
    return rc;
}

/* ---- checks after pb_verify, on the replayed state ---------------------------- */

static int
count_key(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len,
          pb_error *err)
{
    (void)key, (void)key_len, (void)value, (void)value_len, (void)err;
    *(uint64_t *)ctx += 1;
    return PB_OK;
}

/* A key line must say exactly what the records bind. */
static int
check_key_line(struct reader *r, const pb_state *state, const struct key_line *kl, pb_error *err)
{
    const char *keyid = json_string_value(json_object_get(kl->obj, "key"));
    char skey[PB_ID_BYTES_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%.40s", keyid);
    json_t *bound = NULL;
    if (pb_state_get(state, skey, &bound, err) != PB_OK) {
        return bundle_fail(r, err, PB_EVERIFY, kl->line, -1,
                           "key %.40s is not bound by the bundle's records", keyid);
    }
    int rc = json_equal(bound, json_object_get(kl->obj, "value"))
                 ? PB_OK
                 : bundle_fail(r, err, PB_EVERIFY, kl->line, -1,
                               "key %s: the listed binding is not the records' binding", keyid);
    const char *role = json_string_value(json_object_get(bound, "role"));
    const char *listed = json_string_value(json_object_get(kl->obj, "note_verifier"));
    char *want = NULL;
    if (rc == PB_OK && (strcmp(role, "operator") == 0 || strcmp(role, "auditor") == 0)) {
        char name[512];
        pb_pubkey pub;
        pb_note_name(r->origin, json_string_value(json_object_get(bound, "partner")), role, keyid,
                     name, sizeof(name));
        rc = pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &pub, err);
        if (rc == PB_OK) {
            rc = pb_note_verifier(name, &pub, &want, err);
        }
    }
    if (rc == PB_OK && (want == NULL) != (listed == NULL)) {
        rc = bundle_fail(r, err, PB_EVERIFY, kl->line, -1,
                         "key %s: a note verifier is listed for operator and auditor keys only",
                         keyid);
    } else if (rc == PB_OK && want != NULL && strcmp(want, listed) != 0) {
        rc = bundle_fail(r, err, PB_EVERIFY, kl->line, -1,
                         "key %s: the note verifier is not the key's (%s)", keyid, want);
    }
    free(want);
    json_decref(bound);
    return rc;
}

/* The key an auditor brought must be bound and have signed the latest checkpoint. */
static int
check_trusted(struct reader *r, const pb_state *state, pb_error *err)
{
    char keyid[PB_KEYID_TEXT_MAX];
    pb_keyid_format(r->trusted->key_id, keyid, sizeof(keyid));
    char skey[PB_KEYID_TEXT_MAX + 8];
    snprintf(skey, sizeof(skey), "key:%s", keyid);
    json_t *bound = NULL;
    pb_pubkey pub;
    int bad =
        pb_state_get(state, skey, &bound, NULL) != PB_OK ||
        pb_pubkey_parse(json_string_value(json_object_get(bound, "pubkey")), &pub, NULL) != PB_OK ||
        sodium_memcmp(pub.key, r->trusted->key, 32) != 0;
    json_decref(bound);
    if (bad) {
        return bundle_fail(r, err, PB_EVERIFY, 1, -1,
                           "the trusted key %s is not bound by the bundle's records", keyid);
    }
    if (r->checkpoint_count == 0) {
        return bundle_fail(r, err, PB_EVERIFY, 1, -1,
                           "the bundle has no checkpoint for the trusted key %s to have signed",
                           keyid);
    }
    for (size_t i = 0; i < r->cp_last_key_count; i++) {
        if (strcmp(r->cp_last_keys[i], keyid) == 0) {
            return PB_OK; /* pb_verify checked the line's signature */
        }
    }
    return bundle_fail(r, err, PB_EVERIFY, r->cp_lines[r->checkpoint_count - 1], -1,
                       "the latest checkpoint (tree size %llu) is not signed by the trusted key %s",
                       (unsigned long long)r->cp_sizes[r->checkpoint_count - 1], keyid);
}

static int
at_end(void *ctx, const pb_state *state, const pb_verify_report *report, pb_error *err)
{
    struct reader *r = ctx;
    json_t *origin = NULL;
    int rc = pb_state_get(state, "origin", &origin, err);
    if (rc == PB_OK && strcmp(json_string_value(origin), r->origin) != 0) {
        rc = bundle_fail(r, err, PB_EVERIFY, 1, -1,
                         "the header's origin \"%s\" is not the genesis entry's \"%s\"", r->origin,
                         json_string_value(origin));
    }
    json_decref(origin);
    if (rc == PB_OK && sodium_memcmp(report->root, r->root, 32) != 0) {
        char b64[B64_ROOT_MAX];
        sodium_bin2base64(b64, sizeof(b64), report->root, 32, sodium_base64_VARIANT_ORIGINAL);
        rc = bundle_fail(r, err, PB_EVERIFY, 1, -1,
                         "the header's root is not the root of the bundle's records (%s)", b64);
    }
    uint64_t bound = 0;
    if (rc == PB_OK) {
        rc = pb_state_each(state, "key:", count_key, &bound, err);
    }
    if (rc == PB_OK && bound != r->key_count) {
        rc = bundle_fail(r, err, PB_EVERIFY, 1, -1,
                         "the header lists %llu keys; the records bind %llu",
                         (unsigned long long)r->key_count, (unsigned long long)bound);
    }
    for (uint64_t k = 0; rc == PB_OK && k < r->key_count; k++) {
        rc = check_key_line(r, state, &r->keys[k], err);
    }
    if (rc == PB_OK && r->trusted != NULL) {
        rc = check_trusted(r, state, err);
    }
    /* The replayed state lives only inside the verify: keep what the review
     * needs of it (the records themselves stay in the scratch ledger). */
    if (rc == PB_OK && r->review) {
        rc = pb_review_revoked_keys(state, &r->revoked, err);
    }
    return rc;
}

/* pb_verify's error, with the bundle line of the record or checkpoint at fault. */
static void
locate(const struct reader *r, const pb_verify_hooks *hooks, pb_error *err)
{
    if (err == NULL || err->line != 0) {
        return; /* found by the bundle's own checks: placed already */
    }
    pb_error e = *err;
    pb_error_init(err);
    for (size_t i = 0; hooks->bad_checkpoint != 0 && i < r->checkpoint_count; i++) {
        if (r->cp_sizes[i] == hooks->bad_checkpoint) {
            bundle_fail(r, err, e.code, r->cp_lines[i], -1, "%s", e.text);
            return;
        }
    }
    if (e.index >= 0) {
        bundle_fail(r, err, e.code, e.index + 2, e.index, "%s", e.text);
        return;
    }
    *err = e;
}

static void
reader_free(struct reader *r)
{
    for (uint64_t k = 0; k < r->key_cap; k++) {
        json_decref(r->keys[k].obj);
    }
    free(r->keys);
    free(r->cp_sizes);
    free(r->cp_lines);
    free(r->cp_roots);
    free(r->cp_last_keys);
    free(r->buf);
    json_decref(r->revoked);
    pb_store_close(r->store);
}

/* The findings for review of a verified bundle: its records, read from the
 * scratch ledger, and the revoked keys at_end kept. */
static int
review_bundle(const struct reader *r, json_t **findings_out, pb_error *err)
{
    PB_ASSERT(r->revoked != NULL);
    pb_snapshot snap;
    int rc = pb_snapshot_open(r->store, &snap, err);
    if (rc == PB_OK) {
        rc = pb_review_scan(&snap, r->revoked, findings_out, err);
        pb_snapshot_close(&snap);
    }
    return rc;
}

int
pb_bundle_verify(FILE *in, const char *name, unsigned threads, const pb_pubkey *trusted,
                 pb_verify_report *report_out, json_t **findings_out, pb_error *err)
{
    PB_ASSERT(in != NULL && name != NULL && report_out != NULL);
    memset(report_out, 0, sizeof(*report_out));
    if (findings_out != NULL) {
        *findings_out = NULL;
    }
    if (pb_sodium_ready(err) != PB_OK) {
        return PB_ENOMEM;
    }
    struct reader r;
    memset(&r, 0, sizeof(r));
    r.in = in;
    r.name = name;
    r.trusted = trusted;
    r.review = findings_out != NULL;
    /* The header first: a file that is not a bundle costs no scratch ledger. */
    int rc = read_header(&r, err);
    if (rc == PB_OK) {
        rc = pb_store_open_scratch(&r.store, err);
    }
    if (rc == PB_OK) {
        rc = read_records(&r, err);
    }
    if (rc == PB_OK) {
        rc = read_rest(&r, err);
    }
    pb_verify_hooks hooks = {threads, at_end, &r, 0, NULL, 0, 0};
    if (rc == PB_OK) {
        rc = pb_verify_with(r.store, &hooks, report_out, err);
        if (rc != PB_OK) {
            locate(&r, &hooks, err);
        }
    }
    if (rc == PB_OK) {
        rc = check_note_roots(&r, err);
    }
    /* The bundle's records and its replayed state are those of the ledger it
     * was exported from, and so are the findings (pb_review_findings). */
    if (rc == PB_OK && findings_out != NULL) {
        rc = review_bundle(&r, findings_out, err);
    }
    reader_free(&r);
    return rc;
}
