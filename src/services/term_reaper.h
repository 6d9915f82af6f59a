/* The process's one reaper of child processes.
 *
 * Sessions and Exec fork children whose exit status someone waits for; as the child subreaper
 * the daemon also inherits every orphaned process of a session (a background job whose shell
 * died), which nobody waits for but which must be reaped or it stays a zombie. One table of
 * "children someone wants" lets one sweep (waitpid(-1)) serve both: a wanted child's status is
 * kept for its owner, any other is discarded.
 *
 * A child must be in the table before a sweep can see it, so forking happens under the
 * reaper's lock: a0ipc_reaper_lock(); pid = fork(); (child: exec) a0ipc_reaper_add_locked(pid);
 * a0ipc_reaper_unlock(). Anything else in the process that forks must do the same. */
#ifndef A0IPC_TERM_REAPER_H
#define A0IPC_TERM_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

/* Makes this process the child subreaper. Returns 0 or -errno. */
int a0ipc_reaper_set_subreaper(void);

void a0ipc_reaper_lock(void);
void a0ipc_reaper_unlock(void);
/* Registers pid (returns 0, or -ENOMEM: the child then is reaped as an orphan). */
int a0ipc_reaper_add_locked(pid_t pid);

/* Returns 1 with *status (as from waitpid) once pid has ended, reaping it and forgetting it; 0
 * while it runs; -1 when pid is not registered. */
int a0ipc_reaper_check(pid_t pid, int *status);

/* Waits until pid ends, at most timeout_ms (< 0: no limit), or until cancel_fd (if >= 0)
 * becomes readable. Returns 1 with *status, 0 on timeout or cancellation, -1 when pid is not
 * registered. */
int a0ipc_reaper_wait(pid_t pid, int *status, int timeout_ms, int cancel_fd);

/* No longer interested in pid: a later sweep reaps it like an orphan. */
void a0ipc_reaper_forget(pid_t pid);

/* Reaps every child that has ended. */
void a0ipc_reaper_sweep(void);

/* pidfd_open(2): a descriptor that becomes readable when pid ends, or -errno (-ENOSYS on
 * kernels before 5.3). Callers keep any negative value as "no pidfd". */
int a0ipc_pidfd_open(pid_t pid);

#endif
