/* a0ipcd's security wiring: from the configuration to the authorizer, the unix peer policy and
 * the TLS credentials the server uses, and what SIGHUP reloads. */
#ifndef A0IPC_DAEMON_SECURITY_H
#define A0IPC_DAEMON_SECURITY_H

#include "daemon/config.h"
#include "rpc/server.h"
#include "security/authorizer.h"
#include "security/peercred.h"

typedef struct a0ipcd_security {
    a0ipc_authorizer *authorizer;
    a0ipc_peer_policy *peers;
    bool has_tls;             /* tls-cert given */
    a0ipc_rpc_server_tls tls; /* for the TCP listeners; points into the configuration */
} a0ipcd_security;

/* Loads the tokens file and TLS files (errors say which file and what is wrong). */
int a0ipcd_security_init(a0ipcd_security *sec, const a0ipc_daemon_config *cfg, a0ipc_status *st);
void a0ipcd_security_free(a0ipcd_security *sec);

/* Hooks the authorizer into the server options. */
void a0ipcd_security_server_options(a0ipcd_security *sec, a0ipc_rpc_server_options *o);

/* Listens on addr: a unix socket with mode, owner and the peer policy; TCP with TLS when
 * configured. *port gets the bound port (1 for unix sockets). */
int a0ipcd_security_listen(a0ipcd_security *sec, a0ipc_rpc_server *srv,
                           const a0ipc_daemon_config *cfg, const char *addr, int *port,
                           a0ipc_status *st);

/* How a listener is protected, for the start-up log: "TLS, client certificates required". */
const char *a0ipcd_security_describe(const a0ipc_daemon_config *cfg, const char *addr);

/* SIGHUP: reads the configuration again (file and command line) and applies what can change
 * while serving: tokens file, health-exempt, allow-uid, allow-gid, log-level,
 * shutdown-grace-ms. Settings that need a restart are named in a warning. On any error nothing
 * changes. cfg is updated to what is in force. */
int a0ipcd_security_reload(a0ipcd_security *sec, a0ipc_daemon_config *cfg, int argc, char **argv,
                           a0ipc_status *st);

#endif
