/*
 * syncd's metrics in the Prometheus text format: counters, gauges and
 * latency summaries (quantiles from lib/hist). A metric's name carries its
 * labels, written once by the caller: syncd_api_calls_total{system="cin7"}.
 * Thread-safe.
 */
#ifndef SURGE_SYNCD_METRICS_H
#define SURGE_SYNCD_METRICS_H

#include <stdint.h>

typedef struct metrics metrics;

metrics *metrics_new(void);
void metrics_free(metrics *m); /* accepts NULL */
void metrics_inc(metrics *m, const char *name, int64_t delta);
int64_t metrics_get(metrics *m, const char *name);
void metrics_set(metrics *m, const char *name, int64_t value); /* a gauge */
/* Records a latency in milliseconds (kept with microsecond resolution). */
void metrics_observe_ms(metrics *m, const char *name, double ms);
/* The exposition text; caller frees. */
char *metrics_render(metrics *m);

#endif
