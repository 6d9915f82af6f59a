#include "services/reflection.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1/reflection.a0ipc.h"
#include "grpc/reflection/v1alpha/reflection.a0ipc.h"

extern const unsigned char a0ipc_descriptor_set[];
extern const size_t a0ipc_descriptor_set_len;

typedef Google__Protobuf__FileDescriptorProto FileProto;
typedef Grpc__Reflection__V1__ServerReflectionRequest Request;
typedef Grpc__Reflection__V1__ServerReflectionResponse Response;

typedef struct symbol {
    char *name; /* fully qualified, without the leading dot */
    size_t file;
} symbol;

struct a0ipc_reflection {
    Google__Protobuf__FileDescriptorSet *set;
    ProtobufCBinaryData *packed; /* one serialized FileDescriptorProto per file */
    symbol *symbols;
    size_t n_symbols, cap_symbols;
    char **services;
    size_t n_services;
};

static int add_symbol(a0ipc_reflection *r, const char *scope, const char *name, size_t file)
{
    if (r->n_symbols == r->cap_symbols) {
        size_t cap = r->cap_symbols ? r->cap_symbols * 2 : 64;
        symbol *grown = realloc(r->symbols, cap * sizeof *grown);
        if (!grown)
            return -1;
        r->symbols = grown;
        r->cap_symbols = cap;
    }
    char *full;
    if (asprintf(&full, "%s%s%s", scope, *scope ? "." : "", name) < 0)
        return -1;
    r->symbols[r->n_symbols++] = (symbol){full, file};
    return 0;
}

static int add_message(a0ipc_reflection *r, const char *scope,
                       const Google__Protobuf__DescriptorProto *m, size_t file)
{
    char *full; /* our own copy: r->symbols may move while nested types are added */
    if (asprintf(&full, "%s%s%s", scope, *scope ? "." : "", m->name) < 0)
        return -1;
    int rc = add_symbol(r, scope, m->name, file);
    for (size_t i = 0; rc == 0 && i < m->n_enum_type; i++)
        rc = add_symbol(r, full, m->enum_type[i]->name, file);
    for (size_t i = 0; rc == 0 && i < m->n_nested_type; i++)
        rc = add_message(r, full, m->nested_type[i], file);
    free(full);
    return rc;
}

static int index_file(a0ipc_reflection *r, size_t i)
{
    const FileProto *f = r->set->file[i];
    const char *pkg = f->package ? f->package : "";
    for (size_t j = 0; j < f->n_message_type; j++)
        if (add_message(r, pkg, f->message_type[j], i) != 0)
            return -1;
    for (size_t j = 0; j < f->n_enum_type; j++)
        if (add_symbol(r, pkg, f->enum_type[j]->name, i) != 0)
            return -1;
    for (size_t j = 0; j < f->n_service; j++) {
        const Google__Protobuf__ServiceDescriptorProto *s = f->service[j];
        if (add_symbol(r, pkg, s->name, i) != 0)
            return -1;
        char *svc = strdup(r->symbols[r->n_symbols - 1].name);
        if (!svc)
            return -1;
        for (size_t k = 0; k < s->n_method; k++)
            if (add_symbol(r, svc, s->method[k]->name, i) != 0) {
                free(svc);
                return -1;
            }
        free(svc);
    }
    size_t len = google__protobuf__file_descriptor_proto__get_packed_size(f);
    r->packed[i].data = malloc(len ? len : 1);
    if (!r->packed[i].data)
        return -1;
    r->packed[i].len = google__protobuf__file_descriptor_proto__pack(f, r->packed[i].data);
    return 0;
}

a0ipc_reflection *a0ipc_reflection_new(const char *const *services, size_t n_services,
                                       a0ipc_status *st)
{
    a0ipc_reflection *r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->set = google__protobuf__file_descriptor_set__unpack(NULL, a0ipc_descriptor_set_len,
                                                           a0ipc_descriptor_set);
    if (!r->set) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "the embedded descriptor set does not parse");
        a0ipc_reflection_free(r);
        return NULL;
    }
    r->packed = calloc(r->set->n_file ? r->set->n_file : 1, sizeof *r->packed);
    r->services = calloc(n_services ? n_services : 1, sizeof *r->services);
    if (!r->packed || !r->services)
        goto oom;
    for (size_t i = 0; i < r->set->n_file; i++)
        if (index_file(r, i) != 0)
            goto oom;
    for (size_t i = 0; i < n_services; i++) {
        if (!(r->services[i] = strdup(services[i])))
            goto oom;
        r->n_services++;
    }
    return r;
