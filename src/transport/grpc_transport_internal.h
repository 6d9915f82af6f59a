/* Shared between the parts of the gRPC transport. */
#ifndef A0IPC_GRPC_TRANSPORT_INTERNAL_H
#define A0IPC_GRPC_TRANSPORT_INTERNAL_H

#include <pthread.h>

#include "a0ipc/grpc_transport.h"
#include "transport/transport_impl.h"
#include "rpc/client.h"
#include "rpc/credentials.h"

typedef struct session_pin session_pin;
typedef struct peer_channel peer_channel;

typedef struct grpc_transport {
    a0ipc_grpc_options opts; /* strings point into this struct's own copies */
    char *target;
    char *owned[4]; /* copies of ca_file, cert_file, key_file, server_name */
    char *service_config;
    char *authorization; /* "Bearer <token>" or NULL */
    a0ipc_rpc_metadata metadata[1];
    size_t n_metadata;
    a0ipc_rpc_channel_options channel_opts;
    a0ipc_rpc_channel_security security; /* TLS files, for every channel */
    a0ipc_rpc_channel *channel;          /* balanced over every address of the target */

    /* Terminal sessions stay on the daemon that created them (grpc_transport_terminal.c). */
    bool pin_sessions; /* the target may name several daemons */
    char *host_name;   /* the target's host, checked in TLS certificates of pinned channels */
    pthread_mutex_t pins_mu;
    session_pin *pins;
    peer_channel *peers;
    bool pins_ready;
} grpc_transport;

/* The metadata key carrying a call's affinity key: the routing key (a0ipc_call_options), else
 * for a call about a session its id. A proxy in front of several daemons hashes it
 * (nginx: hash $http_x_a0ipc_session consistent) so that a session's calls reach its daemon. */
#define A0IPC_AFFINITY_HEADER A0IPC_AFFINITY_METADATA

/* The rpc options of a call: its deadline (o's, else default_ms), the authorization and the
 * affinity key. The _session form takes the session the call is about. */
void gt_call_options(const grpc_transport *g, const a0ipc_call_options *o, int64_t default_ms,
                     a0ipc_rpc_call_options *out);
void gt_session_call_options(const grpc_transport *g, const a0ipc_call_options *o,
                             int64_t default_ms, const char *session_id,
                             a0ipc_rpc_call_options *out);
/* Cancels s when o->cancel is raised; returns true when it already is. */
bool gt_stream_watch_cancel(const a0ipc_call_options *o, a0ipc_rpc_stream *s);
void gt_stream_unwatch_cancel(const a0ipc_call_options *o);
/* Finishes and frees s; st gets the final status, or CANCELLED when the caller stopped it. */
a0ipc_code gt_stream_end(a0ipc_rpc_stream *s, const a0ipc_call_options *o, bool stopped_by_caller,
                         a0ipc_status *st);
char *gt_strdup(const char *s);

/* Channel credentials from the TLS options (grpc_transport_credentials.c). */
int gt_credentials_setup(grpc_transport *g, a0ipc_status *st);

/* The methods, gt_<operation> for every operation: the files' and health in
 * grpc_transport.c, the terminal's in grpc_transport_terminal.c; grpc_transport.c's table
 * names them all. */
#define GT_DECLARE(since, name, params, args) A0IPC_TRANSPORT_METHOD_DECL(gt_##name, params)
A0IPC_TRANSPORT_OPS(GT_DECLARE)
#undef GT_DECLARE

/* grpc_transport_terminal.c */
int gt_terminal_init(grpc_transport *g, a0ipc_status *st);
void gt_terminal_free(grpc_transport *g);

#endif
