/* Error text into a caller's buffer: the `char *err, size_t errlen` convention of internal functions that explain a
 * failure. Thread-safe (touches only the buffer). */
#ifndef BW_CORE_ERRF_H
#define BW_CORE_ERRF_H

#include <stddef.h>

/* printf-formats into err (always NUL-terminated, cut at errlen - 1); err NULL or errlen 0: nothing is written. */
void bw_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
