/* Intake limits and whole secrets, end to end: a body that trickles in is
 * cut at the request deadline; a route's gate answers on the headers
 * before any body is sent; connections over the limit wait in the backlog
 * and over the per-address limit are closed; syncd refuses unsigned,
 * unknown-shop and untitled webhooks and unauthenticated admin and Cin7
 * calls on their headers, compares long tokens and secrets whole and keeps
 * long webhook ids whole; the mocks' journal refuses a `since` past 2^64-1.
 * A raw socket client does what curl will not: stall mid-body, or send
 * headers that announce a body and then wait. */
#include "e2e.h"

#include "clock.h"
#include "hmac.h"
#include "mem.h"
#include "sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a raw client ---------------------------------------------------------- */

static int raw_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        test_fail(__FILE__, __LINE__, "socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        test_fail(__FILE__, __LINE__, "connect to %u: %s", (unsigned)port, strerror(errno));
    return fd;
}

/* 0 when every byte left, -1 when the server has closed. */
static int raw_send(int fd, const char *text, size_t n)
{
    while (n) {
        ssize_t k = send(fd, text, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        text += k;
        n -= (size_t)k;
    }
    return 0;
}

/* 1 when the server has said something (or closed) within ms. */
static int raw_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) > 0;
}

/* What the server sends until it closes, or until its answer is complete
 * by its Content-Length (a kept-alive connection), within timeout_ms.
 * Malloc'd; "" when it closed without a word. */
static char *raw_answer(int fd, int timeout_ms)
{
    sbuf b = SBUF_INIT;
    int64_t until = clock_mono_us() + (int64_t)timeout_ms * 1000;
    while (clock_mono_us() < until) {
        if (!raw_readable(fd, 50))
            continue;
        char chunk[4096];
        ssize_t k = recv(fd, chunk, sizeof chunk, 0);
        if (k <= 0)
            break;
        sbuf_append(&b, chunk, (size_t)k);
        const char *end = strstr(sbuf_str(&b), "\r\n\r\n");
        const char *cl = strcasestr(sbuf_str(&b), "Content-Length:");
        if (end && cl && cl < end &&
            b.len >= (size_t)(end + 4 - b.data) + strtoul(cl + 15, NULL, 10))
            break;
    }
    return sbuf_take(&b);
}

/* The status of an HTTP answer's text, 0 when there is none. */
static int raw_status(const char *answer)
{
    int status = 0;
    if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    return status;
}

/* Sends a whole request on a new connection; returns the answer's status
 * (0 for none within 5 s). */
static int raw_request(uint16_t port, const char *req)
{
    int fd = raw_connect(port);
    raw_send(fd, req, strlen(req)); /* may fail: the server may close at once */
    char *answer = raw_answer(fd, 5000);
    int status = raw_status(answer);
    free(answer);
    close(fd);
    return status;
}

/* Sends headers (each ending "\r\n", the blank line added here) announcing
 * a body of a million bytes, sends none of it, and returns the status of the
 * answer (0 for none within 5 s). */
static int status_before_body(uint16_t port, const char *request_line, const char *headers)
{
    int fd = raw_connect(port);
    char *req = xasprintf("%s\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n%s\r\n", request_line,
                          headers);
    EXPECT_EQ_INT(raw_send(fd, req, strlen(req)), 0);
    free(req);
    char *answer = raw_answer(fd, 5000);
    int status = raw_status(answer);
    free(answer);
    close(fd);
    return status;
}

/* Sends headers announcing a body of 100 bytes, then the body one byte
 * every 200 ms while the server stays silent. Returns how many bytes went
 * before the server answered or closed; *status gets the answer's status
 * (0 when it closed without one). */
