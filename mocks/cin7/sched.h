/*
 * The timetable of mock-cin7's simulated warehouse: events due at simulated
 * instants (a purchase arrives or is invoiced, a draft purchase is approved,
 * a sale's pick, pack, ship, invoice or payment moves on, buffered stock
 * changes leave as a webhook), kept in a
 * min-heap by due time and, for equal times, by the order they were added.
 * A plain data structure: the world's lock guards it and the world's thread
 * sleeps until the earliest event is due.
 */
#ifndef SURGE_CIN7_SCHED_H
#define SURGE_CIN7_SCHED_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    C7EV_PURCHASE_STEP, /* ref: purchase index; arg: what happens (purchases.c) */
    C7EV_SALE_STEP,     /* ref: sale index; arg: what happens (sales.c) */
    C7EV_FLUSH_STOCK,   /* buffered stock changes leave as webhooks */
} c7ev_kind;

typedef struct {
    int64_t due_ms;
    uint64_t order; /* set by c7sched_push */
    c7ev_kind kind;
    long ref;
    int arg;
} c7ev;

typedef struct {
    c7ev *heap;
    size_t n, cap;
    uint64_t next_order;
} c7sched;

#define C7SCHED_INIT {NULL, 0, 0, 0}

void c7sched_push(c7sched *s, c7ev ev);
/* The earliest event, or NULL when empty; borrowed until the next change. */
const c7ev *c7sched_peek(const c7sched *s);
/* Removes and returns the earliest event (s must not be empty). */
c7ev c7sched_pop(c7sched *s);
void c7sched_clear(c7sched *s);
void c7sched_free(c7sched *s);

#endif
