/*
 * syncd's start: the catalog, the webhook subscriptions and a first set of
 * Cin7 stock figures, then ready (workers take events only from then on).
 * Each comes from the APIs when they answer. When they do not (syncd
 * restarted during a Cin7 outage, say), syncd starts on what it kept in
 * its store from an earlier start: the sources of its catalog, the
 * subscriptions it made (they stay at Cin7 and Shopify), and the stock
 * figures of its last full read. Orders then still reserve their units
 * and the shops' levels still come down by what any shop sells, instead
 * of every shop selling the same units until Cin7 is back. What was
 * started on kept copies is replaced once the APIs answer.
 */
#ifndef SURGE_SYNCD_BOOT_H
#define SURGE_SYNCD_BOOT_H

#include "syncd.h"

/* The boot thread's body (pthread signature; arg is the syncd): returns
 * once everything is live, or when stopping. */
void *boot_main(void *arg);

#endif
