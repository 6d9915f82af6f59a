/* CloseSession ends every process of a session: background jobs, setsid children, double-forked
 * orphans, stopped jobs and processes that ignore SIGHUP. Run twice: with a cgroup per session
 * (when this machine lets us create cgroups) and with /proc scanning. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services/term_proctree.h"
#include "services/term_reaper.h"
#include "term_testlib.h"

/* Starts the tree; every process appends its pid to the file given as $1. The stopped process
 * gets a session of its own: in the script's process group it would make the kernel hang up
 * that whole group when the script exits (an orphaned group with a stopped member). */
static const char tree_script[] =
    "F=$1\n"
    "sleep 1000 & echo $! >> \"$F\"\n"
    "setsid sh -c 'echo $$ >> \"$1\"; exec sleep 1000' _ \"$F\" &\n"
    "( setsid sh -c 'echo $$ >> \"$1\"; sleep 1000 & echo $! >> \"$1\"; exec sleep 1000' _ "
    "\"$F\" & )\n"
    "env -i sh -c 'echo $$ >> \"$1\"; exec sleep 1000' _ \"$F\" &\n"
    "setsid sh -c 'echo $$ >> \"$1\"; kill -STOP $$; exec sleep 1000' _ \"$F\" &\n"
    "sh -c 'trap \"\" HUP; echo $$ >> \"$1\"; while :; do sleep 1; done' _ \"$F\" &\n"
    "nohup sh -c 'echo $$ >> \"$1\"; exec sleep 1000' _ \"$F\" >/dev/null 2>&1 &\n";
#define TREE_PIDS 8
/* Only a cgroup catches a process that leaves the session and clears its environment, once its
 * parent has exited. */
static const char escapee_script[] =
    "( setsid env -i sh -c 'echo $$ >> \"$1\"; exec sleep 1000' _ \"$F\" & )\n";

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/a0ipc-test-close-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int read_pids(const char *path, pid_t *pids, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, p;
    while (n < max && fscanf(f, "%d", &p) == 1)
        pids[n++] = p;
    fclose(f);
    return n;
}

static void close_kills_tree(const char *cgroup, bool expect_cgroups)
{
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.cgroup = cgroup;
    cfg.close_grace_ms = 300;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *m = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(m, &st);
    if (expect_cgroups && !a0ipc_term_manager_uses_cgroups(m)) {
        a0ipc_term_manager_free(m);
        skip(); /* no cgroup v2 delegation on this machine */
    }
    bool cg = a0ipc_term_manager_uses_cgroups(m);
    int want = TREE_PIDS + (cg ? 1 : 0);

    char script[128], pidfile[128];
    snprintf(script, sizeof script, "%s/tree-%s.sh", dir, cgroup);
    snprintf(pidfile, sizeof pidfile, "%s/pids-%s", dir, cgroup);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs(tree_script, f);
    if (cg)
        fputs(escapee_script, f);
    fclose(f);

    a0ipc_term_created s;
    term_test_create(m, &s);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh %s %s; jobs_left=1 sleep 1000 &", script, pidfile);
    a0ipc_term_event done;
    free(term_test_run(m, s.id, cmd, &done));
    assert_int_equal(done.reason, A0IPC_TERM_DONE_EXITED);

    pid_t pids[16];
    int n = 0;
    for (int i = 0; i < 500 && n < want; i++) {
        term_test_sleep_ms(10);
        n = read_pids(pidfile, pids, 16);
    }
    int alive = 0;
    for (int i = 0; i < n; i++)
        alive += kill(pids[i], 0) == 0;

    /* The whole session gets the signal too, not only the foreground. */
    int count = 0;
    CHECK_OK(a0ipc_term_signal(m, s.id, SIGCONT, true, &count, &st), &st);

    /* Close before any assertion, so that a failure leaves no processes behind. */
    int code, sig;
    CHECK_OK(a0ipc_term_close(m, s.id, 0, &code, &sig, &st), &st);
    assert_int_equal(n, want);
    assert_int_equal(alive, n);
    assert_true(count >= n + 1); /* the tree, the shell and the extra background sleep */
    for (int i = 0; i < n; i++) {
        errno = 0;
        if (kill(pids[i], 0) == 0 || errno != ESRCH)
            fail_msg("pid %d (line %d of the pid file) survived the close (%s mode)", pids[i],
                     i + 1, cg ? "cgroup" : "/proc");
    }
    assert_int_equal(kill(s.pid, 0), -1);
    a0ipc_term_manager_free(m);
}

