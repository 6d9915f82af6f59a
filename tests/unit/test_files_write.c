/* The atomic writer: what becomes visible, when, and that every failure or abort leaves the
 * destination as it was and no temporary file behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_testutil.h"
#include "services/files_fs.h"

static const uint8_t hello_sha[32] = {
    0x58, 0x91, 0xb5, 0xb5, 0x22, 0xd5, 0xdf, 0x08, 0x6d, 0x0f, 0xf0, 0xb1, 0x10, 0xfb, 0xd9, 0xd2,
    0x1b, 0xb4, 0xfc, 0x71, 0x63, 0xaf, 0x34, 0xd0, 0x82, 0x86, 0xa2, 0xe8, 0x46, 0xf6, 0xbe, 0x03};

typedef struct fixture {
    char *dir;
    a0ipc_files_root *root;
    a0ipc_status st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("write");
    tu_write(f->dir, "old.txt", "old content", (size_t)-1);
    char *p = tu_path(f->dir, "old.txt");
    chmod(p, 0600);
    free(p);
    tu_mkdir(f->dir, "d");
    assert_int_equal(a0ipc_files_root_open(f->dir, &f->root, &f->st), A0IPC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    a0ipc_files_root_free(f->root);
    a0ipc_status_clear(&f->st);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static mode_t mode_of(fixture *f, const char *rel)
{
    struct stat sb;
    char *p = tu_path(f->dir, rel);
    assert_int_equal(stat(p, &sb), 0);
    free(p);
    return sb.st_mode & 07777;
}

static void assert_content(fixture *f, const char *rel, const char *want)
{
    char *s = tu_read(f->dir, rel, NULL);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static a0ipc_files_writer *begin(fixture *f, const char *path, const a0ipc_files_write_options *o)
{
    a0ipc_files_writer *w = NULL;
    assert_int_equal(a0ipc_files_write_begin(f->root, path, o, &w, &f->st), A0IPC_OK);
    assert_non_null(w);
    return w;
}

static void test_new_file(void **state)
{
    fixture *f = *state;
    mode_t old = umask(077);
    a0ipc_files_write_options o = {0};
    a0ipc_files_writer *w = begin(f, "new.txt", &o);
    /* Nothing visible until commit, and the partial content is private. */
    assert_false(tu_exists(f->dir, "new.txt"));
    assert_int_equal(tu_count_uploads(f->dir, "."), 1);
    assert_int_equal(a0ipc_files_write_chunk(w, "hel", 3, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_chunk(w, "lo\n", 3, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_chunk(w, "", 0, &f->st), A0IPC_OK);
    uint64_t n = 0;
    uint8_t sha[32];
    assert_int_equal(a0ipc_files_write_commit(w, &n, sha, &f->st), A0IPC_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(sha, hello_sha, 32);
    assert_content(f, "new.txt", "hello\n");
    assert_int_equal(mode_of(f, "new.txt"), 0644); /* the default, whatever the umask */
    assert_int_equal(tu_count_temps(f->dir, "."), 0);
    umask(old);
}

static void test_replace_keeps_mode_or_sets_it(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {0};
    a0ipc_files_writer *w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "new", 3, &f->st), A0IPC_OK);
    assert_content(f, "old.txt", "old content"); /* readers see the old file meanwhile */
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_OK);
    assert_content(f, "old.txt", "new");
    assert_int_equal(mode_of(f, "old.txt"), 0600);

    o.mode = 0751;
    w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_OK);
    assert_content(f, "old.txt", "");
    assert_int_equal(mode_of(f, "old.txt"), 0751);
    assert_int_equal(tu_count_temps(f->dir, "."), 0);
}

static void test_abort_leaves_destination(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {0};
    a0ipc_files_writer *w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "partial", 7, &f->st), A0IPC_OK);
    a0ipc_files_write_abort(w); /* what the handler does when the stream breaks */
    assert_content(f, "old.txt", "old content");
    assert_int_equal(tu_count_temps(f->dir, "."), 0);

    w = begin(f, "d/fresh.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "partial", 7, &f->st), A0IPC_OK);
    a0ipc_files_write_abort(w);
    assert_false(tu_exists(f->dir, "d/fresh.txt"));
    assert_int_equal(tu_count_temps(f->dir, "d"), 0);
    a0ipc_files_write_abort(NULL);
}

