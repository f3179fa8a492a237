/*
 * fixture.c — the fuzz targets' ledger (fixture.h): made once per process
 * from keys generated on the spot, so no secret is committed and no two runs
 * share a folder. Failures abort: a fixture that cannot be made is a broken
 * build, not an input libFuzzer should keep.
 */
#include "fixture.h"

#include "fuzz.h"

#include <dirent.h>
#include <unistd.h>

static char scratch_dir[64];

/* Remove the scratch folder and its files (no subfolders are made). */
static void
remove_scratch(void)
{
    DIR *d = opendir(scratch_dir);
    if (d == NULL) {
        return;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", scratch_dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(scratch_dir);
}

/* A key pair in the scratch folder, loaded, and its genesis "keys" member. */
static pb_seckey *
make_key(fuzz_ledger *fx, const char *name, const char *partner, const char *role, json_t *keys)
{
    char pub_path[128], sec_path[128];
    snprintf(pub_path, sizeof(pub_path), "%s/%s.pub", fx->dir, name);
    snprintf(sec_path, sizeof(sec_path), "%s/%s.key", fx->dir, name);
    pb_pubkey pub;
    FUZZ_CHECK(pb_keygen_write(pub_path, sec_path, NULL, NULL, &pub, NULL) == PB_OK);
    pb_seckey *key = NULL;
    FUZZ_CHECK(pb_seckey_load(sec_path, NULL, &key, NULL) == PB_OK);
    char keyid[PB_KEYID_TEXT_MAX], b64[64];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    pb_pubkey_encode(&pub, b64, sizeof(b64));
    json_t *k = json_pack("{s:s,s:s,s:s,s:s}", "key", keyid, "pubkey", b64, "role", role, "partner",
                          partner);
    FUZZ_CHECK(k != NULL && json_array_append_new(keys, k) == 0);
    return key;
}

static void
append(fuzz_ledger *fx, json_t *record)
{
    uint64_t index = 0;
    int present = 0;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_store_append(fx->store, record, &index, &present, &err);
    if (rc != PB_OK) {
        fprintf(stderr, "fuzz fixture: append: %s (%s)\n", err.text, err.where);
    }
    FUZZ_CHECK(rc == PB_OK && present == 0);
    json_decref(record);
}

/* The pool of the import seeds (tests/fuzz/corpus/import): two partners,
 * two streams, three schemes. */
static json_t *
pool_object(void)
{
    json_t *pool = json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[s,s],"
        "s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}],"
        "s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}],"
        "s:{s:s,s:s,s:{s:s},s:{s:s}},s:s,s:s}",
        "id", "BCF24", "name", "Fuzz BCF", "kind", "bcf", "year", "2024/25", "term", "start",
        "2024-04-01", "end", "2025-03-31", "host", "DCC", "partners", "DCC", "ICB", "streams", "id",
        "NHSMIN", "name", "NHS minimum", "payer", "ICB", "planned", "6000000.00", "id", "IBCF",
        "name", "Improved BCF", "payer", "DCC", "planned", "2000000.00", "schemes", "id", "S01",
        "name", "Reablement", "lead", "DCC", "budget", "5000000.00", "class", "revenue", "id",
        "S02", "name", "Hospital discharge", "lead", "ICB", "budget", "2500000.00", "class",
        "revenue", "id", "S03", "name", "Disabled Facilities Grant", "lead", "DCC", "budget",
        "500000.00", "class", "revenue", "policy", "name", "pro rata", "netting", "pool",
        "overspend", "split", "contributions", "underspend", "split", "contributions",
        "virement_limit", "250000.00", "key_decision_threshold", "1000000.00");
    FUZZ_CHECK(pool != NULL);
    return pool;
}

json_t *
fuzz_ledger_record(fuzz_ledger *fx, const char *type, json_t *fields, const pb_seckey *key)
{
    char id[32];
    snprintf(id, sizeof(id), "f%04d", ++fx->seq);
    json_t *entry = json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "type", type, "id", id, "ledger",
                              FUZZ_ORIGIN, "created", "2024-04-01T09:00:00Z");
    FUZZ_CHECK(entry != NULL && json_object_update(entry, fields) == 0);
    json_decref(fields);
    json_t *rec = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
    FUZZ_CHECK(rec != NULL);
    if (key != NULL) {
        FUZZ_CHECK(pb_record_sign(rec, key, NULL) == PB_OK);
    }
    return rec;
}

const char *
fuzz_scratch_dir(void)
{
    if (scratch_dir[0] == '\0') {
        snprintf(scratch_dir, sizeof(scratch_dir), "%s/pb-fuzz-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        FUZZ_CHECK(mkdtemp(scratch_dir) != NULL);
        FUZZ_CHECK(atexit(remove_scratch) == 0);
    }
    return scratch_dir;
}

void
fuzz_ledger_make(fuzz_ledger *fx, int genesis, int pool)
{
    memset(fx, 0, sizeof(*fx));
    snprintf(fx->dir, sizeof(fx->dir), "%s", fuzz_scratch_dir());
    char path[128];
    snprintf(path, sizeof(path), "%s/l.ledger", fx->dir);
    FUZZ_CHECK(pb_store_open(path, PB_STORE_CREATE, &fx->store, NULL) == PB_OK);
    json_t *keys = json_array();
    fx->dcc_sig = make_key(fx, "dcc-sig", "DCC", "signatory", keys);
    fx->icb_sig = make_key(fx, "icb-sig", "ICB", "signatory", keys);
    fx->dcc_fin = make_key(fx, "dcc-fin", "DCC", "finance", keys);
    fx->icb_fin = make_key(fx, "icb-fin", "ICB", "finance", keys);
    fx->op = make_key(fx, "op", "DCC", "operator", keys);
    if (genesis || pool) {
        json_t *partners = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "DCC", "name",
                                     "Derbyshire County Council", "kind", "council", "id", "ICB",
                                     "name", "Derby and Derbyshire ICB", "kind", "icb");
        json_t *g = NULL;
        FUZZ_CHECK(pb_draft_genesis(FUZZ_ORIGIN, "genesis", "2024-04-01T09:00:00Z", partners, keys,
                                    &g, NULL) == PB_OK);
        FUZZ_CHECK(pb_record_sign(g, fx->dcc_sig, NULL) == PB_OK);
        FUZZ_CHECK(pb_record_sign(g, fx->icb_sig, NULL) == PB_OK);
        append(fx, g);
        json_decref(partners);
    }
    json_decref(keys);
    if (pool) {
        json_t *rec = fuzz_ledger_record(fx, "pool.agree",
                                         json_pack("{s:o}", "pool", pool_object()), fx->dcc_sig);
        FUZZ_CHECK(pb_record_sign(rec, fx->icb_sig, NULL) == PB_OK);
        append(fx, rec);
    }
}

void
fuzz_ledger_root(pb_store *store, uint64_t *size_out, uint8_t root_out[32])
{
    memset(root_out, 0, 32);
    FUZZ_CHECK(pb_store_size(store, size_out, NULL) == PB_OK);
    if (*size_out > 0) {
        FUZZ_CHECK(pb_store_root(store, *size_out, root_out, NULL) == PB_OK);
    }
}
