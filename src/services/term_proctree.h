/* Finding every process of a session, to signal or end them all.
 *
 * With cgroup v2 (when the daemon can create cgroups): each session gets its own cgroup, which
 * the shell joins before exec; every descendant stays in it whatever it does (setsid, double
 * fork, clearing its environment), and cgroup.kill ends them all at once.
 *
 * Without: /proc is scanned. A process belongs to the session when it is in the shell's
 * process session (same sid), or carries the session's A0IPC_SESSION_ID=<id> environment
 * entry (inherited through setsid and double forks), or descends from a member (parent links,
 * repeated until nothing changes). Only a process that both leaves the session with setsid and
 * clears its environment, and whose parent has died, escapes this; a cgroup closes that gap. */
#ifndef A0IPC_TERM_PROCTREE_H
#define A0IPC_TERM_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "a0ipc/status.h"

typedef struct a0ipc_term_tree {
    char *cg_dir;     /* the session's cgroup (owned), or NULL in /proc mode */
    int cg_procs_fd;  /* its cgroup.procs, opened for the child to join; -1 when not needed */
    pid_t sid;        /* the shell's pid, which is its session id; 0 until known */
    char env_tag[64]; /* "A0IPC_SESSION_ID=<id>" */
} a0ipc_term_tree;

/* Where session cgroups go for the `cgroup` setting ("auto", "off", or a directory): a
 * malloc'ed directory where this process can create cgroups, or NULL for /proc mode. */
char *a0ipc_term_cgroup_base(const char *setting);

/* Removes session cgroups under base that a previous daemon left when it died without closing
 * its sessions (they are named a0ipc-<daemon pid>-<session id>; only those whose daemon is gone
 * are touched, so daemons sharing a cgroup never disturb each other): every process still in
 * them is killed. Returns how many were removed. */
int a0ipc_term_cgroup_cleanup(const char *base);

/* Sets t up for session id: creates the cgroup under base (when base is not NULL; on failure
 * falls back to /proc mode and logs why). Returns A0IPC_OK, or RESOURCE_EXHAUSTED in st when out
 * of memory. */
a0ipc_code a0ipc_term_tree_init(a0ipc_term_tree *t, const char *base, const char *session_id,
                                a0ipc_status *st);
/* Removes the cgroup (once empty) and frees t's memory. */
void a0ipc_term_tree_destroy(a0ipc_term_tree *t);

/* The live (not zombie) members. *pids is malloc'ed. Returns 0 or -errno. */
int a0ipc_term_tree_members(const a0ipc_term_tree *t, pid_t **pids, size_t *n);

/* Sends sig to every live member; returns how many were signalled. */
int a0ipc_term_tree_signal(const a0ipc_term_tree *t, int sig);

/* SIGKILL to every member (cgroup.kill when there is one). Returns how many were found alive
 * (cgroup.kill counts as one). */
int a0ipc_term_tree_kill(const a0ipc_term_tree *t);

/* Whether pid is gone for our purposes: no such process, or a zombie that is not our child
 * (whose parent will reap it, or which is reparented to us later). */
bool a0ipc_term_pid_gone(pid_t pid);

#endif
