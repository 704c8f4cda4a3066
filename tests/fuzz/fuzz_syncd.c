/* Fuzz target for syncd's configuration reader (files written by people). */
#include "fuzz.h"

#include "config.h"

#include <stdlib.h>

FUZZ_TARGET(syncd_config)
{
    syncd_config c;
    json_err e;
    const char *over[] = {"shops[0].safety_buffer=1"};
    if (config_load_text((const char *)data, size, "fuzz", over, 1, &c, &e) == 0) {
        cJSON *j = config_to_json(&c);
        cJSON_Delete(j);
        config_free(&c);
    }
}