/* Sealed (checked and synced) but then given up: still nothing visible, nothing left. */
static void test_seal_then_abort(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {.has_expected_sha256 = true};
    memcpy(o.expected_sha256, hello_sha, 32);
    a0ipc_files_writer *w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "hello\n", 6, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_seal(w, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_seal(w, &f->st), A0IPC_OK); /* idempotent */
    assert_int_equal(a0ipc_files_write_chunk(w, "x", 1, &f->st), A0IPC_FAILED_PRECONDITION);
    assert_content(f, "old.txt", "old content");
    a0ipc_files_write_abort(w);
    assert_content(f, "old.txt", "old content");
    assert_int_equal(tu_count_temps(f->dir, "."), 0);

    /* A seal that fails its checksum leaves the writer to abort. */
    o.expected_sha256[0] ^= 1;
    w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "hello\n", 6, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_seal(w, &f->st), A0IPC_DATA_LOSS);
    a0ipc_files_write_abort(w);
    assert_int_equal(tu_count_temps(f->dir, "."), 0);

    /* Sealed, then committed. */
    o.expected_sha256[0] ^= 1;
    w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "hello\n", 6, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_seal(w, &f->st), A0IPC_OK);
    uint8_t sha[32];
    assert_int_equal(a0ipc_files_write_commit(w, NULL, sha, &f->st), A0IPC_OK);
    assert_memory_equal(sha, hello_sha, 32);
    assert_content(f, "old.txt", "hello\n");
}

static void test_checksum_mismatch(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {.has_expected_sha256 = true};
    memcpy(o.expected_sha256, hello_sha, 32);
    o.expected_sha256[31] ^= 1;
    a0ipc_files_writer *w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "hello\n", 6, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_DATA_LOSS);
    assert_content(f, "old.txt", "old content");
    assert_int_equal(tu_count_temps(f->dir, "."), 0);

    o.expected_sha256[31] ^= 1; /* the right one */
    w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "hello\n", 6, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_OK);
    assert_content(f, "old.txt", "hello\n");
}

static void test_expected_size(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {.has_expected_size = true, .expected_size = 5};
    a0ipc_files_writer *w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "abc", 3, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_FAILED_PRECONDITION);
    assert_content(f, "old.txt", "old content");

    w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "abc", 3, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_chunk(w, "def", 3, &f->st), A0IPC_FAILED_PRECONDITION);
    a0ipc_files_write_abort(w);
    assert_content(f, "old.txt", "old content");

    w = begin(f, "old.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "abcde", 5, &f->st), A0IPC_OK);
    uint64_t n = 0;
    assert_int_equal(a0ipc_files_write_commit(w, &n, NULL, &f->st), A0IPC_OK);
    assert_int_equal(n, 5);
    assert_content(f, "old.txt", "abcde");
    struct stat sb;
    char *p = tu_path(f->dir, "old.txt");
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 5); /* the reservation did not outlive the commit */
    free(p);
    assert_int_equal(tu_count_temps(f->dir, "."), 0);
}

static void test_no_replace(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {.no_replace = true};
    a0ipc_files_writer *w = NULL;
    assert_int_equal(a0ipc_files_write_begin(f->root, "old.txt", &o, &w, &f->st),
                     A0IPC_ALREADY_EXISTS);
    assert_null(w);
    /* Created by someone else between begin and commit: the rename refuses, atomically. */
    w = begin(f, "race.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "mine", 4, &f->st), A0IPC_OK);
    tu_write(f->dir, "race.txt", "theirs", (size_t)-1);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_ALREADY_EXISTS);
    assert_content(f, "race.txt", "theirs");
    assert_int_equal(tu_count_temps(f->dir, "."), 0);
}

