/*
 * The simulator's insides, shared by its files (sim.h says what it does):
 * the world's state in one struct, and the functions one part calls in
 * another. world.c: the journals, Cin7 and Shopify (the simulated mocks);
 * engine.c: the model of syncd (calls, the Cin7 gate, workers, the
 * inventory pass, poll mode); replen.c: its replenishment; sim.c: the run.
 * One thread runs a world; nothing here locks.
 */
#ifndef SURGE_SIMINT_H
#define SURGE_SIMINT_H

#include <stdint.h>
#include <stdio.h>

#include "../engine/syncd/config.h"
#include "../mocks/shopify/spec.h"
#include "bucket.h"
#include "coalesce.h"
#include "demand.h"
#include "evheap.h"
#include "loadgen.h"
#include "measure.h"
#include "model.h"
#include "pace.h"
#include "policy.h"
#include "params.h"
#include "rng.h"
#include "route.h"
#include "sbuf.h"
#include "scenario.h"
#include "share.h"
#include "strmap.h"

#define MAX_GROUPS 8
#define LEVEL_BATCH 250     /* items per GraphQL level read or write (Shopify's cap) */
#define SAMPLE_MS 1000      /* queue depth samples */
#define MAX_CAS_TRIES 5
#define READ_WAIT_MS 3000   /* inventory.c: a sync waits this long for a read */
#define SETTLE_RETRY_MS 1000 /* replen.c: a SKU put off by a sale in flight */
#define SETTLE_MAX_MS 60000
#define DAY_MS 86400000.0

/* ---- the world's state ---------------------------------------------------------- */

enum {
    EV_ARRIVAL,     /* the next demand arrival is due */
    EV_HOOK,        /* ref: order; an orders/paid delivery reaches the engine */
    EV_C7_FLUSH,    /* Cin7's notification window closes */
    EV_C7_HOOK,     /* Cin7's stock notification reaches the engine */
    EV_CALL_ARRIVE, /* ref: call; the request reaches the API */
    EV_CALL_DONE,   /* ref: call; the answer reaches the engine */
    EV_GATE,        /* the Cin7 gate may have a permit */
    EV_STEP,        /* ref: worker; the worker's handling delay is over */
    EV_INV,         /* the inventory thread looks for work */
    EV_POLL,        /* poll mode's interval */
    EV_SAMPLE,      /* a queue depth sample */
    EV_READ_WAIT,   /* arg: pass; the pass stops waiting for its read */
    EV_REPLEN,      /* the replenishment thread looks for work */
    EV_RESEND,      /* ref: call; its retry (policy.h's wait) is due */
};

typedef enum { SYS_CIN7, SYS_SHOPIFY } sys;

typedef enum {
    CALL_SALE,        /* POST sale: the header */
    CALL_SALE_LINES,  /* POST sale/order: the lines, authorised */
    CALL_STOCK_READ,  /* GET ref/productavailability, one page */
    CALL_LEVEL_READ,  /* GraphQL inventory levels of a batch */
    CALL_LEVEL_WRITE, /* GraphQL inventorySetQuantities of a batch */
    CALL_ORDERS_LIST, /* poll mode: GET orders updated since */
    CALL_PRODUCTS,    /* replenishment: GET product (supplier records) */
    CALL_PO_LIST,     /* GET purchaseList?OrderStatus=DRAFT */
    CALL_PO_HEADER,   /* POST advanced-purchase */
    CALL_PO_READ,     /* GET purchase/order?TaskID= */
    CALL_PO_LINES,    /* POST purchase/order: the draft's lines */
    CALL_LOOKUP,      /* GET sale (or purchase) by its reference: did a lost write land? */
} call_kind;

typedef struct {
    call_kind kind;
    sys to;
    int prio;         /* share.h class */
    long owner;       /* order (sales), shop (levels), -1 */
    int group;        /* sales: the routing group */
    int64_t sent;     /* when it left the engine */
    int status;       /* the API's answer */
    int attempt;      /* 1, 2 ... (policy.h) */
    int lost;         /* 0 answered; else policy_net: POLICY_NET_TIMEOUT or _RESET */
    int applied;      /* the API carried it out (a lost answer may hide it) */
    call_kind of;     /* CALL_LOOKUP: the write it looks for */
    int replay;       /* a resent idempotent write that had landed */
} call;

