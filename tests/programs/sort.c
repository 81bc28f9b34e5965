/* qsort and bsearch: integers, 64-bit keys, strings and structs with a
   total order (so the result does not depend on the libc's algorithm), plus
   a hand-written heapsort cross-checked against qsort. Exits 0 on success. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 12345;
static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct person { char name[12]; int age; double score; };

static int cmp_person(const void *a, const void *b)
{
    const struct person *p = a, *q = b;
    if (p->age != q->age)
        return p->age - q->age;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1;
    return strcmp(p->name, q->name);
}

static void sift(int *a, int start, int end)
{
    int root = start;
    while (2 * root + 1 <= end) {
        int child = 2 * root + 1;
        if (child + 1 <= end && a[child] < a[child + 1])
            child++;
        if (a[root] >= a[child])
            return;
        int t = a[root]; a[root] = a[child]; a[child] = t;
        root = child;
    }
}

static void heapsort(int *a, int n)
{
    for (int s = (n - 2) / 2; s >= 0; s--)
        sift(a, s, n - 1);
    for (int end = n - 1; end > 0; end--) {
        int t = a[0]; a[0] = a[end]; a[end] = t;
        sift(a, 0, end - 1);
    }
}

#define N 2000
static int ints[N], copy[N];
static uint64_t keys[300];

int main(void)
{
    int bad = 0;
    for (int i = 0; i < N; i++)
        ints[i] = copy[i] = (int)(rnd() % 100000) - 50000;
    qsort(ints, N, sizeof ints[0], cmp_int);
    heapsort(copy, N);
    for (int i = 0; i < N; i++)
        bad += ints[i] != copy[i] || (i && ints[i - 1] > ints[i]);
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        h = h * 31 + (uint32_t)ints[i];
    printf("ints: min=%d median=%d max=%d hash=%08" PRIx32 " bad=%d\n", ints[0], ints[N / 2],
           ints[N - 1], h, bad);
    int found = 0;
    for (int probe = -50000; probe < 50000; probe += 37)
        found += bsearch(&probe, ints, N, sizeof ints[0], cmp_int) != NULL;
    printf("bsearch hits=%d\n", found);

    for (int i = 0; i < 300; i++)
        keys[i] = ((uint64_t)rnd() << 40) ^ ((uint64_t)rnd() << 16) ^ rnd();
    qsort(keys, 300, sizeof keys[0], cmp_u64_desc);
    for (int i = 0; i < 300; i += 60)
        printf("key[%d]=%016" PRIx64 "\n", i, keys[i]);
    for (int i = 1; i < 300; i++)
        bad += keys[i - 1] < keys[i];

    static const char *names[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date",
                                  "grape", "lemon", "mango", "apricot", "Apple", "zucchini", "elder"};
    int nn = sizeof names / sizeof names[0];
    const char *sorted[sizeof names / sizeof names[0]];
    memcpy(sorted, names, sizeof names);
    qsort(sorted, (size_t)nn, sizeof sorted[0], cmp_str);
    for (int i = 0; i < nn; i++)
        printf("%s%s", i ? "," : "strings: ", sorted[i]);
    printf("\n");
    const char *key = "kiwi";
    const char **hit = bsearch(&key, sorted, (size_t)nn, sizeof sorted[0], cmp_str);
    printf("bsearch kiwi at %d\n", hit ? (int)(hit - sorted) : -1);

    struct person people[40];
    for (int i = 0; i < 40; i++) {
        snprintf(people[i].name, sizeof people[i].name, "p%02d", (int)(rnd() % 100));
        people[i].age = 20 + (int)(rnd() % 5);
        people[i].score = (double)(rnd() % 1000) / 8.0;
    }
    qsort(people, 40, sizeof people[0], cmp_person);
    for (int i = 0; i < 40; i += 4)
        printf("person %s age=%d score=%.3f\n", people[i].name, people[i].age, people[i].score);
    for (int i = 1; i < 40; i++)
        bad += cmp_person(&people[i - 1], &people[i]) > 0;
    printf("bad=%d\n", bad);
    return bad != 0;
}
