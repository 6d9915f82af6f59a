/* What generated service bindings (tools/protoc-gen-a0ipc) are made of: the method table of a
 * service as read from its .proto, and the generic entry points that the typed wrappers call.
 * Only the rpc layer and generated code include this; services see the typed API. */
#ifndef A0IPC_RPC_BINDING_H
#define A0IPC_RPC_BINDING_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "a0ipc/status.h"

typedef enum a0ipc_rpc_kind {
    A0IPC_RPC_UNARY,
    A0IPC_RPC_SERVER_STREAMING,
    A0IPC_RPC_CLIENT_STREAMING,
    A0IPC_RPC_BIDI_STREAMING,
} a0ipc_rpc_kind;

/* google.protobuf.MethodOptions.idempotency_level, as written in the .proto. The client retries
 * only methods that are not A0IPC_RPC_IDEMPOTENCY_UNKNOWN (see docs/errors.md). */
typedef enum a0ipc_rpc_idempotency {
    A0IPC_RPC_IDEMPOTENCY_UNKNOWN = 0,
    A0IPC_RPC_NO_SIDE_EFFECTS = 1,
    A0IPC_RPC_IDEMPOTENT = 2,
} a0ipc_rpc_idempotency;

typedef struct a0ipc_rpc_ctx a0ipc_rpc_ctx;

/* Any handler's function pointer; generated code casts it back to the typed one before calling. */
typedef void (*a0ipc_rpc_handler_fn)(void);

/* Calls a typed handler. req is the decoded request for unary and server-streaming methods (else
 * NULL); resp is an initialised response to fill for unary and client-streaming methods (else
 * NULL). Returns the handler's status code; its message was set with a0ipc_rpc_fail. */
typedef a0ipc_code (*a0ipc_rpc_invoke_fn)(a0ipc_rpc_handler_fn handler, a0ipc_rpc_ctx *ctx,
                                          const ProtobufCMessage *req, ProtobufCMessage *resp);

typedef struct a0ipc_rpc_method {
    const char *path; /* "/a0.runtime.v1.Files/Stat": the HTTP/2 :path */
    const char *name; /* "Stat" */
    a0ipc_rpc_kind kind;
    a0ipc_rpc_idempotency idempotency;
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
    a0ipc_rpc_invoke_fn invoke;
} a0ipc_rpc_method;

typedef struct a0ipc_rpc_service {
    const char *name; /* "a0.runtime.v1.Files" */
    size_t n_methods;
    const a0ipc_rpc_method *methods;
} a0ipc_rpc_service;

#endif
