/* The ops page and the admin check; see opspage.h. */
#include "opspage.h"

#include "alertring.h"
#include "clock.h"
#include "log.h"
#include "mem.h"
#include "opsauth.h"
#include "routes.h"
#include "sbuf.h"
#include "webform.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The session cookie. Without Secure: syncd serves plain HTTP (a browser
 * would not send a Secure cookie back over it); put a TLS proxy in front
 * of syncd when the page is reached over a network (docs/syncd.md). */
#define OPS_COOKIE "syncd_admin"
/* A login form carries the token (at most 4096 characters, config.c) and
 * little else. */
#define OPS_LOGIN_BODY_MAX 16384
/* Rows of the audit trail an order lookup shows at most. */
#define OPS_AUDIT_ROWS 500
/* Dead letters the page lists at most (GET /admin/dlq?limit= goes further). */
#define OPS_DLQ_ROWS 200

/* A person's session follows real time, not the simulated clock. */
static int64_t real_now_ms(void)
{
    return clock_mono_us() / 1000;
}

static void count_login(syncd *sd, const char *result)
{
    char name[96];
    snprintf(name, sizeof name, "syncd_admin_logins_total{result=\"%s\"}", result);
    metrics_inc(sd->m, name, 1);
}

/* ---- the admin check ---------------------------------------------------------------- */

/* OPS_BEARER, OPS_SESSION (csrf gets the session's token) or 0; answers
 * nothing. */
static int who(syncd *sd, httpd_req *r, char *csrf)
{
    if (!sd->cfg.admin_token)
        return 0;
    if (opsauth_credential(httpd_header(r, "Authorization"), "Bearer ", sd->cfg.admin_token))
        return OPS_BEARER;
    char sid[OPSAUTH_TOKEN_LEN + 1];
    if (webform_cookie(httpd_header(r, "Cookie"), OPS_COOKIE, sid, sizeof sid) == 0 &&
        opsauth_session(sd->ops, sid, real_now_ms(), csrf))
        return OPS_SESSION;
    return 0;
}

/* Answers a request who() did not let in. */
static void refuse(syncd *sd, httpd_req *r)
{
    if (!sd->cfg.admin_token)
        httpd_reply_error(r, 403, "admin API disabled (set admin_token)");
    else
        httpd_reply_error(r, 401, "admin API needs Authorization: Bearer <admin_token>, or a "
                                  "session of the ops page (log in at /admin/)");
}

int opspage_admin(syncd *sd, httpd_req *r)
{
    char csrf[OPSAUTH_TOKEN_LEN + 1];
    int how = who(sd, r, csrf);
    if (!how)
        refuse(sd, r);
    return how;
}

int opspage_admin_change(syncd *sd, httpd_req *r)
{
    char csrf[OPSAUTH_TOKEN_LEN + 1];
    int how = who(sd, r, csrf);
    if (!how) {
        refuse(sd, r);
        return 0;
    }
    if (how == OPS_BEARER)
        return how;
    /* The cookie rides along on any request the browser makes, whoever
     * wrote the page that made it; only syncd's own page knows the token. */
    char got[OPSAUTH_TOKEN_LEN + 2];
    size_t len;
    const char *body = httpd_body(r, &len);
    const char *hdr = httpd_header(r, "X-CSRF-Token");
    int ok = (hdr && opsauth_same(hdr, csrf)) ||
             (webform_field(body, len, "csrf", got, sizeof got) == 0 && opsauth_same(got, csrf));
    if (!ok) {
        metrics_inc(sd->m, "syncd_admin_csrf_refused_total", 1);
        httpd_reply_error(r, 403, "missing or wrong CSRF token (reload the ops page)");
        return 0;
    }
    return how;
}

/* ---- HTML --------------------------------------------------------------------------- */

/* Nothing but the page itself: no script at all, styles from syncd's own
 * stylesheet, forms that post back to syncd only, never framed. */
#define OPS_CSP                                                                               \
    "default-src 'none'; style-src 'self'; img-src 'none'; form-action 'self'; "             \
    "frame-ancestors 'none'; base-uri 'none'"

