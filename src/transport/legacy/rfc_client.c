#include "transport/legacy/rfc_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "transport/legacy/legacy_errors.h"
#include "transport/legacy/rfc_envelope.h"

struct a0ipc_rfc_client {
    char *endpoint;
    char *password;
    int64_t timeout_ms;
    size_t max_answer;
};

/* curl_global_init is not safe to race with itself on every libcurl build; once is enough. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

char *a0ipc_rfc_endpoint(const char *rfc_url, int port)
{
    if (!rfc_url || !*rfc_url)
        rfc_url = A0IPC_RFC_DEFAULT_URL;
    if (port == 0)
        port = A0IPC_RFC_DEFAULT_PORT;
    size_t len = strlen(rfc_url);
    if (rfc_url[len - 1] == '/')
        len--; /* the legacy cuts one, not all */
    char *out = NULL;
    const char *scheme = strstr(rfc_url, "://") ? "" : "http://";
    if (asprintf(&out, "%s%.*s:%d/api/rfc", scheme, (int)len, rfc_url, port) < 0)
        return NULL;
    return out;
}

a0ipc_rfc_client *a0ipc_rfc_client_new(const a0ipc_rfc_config *cfg, a0ipc_status *st)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        a0ipc_status_set(st, A0IPC_INTERNAL, "libcurl: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    if (cfg->port < 0 || cfg->port > 65535) {
        a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "legacy RFC port %d out of range", cfg->port);
        return NULL;
    }
    a0ipc_rfc_client *c = calloc(1, sizeof *c);
    if (c) {
        c->endpoint = a0ipc_rfc_endpoint(cfg->url, cfg->port);
        c->password = strdup(cfg->password ? cfg->password : "");
        c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : A0IPC_RFC_DEFAULT_TIMEOUT_MS;
        c->max_answer = cfg->max_answer ? cfg->max_answer : A0IPC_RFC_DEFAULT_MAX_ANSWER;
    }
    if (!c || !c->endpoint || !c->password) {
        a0ipc_rfc_client_free(c);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    return c;
}

void a0ipc_rfc_client_free(a0ipc_rfc_client *c)
{
    if (!c)
        return;
    free(c->endpoint);
    if (c->password) {
        /* The password is a secret; do not leave it in freed memory. */
        volatile char *p = c->password;
        while (*p)
            *p++ = '\0';
        free(c->password);
    }
    free(c);
}

const char *a0ipc_rfc_client_endpoint(const a0ipc_rfc_client *c)
{
    return c->endpoint;
}

typedef struct answer {
    a0ipc_jbuf body;
    size_t max;
    bool too_big;
} answer;

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    answer *a = arg;
    size_t n = size * nmemb;
    if (a->body.len + n > a->max) {
        a->too_big = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    a0ipc_jbuf_add(&a->body, data, n);
    return a->body.oom ? 0 : n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const a0ipc_rfc_opts *o = arg;
    return o->stop(o->stop_arg) ? 1 : 0;
}

static a0ipc_code curl_failure(a0ipc_rfc_client *c, CURLcode rc, const answer *a,
                               const char *errbuf, int64_t timeout_ms, a0ipc_status *st)
{
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return a0ipc_status_set(st, A0IPC_DEADLINE_EXCEEDED,
                                "legacy RFC %s: no answer within %lld ms", c->endpoint,
                                (long long)timeout_ms);
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return a0ipc_status_set(st, A0IPC_UNAVAILABLE, "legacy RFC %s: %s", c->endpoint, why);
    case CURLE_ABORTED_BY_CALLBACK:
        return a0ipc_status_set(st, A0IPC_CANCELLED, "legacy RFC %s: cancelled", c->endpoint);
    case CURLE_WRITE_ERROR:
        if (a->too_big)
            return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED,
                                    "legacy RFC %s: answer larger than %zu bytes", c->endpoint,
                                    a->max);
        if (a->body.oom)
            return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "legacy RFC %s: out of memory",
                                    c->endpoint);
        break;
    case CURLE_OUT_OF_MEMORY:
        return a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "legacy RFC %s: out of memory",
                                c->endpoint);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return a0ipc_status_set(st, A0IPC_INVALID_ARGUMENT, "legacy RFC %s: %s", c->endpoint, why);
    default:
        break;
    }
    return a0ipc_status_set(st, A0IPC_INTERNAL, "legacy RFC %s: %s", c->endpoint, why);
}

/* Sends body and fills a with the answer; returns the HTTP status, or -1 with st set. */
static long post(a0ipc_rfc_client *c, const a0ipc_rfc_opts *o, const char *body, size_t len,
                 int64_t timeout_ms, answer *a, a0ipc_status *st)
{
    CURL *h = curl_easy_init();
    if (!h) {
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "libcurl: cannot make a handle");
        return -1;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip before a large body (aiohttp never sends one). */
    struct curl_slist *more = headers ? curl_slist_append(headers, "Expect:") : NULL;
    if (!more) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(h);
        a0ipc_status_set(st, A0IPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    headers = more;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, c->endpoint);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_PROXY, "");    /* no proxy, not even from the environment */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    if (o && o->stop) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)o);
    }
    long http = -1;
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    else
        curl_failure(c, rc, a, errbuf, timeout_ms, st);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return http;
}

a0ipc_code a0ipc_rfc_call(a0ipc_rfc_client *c, a0ipc_rfc_opts *o, const char *module,
                          const char *function_name, const a0ipc_json *args,
                          const a0ipc_json *kwargs, a0ipc_json **result, a0ipc_status *st)
{
    *result = NULL;
    if (o)
        o->error_type[0] = '\0';
    int64_t timeout_ms = o && o->timeout_ms ? o->timeout_ms : c->timeout_ms;
    char *body;
    size_t len;
    if (a0ipc_rfc_envelope(c->password, module, function_name, args, kwargs, &body, &len, st) !=
        A0IPC_OK)
        return st->code;
    answer a = {.max = c->max_answer};
    long http = post(c, o, body, len, timeout_ms, &a, st);
    free(body);
    if (http < 0) {
        a0ipc_jbuf_free(&a.body);
        return st->code;
    }
    if (http == 200) {
        if (a0ipc_json_parse(a.body.p, a.body.len, result, st) != A0IPC_OK) {
            char *why = strdup(a0ipc_status_message(st));
            a0ipc_status_set(st, A0IPC_INTERNAL, "legacy RFC %s.%s answered 200 with %s", module,
                             function_name, why ? why : "a body that is not JSON");
            free(why);
        }
        a0ipc_jbuf_free(&a.body);
        return st->code;
    }
    char *type = NULL;
    a0ipc_legacy_status_from_http(http, a.body.p, a.body.len, st, &type);
    if (o && type)
        snprintf(o->error_type, sizeof o->error_type, "%s", type);
    free(type);
    a0ipc_jbuf_free(&a.body);
    return st->code;
}
