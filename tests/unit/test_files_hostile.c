/* Confinement of the Files core: a corpus of hostile paths against every function that takes a
 * path, checking the code, that messages never show the host path, and that nothing outside the
 * root (nor inside it) changed. Then symlinks as the last component, and a symlink swapped back
 * and forth while paths through it are being resolved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files_testutil.h"
#include "services/files_fs.h"

typedef struct fixture {
    char *base;    /* holds root/, outside/ and rootx/ */
    char *rootdir; /* base/root */
    a0ipc_files_root *root;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->base = tu_mkdtemp("hostile");
    f->rootdir = tu_path(f->base, "root");
    tu_hostile_tree(f->base);
    a0ipc_status st = A0IPC_STATUS_INIT;
    assert_int_equal(a0ipc_files_root_open(f->rootdir, &f->root, &st), A0IPC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    a0ipc_files_root_free(f->root);
    tu_rmrf(f->base);
    free(f->rootdir);
    free(f->base);
    free(f);
    return 0;
}

/* ---- every core function that takes a path, as one signature ---- */

typedef a0ipc_code (*op_fn)(fixture *f, const char *path, a0ipc_status *st);

static a0ipc_code op_stat(fixture *f, const char *p, a0ipc_status *st)
{
    a0ipc_files_entry i;
    a0ipc_code c = a0ipc_files_stat(f->root, p, false, &i, st);
    a0ipc_files_entry_clear(&i);
    return c;
}

static a0ipc_code op_stat_follow(fixture *f, const char *p, a0ipc_status *st)
{
    a0ipc_files_entry i;
    a0ipc_code c = a0ipc_files_stat(f->root, p, true, &i, st);
    a0ipc_files_entry_clear(&i);
    return c;
}

static a0ipc_code op_list(fixture *f, const char *p, a0ipc_status *st)
{
    a0ipc_files_list l;
    a0ipc_code c = a0ipc_files_list_dir(f->root, p, 3, true, 0, &l, st);
    a0ipc_files_list_clear(&l);
    return c;
}

static a0ipc_code op_read(fixture *f, const char *p, a0ipc_status *st)
{
    a0ipc_files_reader *rd;
    a0ipc_code c = a0ipc_files_read_open(f->root, p, 0, 0, &rd, NULL, st);
    if (c == A0IPC_OK) {
        char buf[64];
        size_t n;
        while ((c = a0ipc_files_read_next(rd, buf, sizeof buf, &n, NULL, st)) == A0IPC_OK && n)
            ;
        a0ipc_files_read_close(rd);
    }
    return c;
}

static a0ipc_code do_write(fixture *f, const char *p, bool parents, a0ipc_status *st)
{
    a0ipc_files_write_options o = {.create_parents = parents};
    a0ipc_files_writer *w;
    a0ipc_code c = a0ipc_files_write_begin(f->root, p, &o, &w, st);
    if (c)
        return c;
    c = a0ipc_files_write_chunk(w, "EVIL", 4, st);
    if (c) {
        a0ipc_files_write_abort(w);
        return c;
    }
    return a0ipc_files_write_commit(w, NULL, NULL, st);
}

static a0ipc_code op_write(fixture *f, const char *p, a0ipc_status *st)
{
    return do_write(f, p, false, st);
}

static a0ipc_code op_write_parents(fixture *f, const char *p, a0ipc_status *st)
{
    return do_write(f, p, true, st);
}

static a0ipc_code op_remove(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_remove(f->root, p, true, true, A0IPC_FILES_TYPE_UNSPECIFIED, NULL, st);
}

static a0ipc_code op_remove_plain(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_remove(f->root, p, false, false, A0IPC_FILES_TYPE_FILE, NULL, st);
}

static a0ipc_code op_mkdir(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_mkdir(f->root, p, 0, true, true, NULL, st);
}

static a0ipc_code op_mkdir_plain(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_mkdir(f->root, p, 0700, false, false, NULL, st);
}

static a0ipc_code op_move_src(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_move(f->root, p, "moved-here", true, true, NULL, st);
}

static a0ipc_code op_move_dst(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_move(f->root, "victim.txt", p, true, true, NULL, st);
}

static a0ipc_code discard(void *arg, const void *data, size_t len, a0ipc_status *st)
{
    return A0IPC_OK;
}

static a0ipc_code op_archive_zip(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_archive(f->root, p, A0IPC_FILES_ARCHIVE_ZIP, true, discard, NULL, st);
}

