/* The tracer: a bounded lock-free queue of ended spans, one export thread that sends them in batches as OTLP/HTTP
 * JSON with libcurl, and bw_server_set_tracing, which swaps tracers at reload (see trace_internal.h for the
 * lifetime rules).
 *
 * The request path only ever does atomic operations here: a span is queued with a compare-and-swap on a bounded
 * array (Vyukov's MPMC queue, used with one consumer), or dropped and counted when the queue is full. The export
 * thread is woken through an eventfd once a batch is full, else every flush_interval_ms; a dead or slow collector
 * only makes that thread wait (each request bounded by export_timeout_ms) while the queue drops. */
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/bulwark.h"
#include "observability/log.h"
#include "observability/metrics.h"
#include "observability/trace_internal.h"
#include "protocol/server_internal.h"
#include "providers/http_client.h"

#define DEFAULT_QUEUE 2048
#define DEFAULT_BATCH 256
#define DEFAULT_FLUSH_MS 1000
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_QUEUE (1 << 20)
#define MAX_BATCH 10000
#define CONNECT_TIMEOUT_CAP_MS 2000  /* a collector that does not accept within this is down: do not wait longer */
#define RESPONSE_CAP (64 * 1024)     /* collector answers are read and discarded up to this */
#define WARN_INTERVAL_MS 60000       /* at most one "export failed" line per tracer per minute */
#define RETIRE_WAIT_MS 1000          /* a replaced tracer waits at most this long for its open spans to end */

typedef struct cell {
    atomic_size_t seq;
    bw_span *span;
} cell;

