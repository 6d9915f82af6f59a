#include "services/term_pty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "services/term_reaper.h"

static a0ipc_code open_pty(unsigned rows, unsigned cols, bool echo, uid_t uid, int *master,
                           int *slave, a0ipc_status *st)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return a0ipc_status_from_errno(st, errno, "posix_openpt");
    char name[128];
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, sizeof name) != 0) {
        a0ipc_status_from_errno(st, errno, "preparing the terminal");
        close(m);
        return st->code;
    }
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        a0ipc_status_from_errno(st, errno, "opening %s", name);
        close(m);
        return st->code;
    }
    /* The session's user must own its terminal (programs chmod it, write to /dev/tty). */
    if (uid != (uid_t)-1 && (fchown(s, uid, (gid_t)-1) != 0 || fchmod(s, 0620) != 0)) {
        a0ipc_status_from_errno(st, errno, "giving %s to uid %u", name, (unsigned)uid);
        close(s);
        close(m);
        return st->code;
    }
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(s, TIOCSWINSZ, &ws);
    /* UTF-8 aware erase in canonical mode; everything else stays at the kernel's defaults,
     * which are what a login terminal has (echo, ICANON, ONLCR, ^C for SIGINT), but echo when
     * the caller wants it off. bash keeps a mode it finds at start: readline restores it after
     * each line, and job control after each foreground job. */
    struct termios tio;
    if (tcgetattr(s, &tio) == 0) {
        tio.c_iflag |= IUTF8;
        if (!echo)
            tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        tcsetattr(s, TCSANOW, &tio);
    }
    *master = m;
    *slave = s;
    return A0IPC_OK;
}

a0ipc_code a0ipc_term_spawn_pty(const a0ipc_term_child *c, unsigned rows, unsigned cols, bool echo,
                                pid_t *pid, int *master, a0ipc_status *st)
{
    int m = -1, s = -1;
    if (open_pty(rows, cols, echo, c->cfg->uid >= 0 ? (uid_t)c->cfg->uid : (uid_t)-1, &m, &s, st) !=
        A0IPC_OK)
        return st->code;
    int errp[2];
    if (pipe2(errp, O_CLOEXEC) != 0) {
        a0ipc_status_from_errno(st, errno, "pipe");
        close(m);
        close(s);
        return st->code;
    }

    a0ipc_reaper_lock();
    pid_t child = fork();
    if (child == 0) {
        close(errp[0]);
        if (setsid() < 0)
            a0ipc_term_child_fail(errp[1], A0IPC_CHILD_SETSID, errno);
        if (ioctl(s, TIOCSCTTY, 0) != 0)
            a0ipc_term_child_fail(errp[1], A0IPC_CHILD_CTTY, errno);
        if (dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0)
            a0ipc_term_child_fail(errp[1], A0IPC_CHILD_DUP, errno);
        a0ipc_term_child_exec(c, errp[1]);
    }
    int fork_err = errno;
    if (child > 0 && a0ipc_reaper_add_locked(child) != 0) {
        /* Without a table entry its status would be swept away; end it now instead. */
        a0ipc_reaper_unlock();
        kill(child, SIGKILL);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    a0ipc_reaper_unlock();
    if (child < 0) {
        a0ipc_status_from_errno(st, fork_err, "fork");
        goto fail;
    }
    close(s);
    s = -1;
    close(errp[1]);
    errp[1] = -1;
    if (a0ipc_term_child_report(errp[0], c, st) != A0IPC_OK) {
        int status;
        a0ipc_reaper_wait(child, &status, -1, -1);
        goto fail;
    }
    close(errp[0]);
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
    *pid = child;
    *master = m;
    return A0IPC_OK;

fail:
    if (s >= 0)
        close(s);
    if (errp[1] >= 0)
        close(errp[1]);
    close(errp[0]);
    close(m);
    return st->code;
}
