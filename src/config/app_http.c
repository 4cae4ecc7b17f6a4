/* transports.http -> bw_http_options, including the TLS certificate and key read from their files. */
#include "config/app_http.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config/file.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"

static char **string_array(bw_build *b, const json_t *arr)
{
    if (!arr)
        return NULL;
    size_t n = json_array_size(arr);
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(json_string_value(json_array_get(arr, i))))) {
            bw_build_error(b, arr, "out of memory");
            break;
        }
    if (!out)
        bw_build_error(b, arr, "out of memory");
    return out;
}

static void free_array(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The transport binds IP literals and "localhost" only (no name resolution at bind time). */
static bool bindable(const char *host)
{
    char a[256];
    size_t n = strlen(host);
    if (host[0] == '[' && n > 2 && host[n - 1] == ']' && n - 2 < sizeof a) {
        memcpy(a, host + 1, n - 2);
        a[n - 2] = '\0';
        unsigned char bin[16];
        return inet_pton(AF_INET6, a, bin) == 1;
    }
    unsigned char bin[16];
    return !strcmp(host, "localhost") || inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1;
}

static void listen_address(bw_build *b, const json_t *http, bw_app_http *h)
{
    const json_t *node = json_object_get(http, "listen");
    const char *spec = node ? json_string_value(node) : DEFAULT_LISTEN;
    if (bw_http_parse_listen(spec, h->host, sizeof h->host, &h->opts.port) != BW_OK) {
        bw_build_error(b, node, "transports.http.listen: '%s' is not HOST:PORT with a port from 0 to 65535", spec);
        return;
    }
    if (!bindable(h->host))
        bw_build_error(b, node, "transports.http.listen: '%s' is not an IP address or localhost (host names are "
                                "not resolved)", h->host);
    h->opts.host = h->host;
}

/* Reads a PEM file named by `node`; what is wrong is reported without the contents. */
static char *read_pem(bw_build *b, const json_t *node, const char *what)
{
    const char *path = bw_build_path(b, json_string_value(node));
    if (!path) {
        bw_build_error(b, node, "out of memory");
        return NULL;
    }
    char why[128];
    char *pem = bw_read_file(path, BW_APP_TLS_MAX_PEM, NULL, why, sizeof why);
    if (!pem) {
        bw_build_error(b, node, "cannot read the TLS %s %s: %s", what, path, why);
        return NULL;
    }
    if (!strstr(pem, "-----BEGIN ")) {
        bw_build_error(b, node, "the TLS %s %s is not in PEM format (expected a '-----BEGIN ...' line)", what,
                       path);
        explicit_bzero(pem, strlen(pem));
        free(pem);
        return NULL;
    }
    return pem;
}

static void tls(bw_build *b, const json_t *t, bw_app_http *h)
{
    if (!t)
        return;
    h->tls_cert = read_pem(b, json_object_get(t, "cert"), "certificate");
    h->tls_key = read_pem(b, json_object_get(t, "key"), "key");
    h->opts.tls_cert_pem = h->tls_cert;
    h->opts.tls_key_pem = h->tls_key;
}

static int int_or(const json_t *obj, const char *key, int dflt)
{
    const json_t *v = json_object_get(obj, key);
    return v ? (int)json_integer_value(v) : dflt;
}

void bw_app_http_build(bw_build *b, const json_t *http, bw_app_http *h)
{
    listen_address(b, http, h);
    h->opts.stateless = json_is_true(json_object_get(http, "stateless"));
    h->allowed_hosts = string_array(b, json_object_get(http, "allowed_hosts"));
    h->allowed_origins = string_array(b, json_object_get(http, "allowed_origins"));
    h->opts.allowed_hosts = (const char *const *)h->allowed_hosts;
    h->opts.allowed_origins = (const char *const *)h->allowed_origins;
    /* Absent keys stay 0: bw_serve_http fills in the same defaults the schema documents. */
    h->opts.max_sessions = (size_t)int_or(http, "max_sessions", 0);
    h->opts.session_idle_ms = int_or(http, "session_idle_ms", 0);
    h->opts.connection_timeout_s = int_or(http, "connection_timeout_s", 0);
    h->opts.max_connections = (unsigned)int_or(http, "max_connections", 0);
    h->opts.keepalive_ms = int_or(http, "keepalive_ms", 0);
    h->opts.threads = int_or(http, "threads", 0);
    tls(b, json_object_get(http, "tls"), h);
}

void bw_app_http_clear(bw_app_http *h)
{
    free_array(h->allowed_hosts);
    free_array(h->allowed_origins);
    free(h->tls_cert);
    if (h->tls_key) {
        explicit_bzero(h->tls_key, strlen(h->tls_key));
        free(h->tls_key);
    }
    *h = (bw_app_http){0};
}
