/* Bounded MPMC ring (after Dmitry Vyukov's design): each cell carries a sequence number telling producers and
 * consumers whose turn it is, so a push or pop is one CAS on its position plus a release store on the cell. */
#include "observability/audit_queue.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct cell {
    atomic_size_t seq;
    void *item;
} cell;

struct bw_audit_queue {
    size_t mask;
    cell *cells;
    _Alignas(64) atomic_size_t head; /* next position to push */
    _Alignas(64) atomic_size_t tail; /* next position to pop */
};

bw_audit_queue *bw_audit_queue_new(size_t capacity)
{
    size_t n = 2;
    while (n < capacity)
        n <<= 1;
    bw_audit_queue *q = aligned_alloc(64, (sizeof *q + 63) / 64 * 64);
    cell *cells = calloc(n, sizeof *cells);
    if (!q || !cells) {
        free(q);
        free(cells);
        return NULL;
    }
    q->mask = n - 1;
    q->cells = cells;
    for (size_t i = 0; i < n; i++)
        atomic_init(&cells[i].seq, i);
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return q;
}

void bw_audit_queue_free(bw_audit_queue *q)
{
    if (!q)
        return;
    free(q->cells);
    free(q);
}

bool bw_audit_queue_push(bw_audit_queue *q, void *item)
{
    size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        cell *c = &q->cells[pos & q->mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            /* seq_cst: the writer's wake-up handshake orders this claim against its `sleeping` flag. */
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                c->item = item;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return true;
            }
        } else if (dif < 0) {
            return false; /* the cell still holds an item a lap behind: full */
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}

void *bw_audit_queue_pop(bw_audit_queue *q)
{
    size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        cell *c = &q->cells[pos & q->mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                void *item = c->item;
                atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
                return item;
            }
        } else if (dif < 0) {
            return NULL; /* empty */
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

size_t bw_audit_queue_length(const bw_audit_queue *q)
{
    size_t head = atomic_load_explicit(&((bw_audit_queue *)q)->head, memory_order_seq_cst); /* see push */
    size_t tail = atomic_load_explicit(&((bw_audit_queue *)q)->tail, memory_order_relaxed);
    return head >= tail ? head - tail : 0;
}

size_t bw_audit_queue_capacity(const bw_audit_queue *q)
{
    return q->mask + 1;
}

size_t bw_audit_queue_pushed(const bw_audit_queue *q)
{
    return atomic_load_explicit(&((bw_audit_queue *)q)->head, memory_order_acquire);
}

size_t bw_audit_queue_popped(const bw_audit_queue *q)
{
    return atomic_load_explicit(&((bw_audit_queue *)q)->tail, memory_order_acquire);
}
