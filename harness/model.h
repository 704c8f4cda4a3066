/*
 * What happened in one run, as plain C records: the facts every metric is
 * computed from, with no JSON and no journal text. Two producers fill it
 * through the builders below: the journal reader (ingest.h), from the mocks'
 * journals and final states after a real run, and the discrete-event
 * simulator (sim/, being written), as its events happen. measure_model
 * (measure.h) turns it into metrics, so both report the same figures the
 * same way.
 *
 * Conventions:
 * - Times are scenario ms (t = 0 is the start of demand; the drain ends at
 *   end). Times before 0 are allowed (start-up calls).
 * - SKUs are catalog indexes (sc->skus), shops are sc->shops indexes,
 *   locations are Cin7 locations: indexes below sc->n_warehouses are the
 *   scenario's warehouses (the locations the shops sell from), higher ones
 *   are other locations named through model_location. -1 means unknown,
 *   and so does any index out of range; records with an unknown SKU are
 *   dropped by the builders that need one.
 * - Each list keeps the order its builder was called in, which must be the
 *   order things happened (non-decreasing t within a list). Cin7 records
 *   (sales, stock, backorders, shipments) also carry seq, one counter over
 *   them all, so readers can interleave them exactly as they happened.
 * - Shopify's fulfillments, holds and notifications name orders the run
 *   placed (model.orders indexes); a producer that does not model them
 *   leaves statuses_known 0.
 * - The model owns everything in it; model_free releases it.
 */
#ifndef SURGE_MODEL_H
#define SURGE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "loadgen.h"
#include "scenario.h"
#include "strmap.h"

#define MODEL_MAX_LINES 16 /* lines kept per order (more are dropped) */
#define MODEL_ID_LEN 64    /* ids (orders, sales, purchases) longer are cut */

/* A line: units of a SKU. */
typedef struct {
    int sku;
    int64_t qty;
} model_line;

/* A checkout as mock-shopify decided it (not the load generator's view). */
typedef struct {
    int64_t t;
    int shop;
    int accepted;              /* 1 accepted (an order), 0 refused as sold out */
    size_t first_line, n_lines; /* its lines in model.lines (known SKUs only) */
} model_checkout;

/* A Shopify order the run placed (an accepted checkout). */
typedef struct {
    char id[MODEL_ID_LEN];       /* Shopify's order id, decimal */
    int shop;
    int64_t placed;              /* the checkout */
    int64_t paid;                /* first payment, -1 never */
    int64_t cancelled;           /* first cancellation, -1 never */
    int restock;                 /* that cancellation put the units back */
    int cancel_by_shopper;       /* that cancellation was the shopper's or the merchant's own,
                                  * not an API client's */
    int64_t paid_acked;          /* first 2xx delivery of orders/paid to the engine, -1 none */
    int64_t cancel_acked;        /* the same for orders/cancelled */
    int in_dlq;                  /* named by one of the engine's dead letters */
    int n_lines;
    int sku[MODEL_MAX_LINES];
    int64_t qty[MODEL_MAX_LINES];
    int64_t units;               /* Σ qty */
} model_order;

typedef enum { MODEL_SALE_CREATED, MODEL_SALE_AUTHORISED, MODEL_SALE_VOIDED } model_sale_kind;

/* A Cin7 sale's life: its header created, lines authorised (Cin7 holds the
 * units, allocated or backordered), voided. */
typedef struct {
    int64_t t;
    uint64_t seq;
    model_sale_kind kind;
    char sale[MODEL_ID_LEN];     /* Cin7's sale id, "" unknown */
    char ref[MODEL_ID_LEN];      /* CustomerReference: the Shopify order id for the engine's sales */
    int loc;
    int64_t units;               /* authorised: units of the lines authorised */
    int by_user;                 /* voided by a user in Cin7 (no application), not through the API */
} model_sale;

/* A Cin7 shipment: one fulfilment of a sale shipped (its Ship authorised),
 * with the units it took. */
typedef struct {
    int64_t t;                   /* the shipment's moment */
    uint64_t seq;
    char sale[MODEL_ID_LEN];
    char ref[MODEL_ID_LEN];      /* the sale's CustomerReference */
    int loc;
    int fulfilment;              /* FulfillmentNumber, 1-based */
    int complete;                /* no unit of the sale is left to ship */
    size_t first_line, n_lines;  /* in model.lines (known SKUs only) */
} model_shipment;

