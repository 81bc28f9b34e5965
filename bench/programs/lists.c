/* Linked lists (CoreMark's list kernel, grown): each round builds a list of
   1024 malloc'd nodes, merge-sorts it, reverses it, finds values, drops every
   node whose value is odd and frees the rest. Size: the number of rounds. */
#include "common.h"

struct node { uint32_t value; struct node *next; };

static struct node *merge(struct node *a, struct node *b)
{
    struct node head, *t = &head;
    while (a && b) {
        if (a->value <= b->value) { t->next = a; a = a->next; }
        else { t->next = b; b = b->next; }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

static struct node *msort(struct node *l)
{
    if (!l || !l->next)
        return l;
    struct node *slow = l, *fast = l->next;
    while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
    struct node *second = slow->next;
    slow->next = NULL;
    return merge(msort(l), msort(second));
}

static struct node *reverse(struct node *l)
{
    struct node *r = NULL;
    while (l) { struct node *next = l->next; l->next = r; r = l; l = next; }
    return r;
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, "ROUNDS");
    uint32_t check = 0;
    for (long round = 0; round < rounds; round++) {
        struct node *l = NULL;
        for (int i = 0; i < 1024; i++) {
            struct node *n = malloc(sizeof *n);
            if (!n) { printf("out of memory\n"); return 2; }
            n->value = bench_rand() % 100000;
            n->next = l;
            l = n;
        }
        l = reverse(msort(l));
        uint32_t found = 0;
        for (uint32_t probe = 0; probe < 100000; probe += 997)
            for (struct node *p = l; p; p = p->next)
                if (p->value == probe) { found++; break; }
        struct node **pp = &l;
        while (*pp) {
            if ((*pp)->value & 1) { struct node *d = *pp; *pp = d->next; free(d); }
            else pp = &(*pp)->next;
        }
        uint32_t h = found;
        while (l) { struct node *n = l->next; h = h * 31 + l->value; free(l); l = n; }
        check = check * 33 ^ h;
    }
    printf("lists rounds=%ld check=%08x\n", rounds, (unsigned)check);
    return 0;
}
