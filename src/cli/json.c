#include "cli/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

void a0ipc_cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* The JSON name protoc gives a field: "mtime_ns" -> "mtimeNs". */
static void json_name(FILE *out, const char *name)
{
    fputc('"', out);
    for (bool upper = false; *name; name++) {
        if (*name == '_') {
            upper = true;
            continue;
        }
        fputc(upper && *name >= 'a' && *name <= 'z' ? *name - 'a' + 'A' : *name, out);
        upper = false;
    }
    fputc('"', out);
}

static void base64(FILE *out, const ProtobufCBinaryData *b);

void a0ipc_cli_json_bytes(FILE *out, const uint8_t *data, size_t len)
{
    ProtobufCBinaryData b = {len, (uint8_t *)data};
    base64(out, &b);
}

static void base64(FILE *out, const ProtobufCBinaryData *b)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputc('"', out);
    for (size_t i = 0; i < b->len; i += 3) {
        uint32_t v = (uint32_t)b->data[i] << 16;
        if (i + 1 < b->len)
            v |= (uint32_t)b->data[i + 1] << 8;
        if (i + 2 < b->len)
            v |= b->data[i + 2];
        fputc(abc[v >> 18 & 63], out);
        fputc(abc[v >> 12 & 63], out);
        fputc(i + 1 < b->len ? abc[v >> 6 & 63] : '=', out);
        fputc(i + 2 < b->len ? abc[v & 63] : '=', out);
    }
    fputc('"', out);
}

static void print_double(FILE *out, double d)
{
    if (isnan(d))
        fputs("\"NaN\"", out);
    else if (isinf(d))
        fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
    else
        fprintf(out, "%.17g", d);
}

static void print_message(FILE *out, const ProtobufCMessage *m);

/* One value of field f at p (an element, for repeated fields). */
static void print_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        fprintf(out, "%" PRId32, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        fprintf(out, "%" PRIu32, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        fprintf(out, "\"%" PRId64 "\"", *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        fprintf(out, "\"%" PRIu64 "\"", *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        print_double(out, *(const float *)p);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        print_double(out, *(const double *)p);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        if (ev)
            a0ipc_cli_json_string(out, ev->name);
        else
            fprintf(out, "%d", v); /* a value this build does not know: its number */
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        a0ipc_cli_json_string(out, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_BYTES:
        base64(out, p);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        print_message(out, *(ProtobufCMessage *const *)p);
        break;
    }
}

static size_t value_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 4;
    }
}

/* Whether a field without explicit presence holds its default (proto3: omitted). */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)p == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)p == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)p == 0;
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *)p;
    case PROTOBUF_C_TYPE_ENUM:
        return *(const int *)p == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p == NULL;
    default:
        return *(const uint32_t *)p == 0;
    }
}

/* Whether the field is present: set in its oneof, has_ set, or not at its default. */
static bool present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    const void *p = base + f->offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
        f->type != PROTOBUF_C_TYPE_MESSAGE)
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
        return *(void *const *)p != NULL;
    return f->label == PROTOBUF_C_LABEL_REQUIRED || !is_default(f, p);
}

/* protobuf-c gives a map as repeated key/value entry messages; JSON wants an object. */
static bool is_map(const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    size_t n = strlen(d->name);
    return n > 5 && !strcmp(d->name + n - 5, "Entry") && d->n_fields == 2 &&
           !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value");
}

static void print_repeated(FILE *out, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *items = *(char *const *)(base + f->offset);
    bool map = is_map(f);
    fputc(map ? '{' : '[', out);
    for (size_t i = 0; i < n; i++) {
        const void *item = items + i * value_size(f->type);
        if (i)
            fputc(',', out);
        if (map) {
            const ProtobufCMessage *e = *(ProtobufCMessage *const *)item;
            const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
            const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
            const char *ebase = (const char *)e;
            /* JSON keys are strings: a number or bool key is quoted (64-bit ones already are) */
            bool quote = kf->type != PROTOBUF_C_TYPE_STRING && kf->type != PROTOBUF_C_TYPE_INT64 &&
                         kf->type != PROTOBUF_C_TYPE_SINT64 &&
                         kf->type != PROTOBUF_C_TYPE_SFIXED64 &&
                         kf->type != PROTOBUF_C_TYPE_UINT64 && kf->type != PROTOBUF_C_TYPE_FIXED64;
            if (quote)
                fputc('"', out);
            print_value(out, kf, ebase + kf->offset);
            if (quote)
                fputc('"', out);
            fputc(':', out);
            print_value(out, vf, ebase + vf->offset);
        } else {
            print_value(out, f, item);
        }
    }
    fputc(map ? '}' : ']', out);
}

static void print_message(FILE *out, const ProtobufCMessage *m)
{
    fputc('{', out);
    bool first = true;
    for (unsigned i = 0; m && i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
        bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
        if (repeated ? *(const size_t *)((const char *)m + f->quantifier_offset) == 0
                     : !present(m, f))
            continue;
        if (!first)
            fputc(',', out);
        first = false;
        json_name(out, f->name);
        fputc(':', out);
        if (repeated)
            print_repeated(out, m, f);
        else
            print_value(out, f, (const char *)m + f->offset);
    }
    fputc('}', out);
}

void a0ipc_cli_json_message(FILE *out, const ProtobufCMessage *m)
{
    print_message(out, m);
    fputc('\n', out);
}
