/* Routing's view of the configuration (routecfg.h). */
#include "routecfg.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

void routecfg_init(routecfg *r, const syncd_config *cfg)
{
    r->n_locs = cfg->n_locations;
    r->n_regions = cfg->n_regions;
    r->locs = xcalloc(cfg->n_locations + 1, sizeof *r->locs);
    for (size_t i = 0; i < cfg->n_locations; i++)
        r->locs[i] = (route_location){cfg->locations[i].name, cfg->locations[i].has_coords,
                                      cfg->locations[i].lat, cfg->locations[i].lon,
                                      cfg->locations[i].priority, cfg->locations[i].min_stock};
    r->regions = xcalloc(cfg->n_regions + 1, sizeof *r->regions);
    r->region_idx = xcalloc(cfg->n_regions + 1, sizeof *r->region_idx);
    for (size_t g = 0; g < cfg->n_regions; g++) {
        r->region_idx[g] = xcalloc(cfg->regions[g].n_locations + 1, sizeof **r->region_idx);
        for (size_t k = 0; k < cfg->regions[g].n_locations; k++)
            r->region_idx[g][k] = (int)routecfg_find(r, cfg->regions[g].locations[k]);
        r->regions[g] = (route_region){cfg->regions[g].country, cfg->regions[g].postcode_prefix,
                                       r->region_idx[g], cfg->regions[g].n_locations};
    }
}

void routecfg_free(routecfg *r)
{
    for (size_t g = 0; g < r->n_regions; g++)
        free(r->region_idx[g]);
    free(r->region_idx);
    free(r->regions);
    free(r->locs);
    memset(r, 0, sizeof *r);
}

long routecfg_find(const routecfg *r, const char *name)
{
    for (size_t l = 0; name && l < r->n_locs; l++)
        if (strcmp(r->locs[l].name, name) == 0)
            return (long)l;
    return -1;
}
