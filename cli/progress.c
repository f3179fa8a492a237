/*
 * progress.c — progress of long runs on standard error, when it is a
 * terminal (DESIGN 8): "verifying: 12,288 of 1,000,000 records, 8,192 a
 * second, about 2:01 left", redrawn in place at most every
 * PROGRESS_REDRAW_MS, then a last line with the count and the time taken.
 * Nothing at all when standard error is not a terminal (a pipe, a file, CI),
 * so scripts and logs see only the result. The library reports through
 * pb_store_set_progress; statements counts its partners here directly.
 * Integer arithmetic only.
 */
#include "cli.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_REDRAW_MS 200

struct progress {
    char what[32];
    int64_t start_ms;
    int64_t drawn_ms; /* -1: nothing drawn yet */
};

static struct progress progress_state;

static int64_t
progress_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n with thousands separators: 1,000,000. */
static void
progress_count(uint64_t n, char *buf, size_t size)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
    size_t used = 0;
    for (int i = 0; i < len && used + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[used++] = ',';
        }
        buf[used++] = digits[i];
    }
    buf[used] = '\0';
}

/* Seconds as m:ss, or h:mm:ss from an hour. */
static void
progress_clock(int64_t seconds, char *buf, size_t size)
{
    if (seconds >= 3600) {
        snprintf(buf, size, "%lld:%02lld:%02lld", (long long)(seconds / 3600),
                 (long long)(seconds / 60 % 60), (long long)(seconds % 60));
    } else {
        snprintf(buf, size, "%lld:%02lld", (long long)(seconds / 60), (long long)(seconds % 60));
    }
}

void
cli_progress(const char *what, uint64_t done, uint64_t total, const char *unit)
{
    struct progress *p = &progress_state;
    int64_t now = progress_now_ms();
    if (strcmp(p->what, what) != 0 || done == 0) {
        snprintf(p->what, sizeof(p->what), "%s", what);
        p->start_ms = now;
        p->drawn_ms = -1;
    }
    int last = done == total;
    if (!last && p->drawn_ms >= 0 && now - p->drawn_ms < PROGRESS_REDRAW_MS) {
        return;
    }
    p->drawn_ms = now;
    int64_t elapsed_ms = now - p->start_ms;
    char d[32], t[32], rate[32], left[32];
    progress_count(done, d, sizeof(d));
    progress_count(total, t, sizeof(t));
    /* Per second from the milliseconds so far; at least 1 ms, so never a division by zero. */
    uint64_t per_second = done * 1000 / (uint64_t)(elapsed_ms > 0 ? elapsed_ms : 1);
    progress_count(per_second, rate, sizeof(rate));
    if (last) {
        progress_clock(elapsed_ms / 1000, left, sizeof(left));
        fprintf(stderr, "\r%s: %s %s in %s (%s a second)\033[K\n", what, t, unit, left, rate);
        p->what[0] = '\0';
        return;
    }
    int64_t left_s = per_second > 0 ? (int64_t)((total - done) / per_second) : 0;
    progress_clock(left_s, left, sizeof(left));
    fprintf(stderr, "\r%s: %s of %s %s, %s a second, about %s left\033[K", what, d, t, unit, rate,
            left);
}

static void
progress_records(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    cli_progress(what, done, total, "records");
}

int
cli_progress_wanted(void)
{
    return isatty(STDERR_FILENO);
}

void
cli_progress_attach(pb_store *store)
{
    if (cli_progress_wanted()) {
        pb_store_set_progress(store, progress_records, NULL);
    }
}