struct bw_tracer {
    atomic_long refs;
    /* Configuration (immutable). */
    char *signature;              /* every option, to keep the tracer when a reload changes nothing */
    char *endpoint;
    struct curl_slist *headers;   /* Content-Type, configured headers (never logged), "Expect:" */
    char *service_name, *service_version;
    bool sample_all;
    uint64_t ratio_bound;         /* sampled when the trace id's low 64 bits are below this */
    long queue_size, batch_size;
    int flush_ms, timeout_ms;
    /* Queue. */
    cell *cells;
    size_t mask;
    atomic_size_t tail;           /* producers */
    size_t head;                  /* the consumer (export thread; the destructor once it is gone) */
    atomic_long queued;
    atomic_long since_wake;
    int wake_fd;
    /* Export thread. */
    pthread_t thread;
    bool running;
    atomic_bool stopping, stopped;
    _Atomic int64_t stop_deadline_ms;
    int64_t last_warn_ms;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- references and acquisition ---- */

/* Two-slot epoch readers (see trace_internal.h): a reader registers in the slot of the epoch it saw and re-checks
 * the epoch, so a swap that flips the epoch and waits for the old slot to empty knows no reader still holds a
 * pointer it loaded before the swap. */
static atomic_uint acquire_epoch;
static atomic_long acquire_readers[2];
static pthread_mutex_t swap_mu = PTHREAD_MUTEX_INITIALIZER; /* serializes swaps (configuration changes only) */

struct bw_tracer *bw_tracer_acquire(bw_observe *obs)
{
    if (!obs || !atomic_load_explicit(&obs->tracer, memory_order_relaxed))
        return NULL; /* tracing off: the common case costs one load */
    for (;;) {
        unsigned e = atomic_load(&acquire_epoch);
        atomic_fetch_add(&acquire_readers[e & 1], 1);
        if (atomic_load(&acquire_epoch) != e) {
            atomic_fetch_sub(&acquire_readers[e & 1], 1);
            continue;
        }
        bw_tracer *t = atomic_load(&obs->tracer);
        if (t)
            atomic_fetch_add(&t->refs, 1);
        atomic_fetch_sub(&acquire_readers[e & 1], 1);
        return t;
    }
}

/* Waits until no thread is inside bw_tracer_acquire with a pointer loaded before now. Caller holds swap_mu. */
static void quiesce(void)
{
    unsigned old = atomic_fetch_add(&acquire_epoch, 1);
    while (atomic_load(&acquire_readers[old & 1]) != 0)
        sched_yield(); /* readers hold the slot for a few instructions */
}

void bw_tracer_ref(bw_tracer *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

static bw_span *queue_pop(bw_tracer *t);

static void destroy(bw_tracer *t)
{
    long left = 0;
    for (bw_span *s; t->cells && (s = queue_pop(t)) != NULL; left++)
        bw_span_free(s); /* ended after the export thread stopped */
    if (left)
        bw_metrics_trace_spans(0, left);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    curl_slist_free_all(t->headers);
    free(t->cells);
    free(t->signature);
    free(t->endpoint);
    free(t->service_name);
    free(t->service_version);
    free(t);
}

void bw_tracer_unref(bw_tracer *t)
{
    if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        destroy(t);
}

bool bw_tracer_samples(const bw_tracer *t, const uint8_t trace_id[16])
{
    if (t->sample_all)
        return true;
    uint64_t low = 0;
    for (int i = 8; i < 16; i++)
        low = low << 8 | trace_id[i];
    return low < t->ratio_bound;
}

/* ---- the queue ---- */

static bool queue_push(bw_tracer *t, bw_span *s)
{
    size_t pos = atomic_load_explicit(&t->tail, memory_order_relaxed);
    for (;;) {
        cell *c = &t->cells[pos & t->mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t diff = (intptr_t)seq - (intptr_t)pos;
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&t->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->span = s;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return true;
            }
        } else if (diff < 0) {
            return false; /* full */
        } else {
            pos = atomic_load_explicit(&t->tail, memory_order_relaxed);
        }
    }
}

static bw_span *queue_pop(bw_tracer *t)
{
    cell *c = &t->cells[t->head & t->mask];
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    if ((intptr_t)seq - (intptr_t)(t->head + 1) < 0)
        return NULL; /* empty, or a producer has claimed the cell and not yet filled it */
    bw_span *s = c->span;
    atomic_store_explicit(&c->seq, t->head + t->mask + 1, memory_order_release);
    t->head++;
    atomic_fetch_sub_explicit(&t->queued, 1, memory_order_relaxed);
    return s;
}

void bw_tracer_submit(bw_tracer *t, bw_span *s)
{
    /* The count bounds the queue at exactly queue_size (the array is the next power of two). */
    if (atomic_load_explicit(&t->stopped, memory_order_relaxed) ||
        atomic_fetch_add_explicit(&t->queued, 1, memory_order_relaxed) >= t->queue_size) {
        if (!atomic_load_explicit(&t->stopped, memory_order_relaxed))
            atomic_fetch_sub_explicit(&t->queued, 1, memory_order_relaxed);
        bw_span_free(s);
        bw_metrics_trace_spans(0, 1);
        return;
    }
    if (!queue_push(t, s)) {
        atomic_fetch_sub_explicit(&t->queued, 1, memory_order_relaxed);
        bw_span_free(s);
        bw_metrics_trace_spans(0, 1);
        return;
    }
    if (atomic_fetch_add_explicit(&t->since_wake, 1, memory_order_relaxed) + 1 == t->batch_size) {
        uint64_t one = 1;
        ssize_t n = write(t->wake_fd, &one, sizeof one);
        (void)n; /* a full counter wakes the thread anyway */
    }
}

/* ---- export ---- */

static size_t discard(char *p, size_t size, size_t n, void *user)
{
    size_t *seen = user;
    (void)p, (void)size; /* size is always 1 */
    *seen += n;
    return *seen > RESPONSE_CAP ? 0 : n;
}

/* Aborts a transfer still running when the shutdown flush's time is up. */
static int progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    bw_tracer *t = user;
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load(&t->stopping) && mono_ms() >= atomic_load(&t->stop_deadline_ms);
}

/* The time one export may take: export_timeout_ms, or what is left of the shutdown flush. 0: none left. */
static long export_budget(bw_tracer *t)
{
    if (!atomic_load(&t->stopping))
        return t->timeout_ms;
    int64_t left = atomic_load(&t->stop_deadline_ms) - mono_ms();
    return left <= 0 ? 0 : left < t->timeout_ms ? (long)left : t->timeout_ms;
}

static void warn_failure(bw_tracer *t, const char *why, size_t n)
{
    int64_t now = mono_ms();
    if (t->last_warn_ms && now - t->last_warn_ms < WARN_INTERVAL_MS)
        return;
    t->last_warn_ms = now;
    /* Neither the endpoint (it may carry credentials) nor the headers are written. */
    bw_log_msg(BW_LL_WARN, "tracing: export to the OTLP collector failed (%s); %zu spans dropped", why, n);
}

