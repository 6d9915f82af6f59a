/* protoc-gen-a0ipc: a protoc plugin that writes typed service bindings for the a0ipc rpc layer.
 *
 * protoc-c writes the message code but its method descriptors do not say which side streams, so
 * this plugin reads every service straight from the .proto (through protoc's CodeGeneratorRequest)
 * and writes, for each file that declares services, <file>.a0ipc.h and <file>.a0ipc.c with:
 * the method table (path, streaming kind, idempotency level, request and response descriptors),
 * the typed handler struct for servers with its register function, typed send/recv helpers for
 * streaming handlers and typed call functions for clients. Nothing is kept by hand.
 *
 * Names follow protoc-c's so that the generated code can name protoc-c's types:
 *   .a0.runtime.v1.StatRequest -> A0__Runtime__V1__StatRequest,
 * a0__runtime__v1__stat_request__descriptor and our own: service a0.runtime.v1.Files, method
 * ListDir -> a0_runtime_v1_files_list_dir. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/compiler/plugin.pb-c.h"

typedef Google__Protobuf__FileDescriptorProto FileProto;
typedef Google__Protobuf__ServiceDescriptorProto ServiceProto;
typedef Google__Protobuf__MethodDescriptorProto MethodProto;

/* A growing string; out-of-memory ends the plugin (protoc reports the failure). */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void die(const char *msg)
{
    fprintf(stderr, "protoc-gen-a0ipc: %s\n", msg);
    exit(1);
}

static void bput(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bput(buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("formatting failed");
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            die("out of memory");
        b->p = p;
        b->cap = cap;
    }
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die("out of memory");
    return d;
}

/* protoc-c's CamelToLower: "ListDir" -> "list_dir", "HTTPGet" -> "httpget". */
static void camel_to_lower(buf *b, const char *s)
{
    int was_upper = 1; /* no underscore before an initial capital */
    for (; *s; s++) {
        if (isupper((unsigned char)*s)) {
            if (!was_upper)
                bput(b, "_");
            bput(b, "%c", tolower((unsigned char)*s));
            was_upper = 1;
        } else {
            bput(b, "%c", *s);
            was_upper = 0;
        }
    }
}

/* protoc-c's ToCamel on one name part: first letter up, "_x" -> "X". */
static void part_to_camel(buf *b, const char *s, size_t n)
{
    int up = 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            up = 1;
            continue;
        }
        bput(b, "%c", up ? toupper((unsigned char)s[i]) : s[i]);
        up = 0;
    }
}

/* ".a0.runtime.v1.StatRequest" -> "A0__Runtime__V1__StatRequest" */
static char *c_type(const char *full)
{
    buf b = {0};
    const char *s = full[0] == '.' ? full + 1 : full;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        part_to_camel(&b, s, n);
        if (!dot)
            break;
        bput(&b, "__");
        s = dot + 1;
    }
    return b.p;
}

/* ".a0.runtime.v1.StatRequest" -> "a0__runtime__v1__stat_request__descriptor" */
static char *c_descriptor(const char *full)
{
    buf b = {0};
    const char *s = full[0] == '.' ? full + 1 : full;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        char *part = strndup(s, n);
        if (!part)
            die("out of memory");
        camel_to_lower(&b, part);
        free(part);
        bput(&b, "__");
        if (!dot)
            break;
        s = dot + 1;
    }
    bput(&b, "descriptor");
    return b.p;
}

/* "a0.runtime.v1" + "Files" -> "a0_runtime_v1_files" */
static char *service_prefix(const char *package, const char *service)
{
    buf b = {0};
    for (const char *p = package ? package : ""; *p; p++)
        bput(&b, "%c", *p == '.' ? '_' : tolower((unsigned char)*p));
    if (b.len)
        bput(&b, "_");
    camel_to_lower(&b, service);
    return b.p;
}

static char *lower_name(const char *camel)
{
    buf b = {0};
    camel_to_lower(&b, camel);
    return b.p;
}

