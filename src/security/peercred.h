/* Who may connect to a0ipcd's unix sockets: the accept hook of rpc/server.h, checking the uid
 * and groups the kernel reports for the client (SO_PEERCRED, SO_PEERGROUPS).
 *
 * Always allowed: root and the uid a0ipcd runs as (both can read the daemon's memory anyway).
 * Also allowed: the uids in allow-uid, and clients whose effective gid or any supplementary
 * group is in allow-gid. The lists can be replaced while serving (SIGHUP). */
#ifndef A0IPC_SECURITY_PEERCRED_H
#define A0IPC_SECURITY_PEERCRED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rpc/server.h"

typedef struct a0ipc_peer_policy a0ipc_peer_policy;

a0ipc_peer_policy *a0ipc_peer_policy_new(void);
void a0ipc_peer_policy_free(a0ipc_peer_policy *p);

/* Replaces the allowed uids and gids (beyond root and our own uid). */
int a0ipc_peer_policy_set(a0ipc_peer_policy *p, const uid_t *uids, size_t n_uids, const gid_t *gids,
                          size_t n_gids, a0ipc_status *st);

/* The a0ipc_rpc_accept_fn; arg is the policy. Logs a warning for each refused client. */
bool a0ipc_peer_policy_accept(void *arg, const char *addr, const a0ipc_rpc_unix_cred *cred);

/* "1000" or a user name ("www-data") -> uid; errors say the user does not exist. */
int a0ipc_parse_uid(const char *text, uid_t *out, a0ipc_status *st);
/* "1000" or a group name -> gid. */
int a0ipc_parse_gid(const char *text, gid_t *out, a0ipc_status *st);

#endif
