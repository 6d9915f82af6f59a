/* The root and path resolution: how a request path becomes an fd beneath the root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "files_internal.h"

/* The kernel answers EAGAIN when a ".." walk raced with a rename or mount anywhere on the system;
 * a few retries make that invisible to callers without looping forever under a hostile load. */
#define OPENAT2_TRIES 16

int a0ipc_files_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
    struct open_how how = {
        .flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
        .mode = 0,
        .resolve = resolve | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    for (int i = 0; i < OPENAT2_TRIES; i++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
    }
    return -EAGAIN;
}

int a0ipc_files_open_rel(const a0ipc_files_root *r, const char *rel, int flags)
{
    return a0ipc_files_openat2(r->fd, rel, flags, 0);
}

int a0ipc_files_open_subdir(int dirfd, const char *name, int flags)
{
    return a0ipc_files_openat2(dirfd, name, flags | O_DIRECTORY | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
}

a0ipc_code a0ipc_files_fail(a0ipc_status *st, int err, const char *op, const char *rel)
{
    if (err == EXDEV)
        return a0ipc_status_set(st, A0IPC_PERMISSION_DENIED, "%s %s: the path leaves the root", op,
                                rel);
    return a0ipc_status_from_errno(st, err, "%s %s", op, rel);
}

/* ---- the root ---- */

a0ipc_code a0ipc_files_root_open(const char *path, a0ipc_files_root **out, a0ipc_status *st)
{
    *out = NULL;
    char *canon = realpath(path, NULL);
    if (!canon)
        return a0ipc_status_from_errno(st, errno, "root %s", path);
    int fd = open(canon, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        a0ipc_status_from_errno(st, errno, "root %s", canon);
        free(canon);
        return st->code;
    }
    /* Confinement rests on openat2: refuse to serve without it rather than serve unconfined. */
    int probe = a0ipc_files_openat2(fd, ".", O_PATH, 0);
    if (probe < 0) {
        a0ipc_status_set(st, probe == -ENOSYS ? A0IPC_UNIMPLEMENTED : a0ipc_code_from_errno(-probe),
                         "root %s: openat2 is not usable (%s); Linux 5.6 or later is needed", canon,
                         strerror(-probe));
        close(fd);
        free(canon);
        return st->code;
    }
    close(probe);
    a0ipc_files_root *r = malloc(sizeof *r);
    if (!r) {
        close(fd);
        free(canon);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    r->fd = fd;
    r->path = canon;
    *out = r;
    return A0IPC_OK;
}

void a0ipc_files_root_free(a0ipc_files_root *r)
{
    if (!r)
        return;
    close(r->fd);
    free(r->path);
    free(r);
}

const char *a0ipc_files_root_path(const a0ipc_files_root *r)
{
    return r->path;
}

/* ---- parsing ---- */

/* The next "/"-separated component of [*p, end) that is neither empty nor "."; its length in
 * *n. NULL at the end. */
static const char *next_component(const char **p, const char *end, size_t *n)
{
    for (;;) {
        while (*p < end && **p == '/')
            (*p)++;
        if (*p >= end)
            return NULL;
        const char *s = *p;
        while (*p < end && **p != '/')
            (*p)++;
        *n = (size_t)(*p - s);
        if (!(*n == 1 && s[0] == '.'))
            return s;
    }
}

a0ipc_code a0ipc_files_path_parse(const a0ipc_files_root *r, const char *path, size_t len,
                                  char **rel, bool *was_absolute, a0ipc_status *st)
{
    *rel = NULL;
    if (!path || len == 0)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "empty path");
    if (memchr(path, '\0', len))
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "path contains a NUL byte");
    if (len >= PATH_MAX)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "path is longer than %d bytes",
                                PATH_MAX - 1);
    const char *end = path + len, *p = path, *c;
    size_t n;
    while ((c = next_component(&p, end, &n)))
        if (n > NAME_MAX)
            return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                    "path has a component longer than %d bytes", NAME_MAX);

    bool absolute = path[0] == '/';
    p = path;
    if (absolute) {
        /* Compare with the root's path one component at a time: "//srv/./a0/x" is under
         * "/srv/a0", "/srv/a0x" and "/srv/b/../a0" are not (no ".." is resolved here). */
        const char *rp = r->path, *rend = r->path + strlen(r->path);
        const char *rc;
        size_t rn;
        while ((rc = next_component(&rp, rend, &rn))) {
            c = next_component(&p, end, &n);
            if (!c || n != rn || memcmp(c, rc, n) != 0)
                return a0ipc_status_set(st, A0IPC_PERMISSION_DENIED,
                                        "absolute path outside the root");
        }
    }
    /* A ".." that climbs above the root counted on the text alone is refused here, before any
     * call: the kernel would refuse it too, but mkdir -p could have created the directories
     * in front of it by then. (This also refuses "link/../.." that the kernel would allow
     * when link points deeper; such paths have a plain spelling.) */
    const char *q = p;
    long level = 0;
    while ((c = next_component(&q, end, &n))) {
        level += n == 2 && c[0] == '.' && c[1] == '.' ? -1 : 1;
        if (level < 0)
            return a0ipc_status_set(st, A0IPC_PERMISSION_DENIED, "path leaves the root");
    }
    char *out = malloc(len + 2);
    if (!out)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    size_t o = 0;
    while ((c = next_component(&p, end, &n))) {
        if (o)
            out[o++] = '/';
        memcpy(out + o, c, n);
        o += n;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    /* "a.txt/" (or "a.txt/.") names a directory: the components above drop the slash, so check
     * here, for every operation, that it is not a file (the kernel's ENOTDIR). A missing object
     * is left to the operation (MakeDir "new/" creates a directory). */
    bool names_dir =
        path[len - 1] == '/' || (len >= 2 && path[len - 1] == '.' && path[len - 2] == '/');
    if (names_dir && strcmp(out, ".") != 0) {
        int fd = a0ipc_files_open_rel(r, out, O_PATH | O_DIRECTORY);
        if (fd >= 0) {
            close(fd);
        } else if (fd != -ENOENT) {
            a0ipc_code code =
                fd == -ENOTDIR
                    ? a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                       "%s/: not a directory (the path ends in \"/\")", out)
                    : a0ipc_files_fail(st, -fd, "open", out);
            free(out);
            return code;
        }
    }
    *rel = out;
    if (was_absolute)
        *was_absolute = absolute;
    return A0IPC_OK;
}