typedef struct {
    int n;
    int sku[DEMAND_MAX_LINES];
    int64_t qty[DEMAND_MAX_LINES];
} lines;

typedef struct {
    int shop, stream, region;
    long id;              /* Shopify order id */
    lines l;
    int64_t placed;
    int queued;           /* the engine has its event */
    int reserved;
    int64_t pushed;       /* -1: not yet; the pending units close then */
    int64_t sent;         /* the first sale call left (-1 not yet) */
    int n_groups;
    int g_loc[MAX_GROUPS];
    lines g_lines[MAX_GROUPS];
    int next_group;
} order;

typedef struct {
    int busy;
    long order;           /* the order it handles */
    int step;             /* 0 reserve, 1 route and push, 2 pushed */
} worker;

/* One shop's baseline of a SKU: the level syncd last wrote or checked and
 * the units of its orders it knew then (avail.h's unknown units). */
typedef struct {
    int64_t level, known, unknown;
    int have;
} baseline;

typedef struct {
    const scenario *sc;
    syncd_config *cfg;
    sim_params p;
    rng r_net, r_hook;
    evheap h;
    int64_t now;
    size_t n_skus, n_wh, n_shops;
    /* Cin7 */
    int64_t *on_hand, *allocated; /* [sku * n_wh + wh] */
    int *dirty_cell;              /* changed since the last notification */
    int flush_pending;
    int64_t c7_coalesce_ms, c7_first_attempt_ms;
    window_limiter *c7_limit;
    int c7_calls;                 /* its limit without a throttle fault */
    int c7_over_status;
    long next_sale;
    /* Shopify */
    int64_t *level;               /* [shop * n_skus + sku] */
    leaky_bucket **gql;           /* per shop */
    spec_webhooks hooks;          /* mock-shopify's delivery settings */
    long next_order_id;
    long next_hook;
    /* orders */
    order *orders;
    size_t n_orders, cap_orders;
    demand *dem;
    demand_arrival next;
    int have_next;
    lg_record *records;
    size_t n_records, cap_records;
    /* the engine */
    call *calls;
    size_t n_calls, cap_calls;
    long *waiting[SHARE_CLASSES]; /* Cin7 calls waiting for a permit, FIFO per class */
    size_t n_wait[SHARE_CLASSES], cap_wait[SHARE_CLASSES], head_wait[SHARE_CLASSES];
    window_limiter *gate;
    pace pc;
    share sh;
    int64_t gate_at;              /* an EV_GATE is scheduled then (-1 none) */
    long *queue;                  /* orders whose event waits for a worker, FIFO */
    size_t n_queue, cap_queue, head_queue;
    worker *workers;
    size_t n_workers;
    size_t in_flight;             /* calls sent and not answered */
    route_location *locs;         /* syncd's locations, as route.h takes them */
    route_region *regions;
    int **region_locs;
    int poll;                     /* syncd's poll mode */
    int64_t poll_cutoff;          /* the last orders list reached Shopify then */
    /* the inventory thread */
    coalescer *marks;
    char **batch;
    int inv_busy, inv_wake;
    int stock_changed;
    int64_t full_read_at;         /* when the last full read started (-1 never) */
    int64_t *fig;                 /* cached Available [sku * n_wh + wh] */
    int reads_left;               /* pages of the running read (0: none runs) */
    int64_t read_started;
    int read_sent;                /* its first page has left */
    int64_t *fig_new;             /* the running read's figures */
    int read_requested;           /* a pass asked for a read while one ran */
    int read_owed;                /* a pass went on cached figures: mark all when one lands */
    int pass_waiting;             /* the pass waits for the read (until its timeout) */
    uint64_t pass_seq;            /* tells a pass's timeout from a later pass's */
    struct route_rec {
        size_t cell;
        long order;
        int group;
        int64_t qty, at;          /* at: when its sale was pushed (INT64_MAX: not yet) */
    } *routes;                    /* units routed; until a read started after the push */
    size_t n_routes, cap_routes;
    int pass_shop;
    int cas_tries;
    int64_t *read_level;          /* levels of the pass's shop as read */
    size_t n_pass;
    int *pass_sku;
    baseline *base;               /* [shop * n_skus + sku] */
    /* replenishment (replen.c) */
    int replen;                   /* enabled */
    coalescer *rmarks, *rsettle;
    int64_t *waiting_since;       /* per SKU: put off since (-1 not) */
    int64_t next_sweep;
    int replen_busy, replen_wake, supply_loaded;
    int64_t replen_wake_at;
    int64_t *draft_qty;           /* [supplier * n_skus + sku]: the open draft's line, 0 none */
    int *has_draft;               /* per supplier */
    long n_drafts;
    int *want_sup;                /* the check's lines: supplier, SKU, quantity */
    int *want_sku;
    int64_t *want_qty;
    size_t n_want, want_at;       /* lines, and the first of the supplier being written */
    run_model *m;                 /* the record every metric is computed from */
    /* the scenario's fault plans (lib/faults.h), as the mocks apply them */
    struct fault_plan *fp_cin7, *fp_shop;
    double *gql_size, *gql_leak;  /* per shop: the plan's bucket, for throttles */
    policy pol;                   /* syncd's retry policy (engine/core/policy.h) */
    rng r_pol;
    strmap *sku_index;            /* Cin7 SKU -> catalog index (the coalescers keep names) */
    measure_sample *samples;
    size_t n_samples, cap_samples;
    int quiet_samples;
    /* the ledger's sums (store.c's reservations) */
    int64_t *known;               /* [shop * n_skus + sku]: units of reserved orders */
    int64_t *reserved_units;      /* per SKU, all shops */
    struct pushes {
        int64_t *t, *cum;         /* push times, and units pushed up to each */
        size_t n, cap;
    } *pushed;                    /* per SKU */
    uint64_t n_events;            /* fired, for the speed figure */
} world;


