/*
 * Fulfilling a shipment through Shopify's fulfillment orders, as a pure
 * plan. Shopify fulfils only through fulfillment orders: each belongs to
 * one location and lists remaining units per order line item, and one
 * fulfillmentCreate covers fulfillment orders of one location. Given the
 * units shipped per order line and the order's fulfillment orders as read,
 * the plan says which holds to release, whether a hold stops everything,
 * and which fulfillment order lines get how many units, location by
 * location, the shipping location first.
 *
 * Holds: only a fulfillment order that has remaining units of a shipped
 * line matters (a hold on another location's backordered lines is not this
 * shipment's business). A hold whose reason is INVENTORY_OUT_OF_STOCK says
 * the goods were not there, and the shipment proves they are: it is
 * released. Any other reason (fraud, address, payment...) is the
 * merchant's: the plan is `held` and fulfils nothing, not even the parts
 * held by nothing, so the merchant decides and syncd asks again later.
 *
 * Units: a fulfillment order must be OPEN or IN_PROGRESS (or released by
 * this plan) and at a known location; each of its lines takes at most its
 * remaining units and at most what is still to place of its order line.
 * Units that find no fulfillment order are left unplaced (the caller says
 * so). Quantities at or below 0 count as nothing; sums saturate.
 */
#ifndef SURGE_FOPLAN_H
#define SURGE_FOPLAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FOPLAN_OPEN,        /* OPEN or IN_PROGRESS: fulfillable */
    FOPLAN_ON_HOLD,
    FOPLAN_OTHER,       /* closed, cancelled, scheduled, incomplete... */
} foplan_status;

typedef struct {
    int64_t line_item;  /* the order line item it holds units of */
    int64_t remaining;  /* remainingQuantity */
} foplan_line;

typedef struct {
    foplan_status status;
    int64_t location;                 /* assigned location id, 0 unknown */
    const foplan_line *lines;
    size_t n_lines;
    const char *const *hold_reasons;  /* FulfillmentHoldReason of each hold (NULL: unknown) */
    size_t n_holds;
} foplan_fo;

typedef struct {
    size_t fo, line;    /* indexes into the input's fos and that fo's lines */
    int64_t qty;        /* > 0 */
} foplan_item;

/* One fulfillmentCreate: items[first .. first + n), all of fos at location,
 * consecutive per fulfillment order. */
typedef struct {
    int64_t location;
    size_t first, n;
    int64_t units;
} foplan_create;

typedef struct {
    int held;                   /* a merchant's hold: nothing else is planned */
    const char *held_reason;    /* borrowed from the input; "unknown" when it had none */
    size_t *release;            /* fo indexes whose holds are released first */
    size_t n_release;
    foplan_create *creates;
    size_t n_creates;
    foplan_item *items;
    size_t n_items;
    int64_t units;              /* placed in all */
    int64_t unplaced;           /* shipped units no fulfillment order took */
} foplan;

/* Most locations one plan visits; fulfillment orders beyond are left. */
#define FOPLAN_MAX_LOCATIONS 16

/* Plans shipping qty[i] units of order line ids[i] (n lines) through fos
 * (n_fos), from location first (0: none preferred). Fills *out (free with
 * foplan_free, also when nothing was planned). */
void foplan_make(const int64_t *ids, const int64_t *qty, size_t n, const foplan_fo *fos,
                 size_t n_fos, int64_t location, foplan *out);
void foplan_free(foplan *p); /* accepts NULL */

/* The fulfillment orders a backorder puts on hold: those open (OPEN or
 * IN_PROGRESS) with remaining units of any of the order line items
 * items[0..n) (the lines whose units Cin7 backordered). One already on
 * hold, whatever its reason, is left as it is, and so is one of other
 * lines only (another warehouse's units are not this backorder's). Their
 * indexes into out (room for n_fos); returns how many. */
size_t foplan_backorder_holds(const foplan_fo *fos, size_t n_fos, const int64_t *items, size_t n,
                              size_t *out);

#endif
