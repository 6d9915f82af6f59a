#include "services/term_child.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

/* Sets KEY=VALUE, replacing an entry with the same key. Takes ownership of kv. */
static int env_set(strv *e, char *kv)
{
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; i < e->n; i++) {
        if (strncmp(e->v[i], kv, klen) == 0 && e->v[i][klen] == '=') {
            free(e->v[i]);
            e->v[i] = kv;
            return 0;
        }
    }
    if (e->n + 2 > e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        char **v = realloc(e->v, cap * sizeof *v);
        if (!v) {
            free(kv);
            return -1;
        }
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = kv;
    e->v[e->n] = NULL;
    return 0;
}

static int env_setf(strv *e, const char *key, const char *value)
{
    char *kv;
    if (asprintf(&kv, "%s=%s", key, value) < 0)
        return -1;
    return env_set(e, kv);
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* argv[0] without a slash: the first executable regular file in PATH. */
static char *resolve(const char *prog, const char *path)
{
    if (strchr(prog, '/'))
        return strdup(prog);
    const char *p = path;
    while (p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char *cand;
        if (asprintf(&cand, "%.*s%s%s", (int)n, n ? p : ".", "/", prog) < 0)
            return NULL;
        struct stat sb;
        if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p = colon ? colon + 1 : NULL;
    }
    errno = ENOENT;
    return NULL;
}

a0ipc_code a0ipc_term_child_prepare(a0ipc_term_child *c, const a0ipc_terminal_config *cfg,
                                    const char *const *argv, size_t argc, const char *cwd,
                                    const a0ipc_term_kv *env, size_t n_env,
                                    const char *const *extra, a0ipc_status *st)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->cgroup_procs_fd = -1;
    strv e = {0};

    for (size_t i = 0; i < n_env; i++) {
        if (!env[i].key || !env[i].key[0] || strchr(env[i].key, '=')) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "env key \"%s\" is empty or contains '='",
                             env[i].key ? env[i].key : "");
            return st->code;
        }
        /* The tag by which a0ipcd finds a session's processes (term_proctree.h): a process
         * must not claim another session's id, or hide from its own. */
        if (!strcmp(env[i].key, "A0IPC_SESSION_ID")) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "env key A0IPC_SESSION_ID is set by a0ipcd (it tells which session "
                             "a process belongs to) and cannot be given");
            return st->code;
        }
    }
    for (size_t i = 0; i < argc; i++) {
        if (!argv[i]) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "argv[%zu] is missing", i);
            return st->code;
        }
    }
    if (argc == 0 || !argv[0][0]) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "argv[0] is empty");
        return st->code;
    }

    uid_t uid = cfg->uid >= 0 ? (uid_t)cfg->uid : geteuid();
    char pwbuf[4096];
    struct passwd pw, *pwp = NULL;
    getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &pwp);
    char uidstr[32];
    snprintf(uidstr, sizeof uidstr, "%u", (unsigned)uid);
    const char *home = pwp && pwp->pw_dir && pwp->pw_dir[0] ? pwp->pw_dir : "/";
    const char *user = pwp ? pwp->pw_name : uidstr;
    const char *shell = pwp && pwp->pw_shell && pwp->pw_shell[0] ? pwp->pw_shell : "/bin/sh";

    int rc = 0;
    rc |= env_setf(&e, "PATH", DEFAULT_PATH);
    rc |= env_setf(&e, "HOME", home);
    rc |= env_setf(&e, "USER", user);
    rc |= env_setf(&e, "LOGNAME", user);
    rc |= env_setf(&e, "SHELL", shell);
    rc |= env_setf(&e, "LANG", "C.UTF-8");
    for (size_t i = 0; extra && extra[i]; i++) {
        char *kv = strdup(extra[i]);
        rc |= kv ? env_set(&e, kv) : -1;
    }
    for (size_t i = 0; cfg->env && cfg->env[i]; i++) {
        if (!strchr(cfg->env[i], '='))
            continue; /* the config loader validates; a stray entry is not worth failing on */
        char *kv = strdup(cfg->env[i]);
        rc |= kv ? env_set(&e, kv) : -1;
    }
    for (size_t i = 0; i < n_env; i++)
        rc |= env_setf(&e, env[i].key, env[i].value ? env[i].value : "");
    if (rc != 0 || !e.v)
        goto oom;

    c->envp = e.v;
    e.v = NULL;
    c->argv = calloc(argc + 1, sizeof *c->argv);
    if (!c->argv)
        goto oom;
    for (size_t i = 0; i < argc; i++)
        if (!(c->argv[i] = strdup(argv[i])))
            goto oom;
    /* Like login(1): a user whose home is missing starts in "/". */
    struct stat hs;
    if (!(cwd && cwd[0]) && stat(home, &hs) != 0)
        home = "/";
    c->cwd = strdup(cwd && cwd[0] ? cwd : home);
    if (!c->cwd)
        goto oom;
    const char *path = NULL;
    for (size_t i = 0; c->envp[i]; i++)
        if (strncmp(c->envp[i], "PATH=", 5) == 0)
            path = c->envp[i] + 5;
    c->path = resolve(argv[0], path ? path : DEFAULT_PATH);
    if (!c->path) {
        if (errno == ENOMEM)
            goto oom;
        a0ipc_status_set(st, A0IPC_NOT_FOUND, "%s: not found in PATH", argv[0]);
        a0ipc_term_child_release(c);
        return st->code;
    }
    return A0IPC_OK;

