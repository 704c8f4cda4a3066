/*
 * Named counters shared by the threads of one server: requests by route and
 * status, 429s, faults fired, webhooks sent, retried and abandoned. One lock
 * guards the table; names are copied on first use. The table prints as a
 * JSON object for /_mock/stats and walks in name order for /metrics.
 */
#ifndef SURGE_COUNTERS_H
#define SURGE_COUNTERS_H

#include <cJSON.h>
#include <stdint.h>

typedef struct counters counters;

counters *counters_new(void);
void counters_free(counters *c); /* accepts NULL */
/* Adds delta to the counter called name (created at 0). */
void counters_add(counters *c, const char *name, int64_t delta);
/* Same with a printf-built name, e.g. ("requests.%s %s.%d", method, route, status). */
void counters_addf(counters *c, int64_t delta, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t counters_get(counters *c, const char *name);
void counters_reset(counters *c);
/* {"name": value, ...} in name order; caller frees with cJSON_Delete. */
cJSON *counters_json(counters *c);
/* Calls fn for every counter in name order, under the lock (fn must not
 * call back into c). */
void counters_each(counters *c, void (*fn)(const char *name, int64_t value, void *ud), void *ud);

#endif
