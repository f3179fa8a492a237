/*
 * sigcheck.c — Ed25519 checks collected while records are admitted and then
 * run together, split over threads: the costly half of appending a batch and
 * of verifying a ledger needs no ledger state, so it can use every core
 * (DESIGN 4). The lowest failing record index is reported, so the answer does
 * not depend on how the work was split.
 */
#include "log/log.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#define SIGBATCH_THREADS_MAX 64
/* Below this many checks a thread costs more than it saves. */
#define SIGBATCH_PARALLEL_MIN 256

void
pb_sigbatch_init(pb_sigbatch *batch)
{
    memset(batch, 0, sizeof(*batch));
}

void
pb_sigbatch_clear(pb_sigbatch *batch)
{
    for (size_t i = 0; i < batch->msg_count; i++) {
        free(batch->msgs[i]);
        batch->msgs[i] = NULL;
    }
    batch->msg_count = 0;
    batch->count = 0;
}

void
pb_sigbatch_free(pb_sigbatch *batch)
{
    if (batch == NULL) {
        return;
    }
    pb_sigbatch_clear(batch);
    free(batch->checks);
    free(batch->msgs);
    free(batch->msg_lens);
    memset(batch, 0, sizeof(*batch));
}

int
pb_sigbatch_add_msg(pb_sigbatch *batch, uint8_t *msg, size_t len, uint64_t *slot_out, pb_error *err)
{
    if (batch->msg_count == batch->msg_cap) {
        size_t cap = batch->msg_cap == 0 ? 256 : batch->msg_cap * 2;
        uint8_t **msgs = realloc(batch->msgs, cap * sizeof(*msgs));
        if (msgs == NULL) {
            free(msg);
            return pb_error_set(err, PB_ENOMEM, NULL, "out of memory queueing signatures");
        }
        batch->msgs = msgs;
        size_t *lens = realloc(batch->msg_lens, cap * sizeof(*lens));
        if (lens == NULL) {
            free(msg);
            return pb_error_set(err, PB_ENOMEM, NULL, "out of memory queueing signatures");
        }
        batch->msg_lens = lens;
        batch->msg_cap = cap;
    }
    batch->msgs[batch->msg_count] = msg;
    batch->msg_lens[batch->msg_count] = len;
    *slot_out = batch->msg_count;
    batch->msg_count++;
    return PB_OK;
}

int
pb_sigbatch_add(pb_sigbatch *batch, const pb_sigcheck *check, pb_error *err)
{
    PB_ASSERT(check->msg_slot < batch->msg_count);
    if (batch->count == batch->cap) {
        size_t cap = batch->cap == 0 ? 256 : batch->cap * 2;
        pb_sigcheck *checks = realloc(batch->checks, cap * sizeof(*checks));
        if (checks == NULL) {
            return pb_error_set(err, PB_ENOMEM, NULL, "out of memory queueing signatures");
        }
        batch->checks = checks;
        batch->cap = cap;
    }
    batch->checks[batch->count++] = *check;
    return PB_OK;
}

struct sigbatch_part {
    const pb_sigbatch *batch;
    size_t from;
    size_t to;
    size_t first_bad; /* position of the first failing check in [from, to), or to */
};

static void *
run_part(void *arg)
{
    struct sigbatch_part *part = arg;
    const pb_sigbatch *b = part->batch;
    part->first_bad = part->to;
    for (size_t i = part->from; i < part->to; i++) {
        const pb_sigcheck *c = &b->checks[i];
        if (crypto_sign_verify_detached(c->sig, b->msgs[c->msg_slot], b->msg_lens[c->msg_slot],
                                        c->key) != 0) {
            part->first_bad = i;
            break;
        }
    }
    return NULL;
}

static unsigned
thread_count(unsigned threads, size_t checks)
{
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1;
    }
    if (threads > SIGBATCH_THREADS_MAX) {
        threads = SIGBATCH_THREADS_MAX;
    }
    if (checks < SIGBATCH_PARALLEL_MIN || threads < 1) {
        threads = 1;
    }
    return threads;
}

