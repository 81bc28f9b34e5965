/* Floating point: printf of floats and doubles (%f %e %g with various
   precisions), libm (sqrt, sin, cos, tan, atan2, exp, log, pow, fmod,
   floor/ceil/round/trunc), float<->int and double<->int64 conversions,
   single vs double precision arithmetic, comparisons and infinities.
   Avoids what legitimately differs between targets: NaN bit patterns (MIPS
   uses the legacy NaN encoding), out-of-range conversions, decimal ties in
   printf and more than 15 significant digits (picolibc pads with zeros
   where glibc prints the exact binary value). Exits 0. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* volatile inputs keep gcc from evaluating libm calls at compile time */
static volatile double vd[] = {0.0, 0.5, 1.0, -1.25, 2.0, 3.14159265358979, 10.0, -7.75, 100.5,
                               1e-3, 12345.678};
static volatile float vf[] = {0.0f, 0.1f, -0.5f, 1.5f, 2.5f, -2.5f, 3.75f, 1e6f, -123.456f, 7e-5f};

int main(void)
{
    int nd = sizeof vd / sizeof vd[0], nf = sizeof vf / sizeof vf[0];
    for (int i = 0; i < nd; i++) {
        double x = vd[i];
        printf("x=%.6f sqrt=%.9f sin=%.9f cos=%.9f exp=%.6e atan2=%.9f\n", x, sqrt(fabs(x)), sin(x),
               cos(x), exp(x / 16), atan2(x, 1.5));
        if (x > 0)
            printf("  log=%.9f pow=%.6g tan=%.9f fmod=%.6f cbrt=%.9f\n", log(x), pow(x, 1.7),
                   tan(x / 4), fmod(x, 0.75), cbrt(x));
        printf("  floor=%g ceil=%g round=%g trunc=%g bits=%016" PRIx64 "\n", floor(x), ceil(x),
               round(x), trunc(x), dbits(x));
    }
    for (int i = 0; i < nf; i++) {
        float f = vf[i];
        float s = sqrtf(fabsf(f)), p = f * 3.0f + 0.25f, q = f / 7.0f;
        printf("f=%.7g sqrtf=%.7g sinf=%.6f p=%.7g q=%.7g bits=%08" PRIx32 " q_bits=%08" PRIx32 "\n",
               (double)f, (double)s, (double)sinf(f), (double)p, (double)q, fbits(f), fbits(q));
        int ti = (int)f;
        long long tl = (long long)(f * 1000.0f);
        printf("  (int)=%d (ll)(f*1000)=%lld rint=%g lround=%ld floorf=%g\n", ti, tl,
               (double)rintf(f), lroundf(f), (double)floorf(f));
    }

    /* conversions */
    static volatile int32_t ints[] = {0, 1, -1, 16777217, -16777217, 2147483647, -2147483647 - 1};
    for (int i = 0; i < 7; i++) {
        float f = (float)ints[i];
        double d = (double)ints[i];
        printf("int %" PRId32 " -> float %.1f (%08" PRIx32 ") double %.1f\n", ints[i], (double)f,
               fbits(f), d);
    }
    static volatile uint32_t uints[] = {0u, 3000000000u, 4294967295u, 0x80000001u};
    for (int i = 0; i < 4; i++)
        printf("uint %" PRIu32 " -> float %.1f double %.1f\n", uints[i], (double)(float)uints[i],
               (double)uints[i]);
    static volatile int64_t i64s[] = {0, -5, 9007199254740993LL, -9007199254740993LL,
                                      0x7ffffffffffffc00LL, 1234567890123LL};
    for (int i = 0; i < 6; i++) {
        double d = (double)i64s[i];
        int64_t back = (int64_t)(d / 2);
        printf("i64 %" PRId64 " -> %.15g bits=%016" PRIx64 " half->i64 %" PRId64 " float=%.9g\n",
               i64s[i], d, dbits(d), back, (double)(float)i64s[i]);
    }
    static volatile uint64_t u64 = 18446744073709549568ULL;
    printf("u64 %" PRIu64 " -> %.15g -> %" PRIu64 "\n", u64, (double)u64, (uint64_t)(double)u64);
    static volatile double conv[] = {0.99999, -0.99999, 2147483647.9, -2147483648.5, 4294967295.0,
                                     1e15 + 0.5, -3.5, 3.5};
    for (int i = 0; i < 8; i++)
        printf("double %.3f -> int64 %" PRId64 " uint32 %" PRIu32 "\n", conv[i],
               (int64_t)conv[i], conv[i] >= 0 && conv[i] < 4294967296.0 ? (uint32_t)conv[i] : 0u);

    /* formatting */
    double v = 1.0 / 3.0;
    printf("%f|%.0f|%.1f|%.15f|%e|%.3E|%g|%.10g|%10.4f|%-10.2f|%+.2e\n", v, v, v, v, v, v * 1e10,
           v * 1e-5, v, v, v, -v);
    /* No exact decimal ties (glibc rounds them to even, picolibc away from zero) and no
       values whose first significant digit is the first one cut off: picolibc 1.8 rounds
       those up (%.0f of 0.49 gives 1). */
    printf("%.0f %.0f %.0f %.0f %.1f %.2f\n", 1.49, 1.51, 2.5000001, -1.51, 0.26, 1.005);
    printf("big %.3f %g %e tiny %g %e\n", 1e20, 1e20, DBL_MAX, 1e-300, DBL_MIN);
    printf("float eps %g dbl eps %g fltmax %g\n", (double)FLT_EPSILON, DBL_EPSILON, (double)FLT_MAX);

    /* special values (no NaN payloads printed) */
    volatile double zero = 0.0, one = 1.0;
    double inf = one / zero, nan_ = zero / zero;
    printf("inf=%f -inf=%f isinf=%d isnan=%d nan!=nan=%d inf>max=%d -0.0=%g signbit=%d\n", inf,
           -inf, isinf(inf) != 0, isnan(nan_) != 0, nan_ != nan_, inf > DBL_MAX, -zero,
           signbit(-zero) != 0);
    float sub = FLT_MIN / 8.0f;
    printf("float subnormal %g bits=%08" PRIx32 " x8=%g\n", (double)sub, fbits(sub),
           (double)(sub * 8.0f));

    /* accumulation: float vs double summation of the harmonic series */
    float hf = 0.0f;
    double hd = 0.0;
    for (int k = 1; k <= 100000; k++) {
        hf += 1.0f / (float)k;
        hd += 1.0 / k;
    }
    printf("harmonic float=%.7g (%08" PRIx32 ") double=%.15g\n", (double)hf, fbits(hf), hd);
    return 0;
}
