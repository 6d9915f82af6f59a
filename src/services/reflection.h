/* grpc.reflection.v1 and v1alpha ServerReflection, answered from the descriptor set that the
 * build embeds (gen/a0ipc_descriptor_set.c), so grpcurl and `buf curl` work without .proto
 * files. */
#ifndef A0IPC_SERVICES_REFLECTION_H
#define A0IPC_SERVICES_REFLECTION_H

#include <stddef.h>

#include "a0ipc/status.h"
#include "rpc/server.h"

typedef struct a0ipc_reflection a0ipc_reflection;

/* Indexes the embedded descriptor set. services: the fully qualified names list_services
 * reports (the ones the server really serves); copied. */
a0ipc_reflection *a0ipc_reflection_new(const char *const *services, size_t n_services,
                                       a0ipc_status *st);
void a0ipc_reflection_free(a0ipc_reflection *r);

/* Registers both reflection versions on s; r must outlive s. */
int a0ipc_reflection_register(a0ipc_rpc_server *s, a0ipc_reflection *r, a0ipc_status *st);

#endif
