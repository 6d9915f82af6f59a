/* Response strings made valid UTF-8: see utf8_fix.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "rpc/utf8_fix.h"

#define MAX_DEPTH 16

char *a0ipc_utf8_display(const uint8_t *s, size_t n)
{
    char *out = malloc(3 * n + 1); /* worst case: every byte becomes U+FFFD (3 bytes) */
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            out[o++] = (char)b;
            i++;
            continue;
        }
        size_t len = a0ipc_utf8_seq_len(b), k = 1;
        while (len && k < len && i + k < n && a0ipc_utf8_cont_ok(b, k, s[i + k]))
            k++;
        if (len && k == len) {
            memcpy(out + o, s + i, len);
            o += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3); /* the lead and the continuations it allowed */
            o += 3;
        }
        i += k;
    }
    out[o] = '\0';
    return out;
}

typedef struct fix {
    char **slot;
    char *old;
    char *made; /* ours, freed by undo */
    ProtobufCBinaryData *raw;
    ProtobufCBinaryData old_raw;
    protobuf_c_boolean *has_raw, old_has_raw;
} fix;

struct a0ipc_rpc_utf8_fixes {
    fix *v;
    size_t n, cap;
};

static void fix_string(a0ipc_rpc_utf8_fixes **fx, char **slot, ProtobufCBinaryData *raw,
                       protobuf_c_boolean *has_raw)
{
    char *s = *slot;
    if (!s || a0ipc_utf8_valid((const uint8_t *)s, strlen(s), NULL))
        return;
    if (!*fx && !(*fx = calloc(1, sizeof **fx))) {
        *slot = ""; /* out of memory: not undoable, but never invalid on the wire */
        return;
    }
    a0ipc_rpc_utf8_fixes *f = *fx;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        fix *v = realloc(f->v, cap * sizeof *v);
        if (!v) {
            *slot = "";
            return;
        }
        f->v = v;
        f->cap = cap;
    }
    fix *e = &f->v[f->n++];
    memset(e, 0, sizeof *e);
    e->slot = slot;
    e->old = s;
    e->made = a0ipc_utf8_display((const uint8_t *)s, strlen(s));
    *slot = e->made ? e->made : "";
    if (raw) {
        e->raw = raw;
        e->old_raw = *raw;
        raw->data = (uint8_t *)s;
        raw->len = strlen(s);
        if (has_raw) {
            e->has_raw = has_raw;
            e->old_has_raw = *has_raw;
            *has_raw = 1;
        }
    }
}

/* The bytes field raw_<name> of d, when there is one. */
static const ProtobufCFieldDescriptor *raw_sibling(const ProtobufCMessageDescriptor *d,
                                                   const char *name)
{
    char want[128];
    size_t n = strlen(name);
    if (n + 5 > sizeof want)
        return NULL;
    memcpy(want, "raw_", 4);
    memcpy(want + 4, name, n + 1);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, want);
    if (!f || f->type != PROTOBUF_C_TYPE_BYTES || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    return f;
}

static void fix_message(a0ipc_rpc_utf8_fixes **fx, ProtobufCMessage *m, int depth)
{
    if (!m || depth > MAX_DEPTH)
        return;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof: its bytes are not this field */
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *)(base + f->quantifier_offset);
            void **v = *(void ***)(base + f->offset);
            for (size_t k = 0; k < n && v; k++) {
                if (f->type == PROTOBUF_C_TYPE_STRING)
                    fix_string(fx, (char **)&v[k], NULL, NULL);
                else
                    fix_message(fx, v[k], depth + 1);
            }
        } else if (f->type == PROTOBUF_C_TYPE_STRING) {
            const ProtobufCFieldDescriptor *r = raw_sibling(d, f->name);
            ProtobufCBinaryData *raw = r ? (ProtobufCBinaryData *)(base + r->offset) : NULL;
            protobuf_c_boolean *has = r && r->label == PROTOBUF_C_LABEL_OPTIONAL
                                          ? (protobuf_c_boolean *)(base + r->quantifier_offset)
                                          : NULL;
            fix_string(fx, (char **)(base + f->offset), raw, has);
        } else {
            fix_message(fx, *(ProtobufCMessage **)(base + f->offset), depth + 1);
        }
    }
}

a0ipc_rpc_utf8_fixes *a0ipc_rpc_utf8_fix(ProtobufCMessage *msg)
{
    a0ipc_rpc_utf8_fixes *fx = NULL;
    fix_message(&fx, msg, 0);
    return fx;
}

void a0ipc_rpc_utf8_undo(a0ipc_rpc_utf8_fixes *f)
{
    if (!f)
        return;
    for (size_t i = f->n; i-- > 0;) {
        fix *e = &f->v[i];
        *e->slot = e->old;
        if (e->raw)
            *e->raw = e->old_raw;
        if (e->has_raw)
            *e->has_raw = e->old_has_raw;
        free(e->made);
    }
    free(f->v);
    free(f);
}
