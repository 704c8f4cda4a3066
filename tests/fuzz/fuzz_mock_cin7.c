/* Fuzz target for mock-cin7's config and seed parser (mocks/cin7/config.c):
 * any bytes, read as a config and as a seed, must be accepted whole or
 * refused with a message, never crash or leak. */
#include "fuzz.h"

#include "../../mocks/cin7/config.h"
#include "../../mocks/cin7/lines.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(mock_cin7_config)
{
    json_err e;
    cJSON *v = json_parse((const char *)data, size, &e);
    if (!v)
        return;
    for (int seed_only = 0; seed_only < 2; seed_only++) {
        c7cfg *c = (c7cfg *)1;
        if (c7config_parse(v, seed_only, &c, &e) != 0) {
            if (c != NULL || e.msg[0] != '$')
                abort(); /* a refusal sets nothing and names a JSON path */
            continue;
        }
        /* What parses is complete: every entry has its required names, and
         * the settings hold together. */
        for (size_t i = 0; i < c->n_products; i++) {
            const c7cfg_product *pr = &c->products[i];
            if (!pr->sku || !pr->name || !pr->status || (pr->auto_assembly && !pr->n_bom))
                abort();
            for (size_t k = 0; k < pr->n_bom; k++)
                if (!pr->bom[k].sku || pr->bom[k].qty <= 0 || strcmp(pr->bom[k].sku, pr->sku) == 0)
                    abort(); /* a component is named, takes something, is not the product */
        }
        for (size_t i = 0; i < c->n_stock; i++)
            if (!c->stock[i].sku || !c->stock[i].location || c->stock[i].on_hand < 0)
                abort();
        for (size_t i = 0; i < c->n_subs; i++)
            if (!c7config_hook_type(c->subs[i].type) || !c7config_auth_type(c->subs[i].auth))
                abort();
        if (c->window_ms < 1 || c->n_retries > C7_MAX_RETRIES ||
            (c->over_limit_status != 503 && c->over_limit_status != 429))
            abort();
        c7config_free(c);
    }
    cJSON_Delete(v);
}

/* Fuzz target for the order sections of requests (mocks/cin7/lines.c):
 * any bytes, read as the body of sale/quote, sale/order and purchase/order,
 * must be accepted with every rule holding or refused naming a field. */
FUZZ_TARGET(mock_cin7_lines)
{
    json_err e;
    cJSON *v = json_parse((const char *)data, size, &e);
    if (!v)
        return;
    for (int kind = C7LINES_QUOTE; kind <= C7LINES_PURCHASE_ORDER; kind++) {
        c7order_in o;
        if (c7lines_read(v, kind, &o, &e) != 0) {
            if (o.lines != NULL || o.n_lines != 0 || e.msg[0] != '$')
                abort(); /* a refusal keeps nothing and names a JSON path */
            continue;
        }
        if (strcmp(o.status, "DRAFT") != 0 && strcmp(o.status, "AUTHORISED") != 0)
            abort();
        if (strcmp(o.status, "AUTHORISED") == 0 && o.n_lines == 0)
            abort();
        if (o.auto_mode != C7_NOPICK && kind != C7LINES_SALE_ORDER)
            abort();
        for (size_t i = 0; i < o.n_lines; i++) {
            const c7line_in *l = &o.lines[i];
            qty4 off = l->total - c7lines_total(l->quantity, l->price, l->discount);
            if ((!l->sku && !l->product_id) || !l->name || !l->tax_rule || l->quantity < QTY4_ONE ||
                l->price < 0 || l->tax < 0 || l->discount < 0 || l->discount > qty4_units(100) ||
                off > C7LINES_TOTAL_TOLERANCE || off < -C7LINES_TOTAL_TOLERANCE)
                abort();
        }
        c7lines_free(&o);
    }
    cJSON_Delete(v);
}
