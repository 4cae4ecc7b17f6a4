/*
 * bench/stdio/driver.c — load driver for the stdio benchmark.
 *
 * Spawns an MCP server over stdio (argv after `--`), measures spawn-to-initialize-response time, idle RSS,
 * then runs N pipelined tools/call requests of the `echo` tool with at most W in flight, verifying every
 * response (id known and answered once, jsonrpc "2.0", result.content[0] is {type:"text", text:<sent text>}).
 * Prints one JSON line of figures on stdout. Everything is bounded by an overall deadline (-t) after which
 * the child is killed by PID; a stall (no response for -H seconds) ends the run as well.
 *
 * The response check uses a small hand-written JSON scanner (validating, escape-decoding) so that the
 * driver's own per-message cost stays well below the servers' and identical for every peer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* options                                                                                                    */

static long opt_n = 20000;           /* calls */
static long opt_w = 64;              /* max in flight */
static double opt_timeout = 120.0;   /* overall deadline, s */
static double opt_stall = 15.0;      /* no response for this long: hang, s */
static long opt_spawns = 0;          /* extra spawn-time measurements */
static long opt_idle_ms = 300;       /* settle time before reading idle RSS */
static long opt_sample_ms = 5;       /* RSS sampling period during load */
static const char *opt_label = "server";
static const char *opt_text = "hello world 0123456789";
static const char *opt_errlog = "/dev/null";
static char **child_argv;

/* ---------------------------------------------------------------------------------------------------------- */
/* time                                                                                                       */

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t deadline_ns;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("driver: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* minimal validating JSON scanner                                                                            */

typedef struct {
    const char *p, *end;
} scan_t;

static void ws(scan_t *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool hex4(const char *p, const char *end, unsigned *out) {
    if (end - p < 4) return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

/* Scans a string at s->p (which must be '"'). Sets *raw and *rawlen to the undecoded body and *esc when it holds
 * escapes. Validates escapes and control characters. */
static bool scan_string(scan_t *s, const char **raw, size_t *rawlen, bool *esc) {
    if (s->p >= s->end || *s->p != '"') return false;
    const char *p = ++s->p;
    bool e = false;
    while (p < s->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *raw = s->p;
            *rawlen = (size_t)(p - s->p);
            *esc = e;
            s->p = p + 1;
            return true;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            e = true;
            if (p + 1 >= s->end) return false;
            char x = p[1];
            if (x == 'u') {
                unsigned v;
                if (!hex4(p + 2, s->end, &v)) return false;
                p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", x)) return false;
            p += 2;
            continue;
        }
        p++;
    }
    return false;
}

/* Decodes a validated string body into out (capacity cap). Returns the length or -1 on overflow/bad pair. */
static long decode_string(const char *raw, size_t len, char *out, size_t cap) {
    size_t o = 0;
    const char *p = raw, *end = raw + len;
    while (p < end) {
        if (*p != '\\') {
            if (o >= cap) return -1;
            out[o++] = *p++;
            continue;
        }
        char x = p[1];
        unsigned cp;
        p += 2;
        switch (x) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            hex4(p, end, &cp);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            break;
        default: cp = (unsigned char)x; break;
        }
        char u[4];
        size_t k;
        if (cp < 0x80) { u[0] = (char)cp; k = 1; }
        else if (cp < 0x800) { u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); k = 2; }
        else if (cp < 0x10000) {
            u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F)); k = 3;
        } else {
            u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); k = 4;
        }
        if (o + k > cap) return -1;
        memcpy(out + o, u, k);
        o += k;
    }
    return (long)o;
}

/* true when the JSON string (raw body) equals the C string want */
static bool string_eq(const char *raw, size_t len, bool esc, const char *want) {
    size_t wl = strlen(want);
    if (!esc) return len == wl && memcmp(raw, want, wl) == 0;
    char buf[4096];
    long d = decode_string(raw, len, buf, sizeof buf);
    return d >= 0 && (size_t)d == wl && memcmp(buf, want, wl) == 0;
}

static bool skip_value(scan_t *s, int depth);

