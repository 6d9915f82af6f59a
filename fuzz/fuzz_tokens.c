/* The tokens file reader (security/tokens.h), from a file holding the input (mode 0600, ours,
 * as it demands). Invariants: entries have valid names and are found by nothing but their own
 * token; a refusal says why. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "security/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = a0ipc_fuzz_file(data, size, 0600);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_token_table *t = a0ipc_token_table_load(path, &st);
    if (!t) {
        assert(st.code != A0IPC_OK && st.message);
        a0ipc_status_clear(&st);
        return 0;
    }
    for (size_t i = 0; i < t->n; i++)
        assert(a0ipc_token_name_valid(t->entries[i].name));
    assert(!a0ipc_token_table_find(t, "a0ipc_not-a-token-of-this-table", 31));
    a0ipc_token_table_free(t);
    return 0;
}
