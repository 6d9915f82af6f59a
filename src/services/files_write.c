/* Write: new content becomes visible all at once or not at all.
 *
 * The content goes to a temporary file in the destination's own directory (a rename is atomic
 * only within one file system), which is synced, checked and renamed over the destination; the
 * directory is synced so the rename itself survives a crash. Until the rename the destination is
 * untouched, so every failure and every abort only has to remove the temporary file. Two writers
 * of one path each rename their own complete file: the last rename wins, nothing is mixed.
 *
 * Where the file system can (O_TMPFILE: ext4, xfs, btrfs, tmpfs), the temporary file has no name
 * until the upload is complete and checked: it is linked under a temporary name only then, and
 * renamed at once. An upload that fails, is refused by the gRPC core itself (a message over the
 * limit: the client hears that before the handler does) or dies with a0ipcd leaves nothing
 * behind, not even for an instant. Elsewhere a named temporary file is used from the start. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"

/* How many random temporary names to try before giving up on a crowded directory. */
#define TEMP_TRIES 64

struct a0ipc_files_writer {
    a0ipc_files_target t; /* the parent directory and the destination's name */
    char tmp[NAME_MAX + 1];
    int fd;
    bool anon; /* fd is an O_TMPFILE file, linked as tmp only when sealed */
    uint32_t mode;
    bool no_replace;
    bool has_owner; /* the replaced file's owner, given back to the new one */
    uid_t uid;
    gid_t gid;
    bool has_expected_size;
    uint64_t expected_size;
    bool has_expected_sha256;
    uint8_t expected_sha256[32];
    uint64_t written;
    EVP_MD_CTX *md;
    bool sealed; /* checked, synced and closed: only the rename is left */
    uint8_t digest[32];
};

static void writer_free(a0ipc_files_writer *w, bool unlink_temp)
{
    if (w->fd >= 0)
        close(w->fd);
    if (unlink_temp && w->tmp[0])
        unlinkat(w->t.dirfd, w->tmp, 0);
    EVP_MD_CTX_free(w->md);
    a0ipc_files_target_close(&w->t);
    free(w);
}

void a0ipc_files_write_abort(a0ipc_files_writer *w)
{
    if (w)
        writer_free(w, true);
}

a0ipc_code a0ipc_files_write_begin(const a0ipc_files_root *r, const char *path,
                                   const a0ipc_files_write_options *o, a0ipc_files_writer **out,
                                   a0ipc_status *st)
{
    static const char op[] = "write";
    *out = NULL;
    if (o->mode & ~0777u)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "write: mode %o is not within 0777",
                                o->mode);
    a0ipc_files_writer *w = calloc(1, sizeof *w);
    if (!w)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    w->fd = -1;
    w->t.dirfd = -1;
    w->no_replace = o->no_replace;
    w->has_expected_size = o->has_expected_size;
    w->expected_size = o->expected_size;
    w->has_expected_sha256 = o->has_expected_sha256;
    memcpy(w->expected_sha256, o->expected_sha256, sizeof w->expected_sha256);

    unsigned flags = A0IPC_FILES_TARGET_NEED_NAME;
    if (o->create_parents)
        flags |= A0IPC_FILES_TARGET_MKDIR_PARENTS;
    /* Refused before anything is opened or created (create_parents would make directories),
     * after what the parser refuses. */
    size_t plen = path ? strlen(path) : 0;
    char *rel = NULL;
    if (a0ipc_files_path_parse(r, path, plen, &rel, NULL, st)) {
        free(w);
        return st->code;
    }
    if (path[plen - 1] == '/') {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "write %s/: the path names a directory", rel);
        free(rel);
        free(w);
        return st->code;
    }
    free(rel);
    if (a0ipc_files_target_open(r, path, flags, op, &w->t, st)) {
        free(w);
        return st->code;
    }

    /* Refuse early what the rename would refuse anyway, and learn what to keep of a file being
     * replaced. The rename stays the authority (RENAME_NOREPLACE), this is only courtesy. */
    struct stat sb;
    if (fstatat(w->t.dirfd, w->t.name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            a0ipc_files_fail(st, EISDIR, op, w->t.rel);
            goto fail;
        }
        if (w->no_replace) {
            a0ipc_files_fail(st, EEXIST, op, w->t.rel);
            goto fail;
        }
        if (S_ISREG(sb.st_mode)) {
            w->mode = (uint32_t)(sb.st_mode & 0777);
            w->has_owner = true;
            w->uid = sb.st_uid;
            w->gid = sb.st_gid;
        }
    } else if (errno != ENOENT) {
        a0ipc_files_fail(st, errno, op, w->t.rel);
        goto fail;
    }
    if (o->mode)
        w->mode = o->mode;
    else if (!w->mode)
        w->mode = 0644;

    /* Linking an O_TMPFILE file needs /proc (or CAP_DAC_READ_SEARCH): without it, a name now. */
    w->fd = access("/proc/self/fd", X_OK) == 0
                ? openat(w->t.dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)
                : -1;
    w->anon = w->fd >= 0;
    if (w->anon)
        flock(w->fd, LOCK_EX | LOCK_NB); /* held through the instant it has a name */
    for (int i = 0; i < TEMP_TRIES && w->fd < 0; i++) {
        a0ipc_files_temp_name(w->tmp, w->t.name);
        w->fd =
            openat(w->t.dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (w->fd < 0 && errno != EEXIST) {
            int err = errno;
            w->tmp[0] = '\0';
            a0ipc_files_fail(st, err, op, w->t.rel);
            goto fail;
        }
        /* Locked while it is written: a start-up clean-up (of another a0ipcd on the same root)
         * removes only temporary files nobody holds (files_clean.c). Lost to such a clean-up
         * in the instant before the lock: try another name. */
        int claim = w->fd >= 0 ? a0ipc_files_temp_claim(w->t.dirfd, w->tmp, w->fd) : 0;
        if (claim == -EWOULDBLOCK || claim == -ENOENT) {
            close(w->fd);
            w->fd = -1;
        } /* other errors: a file system without flock; nobody can clean it up under us then */
    }
    if (w->fd < 0) {
        w->tmp[0] = '\0';
        a0ipc_status_set(st, A0IPC_UNAVAILABLE, "write %s: no free temporary name", w->t.rel);
        goto fail;
    }
    /* Reserve the space now when the size is known, so a full disk is reported before the
     * upload rather than after it; file systems without fallocate just skip this. */
    if (w->has_expected_size && w->expected_size > 0 && w->expected_size <= INT64_MAX) {
        int rc = posix_fallocate(w->fd, 0, (off_t)w->expected_size);
        if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG) {
            a0ipc_files_fail(st, rc, op, w->t.rel);
            goto fail;
        }
    }
    w->md = EVP_MD_CTX_new();
    if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "write %s: SHA-256 is not available", w->t.rel);
        goto fail;
    }
    *out = w;
    return A0IPC_OK;
