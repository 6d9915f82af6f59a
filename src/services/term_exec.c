#include "services/term_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "services/term_child.h"
#include "services/term_reaper.h"

/* After the program exits, a background process it left may hold the pipes open forever: read
 * what is already there, then stop. */
#define DRAIN_ROUNDS 64

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Reads what is available from *fd into t up to cap, dropping the rest. Closes *fd at EOF. */
static void take(int *fd, a0ipc_term_text *t, size_t cap, bool *truncated)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(fd);
            return;
        }
        size_t keep = t->len < cap ? cap - t->len : 0;
        if (keep > (size_t)n)
            keep = (size_t)n;
        if (keep && a0ipc_term_text_add(t, buf, keep) != 0)
            keep = 0; /* out of memory: treat as truncated rather than fail the call */
        if (keep < (size_t)n)
            *truncated = true;
    }
}

/* Writes what the pipe takes. A program that exits or closes stdin early makes the write fail
 * with EPIPE and raise SIGPIPE; that signal is blocked here and consumed, so it never reaches the
 * daemon (where it would be fatal unless ignored). */
static void give(int *fd, const uint8_t *data, size_t len, size_t *off)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    bool epipe = false;
    while (*off < len) {
        ssize_t n = write(*fd, data + *off, len - *off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            epipe = errno == EPIPE;
            *off = len; /* the program does not want the rest */
            break;
        }
        *off += (size_t)n;
    }
    if (epipe) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (*off >= len)
        close_fd(fd); /* end-of-file for the program */
}

a0ipc_code a0ipc_term_exec(const a0ipc_terminal_config *cfg, const a0ipc_term_exec_opts *o,
                           a0ipc_term_exec_result *r, a0ipc_status *st)
{
    if (o->argc == 0)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "argv is empty");
    a0ipc_term_child child;
    if (a0ipc_term_child_prepare(&child, cfg, o->argv, o->argc, o->cwd, o->env, o->n_env, NULL,
                                 st) != A0IPC_OK)
        return st->code;
    size_t cap = o->max_output && o->max_output < cfg->exec_max_output ? o->max_output
                                                                       : cfg->exec_max_output;
    unsigned timeout = o->timeout_ms ? o->timeout_ms : cfg->exec_timeout_ms;

    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
        pipe2(rep, O_CLOEXEC) != 0) {
        a0ipc_status_from_errno(st, errno, "pipe");
        goto fail;
    }
    a0ipc_reaper_lock();
    pid_t pid = fork();
    if (pid == 0) {
        close(rep[0]);
        setpgid(0, 0);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
            a0ipc_term_child_fail(rep[1], A0IPC_CHILD_DUP, errno);
        a0ipc_term_child_exec(&child, rep[1]);
    }
    int fork_err = errno;
    bool registered = pid > 0 && a0ipc_reaper_add_locked(pid) == 0;
    a0ipc_reaper_unlock();
    if (pid < 0) {
        a0ipc_status_from_errno(st, fork_err, "fork");
        goto fail;
    }
    /* Also set here: the timeout may fire before the child has run setpgid itself. */
    setpgid(pid, pid);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    close_fd(&rep[1]);
    if (a0ipc_term_child_report(rep[0], &child, st) != A0IPC_OK) {
        int status;
        if (registered)
            a0ipc_reaper_wait(pid, &status, -1, -1);
        goto fail;
    }
    close_fd(&rep[0]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    if (o->stdin_len == 0)
        close_fd(&in[1]);

    int pidfd = a0ipc_pidfd_open(pid);
    int64_t deadline = a0ipc_mono_ms() + timeout;
    size_t in_off = 0;
    bool exited = false;
    int status = 0;
    while (!exited) {
        struct pollfd p[5];
        int n = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1, i_cancel = -1;
        if (in[1] >= 0)
            i_in = n, p[n++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
        if (out[0] >= 0)
            i_out = n, p[n++] = (struct pollfd){.fd = out[0], .events = POLLIN};
        if (err[0] >= 0)
            i_err = n, p[n++] = (struct pollfd){.fd = err[0], .events = POLLIN};
        if (pidfd >= 0)
            i_pid = n, p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        if (o->cancel_fd >= 0)
            i_cancel = n, p[n++] = (struct pollfd){.fd = o->cancel_fd, .events = POLLIN};
        int64_t left = deadline - a0ipc_mono_ms();
        if (left > 0) {
            /* Without a pidfd, look for the exit every 50 ms. */
            int wait = pidfd < 0 ? 50 : 1000;
            int pr = poll(p, (nfds_t)n, (int)(left < wait ? left : wait));
            if (pr < 0 && errno != EINTR)
                break;
            if (i_in >= 0 && p[i_in].revents)
                give(&in[1], o->stdin_data, o->stdin_len, &in_off);
            if (i_out >= 0 && p[i_out].revents)
                take(&out[0], &r->out, cap, &r->out_truncated);
            if (i_err >= 0 && p[i_err].revents)
                take(&err[0], &r->err, cap, &r->err_truncated);
            if (i_cancel >= 0 && p[i_cancel].revents)
                r->cancelled = true;
            (void)i_pid;
        } else {
            r->timed_out = true;
        }
        if (r->timed_out || r->cancelled) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            exited = a0ipc_reaper_wait(pid, &status, -1, -1) == 1;
            break;
        }
        exited = a0ipc_reaper_check(pid, &status) == 1;
    }
    /* What the program wrote before it ended is in the pipes: take it. */
    for (int i = 0; i < DRAIN_ROUNDS && (out[0] >= 0 || err[0] >= 0); i++) {
        size_t before = r->out.len + r->err.len;
        if (out[0] >= 0)
            take(&out[0], &r->out, cap, &r->out_truncated);
        if (err[0] >= 0)
            take(&err[0], &r->err, cap, &r->err_truncated);
        if (r->out.len + r->err.len == before)
            break;
    }
    if (pidfd >= 0)
        close(pidfd);
    if (!exited && registered)
        a0ipc_reaper_forget(pid);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    a0ipc_term_child_release(&child);
    return A0IPC_OK;

fail:
    for (int *fd = &in[0]; fd != &in[0] + 2; fd++)
        close_fd(fd);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&err[0]);
    close_fd(&err[1]);
    close_fd(&rep[0]);
    close_fd(&rep[1]);
    a0ipc_term_child_release(&child);
    return st->code;
}

void a0ipc_term_exec_result_free(a0ipc_term_exec_result *r)
{
    a0ipc_term_text_free(&r->out);
    a0ipc_term_text_free(&r->err);
}
