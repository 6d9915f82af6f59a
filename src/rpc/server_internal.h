/* Shared between server.c (lifecycle, accepting calls) and server_call.c (one call's life). */
#ifndef A0IPC_RPC_SERVER_INTERNAL_H
#define A0IPC_RPC_SERVER_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "rpc/msgbuf.h"
#include "rpc/server.h"
#include "rpc/worker_pool.h"

/* Everything put on the completion queue starts with a tag; the CQ thread calls done. */
typedef struct cq_tag {
    void (*done)(struct cq_tag *t, bool ok);
} cq_tag;

typedef struct registered_method {
    a0ipc_rpc_server *srv;
    const a0ipc_rpc_method *method; /* NULL for the generic slot (unknown methods) */
    a0ipc_rpc_handler_fn handler;   /* NULL: UNIMPLEMENTED */
    void *data;
    bool run_inline;
    void *core_handle; /* from grpc_server_register_method */
} registered_method;

typedef struct arena_block arena_block;
typedef struct unix_listener unix_listener;
typedef struct a0ipc_rpc_tcp_limit a0ipc_rpc_tcp_limit;

typedef enum core_conn_kind {
    CORE_CONN_NONE = 0,
    CORE_CONN_UNIX, /* handed over by our unix listener (server_unix.c) */
    CORE_CONN_TCP,  /* accepted by the core, seen by the limiter (server_tcp_limit.c) */
} core_conn_kind;

/* A connection handed to the core as descriptor fd (server_conns.c). A unix connection's entry
 * also holds what its listener learnt: the core names its peer "fd:<fd>", which is how a call
 * finds it again. */
typedef struct core_conn {
    core_conn_kind kind; /* NONE: no entry */
    dev_t dev;           /* the socket's identity: once fd no longer has it, the core closed */
    ino_t ino;           /* the connection (the number may have been handed out again since) */
    pid_t pid;           /* unix only, from SO_PEERCRED */
    uid_t uid;
    gid_t gid;
    const unix_listener *listener;
} core_conn;

struct a0ipc_rpc_ctx {
    a0ipc_rpc_server *srv;
    const registered_method *reg;
    grpc_call *call;
    gpr_timespec deadline; /* monotonic */
    grpc_metadata_array md;
    grpc_byte_buffer *payload; /* first request message of unary/server-streaming calls */
    grpc_call_details details; /* generic calls: the method asked for */
    atomic_int refs;

    cq_tag close_tag; /* RECV_CLOSE_ON_SERVER: the call is over on the wire */
    int cancelled;
    cq_tag final_tag; /* the batch that sends the status */
    grpc_byte_buffer *final_message;
    grpc_byte_buffer *last_message; /* a0ipc_rpc_send_last: goes with the status */
    size_t last_len;
    grpc_slice final_details;

    /* One blocking send or receive at a time, waited for by the handler's thread. */
    cq_tag op_tag;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool op_done, op_ok;
    grpc_byte_buffer *recv_buf;
    a0ipc_rpc_msgbuf borrowed; /* where recv_borrowed decodes */
    grpc_slice data_slice;     /* a0ipc_rpc_data_buffer's, until send_data sends it */
    size_t data_cap;
    bool has_data_slice;
    bool sent_initial_metadata;
    bool recv_parse_error;
    bool authorized; /* the authorize hook let it run (a0ipc_rpc_ctx_reauthorize asks again) */
    bool revoked;    /* under mu: a later authorization refused it; the call ends with this */
    a0ipc_code revoke_code;
    char revoke_message[256];
    char bad_request[192]; /* why decode_request refused the last request message */

    atomic_bool stop;
    bool stop_fired, in_stop_cb; /* under mu */
    void (*on_stop)(void *);
    void *on_stop_arg;

    /* Who is calling (filled by a0ipc_rpc_ctx_begin before the handler runs). */
    char *core_peer; /* grpc_call_get_peer: gpr_free */
    a0ipc_rpc_peer peer;
    char cert_cn[96];
    a0ipc_rpc_auth_result auth;