static bool scan_number(scan_t *s) {
    const char *p = s->p;
    if (p < s->end && *p == '-') p++;
    if (p >= s->end) return false;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < s->end && *p >= '0' && *p <= '9') p++;
    else return false;
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || *p < '0' || *p > '9') return false;
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-')) p++;
        if (p >= s->end || *p < '0' || *p > '9') return false;
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    s->p = p;
    return true;
}

static bool lit(scan_t *s, const char *w) {
    size_t l = strlen(w);
    if ((size_t)(s->end - s->p) < l || memcmp(s->p, w, l) != 0) return false;
    s->p += l;
    return true;
}

static bool skip_value(scan_t *s, int depth) {
    if (depth > 64) return false;
    ws(s);
    if (s->p >= s->end) return false;
    const char *r;
    size_t rl;
    bool e;
    switch (*s->p) {
    case '"': return scan_string(s, &r, &rl, &e);
    case '{':
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == '}') { s->p++; return true; }
        for (;;) {
            ws(s);
            if (!scan_string(s, &r, &rl, &e)) return false;
            ws(s);
            if (s->p >= s->end || *s->p != ':') return false;
            s->p++;
            if (!skip_value(s, depth + 1)) return false;
            ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == '}') { s->p++; return true; }
            return false;
        }
    case '[':
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == ']') { s->p++; return true; }
        for (;;) {
            if (!skip_value(s, depth + 1)) return false;
            ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == ']') { s->p++; return true; }
            return false;
        }
    case 't': return lit(s, "true");
    case 'f': return lit(s, "false");
    case 'n': return lit(s, "null");
    default: return scan_number(s);
    }
}

/* Iterates the members of an object at s->p. Calls fn(key) for each member with s->p at the value; fn must
 * consume the value (or return false). */
typedef bool (*member_fn)(scan_t *s, const char *key, size_t keylen, bool esc, void *ctx);

static bool scan_object(scan_t *s, member_fn fn, void *ctx) {
    ws(s);
    if (s->p >= s->end || *s->p != '{') return false;
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') { s->p++; return true; }
    for (;;) {
        const char *k;
        size_t kl;
        bool e;
        ws(s);
        if (!scan_string(s, &k, &kl, &e)) return false;
        ws(s);
        if (s->p >= s->end || *s->p != ':') return false;
        s->p++;
        ws(s);
        if (!fn(s, k, kl, e, ctx)) return false;
        ws(s);
        if (s->p < s->end && *s->p == ',') { s->p++; continue; }
        if (s->p < s->end && *s->p == '}') { s->p++; return true; }
        return false;
    }
}

static bool key_is(const char *k, size_t kl, bool esc, const char *want) {
    return string_eq(k, kl, esc, want);
}

/* What a message turned out to be. */
typedef struct {
    bool has_id, id_is_int, has_result, has_error, has_method, jsonrpc_ok;
    int64_t id;
    /* result.content[0] */
    bool content_ok; /* first item is {type:"text", text:<want>} */
    int content_items;
    const char *want_text;
} msg_t;

typedef struct {
    msg_t *m;
    bool type_text, text_eq;
} item_ctx;

static bool item_member(scan_t *s, const char *k, size_t kl, bool esc, void *vctx) {
    item_ctx *c = vctx;
    const char *r;
    size_t rl;
    bool e;
    if (key_is(k, kl, esc, "type") && s->p < s->end && *s->p == '"') {
        if (!scan_string(s, &r, &rl, &e)) return false;
        c->type_text = string_eq(r, rl, e, "text");
        return true;
    }
    if (key_is(k, kl, esc, "text") && s->p < s->end && *s->p == '"') {
        if (!scan_string(s, &r, &rl, &e)) return false;
        c->text_eq = string_eq(r, rl, e, c->m->want_text);
        return true;
    }
    return skip_value(s, 4);
}

