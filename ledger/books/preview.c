/*
 * preview.c — a dry run of an append (post, append, import --dry-run): every
 * check the append would make, in a write transaction the log then aborts
 * (pb_store_append_dry), and the figures of each pool the records name, as
 * they are and as they would be, line by line. Nothing is written. A batch
 * (import --dry-run) is previewed as it streams (pb_preview_new): only the
 * pools and the records to list are kept, not the records.
 */
#include "books/books.h"

#include <stdlib.h>
#include <string.h>

/* The pool of the entry a reversal targets, if that entry is in the
 * snapshot (a new reference to its id, or NULL). */
static json_t *
preview_target_pool(const pb_snapshot *snap, const json_t *entry)
{
    const char *target = json_string_value(json_object_get(entry, "target"));
    uint64_t index = 0;
    const char *bytes = NULL;
    size_t len = 0;
    json_t *record = NULL, *pool = NULL;
    if (target != NULL && pb_snapshot_find(snap, target, &index, NULL) == PB_OK &&
        pb_snapshot_record(snap, index, &bytes, &len, NULL) == PB_OK &&
        pb_json_parse_stored(bytes, len, &record, NULL) == PB_OK) {
        pool = json_incref(json_object_get(json_object_get(record, "entry"), "pool"));
    }
    json_decref(record);
    return pool;
}

/* Note the pool record names ("pool" of a money or pool entry, the id of an
 * agreed pool, the pool of a reversal's target in snap) in pools, unless it
 * is there already: each once, in the order first named. */
static int
preview_note_pool(const pb_snapshot *snap, const json_t *record, json_t *pools, pb_error *err)
{
    const json_t *entry = json_object_get(record, "entry");
    json_t *pool = json_incref(json_object_get(entry, "pool"));
    if (pool == NULL) {
        pool = preview_target_pool(snap, entry);
    }
    const char *id = json_is_string(pool) ? json_string_value(pool)
                                          : json_string_value(json_object_get(pool, "id"));
    int seen = id == NULL;
    for (size_t j = 0; !seen && j < json_array_size(pools); j++) {
        seen = strcmp(json_string_value(json_array_get(pools, j)), id) == 0;
    }
    int rc = seen || json_array_append_new(pools, json_string(id)) == 0
                 ? PB_OK
                 : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    json_decref(pool);
    return rc;
}

/* Add {"id", "type"} of record to listed. */
static int
preview_list(const json_t *record, json_t *listed, pb_error *err)
{
    const json_t *entry = json_object_get(record, "entry");
    json_t *row = json_pack("{s:O,s:O}", "id", json_object_get(entry, "id"), "type",
                            json_object_get(entry, "type"));
    return json_array_append_new(listed, row) == 0
               ? PB_OK
               : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* Each pool's whole-year report on state, into reports[pool] (JSON null for
 * a pool not agreed yet). */
static int
preview_reports(const pb_state *state, const json_t *pools, json_t *reports, pb_error *err)
{
    int rc = PB_OK;
    for (size_t i = 0; rc == PB_OK && i < json_array_size(pools); i++) {
        const char *id = json_string_value(json_array_get(pools, i));
        json_t *report = NULL;
        pb_error local;
        pb_error_init(&local);
        rc = pb_pool_report_state(state, id, NULL, 0, &report, &local);
        if (rc == PB_EPOOL) {
            rc = PB_OK; /* not agreed (yet): every figure is nothing */
            report = json_null();
        }
        if (rc != PB_OK) {
            pb_error_set(err, rc, local.where, "%s", local.text);
        } else {
            json_object_set_new(reports, id, report);
        }
    }
    return rc;
}

struct preview_ctx {
    const json_t *pools;
    json_t *after; /* pool id -> report as it would be */
};

static int
preview_inspect(const pb_state *state, void *ctx, pb_error *err)
{
    struct preview_ctx *p = ctx;
    return preview_reports(state, p->pools, p->after, err);
}

/* The row of array (of report) with that id, or NULL. */
static const json_t *
report_row(const json_t *report, const char *array, const char *id)
{
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(report, array), i, row)
    {
        const char *rid = json_string_value(json_object_get(row, "id"));
        if (rid != NULL && strcmp(rid, id) == 0) {
            return row;
        }
    }
    return NULL;
}

/* Append {"line", "before", "after", "change"} to changes if the amount
 * field of before_row and after_row (NULL: nothing) differ. */
