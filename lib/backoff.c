/* Backoff with full jitter (backoff.h). */
#include "backoff.h"

#include <math.h>

int64_t retry_backoff_ms(const retry_policy *p, int attempt, rng *r)
{
    if (attempt < 1)
        attempt = 1;
    double ceiling = (double)p->base_ms * ldexp(1.0, attempt > 62 ? 62 : attempt - 1);
    if (ceiling > (double)p->cap_ms)
        ceiling = (double)p->cap_ms;
    if (ceiling <= 0)
        return 0;
    return (int64_t)rng_below(r, (uint64_t)ceiling + 1);
}
