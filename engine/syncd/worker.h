/*
 * syncd's threads besides the HTTP pool: the boot thread (load the catalog,
 * register webhooks, schedule the first full sync; retried until it works),
 * the workers (lease events from the store, run their handler, then ack,
 * retry later or dead-letter), and the inventory thread (coalesced level
 * syncs). workers_start starts them all; workers_stop lets in-flight work
 * finish and joins them, leaving the rest queued.
 */
#ifndef SURGE_SYNCD_WORKER_H
#define SURGE_SYNCD_WORKER_H

#include "syncd.h"

typedef struct workers workers;

workers *workers_start(syncd *sd);
void workers_stop(workers *w); /* also frees */

#endif
