/* The legacy RFC's JSON reader (transport/legacy/rfc_json.h). Invariant: what it accepts,
 * written back with a0ipc_json_dump, reads back to an equal value. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

#include "transport/legacy/rfc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_json *v = NULL;
    if (a0ipc_json_parse((const char *)data, size, &v, &st) != A0IPC_OK) {
        assert(!v && st.code != A0IPC_OK);
        a0ipc_status_clear(&st);
        return 0;
    }
    a0ipc_jbuf b = {0};
    a0ipc_json_dump(&b, v);
    assert(!b.oom);
    a0ipc_json *again = NULL;
    assert(a0ipc_json_parse(b.p, b.len, &again, &st) == A0IPC_OK);
    assert(a0ipc_json_equal(v, again));
    a0ipc_json_free(again);
    a0ipc_json_free(v);
    a0ipc_jbuf_free(&b);
    a0ipc_status_clear(&st);
    return 0;
}
