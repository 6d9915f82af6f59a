/* a0ipcd: the runtime daemon. Sets up the server from the configuration, serves until SIGTERM
 * or SIGINT, then shuts down gracefully (health NOT_SERVING, in-flight calls get the grace
 * period, exit 0). SIGHUP reloads what can change while serving (daemon/security.h). */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "a0/runtime/v1/terminal.a0ipc.h"
#include "common/heap_tuning.h"
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/security.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "grpc/health/v1/health.a0ipc.h"
#include "rpc/core.h"
#include "rpc/grpc_log.h"
#include "rpc/server.h"
#include "services/files.h"
#include "services/health.h"
#include "services/terminal.h"
#include "services/reflection.h"

#define MAX_SERVICES 8

/* Written after the server started, renamed into place so readers never see half a file. */
static int write_ready_file(const char *path, char **addrs, const int *ports, size_t n,
                            int metrics_port, const char *metrics_scheme, a0ipc_status *st)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "ready-file path too long");
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        a0ipc_status_from_errno(st, errno, "cannot write %s", tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(addrs[i], "unix", 4)) {
            fprintf(f, "%s\n", addrs[i]);
            continue;
        }
        /* Report the port the kernel chose for ":0". */
        const char *colon = strrchr(addrs[i], ':');
        int host_len = colon ? (int)(colon - addrs[i]) : (int)strlen(addrs[i]);
        fprintf(f, "%.*s:%d\n", host_len, addrs[i], ports[i]);
    }
    if (metrics_port)
        fprintf(f, "metrics %s://127.0.0.1:%d/metrics\n", metrics_scheme, metrics_port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        a0ipc_status_from_errno(st, errno, "cannot write %s", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The terminal core's settings from a0ipcd's. */
static int terminal_config(const a0ipc_daemon_config *cfg, a0ipc_terminal_config *tc,
                           a0ipc_status *st)
{
    a0ipc_terminal_config_init(tc);
    tc->max_sessions = cfg->max_sessions;
    tc->ring_bytes = (size_t)cfg->session_buffer;
    tc->default_idle_ttl_s = (unsigned)cfg->session_idle_ttl_s;
    if (cfg->session_cgroup)
        tc->cgroup = cfg->session_cgroup;
    tc->rlimit_cpu_s = (uint64_t)cfg->rlimit_cpu_s;
    tc->rlimit_as_bytes = (uint64_t)cfg->rlimit_as_bytes;
    tc->rlimit_nofile = (uint64_t)cfg->rlimit_nofile;
    tc->rlimit_nproc = (uint64_t)cfg->rlimit_nproc;
    tc->exec_timeout_ms = (unsigned)cfg->exec_timeout_ms;
    tc->max_close_grace_ms = (unsigned)cfg->session_close_grace_max_ms;
    tc->exec_max_output = (size_t)cfg->exec_max_output;
    if (cfg->session_user) {
        struct passwd *pw = getpwnam(cfg->session_user);
        if (!pw) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "session-user \"%s\" does not exist",
                             cfg->session_user);
            return -1;
        }
        tc->uid = (long)pw->pw_uid;
        tc->gid = (long)pw->pw_gid;
    }
    return 0;
}

static long active_calls(void *srv)
{
    return a0ipc_rpc_server_active_calls(srv);
}

static long tcp_connections(void *srv)
{
    return a0ipc_rpc_server_tcp_connections(srv);
}

static long sessions(void *unused)
{
    (void)unused;
    return a0ipc_terminal_service_sessions();
}