static int trickle_body(uint16_t port, const char *request_line, const char *headers, int *status)
{
    int fd = raw_connect(port);
    char *req = xasprintf("%s\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n%s\r\n", request_line,
                          headers);
    EXPECT_EQ_INT(raw_send(fd, req, strlen(req)), 0);
    free(req);
    int sent = 0;
    while (sent < 100 && !raw_readable(fd, 200) && raw_send(fd, "x", 1) == 0)
        sent++;
    char *answer = raw_answer(fd, 5000);
    *status = raw_status(answer);
    free(answer);
    close(fd);
    return sent;
}

/* ---- lib/httpd ------------------------------------------------------------- */

static atomic_int handled;

static void ok_handler(httpd_req *r, void *ud)
{
    (void)ud;
    atomic_fetch_add(&handled, 1);
    httpd_reply_json_text(r, 200, "{\"ok\":true}");
}

static int key_gate(httpd_req *r, void *ud)
{
    (void)ud;
    const char *k = httpd_header(r, "X-Key");
    if (k && strcmp(k, "yes") == 0)
        return 0;
    httpd_reply_error(r, 401, "missing X-Key");
    return 1;
}

static httpd *limited_server(const httpd_config *cfg)
{
    atomic_store(&handled, 0);
    httpd *s = httpd_new();
    httpd_route(s, "POST", "/echo", ok_handler, NULL);
    httpd_route(s, "GET", "/ok", ok_handler, NULL);
    httpd_route(s, "POST", "/gated", ok_handler, NULL);
    EXPECT_EQ_INT(httpd_route_gate(s, "POST", "/gated", key_gate, NULL), 0);
    EXPECT_EQ_INT(httpd_route_gate(s, "POST", "/nowhere", key_gate, NULL), -1);
    char err[256];
    if (httpd_start(s, cfg, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "httpd_start: %s", err);
    return s;
}

TEST(intake_limits, slow_body_is_cut_at_the_deadline)
{
    httpd_config cfg = {.request_deadline_ms = 600};
    httpd *s = limited_server(&cfg);
    int status = -1;
    int sent = trickle_body(httpd_port(s), "POST /echo HTTP/1.1", "", &status);
    /* The whole body takes 20 s; the deadline cuts it after about three
     * bytes, and the handler never sees a request that never arrived. */
    EXPECT_LT_INT(sent, 100);
    EXPECT_TRUE(status == 0 || status == 408);
    EXPECT_EQ_INT(atomic_load(&handled), 0);
    /* A body sent at once is unaffected. */
    EXPECT_EQ_INT(raw_request(httpd_port(s),
                              "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"),
                  200);
    EXPECT_EQ_INT(atomic_load(&handled), 1);
    httpd_free(s);
}

TEST(intake_limits, a_gate_answers_before_the_body_is_sent)
{
    httpd_config cfg = {0};
    httpd *s = limited_server(&cfg);
    /* No body byte is ever sent: the answer comes from the headers alone. */
    EXPECT_EQ_INT(status_before_body(httpd_port(s), "POST /gated HTTP/1.1", ""), 401);
    EXPECT_EQ_INT(atomic_load(&handled), 0);
    /* With the key, the server takes the body as usual. */
    EXPECT_EQ_INT(raw_request(httpd_port(s), "POST /gated HTTP/1.1\r\nHost: x\r\nX-Key: yes\r\n"
                                             "Content-Length: 5\r\n\r\nhello"),
                  200);
    EXPECT_EQ_INT(atomic_load(&handled), 1);
    httpd_free(s);
}

/* Opens a connection and has one request answered on it, so the server
 * counts it as open (kept alive) until the client closes it. */
static int kept_alive(uint16_t port)
{
    int fd = raw_connect(port);
    const char *req = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ_INT(raw_send(fd, req, strlen(req)), 0);
    char *answer = raw_answer(fd, 5000);
    EXPECT_EQ_INT(raw_status(answer), 200);
    free(answer);
    return fd;
}

TEST(intake_limits, connections_over_the_limit_wait_their_turn)
{
    httpd_config cfg = {.threads = 2, .max_connections = 2};
    httpd *s = limited_server(&cfg);
    uint16_t port = httpd_port(s);
    int a = kept_alive(port), b = kept_alive(port);
    /* A third connects (the kernel's backlog takes it) but is not served
     * while the two stay open... */
    int c = raw_connect(port);
    const char *req = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ_INT(raw_send(c, req, strlen(req)), 0);
    EXPECT_FALSE(raw_readable(c, 500));
    /* ...and is as soon as one closes. */
    close(a);
    char *answer = raw_answer(c, 5000);
    EXPECT_EQ_INT(raw_status(answer), 200);
    free(answer);
    close(b);
    close(c);
    httpd_free(s);
}

TEST(intake_limits, connections_over_the_per_address_limit_are_closed)
{
    httpd_config cfg = {.max_connections_per_ip = 1};
    httpd *s = limited_server(&cfg);
    uint16_t port = httpd_port(s);
    int a = kept_alive(port);
    int b = raw_connect(port);
    const char *req = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    raw_send(b, req, strlen(req)); /* may fail: the server closes at once */
    char *answer = raw_answer(b, 5000);
    EXPECT_EQ_STR(answer, "");
    free(answer);
    close(b);
    close(a);
    /* The address is welcome again once its connection is gone (which the
     * server notices soon, not at once). */
    int status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        if (i)
            e2e_sleep_ms(20);
        status = raw_request(port, req);
    }
    EXPECT_EQ_INT(status, 200);
    httpd_free(s);
}

