/* a0ipcd and its service manager: readiness, stopping, reloading and the watchdog, through
 * sd_notify(3) (the a0ipcd.service unit is Type=notify with WatchdogSec=), and the sockets of
 * a0ipcd.socket (sd_listen_fds(3)).
 *
 * Every function is a no-op when the daemon was not started with NOTIFY_SOCKET set (by hand, in
 * tests, under another supervisor), so a0ipcd behaves the same everywhere else. The environment
 * is left as systemd set it: children such as terminal sessions inherit NOTIFY_SOCKET, but the
 * unit's NotifyAccess=main makes systemd ignore anything but the main process, and
 * WATCHDOG_PID names the daemon only. Call these from the main thread. */
#ifndef A0IPC_DAEMON_NOTIFY_H
#define A0IPC_DAEMON_NOTIFY_H

#include <signal.h>
#include <stddef.h>

/* READY=1, with STATUS= naming the addresses served (shown by `systemctl status`). Call once
 * every listener is bound and the ready file written: systemd then starts what is ordered after
 * a0ipcd.service, and `systemctl start` returns. */
void a0ipc_notify_ready(char *const *listen, size_t n_listen);

/* STOPPING=1: the daemon is shutting down (systemd then does not count the exit as a crash of
 * a running service, and `systemctl status` says so while calls get their grace period). */
void a0ipc_notify_stopping(void);

/* sigwait(3) that keeps the watchdog fed while it waits: when systemd asked for one
 * (WATCHDOG_USEC and WATCHDOG_PID = this process), WATCHDOG=1 is sent at once and then every
 * half interval until a signal of set arrives. So a main thread that stops coming back here
 * (a deadlock in shutdown or reload) gets the daemon restarted by systemd.
 * For SIGHUP it also sends RELOADING=1 before returning; the next call, which the caller makes
 * once it has reloaded, first sends READY=1 again (systemd's reload protocol).
 * Returns 0 with *sig set, or -errno. */
int a0ipc_notify_sigwait(const sigset_t *set, int *sig);

/* Socket activation: the listening socket the service manager passed (LISTEN_FDS, for this
 * process) that is bound to addr ("unix:/path"), or -1 when none is. The socket unit then owns
 * the file; the daemon serves on it instead of binding its own (a0ipc_rpc_unix_options.fd). */
int a0ipc_notify_listen_fd(const char *addr);

#endif
