/* Fuzz target for scenario files (written by people) and the demand they
 * describe. */
#include "fuzz.h"

#include "demand.h"
#include "scenario.h"

FUZZ_TARGET(scenario)
{
    scenario s;
    json_err e;
    if (scenario_load_text((const char *)data, size, "fuzz", NULL, NULL, 0, &s, &e) != 0)
        return;
    /* A scenario that loads must generate demand without trouble; a few
     * hundred arrivals show it. */
    demand *d = demand_new(&s, s.seed);
    demand_arrival a;
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 300 && demand_next(d, &a); i++)
        demand_csv(&s, &a, &b);
    sbuf_free(&b);
    demand_free(d);
    scenario_free(&s);
}
