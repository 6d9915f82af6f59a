/* The server's memory does not grow with file size: a 1 GiB upload and a 1 GiB download through
 * the Files service, with the server in its own process (tests/support/files_server.c), keep
 * its peak RSS within 64 MiB of what it used before (issue 3). Checks content at both ends. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "a0/runtime/v1/files.a0ipc.h"
#include "common/log.h"
#include "files_testutil.h"
#include "rpc/core.h"

#define CHUNK        (1u << 20)
#define TOTAL_CHUNKS 1024 /* 1 GiB */
#define MAX_GROWTH   (64ll << 20)

/* kB of "VmRSS:" or "VmHWM:" in /proc/<pid>/status; -1 when unreadable. */
static long long proc_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            kb = atoll(line + strlen(key));
    if (f)
        fclose(f);
    return kb;
}

/* The bytes of chunk i: different in every chunk, so a misplaced chunk is noticed. */
static void fill(uint8_t *buf, unsigned i)
{
    uint64_t x = 0x9E3779B97F4A7C15ull * (i + 1);
    for (size_t k = 0; k < CHUNK; k += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + k, &x, 8);
    }
}

static void test_one_gib_each_way(void **state)
{
    char *base = tu_mkdtemp("files-mem");
    char *root = tu_path(base, "root");
    tu_mkdir(base, "root");
    char target[256], ready[256];
    snprintf(target, sizeof target, "unix:%s/s.sock", base);
    snprintf(ready, sizeof ready, "%s/ready", base);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test, also when an assertion failed */
        if (getppid() != parent)
            _exit(127);
#ifdef __SANITIZE_ADDRESS__
        /* ASan keeps freed memory in quarantine (256 MiB), which is RSS that says nothing about
         * the server; without it the bound holds under ASan too. */
        const char *prev = getenv("ASAN_OPTIONS");
        char opts[512];
        snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0", prev ? prev : "",
                 prev && *prev ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
#endif
        execl(A0IPC_FILES_SERVER, A0IPC_FILES_SERVER, target, root, ready, (char *)NULL);
        _exit(127);
    }
    assert_true(pid > 0);
    for (int i = 0; i < 1000 && access(ready, F_OK) != 0; i++)
        usleep(10000);
    assert_int_equal(access(ready, F_OK), 0);

    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_rpc_channel *ch = a0ipc_rpc_channel_new(target, NULL, &st);
    assert_non_null(ch);
    const a0ipc_rpc_call_options o = {.timeout_ms = 600000};
    uint8_t *buf = malloc(CHUNK);

    /* Warm up (connection, worker thread, allocator arenas), then take the baseline. */
    tu_write(root, "warm.bin", "warm", (size_t)-1);
    A0__Runtime__V1__ReadRequest rreq = A0__RUNTIME__V1__READ_REQUEST__INIT;
    rreq.path = "warm.bin";
    a0ipc_rpc_stream *s = a0_runtime_v1_files_read_open(ch, &o, &rreq, &st);
    A0__Runtime__V1__ReadResponse *rm;
    while (a0_runtime_v1_files_read_read(s, &rm) == 1)
        protobuf_c_message_free_unpacked(&rm->base, NULL);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
    long long base_kb = proc_kb(pid, "VmRSS:");
    assert_true(base_kb > 0);

    /* Upload. */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    s = a0_runtime_v1_files_write_open(ch, &o, &st);
    assert_non_null(s);
    A0__Runtime__V1__WriteHeader h = A0__RUNTIME__V1__WRITE_HEADER__INIT;
    h.path = "big.bin";
    h.size_check_case = A0__RUNTIME__V1__WRITE_HEADER__SIZE_CHECK_EXPECTED_SIZE;
    h.expected_size = (uint64_t)CHUNK * TOTAL_CHUNKS;
    A0__Runtime__V1__WriteRequest m = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
    m.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_HEADER;
    m.header = &h;
    assert_int_equal(a0_runtime_v1_files_write_write(s, &m), 0);
    for (unsigned i = 0; i < TOTAL_CHUNKS; i++) {
        fill(buf, i);
        EVP_DigestUpdate(md, buf, CHUNK);
        A0__Runtime__V1__WriteRequest d = A0__RUNTIME__V1__WRITE_REQUEST__INIT;
        d.content_case = A0__RUNTIME__V1__WRITE_REQUEST__CONTENT_DATA;
        d.data.data = buf;
        d.data.len = CHUNK;
        assert_int_equal(a0_runtime_v1_files_write_write(s, &d), 0);
    }
    uint8_t want[32];
    unsigned wl = 0;
    EVP_DigestFinal_ex(md, want, &wl);
    EVP_MD_CTX_free(md);
    a0ipc_rpc_stream_close_send(s);
    A0__Runtime__V1__WriteResponse *wr = NULL;
    assert_int_equal(a0_runtime_v1_files_write_read(s, &wr), 1);
    assert_int_equal(wr->bytes_written, (uint64_t)CHUNK * TOTAL_CHUNKS);
    assert_memory_equal(wr->sha256.data, want, 32);
    protobuf_c_message_free_unpacked(&wr->base, NULL);
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
    long long after_up_kb = proc_kb(pid, "VmHWM:");

    /* Download, checking every chunk. */
    rreq.path = "big.bin";
    s = a0_runtime_v1_files_read_open(ch, &o, &rreq, &st);
    uint64_t at = 0;
    unsigned chunk = 0;
    uint8_t *expect = malloc(CHUNK);
    fill(expect, 0);
    while (a0_runtime_v1_files_read_read(s, &rm) == 1) {
        for (size_t k = 0; k < rm->data.len;) {
            size_t in_chunk = (size_t)(at % CHUNK);
            size_t n = rm->data.len - k < CHUNK - in_chunk ? rm->data.len - k : CHUNK - in_chunk;
            if (memcmp(rm->data.data + k, expect + in_chunk, n) != 0)
                fail_msg("content differs near byte %llu", (unsigned long long)at);
            at += n;
            k += n;
            if (at % CHUNK == 0)
                fill(expect, ++chunk);
        }
        protobuf_c_message_free_unpacked(&rm->base, NULL);
    }
    assert_int_equal(a0ipc_rpc_stream_finish(s, &st), A0IPC_OK);
    a0ipc_rpc_stream_free(s);
    assert_int_equal(at, (uint64_t)CHUNK * TOTAL_CHUNKS);
    long long after_down_kb = proc_kb(pid, "VmHWM:");

    fprintf(stderr,
            "server RSS: %lld MiB before, peak %lld MiB after upload, %lld MiB after "
            "download\n",
            base_kb >> 10, after_up_kb >> 10, after_down_kb >> 10);
    assert_true((after_up_kb - base_kb) * 1024 < MAX_GROWTH);
    assert_true((after_down_kb - base_kb) * 1024 < MAX_GROWTH);

    a0ipc_rpc_channel_free(ch);
    kill(pid, SIGTERM);
    int ws = 0;
    waitpid(pid, &ws, 0);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    free(expect);
    free(buf);
    tu_rmrf(base);
    free(root);
    free(base);
}

int main(void)
{
    a0ipc_log_set_level(A0IPC_LOG_WARN);
    a0ipc_rpc_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_one_gib_each_way)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    a0ipc_rpc_shutdown();
    return failed;
}
