#include "core/workpool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
    bw_job_fn fn;
    void *arg;
} job;

struct bw_workpool {
    pthread_mutex_t mu;
    pthread_cond_t has_work;
    job *ring;
    int cap, head, count;
    int running;        /* jobs currently executing */
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

static bool take_job(bw_workpool *p, job *out)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->stopping)
        pthread_cond_wait(&p->has_work, &p->mu);
    if (p->count == 0) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    *out = p->ring[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    p->running++;
    pthread_mutex_unlock(&p->mu);
    return true;
}

static void *worker_main(void *arg)
{
    bw_workpool *p = arg;
    job j;
    while (take_job(p, &j)) {
        j.fn(j.arg);
        pthread_mutex_lock(&p->mu);
        p->running--;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

bw_workpool *bw_workpool_new(int threads, int queue_depth)
{
    if (threads < 1 || queue_depth < 1)
        return NULL;
    bw_workpool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ring = calloc((size_t)queue_depth, sizeof *p->ring);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    if (!p->ring || !p->threads)
        goto fail;
    p->cap = queue_depth;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->has_work, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
            break;
        p->nthreads++;
    }
    if (p->nthreads == threads)
        return p;
    bw_workpool_free(p);
    return NULL;
fail:
    free(p->ring);
    free(p->threads);
    free(p);
    return NULL;
}

bw_status bw_workpool_submit(bw_workpool *p, bw_job_fn fn, void *arg)
{
    bw_status st = BW_OK;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        st = BW_E_CANCELLED;
    } else if (p->count == p->cap) {
        st = BW_E_OVERLOADED;
    } else {
        p->ring[(p->head + p->count) % p->cap] = (job){fn, arg};
        p->count++;
        pthread_cond_signal(&p->has_work);
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}

int bw_workpool_busy(bw_workpool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->count + p->running;
    pthread_mutex_unlock(&p->mu);
    return n;
}

int bw_workpool_queued(bw_workpool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void bw_workpool_free(bw_workpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->has_work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->has_work);
    free(p->ring);
    free(p->threads);
    free(p);
}
