/*
 * Exact decimal quantities and money for mock-cin7. Cin7 Core gives
 * quantities, prices, taxes and totals as "Decimal with up to 4 decimal
 * places" (the reference's model tables), so the mock keeps every one of
 * them as a whole number of ten-thousandths: sums and comparisons are exact
 * and 0.1 + 0.2 is 0.3. Discounts have up to 2 decimal places and use the
 * same unit. This module links with lib/ alone.
 */
#ifndef SURGE_CIN7_QTY_H
#define SURGE_CIN7_QTY_H

#include <cJSON.h>
#include <stdint.h>

#include "sbuf.h"

typedef int64_t qty4; /* ten-thousandths of a unit (or of a currency unit) */

#define QTY4_ONE INT64_C(10000)
/* The largest magnitude the mock takes from outside: 10^12 units, far
 * below where products of two values would overflow 128 bits. */
#define QTY4_MAX (INT64_C(1000000000000) * QTY4_ONE)

/* Reads a JSON number that has at most places decimals (0..4) into *out.
 * Returns 0, -1 when v is not a number, -2 when it has more decimals, -3
 * when it lies outside [min, max]. */
int qty4_from_json(const cJSON *v, int places, qty4 min, qty4 max, qty4 *out);
/* The same for a double already read (rounding noise of binary fractions
 * is tolerated; 0.1 is 1000). */
int qty4_from_double(double d, int places, qty4 *out);
/* Whole units to qty4. */
static inline qty4 qty4_units(int64_t n)
{
    return n * QTY4_ONE;
}
double qty4_double(qty4 q);
/* The largest whole number of units not above q. */
int64_t qty4_floor(qty4 q);
/* Appends q's exact decimal text ("12.5", "-0.0001", "3"). */
void qty4_print(sbuf *b, qty4 q);
/* Adds q under key as a JSON number. */
void qty4_add(cJSON *o, const char *key, qty4 q);
/* a x b / scale, rounded half away from zero (scale > 0): with both
 * factors qty4, qty4_muldiv(a, b, QTY4_ONE) is their product as a qty4. */
qty4 qty4_muldiv(qty4 a, qty4 b, qty4 scale);

#endif
