/* syncd's ops page end to end: the auth rules over HTTP (login form,
 * session cookie and its flags, CSRF on every change a session makes,
 * bearer scripts without it, logout), and a real browser (headless
 * Chromium driven by tests/clients/opspage.mjs through puppeteer-core)
 * replaying a dead letter whose sale then lands in mock-cin7. Without node,
 * the npm tools or Chromium the browser test fails: it never skips
 * (scripts/deps.sh --test installs them). */
#include "test_syncd.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM "Content-Type: application/x-www-form-urlencoded"
#define TOKEN "e2e-admin"

/* POSTs a login with token (URL-encoded by the caller); returns the
 * answer (caller frees). */
static httpc_resp login(const sdt_world *w, const char *token)
{
    char body[300];
    snprintf(body, sizeof body, "token=%s", token);
    const char *h[] = {FORM, NULL};
    return e2e_call(&w->syncd, "POST", "/admin/login", h, body);
}

/* A good login's cookie, "syncd_admin=<id>", into buf (n bytes); the
 * Set-Cookie header whole into set (m bytes). */
static void session_of(const sdt_world *w, char *buf, size_t n, char *set, size_t m)
{
    httpc_resp r = login(w, TOKEN);
    EXPECT_EQ_INT(r.status, 303);
    char loc[100];
    EXPECT_EQ_STR(httpc_header(&r, "Location", loc, sizeof loc) ? loc : "(none)", "/admin/");
    if (!httpc_header(&r, "Set-Cookie", set, m))
        test_fail(__FILE__, __LINE__, "a good login set no cookie");
    httpc_resp_free(&r);
    const char *semi = strchr(set, ';');
    snprintf(buf, n, "%.*s", semi ? (int)(semi - set) : (int)strlen(set), set);
}

/* The CSRF token the page puts in its forms, into buf (65 bytes). */
static void csrf_of(const char *html, char *buf)
{
    const char *p = strstr(html, "name=\"csrf\" value=\"");
    if (!p || strlen(p) < 19 + 64)
        test_fail(__FILE__, __LINE__, "no CSRF field on the page");
    snprintf(buf, 65, "%.64s", p + 19);
}

/* GET /admin/ with the given headers; returns the answer. */
static httpc_resp page(const sdt_world *w, const char *const *h)
{
    return e2e_call(&w->syncd, "GET", "/admin/", h, NULL);
}

