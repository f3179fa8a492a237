/*
 * writes.c — POST /add-entry (DESIGN 9): one signed record, admitted by
 * pb_store_append exactly as `poolbook append` admits it, answered with its
 * C2SP tlog-proof against a checkpoint the server signs with the operator
 * key (200 appended, 409 already present). A refusal is answered with the
 * line the command line would print and leaves the ledger as it was.
 */
#include "server/internal.h"

#include <stdlib.h>
#include <string.h>

/* The proof of index; when no stored checkpoint covers it yet (the record
 * was just appended), sign one first. */
static int
proof_of(const pb_server_config *cfg, uint64_t index, char **proof_out, pb_error *err)
{
    pb_error first;
    pb_error_init(&first);
    int rc = pb_tlog_proof(cfg->store, index, proof_out, &first);
    if (rc == PB_ENOTFOUND) {
        char *note = NULL;
        rc = pb_checkpoint_create(cfg->store, cfg->operator_key, &note, err);
        free(note);
        if (rc == PB_OK) {
            rc = pb_tlog_proof(cfg->store, index, proof_out, err);
        }
    } else if (rc != PB_OK && err != NULL) {
        *err = first;
    }
    return rc;
}

enum MHD_Result
srv_post_add_entry(struct MHD_Connection *c, struct srv_request *r)
{
    pb_error err;
    pb_error_init(&err);
    json_t *record = NULL;
    int rc = pb_json_parse(r->body != NULL ? r->body : "", r->body_len, PB_RECORD_BYTES_MAX,
                           &record, &err);
    if (rc != PB_OK) {
        return srv_answer_error(c, r, srv_status_of(rc), &err, "request body");
    }
    enum MHD_Result ok = srv_append_and_answer(c, r, record);
    json_decref(record);
    return ok;
}

enum MHD_Result
srv_append_and_answer(struct MHD_Connection *c, struct srv_request *r, json_t *record)
{
    const pb_server_config *cfg = r->config;
    pb_error err;
    pb_error_init(&err);
    uint64_t index = 0;
    int present = 0;
    char *proof = NULL;
    int rc = pb_store_append(cfg->store, record, &index, &present, &err);
    if (rc != PB_OK) {
        return srv_answer_error(c, r, srv_status_of(rc), &err, "request body");
    }
    rc = proof_of(cfg, index, &proof, &err);
    if (rc != PB_OK) {
        return srv_answer_error(c, r, 500, &err, NULL);
    }
    enum MHD_Result ok = srv_answer(c, r, present ? 409 : 200, "text/plain; charset=utf-8",
                                    "no-store", proof, strlen(proof));
    free(proof);
    return ok;
}
