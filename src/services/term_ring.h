/* A session's output ring: the most recent `capacity` bytes of an unbounded byte stream, each
 * byte addressed by its absolute offset in the stream (its seq). Memory is fixed at creation; a
 * reader that asks for bytes already overwritten is told how many it lost.
 *
 * Not thread-safe: the session's mutex guards it. */
#ifndef A0IPC_TERM_RING_H
#define A0IPC_TERM_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct a0ipc_term_ring {
    uint8_t *buf; /* owned */
    size_t cap;
    uint64_t end; /* seq one past the newest byte = bytes ever written */
} a0ipc_term_ring;

/* Returns 0, or -ENOMEM, or -EINVAL for capacity 0. */
int a0ipc_term_ring_init(a0ipc_term_ring *r, size_t capacity);
void a0ipc_term_ring_free(a0ipc_term_ring *r);

/* Appends len bytes, overwriting the oldest when full. */
void a0ipc_term_ring_write(a0ipc_term_ring *r, const void *data, size_t len);

/* The oldest seq still held. */
static inline uint64_t a0ipc_term_ring_start(const a0ipc_term_ring *r)
{
    return r->end > r->cap ? r->end - r->cap : 0;
}

static inline uint64_t a0ipc_term_ring_end(const a0ipc_term_ring *r)
{
    return r->end;
}

/* Reads from seq *pos up to `limit` (a seq, clamped to the end) into dst, at most max bytes, and
 * advances *pos. When *pos is older than the ring holds, *lost is set to how many bytes are gone
 * (including the tail of a UTF-8 sequence whose start was overwritten) and reading starts after
 * them; otherwise *lost is 0. A read that stops short of limit because of max ends on a UTF-8
 * boundary. Returns the number of bytes copied. *pos must not be beyond the end. */
size_t a0ipc_term_ring_read(const a0ipc_term_ring *r, uint64_t *pos, uint64_t limit, void *dst,
                            size_t max, uint64_t *lost);

/* Copies the bytes from seq `from` (clamped to the oldest held) to the end, at most max of the
 * newest, into dst; for looking at the tail of the output. Returns the number copied. */
size_t a0ipc_term_ring_tail(const a0ipc_term_ring *r, uint64_t from, void *dst, size_t max);

#endif