TEST_T(syncd_ops, auth_rules, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", NULL);

    /* Without credentials: the login form, under a strict policy. */
    httpc_resp r = page(&w, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "action=\"/admin/login\"");
    EXPECT_TRUE(strstr(r.body, "Dead letters") == NULL);
    char hv[300];
    EXPECT_CONTAINS(httpc_header(&r, "Content-Security-Policy", hv, sizeof hv) ? hv : "",
                    "default-src 'none'");
    EXPECT_CONTAINS(hv, "frame-ancestors 'none'");
    EXPECT_EQ_STR(httpc_header(&r, "X-Content-Type-Options", hv, sizeof hv) ? hv : "", "nosniff");
    httpc_resp_free(&r);

    /* A wrong token, an empty one, a prefix of the right one, none at
     * all: 401 and the form again, the same words each time, no cookie. */
    const char *wrong[] = {"nope", "", "e2e-admi", "e2e-admin%00", "e2e-adminx"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        r = login(&w, wrong[i]);
        EXPECT_EQ_INT(r.status, 401);
        EXPECT_CONTAINS(r.body, "<p class=\"error\" id=\"login-error\">Login failed.</p>");
        EXPECT_TRUE(httpc_header(&r, "Set-Cookie", hv, sizeof hv) == NULL);
        httpc_resp_free(&r);
    }
    const char *json_body[] = {"Content-Type: application/json", NULL};
    cJSON_Delete(e2e_expect(&w.syncd, "POST", "/admin/login", json_body, "{\"token\":\"e2e-admin\"}",
                            415, 1));
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_admin_logins_total{result=\"refused\"}"), 5);

    /* The right token: a session cookie with the flags, then the page. */
    char cookie[120], set[300];
    session_of(&w, cookie, sizeof cookie, set, sizeof set);
    EXPECT_CONTAINS(set, "; Path=/admin");
    EXPECT_CONTAINS(set, "; HttpOnly");
    EXPECT_CONTAINS(set, "; SameSite=Strict");
    EXPECT_TRUE(strstr(set, "Secure") == NULL); /* syncd serves plain HTTP */
    EXPECT_EQ_INT((int64_t)strlen(cookie), (int64_t)strlen("syncd_admin=") + 64);
    char ch[160];
    snprintf(ch, sizeof ch, "Cookie: %s", cookie);
    const char *with_cookie[] = {ch, NULL};
    r = page(&w, with_cookie);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "<h2>Dead letters</h2>");
    EXPECT_CONTAINS(r.body, "<td id=\"depth\">");
    char csrf[65];
    csrf_of(r.body, csrf);
    httpc_resp_free(&r);
    /* Two logins are two sessions, each with its own CSRF token. */
    char cookie2[120], set2[300];
    session_of(&w, cookie2, sizeof cookie2, set2, sizeof set2);
    EXPECT_TRUE(strcmp(cookie, cookie2) != 0);
    char ch2[160];
    snprintf(ch2, sizeof ch2, "Cookie: %s", cookie2);
    const char *with_cookie2[] = {ch2, NULL};
    r = page(&w, with_cookie2);
    char csrf2[65];
    csrf_of(r.body, csrf2);
    httpc_resp_free(&r);
    EXPECT_TRUE(strcmp(csrf, csrf2) != 0);

    /* The session reads the JSON API as a bearer does. */
    cJSON_Delete(e2e_expect(&w.syncd, "GET", "/admin/dlq", with_cookie, NULL, 200, 1));

    /* A change with the cookie needs the session's CSRF token: missing,
     * wrong, or another session's are 403 and change nothing. */
    char body[200];
    const char *form_cookie[] = {ch, FORM, NULL};
    e2e_expect_text(&w.syncd, "POST", "/admin/reconcile", form_cookie, "", 403, "CSRF");
    snprintf(body, sizeof body, "csrf=%.63sx", csrf);
    e2e_expect_text(&w.syncd, "POST", "/admin/reconcile", form_cookie, body, 403, "CSRF");
    snprintf(body, sizeof body, "csrf=%s", csrf2);
    e2e_expect_text(&w.syncd, "POST", "/admin/reconcile", form_cookie, body, 403, "CSRF");
    snprintf(body, sizeof body, "csrf=%.32s", csrf);
    e2e_expect_text(&w.syncd, "POST", "/admin/dlq/1/retry", form_cookie, body, 403, "CSRF");
    e2e_expect_text(&w.syncd, "POST", "/admin/logout", form_cookie, "", 403, "CSRF");
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_admin_csrf_refused_total"), 5);

    /* With it (form field or header) the change goes through; a replay
     * of an id that is not dead sends the browser back to say so. */
    snprintf(body, sizeof body, "csrf=%s", csrf);
    cJSON_Delete(e2e_expect(&w.syncd, "POST", "/admin/reconcile", form_cookie, body, 202, 1));
    char xh[120];
    snprintf(xh, sizeof xh, "X-CSRF-Token: %s", csrf);
    const char *hdr_csrf[] = {ch, xh, NULL};
    cJSON_Delete(e2e_expect(&w.syncd, "POST", "/admin/reconcile", hdr_csrf, NULL, 202, 1));
    r = e2e_call(&w.syncd, "POST", "/admin/dlq/99/retry", form_cookie, body);
    EXPECT_EQ_INT(r.status, 303);
    EXPECT_EQ_STR(httpc_header(&r, "Location", hv, sizeof hv) ? hv : "", "/admin/?gone=99");
    httpc_resp_free(&r);

    /* A bearer needs no CSRF token, and its answers stay JSON. */
    const char *bearer[] = {SDT_ADMIN, NULL};
    cJSON_Delete(e2e_expect(&w.syncd, "POST", "/admin/reconcile", bearer, NULL, 202, 1));
    cJSON_Delete(e2e_expect(&w.syncd, "POST", "/admin/dlq/99/retry", bearer, NULL, 404, 1));
    e2e_expect_text(&w.syncd, "POST", "/admin/logout", bearer, NULL, 400, "bearer");

    /* An unknown or made-up cookie is no session. */
    const char *forged[] = {"Cookie: syncd_admin=00000000000000000000000000000000000000000000000"
                            "00000000000000000",
                            NULL};
    e2e_expect_text(&w.syncd, "GET", "/admin/dlq", forged, NULL, 401, "admin_token");

    /* Logout ends the session (the other stays) and clears the cookie. */
    r = e2e_call(&w.syncd, "POST", "/admin/logout", form_cookie, body);
    EXPECT_EQ_INT(r.status, 303);
    EXPECT_CONTAINS(httpc_header(&r, "Set-Cookie", hv, sizeof hv) ? hv : "", "Max-Age=0");
    httpc_resp_free(&r);
    e2e_expect_text(&w.syncd, "GET", "/admin/dlq", with_cookie, NULL, 401, "admin_token");
    r = page(&w, with_cookie);
    EXPECT_CONTAINS(r.body, "action=\"/admin/login\"");
    httpc_resp_free(&r);
    cJSON_Delete(e2e_expect(&w.syncd, "GET", "/admin/dlq", with_cookie2, NULL, 200, 1));
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_admin_logins_total{result=\"ok\"}"), 2);
    sdt_stop(&w);
}

