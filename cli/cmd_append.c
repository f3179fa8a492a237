/*
 * cmd_append.c — `poolbook append [FILE...]`: append signed records in one
 * write transaction: all or none. Records come from files (a draft, or JSON
 * lines) or stdin.
 */
#include "cli.h"

#include <string.h>

static const char *const append_usage[] = {
    "append [--dry-run] [--json] [FILE...]",
    "Append signed records: each FILE holds one record or JSON lines; with no",
    "FILE (or '-') they are read from stdin. All are appended in one",
    "transaction, or none. A record already present (identical) is reported",
    "and skipped; a different record with a used id is refused. --dry-run checks",
    "them all as the append would, writes nothing, and prints what would be",
    "appended and the pools' figures that would change. With --remote, each",
    "record is sent to the server (POST /add-entry) in turn, the first refusal",
    "stopping the run (records before it stay appended).",
    NULL,
};

struct source {
    const char *path;
    struct cli_records recs;
};

static void
free_sources(struct source *src, size_t npaths, json_t **all)
{
    for (size_t i = 0; i < npaths; i++) {
        cli_records_free(&src[i].recs);
    }
    free(src);
    free(all);
}

/* A batch fed as records are read (cli_stream_records): only a chunk of
 * records and a line per record for messages are held, whatever the input's
 * size. The first record is held until a second comes: one record alone is
 * appended as `append FILE` of one draft always was (pb_store_append). */
struct feed {
    pb_store *store;
    pb_batch *batch;  /* opened at the second record */
    uint64_t total;   /* records expected (progress), 0 unknown */
    json_t *first;    /* the first record, parsed... */
    char *first_text; /* ...or its text */
    size_t first_len;
    int64_t *lines; /* input line of each record given */
    size_t count;
    size_t cap;
    char *const *paths;
    size_t *starts; /* position of the first record of each input */
    size_t npaths;
};

static void
feed_free(struct feed *fd)
{
    pb_batch_close(fd->batch);
    fd->batch = NULL;
    json_decref(fd->first);
    fd->first = NULL;
    free(fd->first_text);
    fd->first_text = NULL;
    free(fd->lines);
    fd->lines = NULL;
    free(fd->starts);
    fd->starts = NULL;
}

/* Fail naming the record at err->index by its input and line. */
_Noreturn static void
feed_fail(struct feed *fd, pb_error *err)
{
    const char *path = NULL;
    int64_t line = 0;
    if (err->index >= 0 && (size_t)err->index < fd->count) {
        size_t pos = (size_t)err->index;
        size_t i = fd->npaths;
        while (i > 0 && fd->starts[i - 1] > pos) {
            i--;
        }
        path = i > 0 ? fd->paths[i - 1] : NULL;
        line = fd->lines[pos];
    }
    char name[PB_ERROR_WHERE_MAX];
    snprintf(name, sizeof(name), "%s", path != NULL ? path : "");
    feed_free(fd);
    if (path != NULL) {
        cli_fail_input(err, name, line);
    }
    cli_fail(err);
}

/* The first record, parsed (its text, if so read, fails as line 1 would). */
static json_t *
feed_first(struct feed *fd)
{
    if (fd->first_text != NULL) {
        pb_error err;
        pb_error_init(&err);
        json_t *record = NULL;
        if (pb_json_parse(fd->first_text, fd->first_len, PB_RECORD_BYTES_MAX, &record, &err) !=
            PB_OK) {
            err.index = 0;
            feed_fail(fd, &err);
        }
        free(fd->first_text);
        fd->first_text = NULL;
        fd->first = record;
    }
    json_t *record = fd->first;
    fd->first = NULL;
    return record;
}

/* Before the input's reader exits on a fault found later in it: a record
 * given before that does not parse is named first, as a whole read would. */
static void
feed_exit(void *ctx)
{
    struct feed *fd = ctx;
    pb_error err;
    pb_error_init(&err);
    if (fd->batch != NULL && pb_batch_check_input(fd->batch, &err) != PB_OK) {
        feed_fail(fd, &err);
    }
    if (fd->batch == NULL && fd->count == 1) {
        json_decref(feed_first(fd));
    }
    feed_free(fd);
}

static void
feed_give(struct feed *fd, json_t *record, const char *text, size_t len)
{
    pb_error err;
    pb_error_init(&err);
    int rc = record != NULL ? pb_batch_add(fd->batch, record, &err)
                            : pb_batch_add_text(fd->batch, text, len, &err);
    if (rc != PB_OK) {
        feed_fail(fd, &err);
    }
}

