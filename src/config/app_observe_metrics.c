/* observability.metrics → bw_server_set_metrics. The schema checked types and ranges; the order of the buckets is
 * checked here so the error points at the list. */
#include <stdio.h>

#include "bulwark/observe.h"
#include "config/app_observe.h"
#include "observability/metrics.h"
#include "observability/metrics_hist.h"

/* Reads observability.metrics.buckets into le; returns their count (0: absent, -1: invalid, reported). */
static int read_buckets(bw_build *b, const json_t *list, double *le)
{
    size_t n = json_array_size(list);
    if (!list)
        return 0;
    for (size_t i = 0; i < n && i < BW_HIST_MAX_BOUNDS; i++)
        le[i] = json_number_value(json_array_get(list, i));
    bw_hist_bounds check;
    char err[160];
    if (!bw_hist_bounds_set(&check, le, n, err, sizeof err)) {
        bw_build_error(b, list, "observability.metrics.buckets: %s", err);
        return -1;
    }
    return (int)n;
}

void bw_app_observe_metrics(bw_build *b, bw_server *srv, const json_t *root, bool apply)
{
    const json_t *section = json_object_get(json_object_get(root, "observability"), "metrics");
    double le[BW_HIST_MAX_BOUNDS];
    int n = read_buckets(b, json_object_get(section, "buckets"), le);
    if (n < 0 || !apply)
        return;
    if (n > 0 && bw_metrics_bounds_differ(srv, le, (size_t)n))
        bw_build_warn(b, json_object_get(section, "buckets"), "observability.metrics.buckets: the running "
                                                              "histograms keep their buckets until the next restart");
    bw_metrics_options opts = {
        .buckets = n > 0 ? le : NULL,
        .n_buckets = n > 0 ? (size_t)n : 0,
        .max_tools = (int)json_integer_value(json_object_get(section, "max_tools")),
    };
    char err[200] = "";
    if (bw_server_set_metrics(srv, &opts, err, sizeof err) != BW_OK)
        bw_build_error(b, section, "observability.metrics: %s", *err ? err : "not accepted by the server");
}
