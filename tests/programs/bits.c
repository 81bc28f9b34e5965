/* Bit tricks: count leading/trailing zeros and population count (builtins
   and portable loops, cross-checked), byte swaps, rotations, bit reversal,
   bit-field extract/insert, sign extension. Exits 0 if all cross-checks pass. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static int failures;

static void check(const char *what, uint32_t x, uint64_t got, uint64_t want)
{
    if (got != want) {
        printf("FAIL %s(%08" PRIx32 "): %" PRIu64 " != %" PRIu64 "\n", what, x, got, want);
        failures++;
    }
}

static int slow_clz(uint32_t x)
{
    int n = 0;
    for (uint32_t m = 0x80000000u; m && !(x & m); m >>= 1)
        n++;
    return n;
}

static int slow_ctz(uint32_t x)
{
    int n = 0;
    for (uint32_t m = 1; m && !(x & m); m <<= 1)
        n++;
    return n;
}

static int slow_pop(uint32_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static uint32_t bswap32(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

static uint16_t bswap16(uint16_t x)
{
    return (uint16_t)((x >> 8) | (x << 8));
}

static uint64_t bswap64(uint64_t x)
{
    return ((uint64_t)bswap32((uint32_t)x) << 32) | bswap32((uint32_t)(x >> 32));
}

static uint32_t rotl32(uint32_t x, unsigned r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }
static uint32_t rotr32(uint32_t x, unsigned r) { return (x >> (r & 31)) | (x << ((32 - r) & 31)); }
static uint64_t rotl64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }

static uint32_t reverse32(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return bswap32(x);
}

static uint32_t extract(uint32_t x, int pos, int len)
{
    return (x >> pos) & ((len == 32) ? 0xffffffffu : ((1u << len) - 1));
}

static uint32_t insert(uint32_t x, uint32_t v, int pos, int len)
{
    uint32_t mask = ((len == 32) ? 0xffffffffu : ((1u << len) - 1)) << pos;
    return (x & ~mask) | ((v << pos) & mask);
}

static int32_t sext(uint32_t x, int bits)
{
    uint32_t m = 1u << (bits - 1);
    x &= (bits == 32) ? 0xffffffffu : ((1u << bits) - 1);
    return (int32_t)((x ^ m) - m);
}

int main(void)
{
    uint32_t x = 1;
    uint64_t acc = 0;
    for (int i = 0; i < 64; i++) {
        /* xorshift sequence plus some special values */
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        uint32_t v = (i % 8 == 0) ? (0x80000000u >> (i / 2)) : (i % 8 == 1) ? 0 : x;
        int clz = v ? __builtin_clz(v) : 32, ctz = v ? __builtin_ctz(v) : 32;
        check("clz", v, (uint64_t)clz, (uint64_t)slow_clz(v));
        check("ctz", v, (uint64_t)ctz, (uint64_t)slow_ctz(v));
        check("pop", v, (uint64_t)__builtin_popcount(v), (uint64_t)slow_pop(v));
        check("bswap32", v, __builtin_bswap32(v), bswap32(v));
        check("bswap16", v, __builtin_bswap16((uint16_t)v), bswap16((uint16_t)v));
        uint64_t w = ((uint64_t)v << 32) | (v ^ 0x5a5a5a5au);
        check("bswap64", v, __builtin_bswap64(w), bswap64(w));
        check("rot", v, rotr32(rotl32(v, (unsigned)i), (unsigned)i), v);
        check("rev", v, reverse32(reverse32(v)), v);
        check("parity", v, (uint64_t)__builtin_parity(v), (uint64_t)(slow_pop(v) & 1));
        int pos = i % 29, len = 1 + i % 13;
        if (pos + len > 32)
            len = 32 - pos;
        uint32_t ins = insert(v, 0x1234567u, pos, len);
        check("extract", v, extract(ins, pos, len), 0x1234567u & ((1u << len) - 1));
        printf("%08" PRIx32 " clz=%2d ctz=%2d pop=%2d bswap=%08" PRIx32 " rotl%-2d=%08" PRIx32
               " rev=%08" PRIx32 " ins=%08" PRIx32 " sext12=%" PRId32 " rotl64=%016" PRIx64 "\n",
               v, clz, ctz, __builtin_popcount(v), bswap32(v), i % 32, rotl32(v, (unsigned)i),
               reverse32(v), ins, sext(v, 12), rotl64(w, (unsigned)i));
        acc = acc * 31 + v + (uint64_t)clz + reverse32(v) + ins;
    }
    /* 64-bit leading zeros across the word boundary */
    for (int s = 0; s < 64; s += 9) {
        uint64_t v = 1ULL << s;
        printf("clzll(1<<%d)=%d ctzll=%d popll(~v)=%d\n", s, __builtin_clzll(v), __builtin_ctzll(v),
               __builtin_popcountll(~v));
    }
    printf("acc=%016" PRIx64 " failures=%d\n", acc, failures);
    return failures ? 1 : 0;
}
