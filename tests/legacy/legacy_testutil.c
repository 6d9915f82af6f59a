#include "legacy_testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define FIXTURE_MTIME 1700000000

const char *lt_legacy_fixtures_dir(void)
{
    return LT_LEGACY_FIXTURES;
}

char *lt_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

a0ipc_json *lt_load_golden(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", lt_legacy_fixtures_dir(), name);
    size_t len;
    char *text = lt_read_file(path, &len);
    if (!text)
        fail_msg("legacy golden data missing: cannot read %s (%s). It is part of the "
                 "repository (tests/fixtures/legacy); -DA0IPC_FIXTURES=<dir> points elsewhere.",
                 path, strerror(errno));
    a0ipc_json *v = NULL;
    a0ipc_status st = A0IPC_STATUS_INIT;
    if (a0ipc_json_parse(text, len, &v, &st) != A0IPC_OK)
        fail_msg("%s: %s", path, a0ipc_status_message(&st));
    free(text);
    return v;
}

char *lt_mkdtemp(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char *path = NULL;
    assert_true(asprintf(&path, "%s/a0ipc-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag) > 0);
    assert_non_null(mkdtemp(path));
    return path;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void lt_rm_rf(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *root, const char *rel, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail_msg("create %s: %s", path, strerror(errno));
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void make_dir(const char *root, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    if (mkdir(path, 0755) != 0)
        fail_msg("mkdir %s: %s", path, strerror(errno));
}

void lt_build_fixture(const char *root)
{
    uint8_t bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (uint8_t)i;
    char two[400];
    for (int i = 0; i < 100; i++)
        memcpy(two + 4 * i, "two\n", 4);
    write_file(root, "a.txt", "hello\n", 6);
    write_file(root, "B.md", "# title\n", 8);
    write_file(root, ".hidden", "secret\n", 7);
    write_file(root, "bin.dat", bin, sizeof bin);
    write_file(root, "empty", "", 0);
    make_dir(root, "emptydir");
    make_dir(root, "sub");
    write_file(root, "sub/one.txt", "one\n", 4);
    make_dir(root, "sub/deeper");
    write_file(root, "sub/deeper/two.txt", two, sizeof two);
    make_dir(root, "Zeta");
    write_file(root, "Zeta/z.txt", "z", 1);
    write_file(root, "utf8-\xc3\xa9t\xc3\xa9.txt", "caf\xc3\xa9 \xe2\x98\x95\n", 10);
    lt_reset_mtimes(root);
}

static int set_mtime(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    struct timespec ts[2] = {{FIXTURE_MTIME, 0}, {FIXTURE_MTIME, 0}};
    utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

void lt_reset_mtimes(const char *root)
{
    /* Depth first, so a directory's mtime is set after its entries are touched. */
    assert_int_equal(nftw(root, set_mtime, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void subst_into(a0ipc_jbuf *b, const char *s, size_t len, const char *root)
{
    static const char token[] = "$ROOT";
    size_t i = 0;
    while (i < len) {
        const char *hit = memmem(s + i, len - i, token, sizeof token - 1);
        size_t upto = hit ? (size_t)(hit - s) : len;
        a0ipc_jbuf_add(b, s + i, upto - i);
        if (!hit)
            break;
        a0ipc_jbuf_add(b, root, strlen(root));
        i = upto + sizeof token - 1;
    }
    a0ipc_jbuf_add(b, "", 0);
}

a0ipc_json *lt_subst_root(const a0ipc_json *v, const char *root)
{
    a0ipc_json *c = NULL;
    switch (v->type) {
    case A0IPC_JSON_STRING: {
        a0ipc_jbuf b = {0};
        subst_into(&b, v->u.s.p, v->u.s.len, root);
        assert_false(b.oom);
        c = a0ipc_json_string_len(b.p, b.len);
        a0ipc_jbuf_free(&b);
        break;
    }
    case A0IPC_JSON_ARRAY:
        c = a0ipc_json_array();
        for (size_t i = 0; i < v->u.arr.n; i++)
            assert_int_equal(a0ipc_json_array_add(c, lt_subst_root(v->u.arr.items[i], root)), 0);
        break;
    case A0IPC_JSON_OBJECT:
        c = a0ipc_json_object();
        for (size_t i = 0; i < v->u.obj.n; i++)
            assert_int_equal(a0ipc_json_object_add(c, v->u.obj.members[i].key,
                                                   lt_subst_root(v->u.obj.members[i].value, root)),
                             0);
        break;
    default:
        c = a0ipc_json_copy(v);
    }
    assert_non_null(c);
    return c;
}

void lt_server_start(lt_server *s, const char *password)
{
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Dies with the test, also when a failed assertion skipped lt_server_stop. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(out[1], STDOUT_FILENO);
        if (password)
            setenv("RFC_PASSWORD", password, 1);
        else
            unsetenv("RFC_PASSWORD");
        execl(LT_PYTHON3, LT_PYTHON3, LT_REFERENCE_SERVER, "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    /* The server prints its port once it listens: "port <n>\n". */
    char line[64];
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(out[0], line + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(out[0]);
    s->pid = pid;
    s->port = 0;
    if (sscanf(line, "port %d", &s->port) != 1 || s->port <= 0) {
        lt_server_stop(s);
        fail_msg("reference server (%s %s) did not start: \"%s\"", LT_PYTHON3, LT_REFERENCE_SERVER,
                 line);
    }
}

void lt_server_stop(lt_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    int status;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    s->pid = 0;
}
