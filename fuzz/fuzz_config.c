/* a0ipcd's config file reader (daemon/config.h over common/kv_file.h), from a file holding the
 * input. Invariants: it never crashes or leaks; a refusal names the file and line. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = a0ipc_fuzz_file(data, size, 0600);
    a0ipc_daemon_config c;
    a0ipc_daemon_config_init(&c);
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_daemon_config_load(&c, path, &st) != 0) {
        assert(st.code != A0IPC_OK && st.message);
        assert(strstr(st.message, path) == st.message || strstr(st.message, path));
    } else {
        (void)a0ipc_daemon_config_validate(&c, &st);
    }
    a0ipc_status_clear(&st);
    a0ipc_daemon_config_free(&c);
    return 0;
}
