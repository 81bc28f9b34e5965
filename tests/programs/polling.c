/* poll, ppoll, select and pselect on pipes: nothing ready, readable after a write, always
   writable, hang-up after the writer closes, POLLNVAL and EBADF for a closed descriptor,
   timeouts (with the time left written back by select), and a wait interrupted by SIGALRM.
   needs: linux */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show_poll(const char *what, struct pollfd *p, int n, int r)
{
    printf("%s: poll -> %d:", what, r);
    for (int i = 0; i < n; i++)
        printf(" [fd%d in %d out %d hup %d nval %d]", i, !!(p[i].revents & POLLIN), !!(p[i].revents & POLLOUT),
               !!(p[i].revents & POLLHUP), !!(p[i].revents & POLLNVAL));
    printf("\n");
}

int main(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLOUT, 0}};
    show_poll("empty pipe", p, 2, poll(p, 2, 0));
    p[1].events = 0;
    double t0 = now();
    int r = poll(p, 1, 30);
    printf("timeout 30 ms: poll -> %d, waited enough %d\n", r, now() - t0 >= 0.025);

    if (write(fds[1], "x", 1) != 1)
        return 1;
    p[1].events = POLLOUT;
    show_poll("after write", p, 2, poll(p, 2, -1));

    struct timespec ts = {0, 10000000};
    sigset_t mask;
    sigemptyset(&mask);
    show_poll("ppoll", p, 2, ppoll(p, 2, &ts, &mask));

    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(fds[0], &rd);
    FD_SET(fds[1], &wr);
    struct timeval tv = {1, 0};
    r = select(fds[1] + 1, &rd, &wr, NULL, &tv);
    printf("select: %d, read %d, write %d\n", r, FD_ISSET(fds[0], &rd), FD_ISSET(fds[1], &wr));

    char c;
    if (read(fds[0], &c, 1) != 1)
        return 1;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    tv.tv_sec = 0;
    tv.tv_usec = 40000;
    t0 = now();
    r = select(fds[0] + 1, &rd, NULL, NULL, &tv);
    printf("select timeout: %d, read %d, waited enough %d, timeval left %ld\n", r, FD_ISSET(fds[0], &rd),
           now() - t0 >= 0.035, (long)(tv.tv_sec + tv.tv_usec));

    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000;
    r = pselect(fds[0] + 1, &rd, NULL, NULL, &ts, &mask);
    printf("pselect: %d\n", r);

    close(fds[1]);
    p[1].fd = fds[1];
    show_poll("writer closed", p, 2, poll(p, 2, 100));

    FD_ZERO(&wr);
    FD_SET(fds[1], &wr);
    r = select(fds[1] + 1, NULL, &wr, NULL, NULL);
    printf("select on a closed fd: %d %s\n", r, errno == EBADF ? "EBADF" : "other");

    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    p[0].fd = 0;
    int idle[2];
    if (pipe(idle) != 0)
        return 1;
    p[0].fd = idle[0];
    r = poll(p, 1, 5000);
    printf("poll interrupted: %d %s, alarms %d\n", r, errno == EINTR ? "EINTR" : "other", alarms);
    setitimer(ITIMER_REAL, &it, NULL);
    FD_ZERO(&rd);
    FD_SET(idle[0], &rd);
    r = select(idle[0] + 1, &rd, NULL, NULL, NULL);
    printf("select interrupted: %d %s, alarms %d\n", r, errno == EINTR ? "EINTR" : "other", alarms);
    return 0;
}
