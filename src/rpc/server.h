/* The rpc server: an asynchronous completion-queue server on the gRPC C core.
 *
 * Threading: `cq_threads` threads drive the completion queue. Handlers of methods registered
 * with A0IPC_RPC_INLINE run on those threads and must never block; every other handler runs on a
 * worker thread of its own (a pool that grows up to `max_workers` and keeps idle threads), where
 * it may block on I/O and use the blocking send/recv calls below. When every worker is busy a
 * new call is answered RESOURCE_EXHAUSTED at once.
 *
 * Ownership: the server owns every a0ipc_rpc_ctx; a handler may use its ctx only until it
 * returns. Messages received with a0ipc_rpc_recv belong to the caller. */
#ifndef A0IPC_RPC_SERVER_H
#define A0IPC_RPC_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "binding.h"
#include "credentials.h"

typedef struct a0ipc_rpc_server a0ipc_rpc_server;

/* What the server knows of a call once it is over, for metrics. */
typedef struct a0ipc_rpc_call_record {
    const a0ipc_rpc_method *method; /* NULL for an unknown method */
    a0ipc_code code;
    int64_t duration_ns;
    uint64_t bytes_in, bytes_out; /* serialized message bytes */
} a0ipc_rpc_call_record;

/* ---- Who is calling: what the transport proved, handed to the authorizer ---- */

typedef enum a0ipc_rpc_transport {
    A0IPC_RPC_TRANSPORT_PLAINTEXT, /* TCP without TLS (--insecure, loopback only) */
    A0IPC_RPC_TRANSPORT_TLS,       /* TCP with TLS */
    A0IPC_RPC_TRANSPORT_UNIX,      /* a unix socket of a0ipc_rpc_server_listen_unix */
} a0ipc_rpc_transport;

typedef struct a0ipc_rpc_peer {
    a0ipc_rpc_transport transport;
    const char *address; /* "ipv4:127.0.0.1:5000", or the listening "unix:/path" */
    /* TLS: the common name of the client certificate the server verified; NULL without one.
     * Raw bytes from the certificate: escape before logging. */
    const char *cert_cn;
    /* Unix: what the kernel reported (SO_PEERCRED) when the client connected. */
    bool has_cred;
    pid_t pid;
    uid_t uid;
    gid_t gid;
} a0ipc_rpc_peer;

typedef struct a0ipc_rpc_auth_request {
    const char *path;               /* "/pkg.Service/Method" as the client asked for it */
    const a0ipc_rpc_method *method; /* NULL when the server does not serve path */
    const a0ipc_rpc_peer *peer;
    /* The value of the `authorization` metadata (NOT NUL-terminated) or NULL, and how many
     * `authorization` entries the call carried (more than one is ambiguous). */
    const char *authorization;
    size_t authorization_len;
    int n_authorization;
} a0ipc_rpc_auth_request;

#define A0IPC_RPC_IDENTITY_MAX 128

typedef struct a0ipc_rpc_auth_result {
    a0ipc_code code;   /* OK lets the call run; anything else ends it with code and message */
    char message[256]; /* for the client: must never contain a secret */
    /* Who the call is from, for handlers and the audit line. Filled in beforehand from the
     * transport ("cn:<name>", "uid:<n>" or "anonymous"); an authorizer that knows better (a
     * token) overwrites it. Printable ASCII without spaces: it is logged as is. */
    char identity[A0IPC_RPC_IDENTITY_MAX];
    bool allows_write; /* true beforehand; false for a read-only credential */
    /* May act on what other identities own (Terminal sessions). Beforehand: true for root
     * (uid 0) over a unix socket, false otherwise; an authorizer sets it from the credential. */
    bool all_sessions;
} a0ipc_rpc_auth_result;

/* Decides whether a call may run, before its handler starts and before an unknown method is
 * answered UNIMPLEMENTED (so an unauthenticated client learns nothing about what is served).
 * Runs on a completion-queue thread: it must not block (no file or network I/O). */
typedef void (*a0ipc_rpc_authorize_fn)(void *arg, const a0ipc_rpc_auth_request *req,
                                       a0ipc_rpc_auth_result *out);

