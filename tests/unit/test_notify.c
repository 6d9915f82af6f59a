/* a0ipcd's service-manager protocol (daemon/notify.c), against a fake manager: a datagram socket
 * named by NOTIFY_SOCKET, as systemd provides for Type=notify services. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/notify.h"

static char manager_path[108];
static int manager_fd = -1;

/* Binds the fake manager's socket and points NOTIFY_SOCKET at it. */
static int manager_up(void **state)
{
    (void)state;
    snprintf(manager_path, sizeof manager_path, "/tmp/a0ipc-notify-%d.sock", (int)getpid());
    unlink(manager_path);
    manager_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(manager_fd >= 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, manager_path);
    assert_int_equal(bind(manager_fd, (struct sockaddr *)&sun, sizeof sun), 0);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(manager_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setenv("NOTIFY_SOCKET", manager_path, 1);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return 0;
}

static int manager_down(void **state)
{
    (void)state;
    close(manager_fd);
    unlink(manager_path);
    unsetenv("NOTIFY_SOCKET");
    return 0;
}

/* The next message, or "" when none came within 200 ms. */
static const char *next_message(void)
{
    static char buf[1024];
    ssize_t n = recv(manager_fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int count_watchdog_pings(void)
{
    int n = 0;
    const char *m;
    while (*(m = next_message()))
        if (!strcmp(m, "WATCHDOG=1"))
            n++;
    return n;
}

static void block(int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

struct delayed_signal {
    int sig;
    int after_ms;
};

static void *send_later(void *arg)
{
    const struct delayed_signal *d = arg;
    struct timespec ts = {d->after_ms / 1000, (long)(d->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    kill(getpid(), d->sig); /* every thread blocks it: only the waiter can take it */
    return NULL;
}

static void ready_and_stopping_are_sent(void **state)
{
    (void)state;
    char *listen[] = {"unix:/run/a0ipcd/a0ipcd.sock", "127.0.0.1:50051"};
    a0ipc_notify_ready(listen, 2);
    assert_string_equal(next_message(),
                        "READY=1\nSTATUS=Serving on unix:/run/a0ipcd/a0ipcd.sock, 127.0.0.1:50051");
    a0ipc_notify_stopping();
    assert_string_equal(next_message(), "STOPPING=1\nSTATUS=Shutting down");
}

/* WATCHDOG_USEC = 200 ms: pings must come every 100 ms (half of it) while waiting, so about 7 in
 * 650 ms; pinging at the full interval would give at most 4, which systemd would already count
 * as late. */
static void watchdog_is_fed_at_half_the_interval(void **state)
{
    (void)state;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_USEC", "200000", 1);
    setenv("WATCHDOG_PID", pid, 1);
    block(SIGUSR1);
    struct delayed_signal d = {SIGUSR1, 650};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_later, &d), 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sig = 0;
    assert_int_equal(a0ipc_notify_sigwait(&set, &sig), 0);
    assert_int_equal(sig, SIGUSR1);
    pthread_join(t, NULL);
    int pings = count_watchdog_pings();
    if (pings < 5 || pings > 8)
        fail_msg("%d watchdog pings in 650 ms at a 100 ms period", pings);
}

/* WATCHDOG_PID names another process (a child inherited the variables): no pings. */
static void watchdog_of_another_process_is_not_fed(void **state)
{
    (void)state;
    setenv("WATCHDOG_USEC", "200000", 1);
    setenv("WATCHDOG_PID", "1", 1);
    block(SIGUSR1);
    struct delayed_signal d = {SIGUSR1, 250};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_later, &d), 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sig = 0;
    assert_int_equal(a0ipc_notify_sigwait(&set, &sig), 0);
    assert_int_equal(sig, SIGUSR1);
    pthread_join(t, NULL);
    assert_int_equal(count_watchdog_pings(), 0);
}

/* SIGHUP: RELOADING=1 (with the monotonic time) when it is returned, READY=1 with the same
 * status when the caller comes back for the next signal, i.e. after it reloaded. */
static void reload_is_announced_and_finished(void **state)
{
    (void)state;
    char *listen[] = {"unix:/tmp/x.sock"};
    a0ipc_notify_ready(listen, 1);
    assert_string_equal(next_message(), "READY=1\nSTATUS=Serving on unix:/tmp/x.sock");

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    raise(SIGHUP);
    int sig = 0;
    assert_int_equal(a0ipc_notify_sigwait(&set, &sig), 0);
    assert_int_equal(sig, SIGHUP);
    const char *m = next_message();
    assert_non_null(strstr(m, "RELOADING=1\n"));
    const char *mono = strstr(m, "MONOTONIC_USEC=");
    assert_non_null(mono);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long long usec = strtoull(mono + strlen("MONOTONIC_USEC="), NULL, 10);
    unsigned long long now_usec = (unsigned long long)now.tv_sec * 1000000ull;
    assert_true(usec > 0 && usec <= now_usec + 1000000ull && usec + 5000000ull >= now_usec);
    assert_string_equal(next_message(), ""); /* READY=1 waits for the reload */

    raise(SIGTERM);
    assert_int_equal(a0ipc_notify_sigwait(&set, &sig), 0);
    assert_int_equal(sig, SIGTERM);
    assert_string_equal(next_message(), "READY=1\nSTATUS=Serving on unix:/tmp/x.sock");
    assert_string_equal(next_message(), "");
}

/* Started by hand: nothing to tell anybody, and signals still arrive. */
static void without_a_manager_signals_still_arrive(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", "200000", 1); /* pings to nowhere must not get in the way */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    char *listen[] = {"unix:/tmp/y.sock"};
    a0ipc_notify_ready(listen, 1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    int sig = 0;
    assert_int_equal(a0ipc_notify_sigwait(&set, &sig), 0);
    assert_int_equal(sig, SIGUSR2);
    a0ipc_notify_stopping();
    assert_string_equal(next_message(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ready_and_stopping_are_sent, manager_up, manager_down),
        cmocka_unit_test_setup_teardown(watchdog_is_fed_at_half_the_interval, manager_up,
                                        manager_down),
        cmocka_unit_test_setup_teardown(watchdog_of_another_process_is_not_fed, manager_up,
                                        manager_down),
        cmocka_unit_test_setup_teardown(reload_is_announced_and_finished, manager_up, manager_down),
        cmocka_unit_test_setup_teardown(without_a_manager_signals_still_arrive, manager_up,
                                        manager_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
