/* Every setting of a0ipcd, once (daemon/config_setting.h says what each column means). The
 * order is the order of --help and docs/configuration.md; `scripts/settings-doc` refreshes the
 * docs after a change here, and the settings_doc test fails until it is run. */
#include <limits.h>
#include <stddef.h>

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/config_setting.h"
#include "security/tls.h"

#define FIELD(f) .offset = offsetof(a0ipc_daemon_config, f)
#define LIST(f, n)                                                                                 \
    .offset = offsetof(a0ipc_daemon_config, f), .count_offset = offsetof(a0ipc_daemon_config, n)
#define RANGE(lo, hi) .min = (lo), .max = (hi)

static const a0ipc_setting_choice log_levels[] = {
    {"error", A0IPC_LOG_ERROR, false}, {"warn", A0IPC_LOG_WARN, false},
    {"warning", A0IPC_LOG_WARN, true}, {"info", A0IPC_LOG_INFO, false},
    {"debug", A0IPC_LOG_DEBUG, false}, {NULL, 0, false}};
static const a0ipc_setting_choice log_formats[] = {{"text", A0IPC_LOG_FORMAT_TEXT, false},
                                                   {"json", A0IPC_LOG_FORMAT_JSON, false},
                                                   {NULL, 0, false}};
static const a0ipc_setting_choice client_cert_modes[] = {
    {"none", A0IPC_CLIENT_CERT_NONE, false},
    {"optional", A0IPC_CLIENT_CERT_OPTIONAL, false},
    {"required", A0IPC_CLIENT_CERT_REQUIRED, false},
    {NULL, 0, false}};

#define SERVER   "Server"
#define FILES    "Files service"
#define TERMINAL "Terminal service"
#define SECURITY "Security"