/* Whether syncd's queue holds exactly one event (ud: the world). */
static int one_queued(void *ud)
{
    return sdt_metric(ud, "syncd_queue_depth") == 1;
}

TEST_T(syncd_ops, page_shows_the_queue_and_its_oldest_event, 120)
{
    /* Cin7 holds the sale call two simulated minutes: the order's event
     * stays queued (leased) meanwhile, and the page and /metrics say so. */
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    const char *bearer[] = {SDT_ADMIN, NULL};
    httpc_resp r = page(&w, bearer);
    EXPECT_CONTAINS(r.body, "<td id=\"depth\">0</td>");
    EXPECT_CONTAINS(r.body, "<td id=\"oldest\">none queued</td>");
    httpc_resp_free(&r);
    e2e_faults(&w.cin7, "[{\"kind\":\"latency\",\"target\":\"POST /ExternalApi/v2/sale\",\"ms\":\"2m\"}]");
    int64_t order = sdt_checkout(&w, "A-1", 1, NULL);
    EXPECT_TRUE(e2e_wait(one_queued, &w, 20000));
    int64_t age1 = sdt_metric(&w, "syncd_queue_oldest_age_ms");
    r = page(&w, bearer);
    EXPECT_CONTAINS(r.body, "<td id=\"depth\">1</td>");
    EXPECT_TRUE(strstr(r.body, "none queued") == NULL);
    httpc_resp_free(&r);
    int64_t age2 = sdt_metric(&w, "syncd_queue_oldest_age_ms");
    EXPECT_GE_INT(age1, 0);
    EXPECT_GE_INT(age2, age1); /* the same event, older */
    /* The order's trail so far: its event, queued or already routed. */
    char path[80];
    snprintf(path, sizeof path, "/admin/?order=%lld", (long long)order);
    r = e2e_call(&w.syncd, "GET", path, bearer, NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "<table id=\"audit\">");
    EXPECT_CONTAINS(r.body, "<td>orders/paid</td><td>" SDT_SHOP "</td>");
    httpc_resp_free(&r);
    e2e_faults(&w.cin7, "[]");
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_queue_oldest_age_ms"), 0);
    sdt_stop(&w);
}

/* Whether syncd's dead-letter queue holds something (ud: the world). */
static int has_dead(void *ud)
{
    return sdt_dlq_count(ud) > 0;
}

