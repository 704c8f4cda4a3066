/*
 * The order sections of Cin7 Core documents as a request carries them:
 * POST sale/quote, sale/order and purchase/order take {SaleID or TaskID,
 * Status, Memo, Lines[...]} (and sale/order AutoPickPackShipMode). This
 * module reads such a body and checks what one request can tell, with the
 * reference's rules (its "Sale Order Line Model", "Sale Quote Line Model"
 * and "Purchase Order Line Model" tables, operation prose of sale/order):
 *
 *   Status      DRAFT or AUTHORISED (the only values POST accepts)
 *   Memo        required, a string of at most 1024 characters ("" is fine)
 *   Lines       required array, at most C7LINES_MAX; AUTHORISED needs one
 *   ProductID or SKU   one required (SKU at most 50 characters)
 *   Name        required, 1..1024 characters
 *   Quantity    required, at least 1, at most 4 decimal places
 *   Price       required, >= 0, at most 4 decimal places
 *   Discount    optional (0), 0..100, at most 2 decimal places
 *   Tax         required, >= 0, at most 4 decimal places
 *   TaxRule     required, 1..50 characters (whether it exists is the world's
 *               question)
 *   Total       required, within 0.01 of Quantity x Price x (1 - Discount/100)
 *               computed exactly (c7lines_total): the reference's "Line
 *               Total. For validation"
 *   Comment     optional, at most 256 characters
 *
 * Every error names the field's JSON path without its "$." ("Lines[1].Total:
 * ..."), as the API answers it. Strings are borrowed from the cJSON tree.
 * Links with lib/ alone (a fuzz target drives it).
 */
#ifndef SURGE_CIN7_LINES_H
#define SURGE_CIN7_LINES_H

#include <cJSON.h>
#include <stddef.h>

#include "json.h"
#include "qty.h"

#define C7LINES_MAX 5000
/* The tolerance of the Total check: one cent. */
#define C7LINES_TOTAL_TOLERANCE (QTY4_ONE / 100)

typedef struct {
    const char *sku, *product_id; /* at least one */
    const char *name, *tax_rule, *comment;
    qty4 quantity, price, discount, tax, total;
    char path[64]; /* "Lines[2]", for the world's errors */
} c7line_in;

/* AutoPickPackShipMode of POST sale/order. */
typedef enum { C7_NOPICK, C7_AUTOPICK, C7_AUTOPICKPACK, C7_AUTOPICKPACKSHIP } c7_auto_mode;

typedef struct {
    const char *status; /* "DRAFT" or "AUTHORISED" (static spelling) */
    const char *memo;
    c7_auto_mode auto_mode;
    c7line_in *lines;   /* malloc'd; c7lines_free */
    size_t n_lines;
} c7order_in;

enum { C7LINES_QUOTE, C7LINES_SALE_ORDER, C7LINES_PURCHASE_ORDER };

/* Reads the order section at the top level of body (kind: which endpoint,
 * for AutoPickPackShipMode, accepted on sale/order only). Returns 0, or -1
 * with e set (o is then freed). */
int c7lines_read(const cJSON *body, int kind, c7order_in *o, json_err *e);
void c7lines_free(c7order_in *o);
/* Quantity x Price x (1 - Discount/100), exact, rounded half away from
 * zero to 4 decimal places. */
qty4 c7lines_total(qty4 quantity, qty4 price, qty4 discount);

/* Field readers the product bodies (product_in.c) share, errors naming the
 * path. A string of at most max characters: required ones must not be
 * empty, an empty optional one reads as NULL. A decimal of at most places
 * decimals within [min, max]; absent or null leaves *out. */
int c7lines_text(const cJSON *o, const char *path, const char *key, int required, size_t max,
                 const char **out, json_err *e);
int c7lines_decimal(const cJSON *o, const char *path, const char *key, int required, int places,
                    qty4 min, qty4 max, qty4 *out, json_err *e);

#endif
