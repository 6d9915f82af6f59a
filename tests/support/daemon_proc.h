/* Starting and stopping the real a0ipcd from a test. */
#ifndef A0IPC_TEST_DAEMON_PROC_H
#define A0IPC_TEST_DAEMON_PROC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct test_daemon {
    pid_t pid;
    char dir[64];          /* a fresh temporary directory, removed by test_daemon_cleanup */
    char unix_target[128]; /* "unix:<dir>/a0ipcd.sock" */
    char tcp_target[128];  /* "127.0.0.1:<port>" */
    char log_path[128];    /* the daemon's stderr */
    int metrics_port;      /* when started with --metrics-listen */
} test_daemon;

/* The a0ipcd under test ($A0IPCD, else the one this build made). */
const char *test_daemon_path(void);

/* Starts a0ipcd on a unix socket and on 127.0.0.1:0 (--insecure), with extra arguments (NULL
 * terminated; may be NULL), and waits up to 10 s for it to serve. Fails the test otherwise. */
void test_daemon_start(test_daemon *d, const char *const *extra);

/* Sends sig and waits up to 15 s for the daemon to exit; returns its wait status. Kills it and
 * fails the test if it does not exit. */
int test_daemon_stop(test_daemon *d, int sig);

bool test_daemon_running(test_daemon *d);

/* Whether the daemon's log contains text. */
bool test_daemon_log_contains(test_daemon *d, const char *text);

/* Waits up to timeout_ms for the daemon's log to contain text. */
bool test_daemon_wait_log(test_daemon *d, const char *text, int timeout_ms);

/* The whole log (caller frees), for checks over every line. */
char *test_daemon_log_read(test_daemon *d);

/* Runs a0ipcd with args (NULL-terminated) in the foreground and returns its exit code; its
 * stdout and stderr go to out (cap bytes, NUL-terminated). For start-up refusals. */
int test_daemon_run(const char *const *args, char *out, size_t cap);

/* The a0ipc CLI under test ($A0IPC_CLI, else the one this build made). */
const char *test_cli_path(void);

/* Stops the daemon if it still runs (SIGKILL) and removes the directory. */
void test_daemon_cleanup(test_daemon *d);

#endif