/* ---- world.c: the journals, Cin7, Shopify ---- */
int64_t sw_c7_avail(const world *w, int k, int l);
void sw_c7_channel_sale(world *w, const demand_arrival *a, lg_record *rec);
void sw_c7_flush(world *w);
void sw_c7_note(world *w, int k, int l, model_cause cause, int64_t avail_before);
void sw_c7_sale_lines(world *w, order *o, int g);
int64_t sw_draw(world *w, rng *r, const sim_dist *d);
void sw_record_request(world *w, const call *c);
void sw_order_id(const order *o, char *buf, size_t n);
int64_t *sw_lvl(world *w, int shop, int k);
void sw_schedule(world *w, int kind, int64_t due, long ref, int64_t arg);
void sw_shop_checkout(world *w, const demand_arrival *a, lg_record *rec);
const char *sw_sku_name(const world *w, int k);

/* ---- engine.c: the model of syncd ---- */
void sw_call_arrive(world *w, long ci, int64_t back);
void sw_call_done(world *w, long ci);
void sw_enqueue_order(world *w, long oi);
void sw_gate_pump(world *w);
void sw_inv_start(world *w);
void sw_mark_all(world *w);
long sw_new_call(world *w, call_kind kind, sys to, int prio, long owner, int group);
void sw_resend(world *w, long ci);
void sw_retry_due(world *w, long ci, int lookup);
int64_t sw_pending_units(const world *w, int k, int64_t as_of);
void sw_poll_tick(world *w);
void sw_read_wait_over(world *w, uint64_t seq);
void sw_worker_step(world *w, size_t wi);

/* ---- replen.c: replenishment ---- */
void sw_replen_arrive(world *w, const call *c);
void sw_replen_call_done(world *w, long ci);
void sw_replen_call_failed(world *w, const call *c);
void sw_replen_mark(world *w, const lines *l);
void sw_replen_start(world *w);
void sw_replen_wake(world *w, int64_t at);

#endif
