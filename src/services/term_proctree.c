#include "services/term_proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* ---- cgroup v2 ---- */

/* The cgroup2 mount point from /proc/self/mountinfo. */
static char *cgroup2_mount(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return NULL;
    char *line = NULL, *found = NULL;
    size_t cap = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        /* id parent major:minor root mount-point options ... - fstype source super-options */
        char *sep = strstr(line, " - ");
        if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
            continue;
        char mnt[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
            found = strdup(mnt);
    }
    free(line);
    fclose(f);
    return found;
}

/* This process's cgroup v2 path, from the "0::" line of /proc/self/cgroup. */
static char *own_cgroup(void)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return NULL;
    char *line = NULL, *found = NULL;
    size_t cap = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        found = strdup(line + 3);
    }
    free(line);
    fclose(f);
    return found;
}

/* Whether cgroups can be made under dir: try one. */
static bool can_create(const char *dir)
{
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/a0ipc-probe-%d", dir, (int)getpid());
    if (mkdir(probe, 0755) != 0)
        return false;
    char kill_file[4200];
    snprintf(kill_file, sizeof kill_file, "%s/cgroup.procs", probe);
    bool ok = access(kill_file, W_OK) == 0;
    rmdir(probe);
    return ok;
}

char *a0ipc_term_cgroup_base(const char *setting)
{
    if (!setting || strcmp(setting, "off") == 0)
        return NULL;
    if (strcmp(setting, "auto") != 0) {
        if (can_create(setting))
            return strdup(setting);
        A0IPC_LOGW("terminal: cannot create cgroups in %s (%s); finding session processes "
                   "through /proc",
                   setting, strerror(errno));
        return NULL;
    }
    char *mnt = cgroup2_mount(), *own = own_cgroup(), *base = NULL;
    if (mnt && own) {
        if (asprintf(&base, "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own) < 0)
            base = NULL;
        if (base && !can_create(base)) {
            A0IPC_LOGI("terminal: no cgroup v2 delegation at %s; finding session processes "
                       "through /proc",
                       base);
            free(base);
            base = NULL;
        }
    }
    free(mnt);
    free(own);
    return base;
}

int a0ipc_term_cgroup_cleanup(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int pid, end = 0;
        if (sscanf(de->d_name, "a0ipc-%d-%*32[0-9a-f]%n", &pid, &end) != 1 || end == 0 ||
            de->d_name[end] != '\0')
            continue;
        if (pid == (int)getpid() || kill(pid, 0) == 0 || errno != ESRCH)
            continue; /* its daemon is alive (or not ours to judge) */
        char dir[4096], file[4200];
        snprintf(dir, sizeof dir, "%s/%s", base, de->d_name);
        a0ipc_term_tree t = {.cg_dir = dir, .cg_procs_fd = -1};
        /* cgroup.kill is asynchronous: give the processes a moment to go. */
        for (int i = 0; i < 100 && rmdir(dir) != 0 && errno == EBUSY; i++) {
            a0ipc_term_tree_kill(&t);
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
        snprintf(file, sizeof file, "%s/cgroup.procs", dir);
        if (access(file, F_OK) == 0) {
            A0IPC_LOGW("terminal: cannot remove stale cgroup %s: %s", dir, strerror(errno));
            continue;
        }
        A0IPC_LOGW("terminal: removed cgroup %s, left by a daemon that died", dir);
        removed++;
    }
    closedir(d);
    return removed;
}

a0ipc_code a0ipc_term_tree_init(a0ipc_term_tree *t, const char *base, const char *session_id,
                                a0ipc_status *st)
{
    memset(t, 0, sizeof *t);
    t->cg_procs_fd = -1;
    snprintf(t->env_tag, sizeof t->env_tag, "A0IPC_SESSION_ID=%s", session_id);
    if (!base)
        return A0IPC_OK;
    if (asprintf(&t->cg_dir, "%s/a0ipc-%d-%s", base, (int)getpid(), session_id) < 0) {
        t->cg_dir = NULL;
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return st->code;
    }
    char procs[4200];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", t->cg_dir);
    if (mkdir(t->cg_dir, 0755) != 0 || (t->cg_procs_fd = open(procs, O_WRONLY | O_CLOEXEC)) < 0) {
        A0IPC_LOGW("terminal: cannot create cgroup %s (%s); using /proc for this session",
                   t->cg_dir, strerror(errno));
        rmdir(t->cg_dir);
        free(t->cg_dir);
        t->cg_dir = NULL;
    }
    return A0IPC_OK;
}

void a0ipc_term_tree_destroy(a0ipc_term_tree *t)
{
    if (t->cg_procs_fd >= 0)
        close(t->cg_procs_fd);
    t->cg_procs_fd = -1;
    if (t->cg_dir && rmdir(t->cg_dir) != 0 && errno != ENOENT)
        A0IPC_LOGW("terminal: cannot remove cgroup %s: %s", t->cg_dir, strerror(errno));
    free(t->cg_dir);
    t->cg_dir = NULL;
}

/* ---- /proc ---- */

typedef struct proc_stat {
    pid_t pid, ppid, sid;
    char state;
} proc_stat;

/* Reads /proc/<pid>/stat. The command name is in parentheses and may hold anything, so the
 * fields are taken after the last ')'. */
static int read_stat(pid_t pid, proc_stat *ps)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    int pgrp;
    if (!rp || sscanf(rp + 1, " %c %d %d %d", &ps->state, &ps->ppid, &pgrp, &ps->sid) != 4)
        return -1;
    ps->pid = pid;
    return 0;
}

/* Whether /proc/<pid>/environ holds the entry tag exactly. */
static bool has_env(pid_t pid, const char *tag)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t tlen = strlen(tag);
    /* Entries are NUL-separated; keep the unfinished entry across reads. */
    char buf[8192];
    size_t have = 0;
    bool found = false, skipping = false;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nul = memchr(buf + start, '\0', have - start);
            if (!nul)
                break;
            size_t len = (size_t)(nul - (buf + start));
            if (!skipping && len == tlen && memcmp(buf + start, tag, tlen) == 0)
                found = true;
            skipping = false;
            start += len + 1;
        }
        if (found)
            break;
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == sizeof buf) { /* an entry longer than the buffer is not the tag */
            have = 0;
            skipping = true;
        }
    }
    close(fd);
    return found;
}