static int
preview_change(json_t *changes, const char *line, const json_t *before_row, const json_t *after_row,
               const char *field, pb_error *err)
{
    const json_t *b = json_object_get(before_row, field);
    const json_t *a = json_object_get(after_row, field);
    int64_t before = b != NULL ? pb_money_of_json(b) : 0;
    int64_t after = a != NULL ? pb_money_of_json(a) : 0;
    int64_t change = 0;
    int rc = pb_money_sub(after, before, &change, err);
    if (rc == PB_OK && change != 0) {
        json_array_append_new(
            changes, json_pack("{s:s,s:o,s:o,s:o}", "line", line, "before", pb_money_json(before),
                               "after", pb_money_json(after), "change", pb_money_json(change)));
    }
    return rc;
}

/* The lines of one pool's figures that the records change: each scheme's
 * budget, actual, forecast and variance, each stream's planned and received,
 * then the totals, in the report's order. */
static int
preview_pool_changes(const json_t *before, const json_t *after, json_t *changes, pb_error *err)
{
    static const char *const scheme_fields[] = {"budget", "actual", "forecast", "variance", NULL};
    static const char *const stream_fields[] = {"planned", "received", NULL};
    static const char *const total_fields[] = {"budget",  "actual",   "forecast", "variance",
                                               "planned", "received", NULL};
    static const struct {
        const char *array, *label;
        const char *const *fields;
    } parts[] = {{"schemes", "scheme", scheme_fields}, {"streams", "stream", stream_fields}};
    int rc = PB_OK;
    char line[PB_ID_BYTES_MAX + 48];
    for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
        size_t i;
        const json_t *row;
        json_array_foreach(json_object_get(after, parts[k].array), i, row)
        {
            const char *id = json_string_value(json_object_get(row, "id"));
            const json_t *was = report_row(before, parts[k].array, id);
            for (size_t f = 0; rc == PB_OK && parts[k].fields[f] != NULL; f++) {
                snprintf(line, sizeof(line), "%s %s %s", parts[k].label, id, parts[k].fields[f]);
                rc = preview_change(changes, line, was, row, parts[k].fields[f], err);
            }
        }
    }
    const json_t *tb = json_object_get(before, "totals"), *ta = json_object_get(after, "totals");
    for (size_t f = 0; rc == PB_OK && total_fields[f] != NULL; f++) {
        snprintf(line, sizeof(line), "total %s", total_fields[f]);
        rc = preview_change(changes, line, tb, ta, total_fields[f], err);
    }
    return rc;
}

/* The preview object of pb_append_preview, from the records listed (taken)
 * and the reports before and after. */
static json_t *
preview_object(json_t *listed, uint64_t first, uint64_t appended, uint64_t present,
               const json_t *pools, const json_t *before, const json_t *after, pb_error *err)
{
    json_t *out =
        json_pack("{s:I,s:I,s:I,s:o,s:[]}", "first_index", (json_int_t)first, "appended",
                  (json_int_t)appended, "present", (json_int_t)present, "records", listed, "pools");
    int rc = out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; rc == PB_OK && i < json_array_size(pools); i++) {
        const char *id = json_string_value(json_array_get(pools, i));
        const json_t *a = json_object_get(after, id);
        json_t *changes = json_array();
        rc = changes != NULL ? preview_pool_changes(json_object_get(before, id), a, changes, err)
                             : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
        json_array_append_new(json_object_get(out, "pools"),
                              json_pack("{s:s,s:O,s:o}", "pool", id, "period",
                                        json_object_get(a, "period"), "changes", changes));
    }
    if (rc != PB_OK) {
        json_decref(out);
        out = NULL;
    }
    return out;
}

