#include "transport/legacy/legacy_files.h"

#include <stdlib.h>
#include <string.h>

#include "transport/legacy/legacy_base64.h"

static const char *const type_names[] = {"null",   "bool",  "int",   "float",
                                         "string", "array", "object"};

/* Calls helpers.rfc_files.<function>(*args) (args owned and freed here; NULL means it could not
 * be built) and checks the answer's type. On OK *result is the answer (caller frees). */
static a0ipc_code call(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *function,
                       a0ipc_json *args, a0ipc_json_type want, a0ipc_json **result,
                       a0ipc_status *st)
{
    *result = NULL;
    if (o)
        o->error_type[0] = '\0';
    if (!args)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    a0ipc_json *r;
    a0ipc_code code = a0ipc_rfc_call(c, o, A0IPC_LEGACY_FILES_MODULE, function, args, NULL, &r, st);
    a0ipc_json_free(args);
    if (code != A0IPC_OK)
        return code;
    if (r->type != want) {
        a0ipc_json_type got = r->type;
        a0ipc_json_free(r);
        return a0ipc_status_set(st, A0IPC_INTERNAL, "legacy %s answered a %s, not a %s", function,
                                type_names[got], type_names[want]);
    }
    *result = r;
    return A0IPC_OK;
}

/* [s1, s2, ...] for n strings; NULL when one is NULL or out of memory. */
static a0ipc_json *string_args(size_t n, const char *s1, const char *s2)
{
    const char *s[2] = {s1, s2};
    a0ipc_json *args = a0ipc_json_array();
    for (size_t i = 0; args && i < n; i++) {
        if (a0ipc_json_array_add(args, a0ipc_json_string(s[i])) != 0) {
            a0ipc_json_free(args);
            args = NULL;
        }
    }
    return args;
}

static a0ipc_code need_path(const char *path, a0ipc_status *st)
{
    return path ? A0IPC_OK : a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no path");
}

/* A call answering `true` (the legacy's "done"): anything else is a broken answer. */
static a0ipc_code call_true(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *function,
                            a0ipc_json *args, a0ipc_status *st)
{
    a0ipc_json *r;
    if (call(c, o, function, args, A0IPC_JSON_BOOL, &r, st) != A0IPC_OK)
        return st->code;
    bool ok = r->u.b;
    a0ipc_json_free(r);
    if (!ok)
        return a0ipc_status_set(st, A0IPC_INTERNAL, "legacy %s answered false", function);
    return A0IPC_OK;
}

static a0ipc_code call_bool(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *function,
                            const char *path, bool *out, a0ipc_status *st)
{
    *out = false;
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    a0ipc_json *r;
    if (call(c, o, function, string_args(1, path, NULL), A0IPC_JSON_BOOL, &r, st) != A0IPC_OK)
        return st->code;
    *out = r->u.b;
    a0ipc_json_free(r);
    return A0IPC_OK;
}

/* A call answering base64 text, decoded. */
static a0ipc_code call_bytes(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *function,
                             const char *path, uint8_t **data, size_t *len, a0ipc_status *st)
{
    *data = NULL;
    *len = 0;
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    a0ipc_json *r;
    if (call(c, o, function, string_args(1, path, NULL), A0IPC_JSON_STRING, &r, st) != A0IPC_OK)
        return st->code;
    int rc = a0ipc_base64_decode(r->u.s.p, r->u.s.len, data, len);
    a0ipc_json_free(r);
    if (rc != 0)
        return a0ipc_status_set(st, A0IPC_INTERNAL, "legacy %s answered text that is not base64",
                                function);
    return A0IPC_OK;
}

a0ipc_code a0ipc_legacy_read_file_as_base64(a0ipc_rfc_client *c, a0ipc_rfc_opts *o,
                                            const char *path, uint8_t **data, size_t *len,
                                            a0ipc_status *st)
{
    return call_bytes(c, o, "_read_file_as_base64_impl", path, data, len, st);
}

a0ipc_code a0ipc_legacy_read_file_binary(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                         uint8_t **data, size_t *len, a0ipc_status *st)
{
    return call_bytes(c, o, "_read_file_binary_impl", path, data, len, st);
}

a0ipc_code a0ipc_legacy_write_file_from_base64(a0ipc_rfc_client *c, a0ipc_rfc_opts *o,
                                               const char *path, const char *b64, a0ipc_status *st)
{
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    if (!b64)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no content");
    return call_true(c, o, "_write_file_from_base64_impl", string_args(2, path, b64), st);
}

