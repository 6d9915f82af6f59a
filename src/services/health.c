#include "services/health.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.a0ipc.h"

#define SERVING         GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define SERVICE_UNKNOWN GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

typedef struct entry {
    char *service;
    bool serving;
    struct entry *next;
} entry;

struct a0ipc_health {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    unsigned long version; /* bumped on every change, so a watcher knows it missed nothing */
    entry *entries;
};

a0ipc_health *a0ipc_health_new(void)
{
    a0ipc_health *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->changed, NULL);
    if (a0ipc_health_set(h, "", true) != 0) {
        a0ipc_health_free(h);
        return NULL;
    }
    return h;
}

void a0ipc_health_free(a0ipc_health *h)
{
    if (!h)
        return;
    for (entry *e = h->entries, *next; e; e = next) {
        next = e->next;
        free(e->service);
        free(e);
    }
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static entry *find(a0ipc_health *h, const char *service)
{
    for (entry *e = h->entries; e; e = e->next)
        if (strcmp(e->service, service) == 0)
            return e;
    return NULL;
}

int a0ipc_health_set(a0ipc_health *h, const char *service, bool serving)
{
    pthread_mutex_lock(&h->mu);
    entry *e = find(h, service);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || !(e->service = strdup(service))) {
            free(e);
            pthread_mutex_unlock(&h->mu);
            return -1;
        }
        e->next = h->entries;
        h->entries = e;
    }
    e->serving = serving;
    h->version++;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void a0ipc_health_set_all_not_serving(a0ipc_health *h)
{
    pthread_mutex_lock(&h->mu);
    for (entry *e = h->entries; e; e = e->next)
        e->serving = false;
    h->version++;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->mu);
}

/* With h->mu held. */
static Grpc__Health__V1__HealthCheckResponse__ServingStatus status_of(a0ipc_health *h,
                                                                      const char *service)
{
    entry *e = find(h, service);
    return !e ? SERVICE_UNKNOWN : e->serving ? SERVING : NOT_SERVING;
}

static a0ipc_code check(a0ipc_rpc_ctx *ctx, const Grpc__Health__V1__HealthCheckRequest *req,
                        Grpc__Health__V1__HealthCheckResponse *resp)
{
    a0ipc_health *h = a0ipc_rpc_ctx_data(ctx);
    pthread_mutex_lock(&h->mu);
    Grpc__Health__V1__HealthCheckResponse__ServingStatus s = status_of(h, req->service);
    pthread_mutex_unlock(&h->mu);
    if (s == SERVICE_UNKNOWN) /* the protocol says Check answers NOT_FOUND here */
        return a0ipc_rpc_fail(ctx, A0IPC_NOT_FOUND, "unknown service \"%s\"", req->service);
    resp->status = s;
    return A0IPC_OK;
}

static void wake_watchers(void *arg)
{
    a0ipc_health *h = arg;
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->mu);
}

/* Sends the status now and on every change; ends when the call should stop. A burst of changes
 * may be folded into one message, but a watcher always ends up with the latest status. */
static a0ipc_code watch(a0ipc_rpc_ctx *ctx, const Grpc__Health__V1__HealthCheckRequest *req)
{
    a0ipc_health *h = a0ipc_rpc_ctx_data(ctx);
    a0ipc_rpc_ctx_on_stop(ctx, wake_watchers, h);
    int last = -1;
    a0ipc_code code = A0IPC_OK;
    pthread_mutex_lock(&h->mu);
    while (code == A0IPC_OK) {
        int s = (int)status_of(h, req->service);
        if (s != last) {
            pthread_mutex_unlock(&h->mu);
            Grpc__Health__V1__HealthCheckResponse resp =
                GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
            resp.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)s;
            code = grpc_health_v1_health_watch_send(ctx, &resp);
            last = s;
            pthread_mutex_lock(&h->mu);
            continue;
        }
        if (a0ipc_rpc_ctx_should_stop(ctx))
            break;
        pthread_cond_wait(&h->changed, &h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    a0ipc_rpc_ctx_on_stop(ctx, NULL, NULL);
    if (code != A0IPC_OK)
        return code;
    return a0ipc_rpc_fail_stopped(ctx);
}

int a0ipc_health_register(a0ipc_rpc_server *s, a0ipc_health *h, a0ipc_status *st)
{
    const grpc_health_v1_health_handlers handlers = {.check = check, .watch = watch};
    /* Check only reads a table under a mutex: it runs on the CQ thread. */
    return grpc_health_v1_health_register(s, &handlers, h, A0IPC_RPC_INLINE, st);
}
