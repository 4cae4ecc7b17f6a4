/* "format" checkers for JSON Schema validation. Each takes the string's bytes (not NUL-terminated) and
 * answers valid/invalid without allocating. Unknown format names have no checker and are ignored, as
 * the specification allows. */
#include "protocol/schema_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool fixed_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* ---- RFC 3339 dates and times ---- */

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static bool fmt_date(const char *s, size_t len)
{
    int y, m, d;
    return len == 10 && fixed_digits(s, 4, &y) && s[4] == '-' && fixed_digits(s + 5, 2, &m) && s[7] == '-' &&
           fixed_digits(s + 8, 2, &d) && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* time-offset: "Z" or "+hh:mm" / "-hh:mm"; *minutes east of UTC. */
static bool parse_offset(const char *s, size_t len, int *minutes)
{
    int oh, om;
    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *minutes = 0;
        return true;
    }
    if (len != 6 || (s[0] != '+' && s[0] != '-') || !fixed_digits(s + 1, 2, &oh) || s[3] != ':' ||
        !fixed_digits(s + 4, 2, &om) || oh > 23 || om > 59)
        return false;
    *minutes = (s[0] == '-' ? -1 : 1) * (oh * 60 + om);
    return true;
}

/* full-time: hh:mm:ss[.frac]offset. A leap second (ss = 60) is only real at 23:59:60 UTC. */
static bool fmt_time(const char *s, size_t len)
{
    int h, mi, sec, off;
    if (len < 9 || !fixed_digits(s, 2, &h) || s[2] != ':' || !fixed_digits(s + 3, 2, &mi) || s[5] != ':' ||
        !fixed_digits(s + 6, 2, &sec))
        return false;
    size_t i = 8;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i >= len || !parse_offset(s + i, len - i, &off) || h > 23 || mi > 59 || sec > 60)
        return false;
    if (sec < 60)
        return true;
    int utc = ((h * 60 + mi - off) % 1440 + 1440) % 1440;
    return utc == 23 * 60 + 59;
}

static bool fmt_date_time(const char *s, size_t len)
{
    return len > 11 && fmt_date(s, 10) && (s[10] == 'T' || s[10] == 't') && fmt_time(s + 11, len - 11);
}

/* ---- internet names and addresses ---- */

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 1..63 bytes each. */
static bool fmt_hostname(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_alpha(ch) && !is_digit(ch) && !(ch == '-' && label > 0))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && s[len - 1] != '-';
}

/* Dotted quad, each part 0..255 without leading zeros (which some parsers read as octal). */
static bool fmt_ipv4(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && (i >= len || s[i++] != '.'))
            return false;
        size_t start = i;
        int v = 0;
        while (i < len && is_digit(s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == start || (s[start] == '0' && i - start > 1) || v > 255)
            return false;
    }
    return i == len;
}

static bool fmt_ipv6(const char *s, size_t len)
{
    char buf[INET6_ADDRSTRLEN];
    struct in6_addr addr;
    if (len == 0 || len >= sizeof buf || memchr(s, '\0', len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, &addr) == 1;
}

static bool atext(char ch)
{
    return is_alpha(ch) || is_digit(ch) || (ch && strchr("!#$%&'*+/=?^_`{|}~-", ch));
}

/* Pragmatic address: dot-atom local part "@" a host name (dotted or not) or an [address literal].
 * Quoted local parts and non-ASCII (idn-email) are rejected. */
static bool fmt_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || at == s || (size_t)(at - s) > 64)
        return false;
    size_t local = (size_t)(at - s);
    for (size_t i = 0; i < local; i++) {
        bool dot_ok = s[i] == '.' && i > 0 && i + 1 < local && s[i - 1] != '.';
        if (!atext(s[i]) && !dot_ok)
            return false;
    }
    const char *dom = at + 1;
    size_t dlen = len - local - 1;
    if (dlen > 2 && dom[0] == '[' && dom[dlen - 1] == ']') {
        if (dlen > 7 && strncmp(dom + 1, "IPv6:", 5) == 0)
            return fmt_ipv6(dom + 6, dlen - 7);
        return fmt_ipv4(dom + 1, dlen - 2);
    }
    return fmt_hostname(dom, dlen);
}

/* ---- URIs (RFC 3986, absolute: scheme ":" ...) ---- */

static bool uri_char(char ch)
{
    return is_alpha(ch) || is_digit(ch) || (ch && strchr("-._~:/?#[]@!$&'()*+,;=", ch));
}

/* authority = [ userinfo "@" ] host [ ":" port ]; brackets only around an IP literal host. */
static bool authority_ok(const char *a, size_t n)
{
    size_t host = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] == '@')
            host = i + 1;
    if (memchr(a, '[', host) || memchr(a, ']', host))
        return false;
    size_t i = host;
    if (i < n && a[i] == '[') {
        const char *close = memchr(a + i, ']', n - i);
        if (!close)
            return false;
        i = (size_t)(close - a) + 1;
        if (i < n && a[i] != ':')
            return false;
    } else {
        while (i < n && a[i] != ':') {
            if (a[i] == '[' || a[i] == ']')
                return false;
            i++;
        }
    }
    for (i += i < n; i < n; i++) /* port */
        if (!is_digit(a[i]))
            return false;
    return true;
}

static bool fmt_uri(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || !is_alpha(s[0]))
        return false;
    while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= len || s[i] != ':')
        return false;
    size_t rest = ++i, auth_end = rest, hashes = 0;
    if (len - rest >= 2 && s[rest] == '/' && s[rest + 1] == '/') {
        auth_end = rest + 2;
        while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
            auth_end++;
        if (!authority_ok(s + rest + 2, auth_end - rest - 2))
            return false;
    }
    for (; i < len; i++) {
        if (s[i] == '%') {
            if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return false;
            i += 2;
        } else if (!uri_char(s[i]) || ((s[i] == '[' || s[i] == ']') && i >= auth_end)) {
            return false;
        }
        hashes += s[i] == '#';
    }
    return hashes <= 1;
}

static bool fmt_uuid(const char *s, size_t len)
{
    if (len != 36)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool hyphen_at = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphen_at ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

bw_sc_format_fn bw_schema_format_lookup(const char *name)
{
    static const struct {
        const char *name;
        bw_sc_format_fn fn;
    } formats[] = {
        {"date-time", fmt_date_time}, {"date", fmt_date}, {"time", fmt_time},   {"email", fmt_email},
        {"hostname", fmt_hostname},   {"uri", fmt_uri},   {"uuid", fmt_uuid},   {"ipv4", fmt_ipv4},
        {"ipv6", fmt_ipv6},
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(name, formats[i].name) == 0)
            return formats[i].fn;
    return NULL;
}
