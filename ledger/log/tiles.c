/*
 * tiles.c — the only code that knows C2SP tlog-tiles (DESIGN 9): hash tiles
 * "tile/<L>/<N>[.p/<W>]" of up to 256 stored hashes of tree level 8L, entry
 * bundles "tile/entries/<N>[.p/<W>]" of up to 256 records, each prefixed by
 * its length as a big-endian uint16, and N written three digits at a time,
 * all groups but the last prefixed "x" (1234067 is x001/x234/067). A tile is
 * read from one snapshot; pb_tiles_write lays out the tree of the latest
 * checkpoint as static files, the checkpoint written last.
 */
#include "log/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TILE_HEIGHT 8
#define HASH_BYTES 32
/* Tree levels are 0..63, so tile levels are 0..7 (8 * 8 = 64). */
#define TILE_LEVEL_MAX 7
/* A path element of N is three digits; N < 2^64 has at most 7 groups. */
#define TILE_GROUPS_MAX 7
/* A file path under the output folder. */
#define PATH_MAX_BYTES 4096

_Static_assert(PB_TILE_WIDTH == 1 << TILE_HEIGHT, "a tile is 2^8 wide");

/* How many tiles of a level the tree of tree_size holds hashes for: the
 * stored hashes of tree level 8L (entries: the records). */
static uint64_t
level_count(int level, uint64_t tree_size)
{
    if (level == PB_TILE_ENTRIES) {
        return tree_size;
    }
    PB_ASSERT(level >= 0 && level <= TILE_LEVEL_MAX);
    return tree_size >> (TILE_HEIGHT * level);
}

int
pb_tile_path(const pb_tile *tile, char *buf, size_t size)
{
    PB_ASSERT(tile != NULL && buf != NULL && size >= PB_TILE_PATH_MAX);
    PB_ASSERT(tile->width >= 1 && tile->width <= PB_TILE_WIDTH);
    PB_ASSERT(tile->level >= PB_TILE_ENTRIES && tile->level <= TILE_LEVEL_MAX);
    unsigned groups[TILE_GROUPS_MAX];
    size_t count = 0;
    uint64_t n = tile->n;
    do {
        PB_ASSERT(count < TILE_GROUPS_MAX);
        groups[count++] = (unsigned)(n % 1000);
        n /= 1000;
    } while (n > 0);
    int used = tile->level == PB_TILE_ENTRIES ? snprintf(buf, size, "tile/entries")
                                              : snprintf(buf, size, "tile/%d", tile->level);
    for (size_t i = count; i > 0; i--) {
        used +=
            snprintf(buf + used, size - (size_t)used, "/%s%03u", i > 1 ? "x" : "", groups[i - 1]);
    }
    if (tile->width < PB_TILE_WIDTH) {
        used += snprintf(buf + used, size - (size_t)used, ".p/%u", tile->width);
    }
    PB_ASSERT(used > 0 && (size_t)used < size);
    return PB_OK;
}

/* Read a decimal of 1..digits_max digits at *p, advancing it. */
static int
read_decimal(const char **p, size_t digits_max, uint64_t *out)
{
    uint64_t v = 0;
    size_t digits = 0;
    while (**p >= '0' && **p <= '9' && digits < digits_max) {
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
        digits++;
    }
    *out = v;
    return digits > 0 ? PB_OK : PB_ENOTFOUND;
}

/* Parse without judging the spelling; pb_tile_parse compares the canonical
 * form, so "x000/001" or "tile/00/001" are refused there. */
