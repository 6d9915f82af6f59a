#include "support/daemon_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* The tests control the environment of everything they run. ctest already drops the caller's
 * A0IPC_* variables (support/ctest_env.cmake.in); a test binary started by hand does it here,
 * before main, so that neither the client library in this process nor a0ipcd or a0ipc started
 * from it read settings the test did not make (a README demo's A0IPC_TARGET, say). A test that
 * needs one sets it itself. */
__attribute__((constructor)) static void strip_caller_env(void)
{
    extern char **environ;
    for (;;) {
        char name[256] = "";
        for (char **e = environ; e && *e; e++) {
            size_t n = strcspn(*e, "=");
            if (!strncmp(*e, "A0IPC_", 6) && n < sizeof name) {
                memcpy(name, *e, n);
                name[n] = '\0';
                break;
            }
        }
        if (!name[0] || unsetenv(name) != 0)
            return;
    }
}

/* Every daemon this process started and has not reaped yet. A failed assertion longjmps past the
 * test's own stop (cmocka), so these are killed when the test program exits (atexit), and each
 * daemon also dies with this program if it is killed instead (PR_SET_PDEATHSIG): no test leaves
 * an a0ipcd behind, passing or failing. */
static pid_t live[64];

static void kill_live(void)
{
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] > 0) {
            kill(live[i], SIGKILL);
            waitpid(live[i], NULL, 0);
            live[i] = 0;
        }
}

static void remember(pid_t pid)
{
    static bool registered;
    if (!registered)
        registered = atexit(kill_live) == 0;
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] <= 0) {
            live[i] = pid;
            return;
        }
}

static void forget(pid_t pid)
{
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] == pid)
            live[i] = 0;
}

/* In a forked child: die with the parent (the thread that forked, which is the test's). */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}

const char *test_daemon_path(void)
{
    const char *env = getenv("A0IPCD");
    return env && *env ? env : A0IPCD_PATH;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void test_daemon_start(test_daemon *d, const char *const *extra)
{
    memset(d, 0, sizeof *d);
    strcpy(d->dir, "/tmp/a0ipc-test-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->unix_target, sizeof d->unix_target, "unix:%s/a0ipcd.sock", d->dir);
    snprintf(d->log_path, sizeof d->log_path, "%s/a0ipcd.log", d->dir);
    char ready[128];
    snprintf(ready, sizeof ready, "%s/ready", d->dir);

    const char *argv[64];
    int n = 0;
    argv[n++] = test_daemon_path();
    argv[n++] = "--listen";
    argv[n++] = d->unix_target;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--insecure";
    argv[n++] = "--ready-file";
    argv[n++] = ready;
    for (int i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    d->pid = fork();
    assert_true(d->pid >= 0);
    if (d->pid == 0) {
        die_with_parent(parent);
        int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            /* stdout too: a daemon left behind by a failed test must not hold the test's
             * output pipe open (ctest would wait for it). */
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    remember(d->pid);
    for (int waited = 0; waited < 10000; waited += 10) {
        FILE *f = fopen(ready, "r");
        if (f) {
            char line[128];
            while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (!strncmp(line, "127.0.0.1:", 10))
                    snprintf(d->tcp_target, sizeof d->tcp_target, "%s", line);
                else if (!strncmp(line, "metrics http://127.0.0.1:", 25))
                    d->metrics_port = atoi(line + 25);
            }
            fclose(f);
            return;
        }
        int status;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            forget(d->pid);
            d->pid = 0;
            fail_msg("a0ipcd exited before serving (status %d); see %s", status, d->log_path);
        }
        sleep_ms(10);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    forget(d->pid);
    d->pid = 0;
    fail_msg("a0ipcd did not become ready within 10 s; see %s", d->log_path);
}

int test_daemon_stop(test_daemon *d, int sig)
{
    assert_true(d->pid > 0);
    kill(d->pid, sig);
    for (int waited = 0; waited < 15000; waited += 10) {
        int status;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            forget(d->pid);
            d->pid = 0;
            return status;
        }
        sleep_ms(10);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    forget(d->pid);
    d->pid = 0;
    fail_msg("a0ipcd did not exit within 15 s of signal %d", sig);
    return -1;
}

bool test_daemon_running(test_daemon *d)
{
    if (d->pid <= 0)
        return false;
    int status;
    if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
        forget(d->pid);
        d->pid = 0;
        return false;
    }
    return true;
}

bool test_daemon_log_contains(test_daemon *d, const char *text)
{
    FILE *f = fopen(d->log_path, "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

bool test_daemon_wait_log(test_daemon *d, const char *text, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (test_daemon_log_contains(d, text))
            return true;
        sleep_ms(10);
    }
    return false;
}

char *test_daemon_log_read(test_daemon *d)
{
    FILE *f = fopen(d->log_path, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int test_daemon_run(const char *const *args, char *out, size_t cap)
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        die_with_parent(parent);
        dup2(pipefd[1], STDERR_FILENO);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        const char *argv[64] = {test_daemon_path()};
        for (int i = 0; args[i] && i < 62; i++)
            argv[i + 1] = args[i];
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < cap && (got = read(pipefd[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *test_cli_path(void)
{
    const char *env = getenv("A0IPC_CLI");
    return env && *env ? env : A0IPC_CLI_PATH;
}

void test_daemon_cleanup(test_daemon *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        forget(d->pid);
        d->pid = 0;
    }
    if (d->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", d->dir);
    }
}
