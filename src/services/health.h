/* grpc.health.v1.Health: the server's and each service's serving status, for Check and Watch.
 * Watchers are woken on every change; a0ipcd sets everything NOT_SERVING when it shuts down. */
#ifndef A0IPC_SERVICES_HEALTH_H
#define A0IPC_SERVICES_HEALTH_H

#include <stdbool.h>

#include "a0ipc/status.h"
#include "rpc/server.h"

typedef struct a0ipc_health a0ipc_health;

a0ipc_health *a0ipc_health_new(void);
void a0ipc_health_free(a0ipc_health *h);

/* Declares a service (or "" for the server overall) and its status. */
int a0ipc_health_set(a0ipc_health *h, const char *service, bool serving);
/* Every known service and the overall status become NOT_SERVING (on shutdown). */
void a0ipc_health_set_all_not_serving(a0ipc_health *h);

/* Registers grpc.health.v1.Health on s, answering from h (which must outlive s). */
int a0ipc_health_register(a0ipc_rpc_server *s, a0ipc_health *h, a0ipc_status *st);

#endif
