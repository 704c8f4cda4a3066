/* The target Shopify level; see avail.h. */
#include "avail.h"

int64_t avail_target(const avail_input *in, int64_t *unknown_out)
{
    int64_t unknown = 0;
    if (in->shopify_now >= 0 && in->last_written >= 0) {
        int64_t sold_since = in->last_written - in->shopify_now;
        unknown = sold_since - in->known_since_write;
        if (unknown < 0)
            unknown = 0; /* restocks and cancellations raise Shopify's level */
    }
    int64_t pending = in->pending_units > 0 ? in->pending_units : 0;
    int64_t buffer = in->safety_buffer > 0 ? in->safety_buffer : 0;
    int64_t t = in->cin7_available - pending - unknown - buffer;
    if (unknown_out)
        *unknown_out = unknown;
    return t > 0 ? t : 0;
}

int avail_should_write(int64_t target, int64_t shopify_now)
{
    return shopify_now < 0 || target != shopify_now;
}