typedef struct a0ipc_rpc_server_options {
    int cq_threads;                /* threads driving the completion queue (default 1) */
    int max_workers;               /* concurrent blocking handlers (default 256) */
    int max_receive_message_bytes; /* per message; larger ones get RESOURCE_EXHAUSTED (4 MiB) */
    int max_send_message_bytes;    /* per message (default 4 MiB) */
    int max_concurrent_streams;    /* per HTTP/2 connection (default 100) */
    /* HTTP/2 receive window per stream (default 4 MiB): how much of a client's stream the
     * daemon accepts ahead of its handler. Fixed: the core's BDP probing is turned off, because
     * on a fast link it grew the window (and the daemon's memory) without bound: a 1 GiB upload
     * over loopback TCP peaked at 61-87 MiB, TLS at over 100 MiB, instead of ~25 MiB. A WAN
     * transfer is then limited to window / round trip per stream (4 MiB / 50 ms = 80 MB/s). */
    int stream_window_bytes;
    bool log_calls; /* one log line per finished call */
    /* Called once per finished call, on a completion-queue or worker thread: must not block. */
    void (*on_call_done)(void *arg, const a0ipc_rpc_call_record *r);
    void *on_call_done_arg;
    int handshake_timeout_ms; /* a connection must finish its handshake within this (3 s);
                                 a half-open one otherwise delays shutdown until it does */
    /* A connection with no call for this long is closed (GOAWAY); 0: never (300000). */
    int connection_idle_ms;
    /* Client connections open at once, unix and TCP (plaintext and TLS) together; beyond it a
     * new one is closed before it reaches HTTP/2 or TLS (1024; 0: no limit). */
    int max_connections;
    /* Called for every call; NULL lets every call run. arg is owned by the caller and must
     * outlive the server. */
    a0ipc_rpc_authorize_fn authorize;
    void *authorize_arg;
} a0ipc_rpc_server_options;

void a0ipc_rpc_server_options_init(a0ipc_rpc_server_options *o);

/* Service registration flags. */
enum {
    /* The unary handlers of this service never block: run them on the completion-queue thread
     * (no thread hand-off, for calls such as Health.Check). */
    A0IPC_RPC_INLINE = 1u << 0,
};

a0ipc_rpc_server *a0ipc_rpc_server_new(const a0ipc_rpc_server_options *o, a0ipc_status *st);

/* Binds a listening address: "unix:/path", "127.0.0.1:50051", "[::]:0", with TLS from tls's files
 * (rpc/credentials.h), or plaintext when tls is NULL (the caller decides whether that is
 * allowed). Returns the bound TCP port (1 for unix sockets) or 0 with st set. Only before
 * a0ipc_rpc_server_start. */
int a0ipc_rpc_server_listen(a0ipc_rpc_server *s, const char *addr, const a0ipc_rpc_server_tls *tls,
                            a0ipc_status *st);

/* What the kernel says about a unix-socket client, taken when it connected (SO_PEERCRED and
 * SO_PEERGROUPS): the client cannot forge it. */
typedef struct a0ipc_rpc_unix_cred {
    pid_t pid;
    uid_t uid;
    gid_t gid;           /* effective gid */
    const gid_t *groups; /* supplementary groups; may be NULL when the kernel gives none */
    size_t n_groups;
} a0ipc_rpc_unix_cred;

/* Decides whether a unix-socket client may connect. Runs on the listener's accept thread; must
 * not block for long. A refused client's connection is closed before it speaks HTTP/2; the hook
 * logs why. */
typedef bool (*a0ipc_rpc_accept_fn)(void *arg, const char *addr, const a0ipc_rpc_unix_cred *cred);

typedef struct a0ipc_rpc_unix_options {
    int mode;    /* the socket file's mode, e.g. 0660; -1 leaves what the umask gave */
    uid_t owner; /* chown the socket file; (uid_t)-1 leaves it */
    gid_t group; /* (gid_t)-1 leaves it */
    a0ipc_rpc_accept_fn accept; /* NULL accepts everyone who can open the socket file */
    void *accept_arg;           /* must outlive the server */
    /* A socket already bound to addr and listening, from the service manager (socket
     * activation): served instead of binding one; mode, owner and group are then ignored and
     * the file is left in place. -1 (the default) binds. Taken over: closed with the server. */
    int fd;
} a0ipc_rpc_unix_options;

void a0ipc_rpc_unix_options_init(a0ipc_rpc_unix_options *o);

/* Listens on a unix socket ("unix:/path" or "unix-abstract:name") with a thread of our own that
 * accepts each connection, asks o->accept about the peer's credentials, and hands the allowed
 * ones to the core (grpc_server_add_channel_from_fd). The core's own unix listener cannot do
 * this: it tells nobody who connected. A stale socket file (no server answers on it) is
 * replaced; a live one is an error. The file is removed when the server is freed. Only before
 * a0ipc_rpc_server_start. */
