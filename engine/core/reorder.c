/* Replenishment decisions; see reorder.h. */
#include "reorder.h"

#include <math.h>

#define NO_DEMAND_COVER 1e9

double reorder_velocity(int64_t units, int64_t window_ms)
{
    if (window_ms <= 0 || units <= 0)
        return 0;
    return (double)units * 86400000.0 / (double)window_ms;
}

int64_t reorder_round(int64_t qty, int64_t moq, int64_t pack)
{
    if (qty < 1)
        qty = 1;
    if (moq > qty)
        qty = moq;
    if (pack > 1 && qty % pack)
        qty += pack - qty % pack;
    return qty;
}

reorder_decision reorder_decide(const reorder_input *in)
{
    reorder_decision d = {NO_DEMAND_COVER, 0, 0};
    if (!(in->velocity > 0))
        return d; /* nothing sells: no cover problem, whatever the stock */
    d.days_of_cover = (double)in->position / in->velocity;
    if (d.days_of_cover >= in->cover_days)
        return d;
    d.needed = 1;
    double want = in->target_days * in->velocity - (double)in->position;
    d.quantity = reorder_round((int64_t)ceil(want - 1e-9), in->moq, in->pack);
    return d;
}