static int serve(a0ipc_daemon_config *cfg, const sigset_t *signals, int argc, char **argv)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    int exit_code = 1;
    a0ipc_rpc_server *srv = NULL;
    a0ipc_reflection *refl = NULL;
    a0ipcd_security sec;
    memset(&sec, 0, sizeof sec);
    a0ipc_metrics *metrics = a0ipc_metrics_new();
    a0ipc_metrics_http *metrics_http = NULL;
    a0ipc_metrics_web *metrics_web = NULL;
    int metrics_port = 0;
    bool terminal_on = false;
    a0ipc_files_service *files = NULL;
    int *ports = calloc(cfg->n_listen, sizeof *ports);
    a0ipc_health *health = a0ipc_health_new();
    if (!ports || !health || !metrics) {
        A0IPC_LOGE("out of memory");
        goto out;
    }

    a0ipc_rpc_server_options opts;
    a0ipc_rpc_server_options_init(&opts);
    opts.cq_threads = cfg->cq_threads;
    opts.max_workers = cfg->max_workers;
    opts.max_receive_message_bytes = cfg->max_message_bytes;
    opts.max_send_message_bytes = cfg->max_message_bytes;
    opts.max_concurrent_streams = cfg->max_concurrent_streams;
    opts.max_connections = cfg->max_connections;
    opts.connection_idle_ms = cfg->connection_idle_ms;
    opts.log_calls = cfg->log_calls;
    if (a0ipcd_security_init(&sec, cfg, &st) != 0)
        goto fail;
    a0ipcd_security_server_options(&sec, &opts);
    opts.on_call_done = a0ipc_metrics_observe;
    opts.on_call_done_arg = metrics;

    srv = a0ipc_rpc_server_new(&opts, &st);
    if (!srv)
        goto fail;
    /* The services, as reflection lists them and health reports them. */
    const char *services[MAX_SERVICES] = {"grpc.health.v1.Health",
                                          "grpc.reflection.v1.ServerReflection",
                                          "grpc.reflection.v1alpha.ServerReflection"};
    size_t n_services = 3;
    if (a0ipc_health_register(srv, health, &st) != 0)
        goto fail;
    a0ipc_metrics_add_service(metrics, &grpc_health_v1_health_service);
    if (cfg->root) {
        files = a0ipc_files_service_new(cfg->root, &st);
        if (!files || a0ipc_files_service_add(srv, files, &st) != 0)
            goto fail;
        services[n_services++] = "a0.runtime.v1.Files";
        a0ipc_metrics_add_service(metrics, &a0_runtime_v1_files_service);
        A0IPC_LOGI("Files confined to %s", cfg->root);
        if (cfg->clean_temp_entries > 0 &&
            a0ipc_files_service_clean_temps(files, (size_t)cfg->clean_temp_entries, &st) != 0)
            goto fail;
    }
    if (cfg->terminal) {
        a0ipc_terminal_config tc;
        if (terminal_config(cfg, &tc, &st) != 0 ||
            a0ipc_terminal_service_register(srv, &tc, &st) != 0)
            goto fail;
        terminal_on = true;
        a0ipc_metrics_add_service(metrics, &a0_runtime_v1_terminal_service);
        services[n_services++] = "a0.runtime.v1.Terminal";
    }
    refl = a0ipc_reflection_new(services, n_services, &st);
    if (!refl || a0ipc_reflection_register(srv, refl, &st) != 0)
        goto fail;
    for (size_t i = 0; i < n_services; i++)
        a0ipc_health_set(health, services[i], true);

    for (size_t i = 0; i < cfg->n_listen; i++)
        if (a0ipcd_security_listen(&sec, srv, cfg, cfg->listen[i], &ports[i], &st) != 0)
            goto fail;
    if (a0ipc_rpc_server_start(srv, &st) != 0)
        goto fail;
    a0ipc_metrics_add_gauge(metrics, "a0ipcd_active_calls", "Calls and streams in flight.",
                            active_calls, srv);
    a0ipc_metrics_add_gauge(metrics, "a0ipcd_sessions",
                            "Terminal sessions held, ended ones included until closed.", sessions,
                            NULL);
    a0ipc_metrics_add_gauge(metrics, "a0ipcd_tcp_connections",
                            "Client connections open on the TCP listeners (plaintext or TLS).",
                            tcp_connections, srv);
    if (cfg->metrics_listen) {
        if (cfg->metrics_web_config &&
            !(metrics_web = a0ipc_metrics_web_load(cfg->metrics_web_config, &st)))
            goto fail;
        metrics_http =
            a0ipc_metrics_http_start(metrics, cfg->metrics_listen, metrics_web, &metrics_port, &st);
        if (!metrics_http)
            goto fail;
        A0IPC_LOGI("metrics on %s://%s/metrics%s",
                   metrics_web && metrics_web->tls ? "https" : "http", cfg->metrics_listen,
                   metrics_web && metrics_web->n_users ? " (basic auth)" : "");
    }
    for (size_t i = 0; i < cfg->n_listen; i++) {
        const char *how = a0ipcd_security_describe(cfg, cfg->listen[i]);
        if (a0ipc_address_is_unix(cfg->listen[i]))
            A0IPC_LOGI("listening on %s (%s)", cfg->listen[i], how);
        else if (cfg->tls_cert)
            A0IPC_LOGI("listening on %s (port %d, %s)", cfg->listen[i], ports[i], how);
        else
            A0IPC_LOGW("listening on %s (port %d) %s", cfg->listen[i], ports[i], how);
    }
    if (cfg->tokens_file)
        A0IPC_LOGI("every call needs a bearer token%s",
                   cfg->health_exempt ? " (except Health: health-exempt)" : "");
    if (cfg->ready_file &&
        write_ready_file(cfg->ready_file, cfg->listen, ports, cfg->n_listen, metrics_port,
                         metrics_web && metrics_web->tls ? "https" : "http", &st) != 0)
        goto fail;
    A0IPC_LOGI("a0ipcd %s serving (pid %d)", A0IPC_VERSION, (int)getpid());
    a0ipc_notify_ready(cfg->listen, cfg->n_listen);

    for (;;) {
        int sig = 0;
        if (a0ipc_notify_sigwait(signals, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (a0ipcd_security_reload(&sec, cfg, argc, argv, &st) != 0) {
                A0IPC_LOGE("SIGHUP: reload failed, nothing changed: %s", a0ipc_status_message(&st));
                a0ipc_status_clear(&st);
            } else {
                A0IPC_LOGI("SIGHUP: reloaded (%zu token(s), %zu allow-uid, %zu allow-gid)",
                           a0ipc_authorizer_token_count(sec.authorizer), cfg->n_allow_uids,
                           cfg->n_allow_gids);
                /* Open streams of revoked tokens end now, not when their clients leave. */
                a0ipc_rpc_server_reauthorize(srv);
            }
            continue;
        }
        A0IPC_LOGI("%s: shutting down (grace %d ms)", strsignal(sig), cfg->shutdown_grace_ms);
        break;
    }
    a0ipc_notify_stopping();
    a0ipc_health_set_all_not_serving(health);
    /* Sessions end first (SIGHUP, then SIGKILL): their Run and Attach streams then finish with
     * SESSION_CLOSED instead of being cut by the server's grace period. */
    if (terminal_on)
        a0ipc_terminal_service_shutdown((unsigned)cfg->shutdown_grace_ms);
    a0ipc_rpc_server_shutdown(srv, cfg->shutdown_grace_ms);
    exit_code = 0;
    goto out;

fail:
    A0IPC_LOGE("%s", a0ipc_status_message(&st));
out:
    a0ipc_metrics_http_stop(metrics_http);
    a0ipc_metrics_web_free(metrics_web);
    a0ipc_rpc_server_free(srv);
    if (terminal_on)
        a0ipc_terminal_service_free();
    a0ipc_files_service_free(files);
    a0ipc_metrics_free(metrics);
    a0ipcd_security_free(&sec); /* after the server: its hooks point here */
    a0ipc_reflection_free(refl);
    a0ipc_health_free(health);
    if (cfg->ready_file && exit_code == 0)
        unlink(cfg->ready_file);
    free(ports);
    a0ipc_status_clear(&st);
    return exit_code;
}

