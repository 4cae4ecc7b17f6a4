/* Tool errors shared by the providers: a formatted message set as the call's isError result. */
#ifndef BW_PROVIDERS_TOOL_ERROR_H
#define BW_PROVIDERS_TOOL_ERROR_H

#include "bulwark/call.h"

/* Formats the message (cut at 1 KiB), replaces invalid UTF-8 (program output, remote bodies) with U+FFFD and sets
 * it as the tool error of call. Returns what bw_result_set_error returns (BW_OK, or BW_E_NOMEM). Messages must
 * not contain secrets (header values, bound SQL values). Any worker thread. */
bw_status bw_tool_fail(bw_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
