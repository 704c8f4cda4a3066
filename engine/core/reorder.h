/*
 * Replenishment decisions, as pure functions: a SKU's days of cover from
 * its demand velocity and its stock position, and the quantity to order
 * when cover falls below the threshold (up to the target cover, raised to
 * the supplier's minimum order quantity, rounded up to its pack multiple).
 */
#ifndef SURGE_REORDER_H
#define SURGE_REORDER_H

#include <stdint.h>

typedef struct {
    double velocity;       /* paid units per day */
    int64_t position;      /* OnHand + OnOrder + InTransit - Allocated, over the supplier's locations */
    double cover_days;     /* below this, order */
    double target_days;    /* order up to this */
    int64_t moq;           /* minimum order quantity (0 or 1: none) */
    int64_t pack;          /* pack multiple (0 or 1: none) */
} reorder_input;

typedef struct {
    double days_of_cover;  /* position / velocity; a huge number when nothing sells */
    int needed;            /* cover below the threshold */
    int64_t quantity;      /* what to order when needed, else 0 */
} reorder_decision;

/* Paid units over a window of window_ms, per day. */
double reorder_velocity(int64_t units, int64_t window_ms);
/* qty raised to moq, then up to a multiple of pack. */
int64_t reorder_round(int64_t qty, int64_t moq, int64_t pack);
reorder_decision reorder_decide(const reorder_input *in);

#endif
