/*
 * The shoppers' side of mock-shopify, under /_mock/ beside the control API:
 * POST /_mock/checkout (a storefront checkout: accepted atomically or
 * sold_out), /_mock/cancel (the merchant cancels, restocking),
 * /_mock/refund (refunds/create) and /_mock/product_edit (a merchandiser
 * edits a product in the admin). The harness's demand generator drives
 * these; what they did lands in the journal and in /_mock/state.
 */
#ifndef SURGE_SHOPIFY_SHOPPER_H
#define SURGE_SHOPIFY_SHOPPER_H

#include "httpd.h"
#include "world.h"

/* Adds the four routes; w is borrowed for the life of the server. */
void shopper_routes(world *w, httpd *srv);

#endif
