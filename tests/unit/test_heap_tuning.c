/* a0ipc_heap_tune_for_streams: large transfer buffers come from the heap, and the heap keeps
 * them after they are freed (what the CLI relies on for downloads; see docs/files.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "common/heap_tuning.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void *touched(size_t n)
{
    void *p = malloc(n);
    assert_non_null(p);
    memset(p, 1, n);
    return p;
}

static void test_blocks_stay_on_the_heap(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip(); /* ASan's allocator ignores mallopt and reports no mallinfo */
#endif
    /* glibc's default: a 4 MiB block is mapped on its own (and freeing it raises the moving
     * threshold to about 4 MiB, so the check below uses a larger block). */
    struct mallinfo2 a = mallinfo2();
    void *p = touched(4u << 20);
    struct mallinfo2 b = mallinfo2();
    assert_int_equal(b.hblks, a.hblks + 1);
    free(p);

    a0ipc_heap_tune_for_streams();
    a = mallinfo2();
    p = touched(16u << 20);
    b = mallinfo2();
    assert_int_equal(b.hblks, a.hblks); /* from the heap */
    assert_true(b.arena >= a.arena + (16u << 20));
    free(p);
    struct mallinfo2 c = mallinfo2();
    assert_int_equal(c.arena, b.arena); /* and the heap's top is kept, not trimmed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_stay_on_the_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
