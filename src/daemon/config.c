#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kv_file.h"
#include "common/log.h"
#include "security/peercred.h"
#include "security/tls.h"

#ifndef A0IPC_VERSION
#define A0IPC_VERSION "dev"
#endif

void a0ipc_daemon_config_init(a0ipc_daemon_config *c)
{
    memset(c, 0, sizeof *c);
    c->cq_threads = 1;
    c->max_workers = 256;
    c->max_message_bytes = 4 * 1024 * 1024;
    c->max_concurrent_streams = 100;
    c->max_connections = 1024;
    c->connection_idle_ms = 300000;
    c->shutdown_grace_ms = 5000;
    c->log_level = A0IPC_LOG_INFO;
    c->log_format = A0IPC_LOG_FORMAT_TEXT;
    c->log_calls = true;
    c->terminal = true;
    c->max_sessions = 64;
    c->session_buffer = 1024 * 1024;
    c->session_idle_ttl_s = 3600;
    c->exec_timeout_ms = 60000;
    c->session_close_grace_max_ms = 30000;
    c->clean_temp_entries = 100000;
    c->exec_max_output = 1024 * 1024;
    c->socket_mode = 0660;
    c->socket_owner = (uid_t)-1;
    c->socket_group = (gid_t)-1;
    c->tls_client_cert = A0IPC_CLIENT_CERT_NONE;
    c->tls_reload_seconds = 10;
    c->health_exempt = true;
}

void a0ipc_daemon_config_free(a0ipc_daemon_config *c)
{
    for (size_t i = 0; i < c->n_listen; i++)
        free(c->listen[i]);
    free(c->listen);
    free(c->ready_file);
    free(c->metrics_listen);
    free(c->metrics_web_config);
    free(c->root);
    free(c->session_user);
    free(c->session_cgroup);
    free(c->allow_uids);
    free(c->allow_gids);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->tls_ca);
    free(c->tokens_file);
    memset(c, 0, sizeof *c);
}

static int parse_int(const char *key, const char *value, long min, long max, int *out,
                     a0ipc_status *st)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "%s must be a whole number from %ld to %ld, not \"%s\"", key, min, max,
                         value);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_ll(const char *key, const char *value, long long min, long long max,
                    long long *out, a0ipc_status *st)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "%s must be a whole number from %lld to %lld, not \"%s\"", key, min, max,
                         value);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_bool(const char *key, const char *value, bool *out, a0ipc_status *st)
{
    if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1") ||
        !strcmp(value, "on")) {
        *out = true;
        return 0;
    }
    if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0") ||
        !strcmp(value, "off")) {
        *out = false;
        return 0;
    }
    a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "%s must be true or false, not \"%s\"", key,
                     value);
    return -1;
}

static int set_string(char **dst, const char *value, a0ipc_status *st)
{
    char *copy = strdup(value);
    if (!copy) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

static int parse_mode(const char *key, const char *value, int *out, a0ipc_status *st)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 8);
    if (errno || end == value || *end || v < 0 || v > 0777) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "%s must be an octal file mode such as 0660, not \"%s\"", key, value);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Appends to a growing array of ids (uid_t and gid_t are both unsigned int here). */
static int add_id(unsigned **list, size_t *n, unsigned id, a0ipc_status *st)
{
    unsigned *grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    grown[(*n)++] = id;
    *list = grown;
    return 0;
}

static int add_listen(a0ipc_daemon_config *c, const char *value, bool from_cli, a0ipc_status *st)
{
    if (!*value) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "listen needs an address");
        return -1;
    }
    if (from_cli && !c->listen_from_cli) {
        for (size_t i = 0; i < c->n_listen; i++)
            free(c->listen[i]);
        c->n_listen = 0;
        c->listen_from_cli = true;
    }
    char **grown = realloc(c->listen, (c->n_listen + 1) * sizeof *grown);
    if (!grown) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    c->listen = grown;
    c->listen[c->n_listen] = NULL;
    if (set_string(&c->listen[c->n_listen], value, st) != 0)
        return -1;
    c->n_listen++;
    return 0;
}

