/* Stat, and the a0ipc_files_entry that Stat and ListDir fill. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

void a0ipc_files_entry_clear(a0ipc_files_entry *info)
{
    free(info->name);
    free(info->path);
    free(info->symlink_target);
    memset(info, 0, sizeof *info);
}

char *a0ipc_files_readlink(int dirfd, const char *name, size_t size_hint)
{
    /* st_size can be 0 (procfs) or stale (the link was replaced): grow until the text fits. */
    size_t cap = size_hint ? size_hint + 1 : 256;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        ssize_t n = readlinkat(dirfd, name, buf, cap);
        if (n < 0) {
            int err = errno;
            free(buf);
            errno = err;
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf);
        if (cap > (1u << 16)) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        cap *= 2;
    }
}

int a0ipc_files_entry_fill(a0ipc_files_entry *info, int dirfd, const char *name, const char *rel,
                           const struct stat *sb)
{
    memset(info, 0, sizeof *info);
    const char *slash = strrchr(rel, '/');
    info->name = strdup(slash ? slash + 1 : rel);
    info->path = strdup(rel);
    if (!info->name || !info->path) {
        a0ipc_files_entry_clear(info);
        return -ENOMEM;
    }
    info->type = a0ipc_files_type_of(sb->st_mode);
    info->size = (uint64_t)sb->st_size;
    info->mode = (uint32_t)(sb->st_mode & 07777);
    info->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    info->ctime_ns = (int64_t)sb->st_ctim.tv_sec * 1000000000 + sb->st_ctim.tv_nsec;
    if (info->type == A0IPC_FILES_TYPE_SYMLINK) {
        info->symlink_target = a0ipc_files_readlink(dirfd, name, (size_t)sb->st_size);
        if (!info->symlink_target) {
            int err = errno;
            a0ipc_files_entry_clear(info);
            return -err;
        }
    }
    return 0;
}

a0ipc_code a0ipc_files_stat(const a0ipc_files_root *r, const char *path, bool follow,
                            a0ipc_files_entry *out, a0ipc_status *st)
{
    static const char op[] = "stat";
    memset(out, 0, sizeof *out);
    a0ipc_files_target t;
    if (a0ipc_files_target_open(r, path, 0, op, &t, st))
        return st->code;
    int objfd = -1;
    int dirfd = t.dirfd;
    const char *name = t.name;
    if (follow && name[0]) {
        /* The target of a symlink is judged as a whole path beneath the root. */
        objfd = a0ipc_files_open_rel(r, t.rel, O_PATH);
        if (objfd < 0) {
            a0ipc_files_fail(st, -objfd, op, t.rel);
            a0ipc_files_target_close(&t);
            return st->code;
        }
        dirfd = objfd;
        name = "";
    }
    struct stat sb;
    a0ipc_code code = A0IPC_OK;
    if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH)) != 0) {
        code = a0ipc_files_fail(st, errno, op, t.rel);
    } else {
        int rc = a0ipc_files_entry_fill(out, dirfd, name, t.rel, &sb);
        if (rc)
            code = a0ipc_files_fail(st, -rc, op, t.rel);
    }
    if (objfd >= 0)
        close(objfd);
    a0ipc_files_target_close(&t);
    return code;
}
