#include "daemon/security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/notify.h"
#include "security/tls.h"

static int apply_reloadable(a0ipcd_security *sec, const a0ipc_daemon_config *cfg, a0ipc_status *st)
{
    a0ipc_auth_settings as = {.tokens_file = cfg->tokens_file, .health_exempt = cfg->health_exempt};
    /* The tokens file is the part that can fail: load it before changing anything else. */
    if (a0ipc_authorizer_configure(sec->authorizer, &as, st) != 0)
        return -1;
    return a0ipc_peer_policy_set(sec->peers, cfg->allow_uids, cfg->n_allow_uids, cfg->allow_gids,
                                 cfg->n_allow_gids, st);
}

int a0ipcd_security_init(a0ipcd_security *sec, const a0ipc_daemon_config *cfg, a0ipc_status *st)
{
    memset(sec, 0, sizeof *sec);
    sec->authorizer = a0ipc_authorizer_new();
    sec->peers = a0ipc_peer_policy_new();
    if (!sec->authorizer || !sec->peers) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    if (apply_reloadable(sec, cfg, st) != 0)
        return -1;
    if (cfg->tokens_file)
        A0IPC_LOGI("%zu token(s) loaded from %s", a0ipc_authorizer_token_count(sec->authorizer),
                   cfg->tokens_file);
    if (cfg->tls_cert) {
        a0ipc_tls_server_options t = {.cert_file = cfg->tls_cert,
                                      .key_file = cfg->tls_key,
                                      .ca_file = cfg->tls_ca,
                                      .client_cert = (a0ipc_client_cert_mode)cfg->tls_client_cert,
                                      .reload_seconds = (unsigned)cfg->tls_reload_seconds};
        if (a0ipc_tls_server_config(&t, &sec->tls, st) != 0)
            return -1;
        sec->has_tls = true;
    }
    return 0;
}

void a0ipcd_security_free(a0ipcd_security *sec)
{
    a0ipc_authorizer_free(sec->authorizer);
    a0ipc_peer_policy_free(sec->peers);
    memset(sec, 0, sizeof *sec);
}

void a0ipcd_security_server_options(a0ipcd_security *sec, a0ipc_rpc_server_options *o)
{
    o->authorize = a0ipc_authorizer_authorize;
    o->authorize_arg = sec->authorizer;
}

int a0ipcd_security_listen(a0ipcd_security *sec, a0ipc_rpc_server *srv,
                           const a0ipc_daemon_config *cfg, const char *addr, int *port,
                           a0ipc_status *st)
{
    if (a0ipc_address_is_unix(addr)) {
        a0ipc_rpc_unix_options u;
        a0ipc_rpc_unix_options_init(&u);
        u.mode = cfg->socket_mode;
        u.owner = cfg->socket_owner;
        u.group = cfg->socket_group;
        u.accept = a0ipc_peer_policy_accept;
        u.accept_arg = sec->peers;
        u.fd = a0ipc_notify_listen_fd(addr); /* a0ipcd.socket's, if systemd passed it */
        *port = 1;
        return a0ipc_rpc_server_listen_unix(srv, addr, &u, st);
    }
    /* config validation allowed plaintext only with --insecure on loopback */
    *port = a0ipc_rpc_server_listen(srv, addr, sec->has_tls ? &sec->tls : NULL, st);
    return *port ? 0 : -1;
}

const char *a0ipcd_security_describe(const a0ipc_daemon_config *cfg, const char *addr)
{
    if (a0ipc_address_is_unix(addr))
        return "unix socket, peer credentials checked";
    if (!cfg->tls_cert)
        return "WITHOUT TLS: --insecure, loopback only";
    switch (cfg->tls_client_cert) {
    case A0IPC_CLIENT_CERT_REQUIRED:
        return "TLS, client certificates required";
    case A0IPC_CLIENT_CERT_OPTIONAL:
        return "TLS, client certificates verified when sent";
    default:
        return "TLS";
    }
}

/* Names the settings that changed but need a restart to take effect. */
static void warn_restart_needed(const a0ipc_daemon_config *old, const a0ipc_daemon_config *now)
{
    char which[512];
    if (a0ipc_daemon_config_restart_needed(old, now, which, sizeof which))
        A0IPC_LOGW("SIGHUP: changed settings that need a restart to take effect:%s", which);
}

int a0ipcd_security_reload(a0ipcd_security *sec, a0ipc_daemon_config *cfg, int argc, char **argv,
                           a0ipc_status *st)
{
    a0ipc_daemon_config fresh;
    a0ipc_daemon_config_init(&fresh);
    if (a0ipc_daemon_config_from_args(&fresh, argc, argv, st) != 0 ||
        a0ipc_daemon_config_validate(&fresh, st) != 0 || apply_reloadable(sec, &fresh, st) != 0) {
        a0ipc_daemon_config_free(&fresh);
        return -1;
    }
    warn_restart_needed(cfg, &fresh);
    a0ipc_log_set_level((a0ipc_log_level)fresh.log_level);
    /* Only the reloadable settings move into cfg; everything else stays as started (running
     * services may point into those strings). fresh then owns the old values and frees them. */
    a0ipc_daemon_config_take_reloadable(cfg, &fresh);
    a0ipc_daemon_config_free(&fresh);
    return 0;
}
