#include "bulwark/status.h"

const char *bw_status_str(bw_status st)
{
    switch (st) {
    case BW_OK: return "ok";
    case BW_E_INVALID_ARG: return "invalid argument";
    case BW_E_NOMEM: return "out of memory";
    case BW_E_NOT_FOUND: return "not found";
    case BW_E_EXISTS: return "already exists";
    case BW_E_LIMIT: return "limit exceeded";
    case BW_E_TIMEOUT: return "timed out";
    case BW_E_CANCELLED: return "cancelled";
    case BW_E_UNSUPPORTED: return "not supported by the client";
    case BW_E_PROTOCOL: return "protocol error";
    case BW_E_IO: return "I/O error";
    case BW_E_INTERNAL: return "internal error";
    case BW_E_TOOL: return "tool failed";
    case BW_E_REJECTED: return "rejected by the client";
    case BW_E_INVALID_PARAMS: return "invalid params";
    case BW_E_OVERLOADED: return "server overloaded";
    case BW_INPUT_REQUIRED: return "input required";
    }
    return "unknown status";
}
