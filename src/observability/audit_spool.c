/* The fail-open spool (see audit_spool.h). */
#include "observability/audit_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct bw_audit_spool {
    pthread_mutex_t mu; /* guards fd, bytes and the rename */
    char *path;
    char *replay_path;
    int fd;             /* open for appending, or -1 */
    size_t bytes;
    size_t max_bytes;
};

static size_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

bw_audit_spool *bw_audit_spool_new(const char *path, size_t max_bytes)
{
    bw_audit_spool *sp = calloc(1, sizeof *sp);
    size_t n = strlen(path);
    if (sp) {
        sp->path = strdup(path);
        sp->replay_path = malloc(n + 8);
    }
    if (!sp || !sp->path || !sp->replay_path) {
        bw_audit_spool_free(sp);
        return NULL;
    }
    snprintf(sp->replay_path, n + 8, "%s.replay", path);
    pthread_mutex_init(&sp->mu, NULL);
    sp->fd = -1;
    sp->max_bytes = max_bytes;
    sp->bytes = file_size(path); /* records a previous run spooled */
    return sp;
}

void bw_audit_spool_free(bw_audit_spool *sp)
{
    if (!sp)
        return;
    if (sp->fd >= 0)
        close(sp->fd);
    if (sp->path)
        pthread_mutex_destroy(&sp->mu);
    free(sp->path);
    free(sp->replay_path);
    free(sp);
}

const char *bw_audit_spool_path(const bw_audit_spool *sp)
{
    return sp->path;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool bw_audit_spool_append(bw_audit_spool *sp, const json_t *rec)
{
    json_t *own = NULL;
    if (json_object_get(rec, BW_AUDIT_ARGS_TEXT_MEMBER)) { /* a record straight from a call: its fields only */
        own = json_copy((json_t *)rec);
        json_object_del(own, BW_AUDIT_ARGS_TEXT_MEMBER);
    }
    char *line = json_dumps(own ? own : rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(own);
    size_t n = line ? strlen(line) : 0;
    if (line)
        line[n++] = '\n'; /* json_dumps's NUL becomes the newline; the buffer is not used as a string again */
    bool ok = line && n <= BW_AUDIT_RECORD_LINE_MAX;
    pthread_mutex_lock(&sp->mu);
    ok = ok && sp->bytes + n <= sp->max_bytes;
    if (ok && sp->fd < 0)
        sp->fd = open(sp->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    ok = ok && sp->fd >= 0 && write_all(sp->fd, line, n);
    if (ok)
        sp->bytes += n;
    pthread_mutex_unlock(&sp->mu);
    free(line);
    return ok;
}

bool bw_audit_spool_take(bw_audit_spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    bool pending = access(sp->replay_path, F_OK) == 0;
    if (!pending && sp->bytes > 0) {
        if (sp->fd >= 0)
            close(sp->fd);
        sp->fd = -1;
        pending = rename(sp->path, sp->replay_path) == 0;
        if (pending)
            sp->bytes = 0;
    }
    pthread_mutex_unlock(&sp->mu);
    return pending;
}

size_t bw_audit_spool_bytes(bw_audit_spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    size_t n = sp->bytes;
    pthread_mutex_unlock(&sp->mu);
    return n;
}

/* A spooled line back to a record: an object with the hashed members only (whatever else a line holds is not
 * ours). NULL when the line is not a record. */
static json_t *line_record(const char *line)
{
    json_t *v = json_loads(line, 0, NULL);
    if (!json_is_object(v) || !json_is_string(json_object_get(v, "time"))) {
        json_decref(v);
        return NULL;
    }
    json_t *rec = json_object();
    for (size_t i = 0; rec && i < bw_audit_nfields; i++) {
        json_t *f = json_object_get(v, bw_audit_fields[i].name);
        json_object_set(rec, bw_audit_fields[i].name, f ? f : json_null());
    }
    json_decref(v);
    return rec;
}

static bw_status replay_lines(FILE *f, bw_audit_store *store, int64_t *replayed, int64_t *skipped, char *err,
                              size_t errlen)
{
    int64_t seq = 0;
    char head[BW_AUDIT_HASH_HEX + 1];
    bw_status st = store->ops->begin(store, &seq, head, err, errlen);
    if (st != BW_OK)
        return st;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (st == BW_OK && (len = getline(&line, &cap, f)) >= 0) {
        json_t *rec = (size_t)len <= BW_AUDIT_RECORD_LINE_MAX ? line_record(line) : NULL;
        if (!rec) {
            (*skipped)++;
            continue;
        }
        char hash[BW_AUDIT_HASH_HEX + 1] = "";
        char *args = bw_audit_arguments_text(rec);
        st = bw_audit_record_seal(rec, head, args, hash) ? store->ops->insert(store, seq + 1, rec, args, hash, err,
                                                                              errlen)
                                                         : BW_E_NOMEM;
        free(args);
        json_decref(rec);
        if (st == BW_OK) {
            seq++;
            memcpy(head, hash, sizeof head);
            (*replayed)++;
        }
    }
    free(line);
    if (st == BW_OK)
        return store->ops->commit(store, err, errlen);
    store->ops->rollback(store);
    return st;
}

bw_status bw_audit_spool_replay(bw_audit_spool *sp, bw_audit_store *store, int64_t *replayed, int64_t *skipped,
                                char *err, size_t errlen)
{
    *replayed = *skipped = 0;
    FILE *f = fopen(sp->replay_path, "re");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "audit spool: cannot read %s: %s", sp->replay_path, strerror(e));
        return e == ENOENT ? BW_OK : BW_E_IO;
    }
    bw_status st = replay_lines(f, store, replayed, skipped, err, errlen);
    fclose(f);
    if (st != BW_OK) {
        *replayed = 0;
        return st;
    }
    unlink(sp->replay_path);
    return BW_OK;
}
