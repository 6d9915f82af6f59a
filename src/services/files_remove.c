/* Remove, and the fd-based tree removal that Move reuses. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

/* Passes over one directory before letting rmdir report ENOTEMPTY: entries created behind our
 * back (or skipped by readdir while we delete) get a second chance, a busy writer does not keep
 * us looping. */
#define EMPTY_PASSES 4

int a0ipc_files_empty_dir(int dirfd, int depth)
{
    if (depth > A0IPC_FILES_MAX_DEPTH)
        return -ELOOP; /* MakeDir makes no deeper tree (files_mkdir.c), so Remove can remove it */
    for (int pass = 0; pass < EMPTY_PASSES; pass++) {
        int fd = dup(dirfd);
        if (fd < 0)
            return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
            int err = errno;
            close(fd);
            return -err;
        }
        rewinddir(d);
        int rc = 0;
        size_t seen = 0;
        struct dirent *de = NULL;
        while (!rc && (errno = 0, de = readdir(d))) {
            const char *nm = de->d_name;
            if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
                continue;
            seen++;
            /* unlink first: it never follows a symlink, and Linux answers EISDIR for a
             * directory, which is the only case where we descend. */
            if (unlinkat(dirfd, nm, 0) == 0 || errno == ENOENT)
                continue;
            if (errno != EISDIR) {
                rc = -errno;
                break;
            }
            int sub = a0ipc_files_open_subdir(dirfd, nm, O_RDONLY);
            if (sub < 0) {
                if (sub != -ENOENT && sub != -ELOOP && sub != -ENOTDIR)
                    rc = sub; /* a swap to a symlink or file is left to the next pass */
                continue;
            }
            rc = a0ipc_files_empty_dir(sub, depth + 1);
            close(sub);
            if (!rc && unlinkat(dirfd, nm, AT_REMOVEDIR) != 0 && errno != ENOENT)
                rc = -errno;
        }
        if (!rc && errno && !de)
            rc = -errno;
        closedir(d);
        if (rc)
            return rc;
        if (seen == 0)
            return 0;
    }
    return 0;
}

static const char *type_name(a0ipc_files_type t)
{
    switch (t) {
    case A0IPC_FILES_TYPE_FILE:
        return "regular file";
    case A0IPC_FILES_TYPE_DIR:
        return "directory";
    case A0IPC_FILES_TYPE_SYMLINK:
        return "symlink";
    default:
        return "special file";
    }
}

a0ipc_code a0ipc_files_remove(const a0ipc_files_root *r, const char *path, bool recursive,
                              bool missing_ok, a0ipc_files_type type, bool *removed,
                              a0ipc_status *st)
{
    static const char op[] = "remove";
    if (removed)
        *removed = false;
    a0ipc_files_target t;
    if (a0ipc_files_target_open(r, path, A0IPC_FILES_TARGET_NEED_NAME, op, &t, st)) {
        if (st->code == A0IPC_NOT_FOUND && missing_ok) /* a missing parent, as rm -f */
            a0ipc_status_clear(st);
        return st->code;
    }
    a0ipc_code code = A0IPC_OK;
    struct stat sb;
    if (fstatat(t.dirfd, t.name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        if (!(errno == ENOENT && missing_ok))
            code = a0ipc_files_fail(st, errno, op, t.rel);
        goto out;
    }
    a0ipc_files_type have = a0ipc_files_type_of(sb.st_mode);
    if (type != A0IPC_FILES_TYPE_UNSPECIFIED && type != have) {
        code = a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "%s %s: is a %s, not a %s", op,
                                t.rel, type_name(have), type_name(type));
        goto out;
    }
    if (have == A0IPC_FILES_TYPE_DIR) {
        if (recursive) {
            int sub = a0ipc_files_open_subdir(t.dirfd, t.name, O_RDONLY);
            int rc = sub < 0 ? sub : a0ipc_files_empty_dir(sub, 1);
            if (sub >= 0)
                close(sub);
            if (rc == -ELOOP && sub >= 0) {
                code =
                    a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "%s %s: deeper than %d levels",
                                     op, t.rel, A0IPC_FILES_MAX_DEPTH);
                goto out;
            }
            if (rc) {
                code = a0ipc_files_fail(st, -rc, op, t.rel);
                goto out;
            }
        }
        if (unlinkat(t.dirfd, t.name, AT_REMOVEDIR) != 0) {
            code = a0ipc_files_fail(st, errno, op, t.rel);
            goto out;
        }
    } else if (unlinkat(t.dirfd, t.name, 0) != 0) {
        code = a0ipc_files_fail(st, errno, op, t.rel);
        goto out;
    }
    if (removed)
        *removed = true;
out:
    a0ipc_files_target_close(&t);
    return code;
}
