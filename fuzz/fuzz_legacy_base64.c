/* The legacy RFC's base64 (transport/legacy/legacy_base64.h). Invariants: it accepts only
 * canonical text, so what it decodes encodes back to the same text; anything encoded decodes
 * back to the same bytes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/legacy/legacy_base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t n = 0;
    if (a0ipc_base64_decode((const char *)data, size, &out, &n) == 0) {
        char *text = a0ipc_base64_encode(out, n);
        assert(text && strlen(text) == size && !memcmp(text, data, size));
        free(text);
        free(out);
    }
    char *text = a0ipc_base64_encode(data, size);
    assert(text);
    assert(a0ipc_base64_decode(text, strlen(text), &out, &n) == 0);
    assert(n == size && !memcmp(out, data, size));
    free(out);
    free(text);
    return 0;
}
