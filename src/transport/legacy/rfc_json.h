/* JSON as the legacy RFC speaks it (docs/legacy-protocol.md, "RFC over HTTP"): a small value
 * tree, a writer that produces exactly what Python's json.dumps writes with default settings, and
 * a reader for what json.dumps writes back (the RFC results).
 *
 * Why byte-exact: the RFC signs the text of json.dumps(...) with an HMAC, and the server checks
 * the HMAC over the string as received, so the request must be the very bytes Python would
 * write: separators ", " and ": ", keys in insertion order, ensure_ascii (every character
 * outside 0x20..0x7E as \uXXXX, lowercase hex, surrogate pairs above U+FFFF, short escapes for
 * \" \\ \n \r \t \b \f), integers in decimal, floats as Python's repr (the shortest text that
 * reads back as the same double), NaN and the infinities as NaN / Infinity / -Infinity.
 *
 * Strings are byte strings (pointer and length) holding UTF-8. Bytes that are not valid UTF-8
 * stand for what Python's os.fsdecode makes of them, a lone surrogate U+DC80..U+DCFF
 * (surrogateescape), so a file name that is not UTF-8 travels as "\udcXX" and the Python side
 * turns it back into the same byte; the reader does the reverse. Other lone surrogates in the
 * input of the reader become U+FFFD.
 *
 * Ownership: a value owns its children and its strings; a0ipc_json_free frees the whole tree.
 * The a0ipc_json_*_add functions take ownership of the child even when they fail. */
#ifndef A0IPC_RFC_JSON_H
#define A0IPC_RFC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a0ipc/status.h"

typedef enum a0ipc_json_type {
    A0IPC_JSON_NULL,
    A0IPC_JSON_BOOL,
    A0IPC_JSON_INT, /* Python int within int64 */
    A0IPC_JSON_FLOAT,
    A0IPC_JSON_STRING,
    A0IPC_JSON_ARRAY,
    A0IPC_JSON_OBJECT,
} a0ipc_json_type;

typedef struct a0ipc_json a0ipc_json;

typedef struct a0ipc_json_member {
    char *key; /* NUL-terminated; key_len excludes the NUL */
    size_t key_len;
    a0ipc_json *value;
} a0ipc_json_member;

struct a0ipc_json {
    a0ipc_json_type type;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            char *p; /* NUL-terminated, may also hold NUL bytes (\u0000) */
            size_t len;
        } s;
        struct {
            a0ipc_json **items;
            size_t n, cap;
        } arr;
        struct {
            a0ipc_json_member *members; /* in insertion order */
            size_t n, cap;
        } obj;
    } u;
};

/* ---- building values; each returns NULL when out of memory ---- */

a0ipc_json *a0ipc_json_null(void);
a0ipc_json *a0ipc_json_bool(bool b);
a0ipc_json *a0ipc_json_int(int64_t i);
a0ipc_json *a0ipc_json_float(double f);
a0ipc_json *a0ipc_json_string(const char *s); /* NULL s gives NULL */
a0ipc_json *a0ipc_json_string_len(const char *s, size_t len);
a0ipc_json *a0ipc_json_array(void);
a0ipc_json *a0ipc_json_object(void);

/* Appends item (owned from now on, freed on failure). 0, or -1 when out of memory or when item
 * is NULL (so a failed constructor can be passed straight in). */
int a0ipc_json_array_add(a0ipc_json *arr, a0ipc_json *item);
/* Appends key: value. A key already present is appended again, as a Python dict literal would
 * not allow but JSON does; lookups find the last one, as json.loads keeps the last. */
int a0ipc_json_object_add(a0ipc_json *obj, const char *key, a0ipc_json *value);

void a0ipc_json_free(a0ipc_json *v);

/* ---- reading values ---- */

/* The member's value, or NULL when obj is not an object or has no such key. */
const a0ipc_json *a0ipc_json_get(const a0ipc_json *obj, const char *key);
/* Deep equality: same types (1 and 1.0 differ, as they print differently), same order. */
bool a0ipc_json_equal(const a0ipc_json *a, const a0ipc_json *b);
/* A deep copy, or NULL when out of memory. */
a0ipc_json *a0ipc_json_copy(const a0ipc_json *v);

/* ---- text ---- */

/* A growing byte buffer; oom records that an append failed, so writers can check once. */
typedef struct a0ipc_jbuf {
    char *p; /* NUL-terminated when len > 0 or after any append */
    size_t len, cap;
    bool oom;
} a0ipc_jbuf;

void a0ipc_jbuf_add(a0ipc_jbuf *b, const char *s, size_t len);
void a0ipc_jbuf_free(a0ipc_jbuf *b);

/* Appends json.dumps(v). */
void a0ipc_json_dump(a0ipc_jbuf *b, const a0ipc_json *v);
/* Appends json.dumps(s) for one string: quotes and escapes as above. */
void a0ipc_json_dump_string(a0ipc_jbuf *b, const char *s, size_t len);
/* Appends repr(f) as json.dumps writes it. */
void a0ipc_json_dump_float(a0ipc_jbuf *b, double f);

/* strtod in the "C" locale, whatever the process's LC_NUMERIC (the host program's business). */
double a0ipc_json_strtod(const char *text, char **end);

/* Parses text as json.loads would (NaN, Infinity and -Infinity accepted; raw control
 * characters in strings and trailing commas refused; nesting at most 512 deep). On success *out
 * is the value (caller frees). On failure: INVALID_ARGUMENT with where and what, *out NULL.
 * Integers outside int64 are refused (OUT_OF_RANGE): no RFC result carries one. */
a0ipc_code a0ipc_json_parse(const char *text, size_t len, a0ipc_json **out, a0ipc_status *st);

#endif