/* ---- syncd ----------------------------------------------------------------- */

#define SHOP "limits.myshopify.com"
#define SHOP_SECRET "limits-secret"

/* A token of n characters: a run of 'a', then 'b' from `from` on. */
static char *token(size_t n, size_t from)
{
    char *t = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        t[i] = i < from ? 'a' : 'b';
    t[n] = '\0';
    return t;
}

/* syncd alone (its APIs point at a closed port: intake needs neither),
 * with the given admin token, Cin7 bearer secret and request deadline. */
static void start_syncd(e2e_server *sd, const char *admin, const char *hook_secret)
{
    char *config = xasprintf(
        "{\"store\":\"%s/syncd.db\",\"admin_token\":\"%s\",\"register_webhooks\":false,"
        "\"intake\":{\"request_deadline_real_ms\":600},"
        "\"cin7\":{\"base_url\":\"http://127.0.0.1:1/ExternalApi/v2/\",\"account_id\":\"x\","
        "\"application_key\":\"y\",\"webhook_auth\":{\"type\":\"bearer\",\"secret\":\"%s\"}},"
        "\"shops\":[{\"domain\":\"" SHOP "\",\"base_url\":\"http://127.0.0.1:1\","
        "\"access_token\":\"t\",\"api_secret\":\"" SHOP_SECRET "\"}],"
        "\"locations\":[{\"name\":\"Main\"}]}",
        test_tmp_dir(), admin, hook_secret);
    e2e_start_config(sd, "syncd", config, NULL);
    free(config);
}

/* A /metrics sample by its exact name; -1 when absent. */
static long long metric(const e2e_server *sd, const char *name)
{
    httpc_resp r = e2e_call(sd, "GET", "/metrics", NULL, NULL);
    EXPECT_EQ_INT(r.status, 200);
    long long v = -1;
    size_t n = strlen(name);
    for (const char *line = r.body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, n) == 0 && line[n] == ' ')
            v = strtoll(line + n + 1, NULL, 10);
    httpc_resp_free(&r);
    return v;
}