fail:
    writer_free(w, true);
    return st->code;
}

a0ipc_code a0ipc_files_write_chunk(a0ipc_files_writer *w, const void *data, size_t len,
                                   a0ipc_status *st)
{
    if (w->sealed)
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION, "write %s: already sealed",
                                w->t.rel);
    if (w->has_expected_size && (len > w->expected_size || w->written > w->expected_size - len))
        return a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                "write %s: more than the expected %llu bytes", w->t.rel,
                                (unsigned long long)w->expected_size);
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(w->fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return a0ipc_files_fail(st, errno, "write", w->t.rel);
        }
        p += n;
        left -= (size_t)n;
    }
    if (EVP_DigestUpdate(w->md, data, len) != 1)
        return a0ipc_status_set(st, A0IPC_INTERNAL, "write %s: SHA-256 failed", w->t.rel);
    w->written += len;
    return A0IPC_OK;
}

a0ipc_code a0ipc_files_write_seal(a0ipc_files_writer *w, a0ipc_status *st)
{
    static const char op[] = "write";
    if (w->sealed)
        return A0IPC_OK;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (w->has_expected_size && w->written != w->expected_size)
        return a0ipc_status_set(
            st, A0IPC_FAILED_PRECONDITION, "write %s: got %llu bytes, expected %llu", w->t.rel,
            (unsigned long long)w->written, (unsigned long long)w->expected_size);
    /* A reservation larger than what arrived would otherwise stay allocated past the end. */
    if (w->has_expected_size && ftruncate(w->fd, (off_t)w->written) != 0)
        return a0ipc_files_fail(st, errno, op, w->t.rel);
    if (EVP_DigestFinal_ex(w->md, digest, &dlen) != 1 || dlen != 32)
        return a0ipc_status_set(st, A0IPC_INTERNAL, "write %s: SHA-256 failed", w->t.rel);
    if (w->has_expected_sha256 && CRYPTO_memcmp(digest, w->expected_sha256, 32) != 0)
        return a0ipc_status_set(st, A0IPC_DATA_LOSS,
                                "write %s: SHA-256 of the upload does not match", w->t.rel);
    if (w->has_owner && fchown(w->fd, w->uid, w->gid) != 0 && errno != EPERM)
        return a0ipc_files_fail(st, errno, op, w->t.rel);
    /* After fchown, which may clear set-id bits, and before the content becomes visible. */
    if (fchmod(w->fd, (mode_t)w->mode) != 0 || fsync(w->fd) != 0)
        return a0ipc_files_fail(st, errno, op, w->t.rel);
    if (w->anon) {
        /* Complete and checked: now it gets a (temporary) name, for the rename to publish. */
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", w->fd);
        int err = EEXIST;
        for (int i = 0; i < TEMP_TRIES && err == EEXIST; i++) {
            a0ipc_files_temp_name(w->tmp, w->t.name);
            err = linkat(AT_FDCWD, proc, w->t.dirfd, w->tmp, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
        }
        if (err) {
            w->tmp[0] = '\0';
            return err == EEXIST ? a0ipc_status_set(st, A0IPC_UNAVAILABLE,
                                                    "write %s: no free temporary name", w->t.rel)
                                 : a0ipc_files_fail(st, err, op, w->t.rel);
        }
        w->anon = false;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0)
        return a0ipc_files_fail(st, errno, op, w->t.rel);
    memcpy(w->digest, digest, sizeof w->digest);
    w->sealed = true;
    return A0IPC_OK;
}

a0ipc_code a0ipc_files_write_commit(a0ipc_files_writer *w, uint64_t *bytes_written, uint8_t *sha256,
                                    a0ipc_status *st)
{
    if (a0ipc_files_write_seal(w, st)) {
        writer_free(w, true);
        return st->code;
    }
    int rc = a0ipc_files_rename(w->t.dirfd, w->tmp, w->t.dirfd, w->t.name, !w->no_replace);
    if (rc) {
        a0ipc_files_fail(st, -rc, "write", w->t.rel);
        writer_free(w, true);
        return st->code;
    }
    w->tmp[0] = '\0'; /* it is the destination now */
    a0ipc_code code = A0IPC_OK;
    int dfd = openat(w->t.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL)
            code = a0ipc_status_from_errno(
                st, errno, "write %s: written, but syncing its directory failed", w->t.rel);
        close(dfd);
    }
    if (bytes_written)
        *bytes_written = w->written;
    if (sha256)
        memcpy(sha256, w->digest, 32);
    writer_free(w, false);
    return code;
}