static int
parse_loose(const char *path, pb_tile *out)
{
    const char *p = path;
    uint64_t v = 0;
    if (strncmp(p, "tile/", 5) != 0) {
        return PB_ENOTFOUND;
    }
    p += 5;
    if (strncmp(p, "entries/", 8) == 0) {
        out->level = PB_TILE_ENTRIES;
        p += 8;
    } else if (read_decimal(&p, 2, &v) == PB_OK && *p == '/' && v <= TILE_LEVEL_MAX) {
        out->level = (int)v;
        p++;
    } else {
        return PB_ENOTFOUND;
    }
    out->n = 0;
    for (size_t group = 0;; group++) {
        int more = *p == 'x';
        p += more;
        const char *start = p;
        if (group == TILE_GROUPS_MAX || read_decimal(&p, 3, &v) != PB_OK || p - start != 3) {
            return PB_ENOTFOUND;
        }
        if (out->n > (UINT64_MAX - v) / 1000) {
            return PB_ENOTFOUND;
        }
        out->n = out->n * 1000 + v;
        if (!more) {
            break;
        }
        if (*p++ != '/') {
            return PB_ENOTFOUND;
        }
    }
    out->width = PB_TILE_WIDTH;
    if (strncmp(p, ".p/", 3) == 0) {
        p += 3;
        if (read_decimal(&p, 3, &v) != PB_OK || v == 0 || v >= PB_TILE_WIDTH) {
            return PB_ENOTFOUND;
        }
        out->width = (unsigned)v;
    }
    return *p == '\0' ? PB_OK : PB_ENOTFOUND;
}

int
pb_tile_parse(const char *path, pb_tile *out, pb_error *err)
{
    PB_ASSERT(path != NULL && out != NULL);
    char quoted[80];
    pb_tile tile;
    char again[PB_TILE_PATH_MAX];
    int rc = strlen(path) < PB_TILE_PATH_MAX ? parse_loose(path, &tile) : PB_ENOTFOUND;
    if (rc == PB_OK) {
        pb_tile_path(&tile, again, sizeof(again));
        rc = strcmp(again, path) == 0 ? PB_OK : PB_ENOTFOUND;
    }
    if (rc != PB_OK) {
        pb_quote(path, 60, quoted, sizeof(quoted));
        return pb_error_set(err, PB_ENOTFOUND, path,
                            "\"%s\" is not a tile path (tile/<L>/<N>[.p/<W>] or "
                            "tile/entries/<N>[.p/<W>], N in groups of three digits)",
                            quoted);
    }
    *out = tile;
    return PB_OK;
}

/* The bytes of a hash tile: width hashes of tree level 8L (for level 0 in a
 * poolbook-ledger-v3 file, each computed from its record by the store). */
static int
hash_tile(const pb_snapshot *snap, const pb_tile *tile, uint8_t *buf, pb_error *err)
{
    int rc = PB_OK;
    uint64_t first = tile->n * PB_TILE_WIDTH;
    for (unsigned i = 0; rc == PB_OK && i < tile->width; i++) {
        rc = pb_snapshot_hash((void *)snap, (uint32_t)(TILE_HEIGHT * tile->level), first + i,
                              buf + (size_t)i * HASH_BYTES, err);
    }
    return rc;
}

/* The bytes of an entry bundle into a new buffer: each record's length as a
 * big-endian uint16, then the record. */
static int
entry_bundle(const pb_snapshot *snap, const pb_tile *tile, uint8_t **buf_out, size_t *len_out,
             pb_error *err)
{
    size_t cap = (size_t)tile->width * (2 + PB_RECORD_BYTES_MAX);
    uint8_t *buf = malloc(cap);
    size_t used = 0;
    int rc = buf == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory") : PB_OK;
    uint64_t first = tile->n * PB_TILE_WIDTH;
    for (unsigned i = 0; rc == PB_OK && i < tile->width; i++) {
        const char *record = NULL;
        size_t len = 0;
        rc = pb_snapshot_record(snap, first + i, &record, &len, err);
        if (rc == PB_OK && len > PB_RECORD_BYTES_MAX) {
            rc = pb_error_set(err, PB_ETOOBIG, NULL,
                              "record %llu is %zu bytes: over the %d a tile entry can hold",
                              (unsigned long long)(first + i), len, PB_RECORD_BYTES_MAX);
        }
        if (rc == PB_OK) {
            buf[used] = (uint8_t)(len >> 8);
            buf[used + 1] = (uint8_t)(len & 0xff);
            memcpy(buf + used + 2, record, len);
            used += 2 + len;
        }
    }
    if (rc != PB_OK) {
        free(buf);
        return rc;
    }
    *buf_out = buf;
    *len_out = used;
    return PB_OK;
}