static void secure_headers(httpd_req *r)
{
    httpd_add_header(r, "Content-Security-Policy", OPS_CSP);
    httpd_add_header(r, "X-Content-Type-Options", "nosniff");
    httpd_add_header(r, "X-Frame-Options", "DENY");
    httpd_add_header(r, "Referrer-Policy", "no-referrer");
    httpd_add_header(r, "Cache-Control", "no-store");
}

void opspage_back(httpd_req *r, const char *query)
{
    char loc[160];
    snprintf(loc, sizeof loc, "/admin/%s%s", query && *query ? "?" : "", query ? query : "");
    secure_headers(r);
    httpd_add_header(r, "Location", loc);
    httpd_reply(r, 303, "text/plain; charset=utf-8", "back to the ops page\n", 21);
}

/* Appends s with the five characters that mean something in HTML (text or
 * a quoted attribute) escaped: every text from outside (reasons, bodies,
 * alerts, an order id typed in) goes through here. */
static void html(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sbuf_puts(b, "&amp;"); break;
        case '<': sbuf_puts(b, "&lt;"); break;
        case '>': sbuf_puts(b, "&gt;"); break;
        case '"': sbuf_puts(b, "&quot;"); break;
        case '\'': sbuf_puts(b, "&#39;"); break;
        default: sbuf_putc(b, *s);
        }
    }
}

static void page_open(sbuf *b, const char *title)
{
    sbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<link rel=\"stylesheet\" href=\"/admin/ops.css\"><title>");
    html(b, title);
    sbuf_puts(b, "</title></head><body>\n");
}

static void page_send(httpd_req *r, int status, sbuf *b)
{
    sbuf_puts(b, "</body></html>\n");
    secure_headers(r);
    size_t len = b->len;
    httpd_reply_take(r, status, "text/html; charset=utf-8", sbuf_take(b), len);
}

/* The login form, with msg (NULL: none) above it. */
static void login_page(httpd_req *r, int status, const char *msg)
{
    sbuf b = {0};
    page_open(&b, "syncd: log in");
    sbuf_puts(&b, "<main class=\"login\"><h1>syncd ops</h1>");
    if (msg) {
        sbuf_puts(&b, "<p class=\"error\" id=\"login-error\">");
        html(&b, msg);
        sbuf_puts(&b, "</p>");
    }
    sbuf_puts(&b, "<form method=\"post\" action=\"/admin/login\">"
                  "<label>Admin token <input type=\"password\" name=\"token\" "
                  "autocomplete=\"current-password\" required autofocus></label> "
                  "<button type=\"submit\" id=\"login\">Log in</button></form></main>\n");
    page_send(r, status, &b);
}

/* Sim ms t as an ISO time of the run's clock. */
static void put_time(sbuf *b, syncd *sd, int64_t t)
{
    char iso[40];
    clock_format_iso(clock_epoch_ms(&sd->clk, t), 0, iso, sizeof iso);
    sbuf_puts(b, iso);
}

