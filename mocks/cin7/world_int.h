/*
 * The inside of mock-cin7's world, shared by the files that make it up:
 * world.c (the lock, the physics, the operations), render.c (the API's JSON
 * shapes and the ground-truth state) and hooks.c (webhook subscriptions and
 * deliveries). Nothing outside those three includes this header. Every
 * function declared here expects the world's lock to be held unless it says
 * otherwise. Documents refer to each other by index into the world's arrays,
 * never by pointer, because the arrays grow.
 */
#ifndef SURGE_CIN7_WORLD_INT_H
#define SURGE_CIN7_WORLD_INT_H

#include "world.h"

#include "bucket.h"
#include "deliver.h"
#include "mem.h"
#include "rng.h"
#include "sbuf.h"
#include "sched.h"
#include "strmap.h"

#include <pthread.h>

#define C7_ID_LEN 37 /* a GUID and its NUL */

typedef struct {
    int64_t on_hand, allocated, on_order, in_transit;
    int64_t initial;  /* on hand put there by the config and seeds */
    int64_t received; /* units purchases brought in */
    int64_t adjusted; /* net units of /_mock/adjust stock takes */
    int dirty;        /* Available changed since the last stock webhook */
} c7cell;

typedef struct {
    char id[C7_ID_LEN];
    char *name;
} c7loc;

typedef struct {
    char id[C7_ID_LEN];
    char *name, *currency, *payment_term;
    int64_t lead_ms, moq;
    long *locs; /* locations served; none means all */
    size_t n_locs;
    int64_t modified_ms;
} c7sup;

typedef struct {
    char id[C7_ID_LEN];
    char *sku, *name, *status;
    long supplier; /* -1: none */
    double cost, price;
    int64_t min_before_reorder, reorder_qty;
    int64_t modified_ms;
    c7cell *cells; /* one per location */
} c7prod;

/* Order statuses of sales and purchases, as Cin7 spells them. */
enum { C7_OS_NONE, C7_OS_DRAFT, C7_OS_AUTHORISED, C7_OS_VOIDED };
extern const char *const c7_order_status_names[];

/* A sale's stage; names in c7_sale_stage_names. */
enum {
    C7_SALE_ORDERING,    /* order not authorised yet (DRAFT or no lines) */
    C7_SALE_ORDERED,
    C7_SALE_BACKORDERED,
    C7_SALE_PICKED,      /* stock left the shelf */
    C7_SALE_PACKED,
    C7_SALE_SHIPPED,     /* tracking number given */
    C7_SALE_VOIDED,
};
extern const char *const c7_sale_stage_names[];

/* A purchase's stage; names in c7_purchase_stage_names. */
enum {
    C7_PUR_DRAFT,     /* no lines yet */
    C7_PUR_ORDERING,  /* order DRAFT */
    C7_PUR_ORDERED,   /* order AUTHORISED: on order, arriving at due_ms */
    C7_PUR_RECEIVED,
    C7_PUR_VOIDED,
};
extern const char *const c7_purchase_stage_names[];

typedef struct {
    long product;
    int64_t qty;
    double price, discount, tax;
    char *name, *tax_rule, *comment; /* as the line was posted */
    int64_t allocated; /* sales: held at the sale's location */
    int64_t backorder; /* sales: not on hand when authorised, still waiting */
    int64_t picked;    /* sales: taken out of on hand */
} c7line;

typedef struct {
    char id[C7_ID_LEN];
    char *name;
} c7cust;

typedef struct {
    char id[C7_ID_LEN];
    char number[16]; /* SO-00001 */
    char fulfil_task[C7_ID_LEN]; /* the TaskID of its one fulfilment */
    char *customer, *customer_id, *customer_reference, *external_id, *source_channel;
    char *note, *memo, *quote_memo, *client;
    cJSON *shipping_address; /* owned copy, or NULL */
    long location;
    int skip_quote, simple, auto_mode;
    int quote_status; /* C7_OS_*: NONE is NOT AVAILABLE */
    c7line *quote_lines;
    size_t n_quote_lines;
    int order_status, stage;
    char tracking[32];
    int64_t created_ms, updated_ms, authorised_ms, ship_by_ms; /* sim ms; ship_by epoch or -1 */
    c7line *lines;
    size_t n_lines;
} c7sale;

/* Cin7's sale Status for s (world.c). */
const char *c7_sale_status(const c7sale *s);

typedef struct {
    char id[C7_ID_LEN];
    char number[16]; /* PO-00001 */
    long supplier, location;
    int advanced;   /* created through advanced-purchase */
    const char *approach; /* "INVOICE" or "STOCK" (static) */
    char *terms, *note, *memo, *client;
    int order_status, stage;
    int64_t required_by_ms; /* epoch ms, or -1 */
    int64_t created_ms, updated_ms, authorised_ms, due_ms, received_ms; /* sim ms, -1 unset */
    c7line *lines;
    size_t n_lines;
} c7purchase;

typedef struct {
    char id[C7_ID_LEN];
    int64_t num; /* the deliverer's subscription number */
    const char *type; /* one of c7config_hook_types */
    char *name, *url, *auth, *username, *password, *token;
    char **hkeys, **hvals;
    size_t n_headers;
    int active, deleted;
    int64_t created_ms, deactivated_ms;
    uint64_t delivered, failed_attempts, abandoned;
} c7sub;

typedef struct {
    int64_t t;
    long product, location;
    int64_t qty, available_before;
    char *channel;
    int accepted;
} c7chsale;

