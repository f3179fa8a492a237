/*
 * fuzz_witness.c — tlog-witness add-checkpoint bodies (ledger/log/witness.c,
 * served by server/witness_http.c) and cosignature lines and verifier keys
 * (ledger/log/checkpoint.c). One witness, made at start, witnesses the log
 * FUZZ_ORIGIN; the first byte of the input picks what is fuzzed:
 *   0  the raw body ("old N\n", proof lines, "\n", note): never cosigned (no
 *      log signature the fuzzer could make), a documented code, the held
 *      record unchanged.
 *   1  a checkpoint the harness signs with the log's key, of a tree of 1 to 48
 *      two-byte leaves {i, 0} where one leaf may be forked {i, b}, sent with
 *      an old size and proof chosen by the input (the right ones, fuzzed
 *      ones, or a whole fuzzed prefix). The harness keeps a model of the tree
 *      the witness holds: a cosignature is given only for old size == the
 *      held size and a tree whose leaves agree with the held tree's (never a
 *      fork); with the right proof from the held size it is always given (or
 *      refused with 400 below the held size, 409 for a fork at the same
 *      size, 422 for a fork above it); a cosignature verifies with the
 *      witness's key at the time given; /latest then holds the body; any
 *      refusal leaves /latest as it was; a 409 names the held size. Once
 *      the held tree has LEAVES_MAX leaves the witness starts afresh.
 *   2  "verifier key\nsignature line": a key that parses encodes back to the
 *      same text; a cosignature/v1 line that verifies is the very line the
 *      witness's key makes for its time (one spelling).
 */
#include "fixture.h"
#include "fuzz.h"
#include "log/log.h"

#include <sodium.h>
#include <unistd.h>

#define FUZZ_NOW 1700000000
#define WITNESS_NAME "witness.example/w1"
#define LEAVES_MAX 48

static fuzz_ledger fx;
static pb_witness *witness;
static pb_pubkey log_pub, witness_pub;
static uint8_t log_key_hash[4];

/* The tree the witness holds, as the harness made it. */
struct tree {
    uint64_t size;
    uint64_t fork_index; /* LEAVES_MAX: no fork */
    uint8_t fork_byte;
};
static struct tree held;
static int has_held;

/* A new witness with an empty state: at start, and each time the held tree
 * reaches LEAVES_MAX (nothing larger could be cosigned after it). */
static void
witness_start(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/witness.state", fx.dir);
    if (witness != NULL) {
        pb_witness_close(witness);
        char lock[160];
        snprintf(lock, sizeof(lock), "%s-lock", path);
        unlink(path);
        unlink(lock);
    }
    FUZZ_CHECK(pb_witness_open(path, fx.icb_fin, WITNESS_NAME, &witness, NULL) == PB_OK);
    char *vkey = NULL;
    FUZZ_CHECK(pb_note_verifier(FUZZ_ORIGIN, &log_pub, &vkey, NULL) == PB_OK);
    FUZZ_CHECK(pb_witness_add_log(witness, FUZZ_ORIGIN, vkey, NULL) == PB_OK);
    /* "<name>+<8 hex key hash>+<base64>": the hash begins each signature. */
    const char *hex = strchr(vkey, '+') + 1;
    FUZZ_CHECK(sodium_hex2bin(log_key_hash, 4, hex, 8, NULL, NULL, NULL) == 0);
    free(vkey);
    has_held = 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ledger_make(&fx, 0, 0);
    pb_seckey_public(fx.op, &log_pub);
    pb_seckey_public(fx.icb_fin, &witness_pub);
    witness_start();
    return 0;
}

/* The text /latest gives for the log, or "" when nothing is held. */
static char *
latest(void)
{
    char *note = NULL;
    int rc = pb_witness_latest(witness, FUZZ_ORIGIN, &note, NULL);
    FUZZ_CHECK(rc == PB_OK || rc == PB_ENOTFOUND);
    FUZZ_CHECK((rc == PB_OK) == has_held);
    return rc == PB_OK ? note : fuzz_string((const uint8_t *)"", 0);
}

static void
leaf(const struct tree *t, uint64_t i, uint8_t out[32])
{
    uint8_t bytes[2] = {(uint8_t)i, i == t->fork_index ? t->fork_byte : 0};
    pb_merkle_leaf_hash(bytes, sizeof(bytes), out);
}

/* The root of leaves [lo, hi) of t. */
static void
range_root(const struct tree *t, uint64_t lo, uint64_t hi, uint8_t out[32])
{
    pb_merkle_stack st;
    pb_merkle_stack_init(&st);
    for (uint64_t i = lo; i < hi; i++) {
        uint8_t h[32];
        leaf(t, i, h);
        FUZZ_CHECK(pb_merkle_stack_push(&st, h, NULL, NULL, NULL) == PB_OK);
    }
    pb_merkle_stack_root(&st, out);
}