int
pb_append_preview(pb_store *store, json_t *const *records, size_t count, json_t **preview_out,
                  pb_error *err)
{
    PB_ASSERT(store != NULL && preview_out != NULL);
    *preview_out = NULL;
    json_t *pools = NULL;
    json_t *before = json_object(), *after = json_object();
    int rc = before != NULL && after != NULL ? PB_OK
                                             : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    pb_snapshot snap;
    if (rc == PB_OK) {
        rc = pb_snapshot_open(store, &snap, err);
        if (rc == PB_OK) {
            pb_state state;
            pb_snapshot_state(&snap, &state);
            pools = json_array();
            rc = pools != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
            for (size_t i = 0; rc == PB_OK && i < count; i++) {
                rc = preview_note_pool(&snap, records[i], pools, err);
            }
            rc = rc == PB_OK ? preview_reports(&state, pools, before, err) : rc;
            pb_snapshot_close(&snap);
        }
    }
    struct preview_ctx ctx = {pools, after};
    uint64_t first = 0, appended = 0, present = 0;
    if (rc == PB_OK) {
        rc = pb_store_append_dry(store, records, count, preview_inspect, &ctx, &first, &appended,
                                 &present, err);
    }
    json_t *listed = rc == PB_OK ? json_array() : NULL;
    rc = rc == PB_OK && listed == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : rc;
    for (size_t i = 0; rc == PB_OK && i < count; i++) {
        rc = preview_list(records[i], listed, err);
    }
    if (rc == PB_OK) {
        *preview_out = preview_object(listed, first, appended, present, pools, before, after, err);
        listed = NULL; /* taken */
        rc = *preview_out != NULL ? PB_OK : (err != NULL ? err->code : PB_ENOMEM);
    }
    json_decref(listed);
    json_decref(pools);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* ---- the streamed dry run of a batch (import --dry-run) ------------------ */

struct pb_preview {
    pb_store *store;
    pb_snapshot snap; /* the batch's base state: opened once its writer holds the lock */
    int snap_open;
    size_t listed_max;
    json_t *listed; /* {"id", "type"} of the first listed_max records admitted */
    json_t *pools;  /* as pb_append_preview names them, in the order first named */
    json_t *before, *after;
};

/* Open the read snapshot of what the batch's transaction began from. Called
 * only from inside that transaction (the admit hook, the inspection): it
 * holds the writer lock, so no commit can come between, and the last
 * committed state the snapshot sees is the transaction's base. A read
 * transaction beside the write one on the same thread is safe in LMDB: the
 * writer takes no reader slot, and this thread holds no other reader (the
 * snapshot is the only one, closed in pb_preview_finish). */
static int
preview_base(pb_preview *p, pb_error *err)
{
    if (p->snap_open) {
        return PB_OK;
    }
    int rc = pb_snapshot_open(p->store, &p->snap, err);
    p->snap_open = rc == PB_OK;
    return rc;
}

/* pb_batch_admitted_fn: what pb_append_preview takes from its array, one
 * record at a time, keeping only the pools and the records listed. */
static int
preview_admitted(const json_t *record, void *ctx, pb_error *err)
{
    pb_preview *p = ctx;
    int rc = preview_base(p, err);
    rc = rc == PB_OK ? preview_note_pool(&p->snap, record, p->pools, err) : rc;
    if (rc == PB_OK && json_array_size(p->listed) < p->listed_max) {
        rc = preview_list(record, p->listed, err);
    }
    return rc;
}

/* pb_store_inspect: the reports before (the base snapshot) and after. */
static int
preview_stream_inspect(const pb_state *state, void *ctx, pb_error *err)
{
    pb_preview *p = ctx;
    int rc = preview_base(p, err);
    if (rc == PB_OK) {
        pb_state base;
        pb_snapshot_state(&p->snap, &base);
        rc = preview_reports(&base, p->pools, p->before, err);
    }
    return rc == PB_OK ? preview_reports(state, p->pools, p->after, err) : rc;
}

int
pb_preview_new(pb_store *store, pb_batch *batch, size_t listed_max, pb_preview **preview_out,
               pb_error *err)
{
    PB_ASSERT(store != NULL && batch != NULL && preview_out != NULL);
    pb_preview *p = calloc(1, sizeof(*p));
    if (p != NULL) {
        p->store = store;
        p->listed_max = listed_max;
        p->listed = json_array();
        p->pools = json_array();
        p->before = json_object();
        p->after = json_object();
    }
    if (p == NULL || p->listed == NULL || p->pools == NULL || p->before == NULL ||
        p->after == NULL) {
        pb_preview_free(p);
        *preview_out = NULL;
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    pb_batch_on_admit(batch, preview_admitted, p);
    *preview_out = p;
    return PB_OK;
}

int
pb_preview_finish(pb_preview *preview, pb_batch *batch, json_t **preview_out, pb_error *err)
{
    PB_ASSERT(preview != NULL && batch != NULL && preview_out != NULL);
    *preview_out = NULL;
    uint64_t first = 0, appended = 0, present = 0;
    int rc = pb_batch_commit_dry(batch, preview_stream_inspect, preview, &first, &appended,
                                 &present, err);
    if (preview->snap_open) {
        pb_snapshot_close(&preview->snap);
        preview->snap_open = 0;
    }
    if (rc == PB_OK) {
        *preview_out = preview_object(preview->listed, first, appended, present, preview->pools,
                                      preview->before, preview->after, err);
        preview->listed = NULL; /* taken */
        rc = *preview_out != NULL ? PB_OK : (err != NULL ? err->code : PB_ENOMEM);
    }
    return rc;
}

void
pb_preview_free(pb_preview *preview)
{
    if (preview == NULL) {
        return;
    }
    if (preview->snap_open) {
        pb_snapshot_close(&preview->snap);
    }
    json_decref(preview->listed);
    json_decref(preview->pools);
    json_decref(preview->before);
    json_decref(preview->after);
    free(preview);
}
