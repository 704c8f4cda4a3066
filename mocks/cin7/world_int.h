/*
 * The inside of mock-cin7's world, shared by the files that make it up:
 * world.c (the lock, the thread, building and seeding, queries), stock.c
 * (lots in bins and batches, allocation, other channels, stock takes),
 * sales.c (quotes, orders, the warehouse floor, invoices), purchases.c
 * (orders, receipts, supplier invoices), render.c (the API's JSON shapes and
 * the ground truth) and hooks.c (webhook subscriptions and deliveries).
 * Nothing outside them includes this header. Every function declared here
 * expects the world's lock to be held unless it says otherwise. Documents
 * refer to each other by index into the world's arrays, never by pointer,
 * because the arrays grow.
 */
#ifndef SURGE_CIN7_WORLD_INT_H
#define SURGE_CIN7_WORLD_INT_H

#include "world.h"

#include "bucket.h"
#include "deliver.h"
#include "mem.h"
#include "rng.h"
#include "sbuf.h"
#include "evheap.h"
#include "strmap.h"

#include <pthread.h>

#define C7_ID_LEN 37 /* a GUID and its NUL */

/* One lot: units of a product at a location in one bin and of one batch.
 * Lots are only ever added, so an index into a cell's lots stays valid. */

/* What a timetable event (evheap.h) of the warehouse does. */
typedef enum {
    C7EV_PURCHASE_STEP, /* ref: purchase index; arg: what happens (purchases.c) */
    C7EV_SALE_STEP,     /* ref: sale index; arg: what happens (sales.c) */
    C7EV_FLUSH_STOCK,   /* buffered stock changes leave as webhooks */
} c7ev_kind;

typedef struct {
    char *bin, *batch;  /* NULL: none */
    int64_t expiry_ms;  /* epoch ms of the batch's expiry, or -1 */
    qty4 on_hand, allocated;
    uint64_t order;     /* creation order, the last tie-break of allocation */
} c7lot;

/* A product at a location: its lots and the location-wide figures. */
typedef struct {
    c7lot *lots;
    size_t n_lots, cap_lots;
    qty4 on_order, in_transit;
    qty4 initial;  /* on hand put there by the config and seeds */
    qty4 received; /* units purchases brought in */
    qty4 adjusted; /* net units of /_mock/adjust stock takes */
    qty4 assembled; /* units auto-assembly made here from components (sales.c) */
    qty4 consumed;  /* units of this component auto-assembly took here */
    int dirty;     /* Available changed since the last stock webhook */
} c7cell;

/* A cell's totals over its lots. */
typedef struct {
    qty4 on_hand, allocated, available;
} c7sum;

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
    qty4 cost;          /* AverageCost (read-only in the API) */
    qty4 supplier_cost; /* the supplier's Cost, writable through PUT product */
    qty4 tiers[C7_PRICE_TIERS]; /* PriceTier1 (the price) ... PriceTier10 */
    char *barcode;      /* NULL: none */
    qty4 weight;
    char *weight_units; /* oz, mg, kg, lb or g */
    int64_t min_before_reorder, reorder_qty;
    int64_t modified_ms;
    c7cell *cells; /* one per location */
    /* The assembly bill of materials: component products and the units one
     * of this product takes of each; auto_assembly: assembled from them at
     * the sale's location when a sale is authorised (sales.c). */
    long *bom;
    qty4 *bom_qty;
    size_t n_bom;
    int auto_assembly;
} c7prod;

typedef struct {
    char id[C7_ID_LEN];
    char *name;
    int64_t modified_ms;
} c7cust;

typedef struct {
    char id[C7_ID_LEN];
    char *name;
    qty4 percent;
    int for_sale, for_purchase, active;
} c7tax;

/* Statuses of a document's parts (quote, order, pick, pack, ship, invoice,
 * stock received), as Cin7 spells them; names in c7_task_names. */
enum { C7_NA, C7_DRAFT, C7_AUTH, C7_VOIDED, C7_PAID };
extern const char *const c7_task_names[];

/* Units of one line held in one lot of the document's location. */
typedef struct {
    size_t lot;
    qty4 qty;
} c7hold;

