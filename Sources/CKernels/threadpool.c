// A small persistent thread pool: workers sleep on a condition variable between runs, so
// launching a layer costs one broadcast, and tasks are claimed with an atomic counter so
// uneven tasks balance themselves.
#include "ckernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct ck_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t run_lock;  // one run at a time: concurrent callers queue here
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    unsigned long generation;  // bumped per run; workers compare to know a run is new
    int busy;                  // workers still inside the current run
    int stopping;
    void (*fn)(void *, int, int);
    void *ctx;
    int tasks;
    atomic_int next;
};

typedef struct { ck_pool *pool; int index; } worker_arg;

static void drain(ck_pool *p, int thread) {
    for (;;) {
        int t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->tasks) return;
        p->fn(p->ctx, t, thread);
    }
}

static void *worker_main(void *arg) {
    worker_arg a = *(worker_arg *)arg;
    free(arg);
    ck_pool *p = a.pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->generation == seen && !p->stopping) pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        drain(p, a.index);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ck_pool *ck_pool_create(int threads) {
    if (threads < 1) threads = 1;
    ck_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = threads;
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    p->workers = calloc((size_t)threads, sizeof(pthread_t));
    int started = 1;
    for (int i = 1; i < threads && p->workers; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a) break;
        a->pool = p;
        a->index = i;
        if (pthread_create(&p->workers[i], NULL, worker_main, a) != 0) { free(a); break; }
        started++;
    }
    // Fewer threads than asked if the system refused some: still correct, just slower.
    p->threads = started;
    return p;
}

void ck_pool_destroy(ck_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->threads; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->run_lock);
    free(p->workers);
    free(p);
}

int ck_pool_threads(const ck_pool *p) { return p ? p->threads : 1; }

void ck_pool_run(ck_pool *p, int tasks, void (*fn)(void *, int, int), void *ctx) {
    if (tasks <= 0) return;
    if (!p || p->threads == 1 || tasks == 1) {
        for (int t = 0; t < tasks; t++) fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->run_lock);
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->tasks = tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    drain(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->run_lock);
}
