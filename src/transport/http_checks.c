/* Header checks for the HTTP transports: DNS-rebinding protection (Host, Origin), Accept and Content-Type. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transport/http_internal.h"

static const char *const loopback_names[] = {"localhost", "127.0.0.1", "[::1]", NULL};

/* Copies the host part of "name[:port]" / "[v6]:port" into out (lower-cased). */
static bool host_part(const char *hostport, char *out, size_t n)
{
    size_t len;
    if (hostport[0] == '[') {
        const char *close = strchr(hostport, ']');
        if (!close)
            return false;
        len = (size_t)(close - hostport) + 1;
    } else {
        const char *colon = strchr(hostport, ':');
        len = colon ? (size_t)(colon - hostport) : strlen(hostport);
    }
    if (len == 0 || len >= n)
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)((hostport[i] >= 'A' && hostport[i] <= 'Z') ? hostport[i] + 32 : hostport[i]);
    out[len] = '\0';
    return true;
}

static bool in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcasecmp(name, list[i]) == 0)
            return true;
    return false;
}

bool http_host_allowed(const char *host, const char *const *allowed, bool loopback_default)
{
    if (!allowed && !loopback_default)
        return true; /* bound to a public address with no allowlist: any Host */
    char name[256];
    if (!host || !host_part(host, name, sizeof name))
        return false;
    return in_list(name, allowed ? allowed : loopback_names);
}

bool http_origin_allowed(const char *origin, const char *const *allowed, bool loopback_default)
{
    if (!origin)
        return true; /* not a browser: nothing to protect against here */
    if (allowed)
        return in_list(origin, allowed);
    if (!loopback_default)
        return false;
    const char *rest = NULL;
    if (strncasecmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncasecmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    char name[256];
    return rest && !strchr(rest, '/') && host_part(rest, name, sizeof name) && in_list(name, loopback_names);
}

/* The q parameter of one media range (1 when absent). */
static double quality(const char *params, const char *end)
{
    for (const char *p = params; p && p < end; p = memchr(p + 1, ';', (size_t)(end - p - 1))) {
        const char *q = p + 1;
        while (q < end && *q == ' ')
            q++;
        if (end - q > 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
            return strtod(q + 2, NULL);
        if (p + 1 >= end)
            break;
    }
    return 1.0;
}

/* true if the comma-separated media-range list names `type` (parameters and q-values ignored; q=0 refuses). */
bool http_accepts(const char *accept, const char *type)
{
    if (!accept)
        return false;
    size_t tlen = strlen(type);
    const char *slash = strchr(type, '/');
    for (const char *p = accept; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        while (stop > p && stop[-1] == ' ')
            stop--;
        size_t len = (size_t)(stop - p);
        bool match = (len == tlen && strncasecmp(p, type, len) == 0) || (len == 3 && strncmp(p, "*/*", 3) == 0) ||
                     (slash && len == (size_t)(slash - type) + 2 && strncasecmp(p, type, len - 1) == 0 &&
                      p[len - 1] == '*');
        bool refused = semi && quality(semi, end) <= 0.0;
        if (match && !refused)
            return true;
        p = end;
    }
    return false;
}

static enum MHD_Result add_len(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

size_t http_header_bytes(struct MHD_Connection *c)
{
    size_t total = 0;
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_len, &total);
    return total;
}

bool http_is_json_content_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

void http_format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "";
    out[0] = '\0';
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host))
            snprintf(out, outlen, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host))
            snprintf(out, outlen, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    }
}