static const char *str_or(const cJSON *o, const char *name, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int64_t num_or(const cJSON *o, const char *name, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

/* A hidden field with the session's CSRF token (none for a bearer, whose
 * requests need none). */
static void csrf_field(sbuf *b, const char *csrf)
{
    if (csrf)
        sbuf_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", csrf);
}

static void section_queue(sbuf *b, syncd *sd)
{
    store_counts c;
    sbuf_puts(b, "<section id=\"queue\"><h2>Queue</h2>");
    if (store_count(sd->st, clock_now_ms(&sd->clk), &c) != 0) {
        sbuf_puts(b, "<p class=\"error\">The store could not be read.</p></section>\n");
        return;
    }
    char age[48] = "none queued";
    if (c.oldest_at >= 0) {
        int64_t ms = clock_now_ms(&sd->clk) - c.oldest_at;
        clock_format_duration(ms > 0 ? ms / 1000 * 1000 : 0, age, sizeof age);
    }
    sbuf_printf(b,
                "<table><tr><th>queued</th><td id=\"depth\">%lld</td></tr>"
                "<tr><th>of them being handled</th><td id=\"leased\">%lld</td></tr>"
                "<tr><th>oldest queued event's age</th><td id=\"oldest\">%s</td></tr>"
                "<tr><th>dead letters</th><td id=\"dead\">%lld</td></tr>"
                "<tr><th>done</th><td id=\"done\">%lld</td></tr></table>",
                (long long)(c.ready + c.leased), (long long)c.leased, age, (long long)c.dead,
                (long long)c.done);
    if (sd->cfg.time_scale != 1)
        sbuf_printf(b, "<p>Times are on syncd's clock, %g times real time.</p>",
                    sd->cfg.time_scale);
    sbuf_puts(b, "</section>\n");
}

static void dead_row(sbuf *b, syncd *sd, const cJSON *d, const char *csrf)
{
    int64_t id = num_or(d, "id", 0);
    sbuf_printf(b, "<tr id=\"dead-%lld\"><td>%lld</td><td>", (long long)id, (long long)id);
    html(b, str_or(d, "topic", ""));
    sbuf_puts(b, "</td><td>");
    html(b, str_or(d, "shop", ""));
    sbuf_puts(b, "</td><td class=\"reason\">");
    html(b, str_or(d, "reason", ""));
    sbuf_printf(b, "</td><td>%lld</td><td class=\"t\">", (long long)num_or(d, "attempts", 0));
    put_time(b, sd, num_or(d, "dead_at", 0));
    sbuf_printf(b, "</td><td><form method=\"post\" action=\"/admin/dlq/%lld/retry\">",
                (long long)id);
    csrf_field(b, csrf);
    sbuf_puts(b, "<button type=\"submit\" class=\"replay\">Replay</button></form></td></tr>\n");
}

static void section_dead(sbuf *b, syncd *sd, const char *csrf)
{
    sbuf_puts(b, "<section id=\"dead-letters\"><h2>Dead letters</h2>");
    cJSON *list = store_dlq_list(sd->st, OPS_DLQ_ROWS);
    if (!list) {
        sbuf_puts(b, "<p class=\"error\">The store could not be read.</p></section>\n");
        return;
    }
    if (cJSON_GetArraySize(list) == 0) {
        sbuf_puts(b, "<p id=\"no-dead\">None.</p>");
    } else {
        sbuf_puts(b, "<p>Replay puts the event back in the queue as it came; it is handled "
                     "again from the start.</p><table><tr><th>event</th><th>topic</th>"
                     "<th>shop</th><th>reason</th><th>tries</th><th>dead since</th><th></th></tr>\n");
        const cJSON *d;
        cJSON_ArrayForEach(d, list)
        {
            dead_row(b, sd, d, csrf);
        }
        sbuf_puts(b, "</table>");
    }
    cJSON_Delete(list);
    sbuf_puts(b, "</section>\n");
}

static void section_alerts(sbuf *b, syncd *sd)
{
    sbuf_printf(b, "<section id=\"alerts\"><h2>Recent alerts</h2><p>The last %d alerts since "
                   "syncd started, newest first.</p>",
                SYNCD_ALERTS_KEPT);
    cJSON *list = alertring_list(sd->alerts);
    if (cJSON_GetArraySize(list) == 0)
        sbuf_puts(b, "<p id=\"no-alerts\">None.</p>");
    else
        sbuf_puts(b, "<table><tr><th>at</th><th>alert</th></tr>\n");
    const cJSON *a;
    cJSON_ArrayForEach(a, list)
    {
        sbuf_puts(b, "<tr><td class=\"t\">");
        put_time(b, sd, num_or(a, "t", 0));
        sbuf_puts(b, "</td><td><code>");
        html(b, str_or(a, "alert", ""));
        sbuf_puts(b, "</code></td></tr>\n");
    }
    if (cJSON_GetArraySize(list) > 0)
        sbuf_puts(b, "</table>");
    cJSON_Delete(list);
    sbuf_puts(b, "</section>\n");
}

/* Whether s looks like an order id: 1 to 64 characters of digits, letters
 * and "_-.:/" (Shopify's are digits; a GID has letters, ':' and '/'). */
static int order_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              strchr("_-.:/", *s)))
            return 0;
    return 1;
}

