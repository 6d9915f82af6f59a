/* The real a0ipcd under a fake service manager (what systemd gives a Type=notify service with
 * WatchdogSec=): READY=1 once serving, watchdog pings, RELOADING=1 then READY=1 on SIGHUP,
 * STOPPING=1 on SIGTERM, exit 0. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/daemon_proc.h"

/* The next message other than a watchdog ping (those are counted in *pings) within timeout_ms,
 * or "" when none came. */
static const char *next_state(int fd, int timeout_ms, int *pings)
{
    static char buf[1024];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t deadline = now.tv_sec * 1000LL + now.tv_nsec / 1000000 + timeout_ms;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left = deadline - (now.tv_sec * 1000LL + now.tv_nsec / 1000000);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return "";
        ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        buf[n > 0 ? n : 0] = '\0';
        if (n > 0 && !strcmp(buf, "WATCHDOG=1")) {
            (*pings)++;
            continue;
        }
        if (n > 0)
            return buf;
    }
}

static void daemon_speaks_the_notify_protocol(void **state)
{
    (void)state;
    char path[108];
    snprintf(path, sizeof path, "/tmp/a0ipc-manager-%d.sock", (int)getpid());
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
    /* The daemon's pid is not known before it starts; without WATCHDOG_PID the watchdog applies
     * to whoever reads WATCHDOG_USEC. 400 ms: pings every 200 ms. */
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "400000", 1);
    unsetenv("WATCHDOG_PID");

    test_daemon d;
    test_daemon_start(&d, NULL);
    int pings = 0;
    const char *m = next_state(fd, 5000, &pings);
    if (strncmp(m, "READY=1\nSTATUS=Serving on unix:", 31) || !strstr(m, d.unix_target + 5))
        fail_msg("expected READY=1 naming %s, got \"%s\"", d.unix_target, m);

    /* About 1 s of waiting: 5 pings at 200 ms. */
    assert_string_equal(next_state(fd, 1000, &pings), "");
    if (pings < 3)
        fail_msg("only %d watchdog pings in 1 s at a 200 ms period", pings);

    kill(d.pid, SIGHUP);
    m = next_state(fd, 5000, &pings);
    assert_non_null(strstr(m, "RELOADING=1\n"));
    assert_non_null(strstr(m, "MONOTONIC_USEC="));
    m = next_state(fd, 5000, &pings);
    if (strncmp(m, "READY=1\n", 8))
        fail_msg("expected READY=1 after the reload, got \"%s\"", m);

    kill(d.pid, SIGTERM);
    m = next_state(fd, 5000, &pings);
    assert_string_equal(m, "STOPPING=1\nSTATUS=Shutting down");
    int status = test_daemon_stop(&d, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    test_daemon_cleanup(&d);
    close(fd);
    unlink(path);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(daemon_speaks_the_notify_protocol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
