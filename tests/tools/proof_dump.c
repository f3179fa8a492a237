/*
 * proof_dump.c — print a ledger's records and Merkle proofs as JSON lines for
 * an independent checker (tests/go/interop.go, which uses Go's sumdb/tlog):
 * every record's bytes, the root of every tree size, every inclusion proof of
 * every leaf in every tree size, and consistency proofs for every pair of
 * sizes of which at least one is in a sample (small sizes, powers of two,
 * their neighbours and midpoints, the checkpoint sizes given with --size, and
 * the end).
 *
 * usage: proof_dump LEDGER [--size N]...
 *
 * Lines, in this order (the checker tells them apart by their fields):
 *   {"origin":"<origin>","size":N}
 *   {"index":I,"record":"<base64 of the stored record bytes>"}          I < N
 *   {"root":"<b64>","size_root":n}                    pb_store_root, 1 <= n <= N
 *   {"index":I,"leaf_hash":..,"proof":[..],"root":..,"tree_size":n}  I < n <= N
 *   {"new_root":..,"new_size":n,"old_root":..,"old_size":m,"proof":[..]}
 * Proof lines are pb_proof_to_json() dumped exactly as `poolbook proof`
 * prints them (compact, keys sorted), so a test can compare the two
 * byte for byte. Each proof is also checked by the library's own checker
 * before it is printed. Exit 0, or 1 with a message on stderr.
 */
#include <poolbook.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes given with --size, beyond the built-in sample. */
#define DUMP_EXTRA_SIZES_MAX 16
/* The sample: 1..9, then 2^k - 1, 2^k, 2^k + 1 and 3 * 2^(k-1) for 2^k from 16 to
 * 2^20, the extras, and the last two sizes. */
#define DUMP_SAMPLE_MAX 128
_Static_assert(9 + 4 * 17 + DUMP_EXTRA_SIZES_MAX + 2 <= DUMP_SAMPLE_MAX, "sample fits");

static int
fail(const char *what, const pb_error *err)
{
    fprintf(stderr, "proof_dump: %s: %s: %s (%s)\n", what, pb_strerror(err->code), err->text,
            err->where);
    return 1;
}

/* Print one JSON value as a line, compact with sorted keys (as the CLI does),
 * and release it. Returns 0, or -1 when it could not be built or written. */
static int
emit(json_t *line)
{
    if (line == NULL) {
        return -1;
    }
    int rc = json_dumpf(line, stdout, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(line);
    if (rc != 0 || fputc('\n', stdout) == EOF) {
        return -1;
    }
    return 0;
}

static int
emit_records(pb_store *store, uint64_t size)
{
    pb_error err;
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < size; i++) {
        char *buf = NULL;
        char *b64 = NULL;
        size_t len = 0;
        pb_error_init(&err);
        if (pb_store_record(store, i, &buf, &len, &err) != PB_OK) {
            return fail("reading a record", &err);
        }
        size_t b64_size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        b64 = malloc(b64_size);
        rc = -1;
        if (b64 != NULL) {
            sodium_bin2base64(b64, b64_size, (const unsigned char *)buf, len,
                              sodium_base64_VARIANT_ORIGINAL);
            rc = emit(json_pack("{s:I,s:s}", "index", (json_int_t)i, "record", b64));
        }
        free(b64);
        free(buf);
        if (rc != 0) {
            fprintf(stderr, "proof_dump: cannot write record %llu\n", (unsigned long long)i);
            rc = 1;
        }
    }
    return rc;
}

