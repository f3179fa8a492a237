/*
 * state.c — derived state as canonical JSON values under string keys, in the
 * caller's LMDB transaction. Keys in use (docs/formats.md): "origin",
 * "partners", "partner:<ID>", "key:<KEYID>". Everything here can be rebuilt by replaying
 * the records, which is what verify does into a scratch database.
 *
 * A write transaction that admits many records (append, a batch, reindex, a
 * verify's replay) gives its pb_state a cache: each value is parsed and
 * checked once, kept as a json_t that admission changes in place, and written
 * back once, as canonical bytes, by pb_state_flush before the commit. The
 * cache is bounded (PB_STATE_CACHE_VALUES, least recently used out first), so
 * a batch of a million records holds the few values it reads repeatedly, not
 * one per record.
 */
#include "log/log.h"

#include <string.h>

/* Define as 0 to hand each get a deep copy instead of the cached value (to
 * measure the difference: docs/architecture.md). */
#ifndef PB_STATE_CACHE_SHARES
#define PB_STATE_CACHE_SHARES 1
#endif

struct state_slot {
    json_t *value; /* NULL: the slot is free */
    uint64_t used; /* the cache's clock at the last get or put: least is evicted */
    size_t key_len;
    int dirty; /* put since it was last written */
    char key[PB_STATE_CACHE_KEY_BYTES_MAX];
};

struct pb_state_cache {
    uint64_t clock;
    struct state_slot slots[PB_STATE_CACHE_VALUES];
};

int
pb_state_cache_new(pb_state_cache **cache_out, pb_error *err)
{
    PB_ASSERT(cache_out != NULL);
    *cache_out = calloc(1, sizeof(**cache_out));
    return *cache_out != NULL ? PB_OK : pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
}

void
pb_state_cache_clear(pb_state_cache *cache)
{
    if (cache == NULL) {
        return;
    }
    for (size_t i = 0; i < PB_STATE_CACHE_VALUES; i++) {
        json_decref(cache->slots[i].value);
        cache->slots[i].value = NULL;
        cache->slots[i].dirty = 0;
    }
}

void
pb_state_cache_free(pb_state_cache *cache)
{
    pb_state_cache_clear(cache);
    free(cache);
}

/* Write value under the key of len bytes as canonical JSON. */
static int
write_value(const pb_state *state, const char *key, size_t key_len, const json_t *value,
            pb_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_json_canonical(value, &buf, &len, err);
    if (rc != PB_OK) {
        return rc;
    }
    MDB_val k = {key_len, (void *)key};
    MDB_val v = {len, buf};
    int mrc = mdb_put(state->txn, state->dbi, &k, &v, 0);
    free(buf);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "writing derived state");
    }
    return PB_OK;
}

/* Parse the stored value under key, or PB_ENOTFOUND (err untouched). */
static int
read_value(const pb_state *state, const char *key, json_t **value_out, pb_error *err)
{
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v;
    int mrc = mdb_get(state->txn, state->dbi, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return PB_ENOTFOUND;
    }
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading derived state");
    }
    pb_error local;
    pb_error_init(&local);
    int rc = pb_json_parse_stored(v.mv_data, v.mv_size, value_out, &local);
    if (rc == PB_ENOMEM) {
        return pb_error_set(err, PB_ENOMEM, key, "out of memory reading derived state");
    }
    if (rc != PB_OK) {
        return pb_error_set(err, PB_ESTORE, key, "derived state is corrupt: %s", local.text);
    }
    return PB_OK;
}

/* The cached slot of key, or NULL. */
static struct state_slot *
slot_find(pb_state_cache *cache, const char *key, size_t key_len)
{
    for (size_t i = 0; i < PB_STATE_CACHE_VALUES; i++) {
        struct state_slot *s = &cache->slots[i];
        if (s->value != NULL && s->key_len == key_len && memcmp(s->key, key, key_len) == 0) {
            return s;
        }
    }
    return NULL;
}

/* A free slot for key, writing out and dropping the least recently used
 * value when every slot is taken. */
