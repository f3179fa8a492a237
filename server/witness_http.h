/*
 * witness_http.h — the HTTP face of `poolbook witness` (server/witness_http.c):
 * C2SP tlog-witness on GNU libmicrohttpd, calling the library for every rule.
 */
#ifndef POOLBOOK_WITNESS_HTTP_H
#define POOLBOOK_WITNESS_HTTP_H

#include "poolbook.h"

#include <stdint.h>

typedef struct witness_http witness_http;

/* Listen on address:port (IPv4 dotted quad; port 0 picks a free one) and
 * serve witness from a thread of libmicrohttpd's own: POST
 * /add-checkpoint and GET /latest/<origin>. *port_out gets the port bound.
 * Returns NULL with a message in msg when it cannot listen. */
witness_http *witness_http_start(pb_witness *witness, const char *address, uint16_t port,
                                 uint16_t *port_out, char *msg, size_t msg_size);
/* Stop serving (requests in progress finish first). NULL is allowed. */
void witness_http_stop(witness_http *http);

#endif /* POOLBOOK_WITNESS_HTTP_H */
