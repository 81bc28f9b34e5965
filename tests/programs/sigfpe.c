/* Integer division by zero and a `break 7`-style trap end in SIGFPE (FPE_INTDIV) as on Linux:
   gcc guards MIPS divisions with `teq divisor, zero, 7`, which the kernel turns into SIGFPE.
   qemu-user 7.2 raises SIGTRAP there instead, so this program is checked against the native
   x86-64 build, which gets SIGFPE from the hardware.
   reference: native
   needs: linux
   expect-exit: 136 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf escape;
static volatile int code;

static void on_fpe(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    code = si->si_code;
    siglongjmp(escape, sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    volatile int zero = 0, quotient = 1;
    for (volatile int i = 0; i < 3; i++) {
        int sig = sigsetjmp(escape, 1);
        if (sig == 0)
            quotient = (100 + i) / zero;
        printf("round %d: %s, code %s, quotient %d\n", i, sig == SIGFPE ? "SIGFPE" : "other",
               code == FPE_INTDIV ? "FPE_INTDIV" : "other", quotient);
    }

    /* with the default action, the process dies by SIGFPE (status 128 + 8) */
    signal(SIGFPE, SIG_DFL);
    fflush(stdout);
    quotient = 7 % zero;
    printf("not reached %d\n", quotient);
    return 0;
}