int a0ipc_rpc_server_listen_unix(a0ipc_rpc_server *s, const char *addr,
                                 const a0ipc_rpc_unix_options *o, a0ipc_status *st);

/* Registers a service: handlers[i] serves svc->methods[i]; NULL ones answer UNIMPLEMENTED.
 * Generated <service>_register functions call this. data is handed to every handler through
 * a0ipc_rpc_ctx_data. Only before a0ipc_rpc_server_start. */
int a0ipc_rpc_server_add_service(a0ipc_rpc_server *s, const a0ipc_rpc_service *svc,
                                 const a0ipc_rpc_handler_fn *handlers, void *data, unsigned flags,
                                 a0ipc_status *st);

/* Starts serving; returns at once. */
int a0ipc_rpc_server_start(a0ipc_rpc_server *s, a0ipc_status *st);

/* Asks the authorize hook again about every running call, after the credentials it checks were
 * reloaded (SIGHUP): a call it now refuses (a revoked token: UNAUTHENTICATED) ends with that
 * status at once. */
void a0ipc_rpc_server_reauthorize(a0ipc_rpc_server *s);

/* Stops accepting calls, asks running handlers to stop (a0ipc_rpc_ctx_should_stop turns true and
 * their on-stop callbacks run), waits up to grace_ms for in-flight calls to finish, then cancels
 * the rest and waits until every handler has returned. Idempotent. */
void a0ipc_rpc_server_shutdown(a0ipc_rpc_server *s, int grace_ms);

/* Shuts down (grace 0) if still running, and frees everything. */
void a0ipc_rpc_server_free(a0ipc_rpc_server *s);

/* Calls in flight right now (for metrics and tests). */
int a0ipc_rpc_server_active_calls(a0ipc_rpc_server *s);
/* Client connections open on the TCP listeners (plaintext or TLS), those still in their
 * handshake included: the ones max-connections counts besides the unix sockets'. */
long a0ipc_rpc_server_tcp_connections(a0ipc_rpc_server *s);

/* ---- What a handler can do with its call ---- */

/* The data given at registration. */
void *a0ipc_rpc_ctx_data(a0ipc_rpc_ctx *ctx);
const a0ipc_rpc_method *a0ipc_rpc_ctx_method(a0ipc_rpc_ctx *ctx);
/* The peer's address ("ipv4:127.0.0.1:5000", or the listening "unix:/path"). */
const char *a0ipc_rpc_ctx_peer(a0ipc_rpc_ctx *ctx);
/* Everything the transport proved about the peer (TLS certificate CN, unix uid/gid/pid). */
const a0ipc_rpc_peer *a0ipc_rpc_ctx_peer_info(a0ipc_rpc_ctx *ctx);
/* Who the call is from, as the authorizer decided: "token:<name>", "cn:<certificate CN>",
 * "uid:<n>" or "anonymous". Printable, no spaces; valid until the handler returns. */
const char *a0ipc_rpc_ctx_identity(a0ipc_rpc_ctx *ctx);
/* False when the caller's credential is read-only (a token with `files:read-only`): handlers
 * that change anything (files written, removed, moved, made) must then answer
 * PERMISSION_DENIED. The authorizer already refuses such a caller every Files method not marked
 * NO_SIDE_EFFECTS in the .proto; this flag is the handler's own second check. */
bool a0ipc_rpc_ctx_allows_write(a0ipc_rpc_ctx *ctx);
/* The largest message this server sends (its max_send_message_bytes; SIZE_MAX: no limit):
 * handlers that cut data into messages cut it to fit. */
size_t a0ipc_rpc_ctx_max_send(a0ipc_rpc_ctx *ctx);
/* What is left of that for a message's payload once its other fields are counted: the max
 * less `overhead` bytes, and never less than 256. */
size_t a0ipc_rpc_ctx_payload_max(a0ipc_rpc_ctx *ctx, size_t overhead);
/* Whether the caller may see and act on sessions other identities created (see
 * a0ipc_rpc_auth_result.all_sessions). */
bool a0ipc_rpc_ctx_all_sessions(a0ipc_rpc_ctx *ctx);
/* The value of request metadata `key` (lowercase) and its length, or NULL. The value is NOT
 * NUL-terminated; it stays valid until the handler returns. */
