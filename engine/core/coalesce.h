/*
 * Latest-wins coalescing of work per key (a SKU): marking a key that is
 * already waiting changes nothing, so a flash sale that changes one SKU a
 * thousand times queues one stock write for it, computed from the newest
 * figures when it runs. A key becomes due `window_ms` after its first mark,
 * which gathers a burst into one write; keys leave in the order they became
 * due. Not thread-safe: the owner serialises calls. Time comes in as
 * arguments (simulated ms).
 */
#ifndef SURGE_COALESCE_H
#define SURGE_COALESCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct coalescer coalescer;

coalescer *coalesce_new(int64_t window_ms);
void coalesce_free(coalescer *c); /* accepts NULL */
/* Marks key (copied) as needing work; returns 1 when newly waiting, 0 when
 * it already was (the mark folded into the waiting one). */
int coalesce_mark(coalescer *c, const char *key, int64_t now_ms);
/* Takes up to max due keys (malloc'd strings the caller frees) into out, in
 * due order; returns how many. */
size_t coalesce_take(coalescer *c, int64_t now_ms, char **out, size_t max);
/* When the earliest waiting key is due, or -1 when none waits. */
int64_t coalesce_next_due(const coalescer *c);
size_t coalesce_waiting(const coalescer *c);
/* Marks folded into waiting keys since creation (for /metrics). */
uint64_t coalesce_folded(const coalescer *c);

#endif
