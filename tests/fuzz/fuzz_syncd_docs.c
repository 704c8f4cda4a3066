/* Fuzz targets for syncd's readers of outside documents: Shopify order
 * bodies (orders/paid, orders/cancelled) and Cin7 notifications (sale and
 * stock). Any bytes are refused with a reason or read into values that
 * keep the readers' bounds. */
#include "fuzz.h"

#include "c7event.h"
#include "sorder.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(syncd_order)
{
    sorder o;
    char why[256];
    if (sorder_parse((const char *)data, size, &o, why, sizeof why) != 0) {
        if (!why[0] || o.lines || o.n_lines)
            abort(); /* a refusal says why and keeps nothing */
        return;
    }
    if (o.id < 1 || o.id > SORDER_ID_MAX || strlen(o.id_text) == 0)
        abort();
    for (size_t i = 0; i < o.n_lines; i++) {
        const sorder_line *l = &o.lines[i];
        if (l->qty < 0 || l->qty > SORDER_QTY_MAX || !(l->price >= 0 && l->price <= SORDER_PRICE_MAX))
            abort();
        if (l->sku && strlen(l->sku) > SORDER_SKU_MAX)
            abort();
    }
    sorder_free(&o);
}

/* Cin7 sale notifications: refused with a reason, or a GUID. */
FUZZ_TARGET(syncd_c7sale)
{
    char id[C7EVENT_ID_LEN], why[256];
    if (c7event_sale_id((const char *)data, size, id, why, sizeof why) == 0) {
        if (!c7event_is_guid(id))
            abort();
    } else if (!why[0] || id[0]) {
        abort();
    }
}

/* Cin7 stock notifications: SKUs of the good rows, a reason for the rest. */
FUZZ_TARGET(syncd_c7stock)
{
    char **skus, why[256] = "";
    size_t n;
    int rc = c7event_stock_skus((const char *)data, size, &skus, &n, why, sizeof why);
    if ((rc != 0 && !why[0]) || (rc < 0 && (skus || n)))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!skus[i][0] || strlen(skus[i]) > 255)
            abort();
    c7event_skus_free(skus, n);
}
