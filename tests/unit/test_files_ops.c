/* The Files core's operations one by one: root, path forms, Stat, ListDir, Read, Remove, MakeDir,
 * Move (including the cross-file-system copy), with their error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_testutil.h"
#include "services/files_fs.h"
#include "services/files_internal.h"

typedef struct fixture {
    char *dir; /* the root */
    a0ipc_files_root *root;
    a0ipc_status st;
} fixture;

/* The legacy fixture tree of tests/fixtures/legacy/README.md. */
static void legacy_tree(const char *d)
{
    char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (char)i;
    tu_write(d, "a.txt", "hello\n", (size_t)-1);
    tu_write(d, "B.md", "# title\n", (size_t)-1);
    tu_write(d, ".hidden", "secret\n", (size_t)-1);
    tu_write(d, "bin.dat", bin, sizeof bin);
    tu_write(d, "empty", "", 0);
    tu_mkdir(d, "emptydir");
    tu_write(d, "sub/one.txt", "one\n", (size_t)-1);
    char two[400];
    for (int i = 0; i < 100; i++)
        memcpy(two + 4 * i, "two\n", 4);
    tu_write(d, "sub/deeper/two.txt", two, sizeof two);
    tu_write(d, "Zeta/z.txt", "z", (size_t)-1);
    tu_write(d, "utf8-\xc3\xa9t\xc3\xa9.txt", "caf\xc3\xa9 \xe2\x98\x95\n", (size_t)-1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("ops");
    legacy_tree(f->dir);
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

/* ---- root and paths ---- */

static void test_root_open_errors(void **state)
{
    fixture *f = *state;
    a0ipc_files_root *r = NULL;
    char *missing = tu_path(f->dir, "nope");
    assert_int_equal(a0ipc_files_root_open(missing, &r, &f->st), A0IPC_NOT_FOUND);
    assert_null(r);
    char *file = tu_path(f->dir, "a.txt");
    assert_int_equal(a0ipc_files_root_open(file, &r, &f->st), A0IPC_FAILED_PRECONDITION);
    assert_null(r);
    /* A non-canonical spelling is made canonical. */
    char *odd = NULL;
    assert_true(asprintf(&odd, "%s/sub/../.", f->dir) > 0);
    assert_int_equal(a0ipc_files_root_open(odd, &r, &f->st), A0IPC_OK);
    assert_string_equal(a0ipc_files_root_path(r), f->dir);
    a0ipc_files_root_free(r);
    free(odd);
    free(missing);
    free(file);
}

static void check_parse(fixture *f, const char *in, const char *want_rel, bool want_abs)
{
    char *rel = NULL;
    bool abs = !want_abs;
    assert_int_equal(a0ipc_files_path_parse(f->root, in, strlen(in), &rel, &abs, &f->st), A0IPC_OK);
    assert_string_equal(rel, want_rel);
    assert_int_equal(abs, want_abs);
    free(rel);
}

static void test_path_forms(void **state)
{
    fixture *f = *state;
    check_parse(f, "a.txt", "a.txt", false);
    check_parse(f, "./sub//one.txt", "sub/one.txt", false);
    check_parse(f, "./sub//", "sub", false);
    /* A slash after a file's name is not the file (ENOTDIR), for every operation. */
    char *rel = NULL;
    assert_int_equal(a0ipc_files_path_parse(f->root, "sub/one.txt/", 12, &rel, NULL, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_null(rel);
    assert_int_equal(a0ipc_files_path_parse(f->root, "sub/one.txt/.", 13, &rel, NULL, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    a0ipc_status_clear(&f->st);
    check_parse(f, ".", ".", false);
    check_parse(f, "./", ".", false);
    check_parse(f, "sub/../a.txt", "sub/../a.txt", false);
    char *p = NULL;
    assert_true(asprintf(&p, "%s/sub/one.txt", f->dir) > 0);
    check_parse(f, p, "sub/one.txt", true);
    free(p);
    assert_true(asprintf(&p, "/%s//./", f->dir) > 0);
    check_parse(f, p, ".", true);
    free(p);

    char *d = a0ipc_files_display_path(f->root, "sub/one.txt", true);
    assert_true(asprintf(&p, "%s/sub/one.txt", f->dir) > 0);
    assert_string_equal(d, p);
    free(d);
    free(p);
    d = a0ipc_files_display_path(f->root, ".", true);
    assert_string_equal(d, f->dir);
    free(d);
    d = a0ipc_files_display_path(f->root, "x", false);
    assert_string_equal(d, "x");
    free(d);
}

static void test_name_order(void **state)
{
    /* sorted(key=str.lower) as the legacy listing shows it. */
    assert_true(a0ipc_files_name_cmp("a.txt", "B.md") < 0);
    assert_true(a0ipc_files_name_cmp("B.md", "bin.dat") < 0);
    assert_true(a0ipc_files_name_cmp("utf8-\xc3\xa9t\xc3\xa9.txt", "Zeta") < 0);
    assert_true(a0ipc_files_name_cmp(".hidden", "a.txt") < 0);
    assert_true(a0ipc_files_name_cmp("_x", "B") < 0); /* strcmp says "B" < "_x"; lower() not */
    assert_true(a0ipc_files_name_cmp("\xc3\x89", "\xc3\xa9z") < 0); /* É folds to é */
    assert_true(a0ipc_files_name_cmp("A", "a") < 0);                /* ties: exact bytes */
    assert_int_equal(a0ipc_files_name_cmp("same", "same"), 0);
    /* Undecodable bytes sort as U+DC80.., i.e. after BMP letters, before astral code points. */
    assert_true(a0ipc_files_name_cmp("\xff", "\xe4\xb8\x80") > 0);
    assert_true(a0ipc_files_name_cmp("\xff", "\xf0\x9f\x98\x80") < 0);
    assert_true(a0ipc_files_name_cmp("ab", "abc") < 0);
}

/* ---- Stat ---- */

static void test_stat(void **state)
{
    fixture *f = *state;
    a0ipc_files_entry i;
    char *p = tu_path(f->dir, "a.txt");
    struct timespec ts[2] = {{1700000000, 5}, {1700000000, 123456789}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(a0ipc_files_stat(f->root, "a.txt", false, &i, &f->st), A0IPC_OK);
    assert_string_equal(i.name, "a.txt");
    assert_string_equal(i.path, "a.txt");
    assert_int_equal(i.type, A0IPC_FILES_TYPE_FILE);
    assert_int_equal(i.size, 6);
    assert_int_equal(i.mode, 0640);
    assert_int_equal(i.mtime_ns, 1700000000123456789LL);
    assert_null(i.symlink_target);
    a0ipc_files_entry_clear(&i);
    free(p);

    assert_int_equal(a0ipc_files_stat(f->root, "sub/deeper", false, &i, &f->st), A0IPC_OK);
    assert_string_equal(i.name, "deeper");
    assert_string_equal(i.path, "sub/deeper");
    assert_int_equal(i.type, A0IPC_FILES_TYPE_DIR);
    a0ipc_files_entry_clear(&i);

    assert_int_equal(a0ipc_files_stat(f->root, ".", false, &i, &f->st), A0IPC_OK);
    assert_string_equal(i.name, ".");
    assert_int_equal(i.type, A0IPC_FILES_TYPE_DIR);
    a0ipc_files_entry_clear(&i);

    tu_symlink("sub/one.txt", f->dir, "ln");
    assert_int_equal(a0ipc_files_stat(f->root, "ln", false, &i, &f->st), A0IPC_OK);
    assert_int_equal(i.type, A0IPC_FILES_TYPE_SYMLINK);
    assert_string_equal(i.symlink_target, "sub/one.txt");
    assert_int_equal(i.size, strlen("sub/one.txt"));
    a0ipc_files_entry_clear(&i);
    assert_int_equal(a0ipc_files_stat(f->root, "ln", true, &i, &f->st), A0IPC_OK);
    assert_int_equal(i.type, A0IPC_FILES_TYPE_FILE);
    assert_int_equal(i.size, 4);
    assert_string_equal(i.name, "ln");
    a0ipc_files_entry_clear(&i);

    char *fifo = tu_path(f->dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    free(fifo);
    assert_int_equal(a0ipc_files_stat(f->root, "fifo", false, &i, &f->st), A0IPC_OK);
    assert_int_equal(i.type, A0IPC_FILES_TYPE_OTHER);
    a0ipc_files_entry_clear(&i);

    assert_int_equal(a0ipc_files_stat(f->root, "missing", false, &i, &f->st), A0IPC_NOT_FOUND);
    assert_string_equal(a0ipc_status_message(&f->st), "stat missing: No such file or directory");
    assert_int_equal(a0ipc_files_stat(f->root, "a.txt/x", false, &i, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_int_equal(a0ipc_files_stat(f->root, "nodir/x", false, &i, &f->st), A0IPC_NOT_FOUND);
    tu_symlink("nowhere", f->dir, "dangling");
    assert_int_equal(a0ipc_files_stat(f->root, "dangling", true, &i, &f->st), A0IPC_NOT_FOUND);
}

/* ---- ListDir ---- */

static void check_names(const a0ipc_files_list *l, const char *const *want, size_t n)
{
    for (size_t i = 0; i < l->n && i < n; i++)
        if (strcmp(l->entries[i].path, want[i]) != 0)
            fail_msg("entry %zu: got %s, want %s", i, l->entries[i].path, want[i]);
    assert_int_equal(l->n, n);
}

static void test_list_legacy_order(void **state)
{
    fixture *f = *state;
    a0ipc_files_list l;
    static const char *const top[] = {
        "a.txt", "B.md", "bin.dat", "empty", "emptydir", "sub", "utf8-\xc3\xa9t\xc3\xa9.txt",
        "Zeta"};
    assert_int_equal(a0ipc_files_list_dir(f->root, ".", 0, false, 0, &l, &f->st), A0IPC_OK);
    check_names(&l, top, 8);
    assert_false(l.truncated);
    assert_int_equal(l.entries[0].size, 6);
    assert_int_equal(l.entries[4].type, A0IPC_FILES_TYPE_DIR);
    assert_int_equal(l.entries[3].size, 0);
    a0ipc_files_list_clear(&l);

    assert_int_equal(a0ipc_files_list_dir(f->root, ".", 1, true, 0, &l, &f->st), A0IPC_OK);
    assert_int_equal(l.n, 9);
    assert_string_equal(l.entries[0].name, ".hidden");
    a0ipc_files_list_clear(&l);

    static const char *const sub[] = {"sub/deeper", "sub/one.txt"};
    assert_int_equal(a0ipc_files_list_dir(f->root, "sub", 1, false, 0, &l, &f->st), A0IPC_OK);
    check_names(&l, sub, 2);
    assert_string_equal(l.entries[1].name, "one.txt");
    a0ipc_files_list_clear(&l);
}

static void test_list_depth_and_limits(void **state)
{
    fixture *f = *state;
    a0ipc_files_list l;
    static const char *const deep[] = {"sub/deeper", "sub/deeper/two.txt", "sub/one.txt"};
    assert_int_equal(a0ipc_files_list_dir(f->root, "sub", 2, false, 0, &l, &f->st), A0IPC_OK);
    check_names(&l, deep, 3);
    a0ipc_files_list_clear(&l);

    assert_int_equal(a0ipc_files_list_dir(f->root, ".", 5, false, 4, &l, &f->st), A0IPC_OK);
    assert_int_equal(l.n, 4);
    assert_true(l.truncated);
    a0ipc_files_list_clear(&l);

    /* Hidden directories are not descended into; symlinked directories are listed only. */
    tu_write(f->dir, ".hid/inner", "x", (size_t)-1);
    tu_symlink("sub", f->dir, "sublink");
    assert_int_equal(a0ipc_files_list_dir(f->root, ".", 9, false, 0, &l, &f->st), A0IPC_OK);
    for (size_t i = 0; i < l.n; i++) {
        assert_null(strstr(l.entries[i].path, ".hid"));
        assert_null(strstr(l.entries[i].path, "sublink/"));
    }
    a0ipc_files_list_clear(&l);

    /* A symlink to a directory inside the root, as the path itself, is followed. */
    assert_int_equal(a0ipc_files_list_dir(f->root, "sublink", 1, false, 0, &l, &f->st), A0IPC_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.entries[1].path, "sublink/one.txt");
    a0ipc_files_list_clear(&l);
}

static void test_list_errors(void **state)
{
    fixture *f = *state;
    a0ipc_files_list l;
    assert_int_equal(a0ipc_files_list_dir(f->root, "missing", 1, false, 0, &l, &f->st),
                     A0IPC_NOT_FOUND);
    assert_int_equal(l.n, 0);
    assert_int_equal(a0ipc_files_list_dir(f->root, "a.txt", 1, false, 0, &l, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_string_equal(a0ipc_status_message(&f->st), "list a.txt: Not a directory");
}

/* ---- Read ---- */

static char *read_all(fixture *f, const char *path, uint64_t off, uint64_t len, size_t chunk,
                      size_t *total, int *calls, a0ipc_code *code)
{
    a0ipc_files_reader *rd;
    uint64_t size = 0;
    *code = a0ipc_files_read_open(f->root, path, off, len, &rd, &size, &f->st);
    if (*code)
        return NULL;
    char *out = malloc(1024 * 1024), *buf = malloc(chunk);
    size_t n, at = 0;
    uint64_t pos;
    *calls = 0;
    while ((*code = a0ipc_files_read_next(rd, buf, chunk, &n, &pos, &f->st)) == A0IPC_OK && n) {
        assert_int_equal(pos, off + at);
        memcpy(out + at, buf, n);
        at += n;
        (*calls)++;
    }
    a0ipc_files_read_close(rd);
    free(buf);
    *total = at;
    out[at] = '\0';
    return out;
}

static void test_read(void **state)
{
    fixture *f = *state;
    size_t n;
    int calls;
    a0ipc_code c;
    char *s = read_all(f, "a.txt", 0, 0, 4, &n, &calls, &c);
    assert_int_equal(c, A0IPC_OK);
    assert_string_equal(s, "hello\n");
    assert_int_equal(calls, 2); /* 4 + 2: the caller's buffer bounds every chunk */
    free(s);
    s = read_all(f, "a.txt", 1, 3, 64, &n, &calls, &c);
    assert_string_equal(s, "ell");
    free(s);
    s = read_all(f, "a.txt", 6, 0, 64, &n, &calls, &c); /* offset == size: nothing */
    assert_int_equal(c, A0IPC_OK);
    assert_int_equal(n, 0);
    free(s);
    s = read_all(f, "a.txt", 2, UINT64_MAX, 64, &n, &calls, &c); /* no overflow */
    assert_string_equal(s, "llo\n");
    free(s);
    s = read_all(f, "bin.dat", 0, 0, 100, &n, &calls, &c);
    assert_int_equal(n, 256);
    for (int i = 0; i < 256; i++)
        assert_int_equal((unsigned char)s[i], i);
    free(s);
    s = read_all(f, "empty", 0, 0, 64, &n, &calls, &c);
    assert_int_equal(c, A0IPC_OK);
    assert_int_equal(n, 0);
    free(s);

    assert_null(read_all(f, "a.txt", 7, 0, 64, &n, &calls, &c));
    assert_int_equal(c, A0IPC_OUT_OF_RANGE);
    assert_null(read_all(f, "missing.txt", 0, 0, 64, &n, &calls, &c));
    assert_int_equal(c, A0IPC_NOT_FOUND);
    assert_null(read_all(f, "sub", 0, 0, 64, &n, &calls, &c));
    assert_int_equal(c, A0IPC_FAILED_PRECONDITION);
    char *fifo = tu_path(f->dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(read_all(f, "fifo", 0, 0, 64, &n, &calls, &c)); /* refused, and never blocks */
    assert_int_equal(c, A0IPC_FAILED_PRECONDITION);
    free(fifo);
}

/* ---- Remove ---- */

static void test_remove(void **state)
{
    fixture *f = *state;
    bool removed = false;
    assert_int_equal(
        a0ipc_files_remove(f->root, "empty", false, false, A0IPC_FILES_TYPE_FILE, &removed, &f->st),
        A0IPC_OK);
    assert_true(removed);
    assert_false(tu_exists(f->dir, "empty"));
    assert_int_equal(a0ipc_files_remove(f->root, "empty", false, false,
                                        A0IPC_FILES_TYPE_UNSPECIFIED, &removed, &f->st),
                     A0IPC_NOT_FOUND);
    assert_int_equal(a0ipc_files_remove(f->root, "empty", false, true, A0IPC_FILES_TYPE_UNSPECIFIED,
                                        &removed, &f->st),
                     A0IPC_OK);
    assert_false(removed);
    assert_int_equal(a0ipc_files_remove(f->root, "no/such/dir/x", false, true,
                                        A0IPC_FILES_TYPE_UNSPECIFIED, &removed, &f->st),
                     A0IPC_OK);
    /* Type mismatches change nothing. */
    assert_int_equal(
        a0ipc_files_remove(f->root, "sub", true, false, A0IPC_FILES_TYPE_FILE, &removed, &f->st),
        A0IPC_FAILED_PRECONDITION);
    assert_true(tu_exists(f->dir, "sub/one.txt"));
    assert_int_equal(
        a0ipc_files_remove(f->root, "a.txt", true, false, A0IPC_FILES_TYPE_DIR, &removed, &f->st),
        A0IPC_FAILED_PRECONDITION);
    assert_true(tu_exists(f->dir, "a.txt"));
    /* A non-empty directory needs recursive. */
    assert_int_equal(a0ipc_files_remove(f->root, "sub", false, false, A0IPC_FILES_TYPE_UNSPECIFIED,
                                        &removed, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_int_equal(a0ipc_files_remove(f->root, "emptydir", false, false, A0IPC_FILES_TYPE_DIR,
                                        &removed, &f->st),
                     A0IPC_OK);
    /* Recursive removal deletes links inside, never what they point to. */
    tu_write(f->dir, "keep/k.txt", "keep", (size_t)-1);
    tu_symlink("../../keep", f->dir, "sub/deeper/to_keep");
    tu_symlink("../keep/k.txt", f->dir, "sub/to_k");
    assert_int_equal(
        a0ipc_files_remove(f->root, "sub", true, false, A0IPC_FILES_TYPE_DIR, &removed, &f->st),
        A0IPC_OK);
    assert_false(tu_exists(f->dir, "sub"));
    assert_true(tu_exists(f->dir, "keep/k.txt"));
    /* The root and paths ending in ".." are not names. */
    assert_int_equal(a0ipc_files_remove(f->root, ".", true, true, A0IPC_FILES_TYPE_UNSPECIFIED,
                                        &removed, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    assert_int_equal(a0ipc_files_remove(f->root, "Zeta/..", true, true,
                                        A0IPC_FILES_TYPE_UNSPECIFIED, &removed, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    assert_true(tu_exists(f->dir, "Zeta/z.txt"));
    assert_int_equal(a0ipc_files_remove(f->root, "a.txt/x", false, false,
                                        A0IPC_FILES_TYPE_UNSPECIFIED, &removed, &f->st),
                     A0IPC_FAILED_PRECONDITION);
}

/* ---- MakeDir ---- */

static void test_mkdir(void **state)
{
    fixture *f = *state;
    bool created = false;
    mode_t old = umask(077);
    assert_int_equal(a0ipc_files_mkdir(f->root, "m", 0, false, false, &created, &f->st), A0IPC_OK);
    assert_true(created);
    struct stat sb;
    char *p = tu_path(f->dir, "m");
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0755); /* exact, whatever the umask */
    free(p);
    assert_int_equal(a0ipc_files_mkdir(f->root, "m", 0, false, false, &created, &f->st),
                     A0IPC_ALREADY_EXISTS);
    assert_int_equal(a0ipc_files_mkdir(f->root, "m", 0, false, true, &created, &f->st), A0IPC_OK);
    assert_false(created);
    assert_int_equal(a0ipc_files_mkdir(f->root, "a.txt", 0, true, true, &created, &f->st),
                     A0IPC_ALREADY_EXISTS);
    assert_int_equal(a0ipc_files_mkdir(f->root, "x/y/z", 0, false, false, &created, &f->st),
                     A0IPC_NOT_FOUND);
    assert_false(tu_exists(f->dir, "x"));
    assert_int_equal(a0ipc_files_mkdir(f->root, "x/y/z", 0711, true, false, &created, &f->st),
                     A0IPC_OK);
    assert_true(created);
    p = tu_path(f->dir, "x/y");
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0711);
    free(p);
    assert_int_equal(a0ipc_files_mkdir(f->root, "x/y/z", 0, true, true, &created, &f->st),
                     A0IPC_OK);
    assert_false(created);
    /* A file in the way is refused before anything is created. */
    assert_int_equal(a0ipc_files_mkdir(f->root, "a.txt/b/c", 0, true, false, &created, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_int_equal(
        a0ipc_files_mkdir(f->root, "fresh/../a.txt/c", 0, true, false, &created, &f->st),
        A0IPC_INVALID_ARGUMENT);
    assert_false(tu_exists(f->dir, "fresh"));
    assert_int_equal(a0ipc_files_mkdir(f->root, ".", 0, false, true, &created, &f->st), A0IPC_OK);
    assert_int_equal(a0ipc_files_mkdir(f->root, ".", 0, false, false, &created, &f->st),
                     A0IPC_ALREADY_EXISTS);
    assert_int_equal(a0ipc_files_mkdir(f->root, "bad", 01777, false, false, &created, &f->st),
                     A0IPC_INVALID_ARGUMENT);
    /* exist_ok accepts a symlink to a directory inside the root. */
    tu_symlink("Zeta", f->dir, "zl");
    assert_int_equal(a0ipc_files_mkdir(f->root, "zl", 0, false, true, &created, &f->st), A0IPC_OK);
    umask(old);
}

/* ---- Move ---- */

static void test_move(void **state)
{
    fixture *f = *state;
    bool copied = true;
    assert_int_equal(a0ipc_files_move(f->root, "B.md", "moved/B2.md", false, true, &copied, &f->st),
                     A0IPC_OK);
    assert_false(copied);
    char *s = tu_read(f->dir, "moved/B2.md", NULL);
    assert_string_equal(s, "# title\n");
    free(s);
    assert_false(tu_exists(f->dir, "B.md"));

    assert_int_equal(a0ipc_files_move(f->root, "nothere", "x", false, true, &copied, &f->st),
                     A0IPC_NOT_FOUND);
    assert_false(tu_exists(f->dir, "x"));
    assert_int_equal(
        a0ipc_files_move(f->root, "nothere", "newparent/x", true, true, &copied, &f->st),
        A0IPC_NOT_FOUND);
    assert_false(tu_exists(f->dir, "newparent")); /* nothing created for a failed move */
    assert_int_equal(a0ipc_files_move(f->root, "a.txt", "nodir/x", false, false, &copied, &f->st),
                     A0IPC_NOT_FOUND);

    assert_int_equal(a0ipc_files_move(f->root, "a.txt", "bin.dat", false, false, &copied, &f->st),
                     A0IPC_ALREADY_EXISTS);
    assert_true(tu_exists(f->dir, "a.txt"));
    assert_int_equal(a0ipc_files_move(f->root, "a.txt", "bin.dat", true, false, &copied, &f->st),
                     A0IPC_OK);
    s = tu_read(f->dir, "bin.dat", NULL);
    assert_string_equal(s, "hello\n");
    free(s);

    assert_int_equal(a0ipc_files_move(f->root, "sub", "Zeta", true, false, &copied, &f->st),
                     A0IPC_FAILED_PRECONDITION); /* onto a non-empty directory */
    assert_int_equal(a0ipc_files_move(f->root, "sub", "emptydir", true, false, &copied, &f->st),
                     A0IPC_OK);
    assert_true(tu_exists(f->dir, "emptydir/deeper/two.txt"));
    assert_int_equal(
        a0ipc_files_move(f->root, "emptydir", "emptydir/deeper/x", false, false, &copied, &f->st),
        A0IPC_INVALID_ARGUMENT); /* into itself */
    assert_int_equal(a0ipc_files_move(f->root, ".", "x", false, false, &copied, &f->st),
                     A0IPC_INVALID_ARGUMENT);
}

/* The copy path, driven directly: the same tree must arrive with its metadata, the source must
 * go, and a symlink must stay a symlink. */
static void check_copy(fixture *f, int sdir, int ddir)
{
    tu_write(f->dir, "src/tree/f.txt", "file", (size_t)-1);
    tu_write(f->dir, "src/tree/d/g.txt", "deep", (size_t)-1);
    tu_symlink("../../a.txt", f->dir, "src/tree/d/ln");
    tu_symlink("/etc/passwd", f->dir, "src/tree/abs");
    char *p = tu_path(f->dir, "src/tree/f.txt");
    assert_int_equal(chmod(p, 0604), 0);
    struct timespec ts[2] = {{1600000000, 0}, {1600000000, 42}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
    assert_int_equal(a0ipc_files_move_by_copy(sdir, "tree", "src/tree", ddir, "tree2", "dst/tree2",
                                              false, &f->st),
                     A0IPC_OK);
    assert_false(tu_exists(f->dir, "src/tree"));
    char *s = tu_read(f->dir, "dst/tree2/d/g.txt", NULL);
    assert_string_equal(s, "deep");
    free(s);
    a0ipc_files_entry i;
    assert_int_equal(a0ipc_files_stat(f->root, "dst/tree2/f.txt", false, &i, &f->st), A0IPC_OK);
    assert_int_equal(i.mode, 0604);
    assert_int_equal(i.mtime_ns, 1600000000000000042LL);
    a0ipc_files_entry_clear(&i);
    assert_int_equal(a0ipc_files_stat(f->root, "dst/tree2/abs", false, &i, &f->st), A0IPC_OK);
    assert_int_equal(i.type, A0IPC_FILES_TYPE_SYMLINK);
    assert_string_equal(i.symlink_target, "/etc/passwd");
    a0ipc_files_entry_clear(&i);
    assert_int_equal(tu_count_temps(f->dir, "dst"), 0);
}

static void test_move_by_copy(void **state)
{
    fixture *f = *state;
    tu_mkdir(f->dir, "src");
    tu_mkdir(f->dir, "dst");
    char *s = tu_path(f->dir, "src"), *d = tu_path(f->dir, "dst");
    int sdir = open(s, O_PATH | O_DIRECTORY), ddir = open(d, O_PATH | O_DIRECTORY);
    check_copy(f, sdir, ddir);
    /* No overwrite: an existing destination stops it before anything is copied. */
    tu_write(f->dir, "src/one", "1", (size_t)-1);
    tu_write(f->dir, "dst/one", "old", (size_t)-1);
    assert_int_equal(
        a0ipc_files_move_by_copy(sdir, "one", "src/one", ddir, "one", "dst/one", false, &f->st),
        A0IPC_ALREADY_EXISTS);
    assert_true(tu_exists(f->dir, "src/one"));
    assert_int_equal(
        a0ipc_files_move_by_copy(sdir, "one", "src/one", ddir, "one", "dst/one", true, &f->st),
        A0IPC_OK);
    char *c = tu_read(f->dir, "dst/one", NULL);
    assert_string_equal(c, "1");
    free(c);
    /* A special file cannot be copied; nothing is left behind. */
    char *fifo = tu_path(f->dir, "src/fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_not_equal(
        a0ipc_files_move_by_copy(sdir, "fifo", "src/fifo", ddir, "fifo", "dst/fifo", false, &f->st),
        A0IPC_OK);
    assert_true(tu_exists(f->dir, "src/fifo"));
    assert_false(tu_exists(f->dir, "dst/fifo"));
    assert_int_equal(tu_count_temps(f->dir, "dst"), 0);
    close(sdir);
    close(ddir);
    free(fifo);
    free(s);
    free(d);
}

/* A real second file system inside the root, when this process may mount one (root in CI). */
static void test_move_across_mount(void **state)
{
    fixture *f = *state;
    tu_mkdir(f->dir, "mnt");
    char *m = tu_path(f->dir, "mnt");
    if (mount("a0ipc-test", m, "tmpfs", 0, "size=8m") != 0) {
        free(m);
        skip(); /* the copy path itself is covered by test_move_by_copy */
    }
    tu_write(f->dir, "big.txt", "cross", (size_t)-1);
    bool copied = false;
    a0ipc_code c =
        a0ipc_files_move(f->root, "big.txt", "mnt/big.txt", false, false, &copied, &f->st);
    a0ipc_code c2 = a0ipc_files_move(f->root, "Zeta", "mnt/Zeta", false, false, NULL, &f->st);
    char *s = tu_read(f->dir, "mnt/Zeta/z.txt", NULL);
    bool src_gone = !tu_exists(f->dir, "big.txt") && !tu_exists(f->dir, "Zeta");
    umount2(m, MNT_DETACH);
    free(m);
    assert_int_equal(c, A0IPC_OK);
    assert_true(copied);
    assert_int_equal(c2, A0IPC_OK);
    assert_non_null(s);
    assert_string_equal(s, "z");
    assert_true(src_gone);
    free(s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_root_open_errors),
        T(test_path_forms),
        T(test_name_order),
        T(test_stat),
        T(test_list_legacy_order),
        T(test_list_depth_and_limits),
        T(test_list_errors),
        T(test_read),
        T(test_remove),
        T(test_mkdir),
        T(test_move),
        T(test_move_by_copy),
        T(test_move_across_mount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