static bool result_member(scan_t *s, const char *k, size_t kl, bool esc, void *vctx) {
    msg_t *m = vctx;
    if (key_is(k, kl, esc, "content") && s->p < s->end && *s->p == '[') {
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == ']') { s->p++; return true; }
        for (;;) {
            ws(s);
            if (m->content_items == 0 && s->p < s->end && *s->p == '{') {
                item_ctx c = {.m = m};
                if (!scan_object(s, item_member, &c)) return false;
                m->content_ok = c.type_text && c.text_eq;
            } else if (!skip_value(s, 4)) {
                return false;
            }
            m->content_items++;
            ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == ']') { s->p++; return true; }
            return false;
        }
    }
    return skip_value(s, 2);
}

static bool top_member(scan_t *s, const char *k, size_t kl, bool esc, void *vctx) {
    msg_t *m = vctx;
    const char *r;
    size_t rl;
    bool e;
    if (key_is(k, kl, esc, "id")) {
        m->has_id = true;
        if (s->p < s->end && ((*s->p >= '0' && *s->p <= '9') || *s->p == '-')) {
            const char *st = s->p;
            if (!scan_number(s)) return false;
            /* only a plain non-negative integer counts as one of our ids */
            int64_t v = 0;
            bool ok = s->p - st <= 18;
            for (const char *q = st; ok && q < s->p; q++) {
                if (*q < '0' || *q > '9') ok = false;
                else v = v * 10 + (*q - '0');
            }
            m->id_is_int = ok;
            m->id = v;
            return true;
        }
        return skip_value(s, 1);
    }
    if (key_is(k, kl, esc, "jsonrpc") && s->p < s->end && *s->p == '"') {
        if (!scan_string(s, &r, &rl, &e)) return false;
        m->jsonrpc_ok = string_eq(r, rl, e, "2.0");
        return true;
    }
    if (key_is(k, kl, esc, "result")) {
        m->has_result = true;
        if (s->p < s->end && *s->p == '{') return scan_object(s, result_member, m);
        return skip_value(s, 1);
    }
    if (key_is(k, kl, esc, "error")) {
        m->has_error = true;
        return skip_value(s, 1);
    }
    if (key_is(k, kl, esc, "method")) {
        m->has_method = true;
        return skip_value(s, 1);
    }
    return skip_value(s, 1);
}

/* Parses one line. Returns false when it is not valid JSON object text. */
static bool parse_msg(const char *line, size_t len, msg_t *m, const char *want_text) {
    memset(m, 0, sizeof *m);
    m->want_text = want_text;
    scan_t s = {line, line + len};
    if (!scan_object(&s, top_member, m)) return false;
    ws(&s);
    return s.p == s.end;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* child process                                                                                              */

typedef struct {
    pid_t pid;
    int in_fd;  /* we write: child's stdin */
    int out_fd; /* we read: child's stdout */
    int64_t t_fork;
    bool exited;
    int wstatus;
} child_t;

static void set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
}

static void spawn(child_t *c) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
    int errfd = open(opt_errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (errfd < 0) die("open %s: %s", opt_errlog, strerror(errno));
    c->t_fork = now_ns();
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(errfd, 2) < 0) _exit(126);
        signal(SIGPIPE, SIG_DFL);
        execvp(child_argv[0], child_argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(errfd);
    c->pid = pid;
    c->in_fd = in[1];
    c->out_fd = out[0];
    c->exited = false;
    c->wstatus = 0;
    set_nonblock(c->in_fd);
    set_nonblock(c->out_fd);
}

static bool child_reap(child_t *c, bool block) {
    if (c->exited) return true;
    int st;
    pid_t r = waitpid(c->pid, &st, block ? 0 : WNOHANG);
    if (r == c->pid) {
        c->exited = true;
        c->wstatus = st;
        return true;
    }
    return false;
}