static void audit_rows(sbuf *b, syncd *sd, const cJSON *rows)
{
    sbuf_puts(b, "<table id=\"audit\"><tr><th>event</th><th>topic</th><th>shop</th><th>at</th>"
                 "<th>what</th><th>detail</th></tr>\n");
    const cJSON *a;
    cJSON_ArrayForEach(a, rows)
    {
        sbuf_printf(b, "<tr><td>%lld</td><td>", (long long)num_or(a, "event", 0));
        html(b, str_or(a, "topic", ""));
        sbuf_puts(b, "</td><td>");
        html(b, str_or(a, "shop", ""));
        sbuf_puts(b, "</td><td class=\"t\">");
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "t")))
            put_time(b, sd, num_or(a, "t", 0));
        sbuf_puts(b, "</td><td class=\"what\">");
        html(b, str_or(a, "what", "queued, not handled yet"));
        sbuf_puts(b, "</td><td>");
        html(b, str_or(a, "detail", ""));
        sbuf_puts(b, "</td></tr>\n");
    }
    sbuf_puts(b, "</table>");
}

/* The lookup form and, when order (NULL: none asked) is given, its trail.
 * Returns the page's status: 400 for an order id that cannot be one. */
static int section_order(sbuf *b, syncd *sd, const char *order)
{
    int status = 200;
    sbuf_puts(b, "<section id=\"order\"><h2>An order's audit trail</h2>"
                 "<form method=\"get\" action=\"/admin/\"><label>Shopify order id "
                 "<input name=\"order\" id=\"order-id\" value=\"");
    html(b, order ? order : "");
    sbuf_puts(b, "\"></label> <button type=\"submit\" id=\"lookup\">Look up</button></form>");
    if (order && !order_id_ok(order)) {
        status = 400;
        sbuf_puts(b, "<p class=\"error\" id=\"order-error\">order: expected a Shopify order id "
                     "(digits, or a GID), at most 64 characters</p>");
    } else if (order) {
        cJSON *rows = store_order_audit(sd->st, order, OPS_AUDIT_ROWS);
        if (!rows) {
            status = 500;
            sbuf_puts(b, "<p class=\"error\">The store could not be read.</p>");
        } else if (cJSON_GetArraySize(rows) == 0) {
            sbuf_puts(b, "<p id=\"no-audit\">syncd holds no event of order ");
            html(b, order);
            sbuf_puts(b, ".</p>");
        } else {
            audit_rows(b, sd, rows);
        }
        cJSON_Delete(rows);
    }
    sbuf_puts(b, "</section>\n");
    return status;
}

/* What the last change asked for came to, from the query opspage_back set. */
static void notice(sbuf *b, httpd_req *r)
{
    uint64_t id;
    const char *q;
    if ((q = httpd_query(r, "replayed")) && sscanf(q, "%" SCNu64, &id) == 1)
        sbuf_printf(b, "<p class=\"notice\" id=\"notice\">Event %" PRIu64 " is queued again.</p>",
                    id);
    else if ((q = httpd_query(r, "gone")) && sscanf(q, "%" SCNu64, &id) == 1)
        sbuf_printf(b,
                    "<p class=\"notice\" id=\"notice\">Event %" PRIu64 " is not a dead letter "
                    "(replayed already?).</p>",
                    id);
}

static void on_page(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    char csrf[OPSAUTH_TOKEN_LEN + 1];
    if (!sd->cfg.admin_token) {
        refuse(sd, r);
        return;
    }
    int how = who(sd, r, csrf);
    if (!how) {
        login_page(r, 200, NULL);
        return;
    }
    sbuf b = {0};
    page_open(&b, "syncd ops");
    sbuf_printf(&b, "<header><h1>syncd ops</h1><p>mode %s, %s</p>", sd->cfg.mode,
                sd->ready ? "ready" : "starting");
    if (how == OPS_SESSION) {
        sbuf_puts(&b, "<form method=\"post\" action=\"/admin/logout\">");
        csrf_field(&b, csrf);
        sbuf_puts(&b, "<button type=\"submit\" id=\"logout\">Log out</button></form>");
    }
    sbuf_puts(&b, "</header><main>\n");
    notice(&b, r);
    const char *csrf_or_null = how == OPS_SESSION ? csrf : NULL;
    section_queue(&b, sd);
    section_dead(&b, sd, csrf_or_null);
    section_alerts(&b, sd);
    int status = section_order(&b, sd, httpd_query(r, "order"));
    sbuf_puts(&b, "</main>\n");
    page_send(r, status, &b);
}

static void on_page_bare(httpd_req *r, void *ud)
{
    (void)ud;
    opspage_back(r, NULL);
}