int a0ipc_daemon_config_set(a0ipc_daemon_config *c, const char *key, const char *value,
                            bool from_cli, a0ipc_status *st)
{
    if (!strcmp(key, "listen"))
        return add_listen(c, value, from_cli, st);
    if (!strcmp(key, "insecure"))
        return parse_bool(key, value, &c->insecure, st);
    if (!strcmp(key, "ready-file"))
        return set_string(&c->ready_file, value, st);
    if (!strcmp(key, "metrics-listen"))
        return set_string(&c->metrics_listen, value, st);
    if (!strcmp(key, "metrics-web-config"))
        return set_string(&c->metrics_web_config, value, st);
    if (!strcmp(key, "cq-threads"))
        return parse_int(key, value, 1, 64, &c->cq_threads, st);
    if (!strcmp(key, "max-workers"))
        return parse_int(key, value, 1, 65536, &c->max_workers, st);
    if (!strcmp(key, "max-message-bytes"))
        return parse_int(key, value, 1024, INT_MAX, &c->max_message_bytes, st);
    if (!strcmp(key, "max-concurrent-streams"))
        return parse_int(key, value, 1, 1000000, &c->max_concurrent_streams, st);
    if (!strcmp(key, "max-connections"))
        return parse_int(key, value, 0, 1000000, &c->max_connections, st);
    if (!strcmp(key, "connection-idle-ms"))
        return parse_int(key, value, 0, 86400000, &c->connection_idle_ms, st);
    if (!strcmp(key, "shutdown-grace-ms"))
        return parse_int(key, value, 0, 3600000, &c->shutdown_grace_ms, st);
    if (!strcmp(key, "root"))
        return set_string(&c->root, value, st);
    if (!strcmp(key, "clean-temp-files-max-entries"))
        return parse_ll(key, value, 0, 1LL << 40, &c->clean_temp_entries, st);
    if (!strcmp(key, "terminal"))
        return parse_bool(key, value, &c->terminal, st);
    if (!strcmp(key, "max-sessions"))
        return parse_int(key, value, 1, 100000, &c->max_sessions, st);
    if (!strcmp(key, "session-buffer-bytes"))
        return parse_ll(key, value, 4096, 1LL << 32, &c->session_buffer, st);
    if (!strcmp(key, "session-idle-ttl-s"))
        return parse_int(key, value, 1, 30 * 86400, &c->session_idle_ttl_s, st);
    if (!strcmp(key, "session-user"))
        return set_string(&c->session_user, value, st);
    if (!strcmp(key, "session-cgroup"))
        return set_string(&c->session_cgroup, value, st);
    if (!strcmp(key, "session-rlimit-cpu-s"))
        return parse_ll(key, value, 0, 1LL << 40, &c->rlimit_cpu_s, st);
    if (!strcmp(key, "session-rlimit-as-bytes"))
        return parse_ll(key, value, 0, 1LL << 50, &c->rlimit_as_bytes, st);
    if (!strcmp(key, "session-rlimit-nofile"))
        return parse_ll(key, value, 0, 1 << 24, &c->rlimit_nofile, st);
    if (!strcmp(key, "session-rlimit-nproc"))
        return parse_ll(key, value, 0, 1 << 24, &c->rlimit_nproc, st);
    if (!strcmp(key, "session-close-grace-max-ms"))
        return parse_int(key, value, 1, 3600000, &c->session_close_grace_max_ms, st);
    if (!strcmp(key, "exec-timeout-ms"))
        return parse_int(key, value, 1, 86400000, &c->exec_timeout_ms, st);
    if (!strcmp(key, "exec-max-output-bytes"))
        return parse_ll(key, value, 0, 1LL << 31, &c->exec_max_output, st);
    if (!strcmp(key, "log-calls"))
        return parse_bool(key, value, &c->log_calls, st);
    if (!strcmp(key, "socket-mode"))
        return parse_mode(key, value, &c->socket_mode, st);
    if (!strcmp(key, "socket-owner"))
        return a0ipc_parse_uid(value, &c->socket_owner, st);
    if (!strcmp(key, "socket-group"))
        return a0ipc_parse_gid(value, &c->socket_group, st);
    if (!strcmp(key, "allow-uid")) {
        uid_t uid;
        return a0ipc_parse_uid(value, &uid, st) ? -1
                                                : add_id(&c->allow_uids, &c->n_allow_uids, uid, st);
    }
    if (!strcmp(key, "allow-gid")) {
        gid_t gid;
        return a0ipc_parse_gid(value, &gid, st) ? -1
                                                : add_id(&c->allow_gids, &c->n_allow_gids, gid, st);
    }
    if (!strcmp(key, "tls-cert"))
        return set_string(&c->tls_cert, value, st);
    if (!strcmp(key, "tls-key"))
        return set_string(&c->tls_key, value, st);
    if (!strcmp(key, "tls-ca"))
        return set_string(&c->tls_ca, value, st);
    if (!strcmp(key, "tls-client-cert")) {
        int m = a0ipc_client_cert_mode_from_name(value);
        if (m < 0) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "tls-client-cert must be none, optional or required, not \"%s\"",
                             value);
            return -1;
        }
        c->tls_client_cert = m;
        return 0;
    }
    if (!strcmp(key, "tls-reload-seconds"))
        return parse_int(key, value, 1, 86400, &c->tls_reload_seconds, st);
    if (!strcmp(key, "tokens-file"))
        return set_string(&c->tokens_file, value, st);
    if (!strcmp(key, "health-exempt"))
        return parse_bool(key, value, &c->health_exempt, st);
    if (!strcmp(key, "log-level")) {
        int level = a0ipc_log_level_from_name(value);
        if (level < 0) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "log-level must be error, warn, info or debug, not \"%s\"", value);
            return -1;
        }
        c->log_level = level;
        return 0;
    }
    if (!strcmp(key, "log-format")) {
        if (strcmp(value, "text") && strcmp(value, "json")) {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "log-format must be text or json, not \"%s\"", value);
            return -1;
        }
        c->log_format = strcmp(value, "json") ? A0IPC_LOG_FORMAT_TEXT : A0IPC_LOG_FORMAT_JSON;
        return 0;
    }
    a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "unknown setting \"%s\"", key);
    return -1;
}