/* POSTs one batch; true when the collector accepted it (2xx). */
static bool post(bw_tracer *t, CURL *e, const char *body, long budget, char *why, size_t whylen)
{
    size_t seen = 0;
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_reset(e); /* keeps the connection to the collector */
    CURLcode rc = CURLE_OK;
    rc |= curl_easy_setopt(e, CURLOPT_URL, t->endpoint);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "bulwark/" BW_VERSION);
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, budget);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, budget < CONNECT_TIMEOUT_CAP_MS ? budget : CONNECT_TIMEOUT_CAP_MS);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, &seen);
    rc |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, progress);
    rc |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "libcurl refused an option");
        return false;
    }
    CURLcode res = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && status / 100 == 2)) {
        snprintf(why, whylen, "%s", err[0] ? err : curl_easy_strerror(res));
        return false;
    }
    if (status / 100 != 2) {
        snprintf(why, whylen, "HTTP status %ld", status);
        return false;
    }
    return true;
}

static void export_batch(bw_tracer *t, CURL *e, bw_span **batch, size_t n)
{
    char why[CURL_ERROR_SIZE + 32] = "out of memory";
    long budget = export_budget(t);
    bw_otlp_resource res = {.service_name = t->service_name, .service_version = t->service_version};
    char *body = budget > 0 && e ? bw_otlp_json_encode(&res, batch, n) : NULL;
    if (budget <= 0)
        snprintf(why, sizeof why, "shutdown flush timed out");
    bool ok = body && post(t, e, body, budget, why, sizeof why);
    free(body);
    if (ok)
        bw_metrics_trace_spans((long)n, 0);
    else {
        bw_metrics_trace_spans(0, (long)n);
        warn_failure(t, why, n);
    }
    for (size_t i = 0; i < n; i++)
        bw_span_free(batch[i]);
}

/* Sends everything queued, batch by batch. */
static void flush(bw_tracer *t, CURL *e, bw_span **batch)
{
    atomic_store_explicit(&t->since_wake, 0, memory_order_relaxed);
    for (;;) {
        size_t n = 0;
        while (n < (size_t)t->batch_size && (batch[n] = queue_pop(t)) != NULL)
            n++;
        if (n == 0)
            return;
        export_batch(t, e, batch, n);
    }
}

static void wait_for_work(bw_tracer *t, int64_t next_flush)
{
    int64_t wait = next_flush - mono_ms();
    if (wait <= 0 || atomic_load(&t->stopping) || atomic_load(&t->queued) >= t->batch_size)
        return;
    struct pollfd p = {.fd = t->wake_fd, .events = POLLIN};
    if (poll(&p, 1, (int)wait) > 0) {
        uint64_t v;
        ssize_t n = read(t->wake_fd, &v, sizeof v);
        (void)n;
    }
}

static void *export_main(void *arg)
{
    bw_tracer *t = arg;
    CURL *e = curl_easy_init(); /* one handle: the connection to the collector is kept alive between batches */
    bw_span **batch = malloc((size_t)t->batch_size * sizeof *batch);
    int64_t next_flush = mono_ms() + t->flush_ms;
    while (batch) {
        wait_for_work(t, next_flush);
        bool stopping = atomic_load(&t->stopping);
        if (stopping || atomic_load(&t->queued) >= t->batch_size || mono_ms() >= next_flush) {
            flush(t, e, batch);
            next_flush = mono_ms() + t->flush_ms;
        }
        if (stopping)
            break;
    }
    atomic_store(&t->stopped, true);
    if (!batch) /* cannot export at all: what is queued is dropped (and counted) by the destructor */
        bw_log_msg(BW_LL_ERROR, "tracing: out of memory, spans are not exported");
    free(batch);
    curl_easy_cleanup(e);
    return NULL;
}

/* Stops the export thread after a last flush bounded by export_timeout_ms. Caller: the owner of the server's
 * reference, once nothing can acquire the tracer any more. */
static void stop(bw_tracer *t)
{
    if (!t->running)
        return;
    /* Spans still open hold references (their requests started before the swap): let them end, briefly, so that this
     * thread exports them instead of the destructor dropping them. Nobody can acquire this tracer any more, so the
     * count only goes down; a call still running after the wait has its spans dropped and counted. */
    int64_t retire_by = mono_ms() + (t->timeout_ms < RETIRE_WAIT_MS ? t->timeout_ms : RETIRE_WAIT_MS);
    while (atomic_load(&t->refs) > 1 && mono_ms() < retire_by)
        usleep(1000);
    atomic_store(&t->stop_deadline_ms, mono_ms() + t->timeout_ms);
    atomic_store(&t->stopping, true);
    uint64_t one = 1;
    ssize_t n = write(t->wake_fd, &one, sizeof one);
    (void)n;
    pthread_join(t->thread, NULL);
    t->running = false;
    atomic_store(&t->stopped, true);
}

