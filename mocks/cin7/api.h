/*
 * The Cin7 Core API v2 as mock-cin7 serves it under /ExternalApi/v2/: the
 * routes, authentication and rate limiting (as mockd's app filter), reading
 * query strings and bodies into the world's inputs, and answers in Cin7's
 * shapes, errors as [{"ErrorCode":N,"Exception":"..."}] naming the field.
 * Paths match whatever their case, as Cin7's do.
 */
#ifndef SURGE_CIN7_API_H
#define SURGE_CIN7_API_H

#include "httpd.h"
#include "mockd.h"
#include "world.h"

/* The state mockd hands back to mock-cin7's hooks. */
typedef struct {
    mockd *m;
    c7world *w;
} c7server;

void c7api_routes(c7server *s, httpd *srv);
/* Authenticates and rate-limits API requests; non-zero when it answered. */
int c7api_filter(c7server *s, httpd_req *r);
/* Cin7's error body for status and message; malloc'd, caller frees. */
char *c7api_error_text(int status, const char *msg);
/* Answers a world operation's result (frees its body). */
void c7api_reply(httpd_req *r, c7result *res);

/* The /_mock/ routes of control.c: approve, receive, channel-sale, adjust. */
void c7control_routes(c7server *s, httpd *srv);

#endif
