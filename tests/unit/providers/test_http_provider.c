/* Unit tests for the http provider (src/providers/http_*.c) against a real HTTP server on 127.0.0.1 run by this
 * program: escaping of hostile arguments as seen on the wire, header and body templates, status and size mapping,
 * timeouts, JSON pointer extraction, connection reuse, redirects, and configuration errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../support/harness.h"
#include "../support/provider_tool.h"
#include "failure_probe.h"
#include "config/build.h"
#include "config/diag.h"
#include "providers/http_provider.h"

/* ------------------------------------------------------------------ a small HTTP/1.1 server */

#define MAX_CONNS 32
#define REQ_MAX 65536

typedef struct test_server {
    int listen_fd, port;
    int stop[2]; /* a byte written here wakes and ends every thread */
    pthread_t acceptor;
    pthread_t conns[MAX_CONNS];
    int conn_fds[MAX_CONNS];
    int n_conns;
    pthread_mutex_t mu;
    int requests;
    char last[REQ_MAX]; /* the last request as received: head and body */
} test_server;

typedef struct conn_arg {
    test_server *s;
    int fd;
} conn_arg;

/* Waits until fd is readable or the server stops; false on stop. */
static bool wait_readable(test_server *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = s->stop[0], .events = POLLIN}};
    int n = poll(p, 2, timeout_ms);
    return n > 0 && !p[1].revents && p[0].revents;
}

/* Reads more bytes into buf (kept NUL-terminated); false at EOF, on error or on stop. */
static bool read_more(test_server *s, int fd, char *buf, size_t cap, size_t *len)
{
    if (*len >= cap - 1 || !wait_readable(s, fd, -1))
        return false;
    ssize_t n = read(fd, buf + *len, cap - 1 - *len);
    if (n <= 0)
        return false;
    *len += (size_t)n;
    buf[*len] = '\0';
    return true;
}

/* Reads one request (head + Content-Length body) into buf; its length, or -1 at EOF/stop. Keep-alive clients send
 * one request at a time, so nothing past the body is read. */
