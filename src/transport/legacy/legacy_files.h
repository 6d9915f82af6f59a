/* The legacy file operations (docs/legacy-protocol.md, "File operations"): one C function per
 * function of Agent Zero's helpers.rfc_files, called over the legacy RFC with the same module,
 * function name and arguments, returning plain C results.
 *
 * Every function takes the RFC client, optional per-call options (timeout, cancellation; after
 * a failure o->error_type names the Python exception) and a status to fill, and returns its code.
 * Server-side failures keep the legacy's message exactly (legacy_errors.h has the codes):
 * "File not found: P" is NOT_FOUND, "Path is not a file: P" (a plain Exception) is UNKNOWN, and
 * so on. An answer of the wrong shape is INTERNAL. On failure the out-parameters are empty. */
#ifndef A0IPC_LEGACY_FILES_H
#define A0IPC_LEGACY_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"
#include "transport/legacy/rfc_client.h"

#define A0IPC_LEGACY_FILES_MODULE "helpers.rfc_files"

/* One entry of _list_folder_impl. */
typedef struct a0ipc_legacy_entry {
    char *name;
    char *path;
    bool is_file, is_dir; /* os.path.isfile / isdir: both follow symlinks */
    int64_t size;         /* st_size */
    double modified;      /* st_mtime, seconds since the epoch */
} a0ipc_legacy_entry;

typedef struct a0ipc_legacy_entries {
    a0ipc_legacy_entry *v;
    size_t n;
} a0ipc_legacy_entries;

typedef struct a0ipc_legacy_names {
    char **v;
    size_t n;
} a0ipc_legacy_names;

void a0ipc_legacy_entries_clear(a0ipc_legacy_entries *e);
void a0ipc_legacy_names_clear(a0ipc_legacy_names *n);

/* A glob argument as the legacy passes it: one string (list == false, n == 1) or a list. */
typedef struct a0ipc_legacy_globs {
    const char *const *v;
    size_t n;
    bool list;
} a0ipc_legacy_globs;

/* _read_file_as_base64_impl(path) and _read_file_binary_impl(path): the file's bytes, decoded
 * from the base64 answer. *data is never NULL on success (an empty file gives len 0). */
a0ipc_code a0ipc_legacy_read_file_as_base64(a0ipc_rfc_client *c, a0ipc_rfc_opts *o,
                                            const char *path, uint8_t **data, size_t *len,
                                            a0ipc_status *st);
a0ipc_code a0ipc_legacy_read_file_binary(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                         uint8_t **data, size_t *len, a0ipc_status *st);

/* _write_file_from_base64_impl(path, b64): takes base64 text, as its legacy caller
 * (files.write_file_base64) does; the server decodes it (and reports text that is not base64).
 * Creates parent directories, overwrites. */
a0ipc_code a0ipc_legacy_write_file_from_base64(a0ipc_rfc_client *c, a0ipc_rfc_opts *o,
                                               const char *path, const char *b64, a0ipc_status *st);
/* _write_file_binary_impl(path, b64): takes bytes and encodes them, as files.write_file_binary
 * does. */
a0ipc_code a0ipc_legacy_write_file_binary(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                          const uint8_t *data, size_t len, a0ipc_status *st);

/* _delete_file_impl(path), _delete_folder_impl(path) (recursive). */
a0ipc_code a0ipc_legacy_delete_file(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    a0ipc_status *st);
a0ipc_code a0ipc_legacy_delete_folder(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                      a0ipc_status *st);

/* _list_folder_impl(path, include_hidden): sorted by lower-cased name. */
a0ipc_code a0ipc_legacy_list_folder(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    bool include_hidden, a0ipc_legacy_entries *out,
                                    a0ipc_status *st);

/* _make_dirs_impl(path): an existing directory is fine. */
a0ipc_code a0ipc_legacy_make_dirs(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                  a0ipc_status *st);

/* _path_exists_impl, _file_exists_impl, _folder_exists_impl (path). */
a0ipc_code a0ipc_legacy_path_exists(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    bool *out, a0ipc_status *st);
a0ipc_code a0ipc_legacy_file_exists(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    bool *out, a0ipc_status *st);
a0ipc_code a0ipc_legacy_folder_exists(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                      bool *out, a0ipc_status *st);

/* _get_subdirectories_impl(path, include, exclude): names of subdirectories matching any
 * include glob and no exclude glob (exclude NULL: null), in directory order; none for a missing
 * path. */
a0ipc_code a0ipc_legacy_get_subdirectories(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                           const a0ipc_legacy_globs *include,
                                           const a0ipc_legacy_globs *exclude,
                                           a0ipc_legacy_names *out, a0ipc_status *st);

/* _move_file_impl(src, dst): creates dst's parent directories; rename(2). */
a0ipc_code a0ipc_legacy_move_file(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *src,
                                  const char *dst, a0ipc_status *st);

/* _zip_dir_impl(path): the path, on the server, of a new temporary zip whose entries are
 * <basename>/<relpath> (caller frees the string; the file is the server's to remove). */
a0ipc_code a0ipc_legacy_zip_dir(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                char **zip_path, a0ipc_status *st);

/* _read_directory_impl(path): the bytes of a zip whose entries are <relpath>. */
a0ipc_code a0ipc_legacy_read_directory(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                       uint8_t **zip, size_t *len, a0ipc_status *st);

#endif
