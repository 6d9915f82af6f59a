#include "sshd_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "legacy_testutil.h"

#define SSHD       "/usr/sbin/sshd"
#define SSH_KEYGEN "/usr/bin/ssh-keygen"

static void run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("`%s` failed (%d)", cmd, rc);
}

int lt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

void lt_sshd_print_log(const sshd *d)
{
    char *log = lt_read_file(d->log, NULL);
    fprintf(stderr, "---- sshd log ----\n%s\n------------------\n", log ? log : "(none)");
    free(log);
}

/* Starts sshd -D on a free port; tries again on another port if one was taken meanwhile. */
void lt_sshd_start(sshd *d)
{
    struct passwd *pw = getpwuid(getuid());
    assert_non_null(pw);
    snprintf(d->user, sizeof d->user, "%s", pw->pw_name);
    d->dir = lt_mkdtemp("sshd");
    /* sshd wants its privilege-separation directory (a tmpfs /run may not have it yet). */
    if (mkdir("/run/sshd", 0755) != 0 && errno != EEXIST && getuid() == 0)
        fail_msg("mkdir /run/sshd: %s", strerror(errno));
    run(SSH_KEYGEN " -q -t ed25519 -N '' -C a0ipc-test-host -f %s/host_ed25519", d->dir);
    run(SSH_KEYGEN " -q -t ed25519 -N '' -C a0ipc-test-user -f %s/user_ed25519", d->dir);
    run(SSH_KEYGEN " -q -t ed25519 -N '' -C a0ipc-test-other -f %s/other_ed25519", d->dir);
    run("cp %s/user_ed25519.pub %s/authorized_keys", d->dir, d->dir);
    snprintf(d->user_key, sizeof d->user_key, "%s/user_ed25519", d->dir);
    snprintf(d->other_key, sizeof d->other_key, "%s/other_ed25519", d->dir);
    snprintf(d->log, sizeof d->log, "%s/sshd.log", d->dir);

    char cmd[8192];
    snprintf(cmd, sizeof cmd, SSH_KEYGEN " -l -E sha256 -f %s/host_ed25519.pub", d->dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%*d %127s", d->host_fp), 1);
    pclose(p);

    for (int attempt = 0; attempt < 3; attempt++) {
        d->port = lt_free_port();
        char conf[8192], path[4096];
        snprintf(conf, sizeof conf,
                 "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_ed25519\n"
                 "PidFile %s/sshd.pid\nAuthorizedKeysFile %s/authorized_keys\n"
                 "UsePAM no\nStrictModes no\nPubkeyAuthentication yes\n"
                 "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                 "PermitRootLogin prohibit-password\nAllowUsers %s\nPrintMotd no\n"
                 "PrintLastLog no\nUseDNS no\nLogLevel VERBOSE\n",
                 d->port, d->dir, d->dir, d->dir, d->user);
        snprintf(path, sizeof path, "%s/sshd_config", d->dir);
        write_text(path, conf);
        pid_t parent = getpid();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* Dies with the test, also when a failed assertion skipped lt_sshd_stop. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(127);
            int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, STDERR_FILENO);
            execl(SSHD, SSHD, "-D", "-e", "-f", path, (char *)NULL);
            _exit(127);
        }
        d->pid = pid;
        for (int i = 0; i < 500; i++) {
            if (port_open(d->port))
                return;
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid)
                break;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        lt_sshd_print_log(d);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        d->pid = 0;
    }
    fail_msg("sshd did not start (log above)");
}

void lt_sshd_stop(sshd *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
    }
    lt_rm_rf(d->dir);
    free(d->dir);
}
