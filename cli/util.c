/*
 * util.c — error reporting in the form of DESIGN 8, the ledger path, and
 * reading input files with a size limit.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ledger_path_option;

void
cli_set_ledger_path(const char *path)
{
    ledger_path_option = path;
}

int
cli_ledger_given(void)
{
    const char *env = getenv("POOLBOOK_LEDGER");
    return ledger_path_option != NULL || (env != NULL && env[0] != '\0');
}

const char *
cli_ledger_path(void)
{
    if (ledger_path_option != NULL) {
        return ledger_path_option;
    }
    const char *env = getenv("POOLBOOK_LEDGER");
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    const char *config = cli_config("ledger");
    return config != NULL ? config : "poolbook.ledger";
}

const char *const *
cli_keep_paths(void)
{
    static char lock[4096];
    static const char *keep[3];
    const char *ledger = cli_ledger_path();
    snprintf(lock, sizeof(lock), "%s-lock", ledger); /* LMDB's MDB_NOSUBDIR lock file */
    keep[0] = ledger;
    keep[1] = lock;
    keep[2] = NULL;
    return keep;
}

void
cli_error_line(const char *fmt, ...)
{
    char msg[1024];
    char safe[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* The one place every error line is printed: control characters from
     * the input (ESC, BEL, C1) are escaped, line breaks included. */
    pb_text_escape(msg, safe, sizeof(safe));
    fprintf(stderr, "poolbook: error: %s\n", safe);
}

int
cli_report(const pb_error *err)
{
    const char *text = err->text[0] != '\0' ? err->text : pb_strerror(err->code);
    if (err->where[0] != '\0') {
        cli_error_line("%s (%s)", text, err->where);
    } else if (err->index >= 0) {
        cli_error_line("%s (record %lld)", text, (long long)err->index);
    } else {
        cli_error_line("%s", text);
    }
    return pb_exit_code(err->code);
}

_Noreturn void
cli_fail(const pb_error *err)
{
    int code = cli_report(err);
    exit(code != 0 ? code : 1);
}

_Noreturn void
cli_die_env(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cli_error_line("%s", msg);
    exit(3);
}

/* Refuse a line longer than line_max among the new bytes buf[from..len);
 * *line_start is where the current line began, *line its number (1-based). */
static void
check_lines(const char *path, const char *buf, size_t from, size_t len, size_t line_max,
            size_t *line_start, int64_t *line)
{
    for (const char *nl = memchr(buf + from, '\n', len - from); nl != NULL;
         nl = memchr(nl + 1, '\n', (size_t)(buf + len - nl - 1))) {
        if ((size_t)(nl - buf) - *line_start > line_max) {
            break;
        }
        *line_start = (size_t)(nl - buf) + 1;
        (*line)++;
    }
    if (len - *line_start > line_max) {
        cli_error_line("line %lld is longer than %zu bytes (%s)", (long long)*line, line_max,
                       strcmp(path, "-") == 0 ? "stdin" : path);
        exit(1);
    }
}

char *
cli_read_file(const char *path, size_t max_bytes, size_t line_max, size_t *len_out)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_die_env("cannot open %s: %s", path, pb_errno_text(errno));
    }
    size_t cap = 65536;
    size_t len = 0;
    size_t line_start = 0;
    int64_t line = 1;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        cli_die_env("out of memory reading %s", path);
    }
    for (;;) {
        if (len == cap) {
            if (cap >= max_bytes + 1) {
                break;
            }
            size_t next = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            char *grown = realloc(buf, next + 1);
            if (grown == NULL) {
                free(buf);
                cli_die_env("out of memory reading %s", path);
            }
            buf = grown;
            cap = next;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (line_max > 0) {
            check_lines(path, buf, len - n, len, line_max, &line_start, &line);
        }
        if (n == 0) {
            break;
        }
    }
    int failed = ferror(f);
    if (!is_stdin) {
        fclose(f);
    }
    if (failed) {
        free(buf);
        cli_die_env("cannot read %s", path);
    }
    if (len > max_bytes) {
        free(buf);
        cli_error_line("input is larger than %zu bytes (%s)", max_bytes, is_stdin ? "stdin" : path);
        exit(1);
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

FILE *
cli_spool(const char *path, size_t max_bytes)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *dir = getenv("TMPDIR");
    char spool[4096];
    snprintf(spool, sizeof(spool), "%s/poolbook-spool-XXXXXX",
             dir != NULL && dir[0] != '\0' ? dir : "/tmp");
    int fd = mkstemp(spool);
    if (fd < 0) {
        return NULL;
    }
    unlink(spool); /* the open file lives until it is closed, even after a crash */
    FILE *out = fdopen(fd, "w+b");
    FILE *in = out == NULL ? NULL : is_stdin ? stdin : fopen(path, "rb");
    if (in == NULL) {
        if (out != NULL) {
            fclose(out);
        } else {
            close(fd);
        }
        return NULL; /* cli_read_file opens it, or names why it cannot */
    }
    char *piece = malloc(1 << 20);
    if (piece == NULL) {
        cli_die_env("out of memory reading %s", path);
    }
    size_t total = 0;
    size_t n;
    while ((n = fread(piece, 1, 1 << 20, in)) > 0) {
        total += n;
        if (total > max_bytes) {
            cli_error_line("input is larger than %zu bytes (%s)", max_bytes,
                           is_stdin ? "stdin" : path);
            exit(1);
        }
        if (fwrite(piece, 1, n, out) != n) {
            cli_die_env("cannot keep a copy of %s in %s: %s", is_stdin ? "stdin" : path,
                        dir != NULL && dir[0] != '\0' ? dir : "/tmp", pb_errno_text(errno));
        }
    }
    free(piece);
    if (ferror(in)) {
        cli_die_env("cannot read %s", path);
    }
    if (!is_stdin) {
        fclose(in);
    }
    if (fflush(out) != 0 || fseek(out, 0, SEEK_SET) != 0) {
        cli_die_env("cannot keep a copy of %s: %s", is_stdin ? "stdin" : path,
                    pb_errno_text(errno));
    }
    return out;
}

int
cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error_line("could not write output: %s (stdout)", pb_errno_text(errno));
        return 3;
    }
    return 0;
}
