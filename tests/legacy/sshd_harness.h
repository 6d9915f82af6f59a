/* A real OpenSSH sshd for tests, started on a free loopback port: generated host key, key
 * authentication for the current user (root in CI) through an authorized_keys file in a
 * temporary directory, `sshd -D -f <temp config>` with UsePAM no, StrictModes no. */
#ifndef A0IPC_SSHD_HARNESS_H
#define A0IPC_SSHD_HARNESS_H

#include <sys/types.h>

typedef struct sshd {
    pid_t pid;
    int port;
    char *dir;
    char user[64];
    char host_fp[128];
    char user_key[4096], other_key[4096], log[4096];
} sshd;

/* Starts sshd -D on a free port (fails the test when it cannot); stops it and removes its
 * directory. */
void lt_sshd_start(sshd *d);
void lt_sshd_stop(sshd *d);
/* A loopback TCP port nobody listens on (now). */
int lt_free_port(void);
/* Prints sshd's log to stderr (for a failure's context). */
void lt_sshd_print_log(const sshd *d);

#endif
