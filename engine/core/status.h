/*
 * Order status back to Shopify, as pure functions: what a Cin7 sale's state
 * means for the Shopify order it was pushed from. Cin7 has no SHIPPED sale
 * status: shipping shows in CombinedShippingStatus and FulFilmentStatus (an
 * Advanced sale reads Status ORDERED while it ships; a Simple one goes on
 * to INVOICED and COMPLETED whether or not it shipped), so those two decide,
 * never Status. A sale whose shipment is authorised becomes a Shopify
 * fulfillment of the units it shipped, with its tracking number; everything
 * before (ordered, backordered, picking, packing, a shipment still DRAFT)
 * and a voided sale change nothing at Shopify, because Shopify's
 * fulfillments have no picked or packed state and a voided sale ships
 * nothing. An order split across warehouses has one sale per warehouse, so
 * each sale that ships is a partial fulfillment until the last one.
 *
 * The table (docs/syncd.md, "Fulfillments", shows the same):
 *
 *   Cin7 sale                                           state        Shopify
 *   Status VOIDED                                       voided       nothing
 *   CombinedShippingStatus SHIPPED or                   shipped      fulfil the shipped units,
 *     FulFilmentStatus FULFILLED                                     with the tracking number
 *   CombinedShippingStatus PARTIALLY SHIPPED or         shipped      the same (the units shipped
 *     FulFilmentStatus PARTIALLY FULFILLED                           so far)
 *   anything else, by Status: DRAFT, ESTIMATING,        not_ordered, nothing
 *     ESTIMATED, ORDERING; ORDERED; BACKORDERED;        ordered,
 *     PICKING, PICKED; PACKING, PACKED; SHIPPING;       backordered,
 *     INVOICING, INVOICED, COMPLETED, CREDITED          picked, packed,
 *                                                       shipping, invoiced,
 *                                                       credited
 *   anything else                                       unknown      nothing (logged)
 *
 * Statuses compare without regard to case.
 */
#ifndef SURGE_STATUS_H
#define SURGE_STATUS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    STATUS_NONE,   /* nothing to tell Shopify */
    STATUS_FULFIL, /* fulfil the shipped units, with the tracking number when there is one */
} status_kind;

/* What a sale says of itself (GET sale, or a saleList row). */
typedef struct {
    const char *status;      /* Status */
    const char *shipping;    /* CombinedShippingStatus */
    const char *fulfilment;  /* FulFilmentStatus */
} status_sale;

typedef struct {
    const char *sku;      /* Cin7 SKU */
    int64_t quantity;     /* units on the line (or shipped, for a fulfilment's line) */
    int64_t backordered;  /* of them, not allocated: they did not ship */
} status_line;

typedef struct {
    status_kind kind;
    const char *state;    /* the table's state name (static) */
    const char *note;     /* one sentence for the log and the audit trail (static) */
} status_action;

/* Maps a sale. For STATUS_FULFIL, ship[i] (when ship is not NULL) gets the
 * units of lines[i] that shipped: quantity less backordered, never below
 * 0; for STATUS_NONE every ship[i] is 0. */
status_action status_map(const status_sale *sale, const status_line *lines, size_t n,
                         int64_t *ship);

/* One line item of the Shopify order: its SKU mapped to Cin7 (NULL when
 * unmapped) and the units Shopify still lets fulfil. */
typedef struct {
    const char *sku;
    int64_t fulfillable;
} status_item;

typedef struct {
    int64_t units;        /* units given to line items */
    int64_t unplaced;     /* shipped units no line item could take (already fulfilled, unmapped) */
    int partial;          /* some unit of the order stays unfulfilled after this fulfillment */
} status_fit;

/* Spreads the shipped units of each sale line (ship[i] of lines[i]) over
 * the order's line items of the same SKU, in order, each taking at most its
 * fulfillable units; out[k] gets item k's units (0 for most). */
status_fit status_allocate(const status_line *lines, const int64_t *ship, size_t n,
                           const status_item *items, size_t n_items, int64_t *out);

/* What a sale voided in Cin7 asks of its Shopify order. A void syncd made
 * itself (a move's, or a cancellation Shopify sent) asks nothing. A user's
 * void in Cin7 of the order's only sale means the order will never ship:
 * the order is cancelled at Shopify, its units restocked and its customer
 * told. Shopify cannot cancel part of an order, so while another sale of
 * the order stands (a split order, a moved sale), or when syncd does not
 * know the order's sales, it is reported for a person to settle. */
typedef enum {
    VOID_NOTHING,      /* syncd's own void, or the order is cancelled already */
    VOID_CANCEL_ORDER, /* orderCancel: restock, notify the customer */
    VOID_REPORT,       /* alert: the order needs a person */
} void_kind;

typedef struct {
    void_kind kind;
    const char *note; /* one sentence for the log and the audit trail (static) */
} void_action;

/* own: syncd voided the sale itself; cancelled: Shopify has the order
 * cancelled already; known: syncd knows the order's sales (its routing
 * plan); live: sales of the order still standing in Cin7. */
void_action status_void(int own, int cancelled, int known, size_t live);

#endif
