/*
 * The journal reader: a real run's ground truth (both mocks' JSON-lines
 * journals, their final states, the engine's dead letters, the load
 * generator's records and the queue samples) turned into a run_model
 * (model.h), the record measure_model computes every metric from. Reading
 * is lenient as the journals come: a torn last line is skipped, entries
 * naming SKUs, shops or orders the run does not know are left out.
 */
#ifndef SURGE_INGEST_H
#define SURGE_INGEST_H

#include <stddef.h>

#include "measure.h"
#include "model.h"

/* Builds the model of the run in into *out (caller frees with model_free).
 * Returns 0, or -1 with a message naming a journal that cannot be read. */
int ingest_run(const measure_input *in, run_model **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
