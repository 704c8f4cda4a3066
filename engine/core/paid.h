/*
 * What a paid Shopify order becomes, as pure functions: whether it is
 * pushed at all, and the Cin7 lines it is pushed as.
 *
 * Skipped, in this order: an order whose financial status is not "paid"
 * (Shopify sends orders/paid for paid orders only, so anything else is a
 * replay or a body edited on the way); an order already cancelled (a late
 * orders/paid after orders/cancelled must not resurrect it); an order
 * whose lines were all edited or refunded down to nothing. Each is said
 * in the audit trail and counted, never dropped in silence.
 *
 * Lines: each Shopify line with units left is mapped to its Cin7 SKU (the
 * caller looks the SKU up and passes the result); a line without a SKU or
 * with one Cin7 does not know refuses the whole order (a part-order would
 * ship the shopper half of what they paid for), naming the line. Lines of
 * one Cin7 SKU are merged, units added with an overflow check and the last
 * line's price kept (Cin7 takes one line per product).
 */
#ifndef SURGE_PAID_H
#define SURGE_PAID_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PAID_PUSH,
    PAID_SKIP_NOT_PAID,
    PAID_SKIP_CANCELLED,
} paid_step;

/* financial_status may be NULL; cancelled: the order is marked cancelled. */
paid_step paid_decide(const char *financial_status, int cancelled);

typedef struct {
    const char *shopify_sku;  /* NULL: the line has none */
    const char *cin7_sku;     /* its mapping, NULL when unmapped */
    int64_t qty;              /* units left, >= 0 */
    double price;
} paid_line_in;

typedef struct {
    const char *sku;          /* Cin7 SKU, borrowed from the input */
    int64_t qty;
    double price;
} paid_line;

typedef enum {
    PAID_LINES_OK,
    PAID_LINES_NO_SKU,        /* in[*bad] has no SKU */
    PAID_LINES_UNMAPPED,      /* in[*bad]'s SKU maps to nothing */
    PAID_LINES_OVERFLOW,      /* in[*bad] overflows its SKU's units */
} paid_lines_result;

/* Merges the n input lines into out (room for n), *n_out of them; lines
 * with no units are skipped (*n_out may be 0: nothing left to push). */
paid_lines_result paid_lines(const paid_line_in *in, size_t n, paid_line *out, size_t *n_out,
                             size_t *bad);

#endif
