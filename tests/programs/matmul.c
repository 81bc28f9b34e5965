/* Matrix multiply: 32-bit integer, 64-bit integer and double precision
   matrices (naive i-j-k, loop-interchanged i-k-j and blocked versions,
   cross-checked), a transpose, and a determinant by Gaussian elimination
   with partial pivoting. Exits 0 if the variants agree. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define N 48
static int32_t A[N][N], B[N][N], C1[N][N], C2[N][N];
static int64_t L[N][N], LC[N][N];
static double X[N][N], Y[N][N], Z1[N][N], Z2[N][N];

static void mul_ijk(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++)
                s += A[i][k] * B[k][j];
            C1[i][j] = s;
        }
}

static void mul_blocked(void)
{
    enum { BS = 16 };
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            C2[i][j] = 0;
    for (int ii = 0; ii < N; ii += BS)
        for (int kk = 0; kk < N; kk += BS)
            for (int jj = 0; jj < N; jj += BS)
                for (int i = ii; i < ii + BS; i++)
                    for (int k = kk; k < kk + BS; k++) {
                        int32_t a = A[i][k];
                        for (int j = jj; j < jj + BS; j++)
                            C2[i][j] += a * B[k][j];
                    }
}

static double det(double m[N][N], int n)
{
    static double t[N][N];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            t[i][j] = m[i][j];
    double d = 1.0;
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(t[r][c]) > fabs(t[p][c])) p = r;
        if (t[p][c] == 0.0) return 0.0;
        if (p != c) {
            for (int j = 0; j < n; j++) { double x = t[c][j]; t[c][j] = t[p][j]; t[p][j] = x; }
            d = -d;
        }
        d *= t[c][c];
        for (int r = c + 1; r < n; r++) {
            double f = t[r][c] / t[c][c];
            for (int j = c; j < n; j++)
                t[r][j] -= f * t[c][j];
        }
    }
    return d;
}

int main(void)
{
    uint32_t s = 7;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            s = s * 1103515245u + 12345u;
            A[i][j] = (int32_t)(s >> 20) - 2048;
            s = s * 1103515245u + 12345u;
            B[i][j] = (int32_t)(s >> 22) - 512;
            L[i][j] = (int64_t)A[i][j] * 100003 + B[i][j];
            X[i][j] = (double)A[i][j] / 256.0;
            Y[i][j] = (double)B[i][j] / 64.0 + (i == j ? 10.0 : 0.0);
        }
    mul_ijk();
    mul_blocked();
    int bad = 0;
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            bad += C1[i][j] != C2[i][j];
            h = h * 31 + (uint32_t)C1[i][j];
        }
    printf("int32: C[0][0]=%d C[17][31]=%d C[47][47]=%d hash=%08" PRIx32 "\n", (int)C1[0][0],
           (int)C1[17][31], (int)C1[N - 1][N - 1], h);

    /* int64: L * L^T, i-k-j order */
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            int64_t a = L[i][k];
            for (int j = 0; j < N; j++)
                LC[i][j] += a * L[j][k];
        }
    uint64_t h64 = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            bad += LC[i][j] != LC[j][i]; /* symmetric */
            h64 = h64 * 1099511628211ULL + (uint64_t)LC[i][j];
        }
    printf("int64: LC[3][5]=%" PRId64 " LC[40][2]=%" PRId64 " hash=%016" PRIx64 "\n", LC[3][5],
           LC[40][2], h64);

    /* double: two loop orders; results must be bit-identical because the
       summation order over k is the same */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double acc = 0.0;
            for (int k = 0; k < N; k++)
                acc += X[i][k] * Y[k][j];
            Z1[i][j] = acc;
        }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            Z2[i][j] = 0.0;
        for (int k = 0; k < N; k++)
            for (int j = 0; j < N; j++)
                Z2[i][j] += X[i][k] * Y[k][j];
    }
    double trace = 0.0, norm = 0.0;
    for (int i = 0; i < N; i++) {
        trace += Z1[i][i];
        for (int j = 0; j < N; j++) {
            bad += Z1[i][j] != Z2[i][j];
            norm += Z1[i][j] * Z1[i][j];
        }
    }
    printf("double: Z[1][2]=%.6f trace=%.6f frob=%.6f\n", Z1[1][2], trace, sqrt(norm));
    for (int n = 2; n <= 8; n += 3)
        printf("det(Y[%dx%d])=%.6e\n", n, n, det(Y, n));
    printf("bad=%d\n", bad);
    return bad != 0;
}
