/* The bounded queue between the calls that produce audit records and the writer thread: a lock-free
 * multi-producer multi-consumer ring (D. Vyukov's bounded MPMC queue), so recording a call costs a few atomic
 * operations and never a lock. Capacity is rounded up to a power of two.
 *
 * Thread-safety: push, pop and length from any thread; new/free by the owner only. */
#ifndef BW_OBSERVABILITY_AUDIT_QUEUE_H
#define BW_OBSERVABILITY_AUDIT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bw_audit_queue bw_audit_queue;

/* A queue of at least `capacity` (>= 1) items. NULL on allocation failure. */
bw_audit_queue *bw_audit_queue_new(size_t capacity);
/* Frees the ring; items still queued are not freed (drain first). NULL is a no-op. */
void bw_audit_queue_free(bw_audit_queue *q);
/* Adds item (ownership passes to the queue); false when the queue is full (the caller keeps item). */
bool bw_audit_queue_push(bw_audit_queue *q, void *item);
/* Removes the oldest item (ownership passes to the caller), or NULL when empty. */
void *bw_audit_queue_pop(bw_audit_queue *q);
/* Items queued right now (a snapshot; exact when nobody is pushing or popping). */
size_t bw_audit_queue_length(const bw_audit_queue *q);
size_t bw_audit_queue_capacity(const bw_audit_queue *q);
/* Pushes claimed and pops done since creation (monotonic counters): "everything pushed before now has been popped"
 * is popped() >= a pushed() value read now. */
size_t bw_audit_queue_pushed(const bw_audit_queue *q);
size_t bw_audit_queue_popped(const bw_audit_queue *q);

#endif
