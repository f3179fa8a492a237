/*
 * tlog_proof.c — the only code that writes C2SP tlog-proof text
 * (c2sp.org/tlog-proof@v1): the header line, "index <N>", the RFC 6962
 * inclusion proof one base64 hash a line, a blank line, then the checkpoint
 * note it proves against with every signature stored for it. An offline
 * proof that a record is in the log (DESIGN 9: the answer to POST /add-entry).
 */
#include "log/log.h"

#include <sodium.h>
#include <string.h>

#define TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1\n"
#define B64_HASH_BYTES sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)

/* Write header, index and hashes, then the note, into a new string. */
static int
proof_text(const pb_proof *proof, const char *note, char **text_out, pb_error *err)
{
    size_t cap =
        sizeof(TLOG_PROOF_HEADER) + 32 + proof->count * (B64_HASH_BYTES + 1) + 1 + strlen(note) + 1;
    char *text = malloc(cap);
    if (text == NULL) {
        return pb_error_set(err, PB_ENOMEM, NULL, "out of memory");
    }
    int used = snprintf(text, cap, TLOG_PROOF_HEADER "index %llu\n",
                        (unsigned long long)proof->index_or_old_size);
    for (size_t i = 0; i < proof->count; i++) {
        sodium_bin2base64(text + used, cap - (size_t)used, proof->hashes[i], 32,
                          sodium_base64_VARIANT_ORIGINAL);
        used += (int)strlen(text + used);
        text[used++] = '\n';
    }
    used += snprintf(text + used, cap - (size_t)used, "\n%s", note);
    PB_ASSERT(used > 0 && (size_t)used < cap);
    *text_out = text;
    return PB_OK;
}

int
pb_tlog_proof(pb_store *store, uint64_t index, char **text_out, pb_error *err)
{
    PB_ASSERT(store != NULL && text_out != NULL);
    pb_snapshot snap;
    char *note_text = NULL;
    pb_note note;
    memset(&note, 0, sizeof(note));
    pb_proof *proof = calloc(1, sizeof(*proof));
    int rc = proof == NULL ? pb_error_set(err, PB_ENOMEM, NULL, "out of memory")
                           : pb_snapshot_open(store, &snap, err);
    if (rc != PB_OK) {
        free(proof);
        return rc;
    }
    rc = pb_checkpoint_assemble(&snap, 0, &note_text, err);
    if (rc == PB_OK) {
        rc = pb_note_parse(note_text, &note, err);
    }
    if (rc == PB_OK && index >= note.tree_size) {
        rc = pb_error_set(err, PB_ENOTFOUND, NULL,
                          "record %llu is not covered by the latest checkpoint (tree size %llu)",
                          (unsigned long long)index, (unsigned long long)note.tree_size);
    }
    if (rc == PB_OK) {
        proof->index_or_old_size = index;
        proof->tree_size = note.tree_size;
        rc = pb_merkle_inclusion(pb_snapshot_hash, &snap, index, note.tree_size, proof, err);
    }
    if (rc == PB_OK) {
        rc = proof_text(proof, note_text, text_out, err);
    }
    pb_note_free(&note);
    free(note_text);
    free(proof);
    pb_snapshot_close(&snap);
    return rc;
}
