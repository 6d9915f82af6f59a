/* bench_util: what the benchmarks share: a temporary directory cleaned at exit, CPU pinning,
 * starting a0ipcd pinned with --ready-file, CPU time and memory of a process, percentiles, and
 * the machine header. Each bench is one process, so the state (temporary directory, children to
 * reap) is kept here in globals rather than passed around. */
#ifndef A0IPC_BENCH_UTIL_H
#define A0IPC_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/clock.h" /* a0ipc_mono_ns: every figure is timed on the monotonic clock */

#ifndef A0IPCD_DEFAULT_PATH
#define A0IPCD_DEFAULT_PATH "a0ipcd"
#endif

/* Exits with status 2 and a message naming the bench when path is not an executable file. */
void bu_require_executable(const char *name, const char *path);
/* The temporary directory of this run (empty before bu_init). */
extern char bu_tmpdir[256];
/* The daemon started by bu_start_daemon, -1 when none runs. */
extern pid_t bu_daemon_pid;

/* Names the program in messages, ignores SIGPIPE, creates the temporary directory under parent
 * (NULL: /tmp) and registers the cleanup that kills the children and removes the directory with
 * all it holds at exit, including after bu_die. */
void bu_init(const char *prog, const char *parent);

void bu_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void *bu_xmalloc(size_t n);

/* Nearest-rank percentile (p in 0..100) of n values in ns, in microseconds; sorts v first. */
void bu_sort_ns(int64_t *v, size_t n);
double bu_pct_us(const int64_t *sorted, size_t n, double p);

/* The first two CPUs this process may run on: servers go on *srv, the client on *cli (the same
 * CPU when only one is available). Returns how many CPUs it may use. */
int bu_pick_cpus(int *srv, int *cli);
/* Pins the calling thread (and whatever it later forks or starts) to cpu; exits on failure. */
void bu_pin_to(int cpu);
/* fork, and in the child pin it to cpu and have it killed when this process dies. The parent
 * remembers the child, to kill and reap it at exit. Returns what fork returns. */
pid_t bu_fork_pinned(int cpu);
/* Kills and reaps a child forked with bu_fork_pinned. */
void bu_kill_child(pid_t pid);

/* Starts a0ipcd pinned to cpu, listening on unix:TMP/a0ipcd.sock and 127.0.0.1:0 (--insecure),
 * with --log-calls false, the extra arguments (NULL-terminated; may be NULL) and --ready-file;
 * waits until it serves and fills the two targets ("unix:..." and "ipv4:127.0.0.1:PORT"). Its
 * output goes to TMP/a0ipcd.log, shown if startup fails. */
void bu_start_daemon(const char *path, int cpu, const char *const *extra, char *unix_target,
                     char *tcp_target, size_t cap);
/* A second a0ipcd, for TLS: pinned to cpu, listening on 127.0.0.1:0 only, with the extra
 * arguments (the TLS options; NULL-terminated) and --ready-file and --log-calls false. Fills
 * tcp_target; output in TMP/a0ipcd-tls.log. Killed at exit unless bu_stop_pid stopped it. */
pid_t bu_start_tls_daemon(const char *path, int cpu, const char *const *extra, char *tcp_target,
                          size_t cap);
/* SIGTERM, as an operator would; returns the wait status. */
int bu_stop_daemon(void);
int bu_stop_pid(pid_t pid);
void bu_print_exit_status(int status);

/* utime + stime in ns: of pid (all its threads), of this process; -1 if unknown. */
int64_t bu_proc_cpu_ns(pid_t pid);
int64_t bu_self_cpu_ns(void);
/* Value in kB of a "Key:  123 kB" line of /proc/PID/status, or -1. */
long bu_proc_status_kb(pid_t pid, const char *key);
/* Context switches (voluntary and not) of pid's threads alive now, or -1. */
long long bu_proc_switches(pid_t pid);
/* Resets pid's VmHWM to its current VmRSS (writes 5 to /proc/PID/clear_refs), so the next
 * VmHWM is the peak of what follows. Returns false when the kernel refuses. */
bool bu_reset_hwm(pid_t pid);
/* Busy time of the whole machine in ns, every CPU and steal included, from /proc/stat. */
int64_t bu_machine_busy_ns(void);

/* CPU used by a server process, by this process and by the whole machine at one instant. */
typedef struct bu_cpu_mark {
    int64_t wall, server, client, machine;
} bu_cpu_mark;
bu_cpu_mark bu_cpu_now(pid_t server);

/* What a stretch between two marks cost, in % of one CPU: the server, this process, and every
 * other process on the machine plus steal (others). */
typedef struct bu_cpu_use {
    double wall_s, server_pct, client_pct, others_pct;
} bu_cpu_use;
bu_cpu_use bu_cpu_between(bu_cpu_mark a, bu_cpu_mark b);

/* Blocking full reads and writes on a socket (or any fd); 0, or -1 on error or EOF. */
int bu_read_full(int fd, void *buf, size_t n);
int bu_write_full(int fd, const void *buf, size_t n);
void bu_set_nodelay(int fd);

/* Listening sockets on TMP/name (unix) and 127.0.0.1:0 (tcp); the addresses are filled in. */
struct sockaddr_un;
struct sockaddr_in;
void bu_listen_pair(const char *name, int *lunix, struct sockaddr_un *ua, int *ltcp,
                    struct sockaddr_in *ta);

/* "machine" and "pinning" header lines; server_side names what runs on the server CPU. */
void bu_print_machine(int ncpu, int srv, int cli, const char *server_side);

#endif
