/*
 * support.h — fixtures shared by the cmocka tests (compiled into each
 * tests/test_*.c): key pairs bound for a genesis, the whole logical content
 * of a ledger (to show a refusal changed nothing), and temporary folders.
 */
#ifndef POOLBOOK_TEST_SUPPORT_H
#define POOLBOOK_TEST_SUPPORT_H

#include "poolbook.h"

/* Make an unencrypted key pair in dir as <name>.pub/.key, load the secret
 * key, and append {key, pubkey, partner, role} to keys (a genesis "keys"
 * array; partner may be NULL to leave it out, as partner.admit wants).
 * Fails the test on error. The caller frees the key with pb_seckey_free. */
pb_seckey *pbt_key(const char *dir, const char *name, const char *partner, const char *role,
                   json_t *keys);

/* A record of type with fields (stolen): id "e<NNNN>" counting up in *seq,
 * ledger "test.example/bcf", created 2024-04-01T09:00:00Z, signed by each
 * key of the NULL-ended list that follows. Fails the test if a signing fails. */
json_t *pbt_record(int *seq, const char *type, json_t *fields, ...);

/* Every record's bytes and the root, as one malloc'd string. */
char *pbt_ledger_content(pb_store *store);

/* Policy tests (tests/test_policy.c, tests/test_templates.c). */

/* Parse a policy (or any JSON) text; fails the test on a syntax error. New reference. */
json_t *pbt_json_of(const char *text);
/* Apply policy_text to in; fails the test unless pb_policy_apply succeeds.
 * Caller frees with pb_policy_result_free. */
pb_policy_result *pbt_policy_apply_ok(const char *policy_text, const pb_policy_input *in);
/* The share of partner in r; fails the test if r has none. */
int64_t pbt_share_of(const pb_policy_result *r, const char *partner);
/* r's workings hold a step having every member of want_text (a JSON object). */
void pbt_assert_working(const pb_policy_result *r, const char *want_text);
/* Shares + unallocated + carried forward == variance (DESIGN 6). */
void pbt_assert_sums(const pb_policy_result *r);

/* Out-of-memory loops (jansson's chaos test): jansson's allocator fails the
 * allocation numbered pbt_alloc_fail_at (0-based) after pbt_alloc_fail_start;
 * pbt_alloc_fail_stop restores malloc and returns how many allocations were
 * asked for, so a loop over n = 0, 1, 2, ... ends when a run asks for n or
 * fewer (it reached no failure). */
void pbt_alloc_fail_start(size_t fail_at);
size_t pbt_alloc_fail_stop(void);

/* Make a temporary folder from a template ending in XXXXXX (in place). */
void pbt_mkdtemp(char *template_path);
/* Remove a folder and everything in it. */
void pbt_rmdir(const char *dir);

#endif /* POOLBOOK_TEST_SUPPORT_H */
