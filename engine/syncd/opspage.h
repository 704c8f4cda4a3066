/*
 * The ops page: syncd's admin routes for a person with a browser. GET
 * /admin/ is one server-rendered HTML page (no script, nothing loaded from
 * elsewhere, a strict Content-Security-Policy) with the queue's depth and
 * the age of its oldest event, the dead letters with a Replay button each,
 * the last alerts, and an order's audit trail looked up by its Shopify id.
 *
 * It also holds the admin check every /admin route shares: the admin token
 * as "Authorization: Bearer" (scripts), or the cookie of a session opened
 * by the page's login form (opsauth.h). A session's request that changes
 * something must carry the session's CSRF token; a bearer's need not (a
 * browser never adds that header by itself). See docs/syncd.md, "The ops
 * page".
 */
#ifndef SURGE_SYNCD_OPSPAGE_H
#define SURGE_SYNCD_OPSPAGE_H

#include "httpd.h"
#include "syncd.h"

/* How an admin request proved itself (0: it did not, and was answered). */
enum { OPS_BEARER = 1, OPS_SESSION = 2 };

/* The check of a route that only reads: OPS_BEARER or OPS_SESSION, else
 * 0 after answering 403 (no admin_token configured) or 401. Runs on the
 * headers alone, so it serves as a route gate too. */
int opspage_admin(syncd *sd, httpd_req *r);
/* The check of a route that changes something, on the whole request: as
 * opspage_admin, and a session's request must carry the session's CSRF
 * token (form field "csrf", or header X-CSRF-Token), else 0 after 403. */
int opspage_admin_change(syncd *sd, httpd_req *r);
/* opspage_admin as a route gate (ud: the syncd): non-zero when it
 * answered. */
int opspage_gate(httpd_req *r, void *ud);
/* Sends a browser back to the page after a change it asked for: 303 to
 * /admin/ with query (e.g. "replayed=12") telling the page what to say. */
void opspage_back(httpd_req *r, const char *query);

/* Adds the page's routes (GET /admin, GET /admin/, GET /admin/ops.css,
 * POST /admin/login, POST /admin/logout) to srv. */
void opspage_routes(syncd *sd, httpd *srv);

#endif
