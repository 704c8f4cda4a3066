/*
 * Shopify order documents (the bodies of orders/paid and orders/cancelled
 * webhooks, and the orders reconciliation reads back in the same shape)
 * checked and turned into a plain struct before any decision sees them.
 *
 * cJSON reads every number as a double, so a number the double cannot hold
 * exactly, a fraction where Shopify sends whole units, or an absurd size
 * would otherwise flow into the reservation ledger, the velocity history
 * and Cin7 as something else. A document that fails is refused whole, with
 * the JSON path of the first bad field and the reason; the caller
 * dead-letters it. Bounds that are ours, not Shopify's, are named here.
 */
#ifndef SURGE_SORDER_H
#define SURGE_SORDER_H

#include <stddef.h>
#include <stdint.h>

/* Ids are integers below 2^53 (the largest a double holds exactly). */
#define SORDER_ID_MAX 9007199254740991LL
/* Units on one line: Shopify's quantities are whole; this bound is ours,
 * far above any real order and far below any sum that could overflow. */
#define SORDER_QTY_MAX 1000000
/* A unit price: ours as well (a billion in the shop's currency). */
#define SORDER_PRICE_MAX 1e9
/* A SKU: Shopify's variants take up to 255 characters. */
#define SORDER_SKU_MAX 255
/* Line items read: ours (a checkout holds far fewer). */
#define SORDER_LINES_MAX 5000

typedef struct {
    char *sku;     /* the variant's SKU as Shopify has it; NULL when it has none */
    int64_t qty;   /* current_quantity (quantity when absent): 0 ..SORDER_QTY_MAX */
    double price;  /* 0 ..SORDER_PRICE_MAX */
} sorder_line;

/* The shipping address, as far as routing and Cin7's sale header use it;
 * strings are NULL when absent. */
typedef struct {
    char *address1, *address2, *city, *province_code, *zip, *country_code;
    int has_coords;            /* latitude and longitude both given, in range */
    double lat, lon;
} sorder_address;

typedef struct {
    int64_t id;                /* 1 ..SORDER_ID_MAX */
    char id_text[24];          /* id in decimal */
    char *financial_status;    /* NULL when absent */
    char *cancelled_at;        /* NULL when absent or null: not cancelled */
    char *created_at;          /* NULL when absent */
    sorder_address ship;
    sorder_line *lines;
    size_t n_lines;
} sorder;

/* Reads an order document of len bytes. Returns 0 with *out filled (free
 * with sorder_free), or -1 with "$.path: reason" in why and *out empty. */
int sorder_parse(const char *body, size_t len, sorder *out, char *why, size_t why_n);
/* Frees what sorder_parse filled; an emptied or zeroed sorder is fine. */
void sorder_free(sorder *o);

#endif
