/* a0ipc_legacy_transport_new in a build without the legacy (-DA0IPC_LEGACY=OFF, the finalize
 * stage): the symbol stays, so a program links against either build, and says what is missing. */
#include <stddef.h>

#include "a0ipc/legacy_transport.h"

a0ipc_transport *a0ipc_legacy_transport_new(const a0ipc_legacy_options *o, a0ipc_status *st)
{
    (void)o;
    a0ipc_status_set(st, A0IPC_UNIMPLEMENTED,
                     "this liba0ipc was built without the legacy transport (-DA0IPC_LEGACY=OFF)");
    return NULL;
}
