/*
 * A client-side rate gate for one API credential, shared by every worker:
 * it holds calls back so the remote limit is never exceeded, and gives
 * urgent work most of the calls. Two shapes: Cin7's calls per rolling minute,
 * and a leaky bucket, which syncd uses for Shopify's GraphQL cost bucket
 * (kept in step through extensions.cost; a REST call bucket would fit the
 * same shape). After a 429 or 503 the gate pauses for the Retry-After the
 * server asked for.
 *
 * A paced window gate's limit is not fixed: it follows an AIMD pace
 * (engine/core/pace.h) fed with the answers, for an API that tells its
 * limit only by refusing calls (Cin7).
 *
 * Priority: callers waiting for a permit share the permits by priority
 * (engine/core/share.h): urgent work gets most of them, but normal and
 * bulk callers still get their share while urgent work backs up, so none
 * starves; equal priorities go in arrival order. Time is the scaled clock.
 */
#ifndef SURGE_SYNCD_GATE_H
#define SURGE_SYNCD_GATE_H

#include <stdint.h>

#include "clock.h"
#include "pace.h"

typedef struct gate gate;

enum { PRIO_BULK = 0, PRIO_NORMAL = 1, PRIO_URGENT = 2, PRIO_CRITICAL = 3 };

/* limit calls per window_ms. */
gate *gate_window(int limit, int64_t window_ms, const sclock *clk);
/* Calls per pc->window_ms, starting at pc->ceiling and following the pace
 * fed by gate_answer (pc is copied). */
gate *gate_paced(const pace_config *pc, const sclock *clk);
/* A leaky bucket of size draining leak_per_s. */
gate *gate_leaky(double size, double leak_per_s, const sclock *clk);
void gate_free(gate *g); /* accepts NULL */

/* Blocks until a call of this cost may go: for call-count gates the cost
 * is a number of calls (below 1 counts as 1) taken together, at one
 * moment, for calls that must follow one another closely (a read and the
 * write it shapes). Returns 0, or -1 when the gate was stopped or the
 * cost can never fit. */
int gate_acquire(gate *g, int prio, double cost);
/* Paced gates: one answer for the pace; the limit follows the new rate at
 * once. Returns what the pace did and sets *rate (calls per window now).
 * Other gates: PACE_KEPT, *rate 0. */
pace_event gate_answer(gate *g, pace_answer a, double *rate);
/* Leaky gates: adopt the server's view (used of size). */
void gate_observe(gate *g, double used, double size);
/* Leaky gates: a new leak rate (the server's restore rate). */
void gate_set_leak(gate *g, double leak_per_s);
/* Leaky gates: give back unused reserved cost. */
void gate_refund(gate *g, double cost);
/* Nobody passes for ms of simulated time from now (after 429/503). */
void gate_pause(gate *g, int64_t ms);
/* Wakes and refuses every waiter, now and later (shutdown). */
void gate_stop(gate *g);
/* Callers waiting now (for /metrics). */
int gate_waiting(gate *g);

/* ---- a limit shared by several instances -------------------------------------
 * When several syncd instances share one store (PostgreSQL), each one's
 * gate for the same credential draws from one budget in the store
 * (store.h, shared limits) instead of its own limiter, so together they
 * stay under the remote limit: a window gate takes calls of a shared
 * window (a paced gate's limit is its pace, which adopts the rate the
 * instances share and stores its own cuts and rises), a leaky gate takes
 * cost of a shared bucket that every instance's gate_observe keeps in
 * step with the server. A pause is shared too. The priority sharing among
 * this instance's own waiters stays local. The head waiter makes the
 * store round trip without holding the gate's lock; one at a time. */

typedef struct store store;
/* Shares g's limit as budget name of st (both borrowed until gate_free;
 * name copied). Call before the gate is used. */
void gate_share(gate *g, store *st, const char *name);

#endif
