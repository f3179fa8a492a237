/*
 * support.c — fixtures shared by the cmocka tests; see support.h.
 */
#include "support.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

pb_seckey *
pbt_key(const char *dir, const char *name, const char *partner, const char *role, json_t *keys)
{
    char pub_path[512], sec_path[512];
    snprintf(pub_path, sizeof(pub_path), "%s/%s.pub", dir, name);
    snprintf(sec_path, sizeof(sec_path), "%s/%s.key", dir, name);
    pb_pubkey pub;
    assert_int_equal(pb_keygen_write(pub_path, sec_path, NULL, NULL, &pub, NULL), PB_OK);
    pb_seckey *key = NULL;
    assert_int_equal(pb_seckey_load(sec_path, NULL, &key, NULL), PB_OK);
    char keyid[PB_KEYID_TEXT_MAX], b64[64];
    pb_keyid_format(pub.key_id, keyid, sizeof(keyid));
    pb_pubkey_encode(&pub, b64, sizeof(b64));
    json_t *k = json_pack("{s:s,s:s,s:s}", "key", keyid, "pubkey", b64, "role", role);
    if (partner != NULL) {
        json_object_set_new(k, "partner", json_string(partner));
    }
    json_array_append_new(keys, k);
    return key;
}

char *
pbt_ledger_content(pb_store *store)
{
    uint64_t size = 0;
    assert_int_equal(pb_store_size(store, &size, NULL), PB_OK);
    size_t cap = 128 + (size + 1) * PB_RECORD_BYTES_MAX, used = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    used += (size_t)snprintf(out, cap, "size %llu\n", (unsigned long long)size);
    for (uint64_t i = 0; i < size; i++) {
        char *buf = NULL;
        size_t len = 0;
        assert_int_equal(pb_store_record(store, i, &buf, &len, NULL), PB_OK);
        assert_true(used + len + 2 < cap);
        memcpy(out + used, buf, len);
        used += len;
        out[used++] = '\n';
        free(buf);
    }
    if (size > 0) {
        uint8_t root[32];
        assert_int_equal(pb_store_root(store, size, root, NULL), PB_OK);
        sodium_bin2hex(out + used, cap - used, root, 32);
    }
    return out;
}

void
pbt_mkdtemp(char *template_path)
{
    assert_non_null(mkdtemp(template_path));
}

void
pbt_rmdir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

json_t *
pbt_json_of(const char *text)
{
    json_error_t jerr;
    json_t *value = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (value == NULL) {
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    }
    return value;
}

pb_policy_result *
pbt_policy_apply_ok(const char *policy_text, const pb_policy_input *in)
{
    json_t *policy = pbt_json_of(policy_text);
    pb_policy_result *result = NULL;
    pb_error err;
    pb_error_init(&err);
    int rc = pb_policy_apply(policy, in, &result, &err);
    if (rc != PB_OK) {
        fail_msg("apply: %s at %s: %s", pb_strerror(rc), err.where, err.text);
    }
    json_decref(policy);
    return result;
}

int64_t
pbt_share_of(const pb_policy_result *r, const char *partner)
{
    for (size_t i = 0; i < r->share_count; i++) {
        if (strcmp(r->shares[i].partner, partner) == 0) {
            return r->shares[i].amount_pence;
        }
    }
    fail_msg("no share for %s", partner);
    return 0;
}

void
pbt_assert_working(const pb_policy_result *r, const char *want_text)
{
    json_t *want = pbt_json_of(want_text);
    size_t i;
    json_t *step;
    json_array_foreach(r->workings, i, step)
    {
        const char *key;
        json_t *value;
        int all = 1;
        json_object_foreach(want, key, value)
        {
            all = all && json_equal(json_object_get(step, key), value);
        }
        if (all) {
            json_decref(want);
            return;
        }
    }
    char *dump = json_dumps(r->workings, JSON_COMPACT);
    fail_msg("no working %s in %s", want_text, dump);
}

void
pbt_assert_sums(const pb_policy_result *r)
{
    int64_t total = r->unallocated_pence + r->carried_forward_pence;
    for (size_t i = 0; i < r->share_count; i++) {
        total += r->shares[i].amount_pence;
    }
    assert_int_equal(total, r->variance_pence);
}

json_t *
pbt_record(int *seq, const char *type, json_t *fields, ...)
{
    char id[32];
    snprintf(id, sizeof(id), "e%04d", ++*seq);
    json_t *entry = json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "type", type, "id", id, "ledger",
                              "test.example/bcf", "created", "2024-04-01T09:00:00Z");
    json_object_update(entry, fields);
    json_decref(fields);
    json_t *rec = json_pack("{s:o,s:[]}", "entry", entry, "sigs");
    va_list ap;
    va_start(ap, fields);
    for (pb_seckey *k = va_arg(ap, pb_seckey *); k != NULL; k = va_arg(ap, pb_seckey *)) {
        assert_int_equal(pb_record_sign(rec, k, NULL), PB_OK);
    }
    va_end(ap);
    return rec;
}

static size_t alloc_count;
static size_t alloc_fail_at;

static void *
failing_malloc(size_t size)
{
    return alloc_count++ == alloc_fail_at ? NULL : malloc(size);
}

void
pbt_alloc_fail_start(size_t fail_at)
{
    alloc_count = 0;
    alloc_fail_at = fail_at;
    json_set_alloc_funcs(failing_malloc, free);
}

size_t
pbt_alloc_fail_stop(void)
{
    json_set_alloc_funcs(malloc, free);
    return alloc_count;
}
