/* What the files_*.c parts of the Files core share; not part of its API (files_fs.h is). */
#ifndef A0IPC_SERVICES_FILES_INTERNAL_H
#define A0IPC_SERVICES_FILES_INTERNAL_H

#include <locale.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "files_fs.h"

struct a0ipc_files_root {
    int fd;     /* O_PATH | O_DIRECTORY */
    char *path; /* canonical absolute path, no trailing "/" except for "/" itself */
};

/* openat2(dirfd, path, flags | O_CLOEXEC) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | resolve.
 * Retries the EAGAIN the kernel gives when a ".." raced with a rename or mount. Returns the fd,
 * or -errno. Never creates (no mode). */
int a0ipc_files_openat2(int dirfd, const char *path, int flags, uint64_t resolve);

/* Opens root-relative `rel` beneath the root (symlinks inside the root followed). fd or -errno. */
int a0ipc_files_open_rel(const a0ipc_files_root *r, const char *rel, int flags);

/* Opens `name`, a single component inside directory dirfd, as a directory, refusing symlinks:
 * the walkers (list, remove, copy, archive) descend with it so they never follow one even when
 * it is swapped in after the lstat. flags: O_RDONLY or O_PATH. fd or -errno. */
int a0ipc_files_open_subdir(int dirfd, const char *name, int flags);

/* Fills st for a failed operation `op` on root-relative `rel`: "op rel: reason". EXDEV (how
 * openat2 reports an escape) reads "the path leaves the root". Returns the code. */
a0ipc_code a0ipc_files_fail(a0ipc_status *st, int err, const char *op, const char *rel);

/* A request path split for the parent + final-name pattern. */
typedef struct a0ipc_files_target {
    char *rel;        /* owned: the root-relative path */
    bool absolute;    /* the request wrote it absolute */
    int dirfd;        /* the parent directory (O_PATH), or the object itself when name is "" */
    bool own_dirfd;   /* dirfd is ours to close (the root's fd is not) */
    const char *name; /* the last component (points into name_buf), "" when dirfd is the object */
    char *name_buf;   /* owned */
} a0ipc_files_target;

enum {
    /* The operation acts on a name inside a directory (create, remove, rename): a path that ends
     * in ".." or is the root is INVALID_ARGUMENT. */
    A0IPC_FILES_TARGET_NEED_NAME = 1u << 0,
    /* Create missing parent directories (0755) first. */
    A0IPC_FILES_TARGET_MKDIR_PARENTS = 1u << 1,
};

/* Parses `path` and opens its parent beneath the root. A last component of ".." (or the root
 * itself) is resolved as a whole instead and reported through name == "" (or refused, with
 * NEED_NAME), because a "..": handed to an *at() call on the parent's fd could step out of the
 * root. On failure t is left empty and needs no closing. */
a0ipc_code a0ipc_files_target_open(const a0ipc_files_root *r, const char *path, unsigned flags,
                                   const char *op, a0ipc_files_target *t, a0ipc_status *st);
void a0ipc_files_target_close(a0ipc_files_target *t);

/* mkdir -p of root-relative `rel` with exactly `mode`; *created_last (may be NULL) tells whether
 * the last component was created by this call. */
a0ipc_code a0ipc_files_mkdirs(const a0ipc_files_root *r, const char *rel, uint32_t mode,
                              bool *created_last, const char *op, a0ipc_status *st);

/* mkdirat(dirfd, name) with exactly `mode` (the umask is undone with fchmod on the new
 * directory opened without following symlinks). 0 or -errno. */
int a0ipc_files_mkdirat_exact(int dirfd, const char *name, uint32_t mode);

/* Writes a fresh temporary name for `name` into buf (NAME_MAX + 1 bytes): ".<name>.a0ipc-XXXXXX"
 * with a random suffix, the middle shortened when the result would pass NAME_MAX. */
void a0ipc_files_temp_name(char buf[], const char *name);

/* "a" + "b" -> "a/b"; "." + "b" -> "b". NULL when out of memory. */
char *a0ipc_files_join(const char *dir, const char *name);

/* glibc's C.UTF-8 LC_CTYPE (case tables, UTF-8 as the multibyte charset), made once and never
 * freed; NULL when the C library has none. */
locale_t a0ipc_files_utf8_locale(void);

/* Type of a stat result. */
a0ipc_files_type a0ipc_files_type_of(mode_t mode);

/* Fills info for the object `name` in dirfd ("" with dirfd the object itself) whose lstat is sb;
 * rel is its root-relative path. 0 or -errno (info then empty). */
int a0ipc_files_entry_fill(a0ipc_files_entry *info, int dirfd, const char *name, const char *rel,
                           const struct stat *sb);

/* The text of symlink `name` in dirfd (malloc'ed), or NULL with errno set. */
char *a0ipc_files_readlink(int dirfd, const char *name, size_t size_hint);

/* The names in directory dirfd (without "." and ".."; those starting with "." only when hidden),
 * unsorted, read through a dup of dirfd from its start. 0 or -errno. The whole directory is read:
 * the orders we produce depend on every name. */
int a0ipc_files_read_names(int dirfd, bool hidden, char ***out, size_t *count);
void a0ipc_files_free_names(char **names, size_t n);

/* Stale temporary files (files_clean.c). is_temp_name: the name has a0ipc_files_temp_name's
 * form. temp_claim: takes the exclusive lock on fd (the file dirfd/name, opened by the caller)
 * and checks that the name is still that file: 0, or -errno (EWOULDBLOCK: an upload is writing
 * it). clean_temps: removes the unclaimed temporary files under the root, looking at no more
 * than max_entries entries, A0IPC_FILES_CLEAN_MAX_DEPTH levels deep, never following symlinks
 * or crossing into other file systems; stops early when *stop turns true (stop may be NULL).
 * Returns how many it removed. */
#define A0IPC_FILES_CLEAN_MAX_DEPTH 32
bool a0ipc_files_is_temp_name(const char *name);
int a0ipc_files_temp_claim(int dirfd, const char *name, int fd);
size_t a0ipc_files_clean_temps(const a0ipc_files_root *r, size_t max_entries,
                               const atomic_bool *stop);

/* Removes everything inside the directory open at dirfd, never following symlinks; depth counts
 * levels so far. 0 or -errno (the first error; the walk stops there). */
int a0ipc_files_empty_dir(int dirfd, int depth);

/* Renames with RENAME_NOREPLACE unless replace; falls back to link + unlink for non-directories
 * on file systems without RENAME_NOREPLACE. 0 or -errno. */
int a0ipc_files_rename(int olddirfd, const char *oldname, int newdirfd, const char *newname,
                       bool replace);

/* The cross-file-system half of a0ipc_files_move, reachable from the tests without a second
 * file system: copies src (in sdir) to a temporary name in ddir, renames it to dname, removes src.
 * Paths in messages are srel and drel. */
a0ipc_code a0ipc_files_move_by_copy(int sdir, const char *sname, const char *srel, int ddir,
                                    const char *dname, const char *drel, bool overwrite,
                                    a0ipc_status *st);

#endif