a0ipc_code a0ipc_legacy_write_file_binary(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                          const uint8_t *data, size_t len, a0ipc_status *st)
{
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    if (!data && len > 0)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no content");
    char *b64 = a0ipc_base64_encode(data, len);
    if (!b64)
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
    a0ipc_code code = call_true(c, o, "_write_file_binary_impl", string_args(2, path, b64), st);
    free(b64);
    return code;
}

a0ipc_code a0ipc_legacy_delete_file(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    a0ipc_status *st)
{
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    return call_true(c, o, "_delete_file_impl", string_args(1, path, NULL), st);
}

a0ipc_code a0ipc_legacy_delete_folder(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                      a0ipc_status *st)
{
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    return call_true(c, o, "_delete_folder_impl", string_args(1, path, NULL), st);
}

void a0ipc_legacy_entries_clear(a0ipc_legacy_entries *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].name);
        free(e->v[i].path);
    }
    free(e->v);
    *e = (a0ipc_legacy_entries){0};
}

void a0ipc_legacy_names_clear(a0ipc_legacy_names *n)
{
    for (size_t i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
    *n = (a0ipc_legacy_names){0};
}

static const a0ipc_json *member(const a0ipc_json *obj, const char *key, a0ipc_json_type type)
{
    const a0ipc_json *v = a0ipc_json_get(obj, key);
    return v && v->type == type ? v : NULL;
}

/* One {name, path, is_file, is_dir, size, modified}; -1 when the shape is wrong, -2 on OOM. */
static int entry_from(const a0ipc_json *obj, a0ipc_legacy_entry *e)
{
    const a0ipc_json *name = member(obj, "name", A0IPC_JSON_STRING);
    const a0ipc_json *path = member(obj, "path", A0IPC_JSON_STRING);
    const a0ipc_json *is_file = member(obj, "is_file", A0IPC_JSON_BOOL);
    const a0ipc_json *is_dir = member(obj, "is_dir", A0IPC_JSON_BOOL);
    const a0ipc_json *size = member(obj, "size", A0IPC_JSON_INT);
    const a0ipc_json *modified = a0ipc_json_get(obj, "modified");
    if (!name || !path || !is_file || !is_dir || !size || !modified ||
        (modified->type != A0IPC_JSON_FLOAT && modified->type != A0IPC_JSON_INT))
        return -1;
    e->name = strdup(name->u.s.p);
    e->path = strdup(path->u.s.p);
    if (!e->name || !e->path) {
        free(e->name);
        free(e->path);
        return -2;
    }
    e->is_file = is_file->u.b;
    e->is_dir = is_dir->u.b;
    e->size = size->u.i;
    e->modified = modified->type == A0IPC_JSON_FLOAT ? modified->u.f : (double)modified->u.i;
    return 0;
}

a0ipc_code a0ipc_legacy_list_folder(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    bool include_hidden, a0ipc_legacy_entries *out,
                                    a0ipc_status *st)
{
    *out = (a0ipc_legacy_entries){0};
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    a0ipc_json *args = string_args(1, path, NULL);
    if (args && a0ipc_json_array_add(args, a0ipc_json_bool(include_hidden)) != 0) {
        a0ipc_json_free(args);
        args = NULL;
    }
    a0ipc_json *r;
    if (call(c, o, "_list_folder_impl", args, A0IPC_JSON_ARRAY, &r, st) != A0IPC_OK)
        return st->code;
    a0ipc_legacy_entries list = {.v = calloc(r->u.arr.n ? r->u.arr.n : 1, sizeof *list.v)};
    int rc = list.v ? 0 : -2;
    for (size_t i = 0; rc == 0 && i < r->u.arr.n; i++) {
        const a0ipc_json *item = r->u.arr.items[i];
        rc = item->type == A0IPC_JSON_OBJECT ? entry_from(item, &list.v[i]) : -1;
        if (rc == 0)
            list.n++;
    }
    a0ipc_json_free(r);
    if (rc != 0) {
        a0ipc_legacy_entries_clear(&list);
        return rc == -2 ? a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory")
                        : a0ipc_status_set(st, A0IPC_INTERNAL,
                                           "legacy _list_folder_impl answered an entry that is "
                                           "not {name, path, is_file, is_dir, size, modified}");
    }
    *out = list;
    return A0IPC_OK;
}

a0ipc_code a0ipc_legacy_make_dirs(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                  a0ipc_status *st)
{
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    return call_true(c, o, "_make_dirs_impl", string_args(1, path, NULL), st);
}

a0ipc_code a0ipc_legacy_path_exists(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    bool *out, a0ipc_status *st)
{
    return call_bool(c, o, "_path_exists_impl", path, out, st);
}

a0ipc_code a0ipc_legacy_file_exists(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                    bool *out, a0ipc_status *st)
{
    return call_bool(c, o, "_file_exists_impl", path, out, st);
}

a0ipc_code a0ipc_legacy_folder_exists(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                      bool *out, a0ipc_status *st)
{
    return call_bool(c, o, "_folder_exists_impl", path, out, st);
}

/* A glob argument: "x", [..], or null (g == NULL). NULL when out of memory. */
static a0ipc_json *globs_json(const a0ipc_legacy_globs *g)
{
    if (!g)
        return a0ipc_json_null();
    if (!g->list)
        return a0ipc_json_string(g->v[0]);
    a0ipc_json *arr = a0ipc_json_array();
    for (size_t i = 0; arr && i < g->n; i++) {
        if (a0ipc_json_array_add(arr, a0ipc_json_string(g->v[i])) != 0) {
            a0ipc_json_free(arr);
            arr = NULL;
        }
    }
    return arr;
}

static bool globs_ok(const a0ipc_legacy_globs *g)
{
    if (!g->v || (!g->list && g->n != 1))
        return false;
    for (size_t i = 0; i < g->n; i++)
        if (!g->v[i])
            return false;
    return true;
}

a0ipc_code a0ipc_legacy_get_subdirectories(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                           const a0ipc_legacy_globs *include,
                                           const a0ipc_legacy_globs *exclude,
                                           a0ipc_legacy_names *out, a0ipc_status *st)
{
    *out = (a0ipc_legacy_names){0};
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    if (!include || !globs_ok(include) || (exclude && !globs_ok(exclude)))
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT,
                                "globs: one string, or a list of strings");
    a0ipc_json *args = string_args(1, path, NULL);
    if (args && (a0ipc_json_array_add(args, globs_json(include)) != 0 ||
                 a0ipc_json_array_add(args, globs_json(exclude)) != 0)) {
        a0ipc_json_free(args);
        args = NULL;
    }
    a0ipc_json *r;
    if (call(c, o, "_get_subdirectories_impl", args, A0IPC_JSON_ARRAY, &r, st) != A0IPC_OK)
        return st->code;
    a0ipc_legacy_names names = {.v = calloc(r->u.arr.n ? r->u.arr.n : 1, sizeof *names.v)};
    a0ipc_code code = names.v ? A0IPC_OK : A0IPC_RESOURCE_EXHAUSTED;
    for (size_t i = 0; code == A0IPC_OK && i < r->u.arr.n; i++) {
        const a0ipc_json *item = r->u.arr.items[i];
        if (item->type != A0IPC_JSON_STRING)
            code = A0IPC_INTERNAL;
        else if (!(names.v[names.n] = strdup(item->u.s.p)))
            code = A0IPC_RESOURCE_EXHAUSTED;
        else
            names.n++;
    }
    a0ipc_json_free(r);
    if (code != A0IPC_OK) {
        a0ipc_legacy_names_clear(&names);
        return code == A0IPC_INTERNAL
                   ? a0ipc_status_set(st, code,
                                      "legacy _get_subdirectories_impl answered a non-string")
                   : a0ipc_status_set(st, code, "out of memory");
    }
    *out = names;
    return A0IPC_OK;
}

a0ipc_code a0ipc_legacy_move_file(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *src,
                                  const char *dst, a0ipc_status *st)
{
    if (!src || !dst)
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "no source or destination");
    return call_true(c, o, "_move_file_impl", string_args(2, src, dst), st);
}

a0ipc_code a0ipc_legacy_zip_dir(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                char **zip_path, a0ipc_status *st)
{
    *zip_path = NULL;
    if (need_path(path, st) != A0IPC_OK)
        return st->code;
    a0ipc_json *r;
    if (call(c, o, "_zip_dir_impl", string_args(1, path, NULL), A0IPC_JSON_STRING, &r, st) !=
        A0IPC_OK)
        return st->code;
    *zip_path = r->u.s.p; /* moved out of the value */
    r->u.s.p = NULL;
    r->type = A0IPC_JSON_NULL;
    a0ipc_json_free(r);
    return A0IPC_OK;
}

a0ipc_code a0ipc_legacy_read_directory(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *path,
                                       uint8_t **zip, size_t *len, a0ipc_status *st)
{
    return call_bytes(c, o, "_read_directory_impl", path, zip, len, st);
}
