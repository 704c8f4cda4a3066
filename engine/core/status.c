/* Cin7 sale states to Shopify fulfillments; see status.h. */
#include "status.h"

#include <string.h>
#include <strings.h>

typedef struct {
    const char *status;
    status_kind kind;
    const char *state;
    const char *note;
} row;

/* The Status rows of status.h's table, in code; the shipping fields are
 * decided before them. */
static const row table[] = {
    {"DRAFT", STATUS_NONE, "not_ordered", "not authorised yet: nothing to tell Shopify"},
    {"ESTIMATING", STATUS_NONE, "not_ordered", "a quote: nothing to tell Shopify"},
    {"ESTIMATED", STATUS_NONE, "not_ordered", "a quote: nothing to tell Shopify"},
    {"ORDERING", STATUS_NONE, "not_ordered", "not authorised yet: nothing to tell Shopify"},
    {"ORDERED", STATUS_NONE, "ordered", "allocated, not shipped yet"},
    {"AUTHORISED", STATUS_NONE, "ordered", "allocated, not shipped yet"},
    {"BACKORDERED", STATUS_NONE, "backordered",
     "backordered: its units wait for stock and ship (and are fulfilled) when they arrive"},
    {"PICKING", STATUS_NONE, "picked", "being picked: Shopify fulfillments have no picked state"},
    {"PICKED", STATUS_NONE, "picked", "picked: Shopify fulfillments have no picked state"},
    {"PACKING", STATUS_NONE, "packed", "being packed: Shopify fulfillments have no packed state"},
    {"PACKED", STATUS_NONE, "packed", "packed: Shopify fulfillments have no packed state"},
    {"SHIPPING", STATUS_NONE, "shipping", "shipping under way: fulfilled once shipped"},
    {"INVOICING", STATUS_NONE, "invoiced", "invoiced, not shipped yet"},
    {"INVOICED", STATUS_NONE, "invoiced", "invoiced, not shipped yet"},
    {"COMPLETED", STATUS_FULFIL, "shipped", "completed (shipped): fulfil its units"},
    {"VOIDED", STATUS_NONE, "voided", "voided: nothing ships"},
    {"CREDITED", STATUS_NONE, "credited", "credited: nothing ships"},
};

static int is(const char *v, const char *want)
{
    return v && strcasecmp(v, want) == 0;
}

status_action status_map(const status_sale *sale, const status_line *lines, size_t n,
                         int64_t *ship)
{
    status_action a = {STATUS_NONE, "unknown", "unknown sale status: nothing done"};
    if (is(sale->status, "VOIDED") || is(sale->status, "CREDITED")) {
        /* the table's rows */
    } else if (is(sale->shipping, "SHIPPED") || is(sale->fulfilment, "FULFILLED")) {
        a = (status_action){STATUS_FULFIL, "shipped", "shipped: fulfil its units"};
        goto units;
    } else if (is(sale->shipping, "PARTIALLY SHIPPED") || is(sale->fulfilment, "PARTIALLY FULFILLED")) {
        a = (status_action){STATUS_NONE, "partially_shipped",
                            "partly shipped: fulfilled once all of it has shipped"};
        goto units;
    }
    for (size_t i = 0; sale->status && i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp(sale->status, table[i].status) == 0) {
            a = (status_action){table[i].kind, table[i].state, table[i].note};
            break;
        }
units:
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
