/* The legacy adapter's file operations: each transport.h operation as the `helpers.rfc_files`
 * calls that do it (the reverse of docs/files.md's table). The legacy moves whole files as
 * base64 in one JSON answer, so reads and writes are held in memory up to max_file_bytes. */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "transport/legacy/legacy_files.h"
#include "transport/legacy/legacy_transport_internal.h"

#define CHUNK            ((size_t)1 << 20) /* what a Read or Archive delivers at a time */
#define MAX_LIST_ENTRIES 100000            /* as a0ipcd's ListDir, then truncated */

/* ---- stat and list ---- */

static a0ipc_file_type type_of(const a0ipc_legacy_entry *e)
{
    return e->is_dir ? A0IPC_FILE_DIR : e->is_file ? A0IPC_FILE_REGULAR : A0IPC_FILE_OTHER;
}

static int64_t mtime_ns_of(double modified)
{
    double ns = modified * 1e9;
    return (int64_t)(ns < 0 ? ns - 0.5 : ns + 0.5);
}

/* Fills fi from a legacy entry, with the given display path; -1 when out of memory. */
static int info_of(const a0ipc_legacy_entry *e, const char *path, a0ipc_file_info *fi)
{
    memset(fi, 0, sizeof *fi);
    fi->name = strdup(e->name);
    fi->path = strdup(path);
    fi->symlink_target = strdup("");
    fi->type = type_of(e);
    fi->size = e->size > 0 ? (uint64_t)e->size : 0;
    fi->mtime_ns = mtime_ns_of(e->modified);
    if (!fi->name || !fi->path || !fi->symlink_target) {
        a0ipc_file_info_clear(fi);
        return -1;
    }
    return 0;
}

/* The legacy has no stat: the entry comes from a listing of the parent (which also gives its
 * size and mtime). The root, which has no parent, is described by _folder_exists_impl. */
a0ipc_code ltr_stat(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                    bool follow_symlinks, a0ipc_file_info *out, a0ipc_status *st)
{
    (void)follow_symlinks; /* the legacy's listing always follows symlinks */
    legacy_transport *l = t->ctx;
    memset(out, 0, sizeof *out);
    char *abs = ltr_path(l, path, st);
    if (!abs)
        return st->code;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    a0ipc_code code;
    if (strcmp(abs, "/") == 0) {
        bool dir = false;
        code = a0ipc_legacy_folder_exists(l->rfc, &ro, abs, &dir, st);
        if (code == A0IPC_OK && !dir)
            code = a0ipc_status_set(st, A0IPC_NOT_FOUND, "Path not found: %s", path);
        if (code == A0IPC_OK &&
            info_of(&(a0ipc_legacy_entry){.name = "", .is_dir = true}, path, out) != 0)
            code = ltr_oom(st);
        free(abs);
        return code;
    }
    char *parent = ltr_parent(abs);
    a0ipc_legacy_entries e = {0};
    code = parent ? a0ipc_legacy_list_folder(l->rfc, &ro, parent, true, &e, st) : ltr_oom(st);
    if (code == A0IPC_NOT_FOUND)
        a0ipc_status_set(st, A0IPC_NOT_FOUND, "Path not found: %s", path);
    else if (code != A0IPC_OK)
        code = ltr_refine(&ro, st);
    if (code == A0IPC_OK) {
        const a0ipc_legacy_entry *hit = NULL;
        for (size_t i = 0; i < e.n && !hit; i++)
            if (strcmp(e.v[i].name, ltr_base(abs)) == 0)
                hit = &e.v[i];
        if (!hit)
            code = a0ipc_status_set(st, A0IPC_NOT_FOUND, "Path not found: %s", path);
        else if (info_of(hit, path, out) != 0)
            code = ltr_oom(st);
    }
    a0ipc_legacy_entries_clear(&e);
    free(parent);
    free(abs);
    return code;
}

typedef struct lister {
    legacy_transport *l;
    a0ipc_rfc_opts *ro;
    bool include_hidden;
    a0ipc_file_list *list;
    size_t cap;
    a0ipc_status *st;
} lister;

static int push(lister *ls, const a0ipc_legacy_entry *e, const char *display)
{
    a0ipc_file_list *list = ls->list;
    if (list->n_entries == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 64;
        a0ipc_file_info *v = realloc(list->entries, cap * sizeof *v);
        if (!v)
            return -1;
        list->entries = v;
        ls->cap = cap;
    }
    if (info_of(e, display, &list->entries[list->n_entries]) != 0)
        return -1;
    list->n_entries++;
    return 0;
}

/* Lists abs (shown as display) depth levels deep: depth first, each directory's entries in
 * the legacy's order, a subdirectory's entries right after it, as a0ipcd's ListDir. */
