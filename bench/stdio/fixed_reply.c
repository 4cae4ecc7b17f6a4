/*
 * bench/stdio/fixed_reply.c — the stdio "ceiling" for the benchmark.
 *
 * Answers each input line that carries an "id" with a pre-baked JSON-RPC response in which only the id is
 * replaced: the first such line (initialize) gets a fixed initialize result, every later one the fixed result
 * of the echo tool for the benchmark's text. Lines without an id (notifications) get no answer. No JSON parsing,
 * no allocation per message, one read() and one write() per batch: what is left is the cost of the pipes and
 * the driver, i.e. the most any stdio server could reach in this harness.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char INIT_PRE[] = "{\"jsonrpc\":\"2.0\",\"id\":";
static const char INIT_SUF[] =
    ",\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},"
    "\"serverInfo\":{\"name\":\"fixed-reply\",\"version\":\"1\"}}}\n";
static const char ECHO_PRE[] = "{\"jsonrpc\":\"2.0\",\"id\":";
static const char ECHO_SUF[] =
    ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello world 0123456789\"}]}}\n";

static char in[1 << 16];
static char out[1 << 17];
static size_t olen;

static int flush_out(void) {
    size_t off = 0;
    while (off < olen) {
        ssize_t k = write(1, out + off, olen - off);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        off += (size_t)k;
    }
    olen = 0;
    return 0;
}

/* Finds the raw id token of a line ("id": 12 or "id":"x"). Returns its length or 0. */
static size_t find_id(const char *line, size_t len, const char **tok) {
    const char *p = memmem(line, len, "\"id\"", 4);
    if (!p) return 0;
    const char *end = line + len;
    p += 4;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p >= end || *p != ':') return 0;
    p++;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    const char *s = p;
    if (p < end && *p == '"') {
        for (p++; p < end && *p != '"'; p++)
            if (*p == '\\') p++;
        if (p >= end) return 0;
        p++;
    } else {
        while (p < end && *p != ',' && *p != '}' && *p != ' ') p++;
    }
    *tok = s;
    return (size_t)(p - s);
}

int main(void) {
    size_t have = 0;
    int initialized = 0;
    for (;;) {
        ssize_t k = read(0, in + have, sizeof in - have);
        if (k < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (k == 0) break;
        have += (size_t)k;
        char *p = in, *end = in + have, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
            const char *id;
            size_t il = find_id(p, (size_t)(nl - p), &id);
            if (il) {
                const char *pre = initialized ? ECHO_PRE : INIT_PRE;
                const char *suf = initialized ? ECHO_SUF : INIT_SUF;
                size_t pl = initialized ? sizeof ECHO_PRE - 1 : sizeof INIT_PRE - 1;
                size_t sl = initialized ? sizeof ECHO_SUF - 1 : sizeof INIT_SUF - 1;
                if (olen + pl + il + sl > sizeof out && flush_out() < 0) return 1;
                memcpy(out + olen, pre, pl);
                memcpy(out + olen + pl, id, il);
                memcpy(out + olen + pl + il, suf, sl);
                olen += pl + il + sl;
                initialized = 1;
            }
            p = nl + 1;
        }
        if (flush_out() < 0) return 1;
        have = (size_t)(end - p);
        if (have == sizeof in) return 1; /* a line longer than the buffer: not this benchmark's traffic */
        memmove(in, p, have);
    }
    return flush_out() < 0;
}
