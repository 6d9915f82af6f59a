/* bench_util: helpers the benchmarks share (see bench_util.h). */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

char bu_tmpdir[256];
pid_t bu_daemon_pid = -1;

static const char *prog = "bench";
static pid_t children[8];
static size_t n_children;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
        fprintf(stderr, "%s: could not remove %s: %s\n", prog, path, strerror(errno));
    return 0;
}

static void cleanup(void)
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = -1;
        }
    if (bu_daemon_pid > 0) {
        kill(bu_daemon_pid, SIGKILL);
        waitpid(bu_daemon_pid, NULL, 0);
        bu_daemon_pid = -1;
    }
    if (!bu_tmpdir[0])
        return;
    /* The directory is ours (mkdtemp): everything in it, whoever made it, goes. FTW_PHYS: a
     * symbolic link inside is removed, never followed. */
    nftw(bu_tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    bu_tmpdir[0] = '\0';
}

void bu_init(const char *name, const char *parent)
{
    prog = name;
    signal(SIGPIPE, SIG_IGN);
    snprintf(bu_tmpdir, sizeof bu_tmpdir, "%s/a0ipc-bench-XXXXXX", parent ? parent : "/tmp");
    if (!mkdtemp(bu_tmpdir)) {
        fprintf(stderr, "%s: mkdtemp %s: %s\n", prog, bu_tmpdir, strerror(errno));
        exit(1);
    }
    atexit(cleanup);
}

void bu_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1); /* runs cleanup */
}

void *bu_xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        bu_die("out of memory (%zu bytes)", n);
    return p;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void bu_sort_ns(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_i64);
}

double bu_pct_us(const int64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

/* ---- pinning and children ---- */

void bu_require_executable(const char *name, const char *path)
{
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "%s: %s: %s\n", name, path, strerror(errno));
        exit(2);
    }
}

int bu_pick_cpus(int *srv, int *cli)
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    int ncpu = CPU_COUNT(&allowed), cpus[2] = {-1, -1};
    for (int c = 0, k = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[k++] = c;
    *srv = cpus[0];
    *cli = ncpu >= 2 ? cpus[1] : cpus[0];
    return ncpu;
}

void bu_pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        _exit(127);
    }
}

pid_t bu_fork_pinned(int cpu)
{
    fflush(NULL); /* or the child's exit would write the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0)
        bu_die("fork: %s", strerror(errno));
    if (pid == 0) {
        bu_pin_to(cpu);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* an interrupted bench leaves nothing running */
        bu_tmpdir[0] = '\0';              /* the parent's to remove, not the child's */
        n_children = 0;
        bu_daemon_pid = -1;
        return 0;
    }
    if (n_children < sizeof children / sizeof children[0])
        children[n_children++] = pid;
    return pid;
}

void bu_kill_child(pid_t pid)
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] == pid)
            children[i] = -1;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- the daemon ---- */

/* Starts a0ipcd pinned to cpu with args (NULL-terminated) plus --ready-file TMP/readySUFFIX
 * and --log-calls false, output in TMP/a0ipcdSUFFIX.log; waits until its ready file lists the
 * addresses. unix_target may be NULL when no unix listener is asked for. */
