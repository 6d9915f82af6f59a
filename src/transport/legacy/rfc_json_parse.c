/* The JSON reader: what json.loads accepts, for the RFC's answers (json.dumps of a return
 * value). Recursive descent with a depth limit, so a hostile answer cannot exhaust the stack. */
#include "transport/legacy/rfc_json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

typedef struct parser {
    const char *s;
    size_t len, pos;
    a0ipc_status *st;
    bool failed;
} parser;

static a0ipc_json *fail(parser *p, a0ipc_code code, const char *what)
{
    if (!p->failed)
        a0ipc_status_set(p->st, code, "malformed JSON at byte %zu: %s", p->pos, what);
    p->failed = true;
    return NULL;
}

static a0ipc_json *oom(parser *p)
{
    if (!p->failed)
        a0ipc_status_set(p->st, A0IPC_RESOURCE_EXHAUSTED, "out of memory reading JSON");
    p->failed = true;
    return NULL;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void add_utf8(a0ipc_jbuf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp >= 0xDC80 && cp <= 0xDCFF) {
        u[0] = (char)(cp - 0xDC00); /* surrogateescape: the byte it stood for */
        n = 1;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = 0xFFFD, n = 3; /* any other lone surrogate: no UTF-8 for it */
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    a0ipc_jbuf_add(b, u, n);
}

/* A string's contents after the opening quote, into b (NUL-terminated by the buffer). */
static int parse_string_into(parser *p, a0ipc_jbuf *b)
{
    a0ipc_jbuf_add(b, "", 0); /* so an empty string still has a buffer */
    for (;;) {
        size_t start = p->pos;
        while (p->pos < p->len && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
               (unsigned char)p->s[p->pos] >= 0x20)
            p->pos++;
        a0ipc_jbuf_add(b, p->s + start, p->pos - start);
        if (p->pos >= p->len) {
            fail(p, A0IPC_INVALID_ARGUMENT, "unterminated string");
            return -1;
        }
        char c = p->s[p->pos++];
        if (c == '"')
            return b->oom ? (oom(p), -1) : 0;
        if (c != '\\') {
            p->pos--;
            fail(p, A0IPC_INVALID_ARGUMENT, "control character in string");
            return -1;
        }
        if (p->pos >= p->len) {
            fail(p, A0IPC_INVALID_ARGUMENT, "unterminated escape");
            return -1;
        }
        c = p->s[p->pos++];
        const char *simple = NULL;
        switch (c) {
        case '"':
            simple = "\"";
            break;
        case '\\':
            simple = "\\";
            break;
        case '/':
            simple = "/";
            break;
        case 'b':
            simple = "\b";
            break;
        case 'f':
            simple = "\f";
            break;
        case 'n':
            simple = "\n";
            break;
        case 'r':
            simple = "\r";
            break;
        case 't':
            simple = "\t";
            break;
        case 'u':
            break;
        default:
            p->pos--;
            fail(p, A0IPC_INVALID_ARGUMENT, "invalid escape");
            return -1;
        }
        if (simple) {
            a0ipc_jbuf_add(b, simple, 1);
            continue;
        }
        uint32_t cp;
        if (p->len - p->pos < 4 || hex4(p->s + p->pos, &cp) != 0) {
            fail(p, A0IPC_INVALID_ARGUMENT, "invalid \\u escape");
            return -1;
        }
        p->pos += 4;
        /* A high surrogate followed by an escaped low one is one character (json.loads does
         * the same); anything else stays a lone surrogate. */
        uint32_t lo;
        if (cp >= 0xD800 && cp <= 0xDBFF && p->len - p->pos >= 6 && p->s[p->pos] == '\\' &&
            p->s[p->pos + 1] == 'u' && hex4(p->s + p->pos + 2, &lo) == 0 && lo >= 0xDC00 &&
            lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p->pos += 6;
        }
        add_utf8(b, cp);
    }
}

static a0ipc_json *parse_value(parser *p, int depth);

static a0ipc_json *parse_string(parser *p)
{
    a0ipc_jbuf b = {0};
    if (parse_string_into(p, &b) != 0) {
        a0ipc_jbuf_free(&b);
        return NULL;
    }
    a0ipc_json *v = calloc(1, sizeof *v);
    if (!v) {
        a0ipc_jbuf_free(&b);
        return oom(p);
    }
    v->type = A0IPC_JSON_STRING;
    v->u.s.p = b.p; /* moved */
    v->u.s.len = b.len;
    return v;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* json's number grammar; an int when there is no fraction and no exponent, as in Python. */
static a0ipc_json *parse_number(parser *p)
{
    size_t start = p->pos;
    bool is_float = false;
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '0') {
        p->pos++;
    } else if (p->pos < p->len && is_digit(p->s[p->pos])) {
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    } else {
        return fail(p, A0IPC_INVALID_ARGUMENT, "expecting value");
    }
    if (p->pos + 1 < p->len && p->s[p->pos] == '.' && is_digit(p->s[p->pos + 1])) {
        is_float = true;
        p->pos++;
        while (p->pos < p->len && is_digit(p->s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        size_t e = p->pos + 1;
        if (e < p->len && (p->s[e] == '+' || p->s[e] == '-'))
            e++;
        if (e < p->len && is_digit(p->s[e])) {
            is_float = true;
            while (e < p->len && is_digit(p->s[e]))
                e++;
            p->pos = e;
        }
    }
    size_t n = p->pos - start;
    char small[64];
    char *text = n < sizeof small ? small : malloc(n + 1);
    if (!text)
        return oom(p);
    memcpy(text, p->s + start, n);
    text[n] = '\0';
    a0ipc_json *v;
    if (is_float) {
        v = a0ipc_json_float(a0ipc_json_strtod(text, NULL));
    } else {
        errno = 0;
        long long i = strtoll(text, NULL, 10);
        if (errno == ERANGE) {
            if (text != small)
                free(text);
            p->pos = start;
            return fail(p, A0IPC_OUT_OF_RANGE, "integer outside int64");
        }
        v = a0ipc_json_int((int64_t)i);
    }
    if (text != small)
        free(text);
    return v ? v : oom(p);
}

static a0ipc_json *parse_array(parser *p, int depth)
{
    a0ipc_json *arr = a0ipc_json_array();
    if (!arr)
        return oom(p);
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return arr;
    }
    for (;;) {
        skip_ws(p);
        a0ipc_json *item = parse_value(p, depth + 1);
        if (!item || a0ipc_json_array_add(arr, item) != 0) {
            a0ipc_json_free(arr);
            return item ? oom(p) : NULL;
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return arr;
        }
        a0ipc_json_free(arr);
        return fail(p, A0IPC_INVALID_ARGUMENT, "expecting ',' or ']'");
    }
}

static a0ipc_json *parse_object(parser *p, int depth)
{
    a0ipc_json *obj = a0ipc_json_object();
    if (!obj)
        return oom(p);
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return obj;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"') {
            a0ipc_json_free(obj);
            return fail(p, A0IPC_INVALID_ARGUMENT, "expecting property name in double quotes");
        }
        p->pos++;
        a0ipc_jbuf key = {0};
        if (parse_string_into(p, &key) != 0) {
            a0ipc_jbuf_free(&key);
            a0ipc_json_free(obj);
            return NULL;
        }
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            a0ipc_jbuf_free(&key);
            a0ipc_json_free(obj);
            return fail(p, A0IPC_INVALID_ARGUMENT, "expecting ':' delimiter");
        }
        p->pos++;
        skip_ws(p);
        a0ipc_json *value = parse_value(p, depth + 1);
        /* Keys with NUL bytes are cut at the NUL: no RFC result has one. */
        int rc = value ? a0ipc_json_object_add(obj, key.p, value) : -1;
        a0ipc_jbuf_free(&key);
        if (rc != 0) {
            a0ipc_json_free(obj);
            return value ? oom(p) : NULL;
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return obj;
        }
        a0ipc_json_free(obj);
        return fail(p, A0IPC_INVALID_ARGUMENT, "expecting ',' or '}'");
    }
}

