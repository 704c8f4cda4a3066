/*
 * Shopify's search syntax, as the Admin GraphQL `query:` argument takes it
 * ("financial_status:paid updated_at:>'2026-12-01T00:00:00Z'",
 * "sku:A OR sku:'B C'"): terms `field:value` with an optional comparator
 * (`:>`, `:>=`, `:<`, `:<=`) and a value that may be quoted; terms next to
 * each other must all hold, `OR` separates alternatives (GraphQL ref,
 * "Shopify API search syntax"). Bare words (free text, `AND`) are skipped.
 * The caller decides what a field means; this module only splits.
 *
 * Input comes from outside: everything is bounded (at most SEARCH_MAX
 * terms, fields and values cut to their buffers). Pure: lib/ only.
 */
#ifndef SURGE_SHOPIFY_SEARCH_H
#define SURGE_SHOPIFY_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#define SEARCH_MAX 64

typedef struct {
    char field[32];
    char op[3];       /* ":", ">", ">=", "<", "<=" */
    char value[128];
    int or_before;    /* an OR stands between this term and the one before */
} search_term;

typedef struct {
    search_term terms[SEARCH_MAX];
    size_t n;
} search_query;

/* Splits q (NULL: no terms). */
void search_parse(const char *q, search_query *out);

/* Whether a term holds for the caller's object. */
typedef int (*search_term_fn)(const search_term *t, const void *obj);
/* The query over obj: an empty query matches; otherwise some OR-separated
 * group whose terms all hold. */
int search_match(const search_query *q, search_term_fn fn, const void *obj);
/* have <op> want, for the comparators of a term. */
int search_compare(const char *op, int64_t have, int64_t want);

#endif