oom:
    a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory indexing descriptors");
    a0ipc_reflection_free(r);
    return NULL;
}

void a0ipc_reflection_free(a0ipc_reflection *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_symbols; i++)
        free(r->symbols[i].name);
    free(r->symbols);
    for (size_t i = 0; r->packed && r->set && i < r->set->n_file; i++)
        free(r->packed[i].data);
    free(r->packed);
    for (size_t i = 0; i < r->n_services; i++)
        free(r->services[i]);
    free(r->services);
    if (r->set)
        google__protobuf__file_descriptor_set__free_unpacked(r->set, NULL);
    free(r);
}

static long file_by_name(const a0ipc_reflection *r, const char *name)
{
    for (size_t i = 0; i < r->set->n_file; i++)
        if (strcmp(r->set->file[i]->name, name) == 0)
            return (long)i;
    return -1;
}

static long file_of_symbol(const a0ipc_reflection *r, const char *name)
{
    if (name[0] == '.')
        name++;
    for (size_t i = 0; i < r->n_symbols; i++)
        if (strcmp(r->symbols[i].name, name) == 0)
            return (long)r->symbols[i].file;
    return -1;
}

/* Appends file i and, after it, every file it imports (each once) to out. */
static void add_with_deps(const a0ipc_reflection *r, size_t i, bool *seen, ProtobufCBinaryData *out,
                          size_t *n)
{
    if (seen[i])
        return;
    seen[i] = true;
    out[(*n)++] = r->packed[i];
    const FileProto *f = r->set->file[i];
    for (size_t d = 0; d < f->n_dependency; d++) {
        long j = file_by_name(r, f->dependency[d]);
        if (j >= 0)
            add_with_deps(r, (size_t)j, seen, out, n);
    }
}

/* Answers one question. Everything resp points to lives in ctx's arena, r, or req. */
static void answer(a0ipc_rpc_ctx *ctx, const a0ipc_reflection *r, const Request *req,
                   Response *resp)
{
    resp->valid_host = req->host;
    resp->original_request = (Request *)req;
    long file = -1;
    const char *what = NULL;
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES: {
        Grpc__Reflection__V1__ListServiceResponse *list = a0ipc_rpc_ctx_alloc(ctx, sizeof *list);
        grpc__reflection__v1__list_service_response__init(list);
        list->service = a0ipc_rpc_ctx_alloc(ctx, r->n_services * sizeof *list->service + 1);
        for (size_t i = 0; i < r->n_services; i++) {
            Grpc__Reflection__V1__ServiceResponse *s = a0ipc_rpc_ctx_alloc(ctx, sizeof *s);
            grpc__reflection__v1__service_response__init(s);
            s->name = r->services[i];
            list->service[list->n_service++] = s;
        }
        resp->message_response_case =
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
        resp->list_services_response = list;
        return;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        file = file_by_name(r, req->file_by_filename);
        what = req->file_by_filename;
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        file = file_of_symbol(r, req->file_containing_symbol);
        what = req->file_containing_symbol;
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        if (file_of_symbol(r, req->all_extension_numbers_of_type) >= 0) {
            /* a0ipc's protos declare no extensions: the honest answer is an empty list. */
            Grpc__Reflection__V1__ExtensionNumberResponse *ext =
                a0ipc_rpc_ctx_alloc(ctx, sizeof *ext);
            grpc__reflection__v1__extension_number_response__init(ext);
            ext->base_type_name = req->all_extension_numbers_of_type;
            resp->message_response_case =
                GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
            resp->all_extension_numbers_response = ext;
            return;
        }
        what = req->all_extension_numbers_of_type;
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        what = req->file_containing_extension && req->file_containing_extension->containing_type
                   ? req->file_containing_extension->containing_type
                   : "";
        break;
    default:
        break;
    }
    if (file >= 0) {
        Grpc__Reflection__V1__FileDescriptorResponse *fd = a0ipc_rpc_ctx_alloc(ctx, sizeof *fd);
        grpc__reflection__v1__file_descriptor_response__init(fd);
        bool *seen = a0ipc_rpc_ctx_alloc(ctx, r->set->n_file * sizeof *seen);
        fd->file_descriptor_proto =
            a0ipc_rpc_ctx_alloc(ctx, r->set->n_file * sizeof *fd->file_descriptor_proto);
        add_with_deps(r, (size_t)file, seen, fd->file_descriptor_proto,
                      &fd->n_file_descriptor_proto);
        resp->message_response_case =
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
        resp->file_descriptor_response = fd;
        return;
    }
    Grpc__Reflection__V1__ErrorResponse *err = a0ipc_rpc_ctx_alloc(ctx, sizeof *err);
    grpc__reflection__v1__error_response__init(err);
    if (what) {
        size_t n = strlen(what) + sizeof " is not known to this server";
        err->error_code = A0IPC_NOT_FOUND;
        err->error_message = a0ipc_rpc_ctx_alloc(ctx, n);
        snprintf(err->error_message, n, "%s is not known to this server", what);
    } else {
        err->error_code = A0IPC_INVALID_ARGUMENT;
        err->error_message = "the reflection request asks no question";
    }
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    resp->error_response = err;
}