static pid_t spawn_daemon(const char *path, int cpu, const char *const *args, const char *suffix,
                          char *unix_target, char *tcp_target, size_t cap)
{
    char ready[300], log[300];
    snprintf(ready, sizeof ready, "%s/ready%s", bu_tmpdir, suffix);
    snprintf(log, sizeof log, "%s/a0ipcd%s.log", bu_tmpdir, suffix);

    const char *argv[40];
    size_t n = 0;
    argv[n++] = path;
    for (size_t i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 5; i++)
        argv[n++] = args[i];
    argv[n++] = "--ready-file";
    argv[n++] = ready;
    argv[n++] = "--log-calls";
    argv[n++] = "false";
    argv[n] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        bu_die("fork: %s", strerror(errno));
    if (pid == 0) {
        bu_pin_to(cpu);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* an interrupted bench leaves no daemon behind */
        /* Its log would interleave with the table: it goes to a file, shown if startup fails. */
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(path, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }

    for (int64_t deadline = a0ipc_mono_ns() + 10 * 1000000000LL; a0ipc_mono_ns() < deadline;) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char cmd[400];
            snprintf(cmd, sizeof cmd, "cat '%s' >&2", log);
            if (system(cmd) != 0)
                fprintf(stderr, "(no daemon log)\n");
            bu_die("a0ipcd (%s) exited during startup (status %d)", path, status);
        }
        FILE *f = fopen(ready, "r");
        if (!f) {
            usleep(10000);
            continue;
        }
        char line[256];
        if (unix_target)
            unix_target[0] = '\0';
        tcp_target[0] = '\0';
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strncmp(line, "unix:", 5) == 0) {
                if (unix_target)
                    snprintf(unix_target, cap, "%s", line);
            } else if (line[0]) {
                snprintf(tcp_target, cap, "ipv4:%s", line); /* a literal: no resolver involved */
            }
        }
        fclose(f);
        if ((unix_target && !unix_target[0]) || !tcp_target[0])
            bu_die("a0ipcd's ready file %s lacks an address", ready);
        return pid;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    bu_die("a0ipcd did not become ready within 10 s (log: %s)", log);
}

void bu_start_daemon(const char *path, int cpu, const char *const *extra, char *unix_target,
                     char *tcp_target, size_t cap)
{
    char sock[300], listen_unix[310];
    snprintf(sock, sizeof sock, "%s/a0ipcd.sock", bu_tmpdir);
    snprintf(listen_unix, sizeof listen_unix, "unix:%s", sock);
    const char *args[40] = {"--listen", listen_unix, "--listen", "127.0.0.1:0", "--insecure"};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < sizeof args / sizeof args[0] - 1; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    bu_daemon_pid = spawn_daemon(path, cpu, args, "", unix_target, tcp_target, cap);
}

pid_t bu_start_tls_daemon(const char *path, int cpu, const char *const *extra, char *tcp_target,
                          size_t cap)
{
    const char *args[40] = {"--listen", "127.0.0.1:0"};
    size_t n = 2;
    for (size_t i = 0; extra && extra[i] && n < sizeof args / sizeof args[0] - 1; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    pid_t pid = spawn_daemon(path, cpu, args, "-tls", NULL, tcp_target, cap);
    if (n_children < sizeof children / sizeof children[0])
        children[n_children++] = pid; /* killed at exit unless stopped before */
    return pid;
}

int bu_stop_pid(pid_t pid)
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] == pid)
            children[i] = -1;
    int status = -1;
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return status;
}

int bu_stop_daemon(void)
{
    int status = -1;
    kill(bu_daemon_pid, SIGTERM);
    waitpid(bu_daemon_pid, &status, 0);
    bu_daemon_pid = -1;
    return status;
}

void bu_print_exit_status(int status)
{
    if (WIFEXITED(status))
        printf("a0ipcd exit status after SIGTERM: %d\n", WEXITSTATUS(status));
    else
        printf("a0ipcd ended by signal %d after SIGTERM\n",
               WIFSIGNALED(status) ? WTERMSIG(status) : -1);
}

/* ---- CPU time and memory ---- */

int64_t bu_proc_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces: fields are counted after its closing parenthesis. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    return (int64_t)(utime + stime) * (1000000000 / sysconf(_SC_CLK_TCK));
}

int64_t bu_self_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static long status_value(const char *path, const char *key)
{
    char line[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

long bu_proc_status_kb(pid_t pid, const char *key)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    return status_value(path, key);
}

long long bu_proc_switches(pid_t pid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long long n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.16s/status", (int)pid, e->d_name);
        long v = status_value(path, "voluntary_ctxt_switches");
        long nv = status_value(path, "nonvoluntary_ctxt_switches");
        if (v > 0)
            n += v;
        if (nv > 0)
            n += nv;
    }
    closedir(d);
    return n;
}

