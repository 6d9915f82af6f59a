/* The shape of well-formed UTF-8 (RFC 3629, as CPython's decoder checks it), for the code that
 * cuts terminal output at sequence boundaries and the code that decodes it like the legacy. */
#ifndef A0IPC_COMMON_UTF8_H
#define A0IPC_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool a0ipc_utf8_is_cont(uint8_t b)
{
    return (b & 0xC0) == 0x80;
}

/* The length (2 to 4) of a sequence that starts with lead byte b, or 0 when b cannot start one
 * (ASCII, a continuation byte, 0xC0, 0xC1, 0xF5..0xFF). */
static inline size_t a0ipc_utf8_seq_len(uint8_t b)
{
    if (b >= 0xC2 && b <= 0xDF)
        return 2;
    if (b >= 0xE0 && b <= 0xEF)
        return 3;
    if (b >= 0xF0 && b <= 0xF4)
        return 4;
    return 0;
}

/* Whether b may be the k-th byte (k >= 1) after lead: the lead bytes E0, ED, F0 and F4 narrow the
 * range of the first one (overlong forms, surrogates, code points above U+10FFFF). */
static inline bool a0ipc_utf8_cont_ok(uint8_t lead, size_t k, uint8_t b)
{
    if (k == 1) {
        switch (lead) {
        case 0xE0:
            return b >= 0xA0 && b <= 0xBF;
        case 0xED:
            return b >= 0x80 && b <= 0x9F;
        case 0xF0:
            return b >= 0x90 && b <= 0xBF;
        case 0xF4:
            return b >= 0x80 && b <= 0x8F;
        default:
            break;
        }
    }
    return a0ipc_utf8_is_cont(b);
}

/* Whether s[0..n) is well-formed UTF-8. When it is not, *bad_at (if not NULL) is the offset of
 * the first byte that does not belong to a well-formed sequence. */
static inline bool a0ipc_utf8_valid(const uint8_t *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len = a0ipc_utf8_seq_len(b);
        if (!len || len > n - i)
            goto bad;
        for (size_t k = 1; k < len; k++)
            if (!a0ipc_utf8_cont_ok(b, k, s[i + k]))
                goto bad;
        i += len;
    }
    return true;
bad:
    if (bad_at)
        *bad_at = i;
    return false;
}

#endif