int
pb_snapshot_tile(const pb_snapshot *snap, uint64_t tree_size, const pb_tile *tile,
                 uint8_t **buf_out, size_t *len_out, pb_error *err)
{
    PB_ASSERT(snap != NULL && tile != NULL && buf_out != NULL && len_out != NULL);
    PB_ASSERT(tile->width >= 1 && tile->width <= PB_TILE_WIDTH);
    char path[PB_TILE_PATH_MAX];
    pb_tile_path(tile, path, sizeof(path));
    uint64_t have = level_count(tile->level, tree_size <= snap->size ? tree_size : snap->size);
    if (tile->n >= have / PB_TILE_WIDTH + 1 || tile->n * PB_TILE_WIDTH + tile->width > have) {
        return pb_error_set(err, PB_ENOTFOUND, path, "%s is not in the tree of size %llu", path,
                            (unsigned long long)tree_size);
    }
    if (tile->level == PB_TILE_ENTRIES) {
        return entry_bundle(snap, tile, buf_out, len_out, err);
    }
    uint8_t *buf = malloc((size_t)tile->width * HASH_BYTES);
    if (buf == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int rc = hash_tile(snap, tile, buf, err);
    if (rc != PB_OK) {
        free(buf);
        return rc;
    }
    *buf_out = buf;
    *len_out = (size_t)tile->width * HASH_BYTES;
    return PB_OK;
}

int
pb_tile_read(pb_store *store, const pb_tile *tile, uint8_t **buf_out, size_t *len_out,
             pb_error *err)
{
    PB_ASSERT(store != NULL);
    pb_snapshot snap;
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc == PB_OK) {
        rc = pb_snapshot_tile(&snap, snap.size, tile, buf_out, len_out, err);
        pb_snapshot_close(&snap);
    }
    return rc;
}

/* ---- static files ------------------------------------------------------- */

/* Create every missing folder on the way to the file at path (not the file). */
static int
make_parents(const char *path, pb_error *err)
{
    char buf[PATH_MAX_BYTES];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            return pb_error_set(err, PB_EIO, buf, "cannot create folder %s: %s", buf, strerror(e));
        }
        *p = '/';
    }
    return PB_OK;
}

/* Write len bytes to path whole or not at all (pb_file_write: a temporary
 * file of its own, never a fixed name), so a reader of the folder sees the
 * whole file or none of it. */
static int
write_atomic(const char *path, const uint8_t *buf, size_t len, pb_error *err)
{
    int rc = make_parents(path, err);
    return rc == PB_OK ? pb_file_write_bytes(path, NULL, buf, len, err) : rc;
}

/* Whether path holds exactly len bytes equal to buf: 1 same, 0 absent,
 * PB_EIO when it holds something else (a folder of another ledger). */
static int
same_file(const char *path, const uint8_t *buf, size_t len, int *same_out, pb_error *err)
{
    *same_out = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return errno == ENOENT
                   ? PB_OK
                   : pb_error_set(err, PB_EIO, path, "cannot read %s: %s", path, strerror(errno));
    }
    uint8_t *have = malloc(len + 1);
    size_t got = have != NULL ? fread(have, 1, len + 1, f) : 0;
    int same = have != NULL && got == len && memcmp(have, buf, len) == 0;
    free(have);
    fclose(f);
    if (!same) {
        return pb_error_set(err, PB_EIO, path,
                            "%s differs from the ledger's tile: a full tile never changes, so "
                            "this folder holds another log",
                            path);
    }
    *same_out = 1;
    return PB_OK;
}

