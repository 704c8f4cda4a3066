/* Reconciliation's decisions; see recon.h. */
#include "recon.h"

#include "c7qty.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

int recon_order_due(const char *financial_status, int cancelled)
{
    return !cancelled && financial_status && strcmp(financial_status, "paid") == 0;
}

int recon_received(const char *stock_received_status)
{
    return stock_received_status && strcmp(stock_received_status, "AUTHORISED") == 0;
}

static int64_t on_hand(const recon_stock *stock, size_t n, const char *sku, const char *location)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(stock[i].sku, sku) == 0 && strcmp(stock[i].location, location) == 0)
            return stock[i].on_hand;
    return 0;
}

size_t recon_purchase(const recon_line *lines, size_t n, const char *location,
                      const recon_stock *stock, size_t n_stock, recon_anomaly *out)
{
    /* Units per SKU and location, exactly (ten-thousandths). */
    recon_line *sum = xcalloc(n + 1, sizeof *sum);
    size_t n_sum = 0;
    for (size_t i = 0; i < n; i++) {
        const char *sku = lines[i].sku;
        const char *loc = lines[i].location ? lines[i].location : location;
        if (!sku || !loc)
            continue;
        size_t k = 0;
        while (k < n_sum && !(strcmp(sum[k].sku, sku) == 0 && strcmp(sum[k].location, loc) == 0))
            k++;
        if (k == n_sum)
            sum[n_sum++] = (recon_line){sku, loc, 0};
        sum[k].qty = c7qty_add(sum[k].qty, lines[i].qty);
    }
    size_t found = 0;
    for (size_t k = 0; k < n_sum; k++) {
        int64_t got = c7qty_floor(sum[k].qty);
        int64_t have = on_hand(stock, n_stock, sum[k].sku, sum[k].location);
        if (have < got)
            out[found++] = (recon_anomaly){sum[k].sku, sum[k].location, got, have};
    }
    free(sum);
    return found;
}
