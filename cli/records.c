/*
 * records.c — reading records and drafts from files or stdin (one JSON value,
 * or JSON lines) and writing drafts atomically, for sign, append and post.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void
cli_fail_input(pb_error *err, const char *path, int64_t line)
{
    char prefix[PB_ERROR_WHERE_MAX];
    const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
    if (line > 0) {
        snprintf(prefix, sizeof(prefix), "%s line %lld", name, (long long)line);
    } else {
        snprintf(prefix, sizeof(prefix), "%s", name);
    }
    char old[PB_ERROR_WHERE_MAX];
    memcpy(old, err->where, sizeof(old));
    snprintf(err->where, sizeof(err->where), "%s%s%s", prefix, old[0] ? ", " : "", old);
    cli_fail(err);
}

/* Run before any exit while a stream is read (cli_stream_records). */
static cli_stream_exit_fn stream_exit_hook;
static void *stream_exit_ctx;

static void
stream_exit(void)
{
    if (stream_exit_hook != NULL) {
        cli_stream_exit_fn hook = stream_exit_hook;
        stream_exit_hook = NULL;
        hook(stream_exit_ctx);
    }
}

static void
push(struct cli_records *out, json_t *record, int64_t line, size_t *cap)
{
    if (out->count == *cap) {
        *cap = *cap == 0 ? 64 : *cap * 2;
        out->records = realloc(out->records, *cap * sizeof(json_t *));
        out->lines = realloc(out->lines, *cap * sizeof(int64_t));
        if (out->records == NULL || out->lines == NULL) {
            cli_die_env("out of memory reading records");
        }
    }
    if (out->count >= PB_BATCH_RECORDS_MAX) {
        stream_exit();
        cli_error_line("more than %d records in one batch", PB_BATCH_RECORDS_MAX);
        exit(1);
    }
    out->records[out->count] = record;
    out->lines[out->count] = line;
    out->count++;
}

static int
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            return 0;
        }
    }
    return 1;
}

/* Whether the input is JSON lines: a single line, or a first non-blank line
 * that is a whole JSON value by itself. */
static int
looks_like_lines(const char *buf, size_t len)
{
    const char *last = buf + len;
    while (last > buf && blank(last - 1, 1)) {
        last--;
    }
    if (memchr(buf, '\n', (size_t)(last - buf)) == NULL) {
        return 1;
    }
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        if (!blank(buf + at, end - at)) {
            json_t *v = NULL;
            int ok = pb_json_parse(buf + at, end - at, PB_RECORD_BYTES_MAX, &v, NULL) == PB_OK;
            json_decref(v);
            return ok;
        }
        at = end + 1;
    }
    return 0;
}

/* The records of a whole input read into buf (len bytes, NUL-terminated). */
static void
records_of(const char *path, char *buf, size_t len, struct cli_records *out)
{
    size_t cap = 0;
    pb_error err;
    pb_error_init(&err);
    json_t *whole = NULL;
    if (blank(buf, len)) {
        stream_exit();
        cli_error_line("no records: the input is empty (%s)",
                       strcmp(path, "-") == 0 ? "stdin" : path);
        exit(1);
    }
    /* One value over the whole input (a pretty-printed draft)... */
    pb_error whole_err;
    pb_error_init(&whole_err);
    int whole_rc = PB_ETOOBIG; /* a batch too big to be one record is read as lines */
    if (len <= PB_RECORD_BYTES_MAX * 2) {
        whole_rc = pb_json_parse(buf, len, PB_RECORD_BYTES_MAX * 2, &whole, &whole_err);
    }
    if (whole_rc == PB_OK) {
        push(out, whole, 1, &cap);
        return;
    }
    /* ...unless its first line is a value of its own, the input was meant as
     * one value: report that value's fault, not line 1's. */
    if (whole_rc != PB_ETOOBIG && !looks_like_lines(buf, len)) {
        stream_exit();
        cli_fail_input(&whole_err, path, 0);
    }
    /* ...or JSON lines. */
    int64_t line = 0;
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        line++;
        if (!blank(buf + at, end - at)) {
            json_t *record = NULL;
            if (pb_json_parse(buf + at, end - at, PB_RECORD_BYTES_MAX, &record, &err) != PB_OK) {
                stream_exit();
                cli_fail_input(&err, path, line);
            }
            push(out, record, line, &cap);
        }
        at = end + 1;
    }
}

void
cli_read_records(const char *path, size_t max_bytes, struct cli_records *out)
{
    memset(out, 0, sizeof(*out));
    size_t len = 0;
    char *buf = cli_read_file(path, max_bytes, CLI_LINE_BYTES_MAX, &len);
    records_of(path, buf, len, out);
    free(buf);
}

/* Bytes read from a streamed input at a time. */
#define STREAM_READ_BYTES ((size_t)1 << 20)

_Noreturn static void
stream_line_too_long(const char *name, int64_t line)
{
    stream_exit();
    cli_error_line("line %lld is longer than %zu bytes (%s)", (long long)line, CLI_LINE_BYTES_MAX,
                   name);
    exit(1);
}

/* Fill buf[*len..want) from f; 0 at the end of the input. */
static size_t
stream_read(FILE *f, const char *path, char *buf, size_t *len, size_t want)
{
    size_t n = fread(buf + *len, 1, want - *len, f);
    if (n == 0 && ferror(f)) {
        stream_exit();
        cli_die_env("cannot read %s", path);
    }
    *len += n;
    buf[*len] = '\0';
    return n;
}