/* A Shopify fulfillment of one of the run's orders (model.orders index). */
typedef struct {
    int64_t t;
    int order;
    size_t first_line, n_lines;  /* in model.lines: the units it fulfilled */
} model_fulfillment;

/* A hold placed on, or the holds released from, a fulfillment order of one
 * of the run's orders. */
typedef struct {
    int64_t t;
    int order;
    int64_t fo;                  /* the fulfillment order's id */
    int release;                 /* 0: a hold placed; 1: its holds released */
    int out_of_stock;            /* a hold with reason INVENTORY_OUT_OF_STOCK */
} model_hold;

typedef enum {
    MODEL_NOTE_SHIPPING,         /* shipping confirmation */
    MODEL_NOTE_CANCELLED,        /* order cancelled */
    MODEL_NOTE_OTHER,
} model_note_kind;

/* A notification Shopify sent the customer of one of the run's orders. */
typedef struct {
    int64_t t;
    int order;
    model_note_kind kind;
} model_notification;

/* Why Cin7's stock of a SKU at a location changed. */
typedef enum {
    MODEL_CAUSE_NONE,            /* not said (seed figures and the like) */
    MODEL_CAUSE_SALE,            /* allocation of a sale (Shopify already counted it) */
    MODEL_CAUSE_CHANNEL_SALE,    /* another channel sold */
    MODEL_CAUSE_PURCHASE_RECEIVED,
    MODEL_CAUSE_ADJUSTMENT,      /* a stock take */
    MODEL_CAUSE_SALE_VOIDED,
    MODEL_CAUSE_OTHER,
} model_cause;

/* A location's figures for a SKU after a change. */
typedef struct {
    int64_t t;
    uint64_t seq;
    int sku, loc;
    model_cause cause;
    int64_t available;           /* on hand - allocated */
    int64_t position;            /* on hand + on order + in transit - allocated */
} model_stock;

/* Units of a sale line Cin7 backordered at its location, or filled later. */
typedef struct {
    int64_t t;
    uint64_t seq;
    int filled;                  /* 0: qty more backordered; 1: qty filled */
    char sale[MODEL_ID_LEN];
    char ref[MODEL_ID_LEN];
    int sku, loc;
    int64_t qty;
    int64_t still;               /* filled: units still backordered on the line, INT64_MIN unknown */
} model_backorder;

/* A sale of another channel (wholesale, retail) at Cin7. */
typedef struct {
    int64_t t;
    int sku;
    int64_t qty;
    int accepted;
} model_channel_sale;

typedef enum {
    MODEL_PO_CREATED,
    MODEL_PO_UPDATED,
    MODEL_PO_AUTHORISED,
    MODEL_PO_VOIDED,
    MODEL_PO_RECEIVED,
    MODEL_PO_OTHER,
} model_po_kind;

/* A purchase entry: created, changed, authorised, voided or received. */
typedef struct {
    int64_t t;
    model_po_kind kind;
    char id[MODEL_ID_LEN];
    char supplier[128];
    int draft;                   /* its status says DRAFT/ORDERING, or its order part DRAFT */
    size_t first_line, n_lines;  /* in model.lines: the lines (received: units received) */
} model_purchase;

/* Who set a Shopify level. */
typedef enum {
    MODEL_BY_ENGINE,             /* a level write through the API (set or adjust, REST or GraphQL) */
    MODEL_BY_SHOPPER,            /* checkout, cancellation, refund */
    MODEL_BY_SEED,
    MODEL_BY_OTHER,
} model_by;

/* A Shopify level after a change. */
typedef struct {
    int64_t t;
    int shop, sku;
    int64_t level;               /* the new available */
    model_by by;
} model_level;

typedef enum { MODEL_CIN7, MODEL_SHOPIFY } model_system;

/* An authenticated API call the engine made (the harness's are not). */
typedef struct {
    int64_t t;
    model_system system;
    int status;                  /* HTTP status, 0 no answer */
    int sale_write;              /* Cin7: POST sale or POST sale/order */
} model_request;

