/*
 * The last alerts syncd raised, kept in memory for the ops page: a ring of
 * a fixed number of entries, the oldest overwritten first. Alerts are also
 * posted to alert_url and logged (syncd_alert); the ring is what a person
 * opening the page sees without a log search. Lost at restart by design.
 * Thread-safe.
 */
#ifndef SURGE_SYNCD_ALERTRING_H
#define SURGE_SYNCD_ALERTRING_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct alertring alertring;

/* A ring of cap entries (at least 1). */
alertring *alertring_new(size_t cap);
void alertring_free(alertring *r); /* accepts NULL */
/* Keeps a copy of text (the alert as JSON text) raised at sim ms at. */
void alertring_push(alertring *r, int64_t at, const char *text);
/* The kept alerts, newest first, as [{t, alert}] (alert as text). Caller
 * frees. */
cJSON *alertring_list(alertring *r);

#endif
