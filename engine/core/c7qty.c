/* Cin7's numbers; see c7qty.h. */
#include "c7qty.h"

#include <math.h>

int64_t c7qty_from(double v)
{
    if (!isfinite(v))
        return 0;
    if (v >= 1e14)
        return C7QTY_MAX;
    if (v <= -1e14)
        return -C7QTY_MAX;
    return (int64_t)llround(v * 10000.0);
}

int64_t c7qty_add(int64_t a, int64_t b)
{
    int64_t s = a + b; /* |a|, |b| <= 10^18: no overflow */
    return s > C7QTY_MAX ? C7QTY_MAX : s < -C7QTY_MAX ? -C7QTY_MAX : s;
}

int64_t c7qty_floor(int64_t q)
{
    int64_t w = q / 10000;
    return q < 0 && q % 10000 ? w - 1 : w;
}

int64_t c7qty_ceil(int64_t q)
{
    int64_t w = q / 10000;
    return q > 0 && q % 10000 ? w + 1 : w;
}

double c7qty_line_total(double qty, double price, double discount)
{
    /* In ten-thousandths first, so 3 x 19.99 is 59.97 and not 59.9699... */
    double exact = (double)c7qty_from(qty) * (double)c7qty_from(price) *
                   (100.0 - discount) / 100.0 / 1e8;
    return round(exact * 100.0) / 100.0;
}
