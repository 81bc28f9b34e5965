/* A program that dereferences an unmapped address and has no handler: it dies by SIGSEGV, and
   its parent sees status 128 + 11 as from a native program (what it printed first survives).
   needs: linux
   expect-exit: 139 */
#include <stdio.h>

struct node {
    int value;
    struct node *next;
};

static int sum(const struct node *n)
{
    int total = 0;
    for (; n; n = n->next)
        total += n->value;
    return total;
}

int main(void)
{
    struct node c = {3, NULL}, b = {2, &c}, a = {1, &b};
    printf("sum of a good list: %d\n", sum(&a));
    fflush(stdout);
    c.next = (struct node *)(unsigned long)0x10; /* a corrupted link into the zero page */
    printf("sum of a corrupted list: %d\n", sum(&a));
    return 0;
}
