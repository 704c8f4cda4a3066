/*
 * Cin7's numbers as syncd reads and writes them, as pure functions. Cin7
 * quantities may be decimal ("Decimal with up to 4 decimal places", the
 * reference's line models) while Shopify's are whole: syncd adds Cin7's
 * figures exactly, in ten-thousandths, and turns them into whole units only
 * at the end, rounding what is sellable down and what is held up, so a
 * fraction of a unit is never offered. Order lines carry a Total that Cin7
 * checks against Quantity x Price x (1 - Discount/100) ("Line Total. For
 * validation"): c7qty_line_total gives it to the cent.
 */
#ifndef SURGE_C7QTY_H
#define SURGE_C7QTY_H

#include <stdint.h>

/* The largest magnitude held: 10^14 units, far beyond any stock, so that
 * sums of many rows cannot overflow (outside input may say anything). */
#define C7QTY_MAX (INT64_C(100000000000000) * 10000)

/* A Cin7 number (a JSON double) in ten-thousandths, rounded to the nearest
 * (half away from zero); beyond +-C7QTY_MAX it is C7QTY_MAX with its sign,
 * and not a number is 0. */
int64_t c7qty_from(double v);
/* a + b, both within +-C7QTY_MAX, held within it. */
int64_t c7qty_add(int64_t a, int64_t b);
/* Whole units not above q (ten-thousandths): what is sellable. */
int64_t c7qty_floor(int64_t q);
/* Whole units not below q: what is held. */
int64_t c7qty_ceil(int64_t q);
/* Quantity x Price x (1 - Discount/100), rounded half away from zero to
 * the cent. */
double c7qty_line_total(double qty, double price, double discount);

#endif
