/* Function pointers: a dispatch table driving a tiny stack-machine
   bytecode interpreter, callbacks passed to a generic fold, function
   pointers stored in structs (vtable-style "objects"), and returning
   function pointers from functions. Exits 0. */
#include <stdint.h>
#include <stdio.h>

/* ---- bytecode VM ---- */
enum op { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_PRINT, OP_HALT, OP_OVER, OP_DROP };
struct vm { int32_t stack[32]; int sp, pc, running, steps; const int32_t *code; };
typedef void (*handler)(struct vm *);

static void op_push(struct vm *m) { m->stack[m->sp++] = m->code[m->pc++]; }
static void op_add(struct vm *m) { m->sp--; m->stack[m->sp - 1] += m->stack[m->sp]; }
static void op_sub(struct vm *m) { m->sp--; m->stack[m->sp - 1] -= m->stack[m->sp]; }
static void op_mul(struct vm *m) { m->sp--; m->stack[m->sp - 1] = (int32_t)((uint32_t)m->stack[m->sp - 1] * (uint32_t)m->stack[m->sp]); }
static void op_dup(struct vm *m) { m->stack[m->sp] = m->stack[m->sp - 1]; m->sp++; }
static void op_over(struct vm *m) { m->stack[m->sp] = m->stack[m->sp - 2]; m->sp++; }
static void op_drop(struct vm *m) { m->sp--; }
static void op_swap(struct vm *m) { int32_t t = m->stack[m->sp - 1]; m->stack[m->sp - 1] = m->stack[m->sp - 2]; m->stack[m->sp - 2] = t; }
static void op_jnz(struct vm *m) { int32_t target = m->code[m->pc++]; if (m->stack[--m->sp]) m->pc = target; }
static void op_dec(struct vm *m) { m->stack[m->sp - 1]--; }
static void op_print(struct vm *m) { printf("vm: %d\n", (int)m->stack[--m->sp]); }
static void op_halt(struct vm *m) { m->running = 0; }

static const handler table[] = {op_push, op_add, op_sub, op_mul, op_dup, op_swap,
                                op_jnz, op_dec, op_print, op_halt, op_over, op_drop};

static void run(const int32_t *code)
{
    struct vm m = {.sp = 0, .pc = 0, .running = 1, .steps = 0, .code = code};
    while (m.running) {
        int32_t op = code[m.pc++];
        table[op](&m);
        m.steps++;
    }
    printf("vm: %d steps, sp=%d\n", m.steps, m.sp);
}

/* ---- callbacks ---- */
typedef int32_t (*binop)(int32_t, int32_t);
static int32_t add(int32_t a, int32_t b) { return a + b; }
static int32_t mul_mod(int32_t a, int32_t b) { return (int32_t)((int64_t)a * b % 1000003); }
static int32_t max(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t xor_rot(int32_t a, int32_t b) { uint32_t u = (uint32_t)a; return (int32_t)(((u << 5) | (u >> 27)) ^ (uint32_t)b); }

static int32_t fold(const int32_t *v, int n, int32_t init, binop f)
{
    for (int i = 0; i < n; i++)
        init = f(init, v[i]);
    return init;
}

static binop choose(int which)
{
    static const binop ops[] = {add, mul_mod, max, xor_rot};
    return ops[which & 3];
}

/* ---- objects with vtables ---- */
struct shape;
struct shape_ops { const char *name; int32_t (*area2)(const struct shape *); int32_t (*perimeter)(const struct shape *); };
struct shape { const struct shape_ops *ops; int32_t a, b, c; };

static int32_t rect_area2(const struct shape *s) { return 2 * s->a * s->b; }
static int32_t rect_perim(const struct shape *s) { return 2 * (s->a + s->b); }
static int32_t tri_area2(const struct shape *s) { return s->a * s->b; } /* right triangle legs a, b */
static int32_t tri_perim(const struct shape *s) { return s->a + s->b + s->c; }
static const struct shape_ops rect_ops = {"rect", rect_area2, rect_perim};
static const struct shape_ops tri_ops = {"tri", tri_area2, tri_perim};

int main(void)
{
    /* 10! with a loop (stack: acc n), then the sum 1..100 (stack: sum i) */
    static const int32_t prog[] = {
        OP_PUSH, 1, OP_PUSH, 10,
        /* pc 4 */ OP_SWAP, OP_OVER, OP_MUL, OP_SWAP, OP_DEC, OP_DUP, OP_JNZ, 4,
        OP_DROP, OP_PRINT,
        OP_PUSH, 0, OP_PUSH, 100,
        /* pc 18 */ OP_SWAP, OP_OVER, OP_ADD, OP_SWAP, OP_DEC, OP_DUP, OP_JNZ, 18,
        OP_DROP, OP_PRINT, OP_HALT};
    run(prog);

    int32_t values[50];
    for (int i = 0; i < 50; i++)
        values[i] = (i * 7919) % 1009 - 300;
    for (int w = 0; w < 4; w++)
        printf("fold[%d] = %d\n", w, (int)fold(values, 50, w == 1 ? 1 : 0, choose(w)));

    struct shape shapes[] = {{&rect_ops, 3, 4, 0}, {&tri_ops, 3, 4, 5}, {&rect_ops, 10, 1, 0},
                             {&tri_ops, 5, 12, 13}, {&tri_ops, 8, 15, 17}};
    int32_t total = 0;
    for (unsigned i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const struct shape *s = &shapes[i];
        int32_t a2 = s->ops->area2(s), p = s->ops->perimeter(s);
        printf("%s: area*2=%d perimeter=%d\n", s->ops->name, (int)a2, (int)p);
        total += a2 + p;
    }
    printf("total=%d\n", (int)total);
    return 0;
}