const char *a0ipc_rpc_ctx_metadata(a0ipc_rpc_ctx *ctx, const char *key, size_t *len);
/* Milliseconds until the client's deadline; INT64_MAX when it set none; <= 0 when past. */
int64_t a0ipc_rpc_ctx_deadline_left_ms(a0ipc_rpc_ctx *ctx);
/* True once the call was cancelled, ran past its deadline, or the server is shutting down. */
bool a0ipc_rpc_ctx_should_stop(a0ipc_rpc_ctx *ctx);
/* True when the reason to stop is the server shutting down. */
bool a0ipc_rpc_ctx_server_stopping(a0ipc_rpc_ctx *ctx);

/* Runs fn(arg) once when the call should stop (at once if it already should). fn runs on a
 * completion-queue or shutdown thread: it must only wake the handler (signal a condition
 * variable, write an eventfd), never block. Cleared with a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
 * after that returns, fn is not running and will not run. One callback per call. */
void a0ipc_rpc_ctx_on_stop(a0ipc_rpc_ctx *ctx, void (*fn)(void *arg), void *arg);

/* Memory that lives until the call's response is sent: for response fields. Never NULL (aborts on
 * out-of-memory like the core does). */
void *a0ipc_rpc_ctx_alloc(a0ipc_rpc_ctx *ctx, size_t size);
char *a0ipc_rpc_ctx_strdup(a0ipc_rpc_ctx *ctx, const char *s);

/* Sets the call's status message and returns code, for `return a0ipc_rpc_fail(ctx, ...)`. */
a0ipc_code a0ipc_rpc_fail(a0ipc_rpc_ctx *ctx, a0ipc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes over st (code and message) as the call's status; st is cleared. Returns the code. */
a0ipc_code a0ipc_rpc_fail_status(a0ipc_rpc_ctx *ctx, a0ipc_status *st);
/* Sets the status of a call that can go on no longer (a0ipc_rpc_ctx_should_stop) by why, and
 * returns its code: UNAVAILABLE when the server is shutting down, DEADLINE_EXCEEDED when the
 * deadline passed, else CANCELLED (the client cancelled or went away). The one place that maps a
 * stop to a status, so every handler ends a stopped call the same way. */
a0ipc_code a0ipc_rpc_fail_stopped(a0ipc_rpc_ctx *ctx);

/* Sends one response message and waits until the transport has taken it (flow control: a slow
 * client slows the handler instead of growing memory). Returns A0IPC_OK, or the code to end the
 * handler with when the call is gone (CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE). Worker
 * handlers of streaming methods only. */
a0ipc_code a0ipc_rpc_send(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *msg);
/* The stream's last response message: sent in one batch with the status once the handler
 * returns OK (dropped otherwise), which saves a blocking round trip through the completion
 * queue. Never blocks. */
a0ipc_code a0ipc_rpc_send_last(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *msg);

/* Sending one large bytes field without copying it (file data): the handler fills the buffer
 * a0ipc_rpc_data_buffer returns (valid until the next a0ipc_rpc_send_data; cap bytes) and sends
 * it as field number `field` of msg, whose own value of that field must be empty. Packing the
 * data into a message copied every byte once more into a fresh 1 MiB allocation: a 1 GiB
 * download over TCP took 0.60-0.65 s of daemon CPU that way, 0.31-0.39 s this way. Returns what
 * a0ipc_rpc_send returns. */
uint8_t *a0ipc_rpc_data_buffer(a0ipc_rpc_ctx *ctx, size_t cap);
a0ipc_code a0ipc_rpc_send_data(a0ipc_rpc_ctx *ctx, const ProtobufCMessage *msg, uint32_t field,
                               size_t len);

/* Receives the next request message. Returns 1 with *out set (free it with
 * protobuf_c_message_free_unpacked(*out, NULL)), 0 at the end of the client's stream (it
 * half-closed: what was received is complete), or -1 when the call is gone (cancelled, past its
 * deadline) or the message cannot be parsed: then end the handler with
 * a0ipc_rpc_ctx_recv_error(ctx). Client- and bidi-streaming worker handlers only. */
int a0ipc_rpc_recv(a0ipc_rpc_ctx *ctx, ProtobufCMessage **out);
/* The same, but *out belongs to the call: it is valid until the next receive on ctx or the end
 * of the handler, and must not be freed. Messages are decoded into memory the call reuses, so a
 * long upload of large chunks allocates nothing per chunk. */
int a0ipc_rpc_recv_borrowed(a0ipc_rpc_ctx *ctx, const ProtobufCMessage **out);
a0ipc_code a0ipc_rpc_ctx_recv_error(a0ipc_rpc_ctx *ctx);

#endif
