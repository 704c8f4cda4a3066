/*
 * Structured logging: one JSON object per line on stderr (or a chosen
 * stream) with the wall time, the simulated time, the level, the component,
 * the event id when there is one, and the message. Lines from several
 * threads never interleave.
 */
#ifndef SURGE_LOG_H
#define SURGE_LOG_H

#include <stdio.h>

#include "clock.h"

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* component is copied; clk is borrowed for the life of the process (NULL:
 * the "t" field is left out). Safe to call again to change either. */
void log_init(const char *component, const sclock *clk);
void log_set_level(log_level min);
/* out is borrowed; NULL restores stderr. */
void log_set_output(FILE *out);
/* "debug", "info", "warn", "error" → 0; anything else → -1. */
int log_parse_level(const char *s, log_level *out);

/* event_id may be NULL. */
void log_event(log_level lvl, const char *event_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_event(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...) log_event(LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...) log_event(LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_event(LOG_ERROR, NULL, __VA_ARGS__)

#endif
