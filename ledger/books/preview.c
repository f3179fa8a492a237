/*
 * preview.c — a dry run of an append (post, append, import --dry-run): every
 * check the append would make, in a write transaction the log then aborts
 * (pb_store_append_dry), and the figures of each pool the records name, as
 * they are and as they would be, line by line. Nothing is written. A batch
 * (import --dry-run) is previewed as it streams (pb_preview_new): only what
 * the records name (pools, reversals' targets) and those to list are kept.
 */
#include "books/books.h"

#include <stdlib.h>
#include <string.h>

/* What record names its pool by: the id in its entry's "pool" (a money or
 * pool entry's pool, an agreed pool's id) in *id_out, or, with no "pool",
 * the id of the entry a reversal targets in *target_out; NULL each if none.
 * Both borrowed from record. */
static void
preview_names(const json_t *record, const char **id_out, const char **target_out)
{
    const json_t *entry = json_object_get(record, "entry");
    const json_t *pool = json_object_get(entry, "pool");
    *id_out = json_is_string(pool) ? json_string_value(pool)
                                   : json_string_value(json_object_get(pool, "id"));
    *target_out = pool == NULL ? json_string_value(json_object_get(entry, "target")) : NULL;
}

/* The pool of entry target, if that entry is in the snapshot (a new
 * reference to its "pool", or NULL). */
static json_t *
preview_target_pool(const pb_snapshot *snap, const char *target)
{
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

/* Add pool id to pools unless it is there already (NULL: nothing), so each
 * is named once, in the order first named. */
static int
preview_add_pool(json_t *pools, const char *id, pb_error *err)
{
    int seen = id == NULL;
    for (size_t j = 0; !seen && j < json_array_size(pools); j++) {
        seen = strcmp(json_string_value(json_array_get(pools, j)), id) == 0;
    }
    return seen || json_array_append_new(pools, json_string(id)) == 0
               ? PB_OK
               : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* Note in pools the pool a record names (preview_names) or, for a reversal,
 * the pool of its target in snap. */
static int
preview_note_target(const pb_snapshot *snap, const char *id, const char *target, json_t *pools,
                    pb_error *err)
{
    json_t *pool = target != NULL ? preview_target_pool(snap, target) : NULL;
    if (pool != NULL) {
        id = json_is_string(pool) ? json_string_value(pool)
                                  : json_string_value(json_object_get(pool, "id"));
    }
    int rc = preview_add_pool(pools, id, err);
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
                const char *id = NULL, *target = NULL;
                preview_names(records[i], &id, &target);
                rc = preview_note_target(&snap, id, target, pools, err);
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
    size_t listed_max;
    json_t *listed; /* {"id", "type"} of the first listed_max records admitted */
    /* What the records name, each once, in order: a pool id (a string), or
     * {"target": id} for a reversal, whose pool is looked up at the end. */
    json_t *named;
    json_t *seen_pools, *seen_targets; /* id -> true: in named already */
    json_t *pools;                     /* as pb_append_preview names them */
    json_t *before, *after;
};

/* Note what a record names in named, unless seen already. */
static int
preview_name(pb_preview *p, const char *id, const char *target, pb_error *err)
{
    json_t *seen = id != NULL ? p->seen_pools : p->seen_targets;
    const char *key = id != NULL ? id : target;
    if (key == NULL || json_object_get(seen, key) != NULL) {
        return PB_OK;
    }
    json_t *item = id != NULL ? json_string(id) : json_pack("{s:s}", "target", target);
    return json_array_append_new(p->named, item) == 0 &&
                   json_object_set_new(seen, key, json_true()) == 0
               ? PB_OK
               : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

/* pb_batch_admitted_fn: what pb_append_preview takes from its array, one
 * record at a time, keeping only what the records name and those listed. */
static int
preview_admitted(const json_t *record, void *ctx, pb_error *err)
{
    pb_preview *p = ctx;
    const char *id = NULL, *target = NULL;
    preview_names(record, &id, &target);
    int rc = preview_name(p, id, target, err);
    if (rc == PB_OK && json_array_size(p->listed) < p->listed_max) {
        rc = preview_list(record, p->listed, err);
    }
    return rc;
}

/* pb_store_inspect: the pools named (a reversal's target looked up) and
 * their reports before and after. "Before" is a read snapshot opened here,
 * inside the batch's write transaction: it holds the writer lock, so no
 * commit can have come since it began, and the last committed state the
 * snapshot sees is the transaction's base. (Not opened while records are
 * admitted: LMDB allows a thread one reader, and an importer holds its own
 * snapshot while it feeds the batch; a reader beside the writer is fine,
 * as the writer takes no reader slot.) */
static int
preview_stream_inspect(const pb_state *state, void *ctx, pb_error *err)
{
    pb_preview *p = ctx;
    pb_snapshot snap;
    int rc = pb_snapshot_open(p->store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    for (size_t i = 0; rc == PB_OK && i < json_array_size(p->named); i++) {
        const json_t *item = json_array_get(p->named, i);
        rc = preview_note_target(&snap, json_string_value(item),
                                 json_string_value(json_object_get(item, "target")), p->pools, err);
    }
    pb_state base;
    pb_snapshot_state(&snap, &base);
    rc = rc == PB_OK ? preview_reports(&base, p->pools, p->before, err) : rc;
    pb_snapshot_close(&snap);
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
        p->named = json_array();
        p->seen_pools = json_object();
        p->seen_targets = json_object();
        p->pools = json_array();
        p->before = json_object();
        p->after = json_object();
    }
    if (p == NULL || p->listed == NULL || p->named == NULL || p->seen_pools == NULL ||
        p->seen_targets == NULL || p->pools == NULL || p->before == NULL || p->after == NULL) {
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
    json_decref(preview->listed);
    json_decref(preview->named);
    json_decref(preview->seen_pools);
    json_decref(preview->seen_targets);
    json_decref(preview->pools);
    json_decref(preview->before);
    json_decref(preview->after);
    free(preview);
}