oom:
    strv_free(e.v);
    a0ipc_term_child_release(c);
    a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    return st->code;
}

void a0ipc_term_child_release(a0ipc_term_child *c)
{
    free(c->path);
    strv_free(c->argv);
    strv_free(c->envp);
    free(c->cwd);
    c->path = c->cwd = NULL;
    c->argv = c->envp = NULL;
}

_Noreturn void a0ipc_term_child_fail(int err_fd, int step, int err)
{
    int msg[2] = {step, err};
    ssize_t w = write(err_fd, msg, sizeof msg);
    (void)w;
    _exit(127);
}

static int set_limit(int resource, uint64_t value)
{
    if (value == 0)
        return 0;
    struct rlimit rl = {(rlim_t)value, (rlim_t)value};
    return setrlimit(resource, &rl);
}

_Noreturn void a0ipc_term_child_exec(const a0ipc_term_child *c, int err_fd)
{
    const a0ipc_terminal_config *cfg = c->cfg;

    /* The daemon may ignore or block signals (SIGPIPE, say); ignored dispositions and the mask
     * survive exec, and programs expect the defaults. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL); /* fails harmlessly for SIGKILL, SIGSTOP and reserved ones */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (c->cgroup_procs_fd >= 0 && write(c->cgroup_procs_fd, "0", 1) != 1)
        a0ipc_term_child_fail(err_fd, A0IPC_CHILD_CGROUP, errno);

    if (set_limit(RLIMIT_CPU, cfg->rlimit_cpu_s) != 0 ||
        set_limit(RLIMIT_AS, cfg->rlimit_as_bytes) != 0 ||
        set_limit(RLIMIT_NOFILE, cfg->rlimit_nofile) != 0 ||
        set_limit(RLIMIT_NPROC, cfg->rlimit_nproc) != 0)
        a0ipc_term_child_fail(err_fd, A0IPC_CHILD_RLIMIT, errno);

    if (cfg->gid >= 0) {
        gid_t g = (gid_t)cfg->gid;
        if (setgroups(1, &g) != 0)
            a0ipc_term_child_fail(err_fd, A0IPC_CHILD_GROUPS, errno);
        if (setresgid(g, g, g) != 0)
            a0ipc_term_child_fail(err_fd, A0IPC_CHILD_GID, errno);
    }
    if (cfg->uid >= 0) {
        uid_t u = (uid_t)cfg->uid;
        if (setresuid(u, u, u) != 0)
            a0ipc_term_child_fail(err_fd, A0IPC_CHILD_UID, errno);
    }
    if (chdir(c->cwd) != 0)
        a0ipc_term_child_fail(err_fd, A0IPC_CHILD_CHDIR, errno);

    /* Descriptors the daemon opened without O_CLOEXEC (other libraries' may be) must not leak
     * into the session; err_fd must stay open until exec, so mark rather than close. */
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
            if (fd != err_fd)
                close(fd);
    }
    execve(c->path, c->argv, c->envp);
    a0ipc_term_child_fail(err_fd, A0IPC_CHILD_EXEC, errno);
}

a0ipc_code a0ipc_term_child_report(int err_fd, const a0ipc_term_child *c, a0ipc_status *st)
{
    int msg[2];
    ssize_t n;
    do
        n = read(err_fd, msg, sizeof msg);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return A0IPC_OK; /* closed by a successful exec */
    if (n != (ssize_t)sizeof msg) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "lost the child's start-up report");
        return st->code;
    }
    int err = msg[1];
    switch (msg[0]) {
    case A0IPC_CHILD_CHDIR:
        a0ipc_status_from_errno(st, err, "working directory %s", c->cwd);
        break;
    case A0IPC_CHILD_EXEC:
        a0ipc_status_from_errno(st, err, "cannot run %s", c->path);
        break;
    case A0IPC_CHILD_UID:
    case A0IPC_CHILD_GID:
    case A0IPC_CHILD_GROUPS:
        a0ipc_status_from_errno(st, err, "cannot switch to uid %ld gid %ld", c->cfg->uid,
                                c->cfg->gid);
        break;
    case A0IPC_CHILD_RLIMIT:
        a0ipc_status_from_errno(st, err, "cannot set the resource limits");
        break;
    case A0IPC_CHILD_CGROUP:
        a0ipc_status_from_errno(st, err, "cannot join the session's cgroup");
        break;
    default:
        a0ipc_status_from_errno(st, err, "cannot set up the terminal (step %d)", msg[0]);
        break;
    }
    return st->code;
}