/* POSTs a signed orders/paid webhook with a webhook id; returns the status. */
static int send_order(const e2e_server *sd, long long order, const char *webhook_id)
{
    char *body = xasprintf("{\"id\":%lld,\"financial_status\":\"paid\",\"line_items\":[]}", order);
    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(SHOP_SECRET, body, strlen(body), sig);
    char *h_sig = xasprintf("X-Shopify-Hmac-Sha256: %s", sig);
    char *h_wid = xasprintf("X-Shopify-Webhook-Id: %s", webhook_id);
    const char *hdrs[] = {"Content-Type: application/json", "X-Shopify-Shop-Domain: " SHOP,
                          "X-Shopify-Topic: orders/paid", h_sig, h_wid, NULL};
    httpc_resp r = e2e_call(sd, "POST", "/webhooks/shopify", hdrs, body);
    int status = r.result == HTTPC_OK ? r.status : 0;
    httpc_resp_free(&r);
    free(h_sig);
    free(h_wid);
    free(body);
    return status;
}

/* GET /admin/config with a bearer token; returns the status. */
static int admin_status(const e2e_server *sd, const char *tok)
{
    char *h = xasprintf("Authorization: Bearer %s", tok);
    const char *hdrs[] = {h, NULL};
    httpc_resp r = e2e_call(sd, "GET", "/admin/config", hdrs, NULL);
    int status = r.status;
    httpc_resp_free(&r);
    free(h);
    return status;
}

TEST_T(intake_limits, syncd_refuses_on_headers_and_compares_secrets_whole, 90)
{
    char *admin = token(400, 400);
    char *hook = token(600, 600);
    e2e_server sd;
    start_syncd(&sd, admin, hook);
    uint16_t port = sd.port;
    const char *wh = "POST /webhooks/shopify HTTP/1.1";

    /* Shopify webhooks: no shop, an unknown shop, no signature, no topic.
     * Each is answered while its million-byte body is still unsent. */
    EXPECT_EQ_INT(status_before_body(port, wh, "X-Shopify-Topic: orders/paid\r\n"
                                               "X-Shopify-Hmac-Sha256: x\r\n"), 401);
    EXPECT_EQ_INT(status_before_body(port, wh, "X-Shopify-Shop-Domain: other.myshopify.com\r\n"
                                               "X-Shopify-Topic: orders/paid\r\n"
                                               "X-Shopify-Hmac-Sha256: x\r\n"), 401);
    EXPECT_EQ_INT(status_before_body(port, wh, "X-Shopify-Shop-Domain: " SHOP "\r\n"
                                               "X-Shopify-Topic: orders/paid\r\n"), 401);
    EXPECT_EQ_INT(status_before_body(port, wh, "X-Shopify-Shop-Domain: " SHOP "\r\n"
                                               "X-Shopify-Hmac-Sha256: x\r\n"), 400);
    /* Cin7 webhooks and the admin API: credentials missing or cut short. */
    EXPECT_EQ_INT(status_before_body(port, "POST /webhooks/cin7 HTTP/1.1", ""), 401);
    char *cut = xasprintf("Authorization: Bearer %.504s\r\n", hook);
    EXPECT_EQ_INT(status_before_body(port, "POST /webhooks/cin7 HTTP/1.1", cut), 401);
    free(cut);
    EXPECT_EQ_INT(status_before_body(port, "POST /admin/reconcile HTTP/1.1", ""), 401);
    EXPECT_EQ_INT(metric(&sd, "syncd_webhooks_total{source=\"shopify\",result=\"unauthorized\"}"), 3);
    EXPECT_EQ_INT(metric(&sd, "syncd_webhooks_total{source=\"cin7\",result=\"unauthorized\"}"), 2);

    /* A signed-looking delivery that trickles in is cut at the deadline. */
    int status = -1;
    int sent = trickle_body(port, wh, "X-Shopify-Shop-Domain: " SHOP "\r\n"
                                      "X-Shopify-Topic: orders/paid\r\n"
                                      "X-Shopify-Hmac-Sha256: x\r\n", &status);
    EXPECT_LT_INT(sent, 100);
    EXPECT_TRUE(status == 0 || status == 408);

    /* The admin token counts whole: its first 292 characters, or one that
     * differs only at character 351, are not it. */
    EXPECT_EQ_INT(admin_status(&sd, admin), 200);
    char *prefix = xasprintf("%.292s", admin);
    EXPECT_EQ_INT(admin_status(&sd, prefix), 401);
    free(prefix);
    char *near = token(400, 350);
    EXPECT_EQ_INT(admin_status(&sd, near), 401);
    free(near);

    /* The Cin7 secret too: whole it is let in (an unknown type, ignored). */
    char *h_auth = xasprintf("Authorization: Bearer %s", hook);
    const char *hdrs[] = {h_auth, NULL};
    e2e_expect_text(&sd, "POST", "/webhooks/cin7?type=Other/Thing", hdrs, "{}", 200,
                    "\"ignored\":true");
    free(h_auth);

    /* Two webhook ids of 400 characters sharing 350 are two deliveries;
     * the same id again is a duplicate. */
    char *id1 = token(400, 350), *id2 = token(400, 350);
    id2[399] = 'c';
    EXPECT_EQ_INT(send_order(&sd, 9001, id1), 200);
    EXPECT_EQ_INT(send_order(&sd, 9002, id2), 200);
    EXPECT_EQ_INT(metric(&sd, "syncd_webhooks_total{source=\"shopify\",result=\"queued\"}"), 2);
    EXPECT_EQ_INT(metric(&sd, "syncd_webhooks_total{source=\"shopify\",result=\"duplicate\"}"), -1);
    EXPECT_EQ_INT(send_order(&sd, 9001, id1), 200);
    EXPECT_EQ_INT(metric(&sd, "syncd_webhooks_total{source=\"shopify\",result=\"duplicate\"}"), 1);
    free(id1);
    free(id2);

    e2e_stop(&sd);
    free(admin);
    free(hook);
}

