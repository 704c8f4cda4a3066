/* Fuzz target for scenario files (written by people), the demand they
 * describe and what the simulator reads of them (its delays, what it does
 * not model). */
#include "fuzz.h"

#include "demand.h"
#include "edits.h"
#include "params.h"
#include "scenario.h"
#include "sim.h"

#include <stdlib.h>

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
    sim_params p;
    if (sim_params_read(s.sim, &p, &e) == 0 && (p.cin7_call.median_ms < 0 || p.webhook.p99_ms < 0))
        abort(); /* the reader's own bounds */
    /* And plan its staff edits, each with a body for its mock. */
    edit_plan ep;
    edits_plan(&s, &ep);
    for (size_t i = 0; i < ep.n && i < 50; i++)
        cJSON_Delete(edits_body(&s, &ep.e[i]));
    edits_plan_free(&ep);
    char why[300];
    sim_unsupported(&s, why, sizeof why);
    scenario_free(&s);
}
