/* CRC-32 (IEEE, reflected) of a generated 64 KB buffer, table-driven with
   the classic byte-at-a-time loop, checked against the bitwise definition on
   the first pass. Size: the number of passes (64 KB each). */
#include "common.h"

static uint8_t buf[65536];
static uint32_t table[256];

int main(int argc, char **argv)
{
    long passes = bench_size(argc, argv, "PASSES");
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        table[i] = c;
    }
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)bench_rand();

    uint32_t bitwise = 0xffffffffu;
    for (size_t i = 0; i < sizeof buf; i++) {
        bitwise ^= buf[i];
        for (int k = 0; k < 8; k++)
            bitwise = (bitwise >> 1) ^ (0xedb88320u & (0u - (bitwise & 1u)));
    }
    bitwise = ~bitwise;

    uint32_t crc = 0xffffffffu, first = 0;
    for (long pass = 0; pass < passes; pass++) {
        for (size_t i = 0; i < sizeof buf; i++)
            crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
        if (pass == 0) first = ~crc;
    }
    printf("crc32 passes=%ld first=%08x %s crc=%08x\n", passes, (unsigned)first,
           first == bitwise ? "ok" : "MISMATCH", (unsigned)~crc);
    return first == bitwise ? 0 : 1;
}
