/* Move: a rename inside the root, or across file systems a copy that appears all at once.
 *
 * The copy goes to a temporary name beside the destination and is renamed into place only when
 * complete, and the source is removed only after that, so at every moment one complete copy is
 * reachable under its own name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

#define COPY_BUF (128u * 1024u)

static int copy_data(int in, int out)
{
    /* copy_file_range lets the kernel (or the file system) do it; it refuses some pairs of file
     * systems, and then plain read/write does. */
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1u << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -errno;
        break;
    }
    char *buf = malloc(COPY_BUF);
    if (!buf)
        return -ENOMEM;
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = -errno;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    free(buf);
    return rc;
}

/* Owner (when we may), mode and times of sb onto the new object, the way mv keeps them. */
static int keep_metadata(int fd, const struct stat *sb)
{
    if (fchown(fd, sb->st_uid, sb->st_gid) != 0 && errno != EPERM)
        return -errno;
    if (fchmod(fd, sb->st_mode & 07777) != 0)
        return -errno;
    struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
    if (futimens(fd, ts) != 0)
        return -errno;
    return 0;
}

static int copy_object(int sdir, const char *sname, int ddir, const char *dname,
                       const struct stat *sb, int depth);

static int copy_file(int sdir, const char *sname, int ddir, const char *dname,
                     const struct stat *sb)
{
    int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    struct stat isb;
    if (fstat(in, &isb) != 0 || isb.st_ino != sb->st_ino || isb.st_dev != sb->st_dev) {
        close(in);
        return -EAGAIN; /* replaced since the lstat */
    }
    int out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        int err = errno;
        close(in);
        return -err;
    }
    int rc = copy_data(in, out);
    if (!rc)
        rc = keep_metadata(out, &isb);
    if (!rc && fsync(out) != 0)
        rc = -errno;
    if (close(out) != 0 && !rc)
        rc = -errno;
    close(in);
    return rc;
}

