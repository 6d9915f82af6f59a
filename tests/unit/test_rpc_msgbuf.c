/* a0ipc_rpc_msgbuf: messages decoded into reused memory, from byte buffers of one slice and of
 * many (as the core delivers a large message), across messages of changing sizes; and split
 * decoding, which leaves one bytes field in place. */
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "a0/runtime/v1/files.pb-c.h"
#include "rpc/msgbuf.h"

/* A ReadResponse of len data bytes (byte i = i * 7 + seed) and the given offset, encoded and cut
 * into slices of at most piece bytes (0: one slice). */
static grpc_byte_buffer *encode(size_t len, uint8_t seed, uint64_t offset, size_t piece)
{
    uint8_t *data = malloc(len ? len : 1);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + seed);
    A0__Runtime__V1__ReadResponse m = A0__RUNTIME__V1__READ_RESPONSE__INIT;
    m.data.data = data;
    m.data.len = len;
    m.offset = offset;
    size_t n = a0__runtime__v1__read_response__get_packed_size(&m);
    uint8_t *wire = malloc(n);
    assert_non_null(wire);
    a0__runtime__v1__read_response__pack(&m, wire);
    free(data);
    if (!piece)
        piece = n ? n : 1;
    size_t count = (n + piece - 1) / piece; /* 0 for the empty message */
    grpc_slice *slices = calloc(count ? count : 1, sizeof *slices);
    assert_non_null(slices);
    for (size_t i = 0; i < count; i++) {
        size_t at = i * piece, k = n - at < piece ? n - at : piece;
        slices[i] = grpc_slice_from_copied_buffer((const char *)wire + at, k);
    }
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(slices, count);
    for (size_t i = 0; i < count; i++)
        grpc_slice_unref(slices[i]);
    free(slices);
    free(wire);
    return bb;
}

static void check(const ProtobufCMessage *m, size_t len, uint8_t seed, uint64_t offset)
{
    assert_non_null(m);
    const A0__Runtime__V1__ReadResponse *r = (const A0__Runtime__V1__ReadResponse *)m;
    assert_int_equal(r->data.len, len);
    assert_int_equal(r->offset, offset);
    for (size_t i = 0; i < len; i++)
        if (r->data.data[i] != (uint8_t)(i * 7 + seed))
            fail_msg("byte %zu differs", i);
}

static const ProtobufCMessage *unpack(a0ipc_rpc_msgbuf *b, grpc_byte_buffer *bb, size_t *len)
{
    const ProtobufCMessage *m =
        a0ipc_rpc_msgbuf_unpack(b, &a0__runtime__v1__read_response__descriptor, bb, len);
    grpc_byte_buffer_destroy(bb); /* the message must not depend on the buffer */
    return m;
}

static void one_slice_and_many(void **state)
{
    (void)state;
    a0ipc_rpc_msgbuf b;
    a0ipc_rpc_msgbuf_init(&b);
    size_t len;
    check(unpack(&b, encode(1000, 1, 5, 0), &len), 1000, 1, 5);
    assert_true(len > 1000);
    /* 1 MiB in 8 KiB pieces, the shape of a chunk read off a socket */
    check(unpack(&b, encode(1 << 20, 2, 1 << 20, 8192), &len), 1 << 20, 2, 1 << 20);
    /* pieces that split the field's tag and length */
    check(unpack(&b, encode(300, 3, 7, 1), &len), 300, 3, 7);
    a0ipc_rpc_msgbuf_free(&b);
}

static void memory_is_reused(void **state)
{
    (void)state;
    a0ipc_rpc_msgbuf b;
    a0ipc_rpc_msgbuf_init(&b);
    size_t len;
    check(unpack(&b, encode(1 << 20, 4, 0, 65536), &len), 1 << 20, 4, 0);
    /* the first message overflowed the empty arena; from the second on it fits */
    check(unpack(&b, encode(1 << 20, 5, 1, 65536), &len), 1 << 20, 5, 1);
    uint8_t *arena = b.arena, *flat = b.flat;
    assert_non_null(arena);
    assert_null(b.overflow);
    for (int i = 0; i < 4; i++) {
        check(
            unpack(&b, encode((1 << 20) - (size_t)i * 1000, (uint8_t)i, (uint64_t)i, 65536), &len),
            (1 << 20) - (size_t)i * 1000, (uint8_t)i, (uint64_t)i);
        assert_ptr_equal(b.arena, arena);
        assert_ptr_equal(b.flat, flat);
        assert_null(b.overflow);
    }
    /* a larger message grows the memory once */
    check(unpack(&b, encode(2 << 20, 6, 2, 65536), &len), 2 << 20, 6, 2);
    check(unpack(&b, encode(2 << 20, 7, 3, 65536), &len), 2 << 20, 7, 3);
    assert_null(b.overflow);
    assert_true(b.arena_cap >= (size_t)(2 << 20));
    a0ipc_rpc_msgbuf_free(&b);
}

static void invalid_and_empty(void **state)
{
    (void)state;
    a0ipc_rpc_msgbuf b;
    a0ipc_rpc_msgbuf_init(&b);
    size_t len;
    /* a length-delimited field whose length runs past the end */
    static const char bad[] = {0x0a, 0x7f, 'x'};
    grpc_slice s = grpc_slice_from_copied_buffer(bad, sizeof bad);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    assert_null(unpack(&b, bb, &len));
    /* the empty message is valid: all defaults */
    check(unpack(&b, encode(0, 0, 0, 0), &len), 0, 0, 0);
    assert_int_equal(len, 0);
    a0ipc_rpc_msgbuf_free(&b);
    a0ipc_rpc_msgbuf_free(&b); /* free leaves it empty and reusable */
}

