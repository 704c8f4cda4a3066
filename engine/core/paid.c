/* What a paid order becomes (paid.h). */
#include "paid.h"

#include <string.h>

paid_step paid_decide(const char *financial_status, int cancelled)
{
    if (!financial_status || strcmp(financial_status, "paid") != 0)
        return PAID_SKIP_NOT_PAID;
    if (cancelled)
        return PAID_SKIP_CANCELLED;
    return PAID_PUSH;
}

paid_lines_result paid_lines(const paid_line_in *in, size_t n, paid_line *out, size_t *n_out,
                             size_t *bad)
{
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        *bad = i;
        if (in[i].qty == 0)
            continue;
        if (!in[i].shopify_sku)
            return PAID_LINES_NO_SKU;
        if (!in[i].cin7_sku)
            return PAID_LINES_UNMAPPED;
        size_t k = 0;
        while (k < *n_out && strcmp(out[k].sku, in[i].cin7_sku) != 0)
            k++;
        if (k == *n_out)
            out[(*n_out)++] = (paid_line){in[i].cin7_sku, 0, 0};
        if (__builtin_add_overflow(out[k].qty, in[i].qty, &out[k].qty))
            return PAID_LINES_OVERFLOW;
        out[k].price = in[i].price;
    }
    return PAID_LINES_OK;
}
