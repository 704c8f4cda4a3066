/*
 * syncd's route tables: intake.c and opspage.c each keep one table of
 * method, pattern, handler and gate, and add it to the server here.
 */
#ifndef SURGE_SYNCD_ROUTES_H
#define SURGE_SYNCD_ROUTES_H

#include "httpd.h"

#include <stddef.h>

typedef struct {
    const char *method, *pattern;
    httpd_handler fn;
    httpd_filter gate; /* runs on the headers, before the body is kept; or NULL */
} route_row;

/* Adds the n rows to srv, each handler and gate called with ud. */
void routes_add(httpd *srv, const route_row *rows, size_t n, void *ud);

#endif