static int
emit_roots(pb_store *store, uint64_t size)
{
    pb_error err;
    for (uint64_t n = 1; n <= size; n++) {
        uint8_t root[32];
        char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
        pb_error_init(&err);
        if (pb_store_root(store, n, root, &err) != PB_OK) {
            return fail("reading a root", &err);
        }
        sodium_bin2base64(b64, sizeof(b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
        if (emit(json_pack("{s:s,s:I}", "root", b64, "size_root", (json_int_t)n)) != 0) {
            fprintf(stderr, "proof_dump: cannot write a root\n");
            return 1;
        }
    }
    return 0;
}

/* Every leaf I of every tree size n: N(N+1)/2 proofs. */
static int
emit_inclusions(pb_store *store, uint64_t size, pb_proof *proof, uint64_t *count_out)
{
    pb_error err;
    for (uint64_t n = 1; n <= size; n++) {
        for (uint64_t i = 0; i < n; i++) {
            pb_error_init(&err);
            if (pb_proof_inclusion(store, i, n, proof, &err) != PB_OK) {
                return fail("building an inclusion proof", &err);
            }
            if (pb_proof_check_inclusion(proof, &err) != PB_OK) {
                fprintf(stderr, "proof_dump: leaf %llu, size %llu: ", (unsigned long long)i,
                        (unsigned long long)n);
                return fail("the library rejects its own inclusion proof", &err);
            }
            if (emit(pb_proof_to_json(proof, 0)) != 0) {
                fprintf(stderr, "proof_dump: cannot write an inclusion proof\n");
                return 1;
            }
            (*count_out)++;
        }
    }
    return 0;
}

static int
in_sample(const uint64_t *sample, size_t count, uint64_t n)
{
    for (size_t i = 0; i < count; i++) {
        if (sample[i] == n) {
            return 1;
        }
    }
    return 0;
}

/* Every pair m <= n with m or n in the sample. */
static int
emit_consistencies(pb_store *store, uint64_t size, const uint64_t *sample, size_t sample_count,
                   pb_proof *proof, uint64_t *count_out)
{
    pb_error err;
    for (uint64_t n = 1; n <= size; n++) {
        int n_in = in_sample(sample, sample_count, n);
        for (uint64_t m = 1; m <= n; m++) {
            if (!n_in && !in_sample(sample, sample_count, m)) {
                continue;
            }
            pb_error_init(&err);
            if (pb_proof_consistency(store, m, n, proof, &err) != PB_OK) {
                return fail("building a consistency proof", &err);
            }
            if (pb_proof_check_consistency(proof, &err) != PB_OK) {
                fprintf(stderr, "proof_dump: sizes %llu and %llu: ", (unsigned long long)m,
                        (unsigned long long)n);
                return fail("the library rejects its own consistency proof", &err);
            }
            if (emit(pb_proof_to_json(proof, 1)) != 0) {
                fprintf(stderr, "proof_dump: cannot write a consistency proof\n");
                return 1;
            }
            (*count_out)++;
        }
    }
    return 0;
}

/* The sample of tree sizes, within 1..size; returns how many. */
static size_t
make_sample(uint64_t size, const uint64_t *extra, size_t extra_count,
            uint64_t sample[DUMP_SAMPLE_MAX])
{
    size_t count = 0;
    uint64_t want[DUMP_SAMPLE_MAX];
    size_t nwant = 0;
    for (uint64_t n = 1; n <= 9; n++) {
        want[nwant++] = n;
    }
    for (uint64_t p = 16; p <= (UINT64_C(1) << 20); p <<= 1) {
        want[nwant++] = p - 1;
        want[nwant++] = p;
        want[nwant++] = p + 1;
        want[nwant++] = p + p / 2;
    }
    for (size_t i = 0; i < extra_count; i++) {
        want[nwant++] = extra[i];
    }
    want[nwant++] = size > 1 ? size - 1 : size;
    want[nwant++] = size;
    for (size_t i = 0; i < nwant; i++) {
        if (want[i] >= 1 && want[i] <= size && !in_sample(sample, count, want[i])) {
            sample[count++] = want[i];
        }
    }
    return count;
}

/* Parse LEDGER [--size N]...; returns 0, or 2 after printing the usage. */
static int
parse_args(int argc, char **argv, const char **path_out, uint64_t *extra, size_t *extra_count)
{
    *path_out = NULL;
    *extra_count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            char *end = NULL;
            const char *text = argv[++i];
            uint64_t n = strtoull(text, &end, 10);
            if (text[0] < '0' || text[0] > '9' || *end != '\0' ||
                *extra_count == DUMP_EXTRA_SIZES_MAX) {
                *path_out = NULL;
                break;
            }
            extra[(*extra_count)++] = n;
        } else if (*path_out == NULL && argv[i][0] != '-') {
            *path_out = argv[i];
        } else {
            *path_out = NULL;
            break;
        }
    }
    if (*path_out == NULL) {
        fprintf(stderr, "usage: proof_dump LEDGER [--size N]... (at most %d sizes)\n",
                DUMP_EXTRA_SIZES_MAX);
        return 2;
    }
    return 0;
}

/* Everything after the header, in the order of the file comment. */
static int
emit_all(pb_store *store, uint64_t size, const uint64_t *extra, size_t extra_count, pb_proof *proof)
{
    uint64_t sample[DUMP_SAMPLE_MAX];
    size_t sample_count = make_sample(size, extra, extra_count, sample);
    uint64_t inclusions = 0;
    uint64_t consistencies = 0;
    int rc = emit_records(store, size);
    if (rc == 0) {
        rc = emit_roots(store, size);
    }
    if (rc == 0) {
        rc = emit_inclusions(store, size, proof, &inclusions);
    }
    if (rc == 0) {
        rc = emit_consistencies(store, size, sample, sample_count, proof, &consistencies);
    }
    if (rc == 0) {
        fprintf(stderr,
                "proof_dump: %llu records, %llu inclusion proofs, %llu consistency proofs "
                "(%zu sample sizes)\n",
                (unsigned long long)size, (unsigned long long)inclusions,
                (unsigned long long)consistencies, sample_count);
    }
    return rc;
}

int
main(int argc, char **argv)
{
    uint64_t extra[DUMP_EXTRA_SIZES_MAX];
    size_t extra_count = 0;
    const char *path = NULL;
    if (parse_args(argc, argv, &path, extra, &extra_count) != 0) {
        return 2;
    }
    pb_error err;
    pb_error_init(&err);
    pb_store *store = NULL;
    pb_proof *proof = malloc(sizeof(*proof));
    uint64_t size = 0;
    char origin[256];
    int rc = 1;
    if (sodium_init() < 0 || proof == NULL) {
        fprintf(stderr, "proof_dump: out of memory, or libsodium failed to start\n");
        goto out;
    }
    if (pb_store_open(path, PB_STORE_RDONLY, &store, &err) != PB_OK ||
        pb_store_size(store, &size, &err) != PB_OK ||
        pb_store_origin(store, origin, sizeof(origin), &err) != PB_OK) {
        rc = fail(path, &err);
        goto out;
    }
    if (emit(json_pack("{s:s,s:I}", "origin", origin, "size", (json_int_t)size)) != 0) {
        fprintf(stderr, "proof_dump: cannot write the header\n");
        goto out;
    }
    rc = emit_all(store, size, extra, extra_count, proof);
    if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "proof_dump: cannot write stdout\n");
        rc = 1;
    }
out:
    pb_store_close(store);
    free(proof);
    return rc;
}