static a0ipc_code op_archive_tgz(fixture *f, const char *p, a0ipc_status *st)
{
    return a0ipc_files_archive(f->root, p, A0IPC_FILES_ARCHIVE_TAR_GZ, false, discard, NULL, st);
}

static a0ipc_code op_watch(fixture *f, const char *p, a0ipc_status *st)
{
    a0ipc_files_watch *w;
    a0ipc_code c = a0ipc_files_watch_open(f->root, p, true, &w, st);
    a0ipc_files_watch_free(w);
    return c;
}

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"stat", op_stat},
    {"stat(follow)", op_stat_follow},
    {"list_dir", op_list},
    {"read", op_read},
    {"write", op_write},
    {"write(create_parents)", op_write_parents},
    {"remove(recursive,missing_ok)", op_remove},
    {"remove(type=file)", op_remove_plain},
    {"mkdir(parents,exist_ok)", op_mkdir},
    {"mkdir", op_mkdir_plain},
    {"move(source)", op_move_src},
    {"move(destination)", op_move_dst},
    {"archive(zip)", op_archive_zip},
    {"archive(tar.gz)", op_archive_tgz},
    {"watch", op_watch},
};
#define N_OPS (sizeof ops / sizeof ops[0])

static void test_corpus_size(void **state)
{
    assert_true(tu_corpus_len >= 30);
}

static void test_corpus_against_every_function(void **state)
{
    fixture *f = *state;
    char *outside = tu_path(f->base, "outside");
    char *rootx = tu_path(f->base, "rootx");
    char *before_out = tu_snapshot(outside), *before_x = tu_snapshot(rootx);
    char *before_root = tu_snapshot(f->rootdir);
    int failures = 0;
    for (size_t i = 0; i < tu_corpus_len; i++) {
        char *p = tu_corpus_expand(f->base, tu_corpus[i].path);
        for (size_t k = 0; k < N_OPS; k++) {
            a0ipc_status st = A0IPC_STATUS_INIT;
            a0ipc_code c = ops[k].fn(f, p, &st);
            bool leak = strstr(a0ipc_status_message(&st), f->base) != NULL;
            if (c != tu_corpus[i].code || leak) {
                fprintf(stderr, "FAIL %s(\"%.60s\"): got %s \"%s\", want %s%s\n", ops[k].name,
                        tu_corpus[i].path, a0ipc_code_name(c), a0ipc_status_message(&st),
                        a0ipc_code_name(tu_corpus[i].code),
                        leak ? " (message shows host path)" : "");
                failures++;
            }
            a0ipc_status_clear(&st);
        }
        free(p);
    }
    char *after_out = tu_snapshot(outside), *after_x = tu_snapshot(rootx);
    char *after_root = tu_snapshot(f->rootdir);
    assert_string_equal(before_out, after_out);
    assert_string_equal(before_x, after_x);
    assert_string_equal(before_root, after_root); /* refused calls change nothing at all */
    assert_int_equal(failures, 0);
    free(before_out);
    free(after_out);
    free(before_x);
    free(after_x);
    free(before_root);
    free(after_root);
    free(outside);
    free(rootx);
}

static void test_nul_inside_path(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *p;
        size_t len;
    } nul[] = {{"a\0b", 3}, {"..\0", 3}, {"file.txt\0/../../x", 17}, {"\0", 1}};
    for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        char *rel = NULL;
        assert_int_equal(a0ipc_files_path_parse(f->root, nul[i].p, nul[i].len, &rel, NULL, &st),
                         A0IPC_INVALID_ARGUMENT);
        assert_null(rel);
        a0ipc_status_clear(&st);
    }
}

/* ---- a symlink as the last component: acted on itself, never followed out ---- */

