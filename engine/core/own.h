/*
 * Product data ownership as pure functions: for each product field one
 * system owns the value (merchandising owns prices in Shopify, say, and
 * purchasing owns costs in Cin7); the other system shows the owner's value.
 * A difference between the two is settled by writing the owner's value onto
 * the other side: an edit made on the owner's side is carried over, an edit
 * made on the other side is reverted (and said so), and when both changed
 * the owner wins.
 *
 * The two APIs write the same fact differently, so values are compared in a
 * canonical text form made by own_canon:
 *   - money (price, compare-at price, cost): whole cents, "1099"; Cin7's
 *     numbers (PriceTier1, a supplier's Cost) and Shopify's Money and
 *     Decimal strings ("10.99") both round half away from zero to cents
 *     (Shopify's Money is a decimal string; Cin7 keeps 4 decimal places);
 *     a compare-at price of 0 or none is "" (no compare-at price);
 *   - weight: whole milligrams, "1500"; units g, kg, mg, oz, lb (Cin7's
 *     WeightUnits values) or GRAMS, KILOGRAMS, OUNCES, POUNDS (Shopify's
 *     WeightUnit), 1 oz = 28.349523125 g and 1 lb = 453.59237 g;
 *   - status: "active" or "inactive": Cin7's Active and Shopify's ACTIVE
 *     are active; Cin7's Deprecated and Shopify's DRAFT and ARCHIVED are not
 *     offered for sale, so they are one state here (an owner's Deprecated
 *     shows as ARCHIVED, an owner's DRAFT or ARCHIVED as Deprecated);
 *   - title and barcode: the text itself, with surrounding blanks dropped.
 */
#ifndef SURGE_OWN_H
#define SURGE_OWN_H

#include <stddef.h>
#include <stdint.h>

typedef enum { OWN_CIN7, OWN_SHOPIFY } own_side;

typedef enum {
    OWN_PRICE,
    OWN_COMPARE_AT,
    OWN_TITLE,
    OWN_COST,
    OWN_BARCODE,
    OWN_WEIGHT,
    OWN_STATUS,
    OWN_N_FIELDS
} own_field;

/* The field's name as configs and reports spell it ("price",
 * "compare_at_price", "title", "cost", "barcode", "weight", "status"), and
 * back (-1 when no field has that name). */
const char *own_field_name(own_field f);
int own_field_of(const char *name);
/* "cin7" or "shopify", and back (-1 when neither). */
const char *own_side_name(own_side s);
int own_side_of(const char *name);

/* The canonical form of a value of field f as one side gives it, into out
 * (n bytes, 32 or more): text is the value as text (a number printed
 * as the API gave it, Money or Decimal strings as they are, NULL for
 * none), unit the weight's unit (weight only; NULL otherwise). Returns 0,
 * or -1 when the value cannot be read (not a number, a negative amount, a
 * weight unit neither API has, a status neither has, text too long for
 * out): such a value is never written over, nor copied. */
int own_canon(own_field f, const char *text, const char *unit, char *out, size_t n);

/* What a field's two values ask for. */
typedef enum {
    OWN_UNKNOWN,   /* a side's value is not known: nothing is done */
    OWN_IN_STEP,   /* the two agree: nothing to write; this is the value to remember */
    OWN_CARRY,     /* the owner's side changed: its value is written onto the other */
    OWN_REVERT,    /* the other side changed: the owner's value is written back over it */
    OWN_CONFLICT,  /* both changed since they last agreed: the owner's value wins */
} own_kind;

typedef struct {
    own_kind kind;
    own_side write_to;  /* CARRY, REVERT, CONFLICT: the side that gets the owner's value */
    const char *note;   /* one sentence for the log and the audit trail (static) */
} own_action;

/* Decides one field: cin7 and shopify are canonical values (NULL when not
 * known), last the value the two last agreed on (NULL when never seen
 * agreeing). */
own_action own_decide(own_side owner, const char *cin7, const char *shopify, const char *last);

/* The value to write onto side to for a canonical value of field f, into
 * out (n bytes, 32 or more): money as a decimal string with two places
 * ("10.99"; "" for no compare-at price), weight in grams with up to three
 * places ("1500", "28.35"), status as that side spells it (Cin7 "Active"
 * or "Deprecated", Shopify "ACTIVE" or "ARCHIVED"), text as it is.
 * Returns 0, or -1 when canon is not a canonical value of f. */
int own_render(own_field f, own_side to, const char *canon, char *out, size_t n);

#endif
