/* Watch: events decoded to root-relative paths, recursive watches that follow new, renamed and
 * departed directories, and the end of a watch whose directory goes away.
 *
 * inotify queues an event before the system call that caused it returns, so every test drains
 * the watch right after acting, without waiting: nothing here depends on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_testutil.h"
#include "services/files_fs.h"

typedef struct fixture {
    char *dir;
    a0ipc_files_root *root;
    a0ipc_status st;
    char log[65536]; /* drained events, one "TYPE path[ <- old][ /]" per line */
    int overflows;   /* OVERFLOW events drained (the log may be cut short) */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("watch");
    tu_write(f->dir, "w/existing.txt", "x", (size_t)-1);
    tu_mkdir(f->dir, "w/sub");
    tu_mkdir(f->dir, "elsewhere");
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

static const char *type_name(a0ipc_files_event_type t)
{
    switch (t) {
    case A0IPC_FILES_EVENT_CREATE:
        return "CREATE";
    case A0IPC_FILES_EVENT_MODIFY:
        return "MODIFY";
    case A0IPC_FILES_EVENT_REMOVE:
        return "REMOVE";
    case A0IPC_FILES_EVENT_RENAME:
        return "RENAME";
    case A0IPC_FILES_EVENT_OVERFLOW:
        return "OVERFLOW";
    }
    return "?";
}

/* Takes every event that is ready into f->log; returns how many. */
static int drain(fixture *f, a0ipc_files_watch *w)
{
    f->log[0] = '\0';
    f->overflows = 0;
    size_t at = 0;
    int n = 0;
    a0ipc_files_event ev;
    int rc;
    while ((rc = a0ipc_files_watch_next(w, &ev, &f->st)) == 1) {
        if (at < sizeof f->log - 600)
            at += (size_t)snprintf(f->log + at, sizeof f->log - at, "%s %s%s%s%s\n",
                                   type_name(ev.type), ev.path ? ev.path : "-",
                                   ev.old_path ? " <- " : "", ev.old_path ? ev.old_path : "",
                                   ev.is_dir ? " /" : "");
        f->overflows += ev.type == A0IPC_FILES_EVENT_OVERFLOW;
        a0ipc_files_event_clear(&ev);
        n++;
    }
    assert_int_equal(rc, 0);
    return n;
}

static a0ipc_files_watch *open_watch(fixture *f, const char *path, bool recursive)
{
    a0ipc_files_watch *w = NULL;
    assert_int_equal(a0ipc_files_watch_open(f->root, path, recursive, &w, &f->st), A0IPC_OK);
    assert_true(a0ipc_files_watch_fd(w) >= 0);
    assert_int_equal(drain(f, w), 0);
    return w;
}

static void mv(fixture *f, const char *from, const char *to)
{
    char *a = tu_path(f->dir, from), *b = tu_path(f->dir, to);
    assert_int_equal(rename(a, b), 0);
    free(a);
    free(b);
}

static void rm(fixture *f, const char *rel)
{
    char *p = tu_path(f->dir, rel);
    assert_int_equal(unlink(p), 0);
    free(p);
}

static void test_flat(void **state)
{
    fixture *f = *state;
    a0ipc_files_watch *w = open_watch(f, "w", false);
    tu_write(f->dir, "w/new.txt", "abc", (size_t)-1);
    drain(f, w);
    assert_string_equal(f->log, "CREATE w/new.txt\nMODIFY w/new.txt\n");
    tu_write(f->dir, "w/new.txt", "abcdef", (size_t)-1); /* truncate + write: one change */
    drain(f, w);
    assert_string_equal(f->log, "MODIFY w/new.txt\n");
    char *p = tu_path(f->dir, "w/new.txt");
    assert_int_equal(chmod(p, 0600), 0);
    free(p);
    drain(f, w);
    assert_string_equal(f->log, "MODIFY w/new.txt\n");
    mv(f, "w/new.txt", "w/renamed.txt");
    drain(f, w);
    assert_string_equal(f->log, "RENAME w/renamed.txt <- w/new.txt\n");
    rm(f, "w/renamed.txt");
    tu_mkdir(f->dir, "w/d");
    drain(f, w);
    assert_string_equal(f->log, "REMOVE w/renamed.txt\nCREATE w/d /\n");
    tu_write(f->dir, "w/sub/deep.txt", "not reported", (size_t)-1); /* not recursive */
    assert_int_equal(drain(f, w), 0);
    mv(f, "w/existing.txt", "elsewhere/gone.txt"); /* out of the watched tree */
    mv(f, "elsewhere/gone.txt", "w/back.txt");     /* and in again */
    drain(f, w);
    assert_string_equal(f->log, "REMOVE w/existing.txt\nCREATE w/back.txt\n");
    assert_false(a0ipc_files_watch_ended(w));
    a0ipc_files_watch_free(w);
}