static int scan_proc(const a0ipc_term_tree *t, pid_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    proc_stat *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 256;
            proc_stat *a = realloc(all, c2 * sizeof *a);
            if (!a) {
                free(all);
                closedir(d);
                return -ENOMEM;
            }
            all = a;
            cap = c2;
        }
        if (read_stat((pid_t)pid, &all[n]) == 0)
            n++;
    }
    closedir(d);

    pid_t self = getpid();
    bool *member = calloc(n ? n : 1, sizeof *member);
    if (!member) {
        free(all);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (all[i].pid == self || all[i].pid == 1)
            continue;
        if ((t->sid > 0 && all[i].sid == t->sid) ||
            (all[i].state != 'Z' && has_env(all[i].pid, t->env_tag)))
            member[i] = true;
    }
    /* Descendants of members, until nothing changes (n is small; n^2 passes are cheap). */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (member[i] || all[i].pid == self || all[i].pid == 1)
                continue;
            for (size_t j = 0; j < n; j++) {
                if (member[j] && all[j].pid == all[i].ppid) {
                    member[i] = changed = true;
                    break;
                }
            }
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (member[i] && all[i].state != 'Z')
            all[m++].pid = all[i].pid;
    pid_t *pids = malloc((m ? m : 1) * sizeof *pids);
    if (pids)
        for (size_t i = 0; i < m; i++)
            pids[i] = all[i].pid;
    free(member);
    free(all);
    if (!pids)
        return -ENOMEM;
    *out = pids;
    *n_out = m;
    return 0;
}

static int read_cgroup_procs(const a0ipc_term_tree *t, pid_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/cgroup.procs", t->cg_dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    pid_t *pids = NULL;
    size_t n = 0, cap = 0;
    int pid;
    while (fscanf(f, "%d", &pid) == 1) {
        proc_stat ps;
        if (read_stat(pid, &ps) == 0 && ps.state == 'Z')
            continue;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 64;
            pid_t *p = realloc(pids, c2 * sizeof *p);
            if (!p) {
                free(pids);
                fclose(f);
                return -ENOMEM;
            }
            pids = p;
            cap = c2;
        }
        pids[n++] = pid;
    }
    fclose(f);
    *out = pids;
    *n_out = n;
    return 0;
}

int a0ipc_term_tree_members(const a0ipc_term_tree *t, pid_t **pids, size_t *n)
{
    return t->cg_dir ? read_cgroup_procs(t, pids, n) : scan_proc(t, pids, n);
}

int a0ipc_term_tree_signal(const a0ipc_term_tree *t, int sig)
{
    pid_t *pids;
    size_t n;
    if (a0ipc_term_tree_members(t, &pids, &n) != 0)
        return 0;
    int count = 0;
    for (size_t i = 0; i < n; i++)
        if (kill(pids[i], sig) == 0)
            count++;
    free(pids);
    return count;
}

int a0ipc_term_tree_kill(const a0ipc_term_tree *t)
{
    if (t->cg_dir) {
        char path[4200];
        snprintf(path, sizeof path, "%s/cgroup.kill", t->cg_dir);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t w = write(fd, "1", 1);
            close(fd);
            if (w == 1)
                return 1;
        }
        /* Kernels before 5.14 have no cgroup.kill: signal the members one by one. */
    }
    return a0ipc_term_tree_signal(t, SIGKILL);
}

bool a0ipc_term_pid_gone(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    proc_stat ps;
    if (read_stat(pid, &ps) != 0)
        return true;
    return ps.state == 'Z' && ps.ppid != getpid();
}