typedef struct {
    char *name, *key;
    int64_t cpm; /* 0: the account's rate */
    window_limiter *lim; /* NULL while unlimited and not throttled */
    int lim_limit;       /* the limit lim is set to */
} c7app;

struct c7world {
    mockd *m;
    sclock *clk;
    journal *jr;
    counters *ctr;

    pthread_mutex_t lock;
    pthread_cond_t cv; /* the thread's wake-up: new events, stop */
    pthread_t thread;
    int started; /* the thread runs */
    int stopping;

    c7cfg *cfg; /* the settings (its world part is not used after start) */
    char (*tax_ids)[C7_ID_LEN]; /* one GUID per cfg->taxes */
    char tenant[C7_ID_LEN];     /* the account's TenantID, in shipment events */
    rng ids;    /* GUIDs and tracking numbers */

    c7app **apps;
    size_t n_apps;

    c7loc *locs;
    size_t n_locs, cap_locs;
    strmap *loc_by_name, *loc_by_id;

    c7sup *sups;
    size_t n_sups, cap_sups;
    strmap *sup_by_name, *sup_by_id;

    c7prod *prods;
    size_t n_prods, cap_prods;
    strmap *prod_by_sku, *prod_by_id;

    c7cust *custs; /* customers, made on first mention of a name */
    size_t n_custs, cap_custs;
    strmap *cust_by_name, *cust_by_id;

    c7sale *sales;
    size_t n_sales, cap_sales;
    strmap *sale_by_id;
    long *backordered; /* sales waiting for stock, oldest first */
    size_t n_backordered, cap_backordered;

    c7purchase *purs;
    size_t n_purs, cap_purs;
    strmap *pur_by_id;

    c7sub *subs;
    size_t n_subs, cap_subs;
    strmap *sub_by_id;
    int64_t next_sub_num;

    c7chsale *chs;
    size_t n_chs, cap_chs;

    c7sched sched;
    int flush_pending; /* a C7EV_FLUSH_STOCK is in the timetable */
    deliverer *dl;
};

/* ---- world.c */
int64_t c7w_now(const c7world *w);
/* Cin7's date text for a simulated instant: "2026-11-23T22:10:29.123". */
void c7w_date(const c7world *w, int64_t sim_ms, char *buf, size_t n);
/* Cin7's date text for a unix epoch instant. */
void c7w_epoch_date(int64_t epoch_ms, char *buf, size_t n);
/* A fresh GUID from the world's seeded stream. */
void c7w_guid(c7world *w, char out[C7_ID_LEN]);
/* The id a config, seed or request gave (checked already), else a fresh GUID. */
void c7w_set_id(c7world *w, char out[C7_ID_LEN], const char *given);
/* A malloc'd copy of s, or NULL for NULL. */
char *c7w_dup_or_null(const char *s);
int64_t c7w_available(const c7cell *c);

/* ---- render.c: API shapes (cJSON trees the caller frees) */
/* Adds v under key, or null when v is NULL. */
void c7render_str_or_null(cJSON *o, const char *key, const char *v);
cJSON *c7render_sale(const c7world *w, const c7sale *s);
cJSON *c7render_sale_order(const c7world *w, const c7sale *s);
cJSON *c7render_sale_row(const c7world *w, const c7sale *s);
cJSON *c7render_purchase(const c7world *w, const c7purchase *p);
cJSON *c7render_purchase_order(const c7world *w, const c7purchase *p);
cJSON *c7render_purchase_row(const c7world *w, const c7purchase *p);
cJSON *c7render_product(const c7world *w, long p, int suppliers, int reorder_levels);
cJSON *c7render_supplier(const c7world *w, long s);
cJSON *c7render_location(const c7world *w, long l, int is_default);
cJSON *c7render_hook(const c7sub *s);
cJSON *c7render_tax(const c7world *w, long t);
cJSON *c7render_sale_quote(const c7world *w, const c7sale *s);
/* One ProductAvailability row, appended as JSON text (the hot path). */
void c7render_availability_row(const c7world *w, long p, long l, sbuf *b);
cJSON *c7render_state(const c7world *w);
/* A purchase as the journal and the ground truth name it (id, number,
 * supplier, location, status, order status); the caller adds the rest. */
cJSON *c7render_purchase_truth(const c7world *w, const c7purchase *p);
/* The sale or purchase with lines for the journal: sku, qty, ... */
cJSON *c7render_journal_lines(const c7world *w, const c7line *lines, size_t n, int sale);

/* ---- hooks.c */
void c7hooks_start(c7world *w);    /* without the lock: starts the senders */
void c7hooks_stop(c7world *w);     /* without the lock: joins them */
/* Queues a delivery of type to every active subscription; body is JSON text. */
void c7hooks_emit(c7world *w, const char *type, const char *body);
/* Sends the stock rows marked dirty as Stock/AvailableStockLevelChanged. */
void c7hooks_flush_stock(c7world *w);
/* Adds a subscription; returns its index. Strings are copied. */
long c7hooks_add(c7world *w, const c7hook_in *in);
void c7hooks_free_sub(c7sub *s);
/* Replaces s's custom headers with copies of in's. */
void c7hooks_set_headers(c7sub *s, const c7hook_in *in);
/* Payloads of the sale and purchase events of type (malloc'd JSON). */
char *c7hooks_sale_payload(const c7world *w, const c7sale *s, const char *type);
char *c7hooks_purchase_payload(const c7world *w, const c7purchase *p, const char *type);

#endif
