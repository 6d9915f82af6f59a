/* a0.runtime.v1.Files: registration and the unary handlers (Stat, ListDir, Remove, MakeDir,
 * Move). Each one checks what only the wire can get wrong (enum values), calls the core, and
 * copies the result into call memory. */
#include "services/files.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "services/files_handlers.h"
#include "services/files_internal.h"
#include "common/same_number.h"

/* ListDir's answer must fit one message under the server's send limit (4 MiB by default). */
#define LIST_MAX_ENTRIES 100000
#define LIST_MAX_BYTES   (3u << 20)

char *a0ipc_files_h_display(a0ipc_rpc_ctx *ctx, const char *rel, bool absolute)
{
    char *s = a0ipc_files_display_path(a0ipc_files_h_root(ctx), rel, absolute);
    char *out = a0ipc_rpc_ctx_strdup(ctx, s ? s : rel);
    free(s);
    return out;
}

/* The cast below converts between files_fs.h's a0ipc_files_type and the proto's FileType. */
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_UNSPECIFIED, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_UNSPECIFIED);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_FILE, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_FILE);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_DIR, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_DIR);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_SYMLINK, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_SYMLINK);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_OTHER, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_OTHER);

static void to_file_info(a0ipc_rpc_ctx *ctx, A0__Runtime__V1__FileInfo *out,
                         const a0ipc_files_entry *in, bool absolute)
{
    a0__runtime__v1__file_info__init(out);
    out->name = a0ipc_rpc_ctx_strdup(ctx, in->name);
    out->path = a0ipc_files_h_display(ctx, in->path, absolute);
    out->type = (A0__Runtime__V1__FileType)in->type;
    out->size = in->size;
    out->mode = in->mode;
    out->mtime_ns = in->mtime_ns;
    out->ctime_ns = in->ctime_ns;
    if (in->symlink_target)
        out->symlink_target = a0ipc_rpc_ctx_strdup(ctx, in->symlink_target);
}

static a0ipc_code stat_(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__StatRequest *req,
                        A0__Runtime__V1__StatResponse *resp)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_files_entry info;
    if (a0ipc_files_stat(a0ipc_files_h_root(ctx), req->path, req->follow_symlinks, &info, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    resp->info = a0ipc_rpc_ctx_alloc(ctx, sizeof *resp->info);
    to_file_info(ctx, resp->info, &info, a0ipc_files_h_absolute(req->path));
    a0ipc_files_entry_clear(&info);
    return A0IPC_OK;
}

static a0ipc_code list_dir(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__ListDirRequest *req,
                           A0__Runtime__V1__ListDirResponse *resp)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    a0ipc_files_list l;
    if (a0ipc_files_list_dir(a0ipc_files_h_root(ctx), req->path, req->depth, req->include_hidden,
                             LIST_MAX_ENTRIES, &l, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    bool absolute = a0ipc_files_h_absolute(req->path);
    resp->entries = a0ipc_rpc_ctx_alloc(ctx, (l.n ? l.n : 1) * sizeof *resp->entries);
    A0__Runtime__V1__FileInfo *infos = a0ipc_rpc_ctx_alloc(ctx, (l.n ? l.n : 1) * sizeof *infos);
    size_t bytes = 0, budget = a0ipc_rpc_ctx_payload_max(ctx, 64);
    if (budget > LIST_MAX_BYTES)
        budget = LIST_MAX_BYTES; /* the answer fits the daemon's own send limit */
    resp->truncated = l.truncated;
    for (size_t i = 0; i < l.n; i++) {
        to_file_info(ctx, &infos[i], &l.entries[i], absolute);
        /* field tag + length prefix + the entry */
        bytes += 1 + 5 + a0__runtime__v1__file_info__get_packed_size(&infos[i]);
        if (bytes > budget) {
            resp->truncated = true;
            break;
        }
        resp->entries[resp->n_entries++] = &infos[i];
    }
    a0ipc_files_list_clear(&l);
    return A0IPC_OK;
}

static bool known_type(A0__Runtime__V1__FileType t)
{
    return t >= A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_UNSPECIFIED &&
           t <= A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_OTHER;
}

/* The cast below converts between files_fs.h's a0ipc_files_type and the proto's FileType. */
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_UNSPECIFIED, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_UNSPECIFIED);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_FILE, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_FILE);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_DIR, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_DIR);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_SYMLINK, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_SYMLINK);
A0IPC_SAME_NUMBER(A0IPC_FILES_TYPE_OTHER, A0__RUNTIME__V1__FILE_TYPE__FILE_TYPE_OTHER);

