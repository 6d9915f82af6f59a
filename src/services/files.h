/* a0.runtime.v1.Files on the rpc server: the handlers translate messages to the Files core
 * (files_fs.h) and back; all file work and all confinement happen there. */
#ifndef A0IPC_SERVICES_FILES_H
#define A0IPC_SERVICES_FILES_H

#include "a0ipc/status.h"
#include "rpc/server.h"

typedef struct a0ipc_files_service a0ipc_files_service;

/* Opens `root` (a directory; made canonical) for serving. NULL with st set when it cannot be
 * served: missing, not a directory, or no openat2 in this kernel (confinement needs it). */
a0ipc_files_service *a0ipc_files_service_new(const char *root, a0ipc_status *st);
/* Frees the service; only after the server it was added to has been freed. */
void a0ipc_files_service_free(a0ipc_files_service *svc);
/* Starts removing, on a thread of its own, the temporary files that uploads interrupted by an
 * earlier a0ipcd's death left under the root (looking at up to max_entries entries; see
 * docs/files.md); logs what it removed. Stopped and joined by a0ipc_files_service_free.
 * Returns 0, or -1 with st set. */
int a0ipc_files_service_clean_temps(a0ipc_files_service *svc, size_t max_entries, a0ipc_status *st);
/* Registers the service on s (before a0ipc_rpc_server_start). svc must outlive s. */
int a0ipc_files_service_add(a0ipc_rpc_server *s, a0ipc_files_service *svc, a0ipc_status *st);

/* new + add in one call, for a daemon that serves one root for its whole life: the service is
 * then owned by the process (the rpc server has no hook to free a service's data) and released
 * at exit. Returns 0, or -1 with st set. */
int a0ipc_files_service_register(a0ipc_rpc_server *s, const char *root, a0ipc_status *st);

#endif