const a0ipc_setting a0ipc_daemon_settings[] = {
    /* Server */
    {"listen", A0IPC_SETTING_ADDR_LIST, 0, LIST(listen, n_listen), .section = SERVER, .arg = "ADDR",
     .def_text = A0IPC_DEFAULT_LISTEN,
     .help = "listen on ADDR; repeatable. unix:/path or host:port",
     .doc = "an address to serve on: `unix:/path` or `host:port` (port 0 = any free port). "
            "Repeatable; the first `--listen` on the command line replaces the file's list."},
    {"insecure", A0IPC_SETTING_BOOL, A0IPC_SETTING_CLI_FLAG, FIELD(insecure), .def = 0,
     .section = SERVER, .help = "allow plaintext TCP, on loopback addresses only",
     .doc = "allow plaintext TCP when there is no `tls-cert`. Only loopback addresses "
            "(127.0.0.0/8, `[::1]`, `localhost`) are accepted even then; anything else is refused "
            "at start-up. On the command line `--insecure` takes no value."},
    {"ready-file", A0IPC_SETTING_STRING, 0, FIELD(ready_file), .section = SERVER, .arg = "FILE",
     .help = "once serving, write the bound addresses to FILE",
     .doc = "once serving, write the bound addresses there (one per line; `:0` resolved to the "
            "real port). Written atomically; removed on a clean exit."},
    {"metrics-listen", A0IPC_SETTING_STRING, 0, FIELD(metrics_listen), .section = SERVER,
     .arg = "ADDR",
     .help = "serve Prometheus metrics at http://ADDR/metrics (loopback only, e.g. "
             "127.0.0.1:9464, unless --metrics-web-config sets TLS and users)",
     .doc = "serve Prometheus metrics at `http://ADDR/metrics` (loopback addresses only, unless "
            "`metrics-web-config` sets TLS and users). Written to the ready file as "
            "`metrics http://...` (`https://` with TLS)."},
    {"metrics-web-config", A0IPC_SETTING_STRING, 0, FIELD(metrics_web_config), .section = SERVER,
     .arg = "FILE",
     .help = "TLS and basic auth for /metrics, in the Prometheus exporters' web config format",
     .doc = "TLS and HTTP basic authentication for `/metrics`, in the Prometheus exporters' web "
            "config format ([Metrics](#metrics)). With both TLS and a user, `metrics-listen` may "
            "be any address (`0.0.0.0:9464`). Read at start."},
    {"cq-threads", A0IPC_SETTING_INT, 0, FIELD(cq_threads), RANGE(1, 64), .def = 1,
     .section = SERVER, .arg = "N", .help = "completion-queue threads",
     .doc = "threads driving the completion queue"},
    {"max-workers", A0IPC_SETTING_INT, 0, FIELD(max_workers), RANGE(1, 65536), .def = 256,
     .section = SERVER, .arg = "N", .help = "concurrent blocking calls",
     .doc = "concurrent blocking calls (streams, file and terminal work); beyond it calls get "
            "RESOURCE_EXHAUSTED"},
    {"max-message-bytes", A0IPC_SETTING_INT, 0, FIELD(max_message_bytes), RANGE(1024, INT_MAX),
     .def = 4 * 1024 * 1024, .section = SERVER, .arg = "N", .help = "largest message accepted",
     .doc = "largest single message accepted or sent; larger ones get RESOURCE_EXHAUSTED. Big "
            "data is streamed in smaller chunks, which follow this limit: Read and Archive cut "
            "their data to fit it, ListDir says `truncated` when its answer would not."},
    {"max-concurrent-streams", A0IPC_SETTING_INT, 0, FIELD(max_concurrent_streams),
     RANGE(1, 1000000), .def = 100, .section = SERVER, .arg = "N",
     .help = "HTTP/2 streams per connection"},
    {"max-connections", A0IPC_SETTING_INT, 0, FIELD(max_connections), RANGE(0, 1000000),
     .def = 1024, .section = SERVER, .arg = "N",
     .help = "client connections open at once, unix and TCP together; 0: no limit",
     .doc = "client connections open at once, unix sockets and TCP ports (plaintext and TLS) "
            "together; a new one beyond it is closed before any byte of HTTP/2 or TLS (and "
            "logged, at most once a second for TCP). `0`: no limit"},
    {"connection-idle-ms", A0IPC_SETTING_INT, 0, FIELD(connection_idle_ms), RANGE(0, 86400000),
     .def = 300000, .section = SERVER, .arg = "N",
     .help = "close connections with no call for N ms; 0: never",
     .doc = "a connection that has made no call for this long is closed (HTTP/2 GOAWAY), on "
            "every listener; `0`: never"},
    {"shutdown-grace-ms", A0IPC_SETTING_INT, A0IPC_SETTING_RELOADABLE, FIELD(shutdown_grace_ms),
     RANGE(0, 3600000), .def = 5000, .section = SERVER, .arg = "N",
     .help = "on SIGTERM, time calls get to finish",
     .doc = "on SIGTERM/SIGINT, how long in-flight calls get before they are cancelled"},
    {"log-level", A0IPC_SETTING_ENUM, A0IPC_SETTING_RELOADABLE, FIELD(log_level),
     .def = A0IPC_LOG_INFO, .choices = log_levels, .section = SERVER, .arg = "LEVEL",
     .help = "error, warn, info or debug",
     .doc = "how much is logged, the gRPC core's own lines too (`warning` means `warn`)"},
    {"log-format", A0IPC_SETTING_ENUM, 0, FIELD(log_format), .def = A0IPC_LOG_FORMAT_TEXT,
     .choices = log_formats, .section = SERVER, .arg = "FORMAT", .help = "text or json",
     .doc = "`text`, or `json` (one object per line)"},
    {"log-calls", A0IPC_SETTING_BOOL, 0, FIELD(log_calls), .def = 1, .section = SERVER,
     .arg = "BOOL", .help = "one audit line per call",
     .doc = "one audit line per finished call, whatever the log level: method, status, duration, "
            "identity, transport, peer and its credentials, bytes "
            "([security.md](security.md#audit))"},

    /* Files */
    {"root", A0IPC_SETTING_STRING, 0, FIELD(root), .section = FILES, .arg = "DIR",
     .help = "serve a0.runtime.v1.Files confined to DIR (no root: Files is not served)",
     .doc = "serve `a0.runtime.v1.Files` confined to this directory ([files.md](files.md)); "
            "without it Files is not served"},
    {"clean-temp-files-max-entries", A0IPC_SETTING_LLONG, 0, FIELD(clean_temp_entries),
     RANGE(0, 1LL << 40), .def = 100000, .section = FILES, .arg = "N",
     .help = "at start-up, remove the temporary files of interrupted uploads, looking at up to N "
             "entries under the root; 0: off",
     .doc = "at start-up, remove the temporary files of uploads an earlier a0ipcd did not "
            "finish, looking at up to this many entries under `root` "
            "([files.md](files.md#write-atomic-bounded-checked)); `0`: off"},

    /* Terminal */
    {"terminal", A0IPC_SETTING_BOOL, 0, FIELD(terminal), .def = 1, .section = TERMINAL,
     .arg = "BOOL", .help = "serve a0.runtime.v1.Terminal",
     .doc = "serve `a0.runtime.v1.Terminal`"},
    {"max-sessions", A0IPC_SETTING_INT, 0, FIELD(max_sessions), RANGE(1, 100000), .def = 64,
     .section = TERMINAL, .arg = "N", .help = "concurrent sessions",
     .doc = "sessions held at once; a CreateSession beyond it gets RESOURCE_EXHAUSTED"},
    {"session-buffer-bytes", A0IPC_SETTING_LLONG, 0, FIELD(session_buffer), RANGE(4096, 1LL << 32),
     .def = 1024 * 1024, .section = TERMINAL, .arg = "N",
     .help = "output kept per session for Attach"},
    {"session-idle-ttl-s", A0IPC_SETTING_INT, 0, FIELD(session_idle_ttl_s), RANGE(1, 30 * 86400),
     .def = 3600, .section = TERMINAL, .arg = "N",
     .help = "idle sessions are closed after N s; CreateSession may ask for another TTL"},
    {"session-user", A0IPC_SETTING_STRING, 0, FIELD(session_user), .section = TERMINAL,
     .arg = "NAME", .def_text = "a0ipcd's user",
     .help = "run sessions and Exec as NAME (daemon must be root)"},
    {"session-cgroup", A0IPC_SETTING_STRING, 0, FIELD(session_cgroup), .section = TERMINAL,
     .arg = "MODE", .def_text = "auto", .help = "auto, off, or a cgroup v2 directory"},
    {"session-rlimit-cpu-s", A0IPC_SETTING_LLONG, 0, FIELD(rlimit_cpu_s), RANGE(0, 1LL << 40),
     .def = 0, .section = TERMINAL, .arg = "N",
     .help = "RLIMIT_CPU of sessions and Exec, in seconds; 0: unchanged"},
    {"session-rlimit-as-bytes", A0IPC_SETTING_LLONG, 0, FIELD(rlimit_as_bytes), RANGE(0, 1LL << 50),
     .def = 0, .section = TERMINAL, .arg = "N",
     .help = "RLIMIT_AS of sessions and Exec; 0: unchanged"},
    {"session-rlimit-nofile", A0IPC_SETTING_LLONG, 0, FIELD(rlimit_nofile), RANGE(0, 1 << 24),
     .def = 0, .section = TERMINAL, .arg = "N",
     .help = "RLIMIT_NOFILE of sessions and Exec; 0: unchanged"},
    {"session-rlimit-nproc", A0IPC_SETTING_LLONG, 0, FIELD(rlimit_nproc), RANGE(0, 1 << 24),
     .def = 0, .section = TERMINAL, .arg = "N",
     .help = "RLIMIT_NPROC of sessions and Exec; 0: unchanged"},
    {"session-close-grace-max-ms", A0IPC_SETTING_INT, 0, FIELD(session_close_grace_max_ms),
     RANGE(1, 3600000), .def = 30000, .section = TERMINAL, .arg = "N",
     .help = "CloseSession's grace_ms is clamped to N",
     .doc = "the longest SIGHUP-to-SIGKILL grace a `CloseSession.grace_ms` gets; larger values "
            "are clamped to it. Shutdown cuts any grace still running to `shutdown-grace-ms`."},
    {"exec-timeout-ms", A0IPC_SETTING_INT, 0, FIELD(exec_timeout_ms), RANGE(1, 86400000),
     .def = 60000, .section = TERMINAL, .arg = "N", .help = "Exec's default timeout"},
    {"exec-max-output-bytes", A0IPC_SETTING_LLONG, 0, FIELD(exec_max_output), RANGE(0, 1LL << 31),
     .def = 1024 * 1024, .section = TERMINAL, .arg = "N", .help = "Exec's cap per stream"},

    /* Security (docs/security.md) */
    {"socket-mode", A0IPC_SETTING_MODE, 0, FIELD(socket_mode), .def = 0660, .section = SECURITY,
     .arg = "MODE", .help = "unix socket file mode",
     .doc = "file mode of the unix sockets (octal), set before `bind`"},
    {"socket-owner", A0IPC_SETTING_UID, 0, FIELD(socket_owner), .def = -1, .section = SECURITY,
     .arg = "USER", .def_text = "a0ipcd's user", .help = "unix socket file owner",
     .doc = "owner of the unix socket files (name or uid; changing it needs root)"},
    {"socket-group", A0IPC_SETTING_GID, 0, FIELD(socket_group), .def = -1, .section = SECURITY,
     .arg = "GROUP", .def_text = "a0ipcd's group", .help = "unix socket file group",
     .doc = "group of the unix socket files (name or gid)"},
    {"allow-uid", A0IPC_SETTING_UID_LIST, A0IPC_SETTING_RELOADABLE, LIST(allow_uids, n_allow_uids),
     .section = SECURITY, .arg = "USER",
     .help = "may connect to the unix sockets; repeatable (root and a0ipcd's own user always may)",
     .doc = "a user (name or uid) who may connect to the unix sockets. Repeatable. Root and "
            "a0ipcd's own user always may."},
    {"allow-gid", A0IPC_SETTING_GID_LIST, A0IPC_SETTING_RELOADABLE, LIST(allow_gids, n_allow_gids),
     .section = SECURITY, .arg = "GROUP",
     .help = "members may connect to the unix sockets; repeatable",
     .doc = "users whose effective or supplementary group this is (name or gid) may connect to "
            "the unix sockets. Repeatable."},
    {"tls-cert", A0IPC_SETTING_STRING, 0, FIELD(tls_cert), .section = SECURITY, .arg = "FILE",
     .help = "server certificate (PEM): TLS on every TCP listener",
     .doc = "PEM certificate (chain) of the server: with it, every TCP listener speaks TLS 1.2+. "
            "Without it, TCP needs `insecure` and loopback."},
    {"tls-key", A0IPC_SETTING_STRING, 0, FIELD(tls_key), .section = SECURITY, .arg = "FILE",
     .help = "its private key (PEM)",
     .doc = "PEM private key of `tls-cert` (unencrypted; keep it 0600)"},
    {"tls-ca", A0IPC_SETTING_STRING, 0, FIELD(tls_ca), .section = SECURITY, .arg = "FILE",
     .help = "CAs of client certificates (PEM)",
     .doc = "PEM CAs that sign client certificates; needed for `tls-client-cert`"},
    {"tls-client-cert", A0IPC_SETTING_ENUM, 0, FIELD(tls_client_cert),
     .def = A0IPC_CLIENT_CERT_NONE, .choices = client_cert_modes, .section = SECURITY,
     .arg = "MODE", .help = "none, optional or required (mTLS)",
     .doc = "`none`, `optional` (verified when sent) or `required` (mTLS)"},
    {"tls-reload-seconds", A0IPC_SETTING_INT, 0, FIELD(tls_reload_seconds), RANGE(1, 86400),
     .def = 10, .section = SECURITY, .arg = "N",
     .help = "how often the TLS files are checked for changes",
     .doc = "how often the three TLS files are checked; replaced files are served to new "
            "connections without a restart"},
    {"tokens-file", A0IPC_SETTING_STRING, A0IPC_SETTING_RELOADABLE, FIELD(tokens_file),
     .section = SECURITY, .arg = "FILE",
     .help = "bearer tokens (NAME SHA256 PERMISSIONS... per line); when set, every call needs a "
             "token",
     .doc = "the bearer tokens (`NAME SHA256 PERMISSIONS...` per line; `a0ipc token add` writes "
            "it). When set, every call on every listener needs a token. Must not be writable by "
            "group or others. SIGHUP reads the file again."},
    {"health-exempt", A0IPC_SETTING_BOOL, A0IPC_SETTING_RELOADABLE, FIELD(health_exempt), .def = 1,
     .section = SECURITY, .arg = "BOOL", .help = "Health.Check needs no token",
     .doc = "`grpc.health.v1.Health/Check` needs no token (Watch always does: a stream holds a "
            "worker thread)"},
};

const size_t a0ipc_daemon_n_settings =
    sizeof a0ipc_daemon_settings / sizeof a0ipc_daemon_settings[0];
