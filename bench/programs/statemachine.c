/* State machine (CoreMark's state kernel, grown): a switch-driven scanner
   classifies the fields of a generated 64 KB comma-separated text as
   integers, floats, exponents, hex or invalid, counting transitions.
   Size: the number of passes over the text. */
#include "common.h"

enum state { S_START, S_INT, S_FLOAT, S_EXP_START, S_EXP, S_HEX_START, S_HEX, S_INVALID, S_COUNT };

static char text[65536];

static enum state step(enum state s, unsigned char c)
{
    switch (s) {
    case S_START:
        if (c >= '0' && c <= '9') return c == '0' ? S_HEX_START : S_INT;
        if (c == '+' || c == '-') return S_INT;
        if (c == '.') return S_FLOAT;
        return S_INVALID;
    case S_INT:
        if (c >= '0' && c <= '9') return S_INT;
        if (c == '.') return S_FLOAT;
        if (c == 'e' || c == 'E') return S_EXP_START;
        return S_INVALID;
    case S_FLOAT:
        if (c >= '0' && c <= '9') return S_FLOAT;
        if (c == 'e' || c == 'E') return S_EXP_START;
        return S_INVALID;
    case S_EXP_START:
        if ((c >= '0' && c <= '9') || c == '+' || c == '-') return S_EXP;
        return S_INVALID;
    case S_EXP:
        return c >= '0' && c <= '9' ? S_EXP : S_INVALID;
    case S_HEX_START:
        if (c == 'x' || c == 'X') return S_HEX;
        if (c >= '0' && c <= '9') return S_INT;
        if (c == '.') return S_FLOAT;
        return S_INVALID;
    case S_HEX:
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) return S_HEX;
        return S_INVALID;
    default:
        return S_INVALID;
    }
}

int main(int argc, char **argv)
{
    long passes = bench_size(argc, argv, "PASSES");
    static const char alphabet[] = "0123456789012345678901234567890123456789+-.eExXabcfZ ";
    for (size_t i = 0; i < sizeof text - 1; i++)
        text[i] = bench_rand() % 9 == 0 ? ',' : alphabet[bench_rand() % (sizeof alphabet - 1)];
    text[sizeof text - 1] = 0;

    uint32_t finals[S_COUNT] = {0}, transitions = 0;
    for (long pass = 0; pass < passes; pass++) {
        enum state s = S_START;
        for (const char *p = text; *p; p++) {
            if (*p == ',') { finals[s]++; s = S_START; continue; }
            enum state next = step(s, (unsigned char)*p);
            transitions += next != s;
            s = next;
        }
        finals[s]++;
        text[pass % (sizeof text - 1)] = ','; /* each pass scans a slightly different text */
    }
    printf("statemachine passes=%ld transitions=%u finals", passes, (unsigned)transitions);
    for (int i = 0; i < S_COUNT; i++)
        printf(" %u", (unsigned)finals[i]);
    printf("\n");
    return 0;
}
