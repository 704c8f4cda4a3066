/* Route tables into the server; see routes.h. */
#include "routes.h"

#include "log.h"

void routes_add(httpd *srv, const route_row *rows, size_t n, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        httpd_route(srv, rows[i].method, rows[i].pattern, rows[i].fn, ud);
        if (rows[i].gate && httpd_route_gate(srv, rows[i].method, rows[i].pattern, rows[i].gate, ud) != 0)
            log_error("syncd: no route %s %s for its gate", rows[i].method,
                      rows[i].pattern); /* cannot happen: added just above */
    }
}
