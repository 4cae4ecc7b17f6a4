#define BW_MHD_IMPLEMENTATION
#include "transport/http_mhd.h"
#include "observability/log.h"
#include "transport/http_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

bw_mhd_table bw_mhd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    /* The soname of Debian 12's libmicrohttpd12, then the development symlink. */
    void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libmicrohttpd.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error, "cannot load libmicrohttpd: %s", dlerror());
        return;
    }
#define BW_MHD_RESOLVE(name)                                                                                        \
    if (!load_error[0] && !(*(void **)&bw_mhd.name = dlsym(h, #name)))                                              \
        snprintf(load_error, sizeof load_error, "libmicrohttpd lacks %s", #name);
    BW_MHD_FUNCTIONS(BW_MHD_RESOLVE)
#undef BW_MHD_RESOLVE
}

bool bw_mhd_load(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (load_error[0] && err && errlen)
        snprintf(err, errlen, "%s", load_error);
    return !load_error[0];
}

void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (strstr(msg, "closed by remote peer") || strstr(msg, "reset by peer") || strstr(msg, "Broken pipe") ||
        strstr(msg, "Failed to send"))
        return;
    size_t n = strlen(msg);
    if (n && msg[n - 1] == '\n')
        msg[n - 1] = '\0';
    bw_log_msg(BW_LL_WARN, "%s: %s", cls ? (const char *)cls : "http", msg);
}