static ssize_t read_request(test_server *s, int fd, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    char *end;
    while (!(end = strstr(buf, "\r\n\r\n")))
        if (!read_more(s, fd, buf, cap, &len))
            return -1;
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t body = cl && cl < end ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
    while (len < (size_t)(end - buf) + 4 + body)
        if (!read_more(s, fd, buf, cap, &len))
            return -1;
    return (ssize_t)len;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void respond(int fd, const char *status, const char *headers, const char *body, size_t body_len)
{
    char head[1024];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n", status, headers, body_len);
    write_all(fd, head, (size_t)n);
    write_all(fd, body, body_len);
}

static const char JSON_DOC[] = "{\"user\":{\"id\":7,\"name\":\"Ann\"},\"items\":[1,2,3],\"a/b\":{\"~k\":true}}";

/* Answers by path (the request line's target up to '?'). */
static void route(test_server *s, int fd, const char *req)
{
    char path[256] = "";
    sscanf(req, "%*s %255[^? ]", path);
    if (!strcmp(path, "/json")) {
        respond(fd, "200 OK", "Content-Type: application/json\r\n", JSON_DOC, strlen(JSON_DOC));
    } else if (!strcmp(path, "/number")) {
        respond(fd, "200 OK", "Content-Type: application/problem+json; charset=utf-8\r\n", "42", 2);
    } else if (!strcmp(path, "/missing")) {
        respond(fd, "404 Not Found", "Content-Type: text/plain\r\n", "no such thing", 13);
    } else if (!strcmp(path, "/error")) {
        char body[2000];
        memset(body, 'e', sizeof body);
        respond(fd, "500 Internal Server Error", "", body, sizeof body);
    } else if (!strcmp(path, "/big")) {
        static char body[5000];
        memset(body, 'x', sizeof body);
        respond(fd, "200 OK", "Content-Type: text/plain\r\n", body, sizeof body);
    } else if (!strcmp(path, "/bigchunked")) {
        const char *head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
        write_all(fd, head, strlen(head));
        char chunk[600];
        memset(chunk, 'y', 500);
        memcpy(chunk + 500, "\r\n", 2);
        for (int i = 0; i < 10; i++) {
            write_all(fd, "1f4\r\n", 5);
            write_all(fd, chunk, 502);
        }
        write_all(fd, "0\r\n\r\n", 5);
    } else if (!strcmp(path, "/slow")) {
        struct pollfd stop = {.fd = s->stop[0], .events = POLLIN};
        poll(&stop, 1, 5000); /* ends early only when the server stops */
        respond(fd, "200 OK", "", "late", 4);
    } else if (!strcmp(path, "/redirect")) {
        respond(fd, "302 Found", "Location: /json\r\n", "", 0);
    } else if (!strcmp(path, "/latin1")) {
        respond(fd, "200 OK", "Content-Type: text/plain; charset=iso-8859-1\r\n", "caf\xe9", 4);
    } else if (!strcmp(path, "/binary")) {
        respond(fd, "200 OK", "Content-Type: application/octet-stream\r\n", "\x00\x01\xff", 3);
    } else if (!strcmp(path, "/busy")) {
        respond(fd, "503 Service Unavailable", "Content-Type: text/plain\r\n", "later", 5);
    } else if (!strcmp(path, "/ratelimit")) {
        respond(fd, "429 Too Many Requests", "Content-Type: text/plain\r\n", "slow down", 9);
    } else if (!strcmp(path, "/hangup")) {
        shutdown(fd, SHUT_RDWR); /* the connection breaks without a response */
    } else if (!strcmp(path, "/empty")) {
        respond(fd, "204 No Content", "", "", 0);
    } else {
        respond(fd, "200 OK", "Content-Type: text/plain\r\n", "ok", 2);
    }
}

static void *conn_main(void *p)
{
    conn_arg a = *(conn_arg *)p;
    free(p);
    char *buf = malloc(REQ_MAX);
    for (ssize_t n; buf && (n = read_request(a.s, a.fd, buf, REQ_MAX)) > 0;) {
        pthread_mutex_lock(&a.s->mu);
        a.s->requests++;
        memcpy(a.s->last, buf, (size_t)n + 1);
        pthread_mutex_unlock(&a.s->mu);
        route(a.s, a.fd, buf);
    }
    free(buf);
    return NULL;
}

static void *accept_main(void *p)
{
    test_server *s = p;
    while (wait_readable(s, s->listen_fd, -1)) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        conn_arg *a = malloc(sizeof *a);
        pthread_mutex_lock(&s->mu);
        if (!a || s->n_conns == MAX_CONNS) {
            pthread_mutex_unlock(&s->mu);
            free(a);
            close(fd);
            continue;
        }
        *a = (conn_arg){s, fd};
        s->conn_fds[s->n_conns] = fd;
        pthread_create(&s->conns[s->n_conns++], NULL, conn_main, a);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static test_server *server_start(void)
{
    test_server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    pthread_mutex_init(&s->mu, NULL);
    assert_int_equal(pipe(s->stop), 0);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(s->listen_fd, 16), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&s->acceptor, NULL, accept_main, s), 0);
    return s;
}

