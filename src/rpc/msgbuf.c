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
    if (b->held)
        grpc_byte_buffer_destroy(b->held);
    free(b->flat);
    free(b->rest);
    free(b->pieces);
    free(b->arena);
    a0ipc_rpc_msgbuf_init(b);
}

void a0ipc_rpc_msgbuf_release(a0ipc_rpc_msgbuf *b)
{
    if (b->held)
        grpc_byte_buffer_destroy(b->held);
    b->held = NULL;
    b->n_pieces = 0;
}

/* Forgets the previous message. When it needed more than the arena holds, the arena grows to
 * that size, so a stream of equal messages settles after its first one. */
static void reset(a0ipc_rpc_msgbuf *b)
{
    a0ipc_rpc_msgbuf_release(b);
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

/* Grows *buf to hold n bytes (contents not kept). */
static bool reserve(uint8_t **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return true;
    uint8_t *p = malloc(n);
    if (!p)
        return false;
    free(*buf);
    *buf = p;
    *cap = n;
    return true;
}

/* The message's bytes in one piece: the single slice itself, or the slices copied into b->flat
 * (the reader also decompresses a compressed message). */
static bool flatten(a0ipc_rpc_msgbuf *b, grpc_byte_buffer *bb, const uint8_t **data, size_t *len)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return false;
    size_t total = grpc_byte_buffer_length(reader.buffer_out);
    grpc_slice *s;
    bool ok = true;
    /* One slice of bb itself: decode in place. Not when the reader decompressed: its buffer
     * goes with the reader. */
    if (reader.buffer_out == reader.buffer_in &&
        reader.buffer_out->data.raw.slice_buffer.count == 1 &&
        grpc_byte_buffer_reader_peek(&reader, &s)) {
        *data = GRPC_SLICE_START_PTR(*s);
    } else if ((ok = reserve(&b->flat, &b->flat_cap, total))) {
        size_t at = 0;
        while (grpc_byte_buffer_reader_peek(&reader, &s)) {
            size_t n = GRPC_SLICE_LENGTH(*s);
            if (n > total - at)
                break; /* cannot happen: the length counted these slices */
            memcpy(b->flat + at, GRPC_SLICE_START_PTR(*s), n);
            at += n;
        }
        total = at;
        *data = b->flat;
    }
    grpc_byte_buffer_reader_destroy(&reader);
    *len = total;
    return ok;
}

bool a0ipc_rpc_msgbuf_bytes(a0ipc_rpc_msgbuf *b, grpc_byte_buffer *bb, const uint8_t **data,
                            size_t *len)
{
    reset(b);
    *len = 0;
    *data = NULL;
    return flatten(b, bb, data, len);
}

ProtobufCMessage *a0ipc_rpc_msgbuf_unpack(a0ipc_rpc_msgbuf *b, const ProtobufCMessageDescriptor *d,
                                          grpc_byte_buffer *bb, size_t *len)
{
    const uint8_t *data = NULL;
    if (!a0ipc_rpc_msgbuf_bytes(b, bb, &data, len))
        return NULL;
    return protobuf_c_message_unpack(d, &b->alloc, *len, data);
}

/* ---- unpack_split: a walk over the wire format across slices ---- */

typedef struct cursor {
    const grpc_slice *slices; /* the segments: slices, or one flat buffer */
    size_t n_slices;
    const uint8_t *flat;
    size_t flat_len;
    size_t seg, off; /* position */
    size_t left;     /* bytes after the position */
} cursor;

static void segment(const cursor *c, size_t k, const uint8_t **p, size_t *n)
{
    if (c->slices) {
        *p = GRPC_SLICE_START_PTR(c->slices[k]);
        *n = GRPC_SLICE_LENGTH(c->slices[k]);
    } else {
        *p = c->flat;
        *n = c->flat_len;
    }
}

/* Takes n bytes: appended to b->rest (copy), listed as pieces, or both dropped. */
enum take_mode { TAKE_COPY, TAKE_PIECES };

