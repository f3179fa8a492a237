/*
 * bench_raw.c — the baseline the shell benchmarks (bench_scale.sh) divide by:
 * libsodium's raw Ed25519 verify rate on one core, for messages of the given
 * size, printed as one integer (verifies per second).
 * usage: bench_raw [MSG_BYTES] [COUNT]     (defaults 600 and 20000)
 */
#define BENCH_NAME "bench_raw"
#include "bench.h"

int
main(int argc, char **argv)
{
    size_t msg_len = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 600;
    int count = argc > 2 ? atoi(argv[2]) : 20000;
    if (sodium_init() < 0 || count <= 0) {
        return 2;
    }
    printf("%llu\n", (unsigned long long)raw_verify_rate(msg_len, count));
    return 0;
}