static int copy_symlink(int sdir, const char *sname, int ddir, const char *dname,
                        const struct stat *sb)
{
    char *target = a0ipc_files_readlink(sdir, sname, (size_t)sb->st_size);
    if (!target)
        return -errno;
    int rc = symlinkat(target, ddir, dname) == 0 ? 0 : -errno;
    free(target);
    if (rc)
        return rc;
    if (fchownat(ddir, dname, sb->st_uid, sb->st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EPERM)
        return -errno;
    struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
    if (utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    return 0;
}

static int copy_dir(int sdir, const char *sname, int ddir, const char *dname, const struct stat *sb,
                    int depth)
{
    if (depth >= A0IPC_FILES_MAX_DEPTH)
        return -ELOOP;
    int in = a0ipc_files_open_subdir(sdir, sname, O_RDONLY);
    if (in < 0)
        return in;
    int rc = mkdirat(ddir, dname, 0700) == 0 ? 0 : -errno;
    int out = rc ? -1 : a0ipc_files_open_subdir(ddir, dname, O_RDONLY);
    if (out < 0 && !rc)
        rc = out;
    int dupfd = rc ? -1 : dup(in);
    DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
    if (!rc && !d) {
        rc = -errno;
        if (dupfd >= 0)
            close(dupfd);
    }
    struct dirent *de;
    while (!rc && (errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat csb;
        if (fstatat(in, de->d_name, &csb, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = -errno;
            break;
        }
        rc = copy_object(in, de->d_name, out, de->d_name, &csb, depth + 1);
    }
    if (!rc && d && errno)
        rc = -errno;
    if (d)
        closedir(d);
    /* The directory's own metadata last, or the entries created above would change its mtime. */
    if (!rc)
        rc = keep_metadata(out, sb);
    if (!rc && fsync(out) != 0)
        rc = -errno;
    if (out >= 0)
        close(out);
    close(in);
    return rc;
}

static int copy_object(int sdir, const char *sname, int ddir, const char *dname,
                       const struct stat *sb, int depth)
{
    if (S_ISREG(sb->st_mode))
        return copy_file(sdir, sname, ddir, dname, sb);
    if (S_ISLNK(sb->st_mode))
        return copy_symlink(sdir, sname, ddir, dname, sb);
    if (S_ISDIR(sb->st_mode))
        return copy_dir(sdir, sname, ddir, dname, sb, depth);
    return -EOPNOTSUPP; /* FIFOs, sockets, devices: not ours to recreate */
}

/* Removes name in dirfd whatever it is, never following symlinks. 0 or -errno. */
static int remove_any(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0)
        return 0;
    if (errno != EISDIR)
        return errno == ENOENT ? 0 : -errno;
    int sub = a0ipc_files_open_subdir(dirfd, name, O_RDONLY);
    if (sub < 0)
        return sub;
    int rc = a0ipc_files_empty_dir(sub, 1);
    close(sub);
    if (!rc && unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
        rc = -errno;
    return rc;
}

static a0ipc_code move_fail(a0ipc_status *st, int err, const char *srel, const char *drel,
                            const char *what)
{
    if (err == ELOOP)
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                "move %s to %s: %s: deeper than %d levels or swapped for a symlink",
                                srel, drel, what, A0IPC_FILES_MAX_DEPTH);
    return a0ipc_status_from_errno(st, err, "move %s to %s%s%s", srel, drel, what[0] ? ": " : "",
                                   what);
}

a0ipc_code a0ipc_files_move_by_copy(int sdir, const char *sname, const char *srel, int ddir,
                                    const char *dname, const char *drel, bool overwrite,
                                    a0ipc_status *st)
{
    struct stat sb;
    if (fstatat(sdir, sname, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return move_fail(st, errno, srel, drel, "");
    if (!overwrite && fstatat(ddir, dname, &(struct stat){0}, AT_SYMLINK_NOFOLLOW) == 0)
        return move_fail(st, EEXIST, srel, drel, ""); /* before copying gigabytes for nothing */
    char tmp[NAME_MAX + 1];
    int rc = -EEXIST;
    for (int i = 0; i < 64 && rc == -EEXIST; i++) {
        a0ipc_files_temp_name(tmp, dname);
        rc = copy_object(sdir, sname, ddir, tmp, &sb, 0);
        if (rc && rc != -EEXIST)
            remove_any(ddir, tmp);
    }
    if (rc)
        return move_fail(st, -rc, srel, drel, "copying");
    rc = a0ipc_files_rename(ddir, tmp, ddir, dname, overwrite);
    if (rc) {
        remove_any(ddir, tmp);
        return move_fail(st, -rc, srel, drel, "");
    }
    int dfd = openat(ddir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    /* The copy is complete under its name; only now may the source go. If that fails both
     * exist, which loses nothing, and the caller is told. */
    rc = remove_any(sdir, sname);
    if (rc)
        return move_fail(st, -rc, srel, drel, "copied, but removing the source failed");
    return A0IPC_OK;
}

a0ipc_code a0ipc_files_move(const a0ipc_files_root *r, const char *src, const char *dst,
                            bool overwrite, bool create_parents, bool *copied, a0ipc_status *st)
{
    static const char op[] = "move";
    if (copied)
        *copied = false;
    a0ipc_files_target s, d;
    if (a0ipc_files_target_open(r, src, A0IPC_FILES_TARGET_NEED_NAME, op, &s, st))
        return st->code;
    /* The source must exist before create_parents may create anything. */
    if (fstatat(s.dirfd, s.name, &(struct stat){0}, AT_SYMLINK_NOFOLLOW) != 0) {
        a0ipc_files_fail(st, errno, op, s.rel);
        a0ipc_files_target_close(&s);
        return st->code;
    }
    unsigned dflags = A0IPC_FILES_TARGET_NEED_NAME;
    if (create_parents)
        dflags |= A0IPC_FILES_TARGET_MKDIR_PARENTS;
    if (a0ipc_files_target_open(r, dst, dflags, op, &d, st)) {
        a0ipc_files_target_close(&s);
        return st->code;
    }
    a0ipc_code code = A0IPC_OK;
    int rc = a0ipc_files_rename(s.dirfd, s.name, d.dirfd, d.name, overwrite);
    if (rc == -EXDEV) {
        code =
            a0ipc_files_move_by_copy(s.dirfd, s.name, s.rel, d.dirfd, d.name, d.rel, overwrite, st);
        if (copied)
            *copied = code == A0IPC_OK;
    } else if (rc) {
        code = move_fail(st, -rc, s.rel, d.rel, "");
    }
    a0ipc_files_target_close(&s);
    a0ipc_files_target_close(&d);
    return code;
}
