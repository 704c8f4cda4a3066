/*
 * The SKU audit's comparison, as pure functions: which of a shop's variant
 * SKUs map to a Cin7 product SKU (the way syncd's catalog maps them:
 * explicit pairs first, then the same SKU when Cin7 has it), and which
 * unmatched ones are near misses of a Cin7 SKU — the same product written
 * differently, which syncd never guesses but a person should fix.
 *
 * Two SKUs a and b that are not byte-equal are a near miss when, with
 * trim(x) = x without leading and trailing ASCII whitespace (space, tab,
 * CR, LF, VT, FF) and lower(x) = x with ASCII letters lowered:
 *   - lower(trim(a)) == lower(trim(b)); or
 *   - the longer of lower(trim(a)) and lower(trim(b)) is P + the shorter,
 *     where the prefix P has 1 to SKUMATCH_MAX_PREFIX characters and ends
 *     with a separator (one of - _ . / : # or a space) and the shorter has
 *     at least SKUMATCH_MIN_CORE characters: "ACME-123" and "123",
 *     "us/TEE-1" and "tee-1", but not "ACME123" and "123", nor "A-12"
 *     and "12".
 * What differs is reported as a set of kinds: whitespace (a or b has
 * surrounding whitespace), prefix (the second rule was needed), case (the
 * compared parts differ in case: trim(a) and trim(b), or without the
 * prefix).
 */
#ifndef SURGE_SKUMATCH_H
#define SURGE_SKUMATCH_H

#include <stddef.h>

enum { SKUMATCH_WHITESPACE = 1, SKUMATCH_CASE = 2, SKUMATCH_PREFIX = 4 };

#define SKUMATCH_MIN_CORE 3
#define SKUMATCH_MAX_PREFIX 16

/* The kinds (a bit set) by which a and b are a near miss, or 0 when they
 * are byte-equal or not near. */
int skumatch_near(const char *a, const char *b);
/* The kinds as text, "case+prefix+whitespace" order, "" for 0. */
void skumatch_kind_name(int kinds, char *buf, size_t n);

typedef struct {
    size_t shop_sku;  /* index into the shop's SKUs */
    size_t cin7_sku;  /* index into Cin7's SKUs */
    int kinds;
} skumatch_pair;

typedef struct {
    long *match;          /* per shop SKU: the index of its Cin7 SKU, or -1 */
    skumatch_pair *near;  /* near misses of the unmatched shop SKUs, by shop SKU index */
    size_t n_near;
} skumatch_result;

/* Compares one shop's SKUs with Cin7's. map_from[i] -> map_to[i] are the
 * explicit pairs (checked first; a pair naming a SKU Cin7 lacks matches
 * nothing); identity: a shop SKU that Cin7 has byte for byte maps to it.
 * Near misses are looked for, against every Cin7 SKU, for the shop SKUs
 * left unmatched. The arrays are borrowed; out is filled with malloc'd
 * arrays (skumatch_result_free). */
void skumatch_run(const char *const *shop, size_t n_shop, const char *const *cin7, size_t n_cin7,
                  const char *const *map_from, const char *const *map_to, size_t n_map,
                  int identity, skumatch_result *out);
void skumatch_result_free(skumatch_result *r);

#endif
