/*
 * `syncd audit-skus`: reads every shop's variant SKUs and Cin7's product
 * SKUs once, compares them the way syncd maps them (engine/core/skumatch.h)
 * and prints what matched, what only one side has and the near misses.
 * The rules and the output are in docs/syncd.md ("SKU audit").
 */
#ifndef SURGE_SYNCD_AUDIT_H
#define SURGE_SYNCD_AUDIT_H

#include <stdio.h>

#include "config.h"

/* Exit codes of the command. */
enum { AUDIT_MATCH = 0, AUDIT_MISMATCH = 1, AUDIT_USAGE = 2, AUDIT_UNREADABLE = 3 };

/* Runs the audit with cfg's credentials, the report on out and problems on
 * err. Returns one of the exit codes above. */
int audit_skus(const syncd_config *cfg, FILE *out, FILE *err);

#endif