TEST_T(syncd_ops, browser_replays_a_dead_letter, 240)
{
    /* Two tries a second or two apart: Cin7 refusing every sale outlasts
     * them, and the order is dead-lettered with Cin7's answer as reason. */
    sdt_world w;
    sdt_start_basic(&w, "", "{\"retry\":{\"max_attempts\":2,\"base\":\"1s\",\"cap\":\"2s\"}}");
    e2e_faults(&w.cin7, "[{\"kind\":\"outage\",\"target\":\"POST /ExternalApi/v2/sale*\","
                        "\"status\":500}]");
    int64_t order = sdt_checkout(&w, "A-1", 2, NULL);
    EXPECT_TRUE(e2e_wait(has_dead, &w, 60000));
    const cJSON *dead;
    cJSON *dlq = sdt_one_dead_letter(&w, "orders/paid", "500", &dead);
    int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dead, "id"));
    cJSON_Delete(dlq);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 0);

    /* Cin7 is back. A replay forged with the session's cookie alone (as
     * another site's form would send it) changes nothing. */
    e2e_faults(&w.cin7, "[]");
    char cookie[120], set[300], ch[160], retry[64];
    session_of(&w, cookie, sizeof cookie, set, sizeof set);
    snprintf(ch, sizeof ch, "Cookie: %s", cookie);
    snprintf(retry, sizeof retry, "/admin/dlq/%lld/retry", (long long)id);
    const char *forged[] = {ch, FORM, NULL};
    e2e_expect_text(&w.syncd, "POST", retry, forged, "", 403, "CSRF");
    EXPECT_EQ_INT(sdt_dlq_count(&w), 1);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 0);

    /* The person at the page replays the order. */
    char args[400];
    snprintf(args, sizeof args, "--url http://127.0.0.1:%u --token " TOKEN
                                " --dead %lld --reason 500 --order %lld",
             w.syncd.port, (long long)id, (long long)order);
    int code;
    char *out = e2e_node("tests/clients/opspage.mjs", args, &code);
    EXPECT_EQ_INT(code, 0);
    EXPECT_CONTAINS(out, "wrong token: 401");
    EXPECT_CONTAINS(out, "logged in: cookie HttpOnly SameSite=Strict Path=/admin");
    char line[120];
    snprintf(line, sizeof line, "replayed: Event %lld is queued again.", (long long)id);
    EXPECT_CONTAINS(out, line);
    EXPECT_CONTAINS(out, "no CSP violation");
    EXPECT_CONTAINS(out, "\nok\n");
    free(out);

    /* Ground truth: the sale is in Cin7, once, and the queue is empty. */
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);
    sdt_expect_one_sale_each(&w, &order, 1);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    /* The audit trail says who replayed it, and the alert of its death is
     * among the page's recent alerts. */
    char path[80];
    snprintf(path, sizeof path, "/admin/events/%lld/audit", (long long)id);
    const char *bearer[] = {SDT_ADMIN, NULL};
    cJSON *a = e2e_expect(&w.syncd, "GET", path, bearer, NULL, 200, 1);
    char *text = cJSON_PrintUnformatted(a);
    EXPECT_CONTAINS(text, "\"what\":\"requeued\",\"detail\":\"by the ops page\"");
    EXPECT_CONTAINS(text, "\"what\":\"pushed\"");
    free(text);
    cJSON_Delete(a);
    httpc_resp r = page(&w, bearer);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "<p id=\"no-dead\">None.</p>");
    EXPECT_CONTAINS(r.body, "&quot;topic&quot;:&quot;orders/paid&quot;");
    httpc_resp_free(&r);
    sdt_stop(&w);
}

/* Whether housekeeping removed audit rows and the links of events whose
 * rows are all gone (ud: the world). */
static int audit_pruned(void *ud)
{
    return sdt_metric(ud, "syncd_housekept_rows_total{kind=\"audit\"}") > 0 &&
           sdt_metric(ud, "syncd_housekept_rows_total{kind=\"order_events\"}") > 0;
}

/* Housekeeping after each reconciliation: with `retention` 3 simulated
 * minutes, an order's audit trail and its sale's request body go once
 * they are older; dedup keys stay (3 days whatever the retention), and
 * the order sent again under another webhook id makes no second sale
 * (the write ledger's keys stay). */
TEST_T(syncd_ops, housekeeping_removes_old_audit_rows_and_keeps_writes_exactly_once, 120)
{
    sdt_world w;
    sdt_start_basic(&w, "", "{\"retention\":\"3m\",\"reconcile\":{\"interval\":\"1m\"}}");
    int64_t order = sdt_checkout(&w, "A-1", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 30000), 1);
    sdt_wait_quiet(&w, 30000);
    const char *bearer[] = {SDT_ADMIN, NULL};
    char path[80];
    snprintf(path, sizeof path, "/admin/?order=%lld", (long long)order);
    httpc_resp r = e2e_call(&w.syncd, "GET", path, bearer, NULL);
    EXPECT_CONTAINS(r.body, "<table id=\"audit\">");
    httpc_resp_free(&r);
    /* Three simulated minutes and a reconciliation later (a few real
     * seconds): the trail is gone. */
    if (!e2e_wait(audit_pruned, &w, 30000))
        test_fail(__FILE__, __LINE__, "no audit row removed within 30 s (log %s)", w.syncd.log);
    EXPECT_GE_INT(sdt_metric(&w, "syncd_housekept_rows_total{kind=\"write_bodies\"}"), 1);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_housekept_rows_total{kind=\"dedup\"}"), 0);
    r = e2e_call(&w.syncd, "GET", path, bearer, NULL);
    EXPECT_CONTAINS(r.body, "<p id=\"no-audit\">");
    httpc_resp_free(&r);
    /* The order's paid webhook sent again: still one sale. */
    char *body = sdt_order_json(&w, order);
    char wid[64];
    snprintf(wid, sizeof wid, "order-%lld-again", (long long)order);
    EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/paid", body, SDT_SECRET, wid, NULL), 200);
    free(body);
    sdt_wait_quiet(&w, 30000);
    EXPECT_EQ_INT(sdt_sales_now(&w, order), 1);
    sdt_stop(&w);
}
