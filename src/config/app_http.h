/* The `transports.http` section turned into bw_http_options (part of the application builder, app.c). */
#ifndef BW_CONFIG_APP_HTTP_H
#define BW_CONFIG_APP_HTTP_H

#include <jansson.h>

#include "bulwark/http.h"
#include "config/build.h"

/* Certificates and keys larger than this are refused. */
#define BW_APP_TLS_MAX_PEM (1u << 20)

typedef struct bw_app_http {
    bw_http_options opts; /* points into the fields below */
    char host[256];
    char **allowed_hosts, **allowed_origins; /* NULL-terminated, or NULL when not configured */
    char *tls_cert, *tls_key;                /* PEM text, or NULL */
} bw_app_http;

/* Fills h from the validated `http` object (may be NULL: every default), reporting problems at their nodes:
 * a port above 65535, a host that is neither an IP address nor localhost, an unreadable or non-PEM certificate or
 * key. h must be zeroed before; release it with bw_app_http_clear whatever happened. */
void bw_app_http_build(bw_build *b, const json_t *http, bw_app_http *h);

/* Frees what h owns (the key's memory is wiped first). */
void bw_app_http_clear(bw_app_http *h);

#endif
