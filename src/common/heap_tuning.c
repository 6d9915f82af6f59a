#include "common/heap_tuning.h"

#include <stdlib.h> /* defines __GLIBC__ on glibc */
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* 32 MiB (glibc's own upper bound for the moving threshold): above the core's socket read
 * buffers (up to 4 MiB each, GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE) and a0ipc's messages (1 MiB of
 * data plus framing), so they come from the heap and are reused instead of being mapped fresh,
 * and every page faulted in, per read. Setting the threshold also fixes it: glibc otherwise
 * raises it on the first free of a mapped block and moves between the two regimes.
 * Up to 64 MiB of free heap top may stay mapped: a transfer's working set is a few buffers
 * (the 4 MiB HTTP/2 window), so this bounds what is kept rather than adding to it. */
enum { MMAP_THRESHOLD = 32 << 20, TRIM_THRESHOLD = 64 << 20 };

void a0ipc_heap_tune_for_streams(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
#endif
}
