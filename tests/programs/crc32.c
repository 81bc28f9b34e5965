/* Checksums: CRC-32 (IEEE, reflected) bitwise and table-driven, CRC-32C,
   Adler-32 and FNV-1a over generated buffers of several sizes and
   alignments; the two CRC-32 implementations are cross-checked and the
   standard check value for "123456789" is verified. Exits 0 on success. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc_bitwise(uint32_t poly, const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (poly & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t table[256], table_c[256];

static void make_table(uint32_t *t, uint32_t poly)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[i] = c;
    }
}

static uint32_t crc_table(const uint32_t *t, const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--)
        crc = t[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) {
        a = (a + *p++) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    while (n--)
        h = (h ^ *p++) * 0x100000001b3ULL;
    return h;
}

static uint8_t buf[8192 + 8];

int main(void)
{
    int bad = 0;
    make_table(table, 0xedb88320u);
    make_table(table_c, 0x82f63b78u);
    const uint8_t *check = (const uint8_t *)"123456789";
    uint32_t c1 = crc_table(table, check, 9), c2 = crc_table(table_c, check, 9);
    printf("check crc32=%08" PRIx32 " crc32c=%08" PRIx32 " adler=%08" PRIx32 "\n", c1, c2,
           adler32(check, 9));
    bad += c1 != 0xcbf43926u || c2 != 0xe3069283u;

    uint32_t s = 0x12345678u;
    for (size_t i = 0; i < sizeof buf; i++) {
        s = s * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(s >> 24);
    }
    static const size_t sizes[] = {0, 1, 3, 4, 7, 64, 255, 1000, 4096, 8192};
    for (int i = 0; i < 10; i++) {
        for (int off = 0; off < 4; off += 3) {
            size_t n = sizes[i];
            uint32_t t = crc_table(table, buf + off, n), b = crc_bitwise(0xedb88320u, buf + off, n);
            bad += t != b;
            printf("n=%4u off=%d crc32=%08" PRIx32 " crc32c=%08" PRIx32 " adler=%08" PRIx32
                   " fnv=%016" PRIx64 "\n", (unsigned)n, off, t, crc_table(table_c, buf + off, n),
                   adler32(buf + off, n), fnv1a64(buf + off, n));
        }
    }
    const char *text = "The quick brown fox jumps over the lazy dog";
    printf("fox crc32=%08" PRIx32 "\n", crc_table(table, (const uint8_t *)text, strlen(text)));
    bad += crc_table(table, (const uint8_t *)text, strlen(text)) != 0x414fa339u;
    printf("bad=%d\n", bad);
    return bad != 0;
}