static void server_stop(test_server *s)
{
    assert_int_equal(write(s->stop[1], "x", 1), 1);
    pthread_join(s->acceptor, NULL);
    for (int i = 0; i < s->n_conns; i++) {
        pthread_join(s->conns[i], NULL);
        close(s->conn_fds[i]);
    }
    close(s->listen_fd);
    close(s->stop[0]);
    close(s->stop[1]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int server_requests(test_server *s, char *last, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    int n = s->requests;
    if (last)
        snprintf(last, cap, "%s", s->last);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int server_connections(test_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_conns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ------------------------------------------------------------------ bulwark side */

typedef struct fixture {
    test_server *http;
    bw_server *srv;
    bw_diag *diag;
    bw_build *b;
    harness *h;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->http = server_start();
    f->srv = bw_server_new(&(bw_server_info){.name = "t", .version = "1"});
    /* One worker: consecutive calls run on the same thread, which is where connections are reused. */
    bw_limits lim = {.workers = 1, .request_timeout_ms = 10000};
    assert_int_equal(bw_server_set_limits(f->srv, &lim), BW_OK);
    f->diag = bw_diag_new();
    f->b = bw_build_new(f->srv, f->diag, BW_BUILD_CHECK, "test.yaml", NULL, NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    harness_free(f->h);
    bw_server_free(f->srv);
    bw_build_free(f->b);
    bw_diag_free(f->diag);
    server_stop(f->http);
    free(f);
    probe_reset();
    return 0;
}

/* Builds tool `name` from a JSON tool entry with "%PORT%" replaced by the test server's port (under a probe:
 * probe_failure(name), probe_dependency(name)). */
static bw_status build_tool(fixture *f, const char *entry_fmt)
{
    char port[16];
    snprintf(port, sizeof port, "%d", f->http->port);
    return probe_build_tool(f->b, f->srv, bw_http_tool_build, "http", entry_fmt, "%PORT%", port);
}

static void start(fixture *f)
{
    assert_int_equal(bw_server_start_pool(f->srv), BW_OK);
    f->h = harness_new(f->srv);
}

/* Calls the tool; returns the result object (caller frees). */
static json_t *call(fixture *f, const char *name, const char *args)
{
    json_t *resp = harness_call_tool(f->h, name, support_parse(args));
    assert_non_null(resp);
    json_t *result = json_incref(json_object_get(resp, "result"));
    if (!result)
        fail_msg("no result: %s", json_dumps(resp, JSON_COMPACT));
    json_decref(resp);
    return result;
}

static void assert_json_eq(const json_t *v, const char *want)
{
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!got || strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got ? got : "(null)", want);
    free(got);
}

static const char *text_of(const json_t *result)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
}

static bool is_error(const json_t *result)
{
    return json_is_true(json_object_get(result, "isError"));
}

static void assert_request_line(fixture *f, const char *want)
{
    char last[REQ_MAX];
    server_requests(f->http, last, sizeof last);
    size_t n = strcspn(last, "\r");
    if (strlen(want) != n || strncmp(last, want, n) != 0)
        fail_msg("request line\n got  %.*s\n want %s", (int)n, last, want);
}

/* ------------------------------------------------------------------ tests */

#define ID_Q_SCHEMA "\"input_schema\":{\"type\":\"object\",\"properties\":{\"id\":{},\"q\":{},\"opt\":{}}}"

static void hostile_values_are_escaped_in_path_and_query(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"get\"," ID_Q_SCHEMA ",\"http\":{\"url\":\"http://127.0.0.1:%PORT%"
                                   "/items/{id}\",\"query\":{\"q\":\"{q}\",\"opt\":\"{opt}\",\"fixed\":\"a&b\"}}}"),
                     BW_OK);
    start(f);
    json_t *r = call(f, "get", "{\"id\":\"../x?y=1&z#\",\"q\":\"a b/\u00fc\"}");
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "ok");
    json_decref(r);
    /* jansson keeps object keys in insertion order, so the parameters come as configured; opt is left out. */
    assert_request_line(f, "GET /items/..%2Fx%3Fy%3D1%26z%23?q=a%20b%2F%C3%BC&fixed=a%26b HTTP/1.1");

    r = call(f, "get", "{\"id\":\"..\",\"opt\":true}");
    json_decref(r);
    assert_request_line(f, "GET /items/%2E%2E?opt=true&fixed=a%26b HTTP/1.1");

    r = call(f, "get", "{\"id\":42.5,\"q\":\"\"}");
    json_decref(r);
    assert_request_line(f, "GET /items/42.5?q=&fixed=a%26b HTTP/1.1");

    int before = server_requests(f->http, NULL, 0);
    r = call(f, "get", "{\"q\":\"x\"}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "missing argument 'id' (needed for the URL)");
    json_decref(r);
    r = call(f, "get", "{\"id\":[1,2]}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "argument 'id' must be a string, number or boolean to be used in the URL");
    json_decref(r);
    assert_int_equal(server_requests(f->http, NULL, 0), before);
}

static void headers_are_rendered_and_injection_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"h\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"token\":{},\"opt\":{}}},"
                                   "\"http\":{\"url\":\"http://127.0.0.1:%PORT%/echo\",\"headers\":{\"X-Token\":"
                                   "\"Bearer {{token}}\",\"X-Opt\":\"{{opt}}\",\"X-Fixed\":\"yes\"}}}"),
                     BW_OK);
    start(f);
    json_t *r = call(f, "h", "{\"token\":\"abc\"}");
    assert_false(is_error(r));
    json_decref(r);
    char last[REQ_MAX];
    server_requests(f->http, last, sizeof last);
    assert_non_null(strstr(last, "\r\nX-Token: Bearer abc\r\n"));
    assert_non_null(strstr(last, "\r\nX-Fixed: yes\r\n"));
    assert_non_null(strstr(last, "\r\nUser-Agent: bulwark/" BW_VERSION "\r\n"));
    assert_null(strstr(last, "X-Opt")); /* names a missing argument: left out */

    int before = server_requests(f->http, NULL, 0);
    r = call(f, "h", "{\"token\":\"abc\\r\\nX-Evil: 1\"}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "header X-Token: the value contains a line break or another control character");
    assert_null(strstr(text_of(r), "abc")); /* header values (secrets) never appear in errors */
    json_decref(r);
    assert_int_equal(server_requests(f->http, NULL, 0), before);
}

