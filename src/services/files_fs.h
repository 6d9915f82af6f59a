/* The Files service's core: root-confined file operations in plain C, with no gRPC types, so that
 * the handlers (files.c) only translate messages and the tests can drive every operation directly.
 *
 * Confinement: every path is read as files.proto says (relative to the root, or absolute under
 * the root's canonical path) and then resolved by the kernel beneath the root's directory fd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). Creating, removing and renaming resolve the
 * parent directory that way and then act on the last name with *at() calls on the parent's fd, so
 * no full path string is ever handed to the kernel, and a symlink swapped in during the call can
 * at worst make the call fail. Escapes are PERMISSION_DENIED, malformed paths INVALID_ARGUMENT.
 *
 * Errors: every function returns an a0ipc_code and fills `st` (code and message) when it is not
 * A0IPC_OK. Codes come from a0ipc_code_from_errno; messages name paths relative to the root,
 * never the host path of the root.
 *
 * Paths handed back (a0ipc_files_entry.path, events) are relative to the root, "/"-separated,
 * "." for the root itself; a0ipc_files_display_path turns them into the request's form.
 *
 * Threads: a root is immutable after a0ipc_files_root_open and may be shared by any number of
 * threads. Readers, writers, watches are used by one thread at a time. */
#ifndef A0IPC_SERVICES_FILES_FS_H
#define A0IPC_SERVICES_FILES_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"

/* The largest chunk Read and Archive produce (files.proto promises at most 1 MiB). */
#define A0IPC_FILES_CHUNK_MAX (1u << 20)
/* How many levels ListDir, Remove, Move and Archive descend at most. Deeper trees are answered
 * FAILED_PRECONDITION rather than risking the process's file descriptors. */
#define A0IPC_FILES_MAX_DEPTH 128

typedef struct a0ipc_files_root a0ipc_files_root;

/* Opens the root directory `path` (made canonical with realpath). Fails UNIMPLEMENTED when the
 * kernel has no openat2 (Linux < 5.6): confinement depends on it. */
a0ipc_code a0ipc_files_root_open(const char *path, a0ipc_files_root **out, a0ipc_status *st);
void a0ipc_files_root_free(a0ipc_files_root *r);
/* The root's canonical absolute path. */
const char *a0ipc_files_root_path(const a0ipc_files_root *r);

/* Checks a request path and returns (in *rel, caller frees) the same path relative to the root:
 * "/"-separated, with empty and "." components dropped, "." for the root; ".." components are
 * kept for the kernel to judge. *was_absolute tells whether the caller wrote it absolute (may be
 * NULL). len is the path's byte length, so that a NUL inside the path can be refused. */
a0ipc_code a0ipc_files_path_parse(const a0ipc_files_root *r, const char *path, size_t len,
                                  char **rel, bool *was_absolute, a0ipc_status *st);

/* Turns a root-relative path from this module into the request's form: itself when the request
 * path was relative, the root's canonical path joined with it when it was absolute. Returns a new
 * string (caller frees) or NULL when out of memory. */
char *a0ipc_files_display_path(const a0ipc_files_root *r, const char *rel, bool absolute);

/* Same numbers as files.proto's FileType (checked next to each cast, in files.c). */
typedef enum a0ipc_files_type {
    A0IPC_FILES_TYPE_UNSPECIFIED = 0,
    A0IPC_FILES_TYPE_FILE = 1,
    A0IPC_FILES_TYPE_DIR = 2,
    A0IPC_FILES_TYPE_SYMLINK = 3,
    A0IPC_FILES_TYPE_OTHER = 4,
} a0ipc_files_type;

/* One file system object, as Stat and ListDir find it. Owns its strings. (Not the public
 * a0ipc_file_info of transport.h, which is what a client receives.) */
typedef struct a0ipc_files_entry {
    char *name;            /* last component; "." for the root */
    char *path;            /* relative to the root */
    a0ipc_files_type type; /* of the object itself (a symlink is SYMLINK) */
    uint64_t size;
    uint32_t mode; /* st_mode & 07777 */
    int64_t mtime_ns;
    int64_t ctime_ns;
    char *symlink_target; /* the link's text for a symlink, else NULL */
} a0ipc_files_entry;

void a0ipc_files_entry_clear(a0ipc_files_entry *info);

/* Stat: describes `path`; with follow, a symlink's target (beneath the root) instead. */
a0ipc_code a0ipc_files_stat(const a0ipc_files_root *r, const char *path, bool follow,
                            a0ipc_files_entry *out, a0ipc_status *st);

/* ListDir's result. Owns its entries. */
typedef struct a0ipc_files_list {
    a0ipc_files_entry *entries;
    size_t n;
    bool truncated; /* stopped at max_entries */
} a0ipc_files_list;