char *a0ipc_files_join(const char *dir, const char *name)
{
    char *s = NULL;
    if (strcmp(dir, ".") == 0)
        return strdup(name);
    if (asprintf(&s, "%s/%s", dir, name) < 0)
        return NULL;
    return s;
}

char *a0ipc_files_display_path(const a0ipc_files_root *r, const char *rel, bool absolute)
{
    if (!absolute)
        return strdup(rel);
    if (strcmp(rel, ".") == 0)
        return strdup(r->path);
    char *s = NULL;
    const char *sep = strcmp(r->path, "/") == 0 ? "" : "/";
    if (asprintf(&s, "%s%s%s", r->path, sep, rel) < 0)
        return NULL;
    return s;
}

/* ---- parent + name ---- */

void a0ipc_files_target_close(a0ipc_files_target *t)
{
    if (t->own_dirfd && t->dirfd >= 0)
        close(t->dirfd);
    free(t->rel);
    free(t->name_buf);
    memset(t, 0, sizeof *t);
    t->dirfd = -1;
}

a0ipc_code a0ipc_files_target_open(const a0ipc_files_root *r, const char *path, unsigned flags,
                                   const char *op, a0ipc_files_target *t, a0ipc_status *st)
{
    memset(t, 0, sizeof *t);
    t->dirfd = -1;
    if (a0ipc_files_path_parse(r, path, path ? strlen(path) : 0, &t->rel, &t->absolute, st))
        return st->code;
    const char *slash = strrchr(t->rel, '/');
    const char *last = slash ? slash + 1 : t->rel;
    bool whole = strcmp(t->rel, ".") == 0 || strcmp(last, "..") == 0;
    if (whole) {
        /* The root, or a path ending in "..": resolve it as a whole so the kernel judges the
         * "..", then either refuse (the operation needs a name) or hand back the object's fd. */
        int fd = a0ipc_files_open_rel(r, t->rel, O_PATH);
        if (fd < 0) {
            a0ipc_files_fail(st, -fd, op, t->rel);
            a0ipc_files_target_close(t);
            return st->code;
        }
        if (flags & A0IPC_FILES_TARGET_NEED_NAME) {
            close(fd);
            a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                             strcmp(t->rel, ".") == 0 ? "%s %s: the root itself cannot be used"
                                                      : "%s %s: the path must end in a name",
                             op, t->rel);
            a0ipc_files_target_close(t);
            return st->code;
        }
        t->dirfd = fd;
        t->own_dirfd = true;
        t->name_buf = strdup("");
    } else {
        char *parent = slash ? strndup(t->rel, (size_t)(slash - t->rel)) : strdup(".");
        t->name_buf = strdup(last);
        if (!parent || !t->name_buf) {
            free(parent);
            a0ipc_files_target_close(t);
            return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        }
        if ((flags & A0IPC_FILES_TARGET_MKDIR_PARENTS) && strcmp(parent, ".") != 0 &&
            a0ipc_files_mkdirs(r, parent, 0755, NULL, op, st)) {
            free(parent);
            a0ipc_files_target_close(t);
            return st->code;
        }
        int fd = a0ipc_files_open_rel(r, parent, O_PATH | O_DIRECTORY);
        free(parent);
        if (fd < 0) {
            a0ipc_files_fail(st, -fd, op, t->rel);
            a0ipc_files_target_close(t);
            return st->code;
        }
        t->dirfd = fd;
        t->own_dirfd = true;
    }
    if (!t->name_buf) {
        a0ipc_files_target_close(t);
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    t->name = t->name_buf;
    return A0IPC_OK;
}

