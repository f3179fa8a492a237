/*
 * internal.h — what the files of server/ share: one request as it is read
 * and answered, the answer helpers, and the routes. Not installed; cli/
 * sees only server.h.
 */
#ifndef POOLBOOK_SERVER_INTERNAL_H
#define POOLBOOK_SERVER_INTERNAL_H

#include "server/server.h"

#include <microhttpd.h>
#include <stdint.h>

/* One request: its body as it arrives, and what the log line says. */
struct srv_request {
    const pb_server_config *config;
    int64_t start_us;
    char method[8];
    char path[256];    /* the URL path, cut at 255 bytes, for the log */
    const char *ended; /* NULL, or why the connection ended early */
    char *body;
    size_t body_len;
    int body_too_big;              /* more than the limit arrived: answered 413 */
    char keyid[PB_KEYID_TEXT_MAX]; /* the request's signer, or "" */
    unsigned status;
    size_t bytes;
};

/* Queue an answer of len bytes (copied) with a content type and a
 * Cache-Control value (NULL for none), and log the request. */
enum MHD_Result srv_answer(struct MHD_Connection *c, struct srv_request *r, unsigned status,
                           const char *type, const char *cache, const void *body, size_t len);
/* Answer an error: the one line the command line prints for err, with
 * "request body" (or the given place) before err's own where. */
enum MHD_Result srv_answer_error(struct MHD_Connection *c, struct srv_request *r, unsigned status,
                                 const pb_error *err, const char *place);
/* Set err to code with a formatted text (the library's pb_error_set is
 * internal to it). */
void srv_error(pb_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The HTTP status for a library code (400, 403, 404, 409, 413, 422, 500). */
unsigned srv_status_of(int code);

/* Routes (reads.c, writes.c). url is the path without the query. */
enum MHD_Result srv_get_checkpoint(struct MHD_Connection *c, struct srv_request *r);
enum MHD_Result srv_get_tile(struct MHD_Connection *c, struct srv_request *r, const char *url);
enum MHD_Result srv_get_pool_page(struct MHD_Connection *c, struct srv_request *r,
                                  const char *pool);
enum MHD_Result srv_post_add_entry(struct MHD_Connection *c, struct srv_request *r);
/* Append record (pb_store_append) and answer its tlog-proof: 200, or 409
 * when already present; a refusal answered with the CLI's line (writes.c). */
enum MHD_Result srv_append_and_answer(struct MHD_Connection *c, struct srv_request *r,
                                      json_t *record);
/* Drafts for co-signing (drafts.c). */
enum MHD_Result srv_post_draft(struct MHD_Connection *c, struct srv_request *r);
enum MHD_Result srv_get_drafts(struct MHD_Connection *c, struct srv_request *r);
enum MHD_Result srv_get_draft(struct MHD_Connection *c, struct srv_request *r, const char *id);
enum MHD_Result srv_post_draft_signature(struct MHD_Connection *c, struct srv_request *r,
                                         const char *id);

#endif /* POOLBOOK_SERVER_INTERNAL_H */