void bw_tracer_free(bw_tracer *t)
{
    if (!t)
        return;
    stop(t);
    bw_tracer_unref(t);
}

/* ---- options ---- */

static bool header_line_ok(const char *line, char *err, size_t errlen)
{
    const char *colon = strchr(line, ':');
    size_t name_len = colon ? (size_t)(colon - line) : 0;
    bool ok = name_len > 0;
    for (size_t i = 0; ok && i < name_len; i++)
        ok = (line[i] >= 'a' && line[i] <= 'z') || (line[i] >= 'A' && line[i] <= 'Z') ||
             (line[i] >= '0' && line[i] <= '9') || strchr("!#$%&'*+-.^_`|~", line[i]);
    if (!ok) {
        snprintf(err, errlen, "headers: each entry must be \"Name: value\" with a valid header name");
        return false;
    }
    for (const char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t') {
            snprintf(err, errlen, "headers: %.*s: the value must not contain a line break or control character",
                     (int)name_len, line);
            return false;
        }
    static const char *const reserved[] = {"Content-Type", "Content-Length", "Transfer-Encoding"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == name_len && !strncasecmp(line, reserved[i], name_len)) {
            snprintf(err, errlen, "headers: %s is set by bulwark itself", reserved[i]);
            return false;
        }
    return true;
}

static bool endpoint_ok(const char *url, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              (!strcmp(scheme, "http") || !strcmp(scheme, "https"));
    curl_free(scheme);
    curl_url_cleanup(u);
    if (!ok)
        snprintf(err, errlen, "endpoint '%s' is not an http:// or https:// URL", url);
    return ok;
}

static bool in_range(long v, long max)
{
    return v >= 0 && v <= max;
}

bw_status bw_tracing_options_check(const bw_tracing_options *o, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!o || !o->endpoint)
        return BW_OK;
    if (!endpoint_ok(o->endpoint, err, errlen))
        return BW_E_INVALID_ARG;
    if (o->protocol && strcmp(o->protocol, "json") != 0) {
        snprintf(err, errlen, "protocol '%s' is not supported (json)", o->protocol);
        return BW_E_INVALID_ARG;
    }
    if (!(o->sampling_ratio >= 0.0 && o->sampling_ratio <= 1.0)) {
        snprintf(err, errlen, "sampling_ratio must be within 0..1");
        return BW_E_INVALID_ARG;
    }
    if (!in_range(o->queue_size, MAX_QUEUE) || !in_range(o->batch_size, MAX_BATCH) ||
        !in_range(o->flush_interval_ms, 3600000) || !in_range(o->export_timeout_ms, 600000)) {
        snprintf(err, errlen, "queue_size, batch_size, flush_interval_ms or export_timeout_ms out of range");
        return BW_E_INVALID_ARG;
    }
    for (const char *const *h = o->headers; h && *h; h++)
        if (!header_line_ok(*h, err, errlen))
            return BW_E_INVALID_ARG;
    return BW_OK;
}

/* Every option with the defaults applied, as one string: equal strings mean a reload changed nothing. */
static char *signature(const bw_tracing_options *o, const char *service, const char *version)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s\n%a\n%s\n%s\n%d %d %d %d\n", o->endpoint, o->sampling_ratio, service, version ? version : "",
            o->queue_size ? o->queue_size : DEFAULT_QUEUE, o->batch_size ? o->batch_size : DEFAULT_BATCH,
            o->flush_interval_ms ? o->flush_interval_ms : DEFAULT_FLUSH_MS,
            o->export_timeout_ms ? o->export_timeout_ms : DEFAULT_TIMEOUT_MS);
    for (const char *const *h = o->headers; h && *h; h++)
        fprintf(f, "%s\n", *h);
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- creation and the swap ---- */

static bool make_headers(bw_tracer *t, const bw_tracing_options *o)
{
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    for (const char *const *h = o->headers; l && h && *h; h++) {
        struct curl_slist *grown = curl_slist_append(l, *h);
        if (!grown) {
            curl_slist_free_all(l);
            l = NULL;
        } else
            l = grown;
    }
    struct curl_slist *grown = l ? curl_slist_append(l, "Expect:") : NULL; /* no 1 s wait for 100-continue */
    if (!grown)
        curl_slist_free_all(l);
    t->headers = grown;
    return grown != NULL;
}