static a0ipc_code remove_(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__RemoveRequest *req,
                          A0__Runtime__V1__RemoveResponse *resp)
{
    if (!known_type(req->type))
        return a0ipc_rpc_fail(ctx, A0IPC_INVALID_ARGUMENT, "remove: unknown type %d",
                              (int)req->type);
    a0ipc_status st = A0IPC_STATUS_INIT;
    bool removed = false;
    if (a0ipc_files_remove(a0ipc_files_h_root(ctx), req->path, req->recursive, req->missing_ok,
                           (a0ipc_files_type)req->type, &removed, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    resp->removed = removed;
    return A0IPC_OK;
}

static a0ipc_code make_dir(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__MakeDirRequest *req,
                           A0__Runtime__V1__MakeDirResponse *resp)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    bool created = false;
    if (a0ipc_files_mkdir(a0ipc_files_h_root(ctx), req->path, req->mode, req->parents,
                          req->exist_ok, &created, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    resp->created = created;
    return A0IPC_OK;
}

static a0ipc_code move(a0ipc_rpc_ctx *ctx, const A0__Runtime__V1__MoveRequest *req,
                       A0__Runtime__V1__MoveResponse *resp)
{
    a0ipc_status st = A0IPC_STATUS_INIT;
    bool copied = false;
    if (a0ipc_files_move(a0ipc_files_h_root(ctx), req->source, req->destination, req->overwrite,
                         req->create_parents, &copied, &st))
        return a0ipc_rpc_fail_status(ctx, &st);
    resp->copied = copied;
    return A0IPC_OK;
}

/* ---- the service ---- */

a0ipc_files_service *a0ipc_files_service_new(const char *root, a0ipc_status *st)
{
    a0ipc_files_service *svc = calloc(1, sizeof *svc);
    if (!svc) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    if (a0ipc_files_root_open(root, &svc->root, st)) {
        free(svc);
        return NULL;
    }
    return svc;
}

static void *cleaner_main(void *arg)
{
    a0ipc_files_service *svc = arg;
    size_t n = a0ipc_files_clean_temps(svc->root, svc->clean_max_entries, &svc->cleaner_stop);
    if (n)
        A0IPC_LOGI("Files: removed %zu temporary file(s) of uploads an earlier a0ipcd did not "
                   "finish",
                   n);
    return NULL;
}

int a0ipc_files_service_clean_temps(a0ipc_files_service *svc, size_t max_entries, a0ipc_status *st)
{
    if (svc->cleaner_started)
        return 0;
    svc->clean_max_entries = max_entries;
    atomic_store(&svc->cleaner_stop, false);
    int rc = pthread_create(&svc->cleaner, NULL, cleaner_main, svc);
    if (rc) {
        a0ipc_status_from_errno(st, rc, "Files: cannot start the temporary-file clean-up");
        return -1;
    }
    svc->cleaner_started = true;
    return 0;
}

void a0ipc_files_service_free(a0ipc_files_service *svc)
{
    if (!svc)
        return;
    if (svc->cleaner_started) {
        atomic_store(&svc->cleaner_stop, true);
        pthread_join(svc->cleaner, NULL);
    }
    a0ipc_files_root_free(svc->root);
    free(svc);
}

int a0ipc_files_service_add(a0ipc_rpc_server *s, a0ipc_files_service *svc, a0ipc_status *st)
{
    /* Every handler may block on the disk: none runs inline on a completion-queue thread. */
    const a0_runtime_v1_files_handlers h = {
        .stat = stat_,
        .list_dir = list_dir,
        .read = a0ipc_files_h_read,
        .write = a0ipc_files_h_write,
        .remove = remove_,
        .make_dir = make_dir,
        .move = move,
        .archive = a0ipc_files_h_archive,
        .watch = a0ipc_files_h_watch,
    };
    return a0_runtime_v1_files_register(s, &h, svc, 0, st);
}

/* Services registered with a0ipc_files_service_register: owned by the process, kept reachable
 * here so that leak checkers see an owner. */
static struct {
    pthread_mutex_t mu;
    a0ipc_files_service **list;
    size_t n;
} process_services = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

int a0ipc_files_service_register(a0ipc_rpc_server *s, const char *root, a0ipc_status *st)
{
    a0ipc_files_service *svc = a0ipc_files_service_new(root, st);
    if (!svc)
        return -1;
    pthread_mutex_lock(&process_services.mu);
    a0ipc_files_service **p = realloc(process_services.list, (process_services.n + 1) * sizeof *p);
    if (p) {
        process_services.list = p;
        p[process_services.n++] = svc;
    }
    pthread_mutex_unlock(&process_services.mu);
    if (!p) {
        a0ipc_files_service_free(svc);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    /* On failure the service stays on the list: the server may hold it already. */
    return a0ipc_files_service_add(s, svc, st);
}
