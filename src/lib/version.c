#include "a0ipc/version.h"

const char *a0ipc_version(void)
{
    return A0IPC_VERSION;
}