typedef struct {
    int64_t t;
    int64_t depth;               /* the engine's backlog */
} model_sample;

/* Product data fields as the model keeps them: the scenario's seven
 * (sc_field), and Cin7's weight unit, a field of its own there. */
#define MODEL_FIELD_WEIGHT_UNITS SC_N_FIELDS
#define MODEL_N_FIELDS (SC_N_FIELDS + 1)

/* A product data value of one side as its API writes it: text, numbers as
 * their JSON text, Shopify's weight as "VALUE UNIT"; NULL is none. A
 * change (product_updated: before and after) or, with final set, the
 * value after the drain (after only). */
typedef struct {
    int64_t t;
    int shop;                    /* -1: Cin7; else the Shopify shop */
    int sku;
    int field;                   /* sc_field, or MODEL_FIELD_WEIGHT_UNITS (Cin7's) */
    int final;
    int staff;                   /* a person's edit (no API client named): what the owner sets */
    char *before, *after;        /* owned */
} model_prodval;

typedef struct {
    const scenario *sc;          /* borrowed */
    int64_t end;                 /* scenario ms the run (drain included) ended */
    bounds_limits limits;        /* the APIs' limits, for the physical bounds */

    char **extra_locs;           /* names of locations beyond the warehouses */
    size_t n_extra_locs;

    model_line *lines;           /* line pool of checkouts and purchases */
    size_t n_lines, cap_lines;
    model_checkout *checkouts;
    size_t n_checkouts, cap_checkouts;
    model_order *orders;
    size_t n_orders, cap_orders;
    model_sale *sales;
    size_t n_sales, cap_sales;
    model_stock *stock;
    size_t n_stock, cap_stock;
    model_backorder *backorders;
    size_t n_backorders, cap_backorders;
    model_channel_sale *channel_sales;
    size_t n_channel_sales, cap_channel_sales;
    model_purchase *purchases;
    size_t n_purchases, cap_purchases;
    model_level *levels;
    size_t n_levels, cap_levels;
    model_request *requests;
    size_t n_requests, cap_requests;
    lg_record *arrivals;         /* the load generator's records, in arrival order */
    size_t n_arrivals, cap_arrivals;
    model_sample *samples;
    size_t n_samples, cap_samples;
    model_shipment *shipments;   /* Cin7 */
    size_t n_shipments, cap_shipments;
    model_fulfillment *fulfillments; /* Shopify, like the holds and notifications */
    size_t n_fulfillments, cap_fulfillments;
    model_hold *holds;
    size_t n_holds, cap_holds;
    model_notification *notifications;
    size_t n_notifications, cap_notifications;
    /* 1 when the model holds Shopify's side of order statuses (its
     * fulfillments, holds, notifications and who cancelled), as the
     * journal reader does; 0 when its producer does not model them (the
     * simulator), and the status metrics are not measured. */
    int statuses_known;
    /* Product data of both sides (changes in each mock's order, then the
     * final values); products_known is 1 when the model holds it (the
     * journal reader, for a scenario with an ownership section), 0 when
     * its producer does not model product data (the simulator) or the
     * scenario gives no field an owner: the product data metrics are then
     * not measured. */
    model_prodval *prodvals;
    size_t n_prodvals, cap_prodvals;
    int products_known;
    size_t n_dead_letters;       /* the engine's dead letters, whatever they name */
    int dead_letters_unknown;    /* a foreign engine's, which surge cannot read */

    /* Final states after the drain. */
    int64_t *initial, *received, *adjusted; /* Cin7 per SKU: units at the seed, received, adjusted */
    int64_t *final_available;    /* Cin7 per SKU x warehouse: [sku * n_warehouses + w] */
    int64_t *final_available_all; /* Cin7 per SKU, over every location */
    int64_t *final_level;        /* Shopify per SKU x shop: [sku * n_shops + s]; -1 not listed
                                  * (a shop whose levels add up below 0 counts as not listing it) */
    int64_t *final_shopify;      /* Shopify per SKU: every shop's levels added up */

    uint64_t next_seq;
    strmap *order_by_id;
} run_model;

/* A model of a run of sc (borrowed; must outlive the model) ending at end
 * (scenario ms), with the limits the APIs enforced. Caller frees. */