void a0ipc_files_list_clear(a0ipc_files_list *l);

/* ListDir: the entries of directory `path`, `depth` levels deep (0 counts as 1), depth first,
 * each directory's entries in the legacy order (lower-cased name, then exact name). Hidden names
 * (leading ".") are skipped unless include_hidden. At most max_entries entries (0: no limit);
 * truncated says when entries were left out. Symlinks are listed, never descended into. */
a0ipc_code a0ipc_files_list_dir(const a0ipc_files_root *r, const char *path, unsigned depth,
                                bool include_hidden, size_t max_entries, a0ipc_files_list *out,
                                a0ipc_status *st);

/* The legacy order of names: Python's sorted(key=str.lower) on os.listdir's strings, then the
 * exact bytes so the order is total. <0, 0, >0 like strcmp. */
int a0ipc_files_name_cmp(const char *a, const char *b);

/* ---- Read: a regular file in chunks; memory does not depend on the file's size ---- */

typedef struct a0ipc_files_reader a0ipc_files_reader;

/* Opens regular file `path` (symlinks beneath the root followed) for the range [offset,
 * offset+length) (length 0: to the end). An offset past the end is OUT_OF_RANGE; anything but a
 * regular file FAILED_PRECONDITION. *file_size (may be NULL) gets the size at open. */
a0ipc_code a0ipc_files_read_open(const a0ipc_files_root *r, const char *path, uint64_t offset,
                                 uint64_t length, a0ipc_files_reader **out, uint64_t *file_size,
                                 a0ipc_status *st);
/* Reads the next bytes of the range into buf (up to cap). *n == 0 means the range is done.
 * *offset (may be NULL) gets the file offset of buf[0]. */
a0ipc_code a0ipc_files_read_next(a0ipc_files_reader *rd, void *buf, size_t cap, size_t *n,
                                 uint64_t *offset, a0ipc_status *st);
void a0ipc_files_read_close(a0ipc_files_reader *rd);

/* ---- Write: atomic replacement through a temporary file in the same directory ---- */

typedef struct a0ipc_files_write_options {
    uint32_t mode;       /* <= 0777; 0: the replaced file's mode, or 0644 for a new file */
    bool create_parents; /* mkdir -p the parent first (0755) */
    bool no_replace;     /* ALREADY_EXISTS when the path exists (atomic, RENAME_NOREPLACE) */
    bool has_expected_size;
    uint64_t expected_size;
    bool has_expected_sha256;
    uint8_t expected_sha256[32];
} a0ipc_files_write_options;

typedef struct a0ipc_files_writer a0ipc_files_writer;

/* Starts a write of `path`: checks the path, creates parents when asked and the temporary file
 * `.<name>.a0ipc-XXXXXX` (O_EXCL, mode 0600 until commit) next to it. Nothing is visible at
 * `path` until a0ipc_files_write_commit succeeds. */
a0ipc_code a0ipc_files_write_begin(const a0ipc_files_root *r, const char *path,
                                   const a0ipc_files_write_options *o, a0ipc_files_writer **out,
                                   a0ipc_status *st);
/* Appends a chunk. On failure the writer stays valid: the caller still commits or aborts it
 * (abort is the only sensible choice). Going past expected_size fails at once. */
a0ipc_code a0ipc_files_write_chunk(a0ipc_files_writer *w, const void *data, size_t len,
                                   a0ipc_status *st);
/* Everything but the rename: checks size and SHA-256, applies owner and mode, syncs and closes
 * the temporary file. On failure the writer stays valid (abort it). A caller that can learn late
 * that the upload was abandoned (a stream cancelled while it ended) seals first, looks again,
 * and only then commits, so the window in which a partial upload could be published is the
 * rename alone. Calling it is optional: commit seals when needed. No more chunks after it. */
a0ipc_code a0ipc_files_write_seal(a0ipc_files_writer *w, a0ipc_status *st);
/* Seals (unless done), renames over `path`, syncs the directory.
 * Always consumes w: on failure the temporary file is removed and `path` is as it was (except
 * when only the final directory sync failed: then the new content is in place and the error
 * says so). bytes_written and sha256 (32 bytes) may be NULL. */
a0ipc_code a0ipc_files_write_commit(a0ipc_files_writer *w, uint64_t *bytes_written, uint8_t *sha256,
                                    a0ipc_status *st);
/* Gives up: removes the temporary file and frees w. For a stream that broke, was cancelled or
 * ran past its deadline. NULL is a no-op. */
void a0ipc_files_write_abort(a0ipc_files_writer *w);

/* ---- Remove, MakeDir, Move ---- */

