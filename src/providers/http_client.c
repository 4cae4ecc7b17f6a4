/* libcurl transfers on per-thread handles with a shared DNS/TLS-session cache. */
#include "providers/http_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"

#define SLICE_MS 50 /* longest wait between two cancellation checks */
#define MAX_REDIRECTS 5L

typedef struct thread_handles {
    CURLM *multi; /* holds this thread's connection cache between calls */
    CURL *easy;
} thread_handles;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bw_status init_status = BW_E_INTERNAL;
static pthread_key_t handles_key;
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h, (void)access, (void)user;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h, (void)user;
    pthread_mutex_unlock(&share_locks[data]);
}

static void free_handles(void *p)
{
    thread_handles *t = p;
    curl_easy_cleanup(t->easy);
    curl_multi_cleanup(t->multi);
    free(t);
}

/* The share lives for the whole process: per-thread handles that use it are freed only when their threads exit. */
static void init_process(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_locks[i], NULL);
    share = curl_share_init();
    if (!share || pthread_key_create(&handles_key, free_handles) != 0)
        return;
    if (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
        return;
    init_status = BW_OK;
}

bw_status bw_http_client_init(void)
{
    pthread_once(&init_once, init_process);
    return init_status;
}

static thread_handles *thread_get(void)
{
    thread_handles *t = pthread_getspecific(handles_key);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->multi = curl_multi_init();
    t->easy = curl_easy_init();
    if (!t->multi || !t->easy || curl_easy_setopt(t->easy, CURLOPT_SHARE, share) != CURLE_OK ||
        pthread_setspecific(handles_key, t) != 0) {
        free_handles(t);
        return NULL;
    }
    return t;
}

void bw_http_response_init(bw_http_response *r, size_t max_body_bytes)
{
    memset(r, 0, sizeof *r);
    bw_buf_init(&r->body, max_body_bytes);
}

void bw_http_response_free(bw_http_response *r)
{
    bw_buf_free(&r->body);
}

typedef struct transfer {
    bw_http_response *resp;
    bool too_large;
} transfer;

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    transfer *t = user;
    (void)size; /* always 1 */
    if (bw_buf_append(&t->resp->body, p, n) != BW_OK) {
        t->too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Keeps the reason phrase of the last status line ("HTTP/1.1 404 Not Found"): earlier ones belong to 1xx
 * responses or redirects. The phrase starts after the second space; HTTP/2 has none. */
static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    transfer *t = user;
    char *reason = t->resp->reason;
    (void)size; /* always 1 */
    if (n < 5 || memcmp(p, "HTTP/", 5) != 0)
        return n;
    const char *end = p + n;
    while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    const char *sp1 = memchr(p, ' ', (size_t)(end - p));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
    size_t len = sp2 ? (size_t)(end - sp2 - 1) : 0;
    if (len >= sizeof t->resp->reason)
        len = sizeof t->resp->reason - 1;
    if (len)
        memcpy(reason, sp2 + 1, len);
    reason[len] = '\0';
    return n;
}

static void set_method(CURL *e, const bw_http_request *req, CURLcode *rc)
{
    const char *m = req->method;
    bool sends_body = req->body || !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
    if (!strcmp(m, "HEAD"))
        *rc |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(m, "GET") && strcmp(m, "POST"))
        *rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    if (sends_body) {
        *rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        *rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    }
}

/* Sets every option of the transfer (the handle was reset); false when libcurl refuses one. */
static bool set_options(CURL *e, const bw_http_request *req, transfer *t)
{
    CURLcode rc = CURLE_OK; /* OR-ed: any non-zero code fails the setup */
    rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L); /* send the escaped path exactly as built */
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "bulwark/" BW_VERSION);
    rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* the size cap applies to the decoded body */
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_response_bytes);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, req->tls_verify ? 1L : 0L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, req->tls_verify ? 2L : 0L);
    if (req->ca_file)
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
    rc |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->resp->error);
    set_method(e, req, &rc);
    return rc == CURLE_OK;
}

/* Drives the transfer to its end; *result is libcurl's code for it. false when cancelled first. */
static bool drive(CURLM *m, CURL *e, bool (*cancelled)(void *), void *ctx, CURLcode *result)
{
    int running = 1;
    *result = CURLE_FAILED_INIT;
    for (;;) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            return true;
        if (!running)
            break;
        if (cancelled(ctx))
            return false;
        if (curl_multi_poll(m, NULL, 0, SLICE_MS, NULL) != CURLM_OK)
            return true;
    }
    int left;
    for (CURLMsg *msg; (msg = curl_multi_info_read(m, &left)) != NULL;)
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == e)
            *result = msg->data.result;
    return true;
}

static void copy_info(CURL *e, bw_http_response *resp)
{
    char *s = NULL;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->status);
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
        snprintf(resp->content_type, sizeof resp->content_type, "%s", s);
    s = NULL;
    if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s)
        snprintf(resp->redirect_url, sizeof resp->redirect_url, "%s", s);
}

/* Failures of the way to the server rather than of the request: another attempt may get through. */
static bool connection_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:  /* the server closed the connection without a response */
    case CURLE_PARTIAL_FILE: /* ... or in the middle of the body */
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static bw_http_outcome classify(CURLcode rc, const transfer *t)
{
    if (rc == CURLE_OK)
        return BW_HTTP_DONE;
    if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return BW_HTTP_TOO_LARGE;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return BW_HTTP_TIMEOUT;
    if (!t->resp->error[0])
        snprintf(t->resp->error, sizeof t->resp->error, "%s", curl_easy_strerror(rc));
    t->resp->connection_error = connection_code(rc);
    return BW_HTTP_FAILED;
}

bw_http_outcome bw_http_perform(const bw_http_request *req, bool (*cancelled)(void *ctx), void *ctx,
                                bw_http_response *resp)
{
    transfer t = {.resp = resp};
    thread_handles *h = thread_get();
    if (!h) {
        snprintf(resp->error, sizeof resp->error, "out of memory");
        return BW_HTTP_FAILED;
    }
    curl_easy_reset(h->easy); /* keeps the connection, DNS and TLS session caches */
    if (!set_options(h->easy, req, &t) || curl_multi_add_handle(h->multi, h->easy) != CURLM_OK) {
        snprintf(resp->error, sizeof resp->error, "libcurl refused the request's options");
        return BW_HTTP_FAILED;
    }
    CURLcode rc;
    bool finished = drive(h->multi, h->easy, cancelled, ctx, &rc);
    if (finished)
        copy_info(h->easy, resp);
    /* Removing an unfinished transfer closes its connection; a finished one goes back to the cache. */
    curl_multi_remove_handle(h->multi, h->easy);
    curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, NULL);
    return finished ? classify(rc, &t) : BW_HTTP_CANCELLED;
}