/* Give each complete line of buf[*start..len) to fn; the last with at_end. */
static size_t
stream_lines(const char *name, char *buf, size_t *start, size_t len, int at_end, int64_t *line,
             cli_stream_fn fn, void *ctx)
{
    size_t given = 0;
    for (;;) {
        const char *nl = memchr(buf + *start, '\n', len - *start);
        if (nl == NULL && !(at_end && *start < len)) {
            break;
        }
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        (*line)++;
        if (end - *start > CLI_LINE_BYTES_MAX) {
            stream_line_too_long(name, *line);
        }
        if (!blank(buf + *start, end - *start)) {
            fn(ctx, NULL, buf + *start, end - *start, *line);
            given++;
        }
        *start = end < len ? end + 1 : len;
    }
    if (len - *start > CLI_LINE_BYTES_MAX) {
        stream_line_too_long(name, *line + 1);
    }
    return given;
}

void
cli_stream_records(const char *path, size_t max_bytes, cli_stream_fn fn,
                   cli_stream_exit_fn on_exit, void *ctx)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    stream_exit_hook = on_exit;
    stream_exit_ctx = ctx;
    if (f == NULL) {
        stream_exit();
        cli_die_env("cannot open %s: %s", path, pb_errno_text(errno));
    }
    size_t cap = CLI_LINE_BYTES_MAX + STREAM_READ_BYTES;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        stream_exit();
        cli_die_env("out of memory reading %s", path);
    }
    /* An input that could be one value (a pretty-printed draft) is read whole,
     * as cli_read_records reads it. */
    size_t len = 0;
    while (len <= CLI_DRAFT_BYTES_MAX && stream_read(f, path, buf, &len, CLI_DRAFT_BYTES_MAX + 1) > 0) {
    }
    if (len <= CLI_DRAFT_BYTES_MAX) {
        struct cli_records recs;
        memset(&recs, 0, sizeof(recs));
        records_of(path, buf, len, &recs);
        for (size_t i = 0; i < recs.count; i++) {
            fn(ctx, recs.records[i], NULL, 0, recs.lines[i]); /* the reference passes on */
        }
        free(recs.records);
        free(recs.lines);
    } else {
        /* JSON lines, a read at a time: only a line and a read are held. */
        size_t total = len;
        size_t start = 0;
        int64_t line = 0;
        size_t given = 0;
        for (;;) {
            size_t n = 0;
            given += stream_lines(name, buf, &start, len, 0, &line, fn, ctx);
            memmove(buf, buf + start, len - start);
            len -= start;
            start = 0;
            n = stream_read(f, path, buf, &len, cap);
            total += n;
            if (total > max_bytes) {
                stream_exit();
                cli_error_line("input is larger than %zu bytes (%s)", max_bytes, name);
                exit(1);
            }
            if (n == 0) {
                break;
            }
        }
        given += stream_lines(name, buf, &start, len, 1, &line, fn, ctx);
        if (given == 0) {
            stream_exit();
            cli_error_line("no records: the input is empty (%s)", name);
            exit(1);
        }
    }
    if (!is_stdin) {
        fclose(f);
    }
    free(buf);
    stream_exit_hook = NULL;
}

void
cli_records_free(struct cli_records *recs)
{
    for (size_t i = 0; i < recs->count; i++) {
        json_decref(recs->records[i]);
    }
    free(recs->records);
    free(recs->lines);
    memset(recs, 0, sizeof(*recs));
}

struct canon_text {
    const char *bytes;
    size_t len;
};

static int
write_canon_line(FILE *f, const char *tmp_path, void *ctx)
{
    (void)tmp_path;
    const struct canon_text *t = ctx;
    return fwrite(t->bytes, 1, t->len, f) == t->len && fputc('\n', f) != EOF ? 0 : -1;
}

void
cli_write_record(const char *path, const json_t *record)
{
    pb_error err;
    pb_error_init(&err);
    char *canon = NULL;
    size_t len = 0;
    if (pb_json_canonical(record, &canon, &len, &err) != PB_OK) {
        cli_fail(&err);
    }
    struct canon_text t = {canon, len};
    if (strcmp(path, "-") == 0) {
        write_canon_line(stdout, NULL, &t);
    } else if (cli_write_file(path, write_canon_line, &t, &err) != PB_OK) {
        free(canon);
        cli_fail(&err);
    }
    free(canon);
}

int
cli_write_file(const char *path, pb_file_writer write, void *ctx, pb_error *err)
{
    return pb_file_write(path, cli_keep_paths(), write, ctx, err);
}

pb_store *
cli_open_store(int flags)
{
    pb_error err;
    pb_error_init(&err);
    pb_store *store = NULL;
    if (pb_store_open(cli_ledger_path(), flags, &store, &err) != PB_OK) {
        cli_fail(&err);
    }
    cli_progress_attach(store);
    return store;
}

int
cli_check_draft(json_t *record, pb_error *err)
{
    const char *type = json_string_value(json_object_get(json_object_get(record, "entry"), "type"));
    if (type == NULL || strcmp(type, "genesis") == 0 || access(cli_ledger_path(), F_OK) != 0) {
        return PB_OK; /* no ledger at hand: checked at append */
    }
    pb_store *store = cli_open_store(PB_STORE_RDONLY);
    uint64_t size = 0;
    int rc = pb_store_size(store, &size, err);
    /* An id the ledger holds: the append will say "already present" or
     * refuse the reuse; the entry itself was checked when first appended. */
    const char *id = json_string_value(json_object_get(json_object_get(record, "entry"), "id"));
    uint64_t at = 0;
    if (rc == PB_OK && size > 0 && (id == NULL || pb_store_find(store, id, &at, NULL) != PB_OK)) {
        rc = pb_draft_check(store, record, err);
    }
    pb_store_close(store);
    return rc;
}
