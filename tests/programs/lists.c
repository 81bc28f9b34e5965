/* malloc-heavy data structures: singly linked lists (build, reverse, merge
   sort, filter, free), a growing realloc'd vector, a binary search tree and
   a chained hash table; many small allocations and frees. Exits 0. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { int value; struct node *next; };

static uint32_t seed = 42;
static uint32_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) { printf("out of memory\n"); exit(2); }
    return p;
}

static struct node *push(struct node *head, int v)
{
    struct node *n = xmalloc(sizeof *n);
    n->value = v;
    n->next = head;
    return n;
}

static struct node *reverse(struct node *l)
{
    struct node *r = NULL;
    while (l) { struct node *next = l->next; l->next = r; r = l; l = next; }
    return r;
}

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

static struct node *drop_odd(struct node *l)
{
    struct node **pp = &l;
    while (*pp) {
        if ((*pp)->value & 1) { struct node *d = *pp; *pp = d->next; free(d); }
        else pp = &(*pp)->next;
    }
    return l;
}

static int length(const struct node *l) { int n = 0; for (; l; l = l->next) n++; return n; }
static void free_list(struct node *l) { while (l) { struct node *n = l->next; free(l); l = n; } }

struct tree { int key, count; struct tree *left, *right; };

static struct tree *tree_insert(struct tree *t, int key)
{
    if (!t) {
        t = xmalloc(sizeof *t);
        t->key = key; t->count = 1; t->left = t->right = NULL;
    } else if (key < t->key) t->left = tree_insert(t->left, key);
    else if (key > t->key) t->right = tree_insert(t->right, key);
    else t->count++;
    return t;
}

static int tree_height(const struct tree *t)
{
    if (!t) return 0;
    int l = tree_height(t->left), r = tree_height(t->right);
    return 1 + (l > r ? l : r);
}

static uint32_t tree_walk(const struct tree *t, uint32_t h)
{
    if (!t) return h;
    h = tree_walk(t->left, h);
    h = h * 33 + (uint32_t)t->key * (uint32_t)t->count;
    return tree_walk(t->right, h);
}

static void tree_free(struct tree *t) { if (t) { tree_free(t->left); tree_free(t->right); free(t); } }

struct entry { char *key; int value; struct entry *next; };

int main(void)
{
    for (int round = 0; round < 3; round++) {
        struct node *l = NULL;
        int n = 500 + round * 700;
        for (int i = 0; i < n; i++)
            l = push(l, (int)(rnd() % 10000));
        l = reverse(l);
        int first = l->value;
        l = msort(l);
        int sorted = 1;
        for (struct node *p = l; p->next; p = p->next)
            sorted &= p->value <= p->next->value;
        l = drop_odd(l);
        printf("list round %d: n=%d first=%d min=%d sorted=%d even=%d\n", round, n, first, l->value,
               sorted, length(l));
        free_list(l);
    }

    int *vec = NULL;
    size_t len = 0, cap = 0;
    for (int i = 0; i < 5000; i++) {
        if (len == cap) { cap = cap ? cap * 2 : 4; vec = realloc(vec, cap * sizeof *vec); }
        if (!vec) { printf("out of memory\n"); return 2; }
        vec[len++] = i * i % 9973;
    }
    uint32_t vh = 0;
    for (size_t i = 0; i < len; i++) vh = vh * 31 + (uint32_t)vec[i];
    printf("vector len=%u cap=%u hash=%08" PRIx32 "\n", (unsigned)len, (unsigned)cap, vh);
    free(vec);

    struct tree *t = NULL;
    for (int i = 0; i < 3000; i++)
        t = tree_insert(t, (int)(rnd() % 2000));
    printf("tree height=%d walk=%08" PRIx32 "\n", tree_height(t), tree_walk(t, 0));
    tree_free(t);

    enum { BUCKETS = 64 };
    struct entry *table[BUCKETS] = {0};
    for (int i = 0; i < 1500; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%u", (unsigned)(rnd() % 700));
        uint32_t h = 5381;
        for (const char *p = key; *p; p++) h = h * 33 + (unsigned char)*p;
        struct entry **pp = &table[h % BUCKETS];
        while (*pp && strcmp((*pp)->key, key) != 0) pp = &(*pp)->next;
        if (!*pp) {
            struct entry *e = xmalloc(sizeof *e);
            e->key = xmalloc(strlen(key) + 1);
            strcpy(e->key, key);
            e->value = 0; e->next = NULL;
            *pp = e;
        }
        (*pp)->value++;
    }
    int distinct = 0, longest = 0, total = 0;
    for (int b = 0; b < BUCKETS; b++) {
        int chain = 0;
        for (struct entry *e = table[b], *next; e; e = next) {
            next = e->next;
            chain++; distinct++; total += e->value;
            free(e->key); free(e);
        }
        if (chain > longest) longest = chain;
    }
    printf("hash distinct=%d total=%d longest=%d\n", distinct, total, longest);
    return 0;
}
