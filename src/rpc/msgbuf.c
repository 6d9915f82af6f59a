/* Decoding into reused memory: see msgbuf.h for why. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/msgbuf.h"

/* An allocation that did not fit in the arena; freed when the next message starts. */
struct a0ipc_rpc_msgbuf_block {
    a0ipc_rpc_msgbuf_block *next;
    alignas(max_align_t) unsigned char data[];
};

#define ALIGN_UP(n) (((n) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

static void *arena_alloc(void *data, size_t size)
{
    a0ipc_rpc_msgbuf *b = data;
    size = ALIGN_UP(size ? size : 1);
    b->wanted += size;
    if (b->arena_cap - b->arena_used >= size) {
        void *p = b->arena + b->arena_used;
        b->arena_used += size;
        return p;
    }
    a0ipc_rpc_msgbuf_block *blk = malloc(sizeof *blk + size);
    if (!blk)
        return NULL;
    blk->next = b->overflow;
    b->overflow = blk;
    return blk->data;
}

/* protobuf-c frees what it allocated only when a decode fails half-way, and everything of a
 * message goes at once when the next one starts: nothing to do per pointer. */
static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

void a0ipc_rpc_msgbuf_init(a0ipc_rpc_msgbuf *b)
{
    memset(b, 0, sizeof *b);
    b->alloc.alloc = arena_alloc;
    b->alloc.free = arena_free;
    b->alloc.allocator_data = b;
}

static void drop_overflow(a0ipc_rpc_msgbuf *b)
{
    for (a0ipc_rpc_msgbuf_block *blk = b->overflow, *next; blk; blk = next) {
        next = blk->next;
        free(blk);
    }
    b->overflow = NULL;
}

void a0ipc_rpc_msgbuf_free(a0ipc_rpc_msgbuf *b)
{
    drop_overflow(b);
    free(b->flat);
    free(b->arena);
    a0ipc_rpc_msgbuf_init(b);
}

/* Forgets the previous message. When it needed more than the arena holds, the arena grows to
 * that size, so a stream of equal messages settles after its first one. */
static void reset(a0ipc_rpc_msgbuf *b)
{
    bool overflowed = b->overflow != NULL;
    drop_overflow(b);
    if (overflowed && b->wanted > b->arena_cap) {
        uint8_t *a = malloc(b->wanted);
        if (a) {
            free(b->arena);
            b->arena = a;
            b->arena_cap = b->wanted;
        }
    }
    b->arena_used = 0;
    b->wanted = 0;
}

ProtobufCMessage *a0ipc_rpc_msgbuf_unpack(a0ipc_rpc_msgbuf *b, const ProtobufCMessageDescriptor *d,
                                          grpc_byte_buffer *bb, size_t *len)
{
    reset(b);
    *len = 0;
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    size_t total = grpc_byte_buffer_length(reader.buffer_out);
    const uint8_t *data = NULL;
    grpc_slice *s;
    if (reader.buffer_out->data.raw.slice_buffer.count == 1 &&
        grpc_byte_buffer_reader_peek(&reader, &s)) {
        data = GRPC_SLICE_START_PTR(*s); /* one slice: decode in place */
    } else {
        if (total > b->flat_cap) {
            uint8_t *f = malloc(total);
            if (!f) {
                grpc_byte_buffer_reader_destroy(&reader);
                return NULL;
            }
            free(b->flat);
            b->flat = f;
            b->flat_cap = total;
        }
        size_t at = 0;
        while (grpc_byte_buffer_reader_peek(&reader, &s)) {
            size_t n = GRPC_SLICE_LENGTH(*s);
            if (n > total - at)
                break; /* cannot happen: the length counted these slices */
            memcpy(b->flat + at, GRPC_SLICE_START_PTR(*s), n);
            at += n;
        }
        total = at;
        data = b->flat;
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &b->alloc, total, data);
    grpc_byte_buffer_reader_destroy(&reader);
    *len = total;
    return m;
}
