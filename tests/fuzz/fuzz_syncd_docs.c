/* Fuzz target for syncd's reader of Shopify order documents (orders/paid
 * and orders/cancelled bodies): any bytes are either refused with a reason
 * or read into a struct whose values keep sorder.h's bounds. */
#include "fuzz.h"

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