typedef struct {
    long product;
    char *name, *tax_rule, *comment;
    qty4 qty, price, discount, tax, total;
    /* sales: */
    c7hold *holds;     /* allocated, not yet picked */
    size_t n_holds;
    qty4 allocated;    /* the sum of holds */
    qty4 backorder;    /* not on hand when authorised, still waiting */
    qty4 picked;       /* taken out of on hand (the fulfilments hold where from) */
} c7line;

typedef struct {
    c7line *lines;
    size_t n;
    char *memo;
} c7section;

enum { C7_SIMPLE, C7_ADVANCED };

/* One order line's part of a fulfilment. */
typedef struct {
    qty4 qty;       /* units of the line this fulfilment takes */
    c7hold *picks;  /* where its picked units came from (bins, batches) */
    size_t n_picks;
} c7fline;

/* One fulfilment of a sale (the reference's Sale Fulfilment Model): a pick,
 * a pack and a shipment of some of its units. A Simple sale has one, for
 * all its units; a sale fulfilled in parts (sales.split_share,
 * sales.ship_allocated) is Advanced and has one per part (sales.c). */
typedef struct {
    char task_id[C7_ID_LEN];
    int pick, pack, ship; /* C7_NA ... */
    c7fline *lines;       /* one per order line once planned (its pick starts), else NULL */
    int split_first;      /* took the first half of a split sale: a second follows */
    char tracking[32];    /* "" until shipped with a tracking number */
    int64_t shipped_ms;   /* sim ms, -1 unset */
} c7ful;

typedef struct {
    char id[C7_ID_LEN];
    char task_id[C7_ID_LEN]; /* fulfilment 1's TaskID, drawn when the sale is made */
    char number[16];         /* SO-00001 */
    long customer;
    char *customer_reference, *external_id, *note, *client;
    cJSON *shipping_address; /* owned copy, or NULL */
    long location;
    int type, skip_quote, voided;
    int quote, order, invoice; /* C7_NA ... */
    c7section quote_lines, order_lines;
    c7ful *fuls;    /* fulfilments, FulfillmentNumber order; the first made when authorised */
    size_t n_fuls;
    int split;      /* drawn: staff fulfil it in two parts (sales.split_share) */
    int pick_due;   /* a pick of a fulfilment not yet planned is in the timetable */
    char invoice_number[16]; /* INV-00001 once the invoice is authorised, else "" */
    /* shipped_ms: when its last unit shipped. Sim ms, -1 unset. */
    int64_t created_ms, updated_ms, authorised_ms, shipped_ms, invoiced_ms;
    int64_t ship_by_ms;                                         /* epoch ms, or -1 */
} c7sale;

enum { C7_STOCK_APPROACH, C7_INVOICE_APPROACH };

