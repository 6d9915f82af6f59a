/* The rpc client: channels and calls on the gRPC C core, in a blocking style.
 *
 * Threading: a channel is shared by any number of threads. A stream is used by one thread at a
 * time, except that a0ipc_rpc_stream_cancel may be called from any thread. Every call has its
 * own completion queue, so calls never wait on each other.
 *
 * Ownership: the caller owns what it creates (channel, stream) and every message returned to it
 * (free with protobuf_c_message_free_unpacked(msg, NULL)). */
#ifndef A0IPC_RPC_CLIENT_H
#define A0IPC_RPC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "binding.h"
#include "credentials.h"
#include "msgbuf.h"

typedef struct a0ipc_rpc_channel a0ipc_rpc_channel;
typedef struct a0ipc_rpc_stream a0ipc_rpc_stream;

typedef struct a0ipc_rpc_channel_options {
    /* TLS and the bearer token (rpc/credentials.h); NULL: plaintext without a token. Borrowed:
     * read at every a0ipc_rpc_channel_new these options are given to. */
    const a0ipc_rpc_channel_security *security;
    const char *service_config_json;  /* passed through (retries, load balancing); may be NULL */
    bool enable_retries;              /* default true; false disables the core's retries */
    int max_receive_message_bytes;    /* default 16 MiB */
    int initial_reconnect_backoff_ms; /* 0 = core default */
    int max_reconnect_backoff_ms;     /* 0 = core default */
    int keepalive_time_ms;            /* 0 = off */
    const char *authority_override;   /* TLS target name override; may be NULL */
    const char *user_agent;           /* prefix; may be NULL */
} a0ipc_rpc_channel_options;

void a0ipc_rpc_channel_options_init(a0ipc_rpc_channel_options *o);

typedef struct a0ipc_rpc_metadata {
    const char *key; /* lowercase */
    const char *value;
} a0ipc_rpc_metadata;

typedef struct a0ipc_rpc_call_options {
    int64_t timeout_ms;  /* <= 0: no deadline */
    bool wait_for_ready; /* wait for the channel to connect instead of failing UNAVAILABLE */
    const a0ipc_rpc_metadata *metadata;
    size_t n_metadata;
    char **peer_out; /* unary: when set and the call got an answer, receives the address of the
                        server that answered ("ipv4:10.0.0.5:50051"); caller frees */
} a0ipc_rpc_call_options;

/* Targets: "unix:/path", "unix:///path", "host:port", "dns:///host:port", "ipv4:a:p,b:p". */
a0ipc_rpc_channel *a0ipc_rpc_channel_new(const char *target, const a0ipc_rpc_channel_options *o,
                                         a0ipc_status *st);
void a0ipc_rpc_channel_free(a0ipc_rpc_channel *ch);
const char *a0ipc_rpc_channel_target(const a0ipc_rpc_channel *ch);

/* One unary call. On OK *resp is set (caller frees); otherwise st carries the server's (or the
 * core's) status and message unchanged. Returns st->code. */
a0ipc_code a0ipc_rpc_unary(a0ipc_rpc_channel *ch, const a0ipc_rpc_method *m,
                           const a0ipc_rpc_call_options *o, const ProtobufCMessage *req,
                           ProtobufCMessage **resp, a0ipc_status *st);

/* Opens a streaming call of any kind. Returns NULL with st set on failure. */
a0ipc_rpc_stream *a0ipc_rpc_stream_open(a0ipc_rpc_channel *ch, const a0ipc_rpc_method *m,
                                        const a0ipc_rpc_call_options *o, a0ipc_status *st);
/* Sends one message; waits until the transport took it. Returns 0, or -1 when the call has
 * ended (then a0ipc_rpc_stream_finish says why). */
int a0ipc_rpc_stream_send(a0ipc_rpc_stream *s, const ProtobufCMessage *msg);
/* Half-closes: the server sees the end of the request stream. */
int a0ipc_rpc_stream_close_send(a0ipc_rpc_stream *s);
/* Receives the next message: 1 with *out set, 0 at the end of the response stream, -1 when the
 * call failed or the message did not parse (a0ipc_rpc_stream_finish says why). */
int a0ipc_rpc_stream_recv(a0ipc_rpc_stream *s, ProtobufCMessage **out);
/* The same, but *out belongs to the stream (valid until the next receive on s or
 * a0ipc_rpc_stream_free; not to be freed; decoded into memory the stream reuses, so a long
 * stream of large messages allocates nothing per message), and the bytes field number `field`
 * (a message's file data) is not copied: *out is decoded without it, and its content is
 * *pieces[0..*n_pieces), in place in the bytes received, valid as long as *out. */
int a0ipc_rpc_stream_recv_split(a0ipc_rpc_stream *s, uint32_t field, const ProtobufCMessage **out,
                                const a0ipc_rpc_piece **pieces, size_t *n_pieces);
/* Waits for the call's final status (after recv returned 0 or -1, or at any time to give up the
 * rest of the stream, which cancels it). Returns st->code. */
a0ipc_code a0ipc_rpc_stream_finish(a0ipc_rpc_stream *s, a0ipc_status *st);
/* Cancels the call from any thread; pending and later operations fail. */
void a0ipc_rpc_stream_cancel(a0ipc_rpc_stream *s);
/* Frees the stream; cancels it first if it has not finished. */
void a0ipc_rpc_stream_free(a0ipc_rpc_stream *s);

/* Opens a server-streaming call and sends its single request. */
a0ipc_rpc_stream *a0ipc_rpc_server_stream_open(a0ipc_rpc_channel *ch, const a0ipc_rpc_method *m,
                                               const a0ipc_rpc_call_options *o,
                                               const ProtobufCMessage *req, a0ipc_status *st);

#endif
