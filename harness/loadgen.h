/*
 * The open-model load generator: arrivals leave at their intended
 * simulated times whatever the answers to earlier ones (no coordinated
 * omission), and every latency counts from the intended time. A dispatcher
 * thread releases arrivals on schedule to a pool of sender threads that
 * POST checkouts to mock-shopify and other-channel sales to mock-cin7 over
 * kept-alive connections. When the senders fall behind the schedule by
 * more than the scenario's tolerance, the run is marked invalid: its
 * numbers would describe the generator, not the system.
 */
#ifndef SURGE_LOADGEN_H
#define SURGE_LOADGEN_H

#include <stdint.h>

#include "clock.h"
#include "demand.h"
#include "scenario.h"

/* UNAVAILABLE: mock-shopify refused a product its merchant took off sale
 * (DRAFT or ARCHIVED): an answer, neither sold out nor an error. */
typedef enum { OUT_ACCEPTED, OUT_SOLD_OUT, OUT_ERROR, OUT_UNAVAILABLE } lg_result;

typedef struct {
    demand_arrival a;
    lg_result result;
    int status;          /* HTTP status, 0 on a transport error */
    int64_t sent;        /* scenario ms the request left */
    int64_t done;        /* scenario ms the answer came */
    int64_t order_id;    /* accepted checkouts */
} lg_record;

typedef struct {
    const scenario *sc;
    const sclock *clk;
    const char *shopify_url;  /* http://127.0.0.1:PORT (mock-shopify) */
    const char *cin7_url;     /* http://127.0.0.1:PORT (mock-cin7) */
    unsigned senders;         /* 0 means 8 */
    int64_t offset_ms;        /* sim time of the scenario's t = 0 (demand start) */
    int64_t end_ms;           /* stop releasing arrivals at this scenario time */
} lg_config;

typedef struct loadgen loadgen;

/* Starts generating at once (arrivals before "now" are late). */
loadgen *loadgen_start(const lg_config *cfg);
/* Live counts for the progress line. */
void loadgen_progress(loadgen *g, uint64_t *sent, uint64_t *accepted, uint64_t *sold_out,
                      int64_t *max_lag_ms);
/* 1 once every arrival is sent and answered. */
/* Units of sku (catalog index) taken so far by accepted sales of every
 * channel. */
int64_t loadgen_taken(loadgen *g, size_t sku);
int loadgen_done(loadgen *g);
/* Stops early (Ctrl-C, a crash of the run); arrivals not yet sent are dropped. */
void loadgen_cancel(loadgen *g);
/* Waits for the end, then hands over every record in arrival order
 * (malloc'd; caller frees) and the worst lag seen (sim ms). */
void loadgen_finish(loadgen *g, lg_record **records, size_t *n, int64_t *max_lag_ms);

#endif
