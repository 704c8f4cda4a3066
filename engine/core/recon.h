/*
 * Reconciliation's decisions, as pure functions: which of a shop's orders
 * are its business, which purchases count as received, and where a
 * received purchase does not show in Cin7's stock.
 *
 * Orders: a paid order that was not cancelled is reconciliation's
 * business; one syncd never saw (no routing plan, no reservation) was
 * missed and is queued as if its webhook had come. Others were refunded,
 * voided or cancelled, and syncd has nothing to push for them.
 *
 * Purchases: received means StockReceivedStatus AUTHORISED, whatever the
 * status went on to (INVOICED, COMPLETED). The check of a received
 * purchase sums its lines' units per SKU and location (a line without a
 * location is at the purchase's; one without a SKU, or without any
 * location, is left out) exactly, in ten-thousandths (c7qty.h), then
 * rounds down to whole units as Cin7's OnHand is: 2.5 received shows as 2
 * when nothing else is there. The anomaly is OnHand of the SKU at that
 * location (0 when Cin7 lists none) below the units received there. That
 * is all it checks: it catches a receipt recorded without its stock while
 * the shelf has not refilled from elsewhere, cannot tell a receipt whose
 * units were then sold (a false alarm), and misses a receipt that added
 * nothing when OnHand was already higher (docs/syncd.md, "Reconciliation").
 */
#ifndef SURGE_RECON_H
#define SURGE_RECON_H

#include <stddef.h>
#include <stdint.h>

/* Whether an order of this financial_status (NULL: absent), cancelled or
 * not, is reconciliation's business: paid and not cancelled. */
int recon_order_due(const char *financial_status, int cancelled);

/* Whether a purchase whose StockReceivedStatus is status (NULL: absent)
 * has received its stock. */
int recon_received(const char *stock_received_status);

/* One line of a received purchase. */
typedef struct {
    const char *sku;       /* NULL: left out */
    const char *location;  /* NULL: the purchase's */
    int64_t qty;           /* ten-thousandths (c7qty.h) */
} recon_line;

/* Cin7's OnHand of a SKU at a location (whole units). */
typedef struct {
    const char *sku, *location;
    int64_t on_hand;
} recon_stock;

typedef struct {
    const char *sku, *location;  /* borrowed from the lines (or the purchase's location) */
    int64_t received;            /* whole units received there */
    int64_t on_hand;             /* what Cin7 shows there */
} recon_anomaly;

/* Checks the n lines of a purchase at location (NULL: none) against the
 * n_stock rows of Cin7's stock (the first row of a SKU and location
 * counts). Fills out (room for n) with the anomalies, in the order each SKU
 * and location first appears in the lines; returns how many. */
size_t recon_purchase(const recon_line *lines, size_t n, const char *location,
                      const recon_stock *stock, size_t n_stock, recon_anomaly *out);

#endif
