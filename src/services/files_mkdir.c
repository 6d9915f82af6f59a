/* MakeDir, and the mkdir -p that Write and Move use for create_parents. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

int a0ipc_files_mkdirat_exact(int dirfd, const char *name, uint32_t mode)
{
    /* Created owner-accessible so it can be opened to fix the mode; fchmod on the fd (not
     * fchmodat on the name) so a symlink swapped in under the name cannot redirect the chmod. */
    if (mkdirat(dirfd, name, (mode_t)(mode | 0700)) != 0)
        return -errno;
    int fd = a0ipc_files_open_subdir(dirfd, name, O_RDONLY);
    if (fd < 0)
        return fd;
    int rc = fchmod(fd, (mode_t)mode) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Directories are made at most A0IPC_FILES_MAX_DEPTH levels below the root, the depth Remove
 * (recursive) empties: whatever MakeDir or create_parents makes can be removed again. */
static a0ipc_code check_depth(const char *rel, const char *op, a0ipc_status *st)
{
    size_t levels = 1;
    for (const char *c = rel; *c; c++)
        levels += *c == '/';
    if (levels > A0IPC_FILES_MAX_DEPTH)
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                "%s %s: deeper than %d levels below the root", op, rel,
                                A0IPC_FILES_MAX_DEPTH);
    return A0IPC_OK;
}

a0ipc_code a0ipc_files_mkdirs(const a0ipc_files_root *r, const char *rel, uint32_t mode,
                              bool *created_last, const char *op, a0ipc_status *st)
{
    if (created_last)
        *created_last = false;
    if (strcmp(rel, ".") == 0)
        return A0IPC_OK;
    if (check_depth(rel, op, st))
        return st->code;
    char *prefix = strdup(rel);
    if (!prefix)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    /* Every prefix is resolved from the root, so a symlink met on the way is judged by the kernel
     * beneath the root like any other path; mkdirat only ever gets a single name. */
    int parent = r->fd;
    size_t len = strlen(rel);
    size_t start = 0;
    a0ipc_code code = A0IPC_OK;

    /* Look before creating anything: every refusal (an escape, a file in the way) must come
     * before the first mkdirat, so a refused call leaves no directories behind. Below the first
     * missing component everything is created by us, so a ".." there is the only thing that
     * could lead back into existing (and unchecked) territory. */
    for (size_t end = 0; end <= len; end++) {
        if (end < len && rel[end] != '/')
            continue;
        memcpy(prefix, rel, end);
        prefix[end] = '\0';
        int fd = a0ipc_files_open_rel(r, prefix, O_PATH | O_DIRECTORY);
        if (fd >= 0) {
            close(fd);
            continue;
        }
        if (fd != -ENOENT) {
            free(prefix);
            return a0ipc_files_fail(st, -fd, op, rel);
        }
        for (const char *c = rel + end; *c; c++)
            if ((c == rel + end || c[-1] == '/') && c[0] == '.' && c[1] == '.' &&
                (c[2] == '/' || c[2] == '\0')) {
                free(prefix);
                return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                        "%s %s: \"..\" after a directory that does not exist", op,
                                        rel);
            }
        break;
    }
    while (start < len) {
        size_t end = start;
        while (end < len && rel[end] != '/')
            end++;
        memcpy(prefix, rel, end);
        prefix[end] = '\0';
        bool created = false;
        int fd = a0ipc_files_open_rel(r, prefix, O_PATH | O_DIRECTORY);
        if (fd == -ENOENT) {
            int rc = a0ipc_files_mkdirat_exact(parent, prefix + start, mode);
            if (rc == 0)
                created = true;
            else if (rc != -EEXIST) {
                code = a0ipc_files_fail(st, -rc, op, rel);
                break;
            }
            fd = a0ipc_files_open_rel(r, prefix, O_PATH | O_DIRECTORY);
        }
        if (fd < 0) {
            code = a0ipc_files_fail(st, -fd, op, rel);
            break;
        }
        if (parent != r->fd)
            close(parent);
        parent = fd;
        if (created_last)
            *created_last = created;
        start = end + 1;
    }
    if (parent != r->fd)
        close(parent);
    free(prefix);
    return code;
}

a0ipc_code a0ipc_files_mkdir(const a0ipc_files_root *r, const char *path, uint32_t mode,
                             bool parents, bool exist_ok, bool *created, a0ipc_status *st)
{
    static const char op[] = "mkdir";
    bool made = false;
    if (created)
        *created = false;
    if (mode & ~0777u)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "mkdir: mode %o is not within 0777",
                                mode);
    if (mode == 0)
        mode = 0755;
    char *rel = NULL;
    if (a0ipc_files_path_parse(r, path, path ? strlen(path) : 0, &rel, NULL, st))
        return st->code;
    if (strcmp(rel, ".") == 0) {
        free(rel);
        return exist_ok ? A0IPC_OK
                        : a0ipc_status_set(st, A0IPC_ALREADY_EXISTS, "mkdir .: the root exists");
    }
    if (check_depth(rel, op, st)) {
        free(rel);
        return st->code;
    }
    if (parents) {
        char *slash = strrchr(rel, '/');
        if (slash) {
            *slash = '\0';
            a0ipc_code c = a0ipc_files_mkdirs(r, rel, mode, NULL, op, st);
            *slash = '/';
            if (c) {
                free(rel);
                return c;
            }
        }
    }
    a0ipc_files_target t;
    a0ipc_code code = a0ipc_files_target_open(r, rel, A0IPC_FILES_TARGET_NEED_NAME, op, &t, st);
    free(rel);
    if (code)
        return code;
    int rc = a0ipc_files_mkdirat_exact(t.dirfd, t.name, mode);
    if (rc == 0) {
        made = true;
    } else if (rc == -EEXIST && exist_ok) {
        /* A directory, or a symlink to one beneath the root, is what the caller asked for. */
        int fd = a0ipc_files_open_rel(r, t.rel, O_PATH | O_DIRECTORY);
        if (fd >= 0)
            close(fd);
        else
            code = a0ipc_status_set(st, A0IPC_ALREADY_EXISTS,
                                    "mkdir %s: exists and is not a directory", t.rel);
    } else {
        code = a0ipc_files_fail(st, -rc, op, t.rel);
    }
    if (created)
        *created = made;
    a0ipc_files_target_close(&t);
    return code;
}
