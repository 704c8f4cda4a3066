/*
 * syncd's HTTP face: signed Shopify webhooks and authenticated Cin7
 * webhooks go durably into the store before they are acknowledged; health,
 * Prometheus metrics and the dead-letter admin API sit beside them.
 */
#ifndef SURGE_SYNCD_INTAKE_H
#define SURGE_SYNCD_INTAKE_H

#include "httpd.h"
#include "syncd.h"

/* Adds every route to srv. */
void intake_routes(syncd *sd, httpd *srv);

#endif
