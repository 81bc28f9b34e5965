/* Signals with threads: per-thread masks (inherited by new threads), pthread_kill to one thread,
   a process-directed kill taken by the thread that does not block it, sigwait in a dedicated
   thread, an interval timer firing while main waits in pthread_join, and a fork child that keeps
   the handlers and the mask. Output is deterministic.
   needs: linux */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_t worker_thread;
static volatile sig_atomic_t usr1_on_worker, usr1_elsewhere, usr2_on_worker, usr2_elsewhere, alarms;
static volatile int ready, stop;

static void on_usr1(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), worker_thread)) usr1_on_worker++;
    else usr1_elsewhere++;
}

static void on_usr2(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), worker_thread)) usr2_on_worker++;
    else usr2_elsewhere++;
}

static void on_alarm(int sig) { (void)sig; alarms++; }

static void handle(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void mask(int how, int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(how, &set, NULL);
}

/* Waits for the signals sent to it; reports whether it inherited main's mask of SIGUSR2. */
static void *worker(void *arg)
{
    (void)arg;
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    int inherited = sigismember(&now, SIGUSR2);
    mask(SIG_UNBLOCK, SIGUSR2);
    ready = 1;
    while (!stop) usleep(1000);
    return (void *)(long)inherited;
}

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ready = 1;
    sigwait(&set, &sig);
    return (void *)(long)sig;
}

/* Sleeps until the process's timer signal arrives here (main blocks it). */
static void *sleeper(void *arg)
{
    (void)arg;
    mask(SIG_UNBLOCK, SIGALRM);
    while (alarms < 3) pause();
    return NULL;
}

int main(void)
{
    handle(SIGUSR1, on_usr1);
    handle(SIGUSR2, on_usr2);
    handle(SIGALRM, on_alarm);

    /* Masks are per thread and a new thread starts with its creator's. */
    mask(SIG_BLOCK, SIGUSR2);
    void *inherited;
    pthread_create(&worker_thread, NULL, worker, NULL);
    while (!ready) usleep(1000);

    /* A signal for one thread runs its handler on that thread. */
    pthread_kill(worker_thread, SIGUSR1);
    while (!usr1_on_worker) usleep(1000);

    /* Sent to the process: only the worker does not block it, so it runs there. */
    for (int i = 0; i < 3; i++) {
        int before = usr2_on_worker;
        kill(getpid(), SIGUSR2);
        while (usr2_on_worker == before) usleep(1000);
    }
    stop = 1;
    pthread_join(worker_thread, &inherited);
    printf("worker inherited the mask: %s\n", inherited ? "yes" : "no");
    printf("SIGUSR1 by pthread_kill: %d on the worker, %d elsewhere\n", (int)usr1_on_worker, (int)usr1_elsewhere);
    printf("SIGUSR2 to the process: %d on the worker, %d elsewhere\n", (int)usr2_on_worker, (int)usr2_elsewhere);
    mask(SIG_UNBLOCK, SIGUSR2);

    /* sigwait in a thread of its own takes a process-directed signal that every thread blocks. */
    mask(SIG_BLOCK, SIGTERM);
    pthread_t w;
    void *got;
    ready = 0;
    pthread_create(&w, NULL, waiter, NULL);
    while (!ready) usleep(1000);
    usleep(20000);
    kill(getpid(), SIGTERM);
    pthread_join(w, &got);
    printf("sigwait took %s\n", (long)got == SIGTERM ? "SIGTERM" : "something else");

    /* An interval timer fires while main waits in pthread_join: the sleeping thread takes it. */
    mask(SIG_BLOCK, SIGALRM);
    pthread_t s;
    pthread_create(&s, NULL, sleeper, NULL);
    struct itimerval every = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &every, NULL);
    pthread_join(s, NULL);
    setitimer(ITIMER_REAL, &off, NULL);
    printf("timer signals taken by the sleeper: %s\n", alarms >= 3 ? "at least 3" : "too few");

    /* A fork child keeps the handlers and the forking thread's mask. */
    mask(SIG_BLOCK, SIGUSR2);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        struct sigaction old;
        sigset_t now;
        sigaction(SIGUSR1, NULL, &old);
        pthread_sigmask(SIG_SETMASK, NULL, &now);
        usr1_elsewhere = 0;
        raise(SIGUSR1);
        printf("child: handler kept %s, SIGUSR2 still blocked %s, handler ran %d\n",
               old.sa_handler == on_usr1 ? "yes" : "no", sigismember(&now, SIGUSR2) ? "yes" : "no",
               (int)usr1_elsewhere);
        fflush(stdout);
        _exit(7);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
