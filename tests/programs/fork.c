/* Processes: fork with a pipe, copied memory, wait statuses (exit, death by a signal), waitid,
   vfork, getppid, and a stdio buffer that fork duplicates. Output is deterministic.
   needs: linux (picolibc has no processes) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int global = 1;

static void report(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: exited with %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by signal %s\n", what, WTERMSIG(status) == SIGABRT ? "SIGABRT" : "other");
    else
        printf("%s: status %#x\n", what, (unsigned)status);
}

int main(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    fflush(stdout);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        close(fds[0]);
        global = 2;
        char msg[64];
        int n = snprintf(msg, sizeof msg, "child: global %d, parent is %s", global, getppid() == parent ? "mine" : "not mine");
        if (write(fds[1], msg, (size_t)n) != n)
            _exit(1);
        _exit(42);
    }
    close(fds[1]);
    char buffer[128];
    ssize_t n = read(fds[0], buffer, sizeof buffer - 1);
    buffer[n > 0 ? n : 0] = 0;
    printf("parent read \"%s\"; its global is still %d\n", buffer, global);
    int status;
    printf("waitpid found the child: %s\n", waitpid(pid, &status, 0) == pid ? "yes" : "no");
    report("first child", status);

    fflush(stdout);
    pid = fork();
    if (pid == 0)
        abort();
    waitpid(pid, &status, 0);
    report("aborting child", status);

    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(7);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)pid, &info, WEXITED) == 0)
        printf("waitid: pid matches %d, code %s, status %d\n", info.si_pid == pid, info.si_code == CLD_EXITED ? "CLD_EXITED" : "other", info.si_status);

    fflush(stdout);
    pid = vfork();
    if (pid == 0)
        _exit(5);
    waitpid(pid, &status, 0);
    report("vfork child", status);
    printf("no more children: %s\n", wait(&status) < 0 ? "yes" : "no");

    /* not flushed: the child inherits a copy of this line and prints it too when it exits */
    printf("buffered before the last fork\n");
    pid = fork();
    if (pid == 0)
        exit(0);
    waitpid(pid, &status, 0);
    return 0;
}
