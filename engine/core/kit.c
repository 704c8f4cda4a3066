/* Kits; see kit.h. */
#include "kit.h"

#include "avail.h"
#include "c7qty.h"

#include <math.h>
#include <string.h>

int64_t kit_need(double qty, double wastage_percent, double wastage_qty)
{
    if (!isfinite(qty) || !isfinite(wastage_percent) || !isfinite(wastage_qty) || qty < 0 ||
        wastage_percent < 0 || wastage_qty < 0)
        return 0;
    /* Each term in ten-thousandths first (Cin7's 4 decimal places), then
     * the percentage's share rounded up, so the sum never comes out low. */
    int64_t q = c7qty_from(qty), w = c7qty_from(wastage_qty);
    double share = (double)q * wastage_percent / 100.0;
    if (share >= (double)C7QTY_MAX)
        return C7QTY_MAX;
    int64_t need = c7qty_add(c7qty_add(q, (int64_t)ceil(share)), w);
    return need > 0 ? need : 0;
}

int64_t kit_level(const kit_part *parts, size_t n, const int64_t *units)
{
    if (n == 0)
        return -1;
    int64_t level = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].need <= 0)
            return -1;
        if (units[i] <= 0) {
            level = 0;
            continue;
        }
        /* units in ten-thousandths, unless that would overflow: then the
         * part allows more kits than any other figure can. */
        int64_t have = units[i] > C7QTY_MAX / 10000 ? C7QTY_MAX : units[i] * 10000;
        int64_t kits = have / parts[i].need;
        if (kits < level)
            level = kits;
    }
    return level;
}

/* Kit k's part that is sku, or NULL when k does not take sku. */
static const kit_part *part_of(const kit *k, const char *sku)
{
    for (size_t j = 0; j < k->n; j++)
        if (strcmp(k->parts[j].sku, sku) == 0)
            return &k->parts[j];
    return NULL;
}

size_t kit_using(const kit *kits, size_t n, const char *sku, size_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (part_of(&kits[i], sku))
            out[k++] = i;
    return k;
}

int64_t kit_charge(const kit *kits, size_t n, const char *sku, const int64_t *kit_units)
{
    const int64_t cap = C7QTY_MAX / 10000;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        const kit_part *p = kit_units[i] > 0 ? part_of(&kits[i], sku) : NULL;
        if (!p || p->need <= 0)
            continue;
        /* kit_units x need in ten-thousandths, rounded up to units. */
        int64_t units = kit_units[i] > cap / p->need * 10000
                            ? cap
                            : (kit_units[i] * p->need + 9999) / 10000;
        sum = units > cap - sum ? cap : sum + units;
    }
    return sum;
}

int64_t kit_share(const kit *kits, size_t n, size_t who, const char *sku, int listed, int64_t pool,
                  int64_t below)
{
    if (who < n && !part_of(&kits[who], sku))
        return pool;
    size_t sellers = listed ? 1 : 0, index = 0;
    for (size_t i = 0; i < n; i++) {
        if (!part_of(&kits[i], sku))
            continue;
        if (i == who)
            index = sellers;
        sellers++;
    }
    return avail_share(pool, sellers, index, below);
}