static void test_recursive_new_dirs(void **state)
{
    fixture *f = *state;
    a0ipc_files_watch *w = open_watch(f, "w", true);
    tu_write(f->dir, "w/sub/deep.txt", "x", (size_t)-1); /* an existing subdirectory */
    drain(f, w);
    assert_string_equal(f->log, "CREATE w/sub/deep.txt\nMODIFY w/sub/deep.txt\n");

    /* A tree made faster than the watch is added: what its scan finds is reported too. */
    tu_write(f->dir, "w/a/b/c/file.txt", "x", (size_t)-1);
    drain(f, w);
    assert_non_null(strstr(f->log, "CREATE w/a /\n"));
    assert_non_null(strstr(f->log, "CREATE w/a/b /\n"));
    assert_non_null(strstr(f->log, "CREATE w/a/b/c /\n"));
    assert_non_null(strstr(f->log, "CREATE w/a/b/c/file.txt\n"));
    /* From now on the new directories are watched. */
    tu_write(f->dir, "w/a/b/c/file.txt", "y", (size_t)-1);
    drain(f, w);
    assert_string_equal(f->log, "MODIFY w/a/b/c/file.txt\n");

    /* Renamed inside the tree: the watches stay, their paths follow. */
    mv(f, "w/a", "w/z");
    drain(f, w);
    assert_string_equal(f->log, "RENAME w/z <- w/a /\n");
    tu_write(f->dir, "w/z/b/c/file.txt", "z", (size_t)-1);
    drain(f, w);
    assert_string_equal(f->log, "MODIFY w/z/b/c/file.txt\n");

    /* Moved out of the tree: reported as removed, and no longer watched. */
    mv(f, "w/z", "elsewhere/z");
    drain(f, w);
    assert_string_equal(f->log, "REMOVE w/z /\n");
    tu_write(f->dir, "elsewhere/z/b/c/file.txt", "unwatched", (size_t)-1);
    assert_int_equal(drain(f, w), 0);

    /* Moved in: created, and watched from now on. */
    mv(f, "elsewhere/z", "w/back");
    drain(f, w);
    assert_non_null(strstr(f->log, "CREATE w/back /\n"));
    tu_write(f->dir, "w/back/b/c/file.txt", "watched", (size_t)-1);
    drain(f, w);
    assert_string_equal(f->log, "MODIFY w/back/b/c/file.txt\n");
    a0ipc_files_watch_free(w);
}

static void test_root_relative_paths(void **state)
{
    fixture *f = *state;
    a0ipc_files_watch *w = open_watch(f, ".", true);
    tu_write(f->dir, "w/sub/x", "1", (size_t)-1);
    drain(f, w);
    assert_string_equal(f->log, "CREATE w/sub/x\nMODIFY w/sub/x\n");
    a0ipc_files_watch_free(w);
}

static void test_watched_dir_goes_away(void **state)
{
    fixture *f = *state;
    a0ipc_files_watch *w = open_watch(f, "w/sub", true);
    char *p = tu_path(f->dir, "w/sub");
    assert_int_equal(rmdir(p), 0);
    free(p);
    drain(f, w);
    assert_string_equal(f->log, "REMOVE w/sub /\n");
    assert_true(a0ipc_files_watch_ended(w));
    a0ipc_files_watch_free(w);

    w = open_watch(f, "w", false);
    mv(f, "w", "elsewhere/w");
    drain(f, w);
    assert_string_equal(f->log, "REMOVE w /\n");
    assert_true(a0ipc_files_watch_ended(w));
    a0ipc_files_watch_free(w);
}

static void test_kernel_overflow(void **state)
{
    fixture *f = *state;
    FILE *q = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    int max = 0;
    if (!q || fscanf(q, "%d", &max) != 1 || max > 100000) {
        if (q)
            fclose(q);
        skip();
    }
    fclose(q);
    a0ipc_files_watch *w = open_watch(f, "elsewhere", false);
    char *d = tu_path(f->dir, "elsewhere");
    int dfd = open(d, O_PATH | O_DIRECTORY);
    for (int i = 0; i < max + 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", i);
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
    }
    close(dfd);
    free(d);
    int n = drain(f, w);
    assert_true(n <= max + 1);
    assert_int_equal(f->overflows, 1);
    a0ipc_files_watch_free(w);
}

static void test_watch_errors(void **state)
{
    fixture *f = *state;
    a0ipc_files_watch *w = NULL;
    assert_int_equal(a0ipc_files_watch_open(f->root, "w/existing.txt", false, &w, &f->st),
                     A0IPC_FAILED_PRECONDITION);
    assert_null(w);
    assert_int_equal(a0ipc_files_watch_open(f->root, "missing", true, &w, &f->st), A0IPC_NOT_FOUND);
    assert_null(w);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_flat),
        T(test_recursive_new_dirs),
        T(test_root_relative_paths),
        T(test_watched_dir_goes_away),
        T(test_kernel_overflow),
        T(test_watch_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
