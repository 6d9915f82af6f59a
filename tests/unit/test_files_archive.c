/* Archive: the bytes handed to the sink are a valid ZIP or tar.gz of the tree (read back with
 * libarchive), with relative names, symlinks stored as symlinks, chunks of at most 1 MiB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_testutil.h"
#include "services/files_fs.h"

typedef struct fixture {
    char *base;
    char *dir; /* base/root */
    a0ipc_files_root *root;
    a0ipc_status st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->base = tu_mkdtemp("archive");
    f->dir = tu_path(f->base, "root");
    tu_write(f->base, "outside/secret.txt", "SECRET", (size_t)-1);
    tu_write(f->dir, "a.txt", "hello\n", (size_t)-1);
    tu_write(f->dir, ".hidden", "h", (size_t)-1);
    tu_write(f->dir, "empty", "", 0);
    tu_mkdir(f->dir, "emptydir");
    tu_write(f->dir, "sub/one.txt", "one\n", (size_t)-1);
    tu_write(f->dir, "sub/deeper/two.txt", "two\n", (size_t)-1);
    tu_write(f->dir, "utf8-\xc3\xa9t\xc3\xa9.txt", "caf\xc3\xa9\n", (size_t)-1);
    tu_symlink("../outside", f->dir, "link_out");
    tu_symlink("../outside/secret.txt", f->dir, "sub/secret_link");
    char *fifo = tu_path(f->dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    free(fifo);
    assert_int_equal(a0ipc_files_root_open(f->dir, &f->root, &f->st), A0IPC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    a0ipc_files_root_free(f->root);
    a0ipc_status_clear(&f->st);
    tu_rmrf(f->base);
    free(f->dir);
    free(f->base);
    free(f);
    return 0;
}

/* ---- a sink that keeps everything ---- */

typedef struct collected {
    unsigned char *data;
    size_t len;
    int chunks;
    size_t largest;
    int stop_after; /* refuse the call after this many chunks (0: never) */
} collected;

static a0ipc_code collect(void *arg, const void *data, size_t len, a0ipc_status *st)
{
    collected *c = arg;
    if (c->stop_after && c->chunks >= c->stop_after)
        return a0ipc_status_set(st, A0IPC_CANCELLED, "receiver went away");
    c->data = realloc(c->data, c->len + len);
    memcpy(c->data + c->len, data, len);
    c->len += len;
    c->chunks++;
    if (len > c->largest)
        c->largest = len;
    return A0IPC_OK;
}

/* ---- reading it back ---- */

typedef struct entry {
    char name[512];
    int type; /* AE_IFREG, AE_IFDIR, AE_IFLNK */
    char link[256];
    char *content;
    size_t size;
} entry;

static int read_back(const collected *c, entry *out, int max)
{
    /* Read like a client in a UTF-8 locale would; only this thread, only while reading: the
     * writer under test runs in the process's C locale. */
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    assert_non_null(utf8);
    locale_t saved = uselocale(utf8);
    struct archive *a = archive_read_new();
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    assert_int_equal(archive_read_open_memory(a, c->data, c->len), ARCHIVE_OK);
    struct archive_entry *e;
    int n = 0;
    int rc;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        assert_true(n < max);
        entry *x = &out[n++];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%s", archive_entry_pathname_utf8(e));
        x->type = (int)archive_entry_filetype(e);
        if (x->type == AE_IFLNK)
            snprintf(x->link, sizeof x->link, "%s", archive_entry_symlink_utf8(e));
        x->content = malloc(4u << 20);
        la_ssize_t got;
        while ((got = archive_read_data(a, x->content + x->size, (4u << 20) - x->size)) > 0)
            x->size += (size_t)got;
        assert_true(got == 0);
    }
    assert_int_equal(rc, ARCHIVE_EOF);
    archive_read_free(a);
    uselocale(saved);
    freelocale(utf8);
    return n;
}

static const entry *find(const entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0 ||
            (e[i].type == AE_IFDIR && strncmp(e[i].name, name, strlen(name)) == 0 &&
             strcmp(e[i].name + strlen(name), "/") == 0))
            return &e[i];
    return NULL;
}

static void free_entries(entry *e, int n)
{
    for (int i = 0; i < n; i++)
        free(e[i].content);
}