static void describe_exit(const child_t *c, char *buf, size_t cap) {
    if (!c->exited) snprintf(buf, cap, "running");
    else if (WIFEXITED(c->wstatus)) snprintf(buf, cap, "exit %d", WEXITSTATUS(c->wstatus));
    else if (WIFSIGNALED(c->wstatus)) snprintf(buf, cap, "signal %d", WTERMSIG(c->wstatus));
    else snprintf(buf, cap, "status %d", c->wstatus);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Closes stdin, drains stdout until EOF for up to grace_ms, then reaps; escalates to SIGTERM then SIGKILL
 * (by PID, only our child). Sets *clean when the child exited by itself with status 0 after EOF. */
static void child_stop(child_t *c, long grace_ms, bool *clean) {
    bool self = false;
    if (c->in_fd >= 0) { close(c->in_fd); c->in_fd = -1; }
    int64_t until = now_ns() + grace_ms * 1000000LL;
    char sink[65536];
    while (c->out_fd >= 0 && now_ns() < until) {
        struct pollfd p = {c->out_fd, POLLIN, 0};
        int r = poll(&p, 1, 10);
        if (r > 0) {
            ssize_t k = read(c->out_fd, sink, sizeof sink);
            if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) break;
        }
        if (child_reap(c, false)) break;
    }
    while (!child_reap(c, false) && now_ns() < until) sleep_ms(2);
    if (c->exited) self = true;
    if (!c->exited) {
        kill(c->pid, SIGTERM);
        for (int i = 0; i < 200 && !child_reap(c, false); i++) sleep_ms(5);
    }
    if (!c->exited) {
        kill(c->pid, SIGKILL);
        for (int i = 0; i < 400 && !child_reap(c, false); i++) sleep_ms(5);
    }
    if (c->out_fd >= 0) { close(c->out_fd); c->out_fd = -1; }
    if (clean) *clean = self && WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0;
}

static void child_kill(child_t *c) {
    if (c->in_fd >= 0) { close(c->in_fd); c->in_fd = -1; }
    if (c->out_fd >= 0) { close(c->out_fd); c->out_fd = -1; }
    if (!c->exited) kill(c->pid, SIGKILL);
    for (int i = 0; i < 400 && !child_reap(c, false); i++) sleep_ms(5);
}

/* /proc reading: VmRSS / VmHWM in kB from status; fast path from statm (pages) */
static long proc_status_kb(pid_t pid, const char *field) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    size_t fl = strlen(field);
    for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, fl) == 0 && p[fl] == ':') return strtol(p + fl + 1, NULL, 10);
    }
    return -1;
}

static long page_kb;
static int statm_fd = -1;

