/* Read: a byte range of a regular file, in the caller's buffer, one chunk at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

struct a0ipc_files_reader {
    int fd;
    uint64_t pos;
    uint64_t end; /* UINT64_MAX: to the end of the file as it is when read */
    char *rel;    /* for messages */
};

a0ipc_code a0ipc_files_read_open(const a0ipc_files_root *r, const char *path, uint64_t offset,
                                 uint64_t length, a0ipc_files_reader **out, uint64_t *file_size,
                                 a0ipc_status *st)
{
    static const char op[] = "read";
    *out = NULL;
    char *rel = NULL;
    if (a0ipc_files_path_parse(r, path, path ? strlen(path) : 0, &rel, NULL, st))
        return st->code;
    /* Look before opening for reading: opening a FIFO would block and opening a device can have
     * effects, so the type is checked on an O_PATH fd first. The second open must land on the
     * same inode, or someone swapped the path in between. */
    a0ipc_code code = A0IPC_OK;
    int pfd = a0ipc_files_open_rel(r, rel, O_PATH);
    int fd = -1;
    struct stat sb, sb2;
    if (pfd < 0) {
        code = a0ipc_files_fail(st, -pfd, op, rel);
        goto out;
    }
    if (fstat(pfd, &sb) != 0) {
        code = a0ipc_files_fail(st, errno, op, rel);
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        code = a0ipc_files_fail(st, EISDIR, op, rel);
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        code =
            a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "%s %s: not a regular file", op, rel);
        goto out;
    }
    fd = a0ipc_files_open_rel(r, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        code = a0ipc_files_fail(st, -fd, op, rel);
        goto out;
    }
    if (fstat(fd, &sb2) != 0) {
        code = a0ipc_files_fail(st, errno, op, rel);
        goto out;
    }
    if (sb2.st_dev != sb.st_dev || sb2.st_ino != sb.st_ino) {
        code = a0ipc_status_set(st, A0IPC_ABORTED, "%s %s: replaced while being opened", op, rel);
        goto out;
    }
    if (offset > (uint64_t)sb2.st_size) {
        code = a0ipc_status_set(st, A0IPC_OUT_OF_RANGE,
                                "%s %s: offset %llu is past the end of the file (%llu bytes)", op,
                                rel, (unsigned long long)offset, (unsigned long long)sb2.st_size);
        goto out;
    }
    a0ipc_files_reader *rd = malloc(sizeof *rd);
    if (!rd) {
        code = a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    rd->fd = fd;
    rd->pos = offset;
    rd->end = length == 0 || length > UINT64_MAX - offset ? UINT64_MAX : offset + length;
    rd->rel = rel;
    rel = NULL;
    fd = -1;
    if (file_size)
        *file_size = (uint64_t)sb2.st_size;
    *out = rd;
out:
    if (fd >= 0)
        close(fd);
    if (pfd >= 0)
        close(pfd);
    free(rel);
    return code;
}

a0ipc_code a0ipc_files_read_next(a0ipc_files_reader *rd, void *buf, size_t cap, size_t *n,
                                 uint64_t *offset, a0ipc_status *st)
{
    *n = 0;
    if (offset)
        *offset = rd->pos;
    uint64_t left = rd->end - rd->pos;
    size_t want = left < cap ? (size_t)left : cap;
    if (want == 0)
        return A0IPC_OK;
    ssize_t got;
    do
        got = pread(rd->fd, buf, want, (off_t)rd->pos);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return a0ipc_files_fail(st, errno, "read", rd->rel);
    rd->pos += (uint64_t)got;
    if (got == 0)
        rd->end = rd->pos; /* end of file: the range is done */
    *n = (size_t)got;
    return A0IPC_OK;
}

void a0ipc_files_read_close(a0ipc_files_reader *rd)
{
    if (!rd)
        return;
    close(rd->fd);
    free(rd->rel);
    free(rd);
}