static a0ipc_code list_into(lister *ls, const char *abs, const char *display, uint32_t depth)
{
    a0ipc_legacy_entries e = {0};
    if (a0ipc_legacy_list_folder(ls->l->rfc, ls->ro, abs, ls->include_hidden, &e, ls->st) !=
        A0IPC_OK)
        return ltr_refine(ls->ro, ls->st);
    a0ipc_code code = A0IPC_OK;
    for (size_t i = 0; i < e.n && code == A0IPC_OK && !ls->list->truncated; i++) {
        if (ls->list->n_entries >= MAX_LIST_ENTRIES) {
            ls->list->truncated = true;
            break;
        }
        char *shown = ltr_join(display, e.v[i].name);
        char *child = ltr_join(abs, e.v[i].name);
        if (!shown || !child || push(ls, &e.v[i], shown) != 0)
            code = ltr_oom(ls->st);
        else if (depth > 1 && e.v[i].is_dir)
            code = list_into(ls, child, shown, depth - 1);
        free(shown);
        free(child);
    }
    a0ipc_legacy_entries_clear(&e);
    return code;
}

a0ipc_code ltr_list_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                        uint32_t depth, bool include_hidden, a0ipc_file_list **out,
                        a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    *out = NULL;
    char *abs = ltr_path(l, path, st);
    if (!abs)
        return st->code;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    a0ipc_file_list *list = calloc(1, sizeof *list);
    lister ls = {.l = l, .ro = &ro, .include_hidden = include_hidden, .list = list, .st = st};
    a0ipc_code code = list ? list_into(&ls, abs, path, depth ? depth : 1) : ltr_oom(st);
    free(abs);
    if (code != A0IPC_OK) {
        a0ipc_file_list_free(list);
        return code;
    }
    *out = list;
    return A0IPC_OK;
}

/* ---- read, write, archive ---- */

/* Gives data[0..len) to the sink in chunks; CANCELLED when the sink stops. */
static a0ipc_code deliver(const uint8_t *data, size_t len, a0ipc_data_fn sink, void *arg,
                          a0ipc_status *st)
{
    for (size_t at = 0; at < len; at += CHUNK) {
        size_t n = len - at < CHUNK ? len - at : CHUNK;
        if (sink && sink(arg, data + at, n) != 0)
            return a0ipc_status_set(st, A0IPC_CANCELLED, "stopped by the caller");
    }
    return A0IPC_OK;
}

a0ipc_code ltr_read(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                    uint64_t offset, uint64_t length, a0ipc_data_fn sink, void *arg,
                    a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    char *abs = ltr_path(l, path, st);
    if (!abs)
        return st->code;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    uint8_t *data = NULL;
    size_t len = 0;
    a0ipc_code code = a0ipc_legacy_read_file_binary(l->rfc, &ro, abs, &data, &len, st);
    free(abs);
    if (code != A0IPC_OK)
        return ltr_refine(&ro, st);
    if (offset > len)
        code = a0ipc_status_set(st, A0IPC_OUT_OF_RANGE,
                                "offset %llu is past the end of %s (%zu bytes)",
                                (unsigned long long)offset, path, len);
    else {
        size_t n = len - (size_t)offset;
        if (length && length < n)
            n = (size_t)length;
        code = deliver(data + offset, n, sink, arg, st);
    }
    free(data);
    return code;
}

/* Reads the whole upload; CANCELLED when the source aborts, RESOURCE_EXHAUSTED past the limit. */
static a0ipc_code collect(const legacy_transport *l, a0ipc_source_fn source, void *arg,
                          uint8_t **out, size_t *out_len, a0ipc_status *st)
{
    size_t len = 0, cap = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (cap - len < CHUNK) {
            size_t ncap = cap ? cap * 2 : CHUNK * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return ltr_oom(st);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = source ? source(arg, buf + len, CHUNK) : 0;
        if (n < 0) {
            free(buf);
            return a0ipc_status_set(st, A0IPC_CANCELLED, "the upload was aborted by its source");
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > l->max_file_bytes) {
            free(buf);
            return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED,
                                    "the upload is larger than the legacy transport's limit of "
                                    "%zu bytes (whole files travel in memory)",
                                    l->max_file_bytes);
        }
    }
    *out = buf;
    *out_len = len;
    return A0IPC_OK;
}

