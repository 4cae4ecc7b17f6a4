/* Error text into a caller's buffer: the `char *err, size_t errlen` convention of internal functions that explain a
 * failure. Thread-safe (touches only the buffer). */
#ifndef BW_CORE_ERRF_H
#define BW_CORE_ERRF_H

#include <stddef.h>

#include "bulwark/status.h"

/* printf-formats into err (always NUL-terminated, cut at errlen - 1); err NULL or errlen 0: nothing is written. */
void bw_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, returning st: `return bw_fail(BW_E_INVALID_ARG, err, errlen, "...", ...);`. */
bw_status bw_fail(bw_status st, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