static void check_tree(const entry *e, int n, const char *prefix)
{
    char name[600];
#define ENTRY(rel) (snprintf(name, sizeof name, "%s%s", prefix, rel), find(e, n, name))
    const entry *x = ENTRY("a.txt");
    assert_non_null(x);
    assert_int_equal(x->type, AE_IFREG);
    assert_int_equal(x->size, 6);
    assert_memory_equal(x->content, "hello\n", 6);
    assert_non_null(x = ENTRY(".hidden"));
    assert_non_null(x = ENTRY("empty"));
    assert_int_equal(x->size, 0);
    assert_non_null(x = ENTRY("emptydir"));
    assert_int_equal(x->type, AE_IFDIR);
    assert_non_null(x = ENTRY("sub/deeper/two.txt"));
    assert_memory_equal(x->content, "two\n", 4);
    assert_non_null(x = ENTRY("utf8-\xc3\xa9t\xc3\xa9.txt"));
    assert_int_equal(x->size, 6);
    /* Links are links: their text is stored, what they point to is not. */
    assert_non_null(x = ENTRY("link_out"));
    assert_int_equal(x->type, AE_IFLNK);
    assert_string_equal(x->link, "../outside");
    assert_non_null(x = ENTRY("sub/secret_link"));
    assert_int_equal(x->type, AE_IFLNK);
    assert_int_equal(x->size, 0);
    assert_null(ENTRY("link_out/secret.txt"));
    assert_null(ENTRY("fifo")); /* special files are left out */
    for (int i = 0; i < n; i++) {
        assert_true(e[i].name[0] != '/');
        assert_null(strstr(e[i].name, ".."));
        if (e[i].size)
            assert_null(memmem(e[i].content, e[i].size, "SECRET", 6));
    }
#undef ENTRY
}

static void test_zip(void **state)
{
    fixture *f = *state;
    collected c = {0};
    assert_int_equal(
        a0ipc_files_archive(f->root, ".", A0IPC_FILES_ARCHIVE_ZIP, false, collect, &c, &f->st),
        A0IPC_OK);
    assert_memory_equal(c.data, "PK\x03\x04", 4);
    entry e[64];
    int n = read_back(&c, e, 64);
    check_tree(e, n, "");
    free_entries(e, n);
    free(c.data);
}

static void test_tar_gz_with_base_name(void **state)
{
    fixture *f = *state;
    collected c = {0};
    assert_int_equal(
        a0ipc_files_archive(f->root, ".", A0IPC_FILES_ARCHIVE_TAR_GZ, true, collect, &c, &f->st),
        A0IPC_OK);
    assert_memory_equal(c.data, "\x1f\x8b", 2);
    entry e[64];
    int n = read_back(&c, e, 64);
    check_tree(e, n, "root/");
    assert_non_null(find(e, n, "root"));
    free_entries(e, n);
    free(c.data);

    /* A subdirectory: names relative to it, or under its own name. */
    memset(&c, 0, sizeof c);
    assert_int_equal(
        a0ipc_files_archive(f->root, "sub", A0IPC_FILES_ARCHIVE_ZIP, true, collect, &c, &f->st),
        A0IPC_OK);
    n = read_back(&c, e, 64);
    assert_non_null(find(e, n, "sub/one.txt"));
    assert_non_null(find(e, n, "sub/deeper/two.txt"));
    assert_null(find(e, n, "a.txt"));
    free_entries(e, n);
    free(c.data);
}

static void test_chunks_and_refusal(void **state)
{
    fixture *f = *state;
    /* 3 MiB that does not compress, so the archive is bigger than two chunks. */
    size_t big = 3u << 20;
    char *noise = malloc(big);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < big; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise[i] = (char)x;
    }
    tu_write(f->dir, "big/noise.bin", noise, big);
    collected c = {0};
    assert_int_equal(
        a0ipc_files_archive(f->root, "big", A0IPC_FILES_ARCHIVE_TAR_GZ, false, collect, &c, &f->st),
        A0IPC_OK);
    assert_true(c.chunks >= 3);
    assert_true(c.largest <= A0IPC_FILES_CHUNK_MAX);
    entry *e = calloc(4, sizeof *e);
    int n = read_back(&c, e, 4);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].size, big);
    assert_memory_equal(e[0].content, noise, big);
    free_entries(e, n);
    free(e);
    free(c.data);

    /* The receiver stops: the archive stops with its code. */
    collected stop = {.stop_after = 1};
    assert_int_equal(
        a0ipc_files_archive(f->root, "big", A0IPC_FILES_ARCHIVE_ZIP, false, collect, &stop, &f->st),
        A0IPC_CANCELLED);
    assert_int_equal(stop.chunks, 1);
    free(stop.data);
    free(noise);
}

static void test_archive_errors(void **state)
{
    fixture *f = *state;
    collected c = {0};
    assert_int_equal(
        a0ipc_files_archive(f->root, "a.txt", A0IPC_FILES_ARCHIVE_ZIP, false, collect, &c, &f->st),
        A0IPC_FAILED_PRECONDITION);
    assert_int_equal(a0ipc_files_archive(f->root, "missing", A0IPC_FILES_ARCHIVE_ZIP, false,
                                         collect, &c, &f->st),
                     A0IPC_NOT_FOUND);
    assert_int_equal(a0ipc_files_archive(f->root, ".", (a0ipc_files_archive_format)7, false,
                                         collect, &c, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    assert_int_equal(c.chunks, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_zip),
        T(test_tar_gz_with_base_name),
        T(test_chunks_and_refusal),
        T(test_archive_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
