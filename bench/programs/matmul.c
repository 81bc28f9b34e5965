/* Matrix multiply (CoreMark's matrix kernel, grown): 64x64 32-bit integer
   matrices, C = A * B in i-k-j order, then A is perturbed by C so that every
   iteration depends on the previous one. Size: the number of products. */
#include "common.h"

#define N 64
static int32_t A[N][N], B[N][N], C[N][N];

int main(int argc, char **argv)
{
    long iterations = bench_size(argc, argv, "ITERATIONS");
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (int32_t)(bench_rand() % 2001) - 1000;
            B[i][j] = (int32_t)(bench_rand() % 2001) - 1000;
        }
    uint32_t check = 0;
    for (long it = 0; it < iterations; it++) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++)
                C[i][j] = 0;
            for (int k = 0; k < N; k++) {
                int32_t a = A[i][k];
                for (int j = 0; j < N; j++)
                    C[i][j] += a * B[k][j];
            }
        }
        uint32_t h = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                h = h * 31 + (uint32_t)C[i][j];
                A[i][j] = (A[i][j] + (C[i][j] & 0xff)) % 1000;
            }
        check ^= h + (uint32_t)it;
    }
    printf("matmul n=%d iterations=%ld check=%08x\n", N, iterations, (unsigned)check);
    return 0;
}
