/* The output ring: absolute offsets across wrap-around, loss accounting, UTF-8 boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "services/term_ring.h"
#include "services/term_utf8.h"

static void test_write_read_in_order(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 16), 0);
    a0ipc_term_ring_write(&r, "hello ", 6);
    a0ipc_term_ring_write(&r, "world", 5);
    uint64_t pos = 0, lost = 99;
    char buf[32];
    size_t n = a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, sizeof buf, &lost);
    assert_int_equal(n, 11);
    assert_int_equal(lost, 0);
    assert_int_equal(pos, 11);
    assert_memory_equal(buf, "hello world", 11);
    /* Nothing more. */
    assert_int_equal(a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, sizeof buf, &lost), 0);
    a0ipc_term_ring_free(&r);
}

static void test_wrap_keeps_offsets(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 10), 0);
    /* Write 0..99 as single digits in chunks of 7: wraps many times. */
    char all[100];
    for (int i = 0; i < 100; i++)
        all[i] = (char)('0' + i % 10);
    for (int i = 0; i < 100; i += 7)
        a0ipc_term_ring_write(&r, all + i, i + 7 <= 100 ? 7 : (size_t)(100 - i));
    assert_int_equal(a0ipc_term_ring_end(&r), 100);
    assert_int_equal(a0ipc_term_ring_start(&r), 90);
    uint64_t pos = 93, lost;
    char buf[16];
    size_t n = a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, sizeof buf, &lost);
    assert_int_equal(n, 7);
    assert_int_equal(lost, 0);
    assert_memory_equal(buf, all + 93, 7);
    a0ipc_term_ring_free(&r);
}

static void test_loss_is_reported(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 8), 0);
    a0ipc_term_ring_write(&r, "abcdefghijklmnop", 16); /* larger than the ring at once */
    assert_int_equal(a0ipc_term_ring_start(&r), 8);
    uint64_t pos = 3, lost;
    char buf[32];
    size_t n = a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, sizeof buf, &lost);
    assert_int_equal(lost, 5); /* bytes 3..7 */
    assert_int_equal(n, 8);
    assert_memory_equal(buf, "ijklmnop", 8);
    /* A zero-size read only reports the loss and moves the position. */
    pos = 0;
    n = a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, 0, &lost);
    assert_int_equal(n, 0);
    assert_int_equal(lost, 8);
    assert_int_equal(pos, 8);
    a0ipc_term_ring_free(&r);
}

static void test_limit_and_max(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 64), 0);
    a0ipc_term_ring_write(&r, "0123456789", 10);
    uint64_t pos = 2, lost;
    char buf[16];
    assert_int_equal(a0ipc_term_ring_read(&r, &pos, 6, buf, sizeof buf, &lost), 4);
    assert_memory_equal(buf, "2345", 4);
    assert_int_equal(a0ipc_term_ring_read(&r, &pos, 100, buf, 3, &lost), 3);
    assert_memory_equal(buf, "678", 3);
    assert_int_equal(pos, 9);
    a0ipc_term_ring_free(&r);
}

static void test_read_never_splits_utf8(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 64), 0);
    const char *s = "ab\xe2\x82\xac"
                    "cd"; /* a, b, EURO SIGN (3 bytes), c, d */
    a0ipc_term_ring_write(&r, s, 7);
    uint64_t pos = 0, lost;
    char buf[8];
    /* max 4 would end inside the euro sign: the read stops before it. */
    assert_int_equal(a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, 4, &lost), 2);
    assert_int_equal(a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, 4, &lost), 4);
    assert_memory_equal(buf,
                        "\xe2\x82\xac"
                        "c",
                        4);
    a0ipc_term_ring_free(&r);
}

static void test_lost_skips_orphaned_continuation(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 4), 0);
    a0ipc_term_ring_write(&r,
                          "x\xe2\x82\xac"
                          "yz",
                          6); /* ring keeps "\x82\xacyz" */
    uint64_t pos = 0, lost;
    char buf[8];
    size_t n = a0ipc_term_ring_read(&r, &pos, UINT64_MAX, buf, sizeof buf, &lost);
    assert_int_equal(lost, 4); /* 2 overwritten + 2 that cannot be decoded without them */
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "yz", 2);
    a0ipc_term_ring_free(&r);
}

static void test_tail(void **state)
{
    (void)state;
    a0ipc_term_ring r;
    assert_int_equal(a0ipc_term_ring_init(&r, 8), 0);
    a0ipc_term_ring_write(&r, "0123456789", 10);
    char buf[8];
    assert_int_equal(a0ipc_term_ring_tail(&r, 0, buf, 3), 3);
    assert_memory_equal(buf, "789", 3);
    assert_int_equal(a0ipc_term_ring_tail(&r, 8, buf, 8), 2);
    assert_memory_equal(buf, "89", 2);
    a0ipc_term_ring_free(&r);
}

static void test_utf8_incomplete_tail(void **state)
{
    (void)state;
    const uint8_t euro[] = {0xE2, 0x82, 0xAC};
    assert_int_equal(a0ipc_utf8_incomplete_tail(euro, 1), 1);
    assert_int_equal(a0ipc_utf8_incomplete_tail(euro, 2), 2);
    assert_int_equal(a0ipc_utf8_incomplete_tail(euro, 3), 0);
    const uint8_t emoji[] = {'a', 0xF0, 0x9F, 0x98};
    assert_int_equal(a0ipc_utf8_incomplete_tail(emoji, 4), 3);
    const uint8_t bad[] = {'a', 0xFF};
    assert_int_equal(a0ipc_utf8_incomplete_tail(bad, 2), 0);
    const uint8_t surrogate[] = {0xED, 0xA0}; /* can never complete */
    assert_int_equal(a0ipc_utf8_incomplete_tail(surrogate, 2), 0);
    const uint8_t cont[] = {0x80, 0x80, 0x80};
    assert_int_equal(a0ipc_utf8_incomplete_tail(cont, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_in_order),
        cmocka_unit_test(test_wrap_keeps_offsets),
        cmocka_unit_test(test_loss_is_reported),
        cmocka_unit_test(test_limit_and_max),
        cmocka_unit_test(test_read_never_splits_utf8),
        cmocka_unit_test(test_lost_skips_orphaned_continuation),
        cmocka_unit_test(test_tail),
        cmocka_unit_test(test_utf8_incomplete_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
