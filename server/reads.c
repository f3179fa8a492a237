/*
 * reads.c — the C2SP tlog-tiles read routes (DESIGN 9): GET /checkpoint,
 * /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>]. Each answer comes from
 * one library call on one read snapshot (pb_checkpoint_get, pb_tile_read),
 * so a read never waits for a writer.
 */
#include "server/internal.h"

#include <stdlib.h>
#include <string.h>

/* A checkpoint changes with every append: caches keep it for seconds. A full
 * tile never changes; a partial tile of a given width never changes either,
 * but is replaced by wider ones, so it is kept for a minute. */
#define CACHE_CHECKPOINT "public, max-age=2"
#define CACHE_TILE_FULL "public, max-age=31536000, immutable"
#define CACHE_TILE_PARTIAL "public, max-age=60"

enum MHD_Result
srv_get_checkpoint(struct MHD_Connection *c, struct srv_request *r)
{
    pb_error err;
    pb_error_init(&err);
    char *note = NULL;
    int rc = pb_checkpoint_get(r->config->store, 0, &note, &err);
    if (rc != PB_OK) {
        return srv_answer_error(c, r, srv_status_of(rc), &err, NULL);
    }
    enum MHD_Result ok =
        srv_answer(c, r, 200, "text/plain; charset=utf-8", CACHE_CHECKPOINT, note, strlen(note));
    free(note);
    return ok;
}

enum MHD_Result
srv_get_tile(struct MHD_Connection *c, struct srv_request *r, const char *url)
{
    pb_error err;
    pb_error_init(&err);
    pb_tile tile;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pb_tile_parse(url + 1, &tile, &err);
    if (rc == PB_OK) {
        rc = pb_tile_read(r->config->store, &tile, &buf, &len, &err);
    }
    if (rc != PB_OK) {
        return srv_answer_error(c, r, srv_status_of(rc), &err, NULL);
    }
    enum MHD_Result ok =
        srv_answer(c, r, 200, "application/octet-stream",
                   tile.width == PB_TILE_WIDTH ? CACHE_TILE_FULL : CACHE_TILE_PARTIAL, buf, len);
    free(buf);
    return ok;
}

enum MHD_Result
srv_get_pool_page(struct MHD_Connection *c, struct srv_request *r, const char *pool)
{
    pb_error err;
    pb_error_init(&err);
    const char *period = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "period");
    char *html = NULL;
    size_t len = 0;
    int rc = PB_ENOTFOUND;
    if (r->config->render_pool_page == NULL) {
        srv_error(&err, rc, "this server renders no pool pages");
    } else {
        rc = r->config->render_pool_page(r->config->store, pool, period, &html, &len, &err);
    }
    if (rc != PB_OK) {
        unsigned status = rc == PB_EPOOL || rc == PB_ENOTFOUND ? MHD_HTTP_NOT_FOUND
                          : rc == PB_EPERIOD                   ? MHD_HTTP_BAD_REQUEST
                                                               : srv_status_of(rc);
        return srv_answer_error(c, r, status, &err, NULL);
    }
    /* A page of figures, read at this moment: cached briefly, no scripts. */
    enum MHD_Result ok =
        srv_answer(c, r, 200, "text/html; charset=utf-8", "public, max-age=60", html, len);
    free(html);
    return ok;
}
