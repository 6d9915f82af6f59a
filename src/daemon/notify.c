#include "daemon/notify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"

/* The STATUS= text of the last READY=1, sent again after a reload. */
static char ready_status[512];
/* A SIGHUP was returned: READY=1 is due when the caller comes back. */
static bool reloading;
/* One warning is enough when the manager's socket cannot be written to. */
static bool warned;

static void send_state(const char *state)
{
    int rc = sd_notify(0, state);
    if (rc < 0 && !warned) {
        warned = true;
        A0IPC_LOGW("cannot tell the service manager \"%.*s\": %s", (int)strcspn(state, "\n"), state,
                   strerror(-rc));
    }
}

void a0ipc_notify_ready(char *const *listen, size_t n_listen)
{
    size_t len = (size_t)snprintf(ready_status, sizeof ready_status, "Serving on");
    for (size_t i = 0; i < n_listen && len < sizeof ready_status; i++)
        len += (size_t)snprintf(ready_status + len, sizeof ready_status - len, "%s %s",
                                i ? "," : "", listen[i]);
    char state[sizeof ready_status + 32];
    snprintf(state, sizeof state, "READY=1\nSTATUS=%s", ready_status);
    send_state(state);
}

void a0ipc_notify_stopping(void)
{
    send_state("STOPPING=1\nSTATUS=Shutting down");
}

int a0ipc_notify_sigwait(const sigset_t *set, int *sig)
{
    if (reloading) {
        reloading = false;
        char state[sizeof ready_status + 32];
        snprintf(state, sizeof state, "READY=1\nSTATUS=%s", ready_status);
        send_state(state);
    }
    /* Asked each time rather than once: it is cheap, and it stays right if a test or a
     * re-exec changes the environment. */
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        int rc = sigwait(set, sig);
        if (rc != 0)
            return -rc;
    } else {
        uint64_t half = usec / 2;
        struct timespec every = {.tv_sec = (time_t)(half / 1000000u),
                                 .tv_nsec = (long)(half % 1000000u) * 1000};
        for (;;) {
            send_state("WATCHDOG=1");
            int s = sigtimedwait(set, NULL, &every);
            if (s > 0) {
                *sig = s;
                break;
            }
            if (errno != EAGAIN && errno != EINTR)
                return -errno;
        }
    }
    if (*sig == SIGHUP) {
        /* MONOTONIC_USEC lets a systemd that knows Type=notify-reload match this RELOADING=1
         * to the signal it sent; older ones ignore the field. */
        char state[96];
        snprintf(state, sizeof state, "RELOADING=1\nSTATUS=Reloading\nMONOTONIC_USEC=%llu",
                 (unsigned long long)(a0ipc_mono_ns() / 1000));
        send_state(state);
        reloading = true;
    }
    return 0;
}

int a0ipc_notify_listen_fd(const char *addr)
{
    /* Asked once: the answer is about how this process was started. The variables stay (the
     * LISTEN_PID check already keeps children from taking them); sd_listen_fds marks the fds
     * close-on-exec, so sessions do not inherit them. */
    static int n_fds = -1;
    if (n_fds < 0) {
        n_fds = sd_listen_fds(0);
        if (n_fds < 0) {
            A0IPC_LOGW("ignoring the sockets the service manager passed: %s", strerror(-n_fds));
            n_fds = 0;
        } else if (n_fds > 0) {
            A0IPC_LOGI("socket activation: %d socket(s) passed", n_fds);
        }
    }
    if (strncmp(addr, "unix:", 5) != 0)
        return -1;
    const char *path = addr + 5;
    if (!strncmp(path, "//", 2)) /* unix:///path */
        path += 2;
    for (int i = 0; i < n_fds; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, path, 0) > 0) {
            A0IPC_LOGI("socket activation: serving %s on the socket passed as fd %d", addr, fd);
            return fd;
        }
    }
    return -1;
}