static const char ops_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "code{white-space:pre-wrap;word-break:break-all}"
    ".t{white-space:nowrap}.error{color:#a00}.notice{background:#eef6ee;padding:.5em}"
    "header{display:flex;gap:1em;align-items:baseline}form{display:inline}\n";

static void on_css(httpd_req *r, void *ud)
{
    (void)ud;
    httpd_add_header(r, "X-Content-Type-Options", "nosniff");
    httpd_add_header(r, "Cache-Control", "max-age=3600");
    httpd_reply(r, 200, "text/css; charset=utf-8", ops_css, sizeof ops_css - 1);
}

/* ---- login and logout ---------------------------------------------------------------- */

/* A login is a small form: anything else is refused on its headers. */
static int login_gate(httpd_req *r, void *ud)
{
    (void)ud;
    const char *ct = httpd_header(r, "Content-Type");
    const char *form = "application/x-www-form-urlencoded";
    if (!ct || strncasecmp(ct, form, strlen(form)) != 0) {
        httpd_reply_error(r, 415, "login: expected Content-Type application/x-www-form-urlencoded");
        return 1;
    }
    const char *cl = httpd_header(r, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > OPS_LOGIN_BODY_MAX) {
        httpd_reply_error(r, 413, "login: request body too large");
        return 1;
    }
    return 0;
}

static void on_login(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    if (!sd->cfg.admin_token) {
        refuse(sd, r);
        return;
    }
    if (login_gate(r, sd))
        return;
    size_t len;
    const char *body = httpd_body(r, &len);
    char *token = xmalloc(OPS_LOGIN_BODY_MAX + 1);
    int ok = len <= OPS_LOGIN_BODY_MAX &&
             webform_field(body, len, "token", token, OPS_LOGIN_BODY_MAX + 1) == 0 &&
             opsauth_same(token, sd->cfg.admin_token);
    memset(token, 0, OPS_LOGIN_BODY_MAX + 1);
    free(token);
    if (!ok) {
        /* Nothing about what was wrong: missing, short and wrong look alike. */
        count_login(sd, "refused");
        log_warn("ops page: a login was refused");
        login_page(r, 401, "Login failed.");
        return;
    }
    char sid[OPSAUTH_TOKEN_LEN + 1], csrf[OPSAUTH_TOKEN_LEN + 1];
    if (opsauth_login(sd->ops, real_now_ms(), sid, csrf) != 0) {
        log_error("ops page: no random bytes for a session id");
        httpd_reply_error(r, 500, "could not open a session");
        return;
    }
    count_login(sd, "ok");
    log_info("ops page: a session was opened");
    char cookie[160];
    /* A session cookie (no Max-Age): the browser forgets it when it
     * closes; syncd ends the session itself anyway (opsauth.h). */
    snprintf(cookie, sizeof cookie, OPS_COOKIE "=%s; Path=/admin; HttpOnly; SameSite=Strict", sid);
    httpd_add_header(r, "Set-Cookie", cookie);
    opspage_back(r, NULL);
}

static void on_logout(httpd_req *r, void *ud)
{
    syncd *sd = ud;
    int how = opspage_admin_change(sd, r);
    if (!how)
        return;
    if (how == OPS_BEARER) {
        httpd_reply_error(r, 400, "logout ends a session of the ops page; a bearer token has none");
        return;
    }
    char sid[OPSAUTH_TOKEN_LEN + 1];
    if (webform_cookie(httpd_header(r, "Cookie"), OPS_COOKIE, sid, sizeof sid) == 0)
        opsauth_logout(sd->ops, sid);
    httpd_add_header(r, "Set-Cookie",
                     OPS_COOKIE "=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
    opspage_back(r, NULL);
}

int opspage_gate(httpd_req *r, void *ud)
{
    return !opspage_admin(ud, r);
}

static const route_row page_table[] = {
    {"GET", "/admin", on_page_bare, NULL},
    {"GET", "/admin/", on_page, NULL},
    {"GET", "/admin/ops.css", on_css, NULL},
    {"POST", "/admin/login", on_login, login_gate},
    {"POST", "/admin/logout", on_logout, opspage_gate},
};

void opspage_routes(syncd *sd, httpd *srv)
{
    routes_add(srv, page_table, sizeof page_table / sizeof page_table[0], sd);
}