/* v1 and v1alpha are the same messages under two package names: v1alpha questions are re-read
 * as v1 and the v1 answer re-read as v1alpha, one code path for both. */
static ProtobufCMessage *convert(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *to)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *bytes = malloc(len ? len : 1);
    if (!bytes)
        return NULL;
    protobuf_c_message_pack(m, bytes);
    ProtobufCMessage *out = protobuf_c_message_unpack(to, NULL, len, bytes);
    free(bytes);
    return out;
}

static a0ipc_code serve(a0ipc_rpc_ctx *ctx, bool alpha)
{
    const a0ipc_reflection *r = a0ipc_rpc_ctx_data(ctx);
    for (;;) {
        ProtobufCMessage *in = NULL;
        int got = a0ipc_rpc_recv(ctx, &in);
        if (got == 0)
            return A0IPC_OK;
        if (got < 0)
            return a0ipc_rpc_ctx_recv_error(ctx);
        Request *req = alpha ? (Request *)convert(
                                   in, &grpc__reflection__v1__server_reflection_request__descriptor)
                             : (Request *)in;
        if (!req) {
            protobuf_c_message_free_unpacked(in, NULL);
            return a0ipc_rpc_fail(ctx, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        }
        Response resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
        answer(ctx, r, req, &resp);
        a0ipc_code code;
        if (alpha) {
            ProtobufCMessage *out = convert(
                &resp.base, &grpc__reflection__v1alpha__server_reflection_response__descriptor);
            code = out ? a0ipc_rpc_send(ctx, out)
                       : a0ipc_rpc_fail(ctx, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
            if (out)
                protobuf_c_message_free_unpacked(out, NULL);
            protobuf_c_message_free_unpacked(&req->base, NULL);
        } else {
            code = a0ipc_rpc_send(ctx, &resp.base);
        }
        protobuf_c_message_free_unpacked(in, NULL);
        if (code != A0IPC_OK)
            return code;
    }
}

static a0ipc_code serve_v1(a0ipc_rpc_ctx *ctx)
{
    return serve(ctx, false);
}

static a0ipc_code serve_v1alpha(a0ipc_rpc_ctx *ctx)
{
    return serve(ctx, true);
}

int a0ipc_reflection_register(a0ipc_rpc_server *s, a0ipc_reflection *r, a0ipc_status *st)
{
    const grpc_reflection_v1_server_reflection_handlers v1 = {.server_reflection_info = serve_v1};
    const grpc_reflection_v1alpha_server_reflection_handlers v1alpha = {.server_reflection_info =
                                                                            serve_v1alpha};
    if (grpc_reflection_v1_server_reflection_register(s, &v1, r, 0, st) != 0)
        return -1;
    return grpc_reflection_v1alpha_server_reflection_register(s, &v1alpha, r, 0, st);
}