/* One line of the config file: a setting as the file writes it (not from the command line). */
static int set_from_file(void *c, const char *key, const char *value, a0ipc_status *st)
{
    return a0ipc_daemon_config_set(c, key, value, false, st);
}

int a0ipc_daemon_config_load(a0ipc_daemon_config *c, const char *path, a0ipc_status *st)
{
    return a0ipc_kv_file_read(path, "config file", set_from_file, c, st);
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: a0ipcd [OPTION]...\n"
            "Serve a0ipc's terminal, file and health services over gRPC.\n\n"
            "  --listen ADDR              listen on ADDR; repeatable. unix:/path or host:port\n"
            "                             (default " A0IPC_DEFAULT_LISTEN ")\n"
            "  --config FILE              read settings from FILE (key = value lines; see\n"
            "                             docs/configuration.md); options given here win\n"
            "  --insecure                 allow plaintext TCP, on loopback addresses only\n"
            "  --ready-file FILE          once serving, write the bound addresses to FILE\n"
            "  --metrics-listen ADDR      serve Prometheus metrics at http://ADDR/metrics\n"
            "                             (loopback only, e.g. 127.0.0.1:9464, unless\n"
            "                             --metrics-web-config sets TLS and users)\n"
            "  --metrics-web-config FILE  TLS and basic auth for /metrics, in the Prometheus\n"
            "                             exporters' web config format\n"
            "  --cq-threads N             completion-queue threads (default 1)\n"
            "  --max-workers N            concurrent blocking calls (default 256)\n"
            "  --max-message-bytes N      largest message accepted (default 4194304)\n"
            "  --max-concurrent-streams N per connection (default 100)\n"
            "  --max-connections N        client connections open at once, unix and TCP\n"
            "                             together (default 1024; 0: no limit)\n"
            "  --connection-idle-ms N     close connections with no call for N ms\n"
            "                             (default 300000; 0: never)\n"
            "  --shutdown-grace-ms N      on SIGTERM, time calls get to finish (default 5000)\n"
            "  --log-level LEVEL          error, warn, info (default) or debug\n"
            "  --log-format FORMAT        text (default) or json\n"
            "  --log-calls BOOL           one audit line per call (default true)\n\n"
            "Files service:\n"
            "  --root DIR                 serve a0.runtime.v1.Files confined to DIR (no root:\n"
            "                             Files is not served)\n"
            "  --clean-temp-files-max-entries N  at start-up, remove the temporary files of\n"
            "                             interrupted uploads, looking at up to N entries\n"
            "                             under the root (default 100000; 0: off)\n\n"
            "Terminal service (docs/configuration.md has every setting):\n"
            "  --terminal BOOL            serve a0.runtime.v1.Terminal (default true)\n"
            "  --max-sessions N           concurrent sessions (default 64)\n"
            "  --session-buffer-bytes N   output kept per session for Attach (default 1 MiB)\n"
            "  --session-idle-ttl-s N     idle sessions are closed after N s (default 3600)\n"
            "  --session-user NAME        run sessions and Exec as NAME (daemon must be root)\n"
            "  --session-cgroup MODE      auto, off, or a cgroup v2 directory (default auto)\n"
            "  --session-rlimit-cpu-s N, --session-rlimit-as-bytes N,\n"
            "  --session-rlimit-nofile N, --session-rlimit-nproc N   limits (0: unchanged)\n"
            "  --session-close-grace-max-ms N  CloseSession's grace_ms is clamped to N\n"
            "                             (default 30000)\n"
            "  --exec-timeout-ms N        Exec's default timeout (default 60000)\n"
            "  --exec-max-output-bytes N  Exec's cap per stream (default 1 MiB)\n\n"
            "Security (docs/security.md):\n"
            "  --socket-mode MODE         unix socket file mode (default 0660)\n"
            "  --socket-owner USER        unix socket file owner (default: a0ipcd's user)\n"
            "  --socket-group GROUP       unix socket file group (default: a0ipcd's group)\n"
            "  --allow-uid USER           may connect to the unix sockets; repeatable (root and\n"
            "                             a0ipcd's own user always may)\n"
            "  --allow-gid GROUP          members may connect to the unix sockets; repeatable\n"
            "  --tls-cert FILE            server certificate (PEM): TLS on every TCP listener\n"
            "  --tls-key FILE             its private key (PEM)\n"
            "  --tls-ca FILE              CAs of client certificates (PEM)\n"
            "  --tls-client-cert MODE     none (default), optional or required (mTLS)\n"
            "  --tls-reload-seconds N     how often the TLS files are checked for changes (10)\n"
            "  --tokens-file FILE         bearer tokens (NAME SHA256 PERMISSIONS... per line);\n"
            "                             when set, every call needs a token\n"
            "  --health-exempt BOOL       Health.Check needs no token (default true)\n"
            "  --help                     show this help and exit\n"
            "  --version                  show the version and exit\n\n"
            "Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads the tokens file,\n"
            "allow-uid, allow-gid, health-exempt and log-level. TLS files reload by themselves.\n");
}

