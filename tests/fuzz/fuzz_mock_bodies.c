/* Fuzz targets for the mocks' readers of request bodies beyond configs,
 * seeds and order lines: mock-cin7's sale, purchase and webhook documents
 * (mocks/cin7/api.c), its product edits (PUT product and
 * /_mock/product_edit, mocks/cin7/product_in.c) and its /_mock/ control
 * bodies, channel-sale and adjust (mocks/cin7/control.c); mock-shopify's REST webhook subscriptions,
 * inventory level writes, order cancels, fulfillment order holds and
 * fulfillments (mocks/shopify/rest.c) and its merchandiser's product edit
 * (/_mock/product_edit, mocks/shopify/catalog.c). Any bytes must be read whole or
 * refused naming what is wrong, never crash or leak. */
#include "fuzz.h"

#include "../../mocks/cin7/api.h"
#include "../../mocks/cin7/product_in.h"
#include "../../mocks/shopify/catalog.h"
#include "../../mocks/shopify/rest.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A refusal names a JSON path. */
static void refused(const json_err *e)
{
    if (e->msg[0] != '$')
        abort();
}

static void one_line(const char *s)
{
    if (s && strpbrk(s, "\r\n"))
        abort();
}

FUZZ_TARGET(mock_cin7_bodies)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    json_err e;
    c7sale_in sale;
    if (c7api_read_sale(v, &sale, &e) != 0)
        refused(&e);
    else if ((!sale.customer && !sale.customer_id) ||
             (sale.external_id && strlen(sale.external_id) > 256) || sale.type < 0 || sale.type > 1)
        abort();
    for (int advanced = 0; advanced < 2; advanced++) {
        c7purchase_in p;
        if (c7api_read_purchase(v, advanced, &p, &e) != 0)
            refused(&e);
        else if (p.approach && strcmp(p.approach, "STOCK") != 0 && strcmp(p.approach, "INVOICE") != 0)
            abort();
    }
    for (int create = 0; create < 2; create++) {
        c7hook_body h;
        if (c7api_read_hook(v, create, &h, &e) != 0) {
            refused(&e);
        } else {
            if (create && (!h.in.type || !h.in.url || !h.in.auth))
                abort(); /* a new subscription has its type, URL and auth */
            if (h.in.url && strncasecmp(h.in.url, "http", 4) != 0)
                abort();
            for (size_t i = 0; i < h.in.n_headers; i++) {
                one_line(h.in.header_keys[i]);
                one_line(h.in.header_values[i]);
            }
        }
        c7api_hook_body_free(&h);
    }
    c7channel_sale_in cs;
    if (c7control_read_channel_sale(v, &cs, &e) != 0)
        refused(&e);
    else if (!cs.sku || !cs.channel || cs.qty < 1)
        abort();
    c7adjust_in adj;
    if (c7control_read_adjust(v, &adj, &e) != 0)
        refused(&e);
    else if (!adj.sku || !adj.reason || adj.on_hand < 0 || (adj.bin && !*adj.bin))
        abort();
    c7product_put put;
    if (c7product_read_put(v, &put, &e) != 0)
        refused(&e);
    else if (!put.id || !put.sku || !put.ed.name || !put.ed.status || put.ed.n_suppliers > 1)
        abort(); /* PUT names its product and carries what Cin7 requires */
    const char *sku;
    c7product_edit ed;
    if (c7product_read_edit(v, &sku, &ed, &e) != 0)
        refused(&e);
    else if (!sku || (ed.has_weight && ed.weight < 0) || (ed.has_supplier_cost && ed.supplier_cost < 0))
        abort();
    cJSON_Delete(v);
}

/* A refusal is a missing parameter (400) or a field's error (422) with a
 * message. */
static void rest_refused(const rest_body_err *e)
{
    if (!e->field || !*e->field || (e->status != 400 && e->status != 422) ||
        (e->status == 422 && !e->msg[0]))
        abort();
}

static const char *const CANCEL_REASONS[] = {"customer", "fraud", "inventory", "declined", "other",
                                             NULL};

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

FUZZ_TARGET(mock_shopify_rest)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    rest_body_err e;
    const char *topic, *address;
    if (rest_read_webhook(v, &topic, &address, &e) != 0) {
        rest_refused(&e);
    } else {
        one_line(address);
        if (!*topic || strncmp(address, "http", 4) != 0)
            abort();
    }
    for (int adjust = 0; adjust < 2; adjust++) {
        rest_level_in in;
        if (rest_read_level(v, adjust, &in, &e) != 0)
            rest_refused(&e);
        else if (in.value < -1000000000 || in.value > 1000000000)
            abort();
    }
    rest_cancel_in cancel;
    if (rest_read_cancel(v, &cancel, &e) != 0)
        rest_refused(&e);
    else if ((cancel.restock != 0 && cancel.restock != 1) ||
             (cancel.reason && !one_of(cancel.reason, CANCEL_REASONS)))
        abort();
    rest_hold_in hold;
    if (rest_read_hold(v, &hold, &e) != 0)
        rest_refused(&e);
    else if (!world_hold_reason_ok(hold.reason))
        abort();
    rest_fulfillment_in ful;
    if (rest_read_fulfillment(v, &ful, &e) != 0) {
        rest_refused(&e);
        if (ful.reqs || ful.items || ful.n)
            abort(); /* a refusal keeps nothing */
    } else {
        if (ful.n < 1 || ful.n > 250 || (ful.tracking.notify_customer & ~1))
            abort();
        for (size_t i = 0; i < ful.n; i++)
            if (ful.reqs[i].n_items > 250 || (ful.reqs[i].n_items && ful.reqs[i].items != ful.items[i]))
                abort();
    }
    rest_fulfillment_in_free(&ful);
    for (int what = REST_EDIT_PRODUCT; what <= REST_EDIT_ITEM; what++) {
        world_edit re;
        if (rest_read_edit(v, what, what == REST_EDIT_PRODUCT, &re, &e) != 0)
            rest_refused(&e);
        else if ((re.has_price && re.price[0] == '-') || (re.title && !*re.title))
            abort();
    }
    const char *sku;
    world_edit ed;
    json_err je;
    if (catalog_read_edit(v, &sku, &ed, &je) != 0)
        refused(&je);
    else if (!sku || (ed.has_price && ed.price[0] == '-') || (ed.has_cost && ed.cost[0] == '-') ||
             (ed.has_weight && !(ed.weight >= 0)))
        abort();
    cJSON_Delete(v);
}