static bool take(cursor *c, size_t n, a0ipc_rpc_msgbuf *b, size_t *rest_len, enum take_mode mode)
{
    if (n > c->left)
        return false;
    c->left -= n;
    while (n) {
        const uint8_t *p;
        size_t len;
        segment(c, c->seg, &p, &len);
        size_t k = len - c->off < n ? len - c->off : n;
        if (k && mode == TAKE_COPY) {
            memcpy(b->rest + *rest_len, p + c->off, k);
            *rest_len += k;
        } else if (k) {
            if (b->n_pieces == b->pieces_cap) {
                size_t cap = b->pieces_cap ? 2 * b->pieces_cap : 64;
                a0ipc_rpc_piece *np = realloc(b->pieces, cap * sizeof *np);
                if (!np)
                    return false;
                b->pieces = np;
                b->pieces_cap = cap;
            }
            b->pieces[b->n_pieces++] = (a0ipc_rpc_piece){p + c->off, k};
        }
        c->off += k;
        n -= k;
        if (c->off == len) {
            c->seg++;
            c->off = 0;
        }
    }
    return true;
}

/* A varint, its raw bytes kept in raw (at most 10). */
static bool varint(cursor *c, uint64_t *v, uint8_t *raw, size_t *raw_len)
{
    *v = 0;
    *raw_len = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (!c->left)
            return false;
        const uint8_t *p;
        size_t len;
        segment(c, c->seg, &p, &len);
        while (c->off == len) { /* empty slices */
            c->seg++;
            c->off = 0;
            segment(c, c->seg, &p, &len);
        }
        uint8_t byte = p[c->off++];
        c->left--;
        if (c->off == len) {
            c->seg++;
            c->off = 0;
        }
        raw[(*raw_len)++] = byte;
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

static void append(a0ipc_rpc_msgbuf *b, size_t *rest_len, const uint8_t *p, size_t n)
{
    memcpy(b->rest + *rest_len, p, n);
    *rest_len += n;
}

/* Splits the message at c: every field but `field` into b->rest, that one into b->pieces
 * (the last occurrence wins, as protobuf decoders do). */
static bool split(cursor *c, a0ipc_rpc_msgbuf *b, uint32_t field, size_t *rest_len)
{
    while (c->left) {
        uint8_t key_raw[10], len_raw[10];
        size_t key_len, len_len;
        uint64_t key, n;
        if (!varint(c, &key, key_raw, &key_len))
            return false;
        switch (key & 7) {
        case 0: /* varint */
            append(b, rest_len, key_raw, key_len);
            if (!varint(c, &n, len_raw, &len_len))
                return false;
            append(b, rest_len, len_raw, len_len);
            break;
        case 1: /* 64-bit */
        case 5: /* 32-bit */
            append(b, rest_len, key_raw, key_len);
            if (!take(c, (key & 7) == 1 ? 8 : 4, b, rest_len, TAKE_COPY))
                return false;
            break;
        case 2: /* length-delimited */
            if (!varint(c, &n, len_raw, &len_len) || n > c->left)
                return false;
            if (key >> 3 == field) {
                b->n_pieces = 0;
                if (!take(c, (size_t)n, b, rest_len, TAKE_PIECES))
                    return false;
            } else {
                append(b, rest_len, key_raw, key_len);
                append(b, rest_len, len_raw, len_len);
                if (!take(c, (size_t)n, b, rest_len, TAKE_COPY))
                    return false;
            }
            break;
        default: /* groups: not in proto3, and not in our messages */
            return false;
        }
    }
    return true;
}

ProtobufCMessage *a0ipc_rpc_msgbuf_unpack_split(a0ipc_rpc_msgbuf *b,
                                                const ProtobufCMessageDescriptor *d,
                                                grpc_byte_buffer *bb, uint32_t field, size_t *len)
{
    reset(b);
    *len = 0;
    cursor c = {0};
    if (bb->type == GRPC_BB_RAW && bb->data.raw.compression == GRPC_COMPRESS_NONE) {
        b->held = bb; /* the pieces point into its slices */
        c.slices = bb->data.raw.slice_buffer.slices;
        c.n_slices = bb->data.raw.slice_buffer.count;
        c.left = bb->data.raw.slice_buffer.length;
    } else {
        /* Compressed: decompressed into b->flat (always: see flatten), which the pieces then
         * point into. */
        bool ok = flatten(b, bb, &c.flat, &c.flat_len);
        grpc_byte_buffer_destroy(bb);
        if (!ok)
            return NULL;
        c.n_slices = 1;
        c.left = c.flat_len;
    }
    *len = c.left;
    size_t rest_len = 0;
    if (!reserve(&b->rest, &b->rest_cap, c.left) || !split(&c, b, field, &rest_len)) {
        b->n_pieces = 0;
        return NULL;
    }
    return protobuf_c_message_unpack(d, &b->alloc, rest_len, b->rest);
}