static void test_write_errors(void **state)
{
    fixture *f = *state;
    a0ipc_files_write_options o = {0};
    a0ipc_files_writer *w = NULL;
    assert_int_equal(a0ipc_files_write_begin(f->root, "d", &o, &w, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_int_equal(a0ipc_files_write_begin(f->root, "missing/x.txt", &o, &w, &f->st),
                     A0IPC_NOT_FOUND);
    assert_int_equal(a0ipc_files_write_begin(f->root, "old.txt/x", &o, &w, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_int_equal(a0ipc_files_write_begin(f->root, "x.txt/", &o, &w, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    assert_int_equal(a0ipc_files_write_begin(f->root, ".", &o, &w, &f->st), A0IPC_INVALID_ARGUMENT);
    o.mode = 04755;
    assert_int_equal(a0ipc_files_write_begin(f->root, "x.txt", &o, &w, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    assert_null(w);
    assert_false(tu_exists(f->dir, "x.txt"));
    assert_false(tu_exists(f->dir, "missing"));

    o.mode = 0;
    o.create_parents = true;
    w = begin(f, "new/dir/w.txt", &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "written\n", 8, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_OK);
    assert_content(f, "new/dir/w.txt", "written\n");
}

static void test_longest_name(void **state)
{
    fixture *f = *state;
    char name[NAME_MAX + 1];
    memset(name, 'n', NAME_MAX);
    name[NAME_MAX] = '\0';
    a0ipc_files_write_options o = {0};
    a0ipc_files_writer *w = begin(f, name, &o);
    assert_int_equal(a0ipc_files_write_chunk(w, "x", 1, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_write_commit(w, NULL, NULL, &f->st), A0IPC_OK);
    assert_content(f, name, "x");
    assert_int_equal(tu_count_temps(f->dir, "."), 0);
}

/* ---- two writers of one path ---- */

#define CONC_CHUNK  (64 * 1024)
#define CONC_CHUNKS 64

typedef struct writer_job {
    fixture *f;
    char fill;
    pthread_barrier_t *barrier;
    a0ipc_code code;
} writer_job;

static void *write_job(void *arg)
{
    writer_job *j = arg;
    char *buf = malloc(CONC_CHUNK);
    memset(buf, j->fill, CONC_CHUNK);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_files_write_options o = {0};
    a0ipc_files_writer *w = NULL;
    j->code = a0ipc_files_write_begin(j->f->root, "d/shared.bin", &o, &w, &st);
    /* Both have begun, and both are halfway, before either goes on: their writes overlap. */
    pthread_barrier_wait(j->barrier);
    for (int i = 0; i < CONC_CHUNKS / 2 && j->code == A0IPC_OK; i++)
        j->code = a0ipc_files_write_chunk(w, buf, CONC_CHUNK, &st);
    pthread_barrier_wait(j->barrier);
    for (int i = CONC_CHUNKS / 2; i < CONC_CHUNKS && j->code == A0IPC_OK; i++)
        j->code = a0ipc_files_write_chunk(w, buf, CONC_CHUNK, &st);
    if (j->code == A0IPC_OK)
        j->code = a0ipc_files_write_commit(w, NULL, NULL, &st);
    else
        a0ipc_files_write_abort(w);
    a0ipc_status_clear(&st);
    free(buf);
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    fixture *f = *state;
    for (int round = 0; round < 8; round++) {
        pthread_barrier_t b;
        pthread_barrier_init(&b, NULL, 2);
        writer_job ja = {f, 'A', &b, A0IPC_UNKNOWN}, jb = {f, 'B', &b, A0IPC_UNKNOWN};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, write_job, &ja);
        pthread_create(&tb, NULL, write_job, &jb);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&b);
        assert_int_equal(ja.code, A0IPC_OK);
        assert_int_equal(jb.code, A0IPC_OK);
        size_t n = 0;
        char *s = tu_read(f->dir, "d/shared.bin", &n);
        assert_int_equal(n, (size_t)CONC_CHUNK * CONC_CHUNKS);
        for (size_t i = 1; i < n; i++)
            if (s[i] != s[0])
                fail_msg("mixed content at byte %zu", i);
        assert_true(s[0] == 'A' || s[0] == 'B');
        free(s);
        assert_int_equal(tu_count_temps(f->dir, "d"), 0);
    }
}

/* A full disk is reported before the upload when the size is announced. */
static void test_expected_size_reserves_space(void **state)
{
    fixture *f = *state;
    tu_mkdir(f->dir, "small");
    char *m = tu_path(f->dir, "small");
    if (mount("a0ipc-test", m, "tmpfs", 0, "size=1m") != 0) {
        free(m);
        skip();
    }
    a0ipc_files_write_options o = {.has_expected_size = true, .expected_size = 64u << 20};
    a0ipc_files_writer *w = NULL;
    a0ipc_code c = a0ipc_files_write_begin(f->root, "small/big.bin", &o, &w, &f->st);
    int temps = tu_count_temps(f->dir, "small");
    bool exists = tu_exists(f->dir, "small/big.bin");
    a0ipc_files_write_abort(w);
    umount2(m, MNT_DETACH);
    free(m);
    assert_int_equal(c, A0IPC_RESOURCE_EXHAUSTED);
    assert_int_equal(temps, 0);
    assert_false(exists);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_new_file),
        T(test_replace_keeps_mode_or_sets_it),
        T(test_abort_leaves_destination),
        T(test_seal_then_abort),
        T(test_checksum_mismatch),
        T(test_expected_size),
        T(test_no_replace),
        T(test_write_errors),
        T(test_longest_name),
        T(test_concurrent_writers),
        T(test_expected_size_reserves_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
