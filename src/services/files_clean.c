/* Temporary files of uploads that a0ipcd did not live to finish (killed, power loss): found by
 * their name under the root at start-up and removed. docs/files.md says why this way. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

/* ".<name>.a0ipc-XXXXXX" with six letters or digits: a0ipc_files_temp_name's form. */
bool a0ipc_files_is_temp_name(const char *name)
{
    static const char tag[] = ".a0ipc-";
    size_t n = strlen(name), t = sizeof tag - 1;
    if (n < 1 + 1 + t + 6 || name[0] != '.')
        return false;
    if (memcmp(name + n - 6 - t, tag, t) != 0)
        return false;
    for (size_t i = n - 6; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

int a0ipc_files_temp_claim(int dirfd, const char *name, int fd)
{
    /* An upload holds an exclusive lock on its temporary file for as long as it writes
     * (files_write.c), so a free lock means nobody does; and the name must still be this very
     * file, or the lock was taken on one that was already removed. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        return -errno;
    struct stat a, b;
    if (fstat(fd, &a) != 0 || fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) != 0)
        return -ENOENT;
    if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return -ENOENT;
    return 0;
}

typedef struct walk {
    dev_t dev;
    size_t left; /* entries still to look at */
    size_t removed;
    const atomic_bool *stop;
} walk;

static void clean_dir(walk *w, int dirfd, int depth)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while (w->left && !(w->stop && atomic_load(w->stop)) && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        w->left--;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat sb;
            if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_LNK;
        }
        if (type == DT_DIR && depth < A0IPC_FILES_CLEAN_MAX_DEPTH) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            struct stat sb;
            if (sub >= 0 && fstat(sub, &sb) == 0 && sb.st_dev == w->dev) /* not into mounts */
                clean_dir(w, sub, depth + 1);
            if (sub >= 0)
                close(sub);
        } else if (type == DT_REG && a0ipc_files_is_temp_name(e->d_name)) {
            int f = openat(dirfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            struct stat sb;
            if (f >= 0 && fstat(f, &sb) == 0 && S_ISREG(sb.st_mode) &&
                a0ipc_files_temp_claim(dirfd, e->d_name, f) == 0 &&
                unlinkat(dirfd, e->d_name, 0) == 0)
                w->removed++;
            if (f >= 0)
                close(f); /* drops the lock */
        }
    }
    closedir(d);
}

size_t a0ipc_files_clean_temps(const a0ipc_files_root *r, size_t max_entries,
                               const atomic_bool *stop)
{
    struct stat sb;
    if (fstat(r->fd, &sb) != 0)
        return 0;
    int fd = openat(r->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* the root's fd is O_PATH */
    if (fd < 0)
        return 0;
    walk w = {.dev = sb.st_dev, .left = max_entries, .stop = stop};
    clean_dir(&w, fd, 0);
    close(fd);
    return w.removed;
}
