/* The UTF-8 logic: the validator (common/utf8.h), the display form with U+FFFD
 * (rpc/utf8_fix.h) and the terminal's sequence boundaries (services/term_utf8.h).
 *
 * Invariants: the display form is always valid and equals the input when the input is valid;
 * the bytes before a held-back incomplete tail never end inside a sequence the tail completes;
 * a held tail is at most 3 bytes and is the start of a possible sequence; an orphan head is at
 * most 3 continuation bytes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "rpc/utf8_fix.h"
#include "services/term_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t bad = 0;
    bool valid = a0ipc_utf8_valid(data, size, &bad);
    if (!valid) {
        assert(bad < size);
        assert(a0ipc_utf8_valid(data, bad, NULL)); /* everything before it is fine */
    }
    char *shown = a0ipc_utf8_display(data, size);
    assert(shown);
    size_t n = strlen(shown);
    assert(a0ipc_utf8_valid((const uint8_t *)shown, n, NULL));
    if (valid && !memchr(data, 0, size))
        assert(n == size && !memcmp(shown, data, size));
    free(shown);

    size_t tail = a0ipc_utf8_incomplete_tail(data, size);
    assert(tail <= 3 && tail <= size);
    if (tail) {
        const uint8_t *t = data + size - tail;
        size_t len = a0ipc_utf8_seq_len(t[0]);
        assert(len > tail); /* a lead byte whose sequence is not complete yet */
        for (size_t k = 1; k < tail; k++)
            assert(a0ipc_utf8_cont_ok(t[0], k, t[k]));
    }
    size_t head = a0ipc_utf8_orphan_head(data, size);
    assert(head <= 3 && head <= size);
    for (size_t k = 0; k < head; k++)
        assert(a0ipc_utf8_is_cont(data[k]));
    return 0;
}
