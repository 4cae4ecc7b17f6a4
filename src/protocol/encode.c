#include "protocol/encode.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct tbuf {
    char *p;
    size_t len, cap;
} tbuf;

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void free_tbuf(void *v)
{
    tbuf *b = v;
    free(b->p);
    free(b);
}

static void make_key(void)
{
    pthread_key_create(&key, free_tbuf);
}

/* The calling thread's buffer (freed when the thread exits), emptied. */
static tbuf *thread_buf(void)
{
    pthread_once(&once, make_key);
    tbuf *b = pthread_getspecific(key);
    if (!b && (b = calloc(1, sizeof *b)) != NULL)
        pthread_setspecific(key, b);
    if (b)
        b->len = 0;
    return b;
}

static int reserve(tbuf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int put(tbuf *b, const char *s, size_t n)
{
    if (reserve(b, n))
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* Appends the compact encoding of v, growing once if the first try did not fit. */
static int put_json(tbuf *b, const json_t *v)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t room = b->cap - b->len;
        size_t need = json_dumpb(v, b->p ? b->p + b->len : NULL, room, JSON_COMPACT | JSON_ENCODE_ANY);
        if (need == 0)
            return -1;
        if (need <= room) {
            b->len += need;
            return 0;
        }
        if (reserve(b, need))
            return -1;
    }
    return -1;
}

const char *bw_encode(const json_t *msg, size_t *len)
{
    tbuf *b = thread_buf();
    if (!b || put_json(b, msg))
        return NULL;
    *len = b->len;
    return b->p;
}

const char *bw_encode_reply(const json_t *id, const json_t *result, const json_t *error, size_t *len)
{
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
    tbuf *b = thread_buf();
    if (!b || put(b, head, sizeof head - 1) || (id ? put_json(b, id) : put(b, "null", 4)))
        return NULL;
    if (result ? put(b, ",\"result\":", 10) || put_json(b, result) : put(b, ",\"error\":", 9) || put_json(b, error))
        return NULL;
    if (put(b, "}", 1))
        return NULL;
    *len = b->len;
    return b->p;
}
