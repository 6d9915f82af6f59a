/* Decoding a stream's messages into memory the stream reuses.
 *
 * A message received from the core is a byte buffer of many slices (one per read of the
 * socket). Flattening it with grpc_byte_buffer_reader_readall and decoding it with protobuf-c's
 * default allocator costs two fresh allocations per message; for 1 MiB data chunks those are
 * above malloc's mmap/trim thresholds, so every message page-faults its memory in again and
 * gives it back: profiles of a 1 GiB download showed most of the receiver's CPU in page faults
 * under memmove. A msgbuf keeps one flat buffer and one arena for the decoded message, sized
 * by the largest message seen, and reuses them for the next message.
 *
 * The decoded message is borrowed: it stays valid until the next unpack on the same msgbuf or
 * a0ipc_rpc_msgbuf_free. Never pass it to protobuf_c_message_free_unpacked. */
#ifndef A0IPC_RPC_MSGBUF_H
#define A0IPC_RPC_MSGBUF_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct grpc_byte_buffer grpc_byte_buffer;
typedef struct a0ipc_rpc_msgbuf_block a0ipc_rpc_msgbuf_block;

/* A piece of a bytes field left in place in the received slices. */
typedef struct a0ipc_rpc_piece {
    const uint8_t *data;
    size_t len;
} a0ipc_rpc_piece;

typedef struct a0ipc_rpc_msgbuf {
    uint8_t *flat; /* the encoded message when it came in several slices */
    size_t flat_cap;
    uint8_t *rest; /* unpack_split: the message without its split field */
    size_t rest_cap;
    grpc_byte_buffer *held; /* unpack_split: the received bytes the pieces point into */
    a0ipc_rpc_piece *pieces;
    size_t n_pieces, pieces_cap;
    uint8_t *arena; /* the decoded message: protobuf-c's allocations, bump-allocated */
    size_t arena_cap, arena_used;
    size_t wanted;                    /* bytes asked of the allocator for the current message */
    a0ipc_rpc_msgbuf_block *overflow; /* what did not fit in the arena this time */
    ProtobufCAllocator alloc;
} a0ipc_rpc_msgbuf;

void a0ipc_rpc_msgbuf_init(a0ipc_rpc_msgbuf *b);
/* Releases the memory; a message decoded into b is gone with it. */
void a0ipc_rpc_msgbuf_free(a0ipc_rpc_msgbuf *b);

/* Decodes bb (which stays the caller's) as a d into b, replacing b's previous message. Returns
 * NULL when bb is not a valid d (or memory ran out); *len is the encoded size. */
ProtobufCMessage *a0ipc_rpc_msgbuf_unpack(a0ipc_rpc_msgbuf *b, const ProtobufCMessageDescriptor *d,
                                          grpc_byte_buffer *bb, size_t *len);

/* The first half of unpack, for a caller that decodes itself: forgets b's previous message and
 * gives bb's bytes in one piece (valid while bb lives and until the next call on b). Decode them
 * with b->alloc. False when memory ran out. */
bool a0ipc_rpc_msgbuf_bytes(a0ipc_rpc_msgbuf *b, grpc_byte_buffer *bb, const uint8_t **data,
                            size_t *len);

/* Gives the received bytes of the last unpack_split back to the core now (its pieces become
 * invalid; the decoded message stays). The core's read buffers are then free for the next
 * message's reads instead of pushing the heap up while it is received. */
void a0ipc_rpc_msgbuf_release(a0ipc_rpc_msgbuf *b);

/* The same, without copying the bytes of one length-delimited field (file data): the message
 * is decoded without field number `field` (which stays empty), and that field's content is left
 * where it arrived, listed in b->pieces[0..b->n_pieces) (none when the field was absent or
 * empty). b takes bb and keeps it until the next unpack or a0ipc_rpc_msgbuf_free, so the pieces
 * stay valid as long as the message. Flattening the slices and protobuf-c's copy of the field
 * were 14-18% of a download client's CPU. */
ProtobufCMessage *a0ipc_rpc_msgbuf_unpack_split(a0ipc_rpc_msgbuf *b,
                                                const ProtobufCMessageDescriptor *d,
                                                grpc_byte_buffer *bb, uint32_t field, size_t *len);

#endif
