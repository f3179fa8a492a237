/*
 * canon_dump.c — test tool: read one JSON file (or "-" for stdin), print its
 * canonical bytes (pb_json_parse, then pb_json_canonical) to stdout with no
 * newline. On a refusal print one line "canon_dump: CODE at WHERE: TEXT" to
 * stderr and exit 1; exit 2 on bad usage, 3 if the file cannot be read or
 * stdout written. tests/cli/canon_*.sh compare its bytes with Python's.
 */
#include "log/log.h"

#include <string.h>

/* Read all of f into a malloc'd buffer, refusing more than max_bytes (one
 * byte past the limit is read so pb_json_parse can name the size). */
static int
read_all(FILE *f, size_t max_bytes, char **buf_out, size_t *len_out)
{
    size_t size = 4096;
    size_t len = 0;
    char *buf = malloc(size);
    int rc = buf == NULL ? PB_ENOMEM : PB_OK;
    while (rc == PB_OK && len <= max_bytes) {
        if (len == size) {
            char *grown = realloc(buf, size * 2);
            if (grown == NULL) {
                rc = PB_ENOMEM;
                break;
            }
            buf = grown;
            size *= 2;
        }
        size_t n = fread(buf + len, 1, size - len, f);
        len += n;
        if (n == 0) {
            rc = ferror(f) ? PB_EIO : PB_OK;
            break;
        }
    }
    if (rc != PB_OK) {
        free(buf);
        buf = NULL;
        len = 0;
    }
    *buf_out = buf;
    *len_out = len;
    return rc;
}

static int
dump(const char *buf, size_t len, pb_error *err)
{
    json_t *value = NULL;
    char *out = NULL;
    size_t out_len = 0;
    int rc = pb_json_parse(buf, len, PB_INPUT_BYTES_MAX, &value, err);
    if (rc != PB_OK) {
        goto done;
    }
    rc = pb_json_canonical(value, &out, &out_len, err);
    if (rc != PB_OK) {
        goto free_value;
    }
    if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
        rc = pb_error_set(err, PB_EIO, "stdout", "could not write %zu bytes", out_len);
    }
    free(out);
free_value:
    json_decref(value);
done:
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: canon_dump FILE|-\n");
        return 2;
    }
    pb_error err;
    pb_error_init(&err);
    FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "canon_dump: cannot open %s\n", argv[1]);
        return 3;
    }
    char *buf = NULL;
    size_t len = 0;
    int rc = read_all(f, PB_INPUT_BYTES_MAX, &buf, &len);
    if (f != stdin) {
        fclose(f);
    }
    if (rc == PB_OK) {
        rc = dump(buf, len, &err);
    } else {
        pb_error_set(&err, rc, argv[1], "cannot read the input");
    }
    free(buf);
    if (rc != PB_OK) {
        const char *name = pb_strerror(rc);
        int name_len = (int)strcspn(name, ":");
        if (err.where[0] != '\0') {
            fprintf(stderr, "canon_dump: %.*s at %s: %s\n", name_len, name, err.where, err.text);
        } else {
            fprintf(stderr, "canon_dump: %.*s: %s\n", name_len, name, err.text);
        }
    }
    return pb_exit_code(rc);
}