static long statm_rss_kb(void) {
    char buf[256];
    if (statm_fd < 0) return -1;
    ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *sp = strchr(buf, ' ');
    if (!sp) return -1;
    return strtol(sp + 1, NULL, 10) * page_kb;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* line reader                                                                                                */

typedef struct {
    char *buf;
    size_t len, cap, max;
    bool eof;
} rbuf_t;

/* Reads what is available. Returns -1 on error (errno), 0 otherwise. */
static int rbuf_fill(rbuf_t *r, int fd) {
    for (int rounds = 0; rounds < 4; rounds++) {
        if (r->cap - r->len < 65536) {
            if (r->cap >= r->max) { errno = EMSGSIZE; return -1; }
            r->cap *= 2;
            r->buf = realloc(r->buf, r->cap);
            if (!r->buf) die("out of memory");
        }
        size_t avail = r->cap - r->len;
        ssize_t k = read(fd, r->buf + r->len, avail);
        if (k > 0) { r->len += (size_t)k; if ((size_t)k < avail) return 0; continue; }
        if (k == 0) { r->eof = true; return 0; }
        if (errno == EAGAIN || errno == EINTR) return 0;
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* results                                                                                                    */

static char first_problem[600];
static long n_problems;

static void problem(const char *fmt, ...) {
    n_problems++;
    if (n_problems > 5) return;
    va_list ap;
    va_start(ap, fmt);
    char msg[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "driver[%s]: %s\n", opt_label, msg);
    if (!first_problem[0]) snprintf(first_problem, sizeof first_problem, "%s", msg);
}

static void show_line(char *dst, size_t cap, const char *line, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        char c = line[i];
        dst[o++] = (c >= 0 && c < 0x20) ? '.' : c;
    }
    dst[o] = 0;
}

static const char INIT_REQ[] =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
    "\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}\n";
static const char INITIALIZED[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";

/* Writes all of buf (small) with poll, bounded by the deadline. */
static bool write_all(child_t *c, const char *buf, size_t len, int64_t until) {
    while (len > 0) {
        ssize_t k = write(c->in_fd, buf, len);
        if (k > 0) { buf += k; len -= (size_t)k; continue; }
        if (k < 0 && errno != EAGAIN && errno != EINTR) return false;
        int64_t left = until - now_ns();
        if (left <= 0) return false;
        struct pollfd p = {c->in_fd, POLLOUT, 0};
        poll(&p, 1, (int)(left / 1000000 + 1));
    }
    return true;
}

/* Spawns and initializes. Returns spawn→response ns, or -1 (reason in *why). */
static int64_t spawn_initialize(child_t *c, rbuf_t *rb, int64_t until, const char **why) {
    spawn(c);
    if (!write_all(c, INIT_REQ, sizeof INIT_REQ - 1, until)) { *why = "could not write initialize"; return -1; }
    for (;;) {
        /* complete lines */
        char *nl;
        while ((nl = memchr(rb->buf, '\n', rb->len))) {
            size_t ll = (size_t)(nl - rb->buf);
            size_t tl = (ll > 0 && rb->buf[ll - 1] == '\r') ? ll - 1 : ll;
            msg_t m;
            bool ok = parse_msg(rb->buf, tl, &m, "");
            int64_t t = now_ns();
            bool is_init = ok && m.has_id && m.id_is_int && m.id == 0 && !m.has_method;
            if (!ok && tl > 0) {
                char show[200];
                show_line(show, sizeof show, rb->buf, tl);
                problem("non-JSON line before the initialize response: %s", show);
            }
            memmove(rb->buf, nl + 1, rb->len - ll - 1);
            rb->len -= ll + 1;
            if (is_init) {
                if (!m.has_result || m.has_error) { *why = "initialize answered with an error"; return -1; }
                return t - c->t_fork;
            }
        }
        if (rb->eof) { *why = "child closed stdout before answering initialize"; return -1; }
        int64_t left = until - now_ns();
        if (left <= 0) { *why = "timeout waiting for the initialize response"; return -1; }
        struct pollfd p = {c->out_fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left / 1000000 + 1));
        if (r > 0 && rbuf_fill(rb, c->out_fd) < 0) { *why = "read error"; return -1; }
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(const int64_t *sorted, long n, double p) {
    if (n <= 0) return -1;
    long k = (long)(p * (double)n + 0.999999999) - 1; /* nearest rank */
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return (double)sorted[k] / 1e6;
}

/* fast decimal */
static size_t put_u64(char *dst, uint64_t v) {
    char tmp[24];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    return n;
}

/* JSON-escapes s into dst (for the label / problem text in the output line) */
static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void usage(void) {
    fprintf(stderr,
            "usage: driver [-n calls] [-w inflight] [-t timeout_s] [-H stall_s] [-S spawns] [-i idle_ms]\n"
            "              [-l label] [-T text] [-e stderr_log] -- server-command [args...]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(a, "-n") == 0) opt_n = atol(v);
        else if (strcmp(a, "-w") == 0) opt_w = atol(v);
        else if (strcmp(a, "-t") == 0) opt_timeout = atof(v);
        else if (strcmp(a, "-H") == 0) opt_stall = atof(v);
        else if (strcmp(a, "-S") == 0) opt_spawns = atol(v);
        else if (strcmp(a, "-i") == 0) opt_idle_ms = atol(v);
        else if (strcmp(a, "-l") == 0) opt_label = v;
        else if (strcmp(a, "-T") == 0) opt_text = v;
        else if (strcmp(a, "-e") == 0) opt_errlog = v;
        else usage();
    }
    if (i >= argc || opt_n < 0 || opt_w < 1 || opt_spawns < 0 || opt_spawns > 1000 || opt_timeout <= 0) usage();
    if (strlen(opt_text) > 1000 || strpbrk(opt_text, "\"\\")) die("-T: text must be short and need no escaping");
    child_argv = argv + i;
    signal(SIGPIPE, SIG_IGN);
    page_kb = sysconf(_SC_PAGESIZE) / 1024;
    deadline_ns = now_ns() + (int64_t)(opt_timeout * 1e9);

    const char *status = "ok";
    char exit_desc[64] = "-";
    rbuf_t rb = {.cap = 1 << 20, .max = 64 << 20};
    rb.buf = malloc(rb.cap);
    if (!rb.buf) die("out of memory");

    /* ---- spawn-time measurements: spawn, initialize, stop ---- */
    int64_t *spawn_ns = calloc((size_t)opt_spawns + 1, sizeof *spawn_ns);
    long spawns_ok = 0;
    for (long k = 0; k < opt_spawns && !first_problem[0]; k++) {
        child_t c;
        rb.len = 0;
        rb.eof = false;
        const char *why = NULL;
        int64_t until = now_ns() + 10000000000LL;
        if (until > deadline_ns) until = deadline_ns;
        int64_t t = spawn_initialize(&c, &rb, until, &why);
        if (t < 0) {
            problem("spawn %ld: %s", k, why);
            child_kill(&c);
            break;
        }
        spawn_ns[spawns_ok++] = t;
        child_stop(&c, 2000, NULL);
    }
    qsort(spawn_ns, (size_t)spawns_ok, sizeof *spawn_ns, cmp_i64);

    /* ---- load run ---- */
    long completed = 0, mismatches = 0, errors = 0, others = 0, sent = 0;
    long idle_rss = -1, peak_hwm = -1, peak_sampled = -1, end_rss = -1;
    int64_t spawn_load_ns = -1, t_start = 0, t_end = 0;
    int64_t *lat = calloc((size_t)opt_n + 1, sizeof *lat);
    int64_t *t_send = calloc((size_t)opt_n + 1, sizeof *t_send);
    unsigned char *state = calloc((size_t)opt_n + 1, 1); /* 0 unsent, 1 in flight, 2 answered */
    bool clean_exit = false;
    if (!lat || !t_send || !state) die("out of memory");

    if (opt_n > 0 && !first_problem[0]) {
        child_t c;
        rb.len = 0;
        rb.eof = false;
        const char *why = NULL;
        spawn_load_ns = spawn_initialize(&c, &rb, deadline_ns, &why);
        if (spawn_load_ns < 0) {
            problem("%s", why);
            child_kill(&c);
            goto report;
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/statm", (int)c.pid);
        statm_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (!write_all(&c, INITIALIZED, sizeof INITIALIZED - 1, deadline_ns)) {
            problem("could not write notifications/initialized");
            child_kill(&c);
            goto report;
        }
        /* idle: let it settle, drain anything it says meanwhile */
        int64_t idle_until = now_ns() + opt_idle_ms * 1000000LL;
        while (now_ns() < idle_until && !rb.eof) {
            struct pollfd p = {c.out_fd, POLLIN, 0};
            int64_t left = idle_until - now_ns();
            if (poll(&p, 1, (int)(left / 1000000 + 1)) > 0) {
                if (rbuf_fill(&rb, c.out_fd) < 0) break;
                char *nl;
                while ((nl = memchr(rb.buf, '\n', rb.len))) {
                    others++;
                    size_t ll = (size_t)(nl - rb.buf);
                    memmove(rb.buf, nl + 1, rb.len - ll - 1);
                    rb.len -= ll + 1;
                }
            }
        }
        idle_rss = proc_status_kb(c.pid, "VmRSS");
        peak_sampled = idle_rss;

        /* request template: prefix + id + suffix */
        static const char pre[] = "{\"jsonrpc\":\"2.0\",\"id\":";
        char suf[1200];
        int sl = snprintf(suf, sizeof suf,
                          ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"%s\"}}}\n",
                          opt_text);
        size_t ocap = (size_t)opt_w * (sizeof pre + 24 + (size_t)sl) + 4096;
        char *obuf = malloc(ocap);
        size_t olen = 0, ooff = 0;
        long inflight = 0, next_id = 1;
        int64_t last_progress = now_ns(), last_sample = 0;
        t_start = now_ns();
        bool dead = false;

        while (completed < opt_n) {
            int64_t now = now_ns();
            /* fill the window */
            while (inflight < opt_w && next_id <= opt_n) {
                if (ooff > 0 && ooff == olen) ooff = olen = 0;
                if (olen + sizeof pre + 24 + (size_t)sl > ocap) {
                    memmove(obuf, obuf + ooff, olen - ooff);
                    olen -= ooff;
                    ooff = 0;
                    if (olen + sizeof pre + 24 + (size_t)sl > ocap) break;
                }
                memcpy(obuf + olen, pre, sizeof pre - 1);
                olen += sizeof pre - 1;
                olen += put_u64(obuf + olen, (uint64_t)next_id);
                memcpy(obuf + olen, suf, (size_t)sl);
                olen += (size_t)sl;
                t_send[next_id] = now;
                state[next_id] = 1;
                next_id++;
                inflight++;
                sent++;
            }
            if (ooff < olen) {
                ssize_t k = write(c.in_fd, obuf + ooff, olen - ooff);
                if (k > 0) ooff += (size_t)k;
                else if (k < 0 && errno != EAGAIN && errno != EINTR) {
                    problem("write to child failed: %s (after %ld responses)", strerror(errno), completed);
                    dead = true;
                    break;
                }
            }
            /* read and process */
            struct pollfd pf[2] = {{c.out_fd, POLLIN, 0}, {c.in_fd, ooff < olen ? POLLOUT : 0, 0}};
            int pr = poll(pf, 2, (int)opt_sample_ms);
            if (pr < 0 && errno != EINTR) die("poll: %s", strerror(errno));
            if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (rbuf_fill(&rb, c.out_fd) < 0) {
                    problem("read from child failed: %s", strerror(errno));
                    dead = true;
                    break;
                }
                now = now_ns();
                char *p = rb.buf, *end = rb.buf + rb.len, *nl;
                while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
                    size_t tl = (size_t)(nl - p);
                    if (tl > 0 && p[tl - 1] == '\r') tl--;
                    msg_t m;
                    bool ok = parse_msg(p, tl, &m, opt_text);
                    char show[200];
                    if (!ok) {
                        if (tl > 0) {
                            mismatches++;
                            show_line(show, sizeof show, p, tl);
                            problem("invalid JSON line: %s", show);
                        }
                    } else if (m.has_method) {
                        others++; /* notification or server request: not ours */
                    } else if (!m.has_id || !m.id_is_int || m.id < 1 || m.id > opt_n || state[m.id] != 1) {
                        mismatches++;
                        show_line(show, sizeof show, p, tl);
                        problem("response with an unknown, unsent or repeated id: %s", show);
                    } else {
                        state[m.id] = 2;
                        lat[completed++] = now - t_send[m.id];
                        inflight--;
                        last_progress = now;
                        if (m.has_error || !m.has_result) {
                            errors++;
                            show_line(show, sizeof show, p, tl);
                            problem("error response: %s", show);
                        } else if (!m.jsonrpc_ok || !m.content_ok) {
                            mismatches++;
                            show_line(show, sizeof show, p, tl);
                            problem("response does not echo the text: %s", show);
                        }
                    }
                    p = nl + 1;
                }
                size_t rest = (size_t)(end - p);
                if (rest && p != rb.buf) memmove(rb.buf, p, rest);
                rb.len = rest;
                if (rb.eof && completed < opt_n) {
                    child_reap(&c, false);
                    if (!c.exited) { sleep_ms(50); child_reap(&c, false); }
                    describe_exit(&c, exit_desc, sizeof exit_desc);
                    problem("child closed stdout after %ld of %ld responses (%s)", completed, opt_n, exit_desc);
                    dead = true;
                    break;
                }
            }
            if (now - last_sample >= opt_sample_ms * 1000000LL) {
                long r = statm_rss_kb();
                if (r > peak_sampled) peak_sampled = r;
                last_sample = now;
            }
            if (now > deadline_ns) {
                problem("overall timeout after %ld of %ld responses", completed, opt_n);
                status = "TIMEOUT";
                dead = true;
                break;
            }
            if (now - last_progress > (int64_t)(opt_stall * 1e9)) {
                problem("stall: no response for %.1f s with %ld in flight, %ld of %ld answered", opt_stall,
                        inflight, completed, opt_n);
                status = "HANG";
                dead = true;
                break;
            }
        }
        t_end = now_ns();
        peak_hwm = proc_status_kb(c.pid, "VmHWM");
        end_rss = proc_status_kb(c.pid, "VmRSS");
        {
            long r = statm_rss_kb();
            if (r > peak_sampled) peak_sampled = r;
        }
        if (statm_fd >= 0) close(statm_fd);
        if (dead) {
            child_kill(&c);
        } else {
            child_stop(&c, 2000, &clean_exit);
        }
        describe_exit(&c, exit_desc, sizeof exit_desc);
        free(obuf);
    }

report:;
    if (first_problem[0] && strcmp(status, "ok") == 0) status = "FAIL";
    if (mismatches || errors) status = "FAIL";
    if (opt_n > 0 && completed < opt_n && strcmp(status, "ok") == 0) status = "FAIL";
    if (opt_spawns > 0 && spawns_ok < opt_spawns && strcmp(status, "ok") == 0) status = "FAIL";
    qsort(lat, (size_t)completed, sizeof *lat, cmp_i64);
    double el = t_end > t_start ? (double)(t_end - t_start) / 1e9 : 0;
    double rps = el > 0 ? (double)completed / el : 0;
    double mean_ms = 0;
    for (long k = 0; k < completed; k++) mean_ms += (double)lat[k] / 1e6;
    mean_ms = completed ? mean_ms / (double)completed : -1.0;
    printf("{\"label\":");
    json_str(stdout, opt_label);
    printf(",\"status\":\"%s\",\"n\":%ld,\"w\":%ld,\"sent\":%ld,\"completed\":%ld,\"mismatches\":%ld,\"errors\":%ld,"
           "\"other_messages\":%ld,\"elapsed_s\":%.4f,\"rps\":%.1f,\"mean_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
           "\"max_ms\":%.3f,\"idle_rss_kb\":%ld,\"peak_rss_kb\":%ld,\"peak_rss_sampled_kb\":%ld,\"end_rss_kb\":%ld,"
           "\"spawn_ms\":%.3f,\"spawns\":%ld,\"spawn_ms_median\":%.3f,\"spawn_ms_min\":%.3f,\"spawn_ms_max\":%.3f,"
           "\"clean_exit_on_eof\":%s,\"exit\":",
           status, opt_n, opt_w, sent, completed, mismatches, errors, others, el, rps, mean_ms, pct_ms(lat, completed, 0.50),
           pct_ms(lat, completed, 0.90), pct_ms(lat, completed, 0.99),
           completed ? (double)lat[completed - 1] / 1e6 : -1.0, idle_rss, peak_hwm, peak_sampled, end_rss,
           spawn_load_ns >= 0 ? (double)spawn_load_ns / 1e6 : -1.0, spawns_ok,
           spawns_ok ? (double)(spawn_ns[(spawns_ok - 1) / 2] + spawn_ns[spawns_ok / 2]) / 2e6 : -1.0,
           spawns_ok ? (double)spawn_ns[0] / 1e6 : -1.0,
           spawns_ok ? (double)spawn_ns[spawns_ok - 1] / 1e6 : -1.0, clean_exit ? "true" : "false");
    json_str(stdout, exit_desc);
    printf(",\"problems\":%ld,\"first_problem\":", n_problems);
    json_str(stdout, first_problem);
    printf("}\n");
    free(lat);
    free(t_send);
    free(state);
    free(spawn_ns);
    free(rb.buf);
    return strcmp(status, "ok") == 0 ? 0 : 1;
}
