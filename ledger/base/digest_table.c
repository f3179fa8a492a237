/*
 * digest_table.c — a set of 32-byte digests, each with a small fixed-size
 * value, in memory proportional to the count and nothing per entry beyond it:
 * the entries sit one after another in one array (digest then value), and an
 * open-addressed index of 32-bit entry numbers finds them (linear probing,
 * at most half full). For the import's per-row tables (import.c), where a
 * jansson object cost some hundreds of bytes a row. The whole digest is the
 * key: two digests that share their first bytes stay two entries.
 */
#include "base/base.h"

#include <string.h>

/* Index slots: 0 is empty, else the entry number + 1. */
#define DIGEST_TABLE_SLOTS_MIN 64
#define DIGEST_TABLE_ENTRIES_MAX ((size_t)UINT32_MAX - 1)

void
pb_digest_table_init(pb_digest_table *t, size_t value_bytes)
{
    PB_ASSERT(t != NULL && value_bytes <= PB_DIGEST_TABLE_VALUE_BYTES_MAX);
    memset(t, 0, sizeof(*t));
    t->value_bytes = value_bytes;
    t->entry_bytes = PB_DIGEST_BYTES + value_bytes;
}

void
pb_digest_table_free(pb_digest_table *t)
{
    if (t == NULL) {
        return;
    }
    free(t->entries);
    free(t->slots);
    pb_digest_table_init(t, t->value_bytes);
}

/* The first slot to probe for digest: its first 8 bytes, already uniform. */
static size_t
slot_of(const pb_digest_table *t, const uint8_t *digest)
{
    uint64_t h = 0;
    memcpy(&h, digest, sizeof(h));
    return (size_t)(h & (t->slot_count - 1));
}

static uint8_t *
entry_at(const pb_digest_table *t, size_t n)
{
    return t->entries + n * t->entry_bytes;
}

/* The slot holding digest, or the empty slot where it would go. */
static size_t
probe(const pb_digest_table *t, const uint8_t *digest)
{
    size_t mask = t->slot_count - 1;
    size_t s = slot_of(t, digest);
    /* Bounded: the index is at most half full, so an empty slot comes. */
    for (size_t i = 0; i < t->slot_count; i++, s = (s + 1) & mask) {
        uint32_t e = t->slots[s];
        if (e == 0 || memcmp(entry_at(t, e - 1), digest, PB_DIGEST_BYTES) == 0) {
            return s;
        }
    }
    PB_ASSERT(!"a digest table's index is never full");
    return 0;
}

void *
pb_digest_table_find(const pb_digest_table *t, const uint8_t *digest)
{
    PB_ASSERT(t != NULL && digest != NULL);
    if (t->count == 0) {
        return NULL;
    }
    uint32_t e = t->slots[probe(t, digest)];
    return e == 0 ? NULL : entry_at(t, e - 1) + PB_DIGEST_BYTES;
}

/* Double the index (or make the first) and put every entry back. */
static int
grow_slots(pb_digest_table *t)
{
    size_t count = t->slot_count == 0 ? DIGEST_TABLE_SLOTS_MIN : t->slot_count * 2;
    if (count > SIZE_MAX / sizeof(uint32_t)) {
        return PB_ENOMEM;
    }
    uint32_t *slots = calloc(count, sizeof(uint32_t));
    if (slots == NULL) {
        return PB_ENOMEM;
    }
    free(t->slots);
    t->slots = slots;
    t->slot_count = count;
    for (size_t n = 0; n < t->count; n++) {
        t->slots[probe(t, entry_at(t, n))] = (uint32_t)(n + 1);
    }
    return PB_OK;
}

static int
grow_entries(pb_digest_table *t)
{
    size_t cap = t->entry_cap == 0 ? DIGEST_TABLE_SLOTS_MIN / 2 : t->entry_cap * 2;
    if (cap > DIGEST_TABLE_ENTRIES_MAX) {
        cap = DIGEST_TABLE_ENTRIES_MAX;
    }
    if (cap <= t->entry_cap || cap > SIZE_MAX / t->entry_bytes) {
        return PB_ENOMEM;
    }
    uint8_t *entries = realloc(t->entries, cap * t->entry_bytes);
    if (entries == NULL) {
        return PB_ENOMEM;
    }
    t->entries = entries;
    t->entry_cap = cap;
    return PB_OK;
}

int
pb_digest_table_get(pb_digest_table *t, const uint8_t *digest, void **value_out, int *added_out)
{
    PB_ASSERT(t != NULL && digest != NULL && value_out != NULL && added_out != NULL);
    *value_out = NULL;
    *added_out = 0;
    void *found = pb_digest_table_find(t, digest);
    if (found != NULL) {
        *value_out = found;
        return PB_OK;
    }
    /* At most half full after the add: probes stay short and always end. */
    if ((t->count + 1) * 2 > t->slot_count && grow_slots(t) != PB_OK) {
        return PB_ENOMEM;
    }
    if (t->count == t->entry_cap && grow_entries(t) != PB_OK) {
        return PB_ENOMEM;
    }
    uint8_t *entry = entry_at(t, t->count);
    memcpy(entry, digest, PB_DIGEST_BYTES);
    memset(entry + PB_DIGEST_BYTES, 0, t->value_bytes);
    t->slots[probe(t, digest)] = (uint32_t)(t->count + 1);
    t->count++;
    *value_out = entry + PB_DIGEST_BYTES;
    *added_out = 1;
    return PB_OK;
}
