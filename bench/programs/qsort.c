/* libc qsort: each round sorts 16384 random integers and 4096 records with
   a three-key comparator (a total order, so any correct qsort gives the same
   result), then checks the order. Size: the number of rounds. */
#include <string.h>
#include "common.h"

struct record { uint32_t group; int32_t score; char name[8]; };

static int cmp_int(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_record(const void *a, const void *b)
{
    const struct record *p = a, *q = b;
    if (p->group != q->group) return p->group < q->group ? -1 : 1;
    if (p->score != q->score) return p->score > q->score ? -1 : 1;
    return strcmp(p->name, q->name);
}

static int32_t ints[16384];
static struct record records[4096];

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, "ROUNDS");
    uint32_t check = 0;
    int bad = 0;
    for (long round = 0; round < rounds; round++) {
        for (int i = 0; i < 16384; i++)
            ints[i] = (int32_t)bench_rand();
        for (int i = 0; i < 4096; i++) {
            records[i].group = bench_rand() % 16;
            records[i].score = (int32_t)(bench_rand() % 1000) - 500;
            snprintf(records[i].name, sizeof records[i].name, "r%05u", (unsigned)(bench_rand() % 100000));
        }
        qsort(ints, 16384, sizeof ints[0], cmp_int);
        qsort(records, 4096, sizeof records[0], cmp_record);
        for (int i = 1; i < 16384; i++)
            bad += ints[i - 1] > ints[i];
        for (int i = 1; i < 4096; i++)
            bad += cmp_record(&records[i - 1], &records[i]) > 0;
        check = check * 31 + (uint32_t)ints[8192] + (uint32_t)records[2048].score + records[100].name[3];
    }
    printf("qsort rounds=%ld check=%08x bad=%d\n", rounds, (unsigned)check, bad);
    return bad != 0;
}