/* unpack_split: the data field's pieces, concatenated, are the data; the rest is decoded. */
static void check_split(a0ipc_rpc_msgbuf *b, size_t len, uint8_t seed, uint64_t offset,
                        size_t piece)
{
    size_t wire;
    const ProtobufCMessage *m = a0ipc_rpc_msgbuf_unpack_split(
        b, &a0__runtime__v1__read_response__descriptor, encode(len, seed, offset, piece), 1, &wire);
    assert_non_null(m);
    const A0__Runtime__V1__ReadResponse *r = (const A0__Runtime__V1__ReadResponse *)m;
    assert_int_equal(r->data.len, 0); /* left in place, not decoded */
    assert_int_equal(r->offset, offset);
    size_t at = 0;
    for (size_t i = 0; i < b->n_pieces; i++)
        for (size_t k = 0; k < b->pieces[i].len; k++, at++)
            if (b->pieces[i].data[k] != (uint8_t)(at * 7 + seed))
                fail_msg("byte %zu differs", at);
    assert_int_equal(at, len);
    assert_true(wire >= len);
}

static void split_in_place(void **state)
{
    (void)state;
    a0ipc_rpc_msgbuf b;
    a0ipc_rpc_msgbuf_init(&b);
    check_split(&b, 1 << 20, 1, 77, 16384); /* the shape of a chunk off the wire */
    assert_true(b.n_pieces >= 64);
    check_split(&b, 1000, 2, 1ull << 40, 0); /* one slice */
    assert_int_equal(b.n_pieces, 1);
    /* one byte per slice (the slice buffer merges some of these small slices again): tag,
     * length and value split across slices */
    check_split(&b, 300, 3, 5, 1);
    assert_true(b.n_pieces > 1);
    check_split(&b, 0, 4, 9, 0); /* no data: no pieces */
    assert_int_equal(b.n_pieces, 0);
    a0ipc_rpc_msgbuf_free(&b);
}

static void split_other_fields_and_errors(void **state)
{
    (void)state;
    a0ipc_rpc_msgbuf b;
    a0ipc_rpc_msgbuf_init(&b);
    /* A WriteRequest carrying a header (a message field) split on its data field (2): the
     * header is decoded, nothing is left in place. */
    A0__Runtime__V1__WriteHeader h = A0__RUNTIME__V1__WRITE_HEADER__INIT;
    h.path = "dir/file.txt";
    h.mode = 0640;
    A0__Runtime__V1__WriteRequest w = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
    w.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER;
    w.header = &h;
    uint8_t wire[256];
    size_t n = a0__runtime__v1__write_request__pack(&w, wire);
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)wire, n);
    size_t len;
    const A0__Runtime__V1__WriteRequest *got =
        (const A0__Runtime__V1__WriteRequest *)a0ipc_rpc_msgbuf_unpack_split(
            &b, &a0__runtime__v1__write_request__descriptor, grpc_raw_byte_buffer_create(&s, 1), 2,
            &len);
    grpc_slice_unref(s);
    assert_non_null(got);
    assert_int_equal(got->content_case, A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER);
    assert_string_equal(got->header->path, "dir/file.txt");
    assert_int_equal(got->header->mode, 0640);
    assert_int_equal(b.n_pieces, 0);
    assert_int_equal(len, n);

    /* The field twice: the last one wins, as in any protobuf decoder. */
    static const char twice[] = {0x0a, 2, 'a', 'b', 0x10, 3, 0x0a, 1, 'c'};
    s = grpc_slice_from_copied_buffer(twice, sizeof twice);
    const A0__Runtime__V1__ReadResponse *r =
        (const A0__Runtime__V1__ReadResponse *)a0ipc_rpc_msgbuf_unpack_split(
            &b, &a0__runtime__v1__read_response__descriptor, grpc_raw_byte_buffer_create(&s, 1), 1,
            &len);
    grpc_slice_unref(s);
    assert_non_null(r);
    assert_int_equal(r->offset, 3);
    assert_int_equal(b.n_pieces, 1);
    assert_int_equal(b.pieces[0].len, 1);
    assert_int_equal(b.pieces[0].data[0], 'c');

    /* Truncated: a length past the end, a varint cut short, a group. */
    static const char *bad[] = {"\x0a\x7f"
                                "x",
                                "\x10\xff", "\x0b"};
    static const size_t bad_len[] = {3, 2, 1};
    for (size_t i = 0; i < 3; i++) {
        s = grpc_slice_from_copied_buffer(bad[i], bad_len[i]);
        assert_null(a0ipc_rpc_msgbuf_unpack_split(&b, &a0__runtime__v1__read_response__descriptor,
                                                  grpc_raw_byte_buffer_create(&s, 1), 1, &len));
        grpc_slice_unref(s);
        assert_int_equal(b.n_pieces, 0);
    }
    a0ipc_rpc_msgbuf_free(&b);
}

int main(void)
{
    grpc_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_slice_and_many),
        cmocka_unit_test(memory_is_reused),
        cmocka_unit_test(invalid_and_empty),
        cmocka_unit_test(split_in_place),
        cmocka_unit_test(split_other_fields_and_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    grpc_shutdown_blocking();
    return rc;
}
