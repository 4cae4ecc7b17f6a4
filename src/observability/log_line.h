/* One log line under construction: JSON (`{"ts":...,"level":...,"msg":...,"key":value...}`) or text
 * (`<ts> LEVEL msg key=value ...`), built in a fixed buffer and written with one write (log_write.h).
 *
 * Bounds: a line never exceeds BW_LOG_LINE_MAX bytes. A value that does not fit is cut (at a UTF-8 boundary) and ends
 * with BW_LOG_TRUNCATED; a JSON value (object/array) that does not fit becomes a string of its cut serialization, so
 * the line always stays valid JSON. Fields that find no room at all are left out. Control characters and invalid
 * UTF-8 never reach the line raw (escaped, or replaced by U+FFFD), so a value can never start a new line.
 *
 * Thread-safety: a bw_logline belongs to the thread building it (it normally lives on that thread's stack). */
#ifndef BW_OBSERVABILITY_LOG_LINE_H
#define BW_OBSERVABILITY_LOG_LINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "observability/log.h"

#define BW_LOG_LINE_MAX 16384
#define BW_LOG_TRUNCATED "...[truncated]"

typedef struct bw_logline {
    char buf[BW_LOG_LINE_MAX];
    size_t len;
    bool json;                    /* JSON object line, else text */
} bw_logline;

/* Starts a line with ts, level and msg in the current process-wide format. */
void bw_logline_begin(bw_logline *l, bw_loglevel lvl, const char *msg);
/* Appends key=value. NULL or "" values are left out. */
void bw_logline_str(bw_logline *l, const char *key, const char *val);
/* A number printed with `decimals` digits after the point (0: an integer). */
void bw_logline_num(bw_logline *l, const char *key, double v, int decimals);
void bw_logline_int(bw_logline *l, const char *key, long long v);
/* Any JSON value (borrowed): compact JSON in both formats (strings as text values in the text format). */
void bw_logline_json(bw_logline *l, const char *key, const json_t *v);
/* Every member of a JSON object, in order (borrowed; NULL or a non-object: nothing). */
void bw_logline_object(bw_logline *l, const json_t *obj);
/* Closes the line and writes it to the log descriptor (one write; see log_write.h). */
void bw_logline_end(bw_logline *l);

/* "debug".."error" (JSON) or "DEBUG".."ERROR" (text). */
const char *bw_loglevel_name(bw_loglevel lvl, bool upper);

#endif
