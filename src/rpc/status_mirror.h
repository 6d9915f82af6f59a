/* a0ipc_code (include/a0ipc/status.h) is the gRPC core's grpc_status_code, number for number, so
 * that a cast converts between them: checked value by value, next to every cast (client.c,
 * server_call.c). */
#ifndef A0IPC_RPC_STATUS_MIRROR_H
#define A0IPC_RPC_STATUS_MIRROR_H

#include <grpc/status.h>

#include "a0ipc/status.h"
#include "common/same_number.h"

#define A0IPC_CODE_MIRRORS_GRPC                                                                    \
    A0IPC_SAME_NUMBER(A0IPC_OK, GRPC_STATUS_OK);                                                   \
    A0IPC_SAME_NUMBER(A0IPC_CANCELLED, GRPC_STATUS_CANCELLED);                                     \
    A0IPC_SAME_NUMBER(A0IPC_UNKNOWN, GRPC_STATUS_UNKNOWN);                                         \
    A0IPC_SAME_NUMBER(A0IPC_INVALID_ARGUMENT, GRPC_STATUS_INVALID_ARGUMENT);                       \
    A0IPC_SAME_NUMBER(A0IPC_DEADLINE_EXCEEDED, GRPC_STATUS_DEADLINE_EXCEEDED);                     \
    A0IPC_SAME_NUMBER(A0IPC_NOT_FOUND, GRPC_STATUS_NOT_FOUND);                                     \
    A0IPC_SAME_NUMBER(A0IPC_ALREADY_EXISTS, GRPC_STATUS_ALREADY_EXISTS);                           \
    A0IPC_SAME_NUMBER(A0IPC_PERMISSION_DENIED, GRPC_STATUS_PERMISSION_DENIED);                     \
    A0IPC_SAME_NUMBER(A0IPC_RESOURCE_EXHAUSTED, GRPC_STATUS_RESOURCE_EXHAUSTED);                   \
    A0IPC_SAME_NUMBER(A0IPC_FAILED_PRECONDITION, GRPC_STATUS_FAILED_PRECONDITION);                 \
    A0IPC_SAME_NUMBER(A0IPC_ABORTED, GRPC_STATUS_ABORTED);                                         \
    A0IPC_SAME_NUMBER(A0IPC_OUT_OF_RANGE, GRPC_STATUS_OUT_OF_RANGE);                               \
    A0IPC_SAME_NUMBER(A0IPC_UNIMPLEMENTED, GRPC_STATUS_UNIMPLEMENTED);                             \
    A0IPC_SAME_NUMBER(A0IPC_INTERNAL, GRPC_STATUS_INTERNAL);                                       \
    A0IPC_SAME_NUMBER(A0IPC_UNAVAILABLE, GRPC_STATUS_UNAVAILABLE);                                 \
    A0IPC_SAME_NUMBER(A0IPC_DATA_LOSS, GRPC_STATUS_DATA_LOSS);                                     \
    A0IPC_SAME_NUMBER(A0IPC_UNAUTHENTICATED, GRPC_STATUS_UNAUTHENTICATED)

#endif