TEST(intake_limits, syncd_refuses_secrets_it_could_never_match)
{
    char *admin = token(5000, 5000);
    char *config = xasprintf(
        "{\"admin_token\":\"%s\",\"cin7\":{\"base_url\":\"http://127.0.0.1:1/\","
        "\"account_id\":\"x\",\"application_key\":\"y\"},"
        "\"shops\":[{\"domain\":\"" SHOP "\",\"base_url\":\"http://127.0.0.1:1\","
        "\"access_token\":\"t\",\"api_secret\":\"s\"}],\"locations\":[{\"name\":\"Main\"}]}",
        admin);
    e2e_expect_refused("syncd", config, "$.admin_token: 5000 characters; at most 4096");
    free(config);
    free(admin);
}

/* ---- the mocks' journal ---------------------------------------------------- */

TEST(intake_limits, journal_since_past_two_to_the_64_is_refused)
{
    e2e_server m;
    e2e_start(&m, "mock-cin7", NULL);
    /* One journaled request, so "everything since" is not empty. */
    httpc_resp r = e2e_call(&m, "GET", "/ExternalApi/v2/product", NULL, NULL);
    httpc_resp_free(&r);
    e2e_expect_text(&m, "GET", "/_mock/journal?since=18446744073709551616", NULL, NULL, 400,
                    "since: expected an integer from 0 to 18446744073709551615");
    e2e_expect_text(&m, "GET", "/_mock/journal?since=-1", NULL, NULL, 400, "since:");
    e2e_expect_text(&m, "GET", "/_mock/journal?since=%2B1", NULL, NULL, 400, "since:");
    e2e_expect_text(&m, "GET", "/_mock/journal?limit=x", NULL, NULL, 400, "limit:");
    /* The largest since is nothing new, not everything again. */
    cJSON *v = e2e_expect(&m, "GET", "/_mock/journal?since=18446744073709551615", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "entries")), 0);
    cJSON_Delete(v);
    v = e2e_expect(&m, "GET", "/_mock/journal?since=0", NULL, NULL, 200, 1);
    EXPECT_GE_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "entries")), 1);
    cJSON_Delete(v);
    e2e_stop(&m);
}