    a0ipc_status status;
    arena_block *arena;
    a0ipc_work work;
    int64_t start_ns;
    uint64_t bytes_in, bytes_out;
    struct a0ipc_rpc_ctx *prev, *next; /* the server's list of live calls */
};

struct a0ipc_rpc_server {
    a0ipc_rpc_server_options opts;
    grpc_server *server;
    grpc_completion_queue *cq;
    pthread_t *cq_threads;
    int n_cq_threads;
    a0ipc_worker_pool *pool;

    registered_method *methods; /* grown by add_service; fixed once started */
    size_t n_methods;
    registered_method generic;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    a0ipc_rpc_ctx *live; /* calls in flight */
    int n_live;
    int n_slots; /* request slots posted and not yet returned */
    bool started, stopping, shutdown_notified, destroyed;
    cq_tag shutdown_tag;

    /* server_unix.c: our own unix listeners and what they learnt about each connection. */
    unix_listener *unix_listeners;
    grpc_server_credentials *insecure_creds; /* for grpc_server_add_channel_from_fd */

    /* server_conns.c: every connection handed to the core, indexed by its fd. */
    pthread_mutex_t conns_mu;
    core_conn *conns;
    size_t n_conns;

    /* server_tcp_limit.c: counts the core's TCP connections, ends those over the limit. */
    a0ipc_rpc_tcp_limit *tcp_limit;
};

/* server_unix.c */
int a0ipc_rpc_unix_start(a0ipc_rpc_server *s, a0ipc_status *st); /* after grpc_server_start */
void a0ipc_rpc_unix_stop(a0ipc_rpc_server *s); /* no connection is handed over after this */
void a0ipc_rpc_unix_free(a0ipc_rpc_server *s); /* removes the socket files */
/* Fills peer from what the listener recorded for the core's peer name "fd:<n>"; false when the
 * call did not come through one of our unix listeners. */
bool a0ipc_rpc_unix_peer(a0ipc_rpc_server *s, const char *core_peer, a0ipc_rpc_peer *peer);

/* server_conns.c. The open connections of kind (NONE: all). */
size_t a0ipc_rpc_conns_open(a0ipc_rpc_server *s, core_conn_kind kind);
/* Records c (kind and, for unix, the peer) as fd's entry unless max-connections are already
 * open (unix and TCP together): 0, -EBUSY when full, -ENOMEM, or -errno when fd cannot be
 * looked at. *open: the connections open before this one (0 when there is no limit). */
int a0ipc_rpc_conns_admit(a0ipc_rpc_server *s, int fd, const core_conn *c, size_t *open);
bool a0ipc_rpc_conns_unix_peer(a0ipc_rpc_server *s, int fd, core_conn *out);
void a0ipc_rpc_conns_free(a0ipc_rpc_server *s);

/* server_tcp_limit.c. The server holds one reference; the core takes its own through the
 * channel argument. */
a0ipc_rpc_tcp_limit *a0ipc_rpc_tcp_limit_new(a0ipc_rpc_server *s);
grpc_arg a0ipc_rpc_tcp_limit_arg(a0ipc_rpc_tcp_limit *l); /* GRPC_ARG_SOCKET_MUTATOR */
/* Drops the server's reference; from now on every new connection is ended. */
void a0ipc_rpc_tcp_limit_detach(a0ipc_rpc_tcp_limit *l);

/* server_call.c */
a0ipc_rpc_ctx *a0ipc_rpc_ctx_new(a0ipc_rpc_server *s, const registered_method *reg);
void a0ipc_rpc_ctx_begin(a0ipc_rpc_ctx *ctx); /* after the core handed us the call */
void a0ipc_rpc_ctx_fire_stop(a0ipc_rpc_ctx *ctx);
/* Asks the authorize hook again about a running call (credentials reloaded); when it now
 * refuses, the call is stopped and ends with that code and message. */
void a0ipc_rpc_ctx_reauthorize(a0ipc_rpc_ctx *ctx);
bool a0ipc_rpc_ctx_try_ref(a0ipc_rpc_ctx *ctx); /* false: it is being destroyed */
void a0ipc_rpc_ctx_unref(a0ipc_rpc_ctx *ctx);

#endif
