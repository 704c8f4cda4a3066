/* The target Shopify level; see avail.h. */
#include "avail.h"

int64_t avail_target(const avail_input *in)
{
    int64_t pending = in->pending_units > 0 ? in->pending_units : 0;
    int64_t unknown = in->unknown_units > 0 ? in->unknown_units : 0;
    int64_t buffer = in->safety_buffer > 0 ? in->safety_buffer : 0;
    int64_t t = in->cin7_available - pending - unknown - buffer;
    return t > 0 ? t : 0;
}

int64_t avail_unknown(int64_t unknown_then, int64_t drop, int64_t newly_known)
{
    int64_t u = unknown_then + drop - newly_known;
    return u > 0 ? u : 0;
}

int avail_should_write(int64_t target, int64_t shopify_now)
{
    return shopify_now < 0 || target != shopify_now;
}

int64_t avail_pending_since(const int64_t *as_of, size_t n)
{
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (as_of[i] >= 0 && as_of[i] < oldest)
            oldest = as_of[i];
    return oldest == INT64_MAX ? 0 : oldest;
}

int64_t avail_share(int64_t pool, size_t n, size_t index, int64_t below)
{
    if (pool <= 0)
        return 0;
    if (below < 0 || pool > below || n <= 1 || index >= n)
        return pool;
    int64_t each = pool / (int64_t)n, extra = pool % (int64_t)n;
    return each + ((int64_t)index < extra ? 1 : 0);
}

int64_t avail_shop_level(int64_t pool, size_t n, size_t index, int64_t below, int64_t buffer)
{
    int64_t share = avail_share(pool, n, index, below);
    return share > buffer ? share - buffer : 0;
}
