/*
 * A hash map from strings to indexes (into the caller's arrays): SKU to
 * product, GUID to sale, order id to record. Keys may compare without ASCII
 * case when the map is made so (Cin7 treats SKUs and names that way). Not
 * thread-safe: the owner's lock guards it.
 */
#ifndef SURGE_STRMAP_H
#define SURGE_STRMAP_H

#include <stddef.h>

typedef struct strmap strmap;

/* ignore_case: keys match whatever their ASCII case. Free with strmap_free. */
strmap *strmap_new(int ignore_case);
void strmap_free(strmap *m); /* accepts NULL */
/* Sets key (copied) to idx, replacing an earlier value. */
void strmap_put(strmap *m, const char *key, long idx);
/* The value of key, or -1 when absent (key may be NULL). */
long strmap_get(const strmap *m, const char *key);
void strmap_clear(strmap *m);

#endif