/* The checks the legacy does not make, made before the call (so not atomic with it). */
static a0ipc_code write_preconditions(legacy_transport *l, a0ipc_rfc_opts *ro, const char *abs,
                                      const a0ipc_write_options *w, a0ipc_status *st)
{
    if (w->mode)
        return ltr_unimplemented(st, "cannot set file modes (the legacy write has none)");
    bool yes = false;
    if (w->overwrite == A0IPC_OVERWRITE_FAIL) {
        if (a0ipc_legacy_path_exists(l->rfc, ro, abs, &yes, st) != A0IPC_OK)
            return st->code;
        if (yes)
            return a0ipc_status_set(st, A0IPC_ALREADY_EXISTS, "%s exists", w->path);
    }
    if (!w->create_parents) {
        char *parent = ltr_parent(abs);
        if (!parent)
            return ltr_oom(st);
        a0ipc_code code = a0ipc_legacy_folder_exists(l->rfc, ro, parent, &yes, st);
        free(parent);
        if (code != A0IPC_OK)
            return code;
        if (!yes)
            return a0ipc_status_set(st, A0IPC_NOT_FOUND, "the parent directory of %s is missing",
                                    w->path);
    }
    return A0IPC_OK;
}

a0ipc_code ltr_write(a0ipc_transport *t, const a0ipc_call_options *o, const a0ipc_write_options *w,
                     a0ipc_source_fn source, void *arg, a0ipc_write_result *out, a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    memset(out, 0, sizeof *out);
    char *abs = ltr_path(l, w->path, st);
    if (!abs)
        return st->code;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t sum[SHA256_DIGEST_LENGTH];
    a0ipc_code code = write_preconditions(l, &ro, abs, w, st);
    if (code == A0IPC_OK)
        code = collect(l, source, arg, &data, &len, st);
    if (code == A0IPC_OK) {
        SHA256(data, len, sum);
        if (w->has_expected_size && w->expected_size != len)
            code = a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                    "%s: the upload is %zu bytes, %llu were expected", w->path, len,
                                    (unsigned long long)w->expected_size);
        else if (w->expected_sha256 && CRYPTO_memcmp(sum, w->expected_sha256, sizeof sum) != 0)
            code = a0ipc_status_set(st, A0IPC_DATA_LOSS,
                                    "%s: the upload's SHA-256 is not the expected one; nothing "
                                    "was written",
                                    w->path);
    }
    if (code == A0IPC_OK &&
        a0ipc_legacy_write_file_binary(l->rfc, &ro, abs, data, len, st) != A0IPC_OK)
        code = ltr_refine(&ro, st);
    if (code == A0IPC_OK) {
        out->bytes_written = len;
        memcpy(out->sha256, sum, sizeof sum);
    }
    free(data);
    free(abs);
    return code;
}

a0ipc_code ltr_archive(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                       a0ipc_archive_format format, bool include_base_name, a0ipc_data_fn sink,
                       void *arg, a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    if (format != A0IPC_ARCHIVE_ZIP && format != 0)
        return ltr_unimplemented(st, "makes zip archives only");
    char *abs = ltr_path(l, path, st);
    if (!abs)
        return st->code;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    uint8_t *zip = NULL;
    size_t len = 0;
    a0ipc_code code;
    if (include_base_name) {
        /* _zip_dir_impl leaves a temporary zip on the runtime: fetch it, then remove it. */
        char *zip_path = NULL;
        code = a0ipc_legacy_zip_dir(l->rfc, &ro, abs, &zip_path, st);
        if (code == A0IPC_OK) {
            code = a0ipc_legacy_read_file_binary(l->rfc, &ro, zip_path, &zip, &len, st);
            a0ipc_status rm = A0IPC_STATUS_INIT;
            a0ipc_rfc_opts rro;
            ltr_rfc_opts(NULL, &rro);
            if (a0ipc_legacy_delete_file(l->rfc, &rro, zip_path, &rm) != A0IPC_OK)
                A0IPC_LOGW("legacy transport: cannot remove the temporary zip %s: %s", zip_path,
                           a0ipc_status_message(&rm));
            a0ipc_status_clear(&rm);
            free(zip_path);
        }
    } else {
        code = a0ipc_legacy_read_directory(l->rfc, &ro, abs, &zip, &len, st);
    }
    free(abs);
    if (code != A0IPC_OK)
        code = ltr_refine(&ro, st);
    else
        code = deliver(zip, len, sink, arg, st);
    free(zip);
    return code;
}

/* ---- remove, make_dir, move ---- */

