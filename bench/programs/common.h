/* Shared by the bench programs: the size argument and a deterministic generator.
   Every program prints only integers or fixed-precision values, so its output is
   identical on x86-64 and on every guest (bench/run.sh compares them). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t bench_seed = 0x9e3779b9u;

static inline uint32_t bench_rand(void)
{
    bench_seed ^= bench_seed << 13;
    bench_seed ^= bench_seed >> 17;
    bench_seed ^= bench_seed << 5;
    return bench_seed;
}

/* argv[1]: the workload's size (its meaning is per program); a missing or bad one is an error. */
static inline long bench_size(int argc, char **argv, const char *what)
{
    char *end;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end != 0 || n <= 0 || n > 100000000) {
        fprintf(stderr, "usage: %s %s (a positive number)\n", argv[0], what);
        exit(2);
    }
    return n;
}
