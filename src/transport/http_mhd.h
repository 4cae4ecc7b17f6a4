/* libmicrohttpd, loaded on first use.
 *
 * libmicrohttpd pulls in GnuTLS and its dependencies (~2.3 MB of resident relocated pages), which a process that
 * only serves stdio should not pay for. So the HTTP transport calls libmicrohttpd through this table, filled by
 * dlopen() when bw_serve_http starts. Include this header after <microhttpd.h> in every file that calls MHD_*:
 * the macros below route those calls through the table, with the real prototypes' types (checked by __typeof__). */
#ifndef BW_TRANSPORT_HTTP_MHD_H
#define BW_TRANSPORT_HTTP_MHD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#define BW_MHD_FUNCTIONS(X)                                                                                         \
    X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_get_daemon_info) X(MHD_queue_response)                            \
    X(MHD_create_response_from_buffer) X(MHD_create_response_from_callback) X(MHD_add_response_header)            \
    X(MHD_destroy_response) X(MHD_lookup_connection_value) X(MHD_get_connection_values) X(MHD_get_connection_info) \
    X(MHD_suspend_connection) X(MHD_resume_connection)

typedef struct bw_mhd_table {
#define BW_MHD_FIELD(name) __typeof__(name) *name;
    BW_MHD_FUNCTIONS(BW_MHD_FIELD)
#undef BW_MHD_FIELD
} bw_mhd_table;

extern bw_mhd_table bw_mhd;

/* Loads libmicrohttpd once (thread-safe). false with a reason in err when it cannot be loaded. */
bool bw_mhd_load(char *err, size_t errlen);

#ifndef BW_MHD_IMPLEMENTATION
#define MHD_start_daemon (*bw_mhd.MHD_start_daemon)
#define MHD_stop_daemon (*bw_mhd.MHD_stop_daemon)
#define MHD_get_daemon_info (*bw_mhd.MHD_get_daemon_info)
#define MHD_queue_response (*bw_mhd.MHD_queue_response)
#define MHD_create_response_from_buffer (*bw_mhd.MHD_create_response_from_buffer)
#define MHD_create_response_from_callback (*bw_mhd.MHD_create_response_from_callback)
#define MHD_add_response_header (*bw_mhd.MHD_add_response_header)
#define MHD_destroy_response (*bw_mhd.MHD_destroy_response)
#define MHD_lookup_connection_value (*bw_mhd.MHD_lookup_connection_value)
#define MHD_get_connection_values (*bw_mhd.MHD_get_connection_values)
#define MHD_get_connection_info (*bw_mhd.MHD_get_connection_info)
#define MHD_suspend_connection (*bw_mhd.MHD_suspend_connection)
#define MHD_resume_connection (*bw_mhd.MHD_resume_connection)
#endif

#endif