static void
feed_record(void *ctx, json_t *record, const char *text, size_t len, int64_t line)
{
    struct feed *fd = ctx;
    if (fd->count == PB_BATCH_RECORDS_MAX) {
        json_decref(record);
        feed_exit(fd);
        cli_error_line("more than %d records in one batch", PB_BATCH_RECORDS_MAX);
        exit(1);
    }
    if (fd->count == fd->cap) {
        fd->cap = fd->cap == 0 ? 1024 : fd->cap * 2;
        int64_t *lines = realloc(fd->lines, fd->cap * sizeof(*lines));
        if (lines == NULL) {
            cli_die_env("out of memory reading records");
        }
        fd->lines = lines;
    }
    fd->lines[fd->count] = line;
    if (fd->count == 0 && record != NULL) {
        fd->first = record;
    } else if (fd->count == 0) {
        fd->first_text = malloc(len + 1);
        if (fd->first_text == NULL) {
            cli_die_env("out of memory reading records");
        }
        memcpy(fd->first_text, text, len);
        fd->first_text[len] = '\0';
        fd->first_len = len;
    } else {
        if (fd->batch == NULL) {
            pb_error err;
            pb_error_init(&err);
            if (pb_batch_open(fd->store, &fd->batch, &err) != PB_OK) {
                feed_fail(fd, &err);
            }
            pb_batch_expect(fd->batch, fd->total);
            if (fd->first_text != NULL) {
                feed_give(fd, NULL, fd->first_text, fd->first_len);
                free(fd->first_text);
                fd->first_text = NULL;
            } else {
                feed_give(fd, feed_first(fd), NULL, 0);
            }
        }
        feed_give(fd, record, text, len);
    }
    fd->count++;
}

/* Records in the inputs, for progress: 0 when not known (stdin). */
static uint64_t
count_records(char *const *paths, size_t npaths)
{
    uint64_t total = 0;
    for (size_t i = 0; i < npaths; i++) {
        FILE *f = strcmp(paths[i], "-") == 0 ? NULL : fopen(paths[i], "rb");
        if (f == NULL) {
            return 0;
        }
        char buf[65536];
        size_t n = 0;
        int content = 0;
        uint64_t lines = 0;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            for (size_t j = 0; j < n; j++) {
                if (buf[j] == '\n') {
                    lines += content;
                    content = 0;
                } else if (buf[j] != ' ' && buf[j] != '\t' && buf[j] != '\r') {
                    content = 1;
                }
            }
        }
        fclose(f);
        total += lines + (uint64_t)content;
    }
    return total;
}

/* Append the records of paths, streamed into one batch. */
/* What append says it did: the result line (or JSON) of one record or of many. */
static void
print_result(int json, int one, int one_present, uint64_t index, const char *id, uint64_t appended,
             uint64_t present, uint64_t size_before)
{
    if (json) {
        printf("{\"appended\":%llu,\"present\":%llu,\"first_index\":%llu}\n",
               (unsigned long long)appended, (unsigned long long)present,
               (unsigned long long)size_before);
    } else if (one) {
        printf("%s %llu %s\n", one_present ? "already present at index" : "appended at index",
               (unsigned long long)index, id);
    } else if (appended > 0) {
        printf("appended %llu record%s at index %llu..%llu", (unsigned long long)appended,
               appended == 1 ? "" : "s", (unsigned long long)size_before,
               (unsigned long long)(size_before + appended - 1));
        printf(present > 0 ? " (%llu already present)\n" : "\n", (unsigned long long)present);
    } else {
        printf("nothing appended: %llu record%s already present\n", (unsigned long long)present,
               present == 1 ? "" : "s");
    }
}

