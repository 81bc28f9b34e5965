/* Signals: handlers for the program's own faults (SIGSEGV left by siglongjmp, or fixed with
   mprotect and returned from), raise/kill with siginfo, masks and
   sigpending, SA_RESETHAND and SA_NODEFER, the old action reported back, an alternate stack,
   interval timers (SIGALRM) interrupting pause, nanosleep and sigsuspend, sigtimedwait.
   needs: linux */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf escape;
static volatile sig_atomic_t hits, ticks, blocked_inside, on_alt;
static volatile void *fault_addr;
static volatile int fault_code, sender_ok;
static char *volatile page;
static char alt_stack[65536];
static volatile int *volatile bad = (int *)16;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    if (page && (char *)si->si_addr == page) {
        mprotect(page, 4096, PROT_READ | PROT_WRITE); /* fix the cause and retry the store */
        return;
    }
    siglongjmp(escape, sig);
}

static void on_usr(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    blocked_inside = sigismember(&now, sig);
    sender_ok = si->si_code == SI_USER && si->si_pid == getpid();
    char local;
    on_alt = &local >= alt_stack && &local < alt_stack + sizeof alt_stack;
    hits++;
}

static void on_alarm(int sig) { (void)sig; ticks++; }

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(sig, &sa, NULL);
}

static void arm(long usec, long interval)
{
    struct itimerval it = {{0, interval}, {0, usec}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    install(SIGSEGV, on_segv, 0);
    if (sigsetjmp(escape, 1) == 0)
        *bad = 1;
    printf("segv: addr %s, code %s\n", fault_addr == (void *)16 ? "16" : "wrong",
           fault_code == SEGV_MAPERR ? "MAPERR" : "other");

    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *(volatile char *)page = 42; /* faults once; the handler makes the page writable and returns */
    printf("segv fixed by handler: value %d, code %s\n", page[0], fault_code == SEGV_ACCERR ? "ACCERR" : "other");
    page = NULL;

    install(SIGUSR1, on_usr, 0);
    struct sigaction old;
    install(SIGUSR1, on_usr, SA_RESTART);
    sigaction(SIGUSR1, NULL, &old);
    printf("old action: handler %s, siginfo %d, restart %d, mask has USR2 %d\n",
           old.sa_sigaction == on_usr ? "same" : "other", !!(old.sa_flags & SA_SIGINFO),
           !!(old.sa_flags & SA_RESTART), sigismember(&old.sa_mask, SIGUSR2));

    kill(getpid(), SIGUSR1);
    printf("kill: hits %d, blocked inside %d, sender ok %d\n", hits, blocked_inside, sender_ok);

    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    sigpending(&pending);
    printf("blocked: hits %d, pending %d\n", hits, sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("unblocked: hits %d\n", hits);

    install(SIGUSR1, on_usr, SA_NODEFER | SA_RESETHAND);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &old);
    printf("nodefer: blocked inside %d; resethand: now default %d\n", blocked_inside, old.sa_handler == SIG_DFL);

    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0}, oss;
    sigaltstack(&ss, NULL);
    install(SIGUSR2, on_usr, SA_ONSTACK);
    raise(SIGUSR2);
    sigaltstack(NULL, &oss);
    printf("altstack: handler ran on it %d, size %d, flags %d\n", on_alt, oss.ss_size == sizeof alt_stack, oss.ss_flags);

    signal(SIGALRM, on_alarm);
    arm(2000, 2000);
    for (volatile unsigned spin = 0; ticks < 3; spin++)
        ;
    arm(0, 0);
    printf("itimer: at least 3 ticks %d\n", ticks >= 3);
    ticks = 0; /* a tick that was already pending came in as setitimer returned */

    struct itimerval probe;
    alarm(5);
    getitimer(ITIMER_REAL, &probe);
    unsigned previous = alarm(0);
    printf("alarm: armed %d, previous %u, now %u\n", probe.it_value.tv_sec >= 2, previous, alarm(0));

    arm(20000, 0);
    int r = pause();
    printf("pause: %d %s, ticks %d\n", r, errno == EINTR ? "EINTR" : "other", ticks);

    struct timespec req = {5, 0}, rem = {0, 0};
    arm(20000, 0);
    r = nanosleep(&req, &rem);
    printf("nanosleep: %d %s, time left %d\n", r, errno == EINTR ? "EINTR" : "other", rem.tv_sec >= 2);

    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    arm(20000, 0);
    sigset_t none;
    sigemptyset(&none);
    r = sigsuspend(&none);
    sigprocmask(SIG_SETMASK, NULL, &set);
    printf("sigsuspend: %d %s, ticks %d, alarm blocked again %d\n", r, errno == EINTR ? "EINTR" : "other", ticks,
           sigismember(&set, SIGALRM));

    /* sigtimedwait/sigwaitinfo take blocked signals without running handlers */
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    siginfo_t si;
    raise(SIGUSR1);
    struct timespec zero = {0, 0}, short_wait = {0, 10000000};
    r = sigtimedwait(&set, &si, &zero);
    printf("sigtimedwait: %s, si_code %d, hits %d\n", r == SIGUSR1 ? "SIGUSR1" : "other", si.si_code, hits);
    r = sigtimedwait(&set, &si, &short_wait);
    printf("sigtimedwait timeout: %d %s\n", r, errno == EAGAIN ? "EAGAIN" : "other");
    arm(20000, 0);
    r = sigwaitinfo(&set, &si);
    printf("sigwaitinfo: %s, code SI_KERNEL %d, ticks %d\n", r == SIGALRM ? "SIGALRM" : "other", si.si_code == SI_KERNEL, ticks);
    return 0;
}
