/* A child process's set-up, shared by sessions and Exec: everything is computed in the parent
 * (argv, the program's path, the environment, the user's home), because between fork and exec
 * a multi-threaded process may only make async-signal-safe calls: no malloc, no locks. The
 * child then only applies it: cgroup, rlimits, group and user ids, working directory, default
 * signal dispositions, closing inherited descriptors, execve. A failure is reported to the
 * parent through a close-on-exec pipe as (step, errno). */
#ifndef A0IPC_TERM_CHILD_H
#define A0IPC_TERM_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "a0ipc/status.h"
#include "services/term_config.h"

typedef struct a0ipc_term_child {
    char *path;  /* the program, PATH-resolved */
    char **argv; /* NULL-terminated */
    char **envp; /* NULL-terminated */
    char *cwd;
    const a0ipc_terminal_config *cfg; /* borrowed: ids and limits */
    int cgroup_procs_fd;              /* the cgroup.procs to join, or -1 */
} a0ipc_term_child;

/* What failed in the child; the parent names it in the error. */
enum {
    A0IPC_CHILD_SETSID = 1,
    A0IPC_CHILD_CTTY,
    A0IPC_CHILD_DUP,
    A0IPC_CHILD_CGROUP,
    A0IPC_CHILD_RLIMIT,
    A0IPC_CHILD_GROUPS,
    A0IPC_CHILD_GID,
    A0IPC_CHILD_UID,
    A0IPC_CHILD_CHDIR,
    A0IPC_CHILD_EXEC,
};

/* Fills c. argv must have argc >= 1 entries. extra: KEY=VALUE strings added after the base
 * environment and before cfg->env and env (later entries override earlier ones by key); may be
 * NULL. cwd NULL or "": the user's home. Returns A0IPC_OK, or the code set in st
 * (INVALID_ARGUMENT for a malformed env key, NOT_FOUND for a program not found in PATH). */
a0ipc_code a0ipc_term_child_prepare(a0ipc_term_child *c, const a0ipc_terminal_config *cfg,
                                    const char *const *argv, size_t argc, const char *cwd,
                                    const a0ipc_term_kv *env, size_t n_env,
                                    const char *const *extra, a0ipc_status *st);
void a0ipc_term_child_release(a0ipc_term_child *c);

/* In the child, after fork and the caller's own steps: applies c and execs. Never returns. */
_Noreturn void a0ipc_term_child_exec(const a0ipc_term_child *c, int err_fd);

/* In the child: reports a failed step and exits. */
_Noreturn void a0ipc_term_child_fail(int err_fd, int step, int err);

/* In the parent: waits for the child's report on err_fd (EOF = exec succeeded). Returns
 * A0IPC_OK, or the code of st, which describes what failed. */
a0ipc_code a0ipc_term_child_report(int err_fd, const a0ipc_term_child *c, a0ipc_status *st);

#endif