static int
append_streamed(pb_store *store, char *const *paths, size_t npaths, int json)
{
    struct feed fd;
    memset(&fd, 0, sizeof(fd));
    fd.store = store;
    fd.paths = paths;
    fd.npaths = npaths;
    fd.starts = calloc(npaths, sizeof(*fd.starts));
    if (fd.starts == NULL) {
        cli_die_env("out of memory");
    }
    fd.total = cli_progress_wanted() ? count_records(paths, npaths) : 0;
    uint64_t size_before = 0;
    pb_error err;
    pb_error_init(&err);
    if (pb_store_size(store, &size_before, &err) != PB_OK) {
        feed_fail(&fd, &err);
    }
    for (size_t i = 0; i < npaths; i++) {
        fd.starts[i] = fd.count;
        cli_stream_records(paths[i], PB_INPUT_BYTES_MAX, feed_record, feed_exit, &fd);
    }
    uint64_t appended = 0;
    uint64_t present = 0;
    uint64_t index = 0;
    int one_present = 0;
    char id[PB_ID_BYTES_MAX + 1] = "";
    int rc = PB_OK;
    if (fd.count == 1) {
        json_t *record = feed_first(&fd);
        rc = pb_store_append(store, record, &index, &one_present, &err);
        err.index = rc == PB_OK ? -1 : 0;
        appended = rc == PB_OK && !one_present;
        present = rc == PB_OK && one_present;
        snprintf(id, sizeof(id), "%s",
                 json_string_value(json_object_get(json_object_get(record, "entry"), "id")));
        json_decref(record);
    } else {
        pb_batch *batch = fd.batch;
        fd.batch = NULL;
        rc = pb_batch_commit(batch, &appended, &present, &err);
    }
    if (rc != PB_OK) {
        pb_store_close(store);
        feed_fail(&fd, &err);
    }
    feed_free(&fd);
    pb_store_close(store);
    print_result(json, fd.count == 1, one_present, index, id, appended, present, size_before);
    return 0;
}

int
cmd_append(int argc, char **argv)
{
    int json = 0;
    int dry_run = 0;
    const struct cli_option options[] = {
        {CLI_FLAG, 0, "json", NULL, &json, "print the result as JSON"},
        {CLI_FLAG, 0, "dry-run", NULL, &dry_run,
         "check everything, write nothing: show what would change"},
        {CLI_END},
    };
    int argi = cli_parse(argc, argv, append_usage, options);
    static char *stdin_only[] = {"-"};
    char **paths = argi < argc ? argv + argi : stdin_only;
    size_t npaths = argi < argc ? (size_t)(argc - argi) : 1;
    if (!dry_run && cli_remote() == NULL) {
        return append_streamed(cli_open_store(0), paths, npaths, json);
    }
    struct source *src = calloc(npaths, sizeof(*src));
    size_t total = 0;
    for (size_t i = 0; i < npaths; i++) {
        src[i].path = paths[i];
        cli_read_records(paths[i], PB_INPUT_BYTES_MAX, &src[i].recs);
        total += src[i].recs.count;
    }
    json_t **all = calloc(total + 1, sizeof(json_t *));
    if (src == NULL || all == NULL) {
        cli_die_env("out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < npaths; i++) {
        for (size_t j = 0; j < src[i].recs.count; j++) {
            all[n++] = src[i].recs.records[j];
        }
    }
    if (cli_remote() != NULL) {
        /* One POST /add-entry per record, in order; the first refusal stops. */
        pb_seckey *key = cli_remote_key();
        int code = 0;
        for (size_t i = 0; i < total && code == 0; i++) {
            code = cli_remote_append(all[i], key, json);
        }
        pb_seckey_free(key);
        free_sources(src, npaths, all);
        return code;
    }
    pb_store *store = cli_open_store(0);
    uint64_t size_before = 0;
    uint64_t appended = 0;
    uint64_t present = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_size(store, &size_before, &err);
    uint64_t index = 0;
    int one_present = 0;
    if (rc == PB_OK && dry_run) {
        rc = cli_dry_run(store, all, total, json, &err);
    } else if (rc == PB_OK && total == 1) {
        rc = pb_store_append(store, all[0], &index, &one_present, &err);
        err.index = rc == PB_OK ? -1 : 0;
        appended = rc == PB_OK && !one_present;
        present = rc == PB_OK && one_present;
    } else if (rc == PB_OK) {
        rc = pb_store_append_batch(store, all, total, &appended, &present, &err);
    }
    pb_store_close(store);
    if (rc != PB_OK) {
        /* Name the failing record by its file and line; free everything first
         * so that a refusal leaks nothing (the ASan build checks). */
        const char *path = NULL;
        int64_t line = 0;
        size_t pos = err.index >= 0 ? (size_t)err.index : total;
        for (size_t i = 0; i < npaths && path == NULL; i++) {
            if (pos < src[i].recs.count) {
                path = src[i].path;
                line = src[i].recs.lines[pos];
            }
            pos -= src[i].recs.count;
        }
        free_sources(src, npaths, all);
        if (path != NULL) {
            cli_fail_input(&err, path, line);
        }
        cli_fail(&err);
    }
    if (dry_run) {
        /* printed by cli_dry_run */
    } else {
        const char *id =
            total == 1 ? json_string_value(json_object_get(json_object_get(all[0], "entry"), "id"))
                       : NULL;
        print_result(json, total == 1, one_present, index, id, appended, present, size_before);
    }
    free_sources(src, npaths, all);
    return 0;
}