/* pb_merkle_consistency's reader: the stored hash (level, index) of t. */
static int
read_hash(void *ctx, uint32_t level, uint64_t index, uint8_t out[32], pb_error *err)
{
    (void)err;
    const struct tree *t = ctx;
    uint64_t lo = index << level, hi = (index + 1) << level;
    FUZZ_CHECK(level < 8 && hi <= t->size);
    range_root(t, lo, hi, out);
    return PB_OK;
}

/* Whether t extends h: at least as large and the same leaves below h's size. */
static int
extends(const struct tree *t, const struct tree *h)
{
    if (t->size < h->size) {
        return 0;
    }
    for (uint64_t i = 0; i < h->size; i++) {
        uint8_t a[32], b[32];
        leaf(t, i, a);
        leaf(h, i, b);
        if (memcmp(a, b, 32) != 0) {
            return 0;
        }
    }
    return 1;
}

/* The note of t signed by the log's key, and its body. */
static void
signed_note(const struct tree *t, char *body, size_t body_size, char *note, size_t note_size)
{
    uint8_t root[32];
    range_root(t, 0, t->size, root);
    pb_note_body(FUZZ_ORIGIN, t->size, root, body, body_size);
    uint8_t blob[68];
    memcpy(blob, log_key_hash, 4);
    FUZZ_CHECK(pb_seckey_sign(fx.op, (const uint8_t *)body, strlen(body), blob + 4, NULL) == PB_OK);
    char b64[sodium_base64_ENCODED_LEN(68, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
    snprintf(note, note_size, "%s\n\xe2\x80\x94 %s %s\n", body, FUZZ_ORIGIN, b64);
}

/* The request: "old N\n", the right proof of t from old (or the fuzzed proof
 * text), "\n", note. */
static size_t
request_of(const struct tree *t, uint64_t old, const char *fuzzed, const char *note, char *req,
           size_t size)
{
    size_t used = (size_t)snprintf(req, size, "old %llu\n", (unsigned long long)old);
    if (fuzzed != NULL) {
        used += (size_t)snprintf(req + used, size - used, "%s", fuzzed);
    } else if (old > 0 && old < t->size) {
        pb_proof p;
        memset(&p, 0, sizeof(p));
        p.index_or_old_size = old;
        p.tree_size = t->size;
        FUZZ_CHECK(pb_merkle_consistency(read_hash, (void *)t, old, t->size, &p, NULL) == PB_OK);
        for (size_t i = 0; i < p.count; i++) {
            char b64[64];
            sodium_bin2base64(b64, sizeof(b64), p.hashes[i], 32, sodium_base64_VARIANT_ORIGINAL);
            used += (size_t)snprintf(req + used, size - used, "%s\n", b64);
        }
    }
    used += (size_t)snprintf(req + used, size - used, "\n%s", note);
    FUZZ_CHECK(used < size);
    return used;
}

static void
check_cosigned(const char *body, const char *cosig)
{
    uint64_t ts = 0;
    FUZZ_CHECK(pb_note_line_kind(cosig) == 2);
    FUZZ_CHECK(pb_cosig_check_line(body, cosig, WITNESS_NAME, &witness_pub, &ts, NULL) == PB_OK);
    FUZZ_CHECK(ts == FUZZ_NOW);
    char *note = latest();
    size_t body_len = strlen(body);
    FUZZ_CHECK(strncmp(note, body, body_len) == 0 && note[body_len] == '\n');
    size_t note_len = strlen(note), cosig_len = strlen(cosig);
    FUZZ_CHECK(note_len > cosig_len && strcmp(note + note_len - cosig_len, cosig) == 0);
    free(note);
}

static void
fuzz_signed(const uint8_t *data, size_t size)
{
    if (size < 5) {
        return;
    }
    struct tree t = {1 + data[0] % LEAVES_MAX, data[1], data[2]};
    if (t.fork_byte == 0 || t.fork_index >= t.size) {
        t.fork_index = LEAVES_MAX;
        t.fork_byte = 0;
    }
    int choice = data[3] % 4;
    uint64_t have = has_held ? held.size : 0;
    uint64_t old = choice == 2 ? data[4] % (LEAVES_MAX + 1) : have;
    char *fuzzed = choice == 1 || choice == 3 ? fuzz_string(data + 4, size - 4) : NULL;
    char body[512], note[1024];
    signed_note(&t, body, sizeof(body), note, sizeof(note));
    char *req = malloc(PB_WITNESS_REQUEST_BYTES_MAX + 2048);
    FUZZ_CHECK(req != NULL);
    size_t len = 0;
    if (choice == 3) { /* a whole fuzzed prefix before the note */
        len = (size_t)snprintf(req, PB_WITNESS_REQUEST_BYTES_MAX + 2048, "%s\n%s", fuzzed, note);
    } else {
        len = request_of(&t, old, fuzzed, note, req, PB_WITNESS_REQUEST_BYTES_MAX + 2048);
    }
    char *before = latest();
    char *cosig = NULL;
    uint64_t held_size = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_witness_add_checkpoint(witness, req, len, FUZZ_NOW, &cosig, &held_size, &err);
    if (choice == 0) { /* the right proof from the held size */
        int want = t.size < have                     ? PB_ERANGE
                   : !has_held || extends(&t, &held) ? PB_OK
                   : t.size == have                  ? PB_ECONFLICT
                                                     : PB_EPROOF;
        if (rc != want) {
            fprintf(stderr, "size %llu held %llu: %d, expected %d: %s\n",
                    (unsigned long long)t.size, (unsigned long long)have, rc, want, err.text);
        }
        FUZZ_CHECK(rc == want);
    }
    if (rc == PB_OK) {
        /* Only the held size, and never a fork of the held tree. */
        FUZZ_CHECK(cosig != NULL);
        FUZZ_CHECK(!has_held || extends(&t, &held));
        has_held = 1;
        held = t;
        check_cosigned(body, cosig);
        if (held.size == LEAVES_MAX) {
            witness_start();
        }
    } else {
        FUZZ_CHECK(cosig == NULL && err.code == rc && err.text[0] != '\0');
        char *after = latest();
        FUZZ_CHECK(strcmp(before, after) == 0);
        free(after);
        if (rc == PB_ECONFLICT) {
            FUZZ_CHECK(held_size == have);
        }
    }
    free(cosig);
    free(before);
    free(req);
    free(fuzzed);
}

static void
fuzz_raw(const uint8_t *data, size_t size)
{
    char *req = fuzz_string(data, size);
    char *before = latest();
    char *cosig = NULL;
    uint64_t held_size = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_witness_add_checkpoint(witness, req, size, FUZZ_NOW, &cosig, &held_size, &err);
    FUZZ_CHECK(rc == PB_ENOTE || rc == PB_ETOOBIG || rc == PB_ENOTFOUND || rc == PB_ESIG_INVALID);
    FUZZ_CHECK(cosig == NULL && err.code == rc && err.text[0] != '\0');
    char *after = latest();
    FUZZ_CHECK(strcmp(before, after) == 0);
    free(after);
    free(before);
    free(req);
}

static void
fuzz_lines(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    char *line = strchr(text, '\n');
    if (line != NULL) {
        *line++ = '\0';
    }
    char name[256];
    int alg = 0;
    pb_pubkey key;
    if (pb_vkey_parse(text, name, sizeof(name), &alg, &key, NULL) == PB_OK) {
        char *again = NULL;
        FUZZ_CHECK(alg == 1 || alg == 4);
        FUZZ_CHECK((alg == 1 ? pb_note_verifier(name, &key, &again, NULL)
                             : pb_cosig_verifier(name, &key, &again, NULL)) == PB_OK);
        FUZZ_CHECK(strcmp(again, text) == 0);
        free(again);
    }
    if (line != NULL) {
        static const char body[] =
            FUZZ_ORIGIN "\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        int kind = pb_note_line_kind(line);
        FUZZ_CHECK(kind >= 0 && kind <= 2);
        if (pb_note_line_name(line, name, sizeof(name), NULL) == PB_OK) {
            FUZZ_CHECK(strncmp(line, "\xe2\x80\x94 ", 4) == 0);
            FUZZ_CHECK(strncmp(line + 4, name, strlen(name)) == 0);
        }
        uint64_t ts = 0;
        if (pb_cosig_check_line(body, line, WITNESS_NAME, &witness_pub, &ts, NULL) == PB_OK) {
            char *mine = NULL;
            FUZZ_CHECK(pb_cosig_line(body, WITNESS_NAME, fx.icb_fin, ts, &mine, NULL) == PB_OK);
            FUZZ_CHECK(strcmp(mine, line) == 0);
            free(mine);
        }
    }
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    switch (data[0] % 3) {
    case 0:
        fuzz_raw(data + 1, size - 1);
        break;
    case 1:
        fuzz_signed(data + 1, size - 1);
        break;
    default:
        fuzz_lines(data + 1, size - 1);
        break;
    }
    return 0;
}
