/* Recursion: naive Fibonacci, Ackermann, Towers of Hanoi, N-queens,
   permutations, mutual recursion and a recursive flood fill, then a
   deliberate non-zero exit status (42) so that exit codes are exercised.
   expect-exit: 42 */
#include <stdint.h>
#include <stdio.h>

static uint32_t fib(int n) { return n < 2 ? (uint32_t)n : fib(n - 1) + fib(n - 2); }

static int ackermann(int m, int n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static int moves;
static uint32_t hanoi_sig;
static void hanoi(int n, int from, int to, int via)
{
    if (n == 0) return;
    hanoi(n - 1, from, via, to);
    moves++;
    hanoi_sig = hanoi_sig * 7 + (uint32_t)(from * 3 + to);
    hanoi(n - 1, via, to, from);
}

static int queens(int n, int row, uint32_t cols, uint32_t d1, uint32_t d2)
{
    if (row == n) return 1;
    int count = 0;
    uint32_t free_ = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (free_) {
        uint32_t bit = free_ & -free_;
        free_ ^= bit;
        count += queens(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return count;
}

static int perm_count;
static uint32_t perm_sig;
static void permute(char *s, int k, int n)
{
    if (k == n) {
        perm_count++;
        for (int i = 0; i < n; i++) perm_sig = perm_sig * 31 + (unsigned char)s[i];
        if (perm_count <= 3 || perm_count == 120) printf("perm %d: %s\n", perm_count, s);
        return;
    }
    for (int i = k; i < n; i++) {
        char t = s[k]; s[k] = s[i]; s[i] = t;
        permute(s, k + 1, n);
        t = s[k]; s[k] = s[i]; s[i] = t;
    }
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

static char grid[12][24];
static int fill(int r, int c)
{
    if (r < 0 || r >= 12 || c < 0 || c >= 23 || grid[r][c] != '.') return 0;
    grid[r][c] = 'o';
    return 1 + fill(r + 1, c) + fill(r - 1, c) + fill(r, c + 1) + fill(r, c - 1);
}

int main(void)
{
    for (int n = 0; n <= 24; n += 4)
        printf("fib(%d)=%u\n", n, (unsigned)fib(n));
    printf("ackermann(2,3)=%d ackermann(3,3)=%d\n", ackermann(2, 3), ackermann(3, 3));
    hanoi(10, 0, 2, 1);
    printf("hanoi(10): %d moves sig=%08x\n", moves, (unsigned)hanoi_sig);
    for (int n = 4; n <= 8; n++)
        printf("queens(%d)=%d\n", n, queens(n, 0, 0, 0, 0));
    char word[] = "abcde";
    permute(word, 0, 5);
    printf("perms=%d sig=%08x\n", perm_count, (unsigned)perm_sig);
    printf("even(1001)=%d odd(777)=%d\n", is_even(1001), is_odd(777));

    for (int r = 0; r < 12; r++)
        for (int c = 0; c < 23; c++)
            grid[r][c] = (r == 0 || r == 11 || c == 0 || c == 22 || (c == 11 && r != 5) ||
                          (r == 7 && c > 11)) ? '#' : '.';
    int filled = fill(2, 3);
    for (int r = 0; r < 12; r++)
        printf("%s\n", grid[r]);
    printf("filled=%d\n", filled);
    return fib(12) == 144 && filled > 0 ? 42 : 1;
}