int main(int argc, char **argv)
{
    a0ipc_daemon_config cfg;
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_daemon_config_init(&cfg);
    int rc = a0ipc_daemon_config_from_args(&cfg, argc, argv, &st);
    if (rc == 0)
        rc = a0ipc_daemon_config_validate(&cfg, &st);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "a0ipcd: %s\n", a0ipc_status_message(&st));
        a0ipc_status_clear(&st);
        a0ipc_daemon_config_free(&cfg);
        return rc < 0 ? 2 : 0;
    }
    a0ipc_log_set_level((a0ipc_log_level)cfg.log_level);
    a0ipc_log_set_format((a0ipc_log_format)cfg.log_format);

    /* Signals are taken by sigwait in the main thread; every thread the core or the server
     * starts inherits this mask. A client that goes away must not kill us with SIGPIPE. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Memory many large transfers took goes back to the system after them. */
    if (a0ipc_heap_trimmer_start() != 0)
        A0IPC_LOGW("cannot start the heap trimmer: memory of large transfers stays mapped");

    a0ipc_rpc_route_core_log();
    a0ipc_rpc_init();
    int exit_code = serve(&cfg, &signals, argc, argv);
    a0ipc_rpc_shutdown();
    a0ipc_heap_trimmer_stop();
    a0ipc_daemon_config_free(&cfg);
    return exit_code;
}
