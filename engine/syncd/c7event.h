/*
 * Cin7 notification bodies checked before syncd acts on them: the thin sale
 * notifications ({SaleID, SaleOrderNumber, EventType}, and the saleList
 * rows reconciliation queues in the same shape) and the stock notification
 * (a bare array of per-location rows). What fails is refused with the JSON
 * path and the reason, for the dead-letter queue.
 */
#ifndef SURGE_C7EVENT_H
#define SURGE_C7EVENT_H

#include <stddef.h>

/* A Cin7 id: a GUID as the reference's examples give them,
 * 8-4-4-4-12 hex digits. */
enum { C7EVENT_ID_LEN = 37 };
int c7event_is_guid(const char *s);

/* The SaleID a sale notification names, into id. Returns 0, or -1 with
 * "$.SaleID: reason" (or a syntax error) in why. */
int c7event_sale_id(const char *body, size_t len, char id[C7EVENT_ID_LEN], char *why,
                    size_t why_n);

/* The SKUs of a stock notification's rows (a bare array; an object whose
 * first array member holds the rows is taken too). *skus gets a
 * malloc'd array of malloc'd strings (free with c7event_skus_free), one per
 * row that names a SKU. Returns 0 when every row was good; 1 when some
 * were not (the good ones are still in *skus, the first bad one's path and
 * reason in why); -1 when the body is not rows at all (*skus NULL). */
int c7event_stock_skus(const char *body, size_t len, char ***skus, size_t *n, char *why,
                       size_t why_n);
void c7event_skus_free(char **skus, size_t n);

#endif