/* Removes `path` (a symlink itself, never its target). A non-empty directory needs recursive;
 * the walk works on directory fds and never follows symlinks. A missing path is OK with
 * *removed = false when missing_ok. When type is not UNSPECIFIED the object must be of that
 * type, else FAILED_PRECONDITION. The root itself is INVALID_ARGUMENT. removed may be NULL. */
a0ipc_code a0ipc_files_remove(const a0ipc_files_root *r, const char *path, bool recursive,
                              bool missing_ok, a0ipc_files_type type, bool *removed,
                              a0ipc_status *st);

/* Creates directory `path` with exactly `mode` (0: 0755; at most 0777). parents: create missing
 * parents too. exist_ok: an existing directory (or symlink to one beneath the root) is OK with
 * *created = false; anything else existing stays ALREADY_EXISTS. created may be NULL. */
a0ipc_code a0ipc_files_mkdir(const a0ipc_files_root *r, const char *path, uint32_t mode,
                             bool parents, bool exist_ok, bool *created, a0ipc_status *st);

/* Renames src to dst inside the root. Without overwrite an existing dst is ALREADY_EXISTS
 * (RENAME_NOREPLACE). Across file systems: copies to a temporary name beside dst (files, symlinks
 * and whole directory trees, never following symlinks), renames it into place, then removes src;
 * *copied (may be NULL) says so. create_parents: mkdir -p dst's parent first. */
a0ipc_code a0ipc_files_move(const a0ipc_files_root *r, const char *src, const char *dst,
                            bool overwrite, bool create_parents, bool *copied, a0ipc_status *st);

/* ---- Archive ---- */

typedef enum a0ipc_files_archive_format {
    A0IPC_FILES_ARCHIVE_ZIP = 1,    /* deflate */
    A0IPC_FILES_ARCHIVE_TAR_GZ = 2, /* pax tar, gzip */
} a0ipc_files_archive_format;

/* Receives the archive's bytes in order, len <= A0IPC_FILES_CHUNK_MAX. A code other than OK
 * stops the archive and becomes its result (with st set by the sink, or a generic message). */
typedef a0ipc_code (*a0ipc_files_sink_fn)(void *arg, const void *data, size_t len,
                                          a0ipc_status *st);

/* Writes an archive of directory `path` to sink. Entry names are relative to the directory,
 * prefixed with its own name when include_base_name. Regular files, directories and symlinks
 * (stored as symlinks, never followed) are included; other types are left out. */
a0ipc_code a0ipc_files_archive(const a0ipc_files_root *r, const char *path,
                               a0ipc_files_archive_format format, bool include_base_name,
                               a0ipc_files_sink_fn sink, void *arg, a0ipc_status *st);

/* ---- Watch ---- */

/* Same numbers as files.proto's WatchEventType (READY is the handler's to send). */
typedef enum a0ipc_files_event_type {
    A0IPC_FILES_EVENT_CREATE = 2,
    A0IPC_FILES_EVENT_MODIFY = 3,
    A0IPC_FILES_EVENT_REMOVE = 4,
    A0IPC_FILES_EVENT_RENAME = 5,
    A0IPC_FILES_EVENT_OVERFLOW = 6,
} a0ipc_files_event_type;

/* One change. Owns its strings. */
typedef struct a0ipc_files_event {
    a0ipc_files_event_type type;
    char *path;     /* relative to the root; the new path of a RENAME; NULL for OVERFLOW */
    char *old_path; /* RENAME only, else NULL */
    bool is_dir;
} a0ipc_files_event;

void a0ipc_files_event_clear(a0ipc_files_event *ev);

typedef struct a0ipc_files_watch a0ipc_files_watch;

/* Starts watching directory `path` (and, when recursive, every subdirectory now and later).
 * Every change after this returns is reported. */
a0ipc_code a0ipc_files_watch_open(const a0ipc_files_root *r, const char *path, bool recursive,
                                  a0ipc_files_watch **out, a0ipc_status *st);
/* A descriptor that polls readable (POLLIN) when a0ipc_files_watch_next may have an event. */
int a0ipc_files_watch_fd(const a0ipc_files_watch *w);
/* Takes the next event without blocking: 1 with *ev filled (caller clears it), 0 when none is
 * ready, -1 on error (st set). After the watched directory is removed or moved away, the last
 * event is its REMOVE and a0ipc_files_watch_ended turns true. */
int a0ipc_files_watch_next(a0ipc_files_watch *w, a0ipc_files_event *ev, a0ipc_status *st);
bool a0ipc_files_watch_ended(const a0ipc_files_watch *w);
void a0ipc_files_watch_free(a0ipc_files_watch *w);

#endif
