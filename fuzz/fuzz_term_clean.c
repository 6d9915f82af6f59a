/* The terminal's output cleaner (services/term_clean.h) and the legacy cleaning it streams
 * (common/legacy_clean.h). The first byte picks where the input is split and max_line.
 *
 * Invariant (term_clean.h): when no line is longer than max_line, the stream cleaned in two
 * pieces is byte for byte the legacy cleaning of the whole. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/legacy_clean.h"
#include "services/term_clean.h"

static size_t longest_line(const uint8_t *p, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            cur = 0;
            continue;
        }
        if (++cur > best)
            best = cur;
    }
    return best;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max_line = A0IPC_TERM_CLEAN_MIN_LINE + (data[0] & 0x3f);
    data++;
    size--;
    size_t cut = size ? (size_t)data[0] % (size + 1) : 0;

    a0ipc_term_cleaner *c = a0ipc_term_clean_new(max_line);
    assert(c);
    a0ipc_term_text streamed = A0IPC_TERM_TEXT_INIT;
    assert(a0ipc_term_clean_feed(c, data, cut, &streamed) == 0);
    assert(a0ipc_term_clean_feed(c, data + cut, size - cut, &streamed) == 0);
    assert(a0ipc_term_clean_finish(c, &streamed) == 0);
    a0ipc_term_clean_free(c);

    size_t whole_len = 0;
    char *whole = a0ipc_legacy_clean_output(data, size, &whole_len);
    assert(whole);
    if (longest_line(data, size) <= max_line)
        assert(streamed.len == whole_len &&
               !memcmp(streamed.p ? streamed.p : "", whole, whole_len));
    free(whole);
    a0ipc_term_text_free(&streamed);

    a0ipc_term_text once = A0IPC_TERM_TEXT_INIT;
    assert(a0ipc_term_clean(data, size, &once) == 0);
    a0ipc_term_text_free(&once);
    return 0;
}
