/*
 * state.c — derived state as canonical JSON values under string keys, in the
 * caller's LMDB transaction. Keys in use (docs/formats.md): "origin",
 * "partners", "partner:<ID>", "key:<KEYID>". Everything here can be rebuilt by replaying
 * the records, which is what verify does into a scratch database.
 */
#include "log/log.h"

#include <string.h>

int
pb_state_get(const pb_state *state, const char *key, json_t **value_out, pb_error *err)
{
    PB_ASSERT(state != NULL && key != NULL && value_out != NULL);
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v;
    int mrc = mdb_get(state->txn, state->dbi, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_ENOTFOUND;
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading derived state");
    }
    json_t *value = NULL;
    pb_error local;
    pb_error_init(&local);
    int rc = pb_json_parse_stored(v.mv_data, v.mv_size, &value, &local);
    if (rc == PB_ENOMEM) {
        return pb_error_set(err, PB_ENOMEM, key, "out of memory reading derived state");
    }
    if (rc != PB_OK) {
        return pb_error_set(err, PB_ESTORE, key, "derived state is corrupt: %s", local.text);
    }
    *value_out = value;
    return PB_OK;
}

int
pb_state_put(const pb_state *state, const char *key, const json_t *value, pb_error *err)
{
    PB_ASSERT(state != NULL && key != NULL && value != NULL);
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(value, &buf, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v = {len, buf};
    int mrc = mdb_put(state->txn, state->dbi, &k, &v, 0);
    free(buf);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "writing derived state");
    }
    return PB_OK;
}

int
pb_state_each(const pb_state *state, const char *prefix, pb_state_visitor visit, void *ctx,
              pb_error *err)
{
    PB_ASSERT(state != NULL && prefix != NULL && visit != NULL);
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(state->txn, state->dbi, &cur);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading derived state");
    }
    size_t plen = strlen(prefix);
    MDB_val k = {plen, (void *)prefix};
    MDB_val v;
    int rc = PB_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && rc == PB_OK;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0) {
            break;
        }
        rc = visit(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size, err);
    }
    mdb_cursor_close(cur);
    if (rc == PB_OK && mrc != 0 && mrc != MDB_NOTFOUND) {
        rc = pb_store_error(err, mrc, "reading derived state");
    }
    return rc;
}
