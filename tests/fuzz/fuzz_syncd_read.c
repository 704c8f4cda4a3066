/* Fuzz targets for syncd's readers of what Cin7 and Shopify answer and
 * send: Cin7's list pages (availability rows over bins and batches,
 * products, saleList rows, received purchases), its thin events (the bare
 * array of Stock/AvailableStockLevelChanged, a sale event's SaleID), the
 * suppliers of products that replenishment reads, a sale
 * read back (CombinedShippingStatus, FulFilmentStatus, fulfilment lines)
 * mapped to what Shopify is told, and Shopify's GraphQL answers (variants,
 * levels, orders, an order with its fulfillment orders), and the product
 * fields of ownership (ownread.h) with the write bodies made of them. Each
 * reader takes
 * any JSON: what it keeps must hold together, whatever the document. */
#include "fuzz.h"

#include "c7qty.h"
#include "cin7.h"
#include "fulfil.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ownread.h"
#include "reconcile.h"
#include "replen.h"
#include "shopify.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

/* A document's pages: the elements of an array of objects, else the
 * document itself. */
static size_t pages_of(const cJSON *v, const cJSON ***out)
{
    size_t n = 0;
    const cJSON *it;
    if (cJSON_IsArray(v) && cJSON_IsObject(cJSON_GetArrayItem(v, 0))) {
        *out = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof **out);
        cJSON_ArrayForEach(it, v)(*out)[n++] = it;
    } else {
        *out = xcalloc(1, sizeof **out);
        (*out)[n++] = v;
    }
    return n;
}

/* Whole units as syncd holds Cin7's figures: within +-10^14. */
static int units_ok(int64_t u)
{
    return u <= C7QTY_MAX / 10000 && u >= -C7QTY_MAX / 10000;
}

static void check_snapshot(const cin7_snapshot *snap)
{
    for (size_t i = 0; i < snap->n; i++) {
        const cin7_row *r = &snap->rows[i];
        if (!r->sku || !r->location || !units_ok(r->on_hand) || !units_ok(r->allocated) ||
            !units_ok(r->available) || !units_ok(r->on_order) || !units_ok(r->in_transit))
            abort();
        for (size_t k = 0; k < i; k++) /* one row per SKU x location */
            if (strcmp(snap->rows[k].sku, r->sku) == 0 && strcmp(snap->rows[k].location, r->location) == 0)
                abort();
    }
}

/* Cin7's list answers and events, read as every reader of them would. */
FUZZ_TARGET(syncd_cin7)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    const cJSON **pages;
    size_t n = pages_of(v, &pages);

    cin7_snapshot snap;
    cin7_availability_read((const cJSON *const *)pages, n, &snap);
    check_snapshot(&snap);

    cin7_product *prods;
    size_t n_prods;
    cin7_products_read((const cJSON *const *)pages, n, &prods, &n_prods);
    for (size_t i = 0; i < n_prods; i++)
        if (!prods[i].sku || !prods[i].id || !prods[i].name ||
            (i && strcmp(prods[i - 1].sku, prods[i].sku) > 0))
            abort(); /* whole and sorted by SKU */
    for (size_t i = 0; i < n_prods; i++)
        for (size_t j = 0; j < prods[i].n_bom; j++)
            if (!prods[i].auto_assembly || !prods[i].bom[j].sku || prods[i].bom[j].need < 0)
                abort(); /* a kit's parts, each taking 0 or more */
    cin7_products_free(prods, n_prods);

    for (size_t i = 0; i < n; i++) {
        size_t n_sup;
        replen_supply *sup = replen_read_supply(cJSON_GetObjectItemCaseSensitive(pages[i], "Products"), &n_sup);
        for (size_t k = 0; k < n_sup; k++)
            if (!sup[k].sku || !sup[k].name || !(sup[k].cost >= 0) || sup[k].moq < 0 ||
                (sup[k].lead_days >= 0 && !(sup[k].lead_days > 0)))
                abort(); /* a price, a minimum and a lead time as reorder takes them */
        replen_supply_free(sup, n_sup);
    }

    log_set_level(LOG_ERROR); /* the purchase check logs each anomaly */
    for (size_t i = 0; i < n; i++) {
        char *sale = NULL, *status = NULL;
        cin7_sale_pick(cJSON_GetObjectItemCaseSensitive(pages[i], "SaleList"), "s.myshopify.com/1001",
                       &sale, &status);
        if (!sale != !status)
            abort(); /* a sale found has its order status */
        free(sale);
        free(status);
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(pages[i], "PurchaseList"))
        {
            if (reconcile_check_purchase(p, &snap) < 0)
                abort();
        }
    }
    log_set_level(LOG_INFO);
    cin7_snapshot_free(&snap);

    free(pages);
    cJSON_Delete(v);
}

/* A sale read back (GET sale) and the event that named it: what shipped
 * and what Shopify is told. */
