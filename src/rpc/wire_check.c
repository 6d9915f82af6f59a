/* The string check of every request: see wire_check.h. */
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "rpc/wire_check.h"

/* Deeper nesting than any a0ipc message has; bounds the recursion on hostile input. */
#define MAX_DEPTH 16

typedef struct walk {
    const ProtobufCMessageDescriptor *top;
    char path[256]; /* dotted field names down to the current message */
    char *why;
    size_t why_len;
} walk;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static bool refuse(walk *w, const char *field, const char *what, size_t at)
{
    if (w->why_len)
        snprintf(w->why, w->why_len, "field %s%s%s of %s %s (at byte %zu)", w->path,
                 w->path[0] ? "." : "", field, w->top->name, what, at);
    return false;
}

static bool malformed(walk *w)
{
    if (w->why_len)
        snprintf(w->why, w->why_len, "the request is not a valid %s", w->top->name);
    return false;
}

static bool check_string(walk *w, const ProtobufCFieldDescriptor *f, const uint8_t *s, size_t n)
{
    const uint8_t *nul = memchr(s, 0, n);
    if (nul)
        return refuse(w, f->name, "contains a NUL byte", (size_t)(nul - s));
    size_t bad = 0;
    if (!a0ipc_utf8_valid(s, n, &bad))
        return refuse(w, f->name, "is not valid UTF-8", bad);
    return true;
}

static bool check_message(walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                          const uint8_t *end, int depth)
{
    if (depth > MAX_DEPTH)
        return malformed(w);
    while (p < end) {
        uint64_t key, n;
        if (!read_varint(&p, end, &key))
            return malformed(w);
        switch (key & 7) {
        case 0:
            if (!read_varint(&p, end, &n))
                return malformed(w);
            break;
        case 1:
        case 5: {
            size_t k = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < k)
                return malformed(w);
            p += k;
            break;
        }
        case 2: {
            if (!read_varint(&p, end, &n) || n > (uint64_t)(end - p))
                return malformed(w);
            uint64_t number = key >> 3;
            const ProtobufCFieldDescriptor *f =
                number <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)number)
                                     : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_STRING) {
                if (!check_string(w, f, p, (size_t)n))
                    return false;
            } else if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                size_t at = strlen(w->path);
                snprintf(w->path + at, sizeof w->path - at, "%s%s", at ? "." : "", f->name);
                if (!check_message(w, f->descriptor, p, p + n, depth + 1))
                    return false;
                w->path[at] = '\0';
            }
            p += n; /* bytes, packed scalars, unknown fields: nothing to check */
            break;
        }
        default: /* groups: not proto3; protobuf-c refuses them too */
            return malformed(w);
        }
    }
    return true;
}

bool a0ipc_rpc_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                          char *why, size_t why_len)
{
    walk w = {.top = d, .why = why, .why_len = why_len};
    if (why_len)
        why[0] = '\0';
    if (!len)
        return true;
    return check_message(&w, d, data, data + len, 0);
}

ProtobufCMessage *a0ipc_rpc_decode_request(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                           size_t len, ProtobufCAllocator *alloc, char *why,
                                           size_t why_len)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(d, alloc, len, data);
    if (!m) {
        if (why_len)
            snprintf(why, why_len, "the request is not a valid %s", d->name);
        return NULL;
    }
    if (!a0ipc_rpc_wire_check(d, data, len, why, why_len)) {
        protobuf_c_message_free_unpacked(m, alloc);
        return NULL;
    }
    return m;
}