static a0ipc_json *parse_value(parser *p, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, A0IPC_INVALID_ARGUMENT, "nested too deeply");
    if (p->pos >= p->len)
        return fail(p, A0IPC_INVALID_ARGUMENT, "expecting value");
    a0ipc_json *v = NULL;
    bool matched = false;
    switch (p->s[p->pos]) {
    case '"':
        p->pos++;
        return parse_string(p);
    case '[':
        p->pos++;
        return parse_array(p, depth);
    case '{':
        p->pos++;
        return parse_object(p, depth);
    case 'n':
        if ((matched = literal(p, "null")))
            v = a0ipc_json_null();
        break;
    case 't':
        if ((matched = literal(p, "true")))
            v = a0ipc_json_bool(true);
        break;
    case 'f':
        if ((matched = literal(p, "false")))
            v = a0ipc_json_bool(false);
        break;
    case 'N':
        if ((matched = literal(p, "NaN")))
            v = a0ipc_json_float(NAN);
        break;
    case 'I':
        if ((matched = literal(p, "Infinity")))
            v = a0ipc_json_float(INFINITY);
        break;
    default:
        if ((matched = literal(p, "-Infinity"))) {
            v = a0ipc_json_float(-INFINITY);
            break;
        }
        return parse_number(p);
    }
    if (!matched)
        return fail(p, A0IPC_INVALID_ARGUMENT, "expecting value");
    return v ? v : oom(p);
}

a0ipc_code a0ipc_json_parse(const char *text, size_t len, a0ipc_json **out, a0ipc_status *st)
{
    *out = NULL;
    parser p = {.s = text, .len = text ? len : 0, .st = st};
    skip_ws(&p);
    a0ipc_json *v = parse_value(&p, 0);
    if (v) {
        skip_ws(&p);
        if (p.pos != p.len) {
            a0ipc_json_free(v);
            v = fail(&p, A0IPC_INVALID_ARGUMENT, "extra data");
        }
    }
    if (!v)
        return st->code;
    *out = v;
    a0ipc_status_clear(st);
    return A0IPC_OK;
}
