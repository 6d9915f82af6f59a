#include "services/term_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/term_utf8.h"

int a0ipc_term_ring_init(a0ipc_term_ring *r, size_t capacity)
{
    memset(r, 0, sizeof *r);
    if (capacity == 0)
        return -EINVAL;
    /* malloc, not calloc: an idle session's ring costs no resident memory until it fills. */
    r->buf = malloc(capacity);
    if (!r->buf)
        return -ENOMEM;
    r->cap = capacity;
    return 0;
}

void a0ipc_term_ring_free(a0ipc_term_ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void a0ipc_term_ring_write(a0ipc_term_ring *r, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len > r->cap) { /* only the newest cap bytes can survive */
        r->end += len - r->cap;
        p += len - r->cap;
        len = r->cap;
    }
    size_t at = (size_t)(r->end % r->cap);
    size_t first = r->cap - at < len ? r->cap - at : len;
    memcpy(r->buf + at, p, first);
    memcpy(r->buf, p + first, len - first);
    r->end += len;
}

/* Copies n bytes starting at seq from (which must be held). */
static void copy_out(const a0ipc_term_ring *r, uint64_t from, uint8_t *dst, size_t n)
{
    size_t at = (size_t)(from % r->cap);
    size_t first = r->cap - at < n ? r->cap - at : n;
    memcpy(dst, r->buf + at, first);
    memcpy(dst + first, r->buf, n - first);
}

size_t a0ipc_term_ring_read(const a0ipc_term_ring *r, uint64_t *pos, uint64_t limit, void *dst,
                            size_t max, uint64_t *lost)
{
    uint8_t *out = dst;
    uint64_t start = a0ipc_term_ring_start(r);
    *lost = 0;
    if (limit > r->end)
        limit = r->end;
    if (*pos < start) {
        *lost = start - *pos;
        *pos = start;
        /* The sequence the lost bytes ended in is unreadable; skip its rest too. */
        uint8_t head[3];
        size_t avail = r->end - start < 3 ? (size_t)(r->end - start) : 3;
        copy_out(r, start, head, avail);
        size_t skip = a0ipc_utf8_orphan_head(head, avail);
        if (*pos + skip > limit)
            skip = limit > *pos ? (size_t)(limit - *pos) : 0;
        *pos += skip;
        *lost += skip;
    }
    if (*pos >= limit || max == 0)
        return 0;
    size_t n = limit - *pos < max ? (size_t)(limit - *pos) : max;
    copy_out(r, *pos, out, n);
    if (*pos + n < limit) {
        size_t hold = a0ipc_utf8_incomplete_tail(out, n);
        if (hold < n) /* a buffer smaller than one character still makes progress */
            n -= hold;
    }
    *pos += n;
    return n;
}

size_t a0ipc_term_ring_tail(const a0ipc_term_ring *r, uint64_t from, void *dst, size_t max)
{
    uint64_t start = a0ipc_term_ring_start(r);
    if (from < start)
        from = start;
    if (from >= r->end)
        return 0;
    if (r->end - from > max)
        from = r->end - max;
    size_t n = (size_t)(r->end - from);
    copy_out(r, from, dst, n);
    return n;
}