int a0ipc_daemon_config_from_args(a0ipc_daemon_config *c, int argc, char **argv, a0ipc_status *st)
{
    enum { OPT_CONFIG = 1000, OPT_HELP, OPT_VERSION, OPT_INSECURE, OPT_SETTING };
    static const struct option options[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"listen", required_argument, NULL, OPT_SETTING},
        {"ready-file", required_argument, NULL, OPT_SETTING},
        {"metrics-listen", required_argument, NULL, OPT_SETTING},
        {"metrics-web-config", required_argument, NULL, OPT_SETTING},
        {"cq-threads", required_argument, NULL, OPT_SETTING},
        {"max-workers", required_argument, NULL, OPT_SETTING},
        {"max-message-bytes", required_argument, NULL, OPT_SETTING},
        {"max-concurrent-streams", required_argument, NULL, OPT_SETTING},
        {"max-connections", required_argument, NULL, OPT_SETTING},
        {"connection-idle-ms", required_argument, NULL, OPT_SETTING},
        {"shutdown-grace-ms", required_argument, NULL, OPT_SETTING},
        {"log-level", required_argument, NULL, OPT_SETTING},
        {"log-format", required_argument, NULL, OPT_SETTING},
        {"log-calls", required_argument, NULL, OPT_SETTING},
        {"root", required_argument, NULL, OPT_SETTING},
        {"clean-temp-files-max-entries", required_argument, NULL, OPT_SETTING},
        {"terminal", required_argument, NULL, OPT_SETTING},
        {"max-sessions", required_argument, NULL, OPT_SETTING},
        {"session-buffer-bytes", required_argument, NULL, OPT_SETTING},
        {"session-idle-ttl-s", required_argument, NULL, OPT_SETTING},
        {"session-user", required_argument, NULL, OPT_SETTING},
        {"session-cgroup", required_argument, NULL, OPT_SETTING},
        {"session-rlimit-cpu-s", required_argument, NULL, OPT_SETTING},
        {"session-rlimit-as-bytes", required_argument, NULL, OPT_SETTING},
        {"session-rlimit-nofile", required_argument, NULL, OPT_SETTING},
        {"session-rlimit-nproc", required_argument, NULL, OPT_SETTING},
        {"session-close-grace-max-ms", required_argument, NULL, OPT_SETTING},
        {"exec-timeout-ms", required_argument, NULL, OPT_SETTING},
        {"exec-max-output-bytes", required_argument, NULL, OPT_SETTING},
        {"socket-mode", required_argument, NULL, OPT_SETTING},
        {"socket-owner", required_argument, NULL, OPT_SETTING},
        {"socket-group", required_argument, NULL, OPT_SETTING},
        {"allow-uid", required_argument, NULL, OPT_SETTING},
        {"allow-gid", required_argument, NULL, OPT_SETTING},
        {"tls-cert", required_argument, NULL, OPT_SETTING},
        {"tls-key", required_argument, NULL, OPT_SETTING},
        {"tls-ca", required_argument, NULL, OPT_SETTING},
        {"tls-client-cert", required_argument, NULL, OPT_SETTING},
        {"tls-reload-seconds", required_argument, NULL, OPT_SETTING},
        {"tokens-file", required_argument, NULL, OPT_SETTING},
        {"health-exempt", required_argument, NULL, OPT_SETTING},
        {NULL, 0, NULL, 0},
    };
    /* Pass 1: --config, --help and --version, so the file is applied before the options. */
    const char *config = NULL;
    opterr = 0;
    optind = 1;
    int opt, idx;
    while ((opt = getopt_long(argc, argv, "", options, &idx)) != -1) {
        if (opt == OPT_HELP) {
            usage(stdout);
            return 1;
        }
        if (opt == OPT_VERSION) {
            printf("a0ipcd %s\n", A0IPC_VERSION);
            return 1;
        }
        if (opt == OPT_CONFIG)
            config = optarg;
        if (opt == '?' || opt == ':') {
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             "unknown option or missing value: %s (see a0ipcd --help)",
                             argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "unexpected argument \"%s\" (see a0ipcd --help)", argv[optind]);
        return -1;
    }
    if (config && a0ipc_daemon_config_load(c, config, st) != 0)
        return -1;
    /* Pass 2: everything else, over the file's values. */
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, &idx)) != -1) {
        if (opt == OPT_INSECURE)
            c->insecure = true;
        else if (opt == OPT_SETTING &&
                 a0ipc_daemon_config_set(c, options[idx].name, optarg, true, st) != 0)
            return -1;
    }
    if (c->n_listen == 0 && add_listen(c, A0IPC_DEFAULT_LISTEN, false, st) != 0)
        return -1;
    return 0;
}

