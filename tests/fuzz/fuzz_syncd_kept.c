/* Fuzz target for what syncd reads back from its own store at a start:
 * the catalog's sources, the stock figures of its last read and the
 * record of a level write in flight. A store written by another version,
 * or damaged, must be refused (naming the JSON path), never crash. */
#include "fuzz.h"

#include "catalog.h"
#include "config.h"
#include "levelintent.h"
#include "mem.h"
#include "stockcache.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(syncd_kept)
{
    char *text = xstrndup((const char *)data, size);
    char why[400];
    syncd_config cfg;
    json_err e;
    if (config_load(NULL, NULL, 0, &cfg, &e) == 0) {
        catalog *c = catalog_from_sources(&cfg, text, why, sizeof why);
        if (c) {
            /* What it was built from reads back the same way. */
            catalog *again = catalog_from_sources(&cfg, catalog_sources(c), why, sizeof why);
            if (!again)
                abort();
            catalog_free(again);
        }
        catalog_free(c);
        config_free(&cfg);
    }
    stockcache *sc = stockcache_new();
    if (stockcache_import(sc, text, why, sizeof why) == 0) {
        char *out = stockcache_export(sc);
        free(out);
    }
    stockcache_free(sc);
    levelintent li;
    if (levelintent_parse(text, &li, why, sizeof why) == 0)
        levelintent_free(&li);
    free(text);
}