/* ---- helpers shared by the writers ---- */

void a0ipc_files_temp_name(char buf[], const char *name)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        /* Unpredictability is not what protects us (O_EXCL and the retry do); any value will do. */
        uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)buf;
        memcpy(rnd, &x, sizeof rnd);
    }
    char suffix[7];
    for (size_t i = 0; i < 6; i++)
        suffix[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
    suffix[6] = '\0';
    /* ".", ".a0ipc-" and the suffix take 14 bytes; the name keeps what fits. */
    int keep = NAME_MAX - 14;
    snprintf(buf, NAME_MAX + 1, ".%.*s.a0ipc-%s", keep, name, suffix);
}

a0ipc_files_type a0ipc_files_type_of(mode_t mode)
{
    if (S_ISREG(mode))
        return A0IPC_FILES_TYPE_FILE;
    if (S_ISDIR(mode))
        return A0IPC_FILES_TYPE_DIR;
    if (S_ISLNK(mode))
        return A0IPC_FILES_TYPE_SYMLINK;
    return A0IPC_FILES_TYPE_OTHER;
}

int a0ipc_files_rename(int olddirfd, const char *oldname, int newdirfd, const char *newname,
                       bool replace)
{
    if (renameat2(olddirfd, oldname, newdirfd, newname, replace ? 0 : RENAME_NOREPLACE) == 0)
        return 0;
    if (replace || errno != EINVAL)
        return -errno;
    /* EINVAL: the file system may lack RENAME_NOREPLACE (or the move itself is invalid, e.g. a
     * directory into itself). link(2) also refuses an existing name atomically, for what it can
     * link. */
    struct stat sb;
    if (fstatat(olddirfd, oldname, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (S_ISDIR(sb.st_mode))
        return -EINVAL;
    if (linkat(olddirfd, oldname, newdirfd, newname, 0) != 0)
        return -errno;
    if (unlinkat(olddirfd, oldname, 0) != 0) {
        int err = errno;
        unlinkat(newdirfd, newname, 0);
        return -err;
    }
    return 0;
}