run_model *model_new(const scenario *sc, int64_t end, const bounds_limits *limits);
void model_free(run_model *m); /* accepts NULL */

/* The index of the Cin7 location name (a warehouse's, else an extra one,
 * added now); -1 for NULL. */
int model_location(run_model *m, const char *name);

/* A checkout decided at t. accepted: order_id is the order it made (one
 * order per id; a second accepted checkout of an id adds to its lines).
 * Lines with an unknown SKU (-1) are dropped. Returns the order (accepted)
 * or NULL. */
model_order *model_add_checkout(run_model *m, int64_t t, int shop, int accepted, const char *order_id,
                                const model_line *lines, size_t n_lines);
/* The order of that id, or NULL. */
model_order *model_order_get(const run_model *m, const char *order_id);
int model_order_index(const run_model *m, const char *order_id); /* -1 none */
/* Order events; an unknown order id is ignored; the first of each counts. */
void model_order_paid(run_model *m, int64_t t, const char *order_id);
void model_order_cancelled(run_model *m, int64_t t, const char *order_id, int restock,
                           int by_shopper);
/* A 2xx answer of the engine to a delivery of topic ("orders/paid",
 * "orders/cancelled"; others are ignored) about order_id. */
void model_order_acked(run_model *m, int64_t t, const char *order_id, const char *topic);
/* One of the engine's dead letters; order_id (may be NULL or "") the order it names. */
void model_add_dead_letter(run_model *m, const char *order_id);

void model_add_sale(run_model *m, int64_t t, model_sale_kind kind, const char *sale, const char *ref,
                    int loc, int64_t units);
/* A sale voided; by_user: by a user in Cin7, not through the API. */
void model_add_void(run_model *m, int64_t t, const char *sale, const char *ref, int loc, int by_user);
/* A Cin7 shipment (lines with an unknown SKU are dropped). */
void model_add_shipment(run_model *m, int64_t t, const char *sale, const char *ref, int loc,
                        int fulfilment, int complete, const model_line *lines, size_t n_lines);
/* Shopify's side of an order's status; records of an order the run did
 * not place are dropped, and so are lines with an unknown SKU. */
void model_add_fulfillment(run_model *m, int64_t t, const char *order_id, const model_line *lines,
                           size_t n_lines);
void model_add_hold(run_model *m, int64_t t, const char *order_id, int64_t fo, int release,
                    int out_of_stock);
void model_add_notification(run_model *m, int64_t t, const char *order_id, model_note_kind kind);
void model_add_stock(run_model *m, int64_t t, int sku, int loc, model_cause cause, int64_t available,
                     int64_t position);
void model_add_backorder(run_model *m, int64_t t, int filled, const char *sale, const char *ref,
                         int sku, int loc, int64_t qty, int64_t still);
void model_add_channel_sale(run_model *m, int64_t t, int sku, int64_t qty, int accepted);
void model_add_purchase(run_model *m, int64_t t, model_po_kind kind, const char *id,
                        const char *supplier, int draft, const model_line *lines, size_t n_lines);
void model_add_level(run_model *m, int64_t t, int shop, int sku, int64_t level, model_by by);
void model_add_request(run_model *m, int64_t t, model_system system, int status, int sale_write);
/* A load generator record (copied). */
void model_add_arrival(run_model *m, const lg_record *r);
void model_add_sample(run_model *m, int64_t t, int64_t depth);
/* A product data change at t (final 0) or a final value (final 1, before
 * unused) of a side (shop -1: Cin7); staff: the change was a person's (the
 * mock's journal names no API client), so on the owner's side it is the
 * owner's value. Values are copied, NULL is none. Records of an unknown
 * SKU, shop or field are dropped. */
void model_add_prodval(run_model *m, int64_t t, int shop, int sku, int field, int final,
                       int staff, const char *before, const char *after);

/* Final states; figures for an unknown SKU, shop or location are ignored.
 * Stock and levels add up (a location or shop listed twice counts twice). */
void model_set_product(run_model *m, int sku, int64_t initial, int64_t received, int64_t adjusted);
void model_add_final_stock(run_model *m, int sku, int loc, int64_t available);
void model_add_final_level(run_model *m, int shop, int sku, int64_t available);

#endif