static void test_close_kills_tree_proc(void **state)
{
    (void)state;
    close_kills_tree("off", false);
}

static void test_close_kills_tree_cgroup(void **state)
{
    (void)state;
    close_kills_tree("auto", true);
}

static void test_shell_exit_kills_leftovers(void **state)
{
    (void)state;
    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    cfg.close_grace_ms = 300;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *m = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(m, &st);
    a0ipc_term_created s;
    term_test_create(m, &s);
    char pidfile[128], cmd[256];
    snprintf(pidfile, sizeof pidfile, "%s/pids-exit", dir);
    snprintf(cmd, sizeof cmd, "nohup sleep 1000 >/dev/null 2>&1 & echo $! > %s; exit 0", pidfile);
    a0ipc_term_event done;
    free(term_test_run(m, s.id, cmd, &done));
    assert_int_equal(done.reason, A0IPC_TERM_DONE_SESSION_CLOSED);
    pid_t pid = 0;
    assert_int_equal(read_pids(pidfile, &pid, 1), 1);
    errno = 0;
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    a0ipc_term_manager_free(m);
}

/* A daemon that died leaves its session cgroups (and processes) behind: the next one removes
 * them, but never those of a daemon that is still alive. */
static void test_stale_cgroups_are_removed(void **state)
{
    (void)state;
    char *base = a0ipc_term_cgroup_base("auto");
    if (!base)
        skip();
    pid_t dead = fork(); /* a pid that names no process once reaped */
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char stale[4096], alive[4096], procs[4200];
    snprintf(stale, sizeof stale, "%s/a0ipc-%d-%032x", base, (int)dead, 1);
    snprintf(alive, sizeof alive, "%s/a0ipc-%d-%032x", base, (int)getppid(), 2);
    assert_int_equal(mkdir(stale, 0755), 0);
    assert_int_equal(mkdir(alive, 0755), 0);
    /* Registered with the reaper, as anything that forks in this process must be. */
    a0ipc_reaper_lock();
    pid_t orphan = fork();
    if (orphan == 0) {
        execlp("sleep", "sleep", "1000", (char *)NULL);
        _exit(127);
    }
    assert_int_equal(a0ipc_reaper_add_locked(orphan), 0);
    a0ipc_reaper_unlock();
    snprintf(procs, sizeof procs, "%s/cgroup.procs", stale);
    FILE *f = fopen(procs, "w");
    assert_non_null(f);
    fprintf(f, "%d\n", (int)orphan);
    assert_int_equal(fclose(f), 0);

    a0ipc_terminal_config cfg;
    a0ipc_terminal_config_init(&cfg);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_term_manager *m = a0ipc_term_manager_new(&cfg, &st);
    CHECK_MADE(m, &st);
    a0ipc_term_manager_free(m);
    int status = 0;
    assert_int_equal(a0ipc_reaper_wait(orphan, &status, -1, -1), 1);
    bool stale_gone = access(stale, F_OK) != 0, alive_kept = access(alive, F_OK) == 0;
    rmdir(alive);
    rmdir(stale);
    free(base);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_true(stale_gone);
    assert_true(alive_kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_kills_tree_proc),
        cmocka_unit_test(test_close_kills_tree_cgroup),
        cmocka_unit_test(test_shell_exit_kills_leftovers),
        cmocka_unit_test(test_stale_cgroups_are_removed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