int
pb_sigbatch_run(pb_sigbatch *batch, unsigned threads, pb_error *err)
{
    struct sigbatch_part parts[SIGBATCH_THREADS_MAX];
    pthread_t ids[SIGBATCH_THREADS_MAX];
    unsigned n = thread_count(threads, batch->count);
    size_t per = (batch->count + n - 1) / (n == 0 ? 1 : n);
    int started[SIGBATCH_THREADS_MAX] = {0};
    for (unsigned t = 0; t < n; t++) {
        size_t from = per * t;
        size_t to = from + per > batch->count ? batch->count : from + per;
        parts[t] = (struct sigbatch_part){batch, from < to ? from : to, to, to};
        if (t == 0 || pthread_create(&ids[t], NULL, run_part, &parts[t]) != 0) {
            continue; /* part 0, or a thread that could not start, runs here below */
        }
        started[t] = 1;
    }
    for (unsigned t = 0; t < n; t++) {
        if (started[t]) {
            pthread_join(ids[t], NULL);
        } else {
            run_part(&parts[t]);
        }
    }
    /* Checks are queued in record order, so the first failing part's first
     * failure is the lowest failing index. */
    for (unsigned t = 0; t < n; t++) {
        if (parts[t].first_bad < parts[t].to) {
            const pb_sigcheck *c = &batch->checks[parts[t].first_bad];
            pb_error_set(err, PB_ESIG_INVALID, NULL, "signature by key %s does not verify",
                         c->keyid);
            pb_error_set_index(err, (int64_t)c->index);
            return PB_ESIG_INVALID;
        }
    }
    return PB_OK;
}

/* ---- a batch checked on a thread of its own, while the caller goes on ---- */

static void *
run_worker(void *arg)
{
    pb_sigworker *w = arg;
    pb_error_init(&w->err);
    w->rc = pb_sigbatch_run(w->batch, w->threads, &w->err);
    return NULL;
}

void
pb_sigworker_start(pb_sigworker *w, pb_sigbatch *batch, unsigned threads)
{
    PB_ASSERT(!w->busy);
    w->batch = batch;
    w->threads = threads;
    w->busy = 1;
    w->on_thread = pthread_create(&w->id, NULL, run_worker, w) == 0;
    if (!w->on_thread) {
        run_worker(w); /* no thread to be had: check it here */
    }
}

int
pb_sigworker_wait(pb_sigworker *w, pb_error *err)
{
    if (!w->busy) {
        return PB_OK;
    }
    if (w->on_thread) {
        pthread_join(w->id, NULL);
    }
    w->busy = 0;
    if (w->rc != PB_OK && err != NULL) {
        *err = w->err;
    }
    return w->rc;
}

/* ---- the pipeline: fill one batch while the other is checked ------------- */

void
pb_sigpipe_init(pb_sigpipe *p, unsigned threads)
{
    memset(p, 0, sizeof(*p));
    pb_sigbatch_init(&p->batches[0]);
    pb_sigbatch_init(&p->batches[1]);
    p->batch = &p->batches[0];
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1;
    }
    p->threads = threads;
}

void
pb_sigpipe_free(pb_sigpipe *p)
{
    pb_error ignored;
    pb_sigworker_wait(&p->worker, &ignored);
    pb_sigbatch_free(&p->batches[0]);
    pb_sigbatch_free(&p->batches[1]);
}

/* Wait for the worker's batch; on success what it covered is checked. */
static int
pipe_wait(pb_sigpipe *p, pb_error *err)
{
    if (!p->worker.busy) {
        return PB_OK;
    }
    int rc = pb_sigworker_wait(&p->worker, err);
    p->signatures += p->worker.batch->count;
    pb_sigbatch_clear(p->worker.batch);
    if (rc == PB_OK) {
        p->checked = p->in_worker;
    }
    return rc;
}

int
pb_sigpipe_hand_off(pb_sigpipe *p, uint64_t covers, int wait, pb_error *err)
{
    int rc = pipe_wait(p, err);
    if (rc != PB_OK) {
        return rc;
    }
    pb_sigbatch *mine = p->batch;
    p->in_worker = covers;
    if (p->threads > 1) {
        /* All threads but the one that goes on admitting. */
        pb_sigworker_start(&p->worker, mine, p->threads - 1);
        p->batch = mine == &p->batches[0] ? &p->batches[1] : &p->batches[0];
        return wait ? pipe_wait(p, err) : PB_OK;
    }
    rc = pb_sigbatch_run(mine, 1, err);
    p->signatures += mine->count;
    pb_sigbatch_clear(mine);
    if (rc == PB_OK) {
        p->checked = covers;
    }
    return rc;
}
