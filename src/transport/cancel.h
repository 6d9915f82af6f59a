/* What transports need of a0ipc_cancel beyond the public API. */
#ifndef A0IPC_TRANSPORT_CANCEL_H
#define A0IPC_TRANSPORT_CANCEL_H

#include <stdbool.h>

#include "a0ipc/transport.h"

/* Installs hook (run once, under the flag's lock, when the flag is raised; it must only cancel,
 * never block) or removes it with hook == NULL; after removal returns, the hook is not running.
 * Returns whether the flag is already raised. c may be NULL (then: false). */
bool a0ipc_cancel_set_hook(a0ipc_cancel *c, void (*hook)(void *arg), void *arg);

#endif