FUZZ_TARGET(syncd_cin7_sale)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    fulfil_sale_info s;
    fulfil_sale_read(v, &s);
    char order[64];
    fulfil_order_of(&s, order, sizeof order);
    for (const char *p = order; *p; p++)
        if (*p < '0' || *p > '9')
            abort(); /* an order id is a number or nothing */
    int64_t *ship = xcalloc(s.n + 1, sizeof *ship);
    status_sale st = {s.status, s.shipping, s.fulfilment};
    status_action a = status_map(&st, s.lines, s.n, ship);
    if (!a.state || !a.note)
        abort();
    for (size_t i = 0; i < s.n; i++) {
        if (!s.lines[i].sku || ship[i] < 0 || (a.kind != STATUS_FULFIL && ship[i] != 0))
            abort();
    }
    status_item items[2] = {{s.n ? s.lines[0].sku : "A", 5}, {NULL, 3}};
    int64_t out[2];
    status_allocate(s.lines, ship, s.n, items, 2, out);
    if (out[0] < 0 || out[0] > 5 || out[1] != 0)
        abort(); /* no more than an item lets fulfil, nothing for an unmapped one */
    for (size_t k = 0; k < s.n_ships; k++)
        for (size_t i = 0; i < s.ships[k].n; i++)
            if (!s.ships[k].lines[i].sku || s.ships[k].lines[i].backordered != 0)
                abort(); /* a shipment's lines are named units that shipped */
    free(ship);
    fulfil_sale_info_free(&s);
    /* The backordered units a sale's order holds back (its answer to the
     * lines, or the sale read back): each SKU once, named, with whole units
     * above 0 and within Cin7's bounds. */
    const cJSON *docs[] = {v, cJSON_GetObjectItemCaseSensitive(v, "Order")};
    for (size_t d = 0; d < 2; d++) {
        const char **skus;
        int64_t *units;
        size_t k = orders_backordered(docs[d], &skus, &units);
        int64_t n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(docs[d], "Lines"));
        if ((int64_t)k > n)
            abort();
        for (size_t i = 0; i < k; i++) {
            if (!skus[i] || units[i] <= 0 || units[i] > c7qty_ceil(C7QTY_MAX) * n)
                abort();
            for (size_t j = 0; j < i; j++)
                if (strcmp(skus[i], skus[j]) == 0)
                    abort();
        }
        free(skus);
        free(units);
    }
    cJSON_Delete(v);
}

/* Shopify's GraphQL answers as syncd reads them: a page of variants, of
 * inventory levels, of orders, and one order with its fulfillment orders. */
FUZZ_TARGET(syncd_shopify)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    shopify_variant *vars = NULL;
    size_t n_vars = 0, cap = 0;
    shopify_read_variants(v, &vars, &n_vars, &cap);
    for (size_t i = 0; i < n_vars; i++)
        if (!vars[i].sku || !*vars[i].sku)
            abort();
    shopify_variants_free(vars, n_vars);

    static const int64_t locs[2] = {1, 2};
    for (size_t k = 0; k < 2; k++) {
        shopify_level *lv = NULL;
        size_t n_lv = 0, cap_lv = 0;
        shopify_read_levels(v, locs, k ? 2 : 0, &lv, &n_lv, &cap_lv);
        for (size_t i = 0; k && i < n_lv; i++)
            if (lv[i].location != 1 && lv[i].location != 2)
                abort(); /* only the locations asked for */
        free(lv);
    }

    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "orders"),
                                                           "nodes"))
    {
        cJSON *o = shopify_rest_order(n);
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "line_items")))
            abort();
        free(json_print(o));
        cJSON_Delete(o);
    }

    shopify_order ord;
    if (shopify_order_from(v, &ord) == 0) {
        if (!ord.raw || (ord.n_lines && !ord.lines))
            abort();
        for (size_t i = 0; i < ord.n_tracking; i++)
            shopify_order_has_tracking(&ord, ord.tracking[i]);
    } else if (ord.raw || ord.lines || ord.n_lines) {
        abort();
    }
    shopify_order_free(&ord);
    cJSON_Delete(v);
}

/* An order read back from Shopify, planned for fulfilment and turned into
 * fulfillmentCreate inputs (engine/core/foplan, shopify_fulfil_input): a
 * plan never places more than a line shipped or a fulfillment order line
 * has left, a merchant's hold plans nothing, and every input names its
 * fulfillment orders and lines with positive whole quantities. The units
 * shipped per line are the line's unfulfilled units, and once more with
 * each doubled, so plans both fit and overflow. */