/* Write one tile under dir; a full tile already there is checked, not
 * rewritten (full tiles are immutable). */
static int
write_tile(const pb_snapshot *snap, uint64_t tree_size, const char *dir, const pb_tile *tile,
           pb_tiles_report *report, pb_error *err)
{
    char rel[PB_TILE_PATH_MAX];
    char path[PATH_MAX_BYTES];
    pb_tile_path(tile, rel, sizeof(rel));
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    uint8_t *buf = NULL;
    size_t len = 0;
    int same = 0;
    int rc = pb_snapshot_tile(snap, tree_size, tile, &buf, &len, err);
    if (rc == PB_OK && tile->width == PB_TILE_WIDTH) {
        rc = same_file(path, buf, len, &same, err);
    }
    if (rc == PB_OK && !same) {
        rc = write_atomic(path, buf, len, err);
    }
    if (rc == PB_OK) {
        if (same) {
            report->tiles_kept++;
        } else {
            report->tiles_written++;
        }
    }
    free(buf);
    return rc;
}

/* Every tile of one level (entries: PB_TILE_ENTRIES) of the tree of tree_size. */
static int
write_level(const pb_snapshot *snap, uint64_t tree_size, const char *dir, int level,
            pb_tiles_report *report, pb_error *err)
{
    uint64_t count = level_count(level, tree_size);
    int rc = PB_OK;
    for (uint64_t n = 0; rc == PB_OK && n * PB_TILE_WIDTH < count; n++) {
        uint64_t left = count - n * PB_TILE_WIDTH;
        pb_tile tile = {level, n, left >= PB_TILE_WIDTH ? PB_TILE_WIDTH : (unsigned)left};
        rc = write_tile(snap, tree_size, dir, &tile, report, err);
    }
    return rc;
}

int
pb_tiles_write(pb_store *store, const char *dir, pb_tiles_report *report_out, pb_error *err)
{
    PB_ASSERT(store != NULL && dir != NULL && report_out != NULL);
    memset(report_out, 0, sizeof(*report_out));
    if (strlen(dir) + PB_TILE_PATH_MAX + 32 > PATH_MAX_BYTES) {
        return pb_error_set(err, PB_EUSAGE, dir, "the folder name is too long");
    }
    pb_snapshot snap;
    char *note_text = NULL;
    pb_note note;
    memset(&note, 0, sizeof(note));
    int rc = pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        return rc;
    }
    rc = pb_checkpoint_assemble(&snap, 0, &note_text, err);
    if (rc == PB_ENOTFOUND && err != NULL) {
        pb_error_init(err); /* say what to do, not only what is missing */
        rc = pb_error_set(err, PB_ENOTFOUND, NULL,
                          "the ledger has no checkpoint: tiles are published for a signed one "
                          "(poolbook checkpoint -k OPERATOR.key)");
    }
    if (rc == PB_OK) {
        rc = pb_note_parse(note_text, &note, err);
    }
    /* Entries and hash tiles first, the checkpoint last: a reader that finds
     * the checkpoint finds every tile it names. */
    for (int level = PB_TILE_ENTRIES;
         rc == PB_OK && level <= TILE_LEVEL_MAX && level_count(level, note.tree_size) > 0;
         level++) {
        rc = write_level(&snap, note.tree_size, dir, level, report_out, err);
    }
    if (rc == PB_OK) {
        char path[PATH_MAX_BYTES];
        snprintf(path, sizeof(path), "%s/checkpoint", dir);
        rc = write_atomic(path, (const uint8_t *)note_text, strlen(note_text), err);
        report_out->tree_size = note.tree_size;
    }
    pb_note_free(&note);
    free(note_text);
    pb_snapshot_close(&snap);
    return rc;
}