bool a0ipc_address_is_loopback(const char *addr)
{
    if (!strncmp(addr, "ipv4:", 5) || !strncmp(addr, "ipv6:", 5))
        addr += 5;
    /* Split "host:port" and "[v6]:port"; the host must be a literal loopback address or
     * "localhost" (resolved by the core to loopback only). */
    char host[256];
    const char *end;
    if (addr[0] == '[') {
        end = strchr(addr, ']');
        if (!end || end[1] != ':')
            return false;
        addr++;
    } else {
        end = strrchr(addr, ':');
        if (!end)
            return false;
    }
    size_t n = (size_t)(end - addr);
    if (n == 0 || n >= sizeof host)
        return false;
    memcpy(host, addr, n);
    host[n] = '\0';
    if (!strcmp(host, "localhost"))
        return true;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

bool a0ipc_address_is_unix(const char *addr)
{
    return !strncmp(addr, "unix:", 5) || !strncmp(addr, "unix-abstract:", 14);
}

int a0ipc_daemon_config_validate(const a0ipc_daemon_config *c, a0ipc_status *st)
{
    if (!!c->tls_cert != !!c->tls_key) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "TLS needs both tls-cert and tls-key (a0ipc certs init DIR makes a "
                         "development set)");
        return -1;
    }
    if (!c->tls_cert && (c->tls_ca || c->tls_client_cert != A0IPC_CLIENT_CERT_NONE)) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "tls-ca and tls-client-cert need tls-cert and tls-key");
        return -1;
    }
    if (c->tls_client_cert != A0IPC_CLIENT_CERT_NONE && !c->tls_ca) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                         "tls-client-cert = %s needs tls-ca: the CA that signs client "
                         "certificates",
                         a0ipc_client_cert_mode_name((a0ipc_client_cert_mode)c->tls_client_cert));
        return -1;
    }
    for (size_t i = 0; i < c->n_listen; i++) {
        const char *a = c->listen[i];
        if (a0ipc_address_is_unix(a))
            continue;
        if (c->tls_cert) {
            /* TLS proves who the server is, not who the client is: something must. */
            if (!c->tokens_file && c->tls_client_cert != A0IPC_CLIENT_CERT_REQUIRED) {
                a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                 "refusing %s: with TLS alone anyone who reaches the port could "
                                 "call everything; set tokens-file, or tls-client-cert = required",
                                 a);
                return -1;
            }
            continue;
        }
        if (!c->insecure) {
            a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                             "refusing plaintext TCP on %s: TCP needs TLS (set tls-cert and "
                             "tls-key; a0ipc certs init DIR makes a development set); for local "
                             "testing only, pass --insecure with a loopback address",
                             a);
            return -1;
        }
        if (!a0ipc_address_is_loopback(a)) {
            a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                             "refusing plaintext TCP on %s: --insecure is allowed on loopback "
                             "addresses only (127.0.0.1, [::1], localhost)",
                             a);
            return -1;
        }
    }
    return 0;
}