static void body_substitution_keeps_types(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        build_tool(f, "{\"name\":\"post\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"id\":{},\"tags\":{},\"opt\":{}}},"
                      "\"http\":{\"method\":\"POST\",\"url\":\"http://127.0.0.1:%PORT%/things\",\"body\":{\"id\":"
                      "\"{{id}}\",\"tags\":\"{{tags}}\",\"note\":\"n={{id}} {{opt}}\",\"opt\":\"{{opt}}\",\"list\":"
                      "[\"{{opt}}\",\"x\",1,null],\"nested\":{\"t\":\"{{tags}}\"}}}}"),
        BW_OK);
    start(f);
    json_t *r = call(f, "post", "{\"id\":7,\"tags\":[\"a\",\"b\\\"c\"]}");
    assert_false(is_error(r));
    json_decref(r);
    char last[REQ_MAX];
    server_requests(f->http, last, sizeof last);
    assert_true(!strncmp(last, "POST /things HTTP/1.1\r\n", 23));
    assert_non_null(strstr(last, "\r\nContent-Type: application/json\r\n"));
    const char *body = strstr(last, "\r\n\r\n") + 4;
    assert_string_equal(body, "{\"id\":7,\"tags\":[\"a\",\"b\\\"c\"],\"note\":\"n=7 \",\"list\":[\"x\",1,null],"
                              "\"nested\":{\"t\":[\"a\",\"b\\\"c\"]}}");
}

static void error_status_maps_to_is_error_with_excerpt(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"m\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"p\":{}}},\"http\":{\"url\":"
                                   "\"http://127.0.0.1:%PORT%/{p}\"}}"),
                     BW_OK);
    start(f);
    json_t *r = call(f, "m", "{\"p\":\"missing\"}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "HTTP 404 Not Found: no such thing");
    json_decref(r);

    r = call(f, "m", "{\"p\":\"error\"}");
    assert_true(is_error(r));
    char want[700] = "HTTP 500 Internal Server Error: ";
    size_t n = strlen(want);
    memset(want + n, 'e', 512);
    strcpy(want + n + 512, "\xE2\x80\xA6");
    assert_string_equal(text_of(r), want);
    json_decref(r);

    r = call(f, "m", "{\"p\":\"empty\"}");
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "HTTP 204 No Content");
    json_decref(r);
}