static int
slot_take(const pb_state *state, const char *key, size_t key_len, struct state_slot **slot_out,
          pb_error *err)
{
    pb_state_cache *cache = state->cache;
    struct state_slot *pick = &cache->slots[0];
    for (size_t i = 0; i < PB_STATE_CACHE_VALUES && pick->value != NULL; i++) {
        struct state_slot *s = &cache->slots[i];
        if (s->value == NULL || s->used < pick->used) {
            pick = s;
        }
    }
    if (pick->value != NULL && pick->dirty) {
        int rc = write_value(state, pick->key, pick->key_len, pick->value, err);
        if (rc != PB_OK) {
            return rc;
        }
    }
    json_decref(pick->value);
    PB_ASSERT(key_len < sizeof(pick->key));
    memcpy(pick->key, key, key_len);
    pick->key[key_len] = '\0';
    pick->key_len = key_len;
    pick->value = NULL;
    pick->dirty = 0;
    *slot_out = pick;
    return PB_OK;
}

int
pb_state_get(const pb_state *state, const char *key, json_t **value_out, pb_error *err)
{
    PB_ASSERT(state != NULL && key != NULL && value_out != NULL);
    size_t key_len = strlen(key);
    if (state->cache == NULL || key_len >= PB_STATE_CACHE_KEY_BYTES_MAX) {
        return read_value(state, key, value_out, err);
    }
    struct state_slot *slot = slot_find(state->cache, key, key_len);
    if (slot == NULL) {
        json_t *value = NULL;
        int rc = read_value(state, key, &value, err);
        if (rc == PB_OK) {
            rc = slot_take(state, key, key_len, &slot, err);
        }
        if (rc != PB_OK) {
            json_decref(value);
            return rc; /* PB_ENOTFOUND is not cached: a put follows it, or nothing */
        }
        slot->value = value;
    }
    slot->used = ++state->cache->clock;
    *value_out = PB_STATE_CACHE_SHARES ? json_incref(slot->value) : json_deep_copy(slot->value);
    if (*value_out == NULL) {
        return pb_error_set(err, PB_ENOMEM, key, "out of memory reading derived state");
    }
    return PB_OK;
}

int
pb_state_put(const pb_state *state, const char *key, const json_t *value, pb_error *err)
{
    PB_ASSERT(state != NULL && key != NULL && value != NULL);
    size_t key_len = strlen(key);
    if (state->cache == NULL || key_len >= PB_STATE_CACHE_KEY_BYTES_MAX) {
        return write_value(state, key, key_len, value, err);
    }
    /* A copy: the cached value shares nothing with the caller's, which may
     * hold parts of an entry or of another value. */
    json_t *copy = json_deep_copy(value);
    if (copy == NULL) {
        return pb_error_set(err, PB_ENOMEM, key, "out of memory writing derived state");
    }
    struct state_slot *slot = slot_find(state->cache, key, key_len);
    int rc = PB_OK;
    if (slot == NULL) {
        rc = slot_take(state, key, key_len, &slot, err);
    }
    if (rc != PB_OK) {
        json_decref(copy);
        return rc;
    }
    json_decref(slot->value);
    slot->value = copy;
    slot->dirty = 1;
    slot->used = ++state->cache->clock;
    return PB_OK;
}

int
pb_state_flush(const pb_state *state, pb_error *err)
{
    PB_ASSERT(state != NULL);
    int rc = PB_OK;
    for (size_t i = 0; state->cache != NULL && i < PB_STATE_CACHE_VALUES && rc == PB_OK; i++) {
        struct state_slot *s = &state->cache->slots[i];
        if (s->value != NULL && s->dirty) {
            rc = write_value(state, s->key, s->key_len, s->value, err);
            s->dirty = rc == PB_OK ? 0 : 1;
        }
    }
    return rc;
}

int
pb_state_each(const pb_state *state, const char *prefix, pb_state_visitor visit, void *ctx,
              pb_error *err)
{
    PB_ASSERT(state != NULL && prefix != NULL && visit != NULL);
    /* The table's bytes must show every value put so far. */
    int rc = pb_state_flush(state, err);
    if (rc != PB_OK) {
        return rc;
    }
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(state->txn, state->dbi, &cur);
    if (mrc != 0) {
        return pb_store_error(err, mrc, "reading derived state");
    }
    size_t plen = strlen(prefix);
    MDB_val k = {plen, (void *)prefix};
    MDB_val v;
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
