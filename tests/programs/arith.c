/* Integer arithmetic: 32- and 64-bit add/sub/mul/div/mod, signed and
   unsigned, shifts by variable amounts, widening multiplies, overflow wrap.
   Prints every result and a final checksum; exits 0. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t sum;

static void mix(uint64_t v)
{
    sum = (sum ^ v) * 0x100000001b3ULL;
}

/* noinline keeps the compiler from folding everything at -O2 */
__attribute__((noinline)) static int32_t id32(int32_t x) { return x; }
__attribute__((noinline)) static int64_t id64(int64_t x) { return x; }

static void test32(int32_t a, int32_t b)
{
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    uint32_t add = ua + ub, sub = ua - ub, mul = ua * ub;
    printf("32 %" PRId32 " %" PRId32 ": add=%" PRIu32 " sub=%" PRIu32 " mul=%" PRIu32,
           a, b, add, sub, mul);
    mix(add); mix(sub); mix(mul);
    if (b != 0 && !(a == INT32_MIN && b == -1)) {
        printf(" div=%" PRId32 " mod=%" PRId32, a / b, a % b);
        mix((uint32_t)(a / b)); mix((uint32_t)(a % b));
    }
    if (ub != 0) {
        printf(" udiv=%" PRIu32 " umod=%" PRIu32, ua / ub, ua % ub);
        mix(ua / ub); mix(ua % ub);
    }
    int64_t wide = (int64_t)a * b;
    uint64_t uwide = (uint64_t)ua * ub;
    printf(" mulhi=%" PRId32 " mulhu=%" PRIu32 "\n", (int32_t)(wide >> 32), (uint32_t)(uwide >> 32));
    mix((uint64_t)wide); mix(uwide);
}

static void test64(int64_t a, int64_t b)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    printf("64 %" PRId64 " %" PRId64 ": add=%" PRIx64 " sub=%" PRIx64 " mul=%" PRIx64,
           a, b, ua + ub, ua - ub, ua * ub);
    mix(ua + ub); mix(ua - ub); mix(ua * ub);
    if (b != 0 && !(a == INT64_MIN && b == -1)) {
        printf(" div=%" PRId64 " mod=%" PRId64, a / b, a % b);
        mix((uint64_t)(a / b)); mix((uint64_t)(a % b));
    }
    if (ub != 0) {
        printf(" udiv=%" PRIu64 " umod=%" PRIu64, ua / ub, ua % ub);
        mix(ua / ub); mix(ua % ub);
    }
    printf("\n");
}

static void shifts(uint32_t x, uint64_t y)
{
    for (int s = 0; s < 64; s += 7) {
        int s32 = s & 31;
        uint32_t l = x << s32, r = x >> s32;
        int32_t ar = (int32_t)x >> s32;
        uint64_t l64 = y << s, r64 = y >> s;
        int64_t ar64 = (int64_t)y >> s;
        printf("shift %2d: %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %016" PRIx64 " %016" PRIx64
               " %016" PRIx64 "\n", s, l, r, (uint32_t)ar, l64, r64, (uint64_t)ar64);
        mix(l); mix(r); mix((uint32_t)ar); mix(l64); mix(r64); mix((uint64_t)ar64);
    }
}

int main(void)
{
    static const int32_t v32[] = {0, 1, -1, 7, -7, 3, 100000, -65536, 0x7fffffff, INT32_MIN, 12345678};
    static const int64_t v64[] = {0, 1, -1, 10, -3, 0x123456789LL, -0x7654321fedcbLL,
                                  INT64_MAX, INT64_MIN, 1000000007LL};
    int n32 = sizeof v32 / sizeof v32[0], n64 = sizeof v64 / sizeof v64[0];
    for (int i = 0; i < n32; i++)
        for (int j = 0; j < n32; j += 2)
            test32(id32(v32[i]), id32(v32[j]));
    for (int i = 0; i < n64; i++)
        for (int j = 0; j < n64; j += 3)
            test64(id64(v64[i]), id64(v64[j]));
    shifts((uint32_t)id32((int32_t)0x89abcdef), (uint64_t)id64((int64_t)0xfedcba9876543210ULL));

    /* a few classic identities computed in loops */
    uint64_t fact = 1;
    for (int i = 1; i <= 20; i++)
        fact *= (uint64_t)i;
    int32_t gcd_a = id32(1071), gcd_b = id32(462);
    while (gcd_b != 0) {
        int32_t t = gcd_a % gcd_b;
        gcd_a = gcd_b;
        gcd_b = t;
    }
    uint64_t p = 1, base = 3, e = 1000000;
    const uint64_t m = 1000000007ULL;
    while (e) {
        if (e & 1) p = p * base % m;
        base = base * base % m;
        e >>= 1;
    }
    printf("20!=%" PRIu64 " gcd=%" PRId32 " 3^1e6 mod p=%" PRIu64 "\n", fact, gcd_a, p);
    mix(fact); mix((uint64_t)gcd_a); mix(p);
    printf("checksum %016" PRIx64 "\n", sum);
    return 0;
}