static bool make_queue(bw_tracer *t)
{
    size_t cap = 1;
    while (cap < (size_t)t->queue_size)
        cap <<= 1;
    t->cells = calloc(cap, sizeof *t->cells);
    if (!t->cells)
        return false;
    t->mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&t->cells[i].seq, i);
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return t->wake_fd >= 0;
}

static void set_sampling(bw_tracer *t, double ratio)
{
    t->sample_all = ratio >= 1.0;
    /* ratio * 2^64, computed below 2^64 to stay defined. */
    t->ratio_bound = ratio <= 0.0 ? 0 : (uint64_t)(ratio * 18446744073709549568.0);
}

static bw_tracer *tracer_new(const bw_tracing_options *o, const char *service, const char *version, char *sig)
{
    bw_tracer *t = calloc(1, sizeof *t);
    if (!t) {
        free(sig);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    t->wake_fd = -1;
    t->signature = sig;
    t->endpoint = strdup(o->endpoint);
    t->service_name = strdup(service);
    t->service_version = version ? strdup(version) : NULL;
    t->queue_size = o->queue_size ? o->queue_size : DEFAULT_QUEUE;
    t->batch_size = o->batch_size ? o->batch_size : DEFAULT_BATCH;
    t->flush_ms = o->flush_interval_ms ? o->flush_interval_ms : DEFAULT_FLUSH_MS;
    t->timeout_ms = o->export_timeout_ms ? o->export_timeout_ms : DEFAULT_TIMEOUT_MS;
    set_sampling(t, o->sampling_ratio);
    if (!t->endpoint || !t->service_name || (version && !t->service_version) || !make_headers(t, o) ||
        !make_queue(t) || pthread_create(&t->thread, NULL, export_main, t) != 0) {
        destroy(t);
        return NULL;
    }
    t->running = true;
    return t;
}

/* Installs next (may be NULL) as the server's tracer and retires the previous one. Caller holds swap_mu, which is
 * released here before the old tracer's (bounded) flush. */
static void swap_in_locked(bw_observe *obs, bw_tracer *next)
{
    bw_tracer *old = atomic_exchange(&obs->tracer, next);
    quiesce();
    pthread_mutex_unlock(&swap_mu);
    bw_tracer_free(old); /* flushes what it queued; spans still open keep its memory until they end */
}

/* The tracer for these (checked) options: NULL with *keep when the current one already has them. */
static bw_tracer *replacement(bw_server *srv, const bw_tracing_options *opts, bool *keep, char *err, size_t errlen)
{
    const char *service = opts->service_name ? opts->service_name : srv->name ? srv->name : "bulwark";
    char *sig = signature(opts, service, srv->version);
    bw_tracer *cur = atomic_load(&srv->obs->tracer);
    *keep = sig && cur && !strcmp(cur->signature, sig); /* a reload that changed nothing keeps queue and connection */
    if (!sig || *keep) {
        free(sig);
        if (!*keep)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (bw_http_client_init() != BW_OK) {
        free(sig);
        snprintf(err, errlen, "libcurl could not be initialized");
        return NULL;
    }
    bw_tracer *t = tracer_new(opts, service, srv->version, sig);
    if (!t)
        snprintf(err, errlen, "out of memory (or no thread) for the trace exporter");
    return t;
}

bw_status bw_server_set_tracing(bw_server *srv, const bw_tracing_options *opts, char *err, size_t errlen)
{
    bw_status st = bw_tracing_options_check(opts, err, errlen);
    if (st != BW_OK)
        return st;
    if (!srv || !srv->obs)
        return BW_E_INVALID_ARG;
    pthread_mutex_lock(&swap_mu);
    bw_tracer *next = NULL;
    if (opts && opts->endpoint) {
        bool keep = false;
        next = replacement(srv, opts, &keep, err, errlen);
        if (!next) {
            pthread_mutex_unlock(&swap_mu);
            return keep ? BW_OK : BW_E_NOMEM;
        }
    } else if (!atomic_load(&srv->obs->tracer)) {
        pthread_mutex_unlock(&swap_mu);
        return BW_OK;
    }
    swap_in_locked(srv->obs, next);
    return BW_OK;
}
