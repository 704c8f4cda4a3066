/*
 * A timetable of events due at simulated instants: a min-heap by due time
 * and, for equal times, by the order they were added (so a run that adds
 * the same events in the same order fires them in the same order). Each
 * event carries a kind and two numbers whose meaning is its owner's.
 * mock-cin7's warehouse and the simulator's whole world both run on it.
 * A plain data structure: not thread-safe; its owner's lock guards it.
 */
#ifndef SURGE_EVHEAP_H
#define SURGE_EVHEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t due_ms;
    uint64_t order; /* set by evheap_push */
    int kind;
    long ref;
    int64_t arg;
} evheap_ev;

typedef struct {
    evheap_ev *heap;
    size_t n, cap;
    uint64_t next_order;
} evheap;

#define EVHEAP_INIT {NULL, 0, 0, 0}

void evheap_push(evheap *h, evheap_ev ev);
/* The earliest event, or NULL when empty; borrowed until the next change. */
const evheap_ev *evheap_peek(const evheap *h);
/* Removes and returns the earliest event (h must not be empty). */
evheap_ev evheap_pop(evheap *h);
/* Forgets every event; the order counter goes on. */
void evheap_clear(evheap *h);
/* Frees the storage; h is empty and usable afterwards. */
void evheap_free(evheap *h);

#endif
