/* setjmp/longjmp: error unwinding out of deep recursion, nested jump
   buffers, values preserved in volatile locals, longjmp(0) becoming 1, and
   a coroutine-free "exception" retry loop. Exits 0 on success. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf top, inner;
static int depth_reached;

static int descend(int depth, int limit)
{
    depth_reached = depth;
    if (depth >= limit)
        longjmp(top, depth * 10 + 1);
    return depth < 1000 ? descend(depth + 1, limit) + 1 : -1;
}

static void thrower(int code) { longjmp(inner, code); }

static int try_divide(int a, int b, int *out)
{
    int code = setjmp(inner);
    if (code != 0)
        return code;
    if (b == 0)
        thrower(7);
    *out = a / b;
    return 0;
}

int main(void)
{
    volatile int ok = 1;
    for (volatile int limit = 1; limit <= 50; limit += 7) {
        volatile int attempts = 0;
        int r = setjmp(top);
        attempts++;
        if (r == 0) {
            descend(0, limit);
            printf("not reached\n");
            ok = 0;
        } else {
            printf("limit %2d: longjmp value %3d, depth %2d, attempts %d\n", limit, r,
                   depth_reached, attempts);
            ok &= r == limit * 10 + 1 && depth_reached == limit && attempts == 2;
        }
    }

    /* longjmp(env, 0) must make setjmp return 1 */
    volatile int phase = 0;
    int r = setjmp(top);
    if (phase++ == 0)
        longjmp(top, 0);
    printf("longjmp(0) -> setjmp returned %d (phase %d)\n", r, phase);
    ok &= r == 1 && phase == 2;

    /* nested: inner handler inside an outer one */
    int results[6], quotient = 0;
    for (int i = 0; i < 6; i++) {
        results[i] = try_divide(100, i - 2, &quotient);
        printf("100/%d: status %d quotient %d\n", i - 2, results[i], results[i] ? 0 : quotient);
    }
    ok &= results[2] == 7 && results[0] == 0 && results[5] == 0;

    /* retry loop driven by longjmp, state kept in volatile variables */
    volatile int tries = 0;
    volatile unsigned acc = 1;
    if (setjmp(top) < 5) {
        tries++;
        acc = acc * 3 + (unsigned)tries;
        if (tries < 5)
            longjmp(top, tries);
    }
    printf("retry: tries=%d acc=%u\n", tries, acc);
    ok &= tries == 5 && acc == 422;
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