typedef struct {
    char id[C7_ID_LEN];
    char number[16]; /* PO-00001 */
    long supplier, location;
    char *terms, *note, *client;
    int advanced, approach, voided;
    int order, received, invoice; /* C7_NA ... */
    c7section order_lines;
    int64_t required_by_ms; /* epoch ms, or -1 */
    int64_t created_ms, updated_ms, authorised_ms, due_ms, received_ms, invoiced_ms; /* -1 unset */
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
    qty4 qty, available_before;
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
    rng ids;    /* GUIDs and tracking numbers */
    char tenant[C7_ID_LEN]; /* the account's TenantID in webhooks */
    uint64_t next_lot;

    c7app **apps;
    size_t n_apps;

    c7tax *taxes; /* from the settings */
    size_t n_taxes;

    c7loc *locs;
    size_t n_locs, cap_locs;
    strmap *loc_by_name, *loc_by_id;

    c7sup *sups;
    size_t n_sups, cap_sups;
    strmap *sup_by_name, *sup_by_id;

    c7prod *prods;
    size_t n_prods, cap_prods;
    strmap *prod_by_sku, *prod_by_id;

    c7cust *custs;
    size_t n_custs, cap_custs;
    strmap *cust_by_name, *cust_by_id;

    c7sale *sales;
    size_t n_sales, cap_sales;
    size_t n_sale_invoices; /* invoices authorised: the next INV- number */
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

    evheap sched;
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
/* Replaces *dst with a copy of s (or NULL). */
void c7w_set_str(char **dst, const char *s);
/* Fails r with status and a message for Cin7's error shape. */
void c7w_fail(c7result *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answers 200 with v, which is consumed. */
void c7w_reply(c7result *r, cJSON *v);
/* Schedules an event of the world's timetable and wakes its thread. */
void c7w_schedule(c7world *w, c7ev_kind kind, int64_t due, long ref, int arg);
/* Lookups: an index, or -1. */
long c7w_location(const c7world *w, const char *name_or_id);
long c7w_product(const c7world *w, const char *sku, const char *id);
/* A tax rule by name (any case), or NULL. */
const c7tax *c7w_tax(const c7world *w, const char *name);
/* Resolves every line of an order section (product, tax rule for sales or
 * purchases) before anything changes; prods gets one product index per
 * line (malloc'd, caller frees). Returns 0, or -1 after failing r. */
int c7w_resolve_lines(const c7world *w, const c7order_in *o, int sale, long **prods, c7result *r);
/* Replaces sec with the lines of o, resolved to prods. */
void c7w_set_section(const c7world *w, c7section *sec, const c7order_in *o, const long *prods);
/* Case-insensitive substring test; a NULL haystack never matches. */
int c7w_contains(const char *hay, const char *needle);
/* Paged lists: {"Total":N,"Page":P,name:[...]}. */
cJSON *c7w_list_start(cJSON **root, const char *name, const c7query *q);
int c7w_on_page(const c7query *q, int64_t *total);
void c7w_list_end(cJSON *root, int64_t total, c7result *out);
/* A journal entry whose fields are an object built by the caller. */
void c7w_journal(c7world *w, const char *kind, cJSON *fields);

/* ---- stock.c */
c7sum c7stock_sum(const c7cell *c);
/* The lot (bin, batch) of a cell, made when absent (expiry is set on a new
 * lot, or on one that had none). */
size_t c7stock_lot(c7world *w, c7cell *c, const char *bin, const char *batch, int64_t expiry_ms);
/* The figures of a cell before a change, for c7stock_note. */
typedef struct {
    c7sum sum;
    qty4 on_order, in_transit;
} c7before;
c7before c7stock_before(const c7cell *c);
/* Journals the new figures of (p, l) when they differ from before, and
 * marks the cell for the next stock webhook when Available moved. */
void c7stock_note(c7world *w, long p, long l, const c7before *before, const char *cause,
                  const char *ref);
/* Holds up to want units of (p, l) in its lots (earliest expiry first, then
 * lots without one, then the order lots were made), adding holds to *holds;
 * returns the units held. */
qty4 c7stock_hold(c7world *w, long p, long l, qty4 want, c7hold **holds, size_t *n_holds);
/* Takes up to qty of p's Available units at l out of OnHand, from the lots
 * in allocation order, and notes the change with cause and ref. */
void c7stock_take_noted(c7world *w, long p, long l, qty4 qty, const char *cause, const char *ref);
/* Whole units of auto-assembled product p its components at location l
 * make now (as a qty4; 0 for any other product). */
qty4 c7stock_makeable(const c7world *w, long p, long l);
/* Releases holds (a voided sale). */
void c7stock_release(c7world *w, long p, long l, c7hold *holds, size_t n_holds);
/* Takes the units of holds out of on hand (picking). */
void c7stock_take_held(c7world *w, long p, long l, const c7hold *holds, size_t n_holds);
/* Units that arrive at (p, l) into its lot without bin or batch. */
void c7stock_receive(c7world *w, long p, long l, qty4 qty);
/* The product's availability rows at location l, appended as JSON objects
 * separated by commas (first: no comma before the first); a cell with no
 * stock shows one row. thin: the webhook's row shape. Returns the rows. */
size_t c7stock_rows(const c7world *w, long p, long l, sbuf *b, int thin, int first);
void c7stock_free_cell(c7cell *c);

/* ---- sales.c */
/* The sale's Status as the reference's "Available Sale Statuses" derive it. */
const char *c7sale_status(const c7sale *s);
/* Its Combined... statuses and FulFilmentStatus. */
typedef struct {
    const char *pick, *pack, *ship, *invoice, *payment, *fulfilment;
} c7combined;
c7combined c7sale_combined(const c7sale *s);
/* A fulfilment's FulFilmentStatus. */
const char *c7sale_ful_status(const c7sale *s, const c7ful *f);
/* The units a fulfilment takes (0 before it is planned). */
qty4 c7sale_ful_units(const c7sale *s, const c7ful *f);
/* The tracking number of the sale's latest shipment with one, or "". */
const char *c7sale_tracking(const c7sale *s);
/* Stock arrived at (p, l): the oldest backorders there take it first. */
void c7sale_fill_backorders(c7world *w, long p, long l);
/* A C7EV_SALE_STEP of the timetable. */
void c7sale_step(c7world *w, long si, int step);
void c7sale_free(c7sale *s);
void c7section_free(c7section *sec);

/* ---- purchases.c */
const char *c7purchase_status(const c7purchase *p);
/* A C7EV_PURCHASE_STEP of the timetable. */
void c7purchase_step(c7world *w, long pi, int step);
void c7purchase_free(c7purchase *p);

/* ---- render.c: API shapes (cJSON trees the caller frees) */
/* Adds v under key, or null when v is NULL. */
void c7render_str_or_null(cJSON *o, const char *key, const char *v);
/* Adds v under key, or "" when v is NULL (Cin7 answers empty text as ""). */
void c7render_str_or_empty(cJSON *o, const char *key, const char *v);
/* A simulated instant under key as Cin7's date text, or null when < 0. */
void c7render_date(const c7world *w, cJSON *o, const char *key, int64_t sim_ms);
cJSON *c7render_sale(const c7world *w, const c7sale *s);
cJSON *c7render_sale_section(const c7world *w, const c7sale *s, int quote);
cJSON *c7render_sale_row(const c7world *w, const c7sale *s);
cJSON *c7render_purchase(const c7world *w, const c7purchase *p);
cJSON *c7render_purchase_order(const c7world *w, const c7purchase *p);
cJSON *c7render_purchase_row(const c7world *w, const c7purchase *p);
cJSON *c7render_purchase_stock(const c7world *w, const c7purchase *p);
/* A product as GET product gives it; the flags: IncludeSuppliers,
 * IncludeReorderLevels, IncludeBOM. */
cJSON *c7render_product(const c7world *w, long p, int suppliers, int reorder_levels, int bom);
cJSON *c7render_supplier(const c7world *w, long s);
cJSON *c7render_location(const c7world *w, long l, int is_default);
cJSON *c7render_customer(const c7world *w, long c);
cJSON *c7render_tax(const c7tax *t);
cJSON *c7render_hook(const c7sub *s);
cJSON *c7render_state(const c7world *w);
/* A purchase as the journal and the ground truth name it (id, number,
 * supplier, location, status, order status, type); the caller adds the rest. */
cJSON *c7render_purchase_truth(const c7world *w, const c7purchase *p);
/* Lines for the journal and the state: sku, qty, price, and for sales
 * allocated, backorder, picked. */
cJSON *c7render_journal_lines(const c7world *w, const c7line *lines, size_t n, int sale);
/* A fulfilment's units per order line, [{sku, qty}] (lines it takes none
 * of left out), for the journal and the state. */
cJSON *c7render_ful_lines(const c7world *w, const c7sale *s, const c7ful *f);

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
/* Live subscriptions of type, but except (or -1). */
int64_t c7hooks_of_type(const c7world *w, const char *type, long except);
/* The thin notifications Cin7 sends for a sale or a purchase event. */
void c7hooks_sale_event(c7world *w, const char *type, const c7sale *s);
/* Sale/ShipmentAuthorised for one fulfilment (SaleTaskID: its TaskID). */
void c7hooks_sale_shipped(c7world *w, const c7sale *s, const c7ful *f);
void c7hooks_purchase_event(c7world *w, const char *type, const c7purchase *p);

#endif
