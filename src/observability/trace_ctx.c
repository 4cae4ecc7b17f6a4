/* W3C traceparent / tracestate, and random trace and span ids. */
#include "observability/trace_ctx.h"

#include <openssl/rand.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

/* ---- parsing ---- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is invalid too: the spec requires lower-case hex */
}

/* Reads 2n hex characters into n bytes; false on any non-hex character. */
static bool hex_bytes(const char *s, uint8_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool all_zero(const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

bool bw_traceparent_parse(const char *s, bw_trace_ctx *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return false;
    while (blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && blank(s[n - 1]))
        n--;
    uint8_t version;
    if (n < BW_TRACEPARENT_LEN || !hex_bytes(s, &version, 1) || version == 0xff)
        return false;
    /* Version 00 has exactly four fields; a later version may add fields after a dash. */
    if ((version == 0 && n != BW_TRACEPARENT_LEN) || (n > BW_TRACEPARENT_LEN && s[BW_TRACEPARENT_LEN] != '-'))
        return false;
    if (s[2] != '-' || s[35] != '-' || s[52] != '-')
        return false;
    if (!hex_bytes(s + 3, out->trace_id, 16) || !hex_bytes(s + 36, out->span_id, 8) ||
        !hex_bytes(s + 53, &out->flags, 1) || all_zero(out->trace_id, 16) || all_zero(out->span_id, 8)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    out->valid = true;
    return true;
}

/* ---- formatting ---- */

void bw_trace_hex(const uint8_t *bytes, int n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void bw_traceparent_format(const bw_trace_ctx *ctx, char out[BW_TRACEPARENT_LEN + 1])
{
    memcpy(out, "00-", 3);
    bw_trace_hex(ctx->trace_id, 16, out + 3);
    out[35] = '-';
    bw_trace_hex(ctx->span_id, 8, out + 36);
    out[52] = '-';
    bw_trace_hex(&ctx->flags, 1, out + 53);
}

void bw_trace_id_hex(const bw_trace_ctx *ctx, char out[33])
{
    bw_trace_hex(ctx->trace_id, 16, out);
}

/* ---- tracestate ---- */

void bw_tracestate_set(bw_trace_ctx *ctx, const char *s)
{
    ctx->tracestate[0] = '\0';
    if (!s)
        return;
    while (blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && blank(s[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return;
    if (n > BW_TRACESTATE_MAX) {
        /* Keep the leading members (the most recent vendors) that fit whole. */
        size_t cut = BW_TRACESTATE_MAX;
        while (cut > 0 && s[cut] != ',')
            cut--;
        n = cut;
        while (n && (blank(s[n - 1]) || s[n - 1] == ','))
            n--;
    }
    memcpy(ctx->tracestate, s, n);
    ctx->tracestate[n] = '\0';
}

/* ---- ids ---- */

/* xoshiro256** per thread: ids must be unique and unpredictable enough to never collide, not secret. Seeding from
 * OpenSSL once per thread keeps the hot path free of locks and system calls. */
typedef struct rng {
    uint64_t s[4];
    bool seeded;
} rng;

static _Thread_local rng tl_rng;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void seed(rng *r)
{
    if (RAND_bytes((unsigned char *)r->s, sizeof r->s) != 1 || all_zero((const uint8_t *)r->s, sizeof r->s)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)r;
        for (int i = 0; i < 4; i++) { /* splitmix64: a fallback that is never all zero */
            x += 0x9E3779B97F4A7C15ull;
            uint64_t z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            r->s[i] = z ^ (z >> 31);
        }
    }
    r->seeded = true;
}

static uint64_t next64(void)
{
    rng *r = &tl_rng;
    if (!r->seeded)
        seed(r);
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void fill(uint8_t *id, int n)
{
    do {
        for (int i = 0; i < n; i += 8) {
            uint64_t v = next64();
            memcpy(id + i, &v, (size_t)(n - i < 8 ? n - i : 8));
        }
    } while (all_zero(id, n));
}

void bw_trace_new_trace_id(uint8_t id[16])
{
    fill(id, 16);
}

void bw_trace_new_span_id(uint8_t id[8])
{
    fill(id, 8);
}
