#include "services/term_utf8.h"

static int is_cont(uint8_t b)
{
    return (b & 0xC0) == 0x80;
}

/* The length a sequence starting with lead byte b has (2 to 4), or 0 when b is not a valid lead
 * byte (ASCII, a continuation byte, or 0xC0, 0xC1, 0xF5..0xFF). */
static int seq_len(uint8_t b)
{
    if (b >= 0xC2 && b <= 0xDF)
        return 2;
    if (b >= 0xE0 && b <= 0xEF)
        return 3;
    if (b >= 0xF0 && b <= 0xF4)
        return 4;
    return 0;
}

/* Whether the second byte of a sequence is allowed after lead: the lead bytes E0, ED, F0 and F4
 * narrow its range (overlong forms, surrogates, code points above U+10FFFF). A prefix that fails
 * this can never complete, so it must not be held back waiting for more. */
static int second_ok(uint8_t lead, uint8_t b)
{
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
        return is_cont(b);
    }
}

size_t a0ipc_utf8_incomplete_tail(const uint8_t *p, size_t len)
{
    /* A sequence is at most 4 bytes, so an unfinished one starts in the last 3. */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        uint8_t b = p[len - back];
        if (is_cont(b))
            continue;
        int need = seq_len(b);
        if (need == 0 || (size_t)need <= back)
            return 0; /* ASCII, invalid, or a sequence that is already complete */
        if (back >= 2 && !second_ok(b, p[len - back + 1]))
            return 0;
        return back;
    }
    return 0;
}

size_t a0ipc_utf8_orphan_head(const uint8_t *p, size_t len)
{
    size_t n = 0;
    while (n < 3 && n < len && is_cont(p[n]))
        n++;
    return n;
}
