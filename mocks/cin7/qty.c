/* Exact decimal quantities; see qty.h. */
#include "qty.h"

#include <math.h>
#include <stdio.h>

static const int64_t pow10_tab[] = {1, 10, 100, 1000, 10000};

int qty4_from_double(double d, int places, qty4 *out)
{
    if (!isfinite(d) || places < 0 || places > 4)
        return -1;
    double scaled = d * (double)pow10_tab[places];
    if (fabs(scaled) > 9e15)
        return -3;
    double r = round(scaled);
    /* A binary double holds 0.1 as 0.1000000000000000055...: what is left
     * after rounding must be that kind of noise, not a real fifth digit. */
    if (fabs(scaled - r) > 1e-6 * (fabs(r) > 1 ? fabs(r) : 1))
        return -2;
    *out = (qty4)r * pow10_tab[4 - places];
    return 0;
}

int qty4_from_json(const cJSON *v, int places, qty4 min, qty4 max, qty4 *out)
{
    if (!cJSON_IsNumber(v))
        return -1;
    qty4 q;
    int rc = qty4_from_double(v->valuedouble, places, &q);
    if (rc)
        return rc;
    if (q < min || q > max)
        return -3;
    *out = q;
    return 0;
}

double qty4_double(qty4 q)
{
    return (double)q / (double)QTY4_ONE;
}

int64_t qty4_floor(qty4 q)
{
    int64_t w = q / QTY4_ONE;
    return q < 0 && q % QTY4_ONE ? w - 1 : w;
}

void qty4_print(sbuf *b, qty4 q)
{
    uint64_t m = q < 0 ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
    uint64_t whole = m / (uint64_t)QTY4_ONE, frac = m % (uint64_t)QTY4_ONE;
    sbuf_printf(b, "%s%llu", q < 0 ? "-" : "", (unsigned long long)whole);
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%04llu", (unsigned long long)frac);
        int n = 4;
        while (n > 0 && f[n - 1] == '0')
            n--;
        sbuf_printf(b, ".%.*s", n, f);
    }
}

void qty4_add(cJSON *o, const char *key, qty4 q)
{
    /* cJSON prints with up to 17 significant digits, enough for every
     * value below 10^12 with 4 decimals to come out as written. */
    cJSON_AddNumberToObject(o, key, qty4_double(q));
}

qty4 qty4_muldiv(qty4 a, qty4 b, qty4 scale)
{
    __extension__ typedef __int128 wide;
    wide p = (wide)a * (wide)b;
    wide half = scale / 2;
    wide r = p >= 0 ? (p + half) / scale : -((-p + half) / scale);
    return (qty4)r;
}