static void check_plan(const shopify_order *ord, const int64_t *qty, const foplan *p)
{
    if (p->held && (p->n_creates || p->n_release || !p->held_reason))
        abort();
    int64_t units = 0;
    for (size_t c = 0; c < p->n_creates; c++) {
        const foplan_create *cr = &p->creates[c];
        int64_t in_create = 0;
        if (!cr->n || cr->first + cr->n > p->n_items)
            abort();
        for (size_t i = cr->first; i < cr->first + cr->n; i++) {
            const foplan_item *it = &p->items[i];
            if (it->qty <= 0 || it->fo >= ord->n_fos || it->line >= ord->fos[it->fo].n_lines ||
                ord->fos[it->fo].location != cr->location)
                abort();
            in_create += it->qty;
        }
        if (in_create != cr->units)
            abort();
        units += in_create;
        cJSON *in = shopify_fulfil_input(ord, p, c, "TRK", NULL, 1);
        const cJSON *e, *x;
        size_t n = 0;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(in, "lineItemsByFulfillmentOrder"))
        {
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "fulfillmentOrderId")))
                abort();
            cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(e, "fulfillmentOrderLineItems"))
            {
                const cJSON *q = cJSON_GetObjectItemCaseSensitive(x, "quantity");
                if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(x, "id")) || !cJSON_IsNumber(q) ||
                    q->valuedouble < 1)
                    abort();
                n++;
            }
        }
        if (n != cr->n)
            abort();
        cJSON_Delete(in);
    }
    if (units != p->units)
        abort();
    /* Per order line and per fulfillment order line: within bounds. */
    for (size_t i = 0; i < ord->n_lines; i++) {
        int64_t placed = 0;
        for (size_t k = 0; k < p->n_items; k++)
            if (ord->fos[p->items[k].fo].lines[p->items[k].line].line_item == ord->lines[i].id)
                placed += p->items[k].qty;
        int64_t shipped = 0;
        for (size_t j = 0; j < ord->n_lines; j++)
            if (ord->lines[j].id == ord->lines[i].id && qty[j] > 0)
                shipped += qty[j];
        if (placed > shipped)
            abort();
    }
    for (size_t k = 0; k < p->n_items; k++) {
        const foplan_line *fl = &ord->fos[p->items[k].fo].lines[p->items[k].line];
        int64_t taken = 0;
        for (size_t j = 0; j < p->n_items; j++)
            if (p->items[j].fo == p->items[k].fo && p->items[j].line == p->items[k].line)
                taken += p->items[j].qty;
        if (taken > fl->remaining)
            abort();
    }
}

FUZZ_TARGET(syncd_fulfil)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    shopify_order ord;
    if (shopify_order_from(v, &ord) == 0) {
        int64_t *ids = xcalloc(ord.n_lines + 1, sizeof *ids);
        int64_t *qty = xcalloc(ord.n_lines + 1, sizeof *qty);
        for (int twice = 0; twice < 2; twice++) {
            for (size_t i = 0; i < ord.n_lines; i++) {
                ids[i] = ord.lines[i].id;
                int64_t u = ord.lines[i].unfulfilled;
                qty[i] = twice && u < INT64_MAX / 2 && u > INT64_MIN / 2 ? u * 2 : u;
            }
            int64_t loc = ord.n_fos ? ord.fos[0].location : 0;
            foplan p;
            foplan_make(ids, qty, ord.n_lines, ord.fos, ord.n_fos, loc, &p);
            check_plan(&ord, qty, &p);
            foplan_free(&p);
        }
        free(ids);
        free(qty);
    }
    shopify_order_free(&ord);
    cJSON_Delete(v);
}

/* Every known value of v reads back as something the other side can be
 * given (own_render), unless it is the "" of a value the side has none of. */
static void check_owned(const own_values *v)
{
    char out[OWNREAD_MAX];
    for (int f = 0; f < OWN_N_FIELDS; f++) {
        if (!v->known[f])
            continue;
        if (strlen(v->v[f]) >= OWNREAD_MAX)
            abort();
        if (!*v->v[f] && f != OWN_COMPARE_AT && f != OWN_TITLE && f != OWN_BARCODE)
            continue;
        if (own_render((own_field)f, OWN_CIN7, v->v[f], out, sizeof out) != 0 ||
            own_render((own_field)f, OWN_SHOPIFY, v->v[f], out, sizeof out) != 0)
            abort();
    }
}

/* The field set of a write: every field, rendered from v where known. */
static void write_bodies(const cJSON *product, const own_values *v)
{
    char buf[OWN_N_FIELDS][OWNREAD_MAX];
    const char *set[OWN_N_FIELDS] = {0};
    for (int f = 0; f < OWN_N_FIELDS; f++)
        if (v->known[f] && own_render((own_field)f, OWN_CIN7, v->v[f], buf[f], OWNREAD_MAX) == 0)
            set[f] = buf[f];
    cJSON_Delete(ownread_cin7_put(product, set, "PriceTier1", "PriceTier2"));
    cJSON_Delete(ownread_variant_input("v", set));
    cJSON_Delete(ownread_product_input("p", set));
}

FUZZ_TARGET(syncd_product)
{
    cJSON *v = json_parse((const char *)data, size, NULL);
    if (!v)
        return;
    own_values got;
    const cJSON *it;
    /* As Cin7's product list, a productVariants page and products/update. */
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(v, "Products"))
    {
        ownread_cin7(it, "PriceTier1", "PriceTier2", &got);
        check_owned(&got);
        write_bodies(it, &got);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(v, "productVariants"), "nodes"))
    {
        ownread_shopify(it, &got);
        check_owned(&got);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(v, "variants"))
    {
        ownread_hook(v, it, &got);
        check_owned(&got);
    }
    ownread_cin7(v, "PriceTier3", "PriceTier10", &got);
    check_owned(&got);
    write_bodies(v, &got);
    cJSON_Delete(v);
}