a0ipc_code ltr_remove(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                      bool recursive, bool missing_ok, a0ipc_file_type must_be, bool *removed,
                      a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    *removed = false;
    char *abs = ltr_path(l, path, st);
    if (!abs)
        return st->code;
    if (strcmp(abs, l->root) == 0 || strcmp(abs, "/") == 0) {
        free(abs);
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "the root cannot be removed");
    }
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    bool dir = must_be == A0IPC_FILE_DIR;
    a0ipc_code code = A0IPC_OK;
    if (must_be == A0IPC_FILE_UNSPECIFIED)
        code = a0ipc_legacy_folder_exists(l->rfc, &ro, abs, &dir, st);
    if (code == A0IPC_OK && dir && !recursive) {
        /* The legacy's folder delete is always recursive; a0ipcd's is not unless asked. */
        a0ipc_legacy_entries e = {0};
        code = a0ipc_legacy_list_folder(l->rfc, &ro, abs, true, &e, st);
        if (code == A0IPC_OK && e.n > 0)
            code =
                a0ipc_status_set(st, A0IPC_FAILED_PRECONDITION,
                                 "%s is a directory that is not empty (recursive not set)", path);
        a0ipc_legacy_entries_clear(&e);
    }
    if (code == A0IPC_OK)
        code = dir ? a0ipc_legacy_delete_folder(l->rfc, &ro, abs, st)
                   : a0ipc_legacy_delete_file(l->rfc, &ro, abs, st);
    free(abs);
    if (code == A0IPC_NOT_FOUND && missing_ok) {
        a0ipc_status_clear(st);
        return st->code = A0IPC_OK;
    }
    if (code != A0IPC_OK)
        return ltr_refine(&ro, st);
    *removed = true;
    return A0IPC_OK;
}

a0ipc_code ltr_make_dir(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                        uint32_t mode, bool parents, bool exist_ok, bool *created, a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    *created = false;
    if (mode)
        return ltr_unimplemented(st, "cannot set directory modes (the legacy mkdir has none)");
    char *abs = ltr_path(l, path, st);
    if (!abs)
        return st->code;
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    bool dir = false, exists = false, parent_ok = true;
    a0ipc_code code = a0ipc_legacy_folder_exists(l->rfc, &ro, abs, &dir, st);
    if (code == A0IPC_OK && !dir)
        code = a0ipc_legacy_path_exists(l->rfc, &ro, abs, &exists, st);
    if (code == A0IPC_OK && !dir && !exists && !parents) {
        char *parent = ltr_parent(abs);
        code =
            parent ? a0ipc_legacy_folder_exists(l->rfc, &ro, parent, &parent_ok, st) : ltr_oom(st);
        free(parent);
    }
    if (code == A0IPC_OK && (exists || (dir && !exist_ok)))
        code = a0ipc_status_set(st, A0IPC_ALREADY_EXISTS, "%s exists", path);
    else if (code == A0IPC_OK && !parent_ok)
        code = a0ipc_status_set(st, A0IPC_NOT_FOUND, "the parent directory of %s is missing", path);
    else if (code == A0IPC_OK && !dir && a0ipc_legacy_make_dirs(l->rfc, &ro, abs, st) != A0IPC_OK)
        code = ltr_refine(&ro, st);
    else if (code == A0IPC_OK)
        *created = !dir;
    free(abs);
    return code;
}

a0ipc_code ltr_move(a0ipc_transport *t, const a0ipc_call_options *o, const char *source,
                    const char *destination, bool overwrite, bool create_parents, a0ipc_status *st)
{
    legacy_transport *l = t->ctx;
    char *src = ltr_path(l, source, st);
    char *dst = src ? ltr_path(l, destination, st) : NULL;
    if (!dst) {
        free(src);
        return st->code;
    }
    a0ipc_rfc_opts ro;
    ltr_rfc_opts(o, &ro);
    bool yes = false;
    a0ipc_code code = A0IPC_OK;
    if (!overwrite && (code = a0ipc_legacy_path_exists(l->rfc, &ro, dst, &yes, st)) == A0IPC_OK &&
        yes)
        code = a0ipc_status_set(st, A0IPC_ALREADY_EXISTS, "%s exists", destination);
    if (code == A0IPC_OK && !create_parents) {
        char *parent = ltr_parent(dst);
        code = parent ? a0ipc_legacy_folder_exists(l->rfc, &ro, parent, &yes, st) : ltr_oom(st);
        free(parent);
        if (code == A0IPC_OK && !yes)
            code = a0ipc_status_set(st, A0IPC_NOT_FOUND, "the parent directory of %s is missing",
                                    destination);
    }
    if (code == A0IPC_OK && a0ipc_legacy_move_file(l->rfc, &ro, src, dst, st) != A0IPC_OK)
        code = ltr_refine(&ro, st);
    free(src);
    free(dst);
    return code;
}

a0ipc_code ltr_watch(a0ipc_transport *t, const a0ipc_call_options *o, const char *path,
                     bool recursive, a0ipc_watch_fn on_event, void *arg, a0ipc_status *st)
{
    (void)t, (void)o, (void)path, (void)recursive, (void)on_event, (void)arg;
    return ltr_unimplemented(st, "cannot watch files (the legacy IPC has no such call)");
}