bool bu_reset_hwm(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/clear_refs", (int)pid);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

int64_t bu_machine_busy_ns(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                   &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8)
        return -1;
    return (int64_t)(user + nice + sys + irq + softirq + steal) *
           (1000000000 / sysconf(_SC_CLK_TCK));
}

bu_cpu_mark bu_cpu_now(pid_t server)
{
    bu_cpu_mark m = {a0ipc_mono_ns(), bu_proc_cpu_ns(server), bu_self_cpu_ns(),
                     bu_machine_busy_ns()};
    return m;
}

bu_cpu_use bu_cpu_between(bu_cpu_mark a, bu_cpu_mark b)
{
    bu_cpu_use u;
    double wall = (double)(b.wall - a.wall);
    u.wall_s = wall / 1e9;
    u.server_pct = 100.0 * (double)(b.server - a.server) / wall;
    u.client_pct = 100.0 * (double)(b.client - a.client) / wall;
    /* Clock-tick granularity (10 ms) can make a quiet machine look slightly negative. */
    int64_t others = (b.machine - a.machine) - (b.server - a.server) - (b.client - a.client);
    u.others_pct = others > 0 ? 100.0 * (double)others / wall : 0;
    return u;
}

/* ---- sockets ---- */

int bu_read_full(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

int bu_write_full(int fd, const void *buf, size_t n)
{
    for (size_t put = 0; put < n;) {
        ssize_t r = write(fd, (const char *)buf + put, n - put);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        put += (size_t)r;
    }
    return 0;
}

void bu_set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void bu_listen_pair(const char *name, int *lunix, struct sockaddr_un *ua, int *ltcp,
                    struct sockaddr_in *ta)
{
    memset(ua, 0, sizeof *ua);
    ua->sun_family = AF_UNIX;
    if (snprintf(ua->sun_path, sizeof ua->sun_path, "%s/%s", bu_tmpdir, name) >=
        (int)sizeof ua->sun_path)
        bu_die("socket path %s/%s too long", bu_tmpdir, name);
    *lunix = socket(AF_UNIX, SOCK_STREAM, 0);
    if (*lunix < 0 || bind(*lunix, (struct sockaddr *)ua, sizeof *ua) != 0 ||
        listen(*lunix, 4) != 0)
        bu_die("unix socket %s: %s", ua->sun_path, strerror(errno));

    memset(ta, 0, sizeof *ta);
    ta->sin_family = AF_INET;
    ta->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *ta;
    *ltcp = socket(AF_INET, SOCK_STREAM, 0);
    if (*ltcp < 0 || bind(*ltcp, (struct sockaddr *)ta, sizeof *ta) != 0 || listen(*ltcp, 4) != 0 ||
        getsockname(*ltcp, (struct sockaddr *)ta, &len) != 0)
        bu_die("tcp socket: %s", strerror(errno));
}

/* ---- header ---- */

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        char *v = strchr(line, ':');
        if (!v)
            break;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(buf, cap, "%s", v);
        break;
    }
    fclose(f);
}

void bu_print_machine(int ncpu, int srv, int cli, const char *server_side)
{
    char model[256];
    struct utsname un;
    cpu_model(model, sizeof model);
    uname(&un);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online == ncpu)
        printf("machine    : nproc %d, %s, Linux %s\n", ncpu, model, un.release);
    else /* run under taskset or in a cpuset: say what this process may use */
        printf("machine    : nproc %d (of %ld online), %s, Linux %s\n", ncpu, online, model,
               un.release);
    if (ncpu >= 2)
        printf("pinning    : %s on CPU %d; this client and all its threads on CPU %d\n",
               server_side, srv, cli);
    else
        printf("pinning    : ONE CPU available: %s and this client all on CPU %d (figures include "
               "sharing it)\n",
               server_side, srv);
}