static char *upper(const char *s)
{
    char *u = xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static const char *kind_name(const MethodProto *m)
{
    int cs = m->has_client_streaming && m->client_streaming;
    int ss = m->has_server_streaming && m->server_streaming;
    return cs ? (ss ? "A0IPC_RPC_BIDI_STREAMING" : "A0IPC_RPC_CLIENT_STREAMING")
              : (ss ? "A0IPC_RPC_SERVER_STREAMING" : "A0IPC_RPC_UNARY");
}

static const char *idempotency_name(const MethodProto *m)
{
    if (!m->options || !m->options->has_idempotency_level)
        return "A0IPC_RPC_IDEMPOTENCY_UNKNOWN";
    switch (m->options->idempotency_level) {
    case GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__NO_SIDE_EFFECTS:
        return "A0IPC_RPC_NO_SIDE_EFFECTS";
    case GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENT:
        return "A0IPC_RPC_IDEMPOTENT";
    default:
        return "A0IPC_RPC_IDEMPOTENCY_UNKNOWN";
    }
}

/* "a0/runtime/v1/files.proto" -> "a0/runtime/v1/files" */
static char *strip_proto(const char *name)
{
    char *base = xstrdup(name);
    size_t n = strlen(base);
    if (n > 6 && strcmp(base + n - 6, ".proto") == 0)
        base[n - 6] = '\0';
    return base;
}

/* The handler's typed function type for one method. */
static void emit_handler_type(buf *h, const char *fn_type, const MethodProto *m, const char *req,
                              const char *resp)
{
    int cs = m->has_client_streaming && m->client_streaming;
    int ss = m->has_server_streaming && m->server_streaming;
    bput(h, "typedef a0ipc_code %s(a0ipc_rpc_ctx *ctx", fn_type);
    if (!cs)
        bput(h, ", const %s *req", req);
    if (!ss)
        bput(h, ", %s *resp", resp);
    bput(h, ");\n");
}

static void emit_service(buf *h, buf *c, const FileProto *f, const ServiceProto *svc)
{
    char *pfx = service_prefix(f->package, svc->name);
    char *PFX = upper(pfx);
    const char *pkg = f->package ? f->package : "";
    const char *dot = pkg[0] ? "." : "";

    bput(h, "\n/* ---- service %s%s%s ---- */\n\n", pkg, dot, svc->name);
    bput(h, "extern const a0ipc_rpc_service %s_service;\n\n", pfx);
    bput(h, "enum {\n");
    for (size_t i = 0; i < svc->n_method; i++) {
        char *ml = lower_name(svc->method[i]->name), *MU = upper(ml);
        bput(h, "    %s__%s = %zu,\n", PFX, MU, i);
        free(ml);
        free(MU);
    }
    bput(h, "    %s__N_METHODS = %zu\n};\n\n", PFX, svc->n_method);

    /* Typed handler types and the handlers struct. */
    for (size_t i = 0; i < svc->n_method; i++) {
        const MethodProto *m = svc->method[i];
        char *ml = lower_name(m->name), *req = c_type(m->input_type),
             *resp = c_type(m->output_type);
        buf fn = {0};
        bput(&fn, "%s_%s_fn", pfx, ml);
        bput(h, "/* %s: %s */\n", m->name, kind_name(m));
        emit_handler_type(h, fn.p, m, req, resp);
        free(fn.p);
        free(ml);
        free(req);
        free(resp);
    }
    bput(h, "\n/* Handlers for %s%s%s; a NULL member answers UNIMPLEMENTED. */\n", pkg, dot,
         svc->name);
    bput(h, "typedef struct %s_handlers {\n", pfx);
    for (size_t i = 0; i < svc->n_method; i++) {
        char *ml = lower_name(svc->method[i]->name);
        bput(h, "    %s_%s_fn *%s;\n", pfx, ml, ml);
        free(ml);
    }
    bput(h, "} %s_handlers;\n\n", pfx);
    bput(h,
         "int %s_register(a0ipc_rpc_server *s, const %s_handlers *h, void *data, unsigned flags,\n"
         "    a0ipc_status *st);\n\n",
         pfx, pfx);

    /* Typed stream helpers (server side) and typed calls (client side). */
    for (size_t i = 0; i < svc->n_method; i++) {
        const MethodProto *m = svc->method[i];
        int cs = m->has_client_streaming && m->client_streaming;
        int ss = m->has_server_streaming && m->server_streaming;
        char *ml = lower_name(m->name), *MU = upper(ml), *req = c_type(m->input_type),
             *resp = c_type(m->output_type);
        const char *mref_fmt = "&%s_service.methods[%s__%s]";
        buf mref = {0};
        bput(&mref, mref_fmt, pfx, PFX, MU);
        if (ss)
            bput(h,
                 "static inline a0ipc_code %s_%s_send(a0ipc_rpc_ctx *ctx, const %s *msg)\n"
                 "{\n    return a0ipc_rpc_send(ctx, &msg->base);\n}\n",
                 pfx, ml, resp);
        if (cs)
            bput(h,
                 "static inline int %s_%s_recv(a0ipc_rpc_ctx *ctx, %s **out)\n"
                 "{\n    return a0ipc_rpc_recv(ctx, (ProtobufCMessage **)out);\n}\n",
                 pfx, ml, req);
        if (!cs && !ss) {
            bput(
                h,
                "static inline a0ipc_code %s_%s_call(a0ipc_rpc_channel *ch,\n"
                "    const a0ipc_rpc_call_options *o, const %s *req, %s **resp, a0ipc_status *st)\n"
                "{\n    return a0ipc_rpc_unary(ch, %s, o, &req->base, (ProtobufCMessage **)resp, "
                "st);\n}\n",
                pfx, ml, req, resp, mref.p);
        } else if (!cs) {
            bput(h,
                 "static inline a0ipc_rpc_stream *%s_%s_open(a0ipc_rpc_channel *ch,\n"
                 "    const a0ipc_rpc_call_options *o, const %s *req, a0ipc_status *st)\n"
                 "{\n    return a0ipc_rpc_server_stream_open(ch, %s, o, &req->base, st);\n}\n",
                 pfx, ml, req, mref.p);
        } else {
            bput(h,
                 "static inline a0ipc_rpc_stream *%s_%s_open(a0ipc_rpc_channel *ch,\n"
                 "    const a0ipc_rpc_call_options *o, a0ipc_status *st)\n"
                 "{\n    return a0ipc_rpc_stream_open(ch, %s, o, st);\n}\n"
                 "static inline int %s_%s_write(a0ipc_rpc_stream *s, const %s *msg)\n"
                 "{\n    return a0ipc_rpc_stream_send(s, &msg->base);\n}\n",
                 pfx, ml, mref.p, pfx, ml, req);
        }
        if (cs || ss)
            bput(h,
                 "static inline int %s_%s_read(a0ipc_rpc_stream *s, %s **out)\n"
                 "{\n    return a0ipc_rpc_stream_recv(s, (ProtobufCMessage **)out);\n}\n",
                 pfx, ml, resp);
        bput(h, "\n");
        free(mref.p);
        free(ml);
        free(MU);
        free(req);
        free(resp);
    }

    /* The .c side: invokers, the method table, the service and register. */
    for (size_t i = 0; i < svc->n_method; i++) {
        const MethodProto *m = svc->method[i];
        int cs = m->has_client_streaming && m->client_streaming;
        int ss = m->has_server_streaming && m->server_streaming;
        char *ml = lower_name(m->name), *req = c_type(m->input_type),
             *resp = c_type(m->output_type);
        bput(c,
             "static a0ipc_code %s_%s_invoke(a0ipc_rpc_handler_fn fn, a0ipc_rpc_ctx *ctx,\n"
             "    const ProtobufCMessage *req, ProtobufCMessage *resp)\n{\n",
             pfx, ml);
        bput(c, "    %s_%s_fn *h = (%s_%s_fn *)fn;\n", pfx, ml, pfx, ml);
        if (cs)
            bput(c, "    (void)req;\n");
        if (ss)
            bput(c, "    (void)resp;\n");
        bput(c, "    return h(ctx");
        if (!cs)
            bput(c, ", (const %s *)req", req);
        if (!ss)
            bput(c, ", (%s *)resp", resp);
        bput(c, ");\n}\n\n");
        free(ml);
        free(req);
        free(resp);
    }
    bput(c, "static const a0ipc_rpc_method %s_methods[] = {\n", pfx);
    for (size_t i = 0; i < svc->n_method; i++) {
        const MethodProto *m = svc->method[i];
        char *ml = lower_name(m->name), *rd = c_descriptor(m->input_type),
             *pd = c_descriptor(m->output_type);
        bput(c, "    {\"/%s%s%s/%s\", \"%s\", %s, %s,\n     &%s, &%s,\n     %s_%s_invoke},\n", pkg,
             dot, svc->name, m->name, m->name, kind_name(m), idempotency_name(m), rd, pd, pfx, ml);
        free(ml);
        free(rd);
        free(pd);
    }
    if (svc->n_method == 0)
        bput(c, "    {0}\n");
    bput(c, "};\n\n");
    bput(c, "const a0ipc_rpc_service %s_service = {\"%s%s%s\", %zu, %s_methods};\n\n", pfx, pkg,
         dot, svc->name, svc->n_method, pfx);
    bput(c,
         "int %s_register(a0ipc_rpc_server *s, const %s_handlers *h, void *data, unsigned flags,\n"
         "    a0ipc_status *st)\n{\n",
         pfx, pfx);
    if (svc->n_method) {
        bput(c, "    const a0ipc_rpc_handler_fn fns[] = {\n");
        for (size_t i = 0; i < svc->n_method; i++) {
            char *ml = lower_name(svc->method[i]->name);
            bput(c, "        (a0ipc_rpc_handler_fn)h->%s,\n", ml);
            free(ml);
        }
        bput(c,
             "    };\n    return a0ipc_rpc_server_add_service(s, &%s_service, fns, data, "
             "flags, st);\n}\n",
             pfx);
    } else {
        bput(c,
             "    (void)h;\n    return a0ipc_rpc_server_add_service(s, &%s_service, NULL, "
             "data, flags, st);\n}\n",
             pfx);
    }
    free(pfx);
    free(PFX);
}

static Google__Protobuf__Compiler__CodeGeneratorResponse__File *new_file(char *name, char *content)
{
    Google__Protobuf__Compiler__CodeGeneratorResponse__File *rf = malloc(sizeof *rf);
    if (!rf)
        die("out of memory");
    google__protobuf__compiler__code_generator_response__file__init(rf);
    rf->name = name;
    rf->content = content;
    return rf;
}

int main(void)
{
    /* protoc writes the whole request, then closes our stdin. */
    buf in = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (in.len + n > in.cap) {
            size_t cap = in.cap ? in.cap * 2 : sizeof chunk;
            while (cap < in.len + n)
                cap *= 2;
            char *p = realloc(in.p, cap);
            if (!p)
                die("out of memory");
            in.p = p;
            in.cap = cap;
        }
        memcpy(in.p + in.len, chunk, n);
        in.len += n;
    }
    Google__Protobuf__Compiler__CodeGeneratorRequest *req =
        google__protobuf__compiler__code_generator_request__unpack(NULL, in.len, (uint8_t *)in.p);
    if (!req)
        die("could not parse the CodeGeneratorRequest on stdin");

    Google__Protobuf__Compiler__CodeGeneratorResponse resp =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__INIT;
    resp.has_supported_features = 1;
    resp.supported_features =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
    resp.file = calloc(2 * req->n_file_to_generate + 1, sizeof *resp.file);
    if (!resp.file)
        die("out of memory");

    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        const FileProto *f = NULL;
        for (size_t j = 0; j < req->n_proto_file; j++)
            if (strcmp(req->proto_file[j]->name, req->file_to_generate[i]) == 0)
                f = req->proto_file[j];
        if (!f)
            die("a file to generate is missing from the request");
        if (f->n_service == 0)
            continue;
        char *base = strip_proto(f->name);
        char *guard = upper(base);
        for (char *p = guard; *p; p++)
            if (!isalnum((unsigned char)*p))
                *p = '_';
        buf h = {0}, c = {0};
        bput(&h,
             "/* Generated by protoc-gen-a0ipc from %s. Do not edit. */\n"
             "#ifndef %s_A0IPC_H\n#define %s_A0IPC_H\n\n"
             "#include \"rpc/binding.h\"\n#include \"rpc/client.h\"\n#include \"rpc/server.h\"\n"
             "#include \"%s.pb-c.h\"\n",
             f->name, guard, guard, base);
        bput(&c,
             "/* Generated by protoc-gen-a0ipc from %s. Do not edit. */\n#include "
             "\"%s.a0ipc.h\"\n\n",
             f->name, base);
        for (size_t s = 0; s < f->n_service; s++)
            emit_service(&h, &c, f, f->service[s]);
        bput(&h, "#endif\n");
        buf hn = {0}, cn = {0};
        bput(&hn, "%s.a0ipc.h", base);
        bput(&cn, "%s.a0ipc.c", base);
        resp.file[resp.n_file++] = new_file(hn.p, h.p);
        resp.file[resp.n_file++] = new_file(cn.p, c.p);
        free(base);
        free(guard);
    }

    size_t out_len = google__protobuf__compiler__code_generator_response__get_packed_size(&resp);
    uint8_t *out = malloc(out_len ? out_len : 1);
    if (!out)
        die("out of memory");
    google__protobuf__compiler__code_generator_response__pack(&resp, out);
    if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0)
        die("could not write the response to stdout");

    for (size_t i = 0; i < resp.n_file; i++) {
        free(resp.file[i]->name);
        free(resp.file[i]->content);
        free(resp.file[i]);
    }
    free(resp.file);
    free(out);
    google__protobuf__compiler__code_generator_request__free_unpacked(req, NULL);
    free(in.p);
    return 0;
}
