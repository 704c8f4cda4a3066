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
