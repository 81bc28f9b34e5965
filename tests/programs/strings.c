/* String and memory functions: strlen/strcmp/strncmp/strcpy/strcat/strchr/
   strrchr/strstr/strspn, memcpy/memmove/memset/memcmp (incl. overlaps and
   unaligned ranges), snprintf, strtol/strtoul, tokenizing, case mapping,
   and a hand-written string reversal and word count. Exits 0. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* not const: keeps gcc from diagnosing the deliberate truncations below */
static char tail[] = "-gammadelta";
static char digits[] = "0123456789abcdef";
static volatile size_t cat_limit = 6;

static int sgn(int v) { return (v > 0) - (v < 0); }

static unsigned hash(const unsigned char *p, size_t n)
{
    unsigned h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

static void reverse(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n / 2; i++) {
        char t = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = t;
    }
}

int main(void)
{
    static const char *words[] = {"", "a", "abc", "abd", "ab", "hello, world", "Hello, World",
                                  "zzz", "the quick brown fox jumps over the lazy dog"};
    int nw = sizeof words / sizeof words[0];
    for (int i = 0; i < nw; i++) {
        printf("len(\"%s\")=%u", words[i], (unsigned)strlen(words[i]));
        for (int j = 0; j < nw; j++)
            printf(" %d", sgn(strcmp(words[i], words[j])));
        printf(" | n2:");
        for (int j = 0; j < nw; j++)
            printf("%d", sgn(strncmp(words[i], words[j], 2)) + 1);
        printf("\n");
    }

    char buf[128];
    strcpy(buf, "alpha");
    strcat(buf, "-beta");
    strncat(buf, tail, cat_limit);
    printf("cat: %s (%u)\n", buf, (unsigned)strlen(buf));
    printf("strchr: %s | strrchr: %s | strstr: %s\n", strchr(buf, '-'), strrchr(buf, '-'),
           strstr(buf, "beta"));
    printf("strspn=%u strcspn=%u missing=%d\n", (unsigned)strspn(buf, "abhlp"),
           (unsigned)strcspn(buf, "-"), strstr(buf, "omega") == NULL);

    /* memmove with overlaps in both directions, at every small misalignment */
    unsigned char mem[96];
    unsigned total = 0;
    for (int off = 0; off < 8; off++) {
        for (int i = 0; i < 96; i++)
            mem[i] = (unsigned char)(i * 7 + off);
        memmove(mem + off + 3, mem + off, 40);
        memmove(mem + 50, mem + 53 + off % 4, 33);
        memcpy(mem + 90 - off, "xyz", 3);
        memset(mem + 10 + off, 0xa5, (size_t)off * 3);
        total ^= hash(mem, sizeof mem) + (unsigned)off;
        printf("mem off=%d hash=%08x cmp=%d\n", off, hash(mem, sizeof mem),
               sgn(memcmp(mem, mem + 1, 20)));
    }

    /* number formatting and parsing */
    int n = snprintf(buf, sizeof buf, "[%5d|%-5d|%05d|%x|%X|%o|%c|%.3s|%%]", 42, -42, 42, 0xbeef,
                     0xbeef, 8, 'Q', "truncate");
    printf("%s n=%d\n", buf, n);
    n = snprintf(buf, 10, "%s", digits);
    printf("truncated: %s n=%d\n", buf, n);
    static const char *nums[] = {"0", "123", "-456", "  +789xyz", "0x1F", "077", "7fffffff", "z"};
    for (int i = 0; i < 8; i++) {
        char *end;
        long v = strtol(nums[i], &end, 0);
        unsigned long u = strtoul(nums[i], NULL, 16);
        printf("strtol(\"%s\")=%ld rest=\"%s\" strtoul16=%08x atoi=%d\n", nums[i], v, end, (unsigned)u,
               atoi(nums[i]));
    }

    /* tokenizing and case mapping */
    char text[] = "  The Quick,brown  FOX;jumps--over the lazy,,dog  ";
    int count = 0;
    for (char *tok = strtok(text, " ,;-"); tok; tok = strtok(NULL, " ,;-")) {
        for (char *p = tok; *p; p++)
            *p = (char)(count % 2 ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
        printf("%s%s", count ? " " : "", tok);
        count++;
    }
    printf(" (%d tokens)\n", count);

    strcpy(buf, "stressed desserts");
    reverse(buf);
    printf("reversed: %s digits=%d alpha=%d\n", buf, isdigit('7') != 0, isalpha('7') != 0);
    printf("total=%08x\n", total);
    return 0;
}
