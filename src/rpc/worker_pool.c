#include "rpc/worker_pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct thread_node {
    pthread_t tid;
    struct thread_node *next;
} thread_node;

struct a0ipc_worker_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    a0ipc_work *head, *tail;
    int queued;
    int n_threads, n_idle, max_threads;
    bool closing;
    thread_node *threads;
};

static void *worker_main(void *arg)
{
    a0ipc_worker_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->closing) {
            p->n_idle++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->n_idle--;
        }
        if (!p->head)
            break; /* closing and nothing left */
        a0ipc_work *w = p->head;
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->mu);
        w->run(w);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

a0ipc_worker_pool *a0ipc_worker_pool_new(int max_threads)
{
    a0ipc_worker_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->max_threads = max_threads > 0 ? max_threads : 1;
    return p;
}

bool a0ipc_worker_pool_submit(a0ipc_worker_pool *p, a0ipc_work *w)
{
    pthread_mutex_lock(&p->mu);
    if (p->closing) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    if (p->n_idle <= p->queued) {
        /* Every idle thread already has work waiting for it: add a thread, or refuse. */
        thread_node *t = p->n_threads < p->max_threads ? malloc(sizeof *t) : NULL;
        if (!t || pthread_create(&t->tid, NULL, worker_main, p) != 0) {
            free(t);
            pthread_mutex_unlock(&p->mu);
            return false;
        }
        t->next = p->threads;
        p->threads = t;
        p->n_threads++;
    }
    w->next = NULL;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
    p->queued++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return true;
}

void a0ipc_worker_pool_free(a0ipc_worker_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    pthread_cond_broadcast(&p->cv);
    thread_node *t = p->threads;
    p->threads = NULL;
    pthread_mutex_unlock(&p->mu);
    while (t) {
        thread_node *next = t->next;
        pthread_join(t->tid, NULL);
        free(t);
        t = next;
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
