/* Cin7 sale states to Shopify fulfillments; see status.h. */
#include "status.h"

#include <string.h>
#include <strings.h>

typedef struct {
    const char *status;
    const char *state;
    const char *note;
} row;

/* The Status part of the table of status.h: what a sale that has not
 * shipped is doing (for the log and the audit trail only). */
static const row table[] = {
    {"DRAFT", "not_ordered", "not ordered yet: nothing to tell Shopify"},
    {"ESTIMATING", "not_ordered", "a quote: nothing to tell Shopify"},
    {"ESTIMATED", "not_ordered", "a quote: nothing to tell Shopify"},
    {"ORDERING", "not_ordered", "not authorised yet: nothing to tell Shopify"},
    {"ORDERED", "ordered", "allocated, not shipped yet"},
    {"BACKORDERED", "backordered",
     "backordered: its units wait for stock and ship (and are fulfilled) when they arrive"},
    {"PICKING", "picked", "being picked: Shopify fulfillments have no picked state"},
    {"PICKED", "picked", "picked: Shopify fulfillments have no picked state"},
    {"PACKING", "packed", "being packed: Shopify fulfillments have no packed state"},
    {"PACKED", "packed", "packed: Shopify fulfillments have no packed state"},
    {"SHIPPING", "shipping", "a shipment not authorised yet: fulfilled once it is"},
    {"INVOICING", "invoiced", "invoicing, not shipped: nothing to tell Shopify"},
    {"INVOICED", "invoiced", "invoiced, not shipped: nothing to tell Shopify"},
    {"COMPLETED", "invoiced", "completed without a shipment: nothing to tell Shopify"},
    {"CREDITED", "credited", "credited: nothing ships"},
};

static int is(const char *a, const char *b)
{
    return a && strcasecmp(a, b) == 0;
}

status_action status_map(const status_sale *sale, const status_line *lines, size_t n,
                         int64_t *ship)
{
    status_action a = {STATUS_NONE, "unknown", "unknown sale status: nothing done"};
    if (is(sale->status, "VOIDED")) {
        a = (status_action){STATUS_NONE, "voided", "voided: nothing ships"};
    } else if (is(sale->shipping, "SHIPPED") || is(sale->fulfilment, "FULFILLED")) {
        a = (status_action){STATUS_FULFIL, "shipped", "shipped: fulfil its units"};
    } else if (is(sale->shipping, "PARTIALLY SHIPPED") || is(sale->fulfilment, "PARTIALLY FULFILLED")) {
        a = (status_action){STATUS_FULFIL, "shipped", "partly shipped: fulfil the units shipped"};
    } else {
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            if (is(sale->status, table[i].status)) {
                a = (status_action){STATUS_NONE, table[i].state, table[i].note};
                break;
            }
    }
    for (size_t i = 0; ship && i < n; i++) {
        int64_t q = lines[i].quantity - (lines[i].backordered > 0 ? lines[i].backordered : 0);
        ship[i] = a.kind == STATUS_FULFIL && q > 0 ? q : 0;
    }
    return a;
}

status_fit status_allocate(const status_line *lines, const int64_t *ship, size_t n,
                           const status_item *items, size_t n_items, int64_t *out)
{
    status_fit f = {0, 0, 0};
    for (size_t k = 0; k < n_items; k++)
        out[k] = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t left = ship[i];
        for (size_t k = 0; k < n_items && left > 0; k++) {
            if (!items[k].sku || !lines[i].sku || strcmp(items[k].sku, lines[i].sku) != 0)
                continue;
            int64_t room = items[k].fulfillable - out[k];
            int64_t take = room < left ? room : left;
            if (take <= 0)
                continue;
            out[k] += take;
            left -= take;
            f.units += take;
        }
        f.unplaced += left;
    }
    for (size_t k = 0; k < n_items; k++)
        if (items[k].fulfillable > out[k])
            f.partial = 1;
    return f;
}

void_action status_void(int own, int cancelled, int known, size_t live)
{
    if (own)
        return (void_action){VOID_NOTHING, "voided by the engine itself (a move or a cancellation)"};
    if (cancelled)
        return (void_action){VOID_NOTHING, "the Shopify order is cancelled already"};
    if (!known)
        return (void_action){VOID_REPORT, "voided in Cin7, and the engine does not know the order's "
                                          "other sales: left for a person"};
    if (live)
        return (void_action){VOID_REPORT, "voided in Cin7 while another sale of the order "
                                          "stands; Shopify cannot cancel part of an order"};
    return (void_action){VOID_CANCEL_ORDER, "voided in Cin7, the order's only sale: the order is "
                                            "cancelled at Shopify, restocked, the customer told"};
}