static void oversize_response_is_aborted(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"big\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"p\":{}}},\"http\":{\"url\":"
                                   "\"http://127.0.0.1:%PORT%/{p}\",\"max_response_bytes\":1000}}"),
                     BW_OK);
    start(f);
    const char *paths[] = {"{\"p\":\"big\"}", "{\"p\":\"bigchunked\"}"}; /* with and without Content-Length */
    for (size_t i = 0; i < 2; i++) {
        json_t *r = call(f, "big", paths[i]);
        assert_true(is_error(r));
        assert_string_equal(text_of(r), "response larger than 1000 bytes (max_response_bytes)");
        json_decref(r);
    }
}

static void slow_server_times_out_within_the_bound(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"slow\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/slow\","
                                   "\"timeout_ms\":300}}"),
                     BW_OK);
    start(f);
    int64_t t0 = bw_now_ms();
    json_t *r = call(f, "slow", "{}");
    int64_t took = bw_now_ms() - t0;
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "HTTP request timed out after 300 ms");
    assert_true(took >= 290 && took < 2000);
    json_decref(r);
}

static void extract_selects_with_json_pointer(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"user\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/json\","
                                   "\"extract\":\"/user\"}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"item\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/json\","
                                   "\"extract\":\"/items/1\"}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"esc\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/json\","
                                   "\"extract\":\"/a~1b/~0k\"}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"nope\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/json\","
                                   "\"extract\":\"/items/3\"}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"whole\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/number\"}}"),
                     BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"text\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/text\","
                                   "\"extract\":\"/a\"}}"),
                     BW_OK);
    start(f);
    json_t *r = call(f, "user", "{}");
    assert_json_eq(r, "{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"id\\\":7,\\\"name\\\":\\\"Ann\\\"}\"}],"
                      "\"structuredContent\":{\"id\":7,\"name\":\"Ann\"}}");
    json_decref(r);
    r = call(f, "item", "{}");
    assert_json_eq(json_object_get(r, "structuredContent"), "{\"result\":2}");
    assert_string_equal(text_of(r), "2");
    json_decref(r);
    r = call(f, "esc", "{}");
    assert_json_eq(json_object_get(r, "structuredContent"), "{\"result\":true}");
    json_decref(r);
    r = call(f, "nope", "{}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "extract: the response has no value at JSON pointer \"/items/3\"");
    json_decref(r);
    r = call(f, "whole", "{}"); /* application/problem+json counts as JSON */
    assert_json_eq(json_object_get(r, "structuredContent"), "{\"result\":42}");
    json_decref(r);
    r = call(f, "text", "{}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "extract needs a JSON response, got HTTP 200 OK with Content-Type: text/plain");
    json_decref(r);
}

static void second_call_reuses_the_connection(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"t\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/text\"}}"), BW_OK);
    start(f);
    for (int i = 0; i < 3; i++) {
        json_t *r = call(f, "t", "{}");
        assert_string_equal(text_of(r), "ok");
        json_decref(r);
    }
    assert_int_equal(server_requests(f->http, NULL, 0), 3);
    assert_int_equal(server_connections(f->http), 1);
}

static void redirect_is_not_followed_by_default(void **state)
{
    fixture *f = *state;
    assert_int_equal(build_tool(f, "{\"name\":\"r\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/redirect\"}}"), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"rf\",\"http\":{\"url\":\"http://127.0.0.1:%PORT%/redirect\","
                                   "\"follow_redirects\":true}}"),
                     BW_OK);
    start(f);
    json_t *r = call(f, "r", "{}");
    assert_true(is_error(r));
    char want[200];
    snprintf(want, sizeof want,
             "HTTP 302 Found: redirect to http://127.0.0.1:%d/json not followed (follow_redirects is false)",
             f->http->port);
    assert_string_equal(text_of(r), want);
    json_decref(r);
    assert_int_equal(server_requests(f->http, NULL, 0), 1);
    r = call(f, "rf", "{}");
    assert_false(is_error(r));
    assert_json_eq(json_object_get(json_object_get(r, "structuredContent"), "user"), "{\"id\":7,\"name\":\"Ann\"}");
    json_decref(r);
    assert_int_equal(server_requests(f->http, NULL, 0), 3);
}

