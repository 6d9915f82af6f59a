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
#include <unistd.h>
#include <stdio.h>

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

#ifndef UNDER_ASAN
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}
#endif

/* The daemon's trimmer gives back memory freed inside the heap (which glibc keeps) within a
 * second after a large call ended, and does nothing for small ones. */
static void test_trimmer_gives_memory_back(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip(); /* ASan's allocator does not trim */
#else
    assert_int_equal(a0ipc_heap_trimmer_start(), 0);
    enum { N = 1024, SIZE = 64 << 10 }; /* 64 MiB in blocks below the mmap threshold */
    void **v = malloc(N * sizeof *v);
    for (int i = 0; i < N; i++)
        v[i] = touched(SIZE);
    void *top = touched(SIZE); /* keeps the freed blocks below the heap's top: no auto-trim */
    for (int i = 0; i < N; i++)
        free(v[i]);
    long held = rss_kb();
    a0ipc_heap_call_done(1024); /* small: nothing happens */
    usleep(1200 * 1000);
    assert_true(rss_kb() > held - 16 * 1024);
    a0ipc_heap_call_done(64ull << 20);
    usleep(1200 * 1000);
    long after = rss_kb();
    assert_true(after < held - 48 * 1024); /* most of the 64 MiB went back */
    free(top);
    free(v);
    a0ipc_heap_trimmer_stop();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_stay_on_the_heap),
        cmocka_unit_test(test_trimmer_gives_memory_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