static void test_last_component_symlink(void **state)
{
    fixture *f = *state;
    char *outside = tu_path(f->base, "outside");
    char *before = tu_snapshot(outside);
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_files_entry info;

    assert_int_equal(a0ipc_files_stat(f->root, "link_out", false, &info, &st), A0IPC_OK);
    assert_int_equal(info.type, A0IPC_FILES_TYPE_SYMLINK);
    assert_string_equal(info.symlink_target, "../outside");
    a0ipc_files_entry_clear(&info);
    assert_int_equal(a0ipc_files_stat(f->root, "link_out", true, &info, &st),
                     A0IPC_PERMISSION_DENIED);
    assert_int_equal(op_list(f, "link_out", &st), A0IPC_PERMISSION_DENIED);
    assert_int_equal(op_read(f, "link_file_out", &st), A0IPC_PERMISSION_DENIED);
    assert_int_equal(op_watch(f, "link_out", &st), A0IPC_PERMISSION_DENIED);
    assert_int_equal(op_archive_zip(f, "link_out", &st), A0IPC_PERMISSION_DENIED);
    assert_int_equal(a0ipc_files_mkdir(f->root, "link_out", 0, false, true, NULL, &st),
                     A0IPC_ALREADY_EXISTS);

    /* Write replaces the link itself. */
    assert_int_equal(op_write(f, "link_file_out", &st), A0IPC_OK);
    assert_int_equal(a0ipc_files_stat(f->root, "link_file_out", false, &info, &st), A0IPC_OK);
    assert_int_equal(info.type, A0IPC_FILES_TYPE_FILE);
    a0ipc_files_entry_clear(&info);
    /* Move renames the link itself, remove deletes it. */
    assert_int_equal(a0ipc_files_move(f->root, "chain2", "chain2-moved", false, false, NULL, &st),
                     A0IPC_OK);
    assert_int_equal(a0ipc_files_stat(f->root, "chain2-moved", false, &info, &st), A0IPC_OK);
    assert_int_equal(info.type, A0IPC_FILES_TYPE_SYMLINK);
    a0ipc_files_entry_clear(&info);
    assert_int_equal(a0ipc_files_remove(f->root, "chain2-moved", true, false,
                                        A0IPC_FILES_TYPE_UNSPECIFIED, NULL, &st),
                     A0IPC_OK);
    assert_int_equal(a0ipc_files_remove(f->root, "link_abs", true, false,
                                        A0IPC_FILES_TYPE_UNSPECIFIED, NULL, &st),
                     A0IPC_OK);
    assert_false(tu_exists(f->rootdir, "link_abs"));

    char *after = tu_snapshot(outside);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(outside);
    a0ipc_status_clear(&st);
}

/* ---- a symlink swapped in while the call runs ---- */

typedef struct flipper {
    const char *rootdir;
    atomic_bool stop;
} flipper;

/* Keeps replacing root/flip, atomically, with a link to dir (inside) or to ../outside. */
static void *flip_loop(void *arg)
{
    flipper *fl = arg;
    char *flip = tu_path(fl->rootdir, "flip");
    char *in = tu_path(fl->rootdir, "flip-in"), *out = tu_path(fl->rootdir, "flip-out");
    for (unsigned i = 0; !atomic_load(&fl->stop); i++) {
        unlink(in);
        unlink(out);
        if (symlink("dir", in) != 0 || symlink("../outside", out) != 0)
            break;
        rename(i % 2 ? in : out, flip);
    }
    free(flip);
    free(in);
    free(out);
    return NULL;
}

static void test_symlink_swapped_during_calls(void **state)
{
    fixture *f = *state;
    char *outside = tu_path(f->base, "outside");
    char *before = tu_snapshot(outside);
    tu_symlink("dir", f->rootdir, "flip");
    flipper fl = {f->rootdir, false};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, flip_loop, &fl), 0);
    int inside = 0, refused = 0, other = 0;
    for (int i = 0; i < 3000; i++) {
        a0ipc_status st = A0IPC_STATUS_INIT;
        a0ipc_files_reader *rd;
        a0ipc_code c = a0ipc_files_read_open(f->root, "flip/a.txt", 0, 0, &rd, NULL, &st);
        if (c == A0IPC_OK) {
            char buf[64] = {0};
            size_t n;
            assert_int_equal(a0ipc_files_read_next(rd, buf, sizeof buf - 1, &n, NULL, &st),
                             A0IPC_OK);
            a0ipc_files_read_close(rd);
            assert_string_equal(buf, "inside-a"); /* never SECRET-a */
            inside++;
        } else if (c == A0IPC_PERMISSION_DENIED) {
            refused++;
        } else {
            other++; /* NOT_FOUND while the link is being replaced */
        }
        /* Writes through the link must never land outside. */
        c = do_write(f, "flip/w.txt", false, &st);
        assert_true(c == A0IPC_OK || c == A0IPC_PERMISSION_DENIED || c == A0IPC_NOT_FOUND);
        a0ipc_status_clear(&st);
    }
    atomic_store(&fl.stop, true);
    pthread_join(t, NULL);
    fprintf(stderr, "swap race: %d inside, %d refused, %d other\n", inside, refused, other);
    char *after = tu_snapshot(outside);
    assert_string_equal(before, after);
    assert_false(tu_exists(outside, "w.txt"));
    free(before);
    free(after);
    free(outside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_size),
        cmocka_unit_test_setup_teardown(test_corpus_against_every_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_inside_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_component_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_swapped_during_calls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
