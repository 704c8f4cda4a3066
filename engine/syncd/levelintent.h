/*
 * A Shopify level write whose outcome syncd may not learn: recorded in the
 * store before it is sent, cleared once its answer is handled. The
 * unknown-units arithmetic (avail.h) measures what a shop sold from the
 * level syncd last wrote; a write that Shopify applied but whose answer
 * was lost (a timeout, a reset, syncd killed while waiting) would leave
 * the old level as that baseline, and the units syncd itself took off
 * would count as sold by nobody syncd knows of, holding stock back for
 * good. So before its next pass of that shop syncd sends the recorded
 * write again with the same idempotency key: Shopify answers a repeated
 * key with the first request's result (its idempotent-requests docs), so
 * syncd learns whether it was applied, and moves its baseline only then.
 */
#ifndef SURGE_SYNCD_LEVELINTENT_H
#define SURGE_SYNCD_LEVELINTENT_H

#include <stddef.h>

#include "shopify.h"

typedef struct {
    char *idem;         /* the idempotency key it was sent with */
    shopify_set *sets;  /* what was sent, in order */
    char **skus;        /* the Cin7 SKU of each set (the baselines' keys) */
    size_t n;
} levelintent;

/* The record of a write as JSON text (malloc'd). */
char *levelintent_json(const char *idem, const shopify_set *sets, const char *const *skus,
                       size_t n);
/* Reads a record into out (free with levelintent_free). Returns 0, or -1
 * with why naming the JSON path when text is not such a record. */
int levelintent_parse(const char *text, levelintent *out, char *why, size_t whylen);
void levelintent_free(levelintent *li); /* accepts an emptied or NULL one */

#endif
