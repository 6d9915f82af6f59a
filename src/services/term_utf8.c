#include "services/term_utf8.h"

#include "common/utf8.h"

size_t a0ipc_utf8_incomplete_tail(const uint8_t *p, size_t len)
{
    /* A sequence is at most 4 bytes, so an unfinished one starts in the last 3. */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        uint8_t b = p[len - back];
        if (a0ipc_utf8_is_cont(b))
            continue;
        size_t seq = a0ipc_utf8_seq_len(b);
        if (seq == 0 || seq <= back)
            return 0; /* ASCII, invalid, or a sequence that is already complete */
        /* A prefix whose second byte is out of range can never complete: not held back. */
        if (back >= 2 && !a0ipc_utf8_cont_ok(b, 1, p[len - back + 1]))
            return 0;
        return back;
    }
    return 0;
}

size_t a0ipc_utf8_orphan_head(const uint8_t *p, size_t len)
{
    size_t n = 0;
    while (n < 3 && n < len && a0ipc_utf8_is_cont(p[n]))
        n++;
    return n;
}