static void text_binary_and_refused_connections(void **state)
{
    fixture *f = *state;
    /* A port nobody listens on: bind, read the port, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    char entry[300];
    snprintf(entry, sizeof entry, "{\"name\":\"down\",\"http\":{\"url\":\"http://127.0.0.1:%d/\"}}",
             ntohs(addr.sin_port));
    assert_int_equal(build_tool(f, entry), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"m\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"p\":{}}},\"http\":{\"url\":"
                                   "\"http://127.0.0.1:%PORT%/{p}\"}}"),
                     BW_OK);
    start(f);
    json_t *r = call(f, "down", "{}");
    assert_true(is_error(r));
    assert_non_null(strstr(text_of(r), "HTTP request failed: "));
    assert_non_null(strstr(text_of(r), "onnect"));
    json_decref(r);
    r = call(f, "m", "{\"p\":\"latin1\"}");
    assert_false(is_error(r));
    assert_string_equal(text_of(r), "caf\xEF\xBF\xBD");
    json_decref(r);
    r = call(f, "m", "{\"p\":\"binary\"}");
    assert_true(is_error(r));
    assert_string_equal(text_of(r), "the response is binary (Content-Type: application/octet-stream, 3 bytes); "
                                    "only text and JSON responses are returned");
    json_decref(r);
}

/* A loopback port nobody listens on: bind, read the port, close. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

/* What the provider tells the reliability policy: 5xx and 429 are "unavailable", other 4xx permanent, no
 * connection or a broken one "connection", a timeout a timeout; success reports nothing. */
static void failures_are_classified(void **state)
{
    fixture *f = *state;
    char entry[300];
    snprintf(entry, sizeof entry, "{\"name\":\"down\",\"http\":{\"url\":\"http://127.0.0.1:%d/\"}}", closed_port());
    assert_int_equal(build_tool(f, entry), BW_OK);
    assert_int_equal(build_tool(f, "{\"name\":\"m\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"p\":{}}},"
                                   "\"http\":{\"url\":\"http://127.0.0.1:%PORT%/{p}\",\"timeout_ms\":300}}"),
                     BW_OK);
    start(f);
    static const struct {
        const char *path;
        int failure;
    } cases[] = {{"missing", BW_FAILURE_PERMANENT},    {"error", BW_FAILURE_UNAVAILABLE},
                 {"busy", BW_FAILURE_UNAVAILABLE},     {"ratelimit", BW_FAILURE_UNAVAILABLE},
                 {"hangup", BW_FAILURE_CONNECTION},    {"slow", BW_FAILURE_TIMEOUT},
                 {"json", BW_FAILURE_NONE}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[64];
        snprintf(args, sizeof args, "{\"p\":\"%s\"}", cases[i].path);
        json_t *r = call(f, "m", args);
        assert_int_equal(is_error(r), cases[i].failure != BW_FAILURE_NONE);
        if (probe_failure("m") != cases[i].failure)
            fail_msg("/%s: failure %d, want %d", cases[i].path, probe_failure("m"), cases[i].failure);
        json_decref(r);
    }
    json_t *r = call(f, "down", "{}");
    assert_true(is_error(r));
    assert_int_equal(probe_failure("down"), BW_FAILURE_CONNECTION);
    json_decref(r);
}

/* The dependency is the url's literal origin: lowercase, the port always written, user info left out. */
static void the_dependency_is_the_origin(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *url, *origin;
    } cases[] = {
        {"http://127.0.0.1:%PORT%/{p}", NULL}, /* NULL: http://127.0.0.1:<port> */
        {"HTTPS://API.Example.COM/v1/{p}?x=1", "https://api.example.com:443"},
        {"http://user:secret@example.com/{p}", "http://example.com:80"},
        {"http://[::1]:8081", "http://[::1]:8081"},
        {"https://example.com:8443?q={p}", "https://example.com:8443"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char entry[300], name[8], want[64];
        snprintf(name, sizeof name, "t%zu", i);
        snprintf(entry, sizeof entry, "{\"name\":\"%s\",\"input_schema\":{\"type\":\"object\",\"properties\":"
                                      "{\"p\":{}}},\"http\":{\"url\":\"%s\"}}", name, cases[i].url);
        assert_int_equal(build_tool(f, entry), BW_OK);
        snprintf(want, sizeof want, "http://127.0.0.1:%d", f->http->port);
        assert_string_equal(probe_dependency(name), cases[i].origin ? cases[i].origin : want);
    }
}

/* Builds one bad entry and checks the single diagnostic it produces. */
static void expect_config_error(fixture *f, const char *entry, const char *want)
{
    size_t before = bw_diag_count(f->diag);
    assert_int_not_equal(build_tool(f, entry), BW_OK);
    assert_int_equal(bw_diag_count(f->diag), before + 1);
    const char *got = bw_diag_text(f->diag, before);
    if (!strstr(got, want))
        fail_msg("diagnostic\n got  %s\n want ...%s", got, want);
}

static void configuration_errors_are_reported(void **state)
{
    fixture *f = *state;
    expect_config_error(f, "{\"name\":\"a\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"h\":{}}},\"http\":{\"url\":"
                           "\"http://{h}/x\"}}",
                        "url must name a literal host (arguments may fill the path and the query only)");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"ftp://example.com/\"}}",
                        "url must start with http:// or https://");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/{id}\"}}",
                        "{id} names no property of the tool's input_schema");
    expect_config_error(f, "{\"name\":\"a\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"id\":{}}},\"http\":{\"url\":"
                           "\"http://example.com/{+id}\"}}",
                        "URL template operator '{+' is not supported (only level 1: {name})");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/x}\"}}",
                        "unbalanced '}' in URL template");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/#frag\"}}",
                        "url must not have a fragment");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"query\":{\"q\":\"{nope}\"}}}",
                        "{nope} names no property of the tool's input_schema");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"headers\":{\"X-A\":"
                           "\"{{nope}}\"}}}",
                        "{{nope}} names no property of the tool's input_schema");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"headers\":{\"Bad Name\":"
                           "\"x\"}}}",
                        "header name 'Bad Name' is not a valid HTTP token");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"headers\":{\"X-A\":"
                           "\"a\\r\\nB: c\"}}}",
                        "header X-A: the value must not contain a line break");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"body\":{\"a\":1}}}",
                        "a body is sent with POST, PUT, PATCH or DELETE only (method is GET)");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"method\":\"POST\",\"url\":\"http://example.com/\",\"body\":"
                           "{\"a\":[\"{{x}}\"]}}}",
                        "{{x}} names no property of the tool's input_schema");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"extract\":\"/a/~2\"}}",
                        "extract: '~' in a JSON pointer must be followed by 0 or 1");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://example.com/\",\"ca_file\":"
                           "\"/nonexistent/ca.pem\"}}",
                        "ca_file '/nonexistent/ca.pem' cannot be read (/nonexistent/ca.pem)");
    expect_config_error(f, "{\"name\":\"a\",\"http\":{\"url\":\"http://exa mple.com/\"}}", "url does not parse: ");
    assert_true(bw_build_failed(f->b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hostile_values_are_escaped_in_path_and_query, setup, teardown),
        cmocka_unit_test_setup_teardown(headers_are_rendered_and_injection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(body_substitution_keeps_types, setup, teardown),
        cmocka_unit_test_setup_teardown(error_status_maps_to_is_error_with_excerpt, setup, teardown),
        cmocka_unit_test_setup_teardown(oversize_response_is_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(slow_server_times_out_within_the_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(extract_selects_with_json_pointer, setup, teardown),
        cmocka_unit_test_setup_teardown(second_call_reuses_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(redirect_is_not_followed_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(text_binary_and_refused_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_are_classified, setup, teardown),
        cmocka_unit_test_setup_teardown(the_dependency_is_the_origin, setup, teardown),
        cmocka_unit_test_setup_teardown(configuration_errors_are_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
